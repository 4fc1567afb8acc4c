//! Discount codes: a workspace's pool, imported or generated, given to promoters, redeemed once.

use super::{engagement_in, move_engagement, EngagementStatus};
use crate::many_rows::placeholders;
use crate::Engagements;
use crate::{from_ts, to_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Where a discount code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    /// In the pool, not given to anyone yet.
    Free,
    /// Given to a promoter, not redeemed yet.
    Assigned,
    Redeemed,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Assigned => "assigned",
            Self::Redeemed => "redeemed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Free, Self::Assigned, Self::Redeemed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscountCode {
    pub code: String,
    /// `imported` (from the pool) or `generated` (when the pool was empty).
    pub source: String,
    pub status: CodeStatus,
    pub engagement_id: Option<i64>,
    /// External id of the customer it was given to.
    pub customer: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CodeCounts {
    pub free: i64,
    pub assigned: i64,
    pub redeemed: i64,
}

/// A workspace's codes: counts over all of them and one page (newest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodePage {
    pub counts: CodeCounts,
    /// How many match the status filter in all.
    pub total: i64,
    pub codes: Vec<DiscountCode>,
}

/// Most codes one import may carry.
pub const MAX_IMPORT: usize = 10_000;
/// Characters of a generated code after `THANKS-`: no 0/O, 1/I/L, to read aloud safely.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Problems listed by name in one error; the rest are counted.
const SHOWN_PROBLEMS: usize = 10;

/// Gives the engagement a code: the oldest free one of the pool, else a generated one.
/// Two promoters never get the same code: the UPDATE re-checks `engagement_id IS NULL`
/// on the row it locks, so a concurrent claimer of the same row updates nothing. On
/// PostgreSQL `SKIP LOCKED` makes concurrent promoters take the next free code rather
/// than wait for (and lose) the same one; on SQLite every write is serialised anyway.
pub(super) async fn give_code(
    conn: &mut AnyConnection,
    workspace_id: i64,
    engagement_id: i64,
    now: i64,
) -> Result<String> {
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let pooled: Option<String> = sqlx::query_scalar(&format!(
        "UPDATE discount_codes SET engagement_id = $1, assigned_at = $2 WHERE id = \
         (SELECT id FROM discount_codes WHERE workspace_id = $3 AND engagement_id IS NULL \
         AND redeemed_at IS NULL ORDER BY id LIMIT 1{lock}) AND engagement_id IS NULL RETURNING code"
    ))
    .bind(engagement_id)
    .bind(now)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(code) = pooled {
        return Ok(code);
    }
    // ON CONFLICT keeps the transaction usable if a random code was ever taken already.
    for _ in 0..8 {
        let code = generate_code();
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO discount_codes (workspace_id, code, source, engagement_id, assigned_at, \
             created_at) VALUES ($1, $2, 'generated', $3, $4, $4) \
             ON CONFLICT (workspace_id, code) DO NOTHING RETURNING id",
        )
        .bind(workspace_id)
        .bind(&code)
        .bind(engagement_id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if inserted.is_some() {
            return Ok(code);
        }
    }
    Err(StoreError::Conflict(
        "could not generate an unused discount code; try again".into(),
    ))
}

/// `THANKS-` and 8 characters that cannot be mistaken for one another.
fn generate_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let tail: String = (0..8)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!("THANKS-{tail}")
}

/// Validates an import: every code trimmed, well formed and given once. Problems are
/// named (position, code, what is wrong), the first few in full.
fn checked_codes(codes: &[String]) -> Result<Vec<String>> {
    if codes.is_empty() {
        return Err(StoreError::Invalid(
            "codes is empty; send 1 to 10000 codes".into(),
        ));
    }
    if codes.len() > MAX_IMPORT {
        return Err(StoreError::Invalid(format!(
            "{} codes in one import; at most {MAX_IMPORT} per call",
            codes.len()
        )));
    }
    let mut problems = Vec::new();
    let mut first_at: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(codes.len());
    for (i, raw) in codes.iter().enumerate() {
        let code = raw.trim();
        let position = i + 1;
        let len = code.chars().count();
        if !(4..=64).contains(&len) {
            problems.push(format!("code {position} ({code:?}) has {len} characters"));
        } else if let Some(bad) = code
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            problems.push(format!("code {position} ({code:?}) contains {bad:?}"));
        } else if let Some(first) = first_at.get(code) {
            problems.push(format!("code {position} ({code:?}) repeats code {first}"));
        } else {
            first_at.insert(code, position);
        }
        out.push(code.to_owned());
    }
    if problems.is_empty() {
        return Ok(out);
    }
    Err(StoreError::Invalid(format!(
        "{}; codes are 4–64 characters of A–Z, a–z, 0–9, - and _, each given once; nothing was imported",
        summarise(&problems)
    )))
}

