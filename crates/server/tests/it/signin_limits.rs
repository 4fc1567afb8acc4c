//! Sign-in brute force over HTTP: failures lock the email tried (known or not, answered the
//! same way) and, in larger numbers, the client address; `429` with `Retry-After`.

use crate::common::{TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::Response;

async fn sign_in(app: &TestApp, email: &str, password: &str, client: Option<&str>) -> Response {
    let mut r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", email), ("password", password)]);
    if let Some(ip) = client {
        r = r.header("x-forwarded-for", ip);
    }
    r.send().await.unwrap()
}

/// `Retry-After` in seconds, checked to be shown on the page too.
async fn refused(r: Response) -> u64 {
    assert_eq!(r.status(), 429);
    let secs: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(secs > 0 && secs <= 15 * 60, "{secs}");
    let html = r.text().await.unwrap();
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    assert!(html.contains("Try again in"), "{html}");
    secs
}

#[tokio::test]
async fn ten_failures_lock_the_email_whether_or_not_it_exists() {
    let app = TestApp::spawn().await;
    for email in [ADMIN_EMAIL, "nobody@example.com"] {
        for i in 0..10 {
            let r = sign_in(&app, email, "wrong", None).await;
            assert_eq!(r.status(), 401, "{email} attempt {i}");
        }
        let r = sign_in(&app, email, "wrong", None).await;
        let secs = refused(r).await;
        assert!((80..=90).contains(&secs), "one more try every 90 s: {secs}");
    }
    // Even the right password is refused while locked (or guessing would go on), the same
    // way as for an unknown email, and case or spaces do not make another email.
    let known = sign_in(
        &app,
        &format!(" {} ", ADMIN_EMAIL.to_uppercase()),
        ADMIN_PASSWORD,
        None,
    )
    .await;
    let unknown = sign_in(&app, "nobody@example.com", ADMIN_PASSWORD, None).await;
    assert_eq!(known.status(), 429);
    assert_eq!(
        known
            .text()
            .await
            .unwrap()
            .replace(&format!(" {} ", ADMIN_EMAIL.to_uppercase()), "E"),
        unknown
            .text()
            .await
            .unwrap()
            .replace("nobody@example.com", "E"),
        "a locked account looks like a locked unknown email"
    );
    // Other emails are not affected.
    let r = sign_in(&app, "other@example.com", "wrong", None).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn successful_sign_ins_do_not_count() {
    let app = TestApp::spawn().await;
    for _ in 0..25 {
        app.sign_in().await;
    }
    for _ in 0..9 {
        assert_eq!(
            sign_in(&app, ADMIN_EMAIL, "wrong", None).await.status(),
            401
        );
    }
    app.sign_in().await;
}

#[tokio::test]
async fn many_failures_from_one_client_over_many_emails_are_refused() {
    let app = TestApp::spawn().await;
    // Without a trusted proxy X-Forwarded-For is ignored: every request is the one client.
    for i in 0..30 {
        let email = format!("user{i}@example.com");
        let r = sign_in(&app, &email, "wrong", Some(&format!("198.51.100.{i}"))).await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = sign_in(&app, "fresh@example.com", "wrong", None).await;
    let secs = refused(r).await;
    assert!((20..=30).contains(&secs), "one more try every 30 s: {secs}");
    // A locked-out client cannot sign in even with the right password.
    let r = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), 429);
}
