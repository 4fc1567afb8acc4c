//! `advocate doctor`: checks what `serve` would need — configuration, database,
//! migrations, mail servers, disk and clock — and says in plain words what is wrong.
//! Changes nothing (except what logging in to the IMAP mailbox does on the server).

use crate::options::{redact, ServeArgs};
use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::time::Duration;

/// How long each mail server may take to answer.
const MAIL_TIMEOUT: Duration = Duration::from_secs(10);
/// Below this much free space, a warning; below `DISK_FAIL`, a failure.
const DISK_WARN: u64 = 1 << 30;
const DISK_FAIL: u64 = 100 << 20;
/// How far the clocks may differ before it matters (signed links, schedules).
const CLOCK_SLACK: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Warn,
    Fail,
}

/// The checks' lines, printed as they come, and whether any failed.
#[derive(Default)]
struct Report {
    failed: usize,
}

impl Report {
    fn line(&mut self, verdict: Verdict, what: &str, words: impl AsRef<str>) {
        let tag = match verdict {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "warn",
            Verdict::Fail => {
                self.failed += 1;
                "FAIL"
            }
        };
        println!("{tag}  {what} — {}", words.as_ref());
    }
}

pub async fn run(args: ServeArgs) -> Result<()> {
    let mut report = Report::default();
    configuration(&args, &mut report);
    database(&args, &mut report).await;
    mail(&args, &mut report).await;
    disk(&args, &mut report);
    match report.failed {
        0 => Ok(()),
        1 => bail!("1 check failed"),
        n => bail!("{n} checks failed"),
    }
}

/// Every setting `serve` checks before it starts, each with its own line when wrong.
fn configuration(args: &ServeArgs, report: &mut Report) {
    let problems = crate::bootstrap::configuration_problems(args);
    if problems.is_empty() {
        report.line(
            Verdict::Ok,
            "configuration",
            "every setting (flags, ADVOCATE_* variables, advocate.toml) is valid",
        );
    }
    for problem in problems {
        report.line(
            Verdict::Fail,
            "configuration",
            format!("{problem}; fix it, or serve will not start"),
        );
    }
}

async fn database(args: &ServeArgs, report: &mut Report) {
    let url = args.db.url();
    let shown = redact(&url);
    // Opening a missing SQLite file would create it; say so instead.
    let file = args.db.data_dir.join("advocate.db");
    if args.db.database_url.is_none() && !file.exists() {
        report.line(
            Verdict::Warn,
            "database",
            format!("there is no database at {} yet; `advocate serve` creates it (or set --data-dir to where it is)", file.display()),
        );
        return;
    }
    let store = match advocate_store::Store::connect(&url).await {
        Ok(store) => store,
        Err(e) => {
            report.line(Verdict::Fail, "database", format!("cannot open {shown}: {e}; check the address, the password and that the server runs"));
            return;
        }
    };
    report.line(Verdict::Ok, "database", format!("{shown} is reachable"));
    match store.migration_status().await {
        Err(e) => report.line(Verdict::Fail, "migrations", format!("cannot read which are applied: {e}")),
        Ok(status) if !status.unknown.is_empty() => report.line(
            Verdict::Fail,
            "migrations",
            format!(
                "the database was migrated by a newer Advocate (migrations {:?} are unknown to this one); run that version, or restore a backup taken before",
                status.unknown
            ),
        ),
        Ok(status) if !status.pending.is_empty() => report.line(
            Verdict::Warn,
            "migrations",
            format!(
                "{} pending ({}); `advocate migrate` or the next `advocate serve` applies them — back up first",
                status.pending.len(),
                status.pending.join(", ")
            ),
        ),
        Ok(_) => report.line(Verdict::Ok, "migrations", "none pending"),
    }
    clock(&store, report).await;
    store.close().await;
}

