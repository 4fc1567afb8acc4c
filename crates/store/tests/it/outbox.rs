//! The delivery side of the outbox and webhook endpoints, on every backend: claiming with
//! leases, retries and dead letters, re-driving, listing, and endpoint management.

use crate::common::*;
use advocate_core::SurveyKind;
use advocate_store::delivery::outbox::{FailureOutcome, MessageKind, OutboxStatus, RetryPolicy};
use advocate_store::delivery::webhooks::{WebhookRemoval, WEBHOOK_SECRET_PREFIX};
use advocate_store::Store;
use chrono::{Duration, Utc};
use std::collections::HashSet;

const WEBHOOK: &[MessageKind] = &[MessageKind::Webhook];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A workspace with a webhook endpoint for every event and `detractors` anonymous
/// detractor answers: each queues `response.created` and `case.created` (the workspace
/// opens cases for anonymous detractors).
async fn queued(store: &Store, slug: &str, detractors: usize) -> i64 {
    let ws = named_workspace(store, slug).await;
    let settings = advocate_store::models::WorkspaceSettings {
        anonymous_detractors: advocate_store::models::AnonymousDetractors::Case,
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    store
        .webhooks()
        .create(ws, "http://127.0.0.1:9/hook", &strings(&["*"]))
        .await
        .unwrap();
    let survey = create_survey(store, ws, "rel", SurveyKind::Nps).await;
    for _ in 0..detractors {
        store
            .answers()
            .record(&answer(ws, survey.id, 3, Utc::now()))
            .await
            .unwrap();
    }
    ws
}

async fn leases_keep_others_off_until_they_expire(store: Store) {
    let ws = queued(&store, "acme", 1).await;
    let now = Utc::now();
    let first = store.outbox().claim_at(now, WEBHOOK, 10, 60).await.unwrap();
    let events: Vec<&str> = first.iter().map(|m| m.event.as_str()).collect();
    assert_eq!(events, ["response.created", "case.created"]);
    assert!(first.iter().all(|m| m.workspace_id == ws
        && m.status == OutboxStatus::Pending
        && m.idempotency_key.starts_with("msg_")));
    assert!(
        store
            .outbox()
            .claim_at(now, WEBHOOK, 10, 60)
            .await
            .unwrap()
            .is_empty(),
        "leased messages are not claimed twice"
    );
    assert!(
        store
            .outbox()
            .claim_at(now, &[MessageKind::Email], 10, 60)
            .await
            .unwrap()
            .is_empty(),
        "only the kinds asked for"
    );
    // The worker "crashed": once the lease runs out, the messages are claimed again.
    let again = store
        .outbox()
        .claim_at(now + Duration::seconds(61), WEBHOOK, 10, 60)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|m| m.id).collect::<Vec<_>>(),
        first.iter().map(|m| m.id).collect::<Vec<_>>()
    );
    store.outbox().delivered(first[0].id, 12).await.unwrap();
    let later = store
        .outbox()
        .claim_at(now + Duration::seconds(200), WEBHOOK, 10, 60)
        .await
        .unwrap();
    assert_eq!(
        later.iter().map(|m| m.id).collect::<Vec<_>>(),
        [first[1].id],
        "a delivered message is never claimed"
    );
    let (msg, attempts) = store
        .outbox()
        .message(ws, first[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(msg.status, OutboxStatus::Delivered);
    assert!(msg.delivered_at.is_some());
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0].ok && attempts[0].error.is_none() && attempts[0].duration_ms == 12);
}

#[tokio::test]
async fn leases_keep_others_off_until_they_expire_on_every_backend() {
    on_every_backend!(leases_keep_others_off_until_they_expire);
}

