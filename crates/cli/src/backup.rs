//! `advocate backup FILE` and `advocate restore FILE --data-dir DIR`: the SQLite database
//! copied while it serves, verified, and put back into an empty data folder
//! (`advocate_store::backup` does the work).

use crate::options::DbArgs;
use advocate_store::backup;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct BackupArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The backup file to write; it must not exist yet (see --force).
    file: PathBuf,
    /// Replace FILE if it exists (only once the new backup is complete and verified).
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A backup written by `advocate backup` (or --backup-dir).
    file: PathBuf,
    /// The data folder to restore into; it must hold no database yet.
    #[arg(long, env = "ADVOCATE_DATA_DIR")]
    data_dir: PathBuf,
}

pub async fn backup(args: BackupArgs) -> Result<()> {
    let store = backup::open_for_backup(&args.db.url())
        .await
        .context("cannot back up")?;
    let written = store.backups().write_to(&args.file, args.force).await;
    store.close().await;
    let counts = written.with_context(|| format!("cannot back up to {}", args.file.display()))?;
    println!(
        "Backup written to {}: integrity ok; {counts}.",
        args.file.display()
    );
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> Result<()> {
    let counts = backup::restore(&args.file, &args.data_dir)
        .await
        .with_context(|| format!("cannot restore {}", args.file.display()))?;
    println!(
        "Restored {} into {}: integrity ok; {counts}. Start Advocate with --data-dir {}.",
        args.file.display(),
        args.data_dir.display(),
        args.data_dir.display()
    );
    Ok(())
}
