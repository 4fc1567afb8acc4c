//! `/metrics` from the outside: requests, answers, invitations and deliveries move the
//! counts (by route template, never by raw path), the gauges read both databases, and
//! `promtool check metrics` accepts the scrape; only the right bearer token reads it, it is
//! a plain 404 when not configured, and the metrics listener serves nothing else.

use crate::common::peers::{eventually, free_port, promtool_check, SmtpServer};
use crate::common::TestApp;
use advocate_server::metrics::{MetricsAccess, MetricsToken};
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings};
use advocate_server::Config;
use advocate_store::testing::TestDb;
use serde_json::json;
use std::time::Duration;
use tokio::net::TcpListener;

const TOKEN: &str = "scrape-token-5b1f0e9d";

fn with_metrics() -> Config {
    Config {
        metrics: MetricsAccess::Token(MetricsToken::new(TOKEN).unwrap()),
        ..Config::default()
    }
}

async fn scrape(app: &TestApp) -> String {
    let r = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    r.text().await.unwrap()
}

/// The value of one series (`name{labels}` exactly as written), if present.
fn value(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

#[tokio::test]
async fn requests_answers_invitations_and_deliveries_are_counted_in_promtools_format() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_with(db, with_metrics()).await;
        let port = free_port();
        let maildir = std::env::temp_dir().join(format!("advocate-metrics-{port}"));
        let Some(_smtp) = SmtpServer::start(port, &maildir).await else {
            return;
        };
        let workers = worker::start(
            app.store.clone(),
            DeliveryConfig {
                smtp: Some(SmtpSettings::parse(&format!("smtp://127.0.0.1:{port}")).unwrap()),
                poll_interval: Duration::from_millis(50),
                ..DeliveryConfig::default()
            },
        );
        app.open_cases_for_anonymous_detractors().await;
        app.survey("rel", None).await;
        assert_eq!(
            app.answer(json!({"survey": "rel", "score": 2}))
                .await
                .status(),
            201
        );
        assert_eq!(
            app.answer(json!({"survey": "rel", "score": 9}))
                .await
                .status(),
            201
        );
        let r = app.get("/api/v1/cases/987654321").send().await.unwrap();
        assert_eq!(r.status(), 404);
        let r = app
            .http
            .get(app.url("/password-reset/a-one-time-secret-7731"))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error() || r.status().is_success());
        let r = app
            .http
            .get(app.url("/no/such/page-5521"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = app
            .post_json(
                "/api/v1/invitations",
                &json!({"survey": "rel", "channel": "email", "customers": [
                    {"external_id": "kari", "email": "kari@example.com"}]}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

        // The invitation is sent by the worker and delivered through the SMTP server.
        let text = eventually("the invitation's delivery to be counted", || async {
            let text = scrape(&app).await;
            let sent = value(&text, r#"advocate_invitations_sent_total{channel="email"}"#);
            let delivered = value(
                &text,
                r#"advocate_delivery_attempts_total{kind="email",outcome="delivered"}"#,
            );
            (sent == Some(1.0) && delivered >= Some(1.0)).then_some(text)
        })
        .await;

        if let Some(checked) = promtool_check(&text) {
            checked.unwrap_or_else(|e| panic!("promtool check metrics: {e}\n{text}"));
        }
        let count = |series: &str| {
            value(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"))
        };
        assert_eq!(
            count(
                r#"advocate_http_requests_total{route="/api/v1/answers",method="POST",status="201"}"#
            ),
            2.0
        );
        assert_eq!(
            count(
                r#"advocate_http_requests_total{route="/api/v1/cases/{id}",method="GET",status="404"}"#
            ),
            1.0
        );
        assert!(
            count(r#"advocate_http_requests_total{route="unmatched",method="GET",status="404"}"#)
                >= 1.0
        );
        assert_eq!(
            count(
                r#"advocate_http_request_duration_seconds_count{route="/api/v1/answers",method="POST"}"#
            ),
            2.0
        );
        // Route templates only: no id, no one-time token, no unknown path.
        for raw in ["987654321", "a-one-time-secret-7731", "page-5521"] {
            assert!(!text.contains(raw), "{raw} leaked into:\n{text}");
        }
        assert!(
            text.contains(r#"route="/password-reset/{token}""#),
            "{text}"
        );

        assert_eq!(
            count(r#"advocate_answers_accepted_total{channel="api"}"#),
            2.0
        );
        // Every answer went through a group commit.
        assert_eq!(count("advocate_answer_group_size_sum"), 2.0);
        assert!(count("advocate_answer_group_commit_duration_seconds_count") >= 1.0);
        assert_eq!(count("advocate_cases_open"), 1.0);
        assert_eq!(count("advocate_cases_overdue"), 0.0);
        assert_eq!(count(r#"advocate_outbox_dead_messages{kind="email"}"#), 0.0);
        assert!(value(&text, r#"advocate_outbox_pending_messages{kind="webhook"}"#).is_some());
        assert!(value(
            &text,
            r#"advocate_outbox_oldest_pending_age_seconds{kind="sms"}"#
        )
        .is_some());
        assert!(
            text.contains("advocate_db_pool_max_connections{pool="),
            "{text}"
        );
        assert_eq!(
            count(&format!(
                "advocate_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )),
            1.0
        );
        workers.shutdown().await;
    }
}

#[tokio::test]
async fn only_the_token_reads_metrics_and_they_are_off_unless_configured() {
    let app = TestApp::spawn_with(TestDb::sqlite(), with_metrics()).await;
    for auth in [
        None,
        Some("Bearer wrong-token-000000000".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Bearer {}", app.key)),
    ] {
        let mut request = app.http.get(app.url("/metrics"));
        if let Some(auth) = &auth {
            request = request.header("authorization", auth);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let body = r.text().await.unwrap();
        assert!(!body.contains("advocate_"), "{auth:?}: {body}");
    }

    // Not configured: the same 404 as any unknown page, whatever the caller sends.
    let off = TestApp::spawn().await;
    let unknown = off.http.get(off.url("/no-such-page")).send().await.unwrap();
    let unknown_body = unknown.text().await.unwrap();
    let r = off
        .http
        .get(off.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), unknown_body);
}

#[tokio::test]
async fn the_metrics_listener_serves_metrics_and_nothing_else() {
    let app = TestApp::spawn().await;
    for (access, auth) in [
        (MetricsAccess::Open, None),
        (
            MetricsAccess::Token(MetricsToken::new(TOKEN).unwrap()),
            Some(TOKEN),
        ),
    ] {
        let state = advocate_server::state(app.store.clone(), Config::default())
            .await
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(advocate_server::serve_metrics(
            listener,
            state,
            access,
            std::future::pending(),
        ));
        let get = |path: &str| {
            let r = app.http.get(format!("{base}{path}"));
            match auth {
                Some(token) => r.bearer_auth(token),
                None => r,
            }
        };
        let r = get("/metrics").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("advocate_cases_open "));
        for other in ["/healthz", "/api/v1/answers", "/dashboard"] {
            assert_eq!(get(other).send().await.unwrap().status(), 404, "{other}");
        }
        if auth.is_some() {
            let r = app
                .http
                .get(format!("{base}/metrics"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
        }
    }
}
