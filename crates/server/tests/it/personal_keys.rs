//! Personal API keys from the outside: a key speaks for one member and can do no more than
//! their role (an agent's key reaches only their own cases and customers), manages its
//! person's own settings at `/api/v1/me…`, and stops with their membership.

use crate::common::{csrf_of, problem, TestApp};
use advocate_core::{Role, Scope};
use advocate_server::auth::hash_password;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: &str = "agent.one@example.com";

/// A member with a personal key of every scope; returns (user id, key).
async fn member_with_key(app: &TestApp, email: &str, role: Role) -> (i64, String) {
    let user = app
        .store
        .users()
        .create_member(
            app.workspace_id,
            email,
            &hash_password("a long enough password"),
            role,
        )
        .await
        .unwrap();
    let (_, key) = app
        .store
        .api_keys()
        .create_personal(app.workspace_id, user.id, "script", &Scope::ALL)
        .await
        .unwrap();
    (user.id, key)
}

/// Two detractors, one managed by the agent; returns (their case, the other case).
async fn two_cases(app: &TestApp) -> (i64, i64) {
    app.survey("rel", None).await;
    for (who, manager) in [("MINE", Some(AGENT)), ("THEIRS", None)] {
        let r = app
            .answer(
                json!({"survey": "rel", "score": 2, "comment": format!("comment of {who}"),
                "customer": {"external_id": who, "name": format!("Person {who}"),
                             "email": format!("{who}@example.com"), "account_manager": manager}}),
            )
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
            .find(|c| c["customer_external_id"] == who)
            .and_then(|c| c["id"].as_i64())
            .unwrap_or_else(|| panic!("a case for {who} in {cases}"))
    };
    (id_of("MINE"), id_of("THEIRS"))
}

async fn call(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn an_agents_key_reaches_only_their_own_cases_and_customers_on_both_databases() {
    for db in TestDb::all().await {
        let backend = db.backend;
        let app = TestApp::spawn_on(db).await;
        let (mine, theirs) = two_cases(&app).await;
        let (_, key) = member_with_key(&app, AGENT, Role::Agent).await;
        let before = app.store.row_counts().await.unwrap();

        let (status, body) = call(&app, &key, Method::GET, "/api/v1/cases", None).await;
        assert_eq!(status, 200, "{backend:?} {body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        let ids: Vec<i64> = page["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            (ids, page["total"].as_i64()),
            (vec![mine], Some(1)),
            "{backend:?}"
        );
        // Naming someone else as the assignee finds nothing rather than their cases.
        let (_, body) = call(
            &app,
            &key,
            Method::GET,
            "/api/v1/cases?assignee=admin@example.com",
            None,
        )
        .await;
        assert!(!body.contains("THEIRS"), "{backend:?} {body}");

        // Someone else's case and customer do not exist for this key, read or written.
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/cases/{theirs}"), None),
            (
                Method::PATCH,
                format!("/api/v1/cases/{theirs}"),
                Some(json!({"status": "contacted"})),
            ),
            (
                Method::POST,
                format!("/api/v1/cases/{theirs}/notes"),
                Some(json!({"body": "not mine"})),
            ),
            (
                Method::GET,
                format!("/api/v1/cases/{theirs}/messages"),
                None,
            ),
            (Method::GET, format!("/api/v1/cases/{theirs}/draft"), None),
            (
                Method::POST,
                format!("/api/v1/cases/{theirs}/messages"),
                Some(json!({"subject": "s", "body": "b"})),
            ),
            (Method::GET, "/api/v1/customers/THEIRS".into(), None),
            (
                Method::GET,
                "/api/v1/customers/THEIRS/timeline".into(),
                None,
            ),
            (
                Method::PUT,
                "/api/v1/customers/THEIRS/follow-up".into(),
                Some(json!({"note": "x"})),
            ),
        ] {
            let (status, text) = call(&app, &key, method.clone(), &path, body).await;
            assert_eq!(status, 404, "{backend:?} {method} {path}: {text}");
            assert!(
                !text.contains("comment of THEIRS"),
                "{backend:?} {path} leaked: {text}"
            );
        }
        assert_eq!(
            app.store.row_counts().await.unwrap(),
            before,
            "{backend:?}: nothing changed"
        );

        // Routes over the whole workspace are refused, saying why; so is what the role lacks
        // even though the key has the admin scope.
        for path in [
            "/api/v1/engagements",
            "/api/v1/invitations",
            "/api/v1/orders",
        ] {
            let (status, text) = call(&app, &key, Method::GET, path, None).await;
            assert_eq!(status, 403, "{backend:?} {path}: {text}");
            assert!(text.contains("own cases"), "{backend:?} {text}");
        }
        for (method, path) in [
            (Method::GET, "/api/v1/members"),
            (Method::GET, "/api/v1/exports/answers.csv"),
            (Method::PUT, "/api/v1/settings"),
        ] {
            let (status, text) = call(&app, &key, method.clone(), path, Some(json!({}))).await;
            assert_eq!(status, 403, "{backend:?} {method} {path}: {text}");
            assert!(text.contains("agent"), "{backend:?} names the role: {text}");
        }

        // Their own case and customer work, and changes are signed with their address.
        let (status, text) = call(&app, &key, Method::GET, "/api/v1/customers/MINE", None).await;
        assert_eq!(status, 200, "{backend:?} {text}");
        let (status, text) = call(
            &app,
            &key,
            Method::POST,
            &format!("/api/v1/cases/{mine}/notes"),
            Some(json!({"body": "called them"})),
        )
        .await;
        assert_eq!(status, 201, "{backend:?} {text}");
        let note: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(note["author"], AGENT, "{backend:?} {note}");
        let (status, text) = call(
            &app,
            &key,
            Method::POST,
            &format!("/api/v1/cases/{mine}/messages"),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, 201, "{backend:?} {text}");
        let (status, _) = call(&app, &key, Method::GET, "/api/v1/nps", None).await;
        assert_eq!(status, 200, "{backend:?}: dashboards are the agent's too");

        // A manager's key sees both cases.
        let (_, manager) = member_with_key(&app, "manager.one@example.com", Role::Manager).await;
        let (_, body) = call(&app, &manager, Method::GET, "/api/v1/cases", None).await;
        let page: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(page["total"], 2, "{backend:?}");
    }
}

