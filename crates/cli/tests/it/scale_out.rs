//! Two `advocate serve` instances on one PostgreSQL share the outbox: under concurrent
//! load on both, every webhook is delivered, and none twice. Runs the real binary.

use crate::common::{advocate, start};
use advocate_store::testing::TestDb;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Answers posted, half to each instance.
const ANSWERS: usize = 400;
/// Concurrent clients per instance.
const CLIENTS: usize = 4;

/// Deliveries seen by the receiver, by idempotency key.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

async fn receiver(seen: Seen) -> String {
    async fn hook(State(seen): State<Seen>, headers: HeaderMap) -> &'static str {
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        *seen.lock().unwrap().entry(key).or_default() += 1;
        // A little work per delivery, so both instances' workers overlap in time.
        tokio::time::sleep(Duration::from_millis(2)).await;
        "ok"
    }
    let app = Router::new().route("/hook", post(hook)).with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

/// The webhook receiver listens on loopback, where deliveries go only when allowed.
const RECEIVER_ALLOWED: &[&str] = &["--allow-webhook-hosts", "127.0.0.1"];

#[tokio::test]
async fn two_instances_share_the_outbox_and_send_nothing_twice() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // The first instance creates the workspace; then a key, a survey and a webhook.
    let (mut first, base1) = start(&db, RECEIVER_ALLOWED).await;
    let out = advocate(&db, &["apikey", "create"]).output().await.unwrap();
    assert!(out.status.success());
    let key = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("API key: ").map(str::to_owned))
        .expect("key printed");
    let (mut second, base2) = start(&db, RECEIVER_ALLOWED).await;
    let http = reqwest::Client::new();
    let seen: Seen = Arc::default();
    let hook = receiver(seen.clone()).await;
    for (path, body) in [
        (
            "/api/v1/surveys",
            json!({"slug": "rel", "name": "Relationship"}),
        ),
        (
            "/api/v1/webhooks",
            json!({"url": hook, "events": ["response.created"]}),
        ),
    ] {
        let r = http
            .post(format!("{base1}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    // Load on both instances at once.
    let clients: Vec<_> = (0..2 * CLIENTS)
        .map(|c| {
            let base = if c % 2 == 0 { &base1 } else { &base2 }.clone();
            let (http, key) = (http.clone(), key.clone());
            tokio::spawn(async move {
                for i in (c..ANSWERS).step_by(2 * CLIENTS) {
                    let r = http
                        .post(format!("{base}/api/v1/responses"))
                        .bearer_auth(&key)
                        .json(&json!({"survey": "rel", "score": i % 11, "external_id": format!("a{i}")}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 201);
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }

    // Every answer's webhook arrives, exactly once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let delivered = seen.lock().unwrap().len();
        if delivered >= ANSWERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {delivered} of {ANSWERS} webhooks arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate, if any were coming, time to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), ANSWERS, "one key per answer");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");

    // And the outbox agrees: every message delivered, with exactly one attempt each.
    let store = advocate_store::Store::connect(&db.url).await.unwrap();
    let ws = store
        .workspaces()
        .by_slug("default")
        .await
        .unwrap()
        .unwrap();
    let counts = store.outbox().counts(ws.id).await.unwrap();
    // The detractors' alerts, emailed to the workspace's admin, wait: no SMTP server here.
    let waiting = store
        .outbox()
        .messages(
            ws.id,
            advocate_store::delivery::outbox::OutboxStatus::Pending,
            false,
            10_000,
            None,
        )
        .await
        .unwrap();
    assert!(
        waiting
            .iter()
            .all(|m| m.event == "case.created" && m.target == "admin@localhost"),
        "only the alerts wait"
    );
    assert_eq!(
        (counts.delivered, counts.pending, counts.dead),
        (ANSWERS as i64, waiting.len() as i64, 0),
        "{counts:?}"
    );
    store.close().await;
    for server in [&mut first, &mut second] {
        server.start_kill().unwrap();
        server.wait().await.unwrap();
    }
}
