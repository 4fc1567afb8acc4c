//! The customer record: everything that happened with one customer — their answers,
//! cases with notes, promoter engagements and the "follow up at next contact" flag — read
//! in one place, plus the customer list that leads to it.
//!
//! Cases and engagements are written by their own modules; this one only reads their
//! tables, so the record shows whatever those modules (or an import) stored.

use crate::feedback::customers::customer_in;
use crate::models::Customer;
use crate::Timelines;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::{Category, NpsCounts, Score, SurveyKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// The newest answers a record shows (the NPS over all answers still counts every one).
pub const TIMELINE_ANSWERS: i64 = 200;
/// The newest cases a record shows, and the newest notes over those cases.
pub const TIMELINE_CASES: i64 = 50;
pub const TIMELINE_NOTES: i64 = 500;
/// The newest engagements a record shows.
pub const TIMELINE_ENGAGEMENTS: i64 = 100;
/// The longest follow-up note accepted, in characters.
pub const FOLLOW_UP_MAX_CHARS: usize = 1_000;
/// Most customers one list page returns.
pub const CUSTOMERS_PAGE_MAX: u32 = 200;

/// "Follow up at next contact": shown to anyone who talks to the customer until cleared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    pub note: String,
    pub set_at: DateTime<Utc>,
}

/// One answer of the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineAnswer {
    pub id: i64,
    pub answered_at: DateTime<Utc>,
    pub survey_slug: String,
    pub survey_name: String,
    pub survey_kind: SurveyKind,
    pub score: u8,
    /// Promoter, passive or detractor; `None` for CSAT answers (a 1–5 scale).
    pub category: Option<Category>,
    pub comment: Option<String>,
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineNote {
    pub id: i64,
    pub case_id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// One case of the customer, with its notes (newest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineCase {
    pub id: i64,
    /// The score that opened the case (the "before").
    pub score: u8,
    pub priority: String,
    /// open, contacted, resolved or closed.
    pub status: String,
    pub assignee: String,
    pub created_at: DateTime<Utc>,
    pub sla_due_at: DateTime<Utc>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    /// recovered, not_recovered or unreachable, once known.
    pub outcome: Option<String>,
    pub compensation: Option<String>,
    /// The score of the re-survey after resolution (the "after"), when there was one.
    pub resurvey_score: Option<u8>,
    /// Still waiting for a first contact after its SLA ran out.
    pub overdue: bool,
    pub notes: Vec<TimelineNote>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEngagement {
    pub id: i64,
    pub answer_id: i64,
    /// thank_you, discount_code, review_request, panel_invitation, reward, vip_membership.
    pub kind: String,
    /// queued, sent, accepted, …
    pub status: String,
    pub discount_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One thing that happened, for a merged "what happened" list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    /// answered, score_changed, case_opened, note_added, case_contacted, case_escalated, case_resolved,
    /// case_closed, engagement_queued, engagement_{status} (e.g. engagement_sent),
    /// follow_up_set.
    pub kind: String,
    /// One line in English, e.g. "Answered 3 to Onboarding".
    pub summary: String,
    pub answer_id: Option<i64>,
    pub case_id: Option<i64>,
    pub engagement_id: Option<i64>,
}

/// Everything about one customer. Lists are newest first and bounded: the newest
/// [`TIMELINE_ANSWERS`] answers, [`TIMELINE_CASES`] cases with up to [`TIMELINE_NOTES`]
/// notes between them, and [`TIMELINE_ENGAGEMENTS`] engagements; `events` merges those.
/// `nps` and `nps_answers` count every NPS answer the customer ever gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub customer: Customer,
    pub follow_up: Option<FollowUp>,
    /// The customer's NPS over all their NPS answers (−100 to 100).
    pub nps: Option<f64>,
    pub nps_answers: u64,
    /// Their latest NPS score.
    pub latest_score: Option<u8>,
    pub answers: Vec<TimelineAnswer>,
    pub cases: Vec<TimelineCase>,
    pub engagements: Vec<TimelineEngagement>,
    pub events: Vec<TimelineEvent>,
}

