//! Closed-loop health (how fast detractors are reached, how many won back); anonymous ones.

use crate::Cases;
use crate::{to_ts, Result};
use advocate_core::case::Outcome;
use chrono::{DateTime, Utc};
use serde::Serialize;

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

impl Cases<'_> {
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
