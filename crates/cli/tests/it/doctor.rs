//! `advocate doctor` with the real binary: a healthy SQLite installation, a bad setting,
//! an SMTP server that is not there, and a real one (aiosmtpd).

use crate::common::peers::{free_port, SmtpServer};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_advocate");

fn advocate(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("ADVOCATE_DATABASE_URL")
        .env_remove("ADVOCATE_SMTP_URL")
        .env_remove("ADVOCATE_IMAP_URL")
        .env_remove("ADVOCATE_TRUST_PROXY")
        .env_remove("ADVOCATE_NO_WORKERS")
        .output()
        .expect("run advocate")
}

/// A data folder with a migrated SQLite database.
fn migrated(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("advocate-doctor-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = advocate(&dir, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_healthy_sqlite_installation_passes_and_a_bad_setting_fails() {
    let dir = migrated("healthy");
    let out = advocate(&dir, &["doctor"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    for line in [
        "ok    configuration — ",
        "ok    database — ",
        "ok    migrations — none pending",
        "ok    disk space — ",
        "ok    clock — ",
        "warn  SMTP — no server configured",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    assert!(!text.contains("FAIL"), "{text}");

    let out = advocate(&dir, &["doctor", "--trust-proxy", "10.0.0.0/33"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "FAIL  configuration — --trust-proxy / ADVOCATE_TRUST_PROXY: \"10.0.0.0/33\""
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_database_is_a_warning_and_is_not_created() {
    let dir = std::env::temp_dir().join(format!("advocate-doctor-empty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = advocate(&dir, &["doctor", "--no-workers"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("warn  database — there is no database at"),
        "{text}"
    );
    assert!(!dir.join("advocate.db").exists());
}

#[tokio::test]
async fn smtp_is_checked_against_the_configured_server() {
    let dir = migrated("smtp");
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");

    // Nothing listens there yet.
    let out = advocate(&dir, &["doctor", "--smtp-url", &url]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("FAIL  SMTP — cannot talk to 127.0.0.1:{port}")),
        "{text}"
    );

    let maildir = dir.join("maildir");
    let Some(smtp) = SmtpServer::start(port, &maildir).await else {
        return;
    };
    let out = advocate(&dir, &["doctor", "--smtp-url", &url]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("ok    SMTP — 127.0.0.1:{port} answers")),
        "{text}"
    );
    assert!(smtp.messages().is_empty(), "doctor sends no mail");
    drop(smtp);
    let _ = std::fs::remove_dir_all(&dir);
}
