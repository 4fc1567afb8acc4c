//! People's alert subscriptions against real peers: HTTP receivers standing in for Slack
//! and Microsoft Teams incoming webhooks, and a real SMTP server (aiosmtpd). Filters,
//! batching, agents' scope and ownership are checked from the outside.

use crate::common::peers::{decoded_body, eventually, free_port, header, SmtpServer};
use crate::common::{csrf_of, problem, receivers_allowed, TestApp, ADMIN_EMAIL};
use advocate_core::{Language, Role};
use advocate_server::auth::hash_password;
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings};
use advocate_store::delivery::outbox::RetryPolicy;
use advocate_store::testing::TestDb;
use chrono::{Duration as Minutes, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) fn config(smtp_port: Option<u16>) -> DeliveryConfig {
    DeliveryConfig {
        smtp: smtp_port.map(|p| SmtpSettings::parse(&format!("smtp://127.0.0.1:{p}")).unwrap()),
        poll_interval: Duration::from_millis(50),
        http_timeout: Duration::from_secs(3),
        allowed_hosts: receivers_allowed(),
        retry: RetryPolicy {
            max_attempts: 12,
            max_backoff_secs: 1,
        },
        ..DeliveryConfig::default()
    }
}

/// Incoming-webhook receivers on one port: every JSON body, by path.
#[derive(Clone, Default)]
pub(crate) struct Receivers {
    got: Arc<Mutex<BTreeMap<String, Vec<Value>>>>,
}

