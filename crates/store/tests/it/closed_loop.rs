//! Closing the loop on every backend: default and edited playbooks through real answers,
//! routing, linking repeat answers, the case lifecycle, re-surveys, escalation exactly
//! once, closed-loop health, and the outbox rows each change queues.

use crate::common::*;
use advocate_core::case::{CaseStatus, CaseUpdate, Outcome};
use advocate_core::playbook::default_playbook;
use advocate_core::{Priority, Score, SurveyKind};
use advocate_store::closed_loop::cases::CaseFilter;
use advocate_store::delivery::outbox::{MessageKind, OutboxStatus};
use advocate_store::models::{NewAnswer, Respondent, WorkspaceSettings};
use advocate_store::tenancy::settings::RoutingRuleInput;
use advocate_store::Store;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// A live answer of `customer` (created inline with an email; `None`: anonymous).
fn answer_of(
    ws: i64,
    survey_id: i64,
    customer: Option<&str>,
    score: u8,
    when: DateTime<Utc>,
) -> NewAnswer {
    let mut a = answer(ws, survey_id, score, when);
    a.comment = Some(format!("comment for {score}"));
    if let Some(id) = customer {
        let mut c = crate::common::customer(id, "basic");
        c.email = Some(format!("{id}@example.com"));
        c.language = None;
        a.respondent = Respondent::Inline(c);
    }
    a
}

fn all(limit: u32) -> CaseFilter {
    CaseFilter {
        limit,
        ..Default::default()
    }
}

fn of_customer(id: &str) -> CaseFilter {
    CaseFilter {
        customer: Some(id.into()),
        ..all(50)
    }
}

/// Messages queued in the outbox for the workspace: (kind, event) → count.
async fn outbox(store: &Store, ws: i64) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for m in store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 500, None)
        .await
        .unwrap()
    {
        *counts
            .entry((m.kind.as_str().to_owned(), m.event.clone()))
            .or_default() += 1;
    }
    counts
}

fn key(kind: MessageKind, event: &str) -> (String, String) {
    (kind.as_str().to_owned(), event.to_owned())
}