#[tokio::test]
async fn a_person_manages_their_own_settings_and_keys_and_the_key_ends_with_them() {
    let app = TestApp::spawn().await;
    let (user_id, key) = member_with_key(&app, AGENT, Role::Agent).await;

    let (status, body) = call(&app, &key, Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, 200, "{body}");
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            me["user_id"].as_i64(),
            me["email"].as_str(),
            me["role"].as_str()
        ),
        (Some(user_id), Some(AGENT), Some("agent"))
    );
    // A workspace key speaks for nobody.
    let (status, text) = call(&app, &app.key, Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, 403);
    assert!(text.contains("personal API key"), "{text}");

    let (status, body) = call(
        &app,
        &key,
        Method::PATCH,
        "/api/v1/me/preferences",
        Some(json!({"language": "nb", "time_zone": "Europe/Oslo"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A bad value changes nothing, the good one included.
    let (status, text) = call(
        &app,
        &key,
        Method::PATCH,
        "/api/v1/me/preferences",
        Some(json!({"language": "sv", "time_zone": "Mars/Olympus"})),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    let prefs = app.store.users().preferences(user_id).await.unwrap();
    assert_eq!(
        (prefs.language.as_str(), prefs.time_zone.as_str()),
        ("nb", "Europe/Oslo")
    );

    let (status, body) = call(
        &app,
        &key,
        Method::PUT,
        "/api/v1/me/digest",
        Some(json!({"digest": "weekly", "hour": 7})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, text) = call(
        &app,
        &key,
        Method::PUT,
        "/api/v1/me/digest",
        Some(json!({"digest": "daily", "hour": 24})),
    )
    .await;
    assert_eq!(status, 422, "{text}");
    let (_, body) = call(&app, &key, Method::GET, "/api/v1/me/digest", None).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"digest": "weekly", "hour": 7})
    );

    // Their keys: the list shows theirs only; another person's key cannot be revoked.
    let (_, other) = member_with_key(&app, "other.agent@example.com", Role::Agent).await;
    let (_, body) = call(&app, &key, Method::GET, "/api/v1/me/api-keys", None).await;
    let keys: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["user_id"], user_id);
    let (_, body) = call(&app, &other, Method::GET, "/api/v1/me/api-keys", None).await;
    let other_id = serde_json::from_str::<Vec<Value>>(&body).unwrap()[0]["id"]
        .as_i64()
        .unwrap();
    let (status, _) = call(
        &app,
        &key,
        Method::DELETE,
        &format!("/api/v1/me/api-keys/{other_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        call(&app, &other, Method::GET, "/api/v1/me", None).await.0,
        200,
        "still works"
    );

    // The admin removes the member: their key stops at once.
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/members/{user_id}")))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (status, _) = call(&app, &key, Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, 401);
    let (status, _) = call(&app, &key, Method::GET, "/api/v1/cases", None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_admin_makes_personal_keys_only_for_members_of_their_workspace() {
    let app = TestApp::spawn().await;
    let (user_id, _) = member_with_key(&app, AGENT, Role::Agent).await;
    let r = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "for the agent", "scopes": ["read"], "user_id": user_id}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["user_id"], user_id);
    let secret = created["secret"].as_str().unwrap().to_owned();
    // Read scope and an agent's role: their own cases, nothing written.
    assert_eq!(
        call(&app, &secret, Method::GET, "/api/v1/cases", None)
            .await
            .0,
        200
    );
    let (status, text) = call(
        &app,
        &secret,
        Method::POST,
        "/api/v1/cases/1/notes",
        Some(json!({"body": "x"})),
    )
    .await;
    assert_eq!(status, 403, "{text}");

    // Someone of another workspace is not a member here.
    let other_ws = app
        .store
        .workspaces()
        .create("globex", "Globex", &advocate_core::Language::english())
        .await
        .unwrap();
    let stranger = app
        .store
        .users()
        .create_member(
            other_ws.id,
            "stranger@globex.example",
            &hash_password("a long enough password"),
            Role::Admin,
        )
        .await
        .unwrap();
    let before = app.store.row_counts().await.unwrap();
    let r = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "sneaky", "scopes": ["admin"], "user_id": stranger.id}),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert!(problem(r).await.contains("member"));
    assert_eq!(app.store.row_counts().await.unwrap(), before);
}

