//! `advocate kpis`, run as the real binary on a fresh SQLite data folder: the table with
//! definitions and the linkage, the JSON, and a bad parameter's message.

use advocate_core::customer::CustomerInput;
use advocate_core::Language;
use advocate_store::Store;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_advocate");

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("ADVOCATE_DATABASE_URL")
        .env_remove("ADVOCATE_DATA_DIR")
        .env_remove("ADVOCATE_WORKSPACE")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run advocate")
}

#[test]
fn kpis_table_shows_definitions_and_linkage() {
    let dir = std::env::temp_dir().join(format!("advocate-kpis-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = run(&dir, &["migrate"]);
    assert!(out.status.success());
    // One customer at the start of Q1 2026 who churns in February.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let url = format!("sqlite://{}", dir.join("advocate.db").display());
            let store = Store::connect(&url).await.unwrap();
            let ws = store
                .workspaces()
                .create("acme", "Acme", &Language::english())
                .await
                .unwrap();
            let c = CustomerInput {
                external_id: "c1".into(),
                ..Default::default()
            };
            store.customers().upsert(ws.id, &c).await.unwrap();
            let at = |m| Utc.with_ymd_and_hms(2026, m, 1, 0, 0, 0).unwrap();
            store
                .spells()
                .record_acquired(ws.id, "c1", at(1) - chrono::Duration::days(30))
                .await
                .unwrap();
            store
                .spells()
                .record_churned(ws.id, "c1", at(2))
                .await
                .unwrap();
            store.close().await;
        });

    let out = run(
        &dir,
        &["kpis", "--from", "2026-01-01", "--to", "2026-03-31"],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Retention KPIs, 2026-01-01 to 2026-03-31"),
        "{text}"
    );
    let churn = text.lines().find(|l| l.starts_with("Churn rate")).unwrap();
    assert!(churn.contains("100.0 %"), "{churn}");
    assert!(churn.contains("customers lost in the period / customers at its start"));
    assert!(text.contains("By NPS category"), "{text}");
    assert!(text.contains("Revenue at risk: 0.00 EUR"), "{text}");

    let out = run(
        &dir,
        &[
            "kpis",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--json",
        ],
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["lost"]["value"], 1.0);
    assert_eq!(json["linkage"]["categories"][3]["category"], "no_answer");
    assert_eq!(json["linkage"]["categories"][3]["lost"], 1);

    let out = run(&dir, &["kpis", "--segment", "plan"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("segment must be attribute:value"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