async fn with_webhook(store: &Store, ws: i64) {
    store
        .webhooks()
        .create(ws, "http://127.0.0.1:9/hook", &["*".to_owned()])
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Playbooks
// ---------------------------------------------------------------------------------------

async fn every_score_gets_its_default_playbook(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let answered = Utc::now() - Duration::minutes(30);
    let sla = WorkspaceSettings::default().sla_hours;
    for score in 0..=10u8 {
        let who = format!("c{score}");
        let recorded = store
            .answers()
            .record(&answer_of(ws, survey.id, Some(&who), score, answered))
            .await
            .unwrap();
        let page = store.cases().list(ws, &of_customer(&who)).await.unwrap();
        let expected = default_playbook(Score::new(i64::from(score)).unwrap());
        if score >= 7 {
            assert_eq!(page.total, 0, "score {score} opens no case");
            continue;
        }
        assert_eq!(page.total, 1, "score {score} opens one case");
        let case = &page.cases[0];
        let priority = expected.priority.unwrap();
        assert_eq!(case.priority, priority, "score {score}");
        assert_eq!(case.status, CaseStatus::Open);
        assert_eq!(case.answer_id, recorded.answer.id);
        assert_eq!(
            case.comment.as_deref(),
            Some(&*format!("comment for {score}"))
        );
        assert_eq!(case.assignee, "Customer care", "default queue");
        assert_eq!(
            case.sla_due_at.timestamp(),
            (answered + Duration::hours(i64::from(sla.for_priority(priority)))).timestamp(),
            "score {score}: due = answered + SLA hours"
        );
        assert!(!case.overdue);
        let detail = store.cases().get(ws, case.id).await.unwrap().unwrap();
        let steps: Vec<&str> = detail.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(steps, expected.steps, "score {score}");
        assert!(detail.steps.iter().all(|s| s.done_at.is_none()));
        assert_eq!(detail.answers.len(), 1);
        assert_eq!(detail.answers[0].role, "trigger");
    }
    assert_eq!(store.cases().list(ws, &all(50)).await.unwrap().total, 7);
}

#[tokio::test]
async fn every_score_gets_its_default_playbook_on_every_backend() {
    on_every_backend!(every_score_gets_its_default_playbook);
}

async fn edited_playbooks_apply_per_language(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "other").await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let s3 = Score::new(3).unwrap();
    let steps = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    store
        .settings()
        .set_playbook(
            ws,
            s3,
            None,
            &steps(&["Call them", " Send flowers "]),
            Some(Priority::Critical),
        )
        .await
        .unwrap();
    let nb = lang("nb");
    store
        .settings()
        .set_playbook(
            ws,
            s3,
            Some(&nb),
            &steps(&["Ring kunden"]),
            Some(Priority::Medium),
        )
        .await
        .unwrap();

    let all_langs = store.settings().playbooks(ws, None).await.unwrap();
    assert_eq!(all_langs.len(), 11);
    assert_eq!(all_langs[3].steps, ["Call them", "Send flowers"], "trimmed");
    assert!(all_langs[3].customized && !all_langs[2].customized);
    let in_nb = store.settings().playbooks(ws, Some(&nb)).await.unwrap();
    assert_eq!(in_nb[3].steps, ["Ring kunden"]);
    assert_eq!(in_nb[3].priority, Some(Priority::Medium));
    let in_de = store
        .settings()
        .playbooks(ws, Some(&lang("de")))
        .await
        .unwrap();
    assert_eq!(
        in_de[3].steps,
        ["Call them", "Send flowers"],
        "falls back to all languages"
    );
    let untouched = store.settings().playbooks(other, None).await.unwrap();
    assert!(
        !untouched[3].customized,
        "other workspaces keep the default"
    );
    assert_eq!(
        store.settings().playbook_overrides(ws).await.unwrap().len(),
        2
    );

    // A real answer in Norwegian gets the Norwegian playbook, one in German the general one.
    for (who, language, first, priority) in [
        ("nora", "nb", "Ring kunden", Priority::Medium),
        ("dieter", "de", "Call them", Priority::Critical),
    ] {
        let mut a = answer_of(ws, survey.id, Some(who), 3, Utc::now());
        a.language = Some(lang(language));
        store.answers().record(&a).await.unwrap();
        let case = store
            .cases()
            .list(ws, &of_customer(who))
            .await
            .unwrap()
            .cases
            .remove(0);
        assert_eq!(case.priority, priority, "{who}");
        let detail = store.cases().get(ws, case.id).await.unwrap().unwrap();
        assert_eq!(detail.steps[0].text, first, "{who}");
    }

    // Validation: nothing is stored when refused.
    let too_many: Vec<String> = (0..31).map(|i| format!("step {i}")).collect();
    let long = "x".repeat(301);
    for (score, steps, priority, words) in [
        (3, steps(&["a"]), None, "needs a priority"),
        (
            8,
            steps(&["a"]),
            Some(Priority::High),
            "must not have a priority",
        ),
        (3, vec![], Some(Priority::High), "1 to 30 steps"),
        (3, too_many, Some(Priority::High), "1 to 30 steps"),
        (
            3,
            steps(&["ok", "  "]),
            Some(Priority::High),
            "step 2 must not be empty",
        ),
        (3, vec![long], Some(Priority::High), "at most 300"),
    ] {
        let msg = invalid(
            store
                .settings()
                .set_playbook(other, Score::new(score).unwrap(), None, &steps, priority)
                .await,
        );
        assert!(msg.contains(words), "{msg}");
    }
    assert!(store
        .settings()
        .playbook_overrides(other)
        .await
        .unwrap()
        .is_empty());
    // 7–10 can be edited without a priority.
    let nine = store
        .settings()
        .set_playbook(
            other,
            Score::new(9).unwrap(),
            None,
            &steps(&["Say thanks"]),
            None,
        )
        .await
        .unwrap();
    assert!(nine.customized && nine.priority.is_none());

    // Reset: the Norwegian override goes, the all-languages one applies again; then the default.
    let after = store
        .settings()
        .reset_playbook(ws, s3, Some(&nb))
        .await
        .unwrap();
    assert_eq!(after.steps, ["Call them", "Send flowers"]);
    let after = store.settings().reset_playbook(ws, s3, None).await.unwrap();
    assert_eq!(after.steps, default_playbook(s3).steps);
    assert!(!after.customized);
}

#[tokio::test]
async fn edited_playbooks_apply_per_language_on_every_backend() {
    on_every_backend!(edited_playbooks_apply_per_language);
}

// ---------------------------------------------------------------------------------------
// Settings and routing
// ---------------------------------------------------------------------------------------

