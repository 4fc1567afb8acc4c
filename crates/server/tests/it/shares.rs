//! Read-only dashboard share links from the outside: made from the dashboard's form,
//! shown once, opened by an anonymous visitor who sees the view's figures and nothing that
//! names a customer, revoked at once, in the audit log; bad input refused; a viewer cannot
//! make one; another workspace's admin can neither see nor revoke one. On both databases.

use crate::common::{location, TestApp};
use advocate_core::Role;
use advocate_server::auth::hash_password;
use advocate_store::testing::TestDb;
use reqwest::header::{CACHE_CONTROL, COOKIE, REFERRER_POLICY, SET_COOKIE};
use serde_json::json;

const PASSWORD: &str = "a long enough password";

async fn get(app: &TestApp, cookie: Option<&str>, path: &str) -> (u16, String) {
    let mut r = app.http.get(app.url(path));
    if let Some(c) = cookie {
        r = r.header(COOKIE, c);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let csrf = app.csrf(cookie).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    let r = app
        .http
        .post(app.url(path))
        .header(COOKIE, cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

async fn sign_in_as(app: &TestApp, email: &str) -> String {
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// The `/shared/…` path in a page that shows a new link once.
fn shared_path(html: &str) -> String {
    let at = html.find("/shared/").expect("the new link");
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_share_link_shows_its_view_read_only_until_revoked() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", Some("delivery")).await;
        for (i, (score, channel)) in [(10, "sms"), (2, "sms"), (9, "email")].iter().enumerate() {
            let r = app
                .answer(json!({"survey": "rel", "score": score, "channel": channel,
                    "comment": format!("SECRET-COMMENT-{i}"),
                    "customer": {"external_id": format!("C{i}"), "name": format!("Secret Person {i}"),
                                 "email": format!("c{i}@example.com")}}))
                .await;
            assert_eq!(r.status(), 201);
        }
        let cookie = app.sign_in().await;
        let (_, dashboard) = get(
            &app,
            Some(&cookie),
            "/dashboard?period=all&only=channel:sms",
        )
        .await;
        assert!(
            dashboard.contains("name=\"view\" value=\"period=all&#38;only=channel:sms\""),
            "{dashboard}"
        );

        // Made: the link is shown once, with the view and its end.
        let form = [
            ("view", "period=all&only=channel:sms"),
            ("label", "Office screen"),
            ("days", "7"),
        ];
        let (status, html) = post(&app, &cookie, "/dashboard/shares", &form).await;
        assert_eq!(status, 200, "{html}");
        let link = shared_path(&html);
        let (_, list) = get(&app, Some(&cookie), "/dashboard/shares").await;
        assert!(!list.contains(&link), "the link is shown only once");
        assert!(
            list.contains("Office screen") && list.contains(">live<"),
            "{list}"
        );

        // Opened by anyone: the view's figures, nothing naming a customer, no forms.
        let r = app.http.get(app.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
        assert_eq!(r.headers()[REFERRER_POLICY], "no-referrer");
        let shared = r.text().await.unwrap();
        assert!(shared.contains("Shared view: Office screen"), "{shared}");
        assert!(shared.contains("<p class=\"n\">n = 2</p>"), "{shared}");
        assert!(shared.contains("channel sms only"));
        for secret in [
            "SECRET-COMMENT",
            "Secret Person",
            "/customers/",
            "/cases/",
            "name=\"csrf\"",
        ] {
            assert!(!shared.contains(secret), "{secret} in {shared}");
        }

        // Both in the audit log.
        let (_, audit) = get(&app, Some(&cookie), "/audit").await;
        assert!(audit.contains("dashboard_share.created"), "{audit}");

        // Revoked: closed at once, to the same answer as a forged link.
        let (_, list) = get(&app, Some(&cookie), "/dashboard/shares").await;
        let at = list.find("action=\"/dashboard/shares/").unwrap() + 8;
        let revoke = list[at..].split('"').next().unwrap().to_owned();
        let (status, _) = post(&app, &cookie, &revoke, &[]).await;
        assert_eq!(status, 303);
        let (status, closed) = get(&app, None, &link).await;
        assert_eq!(status, 404);
        assert!(!closed.contains("Office screen"));
        let (forged, _) = get(&app, None, "/shared/forged-token").await;
        assert_eq!(forged, 404);
        let (_, audit) = get(&app, Some(&cookie), "/audit").await;
        assert!(audit.contains("dashboard_share.revoked"));
        let (_, list) = get(&app, Some(&cookie), "/dashboard/shares").await;
        assert!(list.contains(">revoked<"));

        // Bad input is named and makes nothing.
        let rows = |html: &str| html.matches("<tr><th scope=\"row\">").count();
        let before = rows(&list);
        for (view, label, days) in [
            ("only=planet:mars", "x", "7"),
            ("from=2026-13-01", "x", "7"),
            ("", "", "7"),
            ("", "x", "0"),
            ("", "x", "91"),
            ("", "x", "soon"),
        ] {
            let form = [("view", view), ("label", label), ("days", days)];
            let (status, html) = post(&app, &cookie, "/dashboard/shares", &form).await;
            assert_eq!(status, 422, "{view:?} {label:?} {days:?}");
            assert!(!html.contains("/shared/"));
        }
        let (_, list) = get(&app, Some(&cookie), "/dashboard/shares").await;
        assert_eq!(rows(&list), before);
    }
}

#[tokio::test]
async fn a_viewer_cannot_share_and_another_workspace_cannot_see_or_revoke() {
    let app = TestApp::spawn_on(TestDb::sqlite()).await;
    let hash = hash_password(PASSWORD);
    app.store
        .users()
        .create_member(app.workspace_id, "viewer@example.com", &hash, Role::Viewer)
        .await
        .unwrap();
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    app.store
        .users()
        .create_member(other.id, "mallory@other.example", &hash, Role::Admin)
        .await
        .unwrap();
    let (share, token) = app
        .store
        .shares()
        .create(app.workspace_id, "user:admin", "Wall", "period=30d", 7)
        .await
        .unwrap();

    // A viewer sees the dashboard without the share form, and is refused the route.
    let viewer = sign_in_as(&app, "viewer@example.com").await;
    let (_, dashboard) = get(&app, Some(&viewer), "/dashboard").await;
    assert!(!dashboard.contains("Share this view"));
    let form = [("view", ""), ("label", "Mine"), ("days", "7")];
    let (status, _) = post(&app, &viewer, "/dashboard/shares", &form).await;
    assert_eq!(status, 403);

    // Another workspace's admin: none of A's links listed, revoking one is not found.
    let mallory = sign_in_as(&app, "mallory@other.example").await;
    let (_, list) = get(&app, Some(&mallory), "/dashboard/shares").await;
    assert!(!list.contains("Wall"), "{list}");
    let path = format!("/dashboard/shares/{}/revoke", share.id);
    let (status, _) = post(&app, &mallory, &path, &[]).await;
    assert_eq!(status, 404);
    assert!(app.store.shares().open(&token).await.unwrap().is_some());
    let (status, _) = get(&app, None, &format!("/shared/{token}")).await;
    assert_eq!(status, 200);

    // Without signing in, nothing but the link itself.
    let r = app
        .http
        .get(app.url("/dashboard/shares"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/signin"));
}
