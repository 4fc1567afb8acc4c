-- Covering indexes for the retention KPIs (kpis.rs). The KPI queries aggregate orders and
-- spells per customer (streaming in index order, no sort) and orders per month (a range of
-- the time index); carrying the amounts and end times in the index spares one random
-- table read per row, which at 10 million orders is the difference between seconds and
-- minutes on SQLite (BENCHMARKS.md, "Retention KPIs"). Each replaces an index it extends.
DROP INDEX orders_by_customer;
CREATE INDEX orders_by_customer ON orders (workspace_id, customer_id, ordered_at, amount_minor);
DROP INDEX orders_by_time;
CREATE INDEX orders_by_time ON orders (workspace_id, ordered_at, customer_id, amount_minor);
DROP INDEX customer_spells_by_customer;
CREATE INDEX customer_spells_by_customer ON customer_spells (workspace_id, customer_id, started_at, ended_at);
