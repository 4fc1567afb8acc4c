//! NPS reports, read from the rollups (never from raw answers).

use crate::insight::report::{change, merge, summary, Histogram, NpsGroup, NpsReport};
use crate::many_rows::placeholders;
use crate::Analytics;
use crate::{Result, StoreError};
use advocate_core::period::{date_of_day, day_number};
use advocate_core::{CiMethod, Granularity, GroupBy, SurveyKind};
use chrono::{Datelike, NaiveDate, Utc};
use std::collections::BTreeMap;

pub use advocate_core::query::NpsQuery;

/// The rollup rows a report reads: which surveys and which days (inclusive).
pub(crate) struct Scope {
    pub(crate) workspace_id: i64,
    pub(crate) survey_ids: Vec<i64>,
    pub(crate) from_day: i64,
    pub(crate) to_day: i64,
    /// Only the rows of this value of this rollup dimension (`channel`, `segment:plan`).
    pub(crate) only: Option<(String, String)>,
}

impl Scope {
    fn shifted(&self, from_day: i64, to_day: i64) -> Self {
        Self {
            workspace_id: self.workspace_id,
            survey_ids: self.survey_ids.clone(),
            from_day,
            to_day,
            only: self.only.clone(),
        }
    }

    /// The rollup dimension to read for `dimension` ("" is the total) and the value to keep,
    /// if the scope is narrowed: the total of a narrowed scope is its value's rows. Another
    /// dimension cannot be read narrowed, since the rollups count one dimension at a time.
    fn read<'a>(&'a self, dimension: &'a str) -> Result<(&'a str, Option<&'a str>)> {
        match &self.only {
            None => Ok((dimension, None)),
            Some((dim, value)) if dimension.is_empty() || dimension == dim => {
                Ok((dim, Some(value)))
            }
            Some((dim, value)) => Err(StoreError::Invalid(format!(
                "a report narrowed to {dim} {value:?} cannot be broken down by {dimension}: \
                 the rollups count one dimension at a time"
            ))),
        }
    }
}

/// A rollup dimension other than time.
enum Dimension<'a> {
    Touchpoint,
    Channel,
    Language,
    Segment(&'a str),
}

/// The rollup rows of a report's period: from `from` (or the first day) to `to` (or today).
fn scope_of(q: &NpsQuery, survey_ids: Vec<i64>) -> Result<Scope> {
    let today = Utc::now().date_naive();
    let from_day = q.from.map_or(0, |d| i64::from(day_number(d)));
    let to_day = i64::from(day_number(q.to.unwrap_or(today)));
    if from_day > to_day {
        return Err(StoreError::Invalid("from must not be after to".into()));
    }
    Ok(Scope {
        workspace_id: q.workspace_id,
        survey_ids,
        from_day,
        to_day,
        only: q
            .only
            .as_ref()
            .map(|(dim, value)| (dim.to_string(), value.clone())),
    })
}

/// The period of the same length just before `from`, and how it is named; `None`
/// without a `from`.
fn previous_period(q: &NpsQuery, scope: &Scope) -> Option<(Scope, String)> {
    match q.from {
        Some(_) => {
            let (from_day, to_day) = (scope.from_day, scope.to_day);
            let len = to_day - from_day + 1;
            let prev = scope.shifted(from_day - len, from_day - 1);
            let versus = format!(
                "{} to {}",
                date_of_day(prev.from_day as i32),
                date_of_day(prev.to_day as i32)
            );
            Some((prev, versus))
        }
        None => None,
    }
}

/// The rollup dimension a grouping other than time reads.
fn dimension_of(group_by: &GroupBy) -> Dimension<'_> {
    match group_by {
        GroupBy::Touchpoint => Dimension::Touchpoint,
        GroupBy::Channel => Dimension::Channel,
        GroupBy::Language => Dimension::Language,
        GroupBy::Segment(a) => Dimension::Segment(a.as_str()),
        GroupBy::Time(_) => unreachable!("handled above"),
    }
}

