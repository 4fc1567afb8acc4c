//! Cases: the follow-up of a detractor, from open to resolved, with its checklist, notes,
//! SLA and escalation. Cases are opened by `reactions` in the answer's own transaction;
//! here they are read, worked on and escalated.
//!
//! The lifecycle and what a change does are decided by [`advocate_core::case`]; here the
//! decision is written.
//!
//! Every change is one transaction that also queues a `case.updated` webhook event.
//! Follow-up that happened before it was recorded here is loaded by [`history`].

mod history;

pub use history::{CaseHistory, HistoricNote, HistoricStep};

use crate::closed_loop::context::format_due;
use crate::delivery::outbox::{enqueue_email, enqueue_event, enqueue_slack, EmailMessage};
use crate::models::WorkspaceSettings;
use crate::tenancy::lookup::{company_in, sender, settings_in};
use crate::Cases;
use crate::{from_ts, to_ts, Backend, Result, StoreError};
use advocate_core::case::{self, CaseState, CaseStatus, CaseUpdate, Lifecycle, Outcome};
use advocate_core::messages::{self, AlertFacts};
use advocate_core::{Language, Priority};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// A case as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub id: i64,
    /// `None` for an anonymous respondent.
    pub customer_external_id: Option<String>,
    pub customer_name: Option<String>,
    /// The answer that opened the case.
    pub answer_id: i64,
    pub survey_slug: String,
    pub score: u8,
    /// The comment of the answer that opened the case.
    pub comment: Option<String>,
    pub priority: Priority,
    pub status: CaseStatus,
    pub assignee: String,
    pub language: String,
    /// First contact is due by then: answered at + the priority's SLA hours.
    pub sla_due_at: DateTime<Utc>,
    /// Open, not contacted yet, and past its SLA due time.
    pub overdue: bool,
    pub first_contact_at: Option<DateTime<Utc>>,
    /// Seconds from the case's opening to the first contact.
    pub time_to_first_contact_secs: Option<i64>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub compensation: Option<String>,
    /// When the manager was alerted that the SLA was missed.
    pub escalated_at: Option<DateTime<Utc>>,
    /// The score that opened the case.
    pub before_score: u8,
    /// The first answer of the customer after the case was resolved, if any.
    pub after_score: Option<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One checklist item of a case (a playbook step).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseStep {
    /// 0-based, in playbook order.
    pub position: i64,
    pub text: String,
    pub done_at: Option<DateTime<Utc>>,
    /// Who ticked it: a user's email or an API key's name.
    pub done_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseNote {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// An answer tied to the case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkedAnswer {
    pub answer_id: i64,
    /// `trigger` (opened the case), `linked` (a later answer while it was open) or
    /// `resurvey` (the first answer after it was resolved).
    pub role: String,
    pub score: u8,
    pub comment: Option<String>,
    pub survey_slug: String,
    pub answered_at: DateTime<Utc>,
}

/// A case with its checklist, notes and answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub steps: Vec<CaseStep>,
    /// Oldest first.
    pub notes: Vec<CaseNote>,
    /// Oldest first.
    pub answers: Vec<LinkedAnswer>,
}

/// Which cases to list. Empty `statuses` means every status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub statuses: Vec<CaseStatus>,
    /// Exact assignee (case-insensitive).
    pub assignee: Option<String>,
    pub priority: Option<Priority>,
    /// `Some(true)`: only overdue; `Some(false)`: only those not overdue.
    pub overdue: Option<bool>,
    /// A customer's external id.
    pub customer: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// One page of cases, soonest SLA due first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CasePage {
    pub cases: Vec<Case>,
    /// How many cases match the filter in all.
    pub total: u64,
}

