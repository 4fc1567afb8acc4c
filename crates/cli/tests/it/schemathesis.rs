//! The API against its own OpenAPI document: schemathesis (PyPI `schemathesis`) generates
//! requests for every operation of `/openapi.json` from the real `advocate` binary, on a
//! fresh SQLite database with a little data, and fails on any 5xx or any response that
//! does not match the document.

use crate::common::{advocate, start};
use advocate_store::testing::{missing_peer, TestDb};
use serde_json::{json, Value};
use std::process::Stdio;
use tokio::process::Command;

/// Generated cases per operation and phase, and the whole run's time budget: together
/// about two minutes on a 2-core machine.
const MAX_EXAMPLES: &str = "25";
const MAX_SECONDS: &str = "90";
/// A fixed seed, so that a failure can be reproduced with the same command.
const SEED: &str = "20261128";

async fn api_key(db: &TestDb) -> String {
    let out = advocate(db, &["apikey", "create"]).output().await.unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("API key: ").map(str::to_owned))
        .expect("key printed")
}

fn schemathesis_installed() -> bool {
    std::process::Command::new("schemathesis")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A survey, a customer, answers (one opens case 1), a webhook and an invitation, so that
/// the operations on one resource find something to read and change.
async fn seed(base: &str, key: &str) {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        let r = http
            .post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .send();
        async move {
            let r = r.await.unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
    };
    post(
        "/api/v1/surveys",
        json!({"slug": "rel", "name": "Relationship", "touchpoint": "support"}),
    )
    .await;
    post(
        "/api/v1/customers",
        json!({"external_id": "C1", "name": "Kari", "email": "kari@example.com",
               "attributes": {"plan": "pro"}}),
    )
    .await;
    for score in [0, 7, 10] {
        post(
            "/api/v1/responses",
            json!({"survey": "rel", "score": score, "comment": "fine",
                   "customer": {"external_id": "C1"}}),
        )
        .await;
    }
    post(
        "/api/v1/webhooks",
        json!({"url": "https://crm.example.com/hook", "events": ["*"]}),
    )
    .await;
    post(
        "/api/v1/invitations",
        json!({"survey": "rel", "channel": "web",
               "customers": [{"external_id": "C2", "email": "ola@example.com"}]}),
    )
    .await;
}

#[tokio::test]
async fn the_api_keeps_to_its_openapi_document() {
    if !schemathesis_installed() {
        missing_peer::<()>("schemathesis not installed (pip install schemathesis)");
        return;
    }
    let db = TestDb::sqlite();
    let (_server, base) = start(&db, &["--no-workers"]).await;
    let key = api_key(&db).await;
    seed(&base, &key).await;

    // Identifiers of the seeded data, so generated requests also reach existing resources.
    let dir = std::env::temp_dir().join(format!("advocate-schemathesis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("schemathesis.toml");
    std::fs::write(
        &config,
        "[parameters]\n\"path.id\" = 1\n\"path.external_id\" = \"C1\"\n",
    )
    .unwrap();

    let out = Command::new("schemathesis")
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{base}/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", MAX_EXAMPLES, "--max-time", MAX_SECONDS])
        .args(["--seed", SEED, "--workers", "1", "--no-shrink"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--request-timeout", "10"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("generated") || l.contains("Tested"))
        .collect();
    println!("schemathesis: {}", summary.join("; "));
}
