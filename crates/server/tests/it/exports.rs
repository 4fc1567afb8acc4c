//! Exports over HTTP on both backends: CSV and XLSX content and headers, formula
//! neutralising, filters, workspace isolation, the signed-in page links and bad names.

use crate::common::{problem, TestApp};
use advocate_core::{Channel, Language, Rating, SurveyKind};
use advocate_store::business::NewOrder;
use advocate_store::models::{NewAnswer, Respondent};
use advocate_store::testing::TestDb;
use reqwest::Response;
use serde_json::json;
use std::io::{Cursor, Read};

async fn each_backend(test: impl AsyncFn(TestApp)) {
    for db in TestDb::all().await {
        test(TestApp::spawn_on(db).await).await;
    }
}

/// A survey, a detractor with a formula in the comment and a "+cmd" name, a promoter.
async fn seed(app: &TestApp) {
    app.survey("rel", Some("onboarding")).await;
    app.survey("other", None).await;
    for body in [
        json!({"survey": "rel", "score": 2, "comment": "=HYPERLINK(\"http://evil.example\",\"x\")",
               "answered_at": "2026-03-10T09:00:00Z",
               "customer": {"external_id": "C1", "name": "+cmd", "email": "c1@example.com"}}),
        json!({"survey": "rel", "score": 10, "comment": "great, \"really\"\nthanks",
               "answered_at": "2026-04-02T12:30:00Z",
               "customer": {"external_id": "C2", "name": "Kari"}}),
        json!({"survey": "other", "score": 7, "answered_at": "2026-04-03T08:00:00Z"}),
    ] {
        let r = app.answer(body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
}

fn header(r: &Response, name: &str) -> String {
    r.headers()[name].to_str().unwrap().to_owned()
}

/// Parses our CSV (RFC 4180, CRLF, BOM) into records.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text
        .strip_prefix('\u{feff}')
        .expect("CSV starts with a BOM");
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "last record has no line end"
    );
    rows
}

