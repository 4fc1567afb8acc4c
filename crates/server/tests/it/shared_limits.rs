//! Rate limits across instances on PostgreSQL: sign-in attempts spread over two instances
//! of the application on one database are refused at the single limit, not at twice it;
//! and when the shared limit cannot be checked, sign-in fails closed (503).

use crate::common::TestApp;
use advocate_store::testing::{execute, TestDb};
use reqwest::Response;

async fn sign_in(app: &TestApp, base: &str, email: &str, password: &str) -> Response {
    app.http
        .post(format!("{base}{}", "/signin"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_limits_hold_across_two_instances_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = TestApp::spawn_on(db).await;
    let second = app.another_instance().await;
    let bases = [app.base.clone(), second.clone()];

    // Twelve wrong passwords for one email, all at once, half to each instance: exactly
    // ten are judged (the email's limit), the rest refused, whichever instance they hit.
    let mut tries = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (http, base) = (app.http.clone(), bases[i % 2].clone());
        tries.spawn(async move {
            http.post(format!("{base}/signin"))
                .form(&[("email", "mallory@example.com"), ("password", "guess")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = tries.join_all().await;
    statuses.sort();
    assert_eq!(statuses, [[401; 10].as_slice(), &[429; 2]].concat());
    // Sequentially too: the next try is refused on both instances.
    for base in &bases {
        let r = sign_in(&app, base, "mallory@example.com", "guess").await;
        assert_eq!(r.status(), 429, "{base}");
        assert!(r.headers().contains_key("retry-after"));
    }
    // The client's own limit (30 over all emails) is shared too: 10 are used; 20 more
    // failures, alternating, and the 21st is refused.
    for i in 0..20 {
        let r = sign_in(&app, &bases[i % 2], &format!("u{i}@example.com"), "guess").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = sign_in(&app, &second, "u99@example.com", "guess").await;
    assert_eq!(r.status(), 429);

    // The shared table gone (the database failing for limits): sign-in fails closed.
    execute(&app.store, "DROP TABLE rate_limits").await;
    let r = sign_in(&app, &app.base, "other@example.com", "guess").await;
    assert_eq!(r.status(), 503);
}

/// Which limits are shared where, and what each does when the database fails: answers
/// are let through (fail open), the others refused as unavailable (fail closed).
#[tokio::test]
async fn limits_are_shared_on_postgres_and_fail_as_chosen() {
    use advocate_server::limit::{Limit, OnFailure, Refused};
    use advocate_server::ratelimit::RateLimiter;
    use advocate_server::Limits;

    let sqlite = TestDb::sqlite();
    let local = Limits::for_store(&sqlite.store().await);
    assert!(!local.answers.is_shared() && !local.sign_in_emails.is_shared());
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.store().await;
    let limits = Limits::for_store(&store);
    for limit in [
        &limits.answers,
        &limits.sign_in_emails,
        &limits.sign_in_clients,
        &limits.password_reset,
        &limits.two_factor_codes,
    ] {
        assert!(limit.is_shared());
    }
    let one = || RateLimiter::per_period(1, std::time::Duration::from_secs(60), 10);
    let open = Limit::shared("t_open", one(), OnFailure::Open, store.clone());
    let closed = Limit::shared("t_closed", one(), OnFailure::Closed, store.clone());
    for limit in [&open, &closed] {
        assert!(limit.check("k").await.is_ok());
        assert!(matches!(limit.check("k").await, Err(Refused::TooMany(_))));
        limit.refund("k").await;
        assert!(limit.check("k").await.is_ok(), "the refund gave one back");
    }

    execute(&store, "DROP TABLE rate_limits").await;
    assert!(open.check("k").await.is_ok(), "fails open");
    match closed.check("k").await {
        Err(Refused::Unavailable(advocate_store::StoreError::Unavailable(m))) => {
            assert!(m.contains("t_closed"), "{m}")
        }
        other => panic!("fails closed: {other:?}"),
    }
    closed.refund("k").await; // logged, not a panic
}