/// The system clock against the database server's (PostgreSQL), or — SQLite has no clock
/// — against the newest answer, which cannot have been given in the future.
async fn clock(store: &advocate_store::Store, report: &mut Report) {
    let now = Utc::now();
    let off = |other: DateTime<Utc>| (now - other).abs() > CLOCK_SLACK;
    match store.server_clock().await {
        Err(e) => report.line(Verdict::Warn, "clock", format!("cannot read the database server's clock: {e}")),
        Ok(Some(server)) if off(server) => report.line(
            Verdict::Warn,
            "clock",
            format!(
                "this machine says {now}, the database server {server}; set both to the right time (NTP): links, schedules and reports depend on it"
            ),
        ),
        Ok(Some(_)) => report.line(Verdict::Ok, "clock", "agrees with the database server's"),
        Ok(None) => match store.newest_answer_at().await {
            Ok(Some(newest)) if newest - now > CLOCK_SLACK => report.line(
                Verdict::Warn,
                "clock",
                format!("this machine says {now}, before the newest answer ({newest}); set the right time (NTP)"),
            ),
            Ok(Some(_)) => report.line(Verdict::Ok, "clock", "not before the newest answer (SQLite has no clock to compare with)"),
            Ok(None) | Err(_) => report.line(Verdict::Ok, "clock", "not checked: SQLite has no clock and there is no answer to compare with"),
        },
    }
}

async fn mail(args: &ServeArgs, report: &mut Report) {
    // A bad URL was reported with the configuration.
    match crate::bootstrap::delivery_config(args) {
        Ok(None) => report.line(Verdict::Ok, "SMTP", "not used by this instance (--no-workers)"),
        Ok(Some(d)) => match d.smtp {
            None => report.line(Verdict::Warn, "SMTP", "no server configured (--smtp-url): emails wait in the outbox"),
            Some(smtp) => match smtp.check(MAIL_TIMEOUT).await {
                Ok(()) => report.line(Verdict::Ok, "SMTP", format!("{} answers and accepts a session", smtp.address())),
                Err(e) => report.line(
                    Verdict::Fail,
                    "SMTP",
                    format!("cannot talk to {}: {e}; check --smtp-url, the firewall, and that the server runs", smtp.address()),
                ),
            },
        },
        Err(_) => {}
    }
    if let Ok(Some(mailbox)) = args.mailbox() {
        let at = format!("{}:{}", mailbox.settings.host(), mailbox.settings.port());
        match advocate_server::worker::mailbox::check(&mailbox.settings).await {
            Ok(offers) => report.line(
                Verdict::Ok,
                "IMAP",
                format!(
                    "{at}: signed in and opened {}; {offers}",
                    mailbox.settings.folder()
                ),
            ),
            Err(e) => report.line(
                Verdict::Fail,
                "IMAP",
                format!("{at}: {e}; check --imap-url (user, password, folder) and --imap-ca-file"),
            ),
        }
    }
}

/// Free space where the SQLite database lives (PostgreSQL keeps its data elsewhere).
fn disk(args: &ServeArgs, report: &mut Report) {
    if args
        .db
        .database_url
        .as_deref()
        .is_some_and(|u| !u.starts_with("sqlite:"))
    {
        return;
    }
    let dir = &args.db.data_dir;
    let folder = if dir.exists() {
        dir.as_path()
    } else {
        dir.parent()
            .filter(|p| p.exists())
            .unwrap_or(Path::new("."))
    };
    match free_bytes(folder) {
        Err(e) => report.line(
            Verdict::Warn,
            "disk space",
            format!("cannot tell for {}: {e}", folder.display()),
        ),
        Ok(free) => {
            let words = format!("{} MiB free in {}", free >> 20, folder.display());
            if free < DISK_FAIL {
                report.line(
                    Verdict::Fail,
                    "disk space",
                    format!("{words}; free some space now: answers cannot be saved on a full disk"),
                );
            } else if free < DISK_WARN {
                report.line(
                    Verdict::Warn,
                    "disk space",
                    format!("{words}; less than 1 GiB, free some space soon"),
                );
            } else {
                report.line(Verdict::Ok, "disk space", words);
            }
        }
    }
}

/// Bytes an unprivileged process may still write in the file system of `path`.
fn free_bytes(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a NUL-terminated string and `stat` is written by the call
    // before it is read (only when it succeeds).
    let stat = unsafe {
        if libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        stat.assume_init()
    };
    #[allow(clippy::useless_conversion)] // u32 on some platforms, u64 on others
    Ok(u64::from(stat.f_bavail) * u64::from(stat.f_frsize))
}
