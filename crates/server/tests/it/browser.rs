//! The public survey page and the in-app widget in a real headless Chromium, driven over
//! WebDriver by chromedriver: answered with the mouse and with the keyboard alone, in the
//! browser's language, on a phone, and without a single request leaving Advocate.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the tests print SKIPPED
//! (and fail with `ADVOCATE_REQUIRE_PEERS=1`). `--nocapture` shows the page weights.

use crate::common::peers::eventually;
use crate::common::TestApp;
use crate::support::webdriver::{Browser, Options, ENTER, SPACE, TAB};
use advocate_core::i18n::{self, SurveyTexts};
use advocate_core::{Language, SurveyKind};
use advocate_store::models::Answer;
use serde_json::{json, Value};

async fn browser(lang: &str) -> Option<Browser> {
    Browser::start(Options {
        lang: lang.into(),
        phone: false,
    })
    .await
}

fn texts(lang: &str) -> SurveyTexts {
    i18n::builtin(&Language::new(lang).unwrap(), SurveyKind::Nps, "Acme")
}

/// A new NPS survey's public page, as a full URL.
async fn survey_page(app: &TestApp) -> String {
    let survey = app.survey("rel", None).await;
    app.url(survey["link"].as_str().unwrap())
}

/// The one answer with a comment stored so far.
async fn stored(app: &TestApp) -> Answer {
    let mut answers = app
        .store
        .answers()
        .latest_comments(app.workspace_id, None, 5)
        .await
        .unwrap();
    assert_eq!(answers.len(), 1, "{answers:?}");
    answers.remove(0)
}

/// The element that has the keyboard focus: its tag, `value`, id and class.
async fn focused(b: &Browser) -> Value {
    b.script(
        "const e = document.activeElement; \
         return {tag: e.tagName.toLowerCase(), value: e.value ?? null, id: e.id, class: e.className};",
        json!([]),
    )
    .await
}

/// Presses Tab until `want` holds for the focused element, asserting it gets there within
/// `max` presses; returns every element passed on the way.
pub(crate) async fn tab_to(b: &Browser, max: usize, want: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut passed = Vec::new();
    for _ in 0..max {
        b.keys(TAB).await;
        let f = focused(b).await;
        if want(&f) {
            return passed;
        }
        passed.push(f);
    }
    panic!("Tab did not reach the element; passed {passed:?}");
}

fn is_score(f: &Value, n: u8) -> bool {
    f["tag"] == "button" && f["value"].as_str().and_then(|v| v.parse().ok()) == Some(n)
}

#[tokio::test]
async fn a_respondent_answers_with_the_mouse_in_the_browsers_language() {
    let Some(b) = browser("nb").await else { return };
    let app = TestApp::spawn().await;
    let page = survey_page(&app).await;
    let nb = texts("nb");

    b.goto(&page).await;
    assert_eq!(b.text(&b.find("h1").await).await, nb.question);
    let html = b.find("html").await;
    assert_eq!(b.attribute(&html, "lang").await.as_deref(), Some("nb"));
    let buttons = b.find_all("button.score-button").await;
    assert_eq!(buttons.len(), 11);

    b.click(&b.find("button.score-button[value='9']").await)
        .await;
    b.wait_for_url("the follow-up page", |u| u.contains("/a/"))
        .await;
    assert_eq!(app.count_answers().await, 1, "stored on the click");
    assert_eq!(
        b.text(&b.find("label[for='comment']").await).await,
        nb.follow_up_promoter
    );
    b.click(&b.find("#comment").await).await;
    b.keys("Rask levering, takk!").await;
    b.click(&b.find(".comment-form button[type='submit']").await)
        .await;
    b.wait_for_url("the thanks page", |u| u.contains("/thanks"))
        .await;
    assert_eq!(b.text(&b.find("h1").await).await, nb.thanks_title);
    b.assert_no_csp_violation("survey, follow-up and thanks pages")
        .await;

    // The policy is enforced (and the check above can fail): an injected inline script is
    // refused and reported.
    b.script(
        "const s = document.createElement('script'); s.textContent = 'document.title = 1'; \
         document.body.appendChild(s);",
        json!([]),
    )
    .await;
    let console = b.console().await;
    assert!(
        console
            .iter()
            .any(|m| m.contains("Content Security Policy")),
        "inline script ran or went unreported: {console:?}"
    );

    let a = stored(&app).await;
    assert_eq!(a.score, 9);
    assert_eq!(a.comment.as_deref(), Some("Rask levering, takk!"));
    assert_eq!(a.language.as_deref(), Some("nb"));
    assert_eq!(a.channel, "web");
}

