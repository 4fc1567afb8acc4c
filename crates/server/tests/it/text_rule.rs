//! The text rule at the boundary, on SQLite and PostgreSQL alike: a NUL in any text a
//! request carries — every string field of every JSON body the API documents, every form,
//! every path parameter, query parameters — is a 4xx whose detail names the field, never a
//! 500 (PostgreSQL refuses NUL in text), and nothing is stored. The walks are generated
//! from `/openapi.json` and from the access rule every route is declared with.

use crate::common::TestApp;
use advocate_server::access::{Access, Rule, CSRF_HEADER};
use advocate_server::rules;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Map, Value};

const NUL: &str = "a\u{0}b";

/// A refusal that names `field`; returns the detail for further checks.
async fn assert_names(r: Response, field: &str, what: &str) -> String {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert!(status.is_client_error(), "{what}: {status} {body}");
    let detail = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| crate::common::error_message(&body));
    assert!(
        detail.starts_with(&format!("{field} must not contain control characters")),
        "{what}: {status} {detail}"
    );
    detail
}

/// Path placeholders filled with values of the right shape (the refusal comes before any
/// lookup).
fn filled(path: &str, nul_in: Option<&str>) -> String {
    path.split('/')
        .map(
            |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if Some(name) == nul_in => "a%00b".to_owned(),
                Some("language") => "en".to_owned(),
                Some(name) if name.starts_with('*') => "x".to_owned(),
                Some(_) => "1".to_owned(),
                None => part.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn placeholders(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .collect()
}

/// Every text field a request body schema has, as the body that sets only it to a NUL and
/// the name the refusal must give it (`customer.name`, `customers[0].external_id`).
fn nul_bodies(schema: &Value, doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    walk(schema, doc, "", &mut |name, wrap| out.push((name, wrap)), 0);
    out
}

fn resolve<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => resolve(doc.pointer(r.trim_start_matches('#')).unwrap(), doc),
        None => schema,
    }
}

fn is_text(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// Calls `found(name, body)` for each text leaf under `schema`.
fn walk(schema: &Value, doc: &Value, name: &str, found: &mut dyn FnMut(String, Value), depth: u8) {
    let schema = resolve(schema, doc);
    if depth > 4 {
        return;
    }
    for alternative in ["oneOf", "anyOf", "allOf"] {
        for s in schema[alternative].as_array().into_iter().flatten() {
            walk(s, doc, name, found, depth + 1);
        }
    }
    if is_text(schema) && !name.is_empty() {
        found(name.to_owned(), Value::String(NUL.into()));
    }
    let join = |field: &str| {
        if name.is_empty() {
            field.to_owned()
        } else {
            format!("{name}.{field}")
        }
    };
    for (field, s) in schema["properties"].as_object().into_iter().flatten() {
        walk(
            s,
            doc,
            &join(field),
            &mut |n, v| {
                let mut m = Map::new();
                m.insert(field.clone(), v);
                found(n, Value::Object(m))
            },
            depth + 1,
        );
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        walk(
            values,
            doc,
            &join("key"),
            &mut |n, v| found(n, json!({ "key": v })),
            depth + 1,
        );
    }
    if let Some(items) = schema.get("items") {
        walk(
            items,
            doc,
            &format!("{name}[0]"),
            &mut |n, v| found(n, json!([v])),
            depth + 1,
        );
    }
}

/// Sends a NUL in each text field of each documented request body, one field at a time;
/// returns how many were refused as they should be.
async fn api_walk(app: &TestApp, personal: &str) -> usize {
    let doc: Value = app
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, op) in operations.as_object().unwrap() {
            let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else {
                continue;
            };
            let url = app.url(&filled(path, None));
            for (field, body) in nul_bodies(schema, &doc) {
                let r = app
                    .http
                    .request(
                        Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                        &url,
                    )
                    // `/api/v1/me…` speaks for a person: their personal key.
                    .bearer_auth(if path.starts_with("/api/v1/me") {
                        personal
                    } else {
                        &app.key
                    })
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    r.status(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{method} {path} {field}"
                );
                assert_names(r, &field, &format!("{method} {path} {body}")).await;
                checked += 1;
            }
        }
    }
    checked
}

