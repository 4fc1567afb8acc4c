//! Two-factor sign-in as stored: a secret pending until confirmed, a code's step accepted
//! once, recovery codes stored hashed and used once, and turning it off forgetting all of
//! it — one person's state never touching another's.

use crate::common::*;
use advocate_store::testing::TestDb;
use advocate_store::Store;
use chrono::Utc;
use sqlx::{AnyConnection, Connection};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn codes(prefix: &str) -> Vec<String> {
    (0..10).map(|i| format!("{prefix}code{i:04}")).collect()
}

async fn enrolment_is_pending_until_confirmed_and_steps_are_used_once(store: Store) {
    let ws = workspace(&store).await;
    let ana = store
        .users()
        .create(ws, "ana@example.com", "h")
        .await
        .unwrap();
    let bob = store
        .users()
        .create(ws, "bob@example.com", "h")
        .await
        .unwrap();
    let tf = store.two_factor();
    assert_eq!(tf.state(ana.id).await.unwrap(), None);

    tf.begin(ana.id, SECRET, Utc::now()).await.unwrap();
    let pending = tf.state(ana.id).await.unwrap().unwrap();
    assert!(!pending.is_on());
    assert_eq!(pending.secret, SECRET);
    assert!(!tf.accept_step(ana.id, 100).await.unwrap(), "not on yet");
    assert!(!tf.use_recovery_code(ana.id, "x", Utc::now()).await.unwrap());
    // Restarting set-up replaces the secret.
    tf.begin(ana.id, "JBSWY3DPEHPK3PXP", Utc::now())
        .await
        .unwrap();
    assert_eq!(
        tf.state(ana.id).await.unwrap().unwrap().secret,
        "JBSWY3DPEHPK3PXP"
    );

    tf.confirm(ana.id, 100, &codes("a"), Utc::now())
        .await
        .unwrap();
    let on = tf.state(ana.id).await.unwrap().unwrap();
    assert!(on.is_on());
    assert_eq!((on.last_step, on.recovery_codes_left), (Some(100), 10));
    conflict(tf.confirm(ana.id, 101, &codes("a"), Utc::now()).await);
    let msg = conflict(tf.begin(ana.id, SECRET, Utc::now()).await);
    assert!(msg.contains("turn it off"), "{msg}");

    // The confirming step, and any older one, is refused; a later one once.
    assert!(!tf.accept_step(ana.id, 100).await.unwrap());
    assert!(!tf.accept_step(ana.id, 99).await.unwrap());
    assert!(tf.accept_step(ana.id, 101).await.unwrap());
    assert!(!tf.accept_step(ana.id, 101).await.unwrap(), "replayed");
    assert_eq!(
        tf.state(ana.id).await.unwrap().unwrap().last_step,
        Some(101)
    );

    // Bob is untouched by all of it.
    assert_eq!(tf.state(bob.id).await.unwrap(), None);
    assert!(!tf.accept_step(bob.id, 500).await.unwrap());
    conflict(tf.confirm(bob.id, 1, &codes("b"), Utc::now()).await);
}

async fn recovery_codes_are_hashed_used_once_and_replaced(db: &TestDb) {
    let store = db.store().await;
    let ws = workspace(&store).await;
    let ana = store
        .users()
        .create(ws, "ana@example.com", "h")
        .await
        .unwrap();
    let bob = store
        .users()
        .create(ws, "bob@example.com", "h")
        .await
        .unwrap();
    let tf = store.two_factor();
    for (user, prefix) in [(ana.id, "a"), (bob.id, "b")] {
        tf.begin(user, SECRET, Utc::now()).await.unwrap();
        tf.confirm(user, 1, &codes(prefix), Utc::now())
            .await
            .unwrap();
    }
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(&mut AnyConnection::connect(&db.url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(stored.len(), 20);
    assert!(
        stored.iter().all(|h| h.len() == 64 && !h.contains("code")),
        "only digests are stored: {stored:?}"
    );

    assert!(
        !tf.use_recovery_code(ana.id, "bcode0000", Utc::now())
            .await
            .unwrap(),
        "bob's"
    );
    assert!(tf
        .use_recovery_code(ana.id, "acode0000", Utc::now())
        .await
        .unwrap());
    assert!(
        !tf.use_recovery_code(ana.id, "acode0000", Utc::now())
            .await
            .unwrap(),
        "used"
    );
    assert_eq!(
        tf.state(ana.id).await.unwrap().unwrap().recovery_codes_left,
        9
    );
    assert_eq!(
        tf.state(bob.id).await.unwrap().unwrap().recovery_codes_left,
        10
    );

    tf.replace_recovery_codes(ana.id, &codes("new"), Utc::now())
        .await
        .unwrap();
    assert!(
        !tf.use_recovery_code(ana.id, "acode0001", Utc::now())
            .await
            .unwrap(),
        "old"
    );
    assert!(tf
        .use_recovery_code(ana.id, "newcode0001", Utc::now())
        .await
        .unwrap());
    assert_eq!(
        tf.state(ana.id).await.unwrap().unwrap().recovery_codes_left,
        9
    );

    // Off: secret and codes go; bob keeps his.
    assert!(tf.remove(ana.id).await.unwrap());
    assert!(!tf.remove(ana.id).await.unwrap(), "already off");
    assert_eq!(tf.state(ana.id).await.unwrap(), None);
    assert!(!tf
        .use_recovery_code(ana.id, "newcode0002", Utc::now())
        .await
        .unwrap());
    conflict(
        tf.replace_recovery_codes(ana.id, &codes("x"), Utc::now())
            .await,
    );
    assert!(tf.state(bob.id).await.unwrap().unwrap().is_on());
    assert!(tf
        .use_recovery_code(bob.id, "bcode0000", Utc::now())
        .await
        .unwrap());
}

#[tokio::test]
async fn two_factor_enrolment_and_steps_on_every_backend() {
    on_every_backend!(enrolment_is_pending_until_confirmed_and_steps_are_used_once);
}

#[tokio::test]
async fn two_factor_recovery_codes_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        recovery_codes_are_hashed_used_once_and_replaced(&db).await;
    }
}
