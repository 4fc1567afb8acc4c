//! Privacy on every backend: exporting and erasing one person (reports unchanged, nothing
//! about them left, other people and workspaces untouched), answer retention, and eNPS
//! anonymity (no link to the employee, small groups hidden).

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, ContactChannel, Granularity, GroupBy, SurveyKind};
use advocate_store::business::{
    LifecycleEvent, LifecycleKind, LoyaltyEvent, LoyaltyKind, NewContact, NewOrder,
};
use advocate_store::delivery::outbox::OutboxStatus;
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::insight::report::NpsReport;
use advocate_store::invitations::{InviteRequest, NewEvent, Source};
use advocate_store::models::{Respondent, WorkspaceSettings};
use advocate_store::{Store, StoreError};
use chrono::{DateTime, Duration, Months, Utc};

fn kari() -> CustomerInput {
    CustomerInput {
        external_id: "kari".into(),
        name: Some("Kari Nordmann".into()),
        email: Some("kari@example.com".into()),
        phone: Some("+4791234567".into()),
        language: Some(lang("nb")),
        attributes: [(label("plan"), "premium".to_owned())].into(),
        ..Default::default()
    }
}

async fn settings(store: &Store, ws: i64, change: impl FnOnce(&mut WorkspaceSettings)) {
    let mut s = store.settings().get(ws).await.unwrap();
    change(&mut s);
    store.settings().save(ws, &s).await.unwrap();
}

async fn answer_by(
    store: &Store,
    ws: i64,
    survey: i64,
    who: Respondent,
    score: u8,
    comment: &str,
    when: DateTime<Utc>,
) -> i64 {
    let mut a = answer(ws, survey, score, when);
    a.respondent = who;
    a.comment = Some(comment.into());
    a.channel = Channel::Email;
    store.answers().record(&a).await.unwrap().answer.id
}

/// Every report the dashboard and API can ask for, to compare before and after.
async fn every_report(store: &Store, ws: i64, survey: Option<&str>) -> Vec<NpsReport> {
    let mut out = Vec::new();
    for group_by in [
        None,
        Some(GroupBy::Time(Granularity::Month)),
        Some(GroupBy::Time(Granularity::Week)),
        Some(GroupBy::Touchpoint),
        Some(GroupBy::Channel),
        Some(GroupBy::Language),
        Some(GroupBy::Segment(label("plan"))),
    ] {
        let q = NpsQuery {
            group_by,
            ..query(ws, survey)
        };
        out.push(report(store, &q).await);
    }
    out
}

/// A person with something in every table: answers (a detractor case with a note and
/// alerts, a promoter's engagements and thank-you), invitation, event, orders, contact,
/// spell and loyalty membership.
async fn populate_kari(store: &Store, ws: i64, survey: i64) -> (i64, i64) {
    let now = Utc::now();
    let angry = answer_by(
        store,
        ws,
        survey,
        Respondent::Inline(kari()),
        3,
        "Kari is furious",
        now - Duration::days(20),
    )
    .await;
    let happy = answer_by(
        store,
        ws,
        survey,
        Respondent::Known("kari".into()),
        10,
        "Kari loves it",
        now - Duration::days(2),
    )
    .await;
    let case = store
        .cases()
        .list(ws, &Default::default())
        .await
        .unwrap()
        .cases[0]
        .id;
    store
        .cases()
        .add_note(ws, case, "agent@acme.test", "Called Kari at home")
        .await
        .unwrap();
    let req = InviteRequest {
        survey_id: survey,
        channel: Channel::Email,
        source: Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: now + Duration::days(100),
        sample_percent: 100,
    };
    store
        .invitations()
        .invite(ws, &req, &[kari()], now)
        .await
        .unwrap();
    let event = NewEvent {
        name: label("order_delivered"),
        customer: kari(),
        attributes: [(label("order"), "A-77".to_owned())].into(),
        occurred_at: now - Duration::days(3),
        external_id: Some("evt-kari".into()),
    };
    store
        .triggers()
        .record_event(ws, &event, now)
        .await
        .unwrap();
    let at = now - Duration::days(30);
    store
        .orders()
        .record_many(
            ws,
            &[NewOrder {
                external_id: Some("o-kari".into()),
                customer: "kari".into(),
                amount: "250.00".into(),
                currency: "EUR".into(),
                amount_in_reporting_currency: None,
                ordered_at: at,
            }],
        )
        .await
        .unwrap();
    store
        .contacts()
        .record_many(
            ws,
            &[NewContact {
                external_id: Some("T-kari".into()),
                customer: Some("kari".into()),
                channel: ContactChannel::Phone,
                is_complaint: true,
                opened_at: at,
                first_reply_at: None,
                resolved_at: None,
            }],
        )
        .await
        .unwrap();
    store
        .spells()
        .record_lifecycle(
            ws,
            &[LifecycleEvent {
                customer: "kari".into(),
                event: LifecycleKind::Acquired,
                at: now - Duration::days(400),
            }],
        )
        .await
        .unwrap();
    store
        .spells()
        .record_loyalty(
            ws,
            &[LoyaltyEvent {
                customer: "kari".into(),
                event: LoyaltyKind::Joined,
                at: now - Duration::days(300),
            }],
        )
        .await
        .unwrap();
    (angry, happy)
}

