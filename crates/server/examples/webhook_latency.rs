//! Benchmark: time from a detractor answer's 201 to its signed `case.created` webhook
//! arriving at a local receiver, idle and under a steady load of other answers.
//! Method and results: BENCHMARKS.md. Run with
//! `cargo run --release -p advocate-server --example webhook_latency [samples] [load/s]`.
//! The database is a fresh SQLite file, or PostgreSQL with ADVOCATE_TEST_POSTGRES_URL.

use advocate_core::outbound::AllowedHosts;
use advocate_core::Language;
use advocate_server::worker::{self, DeliveryConfig};
use advocate_store::testing::TestDb;
use axum::body::Bytes;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// When each answer's webhook arrived, and a bell rung on every arrival.
#[derive(Default)]
struct Arrivals {
    at: Mutex<HashMap<i64, Instant>>,
    bell: Notify,
}

type Waiters = Arc<Arrivals>;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let samples: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let load_per_sec: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);

    let db = match std::env::var("ADVOCATE_TEST_POSTGRES_URL") {
        Ok(_) => TestDb::postgres().await.expect("PostgreSQL"),
        Err(_) => TestDb::sqlite(),
    };
    let store = db.store().await;
    let ws = store
        .workspaces()
        .create("bench", "Bench", &Language::english())
        .await
        .unwrap();
    let (_, key) = store.api_keys().create(ws.id, "bench").await.unwrap();

    let waiters: Waiters = Arc::default();
    let receiver_url = start_receiver(&waiters).await;
    store
        .webhooks()
        .create(
            ws.id,
            &format!("{receiver_url}/hook"),
            &["case.created".to_owned()],
        )
        .await
        .unwrap();

    let state = advocate_server::state(store.clone(), Default::default())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(advocate_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    // Production settings: 1 s poll, 8 in flight; the receiver on loopback allowed.
    let config = DeliveryConfig {
        allowed_hosts: AllowedHosts::parse("127.0.0.1").expect("valid"),
        ..DeliveryConfig::default()
    };
    let workers = worker::start(store.clone(), config);
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v1/surveys"))
        .bearer_auth(&key)
        .json(&json!({"slug": "rel", "name": "Relationship"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Baseline: the raw HTTP round-trip to the receiver.
    baseline(&http, &receiver_url, samples).await;

    let idle = measure(&http, &base, &key, &waiters, samples).await;
    report("idle: 201 -> webhook received", &mut idle.clone());

    // Steady load: promoters and passives (no case, but each answer is committed and
    // queues a response.created check) from a separate task at a fixed rate.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let load = spawn_load(
        http.clone(),
        base.clone(),
        key.clone(),
        load_per_sec,
        stop.clone(),
        sent.clone(),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let before = sent.load(Ordering::Relaxed);
    let loaded = measure(&http, &base, &key, &waiters, samples).await;
    let rate = (sent.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let _ = load.await;
    report(
        &format!("under load ({rate:.0} other answers/s accepted): 201 -> webhook received"),
        &mut loaded.clone(),
    );
    workers.shutdown().await;
    drop(db);
}

/// The webhook receiver on a port of its own: it wakes the sample waiting for this
/// answer's case. Returns its URL.
async fn start_receiver(waiters: &Waiters) -> String {
    let w = waiters.clone();
    let receiver = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(move |body: Bytes| {
                let w = w.clone();
                async move {
                    let at = Instant::now();
                    if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                        if let Some(id) = v["data"]["answer_id"].as_i64() {
                            w.at.lock().unwrap().insert(id, at);
                            w.bell.notify_waiters();
                        }
                    }
                    "ok"
                }
            }),
        )
        .route("/ping", axum::routing::post(|| async { "ok" }));
    let rl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_url = format!("http://{}", rl.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(rl, receiver).await });
    receiver_url
}

/// Baseline: the raw HTTP round-trip to the receiver.
async fn baseline(http: &reqwest::Client, receiver_url: &str, samples: usize) {
    let mut base_ms = Vec::new();
    for _ in 0..samples {
        let t = Instant::now();
        http.post(format!("{receiver_url}/ping"))
            .body("{}")
            .send()
            .await
            .unwrap();
        base_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    report("baseline: receiver HTTP round-trip", &mut base_ms);
}

/// Steady load from a task of its own: `load_per_sec` answers a second until `stop`,
/// counting those accepted in `sent`.
fn spawn_load(
    http: reqwest::Client,
    base: String,
    key: String,
    load_per_sec: u64,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / load_per_sec));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            i += 1;
            let (http, base, key, sent) = (http.clone(), base.clone(), key.clone(), sent.clone());
            tokio::spawn(async move {
                let r = http
                    .post(format!("{base}/api/v1/answers"))
                    .bearer_auth(&key)
                    .json(&json!({"survey": "rel", "score": 7 + (i % 4)}))
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status() == 201) {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    })
}

/// Posts `samples` detractor answers one at a time; for each, the time from its 201 to
/// the receiver getting its `case.created` webhook.
async fn measure(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    waiters: &Waiters,
    samples: usize,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        let r = http
            .post(format!("{base}/api/v1/answers"))
            .bearer_auth(key)
            .json(&json!({"survey": "rel", "score": 3, "comment": "too slow"}))
            .send()
            .await
            .unwrap();
        let created = Instant::now();
        assert_eq!(r.status(), 201);
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        // The webhook may arrive before this line: arrivals are kept by answer id.
        let arrived = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let bell = waiters.bell.notified();
                tokio::pin!(bell);
                bell.as_mut().enable();
                if let Some(at) = waiters.at.lock().unwrap().remove(&id) {
                    return at;
                }
                bell.await;
            }
        })
        .await
        .ok();
        let ms = match arrived {
            Some(at) => at.saturating_duration_since(created).as_secs_f64() * 1000.0,
            None => f64::NAN,
        };
        out.push(ms);
    }
    out
}

fn report(what: &str, ms: &mut [f64]) {
    let lost = ms.iter().filter(|m| m.is_nan()).count();
    let mut ok: Vec<f64> = ms.iter().copied().filter(|m| !m.is_nan()).collect();
    ok.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| ok[((ok.len() as f64 * p).ceil() as usize).clamp(1, ok.len()) - 1];
    println!(
        "{what}: n={} p50={:.1} ms p90={:.1} ms p99={:.1} ms max={:.1} ms{}",
        ok.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        ok[ok.len() - 1],
        if lost > 0 {
            format!(" ({lost} not received)")
        } else {
            String::new()
        }
    );
}
