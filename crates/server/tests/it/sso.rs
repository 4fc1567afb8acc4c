//! Single sign-on with OpenID Connect over HTTP: the full browser flow against a real
//! provider (PyPI `oidc-provider-mock`): a just-in-time member with the default role, a
//! disallowed email domain, a replayed code and a mismatched state, password sign-in
//! turned off; and, from a provider of the test's own signing with its own RSA key, a
//! forged signature, a wrong audience and an expired ID token — each refused with nothing
//! created.

use crate::common::peers::free_port;
use crate::common::{location, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use advocate_core::Role;
use advocate_store::tenancy::sso::SsoConfig;
use advocate_store::testing::{missing_peer, TestDb};
use advocate_store::Store;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::Response;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// oidc-provider-mock on a free port of 127.0.0.1, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    async fn start() -> Option<Self> {
        let port = free_port();
        let child = match Command::new("oidc-provider-mock")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--require-nonce"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                return missing_peer(&format!(
                    "oidc-provider-mock cannot run (pip install oidc-provider-mock): {e}"
                ))
            }
        };
        let provider = Self {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
        };
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        for _ in 0..200 {
            if reqwest::get(&discovery)
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Some(provider);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("oidc-provider-mock did not start at {}", provider.issuer);
    }

    /// Sets the claims the provider gives `sub` when the test picks it at the authorize form.
    async fn user(&self, sub: &str, claims: Value) {
        let r = reqwest::Client::new()
            .put(format!("{}/users/{sub}", self.issuer))
            .json(&claims)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn config(issuer: &str) -> SsoConfig {
    SsoConfig {
        issuer: issuer.into(),
        client_id: "advocate".into(),
        client_secret: "provider-secret".into(),
        allowed_domains: vec!["example.com".into()],
        required_group: None,
        default_role: Role::Viewer,
        password_sign_in: true,
    }
}

fn cookie_named(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")) && c.len() > name.len() + 1)
}

/// `/signin/sso` for acme: the provider's authorize URL and the pending-sign-in cookie.
async fn start(app: &TestApp) -> (String, String) {
    let r = app
        .get("/signin/sso?workspace=acme&next=%2Fdashboard")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let cookie = cookie_named(&r, "advocate_sso").expect("the pending cookie");
    (location(&r), cookie)
}

/// The browser at the provider: picks `sub` and follows back to Advocate's callback path.
async fn authorize(app: &TestApp, authorize_url: &str, sub: &str) -> String {
    let r = app
        .http
        .post(authorize_url)
        .form(&[("sub", sub)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    let to = location(&r);
    to.strip_prefix(&app.base)
        .expect("back to Advocate")
        .to_owned()
}

async fn callback(app: &TestApp, path: &str, cookie: &str) -> Response {
    app.get(path).header(COOKIE, cookie).send().await.unwrap()
}

async fn role_of(store: &Store, ws: i64, email: &str) -> Option<Role> {
    store
        .accounts()
        .members(ws)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.email == email)
        .map(|m| m.role)
}

async fn full_flow_against_the_provider(db: TestDb, provider: &Provider) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    let ws = app.workspace_id;
    app.store
        .sso()
        .save(ws, &config(&provider.issuer))
        .await
        .unwrap();
    provider
        .user(
            "ann",
            json!({"email": "ann@example.com", "email_verified": true}),
        )
        .await;

    // Browser steps: Advocate → provider → Advocate, then the session works.
    let (to, cookie) = start(&app).await;
    assert!(
        to.starts_with(&format!("{}/oauth2/authorize?", provider.issuer)),
        "{to}"
    );
    assert!(
        to.contains("code_challenge_method=S256") && to.contains("nonce="),
        "{to}"
    );
    let back = authorize(&app, &to, "ann").await;
    let r = callback(&app, &back, &cookie).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/dashboard");
    let session = cookie_named(&r, "advocate_session").expect("a session");
    let page = app
        .get("/dashboard")
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        role_of(&app.store, ws, "ann@example.com").await,
        Some(Role::Viewer)
    );
    let audit = app.store.audit().log(ws, 50, None).await.unwrap();
    assert!(
        audit.iter().any(|a| a.action == "member.joined_by_sso"),
        "{audit:?}"
    );

    // The same answer again (a replayed code): refused, no second session.
    let r = callback(&app, &back, &cookie).await;
    assert_eq!(r.status(), 401);
    assert_eq!(cookie_named(&r, "advocate_session"), None);

    // A state that is not this browser's: refused before the code is used.
    let (to, cookie) = start(&app).await;
    let back = authorize(&app, &to, "ann").await;
    let forged_state = back.replace("state=", "state=x");
    let r = callback(&app, &forged_state, &cookie).await;
    assert_eq!(r.status(), 400);
    assert_eq!(cookie_named(&r, "advocate_session"), None);
    // Without the cookie (another browser) likewise.
    let r = app.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // An email outside the allowed domains: refused, nobody created.
    provider
        .user(
            "eve",
            json!({"email": "eve@elsewhere.test", "email_verified": true}),
        )
        .await;
    let (to, cookie) = start(&app).await;
    let back = authorize(&app, &to, "eve").await;
    let r = callback(&app, &back, &cookie).await;
    assert_eq!(r.status(), 403);
    assert!(app
        .store
        .users()
        .by_email("eve@elsewhere.test")
        .await
        .unwrap()
        .is_none());

    // A person of another workspace: this workspace's provider cannot sign them in.
    let globex = app
        .store
        .workspaces()
        .create("globex", "Globex", &advocate_core::Language::english())
        .await
        .unwrap();
    app.store
        .users()
        .create(globex.id, "gus@example.com", "h")
        .await
        .unwrap();
    provider
        .user(
            "gus",
            json!({"email": "gus@example.com", "email_verified": true}),
        )
        .await;
    let (to, cookie) = start(&app).await;
    let back = authorize(&app, &to, "gus").await;
    let r = callback(&app, &back, &cookie).await;
    assert_eq!(r.status(), 403);
    assert_eq!(cookie_named(&r, "advocate_session"), None);
    assert_eq!(role_of(&app.store, ws, "gus@example.com").await, None);

    // A workspace without single sign-on: a clear refusal.
    let r = app
        .get("/signin/sso?workspace=nowhere")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Password sign-in off: the admin's right password no longer opens a session.
    let mut off = config(&provider.issuer);
    off.password_sign_in = false;
    app.store.sso().save(ws, &off).await.unwrap();
    let r = app
        .post("/signin")
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(cookie_named(&r, "advocate_session"), None);
    assert!(r.text().await.unwrap().contains("single sign-on only"));
}

