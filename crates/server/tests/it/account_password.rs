//! Changing your password on `/account` from the outside: the current one proves it is
//! you (and wrong guesses count against the sign-in limits), the new one follows the rule
//! of every password, every other session ends, and the person is told by email in their
//! language. Anything refused changes nothing.

use crate::common::{location, mailbox, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use advocate_store::testing::TestDb;
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER};

const NEW_PASSWORD: &str = "a fresh and long passphrase";

/// Posts the "Change password" form from the account page; returns the status and page.
async fn change(
    app: &TestApp,
    cookie: &str,
    current: &str,
    new: &str,
    repeat: &str,
) -> (u16, String) {
    let csrf = app.csrf(cookie).await;
    let r = app
        .http
        .post(app.url("/account/password"))
        .header(COOKIE, cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", current),
            ("new_password", new),
            ("repeat_password", repeat),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The status of signing in as the admin with `password` (303 in, 401 wrong, 429 locked).
async fn sign_in_status(app: &TestApp, password: &str) -> u16 {
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", ADMIN_EMAIL), ("password", password)])
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

/// Whether a session cookie still opens the account page (else: to the sign-in page).
async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let r = app
        .http
        .get(app.url("/account"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    match r.status().as_u16() {
        200 => true,
        303 => {
            assert!(location(&r).starts_with("/signin"), "{}", location(&r));
            false
        }
        other => panic!("GET /account answered {other}"),
    }
}

/// The audit actions of the workspace, newest first.
async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    let log = app.store.audit().log(app.workspace_id, 50, None).await;
    log.unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

/// The text of the error next to the password form.
fn password_error(html: &str) -> &str {
    let at = html
        .find(r#"id="password-error">"#)
        .unwrap_or_else(|| panic!("an error next to the password form in {html}"));
    let rest = &html[at + r#"id="password-error">"#.len()..];
    rest.split("</p>").next().unwrap()
}

#[tokio::test]
async fn changing_the_password_signs_out_every_other_session_and_says_so() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let admin = app.store.users().by_email(ADMIN_EMAIL).await.unwrap();
        app.store
            .users()
            .set_preferences(admin.unwrap().id, Some("nb"), None)
            .await
            .unwrap();
        let here = app.sign_in().await;
        let elsewhere = app.sign_in().await;

        let form = app
            .http
            .get(app.url("/account"))
            .header(COOKIE, &here)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            form.contains(r#"autocomplete="current-password""#),
            "{form}"
        );
        assert!(form.contains(r#"<label for="password-repeat">"#), "{form}");

        let (status, page) = change(&app, &here, ADMIN_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Password changed."), "{page}");

        assert!(signed_in(&app, &here).await, "this session stays");
        assert!(!signed_in(&app, &elsewhere).await, "the other one ends");
        assert_eq!(sign_in_status(&app, ADMIN_PASSWORD).await, 401, "old one");
        assert_eq!(sign_in_status(&app, NEW_PASSWORD).await, 303, "new one");

        let mail = mailbox(&app.store).await;
        assert_eq!(mail.len(), 1, "{mail:?}");
        assert_eq!(mail[0].to, ADMIN_EMAIL);
        assert_eq!(mail[0].subject, "Passordet ditt i Advocate er endret");
        assert!(mail[0].text.contains(ADMIN_EMAIL), "{}", mail[0].text);
        assert!(!mail[0].text.contains(NEW_PASSWORD) && !mail[0].html.contains(NEW_PASSWORD));

        let audit = audit_actions(&app).await;
        let changed: Vec<_> = audit
            .iter()
            .filter(|(action, _)| action == "password.changed")
            .collect();
        assert_eq!(changed.len(), 1, "{audit:?}");
        assert!(
            changed[0].1.ends_with("other sessions signed out: 1"),
            "{audit:?}"
        );
        assert!(audit
            .iter()
            .all(|(_, detail)| !detail.contains(NEW_PASSWORD) && !detail.contains(ADMIN_PASSWORD)));
    }
}

#[tokio::test]
async fn a_wrong_current_or_a_bad_new_password_is_422_and_changes_nothing() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let here = app.sign_in().await;
        let elsewhere = app.sign_in().await;
        let cases = [
            (
                "not the password",
                NEW_PASSWORD,
                NEW_PASSWORD,
                "that is not your current password",
            ),
            (
                ADMIN_PASSWORD,
                "short",
                "short",
                "a password needs at least 10 characters",
            ),
            (
                ADMIN_PASSWORD,
                NEW_PASSWORD,
                "a fresh and long passphrasE",
                "the new password and its repeat differ",
            ),
            (
                ADMIN_PASSWORD,
                ADMIN_PASSWORD,
                ADMIN_PASSWORD,
                "the new password is the current one",
            ),
        ];
        for (current, new, repeat, why) in cases {
            let (status, page) = change(&app, &here, current, new, repeat).await;
            assert_eq!(status, 422, "{why}: {page}");
            let error = password_error(&page);
            assert!(error.starts_with(why), "{why}: {error}");
        }
        assert!(signed_in(&app, &elsewhere).await, "no session ended");
        assert!(mailbox(&app.store).await.is_empty(), "no email");
        assert!(
            !audit_actions(&app)
                .await
                .iter()
                .any(|(a, _)| a == "password.changed"),
            "nothing logged"
        );
        assert_eq!(sign_in_status(&app, ADMIN_PASSWORD).await, 303, "unchanged");
    }
}

#[tokio::test]
async fn another_site_and_anonymous_visitors_cannot_change_a_password() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in().await;
    let csrf = app.csrf(&cookie).await;
    let form = [
        ("current_password", ADMIN_PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("repeat_password", NEW_PASSWORD),
    ];
    let r = app
        .http
        .post(app.url("/account/password"))
        .header(COOKIE, &cookie)
        .header(ORIGIN, "https://evil.example")
        .form(&[&form[..], &[("csrf", csrf.as_str())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "another site, even with the token");
    let r = app
        .http
        .post(app.url("/account/password"))
        .header(COOKIE, &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = app
        .http
        .post(app.url("/account/password"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "anonymous");
    assert!(location(&r).starts_with("/signin"), "{}", location(&r));

    assert_eq!(sign_in_status(&app, ADMIN_PASSWORD).await, 303, "unchanged");
    assert!(mailbox(&app.store).await.is_empty());
}

#[tokio::test]
async fn wrong_current_passwords_count_against_the_sign_in_limit() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in().await;
    // Sign-in allows 10 failures per email in 15 minutes; the form draws on the same.
    for attempt in 1..=10 {
        let (status, page) = change(&app, &cookie, "a guess", NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(status, 422, "guess {attempt}: {page}");
    }
    let csrf = app.csrf(&cookie).await;
    let r = app
        .http
        .post(app.url("/account/password"))
        .header(COOKIE, &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", ADMIN_PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("repeat_password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "even the right one, for now");
    assert!(r.headers().contains_key(RETRY_AFTER));
    let page = r.text().await.unwrap();
    assert!(
        password_error(&page).starts_with("too many wrong passwords"),
        "{page}"
    );
    assert_eq!(
        sign_in_status(&app, ADMIN_PASSWORD).await,
        429,
        "signing in as them is held up too"
    );
    assert!(mailbox(&app.store).await.is_empty(), "nothing changed");
}