/// One row of the customer list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRow {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub account_manager: Option<String>,
    pub follow_up_note: Option<String>,
    pub latest_score: Option<u8>,
    /// Cases still open or contacted.
    pub open_cases: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomersPage {
    /// How many customers match, over all pages.
    pub total: u64,
    pub rows: Vec<CustomerRow>,
}

fn score_of(row: &AnyRow, col: &str) -> Result<u8> {
    u8::try_from(row.try_get::<i64, _>(col)?)
        .map_err(|_| StoreError::Invalid("stored score out of range".into()))
}

fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ts))
}

fn category_of(kind: SurveyKind, score: u8) -> Option<Category> {
    match kind {
        SurveyKind::Csat => None,
        SurveyKind::Nps | SurveyKind::Enps => {
            Score::new(i64::from(score)).ok().map(|s| s.category())
        }
    }
}

/// The follow-up note must say something and stay short; returns it trimmed.
fn valid_note(note: &str) -> Result<&str> {
    let note = note.trim();
    if note.is_empty() {
        return Err(StoreError::Invalid(
            "the follow-up note is empty; say what to follow up on".into(),
        ));
    }
    let chars = note.chars().count();
    if chars > FOLLOW_UP_MAX_CHARS {
        return Err(StoreError::Invalid(format!(
            "the follow-up note has {chars} characters; at most {FOLLOW_UP_MAX_CHARS} are allowed"
        )));
    }
    Ok(note)
}

fn unknown_customer(external_id: &str) -> StoreError {
    StoreError::NotFound(format!("no customer with external_id {external_id:?}"))
}