async fn settings_are_checked_and_saved(store: Store) {
    let ws = workspace(&store).await;
    assert_eq!(
        store.settings().get(ws).await.unwrap(),
        WorkspaceSettings::default()
    );
    let good = WorkspaceSettings {
        manager_email: Some("boss@example.com".into()),
        slack_webhook_url: Some("https://hooks.slack.com/services/T/B/X".into()),
        default_queue: "Care team".into(),
        resurvey_after_resolution: true,
        ..Default::default()
    };
    store.settings().save(ws, &good).await.unwrap();
    assert_eq!(store.settings().get(ws).await.unwrap(), good);
    let bad = |f: fn(&mut WorkspaceSettings)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    for (s, words) in [
        (
            bad(|s| s.manager_email = Some("boss".into())),
            "manager_email must be an email",
        ),
        (bad(|s| s.alerts_email = Some("a@b".into())), "alerts_email"),
        (
            bad(|s| s.sender_email = Some("a b@example.com".into())),
            "sender_email",
        ),
        (
            bad(|s| s.slack_webhook_url = Some("hooks.slack.com/x".into())),
            "slack_webhook_url must be an http",
        ),
        (
            bad(|s| s.slack_webhook_url = Some("https:///x".into())),
            "with a host",
        ),
        (
            bad(|s| s.default_queue = " ".into()),
            "default_queue must not be empty",
        ),
        (
            bad(|s| s.sla_hours.high = 0),
            "sla_hours.high must be between 1",
        ),
        (
            bad(|s| s.sender_name = Some("Eve <x>".into())),
            "sender_name",
        ),
    ] {
        let msg = invalid(store.settings().save(ws, &s).await);
        assert!(msg.contains(words), "{msg}");
    }
    assert_eq!(store.settings().get(ws).await.unwrap(), good, "unchanged");
}

#[tokio::test]
async fn settings_are_checked_and_saved_on_every_backend() {
    on_every_backend!(settings_are_checked_and_saved);
}

fn rule(
    attribute: Option<(&str, Option<&str>)>,
    touchpoint: Option<&str>,
    language: Option<&str>,
    assignee: &str,
) -> RoutingRuleInput {
    RoutingRuleInput {
        attribute: attribute.map(|(a, _)| a.to_owned()),
        value: attribute.and_then(|(_, v)| v.map(str::to_owned)),
        touchpoint: touchpoint.map(str::to_owned),
        language: language.map(str::to_owned),
        assignee: assignee.into(),
        position: None,
    }
}

