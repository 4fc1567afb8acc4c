//! The shape of an NPS report — summary, change, groups — and how a summary and a change
//! are computed from a score histogram. Built by `analytics`, hidden in part by `anonymity`.

use advocate_core::{CiMethod, Comparison, Interval, NpsCounts, Shares};
use chrono::NaiveDate;
use serde::Serialize;

/// NPS of a set of answers, with its interval and score distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub distribution: [u64; 11],
    pub ci95: Option<Interval>,
    /// Fewer answers than `advocate_core::SMALL_SAMPLE`: too few to read.
    pub small_sample: bool,
}

/// Change against a previous period, tested for significance (two-sample z-test).
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// One group of a breakdown. In JSON a suppressed group carries only `key`,
/// `"suppressed": true` and `fewer_than` (see [`crate::insight::anonymity`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// A report. In JSON a suppressed one carries its scope, `"suppressed": true` and
/// `fewer_than` instead of figures (see [`crate::insight::anonymity`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
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

pub(crate) type Histogram = [u64; 11];

pub(crate) fn summary(hist: &Histogram, ci: CiMethod) -> NpsSummary {
    let counts = NpsCounts::from_histogram(hist);
    NpsSummary {
        nps: counts.nps(),
        n: counts.n(),
        promoters: counts.promoters,
        passives: counts.passives,
        detractors: counts.detractors,
        shares: counts.shares(),
        ambassadors: hist[10],
        distribution: *hist,
        ci95: counts.ci95(ci),
        small_sample: counts.is_small_sample(),
    }
}

pub(crate) fn change(current: &Histogram, previous: &Histogram, versus: String) -> Change {
    let prev = NpsCounts::from_histogram(previous);
    let now = NpsCounts::from_histogram(current);
    let test: Option<Comparison> = now.compare(&prev);
    Change {
        versus,
        previous_nps: prev.nps(),
        previous_n: prev.n(),
        difference: now.nps().zip(prev.nps()).map(|(a, b)| a - b),
        difference_ci95: test.map(|t| [t.ci95_low, t.ci95_high]),
        z: test.map(|t| t.z),
        p_value: test.map(|t| t.p_value),
        significant: test.is_some_and(|t| t.significant),
    }
}

pub(crate) fn merge(into: &mut Histogram, from: &Histogram) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}
