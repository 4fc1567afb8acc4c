//! Applies each workspace's answer retention (`answer_retention_months`) once at start-up
//! and then daily. Every instance may run it: the store only anonymises answers that are
//! not anonymised yet, re-checked in each batch's UPDATE, so two instances at once never
//! change (or count) an answer twice.

use advocate_store::Store;
use chrono::Utc;
use std::time::Duration;
use tokio::task::JoinHandle;

pub const INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

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

/// One pass over every workspace; a failure is logged and retried on the next tick.
pub async fn run_once(store: &Store) -> u64 {
    match store.privacy().apply_retention_everywhere(Utc::now()).await {
        Ok(done) => {
            let n = done.iter().map(|r| r.answers_anonymised).sum();
            for r in done.iter().filter(|r| r.answers_anonymised > 0) {
                tracing::info!(
                    workspace = r.workspace_id,
                    answers = r.answers_anonymised,
                    "anonymised answers past the retention period"
                );
            }
            n
        }
        Err(e) => {
            tracing::warn!(error = %e, "applying answer retention failed; retrying tomorrow");
            0
        }
    }
}
