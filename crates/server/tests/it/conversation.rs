//! The conversation on a case, from the outside: an agent writes to the customer (API and
//! pages), the email leaves with its case's Reply-To and threading headers (a real SMTP
//! server), the customer's reply comes back through the inbound endpoint and lands on
//! the case; forged, foreign, automatic, oversized and repeated mail does what it should.

use crate::common::peers::{eventually, free_port, header, SmtpServer};
use crate::common::{location, problem, TestApp};
use advocate_core::conversation::address::ReplyRoute;
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings};
use advocate_server::Config;
use advocate_store::delivery::outbox::EmailMessage;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use serde_json::{json, Value};
use std::time::Duration;

const REPLY_DOMAIN: &str = "replies.example.com";

pub(crate) async fn app_on(db: TestDb) -> TestApp {
    let config = Config {
        reply_route: Some(ReplyRoute::parse(REPLY_DOMAIN).unwrap()),
        ..Config::default()
    };
    TestApp::spawn_with(db, config).await
}

/// A detractor with an email address: returns the case id.
pub(crate) async fn detractor(
    app: &TestApp,
    external_id: &str,
    email: &str,
    language: &str,
) -> i64 {
    let r = app
        .answer(
            json!({"survey": "rel", "score": 3, "comment": "The engineer never came",
            "language": language,
            "customer": {"external_id": external_id, "name": "Kari Nordmann", "email": email,
                         "language": language, "account_manager": "agent@example.com"}}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let cases: Value = app
        .get(&format!("/api/v1/cases?customer={external_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    cases["cases"][0]["id"].as_i64().expect("a case was opened")
}

async fn case(app: &TestApp, id: i64) -> Value {
    let r = app
        .get(&format!("/api/v1/cases/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub(crate) async fn messages(app: &TestApp, id: i64) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/cases/{id}/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Posts a raw email to the inbound endpoint with `key`.
async fn post_mail(app: &TestApp, key: &str, raw: &[u8]) -> (u16, Value) {
    let r = app
        .http
        .post(app.url("/api/v1/inbound/email"))
        .bearer_auth(key)
        .header("content-type", "message/rfc822")
        .body(raw.to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The emails queued to `to`, oldest first, as the outbox holds them (read through the
/// outbox API, so the delivery worker still gets them).
pub(crate) async fn emails_to(app: &TestApp, to: &str) -> Vec<EmailMessage> {
    let mut emails: Vec<(i64, EmailMessage)> = Vec::new();
    for status in ["pending", "delivered"] {
        let page: Value = app
            .get(&format!("/api/v1/outbox?status={status}&limit=500"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        emails.extend(
            page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["kind"] == "email" && m["target"] == to)
                .map(|m| {
                    let payload = m["payload"].as_str().unwrap();
                    (
                        m["id"].as_i64().unwrap(),
                        serde_json::from_str(payload).unwrap(),
                    )
                }),
        );
    }
    emails.sort_by_key(|(id, _)| *id);
    emails.into_iter().map(|(_, e)| e).collect()
}

pub(crate) fn reply(to: &str, message_id: &str, in_reply_to: Option<&str>, body: &str) -> Vec<u8> {
    let threading = in_reply_to
        .map(|id| format!("In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: Kari Nordmann <kari@example.no>\r\nTo: {to}\r\nSubject: Re: your answer\r\n\
         Message-ID: <{message_id}>\r\n{threading}Date: Thu, 3 Dec 2026 10:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn status_of(app: &TestApp, id: i64) -> String {
    case(app, id).await["status"].as_str().unwrap().to_owned()
}

async fn patch_case(app: &TestApp, id: i64, body: Value) {
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&app.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn the_loop_from_first_email_to_reopened_and_closed(db: TestDb) {
    let app = app_on(db).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "nb").await;
    let before = case(&app, id).await;
    assert_eq!(before["status"], "open");
    assert_eq!(before["contact"]["email"], "kari@example.no", "{before}");
    assert_eq!(before["contact"]["account_manager"], "agent@example.com");

    // The draft follows the score and the customer's language.
    let draft: Value = app
        .get(&format!("/api/v1/cases/{id}/draft"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(draft["to"], "kari@example.no");
    assert!(draft["body"].as_str().unwrap().contains("Kari"), "{draft}");
    assert!(!draft["body"].as_str().unwrap().contains("{customer_name}"));

    // Sending with the template: the case becomes contacted, the email is queued with the
    // case's reply address and a Message-ID.
    let r = app
        .post_json(&format!("/api/v1/cases/{id}/messages"), &json!({}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["direction"], "out");
    assert_eq!(first["subject"], draft["subject"]);
    let after = case(&app, id).await;
    assert_eq!(after["status"], "contacted");
    assert!(after["first_contact_at"].is_string());
    let queued = emails_to(&app, "kari@example.no").await;
    assert_eq!(queued.len(), 1);
    let reply_to = queued[0].reply_to.clone().expect("a Reply-To");
    let ws = app.workspace_id;
    assert!(
        reply_to.starts_with(&format!("c{id}-w{ws}-")) && reply_to.ends_with(REPLY_DOMAIN),
        "{reply_to}"
    );
    let first_id = first["message_id"].as_str().unwrap().to_owned();
    assert_eq!(queued[0].message_id.as_deref(), Some(first_id.as_str()));

    // The customer's reply, quoting the email, comes back to the reply address.
    let raw = reply(
        &reply_to,
        "r1@mail.example.no",
        Some(&first_id),
        "Takk, ring meg gjerne i morgen.\r\n\r\nOn Thu, 3 Dec 2026 at 09:00, Acme <advocate@localhost> wrote:\r\n> earlier text",
    );
    let (status, body) = post_mail(&app, &app.key, &raw).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("matched")),
        "{body}"
    );
    assert_eq!(body["case_id"], id);
    let thread = messages(&app, id).await;
    assert_eq!(thread.len(), 2);
    assert_eq!(
        (
            thread[1]["direction"].as_str(),
            thread[1]["nature"].as_str()
        ),
        (Some("in"), Some("reply"))
    );
    assert_eq!(thread[1]["body"], "Takk, ring meg gjerne i morgen.");
    // The assignee hears of it.
    let alerts: Vec<EmailMessage> = emails_to(&app, "agent@example.com")
        .await
        .into_iter()
        .filter(|m| m.text.contains("ring meg gjerne"))
        .collect();
    assert_eq!(alerts.len(), 1, "one alert to the assignee");
    // The same message again (the mailbox read twice) is taken once.
    let (status, body) = post_mail(&app, &app.key, &raw).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("duplicate")));
    assert_eq!(messages(&app, id).await.len(), 2);

    // The agent answers: threaded after the customer's reply.
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/messages"),
            &json!({"subject": "Re: your answer", "body": "I will call you at 10."}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let second = emails_to(&app, "kari@example.no").await.pop().unwrap();
    assert_eq!(second.in_reply_to.as_deref(), Some("r1@mail.example.no"));
    assert_eq!(
        second.references,
        [first_id.clone(), "r1@mail.example.no".into()]
    );

    // Resolved: an automatic reply does not reopen it; a person's reply does.
    patch_case(
        &app,
        id,
        json!({"status": "resolved", "outcome": "recovered"}),
    )
    .await;
    let auto = format!(
        "From: kari@example.no\r\nTo: {reply_to}\r\nSubject: Automatisk svar: Re: your answer\r\n\
         Auto-Submitted: auto-replied\r\nMessage-ID: <ooo1@mail.example.no>\r\n\r\nJeg er på ferie.\r\n"
    );
    let (_, body) = post_mail(&app, &app.key, auto.as_bytes()).await;
    assert_eq!(body["status"], "matched");
    assert_eq!(status_of(&app, id).await, "resolved");
    assert_eq!(
        messages(&app, id).await.last().unwrap()["nature"],
        "auto_reply"
    );
    let raw = reply(
        &reply_to,
        "r2@mail.example.no",
        None,
        "Det skjedde igjen i dag.",
    );
    let (_, body) = post_mail(&app, &app.key, &raw).await;
    assert_eq!(body["status"], "matched");
    assert_eq!(
        status_of(&app, id).await,
        "open",
        "a reply reopens a resolved case"
    );

    // Closed stays closed; the reply is on the case with a note.
    patch_case(
        &app,
        id,
        json!({"status": "resolved", "outcome": "recovered"}),
    )
    .await;
    patch_case(&app, id, json!({"status": "closed"})).await;
    let raw = reply(&reply_to, "r3@mail.example.no", None, "En siste ting.");
    let (_, body) = post_mail(&app, &app.key, &raw).await;
    assert_eq!(body["status"], "matched");
    let closed = case(&app, id).await;
    assert_eq!(closed["status"], "closed");
    assert!(
        closed["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["body"].as_str().unwrap().contains("stays closed")),
        "{closed}"
    );
    assert_eq!(closed["messages"].as_array().unwrap().len(), 6);

    // The customer's timeline shows the emails.
    let timeline: Value = app
        .get("/api/v1/customers/C1/timeline")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = timeline.to_string();
    assert!(text.contains("The customer replied on case"), "{text}");
    assert!(text.contains("Email to the customer on case"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_from_first_email_to_reopened_and_closed_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        the_loop_from_first_email_to_reopened_and_closed(db).await;
    }
}

async fn unmatched_mail_waits_for_an_admin(db: TestDb) {
    let app = app_on(db).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "en").await;
    let r = app
        .post_json(&format!("/api/v1/cases/{id}/messages"), &json!({}))
        .await;
    assert_eq!(r.status(), 201);
    let reply_to = emails_to(&app, "kari@example.no").await[0]
        .reply_to
        .clone()
        .unwrap();

    // A forged token: same shape, wrong signature.
    let (local, domain) = reply_to.split_once('@').unwrap();
    let forged = format!(
        "{}{}@{domain}",
        &local[..local.len() - 1],
        if local.ends_with('a') { 'b' } else { 'a' }
    );
    let (_, body) = post_mail(&app, &app.key, &reply(&forged, "f1@x.example", None, "Hi")).await;
    assert_eq!(body["status"], "unmatched", "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("does not verify"),
        "{body}"
    );
    // Another case's token with the case id changed does not verify either.
    let other = reply_to.replacen(&format!("c{id}-"), &format!("c{}-", id + 1), 1);
    let (_, body) = post_mail(&app, &app.key, &reply(&other, "f2@x.example", None, "Hi")).await;
    assert_eq!(body["status"], "unmatched");
    // Plain mail to the support address names no case.
    let (_, body) = post_mail(
        &app,
        &app.key,
        &reply("support@example.com", "u1@x.example", None, "Hello?"),
    )
    .await;
    assert_eq!(body["status"], "unmatched");
    assert!(
        body["reason"].as_str().unwrap().contains("names a case"),
        "{body}"
    );
    assert_eq!(
        messages(&app, id).await.len(),
        1,
        "nothing reached the case"
    );

    let list: Vec<Value> = app
        .get("/api/v1/inbound/unmatched")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 3);
    let hello = list.iter().find(|m| m["body"] == "Hello?").unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/inbound/unmatched/{hello}/assign"),
            &json!({"case_id": id}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(messages(&app, id).await.last().unwrap()["body"], "Hello?");
    // Assigned once: a second assignment finds nothing.
    let r = app
        .post_json(
            &format!("/api/v1/inbound/unmatched/{hello}/assign"),
            &json!({"case_id": id}),
        )
        .await;
    assert_eq!(r.status(), 404);
    let first = list.iter().find(|m| m["body"] != "Hello?").unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(&format!("/api/v1/inbound/unmatched/{first}/dismiss"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let list: Vec<Value> = app
        .get("/api/v1/inbound/unmatched")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_mail_waits_for_an_admin_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        unmatched_mail_waits_for_an_admin(db).await;
    }
}

#[tokio::test]
async fn hostile_and_awkward_mail_is_refused_or_kept_as_it_should() {
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "de").await;
    let r = app
        .post_json(&format!("/api/v1/cases/{id}/messages"), &json!({}))
        .await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    let first_id = first["message_id"].as_str().unwrap();

    // 20 MB: refused before anything is read into the database.
    let mut big = reply("x@example.com", "big@x.example", Some(first_id), "");
    big.extend(std::iter::repeat_n(b'a', 20 * 1024 * 1024));
    let (status, body) = post_mail(&app, &app.key, &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(messages(&app, id).await.len(), 1);

    // ISO-8859-1 with an encoded subject, matched by its threading header alone.
    let mut latin = format!(
        "From: =?iso-8859-1?Q?J=FCrgen_M=FCller?= <jm@example.de>\r\nTo: support@example.com\r\n\
         Subject: =?iso-8859-1?Q?Gr=FC=DFe?=\r\nMessage-ID: <l1@example.de>\r\nIn-Reply-To: <{first_id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    latin.extend(b"Sch\xf6ne Gr\xfc\xdfe aus K\xf6ln\r\n");
    let (_, body) = post_mail(&app, &app.key, &latin).await;
    assert_eq!(body["status"], "matched", "{body}");
    let last = messages(&app, id).await.pop().unwrap();
    assert_eq!(last["subject"], "Grüße");
    assert_eq!(last["body"], "Schöne Grüße aus Köln");

    // UTF-8 encoded-word subject, base64.
    let utf8 = format!(
        "From: =?utf-8?B?w4VzZSDDmHN0Ymk=?= <ase@example.no>\r\nTo: support@example.com\r\n\
         Subject: =?utf-8?B?U3ZhcjogYmzDpWLDpnJzeWx0ZXRveQ==?=\r\nMessage-ID: <u1@example.no>\r\n\
         References: <{first_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHei!\r\n"
    );
    let (_, body) = post_mail(&app, &app.key, utf8.as_bytes()).await;
    assert_eq!(body["status"], "matched", "{body}");
    assert_eq!(
        messages(&app, id).await.pop().unwrap()["subject"],
        "Svar: blåbærsyltetoy"
    );

    // A bounce is recorded as one, and does not count as the customer answering.
    patch_case(
        &app,
        id,
        json!({"status": "resolved", "outcome": "recovered"}),
    )
    .await;
    let bounce = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.no>\r\nTo: support@example.com\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example.no>\r\n\
         In-Reply-To: <{first_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; kari@example.no\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         --B--\r\n"
    );
    let (_, body) = post_mail(&app, &app.key, bounce.as_bytes()).await;
    assert_eq!(body["status"], "matched", "{body}");
    assert_eq!(messages(&app, id).await.pop().unwrap()["nature"], "bounce");
    assert_eq!(status_of(&app, id).await, "resolved");

    // A message without a Message-ID, posted twice: known again by its bytes.
    let anon = format!("From: a@b.example\r\nTo: support@example.com\r\nIn-Reply-To: <{first_id}>\r\nSubject: x\r\n\r\nNo id here\r\n");
    let (_, one) = post_mail(&app, &app.key, anon.as_bytes()).await;
    let (_, two) = post_mail(&app, &app.key, anon.as_bytes()).await;
    assert_eq!(
        (one["status"].as_str(), two["status"].as_str()),
        (Some("matched"), Some("duplicate"))
    );

    // Without a key, or with a read-only one, nothing is taken.
    let r = app
        .http
        .post(app.url("/api/v1/inbound/email"))
        .body(reply("x@y.example", "n1@x", None, "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Sending: a text that is too long or empty changes nothing.
    let before = messages(&app, id).await.len();
    for bad in [
        json!({"subject": "", "body": "x"}),
        json!({"subject": "ok", "body": "x".repeat(10_001)}),
        json!({"subject": "a\nb", "body": "x"}),
    ] {
        let r = app
            .post_json(&format!("/api/v1/cases/{id}/messages"), &bad)
            .await;
        assert_eq!(r.status(), 422, "{bad}");
        assert!(!problem(r).await.is_empty());
    }
    assert_eq!(messages(&app, id).await.len(), before);
}

#[tokio::test]
async fn another_workspace_cannot_read_write_or_reply_into_a_case() {
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "en").await;
    let r = app
        .post_json(&format!("/api/v1/cases/{id}/messages"), &json!({}))
        .await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    let reply_to = emails_to(&app, "kari@example.no").await[0]
        .reply_to
        .clone()
        .unwrap();
    let other = app
        .store
        .workspaces()
        .create("globex", "Globex", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, key) = app
        .store
        .api_keys()
        .create(other.id, "hostile")
        .await
        .unwrap();

    // Globex posts a reply carrying Acme's reply address and thread: not on Acme's case.
    let raw = reply(
        &reply_to,
        "h1@evil.example",
        first["message_id"].as_str(),
        "injected",
    );
    let (_, body) = post_mail(&app, &key, &raw).await;
    assert_eq!(body["status"], "unmatched", "{body}");
    let raw = reply(
        "support@globex.example",
        "h2@evil.example",
        first["message_id"].as_str(),
        "injected",
    );
    let (_, body) = post_mail(&app, &key, &raw).await;
    assert_eq!(
        body["status"], "unmatched",
        "the thread is looked up in Globex only: {body}"
    );
    assert_eq!(messages(&app, id).await.len(), 1);

    let as_globex = |method: reqwest::Method, path: String| {
        app.http.request(method, app.url(&path)).bearer_auth(&key)
    };
    let r = as_globex(reqwest::Method::GET, format!("/api/v1/cases/{id}/messages"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = as_globex(
        reqwest::Method::POST,
        format!("/api/v1/cases/{id}/messages"),
    )
    .json(&json!({"subject": "hi", "body": "from globex"}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let r = as_globex(reqwest::Method::GET, format!("/api/v1/cases/{id}/draft"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Globex's unmatched mail cannot be put on Acme's case, nor Acme's list read.
    let list: Vec<Value> = as_globex(reqwest::Method::GET, "/api/v1/inbound/unmatched".into())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    let theirs = list[0]["id"].as_i64().unwrap();
    let r = as_globex(
        reqwest::Method::POST,
        format!("/api/v1/inbound/unmatched/{theirs}/assign"),
    )
    .json(&json!({"case_id": id}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 404);
    let acme: Vec<Value> = app
        .get("/api/v1/inbound/unmatched")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(acme.is_empty(), "Acme's list holds none of Globex's mail");
    let r = app
        .post(&format!("/api/v1/inbound/unmatched/{theirs}/dismiss"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "Acme cannot dismiss Globex's mail");
    assert_eq!(messages(&app, id).await.len(), 1);
}

#[tokio::test]
async fn templates_are_edited_per_score_and_language_and_bad_ones_change_nothing() {
    let app = app_on(TestDb::sqlite()).await;
    let list: Vec<Value> = app
        .get("/api/v1/message-templates?language=nb")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 11);
    assert!(list.iter().all(|t| t["source"] == "built_in"));
    let put = |path: &str, body: Value| {
        app.http
            .put(app.url(path))
            .bearer_auth(&app.key)
            .json(&body)
            .send()
    };
    let r = put(
        "/api/v1/message-templates/6/nb",
        json!({"subject": "Hva skal til?", "body": "Hei {customer_name}"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for (path, body) in [
        (
            "/api/v1/message-templates/11/nb",
            json!({"subject": "s", "body": "b"}),
        ),
        (
            "/api/v1/message-templates/6/xx",
            json!({"subject": "s", "body": "b"}),
        ),
        (
            "/api/v1/message-templates/6/nb",
            json!({"subject": "", "body": "b"}),
        ),
        (
            "/api/v1/message-templates/6/nb",
            json!({"subject": "two\nlines", "body": "b"}),
        ),
        (
            "/api/v1/message-templates/6/nb",
            json!({"subject": "s", "body": "b", "extra": 1}),
        ),
    ] {
        let r = put(path, body.clone()).await.unwrap();
        assert!(
            [404, 422, 400].contains(&r.status().as_u16()),
            "{path} {body}: {}",
            r.status()
        );
    }
    let list: Vec<Value> = app
        .get("/api/v1/message-templates?language=nb")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[6]["subject"], "Hva skal til?");
    assert_eq!(list[6]["source"], "workspace");
    let r = app
        .http
        .delete(app.url("/api/v1/message-templates/6/nb"))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .http
        .delete(app.url("/api/v1/message-templates/6/nb"))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_draft_follows_the_playbook_step_the_agent_is_at_on_both_databases() {
    for db in TestDb::all().await {
        let backend = db.backend;
        let app = app_on(db).await;
        app.survey("rel", None).await;
        let id = detractor(&app, "C1", "kari@example.com", "en").await;
        let draft = |query: &'static str| {
            let req = app.get(&format!("/api/v1/cases/{id}/draft{query}"));
            async move {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap())
            }
        };
        // Step 1 ("Contact the customer personally at once") has no text of its own: the
        // score's apology.
        let (status, d) = draft("").await;
        assert_eq!(status, 200, "{backend:?} {d}");
        assert_eq!(d["step"], 1, "{backend:?}");
        assert_eq!(d["subject"], "We are sorry – we would like to hear more");
        // Step 5 of a 3's playbook explains what will change: the built-in follow-up.
        let (_, d) = draft("?step=5").await;
        assert_eq!(
            d["subject"], "What we have changed after your feedback",
            "{backend:?}"
        );
        assert!(d["body"]
            .as_str()
            .unwrap()
            .starts_with("Hello Kari Nordmann,"));
        let (_, d) = draft("?step=0").await;
        assert_eq!(d["subject"], "We are sorry – we would like to hear more");
        assert!(d["step"].is_null());

        // The workspace writes its own text for step 2 ("Apologise").
        let put = |path: &str, body: Value| {
            app.http
                .put(app.url(path))
                .bearer_auth(&app.key)
                .json(&body)
                .send()
        };
        let r = put(
            "/api/v1/message-templates/3/en?step=2",
            json!({"subject": "Our apology, {customer_name}", "body": "We are sorry.\n{agent_name}"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{backend:?} {}", r.text().await.unwrap());
        for bad in ["?step=51", "?step=two", "?step=-1"] {
            let r = put(
                &format!("/api/v1/message-templates/3/en{bad}"),
                json!({"subject": "s", "body": "b"}),
            )
            .await
            .unwrap();
            assert_eq!(r.status(), 422, "{backend:?} {bad}");
            assert!(problem(r).await.contains("step"), "{backend:?} {bad}");
        }
        let list: Vec<Value> = app
            .get("/api/v1/message-templates?language=en")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list.len(), 12, "{backend:?}: 11 scores and the one step");
        assert_eq!(
            (list[11]["score"].as_i64(), list[11]["step"].as_i64()),
            (Some(3), Some(2))
        );
        assert_eq!(
            list[3]["source"], "built_in",
            "the score's own is unchanged"
        );

        // Once step 1 is ticked, the agent is at step 2 and starts from its text.
        let r = app
            .http
            .patch(app.url(&format!("/api/v1/cases/{id}")))
            .bearer_auth(&app.key)
            .json(&json!({"steps": [{"position": 0, "done": true}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (_, d) = draft("").await;
        assert_eq!(
            (d["step"].as_i64(), d["subject"].as_str()),
            (Some(2), Some("Our apology, Kari Nordmann"))
        );
        // Sending without a text uses the same template.
        let r = app
            .post_json(&format!("/api/v1/cases/{id}/messages"), &json!({}))
            .await;
        assert_eq!(r.status(), 201, "{backend:?}");
        let sent: Value = r.json().await.unwrap();
        assert_eq!(sent["subject"], "Our apology, Kari Nordmann");

        // Reset: back to the score's template; twice is "not found".
        for expected in [204, 404] {
            let r = app
                .http
                .delete(app.url("/api/v1/message-templates/3/en?step=2"))
                .bearer_auth(&app.key)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), expected, "{backend:?}");
        }
        let (_, d) = draft("?step=2").await;
        assert_eq!(d["subject"], "We are sorry – we would like to hear more");
    }
}

#[tokio::test]
async fn an_agent_writes_from_the_case_page_with_a_preview() {
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "en").await;
    let cookie = app.sign_in().await;
    let csrf = app.csrf(&cookie).await;
    let page = |path: String| {
        let req = app.http.get(app.url(&path)).header(COOKIE, &cookie);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = page(format!("/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("kari@example.no") && html.contains("Email the customer"));
    let (status, html) = page(format!("/cases/{id}/email")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Kari") && html.contains("Preview"), "{html}");
    let post = |form: Vec<(&'static str, String)>| {
        let req = app
            .http
            .post(app.url(&format!("/cases/{id}/email")))
            .header(COOKIE, &cookie)
            .header("origin", &app.base)
            .form(&form);
        async move { req.send().await.unwrap() }
    };
    let r = post(vec![
        ("csrf", csrf.clone()),
        ("subject", "Sorry".into()),
        ("body", "We <b>will</b> fix it".into()),
        ("action", "preview".into()),
    ])
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("We &lt;b&gt;will&lt;/b&gt; fix it") || html.contains("We &#60;b&#62;will"),
        "escaped preview"
    );
    assert!(
        emails_to(&app, "kari@example.no").await.is_empty(),
        "a preview sends nothing"
    );
    let r = post(vec![
        ("csrf", csrf.clone()),
        ("subject", String::new()),
        ("body", "x".into()),
    ])
    .await;
    assert_eq!(r.status(), 422);
    let r = post(vec![
        ("csrf", csrf.clone()),
        ("subject", "Sorry".into()),
        ("body", "We will fix it".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&format!("/cases/{id}#message-")));
    assert_eq!(emails_to(&app, "kari@example.no").await.len(), 1);
    let (_, html) = page(format!("/cases/{id}")).await;
    assert!(html.contains("Email to the customer") && html.contains("We will fix it"));
    // Without the CSRF token nothing is sent.
    let r = post(vec![("subject", "Sorry".into()), ("body", "again".into())]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(emails_to(&app, "kari@example.no").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_leave_with_the_case_reply_address_and_threading_headers() {
    let smtp_port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-conv-{smtp_port}"));
    let Some(smtp) = SmtpServer::start(smtp_port, &maildir).await else {
        return;
    };
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "en").await;
    let workers = worker::start(
        app.store.clone(),
        DeliveryConfig {
            smtp: Some(SmtpSettings::parse(&format!("smtp://127.0.0.1:{smtp_port}")).unwrap()),
            poll_interval: Duration::from_millis(50),
            ..DeliveryConfig::default()
        },
    );
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/messages"),
            &json!({"subject": "Sorry", "body": "Can we talk?"}),
        )
        .await;
    let first: Value = r.json().await.unwrap();
    let first_id = first["message_id"].as_str().unwrap().to_owned();
    let raw = reply(
        &emails_to(&app, "kari@example.no").await[0]
            .reply_to
            .clone()
            .unwrap(),
        "r1@mail.example.no",
        Some(&first_id),
        "Yes please",
    );
    let (_, body) = post_mail(&app, &app.key, &raw).await;
    assert_eq!(body["status"], "matched");
    app.post_json(
        &format!("/api/v1/cases/{id}/messages"),
        &json!({"subject": "Re: Sorry", "body": "Calling now"}),
    )
    .await;
    let mails = eventually("both emails to the customer", || async {
        let m: Vec<String> = smtp
            .messages()
            .into_iter()
            .filter(|m| header(m, "To").is_some_and(|t| t.contains("kari@example.no")))
            .collect();
        (m.len() == 2).then_some(m)
    })
    .await;
    let (one, two) = if header(&mails[0], "Subject") == Some("Sorry") {
        (&mails[0], &mails[1])
    } else {
        (&mails[1], &mails[0])
    };
    assert_eq!(
        header(one, "Message-ID"),
        Some(format!("<{first_id}>").as_str())
    );
    let reply_to = header(one, "Reply-To").unwrap();
    assert!(
        reply_to.contains(&format!("c{id}-w{}-", app.workspace_id))
            && reply_to.contains(REPLY_DOMAIN),
        "{one}"
    );
    assert_eq!(header(two, "In-Reply-To"), Some("<r1@mail.example.no>"));
    // References may be folded over two lines: the thread so far, oldest first.
    let refs = &two[two.find("References: ").expect("References")..];
    let refs: String = refs.lines().take(2).collect::<Vec<_>>().join(" ");
    assert!(
        refs.starts_with(&format!("References: <{first_id}>"))
            && refs.contains("<r1@mail.example.no>"),
        "{two}"
    );
    workers.shutdown().await;
}

/// The whole loop in a real browser: the agent opens the case, emails the customer from
/// the composer, the customer's reply (posted by their mail provider) shows on the case,
/// and the agent resolves it — on a phone, without leaving Advocate.
#[tokio::test]
async fn an_agent_works_a_detractor_from_email_to_reply_to_resolved_in_a_browser() {
    use crate::support::webdriver::{Browser, Options, ENTER, TAB};
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "en").await;
    let path = format!("/cases/{id}");
    b.goto(&app.url(&format!("/signin?next={}", path.replace('/', "%2F"))))
        .await;
    b.click(&b.find("#email").await).await;
    b.keys(crate::common::ADMIN_EMAIL).await;
    b.keys(TAB).await;
    b.keys(crate::common::ADMIN_PASSWORD).await;
    b.keys(ENTER).await;
    b.wait_for_url("the case", |u| u.ends_with(&path)).await;

    // Write: the composer opens with the template for a 3, addressed to the customer.
    b.click(&b.find("a.button[href$='/email']").await).await;
    b.wait_for_url("the composer", |u| u.ends_with("/email"))
        .await;
    let body = b.text(&b.find("#body").await).await;
    assert!(body.contains("Kari"), "{body}");
    b.click(&b.find("button[value='send']").await).await;
    b.wait_for_url("the case after sending", |u| u.contains("#message-"))
        .await;
    let thread = b.text(&b.find("#conversation").await).await;
    assert!(thread.contains("Email to the customer"), "{thread}");
    assert!(b
        .text(&b.find("#h-facts + dl").await)
        .await
        .contains("contacted"));

    // Hear back: the customer's reply arrives through the inbound endpoint.
    let sent = emails_to(&app, "kari@example.no").await;
    let raw = reply(
        sent[0].reply_to.as_deref().unwrap(),
        "browser-reply@mail.example.no",
        sent[0].message_id.as_deref(),
        "Thank you, the engineer came today and it works.",
    );
    let (_, result) = post_mail(&app, &app.key, &raw).await;
    assert_eq!(result["status"], "matched");
    b.goto(&app.url(&path)).await;
    let thread = b.text(&b.find("#conversation").await).await;
    assert!(thread.contains("Reply from the customer"), "{thread}");
    assert!(thread.contains("the engineer came today"), "{thread}");

    // Resolve from the same page.
    let script = "document.getElementById('status').value = 'resolved'; \
                  document.getElementById('outcome').value = 'recovered';";
    b.script(script, json!([])).await;
    b.click(
        &b.find(&format!("form[action='{path}'] button[type='submit']"))
            .await,
    )
    .await;
    // The form posts and redirects back to the same URL: wait for the page to say so.
    b.wait_for(
        "the case page after saving",
        "const facts = document.querySelector('#h-facts + dl'); \
         return facts !== null && facts.textContent.includes('resolved');",
        json!([]),
    )
    .await;
    assert_eq!(status_of(&app, id).await, "resolved");
}

/// Replies in the mailbox (a real Dovecot), read by two instances at once: each reaches
/// its case once, automatic replies are marked, unmatched mail waits, the mailbox ends
/// empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_in_the_mailbox_reach_their_case_once_with_two_instances_reading() {
    use crate::common::dovecot::Dovecot;
    use advocate_server::worker::mailbox::{MailboxConfig, MailboxSettings};
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "en").await;
    let r = app
        .post_json(&format!("/api/v1/cases/{id}/messages"), &json!({}))
        .await;
    assert_eq!(r.status(), 201);
    let reply_to = emails_to(&app, "kari@example.no").await[0]
        .reply_to
        .clone()
        .unwrap();
    for n in 0..5 {
        dovecot
            .append(&reply(
                &reply_to,
                &format!("m{n}@mail.example.no"),
                None,
                &format!("reply {n}"),
            ))
            .await;
    }
    let ooo = format!(
        "From: kari@example.no\r\nTo: {reply_to}\r\nSubject: Out of office\r\n\
         Auto-Submitted: auto-replied\r\nMessage-ID: <ooo@mail.example.no>\r\n\r\nAway.\r\n"
    );
    dovecot.append(ooo.as_bytes()).await;
    dovecot
        .append(&reply(
            "support@example.com",
            "lost@mail.example.no",
            None,
            "no case",
        ))
        .await;

    let key = advocate_server::conversation::reply_key(
        &app.store.workspaces().signing_key().await.unwrap(),
    );
    let config = MailboxConfig {
        poll_interval: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(5),
        reconnect_max: Duration::from_millis(500),
        ..MailboxConfig::new(MailboxSettings::parse(&dovecot.url("")).unwrap())
    };
    let delivery = DeliveryConfig {
        poll_interval: Duration::from_millis(200),
        ..DeliveryConfig::default()
    };
    let mut one = worker::start(app.store.clone(), delivery.clone());
    let mut two = worker::start(app.store.clone(), delivery);
    one.read_mailbox(app.store.clone(), key.clone(), config.clone());
    two.read_mailbox(app.store.clone(), key, config);

    eventually("the mailbox to empty", || async {
        (dovecot.count().await == 0).then_some(())
    })
    .await;
    let thread = messages(&app, id).await;
    let bodies: Vec<&str> = thread.iter().filter_map(|m| m["body"].as_str()).collect();
    for n in 0..5 {
        let body = format!("reply {n}");
        assert_eq!(
            bodies.iter().filter(|b| **b == body).count(),
            1,
            "{body} once: {bodies:?}"
        );
    }
    assert_eq!(thread.len(), 1 + 5 + 1, "{bodies:?}");
    assert_eq!(
        thread
            .iter()
            .filter(|m| m["nature"] == "auto_reply")
            .count(),
        1
    );
    // Mail naming no workspace goes to the only workspace's unmatched list, once.
    let list: Vec<Value> = app
        .get("/api/v1/inbound/unmatched")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["to_address"], "support@example.com");
    assert_eq!(list[0]["body"], "no case");
    one.shutdown().await;
    two.shutdown().await;
}

/// How long a reply takes from reaching the mailbox to showing on its case, with the
/// mailbox read over IMAP IDLE (BENCHMARKS.md). Prints the figures; asserts none.
/// `cargo test --release -p advocate-server --test it reply_latency -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run by hand, see BENCHMARKS.md"]
async fn reply_latency_from_mailbox_to_case() {
    use crate::common::dovecot::Dovecot;
    use advocate_server::worker::mailbox::{MailboxConfig, MailboxSettings};
    use std::time::Instant;
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", "kari@example.no", "en").await;
    app.post_json(&format!("/api/v1/cases/{id}/messages"), &json!({}))
        .await;
    let reply_to = emails_to(&app, "kari@example.no").await[0]
        .reply_to
        .clone()
        .unwrap();
    let key = advocate_server::conversation::reply_key(
        &app.store.workspaces().signing_key().await.unwrap(),
    );
    let mut workers = worker::start(app.store.clone(), DeliveryConfig::default());
    // Production timings: IDLE renewed every 25 minutes, polling (unused with IDLE) each minute.
    workers.read_mailbox(
        app.store.clone(),
        key,
        MailboxConfig::new(MailboxSettings::parse(&dovecot.url("")).unwrap()),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rounds = 30;
    let mut took = Vec::with_capacity(rounds);
    for n in 0..rounds {
        let before = app
            .store
            .conversations()
            .messages(app.workspace_id, id)
            .await
            .unwrap()
            .len();
        let started = Instant::now();
        dovecot
            .append(&reply(
                &reply_to,
                &format!("lat{n}@mail.example.no"),
                None,
                "latency",
            ))
            .await;
        loop {
            let now = app
                .store
                .conversations()
                .messages(app.workspace_id, id)
                .await
                .unwrap()
                .len();
            if now > before {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "reply {n} never arrived"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        took.push(started.elapsed());
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "reply latency over {rounds} replies (IMAP APPEND → on the case): median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        ms(took[rounds / 2]),
        ms(took[rounds * 9 / 10]),
        ms(took[rounds - 1])
    );
    workers.shutdown().await;
}
