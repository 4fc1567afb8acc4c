//! `advocate backup` / `advocate restore` / `serve --backup-dir` as people run them: the
//! real binary, against a server taking answers.

use crate::common::{advocate, start, start_printing};
use advocate_store::testing::TestDb;
use advocate_store::Store;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;

/// The survey a fresh workspace starts with (the first run creates it).
const FIRST_SURVEY: &str = "relationship";

fn fresh_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "advocate-{what}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `advocate ARGS` to its end: (success, stdout, stderr).
async fn run(db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let out = advocate(db, args)
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn a_backup_taken_under_write_load_holds_every_answer_acknowledged_before_it() {
    let db = TestDb::sqlite();
    let (mut server, base, printed) = start_printing(&db, &[]).await;
    let key = printed
        .iter()
        .find_map(|l| l.strip_prefix("API key: ")?.split_whitespace().next())
        .expect("the first run prints an API key")
        .to_owned();

    // Four writers post answers until told to stop (each at most 5,000), recording every
    // answer the server acknowledged.
    let http = reqwest::Client::new();
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (http, base, key) = (http.clone(), base.clone(), key.clone());
            let (acked, stop) = (acked.clone(), stop.clone());
            tokio::spawn(async move {
                for i in 0..5_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let ext = format!("w{w}-{i}");
                    let r = http
                        .post(format!("{base}/api/v1/responses"))
                        .bearer_auth(&key)
                        .json(&json!({"survey": FIRST_SURVEY, "score": i % 11, "external_id": ext}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 201);
                    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
                    acked.lock().await.push((id, ext));
                }
            })
        })
        .collect();
    while acked.lock().await.len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    // Everything acknowledged up to now must be in the backup; writers go on meanwhile.
    let before = acked.lock().await.clone();
    let dir = fresh_dir("backup-under-load");
    let file = dir.join("live.db");
    let (ok, stdout, stderr) = run(&db, &["backup", path(&file)]).await;
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "Backup written to {}: integrity ok; 1 workspace,",
            file.display()
        )),
        "{stdout}"
    );
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let after = acked.lock().await.len();

    let data = dir.join("restored");
    let (ok, stdout, stderr) = run(&db, &["restore", path(&file), "--data-dir", path(&data)]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("integrity ok"), "{stdout}");
    let restored = Store::connect(&format!("sqlite://{}", data.join("advocate.db").display()))
        .await
        .unwrap();
    let ws = restored
        .workspaces()
        .by_slug("default")
        .await
        .unwrap()
        .unwrap();
    for (id, ext) in &before {
        let answer = restored
            .answers()
            .get(ws.id, *id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("answer {ext} was acknowledged before the backup began"));
        assert_eq!(answer.external_id.as_deref(), Some(ext.as_str()));
    }
    let in_backup = restored.answers().count(ws.id).await.unwrap();
    eprintln!(
        "{} answers acknowledged before the backup began, {in_backup} in it, {after} in all",
        before.len()
    );
    assert!(
        in_backup as usize >= before.len() && in_backup as usize <= after,
        "{in_backup} answers in the backup, {} acknowledged before it, {after} in all",
        before.len()
    );
    restored.close().await;
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn backup_refuses_to_replace_a_file_or_write_where_it_cannot_and_leaves_nothing() {
    let db = TestDb::sqlite();
    let (ok, _, stderr) = run(&db, &["migrate"]).await;
    assert!(ok, "{stderr}");
    let dir = fresh_dir("backup-refusals");
    let file = dir.join("b.db");
    std::fs::write(&file, "yesterday's backup").unwrap();

    let (ok, _, stderr) = run(&db, &["backup", path(&file)]).await;
    assert!(!ok);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "yesterday's backup"
    );

    let (ok, stdout, stderr) = run(&db, &["backup", path(&file), "--force"]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("integrity ok; 0 workspaces"), "{stdout}");

    let missing = dir.join("no-such-folder").join("b.db");
    let out = advocate(&db, &["backup", path(&missing)])
        .env("RUST_BACKTRACE", "1")
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // One line a person reads, with its causes, even when backtraces are asked for.
    assert!(
        stderr.contains("Error: cannot back up to")
            && stderr.contains("cannot write to")
            && stderr.contains("no-such-folder"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("backtrace") && !stderr.contains("Caused by"),
        "{stderr}"
    );
    assert!(!dir.join("no-such-folder").exists());

    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["b.db"], "no partial file is left");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn backup_of_a_missing_database_creates_none() {
    let db = TestDb::sqlite();
    let dir = fresh_dir("backup-nothing");
    let (ok, _, stderr) = run(&db, &["backup", path(&dir.join("b.db"))]).await;
    assert!(!ok);
    assert!(stderr.contains("there is no database at"), "{stderr}");
    let db_file = db.url.trim_start_matches("sqlite://");
    assert!(!Path::new(db_file).exists(), "no empty database was made");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn backup_and_scheduled_backups_of_postgres_point_at_pg_dump() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let dir = fresh_dir("backup-pg");
    let (ok, _, stderr) = run(&db, &["backup", path(&dir.join("b.db"))]).await;
    assert!(!ok);
    assert!(stderr.contains("pg_dump"), "{stderr}");
    let (ok, _, stderr) = run(
        &db,
        &["serve", "--bind", "127.0.0.1:0", "--backup-dir", path(&dir)],
    )
    .await;
    assert!(!ok, "the server refuses to start");
    assert!(
        stderr.contains("--backup-dir") && stderr.contains("pg_dump"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn restore_refuses_a_data_folder_that_holds_a_database() {
    let db = TestDb::sqlite();
    let (ok, _, _) = run(&db, &["migrate"]).await;
    assert!(ok);
    let dir = fresh_dir("restore-refusal");
    let file = dir.join("b.db");
    let (ok, _, stderr) = run(&db, &["backup", path(&file)]).await;
    assert!(ok, "{stderr}");
    // The live database's own folder.
    let live = Path::new(db.url.trim_start_matches("sqlite://"))
        .parent()
        .unwrap();
    let before = std::fs::read(live.join("advocate.db")).unwrap();
    let (ok, _, stderr) = run(&db, &["restore", path(&file), "--data-dir", path(live)]).await;
    assert!(!ok);
    assert!(stderr.contains("never replaces"), "{stderr}");
    assert_eq!(std::fs::read(live.join("advocate.db")).unwrap(), before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn serve_with_a_backup_dir_backs_up_at_once_when_there_is_no_backup() {
    let db = TestDb::sqlite();
    let dir = fresh_dir("scheduled");
    let backups = dir.join("backups");
    let (mut server, _base) = start(
        &db,
        &[
            "--backup-dir",
            path(&backups),
            "--backup-every",
            "24h",
            "--backup-keep",
            "3",
        ],
    )
    .await;
    // Bounded wait for the worker's first turn (no timing is asserted).
    let mut found = Vec::new();
    for _ in 0..600 {
        found = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("advocate-") && n.ends_with("Z.db"))
            .collect();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        found.len(),
        1,
        "one backup, named after its UTC time: {found:?}"
    );
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let data = dir.join("restored");
    let (ok, stdout, stderr) = run(
        &db,
        &[
            "restore",
            path(&backups.join(&found[0])),
            "--data-dir",
            path(&data),
        ],
    )
    .await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("integrity ok; 1 workspace,"), "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}
