//! SMS delivery against a real HTTP peer: a local axum server standing in for a
//! Twilio-style provider checks basic auth and the form, answers as scripted (errors,
//! then success), and the delivery worker must send each SMS once, retry what can
//! succeed, give up at once on what cannot, and wait with a reason without a provider.

use crate::common::TestApp;
use advocate_server::worker::{self, DeliveryConfig, SmsSettings, Workers};
use advocate_store::delivery::outbox::{RetryPolicy, SmsMessage};
use advocate_store::testing::TestDb;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Generous: a deadline only matters when something is broken.
const DEADLINE: Duration = Duration::from_secs(30);

const ACCOUNT: &str = "AC0123456789";
/// Percent-encoded in the URL ("s@cret/token"), decoded for basic auth.
const TOKEN: &str = "s@cret/token";
const TOKEN_IN_URL: &str = "s%40cret%2Ftoken";

/// Polls `check` until it returns `Some`, failing with `what` at the deadline.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------

/// One request the provider received.
#[derive(Debug, Clone)]
struct Request {
    authorized: bool,
    form_encoded: bool,
    idempotency_key: String,
    form: HashMap<String, String>,
    status: u16,
}

/// A Twilio-style messages endpoint: answers each request with the next scripted status
/// (201 with a `sid` once the script is used up, or at once for a bad login).
#[derive(Clone, Default)]
struct Provider {
    script: Arc<Mutex<VecDeque<u16>>>,
    requests: Arc<Mutex<Vec<Request>>>,
    port: u16,
}

