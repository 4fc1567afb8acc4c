//! Read-only dashboard share links, on every backend: a link opens only while live (not
//! expired, not revoked), only its token's fingerprint is stored, bad input changes
//! nothing, and another workspace can neither list nor revoke it.

use crate::common::*;
use advocate_store::testing::{count, execute};
use advocate_store::{Store, StoreError};

async fn links_open_while_live(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "other").await;
    let shares = store.shares();
    let (share, token) = shares
        .create(
            ws,
            "user:ana@example.com",
            " Office screen ",
            "period=90d",
            7,
        )
        .await
        .unwrap();
    assert_eq!(share.label, "Office screen");
    assert_eq!(share.view, "period=90d");
    assert!(token.len() >= 40);
    // Only the fingerprint is stored.
    let plain = format!("SELECT COUNT(*) FROM dashboard_shares WHERE token_hash = '{token}'");
    assert_eq!(count(&store, &plain).await, 0);
    assert_eq!(shares.open(&token).await.unwrap().unwrap().id, share.id);
    assert!(shares.open("forged").await.unwrap().is_none());
    assert!(shares.open("").await.unwrap().is_none());

    // Bad input is named and stores nothing.
    for (label, days, field) in [("", 7, "label"), ("x", 0, "days"), ("x", 91, "days")] {
        match shares.create(ws, "cli", label, "", days).await {
            Err(StoreError::Invalid(m)) => assert!(m.starts_with(field), "{m}"),
            other => panic!("{label:?} {days}: {other:?}"),
        }
    }
    assert_eq!(shares.list(ws).await.unwrap().len(), 1);

    // Another workspace sees none of it and cannot revoke it.
    assert!(shares.list(other).await.unwrap().is_empty());
    assert!(matches!(
        shares.revoke(other, share.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(shares.open(&token).await.unwrap().is_some());

    // Revoked: closed at once; revoking again keeps the first time.
    let revoked = shares.revoke(ws, share.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(shares.open(&token).await.unwrap().is_none());
    let again = shares.revoke(ws, share.id).await.unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at);

    // Expired: closed too.
    let (late, late_token) = shares.create(ws, "cli", "Wall", "", 1).await.unwrap();
    execute(
        &store,
        &format!(
            "UPDATE dashboard_shares SET expires_at = created_at - 1 WHERE id = {}",
            late.id
        ),
    )
    .await;
    assert!(shares.open(&late_token).await.unwrap().is_none());
    let listed = shares.list(ws).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, late.id, "newest first");
}

#[tokio::test]
async fn share_links_open_while_live_and_stay_in_their_workspace() {
    on_every_backend!(links_open_while_live);
}
