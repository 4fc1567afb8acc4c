//! Tenant isolation and the permission matrix, from the outside, generated from the
//! access rules every route is declared with (`advocate_server::rules()`):
//! every API route with another workspace's ids, every key scope and every role against
//! every route, and no session or key at all.

use crate::common::{csrf_of, TestApp};
use advocate_core::{Role, Scope};
use advocate_server::access::{Access, Rule};
use advocate_server::auth::hash_password;
use advocate_server::rules;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const PASSWORD: &str = "a long enough password";

/// Another workspace with one of everything, reached through its own key.
struct Other {
    key: String,
    ids: BTreeMap<&'static str, String>,
}

async fn other_workspace(app: &TestApp) -> Other {
    let ws = app
        .store
        .workspaces()
        .create("rival", "Rival", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, key) = app.store.api_keys().create(ws.id, "rival").await.unwrap();
    let admin = app
        .store
        .users()
        .create(ws.id, "boss@rival.example", &hash_password(PASSWORD))
        .await
        .unwrap();
    let call = |method: Method, path: &str, body: Value| {
        let req = app
            .http
            .request(method, app.url(path))
            .bearer_auth(&key)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
            r.json::<Value>().await.unwrap()
        }
    };
    call(
        Method::POST,
        "/api/v1/surveys",
        json!({"slug": "rel", "name": "Rel"}),
    )
    .await;
    let hook = call(
        Method::POST,
        "/api/v1/webhooks",
        json!({"url": "http://127.0.0.1:9/hook", "events": ["*"]}),
    )
    .await;
    let answer = call(
        Method::POST,
        "/api/v1/responses",
        json!({"survey": "rel", "score": 2, "comment": "RIVAL-SECRET",
               "customer": {"external_id": "RIVAL-C1", "name": "Rival Person", "email": "p@rival.example"}}),
    )
    .await;
    let case = call(Method::GET, "/api/v1/cases", json!(null)).await;
    let rule = call(
        Method::POST,
        "/api/v1/routing-rules",
        json!({"assignee": "x@rival.example", "language": "en"}),
    )
    .await;
    let schedule = call(
        Method::POST,
        "/api/v1/schedules",
        json!({"survey": "rel", "channel": "email", "every_days": 90}),
    )
    .await;
    let trigger = call(
        Method::POST,
        "/api/v1/event-triggers",
        json!({"event": "order_delivered", "survey": "rel", "channel": "email", "delay_minutes": 5}),
    )
    .await;
    let invitation = call(
        Method::POST,
        "/api/v1/invitations",
        json!({"survey": "rel", "channel": "web", "customers": [{"external_id": "RIVAL-C2"}]}),
    )
    .await;
    let outbox = call(Method::GET, "/api/v1/outbox?status=pending", json!(null)).await;
    let keys = call(Method::GET, "/api/v1/api-keys", json!(null)).await;
    let first = |v: &Value, ptr: &str| -> String {
        let found = v.pointer(ptr).unwrap_or_else(|| panic!("{ptr} in {v}"));
        found
            .as_i64()
            .map_or_else(|| found.as_str().unwrap().to_owned(), |i| i.to_string())
    };
    let mut ids = BTreeMap::new();
    let _ = answer;
    ids.insert("case", first(&case, "/cases/0/id"));
    ids.insert("webhook", first(&hook, "/id"));
    ids.insert("rule", first(&rule, "/id"));
    ids.insert("schedule", first(&schedule, "/id"));
    ids.insert("trigger", first(&trigger, "/id"));
    ids.insert(
        "invitation",
        first(&invitation, "/invitations/0/invitation_id"),
    );
    ids.insert("outbox", first(&outbox, "/messages/0/id"));
    ids.insert("key", first(&keys, "/0/id"));
    ids.insert("user", admin.id.to_string());
    ids.insert("customer", "RIVAL-C1".into());
    Other { key, ids }
}

