//! The real `advocate` binary, run by the tests that need whole server processes.

use advocate_store::testing::TestDb;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_advocate");

/// `advocate ARGS` on the test database, killed if the test drops it.
pub fn advocate(db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("ADVOCATE_DATABASE_URL", &db.url)
        .env("ADVOCATE_ADMIN_PASSWORD", "test-admin-password")
        .env_remove("ADVOCATE_WORKSPACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Starts `advocate serve` (with `flags`) on a free port and returns it with its base URL.
pub async fn start(db: &TestDb, flags: &[&str]) -> (Child, String) {
    let (child, url, _) = start_printing(db, flags).await;
    (child, url)
}

/// Like [`start`], also returning what the server printed before it listened (on a fresh
/// database: the first run's workspace, password, API key and survey).
pub async fn start_printing(db: &TestDb, flags: &[&str]) -> (Child, String, Vec<String>) {
    let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
    args.extend_from_slice(flags);
    listening(advocate(db, &args).spawn().expect("start advocate")).await
}

/// Waits until a started server listens: it with its base URL and what it printed before.
pub async fn listening(mut child: Child) -> (Child, String, Vec<String>) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(url) = line.strip_prefix("Advocate listening on ") {
            // Keep draining stdout so the server never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, url.to_owned(), printed);
        }
        printed.push(line);
    }
    panic!("advocate serve exited before listening: {printed:?}");
}

/// The server tests' real peers (the aiosmtpd SMTP server), shared rather than copied.
#[allow(dead_code)]
#[path = "../../../../server/tests/it/common/peers.rs"]
pub mod peers;
