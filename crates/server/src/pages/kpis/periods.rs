//! Periods of the KPI pages: quarters, their codes, and what a period choice covers.

use super::super::PageError;
use axum::http::StatusCode;
use chrono::{Datelike, Days, Months, NaiveDate};

/// The first day of `date`'s quarter.
pub fn quarter_start(date: NaiveDate) -> NaiveDate {
    let month = (date.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date)
}

/// The last day of the quarter starting at `start`.
pub fn quarter_end(start: NaiveDate) -> NaiveDate {
    start
        .checked_add_months(Months::new(3))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start)
}

/// `2026-Q3` → its first day.
pub fn parse_quarter(s: &str) -> Option<NaiveDate> {
    let (year, q) = s.split_once("-Q").or_else(|| s.split_once("-q"))?;
    let year: i32 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
    NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1)
}

pub fn quarter_code(start: NaiveDate) -> String {
    format!("{}-Q{}", start.year(), start.month0() / 3 + 1)
}

/// "1 Jul – 30 Sep 2026".
pub(super) fn range_text(from: NaiveDate, to: NaiveDate) -> String {
    if from.year() == to.year() {
        format!("{} – {}", from.format("%-d %b"), to.format("%-d %b %Y"))
    } else {
        format!("{} – {}", from.format("%-d %b %Y"), to.format("%-d %b %Y"))
    }
}

const BAD_CUSTOM: &str =
    "A custom period needs from and to as dates like 2026-01-31, with from not after to.";

/// First and last day (inclusive) of a period code.
pub(super) fn resolve_period(
    code: &str,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), PageError> {
    let this_quarter = quarter_start(today);
    Ok(match code {
        "this_quarter" => (this_quarter, today),
        "last_quarter" => {
            let start = quarter_start(this_quarter.pred_opt().unwrap_or(this_quarter));
            (start, quarter_end(start))
        }
        "custom" => {
            let parse = |v: Option<&str>| {
                v.and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                    .ok_or(PageError(StatusCode::BAD_REQUEST, BAD_CUSTOM))
            };
            let (f, t) = (parse(from)?, parse(to)?);
            if f > t {
                return Err(PageError(StatusCode::BAD_REQUEST, BAD_CUSTOM));
            }
            (f, t)
        }
        _ => (today - Days::new(364), today),
    })
}
