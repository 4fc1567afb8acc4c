//! What the store writes for `/metrics`, on every backend: its counts, and the gauges read
//! at scrape time across all workspaces (open and overdue cases, the outbox by kind, dead
//! letters, the pools).

use crate::common::*;
use advocate_core::metrics::Exposition;
use advocate_core::SurveyKind;
use advocate_store::delivery::outbox::{MessageKind, RetryPolicy};
use advocate_store::models::{AnonymousDetractors, WorkspaceSettings};
use advocate_store::Store;
use chrono::{Duration, Utc};

/// The value of one series (`name{labels}` exactly as written).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
        .parse()
        .unwrap()
}

async fn scrape(store: &Store) -> String {
    let mut out = Exposition::default();
    store.write_metrics(&mut out).await.unwrap();
    out.finish()
}

async fn gauges_span_every_workspace(store: Store) {
    let empty = scrape(&store).await;
    assert_eq!(value(&empty, "advocate_cases_open"), 0.0);
    assert_eq!(
        value(
            &empty,
            r#"advocate_outbox_pending_messages{kind="webhook"}"#
        ),
        0.0
    );

    for slug in ["acme", "rival"] {
        let ws = named_workspace(&store, slug).await;
        let settings = WorkspaceSettings {
            anonymous_detractors: AnonymousDetractors::Case,
            ..Default::default()
        };
        store.settings().save(ws, &settings).await.unwrap();
        store
            .webhooks()
            .create(ws, "http://127.0.0.1:9/hook", &["*".to_owned()])
            .await
            .unwrap();
        let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
        // A day old, past any SLA; and one just in.
        for when in [Utc::now() - Duration::hours(24), Utc::now()] {
            store
                .answers()
                .record(&answer(ws, survey.id, 1, when))
                .await
                .unwrap();
        }
    }
    // One webhook message fails for good: a dead letter.
    let claimed = store
        .outbox()
        .claim(&[MessageKind::Webhook], 1, 60)
        .await
        .unwrap();
    store
        .outbox()
        .failed(claimed[0].id, "gone", 1, true, &RetryPolicy::default())
        .await
        .unwrap();

    let text = scrape(&store).await;
    assert_eq!(value(&text, "advocate_cases_open"), 4.0);
    assert_eq!(value(&text, "advocate_cases_overdue"), 2.0);
    assert_eq!(
        value(&text, r#"advocate_answers_accepted_total{channel="api"}"#),
        4.0
    );
    assert_eq!(value(&text, "advocate_answer_group_size_sum"), 4.0);
    // Each answer queued response.created and case.created; one of those is dead.
    assert_eq!(
        value(&text, r#"advocate_outbox_pending_messages{kind="webhook"}"#),
        7.0
    );
    assert_eq!(
        value(&text, r#"advocate_outbox_dead_messages{kind="webhook"}"#),
        1.0
    );
    assert_eq!(
        value(&text, r#"advocate_outbox_dead_messages{kind="email"}"#),
        0.0
    );
    assert!(
        value(
            &text,
            r#"advocate_outbox_oldest_pending_age_seconds{kind="webhook"}"#
        ) >= 0.0
    );
    assert_eq!(
        value(
            &text,
            r#"advocate_outbox_oldest_pending_age_seconds{kind="sms"}"#
        ),
        0.0
    );
    assert!(
        text.contains("advocate_db_pool_max_connections{pool="),
        "{text}"
    );
    // No series names a workspace.
    assert!(!text.contains("workspace=\""), "{text}");
}

#[tokio::test]
async fn gauges_span_every_workspace_on_every_backend() {
    on_every_backend!(gauges_span_every_workspace);
}