/// Closed-loop health (PRODUCT.md §5): how fast detractors are reached and how many are won
/// back. Counts of open/overdue are as of now; the rest covers cases opened in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClosedLoopHealth {
    /// Cases open or contacted (not resolved or closed) now.
    pub open: u64,
    /// Open cases past their SLA due time without a first contact, now.
    pub overdue: u64,
    /// Median seconds from opening to first contact, over cases of the period that had one.
    pub median_first_contact_secs: Option<i64>,
    /// Cases of the period that had a first contact.
    pub contacted: u64,
    /// Of those, contacted by their SLA due time.
    pub contacted_within_sla: u64,
    /// contacted_within_sla / contacted.
    pub within_sla_share: Option<f64>,
    /// Cases of the period resolved with an outcome.
    pub resolved: u64,
    pub recovered: u64,
    /// recovered / resolved.
    pub recovery_rate: Option<f64>,
    /// Open cases per assignee, most first.
    pub inbox: Vec<AssigneeLoad>,
    /// Cases of the period withdrawn because the detractor changed their score before
    /// anyone worked the case (not counted as resolved).
    pub withdrawn: u64,
    /// Anonymous detractor answers of the period without a case: nobody can be contacted,
    /// so they are for learning ("anonymous — learn, can't contact").
    pub anonymous_for_review: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssigneeLoad {
    pub assignee: String,
    pub open: u64,
    pub overdue: u64,
}

/// Most cases one escalation pass handles per transaction.
const ESCALATION_BATCH: i64 = 100;

const CASE_SELECT: &str = "SELECT k.id, k.answer_id, k.score, k.priority, k.status, k.assignee, \
     k.language, k.sla_due_at, k.first_contact_at, k.resolved_at, k.closed_at, k.outcome, \
     k.compensation, k.escalated_at, k.created_at, k.updated_at, k.customer_id, \
     cu.external_id AS customer_external_id, cu.name AS customer_name, a.comment, s.slug, \
     r.score AS after_score \
     FROM cases k JOIN answers a ON a.id = k.answer_id JOIN surveys s ON s.id = k.survey_id \
     LEFT JOIN customers cu ON cu.id = k.customer_id \
     LEFT JOIN answers r ON r.id = k.resurvey_answer_id";

fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ts))
}

fn score_u8(v: i64) -> Result<u8> {
    u8::try_from(v).map_err(|_| StoreError::Invalid("stored score out of range".into()))
}

fn case_from(row: &AnyRow, now: DateTime<Utc>) -> Result<Case> {
    let status: String = row.try_get("status")?;
    let status = CaseStatus::parse(&status)
        .ok_or_else(|| StoreError::Invalid(format!("stored case status {status:?} is unknown")))?;
    let priority: String = row.try_get("priority")?;
    let created_at = from_ts(row.try_get("created_at")?);
    let sla_due_at = from_ts(row.try_get("sla_due_at")?);
    let first_contact_at = opt_ts(row, "first_contact_at")?;
    let score = score_u8(row.try_get("score")?)?;
    Ok(Case {
        id: row.try_get("id")?,
        customer_external_id: row.try_get("customer_external_id")?,
        customer_name: row.try_get("customer_name")?,
        answer_id: row.try_get("answer_id")?,
        survey_slug: row.try_get("slug")?,
        score,
        comment: row.try_get("comment")?,
        priority: Priority::parse(&priority).unwrap_or(Priority::Normal),
        status,
        assignee: row.try_get("assignee")?,
        language: row.try_get("language")?,
        sla_due_at,
        overdue: status == CaseStatus::Open && first_contact_at.is_none() && sla_due_at < now,
        time_to_first_contact_secs: first_contact_at.map(|f| (f - created_at).num_seconds()),
        first_contact_at,
        resolved_at: opt_ts(row, "resolved_at")?,
        closed_at: opt_ts(row, "closed_at")?,
        outcome: row
            .try_get::<Option<String>, _>("outcome")?
            .as_deref()
            .and_then(Outcome::stored),
        compensation: row.try_get("compensation")?,
        escalated_at: opt_ts(row, "escalated_at")?,
        before_score: score,
        after_score: row
            .try_get::<Option<i64>, _>("after_score")?
            .map(score_u8)
            .transpose()?,
        created_at,
        updated_at: from_ts(row.try_get("updated_at")?),
    })
}

