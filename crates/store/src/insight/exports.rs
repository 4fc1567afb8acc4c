//! Row-by-row reads for exports (answers, customers, cases) in batches of a bounded size,
//! keyed by id, so a million-row export never holds more than one batch in memory and a
//! row written while the export runs cannot shift the pages (unlike LIMIT/OFFSET).
//!
//! Rows come back as typed [`Cell`]s in a fixed column order ([`ExportTable::columns`]);
//! the server turns them into CSV or XLSX without knowing any table.

use crate::many_rows::placeholders;
use crate::Exports;
use crate::{from_ts, to_ts, Result};
use advocate_core::case::CaseStatus;
use advocate_core::{Score, SurveyKind};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Largest batch one call returns.
pub const EXPORT_BATCH_MAX: u32 = 5000;

/// What can be exported row by row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTable {
    Answers,
    Customers,
    Cases,
}

impl ExportTable {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "answers" => Some(Self::Answers),
            "customers" => Some(Self::Customers),
            "cases" => Some(Self::Cases),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answers => "answers",
            Self::Customers => "customers",
            Self::Cases => "cases",
        }
    }

    /// The header row, in the order of each row's cells. Money is in minor units (cents)
    /// of the workspace's reporting currency, so the figures are exact.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Answers => &[
                "answer_id",
                "answered_at",
                "survey",
                "survey_kind",
                "score",
                "category",
                "comment",
                "channel",
                "touchpoint",
                "language",
                "customer_external_id",
                "customer_name",
                "answer_external_id",
                "attributes",
            ],
            Self::Customers => &[
                "external_id",
                "name",
                "email",
                "phone",
                "language",
                "account_manager",
                "attributes",
                "created_at",
                "latest_nps_score",
                "customer_since",
                "churned_at",
                "orders",
                "revenue_minor",
            ],
            Self::Cases => &[
                "case_id",
                "opened_at",
                "status",
                "priority",
                "score",
                "score_after",
                "comment",
                "survey",
                "customer_external_id",
                "customer_name",
                "assignee",
                "sla_due_at",
                "first_contact_at",
                "resolved_at",
                "closed_at",
                "outcome",
                "compensation",
            ],
        }
    }
}

/// One value of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Time(DateTime<Utc>),
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        v.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::Empty, Cell::Int)
    }
}

/// Which rows to export; fields that do not apply to a table are ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportFilter {
    /// Answers answered at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Answers answered before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Answers of this survey (slug) only.
    pub survey: Option<String>,
    /// Cases in these statuses only; empty means every status.
    pub statuses: Vec<CaseStatus>,
}

/// One batch of rows, and the id to continue after (`None` when this was the last batch).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportBatch {
    pub rows: Vec<Vec<Cell>>,
    pub next_after: Option<i64>,
}

fn time(row: &AnyRow, col: &str) -> Result<Cell> {
    Ok(row
        .try_get::<Option<i64>, _>(col)?
        .map_or(Cell::Empty, |t| Cell::Time(from_ts(t))))
}

fn text(row: &AnyRow, col: &str) -> Result<Cell> {
    Ok(row
        .try_get::<Option<String>, _>(col)?
        .filter(|s| !s.is_empty())
        .into())
}

fn int(row: &AnyRow, col: &str) -> Result<Cell> {
    Ok(row.try_get::<Option<i64>, _>(col)?.into())
}

fn answer_row(row: &AnyRow) -> Result<Vec<Cell>> {
    let kind: String = row.try_get("kind")?;
    let score: i64 = row.try_get("score")?;
    // eNPS shares the 0–10 scale and its categories; CSAT (1–5) has none.
    let zero_to_ten = matches!(
        SurveyKind::parse(&kind),
        Ok(SurveyKind::Nps | SurveyKind::Enps)
    );
    let category = zero_to_ten
        .then(|| Score::new(score).ok())
        .flatten()
        .map_or(Cell::Empty, |s| {
            Cell::Text(s.category().as_str().to_owned())
        });
    // eNPS is anonymous: its answers are exported with the month only, and without the
    // channel, language, external id and attributes, which could point at the one
    // employee who answered then, or name a group smaller than the reports show (the
    // reports break eNPS down by attribute with the minimum group size).
    let enps = kind == SurveyKind::Enps.as_str();
    let (answered_at, channel, language, external_id, attributes) = match enps {
        true => (
            row.try_get::<Option<i64>, _>("answered_at")?
                .map_or(Cell::Empty, |t| {
                    Cell::Text(from_ts(t).format("%Y-%m").to_string())
                }),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ),
        false => (
            time(row, "answered_at")?,
            text(row, "channel")?,
            text(row, "language")?,
            text(row, "external_id")?,
            text(row, "attributes")?,
        ),
    };
    Ok(vec![
        Cell::Int(row.try_get("id")?),
        answered_at,
        text(row, "slug")?,
        Cell::Text(kind),
        Cell::Int(score),
        category,
        text(row, "comment")?,
        channel,
        text(row, "touchpoint")?,
        language,
        text(row, "customer_external_id")?,
        text(row, "customer_name")?,
        external_id,
        attributes,
    ])
}

