//! Markup in anything a customer or a colleague typed — comments, names, notes, attribute
//! values, survey texts — is shown as text on every page, never run.

use crate::common::TestApp;
use chrono::{Datelike, Utc};
use serde_json::{json, Value};

/// Each closes what it might land in (an attribute, a textarea, a title) and tries to run.
const HOSTILE: [&str; 5] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "'><svg onload=alert(3)>",
    "</textarea></title><script>alert(4)</script>",
    "<a href=\"javascript:alert(5)\">click</a>",
];

/// The raw pieces that must never reach a page unescaped (an `onerror=` whose `<` and
/// quotes are escaped is harmless text).
const RAW: [&str; 7] = [
    "<script>alert",
    "<img src=x",
    "\"><img",
    "'><svg",
    "<svg onload",
    "</textarea></title>",
    "<a href=\"javascript:",
];

fn hostile(i: usize) -> String {
    format!("{} #{i}", HOSTILE[i % HOSTILE.len()])
}

fn assert_escaped(path: &str, body: &str) {
    for raw in RAW {
        assert!(
            !body.contains(raw),
            "{path} shows {raw:?} unescaped:\n{}",
            context(body, raw)
        );
    }
}

fn context(body: &str, needle: &str) -> String {
    let at = body.find(needle).unwrap_or(0);
    let start = body.floor_char_boundary(at.saturating_sub(200));
    let end = body.ceil_char_boundary((at + 200).min(body.len()));
    body[start..end].to_owned()
}

async fn ok_json(r: reqwest::Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn hostile_text_is_escaped_on_every_page() {
    let app = TestApp::spawn().await;
    // The survey's own question and labels are workspace-typed text too.
    let survey = ok_json(
        app.post("/api/v1/surveys")
            .json(
                &json!({"slug": "rel", "name": hostile(0), "touchpoint": "support",
                "texts": {"en": {"question": hostile(2), "thanks_title": hostile(3)}}}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    let link = survey["link"].as_str().unwrap().to_owned();
    let public_id = link.trim_start_matches("/s/").to_owned();

    ok_json(
        app.post("/api/v1/customers")
            .json(
                &json!({"external_id": "C1", "name": hostile(1), "email": "kari@example.com",
                "attributes": {"plan": hostile(4)}}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    // A detractor (a case), a passive and a promoter, each with a hostile comment.
    for (i, score) in [0, 8, 10].into_iter().enumerate() {
        ok_json(
            app.answer(
                json!({"survey": "rel", "score": score, "comment": hostile(i),
                "customer": {"external_id": "C1"}, "channel": "email", "language": "en"}),
            )
            .await,
        )
        .await;
    }
    let cases = ok_json(app.get("/api/v1/cases").send().await.unwrap()).await;
    let case_id = cases["cases"][0]["id"].as_i64().expect("a case was opened");
    ok_json(
        app.post(&format!("/api/v1/cases/{case_id}/notes"))
            .json(&json!({"body": hostile(3)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    ok_json(
        app.http
            .put(app.url("/api/v1/customers/C1/follow-up"))
            .bearer_auth(&app.key)
            .json(&json!({"note": hostile(4)}))
            .send()
            .await
            .unwrap(),
    )
    .await;

    // An anonymous widget answer with a hostile comment, read back by its follow-up page.
    let prompt = ok_json(
        app.http
            .get(app.url(&format!("/w/{public_id}/prompt?lang=en")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let answered = ok_json(
        app.http
            .post(app.url(&format!("/w/{public_id}/answers")))
            .json(&json!({"token": prompt["token"], "score": 3}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = answered["token"].as_str().unwrap().to_owned();
    ok_json(
        app.http
            .post(app.url(&format!("/w/{public_id}/answers")))
            .json(&json!({"token": token, "score": 3, "comment": hostile(3)}))
            .send()
            .await
            .unwrap(),
    )
    .await;

    let cookie = app.sign_in().await;
    let today = Utc::now().date_naive();
    let quarter = format!("{}-Q{}", today.year(), today.month0() / 3 + 1);
    let pages = [
        "/dashboard".to_owned(),
        "/dashboard?period=all".to_owned(),
        "/cases?view=all".to_owned(),
        format!("/cases/{case_id}"),
        "/customers".to_owned(),
        "/customers?q=C1".to_owned(),
        "/customers/C1".to_owned(),
        "/kpis".to_owned(),
        format!("/kpis?segment=plan:{}", urlencode(&hostile(4))),
        format!("/reports/quarterly?quarter={quarter}"),
        "/outbox".to_owned(),
        "/outbox?status=pending".to_owned(),
        "/outbox/1".to_owned(),
        "/settings".to_owned(),
        link.clone(),
        format!("{link}?lang=en"),
        format!("/s/{public_id}/a/{token}?lang=en"),
        format!("/s/{public_id}/thanks?lang=en"),
        // Query parameters reflected into pages.
        format!("/signin?next={}", urlencode(&hostile(1))),
        format!("/dashboard?segment={}", urlencode(&hostile(0))),
        format!("/customers?q={}", urlencode(&hostile(0))),
        format!("/cases?view={}", urlencode(&hostile(1))),
    ];
    let mut shown = 0;
    for path in &pages {
        let r = app
            .http
            .get(app.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(
            status.is_success() || status.is_client_error(),
            "{path}: {status}"
        );
        assert_escaped(path, &body);
        if body.contains("alert(") {
            shown += 1;
        }
    }
    // The hostile text was really there to escape, on most pages (as text).
    assert!(shown >= 12, "hostile text shown on only {shown} pages");
    for (path, must_show) in [
        (
            "/dashboard?period=all".to_owned(),
            "&#60;script&#62;alert(1)",
        ),
        (
            format!("/cases/{case_id}"),
            "&#60;/textarea&#62;&#60;/title&#62;",
        ),
        (
            "/customers/C1".to_owned(),
            "&#60;a href=&#34;javascript:alert(5)",
        ),
    ] {
        let body = app
            .http
            .get(app.url(&path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains(must_show), "{path} lacks {must_show:?}");
    }

    // The widget's JSON is data, not a page: served as JSON, never sniffed as HTML, and the
    // script puts every text into the page with textContent.
    let r = app
        .http
        .get(app.url(&format!("/w/{public_id}/prompt?lang=en")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["question"], hostile(2), "kept as it was typed");
    let script = app
        .http
        .get(app.url("/widget.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!script.contains(sink), "widget.js uses {sink}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
