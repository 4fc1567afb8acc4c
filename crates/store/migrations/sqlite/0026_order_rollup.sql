-- Retention KPIs at scale (BENCHMARKS.md, "Retention KPIs"): a monthly per-customer order
-- rollup, kept in each order's transaction (business/orders.rs adds to it, the erasure in
-- privacy/erase.rs deletes a person's rows), so the period's revenue and the historic CLV
-- read one row per customer and month instead of one per order; `month` is the unix time
-- of the month's first day (UTC). WITHOUT ROWID: the key is the table, so the per-customer
-- scan streams in key order with no second lookup.
CREATE TABLE order_rollup (
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id),
    customer_id  BIGINT NOT NULL,
    month        BIGINT NOT NULL,
    orders       BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, customer_id, month)
) WITHOUT ROWID;

INSERT INTO order_rollup (workspace_id, customer_id, month, orders, amount_minor)
SELECT workspace_id, customer_id,
       CAST(strftime('%s', ordered_at, 'unixepoch', 'start of month') AS INTEGER),
       COUNT(*), SUM(amount_minor)
FROM orders GROUP BY 1, 2, 3;