/// A personal key of the admin's, for the routes that speak for a person.
async fn admins_personal_key(app: &TestApp) -> String {
    let admin = app
        .store
        .users()
        .by_email(crate::common::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    app.store
        .api_keys()
        .create_personal(app.workspace_id, admin.id, "me", &advocate_core::Scope::ALL)
        .await
        .unwrap()
        .1
}

#[tokio::test]
async fn nul_in_any_api_body_field_is_refused_by_name_and_stores_nothing() {
    for db in TestDb::all().await {
        let backend = db.backend;
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", None).await;
        let personal = admins_personal_key(&app).await;
        let before = app.store.row_counts().await.unwrap();
        let checked = api_walk(&app, &personal).await;
        eprintln!("{backend:?}: {checked} text fields of request bodies refused");
        assert!(checked > 140, "only {checked} text fields found in the API");
        assert_eq!(app.store.row_counts().await.unwrap(), before, "{backend:?}");
        // Line breaks and tabs are ordinary text: a case note keeps them.
        let r = app
            .answer(json!({"survey": "rel", "score": 2, "customer": {"external_id": "C1", "name": "Kari"}}))
            .await;
        assert_eq!(r.status(), 201);
        let cases: Value = app
            .get("/api/v1/cases")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let case = cases["cases"][0]["id"]
            .as_i64()
            .expect("a detractor opens a case");
        let r = app
            .post_json(
                &format!("/api/v1/cases/{case}/notes"),
                &json!({"body": "one\r\ntwo\tthree"}),
            )
            .await;
        assert_eq!(r.status(), 201, "{backend:?} {}", r.text().await.unwrap());
    }
}

#[tokio::test]
async fn nul_in_any_path_query_or_form_field_is_refused_by_name_and_stores_nothing() {
    for db in TestDb::all().await {
        let backend = db.backend;
        let app = TestApp::spawn_on(db).await;
        let survey = app.survey("rel", None).await;
        let cookie = app.sign_in().await;
        let csrf = app.csrf(&cookie).await;
        // `/api/v1/me…` routes speak for a person: the admin's personal key.
        let personal = admins_personal_key(&app).await;
        let before = app.store.row_counts().await.unwrap();
        let call = |method: &str, url: String, access: Access| {
            let mut req = app.http.request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&url),
            );
            match access {
                Access::Key(_) | Access::Own(_) => req = req.bearer_auth(&app.key),
                Access::Me => req = req.bearer_auth(&personal),
                Access::Person(_) => req = req.header(COOKIE, &cookie).header(CSRF_HEADER, &csrf),
                Access::Public => {}
            }
            req
        };
        let mut checked = 0;
        for &Rule {
            method,
            path,
            access,
        } in &rules()
        {
            let method = if method == "*" { "GET" } else { method };
            // Each path parameter in turn.
            for name in placeholders(path) {
                let what = format!("{backend:?} {method} {path} with a NUL in {name}");
                let r = call(method, filled(path, Some(name)), access)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 400, "{what}");
                assert_names(r, name.trim_start_matches('*'), &what).await;
                checked += 1;
            }
            let url = filled(path, None);
            let what = format!("{backend:?} {method} {path}");
            // A query parameter.
            let r = call(method, format!("{url}?segment=a%00b"), access)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{what} with a NUL in the query");
            assert_names(r, "segment", &what).await;
            // A form field.
            if method == "POST" {
                let r = call(method, url, access)
                    .form(&[("name", "ok"), ("comment", NUL)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 422, "{what} with a NUL in a form field");
                assert_names(r, "comment", &what).await;
            }
            checked += 1;
        }
        assert!(checked > 150, "{checked}");
        assert_eq!(app.store.row_counts().await.unwrap(), before, "{backend:?}");

        // What a stranger sent and got a 500 for on PostgreSQL.
        let public_id = survey["public_id"].as_str().unwrap();
        for (path, field) in [
            ("/s/%00".to_owned(), "public_id"),
            ("/s/%00/qr.svg".to_owned(), "public_id"),
            ("/w/%00/prompt".to_owned(), "public_id"),
            (format!("/s/{public_id}?lang=%00"), "lang"),
        ] {
            let r = app.http.get(app.url(&path)).send().await.unwrap();
            assert_eq!(r.status(), 400, "{backend:?} {path}");
            assert_names(r, field, &path).await;
        }
        // The widget's JSON body (not part of the API document).
        let r = app
            .http
            .post(app.url(&format!("/w/{public_id}/answers")))
            .json(&json!({"token": "t", "score": 9, "comment": NUL}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{backend:?} widget");
        assert_names(r, "comment", "widget").await;
        for (path, extra) in [
            ("/signin", Some(("password", "x"))),
            ("/password-reset", None),
        ] {
            let mut form = vec![("email", "a\u{0}@example.com")];
            form.extend(extra);
            let r = app
                .http
                .post(app.url(path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "{backend:?} {path}");
            assert_names(r, "email", path).await;
        }
        assert_eq!(app.store.row_counts().await.unwrap(), before, "{backend:?}");
    }
}
