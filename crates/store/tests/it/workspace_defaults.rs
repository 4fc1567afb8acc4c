//! What a fresh workspace starts with and what an admin can change about it: detractor
//! alerts that reach its admins until a team inbox is set, setup warnings, its name, its
//! widget secret and its rotation, and the demo's API key that is replaced, not added.

use crate::common::*;
use advocate_core::{Role, SurveyKind};
use advocate_store::delivery::outbox::OutboxStatus;
use advocate_store::models::{NewAnswer, Respondent, WorkspaceSettings};
use advocate_store::tenancy::widget_secret::GRACE_DAYS;
use advocate_store::Store;
use chrono::{Duration, Utc};

/// The recipients of the detractor alerts queued for the workspace.
async fn alert_recipients(store: &Store, ws: i64) -> Vec<String> {
    let mut to: Vec<String> = store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 500, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.event == "case.created" && m.kind.as_str() == "email")
        .map(|m| m.target)
        .collect();
    to.sort();
    to
}

/// A detractor answer from an identified customer (no account manager).
fn detractor(ws: i64, survey_id: i64, customer: &str, score: u8) -> NewAnswer {
    let mut a = answer(ws, survey_id, score, Utc::now());
    a.respondent = Respondent::Inline(crate::common::customer(customer, "basic"));
    a
}

fn codes(w: &[advocate_store::tenancy::setup::SetupWarning]) -> Vec<&str> {
    w.iter().map(|w| w.code).collect()
}

async fn alerts_reach_the_admins_until_a_team_inbox_is_set(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    // Nobody to tell yet: the warning says so.
    assert_eq!(
        codes(&store.workspaces().setup_warnings(ws).await.unwrap()),
        ["alerts_to_nobody", "sender_not_set"]
    );
    store
        .users()
        .create(ws, "boss@example.com", "x")
        .await
        .unwrap();
    store
        .users()
        .create_member(ws, "ada@example.com", "x", Role::Admin)
        .await
        .unwrap();
    store
        .users()
        .create_member(ws, "viewer@example.com", "x", Role::Viewer)
        .await
        .unwrap();
    let warnings = store.workspaces().setup_warnings(ws).await.unwrap();
    assert_eq!(codes(&warnings), ["alerts_to_admins", "sender_not_set"]);
    assert!(
        warnings[0].message.contains("Customer care")
            && warnings[0]
                .message
                .contains("ada@example.com, boss@example.com"),
        "{}",
        warnings[0].message
    );

    // A fresh workspace: the case lands in the default queue, the admins are emailed.
    store
        .answers()
        .record(&detractor(ws, survey.id, "c1", 0))
        .await
        .unwrap();
    assert_eq!(
        alert_recipients(&store, ws).await,
        ["ada@example.com", "boss@example.com"]
    );

    // With a team inbox (and a sender), the inbox gets it and nothing is left to warn of.
    let settings = WorkspaceSettings {
        alerts_email: Some("care@example.com".into()),
        sender_email: Some("nps@example.com".into()),
        ..WorkspaceSettings::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    assert!(store
        .workspaces()
        .setup_warnings(ws)
        .await
        .unwrap()
        .is_empty());
    store
        .answers()
        .record(&detractor(ws, survey.id, "c2", 2))
        .await
        .unwrap();
    assert_eq!(
        alert_recipients(&store, ws).await,
        ["ada@example.com", "boss@example.com", "care@example.com"]
    );
}

#[tokio::test]
async fn alerts_reach_the_admins_until_a_team_inbox_is_set_on_every_backend() {
    on_every_backend!(alerts_reach_the_admins_until_a_team_inbox_is_set);
}

async fn workspaces_are_renamed(store: Store) {
    let ws = workspace(&store).await;
    let renamed = store
        .workspaces()
        .rename(ws, "  Nordlys AS ")
        .await
        .unwrap();
    assert_eq!(renamed.name, "Nordlys AS");
    assert_eq!(
        store.workspaces().get(ws).await.unwrap().unwrap().name,
        "Nordlys AS"
    );
    for bad in ["", "   ", "a\u{0}b", &"x".repeat(101)] {
        let e = store.workspaces().rename(ws, bad).await.unwrap_err();
        assert!(e.to_string().contains("name"), "{bad:?}: {e}");
    }
    assert_eq!(
        store.workspaces().get(ws).await.unwrap().unwrap().name,
        "Nordlys AS"
    );
}

#[tokio::test]
async fn workspaces_are_renamed_on_every_backend() {
    on_every_backend!(workspaces_are_renamed);
}

async fn the_widget_secret_is_made_with_the_workspace_and_rotates_with_grace(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "other").await;
    let now = Utc::now();
    // Made with the workspace: there before any widget request.
    let first = store.workspaces().widget_secrets(ws, now).await.unwrap();
    assert_eq!(first.secret.len(), 64);
    assert_eq!(first.previous_secret, None);
    assert_eq!(
        store.invitations().widget_secret(ws).await.unwrap(),
        first.secret
    );
    assert_ne!(
        store
            .workspaces()
            .widget_secrets(other, now)
            .await
            .unwrap()
            .secret,
        first.secret
    );

    let rotated = store
        .workspaces()
        .rotate_widget_secret(ws, now)
        .await
        .unwrap();
    assert_ne!(rotated.secret, first.secret);
    assert_eq!(
        rotated.previous_secret.as_deref(),
        Some(first.secret.as_str())
    );
    assert_eq!(
        rotated.accepted().collect::<Vec<_>>(),
        [rotated.secret.as_str(), first.secret.as_str()]
    );
    // Within the grace period both are accepted; after it only the new one.
    let later = store
        .workspaces()
        .widget_secrets(ws, now + Duration::days(GRACE_DAYS) - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(later.accepted().count(), 2);
    let after = store
        .workspaces()
        .widget_secrets(ws, now + Duration::days(GRACE_DAYS) + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        after.accepted().collect::<Vec<_>>(),
        [rotated.secret.as_str()]
    );
    // The other workspace's secret did not move.
    assert_eq!(
        store
            .workspaces()
            .widget_secrets(other, now)
            .await
            .unwrap()
            .previous_secret,
        None
    );
}

#[tokio::test]
async fn the_widget_secret_is_made_with_the_workspace_and_rotates_with_grace_on_every_backend() {
    on_every_backend!(the_widget_secret_is_made_with_the_workspace_and_rotates_with_grace);
}

async fn a_replaced_api_key_leaves_one_key_of_its_name(store: Store) {
    let ws = workspace(&store).await;
    let (_, other) = store.api_keys().create(ws, "ci").await.unwrap();
    let (_, first) = store.api_keys().replace(ws, "demo").await.unwrap();
    let (_, second) = store.api_keys().replace(ws, "demo").await.unwrap();
    let (_, third) = store.api_keys().replace(ws, "demo").await.unwrap();
    let names: Vec<String> = store
        .api_keys()
        .list(ws)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["ci", "demo"], "one demo key, the others untouched");
    for old in [first, second] {
        assert!(store.api_keys().authenticate(&old).await.unwrap().is_none());
    }
    assert!(store
        .api_keys()
        .authenticate(&third)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .api_keys()
        .authenticate(&other)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_replaced_api_key_leaves_one_key_of_its_name_on_every_backend() {
    on_every_backend!(a_replaced_api_key_leaves_one_key_of_its_name);
}
