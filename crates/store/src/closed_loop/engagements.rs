//! Promoter engagement: thank-yous, single-use discount codes, review requests, panel
//! invitations, rewards and memberships, each tracked from `queued` to its outcome.
//!
//! A promoter's default engagements are created in the answer's transaction, with one
//! thank-you email carrying them; the delivery worker marks them `sent` when it is
//! delivered (see `outbox::mark_engagement_sent`). A promoter without an email address
//! keeps them `queued`, for a person to act on.

use crate::closed_loop::context::respondent_language;
use crate::delivery::outbox::{enqueue_email, enqueue_event, EmailMessage};
use crate::many_rows::placeholders;
use crate::models::{Answer, Customer, WorkspaceSettings};
use crate::Engagements;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::messages::{self, ThankYouFacts};
use advocate_core::{EngagementKind, Score};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Where an engagement is. `queued` → `sent` → an outcome; an outcome is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementStatus {
    Queued,
    Sent,
    Accepted,
    Declined,
    ReviewLeft,
    /// Withdrawn before it was sent: the promoter changed their score below 9.
    Cancelled,
}

impl EngagementStatus {
    pub const ALL: [EngagementStatus; 6] = [
        Self::Queued,
        Self::Sent,
        Self::Accepted,
        Self::Declined,
        Self::ReviewLeft,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::ReviewLeft => "review_left",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Outcomes are final: nothing moves on from them.
    pub fn is_outcome(self) -> bool {
        !matches!(self, Self::Queued | Self::Sent)
    }
}

/// The statuses an engagement of `kind` can reach. A thank-you is only ever sent; a
/// review request ends with a review left (or declined); a code is accepted when redeemed.
pub fn reachable(kind: EngagementKind) -> &'static [EngagementStatus] {
    use EngagementStatus::*;
    match kind {
        EngagementKind::ThankYou => &[Sent],
        EngagementKind::DiscountCode => &[Sent, Accepted],
        EngagementKind::ReviewRequest => &[Sent, ReviewLeft, Declined],
        EngagementKind::PanelInvitation
        | EngagementKind::Reward
        | EngagementKind::VipMembership => &[Sent, Accepted, Declined],
    }
}

/// Whether `from` → `to` makes sense for `kind`: forward only, never out of an outcome.
/// A person may skip `sent` (e.g. a membership given in person).
fn check_transition(
    id: i64,
    kind: EngagementKind,
    from: EngagementStatus,
    to: EngagementStatus,
) -> Result<()> {
    let allowed: Vec<&str> = if from.is_outcome() {
        Vec::new()
    } else {
        reachable(kind)
            .iter()
            .filter(|s| **s != from && (from == EngagementStatus::Queued || s.is_outcome()))
            .map(|s| s.as_str())
            .collect()
    };
    if allowed.contains(&to.as_str()) {
        return Ok(());
    }
    let next = if allowed.is_empty() {
        format!("{} is final", from.as_str())
    } else {
        format!("from {} it can go to {}", from.as_str(), allowed.join(", "))
    };
    Err(StoreError::Invalid(format!(
        "engagement {id} ({}) cannot go from {} to {}; {next}",
        kind.as_str(),
        from.as_str(),
        to.as_str()
    )))
}

/// One tracked engagement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Engagement {
    pub id: i64,
    /// The answer that earned it (for a manual grant, the customer's latest answer).
    pub answer_id: i64,
    /// The customer's external id.
    pub customer: Option<String>,
    pub kind: EngagementKind,
    pub status: EngagementStatus,
    pub discount_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which engagements to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngagementFilter {
    /// A customer's external id.
    pub customer: Option<String>,
    pub kind: Option<EngagementKind>,
    pub status: Option<EngagementStatus>,
    pub limit: u32,
    pub offset: u32,
}

/// One page of engagements, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngagementPage {
    /// How many match the filter in all.
    pub total: i64,
    pub engagements: Vec<Engagement>,
}

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

const ENGAGEMENT_COLUMNS: &str = "e.id, e.answer_id, e.kind, e.status, e.discount_code, \
     e.created_at, e.updated_at, c.external_id AS customer";
const ENGAGEMENT_FROM: &str =
    "engagements e LEFT JOIN customers c ON c.id = e.customer_id WHERE e.workspace_id = $1";

fn engagement_from(row: &AnyRow) -> Result<Engagement> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(Engagement {
        id: row.try_get("id")?,
        answer_id: row.try_get("answer_id")?,
        customer: row.try_get("customer")?,
        kind: EngagementKind::parse(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("stored engagement kind {kind:?}")))?,
        status: EngagementStatus::parse(&status)
            .ok_or_else(|| StoreError::Invalid(format!("stored engagement status {status:?}")))?,
        discount_code: row.try_get("discount_code")?,
        created_at: from_ts(row.try_get("created_at")?),
        updated_at: from_ts(row.try_get("updated_at")?),
    })
}

