//! The comment explorer from the outside, on both databases: full-text search in the
//! seven languages, every filter, paging, marks that never let customer text be markup,
//! an agent's own comments only, eNPS anonymity, erasure leaving nothing to find, hand
//! tags, bad filters named, exports.

use crate::common::{problem, TestApp};
use advocate_core::{Role, Scope};
use advocate_server::auth::hash_password;
use advocate_store::testing::TestDb;
use advocate_store::Backend;
use reqwest::header::COOKIE;
use serde_json::{json, Value};

async fn answer(app: &TestApp, body: Value) -> i64 {
    let r = app.answer(body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn comments(app: &TestApp, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/comments?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// The answer ids a query finds, newest first.
async fn ids(app: &TestApp, query: &str) -> Vec<i64> {
    comments(app, query).await["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["answer_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn search_finds_inflected_forms_in_each_language_where_the_stemmer_does() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let backend = app.store.backend();
        app.survey("rel", None).await;
        // (language, comment, inflected search, exact search)
        let cases = [
            ("en", "The invoice was wrong again", "invoices", "invoice"),
            ("nb", "Fakturaen kom altfor sent", "fakturaer", "fakturaen"),
            (
                "sv",
                "Leveransen var mycket sen",
                "leveranser",
                "leveransen",
            ),
            ("da", "Leveringen var langsom", "leveringer", "leveringen"),
            ("fi", "Laskussa oli virhe", "laskun", "laskussa"),
            (
                "de",
                "Die Rechnungen waren falsch",
                "Rechnung",
                "Rechnungen",
            ),
            ("nl", "De facturen klopten niet", "factuur", "facturen"),
        ];
        let mut by_lang = Vec::new();
        for (lang, comment, _, _) in cases {
            let id = answer(
                &app,
                json!({"survey": "rel", "score": 4, "comment": comment, "language": lang}),
            )
            .await;
            by_lang.push(id);
        }
        for ((lang, _, inflected, exact), id) in cases.iter().zip(&by_lang) {
            assert_eq!(
                ids(&app, &format!("q={exact}")).await,
                vec![*id],
                "{backend:?} {lang}: the word itself"
            );
            // PostgreSQL stems every one of the seven; SQLite's Porter stemmer English only.
            if backend == Backend::Postgres || *lang == "en" {
                assert_eq!(
                    ids(&app, &format!("q={inflected}")).await,
                    vec![*id],
                    "{backend:?} {lang}: {inflected} finds the comment"
                );
            }
        }
        // Prefixes, phrases, either-or and not, on both.
        let en = by_lang[0];
        // Prefixes, in any language.
        assert_eq!(ids(&app, "q=invo*").await, vec![en], "{backend:?}");
        let de = by_lang[cases.iter().position(|c| c.0 == "de").unwrap()];
        assert_eq!(ids(&app, "q=Rechn*").await, vec![de], "{backend:?}");
        assert_eq!(
            ids(&app, "q=invo*+or+Rechn*+-falsch").await,
            vec![en],
            "{backend:?}"
        );
        assert_eq!(ids(&app, "q=%22invoice+was+wrong%22").await, vec![en]);
        assert_eq!(ids(&app, "q=invoice+-wrong").await, Vec::<i64>::new());
        let either = ids(&app, "q=invoice+or+Rechnungen").await;
        assert_eq!(either.len(), 2, "{backend:?}: {either:?}");
        // Marks around the matched word.
        let c = comments(&app, "q=invoice").await;
        let pieces = c["comments"][0]["highlighted"].as_array().unwrap();
        let marked: Vec<&str> = pieces
            .iter()
            .filter(|p| p["marked"] == true)
            .map(|p| p["text"].as_str().unwrap())
            .collect();
        assert_eq!(marked, vec!["invoice"], "{backend:?}: {pieces:?}");
        assert_eq!(c["comments"][0]["comment"], "The invoice was wrong again");
    }
}

/// Three customers' answers: (detractor with case, passive, promoter).
async fn three(app: &TestApp) -> (i64, i64, i64) {
    app.survey("rel", None).await;
    app.survey("onb", Some("onboarding")).await;
    let d = answer(
        app,
        json!({"survey": "rel", "score": 2, "comment": "Slow support, long queue", "channel": "email",
               "language": "en", "answered_at": "2026-03-10T10:00:00Z",
               "customer": {"external_id": "C1", "name": "Kari", "attributes": {"plan": "premium"}}}),
    )
    .await;
    let p = answer(
        app,
        json!({"survey": "rel", "score": 7, "comment": "Fine overall", "channel": "sms",
               "language": "nb", "answered_at": "2026-04-10T10:00:00Z",
               "customer": {"external_id": "C2", "name": "Ola", "attributes": {"plan": "basic"}}}),
    )
    .await;
    let m = answer(
        app,
        json!({"survey": "onb", "score": 10, "comment": "Great onboarding", "channel": "web",
               "language": "en", "answered_at": "2026-05-10T10:00:00Z",
               "customer": {"external_id": "C3", "name": "Siri", "attributes": {"plan": "premium"}}}),
    )
    .await;
    (d, p, m)
}

#[tokio::test]
async fn every_filter_narrows_and_pages_hold_the_rest() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let backend = app.store.backend();
        let (d, p, m) = three(&app).await;
        // A comment-less answer is never listed.
        answer(&app, json!({"survey": "rel", "score": 9})).await;
        // Tagging at ingest gave each comment its own sentiment; fix them so the filter's
        // expectation does not hang on the lexicon.
        sqlx_sentiment(&app, p, "positive").await;
        sqlx_sentiment(&app, m, "neutral").await;
        sqlx_sentiment(&app, d, "negative").await;
        assert_eq!(
            ids(&app, "").await,
            vec![m, p, d],
            "{backend:?}: newest first"
        );
        let all = comments(&app, "").await;
        assert_eq!(all["total"], 3);
        let first = &all["comments"][2];
        assert_eq!(first["customer"]["external_id"], "C1");
        assert!(first["case_id"].as_i64().is_some(), "{first}");
        for (q, want) in [
            ("period=2026-03", vec![d]),
            ("from=2026-04-01&to=2026-05-31", vec![m, p]),
            ("survey=onb", vec![m]),
            ("score=7", vec![p]),
            ("category=detractor", vec![d]),
            ("category=promoter", vec![m]),
            ("sentiment=positive", vec![p]),
            ("segment=plan:premium", vec![m, d]),
            ("touchpoint=onboarding", vec![m]),
            ("channel=sms", vec![p]),
            ("language=nb", vec![p]),
            ("has_case=yes", vec![d]),
            ("has_case=no", vec![m, p]),
            ("segment=plan:premium&has_case=no", vec![m]),
        ] {
            assert_eq!(ids(&app, q).await, want, "{backend:?}: {q}");
        }
        // Themes: tagged by hand, then removed (remembered as removed).
        let r = app
            .http
            .put(app.url(&format!("/api/v1/comments/{d}/themes/support_wait")))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert_eq!(ids(&app, "theme=support_wait").await, vec![d]);
        // Beside whatever the tagger found when the answer arrived.
        let themes = comments(&app, "theme=support_wait").await["comments"][0]["themes"].clone();
        assert!(
            themes.as_array().unwrap().contains(&json!("support_wait")),
            "{themes}"
        );
        let r = app
            .http
            .delete(app.url(&format!("/api/v1/comments/{d}/themes/support_wait")))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        assert!(ids(&app, "theme=support_wait").await.is_empty());
        // Paging.
        let page = comments(&app, "limit=2&page=2").await;
        assert_eq!(page["total"], 3);
        assert_eq!(page["comments"].as_array().unwrap().len(), 1);
        assert_eq!(page["comments"][0]["answer_id"], d);
    }
}

async fn sqlx_sentiment(app: &TestApp, answer_id: i64, sentiment: &str) {
    advocate_store::testing::execute(
        &app.store,
        &format!("UPDATE answers SET sentiment = '{sentiment}' WHERE id = {answer_id}"),
    )
    .await;
}

#[tokio::test]
async fn bad_filters_are_422_naming_the_parameter_and_change_nothing() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let (d, _, _) = three(&app).await;
        for (q, name) in [
            ("score=11", "score"),
            ("category=fan", "category"),
            ("theme=Bad%20Key", "theme"),
            ("sentiment=angry", "sentiment"),
            ("segment=plan", "segment"),
            ("channel=pigeon", "channel"),
            ("has_case=maybe", "has_case"),
            ("period=soon", "period"),
            ("from=2026-13-01", "from"),
            ("survey=nope", "survey"),
            ("limit=0", "limit"),
            ("page=x", "page"),
            ("q=-only", "q"),
        ] {
            let r = app
                .get(&format!("/api/v1/comments?{q}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "{q}");
            let detail = problem(r).await;
            assert!(detail.starts_with(name), "{q}: {detail}");
        }
        let before = ids(&app, "").await;
        for (method, theme, status) in [
            (reqwest::Method::PUT, "nosuch", 422),
            (reqwest::Method::PUT, "Bad%20Key", 422),
            (reqwest::Method::DELETE, "nosuch", 422),
        ] {
            let r = app
                .http
                .request(
                    method,
                    app.url(&format!("/api/v1/comments/{d}/themes/{theme}")),
                )
                .bearer_auth(&app.key)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status, "{theme}");
        }
        let r = app
            .http
            .put(app.url("/api/v1/comments/999999/themes/billing"))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(ids(&app, "").await, before);
        assert!(ids(&app, "theme=billing").await.is_empty());
    }
}