async fn pending_mentioning(store: &Store, ws: i64, needle: &str) -> usize {
    let mut n = 0;
    for status in [
        OutboxStatus::Pending,
        OutboxStatus::Delivered,
        OutboxStatus::Dead,
    ] {
        n += store
            .outbox()
            .messages(ws, status, false, 1000, None)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.target.contains(needle) || m.payload.contains(needle))
            .count();
    }
    n
}

async fn export_and_erase_one_person(store: Store) {
    let ws = workspace(&store).await;
    let other_ws = named_workspace(&store, "other").await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    settings(&store, ws, |s| {
        s.alerts_email = Some("alerts@acme.test".into());
        s.review_links = vec![advocate_store::models::ReviewLink {
            name: "Trustpilot".into(),
            url: "https://trustpilot.example/acme".into(),
        }];
    })
    .await;
    store
        .webhooks()
        .create(ws, "https://crm.example.com/hook", &["*".into()])
        .await
        .unwrap();
    let (angry, happy) = populate_kari(&store, ws, survey).await;
    let ola = answer_by(
        &store,
        ws,
        survey,
        Respondent::Inline(customer("ola", "basic")),
        9,
        "Ola is fine",
        Utc::now() - Duration::days(1),
    )
    .await;
    store
        .answers()
        .record(&answer(ws, survey, 7, Utc::now()))
        .await
        .unwrap();
    // The same external id in another workspace is another person.
    let other_survey = create_survey(&store, other_ws, "rel", SurveyKind::Nps)
        .await
        .id;
    answer_by(
        &store,
        other_ws,
        other_survey,
        Respondent::Inline(kari()),
        8,
        "other Kari",
        Utc::now(),
    )
    .await;

    // Export: everything, in one document.
    let doc = store.privacy().export_person(ws, "kari").await.unwrap();
    assert_eq!(doc["customer"]["email"], "kari@example.com");
    assert_eq!(doc["customer"]["attributes"]["plan"], "premium");
    let comments: Vec<&str> = doc["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["comment"].as_str().unwrap())
        .collect();
    assert_eq!(comments, ["Kari is furious", "Kari loves it"]);
    assert_eq!(doc["answers"][0]["survey"], "rel");
    assert_eq!(doc["cases"].as_array().unwrap().len(), 1);
    assert_eq!(
        doc["cases"][0]["notes"][0]["body"], "Called Kari at home",
        "{}",
        doc["cases"][0]
    );
    assert!(!doc["cases"][0]["steps"].as_array().unwrap().is_empty());
    assert_eq!(
        doc["engagements"].as_array().unwrap().len(),
        5,
        "a 10 gets five engagements"
    );
    assert!(doc["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["discount_code"].is_string()));
    for section in [
        "invitations",
        "events",
        "orders",
        "contacts",
        "lifecycle_spells",
        "loyalty_memberships",
    ] {
        assert_eq!(
            doc[section].as_array().unwrap().len(),
            1,
            "{section}: {}",
            doc[section]
        );
    }
    assert_eq!(doc["orders"][0]["amount_minor"], 25000);
    assert_eq!(doc["contacts"][0]["is_complaint"], true);
    let messages = doc["messages"].as_array().unwrap();
    assert!(
        messages.iter().any(|m| m["addressed_to_person"] == true),
        "the thank-you email: {messages:?}"
    );
    assert!(
        messages.iter().any(|m| m["event"] == "case.created"
            && m["kind"] == "email"
            && m["addressed_to_person"] == false),
        "the staff alert about her case: {messages:?}"
    );
    assert!(
        messages.iter().all(|m| m.get("payload").is_none()),
        "metadata only"
    );
    assert!(
        !doc.to_string().contains("Ola is fine"),
        "nobody else's data"
    );

    let before = every_report(&store, ws, None).await;
    let other_before = store
        .privacy()
        .export_person(other_ws, "kari")
        .await
        .unwrap();
    assert!(pending_mentioning(&store, ws, "kari").await > 0);

    let done = store.privacy().erase_person(ws, "kari").await.unwrap();
    assert_eq!(done.external_id, "kari");
    assert_eq!(done.answers_anonymised, 2);
    assert_eq!(done.cases_deleted, 1);
    assert_eq!(done.case_notes_deleted, 1);
    assert_eq!(done.engagements_deleted, 5);
    assert_eq!(done.discount_codes_deleted, 1);
    assert_eq!(done.invitations_deleted, 1);
    assert_eq!(done.events_deleted, 1);
    assert_eq!(done.orders_deleted, 1);
    assert_eq!(done.contacts_detached, 1);
    assert_eq!(done.lifecycle_spells_deleted, 1);
    assert_eq!(done.loyalty_memberships_deleted, 1);
    assert!(done.messages_cancelled >= 3, "{done:?}");

    // The figures are exactly the same; the person is gone.
    assert_eq!(every_report(&store, ws, None).await, before);
    assert!(store
        .customers()
        .by_external_id(ws, "kari")
        .await
        .unwrap()
        .is_none());
    for id in [angry, happy] {
        let a = store.answers().get(ws, id).await.unwrap().unwrap();
        assert_eq!(
            (a.customer_id, a.comment.as_deref(), a.attributes.len()),
            (None, None, 0)
        );
    }
    assert_eq!(
        store.answers().get(ws, angry).await.unwrap().unwrap().score,
        3,
        "the score stays"
    );
    assert_eq!(
        pending_mentioning(&store, ws, "kari").await,
        0,
        "no message names her"
    );
    assert_eq!(pending_mentioning(&store, ws, "Kari").await, 0);
    assert!(store
        .cases()
        .list(ws, &Default::default())
        .await
        .unwrap()
        .cases
        .is_empty());
    // An anonymised answer can no longer be changed (its segment counts are unknown).
    assert!(matches!(
        store.answers().change_score(ws, happy, 2).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.answers().set_comment(ws, happy, Some("back")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(every_report(&store, ws, None).await, before);

    // Other people and workspaces are untouched; a second erasure finds nobody.
    let ola_answer = store.answers().get(ws, ola).await.unwrap().unwrap();
    assert_eq!(ola_answer.comment.as_deref(), Some("Ola is fine"));
    assert!(ola_answer.customer_id.is_some());
    assert_eq!(
        store
            .privacy()
            .export_person(other_ws, "kari")
            .await
            .unwrap()["answers"],
        other_before["answers"]
    );
    assert!(matches!(
        store.privacy().erase_person(ws, "kari").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.privacy().export_person(ws, "kari").await,
        Err(StoreError::NotFound(_))
    ));
    // The person can come back as a new customer with nothing of the old one.
    answer_by(
        &store,
        ws,
        survey,
        Respondent::Inline(kari()),
        9,
        "new start",
        Utc::now(),
    )
    .await;
    assert_eq!(
        store.privacy().export_person(ws, "kari").await.unwrap()["answers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn export_and_erase_one_person_on_every_backend() {
    on_every_backend!(export_and_erase_one_person);
}

async fn unknown_person_is_not_found_and_changes_nothing(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    answer_by(
        &store,
        ws,
        survey,
        Respondent::Inline(customer("ola", "basic")),
        9,
        "fine",
        Utc::now(),
    )
    .await;
    let before = every_report(&store, ws, None).await;
    for id in ["nobody", "", "ola' OR '1'='1", "%"] {
        assert!(
            matches!(
                store.privacy().erase_person(ws, id).await,
                Err(StoreError::NotFound(_))
            ),
            "{id:?}"
        );
        assert!(
            matches!(
                store.privacy().export_person(ws, id).await,
                Err(StoreError::NotFound(_))
            ),
            "{id:?}"
        );
    }
    assert_eq!(every_report(&store, ws, None).await, before);
    assert!(store
        .customers()
        .by_external_id(ws, "ola")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn unknown_person_is_not_found_and_changes_nothing_on_every_backend() {
    on_every_backend!(unknown_person_is_not_found_and_changes_nothing);
}

async fn retention_anonymises_old_answers_only(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    let now = Utc::now();
    let old = answer_by(
        &store,
        ws,
        survey,
        Respondent::Inline(customer("ola", "basic")),
        2,
        "long ago",
        now.checked_sub_months(Months::new(8)).unwrap(),
    )
    .await;
    let recent = answer_by(
        &store,
        ws,
        survey,
        Respondent::Known("ola".into()),
        9,
        "recent",
        now - Duration::days(10),
    )
    .await;
    let before = every_report(&store, ws, None).await;

    let none = store.privacy().apply_retention(ws, now).await.unwrap();
    assert_eq!(
        (none.retention_months, none.answers_anonymised),
        (None, 0),
        "kept forever by default"
    );
    settings(&store, ws, |s| s.answer_retention_months = Some(6)).await;
    let done = store.privacy().apply_retention(ws, now).await.unwrap();
    assert_eq!(
        (done.retention_months, done.answers_anonymised),
        (Some(6), 1)
    );
    let a = store.answers().get(ws, old).await.unwrap().unwrap();
    assert_eq!(
        (a.customer_id, a.comment, a.attributes.len(), a.score),
        (None, None, 0, 2)
    );
    let r = store.answers().get(ws, recent).await.unwrap().unwrap();
    assert_eq!(r.comment.as_deref(), Some("recent"));
    assert_eq!(every_report(&store, ws, None).await, before);
    assert_eq!(
        store
            .privacy()
            .apply_retention(ws, now)
            .await
            .unwrap()
            .answers_anonymised,
        0,
        "idempotent"
    );
    let everywhere = store
        .privacy()
        .apply_retention_everywhere(now)
        .await
        .unwrap();
    assert_eq!(everywhere.len(), 1);

    let mut bad = store.settings().get(ws).await.unwrap();
    bad.answer_retention_months = Some(0);
    assert!(matches!(
        store.settings().save(ws, &bad).await,
        Err(StoreError::Invalid(_))
    ));
    bad.answer_retention_months = None;
    bad.enps_min_group_size = 1;
    assert!(matches!(
        store.settings().save(ws, &bad).await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn retention_anonymises_old_answers_only_on_every_backend() {
    on_every_backend!(retention_anonymises_old_answers_only);
}

fn employee(id: &str, dept: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        name: Some(format!("Employee {id}")),
        email: Some(format!("{id}@acme.test")),
        attributes: [(label("dept"), dept.to_owned())].into(),
        ..Default::default()
    }
}

async fn enps_answers_are_anonymous(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "pulse", SurveyKind::Enps)
        .await
        .id;
    store
        .webhooks()
        .create(ws, "https://hr.example.com/hook", &["*".into()])
        .await
        .unwrap();
    let id = answer_by(
        &store,
        ws,
        survey,
        Respondent::Inline(employee("e1", "ops")),
        2,
        "my manager",
        Utc::now(),
    )
    .await;
    let a = store.answers().get(ws, id).await.unwrap().unwrap();
    assert_eq!(a.customer_id, None, "never linked to the employee");
    assert_eq!(
        a.attributes.get(&label("dept")).map(String::as_str),
        Some("ops"),
        "the segment is kept"
    );
    assert!(
        store
            .cases()
            .list(ws, &Default::default())
            .await
            .unwrap()
            .cases
            .is_empty(),
        "no case names them"
    );
    assert_eq!(
        pending_mentioning(&store, ws, "e1").await,
        0,
        "no webhook names them"
    );
    assert!(
        store.privacy().export_person(ws, "e1").await.unwrap()["answers"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Through an invitation: answered (for reminders and rates), but not which answer.
    let req = InviteRequest {
        survey_id: survey,
        channel: Channel::Web,
        source: Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: Utc::now(),
        sample_percent: 100,
    };
    let out = store
        .invitations()
        .invite(ws, &req, &[employee("e2", "ops")], Utc::now())
        .await
        .unwrap();
    let inv = out[0].invitation_id.unwrap();
    let answer = store
        .invitations()
        .answer(inv, nps(9), Utc::now())
        .await
        .unwrap();
    assert_eq!(answer.customer_id, None);
    let stored = store.invitations().by_id(inv).await.unwrap().unwrap();
    assert_eq!(stored.answer_id, None);
    assert!(stored.answered_at.is_some());
    assert!(
        matches!(
            store.invitations().answer(inv, nps(3), Utc::now()).await,
            Err(StoreError::Conflict(_))
        ),
        "one answer per invitation"
    );
    assert_eq!(store.answers().count(ws).await.unwrap(), 2);
}

#[tokio::test]
async fn enps_answers_are_anonymous_on_every_backend() {
    on_every_backend!(enps_answers_are_anonymous);
}

async fn enps_hides_small_groups(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "pulse", SurveyKind::Enps)
        .await
        .id;
    let when = at(2026, 3, 10);
    let mut n = 0;
    for (dept, count) in [("sales", 6), ("support", 8), ("ops", 2)] {
        for _ in 0..count {
            n += 1;
            answer_by(
                &store,
                ws,
                survey,
                Respondent::Inline(employee(&format!("e{n}"), dept)),
                9,
                "",
                when,
            )
            .await;
        }
    }
    let by = |group_by| NpsQuery {
        group_by: Some(group_by),
        ..query(ws, Some("pulse"))
    };
    let r = report(&store, &by(GroupBy::Segment(label("dept")))).await;
    assert_eq!(r.summary.n, 16, "the total is shown");
    let hidden: Vec<(&str, Option<u32>)> = r
        .groups
        .as_ref()
        .unwrap()
        .iter()
        .map(|g| (g.key.as_str(), g.suppressed))
        .collect();
    // ops has 2 (< 5); sales, the smallest other, is hidden too, or ops = total − the rest.
    assert_eq!(
        hidden,
        [("ops", Some(5)), ("sales", Some(5)), ("support", None)]
    );
    let json = serde_json::to_value(&r).unwrap();
    let ops = &json["groups"][0];
    assert_eq!(
        (ops["suppressed"].as_bool(), ops["fewer_than"].as_u64()),
        (Some(true), Some(5))
    );
    assert!(ops.get("nps").is_none() && ops.get("n").is_none(), "{ops}");
    assert_eq!(json["groups"][2]["n"], 8);
    assert!(json["groups"][2].get("suppressed").is_none());

    // A smaller minimum shows them all.
    settings(&store, ws, |s| s.enps_min_group_size = 2).await;
    let r = report(&store, &by(GroupBy::Segment(label("dept")))).await;
    assert!(r.groups.unwrap().iter().all(|g| g.suppressed.is_none()));
    settings(&store, ws, |s| s.enps_min_group_size = 5).await;

    // Time: one answer in a later week is hidden, and so is a total narrowed to it.
    answer_by(
        &store,
        ws,
        survey,
        Respondent::Anonymous,
        0,
        "",
        at(2026, 3, 20),
    )
    .await;
    let weeks = report(
        &store,
        &NpsQuery {
            from: Some(date(2026, 3, 9)),
            to: Some(date(2026, 3, 22)),
            ..by(GroupBy::Time(Granularity::Week))
        },
    )
    .await;
    let series: Vec<(u64, bool)> = weeks
        .groups
        .unwrap()
        .iter()
        .map(|g| (g.summary.n, g.suppressed.is_some()))
        .collect();
    assert_eq!(
        series,
        [(0, true), (0, true)],
        "one hidden week hides the other too: {series:?}"
    );
    let narrow = report(
        &store,
        &NpsQuery {
            from: Some(date(2026, 3, 20)),
            to: Some(date(2026, 3, 20)),
            ..query(ws, Some("pulse"))
        },
    )
    .await;
    assert_eq!(
        (
            narrow.suppressed,
            narrow.summary.nps,
            narrow.change.is_none()
        ),
        (Some(5), None, true)
    );
    assert!(matches!(
        store
            .analytics()
            .report(&by(GroupBy::Time(Granularity::Day)))
            .await,
        Err(StoreError::Invalid(_))
    ));

    // Customer NPS is never suppressed.
    let nps = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    store
        .answers()
        .record(&answer(ws, nps, 9, when))
        .await
        .unwrap();
    let r = report(
        &store,
        &NpsQuery {
            group_by: Some(GroupBy::Channel),
            ..query(ws, Some("rel"))
        },
    )
    .await;
    assert_eq!(
        (r.suppressed, r.groups.unwrap()[0].suppressed),
        (None, None)
    );
}

#[tokio::test]
async fn enps_hides_small_groups_on_every_backend() {
    on_every_backend!(enps_hides_small_groups);
}
