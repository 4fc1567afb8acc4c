//! Alerts on CSAT and eNPS answers, and the overdue alert in Microsoft Teams, from the
//! outside with real HTTP receivers: a subscription watches one kind of survey (CSAT on
//! its 1–5 scale); eNPS answers are only gathered, leave once there are at least the
//! workspace's minimum group size of them and name nobody; bad subscriptions are refused
//! naming the field, with nothing stored; the account page picks a survey.

use crate::alerts::{account_page, alert_messages, answer, config, subscribe, user_id, Receivers};
use crate::common::peers::eventually;
use crate::common::{csrf_of, problem, TestApp, ADMIN_EMAIL};
use advocate_server::worker;
use advocate_store::testing::TestDb;
use chrono::{Duration as Minutes, Utc};
use serde_json::{json, Value};

async fn survey_of_kind(app: &TestApp, slug: &str, kind: &str) -> i64 {
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": slug, "name": format!("{slug} survey"), "kind": kind}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn subscriptions(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/alert-subscriptions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn csat_and_enps_alerts(db: TestDb) {
    let app = TestApp::spawn_allowing_receivers(db).await;
    let rel = survey_of_kind(&app, "rel", "nps").await;
    let sat = survey_of_kind(&app, "sat", "csat").await;
    let team = survey_of_kind(&app, "team", "enps").await;
    let receivers = Receivers::default();
    let base = receivers.start().await;
    let admin = user_id(&app, ADMIN_EMAIL).await;

    // Refused, naming the field; nothing stored.
    for (body, expected) in [
        (
            json!({"survey_kind": "csat", "channel": "email", "min_score": 0}),
            "min_score must be between 1 and 5 for a csat survey",
        ),
        (
            json!({"survey_kind": "csat", "channel": "email", "max_score": 9}),
            "max_score must be between 1 and 5",
        ),
        (
            json!({"survey_kind": "enps", "channel": "email"}),
            "batch_minutes must be between 5 and 1440 for eNPS",
        ),
        (
            json!({"survey_kind": "csat", "channel": "email", "survey_id": rel}),
            "is a nps survey; this subscription watches csat answers",
        ),
        (
            json!({"survey_kind": "ces", "channel": "email"}),
            "survey_kind",
        ),
    ] {
        let mut body = body;
        body["user_id"] = json!(admin);
        let r = app.post_json("/api/v1/alert-subscriptions", &body).await;
        assert_eq!(r.status(), 422, "{body}");
        let detail = problem(r).await;
        assert!(detail.contains(expected), "{body}: {detail}");
    }
    assert!(subscriptions(&app).await.is_empty());

    let csat = subscribe(
        &app,
        json!({"user_id": admin, "survey_kind": "csat", "channel": "webhook",
               "target": format!("{base}/csat"), "max_score": 2}),
    )
    .await;
    assert_eq!(
        (&csat["survey_kind"], &csat["min_score"], &csat["max_score"]),
        (&json!("csat"), &json!(1), &json!(2)),
        "the low end defaults to CSAT's 1"
    );
    let teams = subscribe(
        &app,
        json!({"user_id": admin, "survey_kind": "csat", "survey_id": sat, "channel": "teams",
               "target": format!("{base}/teams"), "max_score": 2}),
    )
    .await;
    assert_eq!(teams["survey_id"], sat);
    let enps = subscribe(
        &app,
        json!({"user_id": admin, "survey_kind": "enps", "channel": "webhook",
               "target": format!("{base}/enps"), "batch_minutes": 5}),
    )
    .await;
    let enps_id = enps["id"].as_i64().unwrap();

    let workers = worker::start(app.store.clone(), config(None));
    answer(
        &app,
        json!({"survey": "sat", "score": 2, "comment": "Late again",
               "customer": {"external_id": "K1", "name": "Kari"}}),
    )
    .await;
    // Not matching: a satisfied CSAT answer; an NPS 2 (another kind).
    answer(
        &app,
        json!({"survey": "sat", "score": 5, "customer": {"external_id": "K2", "name": "Kim"}}),
    )
    .await;
    answer(
        &app,
        json!({"survey": "rel", "score": 2, "customer": {"external_id": "K3", "name": "Kai"}}),
    )
    .await;
    let hook = eventually("the CSAT webhook", || async {
        receivers.at("csat").first().cloned()
    })
    .await;
    let told = &hook["data"]["answers"];
    assert_eq!(told.as_array().unwrap().len(), 1, "{hook}");
    assert_eq!(
        (&told[0]["kind"], &told[0]["score"], &told[0]["customer"]),
        (&json!("csat"), &json!(2), &json!("K1"))
    );
    let card = eventually("the CSAT Teams card", || async {
        receivers.at("teams").first().cloned()
    })
    .await;
    let title = card["attachments"][0]["content"]["body"][0]["text"]
        .as_str()
        .unwrap();
    assert!(title.contains("Kari answered 2/5 (CSAT)"), "{title}");

    // eNPS: gathered; four answers are fewer than the minimum group size (5), so even
    // when due the batch waits, whole.
    let employee = |n: u32, score: u32| {
        json!({"survey": "team", "score": score, "comment": format!("note {n}"),
               "customer": {"external_id": format!("emp-{n}"), "name": format!("Employee {n}"),
                            "attributes": {"department": "ops"}}})
    };
    for (n, score) in [(1, 9), (2, 3), (3, 7), (4, 0)] {
        answer(&app, employee(n, score)).await;
    }
    let alerts = app.store.alerts();
    assert_eq!(alerts.waiting(enps_id).await.unwrap(), 4);
    let due = Utc::now() + Minutes::minutes(6);
    assert_eq!(alerts.flush_batches(due).await.unwrap(), 0);
    assert_eq!(
        alerts.waiting(enps_id).await.unwrap(),
        4,
        "kept, not dropped"
    );
    answer(&app, employee(5, 10)).await;
    let due = Utc::now() + Minutes::minutes(6);
    assert_eq!(alerts.flush_batches(due).await.unwrap(), 1);
    assert_eq!(alerts.waiting(enps_id).await.unwrap(), 0);
    let hook = eventually("the eNPS webhook", || async {
        receivers.at("enps").first().cloned()
    })
    .await;
    let told = hook["data"]["answers"].as_array().unwrap().clone();
    let scores: Vec<i64> = told.iter().map(|a| a["score"].as_i64().unwrap()).collect();
    assert_eq!(scores, vec![0, 3, 7, 9, 10], "by score, not by time");
    for a in &told {
        let mut fields: Vec<&String> = a.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(
            fields,
            vec!["comment", "kind", "score", "survey_id", "url"],
            "nothing that names or times the employee: {a}"
        );
        assert!(a["url"].as_str().unwrap().ends_with("/dashboard"), "{a}");
    }
    let everything = serde_json::to_string(&alert_messages(&app).await).unwrap();
    assert!(
        !everything.contains("emp-") && !everything.contains("Employee"),
        "no eNPS alert names anyone: {everything}"
    );
    workers.shutdown().await;
    assert_eq!(receivers.at("csat").len(), 1);
    assert_eq!(receivers.at("enps").len(), 1);
    let _ = team;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csat_and_enps_answers_reach_their_subscribers_and_enps_names_nobody_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        csat_and_enps_alerts(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_cannot_subscribe_to_enps_and_a_changed_kind_is_checked() {
    let app = TestApp::spawn().await;
    survey_of_kind(&app, "rel", "nps").await;
    let agent = app
        .store
        .users()
        .create_member(
            app.workspace_id,
            "agent@example.com",
            &advocate_server::auth::hash_password("agent password 1"),
            advocate_core::Role::Agent,
        )
        .await
        .unwrap()
        .id;
    let r = app
        .post_json(
            "/api/v1/alert-subscriptions",
            &json!({"user_id": agent, "survey_kind": "enps", "channel": "email",
                    "batch_minutes": 60}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let detail = problem(r).await;
    assert!(detail.contains("eNPS answers are anonymous"), "{detail}");

    let admin = user_id(&app, ADMIN_EMAIL).await;
    let nps = subscribe(
        &app,
        json!({"user_id": admin, "channel": "email", "max_score": 6}),
    )
    .await;
    let id = nps["id"].as_i64().unwrap();
    let patch = |body: Value| {
        let app = &app;
        async move {
            app.http
                .patch(app.url(&format!("/api/v1/alert-subscriptions/{id}")))
                .bearer_auth(&app.key)
                .header("content-type", "application/merge-patch+json")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // To CSAT keeping 0–6: refused, unchanged.
    let r = patch(json!({"survey_kind": "csat"})).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r)
        .await
        .contains("min_score must be between 1 and 5"));
    assert_eq!(subscriptions(&app).await[0]["survey_kind"], "nps");
    let r = patch(json!({"survey_kind": "csat", "min_score": null, "max_score": 2})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let now = &subscriptions(&app).await[0];
    assert_eq!(
        (&now["survey_kind"], &now["min_score"], &now["max_score"]),
        (&json!("csat"), &json!(1), &json!(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overdue_alert_goes_to_teams_as_an_adaptive_card() {
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
    answer(
        &app,
        json!({"survey": "rel", "score": 2, "comment": "*Nobody* called",
               "customer": {"external_id": "O1", "name": "Olav"}}),
    )
    .await;
    let escalated = app
        .store
        .cases()
        .escalate_overdue(Utc::now() + Minutes::days(30))
        .await
        .unwrap();
    assert_eq!(escalated, 1);
    let workers = worker::start(app.store.clone(), config(None));
    let card = eventually("the overdue Teams card", || async {
        receivers.at("teams").into_iter().find(|m| {
            m["attachments"][0]["content"]["body"][0]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Overdue"))
        })
    })
    .await;
    let content = &card["attachments"][0]["content"];
    assert_eq!(content["type"], "AdaptiveCard");
    assert_eq!(content["body"][1]["text"], "\\*Nobody\\* called");
    assert!(content["body"][2]["text"]
        .as_str()
        .unwrap()
        .contains("Olav"));
    assert_eq!(content["actions"][0]["type"], "Action.OpenUrl");
    assert!(content["actions"][0]["url"]
        .as_str()
        .unwrap()
        .contains("/cases/"));
    eventually("the overdue Slack line too", || async {
        receivers
            .at("slack")
            .into_iter()
            .find(|m| m["text"].as_str().is_some_and(|t| t.contains("Overdue")))
    })
    .await;
    workers.shutdown().await;
    let overdue = receivers
        .at("teams")
        .iter()
        .filter(|m| m.to_string().contains("Overdue"))
        .count();
    assert_eq!(overdue, 1, "escalated once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_picks_a_survey_for_an_alert() {
    let app = TestApp::spawn().await;
    let sat = survey_of_kind(&app, "sat", "csat").await;
    let team = survey_of_kind(&app, "team", "enps").await;
    let cookie = app.sign_in().await;
    let page = account_page(&app, &cookie).await;
    assert!(
        page.contains(r#"<select id="alert-survey" name="survey">"#),
        "{page}"
    );
    for option in [
        r#"<option value="nps">Every customer NPS survey</option>"#.to_owned(),
        format!(r#"<option value="{sat}">sat survey (CSAT)</option>"#),
        format!(r#"<option value="{team}">team survey (eNPS)</option>"#),
    ] {
        assert!(page.contains(&option), "{option} in {page}");
    }
    let csrf = csrf_of(&page);
    let post = |form: Vec<(&'static str, String)>| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            let mut form = form;
            form.push(("csrf", csrf));
            app.http
                .post(app.url("/account/alerts"))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // Refused, saying why, nothing stored: a survey of another workspace (or none), an
    // at-once eNPS alert, a CSAT range off its scale.
    for (form, why) in [
        (
            vec![("survey", "999999".to_owned()), ("channel", "email".into())],
            "survey must be one of this workspace",
        ),
        (
            vec![
                ("survey", team.to_string()),
                ("channel", "email".into()),
                ("batch_minutes", "0".into()),
            ],
            "for eNPS",
        ),
        (
            vec![
                ("survey", sat.to_string()),
                ("channel", "email".into()),
                ("min_score", "0".into()),
            ],
            "between 1 and 5 for a csat survey",
        ),
    ] {
        let r = post(form).await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains(why), "{why} in {page}");
    }
    assert!(subscriptions(&app).await.is_empty());

    let r = post(vec![
        ("survey", sat.to_string()),
        ("channel", "email".into()),
        ("min_score", "".into()),
        ("max_score", "2".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let saved = subscriptions(&app).await;
    assert_eq!(
        (
            &saved[0]["survey_kind"],
            &saved[0]["survey_id"],
            &saved[0]["min_score"]
        ),
        (&json!("csat"), &json!(sat), &json!(1))
    );
    let page = account_page(&app, &cookie).await;
    assert!(page.contains("<td>sat survey (CSAT)</td>"), "{page}");
}