/// The WHERE clause of a filter (after `k.workspace_id = $1`) and its text parameters in
/// order, numbered from `$3` (`$2` is always "now").
fn filter_sql(f: &CaseFilter) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut params: Vec<String> = Vec::new();
    fn param(value: String, params: &mut Vec<String>) -> String {
        params.push(value);
        format!("${}", params.len() + 2)
    }
    if !f.statuses.is_empty() {
        let list: Vec<String> = f
            .statuses
            .iter()
            .map(|s| param(s.as_str().to_owned(), &mut params))
            .collect();
        sql.push_str(&format!(" AND k.status IN ({})", list.join(", ")));
    }
    if let Some(a) = &f.assignee {
        let p = param(a.to_lowercase(), &mut params);
        sql.push_str(&format!(" AND LOWER(k.assignee) = {p}"));
    }
    if let Some(p) = f.priority {
        let p = param(p.as_str().to_owned(), &mut params);
        sql.push_str(&format!(" AND k.priority = {p}"));
    }
    if let Some(c) = &f.customer {
        let p = param(c.clone(), &mut params);
        sql.push_str(&format!(" AND cu.external_id = {p}"));
    }
    const OVERDUE: &str =
        "(k.status = 'open' AND k.first_contact_at IS NULL AND k.sla_due_at < $2)";
    match f.overdue {
        Some(true) => sql.push_str(&format!(" AND {OVERDUE}")),
        Some(false) => sql.push_str(&format!(" AND NOT {OVERDUE}")),
        None => {}
    }
    (sql, params)
}

