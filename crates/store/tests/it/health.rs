//! What `advocate doctor` reads: migrations compared with this binary's, and clocks. On
//! every backend.

use advocate_store::testing::TestDb;
use advocate_store::Backend;
use chrono::Utc;

#[tokio::test]
async fn a_migrated_database_has_nothing_pending_and_a_newer_one_is_named() {
    for db in TestDb::all().await {
        let store = db.store().await;
        eprintln!("backend: {:?}", db.backend);
        let status = store.migration_status().await.unwrap();
        assert!(status.pending.is_empty(), "{status:?}");
        assert!(status.unknown.is_empty(), "{status:?}");

        // A migration this binary does not know: the database is from a newer release.
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(99_999_i64)
        .bind("from a newer release")
        .bind(true)
        .bind(vec![0_u8])
        .bind(0_i64)
        .execute(&pool)
        .await
        .unwrap();
        let status = store.migration_status().await.unwrap();
        assert_eq!(status.unknown, [99_999]);
        assert!(status.pending.is_empty(), "{status:?}");
    }
}

#[tokio::test]
async fn the_database_clock_is_read_on_postgresql_only() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let clock = store.server_clock().await.unwrap();
        match db.backend {
            Backend::Sqlite => assert_eq!(clock, None),
            Backend::Postgres => {
                let off = (clock.unwrap() - Utc::now()).num_seconds().abs();
                // Same machine: the clocks agree, to far less than doctor's slack.
                assert!(off < 60, "{off} s apart");
            }
        }
        assert_eq!(store.newest_answer_at().await.unwrap(), None);
    }
}
