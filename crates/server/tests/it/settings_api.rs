//! Settings that stick, on both databases: `PUT` replaces and refuses a body with a field
//! missing (422 naming every one, nothing changed), `PATCH` changes only what it names, and
//! the audit log records the fields changed with secrets masked — for settings and every
//! other resource with a `PUT`. Also the workspace's name, its setup warnings, the widget
//! secret (admins only, rotation with grace) and alerts that reach the admins by default.

use crate::common::*;
use advocate_core::{Role, Scope};
use advocate_server::auth::hash_password;
use advocate_store::testing::TestDb;
use hmac::{Hmac, Mac};
use reqwest::header::COOKIE;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use sha2::Sha256;

async fn send(app: &TestApp, method: Method, path: &str, body: &Value) -> Response {
    app.http
        .request(method, app.url(path))
        .bearer_auth(&app.key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn ok_json(r: Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    ok_json(app.get(path).send().await.unwrap()).await
}

/// The detail of the newest `configuration.changed` line of the audit log.
async fn last_change(app: &TestApp) -> (String, String) {
    let log = get_json(app, "/api/v1/audit-log").await;
    let line = log
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["action"] == "configuration.changed")
        .unwrap_or_else(|| panic!("a configuration change in {log}"));
    (
        line["target"].as_str().unwrap().to_owned(),
        line["detail"].as_str().unwrap().to_owned(),
    )
}

/// A `PUT` without `missing` is refused naming each of them, and `path` reads the same after.
async fn refused_put(app: &TestApp, path: &str, read: &str, body: Value, missing: &[&str]) {
    let before = get_json(app, read).await;
    let r = send(app, Method::PUT, path, &body).await;
    assert_eq!(r.status(), 422, "PUT {path} {body}");
    let detail = problem(r).await;
    for field in missing {
        assert!(
            detail.contains(field),
            "PUT {path}: {detail} should name {field}"
        );
    }
    assert!(detail.contains("nothing was changed"), "{detail}");
    assert_eq!(
        get_json(app, read).await,
        before,
        "PUT {path} changed nothing"
    );
}

async fn put_must_be_whole_and_patch_changes_only_what_it_names(app: TestApp) {
    // A workspace configured the way a customer would: NOK, a sender, review links.
    let configured = ok_json(
        send(
            &app,
            Method::PATCH,
            "/api/v1/settings",
            &json!({
                "currency": "NOK",
                "sender_email": "nps@nordlys.example",
                "sender_name": "Nordlys",
                "review_links": [{"name": "Trustpilot", "url": "https://trustpilot.example/nordlys"}],
                "resurvey_after_resolution": true,
                "slack_webhook_url": "https://hooks.slack.com/services/T000/B000/SECRETTOKEN"
            }),
        )
        .await,
    )
    .await;
    assert_eq!(configured["currency"], "NOK");

    // The reported bug: a PUT of one field wiped the rest. Now it is refused, naming each.
    let mut missing: Vec<String> = configured
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "passive_nudge")
        .cloned()
        .collect();
    missing.sort();
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    assert!(missing.contains(&"currency") && missing.contains(&"sender_email"));
    refused_put(
        &app,
        "/api/v1/settings",
        "/api/v1/settings",
        json!({"passive_nudge": true}),
        &missing,
    )
    .await;

    // PATCH one field: only that field changes.
    let before = get_json(&app, "/api/v1/settings").await;
    let after = ok_json(
        send(
            &app,
            Method::PATCH,
            "/api/v1/settings",
            &json!({"passive_nudge": true}),
        )
        .await,
    )
    .await;
    let mut expected = before.clone();
    expected["passive_nudge"] = json!(true);
    assert_eq!(after, expected);
    assert_eq!(get_json(&app, "/api/v1/settings").await, expected);
    let (target, detail) = last_change(&app).await;
    assert_eq!(
        (target.as_str(), detail.as_str()),
        ("PATCH /api/v1/settings", "passive_nudge: false → true")
    );

    // null clears an optional field and puts a required one back to its default.
    let after = ok_json(
        send(
            &app,
            Method::PATCH,
            "/api/v1/settings",
            &json!({"currency": null, "sender_name": null, "sla_hours": {"critical": 2}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            &after["currency"],
            &after["sender_name"],
            &after["sla_hours"]["critical"],
            &after["sla_hours"]["high"],
            &after["sender_email"]
        ),
        (
            &json!("EUR"),
            &Value::Null,
            &json!(2),
            &before["sla_hours"]["high"],
            &before["sender_email"]
        )
    );
    // Unknown fields and bad values: refused, nothing changed.
    let before = get_json(&app, "/api/v1/settings").await;
    for (body, words) in [
        (json!({"colour": "red"}), "unknown field colour"),
        (
            json!({"currency": "kroner", "passive_nudge": false}),
            "currency must be",
        ),
        (json!({"currency": "NKO"}), "currency must be"),
        (json!({"slack_webhook_url": "ftp://x"}), "slack_webhook_url"),
    ] {
        let r = send(&app, Method::PATCH, "/api/v1/settings", &body).await;
        assert_eq!(r.status(), 422, "{body}");
        assert!(problem(r).await.contains(words), "{body}");
    }
    assert_eq!(get_json(&app, "/api/v1/settings").await, before);

    // A whole PUT replaces; its audit line names the changes, the Slack URL masked.
    let mut whole = before.clone();
    whole["currency"] = json!("SEK");
    whole["slack_webhook_url"] = json!("https://hooks.slack.com/services/T000/B000/OTHERTOKEN");
    assert_eq!(
        ok_json(send(&app, Method::PUT, "/api/v1/settings", &whole).await).await,
        whole
    );
    let (target, detail) = last_change(&app).await;
    assert_eq!(target, "PUT /api/v1/settings");
    assert_eq!(
        detail,
        "currency: \"EUR\" → \"SEK\"; slack_webhook_url: (secret) → (another secret)"
    );
    let log = app
        .get("/api/v1/audit-log")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!log.contains("TOKEN"), "no secret in the audit log: {log}");

    // A change that changes nothing is answered as usual and leaves no audit line.
    let lines = || async {
        get_json(&app, "/api/v1/audit-log")
            .await
            .as_array()
            .unwrap()
            .len()
    };
    let before_noop = lines().await;
    let same = json!({"currency": "SEK"});
    let r = send(&app, Method::PATCH, "/api/v1/settings", &same).await;
    assert_eq!(ok_json(r).await, whole);
    assert_eq!(
        lines().await,
        before_noop,
        "no audit line for a no-op PATCH"
    );
}

#[tokio::test]
async fn put_must_be_whole_and_patch_changes_only_what_it_names_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        put_must_be_whole_and_patch_changes_only_what_it_names(TestApp::spawn_on(db).await).await;
    }
}

