//! Sends members' digests when they fall due: every minute, asks the store whose digest
//! is due now (each member's hour in their own time zone; weekly ones on Mondays) and
//! sends each. Every instance may run this loop: a digest is claimed with its period in
//! the same transaction that queues it, so nobody gets one twice.

use advocate_store::Store;
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often due digests are looked for.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// Starts the digest loop.
pub fn spawn(store: Store) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = send_due_digests(&store, Utc::now()).await {
                tracing::warn!(error = %e, "sending digests failed; retrying next tick");
            }
        }
    })
}

/// Queues every digest due at `now` (tests choose `now`); returns how many this call
/// queued. One member's failure is logged and the others still go.
pub async fn send_due_digests(store: &Store, now: DateTime<Utc>) -> advocate_store::Result<usize> {
    let due = store.digests().due(now).await?;
    let mut sent = 0;
    for digest in &due {
        match store.digests().send(digest, now).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(
                error = %e,
                user = digest.user_id,
                workspace = digest.workspace_id,
                "a digest could not be queued; retrying next tick"
            ),
        }
    }
    if sent > 0 {
        tracing::info!(digests = sent, "queued digests");
    }
    Ok(sent)
}
