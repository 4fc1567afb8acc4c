//! `GET /api/v1/kpis` over HTTP on every backend: the figures with their definitions,
//! the segment filter, and precise 400s for bad parameters.

use crate::common::{problem, TestApp};
use advocate_store::business::NewOrder;
use advocate_store::testing::TestDb;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

/// C1 (premium) churns on 1 February; C2 (basic) stays and buys for 123.45.
async fn seed(app: &TestApp) {
    app.survey("rel", None).await;
    for (id, plan, score) in [("C1", "premium", 2), ("C2", "basic", 10)] {
        let r = app
            .answer(
                json!({"survey": "rel", "score": score, "answered_at": "2025-12-01T10:00:00Z",
                "customer": {"external_id": id, "attributes": {"plan": plan}}}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    // Business data through the store (the business API's own tests cover the API).
    let (store, ws) = (&app.store, app.workspace_id);
    store
        .spells()
        .record_acquired(ws, "C1", at(2025, 1, 1))
        .await
        .unwrap();
    store
        .spells()
        .record_churned(ws, "C1", at(2026, 2, 1))
        .await
        .unwrap();
    store
        .spells()
        .record_acquired(ws, "C2", at(2025, 1, 1))
        .await
        .unwrap();
    let order = NewOrder {
        external_id: Some("o-1".into()),
        customer: "C2".into(),
        amount: "123.45".into(),
        currency: "EUR".into(),
        amount_in_reporting_currency: None,
        ordered_at: at(2026, 1, 10),
    };
    store.orders().record(ws, &order).await.unwrap();
}

async fn get(app: &TestApp, query: &str) -> reqwest::Response {
    app.get(&format!("/api/v1/kpis{query}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn kpis_over_http_with_definitions_segment_and_bad_parameters() {
    for db in TestDb::all().await {
        let app = TestApp::spawn_on(db).await;
        seed(&app).await;

        let r = get(&app, "?from=2026-01-01&to=2026-03-31").await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["currency"], "EUR");
        assert_eq!(body["customers_at_start"]["value"], 2.0);
        assert_eq!(body["churn_rate"]["value"], 0.5);
        assert_eq!(
            body["churn_rate"]["definition"],
            "customers lost in the period / customers at its start"
        );
        assert_eq!(body["revenue"]["value"], 123.45);
        assert_eq!(body["series"].as_array().unwrap().len(), 3);
        assert_eq!(body["previous"]["from"], "2025-10-03");
        // C1 (detractor) churned, C2 (promoter) did not: no ratio without promoter churn.
        let cats = body["linkage"]["categories"].as_array().unwrap();
        assert_eq!(cats[0]["category"], "detractor");
        assert_eq!(cats[0]["churn_rate"], 1.0);
        assert!(body["linkage"]["churn_ratio"].is_null());
        // C1's detractor answer opened a case; C1 bought nothing.
        assert_eq!(body["linkage"]["revenue_at_risk"]["value"], 0.0);

        let r = get(&app, "?from=2026-01-01&to=2026-03-31&segment=plan:basic").await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["segment"], "plan:basic");
        assert_eq!(body["customers_at_start"]["value"], 1.0);
        assert_eq!(body["churn_rate"]["value"], 0.0);

        for (query, expect) in [
            ("?from=2026-13-01", "from must be a date"),
            ("?to=yesterday", "to must be a date"),
            ("?from=2026-03-01&to=2026-01-01", "is after to"),
            ("?segment=plan", "segment must be attribute:value"),
            ("?segment=pl%20an:x", "segment attribute"),
            ("?segment=plan:", "segment needs a value"),
            ("?touchpoint=a%20b", "touchpoint"),
            ("?group_by=month", "unknown field"),
        ] {
            let r = get(&app, query).await;
            assert_eq!(r.status(), 400, "{query}");
            let detail = problem(r).await;
            assert!(detail.contains(expect), "{query}: {detail}");
        }
        let r = app.http.get(app.url("/api/v1/kpis")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let spec: Value = app
            .http
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(spec["paths"]["/api/v1/kpis"]["get"].is_object());
    }
}