async fn every_other_put_is_whole_and_has_a_patch(app: TestApp) {
    app.survey("rel", None).await;

    // Playbooks.
    refused_put(
        &app,
        "/api/v1/playbooks/4",
        "/api/v1/playbooks",
        json!({"steps": ["Call"]}),
        &["priority", "language"],
    )
    .await;
    let p = ok_json(
        send(
            &app,
            Method::PUT,
            "/api/v1/playbooks/4",
            &json!({"steps": ["Call", "Fix"], "priority": "critical", "language": null}),
        )
        .await,
    )
    .await;
    assert_eq!(p["priority"], "critical");
    let p = ok_json(
        send(
            &app,
            Method::PATCH,
            "/api/v1/playbooks/4",
            &json!({"priority": "medium"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (&p["steps"], &p["priority"]),
        (&json!(["Call", "Fix"]), &json!("medium"))
    );
    assert_eq!(
        last_change(&app).await,
        (
            "PATCH /api/v1/playbooks/4".to_owned(),
            "priority: \"critical\" → \"medium\"".to_owned()
        )
    );
    // `?language=` picks the playbook, as for GET and DELETE; the others stay.
    let nb = ok_json(
        send(
            &app,
            Method::PATCH,
            "/api/v1/playbooks/4?language=nb",
            &json!({"priority": "normal"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (&nb["language"], &nb["priority"]),
        (&json!("nb"), &json!("normal"))
    );
    let all = ok_json(app.get("/api/v1/playbooks").send().await.unwrap()).await;
    let four = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["score"] == 4)
        .unwrap();
    assert_eq!(four["priority"], "medium", "{all}");
    let r = send(
        &app,
        Method::PATCH,
        "/api/v1/playbooks/4?language=nb",
        &json!({"language": "sv", "priority": "high"}),
    )
    .await;
    assert_eq!(r.status(), 422);

    // Routing rules.
    let rule = ok_json(
        app.post_json(
            "/api/v1/routing-rules",
            &json!({"touchpoint": "support", "assignee": "Support"}),
        )
        .await,
    )
    .await;
    let path = format!("/api/v1/routing-rules/{}", rule["id"]);
    refused_put(
        &app,
        &path,
        "/api/v1/routing-rules",
        json!({"assignee": "care@example.com"}),
        &["attribute", "value", "touchpoint", "language", "position"],
    )
    .await;
    let r = ok_json(
        send(
            &app,
            Method::PATCH,
            &path,
            &json!({"assignee": "care@example.com"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (&r["touchpoint"], &r["assignee"], &r["position"]),
        (&json!("support"), &json!("care@example.com"), &json!(1))
    );
    assert_eq!(
        last_change(&app).await.1,
        "assignee: \"Support\" → \"care@example.com\""
    );

    // Schedules.
    let schedule = ok_json(
        app.post_json(
            "/api/v1/schedules",
            &json!({"survey": "rel", "channel": "email", "every_days": 90, "sample_percent": 50}),
        )
        .await,
    )
    .await;
    let path = format!("/api/v1/schedules/{}", schedule["id"]);
    refused_put(
        &app,
        &path,
        "/api/v1/schedules",
        json!({"survey": "rel", "channel": "email", "every_days": 30}),
        &["sample_percent", "active"],
    )
    .await;
    let s = ok_json(send(&app, Method::PATCH, &path, &json!({"every_days": 30})).await).await;
    assert_eq!(
        (&s["every_days"], &s["sample_percent"], &s["active"]),
        (&json!(30), &json!(50), &json!(true))
    );
    assert_eq!(last_change(&app).await.1, "every_days: 90 → 30");

    // Invitation texts.
    let texts = "/api/v1/invitation-texts/nb";
    ok_json(
        send(
            &app,
            Method::PATCH,
            texts,
            &json!({"subject": "Et kjapt spørsmål", "intro": "Hei!"}),
        )
        .await,
    )
    .await;
    refused_put(
        &app,
        texts,
        texts,
        json!({"subject": "Hei"}),
        &["intro", "footer", "sms"],
    )
    .await;
    let t = ok_json(send(&app, Method::PATCH, texts, &json!({"intro": null})).await).await;
    assert_eq!(
        (&t["subject"], &t["intro"]),
        (&json!("Et kjapt spørsmål"), &Value::Null)
    );

    // The workspace.
    refused_put(
        &app,
        "/api/v1/workspace",
        "/api/v1/workspace",
        json!({}),
        &["name"],
    )
    .await;
    let w = ok_json(
        send(
            &app,
            Method::PATCH,
            "/api/v1/workspace",
            &json!({"name": "Nordlys AS"}),
        )
        .await,
    )
    .await;
    assert_eq!(w["name"], "Nordlys AS");
    assert_eq!(last_change(&app).await.1, "name: \"Acme\" → \"Nordlys AS\"");
    let r = send(
        &app,
        Method::PUT,
        "/api/v1/workspace",
        &json!({"name": " "}),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("name must not be empty"));

    // Webhooks have only PATCH; its audit line names the change too.
    let hook = ok_json(
        app.post_json(
            "/api/v1/webhooks",
            &json!({"url": "https://crm.example.com/hook", "events": ["case.created"]}),
        )
        .await,
    )
    .await;
    let path = format!("/api/v1/webhooks/{}", hook["id"]);
    ok_json(send(&app, Method::PATCH, &path, &json!({"active": false})).await).await;
    assert_eq!(last_change(&app).await.1, "active: true → false");

    // Members and follow-up flags have one field each: a body without it is refused too.
    let r = send(
        &app,
        Method::PUT,
        "/api/v1/customers/C1/follow-up",
        &json!({}),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("missing field note"));
}

#[tokio::test]
async fn every_other_put_is_whole_and_has_a_patch_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        every_other_put_is_whole_and_has_a_patch(TestApp::spawn_on(db).await).await;
    }
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

async fn page(app: &TestApp, cookie: &str, path: &str) -> String {
    let r = app
        .http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The settings page: a post resets nothing it does not carry, renames the workspace, and
/// its audit line names the changes; warnings show until the setup is done.
async fn the_settings_page_renames_warns_and_resets_nothing(app: TestApp) {
    send(
        &app,
        Method::PATCH,
        "/api/v1/settings",
        &json!({"currency": "NOK", "resurvey_after_resolution": true,
                "anonymous_detractors": "case",
                "review_links": [{"name": "G", "url": "https://g.example.com"}]}),
    )
    .await;
    let before = get_json(&app, "/api/v1/settings").await;
    let cookie = app.sign_in().await;
    let html = page(&app, &cookie, "/settings").await;
    assert!(
        html.contains("Emails are sent from advocate@localhost"),
        "sender warning"
    );
    assert!(
        html.contains("emailed to the workspace&#39;s admins (admin@example.com)")
            || html.contains("emailed to the workspace's admins (admin@example.com)"),
        "alert warning"
    );
    let dashboard = page(&app, &cookie, "/dashboard").await;
    assert!(dashboard.contains("Emails are sent from advocate@localhost"));

    // A form that carries only the sender and the name: nothing else moves.
    let r = form(
        &app,
        &cookie,
        "/settings",
        &[
            ("sender_email", "nps@nordlys.example"),
            ("name", "Nordlys AS"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let mut expected = before.clone();
    expected["sender_email"] = json!("nps@nordlys.example");
    assert_eq!(get_json(&app, "/api/v1/settings").await, expected);
    assert_eq!(
        get_json(&app, "/api/v1/workspace").await["name"],
        "Nordlys AS"
    );
    let (target, detail) = last_change(&app).await;
    assert_eq!(target, "POST /settings");
    assert_eq!(
        detail,
        "name: \"Acme\" → \"Nordlys AS\"; sender_email: (not set) → \"nps@nordlys.example\""
    );
    let html = page(&app, &cookie, "/settings").await;
    assert!(!html.contains("Emails are sent from advocate@localhost"));
    assert!(html.contains(r#"value="Nordlys AS""#));

    // The whole form as the page shows it saves what it shows, unchecked boxes included.
    let token = app.csrf(&cookie).await;
    let r = app
        .http
        .post(app.url("/settings"))
        .header(COOKIE, &cookie)
        .header("x-csrf-token", token)
        .form(&[("checkboxes", "1"), ("name", "Nordlys AS")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let s = get_json(&app, "/api/v1/settings").await;
    assert_eq!(
        (&s["resurvey_after_resolution"], &s["currency"]),
        (&json!(false), &json!("NOK"))
    );

    // A playbook saved on the page: its audit line names what changed.
    let r = form(
        &app,
        &cookie,
        "/settings/playbooks/6",
        &[("steps", "Call them\nThank them"), ("priority", "high")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (target, detail) = last_change(&app).await;
    assert_eq!(target, "POST /settings/playbooks/6");
    assert!(
        detail.starts_with("priority: \"normal\" → \"high\"; steps: [")
            && detail.ends_with("→ [\"Call them\",\"Thank them\"]"),
        "{detail}"
    );

    // The invitation email says the new name.
    app.survey("rel", None).await;
    let r = app
        .post_json(
            "/api/v1/invitations",
            &json!({"survey": "rel", "channel": "email",
                    "customers": [{"external_id": "c1", "email": "kari@example.com"}]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    app.store
        .invitations()
        .dispatch_due(chrono::Utc::now(), 100)
        .await
        .unwrap();
    let emails = mailbox(&app.store).await;
    let invitation = emails
        .iter()
        .find(|e| e.to == "kari@example.com")
        .expect("the invitation email");
    assert_eq!(invitation.subject, "A quick question from Nordlys AS");
}

#[tokio::test]
async fn the_settings_page_renames_warns_and_resets_nothing_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        the_settings_page_renames_warns_and_resets_nothing(TestApp::spawn_on(db).await).await;
    }
}

/// The page's sections each save on their own: a section's post changes only its fields
/// (its unticked boxes included, other sections' boxes kept), says "Saved." in that
/// section, and a refusal is shown in the section posted, tied to the field it names,
/// with nothing changed.
async fn settings_sections_save_on_their_own(app: TestApp) {
    let cookie = app.sign_in().await;
    let html = page(&app, &cookie, "/settings").await;
    for section in [
        "workspace",
        "alerts",
        "engagements",
        "invitations",
        "privacy",
    ] {
        assert!(
            html.contains(&format!(r#"name="section" value="{section}""#)),
            "a form of its own for {section}"
        );
    }
    assert!(html.contains(r#"id="integrations""#) && html.contains(r#"href="/settings/sso""#));
    // Tick the passive nudge and two-factor in their sections.
    let r = form(
        &app,
        &cookie,
        "/settings",
        &[
            ("section", "engagements"),
            ("checkboxes", "passive_nudge,resurvey_after_resolution"),
            ("passive_nudge", "1"),
            ("review_links", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/settings?saved=engagements#engagements");
    let before = get_json(&app, "/api/v1/settings").await;
    assert_eq!(before["passive_nudge"], json!(true));
    assert_eq!(before["resurvey_after_resolution"], json!(false));

    // The privacy section unticks nothing of the engagements section.
    let r = form(
        &app,
        &cookie,
        "/settings",
        &[
            ("section", "privacy"),
            ("checkboxes", "require_two_factor"),
            ("answer_retention_months", "24"),
            ("enps_min_group_size", "5"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let mut expected = before.clone();
    expected["answer_retention_months"] = json!(24);
    assert_eq!(get_json(&app, "/api/v1/settings").await, expected);
    let html = page(&app, &cookie, "/settings?saved=privacy").await;
    let privacy = &html[html.find(r#"id="privacy""#).unwrap()..];
    let privacy = &privacy[..privacy.find("</section>").unwrap()];
    assert!(privacy.contains("Saved."), "{privacy}");
    assert_eq!(
        html.matches("Saved.").count(),
        1,
        "only the saved section says so"
    );

    // A refusal: in its section, on its field, nothing changed.
    for (fields, section, field, says) in [
        (
            vec![("section", "alerts"), ("sla_high", "soon")],
            "alerts",
            "sla_high",
            "The SLA for high",
        ),
        (
            vec![("section", "alerts"), ("sla_high", "0")],
            "alerts",
            "sla_high",
            "sla_hours.high",
        ),
        (
            vec![("section", "invitations"), ("reminder_after_days", "99")],
            "invitations",
            "reminder_after_days",
            "reminder_after_days",
        ),
        (
            vec![("section", "workspace"), ("sender_email", "not an address")],
            "workspace",
            "sender_email",
            "sender_email",
        ),
        (
            vec![
                ("section", "engagements"),
                ("review_links", "Trustpilot https://x.example"),
            ],
            "engagements",
            "review_links",
            "Review site line 1",
        ),
    ] {
        let r = form(&app, &cookie, "/settings", &fields).await;
        assert_eq!(r.status(), 422, "{fields:?}");
        let html = r.text().await.unwrap();
        let at = html.find(&format!(r#"id="{section}""#)).unwrap();
        let own = &html[at..at + html[at..].find("</section>").unwrap()];
        assert!(
            own.contains(r#"role="alert""#) && own.contains(says),
            "{says}: {own}"
        );
        assert_eq!(
            html.matches(r#"role="alert""#).count(),
            1,
            "one message: {html}"
        );
        let input = &own[own.find(&format!(r#"id="{field}""#)).unwrap()..];
        let input = &input[..input.find('>').unwrap()];
        assert!(
            input.contains(&format!(
                r#"aria-invalid="true" aria-describedby="error-{section}""#
            )),
            "{field}: {input}"
        );
        assert_eq!(
            get_json(&app, "/api/v1/settings").await,
            expected,
            "{fields:?}"
        );
    }
}

#[tokio::test]
async fn settings_sections_save_on_their_own_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        settings_sections_save_on_their_own(TestApp::spawn_on(db).await).await;
    }
}

/// A fresh workspace's detractor alert goes to its admins, and the settings page says so
/// until a team inbox is set.
async fn a_fresh_workspace_alerts_its_admins(app: TestApp) {
    app.survey("rel", None).await;
    let r = app
        .answer(
            json!({"survey": "rel", "score": 0, "customer": {"external_id": "C9", "name": "Kari"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let alerts: Vec<_> = mailbox(&app.store)
        .await
        .into_iter()
        .filter(|e| e.subject.contains("case") || e.text.contains("/cases/"))
        .collect();
    assert_eq!(
        alerts.iter().map(|e| e.to.as_str()).collect::<Vec<_>>(),
        [ADMIN_EMAIL],
        "the admin is alerted"
    );
    let info = get_json(&app, "/api/v1/workspace").await;
    assert_eq!(info["warnings"][0]["code"], "alerts_to_admins");

    send(
        &app,
        Method::PATCH,
        "/api/v1/settings",
        &json!({"alerts_email": "care@example.com"}),
    )
    .await;
    let info = get_json(&app, "/api/v1/workspace").await;
    assert!(
        info["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["code"] != "alerts_to_admins"),
        "{info}"
    );
}

#[tokio::test]
async fn a_fresh_workspace_alerts_its_admins_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        a_fresh_workspace_alerts_its_admins(TestApp::spawn_on(db).await).await;
    }
}

fn sign(secret: &str, customer: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(customer.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The widget secret: admins see it (page and API), nobody else; after a rotation the old
/// secret still signs (the grace period itself is tested in the store, with its clock).
async fn the_widget_secret_is_shown_to_admins_and_rotates(app: TestApp) {
    let survey = app.survey("rel", None).await;
    app.post_json("/api/v1/customers", &json!({"external_id": "c-1001"}))
        .await;
    let secrets = get_json(&app, "/api/v1/workspace/widget-secret").await;
    let first = secrets["secret"].as_str().unwrap().to_owned();
    assert_eq!(first.len(), 64);
    assert_eq!(
        first,
        app.store
            .invitations()
            .widget_secret(app.workspace_id)
            .await
            .unwrap()
    );

    // Not for a key without the admin scope.
    let (_, read_key) = app
        .store
        .api_keys()
        .create_scoped(app.workspace_id, "reader", &[Scope::Read, Scope::Ingest])
        .await
        .unwrap();
    let r = app
        .http
        .get(app.url("/api/v1/workspace/widget-secret"))
        .bearer_auth(&read_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // On the settings page for admins only.
    let cookie = app.sign_in().await;
    assert!(page(&app, &cookie, "/settings").await.contains(&first));
    app.store
        .users()
        .create_member(
            app.workspace_id,
            "manager@example.com",
            &hash_password("manager password"),
            Role::Manager,
        )
        .await
        .unwrap();
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[
            ("email", "manager@example.com"),
            ("password", "manager password"),
        ])
        .send()
        .await
        .unwrap();
    let manager = r.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let manager_page = app
        .http
        .get(app.url("/settings"))
        .header(COOKIE, &manager)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !manager_page.contains(&first),
        "a non-admin does not see the secret"
    );
    assert!(!manager_page.contains("Widget secret"));
    // Setup warnings (they name the admins) are for those who can act on them.
    let manager_dashboard = app
        .http
        .get(app.url("/dashboard"))
        .header(COOKIE, &manager)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !manager_dashboard.contains("setup-warning"),
        "{manager_dashboard}"
    );
    assert!(page(&app, &cookie, "/dashboard")
        .await
        .contains("setup-warning"));

    // Rotation through the API: both sign during the grace period.
    let rotated = ok_json(
        app.post("/api/v1/workspace/widget-secret/rotate")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let second = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(rotated["previous_secret"], first.as_str());
    assert!(rotated["previous_valid_until"].is_string());
    for secret in [&first, &second] {
        let r = app
            .http
            .get(app.url(&format!(
                "/w/{}/prompt",
                survey["public_id"].as_str().unwrap()
            )))
            .query(&[
                ("customer", "c-1001"),
                ("signature", &sign(secret, "c-1001")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let r = app
        .http
        .get(app.url(&format!(
            "/w/{}/prompt",
            survey["public_id"].as_str().unwrap()
        )))
        .query(&[
            ("customer", "c-1001"),
            ("signature", &sign("not the secret", "c-1001")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Rotation from the page; the page states the grace period; the log never holds it.
    let r = form(&app, &cookie, "/settings/widget-secret/rotate", &[]).await;
    assert_eq!(r.status(), 303);
    let html = page(&app, &cookie, "/settings").await;
    assert!(!html.contains(&first) && html.contains("still accepted for 7 days"));
    let log = app
        .get("/api/v1/audit-log")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.contains("widget_secret.rotated"));
    assert!(!log.contains(&first) && !log.contains(&second), "{log}");
}

#[tokio::test]
async fn the_widget_secret_is_shown_to_admins_and_rotates_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        the_widget_secret_is_shown_to_admins_and_rotates(TestApp::spawn_on(db).await).await;
    }
}

/// A field inside a nested object is checked like a top-level one: an unknown one is
/// named and nothing changes.
#[tokio::test]
async fn an_unknown_nested_field_is_refused_by_name() {
    let app = TestApp::spawn().await;
    let before = ok_json(app.get("/api/v1/settings").send().await.unwrap()).await;
    let r = send(
        &app,
        Method::PATCH,
        "/api/v1/settings",
        &json!({"sla_hours": {"bogus": 3}}),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("bogus"));
    // A value of the wrong type or out of range names its field too.
    for (body, field) in [
        (
            json!({"passive_nudge": "yes"}),
            "passive_nudge: invalid type",
        ),
        (
            json!({"sla_hours": {"critical": -1}}),
            "sla_hours.critical: invalid value",
        ),
    ] {
        let r = send(&app, Method::PATCH, "/api/v1/settings", &body).await;
        assert_eq!(r.status(), 422, "{body}");
        let text = r.text().await.unwrap();
        assert!(text.contains(field), "{body}: {text}");
    }
    let after = ok_json(app.get("/api/v1/settings").send().await.unwrap()).await;
    assert_eq!(before, after);
}
