//! Writing to the customer about an answer that has no case, from the outside: the
//! customer record links the composer, sending opens a case for the sender and the email
//! leaves with that case's Reply-To (a real SMTP server); twice, or at once, still one
//! case; another workspace, an anonymous visitor, a viewer, an agent's stranger, forged
//! ids, eNPS answers and customers without an address get nothing and change nothing.

use crate::common::peers::{eventually, free_port, header, SmtpServer};
use crate::common::{location, problem, TestApp, ADMIN_EMAIL};
use crate::conversation::{app_on, emails_to, messages};
use advocate_core::Role;
use advocate_server::auth::hash_password;
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings};
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::time::Duration;

const PASSWORD: &str = "a long enough password";
const KARI: &str = "kari@example.no";

/// A passive answer of customer `external_id` (with `email`, if any): its id.
async fn passive(
    app: &TestApp,
    external_id: &str,
    email: Option<&str>,
    manager: Option<&str>,
) -> i64 {
    let r = app
        .answer(
            json!({"survey": "rel", "score": 8, "comment": "Good, but the app is slow",
            "language": "en",
            "customer": {"external_id": external_id, "name": "Kari Nordmann", "email": email,
                         "language": "en", "account_manager": manager}}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    body["id"].as_i64().expect("the answer's id")
}

async fn cases_of(app: &TestApp, external_id: &str) -> Vec<Value> {
    let page: Value = app
        .get(&format!("/api/v1/cases?customer={external_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["cases"].as_array().unwrap().clone()
}

async fn case_count(app: &TestApp) -> usize {
    let page: Value = app
        .get("/api/v1/cases?limit=100")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["cases"].as_array().unwrap().len()
}

/// Signs `email` in (a member made with [`PASSWORD`]): the session cookie and its CSRF
/// token.
async fn sign_in(app: &TestApp, email: &str) -> (String, String) {
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in of {email}");
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let csrf = app.csrf(&cookie).await;
    (cookie, csrf)
}

async fn member(app: &TestApp, workspace_id: i64, email: &str, role: Role) -> (String, String) {
    app.store
        .users()
        .create_member(workspace_id, email, &hash_password(PASSWORD), role)
        .await
        .unwrap();
    sign_in(app, email).await
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> Response {
    app.http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> Response {
    app.http
        .post(app.url(path))
        .header(COOKIE, cookie)
        .header("origin", &app.base)
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn writing_about_a_passive_opens_a_case_for_the_sender(db: TestDb) {
    let smtp_port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-answer-email-{smtp_port}"));
    let Some(smtp) = SmtpServer::start(smtp_port, &maildir).await else {
        return;
    };
    let app = app_on(db).await;
    app.survey("rel", None).await;
    let answer = passive(&app, "C1", Some(KARI), None).await;
    assert!(
        cases_of(&app, "C1").await.is_empty(),
        "a passive opens no case"
    );
    let cookie = app.sign_in().await;
    let csrf = app.csrf(&cookie).await;
    let compose = format!("/answers/{answer}/email");

    let record = page(&app, &cookie, "/customers/C1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        record.contains(&format!("href=\"{compose}\""))
            && record.contains("Email the customer about this answer"),
        "{record}"
    );

    // The composer holds the template for the score, filled in; it says what sending does.
    let draft: Value = app
        .get(&format!("/api/v1/answers/{answer}/draft"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(draft["case_id"], Value::Null);
    assert_eq!(draft["to"], KARI);
    let subject = draft["subject"].as_str().unwrap();
    assert!(!subject.is_empty());
    let r = page(&app, &cookie, &compose).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Kari") && html.contains(KARI), "{html}");
    assert!(html.contains("sending opens one"), "{html}");
    assert!(html.contains(&format!("action=\"{compose}\"")), "{html}");

    // A preview sends and opens nothing.
    let r = post_form(
        &app,
        &cookie,
        &compose,
        &[
            ("csrf", &csrf),
            ("subject", "Thanks"),
            ("body", "Can we <b>help</b>?"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Can we &lt;b&gt;help") || html.contains("Can we &#60;b&#62;help"),
        "an escaped preview: {html}"
    );
    assert!(
        cases_of(&app, "C1").await.is_empty(),
        "a preview opens no case"
    );
    assert!(
        emails_to(&app, KARI).await.is_empty(),
        "a preview sends nothing"
    );
    // Bad text is refused before anything is opened.
    let r = post_form(
        &app,
        &cookie,
        &compose,
        &[("csrf", &csrf), ("subject", ""), ("body", "x")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        cases_of(&app, "C1").await.is_empty(),
        "a refused text opens no case"
    );

    let workers = worker::start(
        app.store.clone(),
        DeliveryConfig {
            smtp: Some(SmtpSettings::parse(&format!("smtp://127.0.0.1:{smtp_port}")).unwrap()),
            poll_interval: Duration::from_millis(50),
            ..DeliveryConfig::default()
        },
    );
    let r = post_form(
        &app,
        &cookie,
        &compose,
        &[
            ("csrf", &csrf),
            ("subject", "Thanks for your answer"),
            ("body", "What would make it a 10?"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let cases = cases_of(&app, "C1").await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let case = &cases[0];
    let id = case["id"].as_i64().unwrap();
    assert!(
        location(&r).starts_with(&format!("/cases/{id}#message-")),
        "{}",
        location(&r)
    );
    assert_eq!(case["answer_id"], answer);
    assert_eq!(case["assignee"], ADMIN_EMAIL, "the case is the sender's");
    assert_eq!(case["status"], "contacted");
    assert!(
        case["first_contact_at"].is_string(),
        "first contact recorded: {case}"
    );
    let sent = messages(&app, id).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["author"], ADMIN_EMAIL);
    let detail: Value = app
        .get(&format!("/api/v1/cases/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        detail
            .to_string()
            .contains(&format!("Opened by hand by {ADMIN_EMAIL}")),
        "{detail}"
    );

    let queued = emails_to(&app, KARI).await;
    assert_eq!(queued.len(), 1);
    let reply_to = queued[0].reply_to.clone().expect("a Reply-To");
    assert!(
        reply_to.contains(&format!("c{id}-w{}-", app.workspace_id)),
        "{reply_to}"
    );
    let delivered = eventually("the email to the customer", || async {
        smtp.messages()
            .into_iter()
            .find(|m| header(m, "To").is_some_and(|t| t.contains(KARI)))
    })
    .await;
    assert_eq!(
        header(&delivered, "Reply-To"),
        Some(reply_to.as_str()),
        "{delivered}"
    );
    assert_eq!(
        header(&delivered, "Subject"),
        Some("Thanks for your answer")
    );
    workers.shutdown().await;

    // The record now links the answer's case, and the composer sends there.
    let record = page(&app, &cookie, "/customers/C1")
        .await
        .text()
        .await
        .unwrap();
    assert!(!record.contains(&compose), "{record}");
    assert!(
        record.contains(&format!("href=\"/cases/{id}\">Case #{id}</a>")),
        "{record}"
    );
    let r = page(&app, &cookie, &compose).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/cases/{id}/email"));
    let draft: Value = app
        .get(&format!("/api/v1/answers/{answer}/draft"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(draft["case_id"], id);

    // Writing again goes on the same case.
    let r = post_form(
        &app,
        &cookie,
        &compose,
        &[
            ("csrf", &csrf),
            ("subject", "Re: Thanks"),
            ("body", "Any news?"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(cases_of(&app, "C1").await.len(), 1);
    assert_eq!(messages(&app, id).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_about_a_passive_opens_a_case_for_the_sender_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        writing_about_a_passive_opens_a_case_for_the_sender(db).await;
    }
}

/// Two API calls at once about one answer: both send, on one case.
async fn two_sends_at_once_open_one_case(db: TestDb) {
    let app = app_on(db).await;
    app.survey("rel", None).await;
    let answer = passive(&app, "C1", Some(KARI), None).await;
    let path = format!("/api/v1/answers/{answer}/messages");
    let (one, two) = (json!({"subject": "One", "body": "First"}), json!({}));
    let (a, b) = tokio::join!(app.post_json(&path, &one), app.post_json(&path, &two));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (201, 201));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["case_id"], b["case_id"], "{a} {b}");
    let cases = cases_of(&app, "C1").await;
    assert_eq!(cases.len(), 1);
    // A workspace key has no person: the case goes where a new case of the customer goes.
    assert_eq!(cases[0]["assignee"], "Customer care");
    assert_eq!(
        messages(&app, a["case_id"].as_i64().unwrap()).await.len(),
        2
    );
    assert_eq!(emails_to(&app, KARI).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sends_at_once_open_one_case_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        two_sends_at_once_open_one_case(db).await;
    }
}

#[tokio::test]
async fn strangers_get_nothing_and_change_nothing() {
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let answer = passive(&app, "C1", Some(KARI), None).await;
    let compose = format!("/answers/{answer}/email");
    let other = app
        .store
        .workspaces()
        .create("globex", "Globex", &advocate_core::Language::english())
        .await
        .unwrap();
    let (_, other_key) = app
        .store
        .api_keys()
        .create(other.id, "hostile")
        .await
        .unwrap();

    // A member of another workspace.
    let (cookie, csrf) = member(&app, other.id, "mallory@globex.example", Role::Admin).await;
    assert_eq!(page(&app, &cookie, &compose).await.status(), 404);
    let form = [
        ("csrf", csrf.as_str()),
        ("subject", "Hi"),
        ("body", "From Globex"),
    ];
    assert_eq!(
        post_form(&app, &cookie, &compose, &form).await.status(),
        404
    );
    // Their API key.
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/answers/{answer}/draft"), None),
        (
            Method::POST,
            format!("/api/v1/answers/{answer}/messages"),
            Some(json!({})),
        ),
    ] {
        let mut req = app
            .http
            .request(method, app.url(&path))
            .bearer_auth(&other_key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        assert_eq!(req.send().await.unwrap().status(), 404, "{path}");
    }

    // An anonymous visitor is sent to sign in; the API wants a key.
    let r = app.http.get(app.url(&compose)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/signin"), "{}", location(&r));
    let r = app
        .http
        .post(app.url(&compose))
        .form(&[("subject", "a"), ("body", "b")])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(r.status().as_u16(), 303 | 401 | 403),
        "{}",
        r.status()
    );
    let r = app
        .http
        .post(app.url(&format!("/api/v1/answers/{answer}/messages")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // A viewer may not work cases.
    let (cookie, csrf) = member(&app, app.workspace_id, "viewer@example.com", Role::Viewer).await;
    assert_eq!(page(&app, &cookie, &compose).await.status(), 403);
    let form = [
        ("csrf", csrf.as_str()),
        ("subject", "Hi"),
        ("body", "From a viewer"),
    ];
    assert_eq!(
        post_form(&app, &cookie, &compose, &form).await.status(),
        403
    );

    // Forged ids.
    let admin = app.sign_in().await;
    let admin_csrf = app.csrf(&admin).await;
    for forged in ["999999", "abc", "-1"] {
        assert_eq!(
            page(&app, &admin, &format!("/answers/{forged}/email"))
                .await
                .status(),
            404,
            "{forged}"
        );
        let form = [
            ("csrf", admin_csrf.as_str()),
            ("subject", "Hi"),
            ("body", "x"),
        ];
        let r = post_form(&app, &admin, &format!("/answers/{forged}/email"), &form).await;
        assert_eq!(r.status(), 404, "{forged}");
        let r = app
            .post_json(&format!("/api/v1/answers/{forged}/messages"), &json!({}))
            .await;
        assert_eq!(r.status(), 404, "{forged}");
    }

    // An agent reaches only their own customers' answers; opening one makes it theirs.
    let agent = "agent@example.com";
    let mine = passive(&app, "MINE", Some("mine@example.no"), Some(agent)).await;
    let (cookie, csrf) = member(&app, app.workspace_id, agent, Role::Agent).await;
    assert_eq!(
        page(&app, &cookie, &compose).await.status(),
        404,
        "not their customer"
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("subject", "Hi"),
        ("body", "From the agent"),
    ];
    assert_eq!(
        post_form(&app, &cookie, &compose, &form).await.status(),
        404
    );
    assert_eq!(case_count(&app).await, 0, "nothing was opened");
    assert!(emails_to(&app, KARI).await.is_empty(), "nothing was sent");

    let theirs = format!("/answers/{mine}/email");
    assert_eq!(page(&app, &cookie, &theirs).await.status(), 200);
    let r = post_form(&app, &cookie, &theirs, &form).await;
    assert_eq!(r.status(), 303);
    let cases = cases_of(&app, "MINE").await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["assignee"], agent);
    assert_eq!(
        page(&app, &cookie, &format!("/cases/{}", cases[0]["id"]))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn enps_answers_and_customers_without_an_address_are_refused() {
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "team", "name": "Team", "kind": "enps"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .answer(json!({"survey": "team", "score": 3, "comment": "My manager"}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let enps = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let cookie = app.sign_in().await;
    let csrf = app.csrf(&cookie).await;

    let r = page(&app, &cookie, &format!("/answers/{enps}/email")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("anonymous"));
    let r = app
        .post_json(&format!("/api/v1/answers/{enps}/messages"), &json!({}))
        .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("anonymous"));
    let r = app
        .get(&format!("/api/v1/answers/{enps}/draft"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    let silent = passive(&app, "SILENT", None, None).await;
    let record = page(&app, &cookie, "/customers/SILENT")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        record.contains("No email address to write to")
            && !record.contains(&format!("/answers/{silent}/email")),
        "{record}"
    );
    let compose = format!("/answers/{silent}/email");
    let html = page(&app, &cookie, &compose).await.text().await.unwrap();
    assert!(html.contains("The customer has no email address"), "{html}");
    let r = post_form(
        &app,
        &cookie,
        &compose,
        &[("csrf", &csrf), ("subject", "Hi"), ("body", "Hello")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("this customer has no email address"));
    let r = app
        .post_json(
            &format!("/api/v1/answers/{silent}/messages"),
            &json!({"subject": "Hi", "body": "Hello"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r)
        .await
        .starts_with("this customer has no email address"));
    assert_eq!(case_count(&app).await, 0, "nothing was opened");
}

/// On a phone, in a real browser: from the customer record to the composer of a passive's
/// answer and sent, nothing scrolling sideways and every field labelled.
#[tokio::test]
async fn an_agent_writes_about_a_passive_from_the_record_on_a_phone() {
    use crate::support::webdriver::{Browser, Options, ENTER, TAB};
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = app_on(TestDb::sqlite()).await;
    app.survey("rel", None).await;
    let answer = passive(&app, "C1", Some(KARI), None).await;
    b.goto(&app.url("/signin?next=%2Fcustomers%2FC1")).await;
    b.click(&b.find("#email").await).await;
    b.keys(ADMIN_EMAIL).await;
    b.keys(TAB).await;
    b.keys(crate::common::ADMIN_PASSWORD).await;
    b.keys(ENTER).await;
    b.wait_for_url("the record", |u| u.ends_with("/customers/C1"))
        .await;
    let layout = "return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, \
         unlabelled: [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')] \
           .filter(e => !e.labels || e.labels.length === 0).map(e => e.id || e.name)};";
    let record = b.script(layout, json!([])).await;
    assert!(record["scroll"].as_f64().unwrap() <= 390.0, "{record}");

    b.click(&b.find(&format!("a[href='/answers/{answer}/email']")).await)
        .await;
    b.wait_for_url("the composer", |u| u.ends_with("/email"))
        .await;
    let body = b.text(&b.find("#body").await).await;
    assert!(body.contains("Kari"), "{body}");
    let composer = b.script(layout, json!([])).await;
    assert_eq!(composer["inner"], 390, "{composer}");
    assert!(composer["scroll"].as_f64().unwrap() <= 390.0, "{composer}");
    assert_eq!(composer["unlabelled"], json!([]), "{composer}");
    b.click(&b.find("button[value='send']").await).await;
    b.wait_for_url("the new case", |u| u.contains("#message-"))
        .await;
    let thread = b.text(&b.find("#conversation").await).await;
    assert!(thread.contains("Email to the customer"), "{thread}");
    assert_eq!(cases_of(&app, "C1").await.len(), 1);
}
