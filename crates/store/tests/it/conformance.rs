//! One suite, every backend: each test runs against SQLite and, when configured,
//! PostgreSQL (see `advocate_store::testing`). Every public store operation is exercised
//! here, happy and unhappy paths alike.

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::field::IdempotencyKey;
use advocate_core::i18n::TextOverrides;
use advocate_core::{Channel, CiMethod, Granularity, GroupBy, Language, Rating, SurveyKind};
use advocate_store::insight::analytics::NpsQuery;
use advocate_store::models::{NewAnswer, Respondent};
use advocate_store::testing::TestDb;
use advocate_store::{Backend, Store};
use chrono::{Duration, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Barrier;

// ---------------------------------------------------------------------------------------
// Connecting and migrating
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn connect_rejects_urls_of_other_databases() {
    for url in [
        "mysql://root@localhost/advocate",
        "http://localhost/advocate",
        "advocate.db",
        "",
    ] {
        let msg = invalid(Store::connect(url).await);
        assert!(
            msg.contains("sqlite:") && msg.contains("postgres://"),
            "{url:?}: {msg}"
        );
    }
    let msg = invalid(Store::connect("mysql://root:secret@localhost/advocate").await);
    assert!(
        !msg.contains("secret"),
        "the URL's password is not echoed: {msg}"
    );
}

#[tokio::test]
async fn connect_rejects_in_memory_sqlite() {
    for url in [
        "sqlite::memory:",
        "sqlite://:memory:",
        "sqlite::memory:?cache=shared",
        "sqlite:",
    ] {
        let msg = invalid(Store::connect(url).await);
        assert!(
            msg.contains("in-memory") && msg.contains("file path"),
            "{url:?}: {msg}"
        );
    }
}

#[tokio::test]
async fn connect_creates_missing_sqlite_folders_and_keeps_data() {
    let root = temp_path("nested");
    let file = root.join("a").join("b").join("advocate.db");
    assert!(!root.exists());
    let url = format!("sqlite://{}", file.display());
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.migrate().await.unwrap();
    store.migrate().await.expect("migrating twice is fine");
    store.ping().await.unwrap();
    let ws = store
        .workspaces()
        .create("acme", "Acme", &Language::english())
        .await
        .unwrap();
    store.close().await;
    assert!(
        file.is_file(),
        "database file created at {}",
        file.display()
    );

    // Reopening the file finds what was written, and migrating again changes nothing.
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.workspaces().list().await.unwrap(), vec![ws]);
    store.close().await;
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn a_start_with_nothing_to_migrate_reads_no_table_in_full() {
    // The check of every reference after a migration reads the whole database (23 s on
    // 1 GB), so it must run only when a migration is pending. Seen from outside: a
    // dangling reference planted while enforcement was off does not stop a start with
    // nothing to migrate (after a migration it would: see `migrate`).
    let root = temp_path("no-scan");
    let url = format!("sqlite://{}", root.join("advocate.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let mut raw = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::raw_sql(
        "PRAGMA foreign_keys = OFF; INSERT INTO theme_edits (workspace_id, edit, actor, \
         created_at) VALUES (999, '{}', 'test', 0)",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    sqlx::Connection::close(raw).await.unwrap();
    let store = Store::connect(&url).await.unwrap();
    store
        .migrate()
        .await
        .expect("nothing pending: started without reading every table");
    store.close().await;

    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn migrate_twice_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.store().await;
        assert_eq!(store.backend(), db.backend);
        let ws = workspace(&store).await;
        store.migrate().await.expect("second migration is a no-op");
        store.ping().await.unwrap();
        assert_eq!(
            store.workspaces().get(ws).await.unwrap().unwrap().slug,
            "acme"
        );
        // A second handle on the same database sees the same data.
        let other = Store::connect(&db.url).await.unwrap();
        other.migrate().await.unwrap();
        assert_eq!(other.workspaces().list().await.unwrap().len(), 1);
        other.close().await;
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// Workspaces, users, API keys, settings
// ---------------------------------------------------------------------------------------

async fn workspaces_are_unique_by_slug(store: Store) {
    assert!(store.workspaces().list().await.unwrap().is_empty());
    let acme = store
        .workspaces()
        .create("acme", "Acme AS", &lang("nb"))
        .await
        .unwrap();
    assert_eq!(acme.slug, "acme");
    assert_eq!(acme.name, "Acme AS");
    assert_eq!(acme.default_language, lang("nb"));
    assert!((Utc::now() - acme.created_at).num_seconds().abs() < 60);
    let globex = store
        .workspaces()
        .create("globex", "Globex", &Language::english())
        .await
        .unwrap();
    assert_ne!(acme.id, globex.id);

    assert_eq!(
        store.workspaces().get(acme.id).await.unwrap(),
        Some(acme.clone())
    );
    assert_eq!(
        store.workspaces().by_slug("globex").await.unwrap(),
        Some(globex.clone())
    );
    assert_eq!(
        store.workspaces().get(globex.id + 1000).await.unwrap(),
        None
    );
    assert_eq!(store.workspaces().by_slug("initech").await.unwrap(), None);
    assert_eq!(
        store.workspaces().list().await.unwrap(),
        vec![acme.clone(), globex.clone()]
    );

    let msg = conflict(
        store
            .workspaces()
            .create("acme", "Another Acme", &Language::english())
            .await,
    );
    assert!(msg.contains("\"acme\""), "{msg}");
    assert_eq!(
        store.workspaces().list().await.unwrap().len(),
        2,
        "nothing stored"
    );
    assert_eq!(
        store
            .workspaces()
            .by_slug("acme")
            .await
            .unwrap()
            .unwrap()
            .name,
        "Acme AS",
        "the existing workspace is untouched"
    );
}

#[tokio::test]
async fn workspaces_on_every_backend() {
    on_every_backend!(workspaces_are_unique_by_slug);
}

async fn users_are_found_by_normalised_email(store: Store) {
    let ws = workspace(&store).await;
    let user = store
        .users()
        .create(ws, "  Alice@Example.COM ", "$argon2id$hash-1")
        .await
        .unwrap();
    assert_eq!(user.email, "alice@example.com");
    assert_eq!(user.workspace_id, ws);
    assert_eq!(user.password_hash, "$argon2id$hash-1");

    assert_eq!(
        store.users().by_email("alice@example.com").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        store.users().by_email(" ALICE@example.com").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        store.users().get(user.id).await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        store.users().by_email("bob@example.com").await.unwrap(),
        None
    );
    assert_eq!(store.users().get(user.id + 1000).await.unwrap(), None);

    let msg = conflict(store.users().create(ws, "ALICE@example.com", "other").await);
    assert!(msg.contains("alice@example.com"), "{msg}");
    assert_eq!(
        store
            .users()
            .by_email("alice@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$hash-1",
        "the existing user is untouched"
    );

    store
        .users()
        .set_password_hash(user.id, "$argon2id$hash-2")
        .await
        .unwrap();
    assert_eq!(
        store
            .users()
            .get(user.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$hash-2"
    );
    let msg = not_found(store.users().set_password_hash(user.id + 1000, "x").await);
    assert!(msg.contains(&(user.id + 1000).to_string()), "{msg}");
    assert_eq!(
        store
            .users()
            .get(user.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$hash-2"
    );

    let bob = store
        .users()
        .create(ws, "bob@example.com", "h")
        .await
        .unwrap();
    assert_ne!(bob.id, user.id);
}

#[tokio::test]
async fn users_on_every_backend() {
    on_every_backend!(users_are_found_by_normalised_email);
}

/// Needs the database URL to look at the stored row, so it loops over backends itself.
#[tokio::test]
async fn api_keys_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.store().await;
        let a = named_workspace(&store, "acme").await;
        let b = named_workspace(&store, "globex").await;

        let (key, plaintext) = store.api_keys().create(a, "CI").await.unwrap();
        assert!(plaintext.starts_with("adv_"), "{plaintext}");
        assert!(plaintext.len() >= 36, "{plaintext}");
        assert_eq!(key.workspace_id, a);
        assert_eq!(key.name, "CI");
        assert!(plaintext.starts_with(&key.prefix) && key.prefix.len() < plaintext.len() / 2);
        assert_eq!(key.last_used_at, None);

        // The plaintext is stored nowhere: not in any column of the key's row.
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
            .await
            .unwrap();
        let row: (String, String, String) =
            sqlx::query_as("SELECT name, prefix, key_hash FROM api_keys WHERE id = $1")
                .bind(key.id)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        let secret = &plaintext[key.prefix.len()..];
        for column in [&row.0, &row.1, &row.2] {
            assert!(!column.contains(secret), "plaintext stored: {column}");
        }
        drop(conn);

        let found = store
            .api_keys()
            .authenticate(&plaintext)
            .await
            .unwrap()
            .expect("the key authenticates");
        assert_eq!((found.id, found.workspace_id), (key.id, a));

        let mut tampered = plaintext.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'x' { 'y' } else { 'x' });
        for wrong in [
            tampered.as_str(),
            "",
            key.prefix.as_str(),
            &plaintext[..plaintext.len() - 1],
            &format!("{plaintext} "),
            &format!("{plaintext}0"),
        ] {
            assert_eq!(
                store.api_keys().authenticate(wrong).await.unwrap(),
                None,
                "{wrong:?}"
            );
        }

        let listed = store.api_keys().list(a).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, key.id);
        assert_eq!(listed[0].prefix, key.prefix);
        let used = listed[0]
            .last_used_at
            .expect("authenticate records last use");
        assert!((Utc::now() - used).num_seconds().abs() < 60);
        let json = serde_json::to_string(&listed).unwrap();
        assert!(!json.contains(secret), "listing leaks the key: {json}");

        // Keys never cross workspaces.
        assert!(store.api_keys().list(b).await.unwrap().is_empty());
        let (key_b, plaintext_b) = store.api_keys().create(b, "CI").await.unwrap();
        assert_ne!(plaintext_b, plaintext);
        let found_b = store
            .api_keys()
            .authenticate(&plaintext_b)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found_b.id, found_b.workspace_id), (key_b.id, b));
        assert_eq!(
            store
                .api_keys()
                .authenticate(&plaintext)
                .await
                .unwrap()
                .unwrap()
                .workspace_id,
            a
        );
        let (second, _) = store.api_keys().create(a, "Zapier").await.unwrap();
        let names: Vec<_> = store
            .api_keys()
            .list(a)
            .await
            .unwrap()
            .into_iter()
            .map(|k| (k.id, k.name))
            .collect();
        assert_eq!(names, [(key.id, "CI".into()), (second.id, "Zapier".into())]);
        let listed_b = store.api_keys().list(b).await.unwrap();
        assert_eq!(listed_b.len(), 1);
        assert_eq!((listed_b[0].id, listed_b[0].workspace_id), (key_b.id, b));
        store.close().await;
    }
}

async fn settings_keep_their_first_value(store: Store) {
    let first = store
        .workspaces()
        .setting_or_insert("some_key", || "first".into())
        .await
        .unwrap();
    assert_eq!(first, "first");
    let again = store
        .workspaces()
        .setting_or_insert("some_key", || "second".into())
        .await
        .unwrap();
    assert_eq!(again, "first");
    let other = store
        .workspaces()
        .setting_or_insert("instance_id", || "other".into())
        .await
        .unwrap();
    assert_eq!(other, "other");

    // Concurrent first calls agree on one value.
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .workspaces()
                    .setting_or_insert("raced", move || format!("value-{i}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut values = Vec::new();
    for t in tasks {
        values.push(t.await.unwrap());
    }
    assert!(values.iter().all(|v| *v == values[0]), "{values:?}");
    assert_eq!(
        store
            .workspaces()
            .setting_or_insert("raced", || "late".into())
            .await
            .unwrap(),
        values[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_on_every_backend() {
    on_every_backend!(settings_keep_their_first_value);
}

// ---------------------------------------------------------------------------------------
// Surveys
// ---------------------------------------------------------------------------------------

async fn surveys_round_trip_and_stay_in_their_workspace(store: Store) {
    let a = named_workspace(&store, "acme").await;
    let b = named_workspace(&store, "globex").await;
    assert!(store.surveys().list(a).await.unwrap().is_empty());

    let mut new = survey("relationship", SurveyKind::Nps, Some("renewal"));
    new.default_language = lang("nb");
    let nb = TextOverrides {
        question: Some("Hvor sannsynlig er det at du anbefaler {company}?".into()),
        thanks_title: Some("Tusen takk!".into()),
        ..Default::default()
    };
    let en = TextOverrides {
        follow_up_detractor: Some("What went wrong?".into()),
        ..Default::default()
    };
    new.texts = [(lang("nb"), nb.clone()), (lang("en"), en.clone())].into();
    let rel = store.surveys().create(a, &new).await.unwrap();
    assert_eq!(rel.workspace_id, a);
    assert_eq!(rel.slug, "relationship");
    assert_eq!(rel.kind, SurveyKind::Nps);
    assert_eq!(rel.name, "relationship survey");
    assert_eq!(rel.touchpoint.as_deref(), Some("renewal"));
    assert_eq!(rel.default_language, lang("nb"));
    assert_eq!(rel.texts.get(&lang("nb")), Some(&nb));
    assert_eq!(rel.texts.get(&lang("en")), Some(&en));
    assert_eq!(rel.texts.len(), 2);

    let csat = store
        .surveys()
        .create(a, &survey("support", SurveyKind::Csat, None))
        .await
        .unwrap();
    assert_eq!(csat.touchpoint, None);
    assert!(csat.texts.is_empty());

    // Every lookup returns the same row.
    assert_eq!(
        store.surveys().get(a, rel.id).await.unwrap(),
        Some(rel.clone())
    );
    assert_eq!(
        store.surveys().by_slug(a, "relationship").await.unwrap(),
        Some(rel.clone())
    );
    assert_eq!(
        store.surveys().by_public_id(&rel.public_id).await.unwrap(),
        Some(rel.clone())
    );
    assert_eq!(
        store.surveys().list(a).await.unwrap(),
        vec![rel.clone(), csat.clone()]
    );
    assert_eq!(store.surveys().get(a, csat.id + 1000).await.unwrap(), None);
    assert_eq!(store.surveys().by_slug(a, "nope").await.unwrap(), None);
    assert_eq!(
        store
            .surveys()
            .by_public_id("not-a-public-id")
            .await
            .unwrap(),
        None
    );

    // Duplicate slugs conflict within a workspace, whatever else differs.
    let msg = conflict(
        store
            .surveys()
            .create(a, &survey("relationship", SurveyKind::Enps, None))
            .await,
    );
    assert!(msg.contains("\"relationship\""), "{msg}");
    assert_eq!(
        store.surveys().list(a).await.unwrap().len(),
        2,
        "nothing stored"
    );
    assert_eq!(
        store.surveys().get(a, rel.id).await.unwrap().unwrap().kind,
        SurveyKind::Nps
    );

    // …but not across workspaces, and another workspace's survey is invisible.
    let rel_b = store
        .surveys()
        .create(b, &survey("relationship", SurveyKind::Enps, None))
        .await
        .unwrap();
    assert_ne!(rel_b.id, rel.id);
    assert_eq!(store.surveys().get(b, rel.id).await.unwrap(), None);
    assert_eq!(store.surveys().get(a, rel_b.id).await.unwrap(), None);
    assert_eq!(store.surveys().get(b, csat.id).await.unwrap(), None);
    assert_eq!(store.surveys().by_slug(b, "support").await.unwrap(), None);
    assert_eq!(
        store.surveys().by_slug(b, "relationship").await.unwrap(),
        Some(rel_b.clone())
    );
    assert_eq!(
        store.surveys().by_slug(a, "relationship").await.unwrap(),
        Some(rel.clone())
    );
    assert_eq!(store.surveys().list(b).await.unwrap(), vec![rel_b.clone()]);

    // Public ids: unguessable, distinct, link-safe.
    let mut ids = vec![rel.public_id, csat.public_id, rel_b.public_id];
    for i in 0..5 {
        ids.push(
            store
                .surveys()
                .create(a, &survey(&format!("extra-{i}"), SurveyKind::Nps, None))
                .await
                .unwrap()
                .public_id,
        );
    }
    for id in &ids {
        assert!(id.len() >= 16, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    }
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
}

#[tokio::test]
async fn surveys_on_every_backend() {
    on_every_backend!(surveys_round_trip_and_stay_in_their_workspace);
}

// ---------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------

async fn customers_upsert_and_merge(store: Store) {
    let a = named_workspace(&store, "acme").await;
    let b = named_workspace(&store, "globex").await;
    assert_eq!(store.customers().count(a).await.unwrap(), 0);
    assert_eq!(
        store.customers().by_external_id(a, "C1").await.unwrap(),
        None
    );

    let full = CustomerInput {
        external_id: "C1".into(),
        name: Some("Ann".into()),
        email: Some("ann@example.com".into()),
        phone: Some("+4712345678".into()),
        language: Some(lang("nb")),
        attributes: [
            (label("plan"), "basic".to_owned()),
            (label("region"), "north".to_owned()),
        ]
        .into(),
        account_manager: Some("Bob".into()),
    };
    let created = store.customers().upsert(a, &full).await.unwrap();
    assert_eq!(created.workspace_id, a);
    assert_eq!(created.external_id, "C1");
    assert_eq!(created.name.as_deref(), Some("Ann"));
    assert_eq!(created.email.as_deref(), Some("ann@example.com"));
    assert_eq!(created.phone.as_deref(), Some("+4712345678"));
    assert_eq!(created.language, Some(lang("nb")));
    assert_eq!(created.account_manager.as_deref(), Some("Bob"));
    assert_eq!(created.attributes, full.attributes);
    assert_eq!(store.customers().count(a).await.unwrap(), 1);

    // Only the fields given change; attributes merge.
    let partial = CustomerInput {
        external_id: "C1".into(),
        name: Some("Ann B.".into()),
        attributes: [
            (label("plan"), "premium".to_owned()),
            (label("size"), "large".to_owned()),
        ]
        .into(),
        ..Default::default()
    };
    let updated = store.customers().upsert(a, &partial).await.unwrap();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.name.as_deref(), Some("Ann B."));
    assert_eq!(updated.email, created.email);
    assert_eq!(updated.phone, created.phone);
    assert_eq!(updated.language, created.language);
    assert_eq!(updated.account_manager, created.account_manager);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);
    let expected: BTreeMap<_, _> = [
        (label("plan"), "premium".to_owned()),
        (label("region"), "north".to_owned()),
        (label("size"), "large".to_owned()),
    ]
    .into();
    assert_eq!(updated.attributes, expected);
    assert_eq!(store.customers().count(a).await.unwrap(), 1);
    assert_eq!(
        store.customers().by_external_id(a, "C1").await.unwrap(),
        Some(updated.clone())
    );

    // An upsert with nothing but the id changes nothing.
    let bare = CustomerInput {
        external_id: "C1".into(),
        ..Default::default()
    };
    let same = store.customers().upsert(a, &bare).await.unwrap();
    assert_eq!(same.attributes, expected);
    assert_eq!(same.name.as_deref(), Some("Ann B."));

    // The same external id in another workspace is another customer.
    assert_eq!(
        store.customers().by_external_id(b, "C1").await.unwrap(),
        None
    );
    assert_eq!(store.customers().count(b).await.unwrap(), 0);
    let other = store
        .customers()
        .upsert(b, &customer("C1", "enterprise"))
        .await
        .unwrap();
    assert_ne!(other.id, created.id);
    assert_eq!(other.workspace_id, b);
    assert_eq!(
        other.attributes,
        [(label("plan"), "enterprise".to_owned())].into()
    );
    assert_eq!(store.customers().count(a).await.unwrap(), 1);
    assert_eq!(store.customers().count(b).await.unwrap(), 1);
    let still = store
        .customers()
        .by_external_id(a, "C1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        still.attributes, expected,
        "workspace B's upsert left A alone"
    );
    assert_eq!(still.name.as_deref(), Some("Ann B."));

    store
        .customers()
        .upsert(a, &customer("C2", "basic"))
        .await
        .unwrap();
    assert_eq!(store.customers().count(a).await.unwrap(), 2);
    assert_eq!(store.customers().count(b).await.unwrap(), 1);
}

async fn customers_upsert_in_batches(store: Store) {
    let a = named_workspace(&store, "acme").await;
    let b = named_workspace(&store, "globex").await;
    store.customers().upsert_many(a, &[]).await.unwrap();
    assert_eq!(store.customers().count(a).await.unwrap(), 0);
    store
        .customers()
        .upsert(a, &customer("C1", "basic"))
        .await
        .unwrap();
    let update_c1 = CustomerInput {
        external_id: "C1".into(),
        email: Some("c1@example.com".into()),
        attributes: [(label("region"), "north".to_owned())].into(),
        ..Default::default()
    };
    let c2_again = CustomerInput {
        external_id: "C2".into(),
        attributes: [(label("plan"), "premium".to_owned())].into(),
        ..Default::default()
    };
    store
        .customers()
        .upsert_many(
            a,
            &[
                update_c1,
                customer("C2", "basic"),
                customer("C3", "basic"),
                c2_again,
            ],
        )
        .await
        .unwrap();
    assert_eq!(store.customers().count(a).await.unwrap(), 3);
    assert_eq!(store.customers().count(b).await.unwrap(), 0);
    let c1 = store
        .customers()
        .by_external_id(a, "C1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c1.name.as_deref(), Some("Customer C1"), "kept");
    assert_eq!(c1.email.as_deref(), Some("c1@example.com"));
    assert_eq!(
        c1.attributes,
        [
            (label("plan"), "basic".to_owned()),
            (label("region"), "north".to_owned())
        ]
        .into()
    );
    let c2 = store
        .customers()
        .by_external_id(a, "C2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c2.attributes,
        [(label("plan"), "premium".to_owned())].into(),
        "a later row of the same batch updates an earlier one"
    );
    assert_eq!(c2.name.as_deref(), Some("Customer C2"));

    // A batch that fails part-way (here: the workspace does not exist) stores nothing.
    let missing = b + 1000;
    assert!(store
        .customers()
        .upsert_many(missing, &[customer("C9", "basic")])
        .await
        .is_err());
    assert_eq!(store.customers().count(missing).await.unwrap(), 0);
}

#[tokio::test]
async fn customer_batches_on_every_backend() {
    on_every_backend!(customers_upsert_in_batches);
}

#[tokio::test]
async fn customers_on_every_backend() {
    on_every_backend!(customers_upsert_and_merge);
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

async fn answers_round_trip_with_nulls_and_rollups(store: Store) {
    let ws = workspace(&store).await;
    let s = store
        .surveys()
        .create(ws, &survey("rel", SurveyKind::Nps, Some("renewal")))
        .await
        .unwrap();
    store
        .customers()
        .upsert(ws, &customer("C1", "premium"))
        .await
        .unwrap();
    let mut a = answer(ws, s.id, 10, at(2026, 3, 2));
    a.respondent = Respondent::Known("C1".into());
    let recorded = store.answers().record(&a).await.unwrap();
    assert!(!recorded.replayed);
    let stored = store
        .answers()
        .get(ws, recorded.answer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, recorded.answer);
    assert_eq!(stored.score, 10);
    assert_eq!(stored.comment, None);
    assert_eq!(stored.channel, "api");
    assert_eq!(stored.answered_at, at(2026, 3, 2));
    assert_eq!(
        stored.touchpoint.as_deref(),
        Some("renewal"),
        "survey touchpoint is the default"
    );
    assert_eq!(
        stored.language.as_deref(),
        Some("nb"),
        "customer language is the default"
    );
    assert_eq!(
        stored.attributes.get(&label("plan")).map(String::as_str),
        Some("premium")
    );
    store
        .answers()
        .record(&answer(ws, s.id, 3, at(2026, 3, 3)))
        .await
        .unwrap();

    let mut q = query(ws, None);
    q.group_by = Some(GroupBy::Segment(label("plan")));
    let report = store.analytics().report(&q).await.unwrap();
    assert_eq!(
        (
            report.summary.n,
            report.summary.promoters,
            report.summary.detractors
        ),
        (2, 1, 1)
    );
    assert_eq!(report.summary.nps, Some(0.0));
    assert_eq!(report.summary.ambassadors, 1);
    let groups = report.groups.unwrap();
    assert_eq!(groups.len(), 1, "anonymous answers have no segment");
    assert_eq!(
        (groups[0].key.as_str(), groups[0].summary.n),
        ("premium", 1)
    );
}

#[tokio::test]
async fn answers_round_trip_on_every_backend() {
    on_every_backend!(answers_round_trip_with_nulls_and_rollups);
}

async fn respondents_known_inline_and_anonymous(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;

    // Unknown customer: a clear error naming the id, and nothing stored.
    let mut unknown = answer(ws, s.id, 9, at(2026, 3, 2));
    unknown.respondent = Respondent::Known("C404".into());
    let msg = not_found(store.answers().record(&unknown).await);
    assert!(msg.contains("C404"), "{msg}");
    assert_eq!(store.answers().count(ws).await.unwrap(), 0);
    assert_eq!(store.customers().count(ws).await.unwrap(), 0);
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!((r.summary.n, r.summary.nps), (0, None));

    // Inline: creates the customer and snapshots its attributes and language.
    let mut inline = answer(ws, s.id, 9, at(2026, 3, 2));
    inline.respondent = Respondent::Inline(customer("C9", "basic"));
    let first = store.answers().record(&inline).await.unwrap().answer;
    let c9 = store
        .customers()
        .by_external_id(ws, "C9")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.customer_id, Some(c9.id));
    assert_eq!(c9.name.as_deref(), Some("Customer C9"));
    assert_eq!(first.language.as_deref(), Some("nb"));
    assert_eq!(
        first.touchpoint, None,
        "survey without touchpoint, none given"
    );
    assert_eq!(
        first.attributes,
        [(label("plan"), "basic".to_owned())].into()
    );
    assert_eq!(store.customers().count(ws).await.unwrap(), 1);

    // Inline again: updates the same customer (merging attributes); explicit language
    // and touchpoint win over the defaults.
    let mut again = answer(ws, s.id, 6, at(2026, 3, 3));
    again.respondent = Respondent::Inline(CustomerInput {
        external_id: "C9".into(),
        attributes: [(label("region"), "west".to_owned())].into(),
        ..Default::default()
    });
    again.language = Some(lang("de"));
    again.touchpoint = Some(label("support"));
    again.channel = Channel::Email;
    again.comment = Some("Slow support".into());
    let second = store.answers().record(&again).await.unwrap().answer;
    assert_eq!(second.customer_id, Some(c9.id));
    assert_eq!(second.language.as_deref(), Some("de"));
    assert_eq!(second.touchpoint.as_deref(), Some("support"));
    assert_eq!(second.channel, "email");
    assert_eq!(second.comment.as_deref(), Some("Slow support"));
    assert_eq!(
        second.attributes,
        [
            (label("plan"), "basic".to_owned()),
            (label("region"), "west".to_owned())
        ]
        .into()
    );
    assert_eq!(store.customers().count(ws).await.unwrap(), 1);
    let c9 = store
        .customers()
        .by_external_id(ws, "C9")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c9.name.as_deref(), Some("Customer C9"), "name kept");
    assert_eq!(c9.attributes.len(), 2);

    // Known: now that it exists.
    let mut known = answer(ws, s.id, 10, at(2026, 3, 4));
    known.respondent = Respondent::Known("C9".into());
    let third = store.answers().record(&known).await.unwrap().answer;
    assert_eq!(third.customer_id, Some(c9.id));
    assert_eq!(third.attributes.len(), 2);

    // Anonymous: no customer, no attributes, no language.
    let anon = store
        .answers()
        .record(&answer(ws, s.id, 0, at(2026, 3, 5)))
        .await
        .unwrap()
        .answer;
    assert_eq!(anon.customer_id, None);
    assert!(anon.attributes.is_empty());
    assert_eq!(anon.language, None);
    assert_eq!(store.answers().get(ws, anon.id).await.unwrap(), Some(anon));

    assert_eq!(store.answers().count(ws).await.unwrap(), 4);
    assert_eq!(store.customers().count(ws).await.unwrap(), 1);
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(
        (
            r.summary.promoters,
            r.summary.passives,
            r.summary.detractors
        ),
        (2, 0, 2)
    );
}

#[tokio::test]
async fn respondents_on_every_backend() {
    on_every_backend!(respondents_known_inline_and_anonymous);
}

async fn scores_outside_the_scale_are_rejected(store: Store) {
    let ws = workspace(&store).await;
    let nps = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let enps = create_survey(&store, ws, "team", SurveyKind::Enps).await;
    let csat = create_survey(&store, ws, "support", SurveyKind::Csat).await;

    for (survey, score) in [
        (&nps, 11),
        (&nps, 255),
        (&enps, 11),
        (&csat, 0),
        (&csat, 6),
        (&csat, 10),
    ] {
        let (min, max) = survey.kind.scale();
        let expected = format!("from {min} to {max}; got {score}");
        // A score off every scale cannot be made at all; one on another kind's scale
        // reaches the store, which refuses it too.
        if Rating::new(SurveyKind::Nps, i64::from(score)).is_err() {
            let msg = Rating::new(survey.kind, i64::from(score))
                .unwrap_err()
                .to_string();
            assert!(msg.contains(&expected), "{}: {msg}", survey.slug);
            continue;
        }
        let mut a = answer(ws, survey.id, score, at(2026, 3, 2));
        a.respondent = Respondent::Inline(customer("C1", "basic"));
        let msg = invalid(store.answers().record(&a).await);
        assert!(msg.contains(&expected), "{}: {msg}", survey.slug);
        let msg = invalid(
            store
                .answers()
                .record_many(std::slice::from_ref(&a), false)
                .await,
        );
        assert!(
            msg.contains(&expected),
            "batch of one, {}: {msg}",
            survey.slug
        );
    }
    assert_eq!(
        store.answers().count(ws).await.unwrap(),
        0,
        "nothing stored"
    );
    assert_eq!(
        store.customers().count(ws).await.unwrap(),
        0,
        "no customer created"
    );
    for slug in ["rel", "team"] {
        assert_eq!(report(&store, &query(ws, Some(slug))).await.summary.n, 0);
    }

    // The edges of each scale are fine.
    for (survey, score) in [(&nps, 0), (&nps, 10), (&enps, 0), (&csat, 1), (&csat, 5)] {
        let stored = store
            .answers()
            .record(&answer(ws, survey.id, score, at(2026, 3, 2)))
            .await
            .unwrap();
        assert_eq!(stored.answer.score, score);
    }
    assert_eq!(store.answers().count(ws).await.unwrap(), 5);
}

#[tokio::test]
async fn score_validation_on_every_backend() {
    on_every_backend!(scores_outside_the_scale_are_rejected);
}

async fn answers_stay_in_their_workspace(store: Store) {
    let a = named_workspace(&store, "acme").await;
    let b = named_workspace(&store, "globex").await;
    let survey_a = create_survey(&store, a, "rel", SurveyKind::Nps).await;
    let survey_b = create_survey(&store, b, "rel", SurveyKind::Nps).await;

    // An answer for workspace A naming workspace B's survey.
    let mut foreign = answer(a, survey_b.id, 9, at(2026, 3, 2));
    foreign.respondent = Respondent::Inline(customer("C1", "basic"));
    let msg = not_found(store.answers().record(&foreign).await);
    assert!(msg.contains(&survey_b.id.to_string()), "{msg}");
    let msg = not_found(
        store
            .answers()
            .record(&answer(a, survey_b.id + 1000, 9, at(2026, 3, 2)))
            .await,
    );
    assert!(msg.contains(&(survey_b.id + 1000).to_string()), "{msg}");
    for ws in [a, b] {
        assert_eq!(store.answers().count(ws).await.unwrap(), 0);
        assert_eq!(store.customers().count(ws).await.unwrap(), 0);
        assert_eq!(report(&store, &query(ws, Some("rel"))).await.summary.n, 0);
    }

    let in_a = store
        .answers()
        .record(&answer(a, survey_a.id, 9, at(2026, 3, 2)))
        .await
        .unwrap()
        .answer;
    assert_eq!(in_a.workspace_id, a);
    assert_eq!(in_a.survey_id, survey_a.id);
    assert_eq!(
        store.answers().get(a, in_a.id).await.unwrap(),
        Some(in_a.clone())
    );
    assert_eq!(store.answers().get(b, in_a.id).await.unwrap(), None);
    assert_eq!(store.answers().get(a, in_a.id + 1000).await.unwrap(), None);
    assert_eq!(store.answers().count(a).await.unwrap(), 1);
    assert_eq!(store.answers().count(b).await.unwrap(), 0);
}

#[tokio::test]
async fn answer_isolation_on_every_backend() {
    on_every_backend!(answers_stay_in_their_workspace);
}

async fn idempotent_retries_never_duplicate(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let mut a = answer(ws, s.id, 8, at(2026, 1, 5));
    a.idempotency_key = Some(IdempotencyKey::parse(b"k-1").unwrap());
    a.request_hash = Some("h1".into());
    let first = store.answers().record(&a).await.unwrap();
    assert!(!first.replayed);
    let again = store.answers().record(&a).await.unwrap();
    assert!(again.replayed);
    assert_eq!(first.answer, again.answer);
    let mut different = a.clone();
    different.request_hash = Some("h2".into());
    different.score = nps(2);
    let msg = conflict(store.answers().record(&different).await);
    assert!(msg.contains("k-1"), "{msg}");
    assert_eq!(store.answers().count(ws).await.unwrap(), 1);
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(
        (r.summary.n, r.summary.passives),
        (1, 1),
        "rollups counted once"
    );

    // Idempotency keys belong to a workspace: another workspace may use the same one.
    let other = named_workspace(&store, "globex").await;
    let s_other = create_survey(&store, other, "rel", SurveyKind::Nps).await;
    let mut elsewhere = a.clone();
    elsewhere.workspace_id = other;
    elsewhere.survey_id = s_other.id;
    let stored = store.answers().record(&elsewhere).await.unwrap();
    assert!(!stored.replayed);
    assert_ne!(stored.answer.id, first.answer.id);
    assert_eq!(store.answers().count(other).await.unwrap(), 1);
    assert_eq!(store.answers().count(ws).await.unwrap(), 1);
}

#[tokio::test]
async fn idempotent_retries_on_every_backend() {
    on_every_backend!(idempotent_retries_never_duplicate);
}

async fn external_ids_make_answers_idempotent(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let mut a = answer(ws, s.id, 9, at(2026, 1, 5));
    a.external_id = Some("resp-1".into());
    a.request_hash = Some("h1".into());
    a.respondent = Respondent::Inline(customer("C1", "basic"));
    let first = store.answers().record(&a).await.unwrap();
    assert!(!first.replayed);
    assert_eq!(first.answer.external_id.as_deref(), Some("resp-1"));

    // The same answer again, even under a fresh idempotency key: a replay.
    let mut retry = a.clone();
    retry.idempotency_key = Some(IdempotencyKey::parse(b"fresh-key").unwrap());
    let again = store.answers().record(&retry).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.answer, first.answer);

    // The same external id for different content: a conflict naming it.
    let mut different = a.clone();
    different.score = nps(0);
    different.request_hash = Some("h2".into());
    let msg = conflict(store.answers().record(&different).await);
    assert!(msg.contains("resp-1"), "{msg}");
    different.idempotency_key = Some(IdempotencyKey::parse(b"another-key").unwrap());
    let msg = conflict(store.answers().record(&different).await);
    assert!(msg.contains("resp-1"), "{msg}");

    assert_eq!(store.answers().count(ws).await.unwrap(), 1);
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!((r.summary.n, r.summary.promoters), (1, 1));
    assert_eq!(
        store
            .answers()
            .get(ws, first.answer.id)
            .await
            .unwrap()
            .unwrap()
            .score,
        9
    );

    // A different external id is a different answer.
    let mut next = a.clone();
    next.external_id = Some("resp-2".into());
    let second = store.answers().record(&next).await.unwrap();
    assert!(!second.replayed);
    assert_ne!(second.answer.id, first.answer.id);
    assert_eq!(store.answers().count(ws).await.unwrap(), 2);

    // A batch (import) reusing a stored external id is refused as a conflict, not as an
    // internal database error, and stores nothing.
    let mut fresh = answer(ws, s.id, 7, at(2026, 1, 6));
    fresh.external_id = Some("resp-3".into());
    let mut dup = answer(ws, s.id, 7, at(2026, 1, 6));
    dup.external_id = Some("resp-1".into());
    let msg = conflict(store.answers().record_many(&[fresh, dup], false).await);
    assert!(msg.contains("resp-1"), "{msg}");
    assert_eq!(store.answers().count(ws).await.unwrap(), 2);
}

#[tokio::test]
async fn external_ids_on_every_backend() {
    on_every_backend!(external_ids_make_answers_idempotent);
}

async fn concurrent_retries_store_one_answer(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let mut a = answer(ws, s.id, 10, at(2026, 1, 5));
    a.respondent = Respondent::Inline(customer("C1", "premium"));
    a.idempotency_key = Some(IdempotencyKey::parse(b"retry-me").unwrap());
    a.external_id = Some("resp-1".into());
    a.request_hash = Some("same-request".into());

    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, barrier, a) = (store.clone(), barrier.clone(), a.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.answers().record(&a).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap().expect("every retry succeeds"));
    }
    let id = results[0].answer.id;
    assert!(
        results.iter().all(|r| r.answer.id == id),
        "{:?}",
        results.iter().map(|r| r.answer.id).collect::<Vec<_>>()
    );
    assert_eq!(
        results.iter().filter(|r| !r.replayed).count(),
        1,
        "exactly one request stored the answer"
    );
    assert_eq!(store.answers().count(ws).await.unwrap(), 1);
    assert_eq!(store.customers().count(ws).await.unwrap(), 1);
    let mut q = query(ws, Some("rel"));
    q.group_by = Some(GroupBy::Segment(label("plan")));
    let r = report(&store, &q).await;
    assert_eq!(r.summary.n, 1, "the rollup counted the answer once");
    assert_eq!(group_counts(&r), [("premium".to_owned(), 1)].into());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_on_every_backend() {
    on_every_backend!(concurrent_retries_store_one_answer);
}

async fn batches_are_all_or_nothing(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "globex").await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let foreign = create_survey(&store, other, "rel", SurveyKind::Nps).await;
    // An answer off its survey's scale: 0 on CSAT's 1–5 (a score off every scale cannot
    // be made at all, see core's Rating).
    let csat = create_survey(&store, ws, "support", SurveyKind::Csat).await;
    assert_eq!(
        store.answers().record_many(&[], false).await.unwrap(),
        Vec::<i64>::new()
    );
    store
        .answers()
        .record_many(
            &answers(ws, s.id, at(2026, 2, 1), &[(9, 1), (7, 1), (0, 1)]),
            false,
        )
        .await
        .unwrap();
    let mut by_plan = query(ws, Some("rel"));
    by_plan.group_by = Some(GroupBy::Segment(label("plan")));
    let before = report(&store, &by_plan).await;
    assert_eq!(before.summary.n, 3);

    let with_customer = |score: u8, id: &str| {
        let mut a = answer(ws, s.id, score, at(2026, 2, 2));
        a.respondent = Respondent::Inline(customer(id, "basic"));
        a
    };
    let mut unknown = answer(ws, s.id, 10, at(2026, 2, 2));
    unknown.respondent = Respondent::Known("C404".into());
    let bad_batches: Vec<(Vec<NewAnswer>, &str)> = vec![
        (
            vec![
                with_customer(10, "C1"),
                answer(ws, csat.id, 0, at(2026, 2, 2)),
                with_customer(5, "C2"),
            ],
            "invalid",
        ),
        (
            vec![
                with_customer(10, "C1"),
                unknown,
                answer(ws, s.id, 10, at(2026, 2, 2)),
            ],
            "not found",
        ),
        (
            vec![
                with_customer(10, "C1"),
                answer(ws, foreign.id, 10, at(2026, 2, 2)),
            ],
            "not found",
        ),
    ];
    for (batch, expected) in bad_batches {
        let result = store.answers().record_many(&batch, false).await;
        match expected {
            "invalid" => {
                invalid(result);
            }
            _ => {
                let msg = not_found(result);
                assert!(
                    msg.contains("C404") || msg.contains(&foreign.id.to_string()),
                    "{msg}"
                );
            }
        }
        assert_eq!(
            store.answers().count(ws).await.unwrap(),
            3,
            "{expected}: nothing stored"
        );
        assert_eq!(store.answers().count(other).await.unwrap(), 0);
        assert_eq!(
            store.customers().count(ws).await.unwrap(),
            0,
            "{expected}: no customer kept"
        );
        assert_eq!(
            report(&store, &by_plan).await,
            before,
            "{expected}: rollups unchanged"
        );
    }

    let good = vec![
        answer(ws, s.id, 10, at(2026, 2, 3)),
        with_customer(3, "C2"),
        answer(ws, s.id, 8, at(2026, 2, 3)),
    ];
    let ids = store.answers().record_many(&good, false).await.unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let scores: Vec<u8> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(store.answers().get(ws, *id).await.unwrap().unwrap().score);
        }
        v
    };
    assert_eq!(scores, [10, 3, 8], "ids are returned in batch order");
    assert_eq!(store.answers().count(ws).await.unwrap(), 6);
    assert_eq!(store.customers().count(ws).await.unwrap(), 1);
    let after = report(&store, &by_plan).await;
    assert_eq!(
        (
            after.summary.promoters,
            after.summary.passives,
            after.summary.detractors
        ),
        (2, 2, 2)
    );
    assert_eq!(group_counts(&after), [("basic".to_owned(), 1)].into());
}

