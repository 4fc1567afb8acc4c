//! What the store counts for `/metrics`, and the gauges it reads from the database when
//! scraped. Counts are per process (each instance is scraped on its own); gauges are
//! totals across all workspaces, never per workspace (a label per tenant would be
//! unbounded and would tell one tenant's numbers to whoever reads the metrics).

use crate::delivery::outbox::{MessageKind, OutboxStatus};
use crate::{to_ts, Result, Store};
use advocate_core::metrics::{Counter, Exposition, Family, Gauge, Histogram, SECONDS};
use advocate_core::Channel;
use chrono::Utc;
use sqlx::AnyPool;

/// Answers per committed group: powers of two up to the largest group.
const GROUP_SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The store's instruments; every clone of a [`Store`] shares them.
#[derive(Debug)]
pub struct StoreMetrics {
    /// New answers stored, by channel (a retry of a stored answer is not new).
    answers_accepted: Family<Counter>,
    /// Answers per group commit, and how long each group took to write and commit.
    group_size: Histogram,
    group_commit_seconds: Histogram,
    /// Delivery attempts by message kind and outcome, counted by the delivery worker.
    delivery_attempts: Family<Counter>,
    /// Invitations handed to the outbox, by channel (reminders not included).
    invitations_sent: Family<Counter>,
}

impl Default for StoreMetrics {
    fn default() -> Self {
        Self {
            answers_accepted: Family::counters(&["channel"]),
            group_size: Histogram::new(GROUP_SIZES),
            group_commit_seconds: Histogram::new(SECONDS),
            delivery_attempts: Family::counters(&["kind", "outcome"]),
            invitations_sent: Family::counters(&["channel"]),
        }
    }
}

impl StoreMetrics {
    pub(crate) fn accepted(&self, channel: Channel) {
        self.answers_accepted.with(&[channel.as_str()]).inc();
    }

    pub(crate) fn group_committed(&self, answers: usize, seconds: f64) {
        self.group_size.observe(answers as f64);
        self.group_commit_seconds.observe(seconds);
    }

    /// One delivery attempt of a `kind` message: `outcome` is `delivered`, `retry` or
    /// `dead` (dead-lettered).
    pub fn delivery_attempted(&self, kind: MessageKind, outcome: &'static str) {
        self.delivery_attempts.with(&[kind.as_str(), outcome]).inc();
    }

    pub(crate) fn invitation_sent(&self, channel: Channel) {
        self.invitations_sent.with(&[channel.as_str()]).inc();
    }
}

impl Store {
    /// The store's instruments (see [`StoreMetrics`]).
    pub fn metrics(&self) -> &StoreMetrics {
        &self.metrics
    }

    /// Writes the store's counts, then the gauges read now: open and overdue cases, the
    /// outbox by kind, and the connection pools.
    #[tracing::instrument(name = "store.write_metrics", level = "debug", skip_all)]
    pub async fn write_metrics(&self, out: &mut Exposition) -> Result<()> {
        let m = &self.metrics;
        out.family(
            "advocate_answers_accepted_total",
            "New answers stored, by channel.",
            &m.answers_accepted,
        )
        .single(
            "advocate_answer_group_size",
            "Answers written per group commit.",
            &m.group_size,
        )
        .single(
            "advocate_answer_group_commit_duration_seconds",
            "Time to write and commit one group of answers.",
            &m.group_commit_seconds,
        )
        .family(
            "advocate_delivery_attempts_total",
            "Delivery attempts by message kind and outcome (delivered, retry, dead).",
            &m.delivery_attempts,
        )
        .family(
            "advocate_invitations_sent_total",
            "Invitations handed to the outbox, by channel.",
            &m.invitations_sent,
        );
        self.write_case_gauges(out).await?;
        self.write_outbox_gauges(out).await?;
        self.write_pool_gauges(out);
        Ok(())
    }

    async fn write_case_gauges(&self, out: &mut Exposition) -> Result<()> {
        // Through the workspaces, so each workspace's part is read from the cases index
        // (workspace, status, due) rather than by scanning every case.
        let (open, overdue): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), SUM(CASE WHEN c.status = 'open' AND c.first_contact_at IS NULL \
             AND c.sla_due_at < $1 THEN 1 ELSE 0 END) FROM workspaces w JOIN cases c \
             ON c.workspace_id = w.id AND c.status IN ('open', 'contacted')",
        )
        .bind(to_ts(Utc::now()))
        .fetch_one(&self.pool)
        .await?;
        out.single(
            "advocate_cases_open",
            "Cases open or contacted, in all workspaces.",
            &Gauge(open as f64),
        )
        .single(
            "advocate_cases_overdue",
            "Open cases nobody has contacted yet past their SLA, in all workspaces.",
            &Gauge(overdue.unwrap_or(0) as f64),
        );
        Ok(())
    }

    async fn write_outbox_gauges(&self, out: &mut Exposition) -> Result<()> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT kind, status, COUNT(*), MIN(created_at) FROM outbox \
             WHERE status IN ('pending', 'dead') GROUP BY kind, status",
        )
        .fetch_all(&self.pool)
        .await?;
        let now = to_ts(Utc::now());
        let find = |kind: MessageKind, status: OutboxStatus| {
            rows.iter()
                .find(|(k, s, _, _)| k == kind.as_str() && s == status.as_str())
        };
        // Every kind gets a series, zero when it has nothing, so an alert on one never
        // sees it vanish.
        let each = |value: &dyn Fn(MessageKind) -> i64| -> Vec<(&'static str, f64)> {
            MessageKind::ALL
                .iter()
                .map(|&k| (k.as_str(), value(k) as f64))
                .collect()
        };
        let pending = each(&|k| find(k, OutboxStatus::Pending).map_or(0, |r| r.2));
        let oldest = each(&|k| find(k, OutboxStatus::Pending).map_or(0, |r| (now - r.3).max(0)));
        let dead = each(&|k| find(k, OutboxStatus::Dead).map_or(0, |r| r.2));
        out.gauges(
            "advocate_outbox_pending_messages",
            "Messages waiting for their first or next delivery attempt, by kind.",
            "kind",
            &pending,
        )
        .gauges(
            "advocate_outbox_oldest_pending_age_seconds",
            "Age of the oldest message waiting, by kind (0 when none waits).",
            "kind",
            &oldest,
        )
        .gauges(
            "advocate_outbox_dead_messages",
            "Dead letters: messages that failed too often, by kind (re-drive them on the \
             outbox page).",
            "kind",
            &dead,
        );
        Ok(())
    }

    fn write_pool_gauges(&self, out: &mut Exposition) {
        let pools: Vec<(&'static str, &AnyPool)> = match self.backend {
            // On SQLite reads share a pool and writes go through one connection of their own.
            crate::Backend::Sqlite => vec![("read", &self.pool), ("write", &self.writer)],
            crate::Backend::Postgres => vec![("shared", &self.pool)],
        };
        let each = |value: fn(&AnyPool) -> f64| -> Vec<(&'static str, f64)> {
            pools.iter().map(|&(name, p)| (name, value(p))).collect()
        };
        out.gauges(
            "advocate_db_pool_connections",
            "Database connections open, by pool.",
            "pool",
            &each(|p| f64::from(p.size())),
        )
        .gauges(
            "advocate_db_pool_idle_connections",
            "Database connections open and idle, by pool.",
            "pool",
            &each(|p| p.num_idle() as f64),
        )
        .gauges(
            "advocate_db_pool_max_connections",
            "Most database connections a pool opens.",
            "pool",
            &each(|p| f64::from(p.options().get_max_connections())),
        );
    }
}
