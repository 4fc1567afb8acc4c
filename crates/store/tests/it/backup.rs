//! Backups and restores: a SQLite backup is verified, owner-only, never replaces a file
//! unless asked and leaves nothing behind when it fails; a restore goes only into an
//! empty folder, only from an Advocate database this version can open, and brings an
//! older one up to date. PostgreSQL: the README's pg_dump / pg_restore procedure carries
//! every row into a fresh database.

use crate::common::*;
use advocate_core::SurveyKind;
use advocate_store::backup::{self, Counts};
use advocate_store::models::Respondent;
use advocate_store::testing::{count, execute, peers_required, TestDb};
use advocate_store::Store;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A workspace with two customers, a survey and answers, one of them a detractor who
/// opens a case.
async fn fill(store: &Store) {
    let ws = workspace(store).await;
    let survey = create_survey(store, ws, "rel", SurveyKind::Nps).await;
    for id in ["c1", "c2"] {
        store
            .customers()
            .upsert(ws, &customer(id, "pro"))
            .await
            .unwrap();
    }
    let mut detractor = answer(ws, survey.id, 2, at(2026, 3, 1));
    detractor.respondent = Respondent::Known("c1".into());
    let mut many = answers(ws, survey.id, at(2026, 3, 2), &[(9, 5), (10, 3), (7, 2)]);
    many.push(detractor);
    store.answers().record_many(&many, true).await.unwrap();
}