async fn failures_back_off_then_dead_letter_and_redrive(store: Store) {
    let ws = queued(&store, "acme", 1).await;
    let other = named_workspace(&store, "other").await;
    let policy = RetryPolicy {
        max_attempts: 3,
        max_backoff_secs: 3600,
    };
    let mut now = Utc::now();
    let id = store.outbox().claim(WEBHOOK, 1, 60).await.unwrap()[0].id;
    for attempt in 1..=3 {
        let outcome = store
            .outbox()
            .failed(id, &format!("HTTP 503 (try {attempt})"), 5, false, &policy)
            .await
            .unwrap();
        let (msg, _) = store.outbox().message(ws, id).await.unwrap().unwrap();
        assert_eq!(msg.attempts, attempt);
        assert_eq!(
            msg.last_error.as_deref(),
            Some(&*format!("HTTP 503 (try {attempt})"))
        );
        if attempt < 3 {
            let FailureOutcome::Retry(at) = outcome else {
                panic!("attempt {attempt} should be retried, got {outcome:?}")
            };
            assert!(at > Utc::now(), "the retry waits");
            assert!(
                store
                    .outbox()
                    .claim(WEBHOOK, 10, 60)
                    .await
                    .unwrap()
                    .iter()
                    .all(|m| m.id != id),
                "not claimed before its next attempt is due"
            );
            now = at + Duration::seconds(1);
            let due = store.outbox().claim_at(now, WEBHOOK, 10, 60).await.unwrap();
            assert!(due.iter().any(|m| m.id == id), "claimed when due");
        } else {
            assert_eq!(outcome, FailureOutcome::Dead);
            assert_eq!(msg.status, OutboxStatus::Dead);
        }
    }
    let far = now + Duration::days(30);
    assert!(store
        .outbox()
        .claim_at(far, WEBHOOK, 10, 60)
        .await
        .unwrap()
        .iter()
        .all(|m| m.id != id));
    let counts = store.outbox().counts(ws).await.unwrap();
    assert_eq!((counts.dead, counts.pending), (1, 1));
    let (_, attempts) = store.outbox().message(ws, id).await.unwrap().unwrap();
    assert_eq!(attempts.len(), 3);
    assert!(attempts.iter().all(|a| !a.ok && a.error.is_some()));
    let dead = store
        .outbox()
        .messages(ws, OutboxStatus::Dead, false, 10, None)
        .await
        .unwrap();
    assert_eq!(dead.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);

    // Another workspace can neither see nor re-drive it.
    assert!(store.outbox().message(other, id).await.unwrap().is_none());
    not_found(store.outbox().redrive(other, id).await);
    assert_eq!(store.outbox().redrive_dead(other).await.unwrap(), 0);

    let redriven = store.outbox().redrive(ws, id).await.unwrap();
    assert_eq!(
        (redriven.status, redriven.attempts),
        (OutboxStatus::Pending, 0)
    );
    let claimed = store.outbox().claim(WEBHOOK, 10, 60).await.unwrap();
    assert!(
        claimed.iter().any(|m| m.id == id),
        "a re-driven message is due now"
    );
    store.outbox().delivered(id, 3).await.unwrap();
    let msg = conflict(store.outbox().redrive(ws, id).await);
    assert!(msg.contains("already delivered"), "{msg}");
    let (_, attempts) = store.outbox().message(ws, id).await.unwrap().unwrap();
    assert_eq!(attempts.len(), 4, "history survives a re-drive");
}

#[tokio::test]
async fn failures_back_off_then_dead_letter_and_redrive_on_every_backend() {
    on_every_backend!(failures_back_off_then_dead_letter_and_redrive);
}