#[tokio::test]
async fn an_agent_sees_only_their_own_customers_comments() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", None).await;
        let agent = "agent.one@example.com";
        let mine = answer(
            &app,
            json!({"survey": "rel", "score": 8, "comment": "mine here",
                   "customer": {"external_id": "MINE", "account_manager": agent}}),
        )
        .await;
        let theirs = answer(
            &app,
            json!({"survey": "rel", "score": 8, "comment": "theirs here",
                   "customer": {"external_id": "THEIRS", "name": "T"}}),
        )
        .await;
        let user = app
            .store
            .users()
            .create_member(
                app.workspace_id,
                agent,
                &hash_password("a long enough password"),
                Role::Agent,
            )
            .await
            .unwrap();
        let (_, key) = app
            .store
            .api_keys()
            .create_personal(app.workspace_id, user.id, "script", &Scope::ALL)
            .await
            .unwrap();
        let r = app
            .http
            .get(app.url("/api/v1/comments?q=here"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["total"], 1, "{body}");
        assert_eq!(body["comments"][0]["answer_id"], mine);
        // Tagging another's comment is as if it did not exist.
        let r = app
            .http
            .put(app.url(&format!("/api/v1/comments/{theirs}/themes/billing")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(ids(&app, "q=here").await, vec![theirs, mine]);
    }
}

#[tokio::test]
async fn enps_comments_need_the_minimum_group_and_never_say_who() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let r = app
            .post_json(
                "/api/v1/surveys",
                &json!({"slug": "pulse", "name": "Pulse", "kind": "enps"}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        for i in 0..2 {
            answer(
                &app,
                json!({"survey": "pulse", "score": 3, "comment": format!("manager issue {i}"),
                       "answered_at": "2026-06-15T09:31:00Z",
                       "customer": {"external_id": format!("E{i}"), "name": "Emp"}}),
            )
            .await;
        }
        let few = comments(&app, "q=manager").await;
        assert_eq!(few["total"], 0, "{few}");
        assert_eq!(few["enps_withheld"], 2);
        for i in 2..5 {
            answer(
                &app,
                json!({"survey": "pulse", "score": 3, "comment": format!("manager issue {i}"),
                       "answered_at": "2026-06-15T09:31:00Z"}),
            )
            .await;
        }
        let enough = comments(&app, "q=manager").await;
        assert_eq!(enough["total"], 5, "{enough}");
        for c in enough["comments"].as_array().unwrap() {
            assert_eq!(c["answered_at"], "2026-06", "{c}");
            assert!(c["customer"].is_null() && c["channel"].is_null(), "{c}");
        }
        // A narrower filter that leaves fewer than five hides them again.
        let narrow = comments(&app, "q=manager+issue+1").await;
        assert_eq!(narrow["total"], 0, "{narrow}");
    }
}

#[tokio::test]
async fn erasure_leaves_nothing_of_the_comment_to_find() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let backend = app.store.backend();
        app.survey("rel", None).await;
        answer(
            &app,
            json!({"survey": "rel", "score": 3, "comment": "zanzibar routers everywhere",
                   "customer": {"external_id": "C1", "name": "Kari"}}),
        )
        .await;
        assert_eq!(ids(&app, "q=zanzibar").await.len(), 1);
        let r = app
            .http
            .delete(app.url("/api/v1/customers/C1"))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(ids(&app, "q=zanzibar").await.is_empty(), "{backend:?}");
        assert!(ids(&app, "").await.is_empty(), "{backend:?}");
        if backend == Backend::Sqlite {
            // Nothing left in the index itself either.
            let n = advocate_store::testing::count(
                &app.store,
                "SELECT COUNT(*) FROM comment_search WHERE comment_search MATCH 'zanzibar'",
            )
            .await;
            assert_eq!(n, 0);
        }
    }
}

