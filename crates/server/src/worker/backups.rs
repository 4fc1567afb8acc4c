//! Scheduled backups of a SQLite database (`advocate serve --backup-dir`): every
//! `every`, a verified backup named after its UTC time; then only the newest `keep` are
//! kept. Older backups are deleted only after the new one was verified and renamed into
//! place, so a failing backup never costs a good one. A failure is logged and retried at
//! the next turn; it never stops the server.

use advocate_store::{Store, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::task::JoinHandle;

const PREFIX: &str = "advocate-";
const SUFFIX: &str = ".db";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

#[derive(Clone, Debug)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: Duration,
    /// At least 1.
    pub keep: usize,
}

/// Backs up when the newest backup in the folder is `every` old (at once when there is
/// none), then every `every`.
pub fn spawn(store: Store, schedule: Schedule) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = until_due(&schedule, Utc::now());
        loop {
            tokio::time::sleep(wait).await;
            wait = schedule.every;
            if let Err(e) = run_once(&store, &schedule, Utc::now()).await {
                tracing::warn!(
                    error = %e,
                    dir = %schedule.dir.display(),
                    "scheduled backup failed; retrying at the next turn"
                );
            }
        }
    })
}

/// One backup named after `now`, then the older ones beyond `keep` deleted. Returns the
/// new backup's path.
pub async fn run_once(
    store: &Store,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<PathBuf, StoreError> {
    let path = schedule
        .dir
        .join(format!("{PREFIX}{}{SUFFIX}", now.format(STAMP)));
    let counts = store.backups().write_to(&path, false).await?;
    tracing::info!(path = %path.display(), %counts, "backup written and verified");
    for old in backups_in(&schedule.dir)
        .into_iter()
        .rev()
        .skip(schedule.keep.max(1))
    {
        match std::fs::remove_file(&old.1) {
            Ok(()) => tracing::info!(path = %old.1.display(), "old backup deleted"),
            Err(e) => {
                tracing::warn!(path = %old.1.display(), error = %e, "cannot delete an old backup")
            }
        }
    }
    Ok(path)
}

/// How long until the next backup is due: `every` after the newest one, or none.
fn until_due(schedule: &Schedule, now: DateTime<Utc>) -> Duration {
    let Some((newest, _)) = backups_in(&schedule.dir).pop() else {
        return Duration::ZERO;
    };
    let age = (now - newest).to_std().unwrap_or_default();
    schedule.every.saturating_sub(age)
}

/// The scheduled backups in `dir`, oldest first (other files are left alone).
pub fn backups_in(dir: &Path) -> Vec<(DateTime<Utc>, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<_> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?;
            let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
            let at = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
            Some((at, path))
        })
        .collect();
    found.sort();
    found
}
