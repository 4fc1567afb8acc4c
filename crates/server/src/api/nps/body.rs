//! The bodies of `/api/v1/nps` and `/api/v1/nps/compare`. A report or group hidden for
//! anonymity (eNPS below the minimum group size) is written as its scope, `"suppressed":
//! true` and `fewer_than` instead of figures: `ReportJson` and `GroupJson` are that form.

use crate::api::values::CiMethod;
use advocate_core as core;
use advocate_store as store;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// A report. In JSON a suppressed one carries its scope, `"suppressed": true` and
/// `fewer_than` instead of figures (see [`crate::anonymity`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(into = "ReportJson")]
pub struct NpsReport {
    pub survey: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    #[serde(flatten)]
    pub summary: NpsSummary,
    /// Against the period of the same length just before `from`, when `from` is given.
    pub change: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<NpsGroup>>,
    /// `Some(min)`: an eNPS report of fewer than `min` answers; the summary and change
    /// are empty and must not be shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<u32>,
}

impl From<store::insight::report::NpsReport> for NpsReport {
    fn from(x: store::insight::report::NpsReport) -> Self {
        Self {
            survey: x.survey,
            from: x.from,
            to: x.to,
            summary: x.summary.into(),
            change: x.change.map(Into::into),
            group_by: x.group_by,
            groups: x.groups.map(|v| v.into_iter().map(Into::into).collect()),
            suppressed: x.suppressed,
        }
    }
}

/// One group of a breakdown. In JSON a suppressed group carries only `key`,
/// `"suppressed": true` and `fewer_than` (see [`crate::anonymity`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(into = "GroupJson")]
pub struct NpsGroup {
    pub key: String,
    #[serde(flatten)]
    pub summary: NpsSummary,
    pub change: Option<Change>,
    /// `Some(min)`: an eNPS group of fewer than `min` answers (or one that would reveal
    /// such a group); its `summary` is empty and must not be shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<u32>,
}

impl From<store::insight::report::NpsGroup> for NpsGroup {
    fn from(x: store::insight::report::NpsGroup) -> Self {
        Self {
            key: x.key,
            summary: x.summary.into(),
            change: x.change.map(Into::into),
            suppressed: x.suppressed,
        }
    }
}

/// How a report is written: figures, or only the fact that they are hidden.
#[derive(Serialize)]
struct ReportJson {
    survey: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    #[serde(flatten)]
    summary: Option<NpsSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<Option<Change>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<NpsGroup>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fewer_than: Option<u32>,
}

impl From<NpsReport> for ReportJson {
    fn from(r: NpsReport) -> Self {
        let shown = r.suppressed.is_none();
        Self {
            survey: r.survey,
            from: r.from,
            to: r.to,
            summary: shown.then_some(r.summary),
            change: shown.then_some(r.change),
            group_by: r.group_by,
            groups: r.groups,
            suppressed: r.suppressed.map(|_| true),
            fewer_than: r.suppressed,
        }
    }
}

/// How a group is written: figures, or only the fact that they are hidden.
#[derive(Serialize)]
struct GroupJson {
    key: String,
    #[serde(flatten)]
    summary: Option<NpsSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<Option<Change>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fewer_than: Option<u32>,
}

impl From<NpsGroup> for GroupJson {
    fn from(g: NpsGroup) -> Self {
        match g.suppressed {
            Some(min) => Self {
                key: g.key,
                summary: None,
                change: None,
                suppressed: Some(true),
                fewer_than: Some(min),
            },
            None => Self {
                key: g.key,
                summary: Some(g.summary),
                change: Some(g.change),
                suppressed: None,
                fewer_than: None,
            },
        }
    }
}

/// NPS of a set of answers, with its interval and score distribution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NpsSummary {
    /// −100..100; `null` when there are no answers.
    pub nps: Option<f64>,
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// Percent promoters, passives and detractors; `null` when there are no answers.
    pub shares: Option<Shares>,
    /// Promoters who gave a 10 (the rest of the promoters gave a 9).
    pub ambassadors: u64,
    /// Answers per score, index 0..=10.
    #[schema(value_type = Vec<u64>)]
    pub distribution: [u64; 11],
    pub ci95: Option<Interval>,
    /// Fewer answers than `advocate_core::SMALL_SAMPLE`: too few to read.
    pub small_sample: bool,
}

impl From<store::insight::report::NpsSummary> for NpsSummary {
    fn from(x: store::insight::report::NpsSummary) -> Self {
        Self {
            nps: x.nps,
            n: x.n,
            promoters: x.promoters,
            passives: x.passives,
            detractors: x.detractors,
            shares: x.shares.map(Into::into),
            ambassadors: x.ambassadors,
            distribution: x.distribution,
            ci95: x.ci95.map(Into::into),
            small_sample: x.small_sample,
        }
    }
}

