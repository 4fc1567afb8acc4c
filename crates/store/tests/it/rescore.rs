//! A changed score re-runs the reaction (advocate_core::rescore), on every backend: each
//! transition's case, notes, timeline, engagements, outbox and webhooks. Also anonymous
//! detractors (flagged for review, or a case without contact steps) and review requests
//! that are not sent without a review site link.

use crate::common::*;
use advocate_core::case::{CaseStatus, CaseUpdate, Outcome};
use advocate_core::customer::CustomerInput;
use advocate_core::playbook::default_playbook;
use advocate_core::{EngagementKind, Priority, Score, SurveyKind};
use advocate_store::closed_loop::cases::{Case, CaseFilter};
use advocate_store::closed_loop::engagements::{EngagementFilter, EngagementStatus};
use advocate_store::delivery::outbox::{MessageKind, OutboxStatus};
use advocate_store::models::{AnonymousDetractors, Respondent, ReviewLink, WorkspaceSettings};
use advocate_store::Store;
use chrono::{Duration, Utc};
use serde_json::Value;

use EngagementKind::*;

/// A workspace with a review link, a webhook for every event and an NPS survey.
async fn setup(store: &Store, review_link: bool) -> (i64, i64) {
    let ws = workspace(store).await;
    let settings = WorkspaceSettings {
        review_links: if review_link {
            vec![ReviewLink {
                name: "Trustpilot".into(),
                url: "https://trustpilot.example/review/acme".into(),
            }]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    store
        .webhooks()
        .create(ws, "http://127.0.0.1:9/hook", &["*".to_owned()])
        .await
        .unwrap();
    let survey = create_survey(store, ws, "rel", SurveyKind::Nps).await;
    (ws, survey.id)
}

/// Records a live answer of customer `who` (with an email address); returns its id.
async fn answered(store: &Store, ws: i64, survey: i64, who: &str, score: u8) -> i64 {
    let mut a = answer(ws, survey, score, Utc::now() - Duration::minutes(5));
    a.respondent = Respondent::Inline(CustomerInput {
        external_id: who.into(),
        name: Some(format!("Kari {who}")),
        email: Some(format!("{who}@example.com")),
        ..Default::default()
    });
    store.answers().record(&a).await.unwrap().answer.id
}

async fn cases_of(store: &Store, ws: i64, who: &str) -> Vec<Case> {
    let filter = CaseFilter {
        customer: Some(who.into()),
        limit: 50,
        ..Default::default()
    };
    let mut cases = store.cases().list(ws, &filter).await.unwrap().cases;
    cases.sort_by_key(|c| c.id);
    cases
}

/// The data of every pending webhook for `event`, oldest first.
async fn webhooks(store: &Store, ws: i64, event: &str) -> Vec<Value> {
    let mut found: Vec<(i64, Value)> = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 1000, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::Webhook && m.event == event)
        .map(|m| {
            let body: Value = serde_json::from_str(&m.payload).unwrap();
            (m.id, body["data"].clone())
        })
        .collect();
    found.sort_by_key(|(id, _)| *id);
    found.into_iter().map(|(_, d)| d).collect()
}

/// Pending emails for `event`.
async fn emails(store: &Store, ws: i64, event: &str) -> usize {
    store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 1000, None)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.kind == MessageKind::Email && m.event == event)
        .count()
}

/// The customer's engagements as (kind, status), oldest first.
async fn engagements(store: &Store, ws: i64, who: &str) -> Vec<(EngagementKind, EngagementStatus)> {
    let filter = EngagementFilter {
        customer: Some(who.into()),
        limit: 100,
        ..Default::default()
    };
    let mut page = store
        .engagements()
        .list(ws, &filter)
        .await
        .unwrap()
        .engagements;
    page.sort_by_key(|e| e.id);
    page.into_iter().map(|e| (e.kind, e.status)).collect()
}

async fn timeline_kinds(store: &Store, ws: i64, who: &str) -> Vec<(String, String)> {
    store
        .timelines()
        .of_customer(ws, who)
        .await
        .unwrap()
        .unwrap()
        .events
        .into_iter()
        .map(|e| (e.kind, e.summary))
        .collect()
}