#[tokio::test]
async fn batches_on_every_backend() {
    on_every_backend!(batches_are_all_or_nothing);
}

async fn answer_batches_commit_or_leave_nothing(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "globex").await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let foreign = create_survey(&store, other, "rel", SurveyKind::Nps).await;
    let csat = create_survey(&store, ws, "support", SurveyKind::Csat).await;
    let q = query(ws, Some("rel"));

    // Committed: every answer and its rollups.
    let mut batch = store.answers().begin().await.unwrap();
    assert_eq!(batch.written(), 0);
    let mut ids = Vec::new();
    for (i, score) in [10u8, 9, 0].into_iter().enumerate() {
        let mut a = answer(ws, s.id, score, at(2026, 2, 1));
        a.external_id = Some(format!("imp-{i}"));
        if i == 0 {
            a.respondent = Respondent::Inline(customer("C1", "basic"));
        }
        ids.push(batch.add(&a).await.unwrap());
    }
    assert_eq!(batch.written(), 3);
    assert_eq!(
        store.answers().count(ws).await.unwrap(),
        0,
        "nothing visible before the commit"
    );
    assert_eq!(batch.commit().await.unwrap(), 3);
    assert_eq!(store.answers().count(ws).await.unwrap(), 3);
    assert_eq!(store.customers().count(ws).await.unwrap(), 1);
    assert_eq!(
        store
            .answers()
            .get(ws, ids[2])
            .await
            .unwrap()
            .unwrap()
            .score,
        0
    );
    let committed = report(&store, &q).await;
    assert_eq!(
        (committed.summary.n, committed.summary.nps),
        (3, Some(100.0 / 3.0))
    );

    // Dropped without a commit: nothing kept.
    let mut batch = store.answers().begin().await.unwrap();
    let mut a = answer(ws, s.id, 0, at(2026, 2, 2));
    a.respondent = Respondent::Inline(customer("C2", "basic"));
    batch.add(&a).await.unwrap();
    batch
        .add(&answer(ws, s.id, 0, at(2026, 2, 2)))
        .await
        .unwrap();
    assert_eq!(batch.written(), 2);
    drop(batch);
    assert_eq!(store.answers().count(ws).await.unwrap(), 3);
    assert_eq!(store.customers().count(ws).await.unwrap(), 1);
    assert_eq!(report(&store, &q).await, committed);

    // Bad answers are refused with the store's usual errors and are not counted.
    let mut batch = store.answers().begin().await.unwrap();
    batch
        .add(&answer(ws, s.id, 10, at(2026, 2, 3)))
        .await
        .unwrap();
    invalid(batch.add(&answer(ws, csat.id, 0, at(2026, 2, 3))).await);
    assert_eq!(batch.written(), 1);
    drop(batch);
    let mut batch = store.answers().begin().await.unwrap();
    not_found(batch.add(&answer(ws, foreign.id, 10, at(2026, 2, 3))).await);
    drop(batch);
    let mut batch = store.answers().begin().await.unwrap();
    let mut dup = answer(ws, s.id, 10, at(2026, 2, 3));
    dup.external_id = Some("imp-1".into());
    let msg = conflict(batch.add(&dup).await);
    assert!(msg.contains("imp-1"), "{msg}");
    drop(batch);
    assert_eq!(store.answers().count(ws).await.unwrap(), 3);
    assert_eq!(report(&store, &q).await, committed);

    // The store is usable again after every dropped batch.
    store
        .answers()
        .record(&answer(ws, s.id, 10, at(2026, 2, 4)))
        .await
        .unwrap();
    assert_eq!(store.answers().count(ws).await.unwrap(), 4);
}

