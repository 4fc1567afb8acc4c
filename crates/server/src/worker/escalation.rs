//! Escalates cases whose first-contact SLA has passed: on every tick, marks them escalated
//! and queues the `case.overdue` webhook, the manager's email and the chat alert (all in
//! one transaction, see `Cases::escalate_overdue`). Every instance may run this loop: the
//! store claims each case atomically, so nobody is alerted twice.

use advocate_store::Store;
use chrono::Utc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often overdue cases are looked for in production.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// Starts the escalation loop with the production interval.
pub fn spawn(store: Store) -> JoinHandle<()> {
    spawn_every(store, INTERVAL)
}

/// Starts the escalation loop, looking every `interval` (tests use a short one).
pub fn spawn_every(store: Store, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            run_once(&store).await;
        }
    })
}

/// One pass; failures are logged and retried on the next tick (nothing is lost: a case
/// stays unescalated until a pass commits).
pub async fn run_once(store: &Store) -> usize {
    match store.cases().escalate_overdue(Utc::now()).await {
        Ok(0) => 0,
        Ok(n) => {
            // escalate_overdue already woke the delivery loop for what it queued.
            tracing::info!(cases = n, "escalated overdue cases");
            n
        }
        Err(e) => {
            tracing::warn!(error = %e, "escalating overdue cases failed; retrying next tick");
            0
        }
    }
}
