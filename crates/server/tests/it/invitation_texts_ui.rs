//! Invitation texts written in the app: each field shows the built-in text it replaces,
//! the preview shows the email and SMS as sent, a refused text is named and nothing is
//! saved, a saved one is what the API reads back. On both databases.

use crate::common::TestApp;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use serde_json::Value;

async fn get(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let csrf = app.csrf(cookie).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    let r = app
        .http
        .post(app.url(path))
        .header(COOKIE, cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn saved(app: &TestApp) -> Value {
    let r = app.get("/api/v1/invitation-texts/nb").send().await.unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn invitation_texts_are_written_previewed_and_checked_in_the_app() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        let cookie = app.sign_in().await;
        let (status, html) = get(&app, &cookie, "/settings/invitation-texts?lang=nb").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("<label for=\"text-subject\">subject</label>"),
            "{html}"
        );
        assert!(html.contains("id=\"builtin-sms\">Built-in: "));
        assert!(html.contains("<strong>Subject:</strong>"));
        let (_, settings) = get(&app, &cookie, "/settings").await;
        assert!(settings.contains("href=\"/settings/invitation-texts\""));

        // Refused: an SMS without its link, a subject over two lines. Named; nothing saved;
        // what was typed is kept.
        let path = "/settings/invitation-texts/nb";
        for (form, says) in [
            (
                vec![("subject", "Hei fra {company}"), ("sms", "Svar nå")],
                "sms",
            ),
            (vec![("subject", "Hei\nfra oss")], "subject"),
        ] {
            let (status, html) = post(&app, &cookie, path, &form).await;
            assert_eq!(status, 422, "{form:?}");
            assert!(html.contains("role=\"alert\""), "{html}");
            let alert = &html[html.find("role=\"alert\"").unwrap()..];
            assert!(alert.contains(says), "{says}: {alert}");
            assert!(saved(&app).await["subject"].is_null());
        }

        // Saved: read back by the API, shown in the preview with the company filled in;
        // a blank field keeps the built-in text.
        let form = [
            ("subject", "Hei fra {company}"),
            ("sms", "{company} spør: {link}"),
            ("intro", "  "),
        ];
        let (status, _) = post(&app, &cookie, path, &form).await;
        assert_eq!(status, 303);
        let texts = saved(&app).await;
        assert_eq!(texts["subject"], "Hei fra {company}");
        assert_eq!(texts["sms"], "{company} spør: {link}");
        assert!(texts["intro"].is_null());
        let (_, html) = get(&app, &cookie, "/settings/invitation-texts?lang=nb").await;
        let workspace: Value = app
            .get("/api/v1/workspace")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let name = workspace["name"].as_str().unwrap_or_default().to_owned();
        assert!(
            html.contains(&format!("<strong>Subject:</strong> Hei fra {name}")),
            "{html}"
        );
        assert!(html.contains("spør: http"), "{html}");

        // An unknown language is not a page.
        let (status, _) = get(&app, &cookie, "/settings/invitation-texts?lang=xx").await;
        assert_eq!(status, 404);
        let (status, _) = post(&app, &cookie, "/settings/invitation-texts/xx", &form).await;
        assert_eq!(status, 404);
    }
}
