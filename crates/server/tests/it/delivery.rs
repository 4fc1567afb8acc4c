//! Delivery against real peers: a real SMTP server (aiosmtpd, from Debian's
//! python3-aiosmtpd) and a real HTTP receiver that verifies signatures. Peers go down
//! and come back; every message must arrive, none lost, repeats recognisable by key.

use crate::common::peers::{eventually, free_port, header, smtp_python, SmtpServer};
use crate::common::{problem, receivers_allowed, TestApp};
use advocate_core::delivery::{verify_webhook, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings, Workers};
use advocate_store::delivery::outbox::RetryPolicy;
use advocate_store::testing::{missing_peer, TestDb};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn config(smtp_port: Option<u16>, max_attempts: u32) -> DeliveryConfig {
    DeliveryConfig {
        smtp: smtp_port.map(|p| SmtpSettings::parse(&format!("smtp://127.0.0.1:{p}")).unwrap()),
        poll_interval: Duration::from_millis(50),
        http_timeout: Duration::from_secs(3),
        lease_secs: 30,
        allowed_hosts: receivers_allowed(),
        retry: RetryPolicy {
            max_attempts,
            max_backoff_secs: 1,
        },
        ..DeliveryConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// The HTTP peer
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Hit {
    key: String,
    event: String,
    body: Vec<u8>,
    verified: bool,
    accepted: bool,
}

/// A webhook receiver: verifies each signature, records every request, and answers 503
/// while `failing`.
#[derive(Clone, Default)]
struct Receiver {
    secret: Arc<Mutex<String>>,
    hits: Arc<Mutex<Vec<Hit>>>,
    failing: Arc<AtomicBool>,
}

impl Receiver {
    /// Starts listening on `port`.
    async fn listen(&self, port: u16) {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let me = me.clone();
                async move { me.receive(&headers, &body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
    }

    fn receive(&self, headers: &HeaderMap, body: &[u8]) -> StatusCode {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let now = chrono::Utc::now().timestamp();
        let secret = self.secret.lock().unwrap().clone();
        let verified = verify_webhook(&secret, &h(SIGNATURE_HEADER), body, now, 300)
            && h("content-type") == "application/json";
        let accepted = verified && !self.failing.load(Ordering::SeqCst);
        self.hits.lock().unwrap().push(Hit {
            key: h(IDEMPOTENCY_HEADER),
            event: h("advocate-event"),
            body: body.to_vec(),
            verified,
            accepted,
        });
        if accepted {
            StatusCode::OK
        } else if verified {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::UNAUTHORIZED
        }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Keys accepted at least once, and how many accepted requests repeated a key.
    fn accepted_keys(&self) -> (BTreeSet<String>, usize) {
        let accepted: Vec<Hit> = self.hits().into_iter().filter(|h| h.accepted).collect();
        let keys: BTreeSet<String> = accepted.iter().map(|h| h.key.clone()).collect();
        let duplicates = accepted.len() - keys.len();
        (keys, duplicates)
    }
}

// ---------------------------------------------------------------------------------------
// Helpers on the app
// ---------------------------------------------------------------------------------------

async fn create_endpoint(app: &TestApp, port: u16, events: &[&str]) -> (i64, String) {
    let r = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": events}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    (
        body["id"].as_i64().unwrap(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn outbox(app: &TestApp, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/outbox{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn counts(app: &TestApp) -> Value {
    outbox(app, "").await["counts"].clone()
}

/// Idempotency keys of every delivered webhook message.
async fn delivered_webhook_keys(app: &TestApp) -> BTreeSet<String> {
    outbox(app, "?status=delivered&limit=500").await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "webhook")
        .map(|m| m["idempotency_key"].as_str().unwrap().to_owned())
        .collect()
}

async fn detractor(app: &TestApp, customer: &str, manager: &str) {
    let r = app
        .answer(
            json!({"survey": "rel", "score": 2, "comment": "Late <again> & broken",
            "customer": {"external_id": customer, "name": format!("Customer {customer}"),
                         "account_manager": manager}}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

fn start(app: &TestApp, config: DeliveryConfig) -> Workers {
    worker::start(app.store.clone(), config)
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

async fn detractor_answer_sends_the_alert_email_and_signed_webhooks(db: TestDb) {
    let smtp_port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-mail-{smtp_port}"));
    let Some(smtp) = SmtpServer::start(smtp_port, &maildir).await else {
        return;
    };
    let app = TestApp::spawn_allowing_receivers(db).await;
    app.survey("rel", None).await;
    let receiver = Receiver::default();
    let port = free_port();
    receiver.listen(port).await;
    let (_, secret) = create_endpoint(&app, port, &["case.created", "response.created"]).await;
    *receiver.secret.lock().unwrap() = secret;
    let workers = start(&app, config(Some(smtp_port), 12));

    detractor(&app, "C1", "kari@example.com").await;

    let events = eventually("both webhooks", || async {
        let (keys, _) = receiver.accepted_keys();
        (keys.len() == 2).then(|| {
            receiver
                .hits()
                .iter()
                .map(|h| h.event.clone())
                .collect::<BTreeSet<_>>()
        })
    })
    .await;
    assert_eq!(
        events,
        BTreeSet::from(["case.created".to_owned(), "response.created".to_owned()])
    );
    assert!(
        receiver.hits().iter().all(|h| h.verified),
        "every signature verifies"
    );
    let case = receiver
        .hits()
        .into_iter()
        .find(|h| h.event == "case.created")
        .unwrap();
    let body: Value = serde_json::from_slice(&case.body).unwrap();
    assert_eq!(body["event"], "case.created");
    assert!(
        body["data"]["case_id"].as_i64().unwrap() > 0,
        "a case was opened: {body}"
    );
    assert_eq!(
        (
            body["data"]["score"].as_i64(),
            body["data"]["assignee"].as_str()
        ),
        (Some(2), Some("kari@example.com"))
    );

    let mail = eventually("the alert email", || async {
        smtp.messages().into_iter().next()
    })
    .await;
    assert!(
        header(&mail, "To").unwrap().contains("kari@example.com"),
        "{mail}"
    );
    assert!(mail.contains("multipart/alternative"), "{mail}");
    assert!(
        mail.contains("text/plain") && mail.contains("text/html"),
        "{mail}"
    );
    assert!(header(&mail, "Message-ID").unwrap().contains("@advocate>"));

    let c = eventually("the outbox to settle", || async {
        let c = counts(&app).await;
        (c["delivered"] == 3).then_some(c)
    })
    .await;
    assert_eq!(
        (c["pending"].as_i64(), c["dead"].as_i64()),
        (Some(0), Some(0))
    );
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detractor_answer_sends_the_alert_email_and_signed_webhooks_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        detractor_answer_sends_the_alert_email_and_signed_webhooks(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_wait_for_a_down_smtp_server_and_all_arrive() {
    if smtp_python().is_none() {
        return missing_peer::<()>("python3-aiosmtpd is not installed").unwrap_or(());
    }
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let smtp_port = free_port();
    let workers = start(&app, config(Some(smtp_port), 100));
    for i in 0..5 {
        detractor(&app, &format!("C{i}"), &format!("manager{i}@example.com")).await;
    }
    // The server is down: every email fails at least once and waits for a retry.
    eventually("every email to fail once", || async {
        (counts(&app).await["retrying"] == 5).then_some(())
    })
    .await;
    let failed = outbox(&app, "?status=pending").await;
    for m in failed["messages"].as_array().unwrap() {
        assert_eq!(m["kind"], "email");
        let err = m["last_error"].as_str().unwrap();
        assert!(err.contains("SMTP"), "{err}");
    }

    let maildir = std::env::temp_dir().join(format!("advocate-mail-{smtp_port}"));
    let smtp = SmtpServer::start(smtp_port, &maildir).await.unwrap();
    let mails = eventually("all five emails", || async {
        let m = smtp.messages();
        (m.len() >= 5).then_some(m)
    })
    .await;
    let recipients: BTreeSet<String> = mails
        .iter()
        .map(|m| header(m, "To").unwrap().to_owned())
        .collect();
    assert_eq!(recipients.len(), 5, "each email once: {recipients:?}");
    eventually("the outbox to record them", || async {
        let c = counts(&app).await;
        (c["delivered"] == 5 && c["pending"] == 0).then_some(())
    })
    .await;
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_survive_a_down_then_failing_receiver_and_none_is_lost() {
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    app.open_cases_for_anonymous_detractors().await;
    let port = free_port();
    let (_, secret) = create_endpoint(&app, port, &["*"]).await;
    let receiver = Receiver::default();
    *receiver.secret.lock().unwrap() = secret;
    receiver.failing.store(true, Ordering::SeqCst);
    let workers = start(&app, config(None, 100));
    for score in [0, 3, 6, 7, 9, 10] {
        let r = app.answer(json!({"survey": "rel", "score": score})).await;
        assert_eq!(r.status(), 201);
    }
    // 6 response.created + 3 case.created (0, 3, 6).
    let total = 9;
    eventually(
        "every webhook to fail while the receiver is down",
        || async { (counts(&app).await["retrying"] == total).then_some(()) },
    )
    .await;
    let down = outbox(&app, "?status=pending").await;
    let err = down["messages"][0]["last_error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!err.is_empty(), "the reason is recorded");

    // Up, but answering 503: every message is tried again, with the same key.
    receiver.listen(port).await;
    eventually("every message to reach the failing receiver", || async {
        let keys: BTreeSet<String> = receiver.hits().into_iter().map(|h| h.key).collect();
        (keys.len() == total as usize).then_some(())
    })
    .await;
    let seen_while_failing = receiver.hits().len();
    let c = counts(&app).await;
    assert_eq!(
        (c["delivered"].as_i64(), c["dead"].as_i64()),
        (Some(0), Some(0))
    );
    // The receiver counts a hit before the worker records the attempt's failure: wait
    // for the record, then check it names the 503.
    let last_error = eventually("the failing receiver's answer to be recorded", || async {
        let error = outbox(&app, "?status=pending").await["messages"][0]["last_error"]
            .as_str()
            .map(str::to_owned);
        error.filter(|e| !e.contains("onnection refused"))
    })
    .await;
    assert!(last_error.contains("503"), "{last_error}");

    receiver.failing.store(false, Ordering::SeqCst);
    // The detractor alerts emailed to the workspace's admin wait: no SMTP server here.
    let emails_waiting = outbox(&app, "?status=pending&limit=500").await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "email")
        .count();
    eventually("every webhook delivered", || async {
        let c = counts(&app).await;
        (c["delivered"] == total && c["pending"] == emails_waiting).then_some(())
    })
    .await;
    let (accepted, duplicates) = receiver.accepted_keys();
    assert_eq!(accepted, delivered_webhook_keys(&app).await, "none lost");
    eprintln!("accepted repeats the receiver could drop by key: {duplicates}");
    // Every request for one key carried the same body, so dropping repeats is safe.
    let mut bodies: BTreeMap<String, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for h in receiver.hits() {
        assert!(
            h.verified,
            "every attempt is signed with the current secret"
        );
        bodies.entry(h.key).or_default().insert(h.body);
    }
    assert!(bodies.values().all(|b| b.len() == 1));
    assert!(receiver.hits().len() > seen_while_failing);
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_after_the_limit_and_a_redrive_delivers_them() {
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let receiver = Receiver::default();
    let port = free_port();
    receiver.listen(port).await;
    let (_, secret) = create_endpoint(&app, port, &["response.created"]).await;
    *receiver.secret.lock().unwrap() = secret;
    receiver.failing.store(true, Ordering::SeqCst);
    let workers = start(&app, config(None, 2));
    let r = app.answer(json!({"survey": "rel", "score": 8})).await;
    assert_eq!(r.status(), 201);
    let dead = eventually("the message to die", || async {
        let page = outbox(&app, "?status=dead").await;
        page["messages"].as_array().unwrap().first().cloned()
    })
    .await;
    let id = dead["id"].as_i64().unwrap();
    let detail: Value = app
        .get(&format!("/api/v1/outbox/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{detail}");
    assert!(attempts
        .iter()
        .all(|a| a["ok"] == false && a["error"].as_str().unwrap().contains("503")));

    // Nothing happens to a dead letter by itself.
    assert_eq!(counts(&app).await["dead"], 1);
    receiver.failing.store(false, Ordering::SeqCst);
    let r = app
        .post(&format!("/api/v1/outbox/{id}/redrive"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    eventually("the re-driven message to arrive", || async {
        let (keys, _) = receiver.accepted_keys();
        keys.contains(dead["idempotency_key"].as_str().unwrap())
            .then_some(())
    })
    .await;
    eventually("the outbox to record it", || async {
        (counts(&app).await["delivered"] == 1).then_some(())
    })
    .await;
    let r = app
        .post(&format!("/api/v1/outbox/{id}/redrive"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(problem(r).await.contains("already delivered"));
    let r = app
        .post("/api/v1/outbox/redrive-dead")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["redriven"], 0);
    workers.shutdown().await;
}

#[tokio::test]
async fn webhook_and_outbox_api_validate_and_stay_in_their_workspace() {
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    for (body, status, needle) in [
        (
            json!({"url": "ftp://x.example", "events": ["*"]}),
            422,
            "http://",
        ),
        (
            json!({"url": "https://x.example", "events": ["case.lost"]}),
            422,
            "unknown event",
        ),
        (json!({"url": "https://x.example"}), 422, "events"),
        (
            json!({"url": "https://x.example", "events": ["*"], "secret": "x"}),
            422,
            "unknown field",
        ),
    ] {
        let r = app.post_json("/api/v1/webhooks", &body).await;
        assert_eq!(r.status(), status, "{body}");
        let detail = problem(r).await;
        assert!(detail.contains(needle), "{body}: {detail}");
    }
    let list: Value = app
        .get("/api/v1/webhooks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]), "nothing stored");

    let (id, secret) = create_endpoint(&app, 9, &["case.created"]).await;
    assert!(secret.starts_with("whsec_") && secret.len() >= 38);
    let shown: Value = app
        .get(&format!("/api/v1/webhooks/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        shown.get("secret").is_none(),
        "the secret is shown only once"
    );
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&app.key)
        .json(&json!({"active": false, "events": ["case.created", "case.overdue"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(
        (patched["active"].clone(), patched["events"].clone()),
        (json!(false), json!(["case.created", "case.overdue"]))
    );
    let r = app
        .post(&format!("/api/v1/webhooks/{id}/rotate-secret"))
        .send()
        .await
        .unwrap();
    let rotated: Value = r.json().await.unwrap();
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);

    // Another workspace's key sees none of it.
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, other_key) = app.store.api_keys().create(other.id, "k").await.unwrap();
    for path in [
        format!("/api/v1/webhooks/{id}"),
        "/api/v1/outbox/1".to_owned(),
    ] {
        let r = app
            .http
            .get(app.url(&path))
            .bearer_auth(&other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["result"], "deleted");

    for (query, needle) in [
        ("?status=lost", "status must be"),
        ("?limit=0", "limit must be"),
        ("?before=abc", "before must be"),
    ] {
        let r = app
            .get(&format!("/api/v1/outbox{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{query}");
        assert!(problem(r).await.contains(needle), "{query}");
    }
    let r = app.post("/api/v1/outbox/999/redrive").send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn smtp_urls_are_checked_at_start() {
    for ok in [
        "smtp://127.0.0.1:2525",
        "smtp://user:pass@mail.example:587?tls=starttls",
        "smtps://mail.example:465",
    ] {
        assert!(SmtpSettings::parse(ok).is_ok(), "{ok}");
    }
    for (bad, needle) in [
        ("mail.example:25", "smtp://host:port"),
        ("http://mail.example", "smtp:// or smtps://"),
        ("smtp://mail.example?tls=maybe", "unknown option"),
    ] {
        let err = SmtpSettings::parse(bad).unwrap_err();
        assert!(err.contains(needle), "{bad}: {err}");
    }
    let debug = format!(
        "{:?}",
        SmtpSettings::parse("smtp://u:hunter2@h:25").unwrap()
    );
    assert!(!debug.contains("hunter2"), "never prints the password");
}

#[tokio::test]
async fn the_outbox_page_shows_dead_letters_escaped_and_redrives_them() {
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    create_endpoint(&app, 9, &["response.created"]).await;
    let r = app.answer(json!({"survey": "rel", "score": 9})).await;
    assert_eq!(r.status(), 201);
    // Fail it for good, with an error a hostile receiver could have written.
    let msg = app
        .store
        .outbox()
        .claim(
            &[advocate_store::delivery::outbox::MessageKind::Webhook],
            1,
            60,
        )
        .await
        .unwrap()
        .remove(0);
    app.store
        .outbox()
        .failed(
            msg.id,
            "HTTP 500: <script>alert(1)</script>",
            7,
            true,
            &RetryPolicy::default(),
        )
        .await
        .unwrap();

    let r = app.http.get(app.url("/outbox")).send().await.unwrap();
    assert_eq!(r.status(), 303, "signed-in only");
    let cookie = app.sign_in().await;
    let page = |path: String| {
        let (http, url, cookie) = (app.http.clone(), app.url(&path), cookie.clone());
        async move {
            let r = http.get(url).header("cookie", cookie).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap()
        }
    };
    let html = page("/outbox".into()).await;
    assert!(html.contains("Dead letters"));
    assert!(html.contains(&format!("/outbox/{}/redrive", msg.id)));
    assert!(!html.contains("<script>alert(1)"), "errors are escaped");
    assert!(html.contains("script&#62;alert(1)"), "shown, as text");
    let detail = page(format!("/outbox/{}", msg.id)).await;
    assert!(detail.contains(&msg.idempotency_key) && detail.contains("failed"));
    let r = app
        .http
        .get(app.url("/outbox/999999"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A form posted from another site is refused and changes nothing.
    let token = app.csrf(&cookie).await;
    let r = app
        .http
        .post(app.url("/outbox/redrive-dead"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(counts(&app).await["dead"], 1);
    let r = app
        .http
        .post(app.url("/outbox/redrive-dead"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let c = counts(&app).await;
    assert_eq!(
        (c["dead"].as_i64(), c["pending"].as_i64()),
        (Some(0), Some(1))
    );
}

/// A Slack-compatible incoming webhook: records each JSON body.
async fn slack_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/services/T0/B0/x",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let g = g.clone();
            async move {
                g.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/services/T0/B0/x", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_inbox_email_and_slack_alert_for_an_unassigned_detractor() {
    let smtp_port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-mail-{smtp_port}"));
    let Some(smtp) = SmtpServer::start(smtp_port, &maildir).await else {
        return;
    };
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let (slack_url, slack) = slack_receiver().await;
    let settings = advocate_store::models::WorkspaceSettings {
        alerts_email: Some("care@example.com".into()),
        slack_webhook_url: Some(slack_url),
        // The answer is anonymous: a case (and its alerts) only when the workspace asks.
        anonymous_detractors: advocate_store::models::AnonymousDetractors::Case,
        ..Default::default()
    };
    app.store
        .settings()
        .save(app.workspace_id, &settings)
        .await
        .unwrap();
    let workers = start(&app, config(Some(smtp_port), 12));
    let r = app
        .answer(json!({"survey": "rel", "score": 0, "comment": "Never again"}))
        .await;
    assert_eq!(r.status(), 201);

    let mail = eventually("the team inbox alert", || async {
        smtp.messages().into_iter().next()
    })
    .await;
    assert!(
        header(&mail, "To").unwrap().contains("care@example.com"),
        "{mail}"
    );
    let text = eventually("the chat alert", || async {
        slack.lock().unwrap().first().cloned()
    })
    .await;
    let text = text["text"].as_str().unwrap();
    assert!(text.contains("Never again") || text.contains('0'), "{text}");
    eventually("both recorded as delivered", || async {
        (counts(&app).await["delivered"] == 2).then_some(())
    })
    .await;
    workers.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Only public addresses, unless allowed (server-side request forgery)
// ---------------------------------------------------------------------------------------

/// A loopback port that counts the connections made to it.
async fn connection_counter() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, connections)
}

/// The webhook and Slack messages of the outbox in `status`.
async fn http_messages(app: &TestApp, status: &str) -> Vec<Value> {
    outbox(app, &format!("?status={status}&limit=500")).await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "webhook" || m["kind"] == "slack")
        .cloned()
        .collect()
}

async fn internal_targets_are_refused_at_registration_and_never_connected_to(db: TestDb) {
    // Nothing is allowed: the defaults.
    let app = TestApp::spawn_on(db).await;
    app.survey("rel", None).await;
    let (port, connections) = connection_counter().await;
    for (url, rule) in [
        (
            format!("http://127.0.0.1:{port}/hook"),
            "loopback address (127.0.0.0/8)",
        ),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            "link-local address (169.254.0.0/16)",
        ),
        ("http://10.0.0.1/".into(), "private address (10.0.0.0/8)"),
        ("http://127.0.0.1:5432/".into(), "loopback"),
        ("http://[::1]/".into(), "loopback address (::1/128)"),
        (
            "http://[::ffff:127.0.0.1]/".into(),
            "inside an IPv4-mapped address",
        ),
        ("http://0x7f000001/".into(), "loopback"),
        ("http://2130706433/".into(), "loopback"),
        ("http://127.1/".into(), "loopback"),
        ("http://example.com@169.254.169.254/".into(), "link-local"),
        (
            "https://172.16.5.4/".into(),
            "private address (172.16.0.0/12)",
        ),
        (
            "https://192.168.0.10/".into(),
            "private address (192.168.0.0/16)",
        ),
        ("https://100.64.0.1/".into(), "carrier-grade NAT"),
        ("http://[fd00::1]/".into(), "unique-local"),
        ("http://[fe80::1]/".into(), "link-local"),
        ("http://0.0.0.0/".into(), "unspecified"),
        (
            format!("http://localhost:{port}/hook"),
            "localhost resolves to",
        ),
    ] {
        let r = app
            .post_json("/api/v1/webhooks", &json!({"url": url, "events": ["*"]}))
            .await;
        assert_eq!(r.status(), 422, "{url}");
        let detail = problem(r).await;
        assert!(
            detail.contains(rule) && detail.contains("--allow-webhook-hosts"),
            "{url}: {detail}"
        );
    }
    for url in [
        format!("http://127.0.0.1:{port}/slack"),
        "http://169.254.169.254/".into(),
        format!("http://localhost:{port}/slack"),
    ] {
        let r = app
            .http
            .patch(app.url("/api/v1/settings"))
            .bearer_auth(&app.key)
            .json(&json!({"slack_webhook_url": url}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{url}");
        let detail = problem(r).await;
        assert!(
            detail.starts_with("slack_webhook_url")
                && (detail.contains("loopback") || detail.contains("link-local"))
                && detail.contains("--allow-webhook-hosts"),
            "{url}: {detail}"
        );
    }
    let hooks: Value = app
        .get("/api/v1/webhooks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hooks, json!([]), "nothing stored");
    let settings = app.store.settings().get(app.workspace_id).await.unwrap();
    assert_eq!(settings.slack_webhook_url, None);

    // Stored anyway (written before the rule, or straight into the database): an address
    // in the URL and a name resolving to loopback, for webhooks and for Slack.
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
    ] {
        app.store
            .webhooks()
            .create(app.workspace_id, &url, &["*".to_owned()])
            .await
            .unwrap();
    }
    let settings = advocate_store::models::WorkspaceSettings {
        slack_webhook_url: Some(format!("http://localhost:{port}/slack")),
        // The answer below is anonymous: this workspace opens cases for them.
        anonymous_detractors: advocate_store::models::AnonymousDetractors::Case,
        ..Default::default()
    };
    app.store
        .settings()
        .save(app.workspace_id, &settings)
        .await
        .unwrap();
    let workers = start(
        &app,
        DeliveryConfig {
            allowed_hosts: Default::default(),
            ..config(None, 12)
        },
    );
    let r = app.answer(json!({"survey": "rel", "score": 0})).await;
    assert_eq!(r.status(), 201);
    // response.created and case.created to both endpoints, and the Slack alert.
    let messages = eventually("every delivery to be refused", || async {
        let m = http_messages(&app, "dead").await;
        (m.len() == 5 && m.iter().all(|m| m["status"] == "dead")).then_some(m)
    })
    .await;
    for m in &messages {
        let err = m["last_error"].as_str().unwrap();
        assert!(
            err.starts_with("refused: ")
                && err.contains("a loopback address (")
                && err.contains("--allow-webhook-hosts"),
            "{m}"
        );
        assert_eq!(m["attempts"], 1, "dead-lettered at once, not retried: {m}");
    }
    assert!(messages.iter().any(|m| m["kind"] == "slack"));
    assert!(http_messages(&app, "pending").await.is_empty());
    assert!(messages.iter().any(|m| m["last_error"]
        .as_str()
        .unwrap()
        .contains("localhost resolves only")));
    workers.shutdown().await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "never connected to");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_targets_are_refused_at_registration_and_never_connected_to_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        internal_targets_are_refused_at_registration_and_never_connected_to(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_receivers_get_deliveries_redirects_are_not_followed_and_bodies_not_shown() {
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    // Allowed too: a redirect must not be followed even to an allowed address.
    let (trap, trapped) = connection_counter().await;
    let received = Arc::new(AtomicUsize::new(0));
    let counted = received.clone();
    let receiver = axum::Router::new()
        .route(
            "/ok",
            axum::routing::post(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { StatusCode::OK }
            }),
        )
        .route(
            "/moved",
            axum::routing::post(move || async move {
                (
                    StatusCode::FOUND,
                    [("location", format!("http://127.0.0.1:{trap}/stolen"))],
                )
            }),
        )
        .route(
            "/fails",
            axum::routing::post(|| async {
                (StatusCode::INTERNAL_SERVER_ERROR, "db password: hunter2")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    for path in ["/ok", "/moved", "/fails"] {
        let r = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": format!("{base}{path}"), "events": ["response.created"]}),
            )
            .await;
        assert_eq!(r.status(), 201, "{path}");
    }
    let workers = start(&app, config(None, 100));
    let r = app.answer(json!({"survey": "rel", "score": 9})).await;
    assert_eq!(r.status(), 201);
    let failed = eventually("one delivered, two failed", || async {
        let m = http_messages(&app, "pending").await;
        let failed: Vec<Value> = m
            .iter()
            .filter(|m| m["last_error"].is_string())
            .cloned()
            .collect();
        (received.load(Ordering::SeqCst) == 1 && failed.len() == 2).then_some(failed)
    })
    .await;
    let error_of = |path: &str| {
        failed
            .iter()
            .find(|m| m["target"].as_str().unwrap().ends_with(path))
            .map(|m| m["last_error"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(
        error_of("/moved"),
        "HTTP 302 Found (redirects are not followed)"
    );
    assert_eq!(error_of("/fails"), "HTTP 500 Internal Server Error");
    workers.shutdown().await;
    assert_eq!(
        trapped.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    let html = {
        let cookie = app.sign_in().await;
        app.http
            .get(app.url("/outbox"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(
        html.contains("HTTP 500") && !html.contains("hunter2"),
        "no body shown"
    );
}
