//! Helpers shared by the conformance suite: builders for surveys, answers and queries,
//! and assertions on the kind of error the store returns.

use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, CiMethod, Label, Language, Rating, SurveyKind};
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::insight::report::NpsReport;
use advocate_store::models::{NewAnswer, NewSurvey, Respondent, Survey};
use advocate_store::{Store, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Runs `test` once per available backend, naming the backend on failure.
macro_rules! on_every_backend {
    ($test:ident) => {{
        for db in ::advocate_store::testing::TestDb::all().await {
            let store = db.store().await;
            eprintln!("backend: {:?}", db.backend);
            $test(store).await;
        }
    }};
}

pub async fn workspace(store: &Store) -> i64 {
    named_workspace(store, "acme").await
}

pub async fn named_workspace(store: &Store, slug: &str) -> i64 {
    store
        .workspaces()
        .create(slug, &format!("{slug} Inc."), &Language::english())
        .await
        .unwrap()
        .id
}

pub fn label(s: &str) -> Label {
    Label::new(s).unwrap()
}

pub fn lang(s: &str) -> Language {
    Language::new(s).unwrap()
}

pub fn survey(slug: &str, kind: SurveyKind, touchpoint: Option<&str>) -> NewSurvey {
    NewSurvey {
        slug: label(slug),
        kind,
        name: format!("{slug} survey"),
        touchpoint: touchpoint.map(label),
        default_language: Language::english(),
        texts: BTreeMap::new(),
    }
}

pub async fn create_survey(store: &Store, ws: i64, slug: &str, kind: SurveyKind) -> Survey {
    store
        .surveys()
        .create(ws, &survey(slug, kind, None))
        .await
        .unwrap()
}

/// Noon UTC on a day.
pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A score on the NPS scale, for answers to the tests' NPS surveys.
pub fn nps(score: u8) -> Rating {
    Rating::new(SurveyKind::Nps, i64::from(score)).unwrap()
}

pub fn answer(ws: i64, survey_id: i64, score: u8, when: DateTime<Utc>) -> NewAnswer {
    NewAnswer {
        workspace_id: ws,
        survey_id,
        respondent: Respondent::Anonymous,
        score: nps(score),
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

/// `count` anonymous answers per `(score, count)`, all at `when`.
pub fn answers(
    ws: i64,
    survey_id: i64,
    when: DateTime<Utc>,
    counts: &[(u8, usize)],
) -> Vec<NewAnswer> {
    counts
        .iter()
        .flat_map(|&(score, count)| (0..count).map(move |_| answer(ws, survey_id, score, when)))
        .collect()
}

/// A customer with a name, Norwegian as language and a `plan` attribute.
pub fn customer(id: &str, plan: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        name: Some(format!("Customer {id}")),
        language: Some(lang("nb")),
        attributes: [(label("plan"), plan.to_owned())].into(),
        ..Default::default()
    }
}

/// A report on one survey (or all NPS surveys) of a workspace, all time, Wald intervals.
pub fn query(ws: i64, survey: Option<&str>) -> NpsQuery {
    NpsQuery {
        workspace_id: ws,
        survey: survey.map(str::to_owned),
        from: None,
        to: None,
        group_by: None,
        ci: CiMethod::Wald,
        only: None,
    }
}

pub async fn report(store: &Store, q: &NpsQuery) -> NpsReport {
    store.analytics().report(q).await.unwrap()
}

/// Group key → number of answers, for a grouped report.
pub fn group_counts(r: &NpsReport) -> BTreeMap<String, u64> {
    r.groups
        .as_ref()
        .expect("a grouped report")
        .iter()
        .map(|g| (g.key.clone(), g.summary.n))
        .collect()
}

/// Group keys and answer counts in report order.
pub fn group_series(r: &NpsReport) -> Vec<(String, u64)> {
    r.groups
        .as_ref()
        .expect("a grouped report")
        .iter()
        .map(|g| (g.key.clone(), g.summary.n))
        .collect()
}

#[track_caller]
pub fn assert_close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "expected {expected} ± {tolerance}, got {actual}"
    );
}

/// The message of a `Conflict`; panics on anything else.
#[track_caller]
pub fn conflict<T: Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Conflict(msg)) => msg,
        other => panic!("expected StoreError::Conflict, got {other:?}"),
    }
}

/// The message of a `NotFound`; panics on anything else.
#[track_caller]
pub fn not_found<T: Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::NotFound(msg)) => msg,
        other => panic!("expected StoreError::NotFound, got {other:?}"),
    }
}

/// The message of an `Invalid`; panics on anything else.
#[track_caller]
pub fn invalid<T: Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid(msg)) => msg,
        other => panic!("expected StoreError::Invalid, got {other:?}"),
    }
}

/// A fresh folder under the temporary directory (not created).
pub fn temp_path(what: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "advocate-test-{what}-{}-{nanos}",
        std::process::id()
    ))
}
