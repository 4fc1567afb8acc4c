//! Shared rate limits, on every backend: the SQL follows the domain's GCRA step by step,
//! bad input changes nothing, old keys are pruned in bounded batches, and — the point of
//! sharing — concurrent checks from two instances (two stores, two pools) on one database
//! pass exactly the limit, not once per instance.

use advocate_core::rate::Gcra;
use advocate_store::testing::TestDb;
use advocate_store::{Store, StoreError};
use std::time::Duration;

const NOW: i64 = 1_800_000_000_000;

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

async fn follows_the_domain_rule(store: Store) {
    let limits = store.rate_limits();
    let gcra = Gcra::per_period(3, Duration::from_secs(90)); // 30 s each
    let mut model: Option<i64> = None;
    let wrap = |t: i64| Duration::from_millis(t as u64);
    // A scripted walk of takes and refunds, compared with core's arithmetic each step.
    let steps: &[(&str, i64)] = &[
        ("take", 0),
        ("take", 0),
        ("take", 0),
        ("take", 0),
        ("take", 29_999),
        ("take", 30_000),
        ("refund", 30_000),
        ("take", 30_000),
        ("take", 31_000),
        ("refund", 400_000),
        ("take", 400_000),
    ];
    for &(op, at) in steps {
        let now = NOW + at;
        match op {
            "take" => {
                let expected = gcra.take(model.map(wrap), wrap(now));
                let got = limits
                    .take("sign_in", "10.0.0.1", &gcra, now)
                    .await
                    .unwrap();
                assert_eq!(got, expected.map(|_| ()), "take at +{at}");
                if let Ok(full_at) = expected {
                    model = Some(ms(full_at));
                }
            }
            _ => {
                limits
                    .refund("sign_in", "10.0.0.1", &gcra, now)
                    .await
                    .unwrap();
                model = model.map(|m| ms(gcra.refund(wrap(m), wrap(now))));
            }
        }
    }
    // Limits and keys are separate: another key, or the same key under another limit.
    assert!(limits
        .take("sign_in", "10.0.0.2", &gcra, NOW)
        .await
        .unwrap()
        .is_ok());
    assert!(limits
        .take("answers", "10.0.0.1", &gcra, NOW + 400_000)
        .await
        .unwrap()
        .is_ok());
    // Refunding a key never seen stores nothing.
    limits
        .refund("sign_in", "nobody", &gcra, NOW)
        .await
        .unwrap();
    assert_eq!(limits.count().await.unwrap(), 3);

    // A long key is stored as its digest and still limited as itself.
    let long = "x".repeat(5_000);
    let one = Gcra::per_period(1, Duration::from_secs(60));
    assert!(limits
        .take("sign_in", &long, &one, NOW)
        .await
        .unwrap()
        .is_ok());
    assert!(limits
        .take("sign_in", &long, &one, NOW)
        .await
        .unwrap()
        .is_err());
    assert!(limits
        .take("sign_in", &"x".repeat(4_999), &one, NOW)
        .await
        .unwrap()
        .is_ok());

    // Bad input is named and changes nothing.
    let before = limits.count().await.unwrap();
    for name in ["", &"n".repeat(65)] {
        match limits.take(name, "k", &gcra, NOW).await {
            Err(StoreError::Invalid(m)) => assert!(m.starts_with("name"), "{m}"),
            other => panic!("{name:?}: {other:?}"),
        }
    }
    assert_eq!(limits.count().await.unwrap(), before);

    // Pruning drops only keys whose allowance is whole, at most as many as asked.
    let far = NOW + 10_000_000;
    assert!(limits
        .take("sign_in", "fresh", &gcra, far)
        .await
        .unwrap()
        .is_ok());
    assert_eq!(limits.prune(far, 2).await.unwrap(), 2);
    assert_eq!(limits.prune(far, 100).await.unwrap(), (before - 2) as u64);
    assert_eq!(limits.count().await.unwrap(), 1, "the fresh key stays");
    // …and still counts: with no tolerance, its one taken request is not free yet.
    assert!(limits
        .take("sign_in", "fresh", &one, far)
        .await
        .unwrap()
        .is_err());
}

#[tokio::test]
async fn shared_limits_follow_the_domain_rule_and_prune_in_batches() {
    on_every_backend!(follows_the_domain_rule);
}

/// Two instances (two stores, each with its own pool) each fire `per_instance` checks at
/// once on one key; together exactly `burst` pass.
async fn two_instances_pass_exactly_the_limit(db: &TestDb) {
    const BURST: u32 = 10;
    let gcra = Gcra::per_period(BURST, Duration::from_secs(3600));
    let (a, b) = (db.store().await, Store::connect(&db.url).await.unwrap());
    let mut checks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        checks.spawn(async move {
            store
                .rate_limits()
                .take("sign_in_emails", "ana@example.com", &gcra, NOW)
                .await
                .unwrap()
                .is_ok()
        });
    }
    let passed = checks.join_all().await.into_iter().filter(|ok| *ok).count();
    assert_eq!(passed, BURST as usize, "{:?}", db.backend);
    // A refusal from either instance says when to come back: one interval.
    for store in [&a, &b] {
        let wait = store
            .rate_limits()
            .take("sign_in_emails", "ana@example.com", &gcra, NOW)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(wait, gcra.interval);
    }
    b.close().await;
}

#[tokio::test]
async fn concurrent_checks_from_two_instances_pass_exactly_the_limit() {
    for db in TestDb::all().await {
        two_instances_pass_exactly_the_limit(&db).await;
    }
}