impl Cases<'_> {
    /// Cases matching `filter`, soonest SLA due first.
    #[tracing::instrument(name = "cases.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64, filter: &CaseFilter) -> Result<CasePage> {
        let now = Utc::now();
        let (cond, params) = filter_sql(filter);
        let count_sql = format!(
            "SELECT COUNT(*) FROM cases k LEFT JOIN customers cu ON cu.id = k.customer_id \
             WHERE k.workspace_id = $1 AND $2 = $2{cond}"
        );
        let mut q = sqlx::query_scalar(&count_sql)
            .bind(workspace_id)
            .bind(to_ts(now));
        for p in &params {
            q = q.bind(p.clone());
        }
        let total: i64 = q.fetch_one(&self.store.pool).await?;
        let n = params.len() + 2;
        let list_sql = format!(
            "{CASE_SELECT} WHERE k.workspace_id = $1 AND $2 = $2{cond} \
             ORDER BY k.sla_due_at, k.id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(&list_sql).bind(workspace_id).bind(to_ts(now));
        for p in &params {
            q = q.bind(p.clone());
        }
        let rows = q
            .bind(i64::from(filter.limit.clamp(1, 500)))
            .bind(i64::from(filter.offset))
            .fetch_all(&self.store.pool)
            .await?;
        Ok(CasePage {
            cases: rows
                .iter()
                .map(|r| case_from(r, now))
                .collect::<Result<_>>()?,
            total: total as u64,
        })
    }

    /// One case with its checklist, notes and answers; `None` when the workspace has no
    /// such case.
    #[tracing::instrument(name = "cases.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<CaseDetail>> {
        let mut conn = self.store.pool.acquire().await?;
        case_detail_in(&mut conn, workspace_id, id).await
    }

    /// Applies `update` to a case on behalf of `actor` (a user's email or an API key's
    /// name), in one transaction with its `case.updated` event (and the re-survey email
    /// when the case is resolved and the workspace asks for one). What the change does is
    /// decided by [`advocate_core::case::plan`] on the case as locked here.
    #[tracing::instrument(name = "cases.update", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn update(
        &self,
        workspace_id: i64,
        id: i64,
        update: &CaseUpdate,
        actor: &str,
    ) -> Result<CaseDetail> {
        update.check_not_empty()?;
        let ctx = self.store.reaction_context().await?;
        let mut tx = self.store.begin_write().await?;
        let (state, asked) = self.case_state_in(&mut tx, workspace_id, id).await?;
        let now = Utc::now();
        let plan = case::plan(&state, update, now)?;
        write_plan(&mut tx, id, &plan, actor, now).await?;
        if let Some(note) = &plan.note {
            add_note_in(&mut tx, workspace_id, id, actor, note).await?;
        }
        let detail = case_detail_in(&mut tx, workspace_id, id)
            .await?
            .expect("the case was just updated");
        enqueue_event(
            &mut tx,
            workspace_id,
            "case.updated",
            json!({
                "case_id": id,
                "changes": plan.changes,
                "by": actor,
                "status": detail.case.status,
                "outcome": detail.case.outcome,
                "assignee": detail.case.assignee,
                "first_contact_at": detail.case.first_contact_at.map(|t| t.to_rfc3339()),
            }),
        )
        .await?;
        if plan.resolved {
            let settings = settings_in(&mut tx, workspace_id).await?;
            if let Some(customer_id) = asked.customer_id {
                if settings.resurvey_after_resolution {
                    queue_resurvey(&mut tx, &ctx, &settings, workspace_id, customer_id, &asked)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(detail)
    }

    /// The case as the rules need it, locked for the rest of the transaction on
    /// PostgreSQL (SQLite has one writer at a time), and whom it asked what.
    async fn case_state_in(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
        id: i64,
    ) -> Result<(CaseState, Asked)> {
        let lock = if self.store.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "SELECT status, outcome, first_contact_at, resolved_at, closed_at, compensation, \
             assignee, customer_id, survey_id, language FROM cases \
             WHERE workspace_id = $1 AND id = $2{lock}"
        ))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no case {id}")))?;
        let status = CaseStatus::parse(&row.try_get::<String, _>("status")?)
            .ok_or_else(|| StoreError::Invalid("stored case status is unknown".into()))?;
        let steps: Vec<i64> =
            sqlx::query_scalar("SELECT position FROM case_steps WHERE case_id = $1")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        let state = CaseState {
            id,
            lifecycle: Lifecycle {
                status,
                outcome: row
                    .try_get::<Option<String>, _>("outcome")?
                    .as_deref()
                    .and_then(Outcome::stored),
                first_contact_at: opt_ts(&row, "first_contact_at")?,
                resolved_at: opt_ts(&row, "resolved_at")?,
                closed_at: opt_ts(&row, "closed_at")?,
            },
            compensation: row.try_get("compensation")?,
            assignee: row.try_get("assignee")?,
            steps,
        };
        let asked = Asked {
            customer_id: row.try_get("customer_id")?,
            survey_id: row.try_get("survey_id")?,
            language: row.try_get("language")?,
        };
        Ok((state, asked))
    }

    /// Adds a note to a case (closed ones too), queuing `case.updated`.
    #[tracing::instrument(name = "cases.add_note", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn add_note(
        &self,
        workspace_id: i64,
        id: i64,
        author: &str,
        body: &str,
    ) -> Result<CaseNote> {
        let body = case::note_body(body)?;
        let mut tx = self.store.begin_write().await?;
        let ts = to_ts(Utc::now());
        let n = sqlx::query("UPDATE cases SET updated_at = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(ts)
            .bind(workspace_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("no case {id}")));
        }
        let note_id = add_note_in(&mut tx, workspace_id, id, author, body).await?;
        enqueue_event(
            &mut tx,
            workspace_id,
            "case.updated",
            json!({"case_id": id, "changes": ["note added"], "by": author, "note_id": note_id}),
        )
        .await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(CaseNote {
            id: note_id,
            author: author.to_owned(),
            body: body.to_owned(),
            created_at: from_ts(ts),
        })
    }

    /// Marks every open case whose first-contact SLA has passed (and that was not
    /// escalated yet) as escalated, and in the same transaction queues `case.overdue`, the
    /// escalation email to the workspace's manager and a chat alert. Each case is
    /// escalated exactly once, however many instances run this at the same time: the
    /// `UPDATE … WHERE escalated_at IS NULL … RETURNING` claims it atomically. Returns how
    /// many cases were escalated.
    #[tracing::instrument(name = "cases.escalate_overdue", level = "debug", skip_all)]
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.escalate_batch(now).await?;
            total += n;
            if (n as i64) < ESCALATION_BATCH {
                break;
            }
        }
        if total > 0 {
            self.store.wake_outbox();
        }
        Ok(total)
    }

    async fn escalate_batch(&self, now: DateTime<Utc>) -> Result<usize> {
        // On PostgreSQL, rows another instance is escalating right now are skipped rather
        // than waited for; the outer `escalated_at IS NULL` is re-checked after any wait.
        let skip = if self.store.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let ts = to_ts(now);
        let mut tx = self.store.begin_write().await?;
        let claimed: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "UPDATE cases SET escalated_at = $1, updated_at = $1 WHERE escalated_at IS NULL \
             AND id IN (SELECT id FROM cases WHERE status = 'open' AND first_contact_at IS NULL \
             AND escalated_at IS NULL AND sla_due_at < $1 ORDER BY sla_due_at, id LIMIT $2{skip}) \
             RETURNING id, workspace_id"
        ))
        .bind(ts)
        .bind(ESCALATION_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let mut settings: BTreeMap<i64, (WorkspaceSettings, String, Language)> = BTreeMap::new();
        for (id, ws) in &claimed {
            if !settings.contains_key(ws) {
                let s = settings_in(&mut tx, *ws).await?;
                let (company, lang) = company_in(&mut tx, *ws).await?;
                settings.insert(*ws, (s, company, lang));
            }
            let (s, company, lang) = &settings[ws];
            let case = case_detail_in(&mut tx, *ws, *id)
                .await?
                .expect("claimed case exists")
                .case;
            queue_escalation(
                &mut tx,
                self.store.public_url(),
                *ws,
                s,
                company,
                lang,
                &case,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(claimed.len())
    }

    /// Closed-loop health of the workspace; the period covers cases opened at or after
    /// `since` (all time when `None`).
    #[tracing::instrument(name = "cases.health", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn health(
        &self,
        workspace_id: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<ClosedLoopHealth> {
        self.health_between(workspace_id, since, None).await
    }

    /// Closed-loop health of the cases opened in `[since, until)` only, for a report of a
    /// period that has ended (a quarter): every figure, open and overdue included, counts
    /// cases opened in the period, never one opened after it (those still open today).
    /// With `until = None` open and overdue count every case open today.
    #[tracing::instrument(name = "cases.health_between", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn health_between(
        &self,
        workspace_id: i64,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<ClosedLoopHealth> {
        let now = to_ts(Utc::now());
        let end = until.map_or(i64::MAX, to_ts);
        let open_from = match until {
            Some(_) => since.map_or(i64::MIN, to_ts),
            None => i64::MIN,
        };
        let inbox_rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT assignee, COUNT(*), SUM(CASE WHEN status = 'open' AND first_contact_at IS NULL \
             AND sla_due_at < $2 THEN 1 ELSE 0 END) FROM cases \
             WHERE workspace_id = $1 AND status IN ('open', 'contacted') \
             AND created_at >= $3 AND created_at < $4 \
             GROUP BY assignee ORDER BY COUNT(*) DESC, assignee",
        )
        .bind(workspace_id)
        .bind(now)
        .bind(open_from)
        .bind(end)
        .fetch_all(&self.store.pool)
        .await?;
        let inbox: Vec<AssigneeLoad> = inbox_rows
            .into_iter()
            .map(|(assignee, open, overdue)| AssigneeLoad {
                assignee,
                open: open as u64,
                overdue: overdue as u64,
            })
            .collect();
        let rows: Vec<(i64, i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT created_at, sla_due_at, first_contact_at, outcome FROM cases \
             WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3",
        )
        .bind(workspace_id)
        .bind(since.map_or(i64::MIN, to_ts))
        .bind(end)
        .fetch_all(&self.store.pool)
        .await?;
        let mut waits: Vec<i64> = Vec::new();
        let mut within = 0u64;
        let (mut resolved, mut recovered, mut withdrawn) = (0u64, 0u64, 0u64);
        for (created, due, first, outcome) in &rows {
            if outcome.as_deref() == Some(Outcome::Withdrawn.as_str()) {
                withdrawn += 1;
                continue;
            }
            if let Some(f) = first {
                waits.push(f - created);
                if f <= due {
                    within += 1;
                }
            }
            if let Some(o) = outcome {
                resolved += 1;
                if o == Outcome::Recovered.as_str() {
                    recovered += 1;
                }
            }
        }
        waits.sort_unstable();
        let median = match waits.len() {
            0 => None,
            n if n % 2 == 1 => Some(waits[n / 2]),
            n => Some((waits[n / 2 - 1] + waits[n / 2]) / 2),
        };
        let share = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        Ok(ClosedLoopHealth {
            open: inbox.iter().map(|l| l.open).sum(),
            overdue: inbox.iter().map(|l| l.overdue).sum(),
            median_first_contact_secs: median,
            contacted: waits.len() as u64,
            contacted_within_sla: within,
            within_sla_share: share(within, waits.len() as u64),
            resolved,
            recovered,
            recovery_rate: share(recovered, resolved),
            inbox,
            withdrawn,
            anonymous_for_review: self.count_anonymous_for_review(workspace_id, since).await?,
        })
    }
}

