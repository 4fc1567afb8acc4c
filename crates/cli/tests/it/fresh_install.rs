//! The README's fresh-install path, step by step, against a real `advocate serve` on a
//! fresh SQLite database: the first start prints the admin's password and an API key and
//! takes the workspace's name; the workspace says what is left to set up; one PATCH sets
//! the sender and the team inbox; the first invitation goes to the `relationship` survey
//! a fresh workspace has; `advocate workspace rename` renames it; a restart creates
//! nothing again.

use crate::common::{advocate, start_printing};
use advocate_store::testing::TestDb;
use serde_json::{json, Value};

fn printed<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| l.strip_prefix(prefix))
}

fn codes(workspace: &Value) -> Vec<String> {
    workspace["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_readme_fresh_install_works_as_written() {
    let db = TestDb::sqlite();
    // `advocate serve --workspace-name "Nordlys Telecom"` on a fresh database.
    let (mut server, url, lines) =
        start_printing(&db, &["--workspace-name", "Nordlys Telecom"]).await;
    assert!(
        printed(
            &lines,
            "First run: created workspace \"default\" named \"Nordlys Telecom\""
        )
        .is_some(),
        "{lines:?}"
    );
    assert!(
        printed(&lines, "Sign in as admin@localhost").is_some(),
        "{lines:?}"
    );
    let key = printed(&lines, "API key: ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("an API key in {lines:?}"))
        .to_owned();
    assert!(key.starts_with("adv_"), "{key}");
    assert!(
        printed(&lines, "Survey \"relationship\" (NPS) is ready").is_some(),
        "{lines:?}"
    );
    let http = reqwest::Client::new();

    // curl -s -H "Authorization: Bearer $KEY" $URL/api/v1/workspace
    let workspace: Value = http
        .get(format!("{url}/api/v1/workspace"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(workspace["name"], "Nordlys Telecom");
    assert_eq!(codes(&workspace), ["alerts_to_admins", "sender_not_set"]);

    // curl -s -X PATCH … -H 'Content-Type: application/merge-patch+json' -d '{…}' $URL/api/v1/settings
    let r = http
        .patch(format!("{url}/api/v1/settings"))
        .bearer_auth(&key)
        .header("content-type", "application/merge-patch+json")
        .body(
            r#"{"sender_email": "nps@example.com", "sender_name": "Nordlys", "alerts_email": "care@example.com"}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let workspace: Value = http
        .get(format!("{url}/api/v1/workspace"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(codes(&workspace).is_empty(), "{workspace}");

    // The first invitation, as the README writes it (curl -d sends no JSON content type).
    let r = http
        .post(format!("{url}/api/v1/invitations"))
        .bearer_auth(&key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            json!({"survey": "relationship", "channel": "email", "customers": [
                {"external_id": "c-1001", "name": "Kari", "email": "kari@example.com", "language": "nb"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["invited"], 1, "{body}");

    // advocate workspace rename "Nordlys AS"
    let out = advocate(&db, &["workspace", "rename", "Nordlys AS"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("renamed from \"Nordlys Telecom\" to \"Nordlys AS\""));
    let workspace: Value = http
        .get(format!("{url}/api/v1/workspace"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(workspace["name"], "Nordlys AS");
    server.kill().await.unwrap();

    // A restart creates nothing again: no new key, no new name.
    let (mut again, url, lines) = start_printing(&db, &["--workspace-name", "Other"]).await;
    assert!(printed(&lines, "API key: ").is_none(), "{lines:?}");
    let r = http
        .get(format!("{url}/api/v1/workspace"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["name"], "Nordlys AS");
    again.kill().await.unwrap();
}

#[tokio::test]
async fn a_bad_workspace_name_stops_the_first_start_and_makes_nothing() {
    let db = TestDb::sqlite();
    let out = advocate(
        &db,
        &["serve", "--bind", "127.0.0.1:0", "--workspace-name", "  "],
    )
    .stderr(std::process::Stdio::piped())
    .output()
    .await
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--workspace-name / ADVOCATE_WORKSPACE_NAME: name must not be empty"),
        "{err}"
    );
    let store = db.store().await;
    assert!(store.workspaces().list().await.unwrap().is_empty());
    store.close().await;
}