#[tokio::test]
async fn a_respondent_answers_with_the_keyboard_alone() {
    let Some(b) = browser("de").await else { return };
    let app = TestApp::spawn().await;
    let page = survey_page(&app).await;
    let de = texts("de");

    b.goto(&page).await;
    assert_eq!(b.text(&b.find("h1").await).await, de.question);
    // Tab walks the scale in order, nothing focusable before it.
    let passed = tab_to(&b, 15, |f| is_score(f, 9)).await;
    let values: Vec<&str> = passed.iter().filter_map(|f| f["value"].as_str()).collect();
    assert_eq!(
        values,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8"],
        "{passed:?}"
    );
    b.keys(ENTER).await;
    b.wait_for_url("the follow-up page", |u| u.contains("/a/"))
        .await;
    assert_eq!(
        b.text(&b.find("label[for='comment']").await).await,
        de.follow_up_promoter
    );

    // Past the scale (to change the score) into the comment, then on to the send button.
    tab_to(&b, 20, |f| f["id"] == "comment").await;
    b.keys("Schnelle Lieferung, schön!").await;
    b.keys(TAB).await;
    let f = focused(&b).await;
    assert!(f["tag"] == "button" && f["class"] == "primary", "{f}");
    b.keys(ENTER).await;
    b.wait_for_url("the thanks page", |u| u.contains("/thanks"))
        .await;
    assert_eq!(b.text(&b.find("h1").await).await, de.thanks_title);

    let a = stored(&app).await;
    assert_eq!(a.score, 9);
    assert_eq!(a.comment.as_deref(), Some("Schnelle Lieferung, schön!"));
    assert_eq!(a.language.as_deref(), Some("de"));
}

#[tokio::test]
async fn the_link_language_wins_over_the_browsers_and_space_answers() {
    let Some(b) = browser("nb").await else { return };
    let app = TestApp::spawn().await;
    let page = survey_page(&app).await;
    let sv = texts("sv");

    b.goto(&format!("{page}?lang=sv")).await;
    assert_eq!(b.text(&b.find("h1").await).await, sv.question);
    tab_to(&b, 15, |f| is_score(f, 3)).await;
    b.keys(SPACE).await;
    b.wait_for_url("the follow-up page", |u| u.contains("/a/"))
        .await;
    assert_eq!(
        b.text(&b.find("label[for='comment']").await).await,
        sv.follow_up_detractor
    );
    b.click(&b.find("#comment").await).await;
    b.keys("För långsam leverans").await;
    b.click(&b.find(".comment-form button[type='submit']").await)
        .await;
    b.wait_for_url("the thanks page", |u| u.contains("/thanks"))
        .await;
    assert_eq!(b.text(&b.find("h1").await).await, sv.thanks_title);

    let a = stored(&app).await;
    assert_eq!((a.score, a.language.as_deref()), (3, Some("sv")), "{a:?}");
    assert_eq!(a.comment.as_deref(), Some("För långsam leverans"));
}

/// The scale's layout on the current page: no horizontal scrolling, and every button's box.
async fn scale_layout(b: &Browser) -> Value {
    b.script(
        "return {
           scrollWidth: document.documentElement.scrollWidth,
           innerWidth: window.innerWidth,
           buttons: [...document.querySelectorAll('button.score-button')].map(e => {
             const r = e.getBoundingClientRect();
             return {value: e.value, left: r.left, right: r.right, width: r.width, height: r.height};
           }),
         };",
        json!([]),
    )
    .await
}

