//! The JSON API driven over HTTP against a real server.

use crate::common::{problem, TestApp};
use advocate_store::testing::TestDb;
use serde_json::{json, Value};

#[tokio::test]
async fn an_answer_goes_in_and_comes_out_as_nps() {
    let app = TestApp::spawn().await;
    app.survey("rel", Some("renewal")).await;
    let r = app
        .answer(json!({"survey": "rel", "score": 10, "comment": "Great!",
                       "customer": {"external_id": "C1", "name": "Kari", "attributes": {"plan": "premium"}}}))
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["category"], "promoter");
    assert_eq!(body["ambassador"], true);
    assert_eq!(body["customer"], "C1");
    assert!(body["id"].as_i64().unwrap() > 0);

    let r = app
        .answer(json!({"survey": "rel", "score": 6, "customer": {"external_id": "C1"}}))
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["category"].as_str(), body["ambassador"].as_bool()),
        (Some("detractor"), Some(false))
    );

    let customer: Value = app
        .get("/api/v1/customers/C1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(customer["name"], "Kari");
    assert_eq!(customer["attributes"]["plan"], "premium");

    let nps: Value = app
        .get("/api/v1/nps?survey=rel")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (nps["n"].as_u64(), nps["nps"].as_f64()),
        (Some(2), Some(0.0))
    );
    assert_eq!(
        (nps["promoters"].as_u64(), nps["detractors"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(nps["small_sample"], true);
    assert_eq!(nps["ci95"]["method"], "adjusted_wald");
}

#[tokio::test]
async fn every_invalid_answer_is_rejected_by_name_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"survey": "rel", "score": 11}),
            422,
            "score must be an integer from 0 to 10; got 11",
        ),
        (json!({"survey": "rel", "score": -1}), 422, "got -1"),
        (
            json!({"survey": "rel", "score": 7.5}),
            422,
            "score must be an integer from 0 to 10; got 7.5",
        ),
        (json!({"survey": "rel", "score": 9.0}), 422, "got 9.0"),
        (
            json!({"survey": "rel", "score": "9"}),
            422,
            "got the string \"9\"",
        ),
        (json!({"survey": "rel", "score": null}), 422, "got null"),
        (json!({"survey": "rel", "score": true}), 422, "got true"),
        (json!({"survey": "rel"}), 422, "missing field `score`"),
        (json!({"score": 9}), 422, "missing field `survey`"),
        (
            json!({"survey": "nope", "score": 9}),
            404,
            "no survey with slug \"nope\"",
        ),
        (
            json!({"survey": "rel", "score": 9, "colour": "red"}),
            422,
            "unknown field `colour`",
        ),
        (
            json!({"survey": "rel", "score": 9, "channel": "fax"}),
            422,
            "channel must be one of",
        ),
        (
            json!({"survey": "rel", "score": 9, "language": "english"}),
            422,
            "language must be a language tag",
        ),
        (
            json!({"survey": "rel", "score": 9, "customer": {"external_id": "ghost"}}),
            404,
            "customer \"ghost\" does not exist",
        ),
        (
            json!({"survey": "rel", "score": 9, "customer": {"external_id": "C9", "email": "not-an-email"}}),
            422,
            "customer.email must be an email address",
        ),
        (
            json!({"survey": "rel", "score": 9, "answered_at": "2999-01-01T00:00:00Z"}),
            422,
            "is in the future",
        ),
        (
            json!({"survey": "rel", "score": 9, "answered_at": "yesterday"}),
            422,
            "answered_at",
        ),
        (json!([1, 2, 3]), 422, "request body"),
    ];
    for (body, status, message) in cases {
        let r = app.answer(body.clone()).await;
        assert_eq!(r.status(), status, "{body}");
        let detail = problem(r).await;
        assert!(
            detail.contains(message),
            "{body}: {detail:?} should contain {message:?}"
        );
    }

    let malformed = app
        .post("/api/v1/responses")
        .body("{\"survey\": \"rel\", \"score\": 9")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(problem(malformed).await.contains("not valid JSON"));

    let empty = app.post("/api/v1/responses").send().await.unwrap();
    assert_eq!(empty.status(), 400);
    assert!(problem(empty).await.contains("empty"));

    let huge = json!({"survey": "rel", "score": 9, "comment": "x".repeat(100_000)});
    let r = app.answer(huge).await;
    assert_eq!(r.status(), 413);
    assert!(problem(r).await.contains("larger than the limit"));

    let long_comment = json!({"survey": "rel", "score": 9, "comment": "x".repeat(5001)});
    let r = app.answer(long_comment).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r)
        .await
        .contains("comment must be at most 5000 characters"));

    assert_eq!(app.count_answers().await, 0, "nothing stored");
    assert!(app
        .store
        .customers()
        .by_external_id(app.workspace_id, "C9")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn retries_never_create_a_second_answer() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let body = json!({"survey": "rel", "score": 8});
    let send = |key: &'static str, body: Value| {
        let req = app
            .post("/api/v1/responses")
            .header("Idempotency-Key", key)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let first = send("retry-1", body.clone()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = send("retry-1", body.clone()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);

    // Same key, different answer: refused, not silently merged.
    let r = send("retry-1", json!({"survey": "rel", "score": 2})).await;
    assert_eq!(r.status(), 409);
    assert!(problem(r).await.contains("retry-1"));

    // The answer's own external id works the same way, without a header.
    let with_id = json!({"survey": "rel", "score": 9, "external_id": "ticket-77"});
    let a: Value = app.answer(with_id.clone()).await.json().await.unwrap();
    let b = app.answer(with_id).await;
    assert_eq!(b.status(), 201);
    let b: Value = b.json().await.unwrap();
    assert_eq!(a["id"], b["id"]);

    // Concurrent retries of one request store exactly one answer.
    let body = json!({"survey": "rel", "score": 10});
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let req = app
                .post("/api/v1/responses")
                .header("Idempotency-Key", "burst")
                .json(&body);
            tokio::spawn(async move {
                req.send().await.unwrap().json::<Value>().await.unwrap()["id"].clone()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    assert!(ids.iter().all(|id| *id == ids[0] && id.is_i64()), "{ids:?}");
    assert_eq!(app.count_answers().await, 3);
}

/// Answers are posted at `/api/v1/answers`; `/api/v1/responses`, the API's old name for
/// them, is the same operation: one answer whichever path a retry takes, the same refusals,
/// and documented as a deprecated alias under its old operationId.
#[tokio::test]
async fn answers_are_posted_at_their_path_and_at_the_old_one_alike() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let body =
        json!({"survey": "rel", "score": 10, "customer": {"external_id": "A1", "name": "Ann"}});
    let send = |path: &'static str, body: Value| {
        let req = app
            .post(path)
            .header("Idempotency-Key", "either-path")
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let new = send("/api/v1/answers", body.clone()).await;
    assert_eq!(new.status(), 201);
    assert!(new.headers().get("idempotent-replayed").is_none());
    let new: Value = new.json().await.unwrap();
    assert_eq!(new["category"], "promoter");
    assert_eq!(new["ambassador"], true);
    assert_eq!(new["customer"], "A1");
    let old = send("/api/v1/responses", body).await;
    assert_eq!(old.status(), 201);
    assert_eq!(old.headers()["idempotent-replayed"], "true");
    let old: Value = old.json().await.unwrap();
    assert_eq!(old, new, "the same answer through the old path");
    assert_eq!(app.count_answers().await, 1);

    let bad = json!({"survey": "rel", "score": 11});
    let mut refusals = Vec::new();
    for path in ["/api/v1/answers", "/api/v1/responses"] {
        let r = app.post(path).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 422, "{path}");
        refusals.push(problem(r).await);
    }
    assert_eq!(refusals[0], refusals[1]);
    assert!(refusals[0].contains("score"), "{}", refusals[0]);
    let r = app
        .http
        .put(app.url("/api/v1/answers"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    assert_eq!(app.count_answers().await, 1, "nothing more stored");

    let spec: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (new, old) = (
        &spec["paths"]["/api/v1/answers"]["post"],
        &spec["paths"]["/api/v1/responses"]["post"],
    );
    assert_eq!(new["operationId"], "createAnswer");
    assert!(new.get("deprecated").is_none(), "{new}");
    assert_eq!(old["operationId"], "createResponse");
    assert_eq!(old["deprecated"], true);
    assert_eq!(old["requestBody"], new["requestBody"]);
    assert_eq!(old["responses"], new["responses"]);
    assert_eq!(
        new["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewAnswerBody"
    );
}

#[tokio::test]
async fn api_requires_a_valid_key() {
    let app = TestApp::spawn().await;
    for (auth, message) in [
        (None, "missing header Authorization"),
        (Some("Basic abc"), "must be: Bearer"),
        (Some("Bearer adv_wrong"), "not valid"),
    ] {
        let mut req = app.http.get(app.url("/api/v1/surveys"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(problem(r).await.contains(message));
    }
    let r = app
        .http
        .post(app.url("/api/v1/responses"))
        .json(&json!({"survey": "x", "score": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(app.count_answers().await, 0);
}

#[tokio::test]
async fn surveys_are_created_listed_and_validated() {
    let app = TestApp::spawn().await;
    let s = app.survey("onboarding", Some("onboarding")).await;
    assert!(s["link"].as_str().unwrap().starts_with("/s/"));
    assert_eq!(s["kind"], "nps");
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "team", "name": "Team", "kind": "enps",
            "texts": {"nb": {"question": "Vil du anbefale {company}?"}}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let dup = app
        .post_json("/api/v1/surveys", &json!({"slug": "team", "name": "Again"}))
        .await;
    assert_eq!(dup.status(), 409);
    assert!(problem(dup).await.contains("\"team\""));
    for (body, message) in [
        (json!({"slug": "a b", "name": "x"}), "slug must be"),
        (
            json!({"slug": "ok", "name": "  "}),
            "name must not be empty",
        ),
        (
            json!({"slug": "ok", "name": "x", "kind": "ces"}),
            "kind must be one of nps enps csat",
        ),
        (
            json!({"slug": "ok", "name": "x", "texts": {"nb": {"title": "?"}}}),
            "unknown field `title`",
        ),
    ] {
        let r = app.post_json("/api/v1/surveys", &body).await;
        assert_eq!(r.status(), 422, "{body}");
        assert!(problem(r).await.contains(message), "{body}");
    }
    let list: Vec<Value> = app
        .get("/api/v1/surveys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slugs: Vec<_> = list.iter().map(|s| s["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["onboarding", "team"]);
}

#[tokio::test]
async fn csat_answers_use_the_one_to_five_scale() {
    let app = TestApp::spawn().await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "csat", "name": "Support", "kind": "csat"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app.answer(json!({"survey": "csat", "score": 0})).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("from 1 to 5"));
    let r = app.answer(json!({"survey": "csat", "score": 5})).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert!(body["category"].is_null());
    let r = app.get("/api/v1/nps?survey=csat").send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("CSAT"));
}

#[tokio::test]
async fn customers_upsert_by_external_id() {
    let app = TestApp::spawn().await;
    let c = |body: Value| {
        let req = app.post("/api/v1/customers").json(&body);
        async move { req.send().await.unwrap() }
    };
    let r = c(
        json!({"external_id": "C1", "name": "Ola", "email": "ola@example.no", "language": "nb-NO",
                     "attributes": {"plan": "basic", "region": "west"}, "account_manager": "Kari"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r: Value = c(json!({"external_id": "C1", "attributes": {"plan": "premium"}}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["name"], "Ola", "fields left out are kept");
    assert_eq!(r["language"], "nb");
    assert_eq!(
        r["attributes"],
        json!({"plan": "premium", "region": "west"})
    );
    let missing = app.get("/api/v1/customers/nobody").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(problem(missing).await.contains("nobody"));
    let bad = c(json!({"external_id": "C2", "attributes": {"bad key": "x"}})).await;
    assert_eq!(bad.status(), 422);
    assert!(problem(bad).await.contains("attributes key"));
}

/// Inserts `p` promoters (10), `a` passives (8) and `d` detractors (3) on one day.
async fn seed(app: &TestApp, survey: &str, day: &str, p: usize, a: usize, d: usize, extra: Value) {
    for (score, count) in [(10, p), (8, a), (3, d)] {
        for _ in 0..count {
            let mut body = json!({"survey": survey, "score": score, "answered_at": format!("{day}T10:00:00Z")});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            assert_eq!(app.answer(body).await.status(), 201);
        }
    }
}

#[tokio::test]
async fn nps_and_intervals_match_hand_computed_values() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    // 50 promoters, 30 passives, 20 detractors: NPS 30; Wald 95 % interval 14.69 to 45.31.
    seed(&app, "rel", "2026-03-10", 50, 30, 20, json!({})).await;
    let r: Value = app
        .get("/api/v1/nps?survey=rel&ci=wald&from=2026-03-01&to=2026-03-31")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["n"], 100);
    assert!((r["nps"].as_f64().unwrap() - 30.0).abs() < 1e-9);
    assert!(
        (r["ci95"]["low"].as_f64().unwrap() - 14.692).abs() < 0.01,
        "{r}"
    );
    assert!(
        (r["ci95"]["high"].as_f64().unwrap() - 45.308).abs() < 0.01,
        "{r}"
    );
    assert_eq!(r["ci95"]["method"], "wald");
    assert_eq!(r["small_sample"], false);
    assert_eq!(r["distribution"][10], 50);
    // Adjusted Wald: 50.75 / 30 + 1.5 / 20.75 over 103.
    let r: Value = app
        .get("/api/v1/nps?survey=rel")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (p, d) = (50.75_f64 / 103.0, 20.75_f64 / 103.0);
    let m = 1.959_964 * ((p + d - (p - d).powi(2)) / 103.0).sqrt();
    assert!(
        (r["ci95"]["low"].as_f64().unwrap() - 100.0 * (p - d - m)).abs() < 1e-3,
        "{r}"
    );
    assert!(
        (r["ci95"]["high"].as_f64().unwrap() - 100.0 * (p - d + m)).abs() < 1e-3,
        "{r}"
    );
    // The previous month was empty: no test, no significance.
    let r: Value = app
        .get("/api/v1/nps?survey=rel&from=2026-03-01&to=2026-03-31")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["change"]["versus"], "2026-01-29 to 2026-02-28");
    assert_eq!(r["change"]["previous_n"], 0);
    assert_eq!(r["change"]["significant"], false);
}

#[tokio::test]
async fn no_answers_means_no_interval() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    for q in [
        "survey=rel",
        "survey=rel&ci=wald",
        "survey=rel&group_by=month&from=2026-03-01&to=2026-03-31",
    ] {
        let r: Value = app
            .get(&format!("/api/v1/nps?{q}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["n"], 0, "{q}");
        assert!(r["nps"].is_null(), "{q}: {r}");
        // Not −80..+80 from the adjusted-Wald pseudo-answers alone.
        assert!(r["ci95"].is_null(), "{q}: {r}");
        if let Some(groups) = r["groups"].as_array() {
            assert!(groups.iter().all(|g| g["ci95"].is_null()), "{q}: {r}");
        }
    }
}

#[tokio::test]
async fn grouping_by_time_and_dimensions_flags_significant_changes() {
    let app = TestApp::spawn().await;
    app.survey("rel", Some("renewal")).await;
    // January: 20/40/40 → NPS −20; February: 60/25/15 → NPS +45 (a significant rise).
    seed(
        &app,
        "rel",
        "2026-01-15",
        20,
        40,
        40,
        json!({"channel": "email"}),
    )
    .await;
    seed(
        &app,
        "rel",
        "2026-02-15",
        60,
        25,
        15,
        json!({"channel": "sms"}),
    )
    .await;
    let get = |q: &str| {
        let req = app.get(&format!("/api/v1/nps?survey=rel&{q}"));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let r = get("group_by=month&from=2026-01-01&to=2026-03-31").await;
    let groups = r["groups"].as_array().unwrap();
    let keys: Vec<_> = groups.iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(groups[0]["nps"], -20.0);
    assert_eq!(groups[1]["nps"], 45.0);
    assert_eq!(groups[1]["change"]["versus"], "2026-01");
    assert_eq!(groups[1]["change"]["difference"], 65.0);
    assert_eq!(groups[1]["change"]["significant"], true);
    assert!(groups[1]["change"]["p_value"].as_f64().unwrap() < 0.001);
    assert_eq!(groups[2]["n"], 0);
    assert!(groups[2]["nps"].is_null());

    let r = get("group_by=quarter&from=2026-01-01&to=2026-03-31").await;
    assert_eq!(r["groups"][0]["key"], "2026-Q1");
    assert_eq!(r["groups"][0]["n"], 200);
    let r = get("group_by=week&from=2026-01-12&to=2026-01-25").await;
    assert_eq!(r["groups"].as_array().unwrap().len(), 2);
    let r = get("group_by=day&from=2026-01-14&to=2026-01-16").await;
    let days: Vec<_> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["n"].as_u64().unwrap())
        .collect();
    assert_eq!(days, [0, 100, 0]);

    let r = get("group_by=channel").await;
    let by: Vec<_> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["n"].as_u64().unwrap()))
        .collect();
    assert_eq!(by, [("email", 100), ("sms", 100)]);
    let r = get("group_by=touchpoint").await;
    assert_eq!(r["groups"][0]["key"], "renewal");
    // February against January for the channel breakdown: both channels existed only in one month.
    let r = get("group_by=channel&from=2026-02-01&to=2026-02-28").await;
    assert_eq!(r["groups"][0]["key"], "sms");
    assert_eq!(r["groups"][0]["change"]["previous_n"], 0);
}

#[tokio::test]
async fn nps_segments_use_the_attributes_at_answer_time() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let customer = |id: &str, plan: &str| json!({"external_id": id, "attributes": {"plan": plan}});
    for (id, plan, score) in [("A", "basic", 2), ("B", "premium", 10), ("C", "premium", 9)] {
        let r = app
            .answer(json!({"survey": "rel", "score": score, "customer": customer(id, plan)}))
            .await;
        assert_eq!(r.status(), 201);
    }
    // A upgrades later; the earlier answer stays counted under "basic".
    app.post_json("/api/v1/customers", &customer("A", "premium"))
        .await;
    let r: Value = app
        .get("/api/v1/nps?group_by=segment:plan")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by: Vec<_> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["nps"].as_f64().unwrap()))
        .collect();
    assert_eq!(by, [("basic", -100.0), ("premium", 100.0)]);
    assert_eq!(r["group_by"], "segment:plan");
}

#[tokio::test]
async fn bad_report_parameters_are_named() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    for (q, message) in [
        ("group_by=colour", "group_by must be one of"),
        (
            "from=2026-13-01",
            "from must be a date like 2026-01-31; got \"2026-13-01\"",
        ),
        ("from=2026-02-01&to=2026-01-01", "is after to"),
        ("ci=bayes", "ci must be wald or adjusted_wald"),
        ("survey=nope", "no survey with slug \"nope\""),
        ("group_by=segment:", "segment attribute"),
        ("colour=red", "unknown field `colour`"),
    ] {
        let r = app.get(&format!("/api/v1/nps?{q}")).send().await.unwrap();
        assert!(r.status().is_client_error(), "{q}: {}", r.status());
        let detail = problem(r).await;
        assert!(detail.contains(message), "{q}: {detail}");
    }
}

#[tokio::test]
async fn health_openapi_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let ok = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let spec: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/surveys",
        "/api/v1/customers",
        "/api/v1/customers/{external_id}",
        "/api/v1/responses",
        "/api/v1/nps",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(spec["components"]["securitySchemes"]["api_key"].is_object());
    let docs = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let unknown = app.get("/api/v1/nothing").send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}

/// The published contract is one a client generator can use: every operationId unique and
/// every parameter where it really is (checked here, with names), and the whole document
/// valid by PyPI's `openapi-spec-validator`.
#[tokio::test]
async fn the_openapi_document_is_valid() {
    let app = TestApp::spawn().await;
    let r = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();

    let mut seen = std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let here = format!("{} {path}", method.to_uppercase());
            match op["operationId"].as_str() {
                None => problems.push(format!("{here}: no operationId")),
                Some(id) => {
                    if let Some(first) = seen.insert(id.to_owned(), here.clone()) {
                        problems.push(format!("{here}: operationId {id} also on {first}"));
                    }
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or_default();
                let in_path = path.contains(&format!("{{{name}}}"));
                match (p["in"].as_str(), in_path) {
                    (Some("path"), false) => {
                        problems.push(format!("{here}: {name} is declared in the path"))
                    }
                    (Some(other), true) if other != "path" => {
                        problems.push(format!("{here}: path segment {name} declared in {other}"))
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let ok = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        advocate_store::testing::missing_peer::<()>(
            "python3 with openapi-spec-validator (pip install openapi-spec-validator) is not installed",
        );
        return;
    }
    let file = std::env::temp_dir().join(format!("advocate-openapi-{}.json", std::process::id()));
    std::fs::write(&file, &text).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator", "--validation-errors", "all"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "openapi-spec-validator:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A client generated from `/openapi.json` (PyPI `openapi-python-client`) drives the real
/// server: create a survey, post answers, read NPS and the detractor's case
/// (tests/it/support/generated_client.py). The generator must not drop anything either.
#[tokio::test]
async fn a_client_generated_from_the_document_works() {
    let installed = std::process::Command::new("openapi-python-client")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        advocate_store::testing::missing_peer::<()>(
            "openapi-python-client is not installed (pip install openapi-python-client)",
        );
        return;
    }
    let app = TestApp::spawn().await;
    let doc = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("advocate-client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("openapi.json"), doc).unwrap();
    let generated = tokio::process::Command::new("openapi-python-client")
        .args(["generate", "--path", "openapi.json", "--meta", "none"])
        .args(["--output-path", "client", "--overwrite"])
        .current_dir(&dir)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&generated.stdout).into_owned()
        + &String::from_utf8_lossy(&generated.stderr);
    assert!(
        generated.status.success() && !said.contains("Warning") && !said.contains("WARNING"),
        "the generator could not use the whole document:\n{said}"
    );
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/generated_client.py"
    );
    let run = tokio::process::Command::new("python3")
        .arg(script)
        .args([&app.base, &app.key])
        .env("PYTHONPATH", &dir)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        run.status.success(),
        "the generated client failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Seeds two plans that differ clearly: Basic 20/40/40 (NPS −20, n 100) by email in
/// January 2026, Pro 30/10/10 (NPS +40, n 50) by SMS in February.
async fn seed_two_plans(app: &TestApp) {
    app.survey("rel", None).await;
    let plan = |p: &str, channel: &str| json!({"channel": channel, "customer": {"external_id": format!("c-{p}"), "attributes": {"plan": p}}});
    seed(app, "rel", "2026-01-15", 20, 40, 40, plan("Basic", "email")).await;
    seed(app, "rel", "2026-02-15", 30, 10, 10, plan("Pro", "sms")).await;
}

async fn compare(app: &TestApp, q: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/nps/compare?{q}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{q}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn two_groups_are_compared_with_hand_computed_figures_on_both_databases() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        seed_two_plans(&app).await;
        // Pro − Basic = 40 − (−20) = 60; se = √(.0128 + .0056) = .135647; z = 4.42326;
        // p = 9.72e-6; 95 % interval 33.41 to 86.59 (see the core test).
        for q in [
            "a.segment=plan:Pro&b.segment=plan:Basic",
            "a.period=2026-02&b.period=2026-01",
            "a.channel=sms&b.channel=email&a.survey=rel&b.survey=rel",
            "a.from=2026-02-01&a.to=2026-02-28&b.from=2026-01-01&b.to=2026-01-31&ci=wald",
        ] {
            let c = compare(&app, q).await;
            assert_eq!(
                (c["a"]["n"].as_u64(), c["b"]["n"].as_u64()),
                (Some(50), Some(100)),
                "{q}: {c}"
            );
            assert_eq!(
                (c["a"]["nps"].as_f64(), c["b"]["nps"].as_f64()),
                (Some(40.0), Some(-20.0)),
                "{q}"
            );
            assert!(c["a"]["ci95"]["low"].as_f64().unwrap() < 40.0, "{q}: {c}");
            assert!(
                (c["difference"].as_f64().unwrap() - 60.0).abs() < 1e-9,
                "{q}: {c}"
            );
            assert!(
                (c["z"].as_f64().unwrap() - 4.423_259).abs() < 1e-4,
                "{q}: {c}"
            );
            assert!(
                (c["p_value"].as_f64().unwrap() - 9.722e-6).abs() < 1e-7,
                "{q}: {c}"
            );
            let ci = &c["difference_ci95"];
            assert!((ci[0].as_f64().unwrap() - 33.4138).abs() < 1e-3, "{q}: {c}");
            assert!((ci[1].as_f64().unwrap() - 86.5862).abs() < 1e-3, "{q}: {c}");
            assert_eq!(c["significant"], true);
            assert_eq!(c["may_overlap"], false, "{q}: disjoint filters");
        }
        let c = compare(
            &app,
            "a.segment=plan:Pro&b.segment=plan:Pro&b.period=2026-02",
        )
        .await;
        assert_eq!(c["may_overlap"], true);
        assert_eq!(
            c["a"]["label"],
            format!(
                "plan = Pro · all time to {} · all NPS surveys",
                c["a"]["to"].as_str().unwrap()
            )
        );
        assert_eq!(c["significant"], false);
        // An empty side: no NPS, no interval, no test.
        let c = compare(&app, "a.period=2025&b.segment=plan:Pro").await;
        assert_eq!(c["a"]["n"], 0);
        assert!(c["a"]["nps"].is_null() && c["a"]["ci95"].is_null(), "{c}");
        assert!(
            c["difference"].is_null() && c["z"].is_null() && c["p_value"].is_null(),
            "{c}"
        );
        assert_eq!(c["significant"], false);
    }
}

#[tokio::test]
async fn bad_compare_filters_are_named() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "team", "name": "Team", "kind": "enps"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    for (q, status, message) in [
        (
            "a.segment=plan&b.segment=plan:Pro",
            400,
            "a.segment: a segment is attribute:value",
        ),
        (
            "a.period=2026-Q5&b.period=2026-Q1",
            400,
            "a.period: a period is a year",
        ),
        (
            "a.period=2026-Q5&b.period=2026-13",
            400,
            "b.period: a period is a year",
        ),
        (
            "a.period=2026-Q1&a.from=2026-01-01&b.period=2026-Q2",
            400,
            "give either a.period or a.from/a.to",
        ),
        (
            "a.from=2026-03-01&a.to=2026-01-01&b.period=2026-Q1",
            400,
            "a.from: 2026-03-01 is after a.to",
        ),
        (
            "a.to=2026-13-01&b.period=2026-Q1",
            400,
            "a.to must be a date like 2026-01-31",
        ),
        ("a.channel=fax&b.channel=email", 400, "a.channel: "),
        ("a.language=!!&b.channel=email", 400, "a.language: "),
        (
            "a.segment=plan:Pro&a.channel=sms&b.channel=email",
            400,
            "a.segment and a.channel",
        ),
        (
            "a.segment=plan:Pro&b.segment=plan:Pro",
            400,
            "a and b: the two sides have the same filter",
        ),
        (
            "c.period=2026&b.period=2025",
            400,
            "unknown field `c.period`",
        ),
        (
            "a.period=2026&b.period=2025&ci=bayes",
            400,
            "ci must be wald or adjusted_wald",
        ),
        (
            "a.survey=nope&b.period=2025",
            404,
            "a.survey: no survey with slug \"nope\"",
        ),
        ("a.survey=team&b.survey=rel", 422, "a.survey and b.survey"),
    ] {
        let r = app
            .get(&format!("/api/v1/nps/compare?{q}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{q}");
        let detail = problem(r).await;
        assert!(detail.contains(message), "{q}: {detail}");
    }
}

#[tokio::test]
async fn an_enps_side_under_the_minimum_group_size_shows_no_figures() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let r = app
            .post_json(
                "/api/v1/surveys",
                &json!({"slug": "team", "name": "Team", "kind": "enps"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        for (i, dept) in [
            "ops", "ops", "ops", "sales", "sales", "sales", "sales", "sales", "sales",
        ]
        .iter()
        .enumerate()
        {
            let who = json!({"external_id": format!("e{i}"), "attributes": {"dept": dept}});
            let score = if *dept == "ops" { 2 } else { 9 };
            let r = app
                .answer(json!({"survey": "team", "score": score, "customer": who}))
                .await;
            assert_eq!(r.status(), 201);
        }
        let c = compare(
            &app,
            "a.survey=team&a.segment=dept:ops&b.survey=team&b.segment=dept:sales",
        )
        .await;
        assert_eq!(
            (
                c["a"]["suppressed"].as_bool(),
                c["a"]["fewer_than"].as_u64()
            ),
            (Some(true), Some(5)),
            "{c}"
        );
        assert!(
            c["a"].get("n").is_none() && c["a"].get("nps").is_none(),
            "{c}"
        );
        assert_eq!(c["b"]["n"], 6, "{c}");
        assert!(
            c["difference"].is_null() && c["z"].is_null(),
            "the difference would reveal side a: {c}"
        );
    }
}