impl Analytics<'_> {
    #[tracing::instrument(name = "analytics.report", level = "debug", skip_all)]
    pub async fn report(&self, q: &NpsQuery) -> Result<NpsReport> {
        let (survey_ids, enps) = self.report_surveys(q).await?;
        let floor = self.anonymity_floor(q, enps).await?;
        let scope = scope_of(q, survey_ids)?;

        let total = self.histogram_total(&scope).await?;

        let previous = previous_period(q, &scope);
        let change_total = match &previous {
            Some((prev, versus)) => {
                let h = self.histogram_total(prev).await?;
                Some(change(&total, &h, versus.clone()))
            }
            None => None,
        };

        let groups = match &q.group_by {
            None => None,
            Some(GroupBy::Time(g)) => {
                Some(self.time_groups(&scope, *g, q.ci, q.from.is_some()).await?)
            }
            Some(other) => {
                let dim = dimension_of(other);
                Some(
                    self.dimension_groups(&scope, &dim, previous.as_ref(), q.ci)
                        .await?,
                )
            }
        };

        let mut report = NpsReport {
            survey: q.survey.clone(),
            from: q.from,
            to: q.to,
            summary: summary(&total, q.ci),
            change: change_total,
            group_by: q.group_by.as_ref().map(ToString::to_string),
            groups,
            suppressed: None,
        };
        if let Some(min) = floor {
            crate::insight::anonymity::suppress(&mut report, min);
        }
        Ok(report)
    }

    /// For eNPS, the fewest answers a figure may show (the workspace's minimum group
    /// size); `None` for other surveys. eNPS is never grouped by day.
    async fn anonymity_floor(&self, q: &NpsQuery, enps: bool) -> Result<Option<u32>> {
        // eNPS is anonymous: no figure of fewer answers than the workspace's minimum.
        let floor = match enps {
            true => Some(
                self.store
                    .settings()
                    .get(q.workspace_id)
                    .await?
                    .enps_min_group_size,
            ),
            false => None,
        };
        if floor.is_some() && q.group_by == Some(GroupBy::Time(Granularity::Day)) {
            return Err(StoreError::Invalid(
                "eNPS is anonymous and is reported by week or longer, not by day".into(),
            ));
        }
        Ok(floor)
    }

    /// The groups of a report by a dimension other than time, each with its change
    /// against the `previous` period when there is one.
    async fn dimension_groups(
        &self,
        scope: &Scope,
        dim: &Dimension<'_>,
        previous: Option<&(Scope, String)>,
        ci: CiMethod,
    ) -> Result<Vec<NpsGroup>> {
        let current = self.histogram_by(scope, dim).await?;
        let prev = match previous {
            Some((p, versus)) => Some((self.histogram_by(p, dim).await?, versus)),
            None => None,
        };
        Ok(current
            .iter()
            .map(|(key, hist)| NpsGroup {
                key: if key.is_empty() {
                    "(none)".into()
                } else {
                    key.clone()
                },
                summary: summary(hist, ci),
                change: prev.as_ref().map(|(p, versus)| {
                    change(
                        hist,
                        &p.get(key).copied().unwrap_or_default(),
                        (*versus).clone(),
                    )
                }),
                suppressed: None,
            })
            .collect())
    }

    /// The segment attributes answers have been counted under, for choosing a breakdown.
    /// One index seek per attribute (the next `segment:` dimension of report_rollup after
    /// the last one found), rather than a scan of every segment rollup row.
    #[tracing::instrument(name = "analytics.segment_attributes", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn segment_attributes(&self, workspace_id: i64) -> Result<Vec<String>> {
        const PREFIX: &str = "segment:";
        let mut out = Vec::new();
        let mut after = PREFIX.to_owned();
        loop {
            let next: Option<String> = sqlx::query_scalar(
                "SELECT MIN(dimension) FROM report_rollup WHERE workspace_id = $1 AND dimension > $2",
            )
            .bind(workspace_id)
            .bind(after.clone())
            .fetch_one(&self.store.pool)
            .await?;
            match next.as_deref().and_then(|d| d.strip_prefix(PREFIX)) {
                Some(attribute) => {
                    out.push(attribute.to_owned());
                    after = next.unwrap_or_default();
                }
                None => return Ok(out),
            }
        }
    }

    /// The survey ids a query covers, checking that a named survey exists and measures NPS,
    /// and whether it is an (anonymous) eNPS survey.
    async fn report_surveys(&self, q: &NpsQuery) -> Result<(Vec<i64>, bool)> {
        match &q.survey {
            Some(slug) => {
                let survey = self
                    .store
                    .surveys()
                    .by_slug(q.workspace_id, slug)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no survey with slug {slug:?}")))?;
                if survey.kind == SurveyKind::Csat {
                    return Err(StoreError::Invalid(format!(
                        "survey {slug:?} is a CSAT survey (1–5 scale); NPS is defined for nps and enps surveys"
                    )));
                }
                Ok((vec![survey.id], survey.kind == SurveyKind::Enps))
            }
            None => Ok((
                self.store
                    .surveys()
                    .list(q.workspace_id)
                    .await?
                    .into_iter()
                    .filter(|s| s.kind == SurveyKind::Nps)
                    .map(|s| s.id)
                    .collect(),
                false,
            )),
        }
    }

    /// One group per time bucket from the first to the last bucket of the range (or of
    /// the data, when the range is open), empty buckets included so a trend has no holes.
    async fn time_groups(
        &self,
        scope: &Scope,
        g: Granularity,
        ci: CiMethod,
        bounded: bool,
    ) -> Result<Vec<NpsGroup>> {
        // Read one bucket further back so the first bucket has a previous one to compare to.
        let first_bucket = g.bucket_start(date_of_day(scope.from_day as i32));
        let read_from = match first_bucket.pred_opt() {
            Some(before) if bounded => i64::from(day_number(g.bucket_start(before))),
            _ => scope.from_day,
        };
        // Whole months (for months and quarters) and whole weeks (for weeks and longer)
        // from their own rows; the bucket before the range and the range itself are read
        // apart, since the days of the first bucket before `from` must not count.
        let coarsest = match g {
            Granularity::Day => Grain::Day,
            Granularity::Week => Grain::Week,
            Granularity::Month | Granularity::Quarter => Grain::Month,
        };
        let first_day = i64::from(day_number(first_bucket));
        let mut by_day: BTreeMap<i64, Histogram> =
            self.histograms_keyed("day", "", scope, coarsest).await?;
        if read_from < first_day.min(scope.from_day) {
            let before = self
                .histograms_keyed::<i64>(
                    "day",
                    "",
                    &scope.shifted(read_from, first_day.min(scope.from_day) - 1),
                    coarsest,
                )
                .await?;
            for (k, h) in before {
                merge(by_day.entry(k).or_default(), &h);
            }
        }
        let mut buckets: BTreeMap<NaiveDate, Histogram> = BTreeMap::new();
        for (day, hist) in &by_day {
            let start = g.bucket_start(date_of_day(*day as i32));
            // Days before `from` only feed the bucket before the range (the first bucket's
            // comparison); the first bucket itself counts from `from`, like the total.
            if *day < scope.from_day && start >= first_bucket {
                continue;
            }
            merge(buckets.entry(start).or_default(), hist);
        }
        let first = if bounded {
            Some(first_bucket)
        } else {
            buckets.keys().next().copied()
        };
        let Some(first) = first else {
            return Ok(Vec::new());
        };
        let last = g.bucket_start(date_of_day(scope.to_day as i32));
        let mut groups = Vec::new();
        let mut start = first;
        while start <= last {
            let hist = buckets.get(&start).copied().unwrap_or_default();
            let prev_start = buckets.range(..start).next_back().map(|(d, _)| *d);
            // Compare only with the bucket immediately before, not an older one.
            let change = prev_start
                .filter(|p| g.next_start(*p) == start)
                .map(|p| change(&hist, &buckets[&p], g.label(p)));
            groups.push(NpsGroup {
                key: g.label(start),
                summary: summary(&hist, ci),
                change,
                suppressed: None,
            });
            start = g.next_start(start);
        }
        Ok(groups)
    }

    /// The whole scope as one histogram.
    pub(crate) async fn histogram_total(&self, scope: &Scope) -> Result<Histogram> {
        let mut h = Histogram::default();
        self.histograms("", scope)
            .await?
            .values()
            .for_each(|x| merge(&mut h, x));
        Ok(h)
    }

    async fn histogram_by(
        &self,
        scope: &Scope,
        dim: &Dimension<'_>,
    ) -> Result<BTreeMap<String, Histogram>> {
        match dim {
            Dimension::Touchpoint => self.histograms("touchpoint", scope).await,
            Dimension::Channel => self.histograms("channel", scope).await,
            Dimension::Language => self.histograms("language", scope).await,
            Dimension::Segment(attr) => self.histograms(&format!("segment:{attr}"), scope).await,
        }
    }

    /// Sums report_rollup counts of one dimension per value and score over the scope: the
    /// whole months inside it from the month rows, the days before and after them from the
    /// day rows, so a period reads at most about 60 days and 1 row per month and value and
    /// score. Every value is a bound parameter.
    pub(crate) async fn histograms(
        &self,
        dimension: &str,
        scope: &Scope,
    ) -> Result<BTreeMap<String, Histogram>> {
        self.histograms_keyed("value", dimension, scope, Grain::Month)
            .await
    }

    /// Like [`Self::histograms`] keyed by `key` ("value", or "day": the first day of the
    /// day, week or month a row counts), a constant chosen here, never user input. Rows no
    /// coarser than `coarsest` are read.
    async fn histograms_keyed<K>(
        &self,
        key: &str,
        dimension: &str,
        scope: &Scope,
        coarsest: Grain,
    ) -> Result<BTreeMap<K, Histogram>>
    where
        K: Ord + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
    {
        let mut out = BTreeMap::new();
        let spans = spans(scope.from_day, scope.to_day, coarsest);
        if scope.survey_ids.is_empty() || spans.is_empty() {
            return Ok(out);
        }
        let (dimension, only) = scope.read(dimension)?;
        let surveys = placeholders(3, scope.survey_ids.len());
        let mut first = 3 + scope.survey_ids.len();
        let value = match only {
            Some(_) => {
                first += 1;
                format!(" AND value = ${}", first - 1)
            }
            None => String::new(),
        };
        let parts: Vec<String> = spans
            .iter()
            .enumerate()
            .map(|(i, (grain, _, _))| {
                format!(
                    "SELECT {key} AS k, score, n FROM report_rollup WHERE workspace_id = $1 \
                     AND dimension = $2 AND grain = '{grain}' AND survey_id IN ({surveys}) \
                     {value} AND day >= ${} AND day < ${}",
                    first + 2 * i,
                    first + 2 * i + 1
                )
            })
            .collect();
        let sql = format!(
            "SELECT k, score, CAST(SUM(n) AS BIGINT) AS n FROM ({}) r GROUP BY k, score",
            parts.join(" UNION ALL ")
        );
        let mut query = sqlx::query_as::<_, (K, i64, i64)>(&sql)
            .bind(scope.workspace_id)
            .bind(dimension.to_owned());
        for id in &scope.survey_ids {
            query = query.bind(*id);
        }
        if let Some(v) = only {
            query = query.bind(v.to_owned());
        }
        for (_, lo, hi) in &spans {
            query = query.bind(*lo).bind(*hi);
        }
        add_rows(&mut out, query.fetch_all(&self.store.pool).await?);
        Ok(out)
    }
}

