//! The KPI page and the quarterly report over HTTP: they render real figures (tiles,
//! sparklines, the linkage headline, tables), escape what people typed, load nothing from
//! elsewhere and stay behind the sign-in wall.

use crate::common::TestApp;
use advocate_store::testing::TestDb;
use chrono::{DateTime, Utc};
use serde_json::json;

const EVIL: &str = "<script>alert(1)</script>";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Four detractors and four promoters (by their answer in February), all customers since
/// 2025; in Q2 two detractors and one promoter churn: detractors churn 2× as often.
async fn seed(app: &TestApp) {
    app.survey("rel", Some("onboarding")).await;
    let ws = app.workspace_id;
    for i in 0..8 {
        let who = format!("C{i}");
        let score = if i < 4 { 3 } else { 10 };
        let r = app
            .answer(
                json!({"survey": "rel", "score": score, "answered_at": "2026-02-10T10:00:00Z",
                "customer": {"external_id": who, "name": format!("Customer {i}"),
                             "attributes": {"plan": "pro"}}}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        app.store
            .spells()
            .record_acquired(ws, &who, at("2025-01-01T00:00:00Z"))
            .await
            .unwrap();
    }
    for who in ["C0", "C1", "C4"] {
        app.store
            .spells()
            .record_churned(ws, who, at("2026-05-15T00:00:00Z"))
            .await
            .unwrap();
    }
    // Comments in the quarter, one of them hostile.
    for (score, comment) in [(10, EVIL), (2, "slow delivery")] {
        let r = app
            .answer(json!({"survey": "rel", "score": score, "comment": comment,
                "answered_at": "2026-05-20T10:00:00Z", "customer": {"external_id": "C5"}}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = app
        .http
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Escaped, no scripts, nothing fetched from another host.
fn assert_self_contained(html: &str) {
    assert!(!html.contains("<script"), "raw script in page");
    assert!(!html.contains("https://"), "external URL in page");
    for attr in ["src=\"http", "href=\"http", "href=\"//", "src=\"//"] {
        assert!(!html.contains(attr), "external {attr} in page");
    }
}

#[tokio::test]
async fn kpi_page_shows_tiles_linkage_comparison_and_exports() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        seed(&app).await;
        let cookie = app.sign_in().await;
        let (status, html) = page(
            &app,
            &cookie,
            "/kpis?period=custom&from=2026-04-01&to=2026-06-30",
        )
        .await;
        assert_eq!(status, 200, "{html}");
        assert_self_contained(&html);
        assert!(html.contains("1 Apr – 30 Jun 2026"), "period shown");
        // Tiles with definitions and sparklines.
        assert!(html.contains("<h3>Churn rate</h3>"));
        assert!(html.contains("37.5 %"), "3 of 8 lost: {html}");
        assert!(html.contains("customers lost in the period / customers at its start"));
        assert!(html.contains("chart-spark"));
        // The linkage headline with its interval, the chart and its table.
        assert!(
            html.contains("Detractors churn 2.0× as often as promoters (95 % CI"),
            "{html}"
        );
        assert!(html.contains("chart-linkage"));
        assert!(html.contains("<th scope=\"row\">detractor</th><td class=\"num\">4</td><td class=\"num\">2</td><td class=\"num\">50.0 %</td>"), "{html}");
        // Period comparison against the 91 days before.
        assert!(html.contains("Period comparison"));
        assert!(
            html.contains("31 Dec 2025 – 31 Mar 2026"),
            "previous period named"
        );
        // Downloads and the report, from the page.
        assert!(html.contains("/export/kpis.xlsx?from=2026-04-01"));
        assert!(html.contains("/export/customers.csv"));
        assert!(html.contains("/reports/quarterly?quarter=2026-Q2"));
        // The nav marks where we are.
        assert!(html.contains("<a href=\"/kpis\" aria-current=\"page\">KPIs</a>"));
    }
}

#[tokio::test]
async fn kpi_page_escapes_what_comes_from_the_url_and_refuses_bad_periods() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let cookie = app.sign_in().await;
    let evil = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let (status, html) = page(
        &app,
        &cookie,
        &format!("/kpis?period=12m&segment=plan:{evil}&touchpoint={evil}"),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert_self_contained(&html);
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    // The segment and touchpoint options offer what exists.
    assert!(
        html.contains("<option value=\"plan:pro\">plan:pro</option>"),
        "{html}"
    );
    assert!(html.contains("<option value=\"onboarding\">onboarding</option>"));

    for bad in [
        "/kpis?period=custom&from=2026-05-01&to=2026-04-01",
        "/kpis?period=custom&from=soon",
        "/kpis?segment=noattribute",
        "/kpis?segment=bad%20attr:x",
    ] {
        let (status, body) = page(&app, &cookie, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_self_contained(&body);
        assert!(
            !crate::common::error_message(&body).is_empty(),
            "{bad}: {body}"
        );
    }
    // Unknown period codes fall back to this quarter.
    let (status, _) = page(&app, &cookie, "/kpis?period=forever").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn quarterly_report_is_printable_and_complete() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        seed(&app).await;
        let cookie = app.sign_in().await;
        let (status, html) = page(&app, &cookie, "/reports/quarterly?quarter=2026-Q2").await;
        assert_eq!(status, 200, "{html}");
        assert_self_contained(&html);
        assert!(html.contains("Quarterly report · 2026-Q2"));
        assert!(html.contains("1 Apr – 30 Jun 2026"));
        for section in [
            "Net Promoter Score",
            "Retention KPIs",
            "Detractors churn 2.0× as often as promoters",
            "Closed-loop health",
            "Comments from across the quarter",
            "chart-trend",
        ] {
            assert!(html.contains(section), "{section} missing");
        }
        // The hostile comment is shown, escaped; the detractor comment too.
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(html.contains("slow delivery"));
        // No app navigation to print; links to the neighbouring quarters (hidden in print).
        assert!(!html.contains("class=\"mainnav\""));
        assert!(html.contains("/reports/quarterly?quarter=2026-Q1"));
        assert!(html.contains("/reports/quarterly?quarter=2026-Q3"));
    }
}

#[tokio::test]
async fn report_refuses_bad_quarters_and_prints_on_a4() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_in().await;
    for bad in ["2026-Q5", "Q3", "2026-3", "<b>"] {
        let (status, body) = page(
            &app,
            &cookie,
            &format!(
                "/reports/quarterly?quarter={}",
                bad.replace('<', "%3C").replace('>', "%3E")
            ),
        )
        .await;
        assert_eq!(status, 400, "{bad}");
        assert!(body.contains("quarter must look like 2026-Q3"), "{body}");
    }
    // Without a quarter: the last complete one, with empty data rendered honestly.
    let (status, html) = page(&app, &cookie, "/reports/quarterly").await;
    assert_eq!(status, 200);
    assert!(html.contains("Not enough churn yet"), "{html}");
    let css = app
        .http
        .get(app.url("/assets/style.css"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(css.contains("@media print") && css.contains("size: A4"));
}

#[tokio::test]
async fn kpi_pages_need_a_session() {
    let app = TestApp::spawn().await;
    for path in ["/kpis", "/reports/quarterly?quarter=2026-Q2"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert!(crate::common::location(&r).starts_with("/signin?next="));
    }
}

/// Commented answers on both sides of 2026-Q2's edges and in each of its months: the
/// report's comments come from the whole quarter and from nowhere else.
async fn seed_quarter_edges(app: &TestApp) {
    app.survey("rel", None).await;
    app.open_cases_for_anonymous_detractors().await;
    let mut comments = vec![
        (
            "2026-03-31T23:59:00Z",
            1,
            "before the quarter: a long detractor comment that must not be chosen at all",
        ),
        (
            "2026-07-01T00:00:00Z",
            1,
            "after the quarter: a long detractor comment that must not be chosen at all",
        ),
        (
            "2026-04-03T10:00:00Z",
            2,
            "April: support never answered my two emails about the invoice",
        ),
        ("2026-05-12T10:00:00Z", 3, "May: the delivery came late"),
        ("2026-04-20T10:00:00Z", 10, "April promoter"),
        (
            "2026-04-21T10:00:00Z",
            9,
            "Fair prices and no hidden fees, every month",
        ),
        (
            "2026-05-21T10:00:00Z",
            9,
            "Fair prices and no hidden fees, every month",
        ),
    ];
    // The quarter's last day has more than enough comments to fill the list on its own.
    for i in 0..6 {
        comments.push((
            "2026-06-30T12:00:00Z",
            4,
            [
                "June a",
                "June bb",
                "June ccc",
                "June dddd",
                "June eeeee",
                "June ffffff",
            ][i],
        ));
    }
    for (when, score, comment) in comments {
        let r = app
            .answer(
                json!({"survey": "rel", "score": score, "comment": comment, "answered_at": when}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
}

#[tokio::test]
async fn the_quarterly_report_is_bounded_to_its_quarter() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        seed_quarter_edges(&app).await;
        let cookie = app.sign_in().await;
        let (status, html) = page(&app, &cookie, "/reports/quarterly?quarter=2026-Q2").await;
        assert_eq!(status, 200, "{html}");
        // Comments from April and May too, not only the last day's; none from outside.
        for inside in [
            "April: support never answered",
            "May: the delivery came late",
            "April promoter",
        ] {
            assert!(html.contains(inside), "{inside} missing: {html}");
        }
        assert!(
            !html.contains("before the quarter: a long")
                && !html.contains("after the quarter: a long"),
            "{html}"
        );
        assert!(
            html.contains("June ffffff"),
            "the longest of the last day's comments: {html}"
        );
        assert!(
            !html.contains("June a<"),
            "the last day does not fill the list: {html}"
        );
        assert_eq!(
            html.matches("Fair prices and no hidden fees").count(),
            1,
            "the same words are shown once: {html}"
        );
        assert!(
            html.contains("the months take turns"),
            "the report says how: {html}"
        );

        // Q3 (92 days) is compared with Q2, not with the 92 days from 31 March.
        let (_, html) = page(&app, &cookie, "/reports/quarterly?quarter=2026-Q3").await;
        assert!(html.contains("1 Apr – 30 Jun 2026"), "{html}");
        assert!(!html.contains("31 Mar – 30 Jun 2026"), "{html}");
        assert!(html.contains("Previous quarter"), "{html}");

        // The detractors' cases were opened today, after 2026-Q2 ended: not in its report,
        // but in the report of the quarter they were opened in.
        let open_cases = |html: &str| {
            let at = html
                .find("Open cases</th><td class=\"num\">")
                .expect("open cases row");
            let rest = &html[at + "Open cases</th><td class=\"num\">".len()..];
            rest[..rest.find('<').unwrap()].parse::<u64>().unwrap()
        };
        let (_, q2) = page(&app, &cookie, "/reports/quarterly?quarter=2026-Q2").await;
        let today = chrono::Utc::now().date_naive();
        let this_quarter = format!(
            "{}-Q{}",
            chrono::Datelike::year(&today),
            chrono::Datelike::month0(&today) / 3 + 1
        );
        let (_, now) = page(
            &app,
            &cookie,
            &format!("/reports/quarterly?quarter={this_quarter}"),
        )
        .await;
        assert!(
            open_cases(&now) > 0,
            "cases opened this quarter are counted: {now}"
        );
        assert_eq!(
            open_cases(&q2),
            0,
            "cases opened after 2026-Q2 are not in its report: {q2}"
        );
    }
}

#[tokio::test]
async fn the_kpi_page_counting_rules_show_code_not_backticks_and_mark_the_partial_month() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let cookie = app.sign_in().await;
    let (status, html) = page(&app, &cookie, "/kpis?period=this_quarter").await;
    assert_eq!(status, 200, "{html}");
    let rules = &html[html.find("How these figures are counted").unwrap()..];
    assert!(
        rules.contains("runs from <code>from</code> 00:00 UTC"),
        "{rules}"
    );
    assert!(!rules.contains('`'), "literal backticks: {rules}");
    // The current month is partial (unless today is its last day): marked in the table.
    let today = chrono::Utc::now().date_naive();
    if today
        .succ_opt()
        .is_some_and(|t| chrono::Datelike::day(&t) != 1)
    {
        assert!(html.contains(" (partial: 1 "), "{html}");
    }
    let (_, report) = page(&app, &cookie, "/reports/quarterly?quarter=2026-Q2").await;
    assert!(
        report.contains("<code>from</code>") && !report.contains("`from`"),
        "{report}"
    );
}
