//! `advocate privacy export|erase|retention`, run as the real binary on a fresh SQLite
//! data folder: the person's data printed as JSON, erasure leaving `advocate nps`
//! unchanged, retention counting what it anonymised, and the unhappy paths.

use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, Label, Language, Rating, SurveyKind};
use advocate_store::models::{NewAnswer, NewSurvey, Respondent};
use advocate_store::Store;
use chrono::{Duration, Utc};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_advocate");

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

struct Env {
    dir: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Env {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .arg("--data-dir")
            .arg(&self.dir)
            .env_remove("ADVOCATE_DATABASE_URL")
            .env_remove("ADVOCATE_DATA_DIR")
            .env_remove("ADVOCATE_WORKSPACE")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run advocate")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }

    async fn store(&self) -> Store {
        let url = format!("sqlite://{}", self.dir.join("advocate.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        store
    }
}

/// Workspaces "acme" (survey "rel"; c1 answered 3 two years ago and 9 last week, both with
/// a comment; c2 answered 8) and "other" (its own c1).
fn setup() -> Env {
    let dir = std::env::temp_dir().join(format!("advocate-cli-privacy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let env = Env { dir };
    block_on(async {
        let store = env.store().await;
        for slug in ["acme", "other"] {
            let ws = store
                .workspaces()
                .create(slug, slug, &Language::english())
                .await
                .unwrap();
            let survey = NewSurvey {
                slug: Label::new("rel").unwrap(),
                kind: SurveyKind::Nps,
                name: "Relationship".into(),
                touchpoint: None,
                default_language: Language::english(),
                texts: Default::default(),
            };
            let survey = store.surveys().create(ws.id, &survey).await.unwrap();
            let answers = [("c1", 3, 730), ("c1", 9, 7), ("c2", 8, 3)];
            for (who, score, days_ago) in answers {
                let customer = CustomerInput {
                    external_id: who.into(),
                    email: Some(format!("{who}@{slug}.test")),
                    ..Default::default()
                };
                let answer = NewAnswer {
                    workspace_id: ws.id,
                    survey_id: survey.id,
                    respondent: Respondent::Inline(customer),
                    score: Rating::new(SurveyKind::Nps, i64::from(score)).unwrap(),
                    comment: Some(format!("{who} says {score}")),
                    channel: Channel::Email,
                    touchpoint: None,
                    language: None,
                    answered_at: Utc::now() - Duration::days(days_ago),
                    external_id: None,
                    idempotency_key: None,
                    request_hash: None,
                };
                store.answers().record_many(&[answer], false).await.unwrap();
            }
        }
        store.close().await;
    });
    env
}

#[test]
fn privacy_commands_export_erase_and_apply_retention() {
    let env = setup();
    let w = ["--workspace", "acme"];
    let cmd = |args: &[&'static str]| [&["privacy"][..], args, &w[..]].concat();

    // Export: one JSON document, this workspace's c1 only.
    let doc: Value = serde_json::from_str(&env.ok(&cmd(&["export", "c1"]))).unwrap();
    assert_eq!(doc["customer"]["email"], "c1@acme.test");
    let comments: Vec<&str> = doc["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["comment"].as_str().unwrap())
        .collect();
    assert_eq!(comments, ["c1 says 3", "c1 says 9"]);

    // Retention: nothing by default; with 12 months, the two-year-old answer.
    let out = env.ok(&cmd(&["retention"]));
    assert!(
        out.starts_with("0 answers anonymised") && out.contains("forever"),
        "{out}"
    );
    block_on(async {
        let store = env.store().await;
        let ws = store.workspaces().by_slug("acme").await.unwrap().unwrap();
        let mut s = store.settings().get(ws.id).await.unwrap();
        s.answer_retention_months = Some(12);
        store.settings().save(ws.id, &s).await.unwrap();
        store.close().await;
    });
    assert_eq!(
        env.ok(&cmd(&["retention"])).trim(),
        "1 answers anonymised (older than 12 months) in workspace acme"
    );
    assert!(env
        .ok(&cmd(&["retention"]))
        .starts_with("0 answers anonymised"));
    let doc: Value = serde_json::from_str(&env.ok(&cmd(&["export", "c1"]))).unwrap();
    assert_eq!(
        doc["answers"].as_array().unwrap().len(),
        1,
        "the old answer is no longer theirs"
    );

    // Erase: the NPS is the same before and after; a second erasure finds nobody.
    let nps = || {
        env.ok(&[
            "nps",
            "--json",
            "--workspace",
            "acme",
            "--group-by",
            "month",
        ])
    };
    let before = nps();
    let done: Value = serde_json::from_str(&env.ok(&cmd(&["erase", "c1"]))).unwrap();
    assert_eq!(
        (
            done["external_id"].as_str(),
            done["answers_anonymised"].as_u64()
        ),
        (Some("c1"), Some(1))
    );
    assert_eq!(nps(), before);
    assert!(env.fails(&cmd(&["erase", "c1"])).contains("c1"));
    assert!(env.fails(&cmd(&["export", "c1"])).contains("c1"));
    assert!(env.fails(&cmd(&["export", "nobody"])).contains("nobody"));

    // The other workspace's c1 is untouched; without --workspace the command refuses.
    let other: Value =
        serde_json::from_str(&env.ok(&["privacy", "export", "c1", "--workspace", "other"]))
            .unwrap();
    assert_eq!(other["answers"].as_array().unwrap().len(), 2);
    assert!(env
        .fails(&["privacy", "erase", "c2"])
        .contains("--workspace"));
    assert!(env
        .fails(&["privacy", "erase", "c2", "--workspace", "nope"])
        .contains("nope"));
}