fn assert_fits_a_phone(page: &str, layout: &Value) {
    let inner = layout["innerWidth"].as_f64().unwrap();
    assert_eq!(inner, 390.0, "the phone viewport: {layout}");
    assert!(
        layout["scrollWidth"].as_f64().unwrap() <= inner,
        "{page} scrolls sideways on a phone: {layout}"
    );
    let buttons = layout["buttons"].as_array().unwrap();
    assert_eq!(buttons.len(), 11, "{page}: {layout}");
    for btn in buttons {
        let f = |k: &str| btn[k].as_f64().unwrap();
        assert!(
            f("left") >= 0.0 && f("right") <= inner,
            "{page}: button {} is off screen: {btn}",
            btn["value"]
        );
        assert!(
            f("width") >= 40.0 && f("height") >= 40.0,
            "{page}: button {} is smaller than 40×40 px: {btn}",
            btn["value"]
        );
    }
}

#[tokio::test]
async fn on_a_phone_every_button_fits_and_is_big_enough_to_tap() {
    let Some(b) = Browser::start(Options {
        lang: "fi".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let page = survey_page(&app).await;

    b.goto(&page).await;
    assert_eq!(b.text(&b.find("h1").await).await, texts("fi").question);
    assert_fits_a_phone("the survey page", &scale_layout(&b).await);

    // A tap answers; the follow-up page repeats the scale to change the score.
    b.click(&b.find("button.score-button[value='10']").await)
        .await;
    b.wait_for_url("the follow-up page", |u| u.contains("/a/"))
        .await;
    assert_fits_a_phone("the follow-up page", &scale_layout(&b).await);
    assert_eq!(app.count_answers().await, 1);
}

#[tokio::test]
async fn the_survey_fetches_nothing_outside_advocate() {
    let Some(b) = browser("en").await else { return };
    let app = TestApp::spawn().await;
    let page = survey_page(&app).await;
    let ours = |urls: &[String]| {
        for url in urls {
            assert!(
                url.starts_with(&format!("{}/", app.base)) || url.starts_with("data:"),
                "a request outside Advocate: {url}"
            );
        }
    };

    b.goto(&page).await;
    let survey = b.traffic().await;
    ours(&survey.urls);
    assert!(survey.urls.contains(&page), "{:?}", survey.urls);
    assert!(survey.urls.iter().any(|u| u.ends_with("/assets/style.css")));

    b.click(&b.find("button.score-button[value='7']").await)
        .await;
    b.wait_for_url("the follow-up page", |u| u.contains("/a/"))
        .await;
    let follow_up = b.traffic().await;
    ours(&follow_up.urls);

    b.click(&b.find("#comment").await).await;
    b.keys("ok").await;
    b.click(&b.find(".comment-form button[type='submit']").await)
        .await;
    b.wait_for_url("the thanks page", |u| u.contains("/thanks"))
        .await;
    let thanks = b.traffic().await;
    ours(&thanks.urls);

    println!(
        "page weight: survey page {} bytes in {} requests (HTML {} + stylesheet {}); \
         follow-up page {} bytes in {} requests (the score POST and its redirect included); \
         thanks page {} bytes in {} requests",
        survey.bytes(),
        survey.urls.len(),
        survey.bytes_of(|u| u == page),
        survey.bytes_of(|u| u.ends_with("/assets/style.css")),
        follow_up.bytes(),
        follow_up.urls.len(),
        thanks.bytes(),
        thanks.urls.len()
    );
    for (name, t) in [
        ("survey", &survey),
        ("follow-up", &follow_up),
        ("thanks", &thanks),
    ] {
        for (url, bytes) in &t.finished {
            println!(
                "  {name}: {bytes:>6} bytes  {}",
                url.trim_start_matches(&app.base)
            );
        }
    }
}

/// A website of another origin (its own port) that embeds the widget, as a customer's app
/// would: `attrs` go on the script tag next to `src` and `data-survey`.
async fn host_page(app: &TestApp, survey_id: &str, attrs: &str) -> String {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Acme app</title></head><body><h1>Acme app</h1>\
         <a href=\"#settings\">Settings</a>\
         <script src=\"{}/widget.js\" data-survey=\"{survey_id}\" {attrs} async></script>\
         </body></html>",
        app.base
    );
    let router = axum::Router::new().route(
        "/app",
        axum::routing::get(move || async move { axum::response::Html(html) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let url = format!("http://{addr}/app");
    assert!(
        !url.starts_with(&app.base),
        "the host page is another origin"
    );
    url
}

/// A survey's public id, from its link `/s/{id}`.
async fn survey_id(app: &TestApp) -> String {
    let survey = app.survey("rel", None).await;
    let link = survey["link"].as_str().unwrap();
    link.strip_prefix("/s/").unwrap().to_owned()
}

const WIDGET: &str = "#advocate-widget";

/// Waits for the widget's eleven score buttons and returns its question.
async fn widget_question(b: &Browser) -> String {
    b.wait_for(
        "the widget's score buttons",
        "const h = document.querySelector(arguments[0]); \
         return h && h.shadowRoot && h.shadowRoot.querySelectorAll('button[data-score]').length === 11;",
        json!([WIDGET]),
    )
    .await;
    let q = b
        .script(
            "return document.querySelector(arguments[0]).shadowRoot.querySelector('#advocate-q').textContent;",
            json!([WIDGET]),
        )
        .await;
    q.as_str().unwrap_or_default().to_owned()
}

/// Waits for the widget's thanks text to show, and returns it.
async fn widget_thanks(b: &Browser) -> String {
    let v = b
        .wait_for(
            "the widget's thanks",
            "const h = document.querySelector(arguments[0]); \
             const t = h && h.shadowRoot.querySelector('.advocate-thanks'); \
             return t && !t.hidden && t.textContent;",
            json!([WIDGET]),
        )
        .await;
    v.as_str().unwrap_or_default().to_owned()
}

/// The element focused inside the widget's shadow root (the document only sees the host).
async fn widget_focus(b: &Browser) -> Value {
    b.script(
        "const h = document.querySelector(arguments[0]); \
         const e = h && document.activeElement === h ? h.shadowRoot.activeElement : null; \
         return e && {tag: e.tagName.toLowerCase(), score: e.dataset.score ?? null, \
                      id: e.id, class: e.className};",
        json!([WIDGET]),
    )
    .await
}

/// Every request went to this machine, and only to the host page and Advocate.
fn assert_stays_local(app: &TestApp, host: &str, urls: &[String]) {
    let host_origin = &host[..host.rfind('/').unwrap()];
    for url in urls {
        assert!(
            url.starts_with(&format!("{}/", app.base))
                || url.starts_with(&format!("{host_origin}/"))
                || url.starts_with("data:"),
            "a request leaving the host page and Advocate: {url}"
        );
    }
    assert!(urls.iter().any(|u| u.starts_with(&app.base)), "{urls:?}");
}

#[tokio::test]
async fn an_identified_visitor_answers_the_widget_with_the_mouse() {
    let Some(b) = browser("en").await else { return };
    let app = TestApp::spawn().await;
    let id = survey_id(&app).await;
    let r = app
        .post_json(
            "/api/v1/customers",
            &json!({"external_id": "C42", "name": "Kari Nordmann"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let secret = app
        .store
        .invitations()
        .widget_secret(app.workspace_id)
        .await
        .unwrap();
    let signature = hex_hmac(&secret, "C42");
    let host = host_page(
        &app,
        &id,
        &format!("data-customer=\"C42\" data-signature=\"{signature}\" data-lang=\"nb\""),
    )
    .await;
    let nb = texts("nb");

    b.goto(&host).await;
    assert_eq!(widget_question(&b).await, nb.question);
    let shown = b.traffic().await;
    b.click(&b.find_in_shadow(WIDGET, "button[data-score='9']").await)
        .await;
    let comment = b.find_in_shadow(WIDGET, "#advocate-comment").await;
    b.wait_for(
        "the follow-up question",
        "const h = document.querySelector(arguments[0]); \
         return !h.shadowRoot.querySelector('#advocate-comment').parentElement.hidden;",
        json!([WIDGET]),
    )
    .await;
    b.click(&comment).await;
    b.keys("Enkel å bruke").await;
    b.click(&b.find_in_shadow(WIDGET, ".advocate-send").await)
        .await;
    assert_eq!(widget_thanks(&b).await, nb.thanks_title);
    let answered = b.traffic().await;

    let a = stored(&app).await;
    assert_eq!(a.score, 9);
    assert_eq!(a.comment.as_deref(), Some("Enkel å bruke"));
    assert_eq!(a.channel, "widget");
    assert_eq!(a.language.as_deref(), Some("nb"));
    assert!(a.customer_id.is_some(), "answered as the customer: {a:?}");

    assert_stays_local(&app, &host, &shown.urls);
    assert_stays_local(&app, &host, &answered.urls);
    b.assert_no_csp_violation("the widget on another site")
        .await;
    println!(
        "widget weight: widget.js {} bytes; the prompt {} bytes; host page, script and prompt \
         {} bytes in {} requests; answering (score, comment) {} bytes in {} requests",
        shown.bytes_of(|u| u.contains("/widget.js")),
        shown.bytes_of(|u| u.contains("/prompt")),
        shown.bytes(),
        shown.urls.len(),
        answered.bytes(),
        answered.urls.len()
    );
}

#[tokio::test]
async fn an_anonymous_visitor_answers_the_widget_with_the_keyboard_alone() {
    let Some(b) = browser("de").await else { return };
    let app = TestApp::spawn().await;
    let id = survey_id(&app).await;
    let host = host_page(&app, &id, "").await;
    let de = texts("de");

    b.goto(&host).await;
    assert_eq!(
        widget_question(&b).await,
        de.question,
        "the browser's language"
    );
    // The widget takes the focus when it opens; Tab walks its close button, then the scale.
    let mut passed = Vec::new();
    loop {
        b.keys(TAB).await;
        let f = widget_focus(&b).await;
        if f["score"] == "8" {
            break;
        }
        assert!(passed.len() < 15, "Tab did not reach score 8: {passed:?}");
        passed.push(f);
    }
    let scores: Vec<&str> = passed.iter().filter_map(|f| f["score"].as_str()).collect();
    assert_eq!(
        scores,
        ["0", "1", "2", "3", "4", "5", "6", "7"],
        "{passed:?}"
    );
    b.keys(ENTER).await;
    // The answer moves the focus to the comment.
    let f = b
        .wait_for(
            "the comment field to take the focus",
            "const e = document.querySelector(arguments[0]).shadowRoot.activeElement; \
             return e && e.id === 'advocate-comment';",
            json!([WIDGET]),
        )
        .await;
    assert_eq!(f, true);
    b.keys("Übersichtlich").await;
    let mut tabs = 0;
    while widget_focus(&b).await["class"] != "advocate-send" {
        assert!(tabs < 5, "Tab did not reach the send button");
        b.keys(TAB).await;
        tabs += 1;
    }
    b.keys(ENTER).await;
    assert_eq!(widget_thanks(&b).await, de.thanks_title);
    assert_stays_local(&app, &host, &b.traffic().await.urls);
    b.assert_no_csp_violation("the widget on another site")
        .await;

    let a = stored(&app).await;
    assert_eq!(a.score, 8);
    assert_eq!(a.comment.as_deref(), Some("Übersichtlich"));
    assert_eq!(a.channel, "widget");
    assert_eq!(a.language.as_deref(), Some("de"));
    assert_eq!(a.customer_id, None);
}

/// What a customer's server puts in `data-signature`: hex HMAC-SHA256 of the visitor's id,
/// keyed with the workspace's widget secret.
fn hex_hmac(secret: &str, customer: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(customer.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs in through the form, typing, and lands on `next`.
pub async fn sign_in_typing(b: &Browser, app: &TestApp, next: &str) {
    b.goto(&app.url(&format!("/signin?next={}", next.replace('/', "%2F"))))
        .await;
    b.click(&b.find("#email").await).await;
    b.keys(crate::common::ADMIN_EMAIL).await;
    b.keys(TAB).await;
    b.keys(crate::common::ADMIN_PASSWORD).await;
    b.keys(ENTER).await;
    b.wait_for_url("the page after signing in", |u| u.ends_with(next))
        .await;
}

#[tokio::test]
async fn two_plans_are_compared_on_a_phone_with_the_keyboard_alone() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    for (i, (score, plan)) in [(10, "basic"), (3, "basic"), (9, "premium"), (10, "premium")]
        .into_iter()
        .enumerate()
    {
        let r = app
            .answer(json!({"survey": "rel", "score": score,
                           "customer": {"external_id": format!("C{i}"), "attributes": {"plan": plan}}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    sign_in_typing(&b, &app, "/compare").await;

    // Tab to side A's segment, type, on to side B's, type, and submit with Enter.
    tab_to(&b, 40, |f| f["id"] == "a-segment").await;
    b.keys("plan:basic").await;
    tab_to(&b, 40, |f| f["id"] == "b-segment").await;
    b.keys("plan:premium").await;
    b.keys(ENTER).await;
    b.wait_for_url("the comparison", |u| u.contains("b.segment=plan%3Apremium"))
        .await;
    let result = b.text(&b.find("#h-result").await).await;
    assert_eq!(result, "Result");
    let difference = b.text(&b.find(".compare-difference").await).await;
    assert!(
        difference.starts_with("Difference A − B: -100 points"),
        "{difference}"
    );
    // Nothing scrolls sideways at 390 px, and every field has its label.
    let layout = b
        .script(
            "return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, \
             unlabelled: [...document.querySelectorAll('.compare-form input, .compare-form select')] \
               .filter(e => !e.labels || e.labels.length === 0).map(e => e.id)};",
            json!([]),
        )
        .await;
    assert_eq!(layout["inner"], 390, "{layout}");
    assert!(
        layout["scroll"].as_f64().unwrap() <= 390.0,
        "scrolls sideways: {layout}"
    );
    assert_eq!(layout["unlabelled"], json!([]), "{layout}");
}

#[tokio::test]
async fn a_password_is_changed_on_a_phone_with_the_keyboard_alone() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    sign_in_typing(&b, &app, "/account").await;
    // Every field of the form has its label, and nothing scrolls sideways at 390 px.
    let layout = b
        .script(
            "return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, \
             unlabelled: [...document.querySelectorAll('#password input:not([type=hidden])')] \
               .filter(e => !e.labels || e.labels.length === 0).map(e => e.id)};",
            json!([]),
        )
        .await;
    assert_eq!(layout["inner"], 390, "{layout}");
    assert!(
        layout["scroll"].as_f64().unwrap() <= 390.0,
        "scrolls sideways: {layout}"
    );
    assert_eq!(layout["unlabelled"], json!([]), "{layout}");

    let new = "typed on a phone, long enough";
    tab_to(&b, 120, |f| f["id"] == "password-current").await;
    b.keys(crate::common::ADMIN_PASSWORD).await;
    b.keys(TAB).await;
    b.keys(new).await;
    b.keys(TAB).await;
    b.keys(new).await;
    b.keys(ENTER).await;
    b.wait_for_url("the account page after the change", |u| {
        u.ends_with("/account/password")
    })
    .await;
    let notice = b.text(&b.find(".notice").await).await;
    assert!(notice.starts_with("Password changed."), "{notice}");
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", crate::common::ADMIN_EMAIL), ("password", new)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the typed password is the new one");
}

#[tokio::test]
async fn a_case_is_worked_with_the_keyboard_alone() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let r = app
        .answer(
            json!({"survey": "rel", "score": 2, "comment": "Billing is wrong",
                       "customer": {"external_id": "C1", "email": "c1@example.com"}}),
        )
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
    let id = cases["cases"][0]["id"]
        .as_i64()
        .expect("the detractor's case");
    let case_path = format!("/cases/{id}");
    sign_in_typing(&b, &app, &case_path).await;

    // The first step of the checklist, ticked with Enter.
    let mut reached = false;
    for _ in 0..80 {
        b.keys(TAB).await;
        let label = b
            .script(
                "return document.activeElement.getAttribute('aria-label') || '';",
                json!([]),
            )
            .await;
        if label.as_str().unwrap_or_default().starts_with("Mark done:") {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab reaches the checklist");
    b.keys(ENTER).await;
    // The page posts and comes back to the same address: wait for what the post did.
    let case_now = || async {
        app.get(&format!("/api/v1/cases/{id}"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let done_steps = |case: &Value| {
        case["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| !s["done_at"].is_null())
            .count()
    };
    eventually("the ticked step", || async {
        let case = case_now().await;
        (done_steps(&case) > 0).then_some(())
    })
    .await;
    let case = case_now().await;
    assert_eq!(done_steps(&case), 1, "{case}");

    // A note, typed and sent with the keyboard.
    tab_to(&b, 120, |f| f["id"] == "note").await;
    b.keys("Called back, refund agreed").await;
    b.keys(TAB).await;
    b.keys(ENTER).await;
    eventually("the note on the case", || async {
        let case = case_now().await;
        case.to_string()
            .contains("Called back, refund agreed")
            .then_some(())
    })
    .await;
}
