//! The customer record over HTTP: the timeline and follow-up API, and the signed-in
//! customer list and record pages.

use crate::common::{problem, TestApp};
use advocate_store::testing::TestDb;
use reqwest::header::{COOKIE, LOCATION, ORIGIN};
use serde_json::{json, Value};

/// A survey and a customer C1 (Kari) who answered 9 and then `score` with `comment`.
async fn customer_with_answers(app: &TestApp, score: u8, comment: &str) {
    app.survey("rel", None).await;
    let kari = json!({"external_id": "C1", "name": "Kari Nordmann", "email": "kari@example.com",
                      "language": "nb", "account_manager": "Ingrid", "attributes": {"plan": "premium"}});
    let r = app
        .answer(json!({"survey": "rel", "score": 9, "customer": kari}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app
        .answer(json!({"survey": "rel", "score": score, "comment": comment, "customer": {"external_id": "C1"}}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn timeline(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/customers/{id}/timeline"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_detractor_answer_shows_on_the_timeline_with_its_case_and_flag() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        customer_with_answers(&app, 2, "No signal at home").await;
        let t = timeline(&app, "C1").await;
        assert_eq!(t["customer"]["name"], "Kari Nordmann");
        assert_eq!(t["latest_score"], 2);
        assert_eq!(t["nps_answers"], 2);
        assert_eq!(t["nps"], 0.0, "one promoter, one detractor");
        let answers = t["answers"].as_array().unwrap();
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[0]["score"], 2);
        assert_eq!(answers[0]["category"], "detractor");
        assert_eq!(answers[0]["comment"], "No signal at home");
        assert_eq!(answers[0]["survey_slug"], "rel");
        let cases = t["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0]["status"], "open");
        assert_eq!(cases[0]["assignee"], "Ingrid", "the account manager");
        let case_id = cases[0]["id"].as_i64().unwrap();
        let note = t["follow_up"]["note"].as_str().unwrap();
        assert!(note.contains(&format!("case #{case_id}")), "{note}");
        let kinds: Vec<&str> = t["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"answered") && kinds.contains(&"case_opened"),
            "{kinds:?}"
        );

        // Clearing the flag, then setting a new one.
        let r = app
            .http
            .delete(app.url("/api/v1/customers/C1/follow-up"))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert!(timeline(&app, "C1").await["follow_up"].is_null());
        let r = app
            .http
            .put(app.url("/api/v1/customers/C1/follow-up"))
            .bearer_auth(&app.key)
            .json(&json!({"note": "Offer the fibre upgrade"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["note"], "Offer the fibre upgrade");
        assert_eq!(
            timeline(&app, "C1").await["follow_up"]["note"],
            "Offer the fibre upgrade"
        );
    }
}

#[tokio::test]
async fn the_follow_up_api_refuses_bad_notes_and_unknown_customers() {
    let app = TestApp::spawn().await;
    customer_with_answers(&app, 9, "Great").await;
    let put = |id: &str, body: Value| {
        app.http
            .put(app.url(&format!("/api/v1/customers/{id}/follow-up")))
            .bearer_auth(&app.key)
            .json(&body)
            .send()
    };
    let r = put("C1", json!({"note": "  "})).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("empty"));
    let r = put("C1", json!({"note": "x".repeat(1001)})).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("at most 1000"));
    let r = put("C1", json!({"text": "hi"})).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("unknown field `text`"));
    let r = put("nobody", json!({"note": "hi"})).await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(problem(r).await.contains("\"nobody\""));
    assert!(
        timeline(&app, "C1").await["follow_up"].is_null(),
        "nothing changed"
    );
    let r = app
        .http
        .delete(app.url("/api/v1/customers/nobody/follow-up"))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .get(app.url("/api/v1/customers/C1/timeline"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the API key is required");
}

#[tokio::test]
async fn another_workspace_s_customer_is_not_found() {
    let app = TestApp::spawn().await;
    customer_with_answers(&app, 1, "Bad").await;
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, other_key) = app.store.api_keys().create(other.id, "k").await.unwrap();
    for path in ["/api/v1/customers/C1/timeline"] {
        let r = app
            .http
            .get(app.url(path))
            .bearer_auth(&other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(problem(r).await, "no customer with external_id \"C1\"");
    }
    let r = app
        .http
        .delete(app.url("/api/v1/customers/C1/follow-up"))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        !timeline(&app, "C1").await["follow_up"].is_null(),
        "acme's flag is untouched"
    );
}

#[tokio::test]
async fn the_openapi_document_lists_the_customer_record() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    assert!(paths["/api/v1/customers/{external_id}/timeline"]["get"].is_object());
    let follow_up = &paths["/api/v1/customers/{external_id}/follow-up"];
    assert!(follow_up["put"].is_object() && follow_up["delete"].is_object());
    assert!(doc["components"]["schemas"]["Timeline"].is_object());
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

#[tokio::test]
async fn the_customer_pages_are_behind_the_sign_in() {
    let app = TestApp::spawn().await;
    customer_with_answers(&app, 2, "x").await;
    for path in ["/customers", "/customers/C1"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert!(r.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/signin?next="));
    }
    let r = app
        .http
        .post(app.url("/customers/C1/follow-up/clear"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        !timeline(&app, "C1").await["follow_up"].is_null(),
        "not cleared without sign-in"
    );
}

#[tokio::test]
async fn the_record_shows_history_cases_and_the_flag_escaped_and_the_flag_clears() {
    let app = TestApp::spawn().await;
    customer_with_answers(&app, 3, "<script>alert(1)</script> & more").await;
    let cookie = app.sign_in().await;
    let (status, html) = page(&app, &cookie, "/customers/C1").await;
    assert_eq!(status, 200);
    assert!(html.contains("Kari Nordmann") && html.contains("kari@example.com"));
    assert!(html.contains("Ingrid") && html.contains("premium"));
    assert!(html.contains("Follow up at next contact"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; more"));
    assert!(
        !html.contains("<script>alert(1)"),
        "comments are shown as text"
    );
    let case_id = timeline(&app, "C1").await["cases"][0]["id"]
        .as_i64()
        .unwrap();
    assert!(html.contains(&format!("href=\"/cases/{case_id}\"")));
    assert!(
        html.contains("score-chip detractor\">3<") && html.contains("score-chip promoter\">9<")
    );

    // A form from another site is refused and changes nothing, even with the token.
    let token = app.csrf(&cookie).await;
    let r = app
        .http
        .post(app.url("/customers/C1/follow-up/clear"))
        .header("x-csrf-token", &token)
        .header(COOKIE, &cookie)
        .header(ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!timeline(&app, "C1").await["follow_up"].is_null());

    let r = app
        .http
        .post(app.url("/customers/C1/follow-up/clear"))
        .header(COOKIE, &cookie)
        .header("x-csrf-token", &token)
        .header(ORIGIN, app.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/customers/C1");
    let (_, html) = page(&app, &cookie, "/customers/C1").await;
    assert!(!html.contains("Follow up at next contact"), "banner gone");
    assert!(
        html.contains("Flag for follow-up at next contact"),
        "form to set it again"
    );

    // Setting it from the page, with the note escaped.
    let set = |note: &'static str| {
        app.http
            .post(app.url("/customers/C1/follow-up"))
            .header(COOKIE, &cookie)
            .header("x-csrf-token", &token)
            .form(&[("note", note)])
            .send()
    };
    let r = set("   ").await.unwrap();
    assert_eq!(r.status(), 422);
    let r = set("Ask about <b>billing</b>").await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &cookie, "/customers/C1").await;
    assert!(html.contains("Ask about &#60;b&#62;billing&#60;/b&#62;"));

    let (status, html) = page(&app, &cookie, "/customers/nobody").await;
    assert_eq!(status, 404);
    assert!(html.contains("no customer with this id"));
    let r = app
        .http
        .post(app.url("/customers/nobody/follow-up/clear"))
        .header(COOKIE, &cookie)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_customer_list_searches_and_filters_flagged_customers() {
    let app = TestApp::spawn().await;
    customer_with_answers(&app, 2, "x").await;
    for (id, name) in [("C2", "Ola Hansen"), ("a/b c", "Slash <Person>")] {
        let r = app
            .post_json(
                "/api/v1/customers",
                &json!({"external_id": id, "name": name}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let cookie = app.sign_in().await;
    let (status, html) = page(&app, &cookie, "/customers").await;
    assert_eq!(status, 200);
    assert!(html.contains("Kari Nordmann") && html.contains("Ola Hansen"));
    assert!(html.contains("Slash &#60;Person&#62;"));
    assert!(html.contains("Showing 1–3 of 3"));

    let (_, html) = page(&app, &cookie, "/customers?q=KARI").await;
    assert!(html.contains("Kari Nordmann") && !html.contains("Ola Hansen"));
    let (_, html) = page(&app, &cookie, "/customers?flagged=1").await;
    assert!(
        html.contains("Kari Nordmann") && !html.contains("Ola Hansen"),
        "only the detractor"
    );
    let (_, html) = page(&app, &cookie, "/customers?q=nobody-at-all").await;
    assert!(html.contains("No customers match."));
    let (status, _) = page(&app, &cookie, "/customers?page=abc").await;
    assert_eq!(status, 200, "a bad page number shows the first page");

    // An id with a slash and a space is linked encoded, and the link works.
    let (_, html) = page(&app, &cookie, "/customers?q=slash").await;
    assert!(html.contains("href=\"/customers/a%2Fb%20c\""), "{html}");
    let (status, html) = page(&app, &cookie, "/customers/a%2Fb%20c").await;
    assert_eq!(status, 200);
    assert!(html.contains("Slash &#60;Person&#62;"));
}
