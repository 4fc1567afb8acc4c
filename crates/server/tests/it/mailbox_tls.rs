//! The reply mailbox over TLS against a real Dovecot with a private certificate authority
//! (`--imap-ca-file`): replies reach their case through imaps:// and through
//! imap://…?tls=starttls; a certificate from another CA, or for another host name, is
//! refused with a clear logged error and no mail taken.

use crate::access::{captured_logs, logged};
use crate::common::certs::Authority;
use crate::common::dovecot::{Dovecot, Options};
use crate::common::peers::eventually;
use crate::conversation::{app_on, detractor, emails_to, messages, reply};
use advocate_server::worker::mailbox::{self, MailboxConfig, MailboxSettings};
use advocate_store::testing::TestDb;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// A folder of its own for each test's certificates.
fn scratch(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "advocate-tls-{test}-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ))
}

/// Our CA, and Dovecot requiring TLS with a certificate it signed for 127.0.0.1 only.
async fn tls_dovecot(dir: &std::path::Path) -> Option<(Authority, Dovecot)> {
    let ca = Authority::new(dir, "ours")?;
    let server = ca.server("imap", "IP:127.0.0.1");
    let dovecot = Dovecot::start_with(Options {
        tls: Some(server),
        ..Options::default()
    })
    .await?;
    Some((ca, dovecot))
}

fn config(url: &str, ca: Option<&std::path::Path>) -> MailboxConfig {
    let mut settings = MailboxSettings::parse(url).unwrap();
    if let Some(ca) = ca {
        settings = settings.with_ca_file(ca).unwrap();
    }
    MailboxConfig {
        poll_interval: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(5),
        reconnect_max: Duration::from_millis(500),
        ..MailboxConfig::new(settings)
    }
}

#[tokio::test]
async fn replies_reach_their_case_over_imaps_and_starttls_with_a_private_ca() {
    let dir = scratch("reach");
    let Some((ca, dovecot)) = tls_dovecot(&dir).await else {
        return;
    };
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let case = detractor(&app, "C1", "kari@example.no", "en").await;
    let r = app
        .post_json(&format!("/api/v1/cases/{case}/messages"), &json!({}))
        .await;
    assert_eq!(r.status(), 201);
    let reply_to = emails_to(&app, "kari@example.no").await[0]
        .reply_to
        .clone()
        .unwrap();
    let key = advocate_server::conversation::reply_key(
        &app.store.workspaces().signing_key().await.unwrap(),
    );
    let to_cases = mailbox::to_cases(app.store.clone(), key);

    for (n, url) in [
        (1, dovecot.imaps_url("127.0.0.1", "")),
        (2, dovecot.starttls_url("127.0.0.1", "")),
    ] {
        let body = format!("reply {n} over TLS");
        dovecot
            .append(&reply(
                &reply_to,
                &format!("tls{n}@mail.example.no"),
                None,
                &body,
            ))
            .await;
        let taken = mailbox::poll_once(&config(&url, Some(&ca.certificate())), &to_cases)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}\n{}", dovecot.log()));
        assert_eq!(taken, 1, "{url}");
        assert_eq!(dovecot.count().await, 0);
        let thread = messages(&app, case).await;
        assert!(
            thread.iter().any(|m| m["body"] == body.as_str()),
            "{body} on the case: {thread:?}"
        );
    }
    assert!(
        dovecot.log().matches(", TLS").count() >= 2,
        "both logins were over TLS: {}",
        dovecot.log()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_certificate_from_another_ca_or_for_another_host_is_refused_and_no_mail_taken() {
    captured_logs();
    let dir = scratch("refused");
    let Some((ca, dovecot)) = tls_dovecot(&dir).await else {
        return;
    };
    let other = Authority::new(&dir, "other").unwrap();
    dovecot
        .append(&reply(
            "support@example.com",
            "kept@mail.example.no",
            None,
            "hi",
        ))
        .await;
    let handed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handler = {
        let handed = handed.clone();
        move |_| {
            handed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::future::ready(Ok::<(), String>(()))
        }
    };
    for (what, url, trusted, expected) in [
        (
            "another CA",
            dovecot.imaps_url("127.0.0.1", ""),
            Some(other.certificate()),
            "UnknownIssuer",
        ),
        (
            "another CA, STARTTLS",
            dovecot.starttls_url("127.0.0.1", ""),
            Some(other.certificate()),
            "UnknownIssuer",
        ),
        (
            "the public web roots",
            dovecot.imaps_url("127.0.0.1", ""),
            None,
            "public web roots",
        ),
        (
            "a host name the certificate does not name",
            dovecot.imaps_url("localhost", ""),
            Some(ca.certificate()),
            "not valid for name",
        ),
    ] {
        let err = mailbox::poll_once(&config(&url, trusted.as_deref()), &handler)
            .await
            .expect_err(what);
        assert!(
            err.contains("the server's certificate is refused") && err.contains(expected),
            "{what}: {err}"
        );
        assert!(!err.contains(crate::common::dovecot::PASSWORD), "{err}");
    }

    // The running poller logs why, and keeps trying.
    let (stop, stopped) = watch::channel(false);
    let poller = tokio::spawn(mailbox::run(
        config(
            &dovecot.imaps_url("127.0.0.1", ""),
            Some(&other.certificate()),
        ),
        handler,
        stopped,
    ));
    eventually("the refusal in the log", || async {
        logged()
            .lines()
            .any(|l| {
                l.contains("mailbox unreachable")
                    && l.contains("the server's certificate is refused")
                    && l.contains("UnknownIssuer")
            })
            .then_some(())
    })
    .await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), poller)
        .await
        .expect("the poller stops when told")
        .unwrap();
    assert_eq!(
        handed.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing handed over"
    );
    assert_eq!(dovecot.count().await, 1, "the mail is still there");
    let _ = std::fs::remove_dir_all(&dir);
}
