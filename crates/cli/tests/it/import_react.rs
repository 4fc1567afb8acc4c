//! `advocate import responses` (the old name of `import answers`, kept as an alias):
//! imported answers are history and set off no playbook, unless `--react-since DATE` says
//! which are recent enough to act on; those react exactly as live answers would. Run as
//! the real binary on SQLite and PostgreSQL.

use advocate_core::customer::CustomerInput;
use advocate_core::{Label, Language, SurveyKind};
use advocate_store::closed_loop::cases::CaseFilter;
use advocate_store::closed_loop::engagements::EngagementFilter;
use advocate_store::delivery::outbox::OutboxStatus;
use advocate_store::models::NewSurvey;
use advocate_store::testing::TestDb;
use advocate_store::Store;
use chrono::{Duration, Utc};
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_advocate");

async fn import(db: &TestDb, file: &std::path::Path, options: &[&str]) -> Output {
    tokio::process::Command::new(BIN)
        .args(["import", "responses", file.to_str().unwrap()])
        .args(options)
        .env("ADVOCATE_DATABASE_URL", &db.url)
        .env_remove("ADVOCATE_DATA_DIR")
        .env_remove("ADVOCATE_WORKSPACE")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run advocate")
}

async fn setup(store: &Store) -> i64 {
    let ws = store
        .workspaces()
        .create("acme", "Acme", &Language::english())
        .await
        .unwrap();
    let survey = NewSurvey {
        slug: Label::new("rel").unwrap(),
        kind: SurveyKind::Nps,
        name: "Relationship".into(),
        touchpoint: None,
        default_language: Language::english(),
        texts: Default::default(),
    };
    store.surveys().create(ws.id, &survey).await.unwrap();
    for id in ["old-d", "old-p", "new-d", "new-p"] {
        let customer = CustomerInput {
            external_id: id.into(),
            email: Some(format!("{id}@example.com")),
            ..Default::default()
        };
        store.customers().upsert(ws.id, &customer).await.unwrap();
    }
    ws.id
}

async fn cases(store: &Store, ws: i64) -> Vec<Option<String>> {
    let filter = CaseFilter {
        limit: 50,
        ..Default::default()
    };
    let mut found: Vec<Option<String>> = store
        .cases()
        .list(ws, &filter)
        .await
        .unwrap()
        .cases
        .into_iter()
        .map(|c| c.customer_external_id)
        .collect();
    found.sort();
    found
}

async fn engaged(store: &Store, ws: i64) -> Vec<String> {
    let filter = EngagementFilter {
        limit: 50,
        ..Default::default()
    };
    let mut found: Vec<String> = store
        .engagements()
        .list(ws, &filter)
        .await
        .unwrap()
        .engagements
        .into_iter()
        .filter_map(|e| e.customer)
        .collect();
    found.sort();
    found.dedup();
    found
}

async fn pending(store: &Store, ws: i64) -> Vec<String> {
    let mut events: Vec<String> = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 500, None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.event)
        .collect();
    events.sort();
    events.dedup();
    events
}

async fn react_since(db: TestDb) {
    let store = db.store().await;
    let ws = setup(&store).await;
    let day = |ago: i64| {
        (Utc::now() - Duration::days(ago))
            .format("%Y-%m-%d")
            .to_string()
    };
    let dir = std::env::temp_dir().join(format!(
        "advocate-import-react-{}-{:?}",
        std::process::id(),
        db.backend
    ));
    std::fs::create_dir_all(&dir).unwrap();

    // Without the option: history, nothing set off.
    let quiet = dir.join("quiet.csv");
    std::fs::write(
        &quiet,
        format!(
            "survey,score,answered_at,customer_id,external_id\n\
             rel,1,{},new-d,q1\nrel,10,{},new-p,q2\n",
            day(1),
            day(1)
        ),
    )
    .unwrap();
    let out = import(&db, &quiet, &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cases(&store, ws).await.is_empty(), "{:?}", db.backend);
    assert!(engaged(&store, ws).await.is_empty());
    assert!(pending(&store, ws).await.is_empty());

    // A bad date is named and nothing is imported.
    let mixed = dir.join("mixed.csv");
    std::fs::write(
        &mixed,
        format!(
            "survey,score,answered_at,customer_id,external_id\n\
             rel,2,{},old-d,m1\nrel,10,{},old-p,m2\nrel,0,{},new-d,m3\nrel,9,{},new-p,m4\n",
            day(40),
            day(40),
            day(2),
            day(2)
        ),
    )
    .unwrap();
    let out = import(&db, &mixed, &["--react-since", "2026-13-01"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--react-since"), "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    assert_eq!(store.answers().count(ws).await.unwrap(), 2);

    // With it: answers on or after the day react as live ones; older ones stay quiet.
    let since = day(10);
    let out = import(&db, &mixed, &["--react-since", &since]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(store.answers().count(ws).await.unwrap(), 6);
    assert_eq!(
        cases(&store, ws).await,
        [Some("new-d".to_owned())],
        "{:?}",
        db.backend
    );
    assert_eq!(engaged(&store, ws).await, ["new-p"]);
    assert_eq!(pending(&store, ws).await, ["promoter.thank_you"]);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn react_since_sets_off_only_recent_answers_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        react_since(db).await;
    }
}