#[tokio::test]
async fn answer_batches_on_every_backend() {
    on_every_backend!(answer_batches_commit_or_leave_nothing);
}

/// Checked answers (an import's) are written many per statement: the same rows and
/// rollups as one by one, customers linked with their attributes, and a duplicate the
/// check missed fails the batch, keeping nothing.
async fn checked_answers_are_written_in_bulk(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    store
        .customers()
        .upsert(ws, &customer("C1", "pro"))
        .await
        .unwrap();
    let mut batch = store.answers().begin().await.unwrap();
    for i in 0..1203u32 {
        let mut a = answer(ws, s.id, (i % 11) as u8, at(2026, 2, 1 + i % 20));
        a.external_id = Some(format!("bulk-{i}"));
        if i % 3 == 0 {
            a.respondent = Respondent::Known("C1".into());
        }
        batch.add_checked(a).await.unwrap();
    }
    assert_eq!(batch.commit().await.unwrap(), 1203);
    assert_eq!(store.answers().count(ws).await.unwrap(), 1203);
    let all = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(all.summary.n, 1203);
    let mut by_plan = query(ws, Some("rel"));
    by_plan.group_by = Some(advocate_core::GroupBy::Segment(label("plan")));
    let plans = group_counts(&report(&store, &by_plan).await);
    assert_eq!(plans.get("pro"), Some(&401), "{plans:?}");

    let mut batch = store.answers().begin().await.unwrap();
    let mut dup = answer(ws, s.id, 5, at(2026, 2, 1));
    dup.external_id = Some("bulk-7".into());
    batch.add_checked(dup).await.unwrap();
    let msg = conflict(batch.commit().await);
    assert!(msg.contains("already exists"), "{msg}");
    assert_eq!(
        store.answers().count(ws).await.unwrap(),
        1203,
        "nothing kept"
    );
    assert_eq!(report(&store, &query(ws, Some("rel"))).await, all);

    // A duplicate in the middle of a statement's rows: the rows before it may be
    // written, so the batch refuses every later write and its commit; nothing is kept.
    let mut batch = store.answers().begin().await.unwrap();
    let mut refused = None;
    for i in 0..4000u32 {
        let mut a = answer(ws, s.id, 9, at(2026, 3, 1));
        a.external_id = Some(format!("again-{i}"));
        if i == 500 {
            a.external_id = Some("bulk-7".into());
        }
        if let Err(e) = batch.add_checked(a).await {
            refused = Some(e);
            break;
        }
    }
    // Written in the background: the error surfaces at a later add or at the commit.
    let refused = match refused {
        Some(e) => {
            invalid(batch.add_checked(answer(ws, s.id, 9, at(2026, 3, 1))).await);
            invalid(batch.commit().await);
            e
        }
        None => batch
            .commit()
            .await
            .expect_err("the duplicate fails the batch"),
    };
    assert!(refused.to_string().contains("already exists"), "{refused}");
    assert_eq!(
        store.answers().count(ws).await.unwrap(),
        1203,
        "nothing kept"
    );
    assert_eq!(report(&store, &query(ws, Some("rel"))).await, all);
}

