//! A case opened by hand for an answer that has none, on every backend: the playbook of
//! its score, assigned to the person, noted and announced; one per answer, also when
//! asked for at once; refused for answers nobody can be written to about.

use crate::common::*;
use advocate_core::playbook::default_playbook;
use advocate_core::{Priority, Rating, Score, SurveyKind};
use advocate_store::closed_loop::cases::{CaseFilter, HandOpened};
use advocate_store::delivery::outbox::{MessageKind, OutboxStatus};
use advocate_store::models::{NewAnswer, Respondent, WorkspaceSettings};
use advocate_store::Store;
use chrono::{Duration, Utc};

const KARI: &str = "kari@example.com";

/// A live answer of customer `id` (with an email address) to `survey_id`.
fn answer_of(ws: i64, survey_id: i64, id: &str, score: u8) -> NewAnswer {
    let mut a = answer(ws, survey_id, score, Utc::now() - Duration::days(30));
    a.comment = Some("Fine, but slow".into());
    let mut c = customer(id, "basic");
    c.email = Some(format!("{id}@example.com"));
    c.language = None;
    a.respondent = Respondent::Inline(c);
    a
}

async fn record(store: &Store, a: NewAnswer) -> i64 {
    store.answers().record(&a).await.unwrap().answer.id
}

async fn case_count(store: &Store, ws: i64) -> u64 {
    let all = CaseFilter {
        limit: 50,
        ..Default::default()
    };
    store.cases().list(ws, &all).await.unwrap().total
}

/// (kind, payload) of the workspace's pending outbox messages about `event`.
async fn outbox(store: &Store, ws: i64, event: &str) -> Vec<(MessageKind, String)> {
    store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 500, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.event == event)
        .map(|m| (m.kind, m.payload))
        .collect()
}

async fn a_passive_gets_a_case_by_hand(store: Store) {
    let ws = workspace(&store).await;
    store
        .webhooks()
        .create(ws, "http://127.0.0.1:9/hook", &["*".to_owned()])
        .await
        .unwrap();
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let answer_id = record(&store, answer_of(ws, survey.id, "ann", 7)).await;
    assert_eq!(case_count(&store, ws).await, 0, "a passive opens no case");

    let about = store
        .cases()
        .answer_to_follow_up(ws, answer_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(about.case_id, None);
    assert_eq!(about.refusal(), None);
    assert_eq!(about.email(), Some("ann@example.com"));

    let opened = store
        .cases()
        .open_by_hand(ws, answer_id, KARI, Some(KARI))
        .await
        .unwrap();
    let HandOpened::Opened(id) = opened else {
        panic!("expected a new case, got {opened:?}")
    };
    let d = store.cases().get(ws, id).await.unwrap().unwrap();
    assert_eq!(d.case.answer_id, answer_id);
    assert_eq!(d.case.score, 7);
    assert_eq!(d.case.assignee, KARI, "the case is the opener's");
    assert_eq!(d.case.priority, Priority::Normal);
    let playbook = default_playbook(Score::new(7).unwrap());
    let steps: Vec<&str> = d.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(steps, playbook.steps, "the playbook of the answer's score");
    let sla = WorkspaceSettings::default()
        .sla_hours
        .for_priority(Priority::Normal);
    assert!(
        d.case.sla_due_at > Utc::now() + Duration::hours(i64::from(sla) - 1),
        "first contact is due within the SLA from now, not from the month-old answer: {}",
        d.case.sla_due_at
    );
    assert!(!d.case.overdue);
    let notes: Vec<&str> = d.notes.iter().map(|n| n.body.as_str()).collect();
    assert_eq!(notes, [format!("Opened by hand by {KARI}")]);

    let created = outbox(&store, ws, "case.created").await;
    let kinds: Vec<MessageKind> = created.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [MessageKind::Webhook],
        "announced, and no alert to anyone"
    );
    assert!(
        created[0].1.contains(KARI) && created[0].1.contains("opened_by"),
        "{}",
        created[0].1
    );

    let again = store
        .cases()
        .open_by_hand(ws, answer_id, "bo@example.com", None)
        .await;
    assert_eq!(again.unwrap(), HandOpened::Existing(id), "no second case");
    assert_eq!(case_count(&store, ws).await, 1);
    let about = store
        .cases()
        .answer_to_follow_up(ws, answer_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(about.case_id, Some(id));
    let timeline = store
        .timelines()
        .of_customer(ws, "ann")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        timeline.answers[0].case_id,
        Some(id),
        "the record links the case"
    );
}