impl Receivers {
    /// Listens on a free port; returns its base URL.
    pub(crate) async fn start(&self) -> String {
        let got = self.got.clone();
        let app = axum::Router::new().route(
            "/{name}",
            axum::routing::post(
                move |axum::extract::Path(name): axum::extract::Path<String>,
                      axum::Json(v): axum::Json<Value>| {
                    let got = got.clone();
                    async move {
                        got.lock().unwrap().entry(name).or_default().push(v);
                        "1"
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    }

    pub(crate) fn at(&self, name: &str) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }
}

pub(crate) async fn user_id(app: &TestApp, email: &str) -> i64 {
    app.store.users().by_email(email).await.unwrap().unwrap().id
}

pub(crate) async fn subscribe(app: &TestApp, body: Value) -> Value {
    let r = app.post_json("/api/v1/alert-subscriptions", &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

pub(crate) async fn answer(app: &TestApp, body: Value) {
    let r = app.answer(body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// The outbox's messages queued by alerts (event `alert`), whatever their status.
pub(crate) async fn alert_messages(app: &TestApp) -> Vec<Value> {
    let mut found = Vec::new();
    for status in ["pending", "delivered", "dead"] {
        let r = app
            .get(&format!("/api/v1/outbox?status={status}&limit=500"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        found.extend(
            body["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["event"] == "alert")
                .cloned(),
        );
    }
    found
}

pub(crate) fn payload(message: &Value) -> Value {
    serde_json::from_str(message["payload"].as_str().unwrap()).unwrap()
}

async fn matching_answers_reach_slack_and_teams_as_block_kit_and_adaptive_cards(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    app.survey("rel", Some("checkout")).await;
    app.survey("sup", Some("support")).await;
    let receivers = Receivers::default();
    let base = receivers.start().await;
    let admin = user_id(&app, ADMIN_EMAIL).await;
    for channel in ["slack", "teams"] {
        let created = subscribe(
            &app,
            json!({"user_id": admin, "channel": channel, "target": format!("{base}/{channel}"),
                   "min_score": 0, "max_score": 6, "only_with_comment": true,
                   "touchpoint": "checkout"}),
        )
        .await;
        assert_eq!(created["channel"], channel);
        assert_eq!(created["batch_minutes"], 0);
    }
    let workers = worker::start(app.store.clone(), config(None));
    answer(
        &app,
        json!({"survey": "rel", "score": 3, "comment": "Slow <checkout> & *bad*",
               "customer": {"external_id": "C1", "name": "Kari Nordmann"}}),
    )
    .await;
    // Not matching: a passive; no comment; another touchpoint.
    for body in [
        json!({"survey": "rel", "score": 8, "comment": "Fine", "customer": {"external_id": "C2", "name": "Person C2"}}),
        json!({"survey": "rel", "score": 2, "customer": {"external_id": "C3", "name": "Person C3"}}),
        json!({"survey": "sup", "score": 2, "comment": "Rude", "customer": {"external_id": "C4", "name": "Person C4"}}),
    ] {
        answer(&app, body).await;
    }
    // Queued with their answers: exactly one per channel, for the matching answer.
    let queued = alert_messages(&app).await;
    assert_eq!(queued.len(), 2, "{queued:?}");

    let slack = eventually("the Slack alert", || async {
        receivers.at("slack").first().cloned()
    })
    .await;
    let text = slack["text"].as_str().unwrap();
    assert!(
        text.contains("Kari Nordmann answered 3 (detractor)")
            && text.contains("Slow &lt;checkout&gt; &amp; *bad*"),
        "{text}"
    );
    let blocks = slack["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert!(blocks.iter().any(
        |b| b["type"] == "section" && b["text"]["text"] == ">Slow &lt;checkout&gt; &amp; *bad*"
    ));
    let button = &blocks.iter().find(|b| b["type"] == "actions").unwrap()["elements"][0];
    let case_link = button["url"].as_str().unwrap();
    assert!(
        case_link.starts_with(&app.base) && case_link.contains("/cases/"),
        "{case_link}"
    );

    let teams = eventually("the Teams alert", || async {
        receivers.at("teams").first().cloned()
    })
    .await;
    assert_eq!(teams["type"], "message");
    let attachment = &teams["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert_eq!(card["actions"][0]["url"], case_link);
    assert_eq!(card["body"][1]["text"], "Slow \\<checkout\\> & \\*bad\\*");

    eventually("both recorded as delivered", || async {
        let all = alert_messages(&app).await;
        all.iter().all(|m| m["status"] == "delivered").then_some(())
    })
    .await;
    workers.shutdown().await;
    assert_eq!(
        (receivers.at("slack").len(), receivers.at("teams").len()),
        (1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_answers_reach_slack_and_teams_as_block_kit_and_adaptive_cards_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        matching_answers_reach_slack_and_teams_as_block_kit_and_adaptive_cards(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_alerts_arrive_in_the_subscribers_language() {
    let smtp_port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-alerts-{smtp_port}"));
    let Some(smtp) = SmtpServer::start(smtp_port, &maildir).await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let admin = user_id(&app, ADMIN_EMAIL).await;
    {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::SqliteConnection::connect(app.db_url()).await.unwrap();
        conn.execute(sqlx::query("UPDATE users SET language = 'nb' WHERE id = $1").bind(admin))
            .await
            .unwrap();
    }
    subscribe(
        &app,
        json!({"user_id": admin, "channel": "email", "min_score": 9, "max_score": 10}),
    )
    .await;
    let workers = worker::start(app.store.clone(), config(Some(smtp_port)));
    answer(
        &app,
        json!({"survey": "rel", "score": 10, "comment": "Strålende service",
               "customer": {"external_id": "P1", "name": "Ola"}}),
    )
    .await;
    let mail = eventually("the alert email", || async {
        smtp.messages().into_iter().next()
    })
    .await;
    assert!(header(&mail, "To").unwrap().contains(ADMIN_EMAIL), "{mail}");
    let body = decoded_body(&mail);
    assert!(
        body.contains("Ola svarte 10 (ambassadør)") && body.contains("Strålende service"),
        "{body}"
    );
    assert!(body.contains("Åpne i Advocate"), "{body}");
    workers.shutdown().await;
    assert_eq!(smtp.messages().len(), 1);
}

async fn a_batch_is_one_message_listing_its_answers_sent_once(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    app.survey("rel", None).await;
    let admin = user_id(&app, ADMIN_EMAIL).await;
    let sub = subscribe(
        &app,
        json!({"user_id": admin, "channel": "slack", "target": "http://127.0.0.1:9/slack",
               "max_score": 6, "batch_minutes": 5}),
    )
    .await;
    for (i, comment) in ["first", "second", "third"].iter().enumerate() {
        answer(
            &app,
            json!({"survey": "rel", "score": i, "comment": comment,
                   "customer": {"external_id": format!("B{i}"), "name": format!("Person B{i}")}}),
        )
        .await;
    }
    answer(&app, json!({"survey": "rel", "score": 9})).await;
    assert!(alert_messages(&app).await.is_empty(), "gathered, not sent");
    let alerts = app.store.alerts();
    assert_eq!(
        alerts.waiting(sub["id"].as_i64().unwrap()).await.unwrap(),
        3
    );
    assert_eq!(
        alerts.flush_batches(Utc::now()).await.unwrap(),
        0,
        "not due yet"
    );
    let later = Utc::now() + Minutes::minutes(5) + Minutes::seconds(1);
    assert_eq!(alerts.flush_batches(later).await.unwrap(), 1);
    assert_eq!(alerts.flush_batches(later).await.unwrap(), 0, "no repeat");
    let sent = alert_messages(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let message = payload(&sent[0]);
    assert_eq!(message["text"], "3 answers matched your alert");
    let sections: Vec<&Value> = message["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "section")
        .collect();
    assert_eq!(sections.len(), 3);
    for (section, comment) in sections.iter().zip(["first", "second", "third"]) {
        assert!(
            section["text"]["text"].as_str().unwrap().contains(comment),
            "{section}"
        );
        assert!(section["accessory"]["url"]
            .as_str()
            .unwrap()
            .contains("/cases/"));
    }

    // Two instances flushing the same due batch at once: one message.
    for i in 0..2 {
        answer(
            &app,
            json!({"survey": "rel", "score": 1, "comment": format!("again {i}")}),
        )
        .await;
    }
    let later = Utc::now() + Minutes::minutes(6);
    let (a, b) = tokio::join!(alerts.flush_batches(later), alerts.flush_batches(later));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(alert_messages(&app).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_one_message_listing_its_answers_sent_once_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        a_batch_is_one_message_listing_its_answers_sent_once(db).await;
    }
}

async fn an_agent_hears_only_of_their_own_customers(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    app.survey("rel", None).await;
    let agent = "agent@example.com";
    let agent_id = app
        .store
        .users()
        .create_member(
            app.workspace_id,
            agent,
            &hash_password("agent password 1"),
            Role::Agent,
        )
        .await
        .unwrap()
        .id;
    subscribe(
        &app,
        json!({"user_id": agent_id, "channel": "webhook", "target": "http://127.0.0.1:9/hook",
               "max_score": 10}),
    )
    .await;
    for (who, manager) in [("MINE", agent), ("THEIRS", "someone@example.com")] {
        answer(
            &app,
            json!({"survey": "rel", "score": 9, "comment": format!("from {who}"),
                   "customer": {"external_id": who, "name": who, "account_manager": manager}}),
        )
        .await;
    }
    // A detractor with no account manager whose case goes to the default queue: not theirs.
    answer(
        &app,
        json!({"survey": "rel", "score": 1, "comment": "queue", "customer": {"external_id": "Q", "name": "Quinn"}}),
    )
    .await;
    let sent = alert_messages(&app).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = payload(&sent[0]);
    assert_eq!(body["event"], "alert");
    assert_eq!(body["data"]["answers"][0]["customer"], "MINE");
    assert_eq!(body["data"]["answers"][0]["comment"], "from MINE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_hears_only_of_their_own_customers_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        an_agent_hears_only_of_their_own_customers(db).await;
    }
}

/// Signs in through the form; the session cookie.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in of {email}");
    let cookie = r.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

pub(crate) async fn account_page(app: &TestApp, cookie: &str) -> String {
    let r = app
        .http
        .get(app.url("/account"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_stay_with_their_owner_and_their_workspace() {
    let app = TestApp::spawn().await;
    let a_cookie = app.sign_in().await;
    let a_csrf = csrf_of(&account_page(&app, &a_cookie).await);
    // A adds an alert on the account page.
    let r = app
        .http
        .post(app.url("/account/alerts"))
        .header("cookie", &a_cookie)
        .form(&[
            ("csrf", a_csrf.as_str()),
            ("channel", "email"),
            ("min_score", "0"),
            ("max_score", "6"),
            ("touchpoint", "checkout"),
            ("only_with_comment", "1"),
            ("batch_minutes", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = account_page(&app, &a_cookie).await;
    assert!(
        page.contains("touchpoint checkout, with a comment"),
        "{page}"
    );
    assert!(page.contains(r#"<label for="alert-channel">"#));
    let mine: Value = app
        .get("/api/v1/alert-subscriptions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = mine[0]["id"].as_i64().unwrap();

    // B, an agent of the same workspace, neither sees nor removes it.
    let b = "b.agent@example.com";
    app.store
        .users()
        .create_member(
            app.workspace_id,
            b,
            &hash_password("b password 12"),
            Role::Agent,
        )
        .await
        .unwrap();
    let b_cookie = sign_in(&app, b, "b password 12").await;
    let b_page = account_page(&app, &b_cookie).await;
    assert!(b_page.contains("You have no alerts yet."), "{b_page}");
    let b_csrf = csrf_of(&b_page);
    let r = app
        .http
        .post(app.url(&format!("/account/alerts/{id}/delete")))
        .header("cookie", &b_cookie)
        .form(&[("csrf", b_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Another workspace's admin key: 404 on every route, and its list is empty.
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &Language::english())
        .await
        .unwrap();
    let (_, other_key) = app
        .store
        .api_keys()
        .create(other.id, "other")
        .await
        .unwrap();
    let path = app.url(&format!("/api/v1/alert-subscriptions/{id}"));
    for request in [
        app.http.get(&path),
        app.http.patch(&path).json(&json!({"max_score": 10})),
        app.http.delete(&path),
    ] {
        let r = request.bearer_auth(&other_key).send().await.unwrap();
        assert_eq!(r.status(), 404);
    }
    let theirs: Value = app
        .http
        .get(app.url("/api/v1/alert-subscriptions"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    let r = app
        .http
        .post(app.url("/api/v1/alert-subscriptions"))
        .bearer_auth(&other_key)
        .json(&json!({"user_id": mine[0]["user_id"], "channel": "email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "not a member of the other workspace");

    // Still there, unchanged; its owner removes it.
    let r = app
        .get(&format!("/api/v1/alert-subscriptions/{id}"))
        .send()
        .await
        .unwrap();
    let still: Value = r.json().await.unwrap();
    assert_eq!(still["max_score"], 6);
    let r = app
        .http
        .post(app.url(&format!("/account/alerts/{id}/delete")))
        .header("cookie", &a_cookie)
        .form(&[("csrf", a_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = app
        .get(&format!("/api/v1/alert-subscriptions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let admin = user_id(&app, ADMIN_EMAIL).await;
    for (body, field) in [
        (
            json!({"channel": "email", "min_score": 7, "max_score": 6}),
            "min_score",
        ),
        (json!({"channel": "email", "max_score": 11}), "max_score"),
        (json!({"channel": "email", "min_score": -1}), "min_score"),
        (json!({"channel": "slack"}), "target"),
        (
            json!({"channel": "email", "target": "https://example.com/x"}),
            "target",
        ),
        (
            json!({"channel": "teams", "target": "example.com/x"}),
            "target",
        ),
        (
            json!({"channel": "email", "batch_minutes": 3}),
            "batch_minutes",
        ),
        (
            json!({"channel": "email", "segment_key": "plan"}),
            "segment_value",
        ),
        (json!({"channel": "sms"}), "channel"),
        (json!({"channel": "email", "survey_id": 999}), "survey_id"),
        (json!({"channel": "email", "colour": "red"}), "colour"),
        (
            json!({"channel": "webhook", "target": "http://127.0.0.1:9/x"}),
            "target",
        ),
    ] {
        let mut body = body;
        body["user_id"] = json!(admin);
        let r = app.post_json("/api/v1/alert-subscriptions", &body).await;
        let status = r.status().as_u16();
        assert!(status == 400 || status == 422, "{body}: {status}");
        let detail = problem(r).await;
        assert!(detail.contains(field), "{body}: {detail}");
    }
    let r = app
        .post_json("/api/v1/alert-subscriptions", &json!({"channel": "email"}))
        .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("user_id"));
    let r = app
        .post_json(
            "/api/v1/alert-subscriptions",
            &json!({"user_id": 424242, "channel": "email"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let none: Value = app
        .get("/api/v1/alert-subscriptions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!([]), "nothing stored");

    // A bad change changes nothing.
    let sub = subscribe(
        &app,
        json!({"user_id": admin, "channel": "email", "max_score": 6}),
    )
    .await;
    let path = format!("/api/v1/alert-subscriptions/{}", sub["id"]);
    let r = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&app.key)
        .json(&json!({"min_score": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("min_score"));
    let r = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&app.key)
        .json(&json!({"only_with_comment": true, "touchpoint": "checkout"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(
        (
            &changed["min_score"],
            &changed["max_score"],
            &changed["touchpoint"]
        ),
        (&json!(0), &json!(6), &json!("checkout"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_webhook_url_is_checked_like_slack_and_gets_the_detractor_card() {
    // Nothing allowed: an internal address is refused, and nothing is saved.
    let app = TestApp::spawn().await;
    for url in ["http://127.0.0.1:9/teams", "http://169.254.169.254/"] {
        let r = app
            .http
            .patch(app.url("/api/v1/settings"))
            .bearer_auth(&app.key)
            .json(&json!({"teams_webhook_url": url}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{url}");
        let detail = problem(r).await;
        assert!(
            detail.starts_with("teams_webhook_url") && detail.contains("--allow-webhook-hosts"),
            "{url}: {detail}"
        );
    }
    let settings = app.store.settings().get(app.workspace_id).await.unwrap();
    assert_eq!(settings.teams_webhook_url, None);

    // Allowed receivers: the detractor alert goes to Teams and Slack.
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let receivers = Receivers::default();
    let base = receivers.start().await;
    let r = app
        .http
        .patch(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&json!({"teams_webhook_url": format!("{base}/teams"),
                      "slack_webhook_url": format!("{base}/slack")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let workers = worker::start(app.store.clone(), config(None));
    answer(
        &app,
        json!({"survey": "rel", "score": 1, "comment": "_Never_ again",
               "customer": {"external_id": "D1", "name": "Dag"}}),
    )
    .await;
    let card = eventually("the Teams card", || async {
        receivers.at("teams").first().cloned()
    })
    .await;
    let content = &card["attachments"][0]["content"];
    assert_eq!(content["version"], "1.4");
    let link = content["actions"][0]["url"].as_str().unwrap();
    assert!(link.contains("/cases/"), "{card}");
    assert_eq!(content["body"][1]["text"], "\\_Never\\_ again");
    let slack = eventually("the Slack blocks", || async {
        receivers.at("slack").first().cloned()
    })
    .await;
    assert!(slack["text"].as_str().unwrap().contains("Dag"), "{slack}");
    let actions = slack["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .cloned()
        .unwrap();
    assert_eq!(actions["elements"][0]["url"], link);
    workers.shutdown().await;
}
