//! Business data over HTTP: lifecycle, orders, contacts and loyalty, one at a time and in
//! batches, with errors that name the item and field, and nothing stored when any is bad.

use crate::common::{problem, TestApp};
use advocate_core::customer::CustomerInput;
use advocate_core::Language;
use advocate_store::testing::TestDb;
use serde_json::{json, Value};

/// A running app (on `db`) with customers c1, c2 and c3.
async fn app_on(db: TestDb) -> TestApp {
    let app = TestApp::spawn_on(db).await;
    for id in ["c1", "c2", "c3"] {
        let r = app
            .post_json("/api/v1/customers", &json!({"external_id": id}))
            .await;
        assert_eq!(r.status(), 200);
    }
    app
}

async fn send(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app.post_json(path, &body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn get(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

async fn lifecycle_orders_contacts_and_loyalty(app: TestApp) {
    // Lifecycle: one event, a retry, a refusal, then a batch for a returning customer.
    let acquired = json!({"customer": "c1", "event": "acquired", "at": "2025-01-01"});
    let (status, body) = send(&app, "/api/v1/lifecycle", acquired.clone()).await;
    assert_eq!((status, body), (201, json!({"stored": 1, "unchanged": 0})));
    let (status, body) = send(&app, "/api/v1/lifecycle", acquired).await;
    assert_eq!((status, body), (200, json!({"stored": 0, "unchanged": 1})));
    let r = app
        .post_json(
            "/api/v1/lifecycle",
            &json!({"customer": "c1", "event": "acquired", "at": "2025-02-01"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(problem(r).await.contains("already has an open spell"));
    let batch = json!({"events": [
        {"customer": "c1", "event": "churned", "at": "2025-03-01T00:00:00Z"},
        {"customer": "c1", "event": "acquired", "at": "2025-06-01"},
    ]});
    let (status, body) = send(&app, "/api/v1/lifecycle", batch).await;
    assert_eq!((status, body["stored"].clone()), (201, json!(2)));
    let spells = app
        .store
        .spells()
        .of_customer(app.workspace_id, "c1")
        .await
        .unwrap();
    assert_eq!(spells.len(), 2);

    // Orders: another currency needs its reporting amount; then listing.
    let nok = json!({"external_id": "o2", "customer": "c2", "amount": "250", "currency": "NOK",
                     "ordered_at": "2025-04-02T10:00:00Z"});
    let r = app.post_json("/api/v1/orders", &nok).await;
    assert_eq!(r.status(), 422);
    assert!(problem(r)
        .await
        .starts_with("amount_in_reporting_currency is required: the order is in NOK"));
    let mut nok = nok;
    nok["amount_in_reporting_currency"] = json!(21.5);
    let (status, _) = send(&app, "/api/v1/orders", nok).await;
    assert_eq!(status, 201);
    let batch = json!({"orders": [
        {"external_id": "o1", "customer": "c1", "amount": "19.90", "currency": "EUR",
         "ordered_at": "2025-04-01"},
        {"external_id": "o3", "customer": "c1", "amount": 5, "currency": "EUR",
         "ordered_at": "2025-05-01"},
    ]});
    let (status, body) = send(&app, "/api/v1/orders", batch.clone()).await;
    assert_eq!((status, body), (201, json!({"stored": 2, "unchanged": 0})));
    let (status, body) = send(&app, "/api/v1/orders", batch).await;
    assert_eq!((status, body), (200, json!({"stored": 0, "unchanged": 2})));
    let page = get(
        &app,
        "/api/v1/orders?customer=c1&from=2025-04-01&to=2025-04-30",
    )
    .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["orders"][0]["amount"], "19.90");
    let page = get(&app, "/api/v1/orders?limit=2").await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["orders"].as_array().unwrap().len(), 2);
    let o2 = &get(&app, "/api/v1/orders?customer=c2").await["orders"][0];
    assert_eq!(
        (
            &o2["amount"],
            &o2["currency"],
            &o2["amount_in_reporting_currency"]
        ),
        (&json!("250.00"), &json!("NOK"), &json!("21.50"))
    );

    // Contacts: stored, then completed with its resolution; read back with filters.
    let ticket = json!({"external_id": "t1", "customer": "c3", "channel": "self_service",
                        "is_complaint": true, "opened_at": "2025-04-01T08:00:00Z"});
    assert_eq!(send(&app, "/api/v1/contacts", ticket.clone()).await.0, 201);
    let mut resolved = ticket;
    resolved["first_reply_at"] = json!("2025-04-01T09:30:00Z");
    resolved["resolved_at"] = json!("2025-04-02T08:00:00Z");
    assert_eq!(send(&app, "/api/v1/contacts", resolved).await.0, 201);
    let batch = json!({"contacts": [
        {"channel": "phone", "is_complaint": false, "opened_at": "2025-04-03"},
    ]});
    assert_eq!(send(&app, "/api/v1/contacts", batch).await.0, 201);
    let page = get(&app, "/api/v1/contacts?complaint=true&channel=self_service").await;
    assert_eq!(page["total"], 1);
    let t1 = &page["contacts"][0];
    assert_eq!(t1["channel"], "self_service");
    assert_eq!(t1["customer"], "c3");
    assert_eq!(t1["resolved_at"], "2025-04-02T08:00:00Z");
    assert_eq!(get(&app, "/api/v1/contacts").await["total"], 2);

    // Loyalty.
    let join = json!({"customer": "c2", "event": "joined", "at": "2025-01-15"});
    assert_eq!(send(&app, "/api/v1/loyalty", join.clone()).await.0, 201);
    let r = app
        .post_json(
            "/api/v1/loyalty",
            &json!({"customer": "c2", "event": "joined", "at": "2025-02-15"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(problem(r).await.contains("already has an open membership"));
    let leave = json!({"events": [{"customer": "c2", "event": "left", "at": "2025-03-15"}]});
    assert_eq!(send(&app, "/api/v1/loyalty", leave).await.0, 201);
    let members = app
        .store
        .spells()
        .loyalty_memberships(app.workspace_id, "c2")
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
    assert!(members[0].ended_at.is_some());
}

#[tokio::test]
async fn business_data_round_trips_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        lifecycle_orders_contacts_and_loyalty(app_on(db).await).await;
    }
}

#[tokio::test]
async fn bad_items_are_named_by_index_and_field_and_nothing_is_stored() {
    let app = app_on(TestDb::sqlite()).await;
    let r = app
        .post_json(
            "/api/v1/orders",
            &json!({"orders": [
                {"external_id": "ok", "customer": "c1", "amount": "1", "currency": "EUR",
                 "ordered_at": "2025-01-01"},
                {"external_id": "x", "customer": "c1", "amount": "-1", "currency": "EUR",
                 "ordered_at": "01/02/2025"},
                {"customer": "c1", "amount": "1", "currency": "EUR", "ordered_at": "2025-01-01",
                 "colour": "red"},
                {"customer": "c1", "amount": true, "currency": "EUR", "ordered_at": "2025-01-01"},
            ]}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let msg = problem(r).await;
    assert!(
        msg.contains("orders[1]: ordered_at must be a time"),
        "{msg}"
    );
    assert!(msg.contains("orders[2]: unknown field `colour`"), "{msg}");
    assert!(
        msg.contains("orders[3]: amount must be a decimal string"),
        "{msg}"
    );
    assert!(!msg.contains("orders[0]"), "{msg}");
    // Fields that parse but break a rule are named the same way, by the store.
    let r = app
        .post_json(
            "/api/v1/orders",
            &json!({"orders": [
                {"customer": "c1", "amount": "1", "currency": "EUR", "ordered_at": "2025-01-01"},
                {"customer": "c1", "amount": "1.234", "currency": "EUR", "ordered_at": "2025-01-01"},
            ]}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problem(r).await,
        "orders[1]: amount has more decimals than EUR allows (EUR has 2 decimals); got \"1.234\""
    );
    let r = app
        .post_json(
            "/api/v1/contacts",
            &json!({"channel": "fax", "is_complaint": true, "opened_at": "2025-01-01"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problem(r).await,
        "channel must be one of email chat phone social sms chatbot video forum meeting \
         self_service; got \"fax\""
    );
    let r = app
        .post_json(
            "/api/v1/lifecycle",
            &json!({"events": [{"customer": "c1", "event": "left", "at": "2025-01-01"}]}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problem(r).await,
        "events[0]: event must be acquired or churned; got \"left\""
    );
    let r = app
        .post_json("/api/v1/orders", &json!({"orders": []}))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(problem(r).await, "orders must hold 1 to 10000 items; got 0");
    let r = app.post_json("/api/v1/orders", &json!([1])).await;
    assert_eq!(r.status(), 422);
    let r = app
        .get("/api/v1/contacts?complaint=maybe")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        problem(r).await,
        "complaint must be true or false; got \"maybe\""
    );
    let r = app
        .get("/api/v1/orders?from=2025-05-01&to=2025-04-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app
        .get("/api/v1/orders?customer=nobody")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(get(&app, "/api/v1/orders").await["total"], 0);
}

#[tokio::test]
async fn another_workspaces_customers_are_not_found_and_nothing_is_stored() {
    let app = app_on(TestDb::sqlite()).await;
    let other = app
        .store
        .workspaces()
        .create("other", "Other", &Language::english())
        .await
        .unwrap();
    app.store
        .customers()
        .upsert(
            other.id,
            &CustomerInput {
                external_id: "theirs".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let attempts = [
        (
            "/api/v1/orders",
            json!({"orders": [
                {"customer": "c1", "amount": "1", "currency": "EUR", "ordered_at": "2025-01-01"},
                {"customer": "theirs", "amount": "1", "currency": "EUR", "ordered_at": "2025-01-01"},
            ]}),
            "orders[1]: customer \"theirs\" does not exist in this workspace",
        ),
        (
            "/api/v1/lifecycle",
            json!({"events": [
                {"customer": "c1", "event": "acquired", "at": "2025-01-01"},
                {"customer": "theirs", "event": "acquired", "at": "2025-01-01"},
            ]}),
            "events[1]: customer \"theirs\"",
        ),
        (
            "/api/v1/contacts",
            json!({"customer": "theirs", "channel": "chat", "is_complaint": false,
                   "opened_at": "2025-01-01"}),
            "customer \"theirs\" does not exist",
        ),
        (
            "/api/v1/loyalty",
            json!({"customer": "theirs", "event": "joined", "at": "2025-01-01"}),
            "customer \"theirs\" does not exist",
        ),
    ];
    for (path, body, expected) in attempts {
        let r = app.post_json(path, &body).await;
        assert_eq!(r.status(), 404, "{path}");
        let msg = problem(r).await;
        assert!(msg.starts_with(expected), "{path}: {msg}");
    }
    assert_eq!(get(&app, "/api/v1/orders").await["total"], 0);
    assert_eq!(get(&app, "/api/v1/contacts").await["total"], 0);
    let ws = app.workspace_id;
    assert!(app
        .store
        .spells()
        .of_customer(ws, "c1")
        .await
        .unwrap()
        .is_empty());
    assert!(app
        .store
        .spells()
        .of_customer(other.id, "theirs")
        .await
        .unwrap()
        .is_empty());
    assert!(app
        .store
        .spells()
        .loyalty_memberships(other.id, "theirs")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn batches_may_exceed_the_usual_body_limit_up_to_ten_thousand_items() {
    let app = app_on(TestDb::sqlite()).await;
    let order = |i: usize| {
        json!({"external_id": format!("order-{i:05}"), "customer": "c1", "amount": "12.50",
               "currency": "EUR", "ordered_at": "2025-01-01T10:00:00Z"})
    };
    let orders: Vec<Value> = (0..10_000).map(order).collect();
    let body = json!({ "orders": orders });
    assert!(serde_json::to_vec(&body).unwrap().len() > 64 * 1024);
    let (status, recorded) = send(&app, "/api/v1/orders", body).await;
    assert_eq!((status, recorded["stored"].clone()), (201, json!(10_000)));
    assert_eq!(get(&app, "/api/v1/orders?limit=1").await["total"], 10_000);
    let too_many: Vec<Value> = (0..10_001).map(order).collect();
    let r = app
        .post_json("/api/v1/orders", &json!({ "orders": too_many }))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        problem(r).await,
        "orders must hold 1 to 10000 items; got 10001"
    );
}

#[tokio::test]
async fn the_endpoints_are_described_in_openapi() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/lifecycle",
        "/api/v1/orders",
        "/api/v1/contacts",
        "/api/v1/loyalty",
    ] {
        assert!(doc["paths"][path]["post"].is_object(), "{path}");
    }
    assert!(doc["paths"]["/api/v1/orders"]["get"].is_object());
    assert!(doc["components"]["schemas"]["OrderBody"].is_object());
}
