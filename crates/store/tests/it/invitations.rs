//! Invitations on every backend, with a controllable clock (every call takes `now`):
//! signed links, eligibility (unsubscribe, addresses, quiet period, sampling), sending
//! exactly once, reminders, schedules spread over their cycle, event triggers with delays,
//! answering through an invitation, and response rates.

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, Label, SurveyKind};
use advocate_store::delivery::outbox::{EmailMessage, OutboxStatus, SmsMessage};
use advocate_store::invitations::{
    self, InvitationOutcome, InvitationStatus, InviteRequest, NewEvent, ScheduleInput, SkipReason,
    Source, TriggerInput,
};
use advocate_store::models::{Respondent, WorkspaceSettings};
use advocate_store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, BTreeSet};

fn person(id: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        name: Some(format!("Person {id}")),
        email: Some(format!("{id}@example.com")),
        phone: Some("+4791234567".into()),
        ..Default::default()
    }
}

fn request(survey_id: i64, channel: Channel, send_at: DateTime<Utc>) -> InviteRequest {
    InviteRequest {
        survey_id,
        channel,
        source: Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at,
        sample_percent: 100,
    }
}

async fn settings(store: &Store, ws: i64, change: impl FnOnce(&mut WorkspaceSettings)) {
    let mut s = store.settings().get(ws).await.unwrap();
    change(&mut s);
    store.settings().save(ws, &s).await.unwrap();
}

async fn invite_one(
    store: &Store,
    ws: i64,
    survey_id: i64,
    who: &str,
    now: DateTime<Utc>,
) -> InvitationOutcome {
    store
        .invitations()
        .invite(
            ws,
            &request(survey_id, Channel::Email, now),
            &[person(who)],
            now,
        )
        .await
        .unwrap()
        .remove(0)
}

/// The invitation emails waiting in the outbox, by recipient.
async fn emails(store: &Store, ws: i64, event: &str) -> BTreeMap<String, Vec<EmailMessage>> {
    let mut by_to: BTreeMap<String, Vec<EmailMessage>> = BTreeMap::new();
    for m in store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 1000, None)
        .await
        .unwrap()
    {
        if m.event == event && m.kind.as_str() == "email" {
            let email: EmailMessage = serde_json::from_str(&m.payload).unwrap();
            by_to.entry(email.to.clone()).or_default().push(email);
        }
    }
    by_to
}

async fn send_due(store: &Store, now: DateTime<Utc>) {
    let r = store.invitations().dispatch_due(now, 100).await.unwrap();
    assert!(r.claimed <= 100);
}

async fn sends_email_with_signed_one_click_links(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    let now = at(2026, 5, 4);
    let mut no_email = person("no-email");
    no_email.email = None;
    let mut norwegian = person("ola");
    norwegian.language = Some(lang("nb"));
    let outcomes = store
        .invitations()
        .invite(
            ws,
            &request(survey.id, Channel::Email, now),
            &[person("kari"), norwegian, no_email],
            now,
        )
        .await
        .unwrap();
    let status: Vec<_> = outcomes.iter().map(|o| (o.status, o.skip_reason)).collect();
    assert_eq!(
        status,
        [
            (InvitationStatus::Scheduled, None),
            (InvitationStatus::Scheduled, None),
            (InvitationStatus::Skipped, Some(SkipReason::NoEmail)),
        ]
    );
    // Not yet due a second before; due at its time.
    let early = store
        .invitations()
        .dispatch_due(now - Duration::seconds(1), 100)
        .await
        .unwrap();
    assert_eq!(early.sent, 0);
    let r = store.invitations().dispatch_due(now, 100).await.unwrap();
    assert_eq!((r.sent, r.skipped), (2, 0));
    // A second pass sends nothing again.
    assert_eq!(
        store
            .invitations()
            .dispatch_due(now, 100)
            .await
            .unwrap()
            .sent,
        0
    );

    let key = store.workspaces().signing_key().await.unwrap();
    let sent = emails(&store, ws, "invitation").await;
    assert_eq!(sent.len(), 2);
    let kari = &sent["kari@example.com"][0];
    let ola = &sent["ola@example.com"][0];
    assert_ne!(kari.subject, ola.subject, "Ola gets Norwegian");
    let id = outcomes[0].invitation_id.unwrap();
    assert_eq!(kari.invitation_id, Some(id));
    // Eleven one-click links, each carrying a token that names this invitation.
    let links: Vec<&str> = kari
        .html
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|u| u.contains("/i/"))
        .filter(|u| !u.ends_with("open.gif"))
        .collect();
    let scores: BTreeSet<String> = links
        .iter()
        .filter_map(|u| u.rsplit('/').next())
        .map(str::to_owned)
        .collect();
    for n in 0..=10 {
        assert!(scores.contains(&n.to_string()), "link for {n} in {links:?}");
    }
    let token = links[0]
        .split("/i/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    assert_eq!(invitations::invitation_of_token(&key, token, now), Some(id));
    let unsubscribe = kari.unsubscribe_url.as_deref().unwrap();
    assert!(kari.text.contains(unsubscribe) && kari.html.contains(unsubscribe));
    let inv = store.invitations().get(ws, id).await.unwrap().unwrap();
    assert_eq!(inv.status, InvitationStatus::Sent);
    assert_eq!(inv.sent_at, Some(now));
}

