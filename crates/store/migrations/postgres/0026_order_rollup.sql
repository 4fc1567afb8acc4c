-- Retention KPIs at scale (BENCHMARKS.md, "Retention KPIs"): a monthly per-customer order
-- rollup, kept in each order's transaction (business/orders.rs adds to it, the erasure in
-- privacy/erase.rs deletes a person's rows), so the period's revenue and the historic CLV
-- read one row per customer and month instead of one per order; `month` is the unix time
-- of the month's first day (UTC).
CREATE TABLE order_rollup (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id  BIGINT NOT NULL,
    month        BIGINT NOT NULL,
    orders       BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, customer_id, month)
);

INSERT INTO order_rollup (workspace_id, customer_id, month, orders, amount_minor)
SELECT workspace_id, customer_id,
       CAST(EXTRACT(EPOCH FROM date_trunc('month', to_timestamp(ordered_at) AT TIME ZONE 'UTC')) AS BIGINT),
       COUNT(*), SUM(amount_minor)
FROM orders GROUP BY 1, 2, 3;

