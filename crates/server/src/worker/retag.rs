//! Re-tags comments after a workspace's taxonomy changed (see
//! `advocate_store::themes::retag`): a batch at a time until none is left, then a look
//! every few seconds. Every instance may run it: each batch claims its workspace's
//! progress row, so two instances never tag the same comments.

use advocate_store::Store;
use chrono::Utc;
use std::time::Duration;
use tokio::task::JoinHandle;

pub const INTERVAL: Duration = Duration::from_secs(5);

/// Batches per wake-up at most, so one large workspace does not hold the loop forever.
const MAX_BATCHES: usize = 10_000;

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

/// Re-tags until nothing is left (or [`MAX_BATCHES`]); returns the comments tagged. A
/// failure is logged and retried on the next tick, from where it stopped.
pub async fn run_once(store: &Store) -> u64 {
    let mut tagged = 0;
    for _ in 0..MAX_BATCHES {
        match store.themes().retag_step(Utc::now()).await {
            Ok(0) => break,
            Ok(n) => tagged += n,
            Err(e) => {
                tracing::warn!(error = %e, "re-tagging comments failed; retrying shortly");
                break;
            }
        }
    }
    tagged
}