async fn csv_of(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    parse_csv(&r.text().await.unwrap())
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn sheet_xml(bytes: &[u8], n: usize) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("XLSX is a zip");
    for part in ["[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml"] {
        assert!(zip.by_name(part).is_ok(), "{part} missing");
    }
    let mut xml = String::new();
    zip.by_name(&format!("xl/worksheets/sheet{n}.xml"))
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[tokio::test]
async fn answers_csv_has_headers_rows_and_neutralised_formulas() {
    each_backend(async |app: TestApp| {
        seed(&app).await;
        let r = app.get("/api/v1/exports/answers.csv").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-type"), "text/csv; charset=utf-8");
        let today = chrono::Utc::now().format("%Y-%m-%d");
        assert_eq!(
            header(&r, "content-disposition"),
            format!("attachment; filename=\"acme-answers-{today}.csv\"")
        );
        assert_eq!(header(&r, "cache-control"), "private, no-store");
        let rows = parse_csv(&r.text().await.unwrap());
        assert_eq!(rows.len(), 4, "header and three answers: {rows:?}");
        assert_eq!(rows[0][0], "answer_id");
        assert_eq!(
            column(&rows, "comment"),
            [
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
                "great, \"really\"\nthanks",
                ""
            ]
        );
        assert_eq!(column(&rows, "customer_name"), ["'+cmd", "Kari", ""]);
        assert_eq!(column(&rows, "score"), ["2", "10", "7"]);
        assert_eq!(
            column(&rows, "category"),
            ["detractor", "promoter", "passive"]
        );
        assert_eq!(column(&rows, "answered_at")[0], "2026-03-10T09:00:00Z");
        assert_eq!(column(&rows, "touchpoint")[0], "onboarding");

        // Filters: the period's days are inclusive; the survey narrows.
        let april = csv_of(
            &app,
            "/api/v1/exports/answers.csv?from=2026-04-01&to=2026-04-02",
        )
        .await;
        assert_eq!(column(&april, "score"), ["10"]);
        let other = csv_of(&app, "/api/v1/exports/answers.csv?survey=other").await;
        assert_eq!(column(&other, "survey"), ["other"]);
    })
    .await;
}

#[tokio::test]
async fn customers_and_cases_csv() {
    each_backend(async |app: TestApp| {
        seed(&app).await;
        let customers = csv_of(&app, "/api/v1/exports/customers.csv").await;
        assert_eq!(column(&customers, "external_id"), ["C1", "C2"]);
        assert_eq!(column(&customers, "name"), ["'+cmd", "Kari"]);
        assert_eq!(column(&customers, "latest_nps_score"), ["2", "10"]);
        assert_eq!(column(&customers, "orders"), ["0", "0"]);
        assert_eq!(column(&customers, "revenue_minor"), ["", ""]);
        assert_eq!(column(&customers, "churned_at"), ["", ""]);

        // With business data: C1 came and went, C2 bought twice.
        let (ws, store) = (app.workspace_id, &app.store);
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        store
            .spells()
            .record_acquired(ws, "C1", at("2025-01-01T00:00:00Z"))
            .await
            .unwrap();
        store
            .spells()
            .record_churned(ws, "C1", at("2026-05-01T00:00:00Z"))
            .await
            .unwrap();
        for (id, amount) in [("o1", "19.90"), ("o2", "5.10")] {
            let order = NewOrder {
                external_id: Some(id.into()),
                customer: "C2".into(),
                amount: amount.into(),
                currency: "EUR".into(),
                amount_in_reporting_currency: None,
                ordered_at: at("2026-04-05T10:00:00Z"),
            };
            store.orders().record(ws, &order).await.unwrap();
        }
        let customers = csv_of(&app, "/api/v1/exports/customers.csv").await;
        assert_eq!(
            column(&customers, "customer_since"),
            ["2025-01-01T00:00:00Z", ""]
        );
        assert_eq!(
            column(&customers, "churned_at"),
            ["2026-05-01T00:00:00Z", ""]
        );
        assert_eq!(column(&customers, "orders"), ["0", "2"]);
        assert_eq!(column(&customers, "revenue_minor"), ["", "2500"]);

        // The detractor opened a case.
        let cases = csv_of(&app, "/api/v1/exports/cases.csv").await;
        assert_eq!(column(&cases, "customer_name"), ["'+cmd"]);
        assert_eq!(column(&cases, "status"), ["open"]);
        assert_eq!(
            column(&cases, "comment"),
            ["'=HYPERLINK(\"http://evil.example\",\"x\")"]
        );
        let closed = csv_of(&app, "/api/v1/exports/cases.csv?status=resolved,closed").await;
        assert_eq!(closed.len(), 1, "header only: {closed:?}");
        let open = csv_of(&app, "/api/v1/exports/cases.csv?status=open").await;
        assert_eq!(open.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn xlsx_is_a_workbook_with_typed_and_neutralised_cells() {
    each_backend(async |app: TestApp| {
        seed(&app).await;
        let r = app
            .get("/api/v1/exports/answers.xlsx")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            header(&r, "content-type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(header(&r, "content-disposition").ends_with(".xlsx\""));
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK", "a zip file");
        let xml = sheet_xml(&bytes, 1);
        assert!(
            xml.contains("'=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)"),
            "{xml}"
        );
        assert!(xml.contains(">'+cmd<"), "{xml}");
        assert!(!xml.contains("<f>"), "no formulas at all");
        // Scores are numbers (column E), not inline strings.
        assert!(xml.contains("<c r=\"E2\"><v>2</v></c>"), "{xml}");
        // Times are date serials with the date style: 2026-03-10 09:00 UTC.
        assert!(
            xml.contains("<c r=\"B2\" s=\"1\"><v>46091.375</v></c>"),
            "{xml}"
        );

        let r = app
            .get("/api/v1/exports/customers.xlsx")
            .send()
            .await
            .unwrap();
        let xml = sheet_xml(&r.bytes().await.unwrap(), 1);
        assert!(xml.contains(">C2<") && xml.contains(">'+cmd<"), "{xml}");
    })
    .await;
}

#[tokio::test]
async fn kpi_export_lists_each_kpi_with_its_definition() {
    each_backend(async |app: TestApp| {
        seed(&app).await;
        let rows = csv_of(
            &app,
            "/api/v1/exports/kpis.csv?from=2026-01-01&to=2026-06-30",
        )
        .await;
        assert_eq!(rows[0][..4], ["kpi", "value", "unit", "previous_period"]);
        let kpis = column(&rows[..21], "kpi");
        for k in [
            "churn_rate",
            "retention_rate",
            "nps",
            "predicted_clv",
            "revenue_at_risk",
        ] {
            assert!(kpis.iter().any(|x| x == k), "{k} missing: {kpis:?}");
        }
        let nps = rows.iter().find(|r| r[0] == "nps").unwrap();
        // Two NPS answers in the period: a 2 and a 10 → 0.
        assert_eq!(nps[1], "0");
        assert!(nps[6].contains("promoters"), "{nps:?}");
        // No customers: the churn rate is undefined (empty), never a made-up 0.
        let churn = rows.iter().find(|r| r[0] == "churn_rate").unwrap();
        assert_eq!(churn[1], "");
        assert!(rows.iter().any(|r| r[0] == "nps_category"), "linkage block");

        let r = app
            .get("/api/v1/exports/kpis.xlsx?from=2026-01-01&to=2026-06-30")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        assert!(sheet_xml(&bytes, 1).contains(">churn_rate<"));
        assert!(sheet_xml(&bytes, 2).contains(">nps_category<"));
    })
    .await;
}

#[tokio::test]
async fn exports_stay_inside_the_callers_workspace() {
    each_backend(async |app: TestApp| {
        seed(&app).await;
        let other = app
            .store
            .workspaces()
            .create("globex", "Globex", &Language::english())
            .await
            .unwrap();
        let (_, key) = app.store.api_keys().create(other.id, "k").await.unwrap();
        for what in ["answers", "customers", "cases"] {
            let r = app
                .http
                .get(app.url(&format!("/api/v1/exports/{what}.csv")))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert!(header(&r, "content-disposition").contains("globex-"));
            let rows = parse_csv(&r.text().await.unwrap());
            assert_eq!(rows.len(), 1, "{what}: only the header, got {rows:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn bad_requests_are_precise_problems() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    for (path, status, needle) in [
        (
            "/api/v1/exports/orders.csv",
            404,
            "no export named \"orders.csv\"",
        ),
        ("/api/v1/exports/answers.pdf", 404, "each as .csv or .xlsx"),
        ("/api/v1/exports/answers", 404, "no export named"),
        (
            "/api/v1/exports/answers.csv?from=2026-13-01",
            400,
            "from must be a date",
        ),
        (
            "/api/v1/exports/answers.csv?from=2026-05-01&to=2026-04-01",
            400,
            "is after to",
        ),
        (
            "/api/v1/exports/answers.csv?survey=nope",
            404,
            "no survey with slug \"nope\"",
        ),
        (
            "/api/v1/exports/cases.csv?status=lost",
            400,
            "status must be open",
        ),
        (
            "/api/v1/exports/customers.csv?status=open",
            400,
            "status applies to the cases export only",
        ),
        (
            "/api/v1/exports/cases.csv?from=2026-01-01",
            400,
            "from applies to the answers export only",
        ),
        (
            "/api/v1/exports/answers.csv?colour=red",
            400,
            "unknown field",
        ),
        (
            "/api/v1/exports/kpis.csv?survey=rel",
            400,
            "from and to only",
        ),
    ] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        let detail = problem(r).await;
        assert!(detail.contains(needle), "{path}: {detail}");
    }
    // Without a key: 401, and no data.
    let r = app
        .http
        .get(app.url("/api/v1/exports/answers.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn signed_in_people_download_from_the_pages() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    // Without a session: to the sign-in page, nothing exported.
    let r = app
        .http
        .get(app.url("/export/answers.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(crate::common::location(&r).starts_with("/signin?next="));

    let cookie = app.sign_in().await;
    let r = app
        .http
        .get(app.url("/export/customers.csv"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-disposition").contains("acme-customers-"));
    let rows = parse_csv(&r.text().await.unwrap());
    assert_eq!(column(&rows, "name"), ["'+cmd", "Kari"]);

    let r = app
        .http
        .get(app.url("/export/nothing.csv"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn csv_streams_many_batches_without_losing_or_repeating_rows() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    // More rows than one batch (2000), written in bulk.
    let survey = app
        .store
        .surveys()
        .by_slug(app.workspace_id, "rel")
        .await
        .unwrap()
        .unwrap();
    let mut batch = app.store.answers().begin().await.unwrap();
    for i in 0..4500_i64 {
        let new = NewAnswer {
            workspace_id: app.workspace_id,
            survey_id: survey.id,
            respondent: Respondent::Anonymous,
            score: Rating::new(SurveyKind::Nps, i % 11).unwrap(),
            comment: None,
            channel: Channel::Import,
            touchpoint: None,
            language: None,
            answered_at: chrono::Utc::now() - chrono::Duration::seconds(i),
            external_id: None,
            idempotency_key: None,
            request_hash: None,
        };
        batch.add(&new).await.unwrap();
    }
    batch.commit().await.unwrap();
    let rows = csv_of(&app, "/api/v1/exports/answers.csv").await;
    let ids: Vec<i64> = column(&rows, "answer_id")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 4500);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids ascending, none repeated"
    );
}