async fn notes(store: &Store, ws: i64, case: i64) -> Vec<(String, String)> {
    store
        .cases()
        .get(ws, case)
        .await
        .unwrap()
        .unwrap()
        .notes
        .into_iter()
        .map(|n| (n.author, n.body))
        .collect()
}

/// Delivers every pending thank-you (as the worker would), marking its engagements sent.
async fn deliver_thank_yous(store: &Store, ws: i64) {
    for m in store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 1000, None)
        .await
        .unwrap()
    {
        if m.event == "promoter.thank_you" {
            store.outbox().delivered(m.id, 5).await.unwrap();
        }
    }
}

async fn detractor_who_becomes_a_promoter_before_any_work(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let id = answered(&store, ws, survey, "ola", 2).await;
    let case = cases_of(&store, ws, "ola").await.remove(0);
    assert_eq!(case.priority, Priority::High);
    store.answers().change_score(ws, id, 10).await.unwrap();

    let cases = cases_of(&store, ws, "ola").await;
    assert_eq!(cases.len(), 1, "no second case");
    let case = &cases[0];
    assert_eq!(case.status, CaseStatus::Closed);
    assert_eq!(case.outcome, Some(Outcome::Withdrawn));
    assert_eq!(case.score, 10, "the case shows the new score");
    assert!(case.closed_at.is_some());
    assert_eq!(
        notes(&store, ws, case.id).await,
        [(
            "Advocate".to_owned(),
            "Withdrawn — score changed to 10".to_owned()
        )]
    );
    let updated = webhooks(&store, ws, "case.updated").await;
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["case_id"], case.id);
    assert_eq!(updated[0]["status"], "closed");
    assert_eq!(updated[0]["outcome"], "withdrawn");
    assert_eq!(updated[0]["previous_score"], 2);
    assert_eq!(updated[0]["score"], 10);
    // Now a promoter: thanked like any 10, once.
    assert_eq!(
        engagements(&store, ws, "ola").await,
        [
            ThankYou,
            DiscountCode,
            ReviewRequest,
            PanelInvitation,
            Reward
        ]
        .map(|k| (k, EngagementStatus::Queued))
    );
    assert_eq!(emails(&store, ws, "promoter.thank_you").await, 1);
    let timeline = timeline_kinds(&store, ws, "ola").await;
    assert!(
        timeline
            .iter()
            .any(|(k, s)| k == "score_changed" && s.ends_with("from 2 to 10")),
        "{timeline:?}"
    );
    assert!(timeline.contains(&(
        "case_closed".into(),
        format!("Case #{} closed: withdrawn — score changed to 10", case.id)
    )));
    let record = store
        .timelines()
        .of_customer(ws, "ola")
        .await
        .unwrap()
        .unwrap();
    assert!(
        record.follow_up.is_none(),
        "the case's follow-up flag is cleared"
    );
    let health = store.cases().health(ws, None).await.unwrap();
    assert_eq!((health.open, health.resolved, health.withdrawn), (0, 0, 1));
}

#[tokio::test]
async fn detractor_who_becomes_a_promoter_before_any_work_on_every_backend() {
    on_every_backend!(detractor_who_becomes_a_promoter_before_any_work);
}

async fn detractor_who_becomes_a_promoter_after_work_started(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let id = answered(&store, ws, survey, "ola", 2).await;
    let case = cases_of(&store, ws, "ola").await.remove(0);
    store
        .cases()
        .add_note(ws, case.id, "kari@example.com", "Called, left a message")
        .await
        .unwrap();
    let before = webhooks(&store, ws, "case.updated").await.len();
    store.answers().change_score(ws, id, 10).await.unwrap();

    let case = cases_of(&store, ws, "ola").await.remove(0);
    assert_eq!(
        case.status,
        CaseStatus::Open,
        "work started: the case stays open"
    );
    assert_eq!(case.outcome, None);
    assert_eq!(case.score, 10);
    assert_eq!(case.priority, Priority::High);
    let notes = notes(&store, ws, case.id).await;
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1].0, "Advocate");
    assert!(notes[1].1.contains("from 2 to 10"), "{notes:?}");
    assert!(notes[1].1.contains("stays open"), "{notes:?}");
    let updated = webhooks(&store, ws, "case.updated").await;
    assert_eq!(updated.len(), before + 1);
    assert_eq!(updated[before]["status"], "open");
    assert_eq!(updated[before]["score"], 10);
    let timeline = timeline_kinds(&store, ws, "ola").await;
    assert!(timeline
        .iter()
        .any(|(k, s)| k == "note_added" && s.contains("stays open")));
    assert!(timeline.iter().any(|(k, _)| k == "score_changed"));
}

