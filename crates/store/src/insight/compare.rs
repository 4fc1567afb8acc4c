//! Two filtered sets of answers compared: each side's NPS with its interval, and the
//! difference with its interval, z and two-sided p (the two-sample z-test of
//! [`advocate_core::NpsCounts::compare`]). Read from the rollups like every report.
//!
//! A side is a period, a survey (every NPS survey when left out) and at most one value of
//! one breakdown dimension (a segment value, touchpoint, channel or language): the rollups
//! count one dimension at a time. eNPS sides follow the anonymity rules: a side of
//! 0 < n < the workspace's minimum group size shows no figures, and no difference is given.

use crate::insight::analytics::Scope;
use crate::insight::report::{summary, Histogram, NpsSummary};
use crate::Analytics;
use crate::{Result, StoreError};
use advocate_core::period::day_number;
use advocate_core::{GroupBy, NpsCounts, SurveyKind};
use chrono::{NaiveDate, Utc};
use serde::Serialize;

pub use advocate_core::query::{CompareQuery, NpsFilter};

/// One side of a comparison: what it counts and its figures. A hidden eNPS side carries
/// `"suppressed": true` and `fewer_than` instead of figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub summary: Option<NpsSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<bool>,
    /// The eNPS minimum group size this side fell under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fewer_than: Option<u32>,
}

/// The comparison of side `a` with side `b`.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

const METHOD: &str = "Two-sample z-test for the difference of two independent NPS values. Each \
    NPS is p − d (promoter and detractor shares of a trinomial), with variance \
    Var = (p + d − (p − d)²) / n; z = (NPS_a − NPS_b) / √(Var_a + Var_b), two-sided \
    p = 2 · (1 − Φ(|z|)), significant when p < 0.05; 95 % interval of the difference \
    = difference ± 1.96 · √(Var_a + Var_b).";

/// The filter in words.
fn describe(f: &NpsFilter, to: NaiveDate) -> String {
    let mut parts = Vec::new();
    if let Some((dim, value)) = &f.value {
        parts.push(match dim {
            GroupBy::Segment(attr) => format!("{attr} = {value}"),
            other => format!("{other} {value}"),
        });
    }
    parts.push(match f.from {
        Some(from) => format!("{from} to {to}"),
        None => format!("all time to {to}"),
    });
    parts.push(match &f.survey {
        Some(s) => format!("survey {s}"),
        None => "all NPS surveys".to_owned(),
    });
    parts.join(" · ")
}

/// Whether the two filters can count the same answer.
fn may_overlap(a: &NpsFilter, b: &NpsFilter, a_to: NaiveDate, b_to: NaiveDate) -> bool {
    if let (Some(x), Some(y)) = (&a.survey, &b.survey) {
        if x != y {
            return false;
        }
    }
    let apart = |from: Option<NaiveDate>, other_to: NaiveDate| from.is_some_and(|f| f > other_to);
    if apart(a.from, b_to) || apart(b.from, a_to) {
        return false;
    }
    match (&a.value, &b.value) {
        (Some((d1, v1)), Some((d2, v2))) => !(d1 == d2 && v1 != v2),
        _ => true,
    }
}

