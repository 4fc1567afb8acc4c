//! Schedules and event triggers set up in the app (`/surveys/{id}/sending`), on every
//! backend: created, edited, paused, resumed and deleted through the forms, checked through
//! the API (exactly what was named changed); bad input refused by field with the API's
//! words and nothing stored; the changes in the audit log; a trigger made on the page fires
//! on `POST /api/v1/events`; a viewer and an agent may look but not change (403), and
//! another workspace's admin finds neither the survey nor its schedules (404).

use crate::common::{location, problem, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use advocate_core::Role;
use advocate_server::auth::hash_password;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";

/// A person signed in through the form: the session cookie and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in of {email}");
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let csrf = app.csrf(&cookie).await;
    Session { cookie, csrf }
}

async fn member(app: &TestApp, workspace_id: i64, email: &str, role: Role) -> Session {
    app.store
        .users()
        .create_member(workspace_id, email, &hash_password(PASSWORD), role)
        .await
        .unwrap();
    sign_in(app, email, PASSWORD).await
}

async fn get(app: &TestApp, s: &Session, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(app.url(path))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a form as the signed-in person, with their CSRF token: the status, where it
/// redirects (empty when it does not), and the page.
async fn post(
    app: &TestApp,
    s: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let mut fields = vec![("csrf", s.csrf.as_str())];
    fields.extend_from_slice(form);
    let r = app
        .http
        .post(app.url(path))
        .header(COOKIE, &s.cookie)
        .header("origin", &app.base)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let to = if status == 303 {
        location(&r)
    } else {
        String::new()
    };
    (status, to, r.text().await.unwrap())
}

async fn list(app: &TestApp, path: &str) -> Vec<Value> {
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn schedules(app: &TestApp) -> Vec<Value> {
    list(app, "/api/v1/schedules").await
}

async fn triggers(app: &TestApp) -> Vec<Value> {
    list(app, "/api/v1/event-triggers").await
}

/// What the API says of a refused body, to compare with the page's words.
async fn api_refusal(app: &TestApp, path: &str, body: Value) -> String {
    let r = app.post_json(path, &body).await;
    assert!(r.status().is_client_error(), "{body}");
    problem(r).await
}

/// A text as the pages' templates escape it.
fn html_escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn audit_details(app: &TestApp) -> Vec<String> {
    app.store
        .audit()
        .log(app.workspace_id, 100, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect()
}

async fn set_up_in_the_app(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let survey = app.survey("rel", None).await;
    let id = survey["id"].as_i64().unwrap();
    let other = app.survey("other", None).await;
    let admin = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = format!("/surveys/{id}/sending");

    // Linked from the survey and the list; empty states say what to do.
    let (_, editor) = get(&app, &admin, &format!("/surveys/{id}")).await;
    assert!(editor.contains(&format!("href=\"{page}\"")), "{editor}");
    let (_, surveys) = get(&app, &admin, "/surveys").await;
    assert!(surveys.contains(&format!("href=\"{page}\"")));
    let (status, html) = get(&app, &admin, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("No schedules yet"), "{html}");
    assert!(html.contains("No event triggers yet"));

    // Bad schedules: refused by field, in the API's words where the API says it, and
    // nothing stored.
    let same_as_api = api_refusal(
        &app,
        "/api/v1/schedules",
        json!({"survey": "rel", "channel": "web", "every_days": 30}),
    )
    .await;
    let zero_days = api_refusal(
        &app,
        "/api/v1/schedules",
        json!({"survey": "rel", "channel": "email", "every_days": 0}),
    )
    .await;
    let fax = api_refusal(
        &app,
        "/api/v1/schedules",
        json!({"survey": "rel", "channel": "fax", "every_days": 30}),
    )
    .await;
    let create = format!("/surveys/{id}/schedules");
    for (form, field, says) in [
        (
            [
                ("channel", "fax"),
                ("every_days", "30"),
                ("sample_percent", "100"),
            ],
            "channel",
            fax.as_str(),
        ),
        (
            [
                ("channel", "web"),
                ("every_days", "30"),
                ("sample_percent", "100"),
            ],
            "channel",
            same_as_api.as_str(),
        ),
        (
            [
                ("channel", "email"),
                ("every_days", "0"),
                ("sample_percent", "100"),
            ],
            "every_days",
            zero_days.as_str(),
        ),
        (
            [
                ("channel", "email"),
                ("every_days", "-3"),
                ("sample_percent", "100"),
            ],
            "every_days",
            "every_days must be between 1 and 3650; got -3",
        ),
        (
            [
                ("channel", "email"),
                ("every_days", "often"),
                ("sample_percent", "100"),
            ],
            "every_days",
            "every_days must be a whole number between 1 and 3650; got \"often\"",
        ),
        (
            [
                ("channel", "email"),
                ("every_days", "30"),
                ("sample_percent", "150"),
            ],
            "sample_percent",
            "sample_percent must be between 1 and 100; got 150",
        ),
    ] {
        let (status, _, html) = post(&app, &admin, &create, &form).await;
        assert_eq!(status, 422, "{form:?}: {html}");
        let says = html_escaped(says);
        let by_field =
            format!("<p class=\"field-error\" id=\"new-schedule-{field}-error\">{says}</p>");
        assert!(html.contains(&by_field), "{form:?}: {by_field} in {html}");
        assert!(html.contains("role=\"alert\""));
        // What was typed stays in the form.
        let typed = format!("value=\"{}\"", form[1].1);
        assert!(html.contains(&typed), "{typed}");
    }
    assert!(schedules(&app).await.is_empty());

    // Created: exactly what the form said.
    let (status, to, _) = post(
        &app,
        &admin,
        &create,
        &[
            ("channel", "email"),
            ("every_days", "30"),
            ("sample_percent", "50"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(to, format!("{page}?done=schedule-created"));
    let all = schedules(&app).await;
    assert_eq!(all.len(), 1);
    let s = &all[0];
    let sid = s["id"].as_i64().unwrap();
    assert_eq!(
        (
            s["survey_id"].as_i64(),
            &s["channel"],
            &s["every_days"],
            &s["sample_percent"],
            &s["active"]
        ),
        (
            Some(id),
            &json!("email"),
            &json!(30),
            &json!(50),
            &json!(true)
        )
    );
    let (_, html) = get(&app, &admin, &to).await;
    assert!(html.contains("Schedule created"));
    assert!(
        html.contains(&format!(
            "<th scope=\"row\">#{sid}</th><td>EMAIL</td><td>30 days</td><td>50%</td>"
        )),
        "{html}"
    );
    assert!(
        html.contains("<td>Not yet</td><td>Today, within a minute</td>"),
        "{html}"
    );
    // Another survey's page does not list it, and cannot change it.
    let other_id = other["id"].as_i64().unwrap();
    let (_, html) = get(&app, &admin, &format!("/surveys/{other_id}/sending")).await;
    assert!(html.contains("No schedules yet"));
    let (status, _, _) = post(
        &app,
        &admin,
        &format!("/surveys/{other_id}/schedules/{sid}/delete"),
        &[],
    )
    .await;
    assert_eq!(status, 404);

    // Run by the worker: the page shows its last run and the next.
    app.store
        .schedules()
        .run_due(chrono::Utc::now())
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let (_, html) = get(&app, &admin, &page).await;
    let runs = format!(
        "<td>{today} (UTC)</td><td>{} (UTC)</td>",
        today.succ_opt().unwrap()
    );
    assert!(html.contains(&runs), "{runs} in {html}");

    // Edited: channel and cycle change, the sample and the state stay.
    let edit = format!("/surveys/{id}/schedules/{sid}");
    let (status, to, _) = post(
        &app,
        &admin,
        &edit,
        &[
            ("channel", "sms"),
            ("every_days", "60"),
            ("sample_percent", "50"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(to, format!("{page}?done=schedule-saved"));
    let s = &schedules(&app).await[0];
    assert_eq!(
        (
            &s["channel"],
            &s["every_days"],
            &s["sample_percent"],
            &s["active"]
        ),
        (&json!("sms"), &json!(60), &json!(50), &json!(true))
    );
    let log = audit_details(&app).await;
    assert!(
        log.iter().any(
            |d| d.contains("channel: \"email\" → \"sms\"") && d.contains("every_days: 30 → 60")
        ),
        "{log:?}"
    );
    // A refused edit: by its own form's field, typed value kept, nothing changed.
    let (status, _, html) = post(
        &app,
        &admin,
        &edit,
        &[
            ("channel", "sms"),
            ("every_days", "9999"),
            ("sample_percent", "50"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains(&format!("id=\"schedule-{sid}-every_days-error\">every_days must be between 1 and 3650; got 9999")), "{html}");
    assert!(html.contains("value=\"9999\""));
    assert_eq!(schedules(&app).await[0]["every_days"], 60);

    // Paused and resumed: only `active` changes.
    let active = format!("{edit}/active");
    let (status, to, _) = post(&app, &admin, &active, &[("active", "0")]).await;
    assert_eq!(status, 303);
    assert_eq!(to, format!("{page}?done=schedule-paused"));
    let s = &schedules(&app).await[0];
    assert_eq!(
        (
            &s["channel"],
            &s["every_days"],
            &s["sample_percent"],
            &s["active"]
        ),
        (&json!("sms"), &json!(60), &json!(50), &json!(false))
    );
    assert!(audit_details(&app)
        .await
        .iter()
        .any(|d| d == "active: true → false"));
    let (_, html) = get(&app, &admin, &page).await;
    assert!(
        html.contains("<span class=\"status-chip paused\">Paused</span></td><td>"),
        "{html}"
    );
    assert!(html.contains(">Resume<span class=\"visually-hidden\"> schedule #"));
    let (status, _, _) = post(&app, &admin, &active, &[("active", "maybe")]).await;
    assert_eq!(status, 422);
    assert_eq!(schedules(&app).await[0]["active"], false);
    let (status, _, _) = post(&app, &admin, &active, &[("active", "1")]).await;
    assert_eq!(status, 303);
    assert_eq!(schedules(&app).await[0]["active"], true);

    // Deleted: that one only.
    let (status, _, _) = post(
        &app,
        &admin,
        &create,
        &[
            ("channel", "email"),
            ("every_days", "365"),
            ("sample_percent", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, to, _) = post(&app, &admin, &format!("{edit}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(to, format!("{page}?done=schedule-deleted"));
    let left = schedules(&app).await;
    assert_eq!(left.len(), 1);
    assert_ne!(left[0]["id"].as_i64(), Some(sid));
    assert_eq!(
        (&left[0]["every_days"], &left[0]["sample_percent"]),
        (&json!(365), &json!(100))
    );
    assert!(audit_details(&app)
        .await
        .iter()
        .any(|d| d.starts_with(&format!("deleted schedule {sid}:"))));
    let (status, _, _) = post(&app, &admin, &format!("{edit}/delete"), &[]).await;
    assert_eq!(status, 404);

    // Bad triggers: refused by field, nothing stored.
    let spaced = api_refusal(
        &app,
        "/api/v1/event-triggers",
        json!({"event": "order delivered", "survey": "rel", "channel": "email"}),
    )
    .await;
    let widget = api_refusal(
        &app,
        "/api/v1/event-triggers",
        json!({"event": "order_delivered", "survey": "rel", "channel": "widget"}),
    )
    .await;
    let too_late = api_refusal(
        &app,
        "/api/v1/event-triggers",
        json!({"event": "order_delivered", "survey": "rel", "channel": "email", "delay_minutes": 131_040}),
    )
    .await;
    let add = format!("/surveys/{id}/triggers");
    for (form, field, says) in [
        (
            [
                ("event", "order delivered"),
                ("channel", "email"),
                ("delay", "2"),
                ("delay_unit", "hours"),
            ],
            "event",
            spaced.as_str(),
        ),
        (
            [
                ("event", "order_delivered"),
                ("channel", "widget"),
                ("delay", "2"),
                ("delay_unit", "hours"),
            ],
            "channel",
            widget.as_str(),
        ),
        (
            [
                ("event", "order_delivered"),
                ("channel", "email"),
                ("delay", "-5"),
                ("delay_unit", "minutes"),
            ],
            "delay",
            "delay must be a whole number of minutes, 0 or more; got \"-5\"",
        ),
        (
            [
                ("event", "order_delivered"),
                ("channel", "email"),
                ("delay", "91"),
                ("delay_unit", "days"),
            ],
            "delay",
            too_late.as_str(),
        ),
        (
            [
                ("event", "order_delivered"),
                ("channel", "email"),
                ("delay", "2"),
                ("delay_unit", "weeks"),
            ],
            "delay",
            "the delay's unit must be minutes, hours or days; got \"weeks\"",
        ),
    ] {
        let (status, _, html) = post(&app, &admin, &add, &form).await;
        assert_eq!(status, 422, "{form:?}: {html}");
        let says = html_escaped(says);
        let by_field =
            format!("<p class=\"field-error\" id=\"new-trigger-{field}-error\">{says}</p>");
        assert!(html.contains(&by_field), "{form:?}: {by_field} in {html}");
        assert!(html.contains(&format!("value=\"{}\"", form[0].1)));
    }
    assert!(triggers(&app).await.is_empty());

    // Created, two hours after the event; a second for another event.
    let form = [
        ("event", "order_delivered"),
        ("channel", "email"),
        ("delay", "2"),
        ("delay_unit", "hours"),
        ("sample_percent", "100"),
    ];
    let (status, to, _) = post(&app, &admin, &add, &form).await;
    assert_eq!(status, 303);
    assert_eq!(to, format!("{page}?done=trigger-created"));
    let (status, _, html) = post(&app, &admin, &add, &form).await;
    assert_eq!(status, 422, "the same event twice for one survey");
    assert!(html.contains("already triggers"), "{html}");
    let (status, _, _) = post(
        &app,
        &admin,
        &add,
        &[
            ("event", "ticket_closed"),
            ("channel", "web"),
            ("delay", "0"),
            ("delay_unit", "minutes"),
            ("sample_percent", "25"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let all = triggers(&app).await;
    assert_eq!(all.len(), 2);
    let t = all
        .iter()
        .find(|t| t["event"] == "order_delivered")
        .unwrap();
    let tid = t["id"].as_i64().unwrap();
    assert_eq!(
        (
            t["survey_id"].as_i64(),
            &t["channel"],
            &t["delay_minutes"],
            &t["sample_percent"],
            &t["active"]
        ),
        (
            Some(id),
            &json!("email"),
            &json!(120),
            &json!(100),
            &json!(true)
        )
    );
    let (_, html) = get(&app, &admin, &page).await;
    assert!(html.contains("<th scope=\"row\"><code>order_delivered</code></th><td>EMAIL</td><td>2 hours</td><td>100%</td>"), "{html}");
    assert!(html.contains(
        "<th scope=\"row\"><code>ticket_closed</code></th><td>WEB</td><td>At once</td><td>25%</td>"
    ));
    assert!(audit_details(&app)
        .await
        .iter()
        .any(|d| d.starts_with(&format!(
            "created event trigger {tid}: event order_delivered"
        ))));

    // It fires: the event schedules an invitation two hours after it occurred.
    let occurred = "2026-11-23T10:00:00Z";
    let event = json!({"name": "order_delivered", "occurred_at": occurred,
        "customer": {"external_id": "c-1001", "email": "ada@example.com"}});
    let r = app.post_json("/api/v1/events", &event).await;
    assert_eq!(r.status(), 201);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["invitations"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["invitations"][0]["status"], "scheduled", "{out}");
    assert_eq!(
        out["invitations"][0]["send_at"], "2026-11-23T12:00:00Z",
        "{out}"
    );

    // Deleted: that one only; the event no longer invites.
    let (status, to, _) = post(
        &app,
        &admin,
        &format!("/surveys/{id}/triggers/{tid}/delete"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(to, format!("{page}?done=trigger-deleted"));
    let left = triggers(&app).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["event"], "ticket_closed");
    let r = app
        .post_json(
            "/api/v1/events",
            &json!({"name": "order_delivered", "customer": {"external_id": "c-1002", "email": "bo@example.com"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let out: Value = r.json().await.unwrap();
    assert!(out["invitations"].as_array().unwrap().is_empty(), "{out}");
    let (status, _, _) = post(
        &app,
        &admin,
        &format!("/surveys/{id}/triggers/{tid}/delete"),
        &[],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn schedules_and_triggers_are_set_up_in_the_app_on_every_backend() {
    for db in TestDb::all().await {
        set_up_in_the_app(db).await;
    }
}

async fn only_admins_of_the_workspace(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let survey = app.survey("rel", None).await;
    let id = survey["id"].as_i64().unwrap();
    let r = app
        .post_json(
            "/api/v1/schedules",
            &json!({"survey": "rel", "channel": "email", "every_days": 90}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let sid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app
        .post_json(
            "/api/v1/event-triggers",
            &json!({"event": "order_delivered", "survey": "rel", "channel": "email"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let tid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let before = (schedules(&app).await, triggers(&app).await);
    let page = format!("/surveys/{id}/sending");
    let schedule_form = [
        ("channel", "sms"),
        ("every_days", "30"),
        ("sample_percent", "10"),
    ];
    let changes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/surveys/{id}/schedules"), schedule_form.to_vec()),
        (
            format!("/surveys/{id}/schedules/{sid}"),
            schedule_form.to_vec(),
        ),
        (
            format!("/surveys/{id}/schedules/{sid}/active"),
            vec![("active", "0")],
        ),
        (format!("/surveys/{id}/schedules/{sid}/delete"), vec![]),
        (
            format!("/surveys/{id}/triggers"),
            vec![
                ("event", "x"),
                ("channel", "email"),
                ("delay", "0"),
                ("delay_unit", "minutes"),
            ],
        ),
        (format!("/surveys/{id}/triggers/{tid}/delete"), vec![]),
    ];

    // A viewer and an agent may look, without forms; every change is refused.
    for (email, role) in [
        ("viewer@example.com", Role::Viewer),
        ("agent@example.com", Role::Agent),
    ] {
        let s = member(&app, app.workspace_id, email, role).await;
        let (status, html) = get(&app, &s, &page).await;
        assert_eq!(status, 200, "{role:?}");
        assert!(html.contains("order_delivered"));
        assert!(html.contains("only admins change it"));
        assert!(!html.contains("Add schedule") && !html.contains("Add event trigger"));
        assert!(!html.contains(&format!("/schedules/{sid}/delete")));
        for (path, form) in &changes {
            let (status, _, _) = post(&app, &s, path, form).await;
            assert_eq!(status, 403, "{role:?} {path}");
        }
    }
    assert_eq!((schedules(&app).await, triggers(&app).await), before);

    // Another workspace's admin: neither the survey nor its schedules and triggers, not
    // even through a survey of their own.
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    let mallory = member(&app, other.id, "mallory@other.example", Role::Admin).await;
    let (status, html) = get(&app, &mallory, &page).await;
    assert_eq!(status, 404);
    assert!(!html.contains("order_delivered"));
    for (path, form) in &changes {
        let (status, _, _) = post(&app, &mallory, path, form).await;
        assert_eq!(status, 404, "{path}");
    }
    let theirs = app
        .store
        .surveys()
        .create(
            other.id,
            &advocate_store::models::NewSurvey {
                slug: advocate_core::Label::new("theirs").unwrap(),
                kind: advocate_core::SurveyKind::Nps,
                name: "Theirs".into(),
                touchpoint: None,
                default_language: advocate_core::Language::english(),
                texts: Default::default(),
            },
        )
        .await
        .unwrap();
    let (status, html) = get(&app, &mallory, &format!("/surveys/{}/sending", theirs.id)).await;
    assert_eq!(status, 200);
    assert!(html.contains("No schedules yet") && html.contains("No event triggers yet"));
    for (path, form) in &changes[1..] {
        let path = path.replacen(
            &format!("/surveys/{id}/"),
            &format!("/surveys/{}/", theirs.id),
            1,
        );
        if path.ends_with("/triggers") {
            continue;
        }
        let (status, _, _) = post(&app, &mallory, &path, form).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!((schedules(&app).await, triggers(&app).await), before);
}

#[tokio::test]
async fn only_the_workspace_s_admins_change_schedules_and_triggers_on_every_backend() {
    for db in TestDb::all().await {
        only_admins_of_the_workspace(db).await;
    }
}

/// A list invited from the app (`/surveys/{id}/invite`): pasted CSV, all or nothing, bad
/// rows named by line, skips counted by reason; viewers and agents may not, another
/// workspace's admin finds no survey.
async fn a_list_is_invited_from_the_app(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let survey = app.survey("rel", None).await;
    let id = survey["id"].as_i64().unwrap();
    let admin = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = format!("/surveys/{id}/invite");
    let (status, html) = get(&app, &admin, &format!("/surveys/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!(r#"href="{page}""#)),
        "linked from the editor"
    );
    let (status, html) = get(&app, &admin, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("external_id,name,email,language"));

    // Bad rows: each named by its line, nobody invited or created.
    let bad = "external_id,email,plan\nC1,kari@example.com,basic\nC2,not-an-address,basic\n\
               C1,ola@example.com,pro\nC3";
    let (status, _, html) = post(
        &app,
        &admin,
        &page,
        &[
            ("customers", bad),
            ("channel", "email"),
            ("sample_percent", "100"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("line 3: "), "{html}");
    assert!(
        html.contains("line 4: external_id &#34;C1&#34; is also on line 2")
            || html.contains("line 4: external_id &quot;C1&quot; is also on line 2"),
        "{html}"
    );
    assert!(
        html.contains("line 5: has 1 fields but the header has 3"),
        "{html}"
    );
    assert!(html.contains("Nobody was invited"));
    for (form, says) in [
        (
            vec![
                ("customers", "email\nx@example.com"),
                ("channel", "email"),
                ("sample_percent", "100"),
            ],
            "missing required column external_id",
        ),
        (
            vec![
                ("customers", "external_id\nC1"),
                ("channel", "fax"),
                ("sample_percent", "100"),
            ],
            "channel must be email, sms or web",
        ),
        (
            vec![
                ("customers", "external_id\nC1"),
                ("channel", "email"),
                ("sample_percent", "0"),
            ],
            "sample_percent must be a whole number from 1 to 100",
        ),
    ] {
        let (status, _, html) = post(&app, &admin, &page, &form).await;
        assert_eq!(status, 422, "{says}");
        assert!(html.contains(says), "{says}: {html}");
    }
    assert!(list(&app, "/api/v1/invitations").await.is_empty());
    assert!(app
        .store
        .customers()
        .by_external_id(app.workspace_id, "C1")
        .await
        .unwrap()
        .is_none());

    // A good list: created and invited; one without an email is skipped, said so.
    let good = "external_id,name,email,plan\nC1,Kari,kari@example.com,basic\nC2,Ola,,pro\n";
    let (status, _, html) = post(
        &app,
        &admin,
        &page,
        &[
            ("customers", good),
            ("channel", "email"),
            ("sample_percent", "100"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Invited 1 of 2; skipped 1 without an email address."),
        "{html}"
    );
    let invited = list(&app, "/api/v1/invitations?survey=rel").await;
    assert_eq!(invited.len(), 1, "only Kari's is stored: {invited:?}");
    let kari = app
        .store
        .customers()
        .by_external_id(app.workspace_id, "C1")
        .await
        .unwrap()
        .expect("created from the list");
    assert_eq!(
        kari.attributes.values().next().map(String::as_str),
        Some("basic")
    );

    // Viewers and agents: not theirs to do. Another workspace: no such survey.
    for role in [Role::Viewer, Role::Agent] {
        let s = member(&app, app.workspace_id, &format!("{role}@example.com"), role).await;
        let (status, _, _) = post(
            &app,
            &s,
            &page,
            &[
                ("customers", good),
                ("channel", "email"),
                ("sample_percent", "100"),
            ],
        )
        .await;
        assert_eq!(status, 403, "{role}");
    }
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &advocate_core::Language::english())
        .await
        .unwrap();
    let stranger = member(&app, other.id, "stranger@example.com", Role::Admin).await;
    let (status, _) = get(&app, &stranger, &page).await;
    assert_eq!(status, 404);
    let (status, _, _) = post(
        &app,
        &stranger,
        &page,
        &[
            ("customers", good),
            ("channel", "email"),
            ("sample_percent", "100"),
        ],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(list(&app, "/api/v1/invitations").await.len(), 1);
}

#[tokio::test]
async fn a_list_is_invited_from_the_app_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        a_list_is_invited_from_the_app(db).await;
    }
}
