//! The in-app widget over HTTP, as a website's page would use it (CORS, no cookies), and
//! the abuse protection of anonymous answers (form nonce, rate limit).

use crate::common::{location, TestApp};
use hmac::{Hmac, Mac};
use reqwest::Response;
use serde_json::{json, Value};
use sha2::Sha256;

const ORIGIN: &str = "https://shop.example.com";

async fn public_id(app: &TestApp, slug: &str) -> String {
    let s = app.survey(slug, None).await;
    s["link"]
        .as_str()
        .unwrap()
        .trim_start_matches("/s/")
        .to_owned()
}

async fn prompt(app: &TestApp, id: &str, query: &str) -> Response {
    app.http
        .get(app.url(&format!("/w/{id}/prompt{query}")))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap()
}

async fn post_answer(app: &TestApp, id: &str, body: Value) -> Response {
    app.http
        .post(app.url(&format!("/w/{id}/answers")))
        .header("origin", ORIGIN)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A cross-origin answer the widget can read: CORS open, no cookie.
fn assert_cors(r: &Response) {
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.headers().get("set-cookie").is_none(), "no cookies");
}

async fn detail(r: Response) -> String {
    assert_cors(&r);
    crate::common::problem(r).await
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

#[tokio::test]
async fn the_script_is_served_small_and_self_contained() {
    let app = TestApp::spawn().await;
    let r = app.http.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_cors(&r);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/javascript"), "{ct}");
    assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
    let js = r.text().await.unwrap();
    assert!(js.len() < 12 * 1024, "{} bytes", js.len());
    // No external URL: everything it loads is relative to where it came from.
    assert!(!js.contains("http"), "an absolute URL in widget.js");
    assert!(!js.contains("import "), "no modules");
    // The DOM contract the browser test and embedders rely on.
    for part in [
        "advocate-widget",
        "attachShadow",
        "mode: \"open\"",
        "data-score",
        "advocate-close",
        "advocate-send",
        "advocate-thanks",
        "textarea",
        "role: \"dialog\"",
        "Escape",
    ] {
        assert!(js.contains(part), "{part}");
    }
}

#[tokio::test]
async fn preflight_and_errors_are_open_to_any_origin() {
    let app = TestApp::spawn().await;
    let id = public_id(&app, "rel").await;
    for path in [format!("/w/{id}/answers"), format!("/w/{id}/prompt")] {
        let r = app
            .http
            .request(reqwest::Method::OPTIONS, app.url(&path))
            .header("origin", ORIGIN)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{path}");
        assert_cors(&r);
        let methods = r.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap();
        assert!(methods.contains("POST"), "{methods}");
        let headers = r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap();
        assert!(headers.to_lowercase().contains("content-type"), "{headers}");
    }
    // Errors are problem details a page can read.
    let r = prompt(&app, "nope", "").await;
    assert_eq!(r.status(), 404);
    assert!(detail(r).await.contains("data-survey"));
    let r = app
        .http
        .post(app.url(&format!("/w/{id}/answers")))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(detail(r).await.contains("must be JSON"));
    let r = post_answer(&app, &id, json!({"token": "forged.token", "score": 9})).await;
    assert_eq!(r.status(), 403);
    assert!(detail(r).await.contains("token is not valid"));
    assert_eq!(app.count_answers().await, 0);
}

#[tokio::test]
async fn an_anonymous_visitor_answers_and_comments() {
    let app = TestApp::spawn().await;
    let id = public_id(&app, "rel").await;
    let r = prompt(&app, &id, "?lang=nb").await;
    assert_eq!(r.status(), 200);
    assert_cors(&r);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["show"], true);
    assert_eq!(p["lang"], "nb");
    assert!(p["question"]
        .as_str()
        .unwrap()
        .starts_with("Hvor sannsynlig er det at du vil anbefale Acme"));
    assert_eq!(p["scale"], json!({"min": 0, "max": 10}));
    assert_eq!(p["dismiss"], "Lukk");
    assert_eq!(p["follow_up"]["send"], "Send");
    assert!(p["follow_up"]["detractor"]
        .as_str()
        .unwrap()
        .contains("Hva bør vi gjøre bedre?"));
    assert_eq!(p["thanks"], "Takk for tilbakemeldingen!");
    let token = p["token"].as_str().unwrap();

    // Out of range is refused and stores nothing.
    let r = post_answer(&app, &id, json!({"token": token, "score": 11})).await;
    assert_eq!(r.status(), 422);
    assert!(detail(r).await.contains("from 0 to 10"));
    assert_eq!(app.count_answers().await, 0);

    let r = post_answer(&app, &id, json!({"token": token, "score": 4})).await;
    assert_eq!(r.status(), 200);
    assert_cors(&r);
    let answer_token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(answer_token, token);
    // A retry of the same post (its response lost) is the same answer…
    let r = post_answer(&app, &id, json!({"token": token, "score": 4})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.count_answers().await, 1);
    // …but the prompt cannot be answered twice differently.
    let r = post_answer(&app, &id, json!({"token": token, "score": 9})).await;
    assert_eq!(r.status(), 409);
    assert!(detail(r).await.contains("already been answered"));

    let r = post_answer(
        &app,
        &id,
        json!({"token": answer_token, "score": 4, "comment": "  Treg levering  "}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.count_answers().await, 1);
    let latest = app
        .store
        .answers()
        .latest_comments(app.workspace_id, None, 5)
        .await
        .unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].comment.as_deref(), Some("Treg levering"));
    assert_eq!(latest[0].channel, "widget");
    assert_eq!(latest[0].language.as_deref(), Some("nb"));
    assert_eq!(latest[0].score, 4);

    // An answer token of one survey does not reach another survey's answers.
    let other = public_id(&app, "other").await;
    let r = post_answer(&app, &other, json!({"token": answer_token, "score": 9})).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn identified_visitors_need_a_valid_signature() {
    let app = TestApp::spawn().await;
    let id = public_id(&app, "rel").await;
    let secret = app
        .store
        .invitations()
        .widget_secret(app.workspace_id)
        .await
        .unwrap();
    let r = prompt(&app, &id, "?customer=C1").await;
    assert_eq!(r.status(), 403);
    assert!(detail(r).await.contains("data-signature is missing"));
    let other_sig = sign(&secret, "C2");
    for bad in [other_sig.as_str(), "zz", "00", &sign("wrong secret", "C1")] {
        let r = prompt(&app, &id, &format!("?customer=C1&signature={bad}")).await;
        assert_eq!(r.status(), 403, "{bad}");
        assert!(detail(r).await.contains("does not match data-customer"));
    }
}

