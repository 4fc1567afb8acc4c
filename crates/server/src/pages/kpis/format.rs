//! How the KPI pages print figures, changes and counting rules.

use advocate_store::insight::kpis::{minor_digits, KpiReport};
use chrono::{Datelike, Months};

/// Groups thousands with a thin space: `1 234 567`.
fn grouped(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    out
}

pub(super) fn number(v: f64, decimals: usize) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let text = format!("{:.*}", decimals, v.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let whole = grouped(whole.parse().unwrap_or(0));
    if frac.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    }
}

/// How the page prints figures of one report: money needs the reporting currency.
#[derive(Debug, Clone)]
pub(super) struct Fmt {
    pub(super) currency: String,
    pub(super) money_digits: usize,
}

impl Fmt {
    pub(super) fn of(report: &KpiReport) -> Self {
        Self {
            currency: report.currency.clone(),
            money_digits: minor_digits(&report.currency) as usize,
        }
    }

    pub(super) fn money(&self, v: f64) -> String {
        format!("{} {}", number(v, self.money_digits), self.currency)
    }

    /// A value in its unit; `—` where undefined.
    pub(super) fn value(&self, v: Option<f64>, unit: &str) -> String {
        let Some(v) = v.filter(|v| v.is_finite()) else {
            return "—".to_owned();
        };
        match unit {
            "count" => number(v, 0),
            "fraction" => format!("{:.1} %", v * 100.0),
            "money" => self.money(v),
            "per_month" => format!("{} / month", number(v, 1)),
            _ => number(v, 2),
        }
    }

    /// The change from `before` to `now` in the unit (percentage points for fractions).
    pub(super) fn change(
        &self,
        now: Option<f64>,
        before: Option<f64>,
        unit: &str,
    ) -> Option<(f64, String)> {
        let (now, before) = (now?, before?);
        let d = now - before;
        if !d.is_finite() {
            return None;
        }
        // The change as shown, so that one which rounds to zero ("0.0 pp") is no change:
        // neither signed nor coloured.
        let shown = |x: f64, decimals: i32| {
            let scale = 10f64.powi(decimals);
            let r = (x * scale).round() / scale;
            if r == 0.0 {
                0.0
            } else {
                r
            }
        };
        let d = match unit {
            "fraction" => shown(d * 100.0, 1) / 100.0,
            "count" => shown(d, 0),
            "money" => shown(d, self.money_digits as i32),
            "score" => shown(d, 0),
            _ => shown(d, 2),
        };
        let sign = if d > 0.0 { "+" } else { "" };
        let text = match unit {
            "fraction" => format!("{sign}{:.1} pp", d * 100.0),
            "count" => format!("{sign}{}", number(d, 0)),
            "money" => format!("{sign}{}", self.money(d)),
            "score" => format!("{sign}{:.0}", d),
            _ => format!("{sign}{}", number(d, 2)),
        };
        Some((d, text))
    }
}

/// `good`/`bad`/`flat` for a change, knowing whether lower is better.
pub(super) fn change_class(d: f64, lower_is_better: bool) -> &'static str {
    if d.abs() < 1e-9 {
        "flat"
    } else if (d > 0.0) != lower_is_better {
        "good"
    } else {
        "bad"
    }
}

/// A piece of a counting rule: plain text, or a name (written `like this` in the rule)
/// shown as code.
#[derive(Debug, Clone, PartialEq)]
pub struct RulePart {
    pub code: bool,
    pub text: String,
}

/// A rule's text split at its backticks, so a page shows `from` as code rather than
/// literal backticks. An unpaired backtick stays as text.
pub(super) fn rule_parts(rule: &str) -> Vec<RulePart> {
    let pieces: Vec<&str> = rule.split('`').collect();
    if pieces.len().is_multiple_of(2) {
        return vec![RulePart {
            code: false,
            text: rule.to_owned(),
        }];
    }
    pieces
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| RulePart {
            code: i % 2 == 1,
            text: t.to_owned(),
        })
        .collect()
}

/// Whether a month of the series is only partly in the period (the current month, or
/// the last month of a period that ends before the month does): its figures are not a
/// month's, so a sparkline leaves it out.
pub(super) fn partial_month(m: &advocate_store::insight::kpis::MonthPoint) -> bool {
    let month_end = m
        .from
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .and_then(|d| d.pred_opt())
        .unwrap_or(m.to);
    m.to < month_end || m.from.day() != 1
}