#[tokio::test]
async fn checked_answers_on_every_backend() {
    on_every_backend!(checked_answers_are_written_in_bulk);
}

async fn existing_ids_are_looked_up_in_bulk(store: Store) {
    let a = named_workspace(&store, "acme").await;
    let b = named_workspace(&store, "globex").await;
    let s = create_survey(&store, a, "rel", SurveyKind::Nps).await;
    let sb = create_survey(&store, b, "rel", SurveyKind::Nps).await;
    store
        .customers()
        .upsert_many(a, &[customer("C1", "x"), customer("C700", "x")])
        .await
        .unwrap();
    store
        .customers()
        .upsert(b, &customer("C2", "x"))
        .await
        .unwrap();
    let with_id = |ws: i64, survey: i64, id: &str| {
        let mut x = answer(ws, survey, 9, at(2026, 2, 1));
        x.external_id = Some(id.to_owned());
        x
    };
    let batch = vec![
        with_id(a, s.id, "R1"),
        with_id(a, s.id, "R700"),
        with_id(b, sb.id, "R2"),
    ];
    store.answers().record_many(&batch, false).await.unwrap();

    // More ids than one lookup chunk, with hits on both sides of a chunk boundary.
    let customers: Vec<String> = (0..1200).map(|i| format!("C{i}")).collect();
    let answers_ids: Vec<String> = (0..1200).map(|i| format!("R{i}")).collect();
    let set = |ids: &[&str]| -> std::collections::HashSet<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    };
    assert_eq!(
        store
            .answers()
            .existing_customer_ids(a, &customers)
            .await
            .unwrap(),
        set(&["C1", "C700"])
    );
    assert_eq!(
        store
            .answers()
            .existing_customer_ids(b, &customers)
            .await
            .unwrap(),
        set(&["C2"])
    );
    assert_eq!(
        store
            .answers()
            .existing_external_ids(a, &answers_ids)
            .await
            .unwrap(),
        set(&["R1", "R700"])
    );
    assert_eq!(
        store
            .answers()
            .existing_external_ids(b, &answers_ids)
            .await
            .unwrap(),
        set(&["R2"])
    );
    assert!(store
        .answers()
        .existing_customer_ids(a, &[])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .answers()
        .existing_external_ids(a, &[])
        .await
        .unwrap()
        .is_empty());
    assert!(
        store
            .answers()
            .existing_customer_ids(a, &["c1".to_owned(), "R1".to_owned()])
            .await
            .unwrap()
            .is_empty(),
        "exact, case-sensitive, per table"
    );
}