async fn routing_picks_account_manager_then_first_rule_then_queue(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "other").await;
    let general = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let support = store
        .surveys()
        .create(ws, &survey("support", SurveyKind::Nps, Some("support")))
        .await
        .unwrap();
    let business = store
        .settings()
        .create_routing_rule(
            ws,
            &rule(
                Some(("plan", Some("business"))),
                None,
                None,
                "biz@example.com",
            ),
        )
        .await
        .unwrap();
    let touch = store
        .settings()
        .create_routing_rule(
            ws,
            &rule(None, Some("support"), None, "support@example.com"),
        )
        .await
        .unwrap();
    let german = store
        .settings()
        .create_routing_rule(ws, &rule(None, None, Some("de"), "de@example.com"))
        .await
        .unwrap();
    assert_eq!(
        (business.position, touch.position, german.position),
        (1, 2, 3)
    );

    let settings = WorkspaceSettings {
        default_queue: "Care team".into(),
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();

    let assignee_of = |who: &'static str,
                       plan: &'static str,
                       am: Option<&'static str>,
                       survey_id: i64,
                       language: Option<&'static str>| {
        let store = store.clone();
        async move {
            let mut a = answer(ws, survey_id, 2, Utc::now());
            let mut c = crate::common::customer(who, plan);
            c.account_manager = am.map(str::to_owned);
            c.language = None;
            a.respondent = Respondent::Inline(c);
            a.language = language.map(lang);
            store.answers().record(&a).await.unwrap();
            store
                .cases()
                .list(ws, &of_customer(who))
                .await
                .unwrap()
                .cases[0]
                .assignee
                .clone()
        }
    };
    assert_eq!(
        assignee_of(
            "a",
            "business",
            Some("kari@example.com"),
            support.id,
            Some("de")
        )
        .await,
        "kari@example.com",
        "account manager first"
    );
    assert_eq!(
        assignee_of("b", "business", None, support.id, Some("de")).await,
        "biz@example.com",
        "first matching rule"
    );
    assert_eq!(
        assignee_of("c", "basic", None, support.id, Some("de")).await,
        "support@example.com"
    );
    assert_eq!(
        assignee_of("d", "basic", None, general.id, Some("de")).await,
        "de@example.com"
    );
    assert_eq!(
        assignee_of("e", "basic", None, general.id, Some("nb")).await,
        "Care team",
        "default queue"
    );

    // Reordering changes who wins.
    let order = store
        .settings()
        .reorder_routing_rules(ws, &[german.id, touch.id, business.id])
        .await
        .unwrap();
    assert_eq!(
        order.iter().map(|r| (r.id, r.position)).collect::<Vec<_>>(),
        [(german.id, 1), (touch.id, 2), (business.id, 3)]
    );
    assert_eq!(
        assignee_of("f", "business", None, support.id, Some("de")).await,
        "de@example.com"
    );
    // Moving by update, then deleting, keeps positions 1..n.
    let moved = store
        .settings()
        .update_routing_rule(
            ws,
            business.id,
            &RoutingRuleInput {
                position: Some(1),
                ..rule(Some(("plan", None)), None, None, "any-plan@example.com")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (moved.position, moved.value.clone(), moved.assignee.as_str()),
        (1, None, "any-plan@example.com")
    );
    store
        .settings()
        .delete_routing_rule(ws, german.id)
        .await
        .unwrap();
    let left = store.settings().routing_rules(ws).await.unwrap();
    assert_eq!(
        left.iter().map(|r| (r.id, r.position)).collect::<Vec<_>>(),
        [(business.id, 1), (touch.id, 2)]
    );

    // Unhappy paths, and nothing of another workspace is reachable.
    for (input, words) in [
        (
            rule(None, None, None, "x@example.com"),
            "at least one condition",
        ),
        (
            RoutingRuleInput {
                value: Some("b".into()),
                ..rule(None, Some("support"), None, "x")
            },
            "needs an attribute",
        ),
        (rule(None, None, Some("not a language!"), "x"), "language"),
        (
            rule(None, Some("support"), None, " "),
            "assignee must not be empty",
        ),
    ] {
        let msg = invalid(store.settings().create_routing_rule(ws, &input).await);
        assert!(msg.contains(words), "{msg}");
    }
    let msg = invalid(
        store
            .settings()
            .reorder_routing_rules(ws, &[touch.id])
            .await,
    );
    assert!(msg.contains("exactly once"), "{msg}");
    not_found(
        store
            .settings()
            .update_routing_rule(other, touch.id, &rule(None, Some("x"), None, "y"))
            .await,
    );
    not_found(store.settings().delete_routing_rule(other, touch.id).await);
    assert_eq!(store.settings().routing_rules(ws).await.unwrap().len(), 2);
}

#[tokio::test]
async fn routing_picks_account_manager_then_first_rule_then_queue_on_every_backend() {
    on_every_backend!(routing_picks_account_manager_then_first_rule_then_queue);
}

// ---------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------