/// `%` and `_` in a search are literal text, not wildcards.
fn like_pattern(search: &str) -> String {
    let mut p = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// SQL: the customer `c` belongs to the person bound as `email` (a placeholder such as
/// `$4`, the lower-cased address): they are its account manager, or a case about it is
/// assigned to them.
fn owned_by(email: &str) -> String {
    format!(
        "(LOWER(COALESCE(c.account_manager, '')) = {email} OR EXISTS (SELECT 1 FROM cases k \
         WHERE k.customer_id = c.id AND k.workspace_id = c.workspace_id \
         AND LOWER(k.assignee) = {email}))"
    )
}

impl Timelines<'_> {
    /// Whether the customer belongs to the person (see [`Timelines::customers_page`]'s owner).
    #[tracing::instrument(name = "timelines.customer_owned_by", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn customer_owned_by(
        &self,
        workspace_id: i64,
        external_id: &str,
        email: &str,
    ) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM customers c WHERE c.workspace_id = $1 AND c.external_id = $2 \
             AND {}",
            owned_by("$3")
        ))
        .bind(workspace_id)
        .bind(external_id)
        .bind(email.trim().to_lowercase())
        .fetch_one(&self.store.pool)
        .await?;
        Ok(n > 0)
    }

    /// The customer's record, or `None` when the workspace has no such customer. See
    /// [`Timeline`] for what it holds and its bounds.
    #[tracing::instrument(name = "timelines.of_customer", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn of_customer(
        &self,
        workspace_id: i64,
        external_id: &str,
    ) -> Result<Option<Timeline>> {
        let mut conn = self.store.pool.acquire().await?;
        let Some(customer) = customer_in(&mut conn, workspace_id, external_id).await? else {
            return Ok(None);
        };
        let follow_up = follow_up_in(&mut conn, customer.id).await?;
        let (counts, latest_score) = nps_of(&mut conn, workspace_id, customer.id).await?;
        let answers = answers_of(&mut conn, workspace_id, customer.id).await?;
        let cases = cases_of(&mut conn, workspace_id, customer.id).await?;
        let engagements = engagements_of(&mut conn, workspace_id, customer.id).await?;
        let changes = score_changes_of(&mut conn, workspace_id, customer.id).await?;
        let events = events(&answers, &cases, &engagements, follow_up.as_ref(), &changes);
        Ok(Some(Timeline {
            customer,
            follow_up,
            nps: counts.nps(),
            nps_answers: counts.n(),
            latest_score,
            answers,
            cases,
            engagements,
            events,
        }))
    }

    /// Sets (or replaces) the customer's "follow up at next contact" note.
    #[tracing::instrument(name = "timelines.set_follow_up", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_follow_up(
        &self,
        workspace_id: i64,
        external_id: &str,
        note: &str,
    ) -> Result<FollowUp> {
        let note = valid_note(note)?;
        let now = Utc::now();
        let done = sqlx::query(
            "UPDATE customers SET follow_up_note = $1, follow_up_set_at = $2 \
             WHERE workspace_id = $3 AND external_id = $4",
        )
        .bind(note)
        .bind(to_ts(now))
        .bind(workspace_id)
        .bind(external_id)
        .execute(&self.store.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(unknown_customer(external_id));
        }
        Ok(FollowUp {
            note: note.to_owned(),
            set_at: from_ts(to_ts(now)),
        })
    }

    /// Clears the flag; clearing a flag that is not set is fine (nothing to do).
    #[tracing::instrument(name = "timelines.clear_follow_up", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn clear_follow_up(&self, workspace_id: i64, external_id: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE customers SET follow_up_note = NULL, follow_up_set_at = NULL \
             WHERE workspace_id = $1 AND external_id = $2",
        )
        .bind(workspace_id)
        .bind(external_id)
        .execute(&self.store.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(unknown_customer(external_id));
        }
        Ok(())
    }

    /// A page of customers by name (then external id), optionally only those matching
    /// `search` (in name, external id or email; case-insensitive — for non-ASCII letters
    /// only on PostgreSQL, as SQLite folds ASCII case only) or only those flagged for
    /// follow-up. `limit` is capped at [`CUSTOMERS_PAGE_MAX`].
    /// A page of customers; with `owner`, only those whose account manager that person
    /// is or who have a case assigned to them (what an agent sees).
    #[tracing::instrument(name = "timelines.customers_page", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn customers_page(
        &self,
        workspace_id: i64,
        search: Option<&str>,
        flagged_only: bool,
        owner: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<CustomersPage> {
        let pattern = search.filter(|s| !s.trim().is_empty()).map(like_pattern);
        let filter = format!(
            "c.workspace_id = $1 \
             AND ($2 = '' OR LOWER(COALESCE(c.name, '')) LIKE $2 ESCAPE '\\' \
                  OR LOWER(c.external_id) LIKE $2 ESCAPE '\\' \
                  OR LOWER(COALESCE(c.email, '')) LIKE $2 ESCAPE '\\') \
             AND ($3 = 0 OR c.follow_up_note IS NOT NULL) \
             AND ($4 = '' OR {})",
            owned_by("$4")
        );
        let pattern = pattern.unwrap_or_default();
        let flagged = i64::from(flagged_only);
        let owner = owner.map(|o| o.trim().to_lowercase()).unwrap_or_default();
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM customers c WHERE {filter}"))
                .bind(workspace_id)
                .bind(&pattern)
                .bind(flagged)
                .bind(&owner)
                .fetch_one(&self.store.pool)
                .await?;
        let rows = sqlx::query(&format!(
            "SELECT c.external_id, c.name, c.email, c.account_manager, c.follow_up_note, \
             (SELECT a.score FROM answers a JOIN surveys s ON s.id = a.survey_id \
              WHERE a.customer_id = c.id AND s.kind = 'nps' \
              ORDER BY a.answered_at DESC, a.id DESC LIMIT 1) AS latest_score, \
             (SELECT COUNT(*) FROM cases k WHERE k.workspace_id = c.workspace_id \
              AND k.customer_id = c.id AND k.status IN ('open', 'contacted')) AS open_cases \
             FROM customers c WHERE {filter} \
             ORDER BY LOWER(COALESCE(c.name, c.external_id)), c.external_id LIMIT $5 OFFSET $6"
        ))
        .bind(workspace_id)
        .bind(&pattern)
        .bind(flagged)
        .bind(&owner)
        .bind(i64::from(limit.clamp(1, CUSTOMERS_PAGE_MAX)))
        .bind(i64::from(offset))
        .fetch_all(&self.store.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|r| {
                Ok(CustomerRow {
                    external_id: r.try_get("external_id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    account_manager: r.try_get("account_manager")?,
                    follow_up_note: r.try_get("follow_up_note")?,
                    latest_score: r
                        .try_get::<Option<i64>, _>("latest_score")?
                        .and_then(|s| u8::try_from(s).ok()),
                    open_cases: u64::try_from(r.try_get::<i64, _>("open_cases")?).unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CustomersPage {
            total: u64::try_from(total).unwrap_or(0),
            rows,
        })
    }
}

async fn follow_up_in(conn: &mut AnyConnection, customer_id: i64) -> Result<Option<FollowUp>> {
    let row = sqlx::query("SELECT follow_up_note, follow_up_set_at FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_one(&mut *conn)
        .await?;
    let note: Option<String> = row.try_get("follow_up_note")?;
    let set_at = opt_ts(&row, "follow_up_set_at")?;
    Ok(note.map(|note| FollowUp {
        note,
        set_at: set_at.unwrap_or_default(),
    }))
}

/// Counts over every NPS answer of the customer, and their latest NPS score.
async fn nps_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<(NpsCounts, Option<u8>)> {
    let row = sqlx::query(
        "SELECT COUNT(CASE WHEN a.score >= 9 THEN 1 END) AS p, \
         COUNT(CASE WHEN a.score IN (7, 8) THEN 1 END) AS m, \
         COUNT(CASE WHEN a.score <= 6 THEN 1 END) AS d \
         FROM answers a JOIN surveys s ON s.id = a.survey_id \
         WHERE a.workspace_id = $1 AND a.customer_id = $2 AND s.kind = 'nps'",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .fetch_one(&mut *conn)
    .await?;
    let n = |c: &str| -> Result<u64> { Ok(u64::try_from(row.try_get::<i64, _>(c)?).unwrap_or(0)) };
    let counts = NpsCounts::new(n("p")?, n("m")?, n("d")?);
    let latest: Option<i64> = sqlx::query_scalar(
        "SELECT a.score FROM answers a JOIN surveys s ON s.id = a.survey_id \
         WHERE a.workspace_id = $1 AND a.customer_id = $2 AND s.kind = 'nps' \
         ORDER BY a.answered_at DESC, a.id DESC LIMIT 1",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok((counts, latest.and_then(|s| u8::try_from(s).ok())))
}

/// A change of one of the customer's scores: (when, answer, from, to, survey name).
type ScoreChange = (DateTime<Utc>, i64, u8, u8, String);

async fn score_changes_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<ScoreChange>> {
    let rows: Vec<(i64, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT c.changed_at, c.answer_id, c.from_score, c.to_score, s.name \
         FROM score_changes c JOIN answers a ON a.id = c.answer_id \
         JOIN surveys s ON s.id = a.survey_id \
         WHERE c.workspace_id = $1 AND a.customer_id = $2 ORDER BY c.changed_at DESC, c.id DESC \
         LIMIT $3",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_ANSWERS)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, id, from, to, name)| {
            let score = |v: i64| u8::try_from(v).unwrap_or_default();
            (from_ts(at), id, score(from), score(to), name)
        })
        .collect())
}

async fn answers_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<TimelineAnswer>> {
    let rows = sqlx::query(
        "SELECT a.id, a.answered_at, a.score, a.comment, a.channel, s.slug, s.name, s.kind \
         FROM answers a JOIN surveys s ON s.id = a.survey_id \
         WHERE a.workspace_id = $1 AND a.customer_id = $2 \
         ORDER BY a.answered_at DESC, a.id DESC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_ANSWERS)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind = SurveyKind::parse(&r.try_get::<String, _>("kind")?)
                .map_err(|_| StoreError::Invalid("stored survey kind is not valid".into()))?;
            let score = score_of(r, "score")?;
            Ok(TimelineAnswer {
                id: r.try_get("id")?,
                answered_at: from_ts(r.try_get("answered_at")?),
                survey_slug: r.try_get("slug")?,
                survey_name: r.try_get("name")?,
                survey_kind: kind,
                score,
                category: category_of(kind, score),
                comment: r.try_get("comment")?,
                channel: r.try_get("channel")?,
            })
        })
        .collect()
}

async fn cases_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<TimelineCase>> {
    let rows = sqlx::query(
        "SELECT k.id, k.score, k.priority, k.status, k.assignee, k.created_at, k.sla_due_at, \
         k.first_contact_at, k.resolved_at, k.closed_at, k.escalated_at, k.outcome, \
         k.compensation, r.score AS resurvey_score \
         FROM cases k LEFT JOIN answers r ON r.id = k.resurvey_answer_id \
         WHERE k.workspace_id = $1 AND k.customer_id = $2 ORDER BY k.id DESC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_CASES)
    .fetch_all(&mut *conn)
    .await?;
    let now = Utc::now();
    let mut cases = rows
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            let sla_due_at = from_ts(r.try_get("sla_due_at")?);
            let first_contact_at = opt_ts(r, "first_contact_at")?;
            Ok(TimelineCase {
                id: r.try_get("id")?,
                score: score_of(r, "score")?,
                priority: r.try_get("priority")?,
                overdue: status == "open" && first_contact_at.is_none() && sla_due_at < now,
                status,
                assignee: r.try_get("assignee")?,
                created_at: from_ts(r.try_get("created_at")?),
                sla_due_at,
                first_contact_at,
                resolved_at: opt_ts(r, "resolved_at")?,
                closed_at: opt_ts(r, "closed_at")?,
                escalated_at: opt_ts(r, "escalated_at")?,
                outcome: r.try_get("outcome")?,
                compensation: r.try_get("compensation")?,
                resurvey_score: r
                    .try_get::<Option<i64>, _>("resurvey_score")?
                    .and_then(|s| u8::try_from(s).ok()),
                notes: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let notes = sqlx::query(
        "SELECT n.id, n.case_id, n.author, n.body, n.created_at FROM case_notes n \
         WHERE n.workspace_id = $1 AND n.case_id IN (SELECT k.id FROM cases k \
         WHERE k.workspace_id = $1 AND k.customer_id = $2 ORDER BY k.id DESC LIMIT $3) \
         ORDER BY n.created_at DESC, n.id DESC LIMIT $4",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_CASES)
    .bind(TIMELINE_NOTES)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_case: BTreeMap<i64, Vec<TimelineNote>> = BTreeMap::new();
    for r in &notes {
        let note = TimelineNote {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            created_at: from_ts(r.try_get("created_at")?),
        };
        by_case.entry(note.case_id).or_default().push(note);
    }
    for case in &mut cases {
        case.notes = by_case.remove(&case.id).unwrap_or_default();
    }
    Ok(cases)
}

async fn engagements_of(
    conn: &mut AnyConnection,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<TimelineEngagement>> {
    let rows = sqlx::query(
        "SELECT id, answer_id, kind, status, discount_code, created_at, updated_at \
         FROM engagements WHERE workspace_id = $1 AND customer_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(workspace_id)
    .bind(customer_id)
    .bind(TIMELINE_ENGAGEMENTS)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TimelineEngagement {
                id: r.try_get("id")?,
                answer_id: r.try_get("answer_id")?,
                kind: r.try_get("kind")?,
                status: r.try_get("status")?,
                discount_code: r.try_get("discount_code")?,
                created_at: from_ts(r.try_get("created_at")?),
                updated_at: from_ts(r.try_get("updated_at")?),
            })
        })
        .collect()
}

/// "thank_you" → "Thank you", for summaries.
fn words(snake: &str) -> String {
    let text = snake.replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Merges the lists into one, newest first. Events at the same second keep the order in
/// which they happen (an answer before the case it opens, before the case's notes).
fn events(
    answers: &[TimelineAnswer],
    cases: &[TimelineCase],
    engagements: &[TimelineEngagement],
    follow_up: Option<&FollowUp>,
    changes: &[ScoreChange],
) -> Vec<TimelineEvent> {
    // (event, rank within the same second)
    let mut all: Vec<(TimelineEvent, u8)> = Vec::new();
    let mut push =
        |at, rank, kind: &str, summary: String, ids: (Option<i64>, Option<i64>, Option<i64>)| {
            all.push((
                TimelineEvent {
                    at,
                    kind: kind.to_owned(),
                    summary,
                    answer_id: ids.0,
                    case_id: ids.1,
                    engagement_id: ids.2,
                },
                rank,
            ));
        };
    for a in answers {
        let summary = match &a.comment {
            Some(c) => format!("Answered {} to {}: “{c}”", a.score, a.survey_name),
            None => format!("Answered {} to {}", a.score, a.survey_name),
        };
        push(
            a.answered_at,
            0,
            "answered",
            summary,
            (Some(a.id), None, None),
        );
    }
    for (at, answer_id, from, to, survey) in changes {
        let summary = format!("Changed the answer to {survey} from {from} to {to}");
        push(
            *at,
            1,
            "score_changed",
            summary,
            (Some(*answer_id), None, None),
        );
    }
    for k in cases {
        let ids = (None, Some(k.id), None);
        let opened = format!(
            "Case #{} opened ({} priority, assigned to {})",
            k.id, k.priority, k.assignee
        );
        push(k.created_at, 1, "case_opened", opened, ids);
        for n in &k.notes {
            let note = format!("Note on case #{} by {}: {}", k.id, n.author, n.body);
            push(n.created_at, 2, "note_added", note, ids);
        }
        if let Some(at) = k.first_contact_at {
            push(
                at,
                3,
                "case_contacted",
                format!("Case #{} — customer contacted", k.id),
                ids,
            );
        }
        if let Some(at) = k.escalated_at {
            let text = format!("Case #{} escalated: first contact overdue", k.id);
            push(at, 3, "case_escalated", text, ids);
        }
        if let Some(at) = k.resolved_at {
            let outcome = k
                .outcome
                .as_deref()
                .map(words)
                .unwrap_or_else(|| "No outcome".into());
            let text = format!("Case #{} resolved — {}", k.id, outcome.to_lowercase());
            push(at, 4, "case_resolved", text, ids);
        }
        if let Some(at) = k.closed_at {
            let text = match k.outcome.as_deref() {
                Some("withdrawn") => format!(
                    "Case #{} closed: withdrawn — score changed to {}",
                    k.id, k.score
                ),
                _ => format!("Case #{} closed", k.id),
            };
            push(at, 5, "case_closed", text, ids);
        }
    }
    for e in engagements {
        let ids = (Some(e.answer_id), None, Some(e.id));
        let what = words(&e.kind);
        push(
            e.created_at,
            2,
            "engagement_queued",
            format!("{what} queued"),
            ids,
        );
        if e.status != "queued" {
            let kind = format!("engagement_{}", e.status);
            let text = format!("{what} {}", e.status.replace('_', " "));
            push(e.updated_at, 3, &kind, text, ids);
        }
    }
    if let Some(f) = follow_up {
        let text = format!("Flagged for follow-up: {}", f.note);
        push(f.set_at, 6, "follow_up_set", text, (None, None, None));
    }
    all.sort_by(|(a, ra), (b, rb)| b.at.cmp(&a.at).then(rb.cmp(ra)));
    all.into_iter().map(|(e, _)| e).collect()
}
