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