/// The rows of report_rollup, coarsest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grain {
    Day,
    Week,
    Month,
}

/// The days `from..=to` as half-open `[lo, hi)` spans of report_rollup rows ('d' days,
/// 'w' ISO weeks from Monday, 'm' calendar months), none coarser than `coarsest`: whole
/// months, then whole weeks inside the rest, then single days, so that any period reads
/// at most about 12 days, 8 weeks and its months.
fn spans(from: i64, to: i64, coarsest: Grain) -> Vec<(&'static str, i64, i64)> {
    let end = to + 1;
    let mut out = Vec::new();
    if coarsest == Grain::Day {
        out.push(("d", from, end));
    } else if coarsest == Grain::Week {
        weeks_and_days(from, end, &mut out);
    } else {
        let (m1, m2) = whole_months(from, to);
        if m1 < m2 {
            weeks_and_days(from, m1, &mut out);
            out.push(("m", m1, m2));
            weeks_and_days(m2, end, &mut out);
        } else {
            // No whole month, but maybe a month edge: no week may straddle it (a month
            // trend puts each row in the month of its first day).
            let edge = i64::from(day_number(
                date_of_day(to as i32).with_day(1).expect("day 1 exists"),
            ))
            .max(from);
            weeks_and_days(from, edge, &mut out);
            weeks_and_days(edge, end, &mut out);
        }
    }
    out.retain(|(_, lo, hi)| lo < hi);
    out
}

