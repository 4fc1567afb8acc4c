//! Sends invitations: runs the schedules, sends what has fallen due (email and SMS go
//! through the outbox, so they are retried like every other message) and the one
//! reminder. Woken at once when invitations are scheduled for now, and on a tick for
//! those falling due later. Every instance may run it: the store claims each day of a
//! schedule, each invitation and each reminder exactly once.

use advocate_store::Store;
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the loop looks for invitations falling due.
pub const INTERVAL: Duration = Duration::from_secs(15);

/// Invitations rendered per transaction.
pub const BATCH: u32 = 500;

pub fn spawn(store: Store) -> JoinHandle<()> {
    spawn_every(store, INTERVAL)
}

pub fn spawn_every(store: Store, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            run_once(&store, Utc::now()).await;
            tokio::select! {
                _ = store.invitations_scheduled() => {}
                _ = tokio::time::sleep(interval) => {}
            }
        }
    })
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub scheduled: usize,
    pub sent: usize,
    pub skipped: usize,
    pub reminded: usize,
}

/// One pass at `now`. Failures are logged and retried on the next pass: nothing is
/// marked sent unless its message was queued in the same transaction.
pub async fn run_once(store: &Store, now: DateTime<Utc>) -> Pass {
    let mut pass = Pass::default();
    match store.schedules().run_due(now).await {
        Ok(r) => pass.scheduled = r.invited,
        Err(e) => tracing::warn!(error = %e, "running schedules failed; retrying next pass"),
    }
    loop {
        match store.invitations().dispatch_due(now, BATCH).await {
            Ok(r) => {
                pass.sent += r.sent;
                pass.skipped += r.skipped;
                if r.claimed < BATCH as usize {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "sending invitations failed; retrying next pass");
                break;
            }
        }
    }
    loop {
        match store.invitations().send_due_reminders(now, BATCH).await {
            Ok(n) => {
                pass.reminded += n;
                if n < BATCH as usize {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "sending reminders failed; retrying next pass");
                break;
            }
        }
    }
    if pass != Pass::default() {
        tracing::info!(?pass, "invitations");
    }
    pass
}
