//! One suite, every backend: each test runs against SQLite and, when configured,
//! PostgreSQL (see `advocate_store::testing`).

use advocate_core::{Channel, CiMethod, GroupBy, Label, Language, SurveyKind};
use advocate_store::models::{CustomerInput, NewAnswer, NewSurvey, Respondent};
use advocate_store::testing::TestDb;
use advocate_store::{NpsQuery, Store, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;

/// Runs `test` once per available backend, naming the backend on failure.
macro_rules! on_every_backend {
    ($test:ident) => {{
        for db in TestDb::all().await {
            let store = db.store().await;
            eprintln!("backend: {:?}", db.backend);
            $test(store).await;
        }
    }};
}

async fn workspace(store: &Store) -> i64 {
    store
        .create_workspace("acme", "Acme", &Language::english())
        .await
        .unwrap()
        .id
}

fn survey(slug: &str, kind: SurveyKind, touchpoint: Option<&str>) -> NewSurvey {
    NewSurvey {
        slug: Label::new(slug).unwrap(),
        kind,
        name: format!("{slug} survey"),
        touchpoint: touchpoint.map(|t| Label::new(t).unwrap()),
        default_language: Language::english(),
        texts: BTreeMap::new(),
    }
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn answer(ws: i64, survey_id: i64, score: u8, when: DateTime<Utc>) -> NewAnswer {
    NewAnswer {
        workspace_id: ws,
        survey_id,
        respondent: Respondent::Anonymous,
        score,
        comment: None,
        channel: Channel::Api,
        touchpoint: None,
        language: None,
        answered_at: when,
        external_id: None,
        idempotency_key: None,
        request_hash: None,
    }
}

fn customer(id: &str, plan: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        name: Some(format!("Customer {id}")),
        language: Some(Language::new("nb").unwrap()),
        attributes: [(Label::new("plan").unwrap(), plan.to_owned())].into(),
        ..Default::default()
    }
}

async fn answers_round_trip_with_nulls_and_rollups(store: Store) {
    let ws = workspace(&store).await;
    let s = store
        .create_survey(ws, &survey("rel", SurveyKind::Nps, Some("renewal")))
        .await
        .unwrap();
    store
        .upsert_customer(ws, &customer("C1", "premium"))
        .await
        .unwrap();
    let mut a = answer(ws, s.id, 10, at(2026, 3, 2));
    a.respondent = Respondent::Known("C1".into());
    let recorded = store.record_answer(&a).await.unwrap();
    assert!(!recorded.replayed);
    let stored = store.answer(ws, recorded.answer.id).await.unwrap().unwrap();
    assert_eq!(stored.score, 10);
    assert_eq!(stored.comment, None);
    assert_eq!(
        stored.touchpoint.as_deref(),
        Some("renewal"),
        "survey touchpoint is the default"
    );
    assert_eq!(
        stored.language.as_deref(),
        Some("nb"),
        "customer language is the default"
    );
    assert_eq!(
        stored
            .attributes
            .get(&Label::new("plan").unwrap())
            .map(String::as_str),
        Some("premium")
    );
    store
        .record_answer(&answer(ws, s.id, 3, at(2026, 3, 3)))
        .await
        .unwrap();

    let q = NpsQuery {
        workspace_id: ws,
        survey: None,
        from: None,
        to: None,
        group_by: Some(GroupBy::Segment(Label::new("plan").unwrap())),
        ci: CiMethod::Wald,
    };
    let report = store.nps_report(&q).await.unwrap();
    assert_eq!(
        (
            report.summary.n,
            report.summary.promoters,
            report.summary.detractors
        ),
        (2, 1, 1)
    );
    assert_eq!(report.summary.nps, Some(0.0));
    assert_eq!(report.summary.ambassadors, 1);
    let groups = report.groups.unwrap();
    assert_eq!(groups.len(), 1, "anonymous answers have no segment");
    assert_eq!(
        (groups[0].key.as_str(), groups[0].summary.n),
        ("premium", 1)
    );
}

#[tokio::test]
async fn answers_round_trip_on_every_backend() {
    on_every_backend!(answers_round_trip_with_nulls_and_rollups);
}

async fn idempotent_retries_never_duplicate(store: Store) {
    let ws = workspace(&store).await;
    let s = store
        .create_survey(ws, &survey("rel", SurveyKind::Nps, None))
        .await
        .unwrap();
    let mut a = answer(ws, s.id, 8, at(2026, 1, 5));
    a.idempotency_key = Some("k-1".into());
    a.request_hash = Some("h1".into());
    let first = store.record_answer(&a).await.unwrap();
    let again = store.record_answer(&a).await.unwrap();
    assert!(again.replayed);
    assert_eq!(first.answer.id, again.answer.id);
    let mut different = a.clone();
    different.request_hash = Some("h2".into());
    different.score = 2;
    match store.record_answer(&different).await {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("k-1"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.count_answers(ws).await.unwrap(), 1);
}

#[tokio::test]
async fn idempotent_retries_on_every_backend() {
    on_every_backend!(idempotent_retries_never_duplicate);
}

async fn monthly_groups_compare_with_the_previous_month(store: Store) {
    let ws = workspace(&store).await;
    let s = store
        .create_survey(ws, &survey("rel", SurveyKind::Nps, None))
        .await
        .unwrap();
    let mut batch = Vec::new();
    for _ in 0..40 {
        batch.push(answer(ws, s.id, 3, at(2026, 1, 10)));
        batch.push(answer(ws, s.id, 9, at(2026, 2, 10)));
    }
    store.record_answers(&batch).await.unwrap();
    let q = NpsQuery {
        workspace_id: ws,
        survey: Some("rel".into()),
        from: Some(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
        to: Some(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
        group_by: Some(GroupBy::Time(advocate_core::Granularity::Month)),
        ci: CiMethod::Wald,
    };
    let r = store.nps_report(&q).await.unwrap();
    let groups = r.groups.unwrap();
    let keys: Vec<_> = groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(groups[0].summary.nps, Some(-100.0));
    assert_eq!(groups[1].summary.nps, Some(100.0));
    assert_eq!(groups[2].summary.n, 0);
    let feb = groups[1].change.as_ref().unwrap();
    assert_eq!(feb.versus, "2026-01");
    assert!(feb.test.is_none(), "zero variance on both sides: no z-test");
}

#[tokio::test]
async fn monthly_groups_on_every_backend() {
    on_every_backend!(monthly_groups_compare_with_the_previous_month);
}