/// Whole ISO weeks inside `[a, b)` and the days around them. Day 0 (1970-01-01) was a
/// Thursday, so a day `d` is a Monday when `(d + 3) % 7 == 0`.
fn weeks_and_days(a: i64, b: i64, out: &mut Vec<(&'static str, i64, i64)>) {
    let w1 = a + (7 - (a + 3).rem_euclid(7)) % 7;
    let w2 = b - (b + 3).rem_euclid(7);
    if w1 < w2 {
        out.extend([("d", a, w1), ("w", w1, w2), ("d", w2, b)]);
    } else {
        out.push(("d", a, b));
    }
}

/// `[first, end)` of the whole calendar months inside the days `from..=to`; empty
/// (first == end) when there is none.
fn whole_months(from: i64, to: i64) -> (i64, i64) {
    let month_start = |day: i64| {
        let d = date_of_day(day as i32);
        i64::from(day_number(d.with_day(1).expect("day 1 exists")))
    };
    let first = match month_start(from) {
        m if m == from => m,
        _ => month_start(month_start(from) + 31),
    };
    let end = month_start(to + 1);
    if first < end {
        (first, end)
    } else {
        (to + 1, to + 1)
    }
}

fn add_rows<K: Ord>(out: &mut BTreeMap<K, Histogram>, rows: Vec<(K, i64, i64)>) {
    for (k, score, n) in rows {
        let slot = usize::try_from(score).ok().filter(|s| *s <= 10);
        if let (Some(s), Ok(n)) = (slot, u64::try_from(n)) {
            out.entry(k).or_default()[s] += n;
        }
    }
}