/// Anonymous NPS detractor answers without a case (not anonymised ones: they lost their
/// customer link to retention, not at answering), as SQL conditions on `a`.
const FOR_REVIEW: &str = "a.customer_id IS NULL AND a.anonymised_at IS NULL AND a.score <= 6 \
     AND EXISTS (SELECT 1 FROM surveys s WHERE s.id = a.survey_id AND s.kind = 'nps') \
     AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.answer_id = a.id)";

impl Cases<'_> {
    /// How many anonymous detractor answers since `since` have no case and are flagged for
    /// review (see `WorkspaceSettings::anonymous_detractors`).
    #[tracing::instrument(name = "cases.count_anonymous_for_review", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn count_anonymous_for_review(
        &self,
        workspace_id: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM answers a WHERE a.workspace_id = $1 AND a.answered_at >= $2 \
             AND {FOR_REVIEW}"
        ))
        .bind(workspace_id)
        .bind(since.map_or(i64::MIN, to_ts))
        .fetch_one(&self.store.pool)
        .await?;
        Ok(n as u64)
    }

    /// Which of `answer_ids` are anonymous detractors flagged for review: no one to
    /// contact and no case, so the comment stream marks them "anonymous — learn, can't
    /// contact".
    #[tracing::instrument(name = "cases.anonymous_for_review", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn anonymous_for_review(
        &self,
        workspace_id: i64,
        answer_ids: &[i64],
    ) -> Result<std::collections::HashSet<i64>> {
        if answer_ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT a.id FROM answers a WHERE a.workspace_id = $1 AND a.id IN ({}) AND {FOR_REVIEW}",
            crate::many_rows::placeholders(2, answer_ids.len())
        );
        let mut query = sqlx::query_scalar(&sql).bind(workspace_id);
        for id in answer_ids {
            query = query.bind(*id);
        }
        let ids: Vec<i64> = query.fetch_all(&self.store.pool).await?;
        Ok(ids.into_iter().collect())
    }
}