#[tokio::test]
async fn the_account_page_creates_shows_once_and_revokes_personal_keys() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in().await;
    let csrf = app.csrf(&cookie).await;
    let r = app
        .http
        .post(app.url("/account/api-keys"))
        .header(COOKIE, &cookie)
        .form(&[
            ("name", "My <script> sync"),
            ("read", "1"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("My &#60;script&#62; sync") && !html.contains("<script> sync"),
        "escaped"
    );
    let secret = html
        .split("id=\"new-api-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret is shown once")
        .to_owned();
    let (status, body) = call(&app, &secret, Method::GET, "/api/v1/me", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(crate::common::ADMIN_EMAIL));
    let (status, _) = call(
        &app,
        &secret,
        Method::POST,
        "/api/v1/answers",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 403, "read only");

    // Shown once: the page again lists the key by its prefix, never the secret.
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
    assert!(!html.contains(&secret) && html.contains(&secret[..10]));

    // No scope ticked: refused, nothing made.
    let before = app.store.row_counts().await.unwrap();
    let r = app
        .http
        .post(app.url("/account/api-keys"))
        .header(COOKIE, &cookie)
        .form(&[("name", "nothing"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(app.store.row_counts().await.unwrap(), before);

    let admin = app
        .store
        .users()
        .by_email(crate::common::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let id = app
        .store
        .api_keys()
        .list_personal(app.workspace_id, admin.id)
        .await
        .unwrap()[0]
        .id;
    let csrf = csrf_of(&html);
    let r = app
        .http
        .post(app.url(&format!("/account/api-keys/{id}/revoke")))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        call(&app, &secret, Method::GET, "/api/v1/me", None).await.0,
        401
    );
    // The workspace key of the admin is not theirs to revoke here.
    let workspace_key = app.store.api_keys().list(app.workspace_id).await.unwrap()[0].id;
    let r = app
        .http
        .post(app.url(&format!("/account/api-keys/{workspace_key}/revoke")))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        call(&app, &app.key, Method::GET, "/api/v1/cases", None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn a_person_keeps_their_own_alerts_with_their_key() {
    let app = TestApp::spawn().await;
    let (user_id, key) = member_with_key(&app, AGENT, Role::Agent).await;
    let (other_id, _) = member_with_key(&app, "other.agent@example.com", Role::Agent).await;
    let r = app
        .post_json(
            "/api/v1/alert-subscriptions",
            &json!({"user_id": other_id, "channel": "email"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let theirs = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let (status, body) = call(
        &app,
        &key,
        Method::POST,
        "/api/v1/me/alert-subscriptions",
        Some(
            json!({"channel": "email", "min_score": 0, "max_score": 4, "only_with_comment": true}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mine: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(mine["user_id"], user_id);
    let id = mine["id"].as_i64().unwrap();
    // Naming someone else is not a field here; a bad filter stores nothing.
    let before = app.store.row_counts().await.unwrap();
    for bad in [
        json!({"channel": "email", "user_id": other_id}),
        json!({"channel": "email", "min_score": 11}),
    ] {
        let (status, text) = call(
            &app,
            &key,
            Method::POST,
            "/api/v1/me/alert-subscriptions",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, 422, "{bad}: {text}");
    }
    assert_eq!(app.store.row_counts().await.unwrap(), before);

    let (_, body) = call(
        &app,
        &key,
        Method::GET,
        "/api/v1/me/alert-subscriptions",
        None,
    )
    .await;
    let list: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(
        list.iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![id]
    );
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"max_score": 6}))),
        (Method::DELETE, None),
    ] {
        let (status, _) = call(
            &app,
            &key,
            method.clone(),
            &format!("/api/v1/me/alert-subscriptions/{theirs}"),
            body,
        )
        .await;
        assert_eq!(status, 404, "{method}: another person's subscription");
    }
    let (status, body) = call(
        &app,
        &key,
        Method::PATCH,
        &format!("/api/v1/me/alert-subscriptions/{id}"),
        Some(json!({"max_score": 6})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["max_score"],
        6
    );
    assert_eq!(
        call(
            &app,
            &key,
            Method::DELETE,
            &format!("/api/v1/me/alert-subscriptions/{id}"),
            None
        )
        .await
        .0,
        204
    );

    // A viewer reads no answers or cases, so has no alerts.
    let (_, viewer) = member_with_key(&app, "viewer.one@example.com", Role::Viewer).await;
    let (status, text) = call(
        &app,
        &viewer,
        Method::GET,
        "/api/v1/me/alert-subscriptions",
        None,
    )
    .await;
    assert_eq!(status, 403, "{text}");
}
