//! Every page, signed in and public, in real Chromium at a phone's, a tablet's and a
//! desktop's width: the page never scrolls sideways (wide tables and charts scroll inside
//! their own box) and axe-core finds no serious or critical accessibility violation — in
//! the light colour scheme and in the dark one.

use crate::browser::sign_in_typing;
use crate::common::TestApp;
use crate::support::axe::serious_violations;
use crate::support::webdriver::{Browser, Options};
use serde_json::{json, Value};

/// A workspace with what made pages overflow or fail checks in the demo: a long email
/// address, long playbook steps in a select, comments with themes, an invitation, a case.
/// Returns the pages a member works in, and the public survey page.
async fn populated(app: &TestApp) -> (Vec<String>, String) {
    let survey = app.survey("rel", None).await;
    let mut promoter = 0;
    let long_email = "margaretha.christophersen-vandenberghe@customer-support.example.com";
    for (i, (score, comment)) in [
        (
            2,
            "The invoice was wrong and support kept me waiting for hours",
        ),
        (6, "Delivery was late"),
        (10, "Great price and the technician was on time"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"survey": "rel", "score": score, "comment": comment, "language": "en",
                          "customer": {"external_id": format!("C{i}"), "name": "Margaretha",
                                       "email": long_email}});
        let r = app.answer(body).await;
        assert_eq!(r.status(), 201);
        let answer: Value = r.json().await.unwrap();
        // The promoter's answer has no case: writing about it has a page of its own.
        if score == 10 {
            promoter = answer["id"].as_i64().expect("the answer's id");
        }
    }
    let r = app
        .post_json(
            "/api/v1/invitations",
            &json!({"survey": "rel", "channel": "email", "customers": [
                {"external_id": "C9", "email": long_email}]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
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
        .expect("a detractor's case");
    // A webhook endpoint with a long URL, for its settings page.
    app.store
        .webhooks()
        .create(
            app.workspace_id,
            "https://hooks.customer-support.example.com/advocate/webhooks/receive-events",
            &["*".to_owned()],
        )
        .await
        .unwrap();
    // A share link (the page a visitor gets) and the list of links.
    let (_, share) = app
        .store
        .shares()
        .create(
            app.workspace_id,
            "user:admin",
            "Office screen",
            "period=all",
            7,
        )
        .await
        .unwrap();
    let admin = app
        .store
        .users()
        .by_email(crate::common::ADMIN_EMAIL)
        .await
        .unwrap();
    let secret = advocate_core::totp::new_secret();
    app.store
        .two_factor()
        .begin(admin.unwrap().id, &secret, chrono::Utc::now())
        .await
        .unwrap();
    let survey_id = survey["id"].as_i64().expect("the survey's id");
    // A schedule and an event trigger, for the survey's sending page and its tables.
    for (path, body) in [
        (
            "/api/v1/schedules",
            json!({"survey": "rel", "channel": "email", "every_days": 90, "sample_percent": 50}),
        ),
        (
            "/api/v1/event-triggers",
            json!({"event": "customer_support_ticket_closed_after_escalation", "survey": "rel",
                   "channel": "sms", "delay_minutes": 1440}),
        ),
    ] {
        let r = app.post_json(path, &body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    // A paused survey: its link's page says it is closed.
    let paused = app.survey("old", None).await;
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/surveys/{}", paused["id"])))
        .bearer_auth(&app.key)
        .json(&json!({"status": "paused"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pages = [
        "/dashboard",
        "/dashboard?period=all&only=channel:api",
        "/dashboard/shares",
        &format!("/shared/{share}"),
        "/cases",
        &format!("/cases/{case}"),
        &format!("/cases/{case}/email"),
        &format!("/answers/{promoter}/email"),
        "/customers",
        "/customers/C0",
        // The promoter's record, with its engagements' outcome buttons and grant form.
        "/customers/C2",
        "/comments",
        "/themes",
        "/surveys",
        "/surveys/new",
        &format!("/surveys/{survey_id}"),
        &format!("/surveys/{survey_id}/preview?lang=nb"),
        &format!("/surveys/{survey_id}/sending"),
        &format!("/surveys/{survey_id}/invite"),
        paused["link"].as_str().unwrap(),
        "/kpis",
        "/compare",
        "/outbox",
        "/settings",
        "/settings/templates",
        "/settings/webhooks",
        "/settings/sso",
        "/settings/invitation-texts?lang=nb",
        "/team",
        "/audit",
        "/account",
        // Two-factor set-up under way: the QR code and the key must fit a phone.
        "/account/two-factor",
        "/cases/unmatched",
        "/reports/quarterly",
        // Errors are pages too: in the site's layout, at the browser's width.
        "/customers/nobody",
        "/no-such-page",
    ]
    .map(str::to_owned)
    .to_vec();
    (pages, app.url(survey["link"].as_str().unwrap()))
}

/// What is wrong with `page` at the browser's current width: sideways scrolling (and, on a
/// phone, a layout viewport wider than the screen) and serious accessibility violations.
async fn problems(b: &Browser, url: &str, phone: bool) -> Vec<String> {
    b.goto(url).await;
    let layout = b
        .script(
            "return {inner: window.innerWidth, client: document.documentElement.clientWidth, \
                     scroll: document.documentElement.scrollWidth};",
            json!([]),
        )
        .await;
    let mut found = Vec::new();
    let wide = layout["scroll"].as_f64() > layout["client"].as_f64();
    if wide || (phone && layout["inner"] != 390) {
        found.push(format!("{url} scrolls sideways: {layout}"));
    }
    for v in serious_violations(b).await {
        found.push(format!("{url} at {}: {v}", layout["inner"]));
    }
    found
}

fn assert_none(problems: &[String]) {
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[tokio::test]
async fn on_a_phone_every_page_fits_and_passes_axe() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let (pages, survey) = populated(&app).await;
    let mut found = problems(&b, &survey, true).await;
    found.extend(problems(&b, &app.url("/signin"), true).await);
    found.extend(two_factor_step(&b, &app).await);
    sign_in_typing(&b, &app, "/dashboard").await;
    for page in &pages {
        found.extend(problems(&b, &app.url(page), true).await);
    }
    assert_none(&found);
}

/// The code page of two-factor sign-in, reached by typing a password, checked, then
/// left with the keyboard alone: the code typed, Enter, signed in.
async fn two_factor_step(b: &Browser, app: &TestApp) -> Vec<String> {
    use crate::support::webdriver::{ENTER, TAB};
    use advocate_core::totp;
    let (email, password) = ("kim@example.com", "kim's own long password");
    let kim = app
        .store
        .users()
        .create(
            app.workspace_id,
            email,
            &advocate_server::auth::hash_password(password),
        )
        .await
        .unwrap();
    let secret = totp::new_secret();
    let tf = app.store.two_factor();
    tf.begin(kim.id, &secret, chrono::Utc::now()).await.unwrap();
    tf.confirm(kim.id, 0, &[], chrono::Utc::now())
        .await
        .unwrap();
    b.goto(&app.url("/signin?next=%2Fdashboard")).await;
    b.click(&b.find("#email").await).await;
    b.keys(email).await;
    b.keys(TAB).await;
    b.keys(password).await;
    b.keys(ENTER).await;
    let url = b
        .wait_for_url("the code page", |u| u.contains("/signin/code"))
        .await;
    let found = problems(b, &url, true).await;
    b.click(&b.find("#code").await).await;
    let key = totp::base32_decode(&secret).unwrap();
    b.keys(&totp::code_at(&key, chrono::Utc::now().timestamp()))
        .await;
    b.keys(ENTER).await;
    b.wait_for_url("the page after the code", |u| u.ends_with("/dashboard"))
        .await;
    found
}

#[tokio::test]
async fn on_a_tablet_and_a_desktop_every_page_fits_and_passes_axe() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: false,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let (pages, survey) = populated(&app).await;
    sign_in_typing(&b, &app, "/dashboard").await;
    let mut found = Vec::new();
    for width in [768, 1440] {
        b.resize(width, 900).await;
        found.extend(problems(&b, &survey, false).await);
        for page in &pages {
            found.extend(problems(&b, &app.url(page), false).await);
        }
    }
    assert_none(&found);
}

/// Whether the page is shown in the dark scheme: the preference is seen, and the page's
/// background is dark.
async fn is_dark(b: &Browser) -> Value {
    b.script(
        "const bg = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); \
         return {prefers: matchMedia('(prefers-color-scheme: dark)').matches, \
                 dark_background: bg[0] + bg[1] + bg[2] < 3 * 64};",
        json!([]),
    )
    .await
}

#[tokio::test]
async fn in_the_dark_scheme_every_page_passes_axe() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: false,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let (pages, survey) = populated(&app).await;
    b.prefer_color_scheme("dark").await;
    let mut found = Vec::new();
    for width in [390, 1440] {
        b.resize(width, 900).await;
        found.extend(problems(&b, &survey, false).await);
        found.extend(problems(&b, &app.url("/signin"), false).await);
    }
    assert_eq!(
        is_dark(&b).await,
        json!({"prefers": true, "dark_background": true})
    );
    sign_in_typing(&b, &app, "/dashboard").await;
    b.resize(1440, 900).await;
    for page in &pages {
        found.extend(problems(&b, &app.url(page), false).await);
        let dark = is_dark(&b).await;
        if dark["dark_background"] != true {
            found.push(format!("{page} is not dark: {dark}"));
        }
    }
    assert_none(&found);
}
