//! Upgrading a database that already holds answers and cases: migration 0011 rebuilds
//! SQLite's `answers` table (and swaps PostgreSQL's unique constraints for partial
//! indexes). Everything stored before must still be there and linked, the keys must still
//! be unique, and SQLite must enforce foreign keys again afterwards. On every backend.

use crate::common::*;
use advocate_core::field::IdempotencyKey;
use advocate_store::closed_loop::cases::CaseFilter;
use advocate_store::models::Respondent;
use advocate_store::testing::TestDb;
use advocate_store::{Backend, Store};
use std::path::Path;

/// The version before the rebuild.
const BEFORE: &str = "0010";

/// Applies this backend's migrations up to and including `BEFORE`, as an installation of
/// the previous release would have (also the backup tests' "older backup").
pub(crate) async fn migrate_to_before(db: &TestDb) {
    let backend = match db.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let all = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let older = tempfile_dir();
    for entry in std::fs::read_dir(&all).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() <= BEFORE || name.starts_with(&format!("{BEFORE}_")) {
            std::fs::copy(entry.path(), older.join(&name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let url = match db.backend {
        Backend::Sqlite => format!("{}?mode=rwc", db.url), // created if missing
        Backend::Postgres => db.url.clone(),
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(older.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool.close().await;
    std::fs::remove_dir_all(older).unwrap();
}

/// A survey as the previous release stored it: today's store also writes columns added
/// since (a survey's status, migration 0022). Returns its id.
pub(crate) async fn old_survey(db: &TestDb, ws: i64, slug: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let id = sqlx::query_scalar(
        "INSERT INTO surveys (workspace_id, slug, public_id, kind, name, default_language, \
         texts, created_at) VALUES ($1, $2, $3, 'nps', $2, 'en', '{}', 0) RETURNING id",
    )
    .bind(ws)
    .bind(slug)
    .bind(format!("old-{slug}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    id
}

fn every_case() -> CaseFilter {
    CaseFilter {
        limit: 50,
        ..Default::default()
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "advocate-migrations-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn answers_and_cases_survive_the_rebuild_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        migrate_to_before(&db).await;
        // Today's store fills the previous release's tables. Its reaction to an answer
        // reads tables added since (alert subscriptions, staff languages), so the answers
        // are recorded without one and their case is written as that release wrote it.
        let store = Store::connect(&db.url).await.unwrap();
        let ws = workspace(&store).await;
        let survey = old_survey(&db, ws, "rel").await;
        store
            .customers()
            .upsert(ws, &customer("c1", "pro"))
            .await
            .unwrap();
        let mut keyed = answer(ws, survey, 2, at(2026, 3, 1));
        keyed.respondent = Respondent::Known("c1".into());
        keyed.external_id = Some("e1".into());
        keyed.idempotency_key = Some(IdempotencyKey::parse(b"k1").unwrap());
        keyed.request_hash = Some("h1".into());
        let ids = store
            .answers()
            .record_many(&[keyed, answer(ws, survey, 9, at(2026, 3, 2))], false)
            .await
            .unwrap();
        let (keyed_id, plain_id) = (ids[0], ids[1]);
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        sqlx::query(
            "INSERT INTO cases (workspace_id, customer_id, answer_id, survey_id, score, priority, \
             status, assignee, language, sla_due_at, created_at, updated_at) \
             SELECT workspace_id, customer_id, id, survey_id, score, 'high', 'open', 'queue', 'en', \
             answered_at + 86400, answered_at, answered_at FROM answers WHERE id = $1",
        )
        .bind(keyed_id)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        let cases_before = store.cases().list(ws, &every_case()).await.unwrap();
        assert_eq!(cases_before.total, 1, "the detractor opened a case");
        drop(store);

        let store = db.store().await; // migrates to the latest version
        let cases = store.cases().list(ws, &every_case()).await.unwrap();
        assert_eq!(cases.total, 1);
        let case = store
            .cases()
            .get(ws, cases.cases[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            case.answers.iter().map(|a| a.answer_id).collect::<Vec<_>>(),
            vec![keyed_id],
            "the case still links its answer"
        );
        assert_eq!(
            store
                .analytics()
                .report(&query(ws, None))
                .await
                .unwrap()
                .summary
                .n,
            2
        );

        // The keys are still unique...
        let mut again = answer(ws, survey, 5, at(2026, 3, 3));
        again.external_id = Some("e1".into());
        conflict(store.answers().record(&again).await);
        let mut retry = answer(ws, survey, 2, at(2026, 3, 1));
        retry.respondent = Respondent::Known("c1".into());
        retry.external_id = Some("e1".into());
        retry.idempotency_key = Some(IdempotencyKey::parse(b"k1").unwrap());
        retry.request_hash = Some("h1".into());
        let replayed = store.answers().record(&retry).await.unwrap();
        assert!(replayed.replayed);
        assert_eq!(replayed.answer.id, keyed_id);
        // ...while any number of answers have none, and ids keep counting up.
        let later = store
            .answers()
            .record(&answer(ws, survey, 10, at(2026, 3, 4)))
            .await
            .unwrap()
            .answer;
        assert!(later.id > plain_id);

        // The writer enforces references again once the migration is done.
        assert!(store.writer_enforces_foreign_keys().await.unwrap());
        assert_eq!(
            store
                .analytics()
                .report(&query(ws, None))
                .await
                .unwrap()
                .summary
                .n,
            3
        );
    }
}
