//! `/api/v1/themes…` over HTTP on every backend: comments tagged as they arrive, the
//! impact arithmetic by hand, a taxonomy edit re-tagged by the worker (progress shown,
//! refused edits change nothing), and precise 400s/404s. Another workspace's key sees and
//! changes nothing of these (and `access.rs` walks every route's permissions).

use crate::common::{problem, TestApp};
use advocate_store::testing::TestDb;
use serde_json::{json, Value};

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let r = app.get(path).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn close(actual: &Value, expected: f64) {
    let a = actual
        .as_f64()
        .unwrap_or_else(|| panic!("a number, got {actual}"));
    assert!((a - expected).abs() < 1e-6, "{a} is not {expected}");
}

#[tokio::test]
async fn theme_report_edits_and_retag_over_http() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", None).await;
        // Billing mentioners 0, 2, 10; others 10, 10, 9, 9, 8, 7, 3.
        let mut answers: Vec<(u8, Option<&str>)> = vec![
            (0, Some("The invoice was wrong.")),
            (2, Some("Overcharged on my bill, again.")),
            (10, Some("Billing was quick and clear.")),
        ];
        for s in [10, 10, 9, 9, 8, 7, 3] {
            answers.push((s, None));
        }
        for (score, comment) in answers {
            let r = app
                .answer(json!({"survey": "rel", "score": score, "comment": comment,
                    "language": "en", "answered_at": "2026-03-10T10:00:00Z"}))
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        let (status, body) = get(&app, "/api/v1/themes/report?from=2026-03-01&to=2026-03-31").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["answers"], 10);
        assert_eq!(body["commenters"], 3);
        close(&body["nps"], 20.0);
        let billing = body["drivers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["key"]["theme"] == "billing")
            .unwrap_or_else(|| panic!("billing in {body}"));
        let d = &billing["driver"];
        close(&d["nps_mentioners"], -100.0 / 3.0);
        close(&d["nps_others"], 300.0 / 7.0);
        close(&d["impact"], 20.0 - 300.0 / 7.0);
        assert_eq!(d["small_group"], true);
        assert!(billing["rank"].is_null());
        assert_eq!(billing["key"]["trend"][0]["month"], "2026-03");

        // The taxonomy, a refused edit (nothing changes) and an accepted one.
        let (status, t) = get(&app, "/api/v1/themes").await;
        assert_eq!(status, 200);
        assert_eq!(t["version"], 0);
        assert!(t["taxonomy"]["themes"].as_array().unwrap().len() >= 20);
        let r = app
            .post_json(
                "/api/v1/themes/edits",
                &json!({"op": "hide", "key": "nope"}),
            )
            .await;
        assert_eq!(r.status(), 422);
        assert!(problem(r).await.contains("nope"));
        let r = app
            .post_json("/api/v1/themes/edits", &json!({"op": "explode"}))
            .await;
        assert_eq!(r.status(), 400);
        assert_eq!(get(&app, "/api/v1/themes").await.1["version"], 0);
        let r = app
            .post_json(
                "/api/v1/themes/edits",
                &json!({"op": "merge", "from": "billing", "into": "price"}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let version = r.json::<Value>().await.unwrap()["version"].clone();
        let (_, progress) = get(&app, "/api/v1/themes/retag").await;
        assert_eq!(progress["version"], version);
        assert_eq!(progress["total"], 3);
        advocate_server::worker::retag::run_once(&app.store).await;
        let (_, progress) = get(&app, "/api/v1/themes/retag").await;
        assert_eq!(progress["done"], 3);
        assert!(!progress["finished_at"].is_null());
        let (_, body) = get(&app, "/api/v1/themes/report?from=2026-03-01&to=2026-03-31").await;
        let themes: Vec<&str> = body["drivers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["key"]["theme"].as_str().unwrap())
            .collect();
        assert!(
            themes.contains(&"price") && !themes.contains(&"billing"),
            "{themes:?}"
        );

        for (query, status, expect) in [
            ("?from=2026-13-01", 400, "from must be YYYY-MM-DD"),
            ("?from=2026-03-02&to=2026-03-01", 400, "after"),
            ("?survey=nope", 404, "no survey"),
            ("?group=theme", 400, "unknown field"),
        ] {
            let r = app
                .get(&format!("/api/v1/themes/report{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), status, "{query}");
            let detail = problem(r).await;
            assert!(detail.contains(expect), "{query}: {detail}");
        }

        // A hostile workspace's key: its own, untouched taxonomy and an empty report.
        let rival = app
            .store
            .workspaces()
            .create("rival", "Rival", &advocate_core::Language::english())
            .await
            .unwrap();
        let (_, key) = app
            .store
            .api_keys()
            .create(rival.id, "rival")
            .await
            .unwrap();
        let as_rival = |path: &str| {
            app.http
                .get(app.url(path))
                .header("Authorization", format!("Bearer {key}"))
        };
        let t: Value = as_rival("/api/v1/themes")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(t["version"], 0);
        let r: Value = as_rival("/api/v1/themes/report?from=2026-03-01&to=2026-03-31")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["answers"], 0);
        assert_eq!(r["drivers"], json!([]));
        let r = as_rival("/api/v1/themes/report?survey=rel")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let p: Value = as_rival("/api/v1/themes/retag")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(p.is_null());
    }
}

/// The pages: the dashboard card and `/themes` show the themes of recent comments (escaped),
/// a taxonomy edit from the form is saved (and a refused one says why), and a phrase is
/// promoted to a theme.
#[tokio::test]
async fn themes_pages_show_edit_and_promote() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", None).await;
        let today = chrono::Utc::now().to_rfc3339();
        for (score, comment) in [
            (2, "The invoice was wrong <b>again</b>."),
            (3, "The smart meter reading is off."),
            (4, "My smart meter reading was wrong."),
            (5, "Smart meter reading not sent."),
        ] {
            let r = app
                .answer(json!({"survey": "rel", "score": score, "comment": comment,
                    "language": "en", "answered_at": today}))
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        let cookie = app.sign_in().await;
        let page = |path: &'static str| {
            let cookie = cookie.clone();
            let app = &app;
            async move {
                let r = app
                    .http
                    .get(app.url(path))
                    .header(reqwest::header::COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "{path}");
                r.text().await.unwrap()
            }
        };
        let dashboard = page("/dashboard").await;
        assert!(dashboard.contains("What customers talk about"));
        assert!(
            dashboard.contains("/comments?theme=billing"),
            "the card links to the comments"
        );
        // Two plans, far apart: each value of the attribute is ranked like a theme.
        for i in 0..70 {
            let (plan, score) = if i < 35 {
                ("basic", 3)
            } else {
                ("business", 10)
            };
            let r = app
                .answer(json!({"survey": "rel", "score": score, "answered_at": today,
                    "customer": {"external_id": format!("{plan}-{i}"), "attributes": {"plan": plan}}}))
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        let themes = page("/themes").await;
        assert!(themes.contains("Billing and invoices"));
        assert!(themes.contains("Which customers move the score"));
        assert!(
            themes.contains(r#"href="/dashboard?only=segment%3Aplan%3Abasic">plan = basic</a>"#),
            "{themes}"
        );
        assert!(
            themes.contains("smart meter reading"),
            "an emerging phrase is proposed"
        );
        let csrf = app.csrf(&cookie).await;
        let post = |path: &'static str, fields: Vec<(&'static str, &'static str)>| {
            let (cookie, csrf) = (cookie.clone(), csrf.clone());
            let app = &app;
            async move {
                let mut form = fields;
                form.push(("csrf", Box::leak(csrf.into_boxed_str())));
                let r = app
                    .http
                    .post(app.url(path))
                    .header(reqwest::header::COOKIE, cookie)
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (status, html) = post(
            "/themes/edits",
            vec![
                ("op", "rename"),
                ("key", "nope"),
                ("lang", "en"),
                ("name", "X"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("no theme"), "the refusal is named");
        let (status, _) = post(
            "/themes/edits",
            vec![
                ("op", "rename"),
                ("key", "billing"),
                ("lang", "en"),
                ("name", "Bills <i>now</i>"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        let (status, html) = post(
            "/themes/promote",
            vec![("language", "en"), ("phrase", "smart meter reading")],
        )
        .await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("is now a theme"));
        advocate_server::worker::retag::run_once(&app.store).await;
        let themes = page("/themes").await;
        assert!(themes.contains("Bills &lt;i&gt;now") || themes.contains("Bills &#60;i&#62;now"));
        assert!(!themes.contains("<i>now</i>"), "names are escaped");
        assert!(!themes.contains("<b>again</b>"));
        let t: Value = app
            .get("/api/v1/themes")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(t["taxonomy"]["themes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["key"] == "smart_meter_reading"));
    }
}

/// Rising themes on every backend: 2 of 40 commenters mentioned delivery 30–59 days ago,
/// 16 of 40 do today. The dashboard's 30-day card lists it (then → now, linked to its
/// comments of the period), `/api/v1/themes/rising` returns it, a hostile workspace's key
/// sees nothing, and bad parameters are refused.
#[tokio::test]
async fn rising_themes_on_the_dashboard_and_the_api() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", None).await;
        let now = chrono::Utc::now();
        let before = (now - chrono::Duration::days(45)).to_rfc3339();
        let today = now.to_rfc3339();
        for (count, score, comment, when) in [
            (2, 3, "The delivery was late.", &before),
            (38, 8, "Fine.", &before),
            (16, 3, "The delivery was late.", &today),
            (24, 8, "Fine.", &today),
        ] {
            for _ in 0..count {
                let r = app
                    .answer(json!({"survey": "rel", "score": score, "comment": comment,
                        "language": "en", "answered_at": when}))
                    .await;
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            }
        }
        let (to, from) = (
            now.date_naive(),
            now.date_naive() - chrono::Duration::days(29),
        );
        let cookie = app.sign_in().await;
        let dashboard = app
            .http
            .get(app.url("/dashboard?period=30d"))
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(dashboard.contains("Rising themes"), "{dashboard}");
        // Askama escapes & in attributes as &#38;; a period ending today needs no end.
        let href = format!("/comments?theme=delivery&#38;from={from}");
        assert!(
            dashboard.contains(&format!(
                "<a href=\"{href}\">Delivery and shipping: 5 % → 40 % of comments</a>"
            )),
            "{dashboard}"
        );

        let path = format!("/api/v1/themes/rising?from={from}&to={to}");
        let (status, body) = get(&app, &path).await;
        assert_eq!(status, 200, "{body}");
        let rising = body.as_array().unwrap();
        assert_eq!(rising.len(), 1, "{body}");
        let r = &rising[0];
        assert_eq!(r["theme"], "delivery");
        assert_eq!(
            (r["mentions"].clone(), r["commenters"].clone()),
            (json!(16), json!(40))
        );
        assert_eq!(r["previous_mentions"], 2);
        close(&r["previous_share"], 5.0);
        close(&r["share"], 40.0);
        close(&r["change"], 35.0);
        // p̂ = 18/80, z = .35 / √(.225 · .775 · (1/40 + 1/40)).
        close(&r["z"], 0.35 / (0.225f64 * 0.775 * 0.05).sqrt());
        assert_eq!(
            (r["significant"].clone(), r["rising"].clone()),
            (json!(true), json!(true))
        );
        // The period before alone: nothing before it, so nothing rises.
        let earlier = format!(
            "/api/v1/themes/rising?from={}&to={}",
            from - chrono::Duration::days(30),
            from - chrono::Duration::days(1)
        );
        assert_eq!(get(&app, &earlier).await, (200, json!([])));

        for (query, status, expect) in [
            ("?to=2026-02-30", 400, "to must be YYYY-MM-DD"),
            ("?from=2026-03-02&to=2026-03-01", 400, "after"),
            ("?survey=nope", 404, "no survey"),
            ("?theme=delivery", 400, "unknown field"),
        ] {
            let r = app
                .get(&format!("/api/v1/themes/rising{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), status, "{query}");
            let detail = problem(r).await;
            assert!(detail.contains(expect), "{query}: {detail}");
        }

        let (_, doc) = get(&app, "/openapi.json").await;
        assert!(
            doc["paths"]["/api/v1/themes/rising"]["get"].is_object(),
            "described in OpenAPI"
        );
        let rival = app
            .store
            .workspaces()
            .create("rival", "Rival", &advocate_core::Language::english())
            .await
            .unwrap();
        let (_, key) = app
            .store
            .api_keys()
            .create(rival.id, "rival")
            .await
            .unwrap();
        let theirs: Value = app
            .http
            .get(app.url(&path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(theirs, json!([]));
    }
}