#[tokio::test]
async fn bulk_lookups_on_every_backend() {
    on_every_backend!(existing_ids_are_looked_up_in_bulk);
}

async fn comments_can_be_set_replaced_and_cleared(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "globex").await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let id = store
        .answers()
        .record(&answer(ws, s.id, 9, at(2026, 2, 1)))
        .await
        .unwrap()
        .answer
        .id;
    let comment =
        |store: Store| async move { store.answers().get(ws, id).await.unwrap().unwrap().comment };

    store
        .answers()
        .set_comment(ws, id, Some("Great"))
        .await
        .unwrap();
    assert_eq!(comment(store.clone()).await.as_deref(), Some("Great"));
    store
        .answers()
        .set_comment(ws, id, Some("Great, fast"))
        .await
        .unwrap();
    assert_eq!(comment(store.clone()).await.as_deref(), Some("Great, fast"));

    let msg = not_found(store.answers().set_comment(ws, id + 1000, Some("x")).await);
    assert!(msg.contains(&(id + 1000).to_string()), "{msg}");
    let msg = not_found(store.answers().set_comment(other, id, Some("hijack")).await);
    assert!(msg.contains(&id.to_string()), "{msg}");
    assert_eq!(comment(store.clone()).await.as_deref(), Some("Great, fast"));

    store.answers().set_comment(ws, id, None).await.unwrap();
    assert_eq!(comment(store.clone()).await, None);
    assert!(store
        .answers()
        .latest_comments(ws, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.answers().count(ws).await.unwrap(), 1);
}

#[tokio::test]
async fn set_comment_on_every_backend() {
    on_every_backend!(comments_can_be_set_replaced_and_cleared);
}

async fn changing_a_score_moves_the_rollups(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "globex").await;
    let s = store
        .surveys()
        .create(ws, &survey("rel", SurveyKind::Nps, Some("renewal")))
        .await
        .unwrap();
    let mut a = answer(ws, s.id, 2, at(2026, 2, 1));
    a.respondent = Respondent::Inline(customer("C1", "premium"));
    let id = store.answers().record(&a).await.unwrap().answer.id;
    store
        .answers()
        .record(&answer(ws, s.id, 9, at(2026, 2, 1)))
        .await
        .unwrap();

    let mut q = query(ws, Some("rel"));
    q.group_by = Some(GroupBy::Segment(label("plan")));
    let before = report(&store, &q).await;
    assert_eq!(
        (
            before.summary.promoters,
            before.summary.detractors,
            before.summary.nps
        ),
        (1, 1, Some(0.0))
    );
    assert_eq!(before.groups.as_ref().unwrap()[0].summary.detractors, 1);

    let changed = store.answers().change_score(ws, id, 10).await.unwrap();
    assert_eq!(changed.score, 10);
    assert_eq!(changed.id, id);
    assert_eq!(store.answers().get(ws, id).await.unwrap().unwrap(), changed);
    let after = report(&store, &q).await;
    assert_eq!(
        (
            after.summary.n,
            after.summary.promoters,
            after.summary.detractors,
            after.summary.nps
        ),
        (2, 2, 0, Some(100.0))
    );
    assert_eq!(after.summary.distribution[2], 0);
    assert_eq!(after.summary.distribution[10], 1);
    assert_eq!(after.summary.ambassadors, 1);
    let premium = &after.groups.as_ref().unwrap()[0];
    assert_eq!((premium.key.as_str(), premium.summary.n), ("premium", 1));
    assert_eq!(
        (premium.summary.promoters, premium.summary.detractors),
        (1, 0)
    );
    let mut by_touchpoint = query(ws, Some("rel"));
    by_touchpoint.group_by = Some(GroupBy::Touchpoint);
    assert_eq!(
        group_counts(&report(&store, &by_touchpoint).await),
        [("renewal".to_owned(), 2)].into()
    );

    // The same score again changes nothing.
    assert_eq!(
        store
            .answers()
            .change_score(ws, id, 10)
            .await
            .unwrap()
            .score,
        10
    );
    assert_eq!(report(&store, &q).await, after);

    // Invalid scores, unknown answers, another workspace: refused, nothing moves.
    invalid(store.answers().change_score(ws, id, 11).await);
    let msg = not_found(store.answers().change_score(ws, id + 1000, 5).await);
    assert!(msg.contains(&(id + 1000).to_string()), "{msg}");
    not_found(store.answers().change_score(other, id, 0).await);
    assert_eq!(
        store.answers().get(ws, id).await.unwrap().unwrap().score,
        10
    );
    assert_eq!(report(&store, &q).await, after);

    // CSAT answers are checked against the 1–5 scale.
    let csat = create_survey(&store, ws, "support", SurveyKind::Csat).await;
    let c = store
        .answers()
        .record(&answer(ws, csat.id, 3, at(2026, 2, 1)))
        .await
        .unwrap()
        .answer
        .id;
    invalid(store.answers().change_score(ws, c, 6).await);
    invalid(store.answers().change_score(ws, c, 0).await);
    assert_eq!(store.answers().get(ws, c).await.unwrap().unwrap().score, 3);
    assert_eq!(
        store.answers().change_score(ws, c, 5).await.unwrap().score,
        5
    );
    assert_eq!(
        report(&store, &q).await,
        after,
        "CSAT changes leave NPS alone"
    );
}

