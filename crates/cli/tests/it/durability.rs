//! An answer acknowledged with 201 survives the server being killed (SIGKILL, no shutdown),
//! on SQLite and on PostgreSQL. Runs the real `advocate` binary.

use crate::common::{advocate, start};
use advocate_store::testing::TestDb;
use advocate_store::Store;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Acknowledged answers before the kill: 300 by default, more with
/// `ADVOCATE_CRASH_ANSWERS` (see bench/crash-safety).
fn answers_before_kill() -> usize {
    std::env::var("ADVOCATE_CRASH_ANSWERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

async fn api_key(db: &TestDb) -> String {
    let out = advocate(db, &["apikey", "create"]).output().await.unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("API key: "))
        .expect("key printed")
        .to_owned()
}

async fn acknowledged_answers_survive_sigkill(db: TestDb) {
    // First start creates the workspace; then a key and a survey.
    let (mut server, base) = start(&db, &[]).await;
    let key = api_key(&db).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{base}/api/v1/surveys"))
        .bearer_auth(&key)
        .json(&json!({"slug": "rel", "name": "Relationship"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Eight writers post answers until the server dies under them; the request each had
    // in flight then is kept, to be retried after the restart as a client would.
    let acked: Arc<Mutex<Vec<(i64, String, u64)>>> = Arc::default();
    let in_flight: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (http, base, key, acked) = (http.clone(), base.clone(), key.clone(), acked.clone());
            let in_flight = in_flight.clone();
            tokio::spawn(async move {
                for i in 0.. {
                    let ext = format!("w{w}-{i}");
                    let score = (i % 11) as u64;
                    let sent = http
                        .post(format!("{base}/api/v1/responses"))
                        .bearer_auth(&key)
                        .json(&json!({"survey": "rel", "score": score, "external_id": ext}))
                        .send()
                        .await;
                    let body = match sent {
                        Ok(r) if r.status() == 201 => r.json::<Value>().await.ok(),
                        _ => None,
                    };
                    let Some(body) = body else {
                        in_flight.lock().await.push((ext, score));
                        return;
                    };
                    acked
                        .lock()
                        .await
                        .push((body["id"].as_i64().unwrap(), ext, score));
                }
            })
        })
        .collect();
    while acked.lock().await.len() < answers_before_kill() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.start_kill().unwrap(); // SIGKILL: no graceful shutdown, no flush
    server.wait().await.unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().await.clone();

    // Restart on the same database: every acknowledged answer is there, once.
    let (mut server, base) = start(&db, &[]).await;
    let store = Store::connect(&db.url).await.unwrap();
    let ws = store
        .workspaces()
        .by_slug("default")
        .await
        .unwrap()
        .unwrap();
    for (id, ext, score) in &acked {
        let a = store
            .answers()
            .get(ws.id, *id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged answer {ext} lost"));
        assert_eq!(
            (a.external_id.as_deref(), u64::from(a.score)),
            (Some(ext.as_str()), *score)
        );
    }
    let stored = store.answers().count(ws.id).await.unwrap();
    assert!(
        stored >= acked.len() as u64,
        "{stored} stored < {} acknowledged",
        acked.len()
    );
    // At most one request per writer was in flight when the server died.
    assert!(
        stored <= acked.len() as u64 + 8,
        "{stored} stored, {} acknowledged",
        acked.len()
    );
    // Retrying what was in flight stores each of those answers exactly once (201 if the
    // crash lost it, 200 with the stored one if it had committed): no duplicates.
    let in_flight = in_flight.lock().await.clone();
    for (ext, score) in &in_flight {
        let r = http
            .post(format!("{base}/api/v1/responses"))
            .bearer_auth(&key)
            .json(&json!({"survey": "rel", "score": score, "external_id": ext}))
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == 201 || r.status() == 200,
            "retry of {ext}: {}",
            r.status()
        );
    }
    let stored = store.answers().count(ws.id).await.unwrap();
    assert_eq!(
        stored,
        (acked.len() + in_flight.len()) as u64,
        "every answer sent is stored once"
    );
    let report = store
        .analytics()
        .report(&advocate_store::insight::analytics::NpsQuery {
            workspace_id: ws.id,
            survey: None,
            from: None,
            to: None,
            group_by: None,
            ci: Default::default(),
            only: None,
        })
        .await
        .unwrap();
    assert_eq!(
        report.summary.n, stored,
        "rollups agree with the stored answers"
    );
    store.close().await;
    server.start_kill().unwrap();
    server.wait().await.unwrap();
}

#[tokio::test]
async fn acknowledged_answers_survive_sigkill_on_sqlite() {
    acknowledged_answers_survive_sigkill(TestDb::sqlite()).await;
}

#[tokio::test]
async fn acknowledged_answers_survive_sigkill_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        acknowledged_answers_survive_sigkill(db).await;
    }
}
