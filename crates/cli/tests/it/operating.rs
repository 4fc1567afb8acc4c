//! Operating the real `advocate serve`: JSON logs at debug level carry each request's id
//! and workspace and never a secret (the admin's password, an API key, the session
//! cookie, the SMTP password, the metrics token); `--metrics-bind` serves /metrics on its
//! own address and not on the main one.

use crate::common::{advocate, listening};
use advocate_store::testing::TestDb;
use serde_json::{json, Value};
use std::process::Stdio;
use tokio::io::AsyncReadExt;

const ADMIN_PASSWORD: &str = "test-admin-password"; // what common::advocate sets
const SMTP_PASSWORD: &str = "smtp-S3cret-pw";
const METRICS_TOKEN: &str = "metrics-T0ken-4f9a0c2e";

fn printed_key(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("API key: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("an API key in {lines:?}"))
        .to_owned()
}

#[tokio::test]
async fn json_logs_carry_the_request_and_never_a_secret() {
    let db = TestDb::sqlite();
    // Nothing listens there: the delivery worker fails and logs why, with the URL at hand.
    let smtp_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp = format!("smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{smtp_port}");
    let mut cmd = advocate(
        &db,
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--smtp-url",
            smtp.as_str(),
            "--metrics-token",
            METRICS_TOKEN,
        ],
    );
    cmd.env("RUST_LOG", "debug").stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start advocate");
    // Read the logs as they come, so the server never blocks on a full pipe.
    let mut stderr = child.stderr.take().unwrap();
    let logs = tokio::spawn(async move {
        let mut all = String::new();
        stderr.read_to_string(&mut all).await.unwrap();
        all
    });
    let (mut child, url, lines) = listening(child).await;
    let key = printed_key(&lines);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // A password sign-in, a page with its session, an answer with the API key (a
    // detractor: a case and an alert email for the worker), a scrape with the token.
    let r = http
        .post(format!("{url}/signin"))
        .form(&[("email", "admin@localhost"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in");
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let session = cookie.split_once('=').unwrap().1.to_owned();
    let r = http
        .get(format!("{url}/dashboard"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{url}/api/v1/answers"))
        .bearer_auth(&key)
        .header("x-request-id", "req-answer-1")
        .json(&json!({"survey": "relationship", "score": 2, "customer": {"external_id": "C1", "email": "c1@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = http
        .get(format!("{url}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A wrong token is refused, and not written down either.
    let r = http
        .get(format!("{url}/metrics"))
        .bearer_auth("wrong-metrics-token-0000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Until the worker has tried (and failed) to send the alert through SMTP.
    let mut tried = false;
    for _ in 0..600 {
        let outbox: Value = http
            .get(format!("{url}/api/v1/outbox"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let counts = &outbox["counts"];
        if counts["retrying"].as_i64() > Some(0) || counts["dead"].as_i64() > Some(0) {
            tried = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap();
    let logs = logs.await.unwrap();
    assert!(
        tried,
        "the worker never tried the SMTP server; logs:\n{logs}"
    );

    for (what, secret) in [
        ("the admin's password", ADMIN_PASSWORD),
        ("the API key", key.as_str()),
        ("the session cookie", session.as_str()),
        ("the SMTP password", SMTP_PASSWORD),
        ("the metrics token", METRICS_TOKEN),
        ("a wrong metrics token", "wrong-metrics-token-0000"),
    ] {
        assert!(!logs.contains(secret), "{what} is in the logs:\n{logs}");
    }

    let mut in_requests = 0;
    let mut answer_lines = 0;
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
        assert!(
            entry["timestamp"].is_string() && entry["level"].is_string(),
            "{line}"
        );
        let Some(request) = entry["spans"]
            .as_array()
            .and_then(|spans| spans.iter().find(|s| s["name"] == "request"))
        else {
            continue;
        };
        in_requests += 1;
        assert!(
            request["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{line}"
        );
        if request["request_id"] == "req-answer-1" {
            assert_eq!(request["route"], "/api/v1/answers", "{line}");
            if request["workspace"].is_number() {
                answer_lines += 1;
            }
        }
    }
    assert!(in_requests > 0, "no log line inside a request:\n{logs}");
    assert!(
        answer_lines > 0,
        "no line of the answer's request names its workspace:\n{logs}"
    );
}

#[tokio::test]
async fn metrics_bind_serves_metrics_on_its_own_address_only() {
    let db = TestDb::sqlite();
    let mut cmd = advocate(
        &db,
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--metrics-bind",
            "127.0.0.1:0",
            "--metrics-token",
            METRICS_TOKEN,
        ],
    );
    let (mut child, url, lines) = listening(cmd.spawn().expect("start advocate")).await;
    let metrics = lines
        .iter()
        .find_map(|l| l.strip_prefix("Metrics on "))
        .unwrap_or_else(|| panic!("the metrics address in {lines:?}"))
        .to_owned();
    let base = metrics
        .strip_suffix("/metrics")
        .unwrap_or_else(|| panic!("{metrics}"))
        .to_owned();
    assert_ne!(base, url, "an address of its own");
    let http = reqwest::Client::new();

    let main = http
        .get(format!("{url}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404, "not on the main address");
    let without = http.get(&metrics).send().await.unwrap();
    assert_eq!(without.status(), 401, "the token is still asked for");
    let r = http
        .get(&metrics)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("advocate_build_info{version=\""), "{text}");
    // The metrics address serves nothing else.
    let other = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(other.status(), 404);

    // A token too short to be safe stops the start with the reason.
    let out = advocate(
        &db,
        &["serve", "--bind", "127.0.0.1:0", "--metrics-token", "short"],
    )
    .stderr(Stdio::piped())
    .output()
    .await
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--metrics-token") && err.contains("at least 16"),
        "{err}"
    );
    child.kill().await.unwrap();
}