/// The first few problems and how many more there are.
fn summarise(problems: &[String]) -> String {
    let shown = problems[..problems.len().min(SHOWN_PROBLEMS)].join("; ");
    match problems.len().saturating_sub(SHOWN_PROBLEMS) {
        0 => shown,
        more => format!("{shown}; and {more} more"),
    }
}

fn code_from(row: &AnyRow) -> Result<DiscountCode> {
    let engagement_id: Option<i64> = row.try_get("engagement_id")?;
    let redeemed_at: Option<i64> = row.try_get("redeemed_at")?;
    let status = match (redeemed_at, engagement_id) {
        (Some(_), _) => CodeStatus::Redeemed,
        (None, Some(_)) => CodeStatus::Assigned,
        (None, None) => CodeStatus::Free,
    };
    Ok(DiscountCode {
        code: row.try_get("code")?,
        source: row.try_get("source")?,
        status,
        engagement_id,
        customer: row.try_get("customer")?,
        assigned_at: row.try_get::<Option<i64>, _>("assigned_at")?.map(from_ts),
        redeemed_at: redeemed_at.map(from_ts),
        created_at: from_ts(row.try_get("created_at")?),
    })
}

const CODE_SELECT: &str =
    "SELECT d.code, d.source, d.engagement_id, d.assigned_at, d.redeemed_at, \
     d.created_at, c.external_id AS customer FROM discount_codes d \
     LEFT JOIN engagements e ON e.id = d.engagement_id \
     LEFT JOIN customers c ON c.id = e.customer_id WHERE d.workspace_id = $1";

/// SQL condition for a code status.
fn code_status_sql(status: CodeStatus) -> &'static str {
    match status {
        CodeStatus::Free => "d.redeemed_at IS NULL AND d.engagement_id IS NULL",
        CodeStatus::Assigned => "d.redeemed_at IS NULL AND d.engagement_id IS NOT NULL",
        CodeStatus::Redeemed => "d.redeemed_at IS NOT NULL",
    }
}

