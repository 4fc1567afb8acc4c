//! The bulk loader of business history, on every backend: rows land in their tables
//! with the right customers and values, across several statements and transactions, and
//! a row naming an unknown customer is refused before anything is written.

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::ContactChannel;
use advocate_store::business::{
    BusinessHistory, HistoricContact, HistoricMembership, HistoricOrder, HistoricSpell,
};
use advocate_store::testing::TestDb;
use advocate_store::StoreError;
use chrono::Duration;
use sqlx::{AnyConnection, Connection};

fn customer(id: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        name: None,
        email: None,
        phone: None,
        language: None,
        attributes: Default::default(),
        account_manager: None,
    }
}

async fn scalar(raw: &mut AnyConnection, sql: &str, ws: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(ws)
        .fetch_one(raw)
        .await
        .unwrap()
}

#[tokio::test]
async fn business_history_loads_in_batches_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.store().await;
        sqlx::any::install_default_drivers();
        let mut raw = AnyConnection::connect(&db.url).await.unwrap();
        let ws = workspace(&store).await;
        store
            .customers()
            .upsert_many(ws, &[customer("A"), customer("B")])
            .await
            .unwrap();
        let t0 = at(2024, 1, 1);
        let spells = vec![
            HistoricSpell {
                customer_external_id: "A".into(),
                started_at: t0,
                ended_at: Some(t0 + Duration::days(100)),
            },
            HistoricSpell {
                customer_external_id: "A".into(),
                started_at: t0 + Duration::days(200),
                ended_at: None,
            },
            HistoricSpell {
                customer_external_id: "B".into(),
                started_at: t0,
                ended_at: None,
            },
        ];
        // More than one statement (500 rows) and one transaction (20,000 rows).
        let orders: Vec<HistoricOrder> = (0..20_501)
            .map(|i| HistoricOrder {
                customer_external_id: if i % 2 == 0 { "A" } else { "B" }.into(),
                external_id: format!("INV-{i}"),
                amount_minor: 11_650,
                original_amount_minor: 1_000,
                original_currency: "EUR".into(),
                ordered_at: t0 + Duration::hours(i),
            })
            .collect();
        let contacts = vec![HistoricContact {
            customer_external_id: "B".into(),
            external_id: "T-1".into(),
            channel: ContactChannel::Chat,
            is_complaint: true,
            opened_at: t0,
            first_reply_at: Some(t0 + Duration::minutes(4)),
            resolved_at: None,
        }];
        let loyalty = vec![HistoricMembership {
            customer_external_id: "B".into(),
            joined_at: t0,
            left_at: Some(t0 + Duration::days(30)),
        }];
        let rows = BusinessHistory {
            spells: &spells,
            orders: &orders,
            contacts: &contacts,
            loyalty: &loyalty,
        };
        let mut reported = 0;
        let written = store
            .history()
            .load_business(ws, rows, |n| reported += n)
            .await
            .unwrap();
        assert_eq!(written, 3 + 20_501 + 1 + 1);
        assert_eq!(reported, written);

        let count = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = $1");
        assert_eq!(scalar(&mut raw, &count("customer_spells"), ws).await, 3);
        assert_eq!(scalar(&mut raw, &count("orders"), ws).await, 20_501);
        assert_eq!(
            scalar(
                &mut raw,
                "SELECT CAST(SUM(amount_minor) AS BIGINT) FROM orders WHERE workspace_id = $1 \
                 AND original_currency = 'EUR' AND original_amount_minor = 1000",
                ws
            )
            .await,
            20_501 * 11_650
        );
        assert_eq!(
            scalar(
                &mut raw,
                "SELECT COUNT(*) FROM customer_spells s JOIN customers c ON c.id = s.customer_id \
                 WHERE s.workspace_id = $1 AND c.external_id = 'A' AND s.ended_at IS NULL",
                ws
            )
            .await,
            1
        );
        let (channel, complaint, reply, resolved): (String, i64, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT channel, is_complaint, first_reply_at, resolved_at FROM contacts \
                 WHERE workspace_id = $1",
            )
            .bind(ws)
            .fetch_one(&mut raw)
            .await
            .unwrap();
        assert_eq!(
            (channel.as_str(), complaint, reply, resolved),
            ("chat", 1, Some(t0.timestamp() + 240), None)
        );
        let left: Option<i64> =
            sqlx::query_scalar("SELECT left_at FROM loyalty_memberships WHERE workspace_id = $1")
                .bind(ws)
                .fetch_one(&mut raw)
                .await
                .unwrap();
        assert_eq!(left, Some((t0 + Duration::days(30)).timestamp()));
    }
}

#[tokio::test]
async fn business_history_refuses_unknown_customers_and_writes_nothing() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.store().await;
        sqlx::any::install_default_drivers();
        let mut raw = AnyConnection::connect(&db.url).await.unwrap();
        let ws = workspace(&store).await;
        store
            .customers()
            .upsert_many(ws, &[customer("A")])
            .await
            .unwrap();
        let spells = vec![HistoricSpell {
            customer_external_id: "A".into(),
            started_at: at(2024, 1, 1),
            ended_at: None,
        }];
        let loyalty = vec![HistoricMembership {
            customer_external_id: "ghost".into(),
            joined_at: at(2024, 2, 1),
            left_at: None,
        }];
        let rows = BusinessHistory {
            spells: &spells,
            orders: &[],
            contacts: &[],
            loyalty: &loyalty,
        };
        let err = store
            .history()
            .load_business(ws, rows, |_| {})
            .await
            .unwrap_err();
        match err {
            StoreError::Invalid(msg) => assert!(
                msg.contains("loyalty_memberships") && msg.contains("\"ghost\""),
                "{msg}"
            ),
            other => panic!("{other:?}"),
        }
        let spells_written = scalar(
            &mut raw,
            "SELECT COUNT(*) FROM customer_spells WHERE workspace_id = $1",
            ws,
        )
        .await;
        assert_eq!(spells_written, 0);
    }
}
