//! Invitations end to end against real peers: the API schedules an email invitation, the
//! workers render it and hand it to a real SMTP server (aiosmtpd); the test reads the
//! received message, clicks a score link in it like a respondent, comments, and finds
//! the answer stored; then unsubscribes with the one-click POST a mail client sends.
//! Also web links, SMS short links, bad links, API validation and workspace isolation.

use crate::common::peers::{decoded_body, eventually, free_port, header, SmtpServer};
use crate::common::{problem, TestApp};
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings};
use advocate_store::delivery::outbox::RetryPolicy;
use serde_json::{json, Value};
use std::time::Duration;

fn smtp_config(port: u16) -> DeliveryConfig {
    DeliveryConfig {
        smtp: Some(SmtpSettings::parse(&format!("smtp://127.0.0.1:{port}")).unwrap()),
        poll_interval: Duration::from_millis(50),
        http_timeout: Duration::from_secs(3),
        lease_secs: 30,
        retry: RetryPolicy {
            max_attempts: 5,
            max_backoff_secs: 1,
        },
        ..DeliveryConfig::default()
    }
}

async fn create_survey(app: &TestApp, slug: &str) -> Value {
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": slug, "name": "Relationship", "kind": "nps"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn invite(app: &TestApp, body: Value) -> (u16, Value) {
    let r = app.post_json("/api/v1/invitations", &body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// The link for `score` in a received invitation's decoded body.
fn score_link(body: &str, base: &str, score: u8) -> String {
    body.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|w| w.starts_with(&format!("{base}/i/")) && w.ends_with(&format!("/{score}")))
        .unwrap_or_else(|| panic!("no link for {score} in:\n{body}"))
        .to_owned()
}

#[tokio::test]
async fn email_invitation_one_click_answer_comment_and_unsubscribe() {
    let app = TestApp::spawn().await;
    let port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-inv-{port}"));
    let Some(smtp) = SmtpServer::start(port, &maildir).await else {
        return;
    };
    let workers = worker::start(app.store.clone(), smtp_config(port));
    create_survey(&app, "relationship").await;

    let (status, created) = invite(
        &app,
        json!({"survey": "relationship", "channel": "email", "customers": [
            {"external_id": "kari", "name": "Kari Nordmann", "email": "kari@example.com", "language": "nb"},
            {"external_id": "nils", "name": "Nils"}
        ]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (created["invited"].as_u64(), created["skipped"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(created["invitations"][1]["skip_reason"], "no_email");
    let id = created["invitations"][0]["invitation_id"].as_i64().unwrap();

    let raw = eventually("the invitation email", || async {
        smtp.messages().into_iter().next()
    })
    .await;
    assert_eq!(header(&raw, "To").map(str::trim), Some("kari@example.com"));
    let unsubscribe_header = header(&raw, "List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        header(&raw, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let body = decoded_body(&raw);
    assert!(body.contains("Kari"), "greets by name: {body}");
    // Delivery to SMTP is recorded on the invitation.
    eventually("delivered_at", || async {
        let inv: Value = app
            .get(&format!("/api/v1/invitations/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        inv["delivered_at"].is_string().then_some(())
    })
    .await;

    // One click on 9 in the email stores the answer and opens the follow-up page.
    let link = score_link(&body, &app.base, 9);
    let r = app.http.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let follow_up = crate::common::location(&r);
    assert!(follow_up.contains("lang=nb"), "{follow_up}");
    let page = app.http.get(app.url(&follow_up)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("lang=\"nb\""),
        "the follow-up is in Norwegian"
    );
    // A second click, on 10, changes the same answer.
    let r = app
        .http
        .get(score_link(&body, &app.base, 10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let comment_action = follow_up.split('?').next().unwrap().to_owned();
    let r = app
        .http
        .post(app.url(&comment_action))
        .form(&[
            ("comment", "Rask og hyggelig <b>service</b>"),
            ("lang", "nb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let inv: Value = app
        .get(&format!("/api/v1/invitations/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(inv["opened_at"].is_string() && inv["answered_at"].is_string());
    let answer = app
        .store
        .answers()
        .get(app.workspace_id, inv["answer_id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.score, 10);
    assert_eq!(answer.channel, "email");
    assert_eq!(answer.language.as_deref(), Some("nb"));
    assert_eq!(
        answer.comment.as_deref(),
        Some("Rask og hyggelig <b>service</b>")
    );
    let r = app
        .get("/api/v1/nps?survey=relationship")
        .send()
        .await
        .unwrap();
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["n"], 1, "one answer, however many clicks");

    // Response rates: one sent, delivered, opened and answered.
    let rates: Value = app
        .get("/api/v1/invitations/response-rates")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rates[0]["survey"], "relationship", "{rates}");
    assert_eq!(rates[0]["channel"], "email");
    assert_eq!(
        (
            &rates[0]["sent"],
            &rates[0]["answered"],
            &rates[0]["response_rate"]
        ),
        (&json!(1), &json!(1), &json!(1.0))
    );

    // The mail client's one-click unsubscribe (RFC 8058) POSTs to the header's URL.
    let url = unsubscribe_header
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    let r = app
        .http
        .post(&url)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let customer: Value = app
        .get("/api/v1/customers/kari")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(customer["unsubscribed_at"].is_string(), "{customer}");
    let (_, again) = invite(
        &app,
        json!({"survey": "relationship", "channel": "email", "customers": [{"external_id": "kari"}]}),
    )
    .await;
    assert_eq!(again["invitations"][0]["skip_reason"], "unsubscribed");
    // The link in the body works too, and in the customer's language.
    let body_link = body
        .split_whitespace()
        .find(|w| w.contains("/u/"))
        .map(|w| w.trim_matches(|c| c == '"' || c == '<' || c == '>'))
        .map(|w| w.split('"').next().unwrap().to_owned())
        .expect("unsubscribe link in the body");
    let page = app.http.get(&body_link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("lang=\"nb\""));
    workers.shutdown().await;
}

#[tokio::test]
async fn web_links_sms_short_links_and_bad_links() {
    let app = TestApp::spawn().await;
    create_survey(&app, "relationship").await;
    let (status, created) = invite(
        &app,
        json!({"survey": "relationship", "channel": "web", "customers": [
            {"external_id": "liv", "language": "de"}]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let inv = &created["invitations"][0];
    assert_eq!(inv["status"], "sent", "a web link is handed out at once");
    let url = inv["url"].as_str().unwrap().to_owned();
    let page = app.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("lang=\"de\""), "the customer's language");
    let path = url.strip_prefix(&app.base).unwrap().to_owned();
    assert!(html.contains(&format!("action=\"{path}\"")));
    let r = app
        .http
        .post(&url)
        .form(&[("score", "4"), ("lang", "de")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // A detractor through a web link opens a case like any answer.
    let cases: Value = app
        .get("/api/v1/cases")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cases["cases"].as_array().unwrap().len(), 1, "{cases}");
    // Opening the link again goes to the follow-up, where the score can change.
    let r = app.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 303);

    // Tampered, unknown and out-of-range links are refused without storing anything.
    let token = path.trim_start_matches("/i/");
    let tampered = format!("/i/{}x", token);
    assert_eq!(
        app.http
            .get(app.url(&tampered))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url(&format!("{path}/11")))
            .send()
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        app.http
            .get(app.url("/i/nonsense/5"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url("/r/abc"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url("/r/ABCDEFGHIJ"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.http
            .get(app.url("/u/forged"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // The pixel answers with a GIF even for a bad token (it says nothing either way).
    let pixel = app
        .http
        .get(app.url(&format!("{path}/open.gif")))
        .send()
        .await
        .unwrap();
    assert_eq!(pixel.headers()["content-type"], "image/gif");

    // An SMS invitation's short link leads to its page.
    let (_, sms) = invite(
        &app,
        json!({"survey": "relationship", "channel": "sms", "customers": [
            {"external_id": "per", "phone": "+4791234567"}]}),
    )
    .await;
    let sms_id = sms["invitations"][0]["invitation_id"].as_i64().unwrap();
    let stored = app
        .store
        .invitations()
        .get(app.workspace_id, sms_id)
        .await
        .unwrap()
        .unwrap();
    let r = app
        .http
        .get(app.url(&format!("/r/{}", stored.short_code)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(crate::common::location(&r).starts_with("/i/"));
}

#[tokio::test]
async fn invitation_api_refuses_bad_input_and_stays_in_its_workspace() {
    let app = TestApp::spawn().await;
    create_survey(&app, "relationship").await;
    let cases = [
        (
            json!({"survey": "nope", "channel": "email", "customers": [{"external_id": "a"}]}),
            404,
            "no survey with slug",
        ),
        (
            json!({"survey": "relationship", "channel": "fax", "customers": [{"external_id": "a"}]}),
            422,
            "channel",
        ),
        (
            json!({"survey": "relationship", "channel": "kiosk", "customers": [{"external_id": "a"}]}),
            422,
            "email, sms, web or widget",
        ),
        (
            json!({"survey": "relationship", "channel": "widget", "customers": [{"external_id": "a"}]}),
            422,
            "widget",
        ),
        (
            json!({"survey": "relationship", "channel": "email", "customers": []}),
            422,
            "1 to 1000",
        ),
        (
            json!({"survey": "relationship", "channel": "email", "sample_percent": 0, "customers": [{"external_id": "a"}]}),
            422,
            "sample_percent",
        ),
        (
            json!({"survey": "relationship", "channel": "email", "send_at": "tomorrow", "customers": [{"external_id": "a"}]}),
            422,
            "send_at",
        ),
        (
            json!({"survey": "relationship", "channel": "email", "customers": [{"external_id": "a", "email": "not-an-address"}]}),
            422,
            "customers[0].email",
        ),
        (
            json!({"survey": "relationship", "channel": "email", "customers": [{"external_id": "a"}], "extra": 1}),
            422,
            "extra",
        ),
    ];
    for (body, status, detail) in cases {
        let r = app.post_json("/api/v1/invitations", &body).await;
        assert_eq!(r.status().as_u16(), status, "{body}");
        let p = problem(r).await;
        assert!(p.contains(detail), "{body}: {p}");
    }
    let list: Value = app
        .get("/api/v1/invitations")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]), "nothing was stored");
    // Over the batch limit.
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"external_id": format!("c{i}")}))
        .collect();
    let r = app
        .post_json(
            "/api/v1/invitations",
            &json!({"survey": "relationship", "channel": "email", "customers": many}),
        )
        .await;
    assert_eq!(r.status(), 422);

    // Events, triggers, schedules and texts validate too.
    for (path, body, detail) in [
        (
            "/api/v1/events",
            json!({"name": "bad name!", "customer": {"external_id": "a"}}),
            "name",
        ),
        (
            "/api/v1/events",
            json!({"name": "order_delivered", "customer": {"external_id": "a"}, "occurred_at": "2999-01-01T00:00:00Z"}),
            "future",
        ),
        (
            "/api/v1/event-triggers",
            json!({"event": "order_delivered", "survey": "relationship", "channel": "email", "delay_minutes": 999999}),
            "delay_minutes",
        ),
        (
            "/api/v1/schedules",
            json!({"survey": "relationship", "channel": "web", "every_days": 90}),
            "email or sms",
        ),
        (
            "/api/v1/schedules",
            json!({"survey": "relationship", "channel": "email", "every_days": 0}),
            "every_days",
        ),
    ] {
        let r = app.post_json(path, &body).await;
        assert_eq!(r.status(), 422, "{path} {body}");
        let p = problem(r).await;
        assert!(p.contains(detail), "{path}: {p}");
    }
    let r = app
        .http
        .patch(app.url("/api/v1/invitation-texts/nb"))
        .bearer_auth(&app.key)
        .json(&json!({"sms": "Svar her"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("{link}"));
    // A subject is an email header: a line break in it would start another header.
    let before: Value = app
        .get("/api/v1/invitation-texts/nb")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for subject in ["Hei\r\nBcc: alle@example.com", "Hei\nX-Spam: yes"] {
        let r = app
            .http
            .patch(app.url("/api/v1/invitation-texts/nb"))
            .bearer_auth(&app.key)
            .json(&json!({"subject": "Hei {name}", "reminder_subject": subject}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{subject:?}");
        let p = problem(r).await;
        assert!(
            p.contains("reminder_subject must not contain control characters"),
            "{p}"
        );
    }
    let after: Value = app
        .get("/api/v1/invitation-texts/nb")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after, before, "a refused change changes nothing");
    let r = app
        .http
        .patch(app.url("/api/v1/invitation-texts/fr"))
        .bearer_auth(&app.key)
        .json(&json!({"subject": "Bonjour"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // A trigger, then an event: the invitation is scheduled after the delay.
    let r = app
        .post_json(
            "/api/v1/event-triggers",
            &json!({"event": "order_delivered", "survey": "relationship", "channel": "email", "delay_minutes": 60}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let event = json!({"name": "order_delivered", "external_id": "evt-9",
        "customer": {"external_id": "ola", "email": "ola@example.com"}, "attributes": {"order": "A-9"}});
    let r = app.post_json("/api/v1/events", &event).await;
    assert_eq!(r.status(), 201);
    let outcome: Value = r.json().await.unwrap();
    assert_eq!(outcome["invitations"][0]["status"], "scheduled");
    let again = app.post_json("/api/v1/events", &event).await;
    assert_eq!(again.status(), 200, "a retried event changes nothing");

    // Another workspace sees none of it.
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, other_key) = app.store.api_keys().create(other.id, "k").await.unwrap();
    let id = outcome["invitations"][0]["invitation_id"].as_i64().unwrap();
    let r = app
        .http
        .get(app.url(&format!("/api/v1/invitations/{id}")))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let listed: Value = app
        .http
        .get(app.url("/api/v1/invitations"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    let triggers: Value = app
        .http
        .get(app.url("/api/v1/event-triggers"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(triggers, json!([]));
}

#[tokio::test]
async fn workspace_wording_is_used_in_the_email() {
    let app = TestApp::spawn().await;
    let port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-inv-{port}"));
    let Some(smtp) = SmtpServer::start(port, &maildir).await else {
        return;
    };
    let workers = worker::start(app.store.clone(), smtp_config(port));
    create_survey(&app, "relationship").await;
    let r = app
        .http
        .patch(app.url("/api/v1/invitation-texts/sv"))
        .bearer_auth(&app.key)
        .json(&json!({"subject": "Två minuter för {company}?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let got: Value = app
        .get("/api/v1/invitation-texts/sv")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["subject"], "Två minuter för {company}?");
    invite(
        &app,
        json!({"survey": "relationship", "channel": "email", "customers": [
            {"external_id": "sven", "email": "sven@example.com", "language": "sv"}]}),
    )
    .await;
    let raw = eventually("the invitation email", || async {
        smtp.messages().into_iter().next()
    })
    .await;
    let subject = header(&raw, "Subject").unwrap_or_default();
    assert_eq!(decode_words(subject), "Två minuter för Acme?");
    workers.shutdown().await;
}

/// A header with RFC 2047 encoded words (`=?utf-8?b?…?=`, as lettre writes non-ASCII
/// words) decoded.
fn decode_words(header: &str) -> String {
    use base64::Engine;
    header
        .split_whitespace()
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            match lower
                .strip_prefix("=?utf-8?b?")
                .and_then(|_| word[10..].strip_suffix("?="))
            {
                Some(b64) => String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap(),
                )
                .unwrap(),
                None => word.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