#[tokio::test]
async fn sso_full_flow_against_a_real_provider_on_every_backend() {
    let Some(provider) = Provider::start().await else {
        return;
    };
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        full_flow_against_the_provider(db, &provider).await;
    }
}

/// A provider of the test's own: discovery, its RSA key as JWKS, and a token endpoint
/// answering with whatever ID token the test put in `next_token`.
pub(crate) async fn crafted_provider(
    key: &RsaPrivateKey,
    next_token: Arc<Mutex<String>>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let public = key.to_public_key();
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig",
        "n": B64.encode(public.n().to_bytes_be()), "e": B64.encode(public.e().to_bytes_be())}]});
    let discovery = json!({"issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"), "jwks_uri": format!("{issuer}/jwks")});
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route("/jwks", get(move || async move { Json(jwks) }))
        .route(
            "/token",
            post(move || async move {
                let id_token = next_token.lock().unwrap().clone();
                Json(json!({"access_token": "a", "token_type": "Bearer", "id_token": id_token}))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

fn sign(key: &RsaPrivateKey, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(json!({"alg": "RS256", "kid": "k1"}).to_string()),
        B64.encode(claims.to_string())
    );
    let sig = key
        .sign(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(input.as_bytes()),
        )
        .unwrap();
    format!("{input}.{}", B64.encode(sig))
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

async fn crafted_tokens_are_refused(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    let ws = app.workspace_id;
    let key = RsaPrivateKey::from_pkcs8_pem(include_str!("sso_key.pem")).unwrap();
    let next_token = Arc::new(Mutex::new(String::new()));
    let issuer = crafted_provider(&key, next_token.clone()).await;
    app.store.sso().save(ws, &config(&issuer)).await.unwrap();

    let now = chrono::Utc::now().timestamp();
    // Each case: how the claims or the token are spoiled, and what the page must say.
    type Spoil = fn(&mut Value);
    let cases: [(&str, Spoil, bool, &str); 4] = [
        ("good", |_| {}, false, ""),
        ("forged", |_| {}, true, "signature is not valid"),
        (
            "wrong audience",
            |c| c["aud"] = json!("someone-else"),
            false,
            "audience",
        ),
        (
            "expired",
            |c| c["exp"] = json!(chrono::Utc::now().timestamp() - 3600),
            false,
            "expired",
        ),
    ];
    for (name, spoil, forge, says) in cases {
        let (to, cookie) = start(&app).await;
        let (state, nonce) = (query_param(&to, "state"), query_param(&to, "nonce"));
        let email = format!("{}@example.com", name.replace(' ', "-"));
        let mut claims = json!({"iss": issuer, "sub": name, "aud": "advocate", "iat": now,
            "exp": now + 300, "nonce": nonce, "email": email, "email_verified": true});
        spoil(&mut claims);
        let mut token = sign(&key, &claims);
        if forge {
            // The signature of one payload on another: a different email.
            let (_, sig) = token.rsplit_once('.').unwrap();
            let mut other = claims.clone();
            other["email"] = json!("mallory@example.com");
            let input = token
                .rsplit_once('.')
                .unwrap()
                .0
                .split_once('.')
                .unwrap()
                .0
                .to_owned();
            token = format!("{input}.{}.{sig}", B64.encode(other.to_string()));
        }
        *next_token.lock().unwrap() = token;
        let r = callback(
            &app,
            &format!("/signin/sso/callback?code=c&state={state}"),
            &cookie,
        )
        .await;
        let status = r.status();
        let has_session = cookie_named(&r, "advocate_session").is_some();
        let body = r.text().await.unwrap();
        if says.is_empty() {
            assert_eq!(status, 303, "{name}: {body}");
            assert!(has_session, "{name}");
            assert_eq!(role_of(&app.store, ws, &email).await, Some(Role::Viewer));
        } else {
            assert_eq!(status, 401, "{name}: {body}");
            assert!(!has_session, "{name}");
            assert!(body.contains(says), "{name}: {body}");
            assert!(
                app.store.users().by_email(&email).await.unwrap().is_none(),
                "{name}"
            );
            assert!(app
                .store
                .users()
                .by_email("mallory@example.com")
                .await
                .unwrap()
                .is_none());
        }
    }
}

#[tokio::test]
async fn sso_forged_wrong_audience_and_expired_tokens_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        crafted_tokens_are_refused(db).await;
    }
}

async fn configured_through_the_api(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let ws = app.workspace_id;
    let key = app.key.clone();
    let body = json!({"issuer": "https://login.example.com/", "client_id": "advocate",
        "client_secret": "very-secret-1234", "allowed_domains": ["example.com"],
        "required_group": "staff", "default_role": "agent", "password_sign_in": false});
    let put = |body: Value, key: String| {
        app.http
            .put(app.url("/api/v1/sso"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let r = app
        .get("/api/v1/sso")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let mut no_secret = body.clone();
    no_secret["client_secret"] = Value::Null;
    let r = put(no_secret.clone(), key.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(crate::common::problem(r).await.contains("client_secret"));

    let r = put(body.clone(), key.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let shown: Value = r.json().await.unwrap();
    assert_eq!(shown["client_secret_hint"], "…1234");
    assert_eq!(shown["issuer"], "https://login.example.com");
    assert_eq!(shown["default_role"], "agent");
    assert!(!shown.to_string().contains("very-secret"), "{shown}");
    // null keeps the secret; a bad issuer changes nothing.
    let r = put(no_secret, key.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let mut bad = body.clone();
    bad["issuer"] = json!("login.example.com");
    let r = put(bad, key.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(crate::common::problem(r).await.contains("issuer"));
    let saved = app.store.sso().get(ws).await.unwrap().unwrap();
    assert_eq!(saved.client_secret, "very-secret-1234");
    assert_eq!(saved.issuer, "https://login.example.com");
    assert_eq!(saved.required_group.as_deref(), Some("staff"));

    // Another workspace's admin key neither sees nor changes it; no key: 401.
    let other = app
        .store
        .workspaces()
        .create("globex", "Globex", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, other_key) = app.store.api_keys().create(other.id, "t").await.unwrap();
    let r = app
        .http
        .get(app.url("/api/v1/sso"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .delete(app.url("/api/v1/sso"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .put(app.url("/api/v1/sso"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(app.store.sso().get(ws).await.unwrap().is_some());

    let r = app
        .http
        .delete(app.url("/api/v1/sso"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(app.store.sso().get(ws).await.unwrap().is_none());
    let audit = app.store.audit().log(ws, 50, None).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "sso.configured"));
    assert!(audit.iter().all(|a| !a.detail.contains("very-secret")));
}

#[tokio::test]
async fn sso_configured_through_the_api_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        configured_through_the_api(db).await;
    }
}
