//! Closing the loop over HTTP: the cases API, settings, playbooks and routing rules, the
//! escalation worker, and the case inbox, case and settings pages.

use crate::common::{location, problem, TestApp, ADMIN_EMAIL};
use advocate_store::testing::TestDb;
use reqwest::header::{COOKIE, ORIGIN};
use reqwest::Response;
use serde_json::{json, Value};
use std::time::Duration;

async fn json_of(r: Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// A detractor answer from customer `who`; returns the id of their case.
async fn detractor(app: &TestApp, who: &str, score: u8, comment: &str) -> i64 {
    let r = app
        .answer(json!({"survey": "rel", "score": score, "comment": comment,
            "customer": {"external_id": who, "name": format!("Customer {who}"), "email": format!("{who}@example.com")}}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let page = json_of(
        app.get(&format!("/api/v1/cases?customer={who}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    page["cases"][0]["id"].as_i64().unwrap()
}

async fn patch(app: &TestApp, path: &str, body: Value) -> Response {
    app.http
        .patch(app.url(path))
        .bearer_auth(&app.key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn put(app: &TestApp, path: &str, body: Value) -> Response {
    app.http
        .put(app.url(path))
        .bearer_auth(&app.key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, path: &str) -> Response {
    app.http
        .delete(app.url(path))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
}

/// A second workspace with its own key: its ids must not reach the first one's data.
async fn other_key(app: &TestApp) -> String {
    let ws = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    app.store.api_keys().create(ws.id, "other").await.unwrap().1
}

#[tokio::test]
async fn cases_api_lists_filters_and_moves_a_case_along() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let id = detractor(&app, "C1", 2, "Late delivery").await;
    detractor(&app, "C2", 6, "Okay-ish").await;

    let page = json_of(app.get("/api/v1/cases?priority=high").send().await.unwrap()).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["cases"][0]["comment"], "Late delivery");
    assert_eq!(page["cases"][0]["customer_external_id"], "C1");
    assert_eq!(page["cases"][0]["status"], "open");
    let page = json_of(
        app.get("/api/v1/cases?status=open,contacted&limit=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["cases"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    for (query, words) in [
        (
            "status=pending",
            "status must be open, contacted, resolved or closed",
        ),
        ("priority=urgent", "priority must be critical"),
        ("overdue=yes", "overdue must be true or false"),
        ("limit=0", "limit must be a whole number from 1 to 500"),
        ("offset=-1", "offset must be a whole number"),
    ] {
        let r = app
            .get(&format!("/api/v1/cases?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{query}");
        assert!(problem(r).await.contains(words), "{query}");
    }

    let detail = json_of(
        app.get(&format!("/api/v1/cases/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(detail["steps"].as_array().unwrap().len(), 9);
    assert_eq!(detail["answers"][0]["role"], "trigger");

    // Refused changes name the problem and change nothing.
    let path = format!("/api/v1/cases/{id}");
    for (body, status, words) in [
        (
            json!({"status": "closed"}),
            422,
            "cannot go from open to closed",
        ),
        (
            json!({"status": "done"}),
            422,
            "status must be open, contacted, resolved or closed",
        ),
        (json!({"status": "resolved"}), 422, "needs an outcome"),
        (
            json!({"status": "resolved", "outcome": "happy"}),
            422,
            "outcome must be recovered",
        ),
        (json!({}), 422, "nothing to change"),
        (
            json!({"steps": [{"position": 42, "done": true}]}),
            422,
            "no step at position 42",
        ),
        (json!({"colour": "red"}), 422, "unknown field"),
    ] {
        let r = patch(&app, &path, body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
        let msg = problem(r).await;
        assert!(msg.contains(words), "{body}: {msg}");
    }
    let unchanged = json_of(app.get(&path).send().await.unwrap()).await;
    assert_eq!(unchanged["status"], "open");

    let contacted = json_of(
        patch(
            &app,
            &path,
            json!({"status": "contacted", "compensation": "Free shipping",
            "steps": [{"position": 0, "done": true}]}),
        )
        .await,
    )
    .await;
    assert_eq!(contacted["status"], "contacted");
    assert!(contacted["first_contact_at"].is_string());
    assert_eq!(contacted["steps"][0]["done_by"], "API key test");
    let resolved = json_of(
        patch(
            &app,
            &path,
            json!({"status": "resolved", "outcome": "recovered"}),
        )
        .await,
    )
    .await;
    assert_eq!(resolved["outcome"], "recovered");
    let closed = json_of(patch(&app, &path, json!({"status": "closed"})).await).await;
    assert_eq!(closed["status"], "closed");
    let r = patch(&app, &path, json!({"assignee": "x@example.com"})).await;
    assert_eq!(r.status(), 409);
    assert!(problem(r).await.contains("closed"));

    let r = app
        .post(&format!("/api/v1/cases/{id}/notes"))
        .json(&json!({"body": "Customer happy again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let note: Value = r.json().await.unwrap();
    assert_eq!(
        (note["author"].as_str(), note["body"].as_str()),
        (Some("API key test"), Some("Customer happy again"))
    );
    let r = app
        .post(&format!("/api/v1/cases/{id}/notes"))
        .json(&json!({"body": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Another workspace's key sees none of it.
    let key = other_key(&app).await;
    for r in [
        app.http
            .get(app.url(&path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
        app.http
            .patch(app.url(&path))
            .bearer_auth(&key)
            .json(&json!({"status": "open"}))
            .send()
            .await
            .unwrap(),
        app.http
            .post(app.url(&format!("{path}/notes")))
            .bearer_auth(&key)
            .json(&json!({"body": "hi"}))
            .send()
            .await
            .unwrap(),
        app.get("/api/v1/cases/abc").send().await.unwrap(),
    ] {
        assert_eq!(r.status(), 404);
    }
    let theirs = json_of(
        app.http
            .get(app.url("/api/v1/cases"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(theirs["total"], 0);
    let r = app.http.get(app.url("/api/v1/cases")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn settings_playbooks_and_routing_rules_over_the_api() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let defaults = json_of(app.get("/api/v1/settings").send().await.unwrap()).await;
    assert_eq!(defaults["default_queue"], "Customer care");
    for (body, words) in [
        (
            json!({"manager_email": "boss@"}),
            "manager_email must be an email address",
        ),
        (
            json!({"slack_webhook_url": "ftp://x.example.com"}),
            "slack_webhook_url must be an http",
        ),
        (
            json!({"review_links": [{"name": "G", "url": "not a url"}]}),
            "review_links[0].url",
        ),
        (
            json!({"sla_hours": {"critical": 0, "high": 24, "medium": 48, "normal": 72}}),
            "sla_hours.critical",
        ),
        (json!({"unknown": 1}), "unknown field"),
    ] {
        let r = patch(&app, "/api/v1/settings", body.clone()).await;
        assert_eq!(r.status(), 422, "{body}");
        let msg = problem(r).await;
        assert!(msg.contains(words), "{body}: {msg}");
    }
    let saved = json_of(patch(&app, "/api/v1/settings", json!({"manager_email": "boss@example.com", "default_queue": "Care", "sender_name": ""})).await).await;
    assert_eq!(
        (
            saved["manager_email"].as_str(),
            saved["sender_name"].as_null()
        ),
        (Some("boss@example.com"), Some(()))
    );
    assert_eq!(
        json_of(app.get("/api/v1/settings").send().await.unwrap()).await["default_queue"],
        "Care"
    );

    let all = json_of(app.get("/api/v1/playbooks").send().await.unwrap()).await;
    assert_eq!(all.as_array().unwrap().len(), 11);
    assert_eq!(all[0]["priority"], "critical");
    let r = put(
        &app,
        "/api/v1/playbooks/4",
        json!({"steps": ["Call", "Fix"], "priority": "critical", "language": "nb"}),
    )
    .await;
    let p = json_of(r).await;
    assert_eq!(
        (p["customized"].as_bool(), p["language"].as_str()),
        (Some(true), Some("nb"))
    );
    let nb = json_of(
        app.get("/api/v1/playbooks?language=nb")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(nb[4]["steps"], json!(["Call", "Fix"]));
    assert_eq!(
        json_of(app.get("/api/v1/playbooks").send().await.unwrap()).await[4]["customized"],
        false
    );
    for (path, body, status, words) in [
        (
            "/api/v1/playbooks/4",
            json!({"steps": ["a"], "priority": null, "language": null}),
            422,
            "needs a priority",
        ),
        (
            "/api/v1/playbooks/9",
            json!({"steps": ["a"], "priority": "high", "language": null}),
            422,
            "must not have a priority",
        ),
        (
            "/api/v1/playbooks/4",
            json!({"steps": [], "priority": "high", "language": null}),
            422,
            "1 to 30 steps",
        ),
        (
            "/api/v1/playbooks/4",
            json!({"steps": ["a"], "priority": "urgent", "language": null}),
            422,
            "priority must be",
        ),
        (
            "/api/v1/playbooks/4",
            json!({"steps": ["a"], "priority": "high", "language": "??"}),
            422,
            "language",
        ),
        (
            "/api/v1/playbooks/11",
            json!({"steps": ["a"], "priority": null, "language": null}),
            404,
            "scores are whole numbers from 0 to 10",
        ),
    ] {
        let r = put(&app, path, body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
        assert!(problem(r).await.contains(words), "{body}");
    }
    let reset = json_of(delete(&app, "/api/v1/playbooks/4?language=nb").await).await;
    assert_eq!(reset["customized"], false);
    assert_eq!(reset["steps"].as_array().unwrap().len(), 9);

    // Routing rules: create, reorder by position, update, delete; other workspaces: 404.
    let r = app
        .post_json(
            "/api/v1/routing-rules",
            &json!({"attribute": "plan", "value": "business", "assignee": "biz@example.com"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let biz: Value = r.json().await.unwrap();
    let r = app
        .post_json(
            "/api/v1/routing-rules",
            &json!({"language": "nb", "assignee": "nb@example.com", "position": 1}),
        )
        .await;
    let nb_rule: Value = json_of(r).await;
    assert_eq!(nb_rule["position"], 1);
    let rules = json_of(app.get("/api/v1/routing-rules").send().await.unwrap()).await;
    assert_eq!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["assignee"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["nb@example.com", "biz@example.com"]
    );
    let r = app
        .post_json("/api/v1/routing-rules", &json!({"assignee": "x"}))
        .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("at least one condition"));
    let moved = json_of(put(&app, &format!("/api/v1/routing-rules/{}", biz["id"]), json!({"attribute": "plan", "value": "business", "touchpoint": null, "language": null, "assignee": "biz@example.com", "position": 1})).await).await;
    assert_eq!(moved["position"], 1);

    // The rule routes a real answer.
    let r = app.answer(json!({"survey": "rel", "score": 3, "customer": {"external_id": "B1", "attributes": {"plan": "business"}}})).await;
    assert_eq!(r.status(), 201);
    let page = json_of(
        app.get("/api/v1/cases?assignee=BIZ@example.com")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["total"], 1);

    let key = other_key(&app).await;
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/routing-rules/{}", biz["id"])))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = delete(&app, &format!("/api/v1/routing-rules/{}", nb_rule["id"])).await;
    assert_eq!(r.status(), 204);
    let r = delete(&app, &format!("/api/v1/routing-rules/{}", nb_rule["id"])).await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        json_of(app.get("/api/v1/routing-rules").send().await.unwrap())
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let doc = json_of(app.http.get(app.url("/openapi.json")).send().await.unwrap()).await;
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/notes",
        "/api/v1/settings",
        "/api/v1/playbooks/{score}",
        "/api/v1/routing-rules/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

/// The escalation worker, with a short tick, escalates an overdue case once and queues the
/// manager's email; on PostgreSQL too when it is available.
#[tokio::test]
async fn the_escalation_worker_alerts_the_manager_once() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", None).await;
        let r = patch(
            &app,
            "/api/v1/settings",
            json!({"manager_email": "boss@example.com"}),
        )
        .await;
        assert_eq!(r.status(), 200);
        let long_ago = (chrono::Utc::now() - chrono::Duration::hours(30)).to_rfc3339();
        let r = app
            .answer(json!({"survey": "rel", "score": 0, "answered_at": long_ago,
            "customer": {"external_id": "L1", "name": "Late"}}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let workers: Vec<_> = (0..2)
            .map(|_| {
                advocate_server::worker::escalation::spawn_every(
                    app.store.clone(),
                    Duration::from_millis(20),
                )
            })
            .collect();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let case = loop {
            let page = json_of(app.get("/api/v1/cases?customer=L1").send().await.unwrap()).await;
            if page["cases"][0]["escalated_at"].is_string() {
                break page["cases"][0].clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not escalated in time"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(case["overdue"], true);
        // Let both workers tick a few more times: still one escalation email.
        for _ in 0..5 {
            advocate_server::worker::escalation::run_once(&app.store).await;
        }
        let emails = app
            .store
            .outbox()
            .messages(
                app.workspace_id,
                advocate_store::delivery::outbox::OutboxStatus::Pending,
                false,
                100,
                None,
            )
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.event == "case.overdue")
            .collect::<Vec<_>>();
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].target, "boss@example.com");
        for w in workers {
            w.abort();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Pages

async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn form(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Response {
    let token = app.csrf(cookie).await;
    app.http
        .post(app.url(path))
        .header(COOKIE, cookie)
        .header("x-csrf-token", token)
        .form(fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_inbox_and_case_page_work_a_case_from_open_to_resolved() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let mine = detractor(&app, "M1", 1, "<script>alert(1)</script> never again").await;
    let theirs = detractor(&app, "T1", 5, "meh").await;
    patch(
        &app,
        &format!("/api/v1/cases/{mine}"),
        json!({"assignee": ADMIN_EMAIL}),
    )
    .await;

    let r = app.http.get(app.url("/cases")).send().await.unwrap();
    assert_eq!(r.status(), 303, "behind the sign-in wall");
    let cookie = app.sign_in().await;
    let (status, html) = page(&app, &cookie, "/cases").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("/cases/{mine}\"")), "mine is listed");
    assert!(
        !html.contains(&format!("/cases/{theirs}\"")),
        "Mine shows only mine"
    );
    assert!(
        html.contains("&#60;script&#62;") && !html.contains("<script>alert"),
        "escaped"
    );
    let (_, html) = page(&app, &cookie, "/cases?view=all").await;
    assert!(html.contains(&format!("/cases/{theirs}\"")) && html.contains("/customers/T1"));
    let (_, html) = page(&app, &cookie, "/cases?view=overdue").await;
    assert!(html.contains("No cases here."));

    let path = format!("/cases/{mine}");
    let (status, html) = page(&app, &cookie, &path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Contact the customer personally at once") && html.contains("/customers/M1")
    );
    assert!(page(&app, &cookie, "/cases/999999").await.0 == 404);

    // Tick a step, add a note, contact, then a refused resolve (no outcome), then resolve.
    let r = form(
        &app,
        &cookie,
        &format!("{path}/steps"),
        &[("position", "0"), ("done", "1")],
    )
    .await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, path.clone()));
    let r = form(
        &app,
        &cookie,
        &format!("{path}/notes"),
        &[("body", "Called, left a message")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = form(
        &app,
        &cookie,
        &path,
        &[
            ("status", "contacted"),
            ("outcome", ""),
            ("compensation", ""),
            ("assignee", ADMIN_EMAIL),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = form(
        &app,
        &cookie,
        &path,
        &[
            ("status", "resolved"),
            ("outcome", ""),
            ("compensation", "A voucher"),
            ("assignee", ADMIN_EMAIL),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("needs an outcome"));
    let r = form(
        &app,
        &cookie,
        &path,
        &[
            ("status", "resolved"),
            ("outcome", "recovered"),
            ("compensation", "A voucher"),
            ("assignee", ADMIN_EMAIL),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let detail = json_of(
        app.get(&format!("/api/v1/cases/{mine}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            detail["status"].as_str(),
            detail["outcome"].as_str(),
            detail["compensation"].as_str()
        ),
        (Some("resolved"), Some("recovered"), Some("A voucher"))
    );
    assert_eq!(detail["steps"][0]["done_by"], ADMIN_EMAIL);
    assert!(detail["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["body"] == "Called, left a message" && n["author"] == ADMIN_EMAIL));

    // A form from another site is refused and changes nothing.
    let r = app
        .http
        .post(app.url(&format!("{path}/notes")))
        .header(COOKIE, &cookie)
        .header(ORIGIN, "https://evil.example")
        .form(&[("body", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let detail = json_of(
        app.get(&format!("/api/v1/cases/{mine}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!detail["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["body"] == "x"));
}

#[tokio::test]
async fn the_settings_page_saves_settings_playbooks_and_rules() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in().await;
    let (status, html) = page(&app, &cookie, "/settings").await;
    assert_eq!(status, 200);
    assert!(html.contains("Score 10") && html.contains("Customer care"));

    let fields = |manager: &'static str| {
        vec![
            ("manager_email", manager),
            ("default_queue", "Care team"),
            ("currency", "NOK"),
            ("sla_critical", "2"),
            ("sla_high", "24"),
            ("sla_medium", "48"),
            ("sla_normal", "72"),
            ("resurvey_after_resolution", "1"),
            ("review_links", "Google | https://g.example.com/review"),
            ("quiet_period_days", "60"),
            ("reminder_after_days", ""),
            ("invitation_valid_days", "30"),
            ("brand_color", "#0b5394"),
            ("logo_url", ""),
            ("sms_sender", "Telenord"),
        ]
    };
    let r = form(&app, &cookie, "/settings", &fields("not-an-email")).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("manager_email must be an email address") && html.contains("not-an-email"),
        "shows the input again"
    );
    assert_eq!(
        app.store
            .settings()
            .get(app.workspace_id)
            .await
            .unwrap()
            .default_queue,
        "Customer care",
        "nothing saved"
    );
    // The Slack URL goes only to public addresses, as through the API.
    let mut slack = fields("boss@example.com");
    slack.push(("slack_webhook_url", "http://169.254.169.254/latest"));
    let r = form(&app, &cookie, "/settings", &slack).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("slack_webhook_url points to a link-local address (169.254.0.0/16)"),
        "{html}"
    );
    let s = app.store.settings().get(app.workspace_id).await.unwrap();
    assert_eq!(
        (s.slack_webhook_url, s.default_queue.as_str()),
        (None, "Customer care")
    );
    let r = form(&app, &cookie, "/settings", &fields("boss@example.com")).await;
    assert_eq!(r.status(), 303);
    let s = app.store.settings().get(app.workspace_id).await.unwrap();
    assert_eq!(
        (
            s.manager_email.as_deref(),
            s.sla_hours.critical,
            s.resurvey_after_resolution,
            s.review_links.len()
        ),
        (Some("boss@example.com"), 2, true, 1)
    );
    assert_eq!(
        (
            s.quiet_period_days,
            s.reminder_after_days,
            s.sms_sender.as_deref()
        ),
        (60, None, Some("Telenord")),
        "the invitation settings are saved too"
    );

    let r = form(
        &app,
        &cookie,
        "/settings/playbooks/3?language=nb",
        &[
            ("steps", "Ring kunden\n\n  Beklag  \n"),
            ("priority", "high"),
        ],
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (
            303,
            "/settings?language=nb&saved=playbook-3#playbook-3".to_owned()
        )
    );
    let nb = app
        .store
        .settings()
        .playbooks(
            app.workspace_id,
            Some(&advocate_core::Language::new("nb").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(nb[3].steps, ["Ring kunden", "Beklag"]);
    let r = form(
        &app,
        &cookie,
        "/settings/playbooks/3",
        &[("steps", "   "), ("priority", "high")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Playbook for score 3: a playbook has 1 to 30 steps"));
    let r = form(
        &app,
        &cookie,
        "/settings/playbooks/3/reset?language=nb",
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        !app.store
            .settings()
            .playbooks(
                app.workspace_id,
                Some(&advocate_core::Language::new("nb").unwrap())
            )
            .await
            .unwrap()[3]
            .customized
    );

    for (assignee, touchpoint) in [("a@example.com", "support"), ("b@example.com", "delivery")] {
        let r = form(
            &app,
            &cookie,
            "/settings/routing-rules",
            &[("touchpoint", touchpoint), ("assignee", assignee)],
        )
        .await;
        assert_eq!(r.status(), 303);
    }
    let r = form(
        &app,
        &cookie,
        "/settings/routing-rules",
        &[("assignee", "c@example.com")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("at least one condition"));
    let rules = app
        .store
        .settings()
        .routing_rules(app.workspace_id)
        .await
        .unwrap();
    let r = form(
        &app,
        &cookie,
        &format!("/settings/routing-rules/{}/move", rules[1].id),
        &[("direction", "up")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let order: Vec<String> = app
        .store
        .settings()
        .routing_rules(app.workspace_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.assignee)
        .collect();
    assert_eq!(order, ["b@example.com", "a@example.com"]);
    let r = form(
        &app,
        &cookie,
        &format!("/settings/routing-rules/{}/delete", rules[0].id),
        &[],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.store
            .settings()
            .routing_rules(app.workspace_id)
            .await
            .unwrap()
            .len(),
        1
    );
    let (_, html) = page(&app, &cookie, "/settings").await;
    assert!(html.contains("touchpoint = delivery") && !html.contains("touchpoint = support"));
}

#[tokio::test]
async fn the_dashboard_shows_closed_loop_health() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let id = detractor(&app, "H1", 2, "bad").await;
    detractor(&app, "H2", 3, "bad too").await;
    patch(
        &app,
        &format!("/api/v1/cases/{id}"),
        json!({"status": "resolved", "outcome": "recovered"}),
    )
    .await;
    let cookie = app.sign_in().await;
    let (status, html) = page(&app, &cookie, "/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains("Closed loop"), "{html}");
    assert!(
        html.contains("<dt>Open cases</dt><dd>1</dd>"),
        "one case still open"
    );
    assert!(html.contains("100 % (1 of 1)"), "recovery rate");
    assert!(
        html.contains("Recovery rate")
            && html.contains("resolved as recovered, of those resolved with an outcome")
    );
}

/// Settings: which promoter engagements cannot go out and why, and what anonymous
/// detractors set off (page and API); the dashboard flags anonymous detractors for review.
#[tokio::test]
async fn inactive_engagements_and_anonymous_detractors_on_the_settings_page_and_dashboard() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let cookie = app.sign_in().await;
    let (status, html) = page(&app, &cookie, "/settings").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Review request — inactive: no review site link set"),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="review" selected>"#),
        "{html}"
    );
    let api = json_of(app.get("/api/v1/settings").send().await.unwrap()).await;
    assert_eq!(api["anonymous_detractors"], "review");

    // An anonymous detractor with a comment: no case, flagged in the comment stream.
    let r = app
        .answer(json!({"survey": "rel", "score": 1, "comment": "Queue of forty minutes"}))
        .await;
    assert_eq!(r.status(), 201);
    let cases = json_of(app.get("/api/v1/cases").send().await.unwrap()).await;
    assert_eq!(cases["total"], 0);
    let (status, html) = page(&app, &cookie, "/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains("Queue of forty minutes"), "{html}");
    assert!(
        html.contains("anonymous — learn, can't contact</strong>"),
        "{html}"
    );
    assert!(
        html.contains("<dt>Anonymous — learn, can't contact</dt><dd>1</dd>"),
        "{html}"
    );

    let fields = |anonymous: &'static str| {
        vec![
            ("default_queue", "Customer care"),
            ("currency", "EUR"),
            ("sla_critical", "4"),
            ("sla_high", "24"),
            ("sla_medium", "48"),
            ("sla_normal", "72"),
            ("review_links", "Google | https://g.example.com/review"),
            ("quiet_period_days", "90"),
            ("reminder_after_days", "3"),
            ("invitation_valid_days", "30"),
            ("brand_color", "#0b5394"),
            ("anonymous_detractors", anonymous),
        ]
    };
    let r = form(&app, &cookie, "/settings", &fields("sometimes")).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Anonymous detractors must be") && html.contains("sometimes"),
        "{html}"
    );
    let saved = app.store.settings().get(app.workspace_id).await.unwrap();
    assert!(saved.review_links.is_empty(), "nothing saved");

    let r = form(&app, &cookie, "/settings", &fields("case")).await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &cookie, "/settings").await;
    assert!(!html.contains("inactive:"), "a review link is set: {html}");
    assert!(html.contains(r#"<option value="case" selected>"#), "{html}");
    let api = json_of(app.get("/api/v1/settings").send().await.unwrap()).await;
    assert_eq!(api["anonymous_detractors"], "case");
    let r = app.answer(json!({"survey": "rel", "score": 2})).await;
    assert_eq!(r.status(), 201);
    let cases = json_of(app.get("/api/v1/cases").send().await.unwrap()).await;
    assert_eq!(
        cases["total"], 1,
        "the workspace opens cases for anonymous detractors"
    );
}