pub(crate) async fn case_detail_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    id: i64,
) -> Result<Option<CaseDetail>> {
    let now = Utc::now();
    let row = sqlx::query(&format!(
        "{CASE_SELECT} WHERE k.workspace_id = $1 AND k.id = $2"
    ))
    .bind(workspace_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let case = case_from(&row, now)?;
    let steps = sqlx::query(
        "SELECT position, text, done_at, done_by FROM case_steps WHERE case_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(CaseStep {
            position: r.try_get("position")?,
            text: r.try_get("text")?,
            done_at: opt_ts(r, "done_at")?,
            done_by: r.try_get("done_by")?,
        })
    })
    .collect::<Result<_>>()?;
    let notes = sqlx::query(
        "SELECT id, author, body, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(CaseNote {
            id: r.try_get("id")?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            created_at: from_ts(r.try_get("created_at")?),
        })
    })
    .collect::<Result<_>>()?;
    let answers = sqlx::query(
        "SELECT a.id, a.score, a.comment, a.answered_at, s.slug, 'trigger' AS role FROM cases k \
         JOIN answers a ON a.id = k.answer_id JOIN surveys s ON s.id = a.survey_id WHERE k.id = $1 \
         UNION ALL SELECT a.id, a.score, a.comment, a.answered_at, s.slug, 'linked' AS role \
         FROM case_answers l JOIN answers a ON a.id = l.answer_id JOIN surveys s ON s.id = a.survey_id \
         WHERE l.case_id = $1 \
         UNION ALL SELECT a.id, a.score, a.comment, a.answered_at, s.slug, 'resurvey' AS role FROM cases k \
         JOIN answers a ON a.id = k.resurvey_answer_id JOIN surveys s ON s.id = a.survey_id WHERE k.id = $1 \
         ORDER BY 4, 1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(LinkedAnswer {
            answer_id: r.try_get("id")?,
            role: r.try_get("role")?,
            score: score_u8(r.try_get("score")?)?,
            comment: r.try_get("comment")?,
            survey_slug: r.try_get("slug")?,
            answered_at: from_ts(r.try_get("answered_at")?),
        })
    })
    .collect::<Result<_>>()?;
    Ok(Some(CaseDetail {
        case,
        steps,
        notes,
        answers,
    }))
}

/// Whom a case's survey asked, for the re-survey after it is resolved.
struct Asked {
    customer_id: Option<i64>,
    survey_id: i64,
    language: String,
}