/// Change against a previous period, tested for significance (two-sample z-test).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    /// What is compared against: a period label or a date range.
    pub versus: String,
    pub previous_nps: Option<f64>,
    pub previous_n: u64,
    /// NPS now minus NPS then, in points; null when either period has no answers.
    pub difference: Option<f64>,
    /// 95 % interval of the difference; null when the test is undefined.
    pub difference_ci95: Option<[f64; 2]>,
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    /// p < 0.05. False when the test is undefined (an empty period, or no variance).
    pub significant: bool,
}

impl From<store::insight::report::Change> for Change {
    fn from(x: store::insight::report::Change) -> Self {
        Self {
            versus: x.versus,
            previous_nps: x.previous_nps,
            previous_n: x.previous_n,
            difference: x.difference,
            difference_ci95: x.difference_ci95,
            z: x.z,
            p_value: x.p_value,
            significant: x.significant,
        }
    }
}

/// Each category's share of the answers, in percent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Shares {
    pub promoters: f64,
    pub passives: f64,
    pub detractors: f64,
}

impl From<core::Shares> for Shares {
    fn from(x: core::Shares) -> Self {
        Self {
            promoters: x.promoters,
            passives: x.passives,
            detractors: x.detractors,
        }
    }
}

/// A 95 % confidence interval on the NPS scale (−100..100).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    pub method: CiMethod,
}

impl From<core::Interval> for Interval {
    fn from(x: core::Interval) -> Self {
        Self {
            low: x.low,
            high: x.high,
            method: x.method.into(),
        }
    }
}

/// The comparison of side `a` with side `b`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NpsComparison {
    pub a: ComparedSide,
    pub b: ComparedSide,
    /// NPS(a) − NPS(b), in points; null when either side has no answers or is hidden.
    pub difference: Option<f64>,
    /// 95 % interval of the difference: `difference ± 1.96 · 100 · √(Var_a + Var_b)`.
    pub difference_ci95: Option<[f64; 2]>,
    /// `(nps_a − nps_b) / √(Var_a + Var_b)`, NPS as fractions; null when the test is
    /// undefined (a side without answers, or neither side with any variance).
    pub z: Option<f64>,
    /// Two-sided: `2 · (1 − Φ(|z|))`.
    pub p_value: Option<f64>,
    /// p < 0.05.
    pub significant: bool,
    /// True unless the filters rule out an answer counted on both sides (different
    /// surveys, periods that do not meet, or different values of the same dimension).
    /// The test assumes two independent samples; overlapping sides make it approximate.
    pub may_overlap: bool,
    /// How the test is computed.
    pub method: &'static str,
}

impl From<store::insight::compare::NpsComparison> for NpsComparison {
    fn from(x: store::insight::compare::NpsComparison) -> Self {
        Self {
            a: x.a.into(),
            b: x.b.into(),
            difference: x.difference,
            difference_ci95: x.difference_ci95,
            z: x.z,
            p_value: x.p_value,
            significant: x.significant,
            may_overlap: x.may_overlap,
            method: x.method,
        }
    }
}

/// One side of a comparison: what it counts and its figures. A hidden eNPS side carries
/// `"suppressed": true` and `fewer_than` instead of figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparedSide {
    /// The filter in words, e.g. "plan = Pro · 2026-07-01 to 2026-09-30 · all NPS surveys".
    pub label: String,
    pub survey: Option<String>,
    pub from: Option<NaiveDate>,
    /// The last day counted (today when the filter leaves it open).
    pub to: NaiveDate,
    /// `touchpoint`, `channel`, `language` or `segment:<attribute>`, when the side is one
    /// value of a breakdown.
    pub dimension: Option<String>,
    pub value: Option<String>,
    /// Figures; absent when suppressed.
    #[serde(flatten)]
    #[schema(inline)]
    pub summary: Option<NpsSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<bool>,
    /// The eNPS minimum group size this side fell under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fewer_than: Option<u32>,
}

impl From<store::insight::compare::ComparedSide> for ComparedSide {
    fn from(x: store::insight::compare::ComparedSide) -> Self {
        Self {
            label: x.label,
            survey: x.survey,
            from: x.from,
            to: x.to,
            dimension: x.dimension,
            value: x.value,
            summary: x.summary.map(Into::into),
            suppressed: x.suppressed,
            fewer_than: x.fewer_than,
        }
    }
}
