//! Surveys in the app, on every backend: created, edited and paused through the pages
//! (CSRF, inline messages, only the fields sent change), `GET`/`PATCH /api/v1/surveys/{id}`,
//! a closed survey's link (410), answer API (409) and invitations (skipped), the preview
//! that is the respondent's very page, what a viewer, another workspace's admin and an
//! anonymous visitor can do — and the editor used with the keyboard alone in Chromium.

use crate::browser::{sign_in_typing, tab_to};
use crate::common::{location, problem, TestApp};
use crate::support::webdriver::{Browser, Options, ENTER, SPACE, TAB};
use advocate_core::{Language, Role, SurveyKind, SurveyStatus};
use advocate_server::auth::hash_password;
use advocate_store::models::Survey;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use reqwest::Response;
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

async fn admin(app: &TestApp) -> Session {
    sign_in(
        app,
        crate::common::ADMIN_EMAIL,
        crate::common::ADMIN_PASSWORD,
    )
    .await
}

async fn member(app: &TestApp, workspace_id: i64, email: &str, role: Role) -> Session {
    app.store
        .users()
        .create_member(workspace_id, email, &hash_password(PASSWORD), role)
        .await
        .unwrap();
    sign_in(app, email, PASSWORD).await
}

async fn page(app: &TestApp, s: &Session, path: &str) -> Response {
    app.http
        .get(app.url(path))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap()
}