async fn permanent_failures_and_redrive_all(store: Store) {
    let ws = queued(&store, "acme", 2).await;
    let claimed = store.outbox().claim(WEBHOOK, 10, 60).await.unwrap();
    assert_eq!(claimed.len(), 4);
    for m in &claimed {
        let outcome = store
            .outbox()
            .failed(m.id, "bad address", 1, true, &RetryPolicy::default())
            .await
            .unwrap();
        assert_eq!(
            outcome,
            FailureOutcome::Dead,
            "a permanent failure is dead at once"
        );
    }
    assert_eq!(store.outbox().counts(ws).await.unwrap().dead, 4);
    assert_eq!(store.outbox().redrive_dead(ws).await.unwrap(), 4);
    let counts = store.outbox().counts(ws).await.unwrap();
    assert_eq!((counts.dead, counts.pending, counts.retrying), (0, 4, 0));
    // Paging, newest first.
    let page1 = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 3, None)
        .await
        .unwrap();
    let page2 = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 3, Some(page1[2].id))
        .await
        .unwrap();
    let ids: Vec<i64> = page1.iter().chain(&page2).map(|m| m.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!((ids.len(), ids.clone()), (4, sorted));
    // Re-driven messages keep their last error until they succeed: "failed only" finds them.
    let failed = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, true, 10, None)
        .await
        .unwrap();
    assert_eq!(failed.len(), 4);
}

#[tokio::test]
async fn permanent_failures_and_redrive_all_on_every_backend() {
    on_every_backend!(permanent_failures_and_redrive_all);
}

async fn concurrent_claimers_never_share_a_message(store: Store) {
    queued(&store, "acme", 15).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.outbox().claim(WEBHOOK, 3, 60).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 30, "every message claimed");
    assert_eq!(unique.len(), all.len(), "no message claimed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_share_a_message_on_every_backend() {
    on_every_backend!(concurrent_claimers_never_share_a_message);
}

async fn webhook_endpoints_are_managed(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "other").await;
    for (url, events, needle) in [
        ("ftp://x.example/h", vec!["*"], "http:// or https://"),
        ("https://", vec!["*"], "URL with a host"),
        ("https://x.example/h", vec![], "at least one"),
        (
            "https://x.example/h",
            vec!["case.deleted"],
            "unknown event \"case.deleted\"",
        ),
        ("https://x.example/h", vec!["*", "case.created"], "alone"),
    ] {
        let msg = invalid(store.webhooks().create(ws, url, &strings(&events)).await);
        assert!(msg.contains(needle), "{url} {events:?}: {msg}");
    }
    assert!(
        store.webhooks().list(ws).await.unwrap().is_empty(),
        "nothing stored"
    );

    let (hook, secret) = store
        .webhooks()
        .create(
            ws,
            "https://crm.example/hooks",
            &strings(&["case.created", "case.updated", "case.created"]),
        )
        .await
        .unwrap();
    assert!(secret.starts_with(WEBHOOK_SECRET_PREFIX));
    assert!(secret.len() >= WEBHOOK_SECRET_PREFIX.len() + 32);
    assert_eq!(hook.events, ["case.created", "case.updated"]);
    assert!(hook.active);
    assert_eq!(
        store.webhooks().secret(hook.id).await.unwrap(),
        Some(secret.clone())
    );
    assert_eq!(
        store.webhooks().list(ws).await.unwrap(),
        std::slice::from_ref(&hook)
    );
    assert!(store.webhooks().list(other).await.unwrap().is_empty());
    assert!(store
        .webhooks()
        .get(other, hook.id)
        .await
        .unwrap()
        .is_none());

    let rotated = store.webhooks().rotate_secret(ws, hook.id).await.unwrap();
    assert_ne!(rotated, secret);
    assert_eq!(
        store.webhooks().secret(hook.id).await.unwrap(),
        Some(rotated)
    );
    not_found(store.webhooks().rotate_secret(other, hook.id).await);

    let updated = store
        .webhooks()
        .update(ws, hook.id, Some(&strings(&["*"])), Some(false))
        .await
        .unwrap();
    assert_eq!(
        (updated.events.clone(), updated.active),
        (strings(&["*"]), false)
    );
    invalid(
        store
            .webhooks()
            .update(ws, hook.id, Some(&strings(&["nope"])), None)
            .await,
    );
    not_found(
        store
            .webhooks()
            .update(other, hook.id, None, Some(true))
            .await,
    );
    assert_eq!(
        store.webhooks().get(ws, hook.id).await.unwrap(),
        Some(updated)
    );

    // An inactive endpoint hears nothing.
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    store
        .answers()
        .record(&answer(ws, survey.id, 2, Utc::now()))
        .await
        .unwrap();
    assert_eq!(store.outbox().counts(ws).await.unwrap().pending, 0);
    // Active again: it does, and then it can only be deactivated, not deleted.
    store
        .webhooks()
        .update(ws, hook.id, None, Some(true))
        .await
        .unwrap();
    store
        .answers()
        .record(&answer(ws, survey.id, 9, Utc::now()))
        .await
        .unwrap();
    assert_eq!(store.outbox().counts(ws).await.unwrap().pending, 1);
    not_found(store.webhooks().delete(other, hook.id).await);
    assert_eq!(
        store.webhooks().delete(ws, hook.id).await.unwrap(),
        WebhookRemoval::Deactivated
    );
    assert!(
        !store
            .webhooks()
            .get(ws, hook.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );

    let (unused, _) = store
        .webhooks()
        .create(ws, "http://127.0.0.1:8000/x", &strings(&["case.overdue"]))
        .await
        .unwrap();
    assert_eq!(
        store.webhooks().delete(ws, unused.id).await.unwrap(),
        WebhookRemoval::Deleted
    );
    assert!(store.webhooks().get(ws, unused.id).await.unwrap().is_none());
}