#[tokio::test]
async fn change_score_on_every_backend() {
    on_every_backend!(changing_a_score_moves_the_rollups);
}

async fn latest_comments_newest_first(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "globex").await;
    let s1 = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let s2 = create_survey(&store, ws, "onboarding", SurveyKind::Nps).await;
    let s3 = create_survey(&store, ws, "quiet", SurveyKind::Nps).await;
    let s_other = create_survey(&store, other, "rel", SurveyKind::Nps).await;
    let with = |ws: i64, survey: i64, day: u32, comment: Option<&str>| {
        let mut a = answer(ws, survey, 5, at(2026, 2, day));
        a.comment = comment.map(str::to_owned);
        a
    };
    let ids = store
        .answers()
        .record_many(
            &[
                with(ws, s1.id, 1, Some("first")),
                with(ws, s1.id, 3, Some("third")),
                with(ws, s2.id, 2, Some("second")),
                with(ws, s1.id, 3, Some("third, later id")),
                with(ws, s1.id, 4, None),
                with(ws, s1.id, 5, Some("")),
                with(ws, s3.id, 6, None),
            ],
            false,
        )
        .await
        .unwrap();
    store
        .answers()
        .record(&with(other, s_other.id, 9, Some("other workspace")))
        .await
        .unwrap();
    let texts = |answers: Vec<advocate_store::models::Answer>| -> Vec<String> {
        answers.into_iter().map(|a| a.comment.unwrap()).collect()
    };

    let all = store.answers().latest_comments(ws, None, 10).await.unwrap();
    assert_eq!(all[0].id, ids[3], "same time: the later answer first");
    assert_eq!(
        texts(all),
        ["third, later id", "third", "second", "first"],
        "newest first; no empty or missing comments; no other workspace"
    );
    assert_eq!(
        texts(store.answers().latest_comments(ws, None, 2).await.unwrap()),
        ["third, later id", "third"]
    );
    assert!(store
        .answers()
        .latest_comments(ws, None, 0)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        texts(
            store
                .answers()
                .latest_comments(ws, Some(&[s2.id]), 10)
                .await
                .unwrap()
        ),
        ["second"]
    );
    assert_eq!(
        texts(
            store
                .answers()
                .latest_comments(ws, Some(&[s1.id, s2.id]), 3)
                .await
                .unwrap()
        ),
        ["third, later id", "third", "second"]
    );
    assert!(store
        .answers()
        .latest_comments(ws, Some(&[s3.id]), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .answers()
        .latest_comments(ws, Some(&[]), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(
        store
            .answers()
            .latest_comments(ws, Some(&[s_other.id]), 10)
            .await
            .unwrap()
            .is_empty(),
        "another workspace's survey id finds nothing"
    );
    assert_eq!(
        texts(
            store
                .answers()
                .latest_comments(other, None, 10)
                .await
                .unwrap()
        ),
        ["other workspace"]
    );
}

#[tokio::test]
async fn latest_comments_on_every_backend() {
    on_every_backend!(latest_comments_newest_first);
}

// ---------------------------------------------------------------------------------------
// NPS reports
// ---------------------------------------------------------------------------------------

async fn report_matches_hand_computed_statistics(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    // 50 promoters (25 tens, 25 nines), 30 passives, 20 detractors, all in March 2026.
    store
        .answers()
        .record_many(
            &answers(
                ws,
                s.id,
                at(2026, 3, 10),
                &[(10, 25), (9, 25), (8, 15), (7, 15), (6, 10), (0, 10)],
            ),
            false,
        )
        .await
        .unwrap();
    // Outside the period: must not count.
    store
        .answers()
        .record_many(&answers(ws, s.id, at(2026, 4, 1), &[(0, 7)]), false)
        .await
        .unwrap();

    let mut q = query(ws, Some("rel"));
    q.from = Some(date(2026, 3, 1));
    q.to = Some(date(2026, 3, 31));
    let r = report(&store, &q).await;
    assert_eq!(r.survey.as_deref(), Some("rel"));
    assert_eq!(
        (r.from, r.to),
        (Some(date(2026, 3, 1)), Some(date(2026, 3, 31)))
    );
    let sum = &r.summary;
    assert_eq!(
        (sum.n, sum.promoters, sum.passives, sum.detractors),
        (100, 50, 30, 20)
    );
    assert_eq!(sum.ambassadors, 25);
    assert_eq!(sum.distribution, [10, 0, 0, 0, 0, 0, 10, 15, 15, 25, 25]);
    assert!(!sum.small_sample);
    assert_close(sum.nps.unwrap(), 30.0, 1e-9);
    // Wald: Var = (0.5 + 0.2 − 0.3²) / 100 = 0.0061; 30 ± 196 · √0.0061 = (14.69, 45.31).
    let wald = sum.ci95.unwrap();
    assert_eq!(wald.method, CiMethod::Wald);
    assert_close(wald.low, 14.69, 0.005);
    assert_close(wald.high, 45.31, 0.005);
    assert!(r.groups.is_none() && r.group_by.is_none());

    // Adjusted Wald: add 0.75 promoters, 1.5 passives, 0.75 detractors.
    q.ci = CiMethod::AdjustedWald;
    let adjusted = report(&store, &q).await.summary.ci95.unwrap();
    assert_eq!(adjusted.method, CiMethod::AdjustedWald);
    let (p, d) = (50.75 / 103.0, 20.75 / 103.0);
    let var: f64 = (p + d - (p - d) * (p - d)) / 103.0;
    let margin = 1.959_964 * var.sqrt();
    assert_close(adjusted.low, 100.0 * (p - d - margin), 1e-3);
    assert_close(adjusted.high, 100.0 * (p - d + margin), 1e-3);
    // By hand: p − d = 0.291262, Var = 0.0059159, margin 0.150751, so (14.05, 44.20).
    assert_close(adjusted.low, 14.05, 0.01);
    assert_close(adjusted.high, 44.20, 0.01);

    // No `from`: all time, no comparison.
    let all = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(all.summary.n, 107);
    assert_eq!(all.change, None);
    assert_eq!(all.summary.detractors, 27);

    // A small sample is flagged.
    let mut small = query(ws, Some("rel"));
    small.from = Some(date(2026, 4, 1));
    small.to = Some(date(2026, 4, 1));
    let r = report(&store, &small).await;
    assert_eq!((r.summary.n, r.summary.nps), (7, Some(-100.0)));
    assert!(r.summary.small_sample);
}

#[tokio::test]
async fn hand_computed_report_on_every_backend() {
    on_every_backend!(report_matches_hand_computed_statistics);
}

async fn time_groups_have_no_holes(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let mut batch = Vec::new();
    for (day, score) in [(4, 0), (5, 10), (7, 9), (20, 3)] {
        batch.push(answer(ws, s.id, score, at(2026, 1, day)));
    }
    batch.push(answer(ws, s.id, 8, at(2026, 4, 2)));
    store.answers().record_many(&batch, false).await.unwrap();
    let grouped =
        |g: Granularity, from: Option<chrono::NaiveDate>, to: chrono::NaiveDate| NpsQuery {
            from,
            to: Some(to),
            group_by: Some(GroupBy::Time(g)),
            ..query(ws, Some("rel"))
        };

    let r = report(
        &store,
        &grouped(Granularity::Day, Some(date(2026, 1, 5)), date(2026, 1, 8)),
    )
    .await;
    assert_eq!(r.group_by.as_deref(), Some("day"));
    assert_eq!(
        group_series(&r),
        [
            ("2026-01-05".to_owned(), 1),
            ("2026-01-06".to_owned(), 0),
            ("2026-01-07".to_owned(), 1),
            ("2026-01-08".to_owned(), 0)
        ]
    );
    let groups = r.groups.as_ref().unwrap();
    assert_eq!(groups[1].summary.nps, None, "an empty bucket has no NPS");
    assert!(groups[1].summary.small_sample);
    let first = groups[0]
        .change
        .as_ref()
        .expect("compared with the day before");
    assert_eq!((first.versus.as_str(), first.previous_n), ("2026-01-04", 1));
    assert_eq!(first.difference, Some(200.0));

    // Weeks start on Monday: 2026-01-05 is the Monday of ISO week 2.
    let r = report(
        &store,
        &grouped(Granularity::Week, Some(date(2026, 1, 5)), date(2026, 1, 25)),
    )
    .await;
    assert_eq!(r.group_by.as_deref(), Some("week"));
    assert_eq!(
        group_series(&r),
        [
            ("2026-W02".to_owned(), 2),
            ("2026-W03".to_owned(), 0),
            ("2026-W04".to_owned(), 1)
        ]
    );
    let w02 = r.groups.as_ref().unwrap()[0].change.as_ref().unwrap();
    assert_eq!((w02.versus.as_str(), w02.previous_n), ("2026-W01", 1));

    let r = report(
        &store,
        &grouped(
            Granularity::Quarter,
            Some(date(2026, 1, 1)),
            date(2026, 12, 31),
        ),
    )
    .await;
    assert_eq!(r.group_by.as_deref(), Some("quarter"));
    assert_eq!(
        group_series(&r),
        [
            ("2026-Q1".to_owned(), 4),
            ("2026-Q2".to_owned(), 1),
            ("2026-Q3".to_owned(), 0),
            ("2026-Q4".to_owned(), 0)
        ]
    );
    assert_eq!(r.summary.n, 5);

    // Without `from`, groups start at the first bucket with answers.
    let r = report(
        &store,
        &grouped(Granularity::Month, None, date(2026, 4, 30)),
    )
    .await;
    assert_eq!(r.group_by.as_deref(), Some("month"));
    assert_eq!(
        group_series(&r),
        [
            ("2026-01".to_owned(), 4),
            ("2026-02".to_owned(), 0),
            ("2026-03".to_owned(), 0),
            ("2026-04".to_owned(), 1)
        ]
    );
    assert_eq!(r.change, None);

    // No answers at all: no groups to show.
    let empty = create_survey(&store, ws, "empty", SurveyKind::Nps).await;
    let _ = empty;
    let r = report(
        &store,
        &NpsQuery {
            survey: Some("empty".into()),
            ..grouped(Granularity::Month, None, date(2026, 4, 30))
        },
    )
    .await;
    assert_eq!(r.groups, Some(Vec::new()));
}

#[tokio::test]
async fn time_groups_on_every_backend() {
    on_every_backend!(time_groups_have_no_holes);
}

async fn time_groups_stay_within_the_range(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let mut batch = Vec::new();
    // Mon 2026-01-05 and Tue 01-06 are in the first week bucket but before `from` (Wed 01-07).
    for (day, score) in [(2, 10), (5, 0), (6, 0), (8, 10), (21, 0)] {
        batch.push(answer(ws, s.id, score, at(2026, 1, day)));
    }
    store.answers().record_many(&batch, false).await.unwrap();
    let q = NpsQuery {
        from: Some(date(2026, 1, 7)),
        to: Some(date(2026, 1, 20)),
        group_by: Some(GroupBy::Time(Granularity::Week)),
        ..query(ws, Some("rel"))
    };
    let r = report(&store, &q).await;
    assert_eq!(r.summary.n, 1, "only 2026-01-08 is in the range");
    let series = group_series(&r);
    assert_eq!(
        series.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["2026-W02", "2026-W03", "2026-W04"]
    );
    assert_eq!(
        series.iter().map(|(_, n)| n).sum::<u64>(),
        r.summary.n,
        "the groups of a report add up to its total: {series:?}"
    );
    assert_eq!(r.groups.as_ref().unwrap()[0].summary.nps, Some(100.0));
}

#[tokio::test]
async fn partial_time_buckets_on_every_backend() {
    on_every_backend!(time_groups_stay_within_the_range);
}

async fn dimension_groups(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    store
        .customers()
        .upsert(ws, &customer("C1", "basic"))
        .await
        .unwrap();
    store
        .customers()
        .upsert(ws, &customer("C2", "premium"))
        .await
        .unwrap();
    let when = at(2026, 2, 10);
    let mk = |score: u8,
              touchpoint: Option<&str>,
              channel: Channel,
              language: Option<&str>,
              who: Option<&str>| {
        let mut a = answer(ws, s.id, score, when);
        a.touchpoint = touchpoint.map(label);
        a.channel = channel;
        a.language = language.map(lang);
        if let Some(id) = who {
            a.respondent = Respondent::Known(id.into());
        }
        a
    };
    store
        .answers()
        .record_many(
            &[
                mk(10, Some("checkout"), Channel::Web, Some("en"), Some("C1")),
                mk(0, Some("checkout"), Channel::Email, Some("nb"), Some("C2")),
                mk(9, None, Channel::Web, None, None),
                mk(7, Some("support"), Channel::Api, None, Some("C2")),
            ],
            false,
        )
        .await
        .unwrap();
    let by = |g: GroupBy| NpsQuery {
        group_by: Some(g),
        ..query(ws, Some("rel"))
    };
    let counts = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    };

    let r = report(&store, &by(GroupBy::Touchpoint)).await;
    assert_eq!(r.group_by.as_deref(), Some("touchpoint"));
    assert_eq!(
        group_counts(&r),
        counts(&[("(none)", 1), ("checkout", 2), ("support", 1)])
    );
    let checkout = r
        .groups
        .as_ref()
        .unwrap()
        .iter()
        .find(|g| g.key == "checkout")
        .unwrap();
    assert_eq!(checkout.summary.nps, Some(0.0));
    assert_eq!(checkout.change, None, "no `from`, no comparison");

    let r = report(&store, &by(GroupBy::Channel)).await;
    assert_eq!(r.group_by.as_deref(), Some("channel"));
    assert_eq!(
        group_counts(&r),
        counts(&[("api", 1), ("email", 1), ("web", 2)])
    );

    let r = report(&store, &by(GroupBy::Language)).await;
    assert_eq!(r.group_by.as_deref(), Some("language"));
    assert_eq!(
        group_counts(&r),
        counts(&[("(none)", 1), ("en", 1), ("nb", 2)]),
        "C2's answer without a language takes the customer's"
    );

    let plan = by(GroupBy::Segment(label("plan")));
    let r = report(&store, &plan).await;
    assert_eq!(r.group_by.as_deref(), Some("segment:plan"));
    assert_eq!(group_counts(&r), counts(&[("basic", 1), ("premium", 2)]));
    assert_eq!(r.summary.n, 4, "the total still counts every answer");
    let premium = r
        .groups
        .as_ref()
        .unwrap()
        .iter()
        .find(|g| g.key == "premium")
        .unwrap();
    assert_eq!(
        (
            premium.summary.passives,
            premium.summary.detractors,
            premium.summary.nps
        ),
        (1, 1, Some(-50.0))
    );

    // Segments are the attributes at answer time: a later change does not move old answers.
    store
        .customers()
        .upsert(ws, &customer("C1", "premium"))
        .await
        .unwrap();
    assert_eq!(
        group_counts(&report(&store, &plan).await),
        counts(&[("basic", 1), ("premium", 2)])
    );

    let r = report(&store, &by(GroupBy::Segment(label("region")))).await;
    assert_eq!(r.groups, Some(Vec::new()), "nobody has a region");

    // The attributes reports can break down by: those answers were counted under.
    assert_eq!(
        store.analytics().segment_attributes(ws).await.unwrap(),
        ["plan"]
    );
    let mut c3 = customer("C3", "basic");
    c3.attributes.insert(label("industry"), "retail".into());
    store.customers().upsert(ws, &c3).await.unwrap();
    assert_eq!(
        store.analytics().segment_attributes(ws).await.unwrap(),
        ["plan"],
        "a customer who has not answered adds no attribute"
    );
    let mut a = answer(ws, s.id, 9, when);
    a.respondent = Respondent::Known("C3".into());
    store.answers().record(&a).await.unwrap();
    assert_eq!(
        store.analytics().segment_attributes(ws).await.unwrap(),
        ["industry", "plan"]
    );
}

#[tokio::test]
async fn dimension_groups_on_every_backend() {
    on_every_backend!(dimension_groups);
}

async fn change_against_the_previous_period(store: Store) {
    let ws = workspace(&store).await;
    let big = store
        .surveys()
        .create(ws, &survey("big", SurveyKind::Nps, Some("renewal")))
        .await
        .unwrap();
    let small = create_survey(&store, ws, "small", SurveyKind::Nps).await;
    // February (28 days) against the 28 days before: 2026-01-04 to 2026-01-31.
    let now = at(2026, 2, 14);
    let then = at(2026, 1, 10);
    let mut batch = Vec::new();
    batch.extend(answers(ws, big.id, now, &[(10, 60), (8, 25), (2, 15)]));
    batch.extend(answers(ws, big.id, then, &[(9, 40), (7, 30), (0, 30)]));
    batch.extend(answers(ws, big.id, at(2026, 1, 3), &[(0, 50)])); // before the previous period
    batch.extend(answers(ws, small.id, now, &[(10, 6), (8, 2), (0, 2)]));
    batch.extend(answers(ws, small.id, then, &[(10, 5), (8, 2), (0, 3)]));
    store.answers().record_many(&batch, false).await.unwrap();
    let feb = |slug: &str| NpsQuery {
        from: Some(date(2026, 2, 1)),
        to: Some(date(2026, 2, 28)),
        ..query(ws, Some(slug))
    };

    // now 60/25/15 (NPS 45, Var .005475); before 40/30/30 (NPS 10, Var .0069):
    // z = .35 / √.012375 = 3.14627, p = .00165, difference 35 ± 196 · √.012375.
    let r = report(&store, &feb("big")).await;
    let c = r.change.as_ref().expect("a `from` gives a comparison");
    assert_eq!(c.versus, "2026-01-04 to 2026-01-31");
    assert_eq!(
        c.previous_n, 100,
        "answers before the previous period are left out"
    );
    assert_close(c.previous_nps.unwrap(), 10.0, 1e-9);
    assert_close(c.difference.unwrap(), 35.0, 1e-9);
    assert_close(c.z.unwrap(), 3.14627, 1e-4);
    assert_close(c.p_value.unwrap(), 0.001653, 1e-5);
    let [low, high] = c.difference_ci95.unwrap();
    let margin = 195.9964 * 0.012375_f64.sqrt();
    assert_close(low, 35.0 - margin, 1e-3);
    assert_close(high, 35.0 + margin, 1e-3);
    assert!(c.significant);

    // now 6/2/2 (NPS 40, Var .064); before 5/2/3 (NPS 20, Var .076):
    // z = .2 / √.14 = 0.53452, p = 0.593: not significant.
    let r = report(&store, &feb("small")).await;
    let c = r.change.as_ref().unwrap();
    assert_eq!((c.previous_n, r.summary.n), (10, 10));
    assert_close(c.difference.unwrap(), 20.0, 1e-9);
    assert_close(c.z.unwrap(), 0.53452, 1e-4);
    assert_close(c.p_value.unwrap(), 0.59298, 1e-4);
    assert!(!c.significant);

    // Groups are compared with the same group in the previous period.
    let r = report(
        &store,
        &NpsQuery {
            group_by: Some(GroupBy::Touchpoint),
            ..feb("big")
        },
    )
    .await;
    let renewal = &r.groups.as_ref().unwrap()[0];
    assert_eq!(renewal.key, "renewal");
    let gc = renewal.change.as_ref().unwrap();
    assert_eq!(
        (gc.versus.as_str(), gc.previous_n),
        ("2026-01-04 to 2026-01-31", 100)
    );
    assert!(gc.significant);

    // An empty previous period: a comparison that says nothing.
    let mut march = feb("big");
    march.from = Some(date(2026, 3, 1));
    march.to = Some(date(2026, 3, 31));
    let r = report(&store, &march).await;
    let c = r.change.as_ref().unwrap();
    assert_eq!(c.versus, "2026-01-29 to 2026-02-28");
    assert_eq!((r.summary.n, c.previous_n), (0, 100));
    assert_eq!((c.difference, c.z, c.p_value), (None, None, None));
    assert!(!c.significant);

    // `from` without `to` runs to today.
    let today = Utc::now();
    store
        .answers()
        .record(&answer(ws, small.id, 10, today))
        .await
        .unwrap();
    let r = report(
        &store,
        &NpsQuery {
            from: Some((today - Duration::days(6)).date_naive()),
            ..query(ws, Some("small"))
        },
    )
    .await;
    assert_eq!(r.summary.n, 1);
    assert!(r.change.is_some());
}

#[tokio::test]
async fn period_change_on_every_backend() {
    on_every_backend!(change_against_the_previous_period);
}

async fn report_arguments_are_checked(store: Store) {
    let ws = workspace(&store).await;
    let nps = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    create_survey(&store, ws, "support", SurveyKind::Csat).await;
    let team = create_survey(&store, ws, "team", SurveyKind::Enps).await;

    let mut q = query(ws, Some("rel"));
    q.from = Some(date(2026, 3, 2));
    q.to = Some(date(2026, 3, 1));
    let msg = invalid(store.analytics().report(&q).await);
    assert!(msg.contains("from") && msg.contains("to"), "{msg}");
    q.to = Some(date(2026, 3, 2));
    assert_eq!(
        report(&store, &q).await.summary.n,
        0,
        "a one-day range is fine"
    );

    let msg = not_found(store.analytics().report(&query(ws, Some("nope"))).await);
    assert!(msg.contains("\"nope\""), "{msg}");
    let msg = invalid(store.analytics().report(&query(ws, Some("support"))).await);
    assert!(msg.contains("support") && msg.contains("CSAT"), "{msg}");

    // An empty report: no NPS, no interval.
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(
        (r.summary.n, r.summary.nps, r.summary.ci95),
        (0, None, None)
    );
    assert_eq!(r.summary.distribution, [0; 11]);
    assert!(r.summary.small_sample);

    // eNPS surveys report by slug.
    store
        .answers()
        .record_many(
            &answers(ws, team.id, at(2026, 3, 1), &[(10, 2), (0, 6)]),
            false,
        )
        .await
        .unwrap();
    store
        .answers()
        .record_many(&answers(ws, nps.id, at(2026, 3, 1), &[(9, 2)]), false)
        .await
        .unwrap();
    let r = report(&store, &query(ws, Some("team"))).await;
    assert_eq!((r.summary.n, r.summary.nps), (8, Some(-50.0)));
}

#[tokio::test]
async fn report_arguments_on_every_backend() {
    on_every_backend!(report_arguments_are_checked);
}

async fn all_surveys_means_nps_surveys(store: Store) {
    let ws = workspace(&store).await;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let onboarding = create_survey(&store, ws, "onboarding", SurveyKind::Nps).await;
    let team = create_survey(&store, ws, "team", SurveyKind::Enps).await;
    let support = create_survey(&store, ws, "support", SurveyKind::Csat).await;
    let when = at(2026, 3, 1);
    let mut batch = answers(ws, rel.id, when, &[(10, 2)]);
    batch.extend(answers(ws, onboarding.id, when, &[(8, 1)]));
    batch.extend(answers(ws, team.id, when, &[(0, 5)]));
    batch.extend(answers(ws, support.id, when, &[(1, 4)]));
    store.answers().record_many(&batch, false).await.unwrap();

    let r = report(&store, &query(ws, None)).await;
    assert_eq!(r.survey, None);
    assert_eq!(
        (
            r.summary.n,
            r.summary.promoters,
            r.summary.passives,
            r.summary.detractors
        ),
        (3, 2, 1, 0),
        "eNPS and CSAT answers are not part of the NPS"
    );
    assert_eq!(r.summary.distribution[1], 0);
    assert_eq!(r.summary.distribution[0], 0);
    let r = report(&store, &query(ws, Some("team"))).await;
    assert_eq!(r.summary.n, 5);
}

#[tokio::test]
async fn all_surveys_on_every_backend() {
    on_every_backend!(all_surveys_means_nps_surveys);
}

async fn reports_are_isolated_by_workspace(store: Store) {
    let a = named_workspace(&store, "acme").await;
    let b = named_workspace(&store, "globex").await;
    let sa = create_survey(&store, a, "rel", SurveyKind::Nps).await;
    let sb = create_survey(&store, b, "rel", SurveyKind::Nps).await;
    store
        .customers()
        .upsert(b, &customer("C1", "basic"))
        .await
        .unwrap();
    store
        .answers()
        .record_many(&answers(a, sa.id, at(2026, 3, 1), &[(10, 2)]), false)
        .await
        .unwrap();
    let mut bs = answers(b, sb.id, at(2026, 3, 1), &[(0, 3)]);
    bs[0].respondent = Respondent::Known("C1".into());
    store.answers().record_many(&bs, false).await.unwrap();

    for survey in [Some("rel"), None] {
        let r = report(&store, &query(a, survey)).await;
        assert_eq!((r.summary.n, r.summary.nps), (2, Some(100.0)), "{survey:?}");
        let r = report(&store, &query(b, survey)).await;
        assert_eq!(
            (r.summary.n, r.summary.nps),
            (3, Some(-100.0)),
            "{survey:?}"
        );
    }
    for g in [
        GroupBy::Channel,
        GroupBy::Touchpoint,
        GroupBy::Language,
        GroupBy::Time(Granularity::Month),
    ] {
        let r = report(
            &store,
            &NpsQuery {
                group_by: Some(g.clone()),
                ..query(a, None)
            },
        )
        .await;
        let total: u64 = group_counts(&r).values().sum();
        assert_eq!(total, 2, "{g}");
    }
    let r = report(
        &store,
        &NpsQuery {
            group_by: Some(GroupBy::Segment(label("plan"))),
            ..query(a, None)
        },
    )
    .await;
    assert_eq!(r.groups, Some(Vec::new()), "B's segments never show in A");
    assert!(store
        .analytics()
        .segment_attributes(a)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.analytics().segment_attributes(b).await.unwrap(),
        ["plan"]
    );
    assert!(store
        .answers()
        .latest_comments(a, None, 10)
        .await
        .unwrap()
        .is_empty());
    // A workspace with no surveys reports nothing rather than everything.
    let c = named_workspace(&store, "initech").await;
    assert_eq!(report(&store, &query(c, None)).await.summary.n, 0);
}

#[tokio::test]
async fn report_isolation_on_every_backend() {
    on_every_backend!(reports_are_isolated_by_workspace);
}

async fn monthly_groups_compare_with_the_previous_month(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let mut batch = Vec::new();
    for _ in 0..40 {
        batch.push(answer(ws, s.id, 3, at(2026, 1, 10)));
        batch.push(answer(ws, s.id, 9, at(2026, 2, 10)));
    }
    store.answers().record_many(&batch, false).await.unwrap();
    let q = NpsQuery {
        from: Some(date(2026, 1, 1)),
        to: Some(date(2026, 3, 31)),
        group_by: Some(GroupBy::Time(Granularity::Month)),
        ..query(ws, Some("rel"))
    };
    let r = store.analytics().report(&q).await.unwrap();
    let groups = r.groups.unwrap();
    let keys: Vec<_> = groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(groups[0].summary.nps, Some(-100.0));
    assert_eq!(groups[1].summary.nps, Some(100.0));
    assert_eq!(groups[2].summary.n, 0);
    let feb = groups[1].change.as_ref().unwrap();
    assert_eq!(feb.versus, "2026-01");
    assert!(
        feb.p_value.is_none() && !feb.significant,
        "zero variance on both sides: no z-test"
    );
    assert_eq!(feb.difference, Some(200.0));
}

#[tokio::test]
async fn monthly_groups_on_every_backend() {
    on_every_backend!(monthly_groups_compare_with_the_previous_month);
}

/// Reports read whole months from month rows and the days at the edges from day rows:
/// every range (inside one month, across month edges, whole months, all time) must give
/// exactly what counting the answers gives, in total, by month, by channel and by segment.
async fn any_period_matches_counting_the_answers(store: Store) {
    let ws = workspace(&store).await;
    let s = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let channels = [Channel::Email, Channel::Sms, Channel::Web];
    let plans = ["basic", "pro"];
    for (i, plan) in plans.iter().enumerate() {
        store
            .customers()
            .upsert(ws, &customer(&format!("c{i}"), plan))
            .await
            .unwrap();
    }
    // One answer a day (two on every third day) from 2025-11-27 to 2026-03-04.
    let first = date(2025, 11, 27);
    let mut given = Vec::new();
    let mut batch = Vec::new();
    for k in 0..98u32 {
        let day = first + Duration::days(i64::from(k));
        for j in 0..(1 + u32::from(k % 3 == 0)) {
            let score = ((k * 7 + j * 3) % 11) as u8;
            let channel = channels[((k + j) % 3) as usize];
            let plan = (k + j) % 2;
            let mut a = answer(
                ws,
                s.id,
                score,
                day.and_hms_opt(12, 0, 0).unwrap().and_utc(),
            );
            a.channel = channel;
            a.respondent = Respondent::Known(format!("c{plan}"));
            batch.push(a);
            given.push((day, score, channel.as_str(), plans[plan as usize]));
        }
    }
    store.answers().record_many(&batch, false).await.unwrap();
    let count = |from: chrono::NaiveDate, to: chrono::NaiveDate, key: &dyn Fn(usize) -> String| {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for (i, (d, ..)) in given.iter().enumerate() {
            if *d >= from && *d <= to {
                *out.entry(key(i)).or_default() += 1;
            }
        }
        out
    };
    let ranges = [
        (date(2025, 12, 3), date(2025, 12, 9)),  // inside one month
        (date(2025, 12, 20), date(2026, 1, 10)), // across a month edge, no whole month
        (date(2025, 12, 1), date(2025, 12, 31)), // exactly one month
        (date(2025, 11, 28), date(2026, 2, 3)),  // partial, two whole months, partial
        (date(2025, 12, 1), date(2026, 2, 28)),  // whole months only
        (date(2025, 11, 1), date(2026, 3, 31)),  // beyond the data on both sides
        (date(2026, 1, 31), date(2026, 2, 1)),   // two days across a month edge
    ];
    for (from, to) in ranges {
        let q = NpsQuery {
            from: Some(from),
            to: Some(to),
            ..query(ws, Some("rel"))
        };
        let total = count(from, to, &|_| String::new());
        let r = report(&store, &q).await;
        assert_eq!(r.summary.n, total.values().sum::<u64>(), "{from}..{to}");
        let mut dist = [0u64; 11];
        for (d, score, ..) in &given {
            if *d >= from && *d <= to {
                dist[usize::from(*score)] += 1;
            }
        }
        assert_eq!(r.summary.distribution, dist, "{from}..{to}");
        let by = |g: GroupBy| NpsQuery {
            group_by: Some(g),
            ..q.clone()
        };
        let r = report(&store, &by(GroupBy::Channel)).await;
        assert_eq!(
            group_counts(&r),
            count(from, to, &|i| given[i].2.to_owned()),
            "{from}..{to} by channel"
        );
        let r = report(&store, &by(GroupBy::Segment(label("plan")))).await;
        assert_eq!(
            group_counts(&r),
            count(from, to, &|i| given[i].3.to_owned()),
            "{from}..{to} by plan"
        );
        let r = report(&store, &by(GroupBy::Time(Granularity::Month))).await;
        let months = count(from, to, &|i| given[i].0.format("%Y-%m").to_string());
        let got: BTreeMap<String, u64> = group_counts(&r)
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(got, months, "{from}..{to} by month");
        let r = report(&store, &by(GroupBy::Time(Granularity::Week))).await;
        let weeks = count(from, to, &|i| {
            let w = chrono::Datelike::iso_week(&given[i].0);
            format!("{}-W{:02}", w.year(), w.week())
        });
        let got: BTreeMap<String, u64> = group_counts(&r)
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(got, weeks, "{from}..{to} by week");
        let r = report(&store, &by(GroupBy::Time(Granularity::Day))).await;
        assert_eq!(
            group_counts(&r).values().sum::<u64>(),
            total.values().sum::<u64>(),
            "{from}..{to} by day"
        );
    }
    // All time.
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(r.summary.n, given.len() as u64);
}

#[tokio::test]
async fn any_period_on_every_backend() {
    on_every_backend!(any_period_matches_counting_the_answers);
}