/// Posts a form as the signed-in person, with their CSRF token.
async fn post(app: &TestApp, s: &Session, path: &str, form: &[(&str, &str)]) -> Response {
    let mut fields = vec![("csrf", s.csrf.as_str())];
    fields.extend_from_slice(form);
    app.http
        .post(app.url(path))
        .header(COOKIE, &s.cookie)
        .header("origin", &app.base)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

async fn stored(app: &TestApp, id: i64) -> Survey {
    app.store
        .surveys()
        .get(app.workspace_id, id)
        .await
        .unwrap()
        .expect("the survey")
}

async fn only_survey(app: &TestApp) -> Survey {
    let mut all = app.store.surveys().list(app.workspace_id).await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn lang(code: &str) -> Language {
    Language::new(code).unwrap()
}

async fn created_edited_and_paused_through_the_pages(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let s = admin(&app).await;
    let list = page(&app, &s, "/surveys").await;
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains(r#"<a href="/surveys" aria-current="page">Surveys</a>"#));
    assert!(html.contains("No survey yet"), "{html}");

    // Without the CSRF token: refused, nothing made.
    let r = app
        .http
        .post(app.url("/surveys"))
        .header(COOKIE, &s.cookie)
        .header("origin", &app.base)
        .form(&[
            ("slug", "x"),
            ("name", "X"),
            ("kind", "nps"),
            ("default_language", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Bad fields: each message by its field, the input kept, nothing made.
    let r = post(
        &app,
        &s,
        "/surveys",
        &[
            ("slug", "no spaces"),
            ("name", " "),
            ("kind", "nps"),
            ("default_language", "en"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"id="slug-error""#), "{html}");
    assert!(
        html.contains(r#"id="name-error">name must not be empty"#),
        "{html}"
    );
    assert!(html.contains(r#"aria-describedby="slug-error""#));
    assert!(html.contains(r#"value="no spaces""#));
    assert!(app
        .store
        .surveys()
        .list(app.workspace_id)
        .await
        .unwrap()
        .is_empty());

    let r = post(
        &app,
        &s,
        "/surveys",
        &[
            ("slug", "onboarding"),
            ("name", "Onboarding"),
            ("kind", "csat"),
            ("touchpoint", "onboarding"),
            ("default_language", "nb"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let survey = only_survey(&app).await;
    assert_eq!(location(&r), format!("/surveys/{}?done=created", survey.id));
    assert_eq!(
        (
            survey.kind,
            survey.touchpoint.as_deref(),
            survey.default_language.as_str()
        ),
        (SurveyKind::Csat, Some("onboarding"), "nb")
    );
    // The same slug again: refused by the slug's field.
    let r = post(
        &app,
        &s,
        "/surveys",
        &[
            ("slug", "onboarding"),
            ("name", "Again"),
            ("kind", "nps"),
            ("default_language", "en"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(r#"id="slug-error""#));

    // The editor, with the share panel: link, QR code, widget snippet, secret, signing.
    let editor = format!("/surveys/{}", survey.id);
    let html = page(&app, &s, &format!("{editor}?done=created"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("The survey was created"), "{html}");
    let secret = app
        .store
        .workspaces()
        .widget_secrets(app.workspace_id, chrono::Utc::now())
        .await
        .unwrap()
        .secret;
    for expected in [
        format!("/s/{}", survey.public_id),
        format!(r#"src="/s/{}/qr.svg""#, survey.public_id),
        format!(r#"data-survey=&#34;{}&#34;"#, survey.public_id),
        secret.clone(),
        "hmac.new(".to_owned(),
        "createHmac(".to_owned(),
        r#"data-copy="share-link""#.to_owned(),
        r#"<script src="/assets/copy.js" defer></script>"#.to_owned(),
    ] {
        assert!(html.contains(&expected), "{expected} missing in {html}");
    }
    let script = app
        .http
        .get(app.url("/assets/copy.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("clipboard"));

    // Saving a form that names the name and one text changes those, nothing else.
    let r = post(
        &app,
        &s,
        &editor,
        &[
            ("name", "Onboarding CSAT"),
            ("question_nb", "Hvor fornøyd er du med {company}?"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("{editor}?done=saved"));
    let saved = stored(&app, survey.id).await;
    assert_eq!(saved.name, "Onboarding CSAT");
    assert_eq!(
        saved.texts[&lang("nb")].question.as_deref(),
        Some("Hvor fornøyd er du med {company}?")
    );
    assert_eq!(
        Survey {
            name: survey.name.clone(),
            texts: survey.texts.clone(),
            ..saved.clone()
        },
        survey,
        "nothing else changed"
    );
    // A refused text: shown by its field with the input kept; nothing changes.
    let long = "x".repeat(1001);
    let r = post(
        &app,
        &s,
        &editor,
        &[("name", "Renamed"), ("question_en", &long)],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"id="question_en-error""#), "{html}");
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="question_en-error""#));
    assert!(html.contains(r#"value="Renamed""#));
    assert_eq!(stored(&app, survey.id).await, saved);
    // Emptying a text puts the built-in one back.
    let r = post(&app, &s, &editor, &[("question_nb", "")]).await;
    assert_eq!(r.status(), 303);
    assert!(stored(&app, survey.id).await.texts.is_empty());

    // Paused: the link answers 410 with a calm page in the survey's language, the API 409.
    let r = post(
        &app,
        &s,
        &format!("{editor}/status"),
        &[("status", "paused")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("{editor}?done=paused"));
    assert_eq!(stored(&app, survey.id).await.status, SurveyStatus::Paused);
    let public = app.url(&format!("/s/{}", survey.public_id));
    let r = app.http.get(&public).send().await.unwrap();
    assert_eq!(r.status(), 410);
    let html = r.text().await.unwrap();
    assert!(html.contains("Denne undersøkelsen er stengt"), "{html}");
    assert!(!html.contains("score-button"));
    let r = app
        .http
        .post(&public)
        .form(&[("score", "4")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    let r = app
        .answer(json!({"survey": "onboarding", "score": 4}))
        .await;
    assert_eq!(r.status(), 409);
    assert!(problem(r).await.contains("paused"));
    assert_eq!(app.count_answers().await, 0);
    let html = page(&app, &s, "/surveys").await.text().await.unwrap();
    assert!(
        html.contains(r#"<span class="status-chip paused">Paused</span>"#),
        "{html}"
    );
    // Archived, then active again: the link works again.
    let r = post(
        &app,
        &s,
        &format!("{editor}/status"),
        &[("status", "archived")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(stored(&app, survey.id).await.status, SurveyStatus::Archived);
    let r = post(&app, &s, &format!("{editor}/status"), &[("status", "gone")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(stored(&app, survey.id).await.status, SurveyStatus::Archived);
    let r = post(
        &app,
        &s,
        &format!("{editor}/status"),
        &[("status", "active")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.http.get(&public).send().await.unwrap().status(), 200);
    let r = app
        .answer(json!({"survey": "onboarding", "score": 4}))
        .await;
    assert_eq!(r.status(), 201);
    // Answered: the scale is fixed.
    let r = post(&app, &s, &editor, &[("kind", "nps")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(r#"id="kind-error""#));
    assert_eq!(stored(&app, survey.id).await.kind, SurveyKind::Csat);
    let html = page(&app, &s, "/surveys").await.text().await.unwrap();
    assert!(html.contains("<td>1</td>"), "the answer is counted: {html}");
}

#[tokio::test]
async fn surveys_are_created_edited_and_paused_through_the_pages_on_every_backend() {
    for db in TestDb::all().await {
        created_edited_and_paused_through_the_pages(db).await;
    }
}

async fn others_cannot_change_a_survey(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let created = app.survey("rel", None).await;
    let id = created["id"].as_i64().unwrap();
    let before = stored(&app, id).await;
    let editor = format!("/surveys/{id}");

    // A viewer of the workspace may look, without the secret, and change nothing.
    let viewer = member(&app, app.workspace_id, "viewer@example.com", Role::Viewer).await;
    let r = page(&app, &viewer, &editor).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"<fieldset class="plain" disabled>"#),
        "{html}"
    );
    assert!(!html.contains("Save survey") && !html.contains(r#"value="paused""#));
    assert!(!html.contains(r#"id="share-secret""#));
    assert_eq!(page(&app, &viewer, "/surveys").await.status(), 200);
    assert_eq!(page(&app, &viewer, "/surveys/new").await.status(), 403);
    for (path, form) in [
        (editor.clone(), [("name", "Hijacked")]),
        (format!("{editor}/status"), [("status", "paused")]),
        ("/surveys".to_owned(), [("slug", "mine")]),
        (format!("{editor}/preview"), [("question_en", "Mine")]),
        ("/surveys/new/preview".to_owned(), [("kind", "csat")]),
    ] {
        let r = post(&app, &viewer, &path, &form).await;
        assert_eq!(r.status(), 403, "{path}");
    }
    // The saved preview is theirs to see, in the editor's frame, without the live controls.
    assert!(html.contains(&format!(
        r#"<iframe name="preview" id="preview-frame" title="Preview of the survey page" src="/surveys/{id}/preview?lang=en"></iframe>"#
    )));
    assert!(!html.contains("preview.js") && !html.contains(r#"id="preview-unsaved""#));
    assert_eq!(
        page(&app, &viewer, &format!("{editor}/preview?lang=nb"))
            .await
            .status(),
        200
    );
    assert_eq!(
        page(&app, &viewer, "/surveys/new/preview/csat")
            .await
            .status(),
        403
    );

    // Another workspace's admin: not found, everywhere.
    let rival = app
        .store
        .workspaces()
        .create("rival", "Rival", &Language::english())
        .await
        .unwrap();
    let hostile = member(&app, rival.id, "boss@rival.example", Role::Admin).await;
    for path in [
        editor.clone(),
        format!("{editor}/preview?lang=en"),
        "/surveys/x".to_owned(),
    ] {
        assert_eq!(page(&app, &hostile, &path).await.status(), 404, "{path}");
    }
    let html = page(&app, &hostile, "/surveys").await.text().await.unwrap();
    assert!(!html.contains(&before.public_id) && html.contains("No survey yet"));
    for (path, form) in [
        (editor.clone(), [("name", "Hijacked")]),
        (format!("{editor}/status"), [("status", "archived")]),
        (format!("{editor}/preview"), [("question_en", "Hijacked")]),
    ] {
        let r = post(&app, &hostile, &path, &form).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    // Their API key: 404 too.
    let (_, key) = app
        .store
        .api_keys()
        .create(rival.id, "rival")
        .await
        .unwrap();
    let r = app
        .http
        .get(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&key)
        .json(&json!({"status": "paused"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(problem(r).await.contains("no survey"));

    // Nobody signed in: sent to sign in; a post is refused.
    let r = app.http.get(app.url(&editor)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/signin"));
    let r = app
        .http
        .post(app.url(&format!("{editor}/status")))
        .form(&[("status", "paused")])
        .send()
        .await
        .unwrap();
    assert!(!r.status().is_success(), "{}", r.status());
    assert_eq!(stored(&app, id).await, before, "nothing changed");
}

#[tokio::test]
async fn viewers_other_workspaces_and_anonymous_visitors_cannot_change_a_survey_on_every_backend() {
    for db in TestDb::all().await {
        others_cannot_change_a_survey(db).await;
    }
}

/// The question and the scale of a survey page: everything from its heading to the end
/// of the score buttons.
fn question_markup(html: &str) -> String {
    let start = html.find(r#"<h1 id="scale-label">"#).expect("a question");
    let scale = html[start..].find(r#"<div class="scale-wrap">"#).unwrap() + start;
    let end = html[scale..].find("</form>").unwrap() + scale;
    // The form's own tag (method and action) is the one difference: the preview records nothing.
    let form_start = html[start..].find("<form").unwrap() + start;
    let form_end = html[form_start..].find('>').unwrap() + form_start + 1;
    format!("{}{}", &html[start..form_start], &html[form_end..end])
}

async fn the_preview_is_the_respondents_page(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "rel", "name": "Rel", "texts": {"de": {"question": "Würden Sie {company} <empfehlen>?"}}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let s = admin(&app).await;
    for lang in ["de", "en", "fi"] {
        let preview = page(&app, &s, &format!("/surveys/{id}/preview?lang={lang}")).await;
        assert_eq!(preview.status(), 200);
        let preview = preview.text().await.unwrap();
        let public = app
            .http
            .get(app.url(&format!(
                "{}?lang={lang}",
                created["link"].as_str().unwrap()
            )))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            question_markup(&preview),
            question_markup(&public),
            "{lang}"
        );
        assert!(preview.contains(r#"<form method="get" action="/surveys/"#));
        assert!(preview.contains("Answers here are not recorded"));
    }
    let de = page(&app, &s, &format!("/surveys/{id}/preview?lang=de"))
        .await
        .text()
        .await
        .unwrap();
    assert!(de.contains("&#60;empfehlen&#62;"), "escaped: {de}");
    // The editor's unsaved texts, previewed: shown, not stored.
    let before = stored(&app, id).await;
    let r = post(
        &app,
        &s,
        &format!("/surveys/{id}/preview"),
        &[
            ("question_nb", "Ville du anbefalt oss?"),
            ("preview_lang", "nb"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"<h1 id="scale-label">Ville du anbefalt oss?</h1>"#),
        "{html}"
    );
    assert_eq!(stored(&app, id).await, before);
    let r = post(&app, &s, &format!("/surveys/{id}/preview"), &[("name", "")]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(stored(&app, id).await, before);

    // The thank-you page too: the same card as a respondent's, saved and unsaved.
    let public_id = created["link"].as_str().unwrap().trim_start_matches("/s/");
    for lang in ["de", "sv"] {
        let preview = page(
            &app,
            &s,
            &format!("/surveys/{id}/preview?lang={lang}&step=thanks"),
        )
        .await;
        assert_eq!(preview.status(), 200);
        let preview = preview.text().await.unwrap();
        let public = app
            .http
            .get(app.url(&format!("/s/{public_id}/thanks?lang={lang}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(thanks_markup(&preview), thanks_markup(&public), "{lang}");
        assert!(preview.contains("Preview: the page respondents get after answering."));
        assert!(!public.contains("Preview"));
    }
    let r = post(
        &app,
        &s,
        &format!("/surveys/{id}/preview"),
        &[
            ("thanks_title_de", "Danke, {company}!"),
            ("preview_lang", "de"),
            ("preview_step", "thanks"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let card = thanks_markup(&html);
    assert!(
        card.contains("<h1>Danke, ") && !card.contains("{company}"),
        "{html}"
    );
    assert_eq!(stored(&app, id).await, before);
}

/// The card of a thank-you page.
fn thanks_markup(html: &str) -> String {
    let start = html
        .find(r#"<div class="survey-card thanks">"#)
        .expect("a thank-you card");
    let end = html[start..].find("</div>").unwrap() + start;
    html[start..end].to_owned()
}

async fn thank_you_texts_are_edited_per_language(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"slug": "rel", "name": "Rel",
                    "texts": {"de": {"question": "Frage?", "thanks_title": "Danke schön"}}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let editor = format!("/surveys/{id}");
    let s = admin(&app).await;

    // Each language has its thank-you heading and text, labelled, the built-in one shown
    // while empty, the API's kept.
    let html = page(&app, &s, &editor).await.text().await.unwrap();
    assert!(html.contains(r#"<label for="thanks_title_nb">Thank-you page: heading</label>"#));
    assert!(html.contains(r#"<label for="thanks_body_fi">Thank-you page: text</label>"#));
    assert!(html.contains(r#"placeholder="Takk for tilbakemeldingen!""#));
    assert!(
        html.contains(r#"data-preview-step="thanks">Danke schön</textarea>"#),
        "{html}"
    );

    // Saving names two texts of one language: those change, nothing else.
    let before = stored(&app, id).await;
    let r = post(
        &app,
        &s,
        &editor,
        &[
            ("thanks_title_nb", " Tusen takk, {company}! "),
            ("thanks_body_nb", "Vi leser alt."),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let saved = stored(&app, id).await;
    let nb = &saved.texts[&lang("nb")];
    assert_eq!(nb.thanks_title.as_deref(), Some("Tusen takk, {company}!"));
    assert_eq!(nb.thanks_body.as_deref(), Some("Vi leser alt."));
    assert_eq!(nb.question, None);
    assert_eq!(saved.texts[&lang("de")], before.texts[&lang("de")]);
    assert_eq!(
        Survey {
            texts: before.texts.clone(),
            ..saved.clone()
        },
        before
    );
    // Respondents get it.
    let public_id = created["link"].as_str().unwrap().trim_start_matches("/s/");
    let thanks = app
        .http
        .get(app.url(&format!("/s/{public_id}/thanks?lang=nb")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thanks.contains("<p>Vi leser alt.</p>"), "{thanks}");
    assert!(thanks.contains("<h1>Tusen takk, ") && !thanks.contains("{company}"));

    // A post that does not name the thank-you texts keeps them.
    let r = post(&app, &s, &editor, &[("name", "Relationship")]).await;
    assert_eq!(r.status(), 303);
    let renamed = stored(&app, id).await;
    assert_eq!(renamed.texts, saved.texts);

    // Refused as the API refuses it: the message by its field, input kept, nothing stored.
    let long = "y".repeat(1001);
    let r = post(
        &app,
        &s,
        &editor,
        &[("thanks_title_nb", "Changed"), ("thanks_body_nb", &long)],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    let api = patch(
        &app,
        id,
        json!({"texts": {"nb": {"thanks_body": long.clone()}}}),
    )
    .await;
    assert_eq!(api.status(), 422);
    let api_message = problem(api).await;
    let start = html.find(r#"<p class="field-error" id="thanks_body_nb-error">"#);
    let shown = &html[start.expect("the message by its field")..];
    let shown = &shown[shown.find('>').unwrap() + 1..shown.find("</p>").unwrap()];
    assert!(api_message.starts_with(shown), "{shown} / {api_message}");
    assert!(shown.contains("texts.nb.thanks_body"), "{shown}");
    assert!(html.contains(r#"aria-invalid="true" aria-describedby="thanks_body_nb-error""#));
    assert!(html.contains(">Changed</textarea>"));
    assert_eq!(stored(&app, id).await, renamed);

    // Emptied: back to the built-in text; the language keeps its other texts.
    let r = post(&app, &s, &editor, &[("thanks_title_de", "")]).await;
    assert_eq!(r.status(), 303);
    let de = &stored(&app, id).await.texts[&lang("de")];
    assert_eq!(de.thanks_title, None);
    assert_eq!(de.question.as_deref(), Some("Frage?"));
}

#[tokio::test]
async fn thank_you_texts_are_edited_per_language_on_every_backend() {
    for db in TestDb::all().await {
        thank_you_texts_are_edited_per_language(db).await;
    }
}

/// The new-survey form's preview: the built-in page of the kind and language chosen.
async fn a_new_survey_is_previewed_before_it_exists(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let s = admin(&app).await;
    let html = page(&app, &s, "/surveys/new").await.text().await.unwrap();
    assert!(
        html.contains(r#"formaction="/surveys/new/preview" formtarget="preview""#),
        "{html}"
    );
    assert!(
        html.contains(r#"src="/surveys/new/preview/nps?lang=en""#),
        "{html}"
    );

    let r = page(&app, &s, "/surveys/new/preview/csat?lang=de").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert_eq!(html.matches(r#"class="score-button"#).count(), 5, "{html}");
    assert!(html.contains("Wie zufrieden"), "{html}");
    assert!(html.contains(r#"action="/surveys/new/preview/csat""#));

    let r = post(
        &app,
        &s,
        "/surveys/new/preview",
        &[
            ("slug", ""),
            ("kind", "enps"),
            ("default_language", "fi"),
            ("preview_lang", "sv"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert_eq!(html.matches(r#"class="score-button"#).count(), 11);
    assert!(html.contains(r#"<html lang="sv">"#), "{html}");
    let r = post(
        &app,
        &s,
        "/surveys/new/preview",
        &[("kind", "enps"), ("preview_step", "thanks")],
    )
    .await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Thank you for your feedback!"));
    let r = post(&app, &s, "/surveys/new/preview", &[("kind", "stars")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("kind"));
    assert_eq!(
        page(&app, &s, "/surveys/new/preview/stars").await.status(),
        422
    );
    assert!(app
        .store
        .surveys()
        .list(app.workspace_id)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_new_survey_is_previewed_before_it_exists_on_every_backend() {
    for db in TestDb::all().await {
        a_new_survey_is_previewed_before_it_exists(db).await;
    }
}

#[tokio::test]
async fn the_preview_is_the_respondents_page_on_every_backend() {
    for db in TestDb::all().await {
        the_preview_is_the_respondents_page(db).await;
    }
}

async fn patch(app: &TestApp, id: i64, body: Value) -> Response {
    app.http
        .patch(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&app.key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn the_api_reads_and_patches_a_survey(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let created = app.survey("rel", Some("renewal")).await;
    let id = created["id"].as_i64().unwrap();
    let r = app
        .get(&format!("/api/v1/surveys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["status"], "active");
    assert_eq!(got["link"], created["link"]);

    // Only what the patch names changes; texts merge language by language.
    let r = patch(
        &app,
        id,
        json!({"texts": {"nb": {"question": "Anbefale {company}?"}}}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = patch(
        &app,
        id,
        json!({"name": "Relationship", "texts": {"de": {"question": "Empfehlen?"}}}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["name"], "Relationship");
    assert_eq!(body["touchpoint"], "renewal");
    assert_eq!(body["texts"]["nb"]["question"], "Anbefale {company}?");
    assert_eq!(body["texts"]["de"]["question"], "Empfehlen?");
    let r = patch(&app, id, json!({"texts": {"de": null}, "touchpoint": null})).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["texts"].get("de").is_none() && body["texts"].get("nb").is_some());
    assert!(body["touchpoint"].is_null());
    let before = stored(&app, id).await;

    // Refusals name the field and change nothing.
    for (bad, names, status) in [
        (json!({"status": "closed", "name": "X"}), "status", 422),
        (json!({"touchpoint": "not a label!"}), "touchpoint", 422),
        (json!({"name": ""}), "name", 422),
        (json!({"name": null}), "name", 422),
        (
            json!({"default_language": "english"}),
            "default_language",
            422,
        ),
        (
            json!({"texts": {"nb": {"question": " "}}}),
            "texts.nb.question",
            422,
        ),
        (
            json!({"texts": {"nb": {"greeting": "Hei"}}}),
            "greeting",
            422,
        ),
        (json!({"slug": "other"}), "slug", 422),
    ] {
        let r = patch(&app, id, bad.clone()).await;
        assert_eq!(r.status().as_u16(), status, "{bad}");
        let detail = problem(r).await;
        assert!(detail.contains(names), "{bad}: {detail}");
    }
    assert_eq!(stored(&app, id).await, before);

    // Paused: answers 409, invitations skipped with the reason, links and widget closed;
    // the kind fixed once answered.
    let r = app
        .post_json(
            "/api/v1/invitations",
            &json!({"survey": "rel", "channel": "web", "customers": [{"external_id": "C0"}]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let out: Value = r.json().await.unwrap();
    let invitation_url = out["invitations"][0]["url"].as_str().unwrap().to_owned();
    let public_id = created["public_id"].as_str().unwrap();
    let prompt = app.url(&format!("/w/{public_id}/prompt"));
    assert_eq!(app.http.get(&prompt).send().await.unwrap().status(), 200);
    let r = patch(&app, id, json!({"status": "paused"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "paused");
    let r = app.http.get(&invitation_url).send().await.unwrap();
    assert_eq!(r.status(), 410, "{invitation_url}");
    let r = app.http.get(&prompt).send().await.unwrap();
    assert_eq!(r.status(), 410);
    assert!(problem(r).await.contains("paused"));
    let r = app.answer(json!({"survey": "rel", "score": 9})).await;
    assert_eq!(r.status(), 409);
    let r = app
        .post_json(
            "/api/v1/invitations",
            &json!({"survey": "rel", "channel": "email", "customers": [
                {"external_id": "C1", "email": "c1@example.com"}]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let out: Value = r.json().await.unwrap();
    assert_eq!(
        out["invitations"][0]["skip_reason"], "survey_closed",
        "{out}"
    );
    let r = patch(&app, id, json!({"status": "active", "kind": "csat"})).await;
    assert_eq!(r.status(), 200);
    let r = app.answer(json!({"survey": "rel", "score": 5})).await;
    assert_eq!(r.status(), 201);
    let r = patch(&app, id, json!({"kind": "nps"})).await;
    assert_eq!(r.status(), 409);
    assert!(problem(r).await.contains("kind"));
    // The change is in the audit log, field by field.
    let log = app
        .store
        .audit()
        .log(app.workspace_id, 20, None)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|l| l.detail.contains("name: \"rel\" → \"Relationship\"")),
        "{log:?}"
    );
}

#[tokio::test]
async fn the_api_reads_and_patches_a_survey_on_every_backend() {
    for db in TestDb::all().await {
        the_api_reads_and_patches_a_survey(db).await;
    }
}

#[tokio::test]
async fn the_survey_editor_works_with_the_keyboard_alone() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let created = app.survey("rel", None).await;
    let id = created["id"].as_i64().unwrap();
    let editor = format!("/surveys/{id}");
    sign_in_typing(&b, &app, &editor).await;

    // Tab to the name (which selects it), type; on to the English question, type; on to Save, Enter.
    tab_to(&b, 40, |f| f["id"] == "name").await;
    b.keys("Relationship").await;
    tab_to(&b, 40, |f| f["id"] == "question_en").await;
    b.keys("How likely are you to recommend {company}?").await;
    tab_to(&b, 40, |f| f["id"] == "save").await;
    b.keys(ENTER).await;
    b.wait_for_url("the saved survey", |u| u.contains("done=saved"))
        .await;
    let saved = stored(&app, id).await;
    assert_eq!(saved.name, "Relationship");
    assert_eq!(
        saved.texts[&lang("en")].question.as_deref(),
        Some("How likely are you to recommend {company}?")
    );
    // Pausing is a button in reach of Tab too.
    tab_to(&b, 80, |f| f["id"] == "pause").await;
    b.keys(ENTER).await;
    b.wait_for_url("the paused survey", |u| u.contains("done=paused"))
        .await;
    assert_eq!(stored(&app, id).await.status, SurveyStatus::Paused);
    let layout = b
        .script(
            "return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, \
             wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 400).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().left) + '-' + Math.round(e.getBoundingClientRect().right)), \
             unlabelled: [...document.querySelectorAll('.survey-form input:not([type=hidden]), .survey-form select, .survey-form textarea')] \
               .filter(e => !e.labels || e.labels.length === 0).map(e => e.id)};",
            json!([]),
        )
        .await;
    assert!(
        layout["scroll"].as_f64().unwrap() <= layout["inner"].as_f64().unwrap(),
        "scrolls sideways: {layout}"
    );
    assert_eq!(layout["unlabelled"], json!([]), "{layout}");
}

/// The focused element, and whether its focus ring shows (an outline at least 2 px wide).
async fn focus_of(b: &Browser) -> Value {
    b.script(
        "const e = document.activeElement; const s = getComputedStyle(e); \
         const d = e.closest('details'); \
         return {tag: e.tagName.toLowerCase(), id: e.id, in: d ? d.id : '', \
                 ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2};",
        json!([]),
    )
    .await
}

/// Presses Tab until `want` picks the focused element ([`focus_of`]), within `max`
/// presses, and asserts its focus ring shows.
async fn tab_to_visible(b: &Browser, max: usize, want: impl Fn(&Value) -> bool) {
    let mut passed = Vec::new();
    for _ in 0..max {
        b.keys(TAB).await;
        let f = focus_of(b).await;
        if want(&f) {
            assert_eq!(f["ring"], true, "no visible focus on {f}");
            return;
        }
        passed.push(f);
    }
    panic!("Tab did not reach the element; passed {passed:?}");
}

/// The preview frame's heading, once it reads `text`.
async fn preview_heading(b: &Browser, text: &str) -> Value {
    b.wait_for(
        &format!("the preview to read {text:?}"),
        "const f = document.getElementById('preview-frame'); \
         const h = f && f.contentDocument && f.contentDocument.querySelector('h1'); \
         return h && h.textContent === arguments[0] \
           ? {lang: f.contentDocument.documentElement.lang, frames: document.querySelectorAll('iframe').length} \
           : null;",
        json!([text]),
    )
    .await
}

#[tokio::test]
async fn a_survey_in_two_languages_is_created_with_the_keyboard_alone_and_previewed_live() {
    let Some(b) = Browser::start(Options {
        lang: "en".into(),
        phone: true,
    })
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    sign_in_typing(&b, &app, "/surveys/new").await;

    // The new survey: slug and name typed, CSAT chosen by typing its first letter (the
    // preview shows its five-point scale before anything exists), created with Enter.
    tab_to_visible(&b, 40, |f| f["id"] == "slug").await;
    b.keys("relationship").await;
    b.keys(TAB).await;
    b.keys("Relationship").await;
    tab_to_visible(&b, 2, |f| f["id"] == "kind").await;
    b.keys("c").await;
    b.wait_for(
        "the new survey's preview to show the CSAT scale",
        "const d = document.getElementById('preview-frame').contentDocument; \
         return d && d.querySelectorAll('.score-button').length === 5;",
        json!([]),
    )
    .await;
    tab_to_visible(&b, 2, |f| f["id"] == "touchpoint").await;
    b.keys(ENTER).await;
    b.wait_for_url("the new survey's editor", |u| u.contains("done=created"))
        .await;
    let id = only_survey(&app).await.id;

    // English (the default language, unfolded): the question.
    tab_to_visible(&b, 60, |f| f["id"] == "question_en").await;
    b.keys("How likely are you to recommend us?").await;
    let shown = preview_heading(&b, "How likely are you to recommend us?").await;
    assert_eq!(shown["lang"], "en", "{shown}");
    // Norwegian: unfolded with Space on its summary, then its question and thank-you heading;
    // the preview follows into Norwegian and onto the thank-you page.
    tab_to_visible(&b, 60, |f| f["tag"] == "summary" && f["in"] == "texts-nb").await;
    b.keys(SPACE).await;
    tab_to_visible(&b, 5, |f| f["id"] == "question_nb").await;
    b.keys("Vil du anbefale oss?").await;
    let shown = preview_heading(&b, "Vil du anbefale oss?").await;
    assert_eq!(shown["lang"], "nb", "{shown}");
    tab_to_visible(&b, 10, |f| f["id"] == "thanks_title_nb").await;
    b.keys("Tusen takk!").await;
    preview_heading(&b, "Tusen takk!").await;
    // Nothing is stored while typing.
    assert!(stored(&app, id).await.texts.is_empty());

    tab_to_visible(&b, 80, |f| f["id"] == "save").await;
    b.keys(ENTER).await;
    b.wait_for_url("the saved survey", |u| u.contains("done=saved"))
        .await;
    let saved = stored(&app, id).await;
    assert_eq!(
        (saved.name.as_str(), saved.kind),
        ("Relationship", SurveyKind::Csat)
    );
    assert_eq!(
        saved.texts[&lang("en")].question.as_deref(),
        Some("How likely are you to recommend us?")
    );
    let nb = &saved.texts[&lang("nb")];
    assert_eq!(nb.question.as_deref(), Some("Vil du anbefale oss?"));
    assert_eq!(nb.thanks_title.as_deref(), Some("Tusen takk!"));
    assert_eq!(saved.texts.len(), 2, "{saved:?}");

    // On a phone the preview comes below the form, and nothing scrolls sideways; every
    // field of the form and of the preview has its label.
    let layout = b
        .script(
            "const form = document.getElementById('survey-form').getBoundingClientRect(); \
             const frame = document.getElementById('preview-frame').getBoundingClientRect(); \
             const page = document.getElementById('preview-frame').contentDocument.documentElement; \
             return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, \
               below: frame.top >= form.bottom, frame_right: frame.right, \
               frame_scrolls: page.scrollWidth > page.clientWidth, \
               unlabelled: [...document.querySelectorAll('input:not([type=hidden]), select, textarea')] \
                 .filter(e => !e.labels || e.labels.length === 0) \
                 .filter(e => !e.getAttribute('aria-labelledby')).map(e => e.id)};",
            json!([]),
        )
        .await;
    assert_eq!(layout["inner"], 390, "{layout}");
    assert!(
        layout["scroll"].as_f64().unwrap() <= 390.0,
        "scrolls sideways: {layout}"
    );
    assert_eq!(layout["below"], true, "{layout}");
    assert!(layout["frame_right"].as_f64().unwrap() <= 390.0, "{layout}");
    assert_eq!(
        layout["frame_scrolls"], false,
        "the respondent's page fits the frame: {layout}"
    );
    assert_eq!(layout["unlabelled"], json!([]), "{layout}");
    b.assert_no_csp_violation("the survey editor and its preview")
        .await;
}