#[tokio::test]
async fn detractor_who_becomes_a_promoter_after_work_started_on_every_backend() {
    on_every_backend!(detractor_who_becomes_a_promoter_after_work_started);
}

async fn promoter_who_drops_to_a_detractor_after_being_thanked(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let id = answered(&store, ws, survey, "ola", 9).await;
    deliver_thank_yous(&store, ws).await;
    let sent = [
        (ThankYou, EngagementStatus::Sent),
        (ReviewRequest, EngagementStatus::Sent),
    ];
    assert_eq!(engagements(&store, ws, "ola").await, sent);
    store.answers().change_score(ws, id, 6).await.unwrap();

    let cases = cases_of(&store, ws, "ola").await;
    assert_eq!(cases.len(), 1, "a case as a new 6 would open");
    let case = &cases[0];
    assert_eq!(case.answer_id, id);
    assert_eq!(case.score, 6);
    assert_eq!(case.priority, Priority::Normal);
    assert_eq!(case.status, CaseStatus::Open);
    let steps: Vec<String> = store
        .cases()
        .get(ws, case.id)
        .await
        .unwrap()
        .unwrap()
        .steps
        .into_iter()
        .map(|s| s.text)
        .collect();
    assert_eq!(steps, default_playbook(Score::new(6).unwrap()).steps);
    let created = webhooks(&store, ws, "case.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["score"], 6);
    // What was sent stays sent, and nothing is sent again.
    assert_eq!(engagements(&store, ws, "ola").await, sent);
    assert_eq!(emails(&store, ws, "promoter.thank_you").await, 0);
    let timeline = timeline_kinds(&store, ws, "ola").await;
    assert!(timeline.iter().any(|(k, _)| k == "case_opened"));
    assert!(timeline
        .iter()
        .any(|(k, s)| k == "score_changed" && s.ends_with("from 9 to 6")));
}

#[tokio::test]
async fn promoter_who_drops_to_a_detractor_after_being_thanked_on_every_backend() {
    on_every_backend!(promoter_who_drops_to_a_detractor_after_being_thanked);
}

async fn detractor_whose_score_changes_within_detractors(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    // 3 → 5 with nothing ticked: the playbook of 5.
    let fresh = answered(&store, ws, survey, "ola", 3).await;
    store.answers().change_score(ws, fresh, 5).await.unwrap();
    let case = cases_of(&store, ws, "ola").await.remove(0);
    let five = default_playbook(Score::new(5).unwrap());
    assert_eq!(case.score, 5);
    assert_eq!(case.priority, Priority::Medium);
    assert_eq!(case.status, CaseStatus::Open);
    let sla = WorkspaceSettings::default().sla_hours;
    let due = case.sla_due_at - case.created_at;
    assert!(
        (due - Duration::hours(i64::from(sla.medium)))
            .num_minutes()
            .abs()
            <= 6,
        "the SLA of a medium case: {due:?}"
    );
    let detail = store.cases().get(ws, case.id).await.unwrap().unwrap();
    let steps: Vec<&str> = detail.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(steps, five.steps);
    assert!(
        detail.notes[0].body.contains("playbook for 5"),
        "{:?}",
        detail.notes
    );
    let updated = webhooks(&store, ws, "case.updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["score"], 5);

    // 3 → 5 after a step was ticked: the steps and priority stay.
    let worked = answered(&store, ws, survey, "nils", 3).await;
    let case = cases_of(&store, ws, "nils").await.remove(0);
    let update = CaseUpdate {
        steps: vec![(0, true)],
        ..Default::default()
    };
    store
        .cases()
        .update(ws, case.id, &update, "kari@example.com")
        .await
        .unwrap();
    store.answers().change_score(ws, worked, 5).await.unwrap();
    let case = cases_of(&store, ws, "nils").await.remove(0);
    assert_eq!(case.score, 5, "the new score is shown");
    assert_eq!(case.priority, Priority::High, "the priority stays");
    let detail = store.cases().get(ws, case.id).await.unwrap().unwrap();
    let steps: Vec<&str> = detail.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(steps, default_playbook(Score::new(3).unwrap()).steps);
    assert!(
        detail.steps[0].done_at.is_some(),
        "the ticked step stays ticked"
    );
    let last = detail.notes.last().unwrap();
    assert_eq!(last.author, "Advocate");
    assert!(last.body.contains("from 3 to 5"), "{last:?}");
    assert!(last.body.contains("stay as they are"), "{last:?}");
    let updated = webhooks(&store, ws, "case.updated").await;
    assert_eq!(updated.last().unwrap()["case_id"], case.id);
    assert_eq!(updated.last().unwrap()["score"], 5);
}

#[tokio::test]
async fn detractor_whose_score_changes_within_detractors_on_every_backend() {
    on_every_backend!(detractor_whose_score_changes_within_detractors);
}

async fn promoter_changes_send_nothing_twice(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    // 7 → 10: the engagements of a 10, never sent before.
    let passive = answered(&store, ws, survey, "ola", 7).await;
    assert!(engagements(&store, ws, "ola").await.is_empty());
    store.answers().change_score(ws, passive, 10).await.unwrap();
    assert_eq!(
        engagements(&store, ws, "ola").await,
        [
            ThankYou,
            DiscountCode,
            ReviewRequest,
            PanelInvitation,
            Reward
        ]
        .map(|k| (k, EngagementStatus::Queued))
    );
    assert_eq!(emails(&store, ws, "promoter.thank_you").await, 1);
    assert!(cases_of(&store, ws, "ola").await.is_empty());

    // 10 → 9: still a promoter; nothing new, nothing cancelled.
    let ten = answered(&store, ws, survey, "nils", 10).await;
    deliver_thank_yous(&store, ws).await;
    let before = engagements(&store, ws, "nils").await;
    assert_eq!(before.len(), 5);
    let queued_before = webhooks(&store, ws, "engagement.updated").await.len();
    store.answers().change_score(ws, ten, 9).await.unwrap();
    assert_eq!(engagements(&store, ws, "nils").await, before);
    assert_eq!(emails(&store, ws, "promoter.thank_you").await, 0);
    assert_eq!(
        webhooks(&store, ws, "engagement.updated").await.len(),
        queued_before
    );
    let timeline = timeline_kinds(&store, ws, "nils").await;
    assert!(timeline
        .iter()
        .any(|(k, s)| k == "score_changed" && s.ends_with("from 10 to 9")));
}

#[tokio::test]
async fn promoter_changes_send_nothing_twice_on_every_backend() {
    on_every_backend!(promoter_changes_send_nothing_twice);
}

async fn queued_engagements_are_cancelled_when_a_promoter_drops(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let id = answered(&store, ws, survey, "ola", 10).await;
    assert_eq!(emails(&store, ws, "promoter.thank_you").await, 1);
    store.answers().change_score(ws, id, 6).await.unwrap();

    assert_eq!(
        engagements(&store, ws, "ola").await,
        [
            ThankYou,
            DiscountCode,
            ReviewRequest,
            PanelInvitation,
            Reward
        ]
        .map(|k| (k, EngagementStatus::Cancelled))
    );
    assert_eq!(
        emails(&store, ws, "promoter.thank_you").await,
        0,
        "the thank-you that carried them is taken back"
    );
    let cancelled: Vec<Value> = webhooks(&store, ws, "engagement.updated")
        .await
        .into_iter()
        .filter(|d| d["status"] == "cancelled")
        .collect();
    assert_eq!(cancelled.len(), 5);
    assert!(cancelled.iter().all(|d| d["previous_status"] == "queued"));
    let cases = cases_of(&store, ws, "ola").await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].priority, Priority::Normal);
    let timeline = timeline_kinds(&store, ws, "ola").await;
    assert!(timeline.iter().any(|(k, _)| k == "engagement_cancelled"));

    // Back to 10: what was cancelled (never sent) may be queued again, once.
    store.answers().change_score(ws, id, 10).await.unwrap();
    assert_eq!(emails(&store, ws, "promoter.thank_you").await, 1);
    let now = engagements(&store, ws, "ola").await;
    assert_eq!(
        now.iter()
            .filter(|(_, s)| *s == EngagementStatus::Queued)
            .count(),
        5
    );
    let case = cases_of(&store, ws, "ola").await.remove(0);
    assert_eq!(case.outcome, Some(Outcome::Withdrawn));
}

