//! What one digest says, read for its member and period: their cases (an agent's own,
//! everyone else's the workspace's), new detractors in that scope, NPS of the period and
//! of the one before, the response rate of the invitations sent in it, and what customers
//! talk about (the top and the rising themes; not for an agent, who sees only their own).

use super::DueDigest;
use crate::closed_loop::cases::CaseFilter;
use crate::themes::report::ThemeQuery;
use crate::Digests;
use crate::{to_ts, Result};
use advocate_core::case::CaseStatus;
use advocate_core::messages::staff::{
    DigestCase, DigestDetractor, DigestFacts, DigestRisingTheme, DigestTheme,
};
use advocate_core::themes::Lang;
use advocate_core::{NpsCounts, Permission};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// How many open cases a digest lists (the count covers them all).
pub const LISTED_CASES: u32 = 10;
/// How many new detractors a digest lists.
pub const LISTED_DETRACTORS: i64 = 5;
/// How many top themes, and how many rising ones, a digest lists.
pub const LISTED_THEMES: usize = 3;

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
        let (top_themes, rising_themes) = match own {
            Some(_) => (Vec::new(), Vec::new()),
            None => self.themes(digest, from, now, &base).await?,
        };

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
            top_themes,
            rising_themes,
            dashboard_url: format!("{base}/dashboard"),
            unsubscribe_url,
        })
    }

    /// The NPS surveys' top themes of `[from, to)` (ranked by impact, small groups left
    /// out) and rising themes, named in the member's language, each linked to its comments
    /// of the period in the explorer — or to the dashboard for a viewer, who has no explorer.
    async fn themes(
        &self,
        digest: &DueDigest,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        base: &str,
    ) -> Result<(Vec<DigestTheme>, Vec<DigestRisingTheme>)> {
        let q = ThemeQuery {
            workspace_id: digest.workspace_id,
            from,
            to,
            survey_id: None,
        };
        let themes = self.store.themes();
        let ((report, rising), taxonomy) = tokio::try_join!(
            themes.report_with_rising(&q),
            themes.taxonomy(digest.workspace_id)
        )?;
        let lang = Lang::parse(&digest.language).unwrap_or(Lang::En);
        let name = |key: &str| taxonomy.taxonomy.name_of(key, lang).to_owned();
        let url = |key: &str| match digest.role.grants(Permission::ReadCustomers) {
            true => format!(
                "{base}/comments?theme={key}&from={}&to={}",
                from.date_naive(),
                to.date_naive()
            ),
            false => format!("{base}/dashboard"),
        };
        let top = report
            .drivers
            .iter()
            .filter(|d| d.rank.is_some())
            .take(LISTED_THEMES)
            .filter_map(|d| {
                Some(DigestTheme {
                    name: name(&d.key.theme),
                    mentions: d.key.mentions,
                    impact: d.driver.impact?,
                    url: url(&d.key.theme),
                })
            })
            .collect();
        let rising = rising
            .iter()
            .take(LISTED_THEMES)
            .map(|r| DigestRisingTheme {
                name: name(&r.theme),
                previous_share: r.change.previous_share,
                share: r.change.share,
                url: url(&r.theme),
            })
            .collect();
        Ok((top, rising))
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