/// Writes what [`case::plan`] decided: the case's fields as they are after the change,
/// and the steps ticked or unticked by `actor`.
async fn write_plan(
    conn: &mut AnyConnection,
    id: i64,
    plan: &case::CasePlan,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let l = &plan.lifecycle;
    sqlx::query(
        "UPDATE cases SET status = $1, outcome = $2, first_contact_at = $3, resolved_at = $4, \
         closed_at = $5, compensation = $6, assignee = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(l.status.as_str())
    .bind(l.outcome.map(Outcome::as_str))
    .bind(l.first_contact_at.map(to_ts))
    .bind(l.resolved_at.map(to_ts))
    .bind(l.closed_at.map(to_ts))
    .bind(plan.compensation.clone())
    .bind(&plan.assignee)
    .bind(to_ts(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for (position, done) in &plan.steps {
        sqlx::query(
            "UPDATE case_steps SET done_at = $1, done_by = $2 WHERE case_id = $3 AND position = $4",
        )
        .bind(done.then(|| to_ts(now)))
        .bind(done.then(|| actor.to_owned()))
        .bind(id)
        .bind(*position)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Asks the customer of a just-resolved case to answer the case's survey again. Returns
/// whether an email was queued (the customer needs an address).
async fn queue_resurvey(
    conn: &mut AnyConnection,
    ctx: &crate::closed_loop::context::Context<'_>,
    settings: &WorkspaceSettings,
    workspace_id: i64,
    customer_id: i64,
    asked: &Asked,
) -> Result<bool> {
    let customer = crate::feedback::customers::customer_by_id_in(conn, workspace_id, customer_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no customer with id {customer_id}")))?;
    let public_id: String = sqlx::query_scalar("SELECT public_id FROM surveys WHERE id = $1")
        .bind(asked.survey_id)
        .fetch_one(&mut *conn)
        .await?;
    let (company, default_lang) = company_in(conn, workspace_id).await?;
    let lang = Language::new(&asked.language).unwrap_or(default_lang);
    let url = format!("{}/s/{public_id}", ctx.public_url);
    let content = messages::resurvey(&lang, &company, customer.name.as_deref(), &url);
    let Some(msg) =
        crate::closed_loop::context::customer_email(ctx, settings, &customer, &lang, content)
    else {
        return Ok(false);
    };
    enqueue_email(conn, workspace_id, "case.resurvey", &msg).await?;
    Ok(true)
}

async fn queue_escalation(
    conn: &mut AnyConnection,
    public_url: &str,
    ws: i64,
    settings: &WorkspaceSettings,
    company: &str,
    lang: &Language,
    case: &Case,
) -> Result<()> {
    let ws_cases_url = format!("{}/cases/{}", public_url.trim_end_matches('/'), case.id);
    let customer = case
        .customer_name
        .clone()
        .or_else(|| case.customer_external_id.clone())
        .unwrap_or_else(|| messages::anonymous_respondent(lang).to_owned());
    let due = format_due(case.sla_due_at);
    let facts = AlertFacts {
        company,
        case_id: case.id,
        score: case.score,
        customer: &customer,
        comment: case.comment.as_deref(),
        priority: case.priority,
        assignee: &case.assignee,
        due: &due,
        case_url: &ws_cases_url,
    };
    enqueue_event(
        conn,
        ws,
        "case.overdue",
        json!({
            "case_id": case.id,
            "score": case.score,
            "priority": case.priority,
            "assignee": case.assignee,
            "sla_due_at": case.sla_due_at.to_rfc3339(),
            "customer": case.customer_external_id,
            "url": ws_cases_url,
        }),
    )
    .await?;
    if let Some(to) = &settings.manager_email {
        let content = messages::escalation(lang, &facts);
        let msg = EmailMessage {
            from: sender(settings),
            to: to.clone(),
            subject: content.subject,
            text: content.text,
            html: content.html,
            engagement_ids: Vec::new(),
            ..Default::default()
        };
        enqueue_email(conn, ws, "case.overdue", &msg).await?;
    }
    if let Some(url) = &settings.slack_webhook_url {
        enqueue_slack(
            conn,
            ws,
            "case.overdue",
            url,
            &messages::slack_overdue(lang, &facts),
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn add_note_in(
    conn: &mut AnyConnection,
    ws: i64,
    case_id: i64,
    author: &str,
    body: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO case_notes (workspace_id, case_id, author, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(ws)
    .bind(case_id)
    .bind(author)
    .bind(body)
    .bind(to_ts(Utc::now()))
    .fetch_one(&mut *conn)
    .await?)
}
