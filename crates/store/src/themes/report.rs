//! The theme report: per theme, how many mention it, the NPS of those who do and of the
//! others, the difference and the theme's impact with their intervals (core
//! [`advocate_core::themes::drivers`]), the sentiment split, a monthly trend, and where it
//! is concentrated; themes ranked by impact. Grouped in SQL over `answer_themes` joined to
//! `answers` by key, so the work grows with the mentions in the period, not the answers.
//!
//! eNPS: every group (a theme's mentioners, the others, a month) with fewer answers than
//! the workspace's `enps_min_group_size` is withheld, as in every other eNPS figure.

use super::REMOVED;
use crate::feedback::customers::parse_attributes;
use crate::{to_ts, Result, StoreError, Themes};
use advocate_core::nps::{CiMethod, Interval, NpsCounts};
use advocate_core::period::{date_of_day, day_of};
use advocate_core::themes::{rank, Driver, Ranked, Taxonomy};
use advocate_core::SurveyKind;
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

/// Which answers a report covers: `[from, to)`, one survey or every NPS survey.
#[derive(Debug, Clone)]
pub struct ThemeQuery {
    pub workspace_id: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub survey_id: Option<i64>,
}

/// Mentions of a theme by sentiment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SentimentSplit {
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
}

/// A theme's mentioners in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    /// `YYYY-MM`.
    pub month: String,
    pub mentions: u64,
    pub nps: Option<f64>,
    pub ci95: Option<Interval>,
}

/// A value (a touchpoint, a channel, or a segment attribute's value) with its share of a
/// theme's mentions, beside its share of all the answers in the view: a theme is
/// concentrated where the first is well above the second.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    /// `touchpoint`, `channel`, or the segment attribute's name.
    pub dimension: String,
    pub value: String,
    pub mentions: u64,
    /// Percentage of the theme's mentions.
    pub share: f64,
    /// Percentage of all answers in the view with this value.
    pub share_of_all: f64,
}

/// A segment attribute's value as a driver: its answers against every other answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentGroup {
    pub attribute: String,
    pub value: String,
    pub answers: u64,
}

/// One theme's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeFigures {
    pub theme: String,
    pub mentions: u64,
    pub sentiment: SentimentSplit,
    pub trend: Vec<MonthPoint>,
    /// The top touchpoints, channels and values of each segment attribute of its mentions.
    pub concentrated_in: Vec<Concentration>,
}

/// The report: totals, then the themes ranked by impact (small groups last, unranked).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeReport {
    pub answers: u64,
    pub commenters: u64,
    pub nps: Option<f64>,
    /// eNPS: the minimum group size figures were withheld under, if any was.
    pub suppressed_below: Option<u32>,
    pub drivers: Vec<Ranked<ThemeFigures>>,
    /// Segment attribute values ranked by their impact like the themes (the answers with
    /// the value against all others; small groups last, unranked; at most
    /// [`SEGMENT_DRIVERS`]).
    pub segments: Vec<Ranked<SegmentGroup>>,
}

/// The answer columns a theme's mentions are placed by.
const PLACES: [&str; 2] = ["touchpoint", "channel"];

/// Concentration values kept per dimension.
const TOP: usize = 3;

/// Segment groups kept in a report (an attribute with a value per customer would
/// otherwise list every customer as a small group).
pub const SEGMENT_DRIVERS: usize = 100;

/// eNPS: a group of `n` answers (none is no group) below the minimum size is withheld.
pub(super) fn withheld(floor: Option<u32>, n: u64) -> bool {
    floor.is_some_and(|min| n > 0 && n < u64::from(min))
}

/// A row's theme as it reads now: tags of a merged theme count as the theme it went into.
fn resolved(taxonomy: &Taxonomy, row: &AnyRow) -> Result<String> {
    Ok(taxonomy
        .resolve(&row.try_get::<String, _>("theme")?)
        .to_owned())
}

fn counts(row: &AnyRow) -> Result<NpsCounts> {
    let n: i64 = row.try_get("n")?;
    let p: i64 = row.try_get("promoters")?;
    let d: i64 = row.try_get("detractors")?;
    Ok(NpsCounts::new(p as u64, (n - p - d) as u64, d as u64))
}

const COUNTS: &str = "COUNT(*) AS n, \
     COALESCE(SUM(CASE WHEN a.score >= 9 THEN 1 ELSE 0 END), 0) AS promoters, \
     COALESCE(SUM(CASE WHEN a.score <= 6 THEN 1 ELSE 0 END), 0) AS detractors";

