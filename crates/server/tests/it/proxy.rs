//! Behind a reverse proxy (`--trust-proxy`): rate limits count per forwarded client only
//! when the connection comes from a trusted proxy.

use crate::common::TestApp;
use advocate_core::proxy::TrustedProxies;
use advocate_server::Config;
use advocate_store::testing::TestDb;

/// Asks for password-reset emails as `forwarded_for` says (a new address each time, so
/// only the per-client limit of 5 an hour applies); the statuses.
async fn reset_requests(app: &TestApp, forwarded_for: &[&str]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for (i, client) in forwarded_for.iter().enumerate() {
        let email = format!("nobody{i}-{client}@example.com");
        let r = app
            .http
            .post(app.url("/password-reset"))
            .header("x-forwarded-for", *client)
            .form(&[("email", email.as_str())])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let config = Config {
        trust_proxy: TrustedProxies::parse("127.0.0.1/32").unwrap(),
        ..Config::default()
    };
    let app = TestApp::spawn_with(TestDb::sqlite(), config).await;
    let a = ["203.0.113.1"; 6];
    assert_eq!(
        reset_requests(&app, &a).await,
        [200, 200, 200, 200, 200, 429]
    );
    // Another client behind the same proxy is not held back by the first one.
    assert_eq!(reset_requests(&app, &["203.0.113.2"]).await, [200]);
    // Writing a different address on the left does not escape the limit: the proxy's
    // own entry, on the right, is the one that counts.
    assert_eq!(
        reset_requests(&app, &["198.51.100.1, 203.0.113.1"]).await,
        [429]
    );
}

#[tokio::test]
async fn without_trusted_proxies_the_forwarded_header_is_ignored() {
    let app = TestApp::spawn_with(TestDb::sqlite(), Config::default()).await;
    let clients = [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
        "203.0.113.6",
    ];
    // All from 127.0.0.1, whatever they claim: one limit.
    assert_eq!(
        reset_requests(&app, &clients).await,
        [200, 200, 200, 200, 200, 429]
    );
}