impl Provider {
    async fn start(script: &[u16]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut me = Self {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Self::default()
        };
        me.port = listener.local_addr().unwrap().port();
        let path = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
        let handler = me.clone();
        let app = axum::Router::new().route(
            &path,
            axum::routing::post(
                move |headers: HeaderMap, axum::Form(form): axum::Form<HashMap<String, String>>| {
                    let me = handler.clone();
                    async move { me.receive(&headers, form) }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        me
    }

    /// `--sms-url` for this provider, credentials in the userinfo.
    fn url(&self) -> String {
        format!(
            "http://{ACCOUNT}:{TOKEN_IN_URL}@127.0.0.1:{}/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
            self.port
        )
    }

    fn receive(&self, headers: &HeaderMap, form: HashMap<String, String>) -> (StatusCode, String) {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let expected =
            base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
        let authorized = h("authorization") == format!("Basic {expected}");
        let status = if authorized {
            self.script.lock().unwrap().pop_front().unwrap_or(201)
        } else {
            401
        };
        let mut requests = self.requests.lock().unwrap();
        requests.push(Request {
            authorized,
            form_encoded: h("content-type") == "application/x-www-form-urlencoded",
            idempotency_key: h("idempotency-key"),
            form,
            status,
        });
        let body = match status {
            200..=299 => json!({"sid": format!("SM{:032}", requests.len()), "status": "queued"}),
            _ => json!({"code": 21211, "message": "The 'To' number is not a valid phone number.",
                        "status": status}),
        };
        (StatusCode::from_u16(status).unwrap(), body.to_string())
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------------------
// Helpers on the app
// ---------------------------------------------------------------------------------------

fn config(sms: Option<&Provider>) -> DeliveryConfig {
    DeliveryConfig {
        sms: sms.map(|p| SmsSettings::parse(&p.url()).unwrap()),
        poll_interval: Duration::from_millis(50),
        http_timeout: Duration::from_secs(3),
        lease_secs: 30,
        retry: RetryPolicy {
            max_attempts: 100,
            max_backoff_secs: 1,
        },
        ..DeliveryConfig::default()
    }
}

fn start(app: &TestApp, config: DeliveryConfig) -> Workers {
    worker::start(app.store.clone(), config)
}

fn sms(to: &str) -> SmsMessage {
    SmsMessage {
        from: "Acme".into(),
        to: to.into(),
        body: "Acme: How likely are you to recommend us? Answer here: https://x.test/r/AbCdEfGhIj"
            .into(),
        invitation_id: None,
        status_callback: Some("https://nps.example.com/hooks/sms/t0ken".into()),
    }
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

/// The only SMS in the outbox once `done` says it has settled, with its attempts.
async fn settled_sms(
    app: &TestApp,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> (Value, Vec<Value>) {
    let message = eventually(what, || async {
        for status in ["pending", "delivered", "dead"] {
            let page = outbox(app, &format!("?status={status}")).await;
            let found = page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["kind"] == "sms" && done(m))
                .cloned();
            if found.is_some() {
                return found;
            }
        }
        None
    })
    .await;
    let detail = outbox(app, &format!("/{}", message["id"])).await;
    (message, detail["attempts"].as_array().unwrap().clone())
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

async fn an_sms_reaches_the_provider_once(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let provider = Provider::start(&[]).await;
    let workers = start(&app, config(Some(&provider)));
    app.store
        .outbox()
        .queue_sms(app.workspace_id, &sms("+4791234567"))
        .await
        .unwrap();

    let (message, attempts) = settled_sms(&app, "the SMS to be delivered", |m| {
        m["status"] == "delivered"
    })
    .await;
    assert_eq!(message["target"], "+4791234567");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["ok"], true);

    let requests = provider.requests();
    assert_eq!(requests.len(), 1, "sent once: {requests:?}");
    let r = &requests[0];
    assert!(r.authorized, "basic auth from the URL's userinfo");
    assert!(r.form_encoded, "a form post");
    assert_eq!(
        r.idempotency_key,
        message["idempotency_key"].as_str().unwrap()
    );
    let field = |k: &str| r.form.get(k).map(String::as_str);
    assert_eq!(field("To"), Some("+4791234567"));
    assert_eq!(field("From"), Some("Acme"));
    assert_eq!(field("Body"), Some(sms("").body.as_str()));
    assert_eq!(
        field("StatusCallback"),
        Some("https://nps.example.com/hooks/sms/t0ken")
    );

    // Without a status callback, the field is left out.
    let mut plain = sms("+4790000000");
    plain.status_callback = None;
    app.store
        .outbox()
        .queue_sms(app.workspace_id, &plain)
        .await
        .unwrap();
    eventually("the second SMS", || async {
        (provider.requests().len() == 2).then_some(())
    })
    .await;
    assert!(!provider.requests()[1].form.contains_key("StatusCallback"));
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_reaches_the_provider_once_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        an_sms_reaches_the_provider_once(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_and_throttling_are_retried_until_it_accepts() {
    let app = TestApp::spawn().await;
    let provider = Provider::start(&[500, 429, 503]).await;
    let workers = start(&app, config(Some(&provider)));
    app.store
        .outbox()
        .queue_sms(app.workspace_id, &sms("+4791234567"))
        .await
        .unwrap();

    let (message, attempts) = settled_sms(&app, "the SMS to be delivered", |m| {
        m["status"] == "delivered"
    })
    .await;
    let oks: Vec<bool> = attempts
        .iter()
        .map(|a| a["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [false, false, false, true], "{attempts:?}");
    let errors: Vec<&str> = attempts
        .iter()
        .filter_map(|a| a["error"].as_str())
        .collect();
    assert!(errors[0].contains("HTTP 500"), "{errors:?}");
    assert!(errors[1].contains("HTTP 429"), "{errors:?}");
    assert!(
        errors.iter().all(|e| e.starts_with("SMS provider")),
        "{errors:?}"
    );
    assert_eq!(message["attempts"], 3, "failed attempts counted");

    let requests = provider.requests();
    let accepted = requests.iter().filter(|r| r.status == 201).count();
    assert_eq!((requests.len(), accepted), (4, 1), "{requests:?}");
    let keys: std::collections::BTreeSet<&str> = requests
        .iter()
        .map(|r| r.idempotency_key.as_str())
        .collect();
    assert_eq!(keys.len(), 1, "every retry carries the same key");
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sms_is_dead_at_once() {
    let app = TestApp::spawn().await;
    let provider = Provider::start(&[400]).await;
    let workers = start(&app, config(Some(&provider)));
    app.store
        .outbox()
        .queue_sms(app.workspace_id, &sms("+00"))
        .await
        .unwrap();

    let (message, attempts) = settled_sms(&app, "the SMS to die", |m| m["status"] == "dead").await;
    assert_eq!(attempts.len(), 1, "no retry of a permanent failure");
    let error = message["last_error"].as_str().unwrap();
    assert!(
        error.contains("HTTP 400") && error.contains("not a valid phone number"),
        "{error}"
    );
    // Nothing more is sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(provider.requests().len(), 1);
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_login_is_a_permanent_failure() {
    let app = TestApp::spawn().await;
    let provider = Provider::start(&[]).await;
    let mut config = config(None);
    let url = provider.url().replace(TOKEN_IN_URL, "wrong");
    config.sms = Some(SmsSettings::parse(&url).unwrap());
    let workers = start(&app, config);
    app.store
        .outbox()
        .queue_sms(app.workspace_id, &sms("+4791234567"))
        .await
        .unwrap();
    let (message, _) = settled_sms(&app, "the SMS to die", |m| m["status"] == "dead").await;
    let error = message["last_error"].as_str().unwrap();
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(
        !error.contains("wrong"),
        "no credentials in errors: {error}"
    );
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_sms_waits_untouched() {
    let app = TestApp::spawn().await;
    let workers = start(&app, config(None));
    app.store
        .outbox()
        .queue_sms(app.workspace_id, &sms("+4791234567"))
        .await
        .unwrap();
    // A webhook-free outbox with only the SMS: give the worker a few polls to (not) take it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    workers.shutdown().await;
    let listed = outbox(&app, "").await;
    assert_eq!(listed["counts"]["delivered"], 0);
    let message = &listed["messages"][0];
    assert_eq!(message["status"], "pending", "{listed}");
    assert_eq!(message["attempts"], 0, "no attempt used up: {listed}");
}

#[test]
fn provider_urls_are_checked() {
    for (url, expected) in [
        ("ftp://a:b@host/x", "must start with https://"),
        ("api.twilio.com/Messages.json", "is not valid"),
        ("https://:secret@host/x", "no user name"),
        ("https://user:%zz@host/x", "percent-encoded"),
    ] {
        let err = SmsSettings::parse(url).unwrap_err();
        assert!(err.contains(expected), "{url}: {err}");
        assert!(!err.contains("secret"), "{err}");
    }
    let ok = SmsSettings::parse(&format!(
        "https://{ACCOUNT}:{TOKEN_IN_URL}@api.twilio.com/2010-04-01/x"
    ))
    .unwrap();
    assert_eq!(
        ok.url(),
        "https://api.twilio.com/2010-04-01/x",
        "credentials kept out of the URL"
    );
    let shown = format!("{ok:?}");
    assert!(
        !shown.contains("cret") && shown.contains("redacted"),
        "{shown}"
    );
    assert!(
        SmsSettings::parse("http://127.0.0.1:9/send?key=abc").is_ok(),
        "no credentials is fine"
    );
}

/// The whole path: an SMS invitation is sent through the provider with a status
/// callback, and the provider's report marks the invitation delivered.
async fn the_status_callback_marks_the_invitation_delivered(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    app.survey("rel", None).await;
    let provider = Provider::start(&[]).await;
    let workers = start(&app, config(Some(&provider)));
    let r = app
        .post_json(
            "/api/v1/invitations",
            &json!({"survey": "rel", "channel": "sms",
                    "customers": [{"external_id": "C1", "name": "Kari", "phone": "+4791234567"}]}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let created: Value = r.json().await.unwrap();
    let id = created["invitations"][0]["invitation_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no invitation id in {created}"));
    app.store
        .invitations()
        .dispatch_due(chrono::Utc::now(), 100)
        .await
        .unwrap();

    let request = eventually("the invitation SMS", || async {
        provider.requests().into_iter().next()
    })
    .await;
    assert_eq!(request.form["To"], "+4791234567");
    assert!(
        request.form["Body"].contains("/r/"),
        "a short link: {:?}",
        request.form["Body"]
    );
    let callback = &request.form["StatusCallback"];
    let path = &callback[callback.find("/hooks/sms/").expect("a status callback")..];

    let report = |path: String, status: &'static str| {
        let http = app.http.clone();
        let url = app.url(&path);
        async move {
            http.post(url)
                .form(&[("MessageSid", "SM1"), ("MessageStatus", status)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let delivered_at = || async {
        app.store
            .invitations()
            .get(app.workspace_id, id)
            .await
            .unwrap()
            .unwrap()
            .delivered_at
    };
    for status in ["queued", "sent", "something-new"] {
        assert_eq!(
            report(path.to_owned(), status).await,
            204,
            "{status} is ignored"
        );
    }
    assert_eq!(delivered_at().await, None);
    assert_eq!(report(path.to_owned(), "delivered").await, 204);
    let first = delivered_at().await.expect("delivered");
    assert_eq!(
        report(path.to_owned(), "delivered").await,
        204,
        "repeats are harmless"
    );
    assert_eq!(delivered_at().await, Some(first));
    assert_eq!(report(path.to_owned(), "undelivered").await, 204);

    // A forged or altered token is refused.
    assert_eq!(report("/hooks/sms/forged".into(), "delivered").await, 404);
    let key = app.store.workspaces().signing_key().await.unwrap();
    let other = advocate_core::token::sign(&key, &format!("inv:{id}"), i64::MAX);
    assert_eq!(
        report(format!("/hooks/sms/{other}"), "delivered").await,
        404,
        "wrong kind of token"
    );
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_callback_marks_the_invitation_delivered_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        the_status_callback_marks_the_invitation_delivered(db).await;
    }
}