#[tokio::test]
async fn queued_engagements_are_cancelled_when_a_promoter_drops_on_every_backend() {
    on_every_backend!(queued_engagements_are_cancelled_when_a_promoter_drops);
}

/// A detractor case that stayed open through a rise to 9 (work had started) shows the
/// detractor score again when it drops back, instead of taking its own answer as a new one.
async fn back_to_a_detractor_while_its_case_is_open(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let id = answered(&store, ws, survey, "ola", 3).await;
    let case = cases_of(&store, ws, "ola").await.remove(0);
    let update = CaseUpdate {
        steps: vec![(0, true)],
        ..Default::default()
    };
    store
        .cases()
        .update(ws, case.id, &update, "kari@example.com")
        .await
        .unwrap();
    store.answers().change_score(ws, id, 9).await.unwrap();
    store.answers().change_score(ws, id, 6).await.unwrap();
    let cases = cases_of(&store, ws, "ola").await;
    assert_eq!(cases.len(), 1, "no second case");
    assert_eq!((cases[0].id, cases[0].score), (case.id, 6));
    assert_eq!(cases[0].status, CaseStatus::Open);
    let notes = notes(&store, ws, case.id).await;
    assert!(
        notes
            .iter()
            .any(|(_, text)| text == "Score changed from 9 to 6"),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|(_, text)| text.starts_with("New answer")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn back_to_a_detractor_while_its_case_is_open_on_every_backend() {
    on_every_backend!(back_to_a_detractor_while_its_case_is_open);
}

/// A thank-you a delivery worker has claimed is on its way: a drop below 9 cannot take
/// it back, so its engagements stay queued (and its code stays the customer's), the
/// delivery is recorded, and going back to 10 sends nothing twice.
async fn a_thank_you_being_delivered_is_not_taken_back(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let id = answered(&store, ws, survey, "ola", 10).await;
    let claimed: Vec<_> = store
        .outbox()
        .claim(&[MessageKind::Email], 100, 60)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.event == "promoter.thank_you")
        .collect();
    assert_eq!(claimed.len(), 1);
    store.answers().change_score(ws, id, 2).await.unwrap();
    assert!(
        engagements(&store, ws, "ola")
            .await
            .iter()
            .all(|(_, s)| *s == EngagementStatus::Queued),
        "engagements on their way are not cancelled"
    );
    store.outbox().delivered(claimed[0].id, 5).await.unwrap();
    let codes = store
        .engagements()
        .discount_codes(ws, None, 100, 0)
        .await
        .unwrap()
        .codes;
    assert_eq!(
        codes.iter().filter(|c| c.engagement_id.is_some()).count(),
        1,
        "the code that was sent stays given"
    );
    store.answers().change_score(ws, id, 10).await.unwrap();
    assert_eq!(
        emails(&store, ws, "promoter.thank_you").await,
        0,
        "nothing is sent twice"
    );
    assert_eq!(engagements(&store, ws, "ola").await.len(), 5);
}

#[tokio::test]
async fn a_thank_you_being_delivered_is_not_taken_back_on_every_backend() {
    on_every_backend!(a_thank_you_being_delivered_is_not_taken_back);
}

async fn anonymous_detractors_are_flagged_for_review_by_default(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let mut a = answer(ws, survey, 2, Utc::now() - Duration::minutes(5));
    a.comment = Some("Slow checkout".into());
    let anon = store.answers().record(&a).await.unwrap().answer.id;
    let known = answered(&store, ws, survey, "ola", 2).await;
    let all = CaseFilter {
        limit: 50,
        ..Default::default()
    };
    let cases = store.cases().list(ws, &all).await.unwrap().cases;
    assert_eq!(cases.len(), 1, "only the known detractor opens a case");
    assert_eq!(cases[0].answer_id, known);
    let flagged = store
        .cases()
        .anonymous_for_review(ws, &[anon, known])
        .await
        .unwrap();
    assert_eq!(flagged.into_iter().collect::<Vec<_>>(), [anon]);
    let health = store.cases().health(ws, None).await.unwrap();
    assert_eq!(health.anonymous_for_review, 1);
    assert_eq!(webhooks(&store, ws, "case.created").await.len(), 1);
    // An anonymous answer changed to a detractor score is flagged the same way.
    let happy = store
        .answers()
        .record(&answer(ws, survey, 9, Utc::now()))
        .await
        .unwrap()
        .answer
        .id;
    store.answers().change_score(ws, happy, 4).await.unwrap();
    assert_eq!(store.cases().list(ws, &all).await.unwrap().total, 1);
    assert_eq!(
        store
            .cases()
            .health(ws, None)
            .await
            .unwrap()
            .anonymous_for_review,
        2
    );
}

#[tokio::test]
async fn anonymous_detractors_are_flagged_for_review_by_default_on_every_backend() {
    on_every_backend!(anonymous_detractors_are_flagged_for_review_by_default);
}

async fn a_workspace_may_open_cases_for_anonymous_detractors(store: Store) {
    let (ws, survey) = setup(&store, true).await;
    let mut settings = store.settings().get(ws).await.unwrap();
    settings.anonymous_detractors = AnonymousDetractors::Case;
    store.settings().save(ws, &settings).await.unwrap();
    let anon = store
        .answers()
        .record(&answer(ws, survey, 1, Utc::now()))
        .await
        .unwrap()
        .answer
        .id;
    let all = CaseFilter {
        limit: 50,
        ..Default::default()
    };
    let cases = store.cases().list(ws, &all).await.unwrap().cases;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].priority, Priority::Critical);
    let detail = store.cases().get(ws, cases[0].id).await.unwrap().unwrap();
    let steps: Vec<&str> = detail.steps.iter().map(|s| s.text.as_str()).collect();
    assert!(steps[0].contains("cannot be contacted"), "{steps:?}");
    for contact in ["Contact", "Apologise", "compensation", "Follow up", "Email"] {
        assert!(steps.iter().all(|s| !s.contains(contact)), "{steps:?}");
    }
    assert!(store
        .cases()
        .anonymous_for_review(ws, &[anon])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .cases()
            .health(ws, None)
            .await
            .unwrap()
            .anonymous_for_review,
        0
    );
}

#[tokio::test]
async fn a_workspace_may_open_cases_for_anonymous_detractors_on_every_backend() {
    on_every_backend!(a_workspace_may_open_cases_for_anonymous_detractors);
}

async fn no_review_request_without_a_review_link(store: Store) {
    let (ws, survey) = setup(&store, false).await;
    answered(&store, ws, survey, "ola", 9).await;
    assert_eq!(
        engagements(&store, ws, "ola").await,
        [(ThankYou, EngagementStatus::Queued)]
    );
    let thank_you = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 100, None)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.event == "promoter.thank_you")
        .unwrap();
    assert!(
        !thank_you.payload.to_lowercase().contains("review"),
        "no ask with nothing to click: {}",
        thank_you.payload
    );
    answered(&store, ws, survey, "nils", 10).await;
    let kinds: Vec<EngagementKind> = engagements(&store, ws, "nils")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds, [ThankYou, DiscountCode, PanelInvitation, Reward]);
}

#[tokio::test]
async fn no_review_request_without_a_review_link_on_every_backend() {
    on_every_backend!(no_review_request_without_a_review_link);
}