impl Analytics<'_> {
    /// Compares two filtered sets of answers. Errors name the side's parameter
    /// (`a.survey`, `b.from`, …).
    #[tracing::instrument(name = "analytics.compare", level = "debug", skip_all)]
    pub async fn compare(&self, q: &CompareQuery) -> Result<NpsComparison> {
        let today = Utc::now().date_naive();
        let (a_surveys, a_kind) = self.side_surveys(q.workspace_id, "a", &q.a).await?;
        let (b_surveys, b_kind) = self.side_surveys(q.workspace_id, "b", &q.b).await?;
        if a_kind != b_kind {
            return Err(StoreError::Invalid(format!(
                "a.survey and b.survey: an {} side cannot be compared with an {} side",
                a_kind.as_str(),
                b_kind.as_str()
            )));
        }
        let floor = match a_kind {
            SurveyKind::Enps => Some(
                self.store
                    .settings()
                    .get(q.workspace_id)
                    .await?
                    .enps_min_group_size,
            ),
            _ => None,
        };
        let a_to = q.a.to.unwrap_or(today);
        let b_to = q.b.to.unwrap_or(today);
        let a_hist = self
            .side_histogram(q.workspace_id, "a", &q.a, a_surveys, a_to)
            .await?;
        let b_hist = self
            .side_histogram(q.workspace_id, "b", &q.b, b_surveys, b_to)
            .await?;
        let (a_counts, b_counts) = (
            NpsCounts::from_histogram(&a_hist),
            NpsCounts::from_histogram(&b_hist),
        );
        let hidden = |c: &NpsCounts| floor.filter(|min| c.n() > 0 && c.n() < u64::from(*min));
        let (a_hidden, b_hidden) = (hidden(&a_counts), hidden(&b_counts));
        let side =
            |f: &NpsFilter, to: NaiveDate, hist: &Histogram, hide: Option<u32>| ComparedSide {
                label: describe(f, to),
                survey: f.survey.clone(),
                from: f.from,
                to,
                dimension: f.value.as_ref().map(|(d, _)| d.to_string()),
                value: f.value.as_ref().map(|(_, v)| v.clone()),
                summary: hide.is_none().then(|| summary(hist, q.ci)),
                suppressed: hide.map(|_| true),
                fewer_than: hide,
            };
        let test = match (a_hidden, b_hidden) {
            (None, None) => a_counts.compare(&b_counts),
            _ => None,
        };
        let difference = match (a_hidden, b_hidden) {
            (None, None) => a_counts.nps().zip(b_counts.nps()).map(|(x, y)| x - y),
            _ => None,
        };
        Ok(NpsComparison {
            a: side(&q.a, a_to, &a_hist, a_hidden),
            b: side(&q.b, b_to, &b_hist, b_hidden),
            difference,
            difference_ci95: test.map(|t| [t.ci95_low, t.ci95_high]),
            z: test.map(|t| t.z),
            p_value: test.map(|t| t.p_value),
            significant: test.is_some_and(|t| t.significant),
            may_overlap: may_overlap(&q.a, &q.b, a_to, b_to),
            method: METHOD,
        })
    }

    /// The survey ids a side covers and their kind (NPS for every NPS survey).
    async fn side_surveys(
        &self,
        workspace_id: i64,
        side: &str,
        f: &NpsFilter,
    ) -> Result<(Vec<i64>, SurveyKind)> {
        match &f.survey {
            Some(slug) => {
                let survey = self
                    .store
                    .surveys()
                    .by_slug(workspace_id, slug)
                    .await?
                    .ok_or_else(|| {
                        StoreError::NotFound(format!("{side}.survey: no survey with slug {slug:?}"))
                    })?;
                if survey.kind == SurveyKind::Csat {
                    return Err(StoreError::Invalid(format!(
                        "{side}.survey: {slug:?} is a CSAT survey (1–5 scale); NPS is defined for nps and enps surveys"
                    )));
                }
                Ok((vec![survey.id], survey.kind))
            }
            None => Ok((
                self.store
                    .surveys()
                    .list(workspace_id)
                    .await?
                    .into_iter()
                    .filter(|s| s.kind == SurveyKind::Nps)
                    .map(|s| s.id)
                    .collect(),
                SurveyKind::Nps,
            )),
        }
    }

    async fn side_histogram(
        &self,
        workspace_id: i64,
        side: &str,
        f: &NpsFilter,
        survey_ids: Vec<i64>,
        to: NaiveDate,
    ) -> Result<Histogram> {
        let from_day = f.from.map_or(0, |d| i64::from(day_number(d)));
        let to_day = i64::from(day_number(to));
        if from_day > to_day {
            return Err(StoreError::Invalid(format!(
                "{side}.from must not be after {side}.to"
            )));
        }
        let scope = Scope {
            workspace_id,
            survey_ids,
            from_day,
            to_day,
            only: None,
        };
        let dimension = match &f.value {
            None => return self.histogram_total(&scope).await,
            Some((GroupBy::Time(_), _)) => {
                return Err(StoreError::Invalid(format!(
                    "{side}: a side is narrowed by period, not by a time breakdown"
                )))
            }
            Some((dim, _)) => dim.to_string(),
        };
        let value = f
            .value
            .as_ref()
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        Ok(self
            .histograms(&dimension, &scope)
            .await?
            .remove(value)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advocate_core::Label;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn overlap_is_ruled_out_only_by_disjoint_filters() {
        let plan = |v: &str| Some((GroupBy::Segment(Label::new("plan").unwrap()), v.to_owned()));
        let q3 = NpsFilter {
            from: Some(d(7, 1)),
            to: Some(d(9, 30)),
            ..Default::default()
        };
        let q2 = NpsFilter {
            from: Some(d(4, 1)),
            to: Some(d(6, 30)),
            ..Default::default()
        };
        assert!(!may_overlap(&q3, &q2, d(9, 30), d(6, 30)));
        let basic = NpsFilter {
            value: plan("Basic"),
            ..Default::default()
        };
        let pro = NpsFilter {
            value: plan("Pro"),
            ..Default::default()
        };
        assert!(!may_overlap(&basic, &pro, d(12, 1), d(12, 1)));
        assert!(may_overlap(&basic, &q3, d(12, 1), d(9, 30)));
        let email = NpsFilter {
            value: Some((GroupBy::Channel, "email".into())),
            ..Default::default()
        };
        assert!(may_overlap(&basic, &email, d(12, 1), d(12, 1)));
        assert_eq!(
            describe(&pro, d(12, 1)),
            "plan = Pro · all time to 2026-12-01 · all NPS surveys"
        );
        assert_eq!(
            describe(&email, d(12, 1)),
            "channel email · all time to 2026-12-01 · all NPS surveys"
        );
    }
}
