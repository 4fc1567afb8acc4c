//! Webhooks set up in the app, without the API: an endpoint added on /settings/webhooks gets
//! its secret once, a real HTTP receiver verifies the signed delivery with it, the page's
//! delivery log shows it; pause, new secret and remove work; bad input is named and
//! changes nothing; a viewer and another workspace's admin cannot touch an endpoint.
//! On both databases.

use crate::common::peers::{eventually, free_port};
use crate::common::{receivers_allowed, TestApp};
use advocate_core::delivery::{verify_webhook, SIGNATURE_HEADER};
use advocate_core::Role;
use advocate_server::auth::hash_password;
use advocate_server::worker::{self, DeliveryConfig};
use advocate_store::delivery::outbox::RetryPolicy;
use advocate_store::testing::TestDb;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use reqwest::header::COOKIE;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSWORD: &str = "a long enough password";

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
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn endpoints(app: &TestApp) -> Vec<Value> {
    let r = app.get("/api/v1/webhooks").send().await.unwrap();
    r.json::<Vec<Value>>().await.unwrap()
}

/// The secret shown once on the page.
fn secret_in(html: &str) -> String {
    let mark = "id=\"new-secret\" readonly value=\"";
    let at = html.find(mark).expect("a secret") + mark.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// What a receiver got: (signature header, body) of every POST.
type Hits = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A receiver that records every POST and answers 200.
async fn receiver(port: u16) -> Hits {
    let hits: Hits = Arc::default();
    let seen = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let sig = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                seen.lock().unwrap().push((sig, body.to_vec()));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    hits
}

async fn wired_from_the_app(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    app.survey("rel", None).await;
    let port = free_port();
    let hits = receiver(port).await;
    let workers = worker::start(
        app.store.clone(),
        DeliveryConfig {
            poll_interval: Duration::from_millis(50),
            allowed_hosts: receivers_allowed(),
            retry: RetryPolicy {
                max_attempts: 5,
                max_backoff_secs: 1,
            },
            ..DeliveryConfig::default()
        },
    );
    let cookie = app.sign_in().await;
    let (status, html) = get(&app, &cookie, "/settings/webhooks").await;
    assert_eq!(status, 200);
    assert!(html.contains("No endpoints yet"));
    let (_, settings) = get(&app, &cookie, "/settings").await;
    assert!(settings.contains("href=\"/settings/webhooks\""));

    // Bad input: named, the typed URL kept, nothing made.
    let url = format!("http://127.0.0.1:{port}/hook");
    for (form, says) in [
        (
            vec![("url", "ftp://example.com/x"), ("events", "case.created")],
            "url",
        ),
        (vec![("url", url.as_str())], "events must name at least one"),
        (
            vec![("url", url.as_str()), ("events", "case.exploded")],
            "unknown event",
        ),
        (
            vec![
                ("url", url.as_str()),
                ("events", "*"),
                ("events", "case.created"),
            ],
            "alone",
        ),
    ] {
        let (status, html) = post(&app, &cookie, "/settings/webhooks", &form).await;
        assert_eq!(status, 422, "{form:?}: {html}");
        assert!(html.contains("role=\"alert\""), "{html}");
        assert!(html.contains(says), "{says}: {html}");
        assert!(!html.contains("id=\"new-secret\""));
    }
    assert!(endpoints(&app).await.is_empty());

    // Added: the secret once; a detractor's case reaches the receiver, signed with it.
    let form = [("url", url.as_str()), ("events", "case.created")];
    let (status, html) = post(&app, &cookie, "/settings/webhooks", &form).await;
    assert_eq!(status, 200, "{html}");
    let secret = secret_in(&html);
    assert!(secret.starts_with("whsec_"));
    let (_, again) = get(&app, &cookie, "/settings/webhooks").await;
    assert!(!again.contains(&secret), "the secret is shown only once");
    let id = endpoints(&app).await[0]["id"].as_i64().unwrap();
    let r = app
        .answer(json!({"survey": "rel", "score": 2, "customer": {"external_id": "C1", "email": "c1@example.com"}}))
        .await;
    assert_eq!(r.status(), 201);
    eventually("the signed case.created", || async {
        let now = chrono::Utc::now().timestamp();
        let hits = hits.lock().unwrap();
        hits.iter()
            .any(|(sig, body)| verify_webhook(&secret, sig, body, now, 300))
            .then_some(())
    })
    .await;
    // The page's delivery log shows it delivered.
    eventually("the delivery in the log", || async {
        let (_, html) = get(&app, &cookie, "/settings/webhooks").await;
        html.contains("<td>case.created</td><td>delivered</td>")
            .then_some(())
    })
    .await;

    // Paused and resumed; a new secret replaces the old one.
    let base = format!("/settings/webhooks/{id}");
    let (status, _) = post(&app, &cookie, &format!("{base}/active"), &[("active", "0")]).await;
    assert_eq!(status, 303);
    assert_eq!(endpoints(&app).await[0]["active"], false);
    let (status, _) = post(
        &app,
        &cookie,
        &format!("{base}/active"),
        &[("active", "maybe")],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = post(&app, &cookie, &format!("{base}/active"), &[("active", "1")]).await;
    assert_eq!(status, 303);
    assert_eq!(endpoints(&app).await[0]["active"], true);
    let (status, html) = post(&app, &cookie, &format!("{base}/rotate-secret"), &[]).await;
    assert_eq!(status, 200);
    let rotated = secret_in(&html);
    assert!(rotated.starts_with("whsec_") && rotated != secret);

    // Removed (it has a message, so it is kept deactivated for its history).
    let (status, _) = post(&app, &cookie, &format!("{base}/remove"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(endpoints(&app).await[0]["active"], false);
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_wired_from_the_app_and_its_deliveries_shown() {
    for db in TestDb::all().await {
        wired_from_the_app(db).await;
    }
}

#[tokio::test]
async fn a_non_public_address_a_viewer_and_another_workspace_are_refused() {
    let app = TestApp::spawn_on(TestDb::sqlite()).await;
    let cookie = app.sign_in().await;
    // Without the operator's allow-list, a loopback receiver is refused, by name.
    let form = [("url", "http://127.0.0.1:9/hook"), ("events", "*")];
    let (status, html) = post(&app, &cookie, "/settings/webhooks", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("url"), "{html}");
    assert!(endpoints(&app).await.is_empty());

    let (endpoint, _) = app
        .store
        .webhooks()
        .create(
            app.workspace_id,
            "https://hooks.example.com/a",
            &["*".to_owned()],
        )
        .await
        .unwrap();
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
    let sign_in = |email: &'static str| {
        let app = &app;
        async move {
            let r = app
                .http
                .post(app.url("/signin"))
                .form(&[("email", email), ("password", PASSWORD)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            let c = r.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
            c.split(';').next().unwrap().to_owned()
        }
    };
    let viewer = sign_in("viewer@example.com").await;
    let (status, _) = get(&app, &viewer, "/settings/webhooks").await;
    assert_eq!(status, 403);
    let remove = format!("/settings/webhooks/{}/remove", endpoint.id);
    let (status, _) = post(&app, &viewer, &remove, &[]).await;
    assert_eq!(status, 403);

    let mallory = sign_in("mallory@other.example").await;
    let (_, html) = get(&app, &mallory, "/settings/webhooks").await;
    assert!(!html.contains("hooks.example.com"));
    for action in ["remove", "rotate-secret"] {
        let path = format!("/settings/webhooks/{}/{action}", endpoint.id);
        let (status, html) = post(&app, &mallory, &path, &[]).await;
        assert_eq!(status, 404, "{action}");
        assert!(!html.contains("whsec_"));
    }
    let path = format!("/settings/webhooks/{}/active", endpoint.id);
    let (status, _) = post(&app, &mallory, &path, &[("active", "0")]).await;
    assert_eq!(status, 404);
    let theirs = endpoints(&app).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["active"], true);
}
