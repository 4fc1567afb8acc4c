//! What one digest says, read for its member and period: their cases (an agent's own,
//! everyone else's the workspace's), new detractors in that scope, NPS of the period and
//! of the one before, and the response rate of the invitations sent in it.

use super::DueDigest;
use crate::closed_loop::cases::CaseFilter;
use crate::Digests;
use crate::{to_ts, Result};
use advocate_core::case::CaseStatus;
use advocate_core::messages::staff::{DigestCase, DigestDetractor, DigestFacts};
use advocate_core::NpsCounts;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// How many open cases a digest lists (the count covers them all).
pub const LISTED_CASES: u32 = 10;
/// How many new detractors a digest lists.
pub const LISTED_DETRACTORS: i64 = 5;

impl Digests<'_> {
    /// The facts of `digest`'s email for the period ending at `now`; the unsubscribe
    /// link is the caller's (it is signed with the installation's key).
    #[tracing::instrument(name = "digests.facts", level = "debug", skip_all, fields(workspace = digest.workspace_id))]
    pub async fn facts(
        &self,
        digest: &DueDigest,
        now: DateTime<Utc>,
        unsubscribe_url: String,
    ) -> Result<DigestFacts> {
        let ws = digest.workspace_id;
        let span = digest
            .frequency
            .span()
            .unwrap_or_else(|| chrono::Duration::days(1));
        let from = now - span;
        let base = self.store.public_url().trim_end_matches('/').to_owned();
        let own = digest.role.sees_only_own().then_some(digest.email.as_str());

        let workspace: String = sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1")
            .bind(ws)
            .fetch_one(&self.store.pool)
            .await?;

        let open = CaseFilter {
            statuses: vec![CaseStatus::Open, CaseStatus::Contacted],
            assignee: own.map(str::to_owned),
            limit: LISTED_CASES,
            ..CaseFilter::default()
        };
        let cases = self.store.cases().list_at(ws, &open, now).await?;
        let overdue = self
            .store
            .cases()
            .list_at(
                ws,
                &CaseFilter {
                    overdue: Some(true),
                    limit: 1,
                    ..open.clone()
                },
                now,
            )
            .await?
            .total;

        let (new_detractors, detractors) = self.new_detractors(ws, own, from, now, &base).await?;
        let nps = self.nps_counts(ws, from, now).await?;
        let previous_nps = self.nps_counts(ws, from - span, from).await?;
        let (sent, answered): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(answered_at) FROM invitations WHERE workspace_id = $1 \
             AND status = 'sent' AND sent_at >= $2 AND sent_at < $3",
        )
        .bind(ws)
        .bind(to_ts(from))
        .bind(to_ts(now))
        .fetch_one(&self.store.pool)
        .await?;

        Ok(DigestFacts {
            workspace,
            weekly: digest.frequency == advocate_core::staff::DigestFrequency::Weekly,
            own_cases: own.is_some(),
            open_cases: cases.total,
            overdue_cases: overdue,
            cases: cases
                .cases
                .into_iter()
                .map(|k| DigestCase {
                    id: k.id,
                    customer: k
                        .customer_name
                        .or(k.customer_external_id)
                        .unwrap_or_else(|| "—".into()),
                    score: k.score,
                    priority: k.priority,
                    overdue: k.overdue,
                    url: format!("{base}/cases/{}", k.id),
                })
                .collect(),
            new_detractors,
            detractors,
            nps,
            previous_nps,
            invitations_sent: u64::try_from(sent).unwrap_or(0),
            invitations_answered: u64::try_from(answered).unwrap_or(0),
            dashboard_url: format!("{base}/dashboard"),
            unsubscribe_url,
        })
    }

    /// Detractors (NPS surveys only: eNPS answers stay anonymous) that arrived in
    /// `[from, to)`: how many, and the newest few. An agent's are those of the customers
    /// they manage or whose case they hold.
    async fn new_detractors(
        &self,
        ws: i64,
        own: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        base: &str,
    ) -> Result<(u64, Vec<DigestDetractor>)> {
        let scope = match own {
            Some(_) => {
                " AND (LOWER(COALESCE(cu.account_manager, '')) = $4 OR EXISTS (SELECT 1 FROM \
                 cases k WHERE k.answer_id = a.id AND LOWER(k.assignee) = $4))"
            }
            None => " AND $4 = $4",
        };
        let from_where = format!(
            "FROM answers a JOIN surveys s ON s.id = a.survey_id \
             LEFT JOIN customers cu ON cu.id = a.customer_id \
             WHERE a.workspace_id = $1 AND s.kind = 'nps' AND a.score <= 6 \
             AND a.created_at >= $2 AND a.created_at < $3{scope}"
        );
        let who = own.unwrap_or_default().to_lowercase();
        let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {from_where}"))
            .bind(ws)
            .bind(to_ts(from))
            .bind(to_ts(to))
            .bind(&who)
            .fetch_one(&self.store.pool)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT CAST(a.score AS BIGINT) AS score, a.comment, cu.external_id, cu.name, \
             (SELECT MIN(k.id) FROM cases k WHERE k.answer_id = a.id) AS case_id \
             {from_where} ORDER BY a.created_at DESC, a.id DESC LIMIT $5"
        ))
        .bind(ws)
        .bind(to_ts(from))
        .bind(to_ts(to))
        .bind(&who)
        .bind(LISTED_DETRACTORS)
        .fetch_all(&self.store.pool)
        .await?;
        let listed = rows
            .iter()
            .map(|r| {
                let case_id: Option<i64> = r.try_get("case_id")?;
                let name: Option<String> = r.try_get("name")?;
                let external: Option<String> = r.try_get("external_id")?;
                Ok(DigestDetractor {
                    customer: name.or(external).unwrap_or_else(|| "—".into()),
                    score: u8::try_from(r.try_get::<i64, _>("score")?).unwrap_or(0),
                    comment: r.try_get("comment")?,
                    url: match case_id {
                        Some(id) => format!("{base}/cases/{id}"),
                        None => format!("{base}/dashboard"),
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((u64::try_from(count).unwrap_or(0), listed))
    }

    /// NPS answers given in `[from, to)`, counted by score.
    async fn nps_counts(
        &self,
        ws: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<NpsCounts> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT CAST(a.score AS BIGINT), COUNT(*) FROM answers a \
             JOIN surveys s ON s.id = a.survey_id WHERE a.workspace_id = $1 AND s.kind = 'nps' \
             AND a.answered_at >= $2 AND a.answered_at < $3 GROUP BY a.score",
        )
        .bind(ws)
        .bind(to_ts(from))
        .bind(to_ts(to))
        .fetch_all(&self.store.pool)
        .await?;
        let mut histogram = [0u64; 11];
        for (score, n) in rows {
            if let Some(slot) = usize::try_from(score)
                .ok()
                .and_then(|s| histogram.get_mut(s))
            {
                *slot += u64::try_from(n).unwrap_or(0);
            }
        }
        Ok(NpsCounts::from_histogram(&histogram))
    }
}
