//! Security headers over real HTTP: on pages, the API, the public survey page, the widget
//! and errors; HSTS only over HTTPS.

use crate::common::TestApp;
use advocate_server::Config;
use advocate_store::testing::TestDb;
use reqwest::Response;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).map(|v| v.to_str().unwrap())
}

/// The headers every response carries.
fn assert_secure(r: &Response, what: &str) {
    assert_eq!(header(r, "content-security-policy"), Some(CSP), "{what}");
    assert_eq!(
        header(r, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(r, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(header(r, "referrer-policy"), Some("same-origin"), "{what}");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let survey = app.survey("rel", None).await;
    let link = survey["link"].as_str().unwrap().to_owned();
    let id = link.trim_start_matches("/s/").to_owned();
    let cookie = app.sign_in().await;

    let page = |path: &str| app.http.get(app.url(path)).header("cookie", &cookie).send();
    for path in [
        "/dashboard",
        "/cases",
        "/customers",
        "/signin",
        "/assets/style.css",
        "/assets/icon.svg",
        "/favicon.ico",
    ] {
        let r = page(path).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_secure(&r, path);
        assert_eq!(header(&r, "strict-transport-security"), None, "plain HTTP");
        assert_eq!(header(&r, "cross-origin-resource-policy"), None, "{path}");
    }

    // The survey page carries a token-less link, its follow-up page a token in the URL.
    let r = page(&link).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_secure(&r, "survey page");
    let r = page(&format!("{link}/a/not-a-token")).await.unwrap();
    assert!(r.status().is_client_error());
    assert_secure(&r, "follow-up page with a bad token");

    // The API, its errors, and the OpenAPI document.
    let r = app.get("/api/v1/surveys").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_secure(&r, "API");
    let r = app
        .http
        .get(app.url("/api/v1/surveys"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_secure(&r, "API error");
    let r = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_secure(&r, "openapi.json");
    let r = app.http.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_secure(&r, "404");

    // The widget: the script and QR images may be loaded by any site, the JSON is CORS.
    for path in [
        "/widget.js".to_owned(),
        format!("{link}/qr.svg"),
        format!("{link}/qr.png"),
    ] {
        let r = app
            .http
            .get(app.url(&path))
            .header("origin", "https://shop.example.com")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_secure(&r, &path);
        assert_eq!(
            header(&r, "cross-origin-resource-policy"),
            Some("cross-origin"),
            "{path}"
        );
    }
    let r = app
        .http
        .get(app.url(&format!("/w/{id}/prompt")))
        .header("origin", "https://shop.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_secure(&r, "widget prompt");
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));

    // Swagger UI needs data: images and inline styles, and only there.
    let r = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = header(&r, "content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("img-src 'self' data:"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn hsts_only_when_served_over_https() {
    let config = Config {
        secure_cookies: true,
        ..Config::default()
    };
    let app = TestApp::spawn_with(TestDb::sqlite(), config).await;
    for path in ["/signin", "/api/v1/surveys", "/widget.js"] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(
            header(&r, "strict-transport-security"),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}

/// The survey editor shows its preview in a frame: the preview alone may be framed, and
/// only by Advocate's own pages; the editor and everything else stay unframeable.
#[tokio::test]
async fn only_the_editors_preview_may_be_framed_and_only_by_advocate_itself() {
    let app = TestApp::spawn().await;
    let survey = app.survey("rel", None).await;
    let id = survey["id"].as_i64().unwrap();
    let cookie = app.sign_in().await;
    let csrf = app.csrf(&cookie).await;
    let framed = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'");

    let get = |path: String| {
        app.http
            .get(app.url(&path))
            .header("cookie", &cookie)
            .send()
    };
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let mut fields = vec![("csrf", csrf.clone())];
        fields.extend(form);
        app.http
            .post(app.url(&path))
            .header("cookie", &cookie)
            .header("origin", &app.base)
            .form(&fields)
            .send()
    };
    let previews = [
        get(format!("/surveys/{id}/preview?lang=nb")).await.unwrap(),
        get(format!("/surveys/{id}/preview?step=thanks"))
            .await
            .unwrap(),
        post(
            format!("/surveys/{id}/preview"),
            vec![("question_en", "Unsaved?".into())],
        )
        .await
        .unwrap(),
        get("/surveys/new/preview/csat?lang=de".into())
            .await
            .unwrap(),
        post("/surveys/new/preview".into(), vec![("kind", "enps".into())])
            .await
            .unwrap(),
    ];
    for r in &previews {
        let what = r.url().path().to_owned();
        assert_eq!(r.status(), 200, "{what}");
        assert_eq!(
            header(r, "content-security-policy"),
            Some(framed.as_str()),
            "{what}"
        );
        assert_eq!(header(r, "x-frame-options"), Some("SAMEORIGIN"), "{what}");
        assert_eq!(header(r, "x-content-type-options"), Some("nosniff"));
    }
    // The editor that frames it, the public survey page, and the rest: never framed.
    for path in [
        format!("/surveys/{id}"),
        "/surveys/new".to_owned(),
        "/surveys".to_owned(),
        survey["link"].as_str().unwrap().to_owned(),
        "/dashboard".to_owned(),
    ] {
        let r = get(path.clone()).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_secure(&r, &path);
    }
    // Below the preview's path: not framed.
    let r = get(format!("/surveys/{id}/preview/x")).await.unwrap();
    assert_secure(&r, "below the preview");
}