#[tokio::test]
async fn the_page_marks_words_escapes_text_and_exports_the_filtered_set() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", None).await;
        answer(
            &app,
            json!({"survey": "rel", "score": 3, "comment": "<script>alert(1)</script> invoice <b>late</b>",
                   "customer": {"external_id": "C1", "name": "<i>Kari</i>"}}),
        )
        .await;
        answer(
            &app,
            json!({"survey": "rel", "score": 9, "comment": "all good"}),
        )
        .await;
        let cookie = app.sign_in().await;
        let html = app
            .http
            .get(app.url("/comments?q=invoice"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{html}"
        );
        assert!(html.contains("<mark>invoice</mark>"), "{html}");
        assert!(html.contains("&#60;i&#62;Kari&#60;/i&#62;"), "{html}");
        assert!(!html.contains("all good"));
        assert!(
            html.contains(r#"href="/comments/export.csv?q=invoice""#),
            "{html}"
        );
        let bad = app
            .http
            .get(app.url("/comments?category=fan"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        assert!(bad
            .text()
            .await
            .unwrap()
            .contains("category: one of promoter"));
        let csv = app
            .http
            .get(app.url("/comments/export.csv?q=invoice"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("invoice"), "{text}");
        let xlsx = app
            .get("/api/v1/comments/export.xlsx?score=9")
            .send()
            .await
            .unwrap();
        assert_eq!(xlsx.status(), 200);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
        let audit: Value = app
            .get("/api/v1/audit-log")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let text = audit.to_string();
        assert!(
            text.contains("comments.csv") && text.contains("comments.xlsx"),
            "{text}"
        );
    }
}