#[tokio::test]
async fn sends_email_with_signed_one_click_links_on_every_backend() {
    on_every_backend!(sends_email_with_signed_one_click_links);
}

async fn quiet_period_holds_across_surveys_and_channels(store: Store) {
    let ws = workspace(&store).await;
    let a = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    let b = create_survey(&store, ws, "support", SurveyKind::Nps).await;
    let day0 = at(2026, 1, 10);
    invite_one(&store, ws, a.id, "kari", day0).await;
    send_due(&store, day0).await;
    // Another survey, another channel, 89 days later: still quiet.
    let day89 = day0 + Duration::days(89);
    let sms = store
        .invitations()
        .invite(
            ws,
            &request(b.id, Channel::Sms, day89),
            &[person("kari")],
            day89,
        )
        .await
        .unwrap();
    assert_eq!(sms[0].skip_reason, Some(SkipReason::QuietPeriod));
    // Day 90: allowed again.
    let day90 = day0 + Duration::days(90);
    let again = invite_one(&store, ws, b.id, "kari", day90).await;
    assert_eq!(again.status, InvitationStatus::Scheduled);
    // While one waits, a second is not stacked on it.
    let stacked = invite_one(&store, ws, a.id, "kari", day90).await;
    assert_eq!(stacked.skip_reason, Some(SkipReason::AlreadyScheduled));

    // An answer given elsewhere (sent to the API) starts the quiet period too.
    let mut answered = answer(ws, a.id, 9, day0);
    answered.respondent = Respondent::Inline(person("per"));
    store.answers().record(&answered).await.unwrap();
    let per = invite_one(&store, ws, a.id, "per", day0 + Duration::days(30)).await;
    assert_eq!(per.skip_reason, Some(SkipReason::QuietPeriod));

    // The quiet period is checked again when a delayed invitation falls due.
    let later = day0 + Duration::days(100);
    let delayed = store
        .invitations()
        .invite(
            ws,
            &request(a.id, Channel::Email, later + Duration::days(5)),
            &[person("liv")],
            later,
        )
        .await
        .unwrap();
    assert_eq!(delayed[0].status, InvitationStatus::Scheduled);
    let mut meanwhile = answer(ws, b.id, 3, later + Duration::days(1));
    meanwhile.respondent = Respondent::Known("liv".into());
    store.answers().record(&meanwhile).await.unwrap();
    let r = store
        .invitations()
        .dispatch_due(later + Duration::days(5), 100)
        .await
        .unwrap();
    assert_eq!(
        (r.sent, r.skipped),
        (1, 1),
        "kari's day-90 one is sent, liv's skipped"
    );
    let liv = store
        .invitations()
        .get(ws, delayed[0].invitation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(liv.status, InvitationStatus::Skipped);
    assert_eq!(liv.skip_reason, Some(SkipReason::QuietPeriod));

    // With no quiet period, nothing holds a customer back.
    settings(&store, ws, |s| s.quiet_period_days = 0).await;
    let none = invite_one(&store, ws, a.id, "per", day0 + Duration::days(1)).await;
    assert_eq!(none.status, InvitationStatus::Scheduled);
}

#[tokio::test]
async fn quiet_period_holds_across_surveys_and_channels_on_every_backend() {
    on_every_backend!(quiet_period_holds_across_surveys_and_channels);
}

async fn unsubscribe_is_honoured_everywhere(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    let now = at(2026, 2, 1);
    let waiting = invite_one(&store, ws, survey.id, "kari", now + Duration::days(2)).await;
    let customer = store
        .customers()
        .by_external_id(ws, "kari")
        .await
        .unwrap()
        .unwrap();
    let unsubscribed = store
        .invitations()
        .unsubscribe(customer.id, now)
        .await
        .unwrap();
    assert_eq!(unsubscribed.unsubscribed_at, Some(now));
    // Twice is harmless and keeps the first time.
    let again = store
        .invitations()
        .unsubscribe(customer.id, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again.unsubscribed_at, Some(now));
    let inv = store
        .invitations()
        .get(ws, waiting.invitation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inv.status, InvitationStatus::Cancelled);
    let r = store
        .invitations()
        .dispatch_due(now + Duration::days(3), 100)
        .await
        .unwrap();
    assert_eq!(r.sent, 0);
    for channel in [Channel::Email, Channel::Sms, Channel::Web, Channel::Widget] {
        let o = store
            .invitations()
            .invite(
                ws,
                &request(survey.id, channel, now),
                &[person("kari")],
                now,
            )
            .await
            .unwrap();
        assert_eq!(
            o[0].skip_reason,
            Some(SkipReason::Unsubscribed),
            "{channel}"
        );
    }
    assert!(store
        .invitations()
        .widget_invitation(ws, survey.id, "kari", &lang("en"), now)
        .await
        .unwrap()
        .is_none());
    // A promoter answer from an unsubscribed customer sends no thank-you email.
    let mut promoter = answer(ws, survey.id, 10, now);
    promoter.respondent = Respondent::Known("kari".into());
    store.answers().record(&promoter).await.unwrap();
    assert!(emails(&store, ws, "promoter.thank_you").await.is_empty());
}

#[tokio::test]
async fn unsubscribe_is_honoured_everywhere_on_every_backend() {
    on_every_backend!(unsubscribe_is_honoured_everywhere);
}

async fn one_reminder_after_the_configured_days(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    settings(&store, ws, |s| s.reminder_after_days = Some(3)).await;
    let t0 = at(2026, 3, 2);
    let silent = invite_one(&store, ws, survey.id, "silent", t0).await;
    let answers_ = invite_one(&store, ws, survey.id, "answers", t0).await;
    store.invitations().dispatch_due(t0, 100).await.unwrap();
    store
        .invitations()
        .answer(
            answers_.invitation_id.unwrap(),
            nps(8),
            t0 + Duration::days(1),
        )
        .await
        .unwrap();
    let almost = t0 + Duration::days(3) - Duration::minutes(1);
    assert_eq!(
        store
            .invitations()
            .send_due_reminders(almost, 100)
            .await
            .unwrap(),
        0
    );
    let due = t0 + Duration::days(3);
    assert_eq!(
        store
            .invitations()
            .send_due_reminders(due, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .invitations()
            .send_due_reminders(due + Duration::days(5), 100)
            .await
            .unwrap(),
        0,
        "at most one reminder"
    );
    let reminders = emails(&store, ws, "invitation.reminder").await;
    assert_eq!(reminders.keys().collect::<Vec<_>>(), ["silent@example.com"]);
    let first = &emails(&store, ws, "invitation").await["silent@example.com"][0];
    assert_ne!(reminders["silent@example.com"][0].subject, first.subject);
    let inv = store
        .invitations()
        .get(ws, silent.invitation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inv.reminded_at, Some(due));

    // No reminders when the workspace turned them off.
    settings(&store, ws, |s| s.reminder_after_days = None).await;
    let t1 = t0 + Duration::days(200);
    invite_one(&store, ws, survey.id, "another", t1).await;
    store.invitations().dispatch_due(t1, 100).await.unwrap();
    assert_eq!(
        store
            .invitations()
            .send_due_reminders(t1 + Duration::days(10), 100)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn one_reminder_after_the_configured_days_on_every_backend() {
    on_every_backend!(one_reminder_after_the_configured_days);
}

async fn schedules_spread_sends_evenly_and_ask_each_customer_once_per_cycle(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    settings(&store, ws, |s| s.quiet_period_days = 30).await;
    let people: Vec<CustomerInput> = (0..300).map(|i| person(&format!("c{i:03}"))).collect();
    store.customers().upsert_many(ws, &people).await.unwrap();
    let schedule = store
        .schedules()
        .create(
            ws,
            &ScheduleInput {
                survey_id: survey.id,
                channel: Channel::Email,
                every_days: 30,
                sample_percent: 100,
                active: true,
            },
        )
        .await
        .unwrap();
    let start = at(2026, 4, 1);
    let mut per_day = Vec::new();
    let mut invited: BTreeMap<i64, usize> = BTreeMap::new();
    for day in 0..30 {
        let now = start + Duration::days(day);
        let r = store.schedules().run_due(now).await.unwrap();
        // Running again the same day changes nothing.
        assert_eq!(store.schedules().run_due(now).await.unwrap().invited, 0);
        store.invitations().dispatch_due(now, 1000).await.unwrap();
        per_day.push(r.invited);
    }
    for inv in store
        .invitations()
        .list(
            ws,
            &invitations::InvitationFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
    {
        assert_eq!(inv.source, Source::Schedule);
        *invited.entry(inv.customer_id).or_default() += 1;
    }
    assert!(per_day.iter().all(|&n| n == 10), "spread: {per_day:?}");
    assert_eq!(invited.len(), 300, "everyone once in the cycle");
    assert!(invited.values().all(|&n| n == 1));

    // The next cycle asks the same people again, each on their own day; days missed
    // while the server was down are caught up.
    let next = start + Duration::days(30);
    assert_eq!(store.schedules().run_due(next).await.unwrap().invited, 10);
    store.invitations().dispatch_due(next, 1000).await.unwrap();
    let r = store
        .schedules()
        .run_due(next + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(r.invited, 30, "three days caught up");

    // An inactive schedule invites nobody.
    store
        .schedules()
        .update(
            ws,
            schedule.id,
            &ScheduleInput {
                survey_id: survey.id,
                channel: Channel::Email,
                every_days: 30,
                sample_percent: 100,
                active: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .schedules()
            .run_due(next + Duration::days(4))
            .await
            .unwrap()
            .invited,
        0
    );
}

#[tokio::test]
async fn schedules_spread_sends_evenly_on_every_backend() {
    on_every_backend!(schedules_spread_sends_evenly_and_ask_each_customer_once_per_cycle);
}

async fn sampling_invites_the_share_asked_for(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    let now = at(2026, 6, 1);
    let people: Vec<CustomerInput> = (0..1000).map(|i| person(&format!("s{i}"))).collect();
    let mut req = request(survey.id, Channel::Email, now);
    req.sample_percent = 30;
    let outcomes = store
        .invitations()
        .invite(ws, &req, &people, now)
        .await
        .unwrap();
    let invited = outcomes
        .iter()
        .filter(|o| o.invitation_id.is_some())
        .count();
    assert!((240..=360).contains(&invited), "30% of 1000: {invited}");
    assert!(outcomes
        .iter()
        .filter(|o| o.invitation_id.is_none())
        .all(|o| o.skip_reason == Some(SkipReason::SampledOut)));
    req.sample_percent = 0;
    assert!(matches!(
        store
            .invitations()
            .invite(ws, &req, &people[..1], now)
            .await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn sampling_invites_the_share_asked_for_on_every_backend() {
    on_every_backend!(sampling_invites_the_share_asked_for);
}

async fn events_invite_after_their_delay_once(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "delivery", SurveyKind::Nps).await;
    store
        .triggers()
        .create(
            ws,
            &TriggerInput {
                event: Label::new("order_delivered").unwrap(),
                survey_id: survey.id,
                channel: Channel::Sms,
                delay_minutes: 120,
                sample_percent: 100,
                active: true,
            },
        )
        .await
        .unwrap();
    let duplicate = store
        .triggers()
        .create(
            ws,
            &TriggerInput {
                event: Label::new("order_delivered").unwrap(),
                survey_id: survey.id,
                channel: Channel::Email,
                delay_minutes: 0,
                sample_percent: 100,
                active: true,
            },
        )
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
    let occurred = at(2026, 7, 1);
    let event = NewEvent {
        name: Label::new("order_delivered").unwrap(),
        customer: person("kari"),
        attributes: [(label("order"), "A-1".to_owned())].into(),
        occurred_at: occurred,
        external_id: Some("evt-1".into()),
    };
    let outcome = store
        .triggers()
        .record_event(ws, &event, occurred)
        .await
        .unwrap();
    assert!(!outcome.replayed);
    assert_eq!(outcome.invitations.len(), 1);
    assert_eq!(
        outcome.invitations[0].send_at,
        Some(occurred + Duration::minutes(120))
    );
    let replay = store
        .triggers()
        .record_event(ws, &event, occurred)
        .await
        .unwrap();
    assert!(replay.replayed && replay.invitations.is_empty());
    assert_eq!(replay.event_id, outcome.event_id);
    // An event nobody listens for is recorded and invites nobody.
    let other = NewEvent {
        name: Label::new("ticket_closed").unwrap(),
        external_id: None,
        ..event.clone()
    };
    assert!(store
        .triggers()
        .record_event(ws, &other, occurred)
        .await
        .unwrap()
        .invitations
        .is_empty());

    let before = occurred + Duration::minutes(119);
    assert_eq!(
        store
            .invitations()
            .dispatch_due(before, 100)
            .await
            .unwrap()
            .sent,
        0
    );
    let due = occurred + Duration::minutes(120);
    assert_eq!(
        store
            .invitations()
            .dispatch_due(due, 100)
            .await
            .unwrap()
            .sent,
        1
    );
    let sms: Vec<SmsMessage> = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 100, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind.as_str() == "sms")
        .map(|m| serde_json::from_str(&m.payload).unwrap())
        .collect();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to, "+4791234567");
    let inv = store
        .invitations()
        .get(ws, outcome.invitations[0].invitation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        sms[0].body.contains(&format!("/r/{}", inv.short_code)),
        "{}",
        sms[0].body
    );
    assert_eq!(
        store
            .invitations()
            .by_short_code(&inv.short_code)
            .await
            .unwrap()
            .map(|i| i.id),
        Some(inv.id)
    );
}

#[tokio::test]
async fn events_invite_after_their_delay_once_on_every_backend() {
    on_every_backend!(events_invite_after_their_delay_once);
}

async fn answering_is_idempotent_changeable_and_expires(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    let t0 = at(2026, 8, 3);
    let inv = invite_one(&store, ws, survey.id, "kari", t0).await;
    let id = inv.invitation_id.unwrap();
    // Not sent yet: it cannot be answered.
    assert!(matches!(
        store.invitations().answer(id, nps(9), t0).await,
        Err(StoreError::Conflict(_))
    ));
    store.invitations().dispatch_due(t0, 100).await.unwrap();
    let first = store
        .invitations()
        .answer(id, nps(3), t0 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(first.channel, "email");
    let same = store
        .invitations()
        .answer(id, nps(3), t0 + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(same.id, first.id, "a double click is one answer");
    let changed = store
        .invitations()
        .answer(id, nps(9), t0 + Duration::days(2))
        .await
        .unwrap();
    assert_eq!((changed.id, changed.score), (first.id, 9));
    let r = report(&store, &query(ws, Some("relationship"))).await;
    assert_eq!(r.summary.n, 1);
    assert_eq!(r.summary.promoters, 1, "the rollups moved with the change");
    // The detractor score opened a case while it stood.
    let cases = store
        .cases()
        .list(
            ws,
            &advocate_store::closed_loop::cases::CaseFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cases.cases.len(), 1);
    let late = store
        .invitations()
        .answer(id, nps(5), t0 + Duration::hours(1) + Duration::days(8))
        .await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    let inv = store.invitations().get(ws, id).await.unwrap().unwrap();
    assert_eq!(inv.answer_id, Some(first.id));
    assert!(inv.opened_at.is_some());

    // An invitation past its validity cannot be answered.
    let old = invite_one(&store, ws, survey.id, "old", t0).await;
    store.invitations().dispatch_due(t0, 100).await.unwrap();
    let expired = store
        .invitations()
        .answer(old.invitation_id.unwrap(), nps(9), t0 + Duration::days(31))
        .await;
    assert!(matches!(expired, Err(StoreError::Conflict(_))));
}

#[tokio::test]
async fn answering_is_idempotent_changeable_and_expires_on_every_backend() {
    on_every_backend!(answering_is_idempotent_changeable_and_expires);
}

async fn response_rates_count_each_step(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    let t0 = at(2026, 9, 1);
    let people: Vec<CustomerInput> = (0..4).map(|i| person(&format!("r{i}"))).collect();
    let out = store
        .invitations()
        .invite(ws, &request(survey.id, Channel::Email, t0), &people, t0)
        .await
        .unwrap();
    store.invitations().dispatch_due(t0, 100).await.unwrap();
    let ids: Vec<i64> = out.iter().filter_map(|o| o.invitation_id).collect();
    for id in &ids[..3] {
        store.invitations().delivered(*id, t0).await.unwrap();
    }
    store.invitations().opened(ids[0], t0).await.unwrap();
    store.invitations().opened(ids[1], t0).await.unwrap();
    store
        .invitations()
        .answer(ids[0], nps(10), t0)
        .await
        .unwrap();
    let rates = store
        .invitations()
        .response_rates(ws, t0 - Duration::days(1), Some(t0 + Duration::days(1)))
        .await
        .unwrap();
    assert_eq!(rates.len(), 1);
    let r = &rates[0];
    assert_eq!((r.sent, r.delivered, r.opened, r.answered), (4, 3, 2, 1));
    assert!((r.response_rate - 0.25).abs() < 1e-9);
    // Another workspace sees none of it.
    let other = named_workspace(&store, "other").await;
    assert!(store
        .invitations()
        .response_rates(other, t0 - Duration::days(1), None)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .invitations()
        .get(other, ids[0])
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn response_rates_count_each_step_on_every_backend() {
    on_every_backend!(response_rates_count_each_step);
}

async fn concurrent_senders_send_each_invitation_once(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
    let t0 = at(2026, 10, 1);
    let people: Vec<CustomerInput> = (0..200).map(|i| person(&format!("p{i}"))).collect();
    store
        .invitations()
        .invite(ws, &request(survey.id, Channel::Email, t0), &people, t0)
        .await
        .unwrap();
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut sent = 0;
                loop {
                    let r = store.invitations().dispatch_due(t0, 25).await.unwrap();
                    sent += r.sent;
                    if r.claimed == 0 {
                        return sent;
                    }
                }
            })
        })
        .collect();
    let mut total = 0;
    for s in senders {
        total += s.await.unwrap();
    }
    assert_eq!(total, 200);
    let sent = emails(&store, ws, "invitation").await;
    assert_eq!(sent.len(), 200);
    assert!(sent.values().all(|v| v.len() == 1), "nobody got two");
}

#[tokio::test]
async fn concurrent_senders_send_each_invitation_once_on_every_backend() {
    on_every_backend!(concurrent_senders_send_each_invitation_once);
}
