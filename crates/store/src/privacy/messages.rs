//! The outbox messages addressed to or about one person: emails and SMS sent to their
//! address or number, webhooks naming them or their cases and engagements, and staff
//! alerts linking to their cases. Candidates are found with `LIKE` (the payload is JSON
//! text on both databases), then confirmed here so `case_id 1` never matches `case_id 17`.

use crate::models::Customer;
use crate::{from_ts, Result};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One message about the person, as exported: metadata only, never the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonMessage {
    pub id: i64,
    /// email, sms, slack or webhook.
    pub kind: String,
    pub event: String,
    /// pending, delivered or dead.
    pub status: String,
    pub attempts: i64,
    /// Sent to the person's own address or number (else: to staff or a system, about them).
    pub addressed_to_person: bool,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// What identifies the person in a payload.
pub(super) struct Needles<'a> {
    pub customer: &'a Customer,
    pub case_ids: &'a [i64],
    pub engagement_ids: &'a [i64],
}

impl Needles<'_> {
    /// JSON fragments ending in a number: matched only when no digit follows.
    fn numeric(&self) -> Vec<String> {
        let cases = self
            .case_ids
            .iter()
            .flat_map(|id| [format!("\"case_id\":{id}"), format!("/cases/{id}")]);
        let engagements = self
            .engagement_ids
            .iter()
            .map(|id| format!("\"engagement_id\":{id}"));
        cases.chain(engagements).collect()
    }

    /// How webhook payloads name the customer: `"customer":"<external id>"`.
    fn customer_field(&self) -> String {
        let id = serde_json::to_string(&self.customer.external_id).expect("a string serialises");
        format!("\"customer\":{id}")
    }

    fn addressed_to(&self, target: &str) -> bool {
        let c = self.customer;
        [&c.email, &c.phone]
            .into_iter()
            .flatten()
            .any(|a| !a.is_empty() && a == target)
    }

    fn about(&self, payload: &str) -> bool {
        payload.contains(&self.customer_field())
            || self.numeric().iter().any(|n| mentions_number(payload, n))
    }
}

/// Whether `payload` holds `prefix` (which ends in a number) not followed by a digit.
fn mentions_number(payload: &str, prefix: &str) -> bool {
    payload.match_indices(prefix).any(|(at, _)| {
        !payload[at + prefix.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// `%text%` for `LIKE … ESCAPE '!'`.
fn like(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '!' | '%' | '_' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// The person's messages, oldest first.
pub(super) async fn messages_about(
    conn: &mut AnyConnection,
    workspace_id: i64,
    needles: &Needles<'_>,
) -> Result<Vec<PersonMessage>> {
    let mut patterns = vec![like(&needles.customer_field())];
    patterns.extend(needles.numeric().iter().map(|n| like(n)));
    let likes: Vec<String> = (0..patterns.len())
        .map(|i| format!("payload LIKE ${} ESCAPE '!'", i + 4))
        .collect();
    let sql = format!(
        "SELECT id, kind, event, status, target, payload, attempts, created_at, delivered_at \
         FROM outbox WHERE workspace_id = $1 AND (target = $2 OR target = $3 OR {}) ORDER BY id",
        likes.join(" OR ")
    );
    let c = needles.customer;
    let mut query = sqlx::query(&sql)
        .bind(workspace_id)
        .bind(c.email.clone().filter(|e| !e.is_empty()))
        .bind(c.phone.clone().filter(|p| !p.is_empty()));
    for p in patterns {
        query = query.bind(p);
    }
    let mut out = Vec::new();
    for row in query.fetch_all(&mut *conn).await? {
        let target: String = row.try_get("target")?;
        let payload: String = row.try_get("payload")?;
        let addressed = needles.addressed_to(&target);
        if !addressed && !needles.about(&payload) {
            continue;
        }
        out.push(PersonMessage {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            event: row.try_get("event")?,
            status: row.try_get("status")?,
            attempts: row.try_get("attempts")?,
            addressed_to_person: addressed,
            created_at: from_ts(row.try_get("created_at")?).to_rfc3339(),
            delivered_at: row
                .try_get::<Option<i64>, _>("delivered_at")?
                .map(|t| from_ts(t).to_rfc3339()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_matches_only_whole() {
        assert!(mentions_number(r#"{"case_id":17,"x":1}"#, "\"case_id\":17"));
        assert!(mentions_number(r#"{"case_id":17}"#, "\"case_id\":17"));
        assert!(!mentions_number(r#"{"case_id":170}"#, "\"case_id\":17"));
        assert!(mentions_number("see http://x/cases/3\\n", "/cases/3"));
        assert!(!mentions_number("see http://x/cases/31", "/cases/3"));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like("a_b%c!d"), "%a!_b!%c!!d%");
    }
}