/// The route's path with the other workspace's ids in it; `None` for a path parameter
/// that names nothing of a workspace (a score, a language, a public token).
fn with_ids(path: &str, ids: &BTreeMap<&'static str, String>) -> Option<String> {
    let id_of = |name: &str| -> Option<&str> {
        let kind = match name {
            "external_id" => "customer",
            "user_id" => "user",
            "id" if path.contains("/cases/") => "case",
            "id" if path.contains("/webhooks/") => "webhook",
            "id" if path.contains("/routing-rules/") => "rule",
            "id" if path.contains("/schedules/") => "schedule",
            "id" if path.contains("/event-triggers/") => "trigger",
            "id" if path.contains("/invitations/") => "invitation",
            "id" if path.contains("/outbox/") => "outbox",
            "id" if path.contains("/api-keys/") => "key",
            _ => return None,
        };
        ids.get(kind).map(String::as_str)
    };
    let mut out = String::new();
    for part in path.split('/').skip(1) {
        out.push('/');
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => out.push_str(id_of(name)?),
            None => out.push_str(part),
        }
    }
    Some(out)
}

/// A path to call for the permission checks: placeholders filled with harmless values
/// (the check happens before any lookup).
fn callable(path: &str) -> String {
    path.split('/')
        .map(|p| {
            if p.starts_with("{*") {
                "x".to_owned()
            } else if p.starts_with('{') {
                "1".to_owned()
            } else {
                p.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a body shows any of the other workspace's data.
fn leaks(body: &str) -> bool {
    ["RIVAL-SECRET", "Rival Person", "rival.example", "RIVAL-C2"]
        .iter()
        .any(|m| body.contains(m))
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap()
}

#[tokio::test]
async fn no_key_of_one_workspace_reaches_another_workspaces_data() {
    // The rival's webhook points at loopback.
    let app = TestApp::spawn_allowing_receivers(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let other = other_workspace(&app).await;
    let mut checked = 0;
    for Rule {
        method: m,
        path,
        access,
    } in &rules()
    {
        if !matches!(access, Access::Key(_) | Access::Own(_) | Access::Me) {
            continue;
        }
        if !path.contains('{') {
            continue;
        }
        let Some(url) = with_ids(path, &other.ids) else {
            continue;
        };
        let r = app
            .http
            .request(method(m), app.url(&url))
            .bearer_auth(&app.key)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(
            !status.is_success() && !status.is_server_error(),
            "{m} {url} with another workspace's id answered {status}: {body}"
        );
        if *m == "GET" {
            assert_eq!(status, StatusCode::NOT_FOUND, "{m} {url}: {body}");
        }
        assert!(!leaks(&body), "{m} {url} leaked: {body}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} routes with ids were checked");

    // Pages with the other workspace's ids: not found, never shown or changed.
    let cookie = app.sign_in().await;
    let csrf = app.csrf(&cookie).await;
    let mut pages = 0;
    for Rule {
        method: m,
        path,
        access,
    } in &rules()
    {
        let Access::Person(_) = access else { continue };
        if !path.contains('{') {
            continue;
        }
        let Some(url) = with_ids(path, &other.ids) else {
            continue;
        };
        let r = app
            .http
            .request(method(m), app.url(&url))
            .header(COOKIE, &cookie)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        if *m == "GET" {
            assert_eq!(status, StatusCode::NOT_FOUND, "{m} {url}: {body}");
        } else {
            assert!(
                status.is_client_error(),
                "{m} {url} answered {status}: {body}"
            );
        }
        assert!(!leaks(&body), "{m} {url} leaked: {body}");
        pages += 1;
    }
    assert!(pages >= 10, "only {pages} pages with ids were checked");

    // Lists and reports never include the other workspace's rows.
    for Rule {
        method: m,
        path,
        access,
    } in &rules()
    {
        if *m != "GET" || path.contains('{') || !matches!(access, Access::Key(_) | Access::Own(_)) {
            continue;
        }
        let r = app.get(path).send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(!status.is_server_error(), "GET {path}: {status} {body}");
        assert!(!leaks(&body), "GET {path} leaked: {body}");
    }

    // And the other workspace's key still sees its own.
    let r = app
        .http
        .get(app.url("/api/v1/customers/RIVAL-C1"))
        .bearer_auth(&other.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn api_keys_are_held_to_their_scopes() {
    let app = TestApp::spawn().await;
    let mut keys = Vec::new();
    for scopes in [vec![Scope::Ingest], vec![Scope::Read], vec![Scope::Admin]] {
        let (_, key) = app
            .store
            .api_keys()
            .create_scoped(app.workspace_id, "scoped", &scopes)
            .await
            .unwrap();
        keys.push((scopes[0], key));
    }
    for Rule {
        method: m,
        path,
        access,
    } in &rules()
    {
        let (Access::Key(permission) | Access::Own(permission)) = access else {
            continue;
        };
        let url = callable(path);
        let anonymous = app
            .http
            .request(method(m), app.url(&url))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{m} {path} without a key");
        for (scope, key) in &keys {
            let r = app
                .http
                .request(method(m), app.url(&url))
                .bearer_auth(key)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            if scope.grants(*permission) {
                assert!(
                    status != 403 && status != 401 && !status.is_server_error(),
                    "{m} {path} with {scope:?}: {status} {}",
                    r.text().await.unwrap()
                );
            } else {
                assert_eq!(status, 403, "{m} {path} with {scope:?}");
                let detail = r.text().await.unwrap();
                assert!(detail.contains("scope"), "{detail}");
            }
        }
    }
}

#[tokio::test]
async fn a_revoked_or_rotated_key_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let made: Value = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "CRM", "scopes": ["read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let (id, secret) = (
        made["id"].as_i64().unwrap(),
        made["secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(made["scopes"], json!(["read"]));
    let nps = |key: String| {
        let req = app.http.get(app.url("/api/v1/nps")).bearer_auth(key);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(nps(secret.clone()).await, 200);
    let rotated: Value = app
        .post(&format!("/api/v1/api-keys/{id}/rotate"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_eq!(nps(secret).await, 401, "the rotated-away key");
    assert_eq!(nps(new_secret.clone()).await, 200);
    let new_id = rotated["id"].as_i64().unwrap();
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/api-keys/{new_id}")))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(nps(new_secret).await, 401, "the revoked key");
    let keys: Value = app
        .get("/api/v1/api-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = keys.to_string();
    assert!(!listed.contains("adv_") || !listed.contains(&made["secret"].as_str().unwrap()[10..]));
    let r = app
        .post_json("/api/v1/api-keys", &json!({"name": "bad", "scopes": []}))
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "bad", "scopes": ["write"]}),
        )
        .await;
    assert_eq!(r.status(), 422);
    // Every step is in the audit log.
    let log: Value = app
        .get("/api/v1/audit-log")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["api_key.revoked", "api_key.rotated", "api_key.created"]
    );
}

/// Signs in with a fresh member of each role and returns (role, cookie, csrf).
async fn people(app: &TestApp) -> Vec<(Role, String, String)> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let email = format!("{role}.member@example.com");
        app.store
            .users()
            .create_member(app.workspace_id, &email, &hash_password(PASSWORD), role)
            .await
            .unwrap();
        let r = app
            .http
            .post(app.url("/signin"))
            .form(&[("email", email.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let html = app
            .http
            .get(app.url("/account"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        out.push((role, cookie, csrf_of(&html)));
    }
    out
}

#[tokio::test]
async fn every_page_is_held_to_the_role_matrix() {
    let app = TestApp::spawn().await;
    let people = people(&app).await;
    for Rule {
        method: m,
        path,
        access,
    } in &rules()
    {
        let Access::Person(permission) = access else {
            continue;
        };
        let url = callable(path);
        // Without a session: to the sign-in page, never the page.
        let r = app
            .http
            .request(method(m), app.url(&url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{m} {path} without a session");
        for (role, cookie, csrf) in &people {
            if *path == "/signout" {
                continue;
            }
            let r = app
                .http
                .request(method(m), app.url(&url))
                .header(COOKIE, cookie)
                .header("x-csrf-token", csrf)
                .send()
                .await
                .unwrap();
            let status = r.status();
            if role.grants(*permission) {
                assert!(
                    status != 403 && !status.is_server_error(),
                    "{m} {path} as {role}: {status}"
                );
            } else {
                assert_eq!(status, 403, "{m} {path} as {role}");
            }
        }
    }
}

#[tokio::test]
async fn forms_need_the_session_token_and_sessions_end() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in().await;
    let token = app.csrf(&cookie).await;
    let post = |fields: Vec<(&'static str, String)>, origin: Option<&'static str>| {
        let mut req = app
            .http
            .post(app.url("/team/invitations"))
            .header(COOKIE, &cookie)
            .form(&fields);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        async move { req.send().await.unwrap().status() }
    };
    let invite = |csrf: &str| {
        vec![
            ("email", "new@example.com".to_owned()),
            ("role", "viewer".to_owned()),
            ("csrf", csrf.to_owned()),
        ]
    };
    assert_eq!(post(invite(""), None).await, 403, "no token");
    assert_eq!(post(invite("forged"), None).await, 403, "a wrong token");
    assert_eq!(
        post(invite(&token), Some("https://evil.example")).await,
        403,
        "another site"
    );
    let actions = || async {
        let log = app.store.audit().log(app.workspace_id, 10, None).await;
        let log = log.unwrap().into_iter().map(|e| (e.action, e.target));
        log.collect::<Vec<_>>()
    };
    assert_eq!(
        actions().await,
        [(
            "session.signed_in".to_owned(),
            crate::common::ADMIN_EMAIL.to_owned()
        )],
        "nothing done but signing in"
    );
    assert_eq!(post(invite(&token), None).await, 200);
    assert_eq!(
        actions().await[0],
        ("member.invited".to_owned(), "new@example.com".to_owned())
    );

    // An expired session opens nothing: an app whose sessions last no time at all.
    let limits = advocate_store::tenancy::accounts::SessionLimits {
        absolute: chrono::Duration::hours(1),
        idle: chrono::Duration::minutes(1),
    };
    let user = app
        .store
        .users()
        .by_email(crate::common::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    let secret = app
        .store
        .accounts()
        .create_session(
            user.id,
            app.workspace_id,
            limits,
            now - chrono::Duration::minutes(5),
        )
        .await
        .unwrap();
    assert!(
        app.store
            .accounts()
            .session(&secret, limits, now)
            .await
            .unwrap()
            .is_none(),
        "idle too long"
    );
    let secret = app
        .store
        .accounts()
        .create_session(
            user.id,
            app.workspace_id,
            limits,
            now - chrono::Duration::hours(2),
        )
        .await
        .unwrap();
    assert!(
        app.store
            .accounts()
            .session(&secret, limits, now - chrono::Duration::seconds(30))
            .await
            .unwrap()
            .is_none(),
        "past its absolute end"
    );
    let r = app
        .http
        .get(app.url("/dashboard"))
        .header(COOKIE, format!("advocate_session={secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Cookies are HttpOnly and SameSite.
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[
            ("email", crate::common::ADMIN_EMAIL),
            ("password", crate::common::ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
}

#[tokio::test]
async fn invitations_and_password_resets_by_email() {
    let app = TestApp::spawn().await;
    let r = app
        .post_json(
            "/api/v1/members",
            &json!({"email": "Kari@Example.com", "role": "agent"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["result"], "invited");
    // The link reaches its recipient only: read it as delivered.
    let link = || async {
        let mail = crate::common::mailbox(&app.store).await;
        assert_eq!(mail.len(), 1, "{mail:?}");
        assert_eq!(mail[0].to, "kari@example.com");
        crate::common::link_path(&mail[0])
    };
    let path = &link().await;
    let r = app.http.get(app.url(path)).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("kari@example.com"));
    let r = app
        .http
        .post(app.url(path))
        .form(&[("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "too short a password");
    let r = app
        .http
        .post(app.url(path))
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "joined and signed in");
    let r = app
        .http
        .post(app.url(path))
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "an invitation works once");
    let members: Value = app
        .get("/api/v1/members")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["email"] == "kari@example.com" && m["role"] == "agent"));

    // A reset for an unknown address says the same and sends nothing.
    let r = app
        .http
        .post(app.url("/password-reset"))
        .form(&[("email", "nobody@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .post(app.url("/password-reset"))
        .form(&[("email", "kari@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let path = &link().await;
    assert!(path.starts_with("/password-reset/"), "{path}");
    let r = app
        .http
        .post(app.url(path))
        .form(&[("password", "a brand new password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[
            ("email", "kari@example.com"),
            ("password", "a brand new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the new password works");
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", "kari@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the old one does not");

    // Reset emails are rate limited (5 an hour per client and per address).
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = app
            .http
            .post(app.url("/password-reset"))
            .form(&[("email", "kari@example.com")])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);

    // The last admin cannot be demoted.
    let admin = app
        .store
        .users()
        .by_email(crate::common::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let r = app
        .http
        .put(app.url(&format!("/api/v1/members/{}", admin.id)))
        .bearer_auth(&app.key)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn the_access_table_covers_the_whole_api() {
    let app = TestApp::spawn().await;
    let spec: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let ruled: BTreeSet<(String, String)> = rules()
        .iter()
        .filter(|r| {
            r.path.starts_with("/api/v1/")
                && matches!(r.access, Access::Key(_) | Access::Own(_) | Access::Me)
        })
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&ruled).collect();
    assert!(
        missing.is_empty(),
        "API operations without an access rule: {missing:?}"
    );
    let undocumented: Vec<_> = ruled.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "rules for undocumented operations: {undocumented:?}"
    );
}

#[tokio::test]
async fn agents_see_only_their_own_customers_and_cases() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let agent = "agent.member@example.com";
    for (who, manager) in [("MINE", Some(agent)), ("THEIRS", None)] {
        let r = app
            .answer(json!({"survey": "rel", "score": 3, "comment": format!("comment of {who}"),
                "customer": {"external_id": who, "name": format!("Person {who}"), "account_manager": manager}}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let cases: Value = app
        .get("/api/v1/cases")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_of = |who: &str| {
        cases["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["customer"] == who || c["customer_external_id"] == who)
            .map(|c| c["id"].as_i64().unwrap())
            .unwrap_or_else(|| panic!("a case for {who} in {cases}"))
    };
    let (mine, theirs) = (id_of("MINE"), id_of("THEIRS"));
    let people = people(&app).await;
    let (_, cookie, csrf) = people.iter().find(|(r, _, _)| *r == Role::Agent).unwrap();
    let get = |path: String| {
        let req = app.http.get(app.url(&path)).header(COOKIE, cookie);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    for view in ["mine", "all", "open"] {
        let (status, html) = get(format!("/cases?view={view}")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Person MINE") && !html.contains("Person THEIRS"),
            "{view}"
        );
    }
    assert_eq!(get(format!("/cases/{mine}")).await.0, 200);
    assert_eq!(get(format!("/cases/{theirs}")).await.0, 404);
    let (_, list) = get("/customers".into()).await;
    assert!(list.contains("Person MINE") && !list.contains("Person THEIRS"));
    assert_eq!(get("/customers/MINE".into()).await.0, 200);
    assert_eq!(get("/customers/THEIRS".into()).await.0, 404);
    // Nor can they change what is not theirs.
    let r = app
        .http
        .post(app.url(&format!("/cases/{theirs}/notes")))
        .header(COOKIE, cookie)
        .form(&[("body", "not mine"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .post(app.url("/customers/THEIRS/follow-up"))
        .header(COOKIE, cookie)
        .form(&[("note", "x"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A manager sees both.
    let (_, cookie, _) = people.iter().find(|(r, _, _)| *r == Role::Manager).unwrap();
    let html = app
        .http
        .get(app.url("/cases?view=all"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Person MINE") && html.contains("Person THEIRS"));
}

#[tokio::test]
async fn exports_and_erasures_are_in_the_audit_log() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let r = app
        .answer(
            json!({"survey": "rel", "score": 9, "customer": {"external_id": "C9", "name": "Nine"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .get("/api/v1/exports/answers.csv?from=2020-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .delete(app.url("/api/v1/customers/C9"))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let log: Value = app
        .get("/api/v1/audit-log")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["target"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("person.erased".to_owned(), "C9".to_owned()),
            ("export.downloaded".to_owned(), "answers.csv".to_owned()),
            (
                "configuration.changed".to_owned(),
                "POST /api/v1/surveys".to_owned()
            )
        ]
    );
    assert!(log[1]["detail"]
        .as_str()
        .unwrap()
        .contains("from=2020-01-01"));
    assert!(log[1]["actor"].as_str().unwrap().starts_with("key:adv_"));
}

/// Everything the server, its store and its HTTP layer log, down to trace, as text: one
/// subscriber for the whole binary (a global one, since a thread-scoped one can miss lines
/// whose interest another test's thread cached first), shared by the tests that read the
/// log. Other tests' lines land here too, which only widens the checks. Every server test
/// runs in this binary, so nothing else may install a global subscriber, and sqlx is left
/// out: its statement log for every test would pile up in memory, and no check reads it.
pub fn captured_logs() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOGS: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
        std::sync::OnceLock::new();
    #[derive(Clone)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    LOGS.get_or_init(|| {
        let sink = Sink(Default::default());
        let logs = sink.0.clone();
        tracing_subscriber::fmt()
            .with_env_filter("advocate_server=trace,advocate_store=trace,tower_http=trace")
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .init();
        logs
    })
}

/// The captured log as text (see [`captured_logs`]).
pub fn logged() -> String {
    String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned()
}

/// Anyone can send a method a route does not have (`GET /signout`): it is a 405 naming
/// the methods the route has, and no error is logged, so nobody can fill the error log.
#[tokio::test]
async fn a_method_a_route_does_not_have_is_a_405_and_no_error() {
    captured_logs();
    let app = TestApp::spawn().await;
    for (m, path, allow) in [
        ("GET", "/signout", "POST"),
        ("DELETE", "/dashboard", "GET"),
        ("PUT", "/api/v1/responses", "POST"),
    ] {
        let r = app
            .http
            .request(method(m), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
        assert_eq!(r.headers()["allow"], allow, "{m} {path}");
    }
    // Logged at debug at most: never a warning or an error anyone could fill the log with.
    let loud = logged()
        .lines()
        .filter(|l| l.contains("no access rule") && (l.contains(" ERROR ") || l.contains(" WARN ")))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(loud.is_empty(), "{loud:?}");
}

/// Every response carries the request's id and every log line of the request carries it
/// with the caller's workspace; a caller's plain id is kept, anything else replaced.
#[tokio::test]
async fn every_request_has_an_id_in_its_response_and_its_log_lines() {
    captured_logs();
    let app = TestApp::spawn().await;
    let r = app
        .get("/api/v1/cases")
        .header("x-request-id", "probe-7c1f")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-request-id"], "probe-7c1f");
    let logs = logged();
    let workspace = format!("workspace={}", app.workspace_id);
    assert!(
        logs.lines()
            .any(|l| l.contains("request_id=probe-7c1f") && l.contains(&workspace)),
        "no log line with the id and the workspace in:\n{logs}"
    );

    let mut seen = std::collections::BTreeSet::new();
    for sent in ["x\"=forged", &"a".repeat(65), ""] {
        let r = app
            .http
            .get(app.url("/healthz"))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(id, sent);
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        seen.insert(id);
    }
    assert_eq!(seen.len(), 3, "ids repeat");
}