async fn a_repeat_detractor_joins_the_open_case(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    store
        .answers()
        .record(&answer_of(ws, survey.id, Some("ann"), 2, Utc::now()))
        .await
        .unwrap();
    let second = store
        .answers()
        .record(&answer_of(ws, survey.id, Some("ann"), 4, Utc::now()))
        .await
        .unwrap();
    let page = store.cases().list(ws, &of_customer("ann")).await.unwrap();
    assert_eq!(page.total, 1, "no second case");
    let detail = store
        .cases()
        .get(ws, page.cases[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.case.score, 2,
        "the case keeps the score that opened it"
    );
    let roles: Vec<(&str, i64)> = detail
        .answers
        .iter()
        .map(|a| (a.role.as_str(), a.answer_id))
        .collect();
    assert_eq!(roles[1], ("linked", second.answer.id));
    assert_eq!(detail.notes.len(), 1);
    assert!(
        detail.notes[0].body.contains("New answer: 4"),
        "{:?}",
        detail.notes
    );
}

#[tokio::test]
async fn a_repeat_detractor_joins_the_open_case_on_every_backend() {
    on_every_backend!(a_repeat_detractor_joins_the_open_case);
}

async fn the_lifecycle_allows_only_sensible_transitions(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "other").await;
    with_webhook(&store, ws).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    store
        .answers()
        .record(&answer_of(ws, survey.id, Some("bob"), 1, Utc::now()))
        .await
        .unwrap();
    let id = store
        .cases()
        .list(ws, &of_customer("bob"))
        .await
        .unwrap()
        .cases[0]
        .id;
    let before = outbox(&store, ws).await;
    let status = |s| CaseUpdate {
        status: Some(s),
        ..Default::default()
    };
    let me = "agent@example.com";

    let msg = invalid(
        store
            .cases()
            .update(ws, id, &status(CaseStatus::Closed), me)
            .await,
    );
    assert!(msg.contains("from open to closed"), "{msg}");
    let msg = invalid(
        store
            .cases()
            .update(ws, id, &CaseUpdate::default(), me)
            .await,
    );
    assert!(msg.contains("nothing to change"), "{msg}");
    let msg = invalid(
        store
            .cases()
            .update(ws, id, &status(CaseStatus::Open), me)
            .await,
    );
    assert!(msg.contains("already open"), "{msg}");
    let msg = invalid(
        store
            .cases()
            .update(
                ws,
                id,
                &CaseUpdate {
                    outcome: Some(Outcome::Recovered),
                    ..Default::default()
                },
                me,
            )
            .await,
    );
    assert!(
        msg.contains("outcome is recorded when the case is resolved"),
        "{msg}"
    );
    not_found(
        store
            .cases()
            .update(other, id, &status(CaseStatus::Contacted), me)
            .await,
    );
    let msg = invalid(
        store
            .cases()
            .update(
                ws,
                id,
                &CaseUpdate {
                    steps: vec![(0, true), (99, true)],
                    ..Default::default()
                },
                me,
            )
            .await,
    );
    assert!(msg.contains("no step at position 99"), "{msg}");
    let unchanged = store.cases().get(ws, id).await.unwrap().unwrap();
    assert!(
        unchanged.steps[0].done_at.is_none(),
        "a refused update changes nothing"
    );
    assert_eq!(outbox(&store, ws).await, before, "and queues nothing");

    let contacted = store
        .cases()
        .update(
            ws,
            id,
            &CaseUpdate {
                status: Some(CaseStatus::Contacted),
                steps: vec![(0, true), (1, true)],
                compensation: Some("Free month".into()),
                ..Default::default()
            },
            me,
        )
        .await
        .unwrap();
    assert_eq!(contacted.case.status, CaseStatus::Contacted);
    let first = contacted
        .case
        .first_contact_at
        .expect("first contact recorded");
    assert!(contacted.case.time_to_first_contact_secs.unwrap() >= 0);
    assert_eq!(contacted.case.compensation.as_deref(), Some("Free month"));
    assert_eq!(contacted.steps[0].done_by.as_deref(), Some(me));
    assert!(contacted.steps[1].done_at.is_some() && contacted.steps[2].done_at.is_none());
    let unticked = store
        .cases()
        .update(
            ws,
            id,
            &CaseUpdate {
                steps: vec![(1, false)],
                assignee: Some("lead@example.com".into()),
                ..Default::default()
            },
            "api key ci",
        )
        .await
        .unwrap();
    assert!(unticked.steps[1].done_at.is_none() && unticked.steps[1].done_by.is_none());
    assert_eq!(unticked.case.assignee, "lead@example.com");

    let msg = invalid(
        store
            .cases()
            .update(ws, id, &status(CaseStatus::Resolved), me)
            .await,
    );
    assert!(msg.contains("needs an outcome"), "{msg}");
    let resolved = store
        .cases()
        .update(
            ws,
            id,
            &CaseUpdate {
                status: Some(CaseStatus::Resolved),
                outcome: Some(Outcome::Recovered),
                ..Default::default()
            },
            me,
        )
        .await
        .unwrap();
    assert_eq!(
        (resolved.case.status, resolved.case.outcome),
        (CaseStatus::Resolved, Some(Outcome::Recovered))
    );
    assert!(resolved.case.resolved_at.is_some());
    // Reopen: the outcome is forgotten, the first contact is kept.
    let reopened = store
        .cases()
        .update(ws, id, &status(CaseStatus::Open), me)
        .await
        .unwrap();
    assert_eq!(
        (
            reopened.case.status,
            reopened.case.outcome,
            reopened.case.resolved_at
        ),
        (CaseStatus::Open, None, None)
    );
    assert_eq!(reopened.case.first_contact_at, Some(first));
    store
        .cases()
        .update(
            ws,
            id,
            &CaseUpdate {
                status: Some(CaseStatus::Resolved),
                outcome: Some(Outcome::Unreachable),
                ..Default::default()
            },
            me,
        )
        .await
        .unwrap();
    let closed = store
        .cases()
        .update(ws, id, &status(CaseStatus::Closed), me)
        .await
        .unwrap();
    assert!(closed.case.closed_at.is_some());
    let msg = conflict(
        store
            .cases()
            .update(
                ws,
                id,
                &CaseUpdate {
                    assignee: Some("x".into()),
                    ..Default::default()
                },
                me,
            )
            .await,
    );
    assert!(msg.contains("closed"), "{msg}");
    store
        .cases()
        .add_note(ws, id, me, "  Called back, all good.  ")
        .await
        .unwrap();
    invalid(store.cases().add_note(ws, id, me, "   ").await);
    not_found(store.cases().add_note(other, id, me, "hi").await);

    // Each successful change queued exactly one case.updated webhook: 6 updates + 1 note.
    let after = outbox(&store, ws).await;
    let updated = key(MessageKind::Webhook, "case.updated");
    assert_eq!(
        after.get(&updated).copied().unwrap_or(0) - before.get(&updated).copied().unwrap_or(0),
        7
    );
    let detail = store.cases().get(ws, id).await.unwrap().unwrap();
    let notes: Vec<&str> = detail.notes.iter().map(|n| n.body.as_str()).collect();
    assert!(notes.contains(&"status: open → contacted"), "{notes:?}");
    assert!(notes.contains(&"Called back, all good."), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("assigned to lead@example.com")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn the_lifecycle_allows_only_sensible_transitions_on_every_backend() {
    on_every_backend!(the_lifecycle_allows_only_sensible_transitions);
}

async fn resolution_resurveys_and_records_the_after_score(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    store
        .settings()
        .save(
            ws,
            &WorkspaceSettings {
                resurvey_after_resolution: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .answers()
        .record(&answer_of(
            ws,
            survey.id,
            Some("cid"),
            3,
            Utc::now() - Duration::hours(1),
        ))
        .await
        .unwrap();
    let id = store
        .cases()
        .list(ws, &of_customer("cid"))
        .await
        .unwrap()
        .cases[0]
        .id;
    store
        .cases()
        .update(
            ws,
            id,
            &CaseUpdate {
                status: Some(CaseStatus::Resolved),
                outcome: Some(Outcome::Recovered),
                ..Default::default()
            },
            "me",
        )
        .await
        .unwrap();
    let emails: Vec<_> = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 100, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.event == "case.resurvey")
        .collect();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].target, "cid@example.com");
    let link = format!("{}/s/{}", store.public_url(), survey.public_id);
    assert!(emails[0].payload.contains(&link), "{}", emails[0].payload);

    store
        .answers()
        .record(&answer_of(
            ws,
            survey.id,
            Some("cid"),
            9,
            Utc::now() + Duration::seconds(1),
        ))
        .await
        .unwrap();
    let case = store.cases().get(ws, id).await.unwrap().unwrap();
    assert_eq!(
        (case.case.before_score, case.case.after_score),
        (3, Some(9))
    );
    assert_eq!(case.answers.last().unwrap().role, "resurvey");
    assert_eq!(
        store
            .cases()
            .list(ws, &of_customer("cid"))
            .await
            .unwrap()
            .total,
        1,
        "a promoter opens nothing"
    );
}

#[tokio::test]
async fn resolution_resurveys_and_records_the_after_score_on_every_backend() {
    on_every_backend!(resolution_resurveys_and_records_the_after_score);
}

async fn filters_and_paging(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    // Score 0 answered a day ago: critical, 4 h SLA, overdue. Scores 5 and 6: not yet.
    for (who, score, ago) in [("old", 0, 24), ("mid", 5, 1), ("new", 6, 0)] {
        store
            .answers()
            .record(&answer_of(
                ws,
                survey.id,
                Some(who),
                score,
                Utc::now() - Duration::hours(ago),
            ))
            .await
            .unwrap();
    }
    let page = store.cases().list(ws, &all(2)).await.unwrap();
    assert_eq!(page.total, 3);
    let names: Vec<_> = page
        .cases
        .iter()
        .map(|c| c.customer_external_id.clone().unwrap())
        .collect();
    assert_eq!(names, ["old", "mid"], "soonest due first");
    let rest = store
        .cases()
        .list(
            ws,
            &CaseFilter {
                offset: 2,
                ..all(2)
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.cases.len(), 1);
    let overdue = store
        .cases()
        .list(
            ws,
            &CaseFilter {
                overdue: Some(true),
                ..all(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(overdue.total, 1);
    assert!(overdue.cases[0].overdue);
    let not_overdue = store
        .cases()
        .list(
            ws,
            &CaseFilter {
                overdue: Some(false),
                ..all(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(not_overdue.total, 2);
    let medium = store
        .cases()
        .list(
            ws,
            &CaseFilter {
                priority: Some(Priority::Medium),
                ..all(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(medium.cases[0].score, 5);
    let queue = store
        .cases()
        .list(
            ws,
            &CaseFilter {
                assignee: Some("customer CARE".into()),
                ..all(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(queue.total, 3, "assignee matches without case");
    let resolved = store
        .cases()
        .list(
            ws,
            &CaseFilter {
                statuses: vec![CaseStatus::Resolved, CaseStatus::Closed],
                ..all(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(resolved.total, 0);
    let other = named_workspace(&store, "other").await;
    assert_eq!(store.cases().list(other, &all(10)).await.unwrap().total, 0);
    assert!(store
        .cases()
        .get(other, page.cases[0].id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn filters_and_paging_on_every_backend() {
    on_every_backend!(filters_and_paging);
}

// ---------------------------------------------------------------------------------------
// Escalation and health
// ---------------------------------------------------------------------------------------

async fn overdue_cases_escalate_exactly_once(store: Store) {
    let ws = workspace(&store).await;
    with_webhook(&store, ws).await;
    store
        .settings()
        .save(
            ws,
            &WorkspaceSettings {
                manager_email: Some("boss@example.com".into()),
                slack_webhook_url: Some("https://hooks.example.com/x".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let day_ago = Utc::now() - Duration::hours(24);
    for who in ["late", "called"] {
        store
            .answers()
            .record(&answer_of(ws, survey.id, Some(who), 0, day_ago))
            .await
            .unwrap();
    }
    store
        .answers()
        .record(&answer_of(ws, survey.id, Some("fresh"), 0, Utc::now()))
        .await
        .unwrap();
    let called = store
        .cases()
        .list(ws, &of_customer("called"))
        .await
        .unwrap()
        .cases[0]
        .id;
    store
        .cases()
        .update(
            ws,
            called,
            &CaseUpdate {
                status: Some(CaseStatus::Contacted),
                ..Default::default()
            },
            "me",
        )
        .await
        .unwrap();
    let before = outbox(&store, ws).await;

    assert_eq!(store.cases().escalate_overdue(Utc::now()).await.unwrap(), 1);
    assert_eq!(
        store.cases().escalate_overdue(Utc::now()).await.unwrap(),
        0,
        "exactly once"
    );
    let late = store
        .cases()
        .list(ws, &of_customer("late"))
        .await
        .unwrap()
        .cases
        .remove(0);
    assert!(late.escalated_at.is_some() && late.overdue);
    let after = outbox(&store, ws).await;
    let added = |k: (String, String)| {
        after.get(&k).copied().unwrap_or(0) - before.get(&k).copied().unwrap_or(0)
    };
    assert_eq!(added(key(MessageKind::Webhook, "case.overdue")), 1);
    assert_eq!(added(key(MessageKind::Email, "case.overdue")), 1);
    assert_eq!(added(key(MessageKind::Slack, "case.overdue")), 1);
    let email = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 100, None)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.kind == MessageKind::Email && m.event == "case.overdue")
        .unwrap();
    assert_eq!(email.target, "boss@example.com");
    assert!(
        email.payload.contains(&format!("case #{}", late.id)),
        "{}",
        email.payload
    );
    // The fresh case escalates once its SLA (4 h for a 0) has passed.
    assert_eq!(
        store
            .cases()
            .escalate_overdue(Utc::now() + Duration::hours(5))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn overdue_cases_escalate_exactly_once_on_every_backend() {
    on_every_backend!(overdue_cases_escalate_exactly_once);
}

/// Several instances escalating at once still escalate each case once: four concurrent
/// callers over 40 overdue cases (on PostgreSQL these are separate connections racing).
async fn concurrent_escalation_is_exactly_once(store: Store) {
    let ws = workspace(&store).await;
    store
        .settings()
        .save(
            ws,
            &WorkspaceSettings {
                manager_email: Some("boss@example.com".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let batch: Vec<NewAnswer> = (0..40)
        .map(|i| {
            answer_of(
                ws,
                survey.id,
                Some(&format!("c{i}")),
                1,
                Utc::now() - Duration::hours(10),
            )
        })
        .collect();
    store.answers().record_many(&batch, true).await.unwrap();
    let now = Utc::now();
    let runs = (0..4).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.cases().escalate_overdue(now).await.unwrap() })
    });
    let mut total = 0;
    for r in runs {
        total += r.await.unwrap();
    }
    assert_eq!(total, 40);
    let emails = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 500, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.event == "case.overdue")
        .count();
    assert_eq!(emails, 40, "one escalation email per case");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_escalation_is_exactly_once_on_every_backend() {
    on_every_backend!(concurrent_escalation_is_exactly_once);
}

async fn health_measures_contact_and_recovery(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    for (who, score, ago) in [("a", 0, 24), ("b", 3, 1), ("c", 6, 1), ("d", 2, 0)] {
        store
            .answers()
            .record(&answer_of(
                ws,
                survey.id,
                Some(who),
                score,
                Utc::now() - Duration::hours(ago),
            ))
            .await
            .unwrap();
    }
    let id = |who: &'static str| {
        let store = store.clone();
        async move {
            store
                .cases()
                .list(ws, &of_customer(who))
                .await
                .unwrap()
                .cases[0]
                .id
        }
    };
    let resolve = |o: Outcome| CaseUpdate {
        status: Some(CaseStatus::Resolved),
        outcome: Some(o),
        ..Default::default()
    };
    let contact = CaseUpdate {
        status: Some(CaseStatus::Contacted),
        ..Default::default()
    };
    // a: contacted late (its 4 h SLA passed), then recovered. b: contacted in time, not
    // recovered. c: contacted in time, still open. d: untouched.
    store
        .cases()
        .update(ws, id("a").await, &contact, "me")
        .await
        .unwrap();
    store
        .cases()
        .update(ws, id("a").await, &resolve(Outcome::Recovered), "me")
        .await
        .unwrap();
    store
        .cases()
        .update(ws, id("b").await, &contact, "me")
        .await
        .unwrap();
    store
        .cases()
        .update(ws, id("b").await, &resolve(Outcome::NotRecovered), "me")
        .await
        .unwrap();
    store
        .cases()
        .update(ws, id("c").await, &contact, "me")
        .await
        .unwrap();
    store
        .cases()
        .update(
            ws,
            id("d").await,
            &CaseUpdate {
                assignee: Some("kari@example.com".into()),
                ..Default::default()
            },
            "me",
        )
        .await
        .unwrap();
    let h = store.cases().health(ws, None).await.unwrap();
    assert_eq!(
        (h.open, h.overdue),
        (2, 0),
        "c and d are open; d is not due yet"
    );
    assert_eq!(
        (h.contacted, h.contacted_within_sla),
        (3, 2),
        "a was contacted after its due time"
    );
    assert_eq!(h.within_sla_share, Some(2.0 / 3.0));
    assert_eq!((h.resolved, h.recovered), (2, 1));
    assert_eq!(h.recovery_rate, Some(0.5));
    assert!(h.median_first_contact_secs.unwrap() >= 0);
    let inbox: Vec<(&str, u64)> = h
        .inbox
        .iter()
        .map(|l| (l.assignee.as_str(), l.open))
        .collect();
    assert_eq!(inbox, [("Customer care", 1), ("kari@example.com", 1)]);
    let later = store
        .cases()
        .health(ws, Some(Utc::now() + Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(
        (
            later.contacted,
            later.resolved,
            later.median_first_contact_secs
        ),
        (0, 0, None)
    );
    assert_eq!(
        later.open, 2,
        "open and overdue are as of now, whatever the period"
    );
    let other = named_workspace(&store, "other").await;
    assert_eq!(store.cases().health(other, None).await.unwrap().open, 0);
}

#[tokio::test]
async fn health_measures_contact_and_recovery_on_every_backend() {
    on_every_backend!(health_measures_contact_and_recovery);
}
