//! Pages driven over HTTP: the sign-in wall, the dashboard and the public survey flow.

use crate::common::{TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::Response;
use serde_json::{json, Value};

fn location(r: &Response) -> String {
    r.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The score form's `action` on a survey page: it carries the signed form nonce without
/// which an answer is refused, so answers are posted there, as a browser would.
async fn form_action(app: &TestApp, link: &str) -> String {
    let html = app
        .http
        .get(app.url(link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html
        .find("<form method=\"post\" action=\"")
        .expect("a form")
        + 28;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&#38;", "&").replace("&amp;", "&")
}

/// Signs in and returns the session cookie (`name=value`).
async fn sign_in(app: &TestApp) -> String {
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", "/dashboard?period=all"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dashboard?period=all");
    let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn nothing_behind_the_sign_in_is_reachable_without_it() {
    let app = TestApp::spawn().await;
    for path in ["/dashboard", "/dashboard?period=30d", "/"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        let to = location(&r);
        assert!(
            to.starts_with("/signin") || to == "/dashboard",
            "{path} → {to}"
        );
    }
    // A forged or expired cookie is no better than none.
    for cookie in ["advocate_session=forged", "advocate_session=", "other=1"] {
        let r = app
            .http
            .get(app.url("/dashboard"))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{cookie}");
    }
    let page = app
        .http
        .get(app.url("/signin?next=/dashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"password\""));
}

#[tokio::test]
async fn signing_in_opens_the_dashboard_and_wrong_passwords_do_not() {
    let app = TestApp::spawn().await;
    for (email, password) in [
        (ADMIN_EMAIL, "wrong password"),
        ("nobody@example.com", ADMIN_PASSWORD),
    ] {
        let r = app
            .http
            .post(app.url("/signin"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers().get(SET_COOKIE).is_none());
        assert!(r.text().await.unwrap().contains("Wrong email or password"));
    }
    // An open redirect is refused: `next` must be a path on this site.
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/dashboard");
    // A form posted from another site is refused.
    let r = app
        .http
        .post(app.url("/signin"))
        .header("Origin", "https://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let cookie = sign_in(&app).await;
    let r = app
        .http
        .get(app.url("/dashboard"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Acme"));

    // Signing out needs the form's token, then ends the session on the server: the old
    // cookie no longer opens anything.
    let r = app
        .http
        .post(app.url("/signout"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let token = app.csrf(&cookie).await;
    let r = app
        .http
        .post(app.url("/signout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let r = app
        .http
        .get(app.url("/dashboard"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the old cookie is signed out");
}

#[tokio::test]
async fn the_dashboard_shows_the_figures_and_escapes_comments() {
    let app = TestApp::spawn().await;
    app.survey("rel", Some("delivery")).await;
    let evil = "<script>alert('x')</script>";
    for (score, plan) in [(10, "premium"), (9, "premium"), (7, "basic"), (2, "basic")] {
        let r = app
            .answer(json!({"survey": "rel", "score": score, "comment": format!("{evil} {score}"),
                           "channel": "email", "customer": {"external_id": format!("C{score}"), "attributes": {"plan": plan}}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let cookie = sign_in(&app).await;
    let html = app
        .http
        .get(app.url("/dashboard?period=all"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // NPS = (2 − 1) / 4 = +25, with the small-sample warning.
    assert!(html.contains("+25"), "{html}");
    assert!(html.contains("Too few answers"));
    assert!(!html.contains("<script>alert"), "comments must be escaped");
    assert!(html.contains("alert("), "comments are shown");
    for needle in ["delivery", "email", "premium", "basic", "<svg"] {
        assert!(html.contains(needle), "{needle} missing");
    }
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external requests"
    );
}

#[tokio::test]
async fn a_respondent_answers_in_their_language_comments_and_changes_the_score() {
    let app = TestApp::spawn().await;
    let survey = app.survey("rel", None).await;
    let link = survey["link"].as_str().unwrap().to_owned();

    let page = app
        .http
        .get(app.url(&link))
        .header(ACCEPT_LANGUAGE, "nb-NO,nb;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Hvor sannsynlig er det at du vil anbefale Acme"),
        "{html}"
    );
    assert!(html.contains("lang=\"nb\""));
    for n in 0..=10 {
        assert!(
            html.contains(&format!("name=\"score\" value=\"{n}\"")),
            "button {n}"
        );
    }
    let de = app
        .http
        .get(app.url(&format!("{link}?lang=de")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(de.contains("Wie wahrscheinlich ist es"));

    // A click on 3 stores the answer at once and opens the detractor follow-up.
    let r = app
        .http
        .post(app.url(&form_action(&app, &link).await))
        .form(&[("score", "3"), ("lang", "nb")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let follow = location(&r);
    assert_eq!(app.count_answers().await, 1);
    let html = app
        .http
        .get(app.url(&follow))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Hva bør vi gjøre bedre?"), "{html}");

    // Changing the score moves the answer (and its counts), not a second answer.
    let path = follow.split('?').next().unwrap();
    let r = app
        .http
        .post(app.url(&format!("{path}/score")))
        .form(&[("score", "9"), ("lang", "nb")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = app
        .http
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Hva liker du best med oss?"),
        "promoter follow-up after the change"
    );

    let r = app
        .http
        .post(app.url(path))
        .form(&[
            ("comment", "Rask levering <b>!</b>"),
            ("lang", "nb"),
            ("score", "9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let thanks = app
        .http
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thanks.contains("Takk for tilbakemeldingen!"));

    assert_eq!(app.count_answers().await, 1);
    let nps: Value = app
        .get("/api/v1/nps")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            nps["n"].as_u64(),
            nps["promoters"].as_u64(),
            nps["detractors"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    let comments = app
        .store
        .answers()
        .latest_comments(app.workspace_id, None, 5)
        .await
        .unwrap();
    assert_eq!(
        comments[0].comment.as_deref(),
        Some("Rask levering <b>!</b>")
    );
    assert_eq!(comments[0].language.as_deref(), Some("nb"));
    assert_eq!(comments[0].channel, "web");
}

#[tokio::test]
async fn survey_links_reject_bad_scores_and_forged_tokens() {
    let app = TestApp::spawn().await;
    let link = app.survey("rel", None).await["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let action = form_action(&app, &link).await;
    for bad in ["11", "-1", "7.5", "nine", ""] {
        let r = app
            .http
            .post(app.url(&action))
            .form(&[("score", bad)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{bad}");
    }
    assert_eq!(app.count_answers().await, 0);
    let r = app
        .http
        .get(app.url("/s/doesnotexist"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .get(app.url(&format!("{link}/a/forged.token")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .post(app.url(&format!("{link}/a/forged.token")))
        .form(&[("comment", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A token for one survey does not open an answer of another.
    let other = app.survey("other", None).await["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .post(app.url(&action))
        .form(&[("score", "5")])
        .send()
        .await
        .unwrap();
    let tok = location(&r)
        .split("/a/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let r = app
        .http
        .get(app.url(&format!("{other}/a/{tok}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/assets/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let css = r.text().await.unwrap();
    assert!(!css.contains("http://") && !css.contains("https://") && !css.contains("@import"));
}

/// After sign-in, `next` is followed only when it is a plain path on this site; anything a
/// browser could resolve elsewhere (a tab or line break it drops, a backslash it reads as a
/// slash) or that is not a path lands on the dashboard, and no `next` ever gives a 500.
#[tokio::test]
async fn sign_in_returns_only_to_plain_paths_on_this_site() {
    let app = TestApp::spawn().await;
    let sign_in_to = |next: &'static str| {
        app.http
            .post(app.url("/signin"))
            .form(&[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ])
            .send()
    };
    for next in [
        "/\t/evil.example",
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/..//evil.example",
        "/\r/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "/\u{b}/evil.example",
        "/\0/evil.example",
    ] {
        let r = sign_in_to(next).await.unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(location(&r), "/dashboard", "{next:?}");
        // The sign-in form does not carry it either.
        let page = app
            .http
            .get(app.url("/signin"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{next:?}");
        assert!(
            !page.text().await.unwrap().contains("evil.example"),
            "{next:?}"
        );
    }
    for next in ["/cases?x=1", "/cases#a"] {
        let r = sign_in_to(next).await.unwrap();
        assert_eq!(location(&r), next);
    }
}

async fn signed_in_page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_compare_page_compares_two_plans_and_names_bad_filters() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    // premium 3/1/1 of 5 → NPS +40; basic 1/1/3 of 5 → NPS −40.
    for (i, (score, plan)) in [
        (10, "premium"),
        (9, "premium"),
        (10, "premium"),
        (8, "premium"),
        (2, "premium"),
        (10, "basic"),
        (7, "basic"),
        (3, "basic"),
        (1, "basic"),
        (0, "basic"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = app
            .answer(json!({"survey": "rel", "score": score,
                           "customer": {"external_id": format!("C{i}"), "attributes": {"plan": plan}}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let cookie = sign_in(&app).await;

    // The dashboard links its two largest plans to the comparison.
    let (_, html) = signed_in_page(&app, &cookie, "/dashboard?period=all").await;
    let at = html
        .find("href=\"/compare?")
        .expect("a compare link on the dashboard");
    let link = html[at + 6..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    assert!(
        link.contains("a.segment=plan%3Abasic") && link.contains("b.segment=plan%3Apremium"),
        "{link}"
    );

    // The empty form: labelled fields for both sides, a plain GET form (no script).
    let (status, html) = signed_in_page(&app, &cookie, "/compare").await;
    assert_eq!(status, 200, "{html}");
    for needle in [
        "<form method=\"get\" action=\"/compare\"",
        "<legend>Side A</legend>",
        "<legend>Side B</legend>",
        "<label for=\"a-segment\">Segment</label>",
        "id=\"a-segment\" name=\"a.segment\"",
        "<label for=\"b-period\">Period</label>",
        "<button type=\"submit\">Compare</button>",
    ] {
        assert!(html.contains(needle), "{needle} missing: {html}");
    }
    assert!(
        !html.contains("<script") && !html.contains("id=\"h-result\""),
        "{html}"
    );

    // The comparison the link asks for.
    let (status, html) = signed_in_page(&app, &cookie, &link).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"h-result\""), "{html}");
    assert!(html.contains("Difference A − B: -80 points"), "{html}");
    assert!(
        html.contains("plan = basic") && html.contains("plan = premium"),
        "{html}"
    );
    assert!(html.contains("Small sample"), "{html}");
    assert!(
        html.contains("value=\"plan:basic\""),
        "the form keeps the filter: {html}"
    );

    // A bad filter is named on the page, the form kept, what was typed escaped.
    let (status, html) = signed_in_page(
        &app,
        &cookie,
        "/compare?a.segment=plan&b.touchpoint=%3Cscript%3Ex%3C%2Fscript%3E",
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("role=\"alert\">a.segment: a segment is attribute:value"),
        "{html}"
    );
    assert!(
        html.contains("&#60;script&#62;x&#60;/script&#62;") && !html.contains("<script>x"),
        "{html}"
    );
    let (status, html) =
        signed_in_page(&app, &cookie, "/compare?a.period=2026-Q9&b.period=2026-Q1").await;
    assert_eq!(status, 400);
    assert!(html.contains("a.period: a period is a year"), "{html}");
}

/// Every signed-in page has the one top bar: the skip link, the workspace's name, the
/// navigation, and the person linked to their account page.
#[tokio::test]
async fn every_signed_in_page_has_the_same_top_bar() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    let r = app
        .answer(
            json!({"survey": "rel", "score": 2, "customer": {"external_id": "C1", "name": "Kari"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let cookie = app.sign_in().await;
    for path in [
        "/dashboard",
        "/compare",
        "/cases",
        "/cases/1",
        "/customers",
        "/customers/C1",
        "/kpis",
        "/settings",
        "/outbox",
        "/team",
        "/audit",
        "/account",
    ] {
        let r = app
            .http
            .get(app.url(path))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        for part in [
            r##"<a class="skip-link" href="#main">"##,
            r#"<header class="topbar">"#,
            r#"<span class="workspace">Acme</span>"#,
            r#"<nav class="mainnav" aria-label="Main">"#,
            &format!(r#"<a href="/account" class="user">{ADMIN_EMAIL}</a>"#),
        ] {
            assert_eq!(html.matches(part).count(), 1, "{path}: {part}\n{html}");
        }
    }
}