/// The answers of `q`: `$1` workspace, `$2` from, `$3` to, `$4` survey (or none: every NPS
/// survey).
fn within(q: &ThemeQuery) -> String {
    let surveys = match q.survey_id {
        Some(_) => "a.survey_id = $4",
        None => {
            "a.survey_id IN (SELECT id FROM surveys WHERE workspace_id = $1 \
                 AND kind = 'nps') AND $4 IS NULL"
        }
    };
    format!("a.workspace_id = $1 AND a.answered_at >= $2 AND a.answered_at < $3 AND {surveys}")
}

fn bind<'q>(
    sql: &'q str,
    q: &ThemeQuery,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(q.workspace_id)
        .bind(to_ts(q.from))
        .bind(to_ts(q.to))
        .bind(q.survey_id)
}

/// The tagged answers of `q` (hand-removed themes left out), for `FROM` … `WHERE`.
fn tagged(q: &ThemeQuery) -> String {
    format!(
        "FROM answer_themes t JOIN answers a ON a.id = t.answer_id \
         WHERE t.workspace_id = $1 AND t.sentiment <> '{REMOVED}' AND {}",
        within(q)
    )
}

/// What the report and the rising themes both start from: all answers of the query, how
/// many commented, and per theme (merged themes read as the theme they went into) its
/// mentioners and their sentiment.
pub(super) struct Counted {
    pub all: NpsCounts,
    pub commenters: u64,
    pub per: BTreeMap<String, (NpsCounts, SentimentSplit)>,
    pub taxonomy: Taxonomy,
}

