//! Rising themes: those a significantly larger share of commenters mention in the query's
//! period than in the period of the same length just before (the rule is core's
//! [`advocate_core::themes::rising`]). Counted by the report's own queries.
//!
//! eNPS: a theme whose mentioners or non-mentioners, in either period, are fewer than the
//! workspace's minimum group size is left out, as the report withholds it.

use super::report::{report_from, withheld, Counted, ThemeQuery, ThemeReport};
use crate::{Result, Themes};
use advocate_core::themes::{share_change, Mentions, ShareChange};
use serde::Serialize;

/// A rising theme with its counts in both periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RisingTheme {
    pub theme: String,
    pub mentions: u64,
    pub commenters: u64,
    pub previous_mentions: u64,
    pub previous_commenters: u64,
    #[serde(flatten)]
    pub change: ShareChange,
}

impl Themes<'_> {
    /// The themes rising in `q`'s period against the one before, the largest rise first.
    #[tracing::instrument(name = "themes.rising", level = "debug", skip_all, fields(workspace = q.workspace_id))]
    pub async fn rising(&self, q: &ThemeQuery) -> Result<Vec<RisingTheme>> {
        let floor = self.anonymity_floor(q).await?;
        let earlier = period_before(q);
        let (now, before) = tokio::try_join!(self.counted(q), self.counted(&earlier))?;
        Ok(rising_from(floor, &now, &before))
    }

    /// The report for `q` and its rising themes, the period's counts read once for both.
    #[tracing::instrument(name = "themes.report_with_rising", level = "debug", skip_all, fields(workspace = q.workspace_id))]
    pub async fn report_with_rising(
        &self,
        q: &ThemeQuery,
    ) -> Result<(ThemeReport, Vec<RisingTheme>)> {
        let floor = self.anonymity_floor(q).await?;
        let earlier = period_before(q);
        let (now, before, detail) =
            tokio::try_join!(self.counted(q), self.counted(&earlier), self.detail(q))?;
        let rising = rising_from(floor, &now, &before);
        Ok((report_from(floor, now, detail)?, rising))
    }
}

/// The period of the same length just before `q`'s.
pub(super) fn period_before(q: &ThemeQuery) -> ThemeQuery {
    ThemeQuery {
        from: q.from - (q.to - q.from),
        to: q.from,
        ..q.clone()
    }
}

/// The rising themes of `now` against `then`, groups below `floor` left out.
pub(super) fn rising_from(floor: Option<u32>, now: &Counted, then: &Counted) -> Vec<RisingTheme> {
    let too_few = |mentioners: u64, commenters: u64| {
        withheld(floor, mentioners) || withheld(floor, commenters - mentioners.min(commenters))
    };
    let mut rising = Vec::new();
    for (theme, (mentioners, _)) in &now.per {
        let current = Mentions {
            mentioners: mentioners.n(),
            commenters: now.commenters,
        };
        let previous = Mentions {
            mentioners: then.per.get(theme).map_or(0, |(c, _)| c.n()),
            commenters: then.commenters,
        };
        if too_few(current.mentioners, current.commenters)
            || too_few(previous.mentioners, previous.commenters)
        {
            continue;
        }
        if let Some(change) = share_change(current, previous).filter(|c| c.rising) {
            rising.push(RisingTheme {
                theme: theme.clone(),
                mentions: current.mentioners,
                commenters: current.commenters,
                previous_mentions: previous.mentioners,
                previous_commenters: previous.commenters,
                change,
            });
        }
    }
    rising.sort_by(|a, b| {
        b.change
            .change
            .total_cmp(&a.change.change)
            .then_with(|| a.theme.cmp(&b.theme))
    });
    rising
}