fn customer_row(row: &AnyRow) -> Result<Vec<Cell>> {
    Ok(vec![
        text(row, "external_id")?,
        text(row, "name")?,
        text(row, "email")?,
        text(row, "phone")?,
        text(row, "language")?,
        text(row, "account_manager")?,
        text(row, "attributes")?,
        time(row, "created_at")?,
        int(row, "latest_nps")?,
        time(row, "customer_since")?,
        time(row, "churned_at")?,
        int(row, "orders")?,
        int(row, "revenue_minor")?,
    ])
}

fn case_row(row: &AnyRow) -> Result<Vec<Cell>> {
    Ok(vec![
        Cell::Int(row.try_get("id")?),
        time(row, "created_at")?,
        text(row, "status")?,
        text(row, "priority")?,
        int(row, "score")?,
        int(row, "after_score")?,
        text(row, "comment")?,
        text(row, "slug")?,
        text(row, "customer_external_id")?,
        text(row, "customer_name")?,
        text(row, "assignee")?,
        time(row, "sla_due_at")?,
        time(row, "first_contact_at")?,
        time(row, "resolved_at")?,
        time(row, "closed_at")?,
        text(row, "outcome")?,
        text(row, "compensation")?,
    ])
}

impl Exports<'_> {
    /// Up to `limit` (capped at [`EXPORT_BATCH_MAX`]) rows of `table` with an id above
    /// `after` (start with 0), in id order, for one workspace.
    #[tracing::instrument(name = "exports.batch", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn batch(
        &self,
        workspace_id: i64,
        table: ExportTable,
        filter: &ExportFilter,
        after: i64,
        limit: u32,
    ) -> Result<ExportBatch> {
        let limit = i64::from(limit.clamp(1, EXPORT_BATCH_MAX));
        let rows = match table {
            ExportTable::Answers => self.answer_rows(workspace_id, filter, after, limit).await?,
            ExportTable::Customers => self.customer_rows(workspace_id, after, limit).await?,
            ExportTable::Cases => self.case_rows(workspace_id, filter, after, limit).await?,
        };
        let to_cells = match table {
            ExportTable::Answers => answer_row,
            ExportTable::Customers => customer_row,
            ExportTable::Cases => case_row,
        };
        let last_id = match rows.last() {
            Some(r) => Some(r.try_get::<i64, _>("id")?),
            None => None,
        };
        let full = rows.len() as i64 == limit;
        Ok(ExportBatch {
            rows: rows.iter().map(to_cells).collect::<Result<_>>()?,
            next_after: last_id.filter(|_| full),
        })
    }

    /// A batch of answers after id `after`, in the filter's period and survey.
    async fn answer_rows(
        &self,
        workspace_id: i64,
        filter: &ExportFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AnyRow>> {
        Ok(sqlx::query(
            "SELECT a.id, a.answered_at, s.slug, s.kind, a.score, a.comment, a.channel, \
             a.touchpoint, a.language, c.external_id AS customer_external_id, \
             c.name AS customer_name, a.external_id, a.attributes \
             FROM answers a JOIN surveys s ON s.id = a.survey_id \
             LEFT JOIN customers c ON c.id = a.customer_id \
             WHERE a.workspace_id = $1 AND a.id > $2 \
             AND a.answered_at >= $3 AND a.answered_at < $4 \
             AND ($5 = '' OR s.slug = $5) ORDER BY a.id LIMIT $6",
        )
        .bind(workspace_id)
        .bind(after)
        .bind(filter.from.map_or(i64::MIN, to_ts))
        .bind(filter.to.map_or(i64::MAX, to_ts))
        .bind(filter.survey.clone().unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.store.pool)
        .await?)
    }

    /// A batch of customers after id `after`, with their latest NPS, spells and orders.
    async fn customer_rows(
        &self,
        workspace_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AnyRow>> {
        // SUM is NUMERIC on PostgreSQL, which the Any driver cannot decode: cast.
        Ok(sqlx::query(
            "SELECT c.id, c.external_id, c.name, c.email, c.phone, c.language, \
             c.account_manager, c.attributes, c.created_at, \
             (SELECT a.score FROM answers a JOIN surveys s ON s.id = a.survey_id \
              WHERE a.customer_id = c.id AND s.kind = 'nps' \
              ORDER BY a.answered_at DESC, a.id DESC LIMIT 1) AS latest_nps, \
             (SELECT MIN(p.started_at) FROM customer_spells p \
              WHERE p.workspace_id = c.workspace_id AND p.customer_id = c.id) \
              AS customer_since, \
             (SELECT p.ended_at FROM customer_spells p \
              WHERE p.workspace_id = c.workspace_id AND p.customer_id = c.id \
              ORDER BY p.started_at DESC, p.id DESC LIMIT 1) AS churned_at, \
             (SELECT COUNT(*) FROM orders o \
              WHERE o.workspace_id = c.workspace_id AND o.customer_id = c.id) AS orders, \
             (SELECT CAST(SUM(o.amount_minor) AS BIGINT) FROM orders o \
              WHERE o.workspace_id = c.workspace_id AND o.customer_id = c.id) \
              AS revenue_minor \
             FROM customers c WHERE c.workspace_id = $1 AND c.id > $2 \
             ORDER BY c.id LIMIT $3",
        )
        .bind(workspace_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.store.pool)
        .await?)
    }

    /// A batch of cases after id `after`, in the filter's statuses (all when empty).
    async fn case_rows(
        &self,
        workspace_id: i64,
        filter: &ExportFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AnyRow>> {
        let status_filter = if filter.statuses.is_empty() {
            String::new()
        } else {
            format!(
                "AND k.status IN ({})",
                placeholders(4, filter.statuses.len())
            )
        };
        let sql = format!(
            "SELECT k.id, k.created_at, k.status, k.priority, k.score, \
             r.score AS after_score, a.comment, s.slug, \
             cu.external_id AS customer_external_id, cu.name AS customer_name, \
             k.assignee, k.sla_due_at, k.first_contact_at, k.resolved_at, k.closed_at, \
             k.outcome, k.compensation \
             FROM cases k JOIN answers a ON a.id = k.answer_id \
             JOIN surveys s ON s.id = k.survey_id \
             LEFT JOIN customers cu ON cu.id = k.customer_id \
             LEFT JOIN answers r ON r.id = k.resurvey_answer_id \
             WHERE k.workspace_id = $1 AND k.id > $2 {status_filter} \
             ORDER BY k.id LIMIT $3"
        );
        let mut q = sqlx::query(&sql).bind(workspace_id).bind(after).bind(limit);
        for s in &filter.statuses {
            q = q.bind(s.as_str());
        }
        Ok(q.fetch_all(&self.store.pool).await?)
    }
}

/// A comment for a report.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodComment {
    pub score: u8,
    pub comment: String,
    pub answered_at: DateTime<Utc>,
    pub survey: String,
    pub channel: String,
}

impl Exports<'_> {
    /// Commented NPS answers with a score in `min..=max` chosen across the days
    /// `first..=last` rather than from its end: each calendar month in it offers its most
    /// informative comments (the longest: more words say more about why), and the months
    /// take turns, first month first, until `limit` are chosen; then they are listed in
    /// date order. So a quarter's three months each give a third of the comments.
    #[tracing::instrument(name = "exports.spread_comments", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn spread_comments(
        &self,
        workspace_id: i64,
        first: NaiveDate,
        last: NaiveDate,
        range: (u8, u8),
        limit: u32,
    ) -> Result<Vec<PeriodComment>> {
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let mut months: Vec<Vec<PeriodComment>> = Vec::new();
        let mut start = first;
        while start <= last {
            let next_month = (start.with_day(1).unwrap_or(start) + Months::new(1))
                .min(last.succ_opt().unwrap_or(last));
            months.push(
                self.comments_by_length(
                    workspace_id,
                    midnight(start),
                    midnight(next_month),
                    range,
                    limit,
                )
                .await?,
            );
            start = next_month;
        }
        let mut chosen = Vec::new();
        let mut round = 0;
        while chosen.len() < limit as usize && months.iter().any(|m| m.len() > round) {
            for m in &months {
                if let Some(c) = m.get(round) {
                    // The same words from several customers are shown once.
                    let said: &str = &c.comment.trim().to_lowercase();
                    let new = !chosen
                        .iter()
                        .any(|x: &PeriodComment| x.comment.trim().to_lowercase() == said);
                    if chosen.len() < limit as usize && new {
                        chosen.push(c.clone());
                    }
                }
            }
            round += 1;
        }
        chosen.sort_by_key(|c| c.answered_at);
        Ok(chosen)
    }

    /// The longest commented NPS answers in `[from, to)` with a score in `min..=max`.
    async fn comments_by_length(
        &self,
        workspace_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        (min, max): (u8, u8),
        limit: u32,
    ) -> Result<Vec<PeriodComment>> {
        let rows = sqlx::query(
            "SELECT a.score, a.comment, a.answered_at, s.slug, a.channel \
             FROM answers a JOIN surveys s ON s.id = a.survey_id \
             WHERE a.workspace_id = $1 AND a.answered_at >= $2 AND a.answered_at < $3 \
             AND s.kind = 'nps' AND a.score >= $4 AND a.score <= $5 \
             AND a.comment IS NOT NULL AND a.comment <> '' \
             ORDER BY LENGTH(a.comment) DESC, a.answered_at DESC, a.id DESC LIMIT $6",
        )
        .bind(workspace_id)
        .bind(to_ts(from))
        .bind(to_ts(to))
        .bind(i64::from(min))
        .bind(i64::from(max))
        .bind(i64::from(limit.clamp(1, 100)))
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PeriodComment {
                    score: u8::try_from(r.try_get::<i64, _>("score")?).unwrap_or(0),
                    comment: r.try_get("comment")?,
                    answered_at: from_ts(r.try_get("answered_at")?),
                    survey: r.try_get("slug")?,
                    channel: r.try_get("channel")?,
                })
            })
            .collect()
    }
}