impl Themes<'_> {
    /// Counts the answers of `q` and their themes.
    pub(super) async fn counted(&self, q: &ThemeQuery) -> Result<Counted> {
        let pool = &self.store.pool;
        let total_sql = format!(
            "SELECT {COUNTS}, COALESCE(SUM(CASE WHEN a.comment IS NOT NULL AND a.comment <> '' \
             THEN 1 ELSE 0 END), 0) AS commenters FROM answers a WHERE {}",
            within(q)
        );
        let themes_sql = format!(
            "SELECT t.theme, {COUNTS}, \
             COALESCE(SUM(CASE WHEN t.sentiment = 'positive' THEN 1 ELSE 0 END), 0) AS pos, \
             COALESCE(SUM(CASE WHEN t.sentiment = 'negative' THEN 1 ELSE 0 END), 0) AS neg \
             {} GROUP BY t.theme",
            tagged(q)
        );
        let (total_row, themes, taxonomy) = tokio::try_join!(
            async { Ok::<_, StoreError>(bind(&total_sql, q).fetch_one(pool).await?) },
            async { Ok::<_, StoreError>(bind(&themes_sql, q).fetch_all(pool).await?) },
            self.taxonomy(q.workspace_id),
        )?;
        let taxonomy = taxonomy.taxonomy;
        let mut per: BTreeMap<String, (NpsCounts, SentimentSplit)> = BTreeMap::new();
        for row in &themes {
            let (c, s) = per.entry(resolved(&taxonomy, row)?).or_default();
            c.merge(&counts(row)?);
            let (pos, neg): (i64, i64) = (row.try_get("pos")?, row.try_get("neg")?);
            let n: i64 = row.try_get("n")?;
            s.positive += pos as u64;
            s.negative += neg as u64;
            s.neutral += (n - pos - neg) as u64;
        }
        Ok(Counted {
            all: counts(&total_row)?,
            commenters: total_row.try_get::<i64, _>("commenters")? as u64,
            per,
            taxonomy,
        })
    }

    /// The theme report and driver ranking for `q`.
    #[tracing::instrument(name = "themes.report", level = "debug", skip_all, fields(workspace = q.workspace_id))]
    pub async fn report(&self, q: &ThemeQuery) -> Result<ThemeReport> {
        let floor = self.anonymity_floor(q).await?;
        let (counted, detail) = tokio::try_join!(self.counted(q), self.detail(q))?;
        report_from(floor, counted, detail)
    }

    /// Each theme's answers per day and per touchpoint and channel: trends and places.
    pub(super) async fn detail(&self, q: &ThemeQuery) -> Result<Detail> {
        let pool = &self.store.pool;
        let join = tagged(q);
        let months_sql = format!("SELECT t.theme, a.day, {COUNTS} {join} GROUP BY t.theme, a.day");
        let places_sql = format!(
            "SELECT t.theme, a.touchpoint, a.channel, COUNT(*) AS n {join} \
             GROUP BY t.theme, a.touchpoint, a.channel"
        );
        // The segment values of each theme's mentions: one row per distinct snapshot of
        // attributes (few, next to the mentions), split into values here.
        let snapshots_sql = format!(
            "SELECT t.theme, a.attributes, COUNT(*) AS n {join} GROUP BY t.theme, a.attributes"
        );
        // Every answer of the view by place, and by segment value (the rollup), for the
        // shares of all.
        let all_places_sql = format!(
            "SELECT a.touchpoint, a.channel, COUNT(*) AS n FROM answers a WHERE {} \
             GROUP BY a.touchpoint, a.channel",
            within(q)
        );
        let (days, places, snapshots, all_places, segments) = tokio::try_join!(
            async { Ok::<_, StoreError>(bind(&months_sql, q).fetch_all(pool).await?) },
            async { Ok::<_, StoreError>(bind(&places_sql, q).fetch_all(pool).await?) },
            async { Ok::<_, StoreError>(bind(&snapshots_sql, q).fetch_all(pool).await?) },
            async { Ok::<_, StoreError>(bind(&all_places_sql, q).fetch_all(pool).await?) },
            self.segment_counts(q),
        )?;
        Ok(Detail {
            days,
            places,
            snapshots,
            all_places,
            segments,
        })
    }

    /// Every segment attribute value of the view's answers with their counts, from the
    /// segment rollup (by day: the view's instants are day boundaries).
    async fn segment_counts(&self, q: &ThemeQuery) -> Result<Vec<(String, String, NpsCounts)>> {
        let surveys = match q.survey_id {
            Some(_) => "s.survey_id = $4",
            None => {
                "s.survey_id IN (SELECT id FROM surveys WHERE workspace_id = $1 \
                     AND kind = 'nps') AND $4 IS NULL"
            }
        };
        let sql = format!(
            // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back.
            "SELECT s.attribute, s.value, CAST(SUM(s.n) AS BIGINT) AS n, \
             CAST(SUM(CASE WHEN s.score >= 9 THEN s.n ELSE 0 END) AS BIGINT) AS promoters, \
             CAST(SUM(CASE WHEN s.score <= 6 THEN s.n ELSE 0 END) AS BIGINT) AS detractors \
             FROM segment_rollup s WHERE s.workspace_id = $1 AND s.day >= $2 AND s.day < $3 \
             AND {surveys} GROUP BY s.attribute, s.value"
        );
        let rows = sqlx::query(&sql)
            .bind(q.workspace_id)
            .bind(i64::from(day_of(q.from)))
            .bind(i64::from(day_of(q.to)))
            .bind(q.survey_id)
            .fetch_all(&self.store.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("attribute")?, r.try_get("value")?, counts(r)?)))
            .collect()
    }

    /// For an eNPS survey, the workspace's minimum group size; `None` otherwise. A survey
    /// of another workspace is not found.
    pub(super) async fn anonymity_floor(&self, q: &ThemeQuery) -> Result<Option<u32>> {
        let Some(survey_id) = q.survey_id else {
            return Ok(None);
        };
        let kind: Option<String> =
            sqlx::query_scalar("SELECT kind FROM surveys WHERE workspace_id = $1 AND id = $2")
                .bind(q.workspace_id)
                .bind(survey_id)
                .fetch_optional(&self.store.pool)
                .await?;
        let kind =
            kind.ok_or_else(|| StoreError::NotFound(format!("no survey with id {survey_id}")))?;
        let kind = SurveyKind::parse(&kind).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(match kind {
            SurveyKind::Enps => Some(
                self.store
                    .settings()
                    .get(q.workspace_id)
                    .await?
                    .enps_min_group_size,
            ),
            _ => None,
        })
    }
}

/// What [`Themes::detail`] reads.
pub(super) struct Detail {
    days: Vec<AnyRow>,
    places: Vec<AnyRow>,
    snapshots: Vec<AnyRow>,
    all_places: Vec<AnyRow>,
    segments: Vec<(String, String, NpsCounts)>,
}

