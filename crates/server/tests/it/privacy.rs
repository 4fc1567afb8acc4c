//! GDPR over HTTP: export and erase one person through the API and the customer page
//! (reports unchanged, unknown and other workspaces' people are 404s, forms refuse other
//! sites and need the typed confirmation), retention settings, and eNPS breakdowns.

use crate::common::{problem, TestApp};
use advocate_store::testing::TestDb;
use reqwest::header::{CONTENT_DISPOSITION, COOKIE, LOCATION, ORIGIN};
use serde_json::{json, Value};

async fn kari_answers(app: &TestApp) {
    app.survey("rel", None).await;
    let kari = json!({"external_id": "C1", "name": "Kari Nordmann", "email": "kari@example.com",
                      "attributes": {"plan": "premium"}});
    for (score, comment) in [(2, "No signal at home"), (10, "Fixed, thanks")] {
        let r = app
            .answer(json!({"survey": "rel", "score": score, "comment": comment, "customer": kari}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let r = app
        .answer(json!({"survey": "rel", "score": 7, "customer": {"external_id": "C2", "attributes": {"plan": "basic"}}}))
        .await;
    assert_eq!(r.status(), 201);
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// The figures of every breakdown the API offers.
async fn reports(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for g in [
        "",
        "&group_by=month",
        "&group_by=channel",
        "&group_by=segment:plan",
    ] {
        out.push(json_of(app, &format!("/api/v1/nps?survey=rel{g}")).await);
    }
    out
}

async fn delete(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .delete(app.url(path))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_api_exports_and_erases_one_person() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        kari_answers(&app).await;

        let r = app.get("/api/v1/customers/C1/export").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let disposition = r.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment;") && disposition.contains("C1"),
            "{disposition}"
        );
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["customer"]["email"], "kari@example.com");
        assert_eq!(doc["answers"].as_array().unwrap().len(), 2);
        assert_eq!(doc["cases"].as_array().unwrap().len(), 1);

        let before = reports(&app).await;
        let r = delete(&app, "/api/v1/customers/C1").await;
        assert_eq!(r.status(), 200);
        let done: Value = r.json().await.unwrap();
        assert_eq!(done["external_id"], "C1");
        assert_eq!(done["answers_anonymised"], 2);
        assert_eq!(done["cases_deleted"], 1);
        let mut after = reports(&app).await;
        // The change figures compare against "today"; the counts must match exactly.
        for r in before.iter().zip(after.iter_mut()) {
            assert_eq!(r.0, r.1);
        }

        // Gone: a second erasure, the export and the record are 404s.
        let r = delete(&app, "/api/v1/customers/C1").await;
        assert_eq!(r.status(), 404);
        assert!(problem(r).await.contains("C1"));
        assert_eq!(
            app.get("/api/v1/customers/C1/export")
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        assert_eq!(
            app.get("/api/v1/customers/C1")
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        // C2 is untouched.
        assert_eq!(
            app.get("/api/v1/customers/C2")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(app.count_answers().await, 3, "the answers stay, anonymous");
    }
}

#[tokio::test]
async fn unknown_and_other_workspaces_people_are_not_found() {
    let app = TestApp::spawn().await;
    kari_answers(&app).await;
    let other = app
        .store
        .workspaces()
        .create("other", "Other Inc.", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, other_key) = app
        .store
        .api_keys()
        .create(other.id, "other")
        .await
        .unwrap();
    let before = reports(&app).await;
    for path in ["/api/v1/customers/C1", "/api/v1/customers/C1/export"] {
        let r = if path.ends_with("export") {
            app.http
                .get(app.url(path))
                .bearer_auth(&other_key)
                .send()
                .await
                .unwrap()
        } else {
            app.http
                .delete(app.url(path))
                .bearer_auth(&other_key)
                .send()
                .await
                .unwrap()
        };
        assert_eq!(r.status(), 404, "{path} with another workspace's key");
    }
    assert_eq!(delete(&app, "/api/v1/customers/nobody").await.status(), 404);
    assert_eq!(delete(&app, "/api/v1/customers/%25").await.status(), 404);
    let r = app
        .http
        .delete(app.url("/api/v1/customers/C1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "an API key is needed");
    assert_eq!(reports(&app).await, before);
    assert_eq!(
        json_of(&app, "/api/v1/customers/C1/export").await["answers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn erase_form(app: &TestApp, cookie: &str, origin: &str, confirm: &str) -> reqwest::Response {
    let token = app.csrf(cookie).await;
    app.http
        .post(app.url("/customers/C1/erase"))
        .header(COOKIE, cookie)
        .header(ORIGIN, origin)
        .form(&[("confirm", confirm), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_customer_page_downloads_and_erases_with_confirmation() {
    let app = TestApp::spawn().await;
    kari_answers(&app).await;
    // Not signed in: nothing.
    let r = app
        .http
        .get(app.url("/customers/C1/export.json"))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200);
    let r = app
        .http
        .post(app.url("/customers/C1/erase"))
        .form(&[("confirm", "C1")])
        .send()
        .await
        .unwrap();
    assert!(r
        .headers()
        .get(LOCATION)
        .is_some_and(|l| l.to_str().unwrap().starts_with("/signin")));
    assert_eq!(
        app.get("/api/v1/customers/C1")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let cookie = app.sign_in().await;
    let html = page(&app, &cookie, "/customers/C1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Download this person&#39;s data")
            || html.contains("Download this person's data"),
        "{html}"
    );
    assert!(html.contains("href=\"/customers/C1/export.json\""));
    assert!(html.contains("action=\"/customers/C1/erase\"") && html.contains("Erase this person"));

    let r = page(&app, &cookie, "/customers/C1/export.json").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["customer"]["name"], "Kari Nordmann");

    // Another site, or a wrong confirmation: refused, nothing erased.
    assert_eq!(
        erase_form(&app, &cookie, "https://evil.example", "C1")
            .await
            .status(),
        403
    );
    assert_eq!(
        erase_form(&app, &cookie, &app.base, "c1").await.status(),
        422
    );
    assert_eq!(erase_form(&app, &cookie, &app.base, "").await.status(), 422);
    assert_eq!(
        app.get("/api/v1/customers/C1")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let r = erase_form(&app, &cookie, &app.base, "C1").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/customers");
    assert_eq!(
        app.get("/api/v1/customers/C1")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(page(&app, &cookie, "/customers/C1").await.status(), 404);
    assert_eq!(
        erase_form(&app, &cookie, &app.base, "C1").await.status(),
        404,
        "erased twice"
    );
}

#[tokio::test]
async fn retention_and_enps_settings_over_the_api() {
    let app = TestApp::spawn().await;
    let mut s = json_of(&app, "/api/v1/settings").await;
    assert_eq!(s["answer_retention_months"], Value::Null);
    assert_eq!(s["enps_min_group_size"], 5);
    s["answer_retention_months"] = json!(0);
    let r = app
        .http
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("answer_retention_months"));
    s["answer_retention_months"] = json!(24);
    let r = app
        .http
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app.post("/api/v1/privacy/retention").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(
        (
            done["retention_months"].as_u64(),
            done["answers_anonymised"].as_u64()
        ),
        (Some(24), Some(0))
    );
}

#[tokio::test]
async fn enps_breakdowns_hide_small_groups_over_the_api() {
    let app = TestApp::spawn().await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "pulse", "name": "Pulse", "kind": "enps"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for (i, dept) in ["sales", "sales", "sales", "sales", "sales", "sales", "ops"]
        .iter()
        .enumerate()
    {
        let who = json!({"external_id": format!("e{i}"), "attributes": {"dept": dept}});
        let r = app
            .answer(json!({"survey": "pulse", "score": 8, "customer": who}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = json_of(&app, "/api/v1/nps?survey=pulse&group_by=segment:dept").await;
    assert_eq!(r["n"], 7);
    let groups = r["groups"].as_array().unwrap();
    assert!(
        groups
            .iter()
            .all(|g| g["suppressed"] == true && g.get("n").is_none()),
        "{groups:?}"
    );
    let r = app
        .get("/api/v1/nps?survey=pulse&group_by=day")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // The answers are not linked to the employees.
    let doc = json_of(&app, "/api/v1/customers/e0/export").await;
    assert!(doc["answers"].as_array().unwrap().is_empty());
    // The dashboard shows the eNPS survey without failing (by week, groups hidden).
    let cookie = app.sign_in().await;
    let r = page(&app, &cookie, "/dashboard?survey=pulse&period=30d").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_enps_invitation_is_answered_once_and_not_linked() {
    let app = TestApp::spawn().await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "pulse", "name": "Pulse", "kind": "enps"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .post_json(
            "/api/v1/invitations",
            &json!({"survey": "pulse", "channel": "web", "customers": [{"external_id": "e9", "attributes": {"dept": "ops"}}]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    let url = body["invitations"][0]["url"].as_str().unwrap().to_owned();
    let path = &url[url.find("/i/").unwrap()..];

    let r = app
        .http
        .get(app.url(&format!("{path}/9")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        303,
        "the score is stored, then the follow-up page"
    );
    assert_eq!(app.count_answers().await, 1);
    // Clicking again (or opening the link) thanks them; nothing is stored or changed.
    for again in [format!("{path}/2"), path.to_owned()] {
        let r = app.http.get(app.url(&again)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{again}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<form"), "no survey form again: {html}");
    }
    assert_eq!(app.count_answers().await, 1);
    let r = json_of(&app, "/api/v1/nps?survey=pulse").await;
    assert_eq!(
        (r["suppressed"].as_bool(), r["fewer_than"].as_u64()),
        (Some(true), Some(5)),
        "{r}"
    );
    assert!(
        r.get("nps").is_none() && r.get("n").is_none(),
        "one answer is not shown: {r}"
    );
    let doc = json_of(&app, "/api/v1/customers/e9/export").await;
    assert!(doc["answers"].as_array().unwrap().is_empty());
    assert!(doc["invitations"][0]["answer_id"].is_null());
    assert!(doc["invitations"][0]["answered_at"].is_string());
}

/// An eNPS survey `slug` with `n` commented answers from `dept`, given today in Norwegian
/// by SMS, and a customer NPS answer with a plan (so "plan" is a segment attribute).
async fn enps_with_comments(app: &TestApp, slug: &str, dept: &str, n: usize) {
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": slug, "name": slug, "kind": "enps"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for i in 0..n {
        let who = json!({"external_id": format!("{slug}-{i}"), "attributes": {"dept": dept}});
        let r = app
            .answer(json!({"survey": slug, "score": 3 + i % 7, "customer": who,
                           "comment": format!("{slug} comment {i}"), "channel": "sms", "language": "nb"}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
}

#[tokio::test]
async fn enps_views_say_enps_show_no_cases_and_comments_by_month_only() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        kari_answers(&app).await;
        enps_with_comments(&app, "pulse", "sales", 6).await;
        enps_with_comments(&app, "tiny", "ops", 3).await;
        let cookie = app.sign_in().await;
        let today = chrono::Utc::now().date_naive();
        let (day, month) = (
            today.format("%Y-%m-%d").to_string(),
            today.format("%Y-%m").to_string(),
        );

        let r = page(&app, &cookie, "/dashboard?survey=pulse&period=30d").await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("<h1 class=\"page-title\">eNPS"), "{html}");
        assert!(
            html.contains("eNPS by touchpoint") && html.contains("eNPS by dept"),
            "not the customer plan: {html}"
        );
        assert!(
            !html.contains("id=\"h-loop\""),
            "no customer case card: {html}"
        );
        assert!(html.contains("pulse comment 5"), "{html}");
        assert!(html.contains(&format!("<time>{month}</time>")), "{html}");
        assert!(!html.contains(&day), "no exact date: {html}");
        let comments = &html[html.find("id=\"h-comments\"").unwrap()..];
        assert!(
            !comments.contains("sms") && !comments.contains("lang=\"nb\""),
            "no channel or language: {comments}"
        );
        assert!(
            html.contains("Groups of fewer than 5 answers are hidden"),
            "{html}"
        );

        // A group under the minimum size shows no comments.
        let html = page(&app, &cookie, "/dashboard?survey=tiny&period=30d")
            .await
            .text()
            .await
            .unwrap();
        assert!(!html.contains("tiny comment"), "{html}");
        assert!(
            html.contains("Comments are hidden: this group has fewer than 5 answers"),
            "{html}"
        );

        // The customer NPS dashboard keeps its case card, plan breakdown and full dates.
        let html = page(&app, &cookie, "/dashboard?period=30d")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("<h1 class=\"page-title\">NPS") && html.contains("id=\"h-loop\""),
            "{html}"
        );
        assert!(
            html.contains("NPS by plan") && html.contains(&format!("<time>{day}</time>")),
            "{html}"
        );

        // The API's answers export: eNPS answers by month, without channel or language.
        let r = app.get("/api/v1/exports/answers.csv").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let csv = r.text().await.unwrap();
        let enps_rows: Vec<&str> = csv.lines().filter(|l| l.contains(",enps,")).collect();
        assert_eq!(enps_rows.len(), 9, "{csv}");
        for row in &enps_rows {
            assert!(row.contains(&format!(",{month},")), "month only: {row}");
            assert!(
                !row.contains(&day) && !row.contains("sms") && !row.contains(",nb,"),
                "{row}"
            );
            // Its attributes would name a group the reports hide (3 answers from ops).
            assert!(!row.contains("dept"), "no attribute snapshot: {row}");
        }
        let nps_row = csv
            .lines()
            .find(|l| l.contains("No signal at home"))
            .unwrap();
        assert!(
            nps_row.contains(&day),
            "customer answers keep their time: {nps_row}"
        );
    }
}