#[tokio::test]
async fn webhook_endpoints_are_managed_on_every_backend() {
    on_every_backend!(webhook_endpoints_are_managed);
}

/// An email that carries a one-time link (reset, invitation) is secret: every read of the
/// outbox shows its recipient and subject with the body redacted (list, detail, re-drive);
/// only a claim, which hands it to the sender, gets the link.
async fn secret_links_are_delivered_never_shown(store: Store) {
    use advocate_store::delivery::outbox::{EmailMessage, REDACTED};
    use advocate_store::tenancy::accounts::{TokenPurpose, UserToken};
    let ws = workspace(&store).await;
    let email = EmailMessage {
        from: "advocate@acme.example".into(),
        to: "kari@example.com".into(),
        subject: "Reset your Advocate password".into(),
        text: "http://advocate.example/password-reset/SECRET-TOKEN".into(),
        html: "<a href=\"http://advocate.example/password-reset/SECRET-TOKEN\">reset</a>".into(),
        ..Default::default()
    };
    let token = UserToken {
        email: email.to.clone(),
        workspace_id: None,
        role: None,
        created_by: None,
        expires_at: Utc::now() + Duration::hours(1),
    };
    store
        .accounts()
        .issue_user_token(
            TokenPurpose::PasswordReset,
            "SECRET-TOKEN",
            &token,
            Some((ws, &email)),
            Utc::now(),
        )
        .await
        .unwrap();
    let listed = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 10, None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let (detail, _) = store
        .outbox()
        .message(ws, listed[0].id)
        .await
        .unwrap()
        .unwrap();
    let redriven = store.outbox().redrive(ws, listed[0].id).await.unwrap();
    for shown in [&listed[0], &detail, &redriven] {
        assert!(shown.secret);
        assert!(!shown.payload.contains("SECRET-TOKEN"), "{}", shown.payload);
        assert!(!format!("{shown:?}").contains("SECRET-TOKEN"));
        let body: EmailMessage = serde_json::from_str(&shown.payload).unwrap();
        assert_eq!(
            (body.to.as_str(), body.subject.as_str()),
            (email.to.as_str(), email.subject.as_str())
        );
        assert_eq!(
            (body.text.as_str(), body.html.as_str()),
            (REDACTED, REDACTED)
        );
    }
    let claimed = store
        .outbox()
        .claim(&[MessageKind::Email], 10, 60)
        .await
        .unwrap();
    let sent: EmailMessage = serde_json::from_str(&claimed[0].payload).unwrap();
    assert_eq!(sent, email, "the sender gets the whole message");
}

#[tokio::test]
async fn secret_links_are_delivered_never_shown_on_every_backend() {
    on_every_backend!(secret_links_are_delivered_never_shown);
}