impl Engagements<'_> {
    /// Adds codes to the workspace's pool: all of them, or none when any is malformed,
    /// repeated, or already stored (each named). Returns how many were imported.
    #[tracing::instrument(name = "engagements.import_discount_codes", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn import_discount_codes(&self, workspace_id: i64, codes: &[String]) -> Result<u64> {
        let codes = checked_codes(codes)?;
        let now = to_ts(Utc::now());
        let mut tx = self.store.begin_write().await?;
        let mut taken = Vec::new();
        for chunk in codes.chunks(500) {
            let sql = format!(
                "SELECT code FROM discount_codes WHERE workspace_id = $1 AND code IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql).bind(workspace_id);
            for code in chunk {
                query = query.bind(code);
            }
            taken.extend(query.fetch_all(&mut *tx).await?);
        }
        if !taken.is_empty() {
            let position: HashMap<&str, usize> = codes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i + 1))
                .collect();
            taken.sort_by_key(|c| position.get(c.as_str()).copied());
            let problems: Vec<String> = taken
                .iter()
                .map(|c| {
                    let at = position.get(c.as_str()).copied().unwrap_or_default();
                    format!("code {at} ({c:?}) is already stored")
                })
                .collect();
            return Err(StoreError::Conflict(format!(
                "{}; nothing was imported",
                summarise(&problems)
            )));
        }
        for chunk in codes.chunks(500) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, 'imported', $2)", i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO discount_codes (workspace_id, code, source, created_at) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(workspace_id).bind(now);
            for code in chunk {
                query = query.bind(code);
            }
            match query.execute(&mut *tx).await {
                Ok(_) => {}
                // A concurrent import stored one of them first.
                Err(e) if StoreError::is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(
                        "some of these codes were imported meanwhile by another request; \
                         nothing was imported, list the codes and try again"
                            .into(),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(codes.len() as u64)
    }

    /// Counts over all of a workspace's codes and a page of them (optionally in one status).
    #[tracing::instrument(name = "engagements.discount_codes", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn discount_codes(
        &self,
        workspace_id: i64,
        status: Option<CodeStatus>,
        limit: u32,
        offset: u32,
    ) -> Result<CodePage> {
        let (free, assigned, redeemed): (i64, i64, i64) = sqlx::query_as(
            "SELECT \
             COALESCE(SUM(CASE WHEN redeemed_at IS NULL AND engagement_id IS NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN redeemed_at IS NULL AND engagement_id IS NOT NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN redeemed_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
             FROM discount_codes WHERE workspace_id = $1",
        )
        .bind(workspace_id)
        .fetch_one(&self.store.pool)
        .await?;
        let counts = CodeCounts {
            free,
            assigned,
            redeemed,
        };
        let condition = status.map_or(String::new(), |s| format!(" AND {}", code_status_sql(s)));
        let rows = sqlx::query(&format!(
            "{CODE_SELECT}{condition} ORDER BY d.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(workspace_id)
        .bind(i64::from(limit.clamp(1, 1000)))
        .bind(i64::from(offset))
        .fetch_all(&self.store.pool)
        .await?;
        let total = match status {
            None => free + assigned + redeemed,
            Some(CodeStatus::Free) => free,
            Some(CodeStatus::Assigned) => assigned,
            Some(CodeStatus::Redeemed) => redeemed,
        };
        Ok(CodePage {
            counts,
            total,
            codes: rows.iter().map(code_from).collect::<Result<_>>()?,
        })
    }

    /// Redeems a code, once: a second redemption is a conflict. The code's engagement (if
    /// it was given to a promoter) becomes `accepted` and is announced.
    #[tracing::instrument(name = "engagements.redeem_discount_code", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn redeem_discount_code(
        &self,
        workspace_id: i64,
        code: &str,
    ) -> Result<DiscountCode> {
        let code = code.trim();
        let now = to_ts(Utc::now());
        let mut tx = self.store.begin_write().await?;
        let done = sqlx::query(
            "UPDATE discount_codes SET redeemed_at = $1 WHERE workspace_id = $2 AND code = $3 \
             AND redeemed_at IS NULL",
        )
        .bind(now)
        .bind(workspace_id)
        .bind(code)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let row = sqlx::query(&format!("{CODE_SELECT} AND d.code = $2"))
            .bind(workspace_id)
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("no discount code {code:?}")));
        };
        let redeemed = code_from(&row)?;
        if done == 0 {
            let at = redeemed
                .redeemed_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            return Err(StoreError::Conflict(format!(
                "discount code {code:?} was already redeemed at {at}; each code is used once"
            )));
        }
        if let Some(id) = redeemed.engagement_id {
            if let Some(e) = engagement_in(&mut tx, workspace_id, id).await? {
                if !e.status.is_outcome() {
                    move_engagement(&mut tx, workspace_id, &e, EngagementStatus::Accepted).await?;
                }
            }
        }
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(redeemed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_unambiguous() {
        for _ in 0..200 {
            let c = generate_code();
            assert_eq!(c.len(), 15);
            assert!(c.starts_with("THANKS-"));
            assert!(!c[7..].contains(['0', 'O', '1', 'I', 'L']), "{c}");
        }
    }

    #[test]
    fn imports_are_checked_before_anything_is_stored() {
        let codes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            checked_codes(&codes(&["  SUMMER-2026 ", "ab_cd"])).unwrap(),
            ["SUMMER-2026", "ab_cd"]
        );
        let err = checked_codes(&codes(&["ABCD", "abc", "AB CD", "ABCD"]))
            .unwrap_err()
            .to_string();
        for part in [
            "code 2 (\"abc\") has 3 characters",
            "code 3 (\"AB CD\") contains ' '",
            "code 4 (\"ABCD\") repeats code 1",
        ] {
            assert!(err.contains(part), "{err}");
        }
        assert!(checked_codes(&[]).is_err());
        assert!(checked_codes(&vec!["ABCD".to_owned(); MAX_IMPORT + 1])
            .unwrap_err()
            .to_string()
            .contains("10001 codes"));
    }
}