#[tokio::test]
async fn identified_visitors_answer_once_and_then_rest_in_the_quiet_period() {
    let app = TestApp::spawn().await;
    let id = public_id(&app, "rel").await;
    let secret = app
        .store
        .invitations()
        .widget_secret(app.workspace_id)
        .await
        .unwrap();
    for c in ["C1", "C2"] {
        let r = app
            .post_json(
                "/api/v1/customers",
                &json!({"external_id": c, "name": c, "language": "de"}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    // C2 answered elsewhere today: within the quiet period, so no prompt.
    let r = app
        .answer(json!({"survey": "rel", "score": 9, "customer": {"external_id": "C2"}}))
        .await;
    assert_eq!(r.status(), 201);
    let q = |c: &str| format!("?customer={c}&signature={}", sign(&secret, c));
    let r = prompt(&app, &id, &q("C2")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"show": false}));
    // An unknown customer is not asked either.
    let r = prompt(&app, &id, &q("nobody")).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"show": false}));

    // C1 is asked in their own language (no data-lang, no browser language here).
    let p: Value = prompt(&app, &id, &q("C1")).await.json().await.unwrap();
    assert_eq!(p["show"], true);
    assert_eq!(p["lang"], "de");
    // Until answered, the same invitation is shown again.
    let again: Value = prompt(&app, &id, &q("C1")).await.json().await.unwrap();
    assert_eq!(again["token"], p["token"]);
    let token = p["token"].as_str().unwrap();
    let r = post_answer(&app, &id, json!({"token": token, "score": 10})).await;
    assert_eq!(r.status(), 200);
    let next = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = post_answer(
        &app,
        &id,
        json!({"token": next, "score": 10, "comment": "Sehr gut"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.count_answers().await, 2);
    let latest = app
        .store
        .answers()
        .latest_comments(app.workspace_id, None, 5)
        .await
        .unwrap();
    assert_eq!(latest[0].comment.as_deref(), Some("Sehr gut"));
    assert_eq!(latest[0].channel, "widget");

    // Answered: quiet from now on.
    let r = prompt(&app, &id, &q("C1")).await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"show": false}));
}

#[tokio::test]
async fn anonymous_widget_answers_are_rate_limited() {
    let app = TestApp::spawn().await;
    let id = public_id(&app, "rel").await;
    let mut accepted = 0;
    let limited = loop {
        assert!(accepted < 40, "no rate limit after {accepted} answers");
        let p: Value = prompt(&app, &id, "").await.json().await.unwrap();
        let r = post_answer(&app, &id, json!({"token": p["token"], "score": 7})).await;
        if r.status() == 429 {
            break r;
        }
        assert_eq!(r.status(), 200);
        accepted += 1;
    };
    assert!(accepted >= 10, "the burst of 10 is allowed, got {accepted}");
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(detail(limited).await.contains("too many answers"));
    assert_eq!(app.count_answers().await, accepted);
}

/// The score form's `action` on a survey page (it carries the signed form nonce).
fn form_action(html: &str) -> String {
    let start = html
        .find("<form method=\"post\" action=\"")
        .expect("a form")
        + 28;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&#38;", "&").replace("&amp;", "&")
}

#[tokio::test]
async fn survey_page_answers_need_the_page_and_are_rate_limited() {
    let app = TestApp::spawn().await;
    let id = public_id(&app, "rel").await;
    let link = format!("/s/{id}");
    // Posting without loading the page (or with a made-up nonce) is refused.
    for url in [link.clone(), format!("{link}?nonce=forged.nonce")] {
        let r = app
            .http
            .post(app.url(&url))
            .form(&[("score", "9")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{url}");
        let msg = r.text().await.unwrap();
        assert_eq!(
            crate::common::error_message(&msg),
            "This form has expired; please reload the page."
        );
    }
    // A nonce is for its own survey only.
    let other = public_id(&app, "other").await;
    let html = app
        .http
        .get(app.url(&format!("/s/{other}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let foreign = form_action(&html).replace(&other, &id);
    let r = app
        .http
        .post(app.url(&foreign))
        .form(&[("score", "9")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(app.count_answers().await, 0);

    let html = app
        .http
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = form_action(&html);
    assert!(action.starts_with(&format!("{link}?nonce=")), "{action}");
    let mut accepted = 0;
    let limited = loop {
        assert!(accepted < 40, "no rate limit after {accepted} answers");
        let r = app
            .http
            .post(app.url(&action))
            .form(&[("score", "9")])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            break r;
        }
        assert_eq!(r.status(), 303);
        assert!(location(&r).contains("/a/"));
        accepted += 1;
    };
    assert!(accepted >= 10, "the burst of 10 is allowed, got {accepted}");
    assert!(limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    assert!(limited.text().await.unwrap().contains("Too many answers"));
    assert_eq!(app.count_answers().await, accepted);
}
