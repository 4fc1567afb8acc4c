//! Promoter engagement over HTTP: a 10's engagements and code from a real answer, status
//! changes, grants, the discount-code pool (import errors named, single-use redemption),
//! and workspace isolation.

use crate::common::{problem, TestApp};
use advocate_store::testing::TestDb;
use reqwest::Response;
use serde_json::{json, Value};

async fn ok_json(r: Response, status: u16) -> Value {
    let code = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(code, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// A survey and customer C10 (with an email, German) who answered 10.
async fn ambassador(app: &TestApp) {
    app.survey("rel", None).await;
    // A review request goes out only with a review site to link to.
    let mut s = app.store.settings().get(app.workspace_id).await.unwrap();
    s.review_links = vec![advocate_store::models::ReviewLink {
        name: "Trustpilot".into(),
        url: "https://trustpilot.example/acme".into(),
    }];
    app.store
        .settings()
        .save(app.workspace_id, &s)
        .await
        .unwrap();
    let customer = json!({"external_id": "C10", "name": "Anna Schmidt",
                          "email": "anna@example.com", "language": "de"});
    let r = app
        .answer(json!({"survey": "rel", "score": 10, "customer": customer}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn engagements(app: &TestApp, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/engagements{query}"))
        .send()
        .await
        .unwrap();
    ok_json(r, 200).await
}

/// The engagement of `kind` in a list.
fn of_kind<'a>(list: &'a Value, kind: &str) -> &'a Value {
    list["engagements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {list}"))
}

async fn patch(app: &TestApp, id: impl std::fmt::Display, body: Value) -> Response {
    app.http
        .patch(app.url(&format!("/api/v1/engagements/{id}")))
        .bearer_auth(&app.key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_ten_with_an_email_gets_engagements_and_a_code_redeemed_once() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        ambassador(&app).await;
        let list = engagements(&app, "?customer=C10").await;
        assert_eq!(list["total"], 5);
        let mut kinds: Vec<&str> = list["engagements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                "discount_code",
                "panel_invitation",
                "review_request",
                "reward",
                "thank_you"
            ]
        );
        let code_engagement = of_kind(&list, "discount_code");
        let code = code_engagement["discount_code"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(code.starts_with("THANKS-"), "{code}");
        assert_eq!(code_engagement["customer"], "C10");

        let id = &code_engagement["id"];
        let one = ok_json(
            app.get(&format!("/api/v1/engagements/{id}"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(one["discount_code"], code);

        // The thank-you email carries the code, in German.
        let queued = app
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
            .unwrap();
        let delivered = app
            .store
            .outbox()
            .messages(
                app.workspace_id,
                advocate_store::delivery::outbox::OutboxStatus::Delivered,
                false,
                100,
                None,
            )
            .await
            .unwrap();
        let mail = queued
            .iter()
            .chain(&delivered)
            .find(|m| m.target == "anna@example.com")
            .expect("a thank-you email");
        assert!(mail.payload.contains(&code) && mail.payload.contains("Guten Tag Anna Schmidt"));

        let path = format!("/api/v1/discount-codes/{code}/redeem");
        let first = ok_json(app.post(&path).send().await.unwrap(), 200).await;
        assert_eq!(first["status"], "redeemed");
        let again = app.post(&path).send().await.unwrap();
        assert_eq!(again.status(), 409);
        let detail = problem(again).await;
        assert!(
            detail.contains(&format!("{code:?} was already redeemed")),
            "{detail}"
        );
        let unknown = app
            .post("/api/v1/discount-codes/NOPE-123/redeem")
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
        assert_eq!(problem(unknown).await, "no discount code \"NOPE-123\"");
        let after = engagements(&app, "?kind=discount_code").await;
        assert_eq!(after["engagements"][0]["status"], "accepted");
    }
}

#[tokio::test]
async fn statuses_move_forward_and_filters_are_checked() {
    let app = TestApp::spawn().await;
    ambassador(&app).await;
    let list = engagements(&app, "").await;
    let review = of_kind(&list, "review_request")["id"].clone();
    let thanks = of_kind(&list, "thank_you")["id"].clone();

    // Whatever the delivery worker did meanwhile, a review request can end with a review.
    let r = patch(&app, &review, json!({"status": "review_left"})).await;
    assert_eq!(ok_json(r, 200).await["status"], "review_left");
    let r = patch(&app, &review, json!({"status": "sent"})).await;
    assert_eq!(r.status(), 422);
    let detail = problem(r).await;
    assert!(
        detail.contains("cannot go from review_left to sent; review_left is final"),
        "{detail}"
    );
    let r = patch(&app, &thanks, json!({"status": "review_left"})).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("(thank_you) cannot go from"));
    let r = patch(&app, &thanks, json!({"status": "loved"})).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("got \"loved\""));
    let r = patch(&app, &thanks, json!({"state": "sent"})).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("unknown field `state`"));
    let r = patch(&app, "abc", json!({"status": "sent"})).await;
    assert_eq!(r.status(), 404);
    assert_eq!(problem(r).await, "no engagement \"abc\"");

    let done = engagements(&app, "?status=review_left&kind=review_request").await;
    assert_eq!(done["total"], 1);
    assert_eq!(engagements(&app, "?customer=nobody").await["total"], 0);
    for (query, needle) in [
        ("?kind=hug", "kind must be"),
        ("?status=done", "status must be"),
        ("?limit=9999", "limit must be a number from 0 to 500"),
    ] {
        let r = app
            .get(&format!("/api/v1/engagements{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{query}");
        assert!(problem(r).await.contains(needle), "{query}");
    }
}

#[tokio::test]
async fn rewards_and_memberships_are_granted_by_external_id() {
    let app = TestApp::spawn().await;
    ambassador(&app).await;
    let r = app
        .post_json(
            "/api/v1/engagements",
            &json!({"customer": "C10", "kind": "vip_membership", "status": "accepted"}),
        )
        .await;
    let vip = ok_json(r, 201).await;
    assert_eq!(
        (&vip["kind"], &vip["status"], &vip["customer"]),
        (&json!("vip_membership"), &json!("accepted"), &json!("C10"))
    );
    let r = app
        .post_json(
            "/api/v1/engagements",
            &json!({"customer": "C10", "kind": "reward"}),
        )
        .await;
    assert_eq!(ok_json(r, 201).await["status"], "queued");
    let r = app
        .post_json(
            "/api/v1/engagements",
            &json!({"customer": "ghost", "kind": "reward"}),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(problem(r).await, "no customer with external_id \"ghost\"");
    let r = app
        .post_json(
            "/api/v1/engagements",
            &json!({"customer": "C10", "kind": "thank_you"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r)
        .await
        .contains("thank_you is not granted by hand"));
    assert_eq!(
        engagements(&app, "?kind=vip_membership").await["total"],
        1,
        "refusals created nothing"
    );
}

#[tokio::test]
async fn imports_name_every_problem_and_import_nothing() {
    let app = TestApp::spawn().await;
    let import = |codes: Value| {
        let app = &app;
        async move {
            app.post_json("/api/v1/discount-codes", &json!({ "codes": codes }))
                .await
        }
    };
    let r = import(json!(["GOOD-1", "x", "no way", "GOOD-1"])).await;
    assert_eq!(r.status(), 422);
    let detail = problem(r).await;
    for part in [
        "code 2 (\"x\") has 1 characters",
        "code 3 (\"no way\") contains ' '",
        "code 4 (\"GOOD-1\") repeats code 1",
    ] {
        assert!(detail.contains(part), "{detail}");
    }
    let r = import(json!(["KEEP-1", " KEEP-2 "])).await;
    let done = ok_json(r, 201).await;
    assert_eq!(done["imported"], 2);
    assert_eq!(
        done["counts"],
        json!({"free": 2, "assigned": 0, "redeemed": 0})
    );
    let r = import(json!(["NEW-1", "KEEP-2"])).await;
    assert_eq!(r.status(), 409);
    assert!(problem(r)
        .await
        .contains("code 2 (\"KEEP-2\") is already stored"));

    // 10,000 codes is more than the API's usual body limit, and allowed here.
    let big: Vec<String> = (0..10_000).map(|i| format!("BULK-CODE-{i:05}")).collect();
    assert!(serde_json::to_vec(&big).unwrap().len() > 64 * 1024);
    assert_eq!(
        ok_json(import(json!(big)).await, 201).await["imported"],
        10_000
    );
    let too_many: Vec<String> = (0..10_001).map(|i| format!("MORE-{i:05}")).collect();
    let r = import(json!(too_many)).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("at most 10000 per call"));
    let r = app
        .post("/api/v1/discount-codes")
        .header("content-type", "application/json")
        .body("{\"codes\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(problem(r).await.contains("not valid JSON"));
    let r = app
        .post("/api/v1/discount-codes")
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(problem(r).await.contains("at most 10000 codes"));

    let list = ok_json(
        app.get("/api/v1/discount-codes?status=free&limit=5")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(list["counts"]["free"], 10_002);
    assert_eq!(list["total"], 10_002);
    assert_eq!(list["codes"].as_array().unwrap().len(), 5);
    let r = app
        .get("/api/v1/discount-codes?status=lost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("free, assigned or redeemed"));
}

#[tokio::test]
async fn another_workspace_cannot_see_or_touch_them() {
    let app = TestApp::spawn().await;
    ambassador(&app).await;
    let list = engagements(&app, "").await;
    let id = of_kind(&list, "discount_code")["id"].clone();
    let code = of_kind(&list, "discount_code")["discount_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, key) = app.store.api_keys().create(other.id, "k").await.unwrap();
    let get = app
        .http
        .get(app.url(&format!("/api/v1/engagements/{id}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 404);
    assert_eq!(problem(get).await, format!("no engagement {id}"));
    let patch = app
        .http
        .patch(app.url(&format!("/api/v1/engagements/{id}")))
        .bearer_auth(&key)
        .json(&json!({"status": "sent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 404);
    let redeem = app
        .http
        .post(app.url(&format!("/api/v1/discount-codes/{code}/redeem")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(redeem.status(), 404);
    let grant = app
        .http
        .post(app.url("/api/v1/engagements"))
        .bearer_auth(&key)
        .json(&json!({"customer": "C10", "kind": "reward"}))
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), 404);
    let theirs: Value = app
        .http
        .get(app.url("/api/v1/engagements"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["total"], 0);
    let codes: Value = app
        .http
        .get(app.url("/api/v1/discount-codes"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(codes["counts"]["assigned"], 0);
    // Acme's code is still unredeemed and its engagement unchanged.
    let mine = engagements(&app, "?kind=discount_code").await;
    assert_ne!(mine["engagements"][0]["status"], "accepted");
    let r = app.get("/api/v1/engagements").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .get(app.url("/api/v1/engagements"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the API key is required");
}

#[tokio::test]
async fn the_openapi_document_lists_the_engagement_api() {
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
    let e = &paths["/api/v1/engagements"];
    assert!(e["get"].is_object() && e["post"].is_object());
    let one = &paths["/api/v1/engagements/{id}"];
    assert!(one["get"].is_object() && one["patch"].is_object());
    let codes = &paths["/api/v1/discount-codes"];
    assert!(codes["get"].is_object() && codes["post"].is_object());
    assert!(paths["/api/v1/discount-codes/{code}/redeem"]["post"].is_object());
    for schema in ["Engagement", "EngagementPage", "CodePage", "CodeImport"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

/// Posts a form as the signed-in `cookie` (with its CSRF token) and returns the status.
async fn post_form(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
    let csrf = app.csrf(cookie).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &csrf));
    app.http
        .post(app.url(path))
        .header(reqwest::header::COOKIE, cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_customer_record_marks_outcomes_and_grants_by_hand() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        ambassador(&app).await;
        let r = app
            .answer(json!({"survey": "rel", "score": 10,
                           "customer": {"external_id": "C11", "email": "b@example.com"}}))
            .await;
        assert_eq!(r.status(), 201);
        let list = engagements(&app, "?customer=C10").await;
        let review = of_kind(&list, "review_request")["id"].as_i64().unwrap();
        let theirs = engagements(&app, "?customer=C11").await;
        let other_review = of_kind(&theirs, "review_request")["id"].as_i64().unwrap();
        let cookie = app.sign_in().await;

        // The record offers the outcome buttons and a grant form.
        let html = app
            .get("/customers/C10")
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let action = format!("action=\"/customers/C10/engagements/{review}\"");
        assert!(html.contains(&action), "{html}");
        assert!(html.contains("value=\"review_left\">Review left"), "{html}");
        assert!(html.contains("<label for=\"grant-kind\">Grant</label>"));

        // A review left: the same change as the API's, and the button goes.
        let path = format!("/customers/C10/engagements/{review}");
        assert_eq!(
            post_form(&app, &cookie, &path, &[("status", "review_left")]).await,
            303
        );
        let list = engagements(&app, "?customer=C10").await;
        assert_eq!(of_kind(&list, "review_request")["status"], "review_left");
        let html = app
            .get("/customers/C10")
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains(&action), "no outcome left to record");

        // VIP granted by hand.
        let grant = [("kind", "vip_membership")];
        assert_eq!(
            post_form(&app, &cookie, "/customers/C10/engagements", &grant).await,
            303
        );
        let list = engagements(&app, "?customer=C10").await;
        assert_eq!(of_kind(&list, "vip_membership")["customer"], "C10");
        let total = list["total"].clone();

        // Bad input is refused and changes nothing: a kind not granted by hand, a status
        // that is not one, another customer's engagement under this one's record, an
        // unknown customer.
        let thank = [("kind", "thank_you")];
        assert_eq!(
            post_form(&app, &cookie, "/customers/C10/engagements", &thank).await,
            422
        );
        let bogus = [("status", "bogus")];
        let other_path = format!("/customers/C10/engagements/{other_review}");
        assert_eq!(post_form(&app, &cookie, &other_path, &bogus).await, 422);
        let left = [("status", "review_left")];
        assert_eq!(post_form(&app, &cookie, &other_path, &left).await, 404);
        // A forged outcome the kind cannot reach, or one after the final one: 409.
        let accepted = [("status", "accepted")];
        assert_eq!(post_form(&app, &cookie, &path, &accepted).await, 409);
        assert_eq!(
            post_form(&app, &cookie, "/customers/NOPE/engagements", &grant).await,
            404
        );
        assert_eq!(engagements(&app, "?customer=C10").await["total"], total);
        let theirs = engagements(&app, "?customer=C11").await;
        assert_ne!(of_kind(&theirs, "review_request")["status"], "review_left");

        // Without the CSRF token, or without signing in: refused.
        let r = app
            .http
            .post(app.url("/customers/C10/engagements"))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&grant)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = app
            .http
            .post(app.url("/customers/C10/engagements"))
            .form(&grant)
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            303 => assert!(crate::common::location(&r).starts_with("/signin")),
            status => assert!(matches!(status, 401 | 403), "{status}"),
        }
        assert_eq!(engagements(&app, "?customer=C10").await["total"], total);
    }
}

#[tokio::test]
async fn another_workspaces_admin_cannot_mark_or_grant_from_a_record() {
    let app = TestApp::spawn().await;
    ambassador(&app).await;
    let list = engagements(&app, "?customer=C10").await;
    let review = of_kind(&list, "review_request")["id"].as_i64().unwrap();
    let total = list["total"].clone();
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    let hash = advocate_server::auth::hash_password("a long enough password");
    app.store
        .users()
        .create_member(
            other.id,
            "mallory@other.example",
            &hash,
            advocate_core::Role::Admin,
        )
        .await
        .unwrap();
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[
            ("email", "mallory@other.example"),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/customers/C10/engagements/{review}");
    assert_eq!(
        post_form(&app, &cookie, &path, &[("status", "review_left")]).await,
        404
    );
    let grant = [("kind", "vip_membership")];
    assert_eq!(
        post_form(&app, &cookie, "/customers/C10/engagements", &grant).await,
        404
    );
    let list = engagements(&app, "?customer=C10").await;
    assert_eq!(list["total"], total);
    assert_ne!(of_kind(&list, "review_request")["status"], "review_left");
}