/// The report from the period's counts and detail, themes below `floor` withheld.
pub(super) fn report_from(
    floor: Option<u32>,
    counted: Counted,
    detail: Detail,
) -> Result<ThemeReport> {
    let Detail {
        days,
        places,
        snapshots,
        all_places,
        segments,
    } = detail;
    let Counted {
        all,
        commenters,
        per,
        taxonomy,
    } = counted;
    let key = |row: &AnyRow| resolved(&taxonomy, row);
    let mut months: BTreeMap<(String, String), NpsCounts> = BTreeMap::new();
    for row in &days {
        let date = date_of_day(row.try_get::<i64, _>("day")? as i32);
        let month = format!("{:04}-{:02}", date.year(), date.month());
        months
            .entry((key(row)?, month))
            .or_default()
            .merge(&counts(row)?);
    }
    // (theme, dimension, value) → mentions; (dimension, value) → all answers.
    let mut where_: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let mut everywhere: BTreeMap<(String, String), u64> = BTreeMap::new();
    for row in &places {
        let k = key(row)?;
        let n = row.try_get::<i64, _>("n")? as u64;
        for dim in PLACES {
            let value: String = row.try_get(dim)?;
            if !value.is_empty() {
                *where_.entry((k.clone(), dim.into(), value)).or_default() += n;
            }
        }
    }
    for row in &all_places {
        let n = row.try_get::<i64, _>("n")? as u64;
        for dim in PLACES {
            let value: String = row.try_get(dim)?;
            if !value.is_empty() {
                *everywhere.entry((dim.into(), value)).or_default() += n;
            }
        }
    }
    for row in &snapshots {
        let k = key(row)?;
        let n = row.try_get::<i64, _>("n")? as u64;
        let json: String = row.try_get("attributes")?;
        for (attribute, value) in parse_attributes(&json)? {
            *where_
                .entry((k.clone(), attribute.to_string(), value))
                .or_default() += n;
        }
    }
    let mut attributes: Vec<String> = Vec::new();
    for (attribute, value, c) in &segments {
        *everywhere
            .entry((attribute.clone(), value.clone()))
            .or_default() += c.n();
        if !attributes.contains(attribute) {
            attributes.push(attribute.clone());
        }
    }
    let too_few = |n: u64| withheld(floor, n);
    let mut suppressed = false;
    let mut drivers = Vec::new();
    for (theme, (mentioners, sentiment)) in per {
        let others = NpsCounts::new(
            all.promoters - mentioners.promoters,
            all.passives - mentioners.passives,
            all.detractors - mentioners.detractors,
        );
        if too_few(mentioners.n()) || too_few(others.n()) {
            suppressed = true;
            continue;
        }
        let trend = months
            .range((theme.clone(), String::new())..)
            .take_while(|((t, _), _)| *t == theme)
            .map(|((_, month), c)| {
                let hide = too_few(c.n());
                suppressed |= hide;
                MonthPoint {
                    month: month.clone(),
                    mentions: if hide { 0 } else { c.n() },
                    nps: c.nps().filter(|_| !hide),
                    ci95: c.ci95(CiMethod::default()).filter(|_| !hide),
                }
            })
            .collect();
        let mut concentrated_in: Vec<Concentration> = Vec::new();
        let dimensions = PLACES
            .iter()
            .map(|d| d.to_string())
            .chain(attributes.clone());
        for dim in dimensions {
            let mut values: Vec<(&String, u64)> = where_
                .iter()
                .filter(|((t, d, _), _)| *t == theme && *d == dim)
                .map(|((_, _, v), n)| (v, *n))
                .filter(|(_, n)| !too_few(*n))
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            for (v, n) in values.into_iter().take(TOP) {
                let base = everywhere.get(&(dim.clone(), v.clone())).copied();
                concentrated_in.push(Concentration {
                    dimension: dim.clone(),
                    value: v.clone(),
                    mentions: n,
                    share: 100.0 * n as f64 / mentioners.n().max(1) as f64,
                    share_of_all: 100.0 * base.unwrap_or(0) as f64 / all.n().max(1) as f64,
                });
            }
        }
        let driver = Driver::new(mentioners, others, commenters);
        let figures = ThemeFigures {
            theme,
            mentions: mentioners.n(),
            sentiment,
            trend,
            concentrated_in,
        };
        drivers.push((figures, driver));
    }
    let mut groups = Vec::new();
    for (attribute, value, group) in segments {
        let others = NpsCounts::new(
            all.promoters.saturating_sub(group.promoters),
            all.passives.saturating_sub(group.passives),
            all.detractors.saturating_sub(group.detractors),
        );
        if too_few(group.n()) || too_few(others.n()) {
            suppressed = true;
            continue;
        }
        let key = SegmentGroup {
            attribute,
            value,
            answers: group.n(),
        };
        // No share of commenters: a segment is a share of all answers (`answers`).
        groups.push((key, Driver::new(group, others, 0)));
    }
    let mut segments = rank(groups);
    segments.truncate(SEGMENT_DRIVERS);
    let hide_total = too_few(all.n());
    Ok(ThemeReport {
        answers: if hide_total { 0 } else { all.n() },
        commenters: if hide_total { 0 } else { commenters },
        nps: all.nps().filter(|_| !hide_total),
        suppressed_below: floor.filter(|_| suppressed || hide_total),
        drivers: if hide_total {
            Vec::new()
        } else {
            rank(drivers)
        },
        segments: if hide_total { Vec::new() } else { segments },
    })
}
