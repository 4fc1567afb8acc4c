//! The dashboard's filters from the outside: a custom date range and one value of one
//! dimension (`only=channel:sms`, `only=segment:plan:premium`), kept in the URL; bad
//! filters named on the page and left out; comments linked to their customer and case.
//! On both databases.

use crate::common::TestApp;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use serde_json::json;

async fn page(app: &TestApp, cookie: &str, path: &str) -> String {
    let r = app
        .http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The headline's `n = …` of a dashboard page.
fn n_of(html: &str) -> u64 {
    let at = html.find("<p class=\"n\">n = ").expect("the headline's n") + 17;
    html[at..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_dashboard_narrows_to_a_range_and_one_group_and_links_its_comments() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        app.survey("rel", Some("delivery")).await;
        // January: two premium promoters by email; June: three basic answers by SMS, one
        // a detractor whose case the comment links to.
        let answers = [
            (10, "premium", "email", "2026-01-10T09:00:00Z"),
            (9, "premium", "email", "2026-01-12T09:00:00Z"),
            (2, "basic", "sms", "2026-06-10T09:00:00Z"),
            (8, "basic", "sms", "2026-06-11T09:00:00Z"),
            (10, "basic", "sms", "2026-06-12T09:00:00Z"),
        ];
        for (i, (score, plan, channel, at)) in answers.into_iter().enumerate() {
            let r = app
                .answer(json!({"survey": "rel", "score": score, "channel": channel,
                    "answered_at": at, "comment": format!("comment-{i} by {channel}"),
                    "customer": {"external_id": format!("C{i}"), "name": format!("Customer {i}"),
                                 "email": format!("c{i}@example.com"),
                                 "attributes": {"plan": plan}}}))
                .await;
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        let cookie = app.sign_in().await;

        let all = page(&app, &cookie, "/dashboard?period=all").await;
        assert_eq!(n_of(&all), 5);
        // Each breakdown group links to the page narrowed to it.
        assert!(
            all.contains("&#38;period=all&#38;only=channel%3Asms\""),
            "{all}"
        );

        // One channel: its three answers, 1 promoter and 1 detractor of 3 → NPS 0.
        let sms = page(&app, &cookie, "/dashboard?period=all&only=channel:sms").await;
        assert_eq!(n_of(&sms), 3);
        assert!(sms.contains("channel sms only"), "{sms}");
        assert!(sms.contains("Show everyone"));
        assert!(sms.contains("Not broken down while the page shows channel sms only"));
        assert!(sms.contains("comment-2 by sms") && !sms.contains("comment-0 by email"));
        // The form keeps the narrowing when the survey or range changes.
        assert!(sms.contains("<input type=\"hidden\" name=\"only\" value=\"channel:sms\">"));
        // Comments link to their customer and the detractor's case; the explorer link
        // carries the same view.
        assert!(
            sms.contains("href=\"/customers/C2\">Customer 2</a>"),
            "{sms}"
        );
        assert!(sms.contains("href=\"/cases/"), "{sms}");
        assert!(sms.contains("href=\"/comments?channel=sms\""), "{sms}");

        // One segment value: the two premium promoters → +100.
        let premium = page(
            &app,
            &cookie,
            "/dashboard?period=all&only=segment:plan:premium",
        )
        .await;
        assert_eq!(n_of(&premium), 2);
        assert!(premium.contains("+100"), "{premium}");
        assert!(premium.contains("plan premium only"));

        // A custom range: January only, shown in the date fields.
        let january = page(&app, &cookie, "/dashboard?from=2026-01-01&to=2026-01-31").await;
        assert_eq!(n_of(&january), 2);
        assert!(january.contains("2026-01-01 – 2026-01-31"), "{january}");
        assert!(january.contains("name=\"from\" type=\"date\" value=\"2026-01-01\""));
        assert!(!january.contains("comment-2 by sms"));
        assert!(january.contains("href=\"/comments?from=2026-01-01&#38;to=2026-01-31\""));
        // Range and narrowing together.
        let none = page(
            &app,
            &cookie,
            "/dashboard?from=2026-01-01&to=2026-01-31&only=channel:sms",
        )
        .await;
        assert_eq!(n_of(&none), 0);

        // Bad filters are named on the page and left out; nothing else changes.
        let bad = page(&app, &cookie, "/dashboard?period=all&from=2026-13-01").await;
        assert!(
            bad.contains(
                "role=\"alert\">from must be a date like 2026-01-31; got &#34;2026-13-01&#34;"
            ),
            "{bad}"
        );
        let swapped = page(&app, &cookie, "/dashboard?from=2026-02-01&to=2026-01-01").await;
        assert!(swapped.contains("from (2026-02-01) is after to (2026-01-01)"));
        let planet = page(&app, &cookie, "/dashboard?period=all&only=planet:mars").await;
        assert!(
            planet.contains("role=\"alert\">only is touchpoint:"),
            "{planet}"
        );
        assert_eq!(n_of(&planet), 5);
        let pigeon = page(&app, &cookie, "/dashboard?period=all&only=channel:pigeon").await;
        assert!(pigeon.contains("pigeon"));
        assert_eq!(n_of(&pigeon), 5);
    }
}

#[tokio::test]
async fn a_made_up_or_hostile_narrowing_shows_nothing_and_is_escaped() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn_on(db).await;
    app.survey("rel", None).await;
    let r = app
        .answer(json!({"survey": "rel", "score": 3, "channel": "sms",
                       "comment": "ours", "customer": {"external_id": "C1", "email": "c1@example.com"}}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let cookie = app.sign_in().await;
    // A made-up value of a dimension shows nothing rather than an error or others' data.
    let html = page(
        &app,
        &cookie,
        "/dashboard?period=all&only=touchpoint:nowhere",
    )
    .await;
    assert_eq!(n_of(&html), 0);
    assert!(!html.contains("ours"));
    // Hostile text in the narrowing is escaped wherever it is echoed.
    let html = page(
        &app,
        &cookie,
        "/dashboard?period=all&only=touchpoint:%3Cscript%3Ex%3C/script%3E",
    )
    .await;
    assert!(!html.contains("<script>x"), "{html}");
}
