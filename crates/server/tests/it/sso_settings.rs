//! Single sign-on set up in the app (`/settings/sso`) without the API, and what guards
//! the provider calls: bad input named with nothing saved, the secret write-only, a
//! provider at an address the operator has not allowed refused both when saved and when
//! called, the redirect URI from the public URL whatever `Host` a client sends, and
//! starts from one client rate-limited. On both databases.

use crate::common::TestApp;
use crate::sso::{config, crafted_provider};
use advocate_core::Role;
use advocate_server::auth::hash_password;
use advocate_store::testing::TestDb;
use reqwest::header::{COOKIE, HOST, RETRY_AFTER};
use std::sync::{Arc, Mutex};

async fn get(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
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
    let to = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = r.text().await.unwrap();
    (status, to.unwrap_or(body))
}

async fn set_up_in_the_app(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    let ws = app.workspace_id;
    let cookie = app.sign_in().await;
    let (_, settings) = get(&app, &cookie, "/settings").await;
    assert!(settings.contains("href=\"/settings/sso\""));
    let (status, html) = get(&app, &cookie, "/settings/sso").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("{}/signin/sso/callback", app.base)),
        "the redirect URI to register: {html}"
    );
    assert!(html.contains("/signin/sso?workspace=acme"));

    let good = [
        ("issuer", "http://127.0.0.1:9/realms/staff"),
        ("client_id", "advocate"),
        ("client_secret", "page-secret-5678"),
        ("allowed_domains", "example.com\r\nexample.org"),
        ("required_group", ""),
        ("default_role", "agent"),
    ];
    // Bad input: named, nothing saved.
    let with = |name: &'static str, value: &'static str| {
        let mut form = good.to_vec();
        form.retain(|(k, _)| *k != name);
        form.push((name, value));
        form
    };
    for (form, says) in [
        (with("client_secret", ""), "client_secret"),
        (with("allowed_domains", "not a domain"), "allowed_domains"),
        (with("issuer", "login.example.com"), "issuer"),
        (with("issuer", "http://10.1.2.3/"), "--allow-webhook-hosts"),
        (with("default_role", "owner"), "default_role"),
    ] {
        let (status, html) = post(&app, &cookie, "/settings/sso", &form).await;
        assert_eq!(status, 422, "{form:?}: {html}");
        assert!(html.contains("role=\"alert\""), "{html}");
        assert!(html.contains(says), "{says}: {html}");
        assert!(!html.contains("page-secret"), "the secret is never shown");
        assert!(app.store.sso().get(ws).await.unwrap().is_none());
    }

    // Saved: password sign-in unticked means the provider only.
    let (status, to) = post(&app, &cookie, "/settings/sso", &good).await;
    assert_eq!(status, 303, "{to}");
    assert_eq!(to, "/settings/sso?done=saved");
    let saved = app.store.sso().get(ws).await.unwrap().unwrap();
    assert_eq!(saved.issuer, "http://127.0.0.1:9/realms/staff");
    assert_eq!(saved.client_secret, "page-secret-5678");
    assert_eq!(saved.allowed_domains, ["example.com", "example.org"]);
    assert_eq!(saved.required_group, None);
    assert_eq!(saved.default_role, Role::Agent);
    assert!(!saved.password_sign_in);
    let (_, html) = get(&app, &cookie, "/settings/sso?done=saved").await;
    assert!(html.contains("Single sign-on saved."));
    assert!(html.contains("…5678") && !html.contains("page-secret"));
    assert!(html.contains("example.org"));

    // An empty secret keeps the saved one; only what the form names changes.
    let mut again = with("client_secret", "");
    again.push(("password_sign_in", "1"));
    again.retain(|(k, _)| *k != "required_group");
    again.push(("required_group", "cx-team"));
    let (status, _) = post(&app, &cookie, "/settings/sso", &again).await;
    assert_eq!(status, 303);
    let saved = app.store.sso().get(ws).await.unwrap().unwrap();
    assert_eq!(saved.client_secret, "page-secret-5678");
    assert!(saved.password_sign_in);
    assert_eq!(saved.required_group.as_deref(), Some("cx-team"));
    let audit = app.store.audit().log(ws, 50, None).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "sso.configured" && a.actor.contains("admin")));
    assert!(audit.iter().all(|a| !a.detail.contains("page-secret")));

    // A viewer can neither see nor change it.
    let hash = hash_password("a long enough password");
    app.store
        .users()
        .create_member(ws, "viewer@example.com", &hash, Role::Viewer)
        .await
        .unwrap();
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[
            ("email", "viewer@example.com"),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    let viewer = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, _) = get(&app, &viewer, "/settings/sso").await;
    assert_eq!(status, 403);
    let (status, _) = post(&app, &viewer, "/settings/sso/remove", &[]).await;
    assert_eq!(status, 403);
    assert!(app.store.sso().get(ws).await.unwrap().is_some());

    // Turned off.
    let (status, to) = post(&app, &cookie, "/settings/sso/remove", &[]).await;
    assert_eq!((status, to.as_str()), (303, "/settings/sso?done=off"));
    assert!(app.store.sso().get(ws).await.unwrap().is_none());
    let audit = app.store.audit().log(ws, 50, None).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "sso.removed"));
}

#[tokio::test]
async fn sso_set_up_in_the_app_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        set_up_in_the_app(db).await;
    }
}

async fn provider_calls_are_guarded(db: TestDb) {
    // Saved (say, before the operator narrowed the rules) at a loopback provider that
    // this server is not allowed to call: refused when called, naming the rule.
    let strict = TestApp::spawn_on(db).await;
    let issuer = crafted_provider(&rsa_key(), Arc::new(Mutex::new(String::new()))).await;
    strict
        .store
        .sso()
        .save(strict.workspace_id, &config(&issuer))
        .await
        .unwrap();
    let r = strict
        .get("/signin/sso?workspace=acme")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let html = r.text().await.unwrap();
    assert!(html.contains("refused"), "{html}");
}

fn rsa_key() -> rsa::RsaPrivateKey {
    use rsa::pkcs8::DecodePrivateKey;
    rsa::RsaPrivateKey::from_pkcs8_pem(include_str!("sso_key.pem")).unwrap()
}

async fn redirect_and_limits(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    let issuer = crafted_provider(&rsa_key(), Arc::new(Mutex::new(String::new()))).await;
    app.store
        .sso()
        .save(app.workspace_id, &config(&issuer))
        .await
        .unwrap();
    // A forged Host does not choose where the provider sends the code.
    let r = app
        .get("/signin/sso?workspace=acme")
        .header(HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let redirect = url::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(redirect, format!("{}/signin/sso/callback", app.base));

    // Starts are charged to the client like failed sign-ins: bounded, then 429.
    let mut refused = None;
    for i in 0..40 {
        let r = app.get("/signin/sso?workspace=acme").send().await.unwrap();
        if r.status() == 429 {
            refused = Some((i, r));
            break;
        }
        assert_eq!(r.status(), 303);
    }
    let (i, r) = refused.expect("starts are rate-limited");
    assert!(i < 31, "refused after {i} starts");
    assert!(r.headers().contains_key(RETRY_AFTER));
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Too many sign-ins started"));
}

#[tokio::test]
async fn sso_provider_calls_redirect_and_limits_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        provider_calls_are_guarded(db).await;
    }
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        redirect_and_limits(db).await;
    }
}