async fn engagement_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<Engagement>> {
    let row = sqlx::query(&format!(
        "SELECT {ENGAGEMENT_COLUMNS} FROM {ENGAGEMENT_FROM} AND e.id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(engagement_from).transpose()
}

async fn insert_engagement(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
    answer_id: i64,
    kind: EngagementKind,
    status: EngagementStatus,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO engagements (workspace_id, customer_id, answer_id, kind, status, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(answer_id)
    .bind(kind.as_str())
    .bind(status.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Creates a promoter's default engagements and queues their thank-you, in the answer's
/// transaction. Anonymous promoters cannot be thanked, so they get none.
pub(crate) async fn on_promoter(
    conn: &mut AnyConnection,
    ctx: &crate::closed_loop::context::Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
) -> Result<()> {
    let kinds = advocate_core::playbook::default_engagements(score);
    queue_engagements(conn, ctx, settings, answer, score, customer, kinds).await
}

/// Creates engagements of `kinds` for a promoter's answer and queues their thank-you, in
/// the answer's transaction. Kinds the workspace cannot act on are left out (see
/// [`advocate_core::playbook::inactive_reason`]: no review request without a review
/// site link). Anonymous promoters cannot be thanked, so they get none.
pub(crate) async fn queue_engagements(
    conn: &mut AnyConnection,
    ctx: &crate::closed_loop::context::Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
    kinds: &[EngagementKind],
) -> Result<()> {
    let Some(customer) = customer else {
        return Ok(());
    };
    let kinds: Vec<EngagementKind> = kinds
        .iter()
        .copied()
        .filter(|k| {
            advocate_core::playbook::inactive_reason(*k, settings.review_links.len()).is_none()
        })
        .collect();
    if kinds.is_empty() {
        return Ok(());
    }
    let ws = answer.workspace_id;
    let now = to_ts(Utc::now());
    let mut ids = Vec::with_capacity(kinds.len());
    let mut code = None;
    for &kind in &kinds {
        let id = insert_engagement(
            conn,
            ws,
            customer.id,
            answer.id,
            kind,
            EngagementStatus::Queued,
            now,
        )
        .await?;
        if kind == EngagementKind::DiscountCode {
            let given = give_code(conn, ws, id, now).await?;
            sqlx::query("UPDATE engagements SET discount_code = $1 WHERE id = $2")
                .bind(&given)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            code = Some(given);
        }
        ids.push(id);
    }
    let (company, default_lang) = ctx.company(conn, ws).await?;
    let lang = respondent_language(answer, Some(customer), &default_lang);
    let links: Vec<(String, String)> = settings
        .review_links
        .iter()
        .map(|l| (l.name.clone(), l.url.clone()))
        .collect();
    let facts = ThankYouFacts {
        company: &company,
        name: customer.name.as_deref(),
        score: score.value(),
        discount_code: code.as_deref(),
        review_request: kinds.contains(&EngagementKind::ReviewRequest),
        review_links: &links,
        panel_invitation: kinds.contains(&EngagementKind::PanelInvitation),
        reward: kinds.contains(&EngagementKind::Reward),
    };
    let content = messages::thank_you(&lang, &facts);
    let Some(msg) =
        crate::closed_loop::context::customer_email(ctx, settings, customer, &lang, content)
    else {
        return Ok(());
    };
    let msg = EmailMessage {
        engagement_ids: ids,
        ..msg
    };
    enqueue_email(conn, ws, "promoter.thank_you", &msg).await?;
    Ok(())
}

/// Cancels every engagement of an answer that is still queued (the promoter changed their
/// score below 9), announces each as `engagement.updated`, and takes back the thank-you
/// emails that carried only those engagements. What was sent stays sent — and so does
/// what is being sent: a thank-you a delivery worker has claimed cannot be taken back, so
/// the engagements it carries stay queued (they become sent when it is delivered; a later
/// change back to a promoter queues nothing twice). Returns the kinds cancelled.
pub(crate) async fn cancel_queued(
    conn: &mut AnyConnection,
    workspace_id: i64,
    answer_id: i64,
) -> Result<Vec<EngagementKind>> {
    let now = to_ts(Utc::now());
    let queued: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM engagements WHERE workspace_id = $1 AND answer_id = $2 \
         AND status = 'queued' ORDER BY id",
    )
    .bind(workspace_id)
    .bind(answer_id)
    .fetch_all(&mut *conn)
    .await?;
    if queued.is_empty() {
        return Ok(Vec::new());
    }
    let kept = take_back_thank_yous(conn, workspace_id, &queued, now).await?;
    let mut kinds = Vec::with_capacity(queued.len());
    for id in queued.into_iter().filter(|id| !kept.contains(id)) {
        sqlx::query(
            "UPDATE engagements SET status = 'cancelled', updated_at = $1 WHERE id = $2 \
             AND status = 'queued'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        // Its code was never sent: a generated one is dropped, a pooled one goes back.
        sqlx::query(
            "DELETE FROM discount_codes WHERE engagement_id = $1 AND source = 'generated' \
             AND redeemed_at IS NULL",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE discount_codes SET engagement_id = NULL, assigned_at = NULL \
             WHERE engagement_id = $1 AND redeemed_at IS NULL",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE engagements SET discount_code = NULL WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM discount_codes d WHERE d.engagement_id = $1)",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        if let Some(e) = engagement_in(conn, workspace_id, id).await? {
            announce(conn, workspace_id, &e, Some(EngagementStatus::Queued)).await?;
            kinds.push(e.kind);
        }
    }
    Ok(kinds)
}

/// Deletes the pending thank-you emails that carry only `engagements` and no worker has
/// claimed. Returns the engagements that will be sent after all: carried by a claimed
/// email (being delivered now) or by one that also carries others.
async fn take_back_thank_yous(
    conn: &mut AnyConnection,
    workspace_id: i64,
    engagements: &[i64],
    now: i64,
) -> Result<Vec<i64>> {
    let pending: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, payload FROM outbox WHERE workspace_id = $1 AND event = 'promoter.thank_you' \
         AND status = 'pending' AND kind = 'email'",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut kept = Vec::new();
    for (outbox_id, payload) in pending {
        let Ok(email) = serde_json::from_str::<EmailMessage>(&payload) else {
            continue;
        };
        let carried = email.engagement_ids;
        if !carried.iter().any(|e| engagements.contains(e)) {
            continue;
        }
        // Taking the row (an UPDATE that changes nothing) keeps a worker from claiming it
        // until this transaction ends; one already claimed is not taken.
        let unclaimed = sqlx::query(
            "UPDATE outbox SET locked_until = locked_until WHERE id = $1 AND status = 'pending' \
             AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(outbox_id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if !unclaimed || !carried.iter().all(|e| engagements.contains(e)) {
            kept.extend(carried);
            continue;
        }
        sqlx::query("DELETE FROM outbox_attempts WHERE outbox_id = $1")
            .bind(outbox_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(outbox_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(kept)
}

/// Gives the engagement a code: the oldest free one of the pool, else a generated one.
/// Two promoters never get the same code: the UPDATE re-checks `engagement_id IS NULL`
/// on the row it locks, so a concurrent claimer of the same row updates nothing. On
/// PostgreSQL `SKIP LOCKED` makes concurrent promoters take the next free code rather
/// than wait for (and lose) the same one; on SQLite every write is serialised anyway.
async fn give_code(
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

/// Queues `engagement.updated` for an engagement that changed.
async fn announce(
    conn: &mut AnyConnection,
    workspace_id: i64,
    e: &Engagement,
    previous: Option<EngagementStatus>,
) -> Result<()> {
    enqueue_event(
        conn,
        workspace_id,
        "engagement.updated",
        json!({
            "engagement_id": e.id,
            "kind": e.kind,
            "status": e.status,
            "previous_status": previous,
            "customer": e.customer,
            "discount_code": e.discount_code,
        }),
    )
    .await
}

/// Moves an engagement to `to` (checked) and announces it; the caller commits.
async fn move_engagement(
    conn: &mut AnyConnection,
    workspace_id: i64,
    current: &Engagement,
    to: EngagementStatus,
) -> Result<Engagement> {
    check_transition(current.id, current.kind, current.status, to)?;
    let done = sqlx::query(
        "UPDATE engagements SET status = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4 \
         AND status = $5",
    )
    .bind(to.as_str())
    .bind(to_ts(Utc::now()))
    .bind(current.id)
    .bind(workspace_id)
    .bind(current.status.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(StoreError::Conflict(format!(
            "engagement {} changed meanwhile; read it again",
            current.id
        )));
    }
    let moved = engagement_in(conn, workspace_id, current.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no engagement {}", current.id)))?;
    announce(conn, workspace_id, &moved, Some(current.status)).await?;
    Ok(moved)
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
    /// A page of a workspace's engagements, newest first.
    #[tracing::instrument(name = "engagements.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(
        &self,
        workspace_id: i64,
        filter: &EngagementFilter,
    ) -> Result<EngagementPage> {
        // '' means "any": one statement for every combination of filters.
        let condition = "AND ($2 = '' OR c.external_id = $2) AND ($3 = '' OR e.kind = $3) \
                         AND ($4 = '' OR e.status = $4)";
        let customer = filter.customer.clone().unwrap_or_default();
        let kind = filter.kind.map_or("", |k| k.as_str());
        let status = filter.status.map_or("", |s| s.as_str());
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {ENGAGEMENT_FROM} {condition}"
        ))
        .bind(workspace_id)
        .bind(&customer)
        .bind(kind)
        .bind(status)
        .fetch_one(&self.store.pool)
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT {ENGAGEMENT_COLUMNS} FROM {ENGAGEMENT_FROM} {condition} \
             ORDER BY e.created_at DESC, e.id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(workspace_id)
        .bind(&customer)
        .bind(kind)
        .bind(status)
        .bind(i64::from(filter.limit.clamp(1, 500)))
        .bind(i64::from(filter.offset))
        .fetch_all(&self.store.pool)
        .await?;
        Ok(EngagementPage {
            total,
            engagements: rows.iter().map(engagement_from).collect::<Result<_>>()?,
        })
    }

    #[tracing::instrument(name = "engagements.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<Engagement>> {
        let mut conn = self.store.pool.acquire().await?;
        engagement_in(&mut conn, workspace_id, id).await
    }

    /// Records what became of an engagement (e.g. a review was left) and announces it with
    /// `engagement.updated`. Setting the status it already has changes nothing.
    #[tracing::instrument(name = "engagements.set_status", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_status(
        &self,
        workspace_id: i64,
        id: i64,
        status: EngagementStatus,
    ) -> Result<Engagement> {
        let mut tx = self.store.begin_write().await?;
        let current = engagement_in(&mut tx, workspace_id, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no engagement {id}")))?;
        if current.status == status {
            return Ok(current);
        }
        let moved = move_engagement(&mut tx, workspace_id, &current, status).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(moved)
    }

    /// Grants a reward, VIP membership or panel invitation to a customer by hand, tied to
    /// their latest answer, starting at `status` (usually `queued`). Announced with
    /// `engagement.updated`, since no answer's `response.created` covers it.
    #[tracing::instrument(name = "engagements.grant", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn grant(
        &self,
        workspace_id: i64,
        external_id: &str,
        kind: EngagementKind,
        status: EngagementStatus,
    ) -> Result<Engagement> {
        use EngagementKind::*;
        if !matches!(kind, Reward | VipMembership | PanelInvitation) {
            return Err(StoreError::Invalid(format!(
                "kind {} is not granted by hand; grant reward, vip_membership or panel_invitation",
                kind.as_str()
            )));
        }
        let mut tx = self.store.begin_write().await?;
        let customer_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM customers WHERE workspace_id = $1 AND external_id = $2",
        )
        .bind(workspace_id)
        .bind(external_id)
        .fetch_optional(&mut *tx)
        .await?;
        let customer_id = customer_id.ok_or_else(|| {
            StoreError::NotFound(format!("no customer with external_id {external_id:?}"))
        })?;
        let answer_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM answers WHERE workspace_id = $1 AND customer_id = $2 \
             ORDER BY answered_at DESC, id DESC LIMIT 1",
        )
        .bind(workspace_id)
        .bind(customer_id)
        .fetch_optional(&mut *tx)
        .await?;
        let answer_id = answer_id.ok_or_else(|| {
            StoreError::Invalid(format!(
                "customer {external_id:?} has not answered a survey yet; an engagement belongs to an answer"
            ))
        })?;
        if status != EngagementStatus::Queued {
            check_transition(0, kind, EngagementStatus::Queued, status).map_err(|_| {
                StoreError::Invalid(format!(
                    "a {} cannot start as {}; it can start as queued or {}",
                    kind.as_str(),
                    status.as_str(),
                    reachable(kind)
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        }
        let now = to_ts(Utc::now());
        let id = insert_engagement(
            &mut tx,
            workspace_id,
            customer_id,
            answer_id,
            kind,
            status,
            now,
        )
        .await?;
        let created = engagement_in(&mut tx, workspace_id, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no engagement {id}")))?;
        announce(&mut tx, workspace_id, &created, None).await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(created)
    }

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
    use EngagementStatus::*;

    #[test]
    fn transitions_go_forward_only_and_fit_the_kind() {
        let ok = |k, a, b| check_transition(1, k, a, b).is_ok();
        assert!(ok(EngagementKind::ThankYou, Queued, Sent));
        assert!(!ok(EngagementKind::ThankYou, Sent, Accepted));
        assert!(ok(EngagementKind::ReviewRequest, Sent, ReviewLeft));
        assert!(!ok(EngagementKind::Reward, Sent, ReviewLeft));
        assert!(ok(EngagementKind::VipMembership, Queued, Accepted));
        assert!(!ok(EngagementKind::Reward, Sent, Queued));
        assert!(!ok(EngagementKind::Reward, Accepted, Declined));
        let msg = check_transition(4, EngagementKind::Reward, Sent, Queued)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("engagement 4 (reward) cannot go from sent to queued")
                && msg.contains("accepted, declined"),
            "{msg}"
        );
    }

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
