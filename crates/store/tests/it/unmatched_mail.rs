//! Inbound mail that names no case and no workspace, on every backend: with one workspace
//! it goes to that workspace's unmatched list; with several it waits for an operator,
//! who hands it to one workspace's list; bad hand-overs change nothing.

use crate::common::*;
use advocate_core::conversation::inbound;
use advocate_store::closed_loop::conversation::{InboundSource, Receipt, Received};
use advocate_store::Store;

fn mail(n: u32) -> Vec<u8> {
    format!(
        "From: someone@example.net\r\nTo: support@example.com\r\nSubject: Question {n}\r\n\
         Message-ID: <q{n}@example.net>\r\n\r\nHello {n}\r\n"
    )
    .into_bytes()
}

/// The mailbox's way in: no workspace, no token.
async fn from_mailbox(store: &Store, raw: &[u8]) -> Received {
    let parsed = inbound::parse(raw).unwrap();
    let receipt = Receipt {
        source: InboundSource::Imap,
        scope: None,
        token: None,
        forged_token: false,
        raw,
    };
    store
        .conversations()
        .receive(&parsed, &receipt)
        .await
        .unwrap()
}

fn unmatched_id(r: &Received) -> (i64, Option<i64>) {
    match r {
        Received::Unmatched {
            inbound_id,
            workspace_id,
            ..
        } => (*inbound_id, *workspace_id),
        other => panic!("expected unmatched: {other:?}"),
    }
}

async fn the_only_workspace_gets_it(store: Store) {
    let ws = workspace(&store).await;
    let (id, owner) = unmatched_id(&from_mailbox(&store, &mail(1)).await);
    assert_eq!(owner, Some(ws));
    let list = store.conversations().unmatched(ws).await.unwrap();
    assert_eq!(list.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    assert!(store.conversations().unclaimed().await.unwrap().is_empty());
}

#[tokio::test]
async fn with_one_workspace_mail_naming_none_is_in_its_unmatched_list() {
    on_every_backend!(the_only_workspace_gets_it);
}

async fn an_operator_hands_it_over(store: Store) {
    let acme = named_workspace(&store, "acme").await;
    let globex = named_workspace(&store, "globex").await;
    let (first, owner) = unmatched_id(&from_mailbox(&store, &mail(1)).await);
    assert_eq!(owner, None, "two workspaces: it names neither");
    let (second, _) = unmatched_id(&from_mailbox(&store, &mail(2)).await);
    assert_eq!(
        from_mailbox(&store, &mail(2)).await,
        Received::Duplicate,
        "taken once"
    );
    let waiting = store.conversations().unclaimed().await.unwrap();
    assert_eq!(
        waiting.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![second, first],
        "newest first"
    );
    assert_eq!(waiting[1].subject, "Question 1");
    assert!(waiting[1]
        .reason
        .as_deref()
        .unwrap()
        .contains("nothing in it names a case"));
    for ws in [acme, globex] {
        assert!(store
            .conversations()
            .unmatched(ws)
            .await
            .unwrap()
            .is_empty());
    }

    // Refused, nothing changed: no such workspace, no such message.
    let err = not_found(store.conversations().hand_over(first, globex + 1000).await);
    assert!(err.contains("no workspace"), "{err}");
    let err = not_found(store.conversations().hand_over(first + 1000, globex).await);
    assert!(err.contains("without a workspace"), "{err}");
    assert_eq!(store.conversations().unclaimed().await.unwrap().len(), 2);

    store
        .conversations()
        .hand_over(first, globex)
        .await
        .unwrap();
    let theirs = store.conversations().unmatched(globex).await.unwrap();
    assert_eq!(theirs.iter().map(|m| m.id).collect::<Vec<_>>(), vec![first]);
    assert!(store
        .conversations()
        .unmatched(acme)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .conversations()
            .unclaimed()
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        vec![second]
    );
    // Once a workspace's, no operator moves it to another.
    let err = not_found(store.conversations().hand_over(first, acme).await);
    assert!(err.contains("without a workspace"), "{err}");
    assert_eq!(
        store.conversations().unmatched(globex).await.unwrap().len(),
        1
    );

    // Its admins can now dismiss it like any unmatched mail.
    store
        .conversations()
        .dismiss(globex, first, "admin@globex.example")
        .await
        .unwrap();
    assert!(store
        .conversations()
        .unmatched(globex)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn with_several_workspaces_an_operator_hands_mail_naming_none_to_one() {
    on_every_backend!(an_operator_hands_it_over);
}
