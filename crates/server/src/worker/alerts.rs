//! Sends the answers batched alert subscriptions gathered, once a batch is due: on every
//! tick, `Alerts::flush_batches` turns each due batch into one message. Every instance may
//! run this loop: a batch is claimed in the transaction that queues its message, so
//! nobody gets it twice.

use advocate_store::Store;
use chrono::Utc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often due batches are looked for.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// Starts the loop with the production interval.
pub fn spawn(store: Store) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            run_once(&store).await;
        }
    })
}

/// One pass; a failure is logged and the batches wait for the next tick (nothing is lost:
/// a batch stays gathered until a pass commits).
pub async fn run_once(store: &Store) -> usize {
    match store.alerts().flush_batches(Utc::now()).await {
        Ok(0) => 0,
        Ok(n) => {
            tracing::info!(batches = n, "sent gathered alerts");
            n
        }
        Err(e) => {
            tracing::warn!(error = %e, "sending gathered alerts failed; retrying next tick");
            0
        }
    }
}