#[tokio::test]
async fn a_passive_gets_a_case_by_hand_on_every_backend() {
    on_every_backend!(a_passive_gets_a_case_by_hand);
}

/// An answer with a case (a detractor's, opened by the reaction, or one it joined) keeps it.
async fn an_answer_with_a_case_keeps_it(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let first = record(&store, answer_of(ws, survey.id, "ann", 2)).await;
    let joined = record(&store, answer_of(ws, survey.id, "ann", 8)).await;
    let opened = store
        .cases()
        .answer_to_follow_up(ws, first)
        .await
        .unwrap()
        .unwrap();
    let case_id = opened.case_id.expect("the detractor opened a case");
    assert_eq!(
        store
            .cases()
            .open_by_hand(ws, first, KARI, Some(KARI))
            .await
            .unwrap(),
        HandOpened::Existing(case_id)
    );
    // The later passive joined nothing: only detractors join an open case.
    let later = store
        .cases()
        .answer_to_follow_up(ws, joined)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(later.case_id, None);
    assert_eq!(case_count(&store, ws).await, 1);
}

#[tokio::test]
async fn an_answer_with_a_case_keeps_it_on_every_backend() {
    on_every_backend!(an_answer_with_a_case_keeps_it);
}

/// Eight people opening a case for one answer at once open one (on PostgreSQL these are
/// separate connections racing; the answer's lock makes them wait their turn).
async fn opening_at_once_opens_one(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let answer_id = record(&store, answer_of(ws, survey.id, "ann", 9)).await;
    let runs: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let by = format!("agent{i}@example.com");
            tokio::spawn(async move {
                store
                    .cases()
                    .open_by_hand(ws, answer_id, &by, Some(&by))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in runs {
        results.push(r.await.unwrap());
    }
    let opened: Vec<i64> = results
        .iter()
        .filter_map(|r| match r {
            HandOpened::Opened(id) => Some(*id),
            HandOpened::Existing(_) => None,
        })
        .collect();
    assert_eq!(opened.len(), 1, "{results:?}");
    assert!(
        results.iter().all(|r| r.case_id() == opened[0]),
        "{results:?}"
    );
    assert_eq!(case_count(&store, ws).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opening_at_once_opens_one_on_every_backend() {
    on_every_backend!(opening_at_once_opens_one);
}

/// Nobody to write to, or not the workspace's answer: refused, and nothing opened.
async fn answers_nobody_can_be_written_to_about_are_refused(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "rival").await;
    let nps_survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let enps_survey = create_survey(&store, ws, "staff", SurveyKind::Enps).await;
    let csat_survey = create_survey(&store, ws, "support", SurveyKind::Csat).await;

    let mut enps = answer(ws, enps_survey.id, 0, Utc::now());
    enps.score = Rating::new(SurveyKind::Enps, 8).unwrap();
    let enps = record(&store, enps).await;
    let msg = invalid(store.cases().open_by_hand(ws, enps, KARI, Some(KARI)).await);
    assert!(msg.contains("anonymous"), "{msg}");

    let anonymous = record(&store, answer(ws, nps_survey.id, 8, Utc::now())).await;
    let msg = invalid(
        store
            .cases()
            .open_by_hand(ws, anonymous, KARI, Some(KARI))
            .await,
    );
    assert!(msg.contains("no customer"), "{msg}");

    let mut csat = answer_of(ws, csat_survey.id, "ann", 0);
    csat.score = Rating::new(SurveyKind::Csat, 3).unwrap();
    let csat = record(&store, csat).await;
    let msg = invalid(store.cases().open_by_hand(ws, csat, KARI, Some(KARI)).await);
    assert!(msg.contains("only NPS answers"), "{msg}");

    let theirs = record(&store, answer_of(ws, nps_survey.id, "bo", 7)).await;
    not_found(
        store
            .cases()
            .open_by_hand(other, theirs, KARI, Some(KARI))
            .await,
    );
    assert_eq!(
        store
            .cases()
            .answer_to_follow_up(other, theirs)
            .await
            .unwrap(),
        None
    );
    not_found(
        store
            .cases()
            .open_by_hand(ws, theirs + 1000, KARI, Some(KARI))
            .await,
    );

    assert_eq!(case_count(&store, ws).await, 0, "nothing opened");
    assert_eq!(case_count(&store, other).await, 0);
}

#[tokio::test]
async fn answers_nobody_can_be_written_to_about_are_refused_on_every_backend() {
    on_every_backend!(answers_nobody_can_be_written_to_about_are_refused);
}
