//! Accessibility checks with axe-core (vendored in `axe/`, see its README), run in the page
//! the browser shows, as an auditor with the axe browser extension would.

use super::webdriver::Browser;
use serde_json::{json, Value};

const AXE: &str = include_str!("axe/axe.min.js");

/// The serious and critical violations on the page the browser shows, one line each
/// (rule, how many elements, the first element and what to fix). Moderate and minor
/// findings are left to review; they do not fail a test.
pub async fn serious_violations(b: &Browser) -> Vec<String> {
    // The script is sent as the function body, not evaluated by the page, so the page's
    // Content-Security-Policy (no inline scripts, no eval) does not stop it.
    b.script(&format!("{AXE}\n;return true;"), json!([])).await;
    let violations = b
        .script_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
                .then(r => done(r.violations))
                .catch(e => done([{id: 'axe failed', impact: 'critical', nodes: [], help: String(e)}]));",
            json!([]),
        )
        .await;
    violations
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(describe)
        .collect()
}

fn describe(v: &Value) -> String {
    let nodes = v["nodes"].as_array().map_or(&[][..], Vec::as_slice);
    let first = nodes.first().map_or_else(String::new, |n| {
        format!(
            "{} — {}",
            n["target"],
            n["failureSummary"]
                .as_str()
                .unwrap_or_default()
                .replace('\n', " ")
        )
    });
    format!(
        "{} ({}, {} elements): {}; {first}",
        v["id"].as_str().unwrap_or_default(),
        v["impact"].as_str().unwrap_or_default(),
        nodes.len(),
        v["help"].as_str().unwrap_or_default()
    )
}