/// The counts a backup of `store` must report.
async fn counts_of(store: &Store) -> Counts {
    let rows = store.row_counts().await.unwrap();
    Counts {
        workspaces: rows["workspaces"],
        customers: rows["customers"],
        answers: rows["answers"],
        cases: rows["cases"],
        messages: rows["case_messages"],
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn fresh_dir(what: &str) -> PathBuf {
    let dir = temp_path(what);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_backup_holds_what_was_committed_and_restores_into_an_empty_folder() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    fill(&store).await;
    let expected = counts_of(&store).await;
    assert!(expected.cases >= 1, "the detractor opened a case");

    let dir = fresh_dir("backups");
    let file = dir.join("nightly.db");
    let counts = store.backups().write_to(&file, false).await.unwrap();
    assert_eq!(counts, expected);
    assert_eq!(mode(&file), 0o600, "a backup holds personal data");
    assert_eq!(names_in(&dir), ["nightly.db"], "no temporary file is left");

    // Written after the backup: not in it.
    let ws = store.workspaces().by_slug("acme").await.unwrap().unwrap();
    let survey = store.surveys().list(ws.id).await.unwrap().remove(0);
    store
        .answers()
        .record_many(&[answer(ws.id, survey.id, 10, at(2026, 3, 3))], false)
        .await
        .unwrap();

    let data = temp_path("restored");
    let restored = backup::restore(&file, &data).await.unwrap();
    assert_eq!(restored, expected);
    let target = data.join("advocate.db");
    assert_eq!(mode(&target), 0o600);
    assert_eq!(names_in(&data), ["advocate.db"]);
    let back = Store::connect(&format!("sqlite://{}", target.display()))
        .await
        .unwrap();
    assert_eq!(counts_of(&back).await, expected);
    assert_eq!(
        back.row_counts().await.unwrap()["surveys"],
        store.row_counts().await.unwrap()["surveys"]
    );
    back.close().await;
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(data).unwrap();
}

#[tokio::test]
async fn a_backup_replaces_an_existing_file_only_when_asked() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let dir = fresh_dir("backups");
    let file = dir.join("b.db");
    std::fs::write(&file, "an older backup").unwrap();

    let refused = conflict(store.backups().write_to(&file, false).await);
    assert!(refused.contains("already exists"), "{refused}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "an older backup");
    assert_eq!(names_in(&dir), ["b.db"]);

    fill(&store).await;
    let counts = store.backups().write_to(&file, true).await.unwrap();
    assert_eq!(counts, counts_of(&store).await);
    assert_eq!(names_in(&dir), ["b.db"]);
    assert_eq!(mode(&file), 0o600);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_failed_backup_leaves_nothing_behind() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    fill(&store).await;
    let dir = fresh_dir("backups");

    let missing = dir.join("no-such-folder").join("b.db");
    let msg = invalid(store.backups().write_to(&missing, false).await);
    assert!(
        msg.contains("cannot write to") && msg.contains("no-such-folder"),
        "{msg}"
    );

    // A file where the folder should be: refused even for root, which may write anywhere.
    std::fs::write(dir.join("a-file"), "").unwrap();
    let under_a_file = dir.join("a-file").join("b.db");
    let msg = invalid(store.backups().write_to(&under_a_file, false).await);
    assert!(msg.contains("cannot write to"), "{msg}");

    assert_eq!(names_in(&dir), ["a-file"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn opening_for_a_backup_never_creates_a_database() {
    let dir = temp_path("nothing");
    let url = format!("sqlite://{}", dir.join("advocate.db").display());
    let msg = not_found(backup::open_for_backup(&url).await);
    assert!(msg.contains("there is no database at"), "{msg}");
    assert!(!dir.exists());
}

#[tokio::test]
async fn restore_never_replaces_a_database() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    fill(&store).await;
    let dir = fresh_dir("backups");
    let file = dir.join("b.db");
    store.backups().write_to(&file, false).await.unwrap();

    let data = fresh_dir("live");
    std::fs::write(data.join("advocate.db"), "live data").unwrap();
    let msg = conflict(backup::restore(&file, &data).await);
    assert!(msg.contains("never replaces"), "{msg}");
    assert_eq!(
        std::fs::read_to_string(data.join("advocate.db")).unwrap(),
        "live data"
    );
    assert_eq!(names_in(&data), ["advocate.db"]);
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(data).unwrap();
}

#[tokio::test]
async fn restore_refuses_files_that_are_not_advocate_backups() {
    let dir = fresh_dir("not-backups");
    let text = dir.join("notes.txt");
    std::fs::write(
        &text,
        "not a database at all, but long enough to look like one?",
    )
    .unwrap();
    // A SQLite database, but not Advocate's.
    let other = TestDb::sqlite();
    let other_store = Store::connect(&other.url).await.unwrap();
    execute(&other_store, "CREATE TABLE things (id INTEGER PRIMARY KEY)").await;
    other_store.close().await;
    let other_file = PathBuf::from(other.url.trim_start_matches("sqlite://"));
    // Advocate's, from a newer version than this one.
    let newer = TestDb::sqlite();
    let newer_store = newer.store().await;
    execute(
        &newer_store,
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, \
         execution_time) VALUES (99990101, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
    )
    .await;
    let newer_file = dir.join("newer.db");
    newer_store
        .backups()
        .write_to(&newer_file, false)
        .await
        .unwrap();

    for (file, expected) in [
        (&text, "is not a usable Advocate backup"),
        (&other_file, "not an Advocate database"),
        (&newer_file, "made by a newer Advocate (migration 99990101"),
    ] {
        let data = temp_path("restore-into");
        let msg = invalid(backup::restore(file, &data).await);
        assert!(msg.contains(expected), "{}: {msg}", file.display());
        assert!(
            !data.exists() || names_in(&data).is_empty(),
            "{}: nothing is left in the data folder",
            file.display()
        );
        let _ = std::fs::remove_dir_all(data);
    }
    let msg = invalid(backup::restore(&dir.join("missing.db"), &temp_path("x")).await);
    assert!(msg.contains("cannot read"), "{msg}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn restore_brings_an_older_backup_up_to_date() {
    let db = TestDb::sqlite();
    crate::upgrade::migrate_to_before(&db).await;
    let old = Store::connect(&db.url).await.unwrap();
    let ws = workspace(&old).await;
    let survey = crate::upgrade::old_survey(&db, ws, "rel").await;
    old.answers()
        .record_many(&[answer(ws, survey, 9, at(2026, 3, 2))], false)
        .await
        .unwrap();
    let dir = fresh_dir("backups");
    let file = dir.join("old.db");
    old.backups().write_to(&file, false).await.unwrap();
    old.close().await;

    let data = temp_path("restored");
    let counts = backup::restore(&file, &data).await.unwrap();
    assert_eq!((counts.workspaces, counts.answers), (1, 1));
    let restored = Store::connect(&format!("sqlite://{}", data.join("advocate.db").display()))
        .await
        .unwrap();
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count() as i64;
    assert_eq!(
        count(
            &restored,
            "SELECT COUNT(*) FROM _sqlx_migrations WHERE success"
        )
        .await,
        migrations,
        "every migration of this version is applied"
    );
    restored.close().await;
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(data).unwrap();
}

#[tokio::test]
async fn a_postgres_backup_is_refused_with_the_way_to_make_one() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.store().await;
    let msg = invalid(store.backups().write_to(&temp_path("pg.db"), false).await);
    assert!(msg.contains("pg_dump"), "{msg}");
    let msg = invalid(backup::open_for_backup(&db.url).await.map(|_| ()));
    assert!(msg.contains("pg_dump"), "{msg}");
}

/// `pg_dump` or `pg_restore`: on the PATH, or in a PostgreSQL installation's bin folder.
fn pg_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>());
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.ok()?.path().join("bin")));
    on_path
        .chain(installed)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn run(tool: &Path, args: &[&str]) {
    let out = std::process::Command::new(tool)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        tool.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The README's procedure: `pg_dump -Fc`, `pg_restore` into a fresh database, migrate.
#[tokio::test]
async fn pg_dump_and_pg_restore_carry_every_row_into_a_fresh_database() {
    let (Some(source), Some(fresh)) = (TestDb::postgres().await, TestDb::postgres().await) else {
        return;
    };
    let (Some(pg_dump), Some(pg_restore)) = (pg_tool("pg_dump"), pg_tool("pg_restore")) else {
        assert!(
            !peers_required(),
            "ADVOCATE_REQUIRE_PEERS=1 but pg_dump is not installed"
        );
        eprintln!("SKIPPED: pg_dump / pg_restore not installed");
        return;
    };
    let store = source.store().await;
    fill(&store).await;
    let before = store.row_counts().await.unwrap();
    assert!(before["answers"] > 0 && before["cases"] > 0);

    let dir = fresh_dir("pg-dump");
    let dump = dir.join("advocate.dump");
    let dump = dump.to_str().unwrap();
    run(&pg_dump, &["-Fc", "-f", dump, &source.url]);
    run(&pg_restore, &["--no-owner", "-d", &fresh.url, dump]);

    let restored = fresh.store().await; // `advocate migrate`: nothing left to apply
    assert_eq!(restored.row_counts().await.unwrap(), before);
    let ws = restored
        .workspaces()
        .by_slug("acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        restored.answers().count(ws.id).await.unwrap(),
        before["answers"] as u64
    );
    restored.close().await;
    store.close().await;
    std::fs::remove_dir_all(dir).unwrap();
}
