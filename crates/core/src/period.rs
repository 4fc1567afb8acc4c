//! Calendar buckets and the dimensions an NPS can be broken down by.
//!
//! Days are counted in UTC as days since 1970-01-01: the unit of the rollups.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::Serialize;
use std::str::FromStr;

use crate::labels::Label;

/// A UTC instant's day number (days since 1970-01-01).
pub fn day_of(at: DateTime<Utc>) -> i32 {
    day_number(at.date_naive())
}

pub fn day_number(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

pub fn date_of_day(day: i32) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(i64::from(day))
}

/// The length of a time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Day,
    Week,
    Month,
    Quarter,
}

impl Granularity {
    /// The first day of the bucket holding `date` (weeks start on Monday, as in ISO 8601).
    pub fn bucket_start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => date,
            Self::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Self::Month => date.with_day(1).expect("day 1 exists"),
            Self::Quarter => {
                let month = (date.month0() / 3) * 3 + 1;
                NaiveDate::from_ymd_opt(date.year(), month, 1).expect("quarter start exists")
            }
        }
    }

    /// The first day of the bucket after the one starting at `start`.
    pub fn next_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => start + Days::new(1),
            Self::Week => start + Days::new(7),
            Self::Month => start + Months::new(1),
            Self::Quarter => start + Months::new(3),
        }
    }

    /// A human label for the bucket starting at `start`: 2026-11-23, 2026-W48, 2026-11, 2026-Q4.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Self::Day => start.format("%Y-%m-%d").to_string(),
            Self::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Self::Month => start.format("%Y-%m").to_string(),
            Self::Quarter => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
        }
    }
}

/// A named calendar period: `2026` (a year), `2026-Q3` (a quarter), `2026-11` (a month)
/// or `2026-W48` (an ISO week), as its first and last day (inclusive).
pub fn parse_period(s: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let bad = || {
        format!(
            "a period is a year (2026), a quarter (2026-Q3), a month (2026-11) or an ISO week \
             (2026-W48); got {s:?}"
        )
    };
    let year = |y: &str| {
        y.parse::<i32>()
            .ok()
            .filter(|y| (1970..=9999).contains(y) && y.to_string().len() == 4)
    };
    let span = |g: Granularity, start: NaiveDate| {
        let end = g.next_start(start).pred_opt().unwrap_or(start);
        (start, end)
    };
    let (y, rest) = match s.split_once('-') {
        Some((y, rest)) => (y, Some(rest)),
        None => (s, None),
    };
    let y = year(y).ok_or_else(bad)?;
    let start_of = |m: u32| NaiveDate::from_ymd_opt(y, m, 1);
    Ok(match rest {
        None => {
            let start = start_of(1).ok_or_else(bad)?;
            (
                start,
                start_of(12).ok_or_else(bad)?.with_day(31).ok_or_else(bad)?,
            )
        }
        Some(r) if r.starts_with(['Q', 'q']) => {
            let q: u32 = r[1..]
                .parse()
                .ok()
                .filter(|q| (1..=4).contains(q))
                .ok_or_else(bad)?;
            span(
                Granularity::Quarter,
                start_of((q - 1) * 3 + 1).ok_or_else(bad)?,
            )
        }
        Some(r) if r.starts_with(['W', 'w']) => {
            let w: u32 = r[1..].parse().ok().ok_or_else(bad)?;
            let start = NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).ok_or_else(bad)?;
            span(Granularity::Week, start)
        }
        Some(r) if r.len() == 2 => {
            let m: u32 = r.parse().ok().ok_or_else(bad)?;
            span(Granularity::Month, start_of(m).ok_or_else(bad)?)
        }
        Some(_) => return Err(bad()),
    })
}

/// The quarter before the one starting at `start` (any day of it will do), as its first
/// and last day.
pub fn previous_quarter(start: NaiveDate) -> (NaiveDate, NaiveDate) {
    let this = Granularity::Quarter.bucket_start(start);
    let prev = this - Months::new(3);
    (prev, this.pred_opt().unwrap_or(this))
}

/// What an NPS can be broken down by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    Time(Granularity),
    Touchpoint,
    Channel,
    Language,
    /// A customer attribute as it was when the answer was given, e.g. `segment:plan`.
    Segment(Label),
}

impl FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "day" => Self::Time(Granularity::Day),
            "week" => Self::Time(Granularity::Week),
            "month" => Self::Time(Granularity::Month),
            "quarter" => Self::Time(Granularity::Quarter),
            "touchpoint" => Self::Touchpoint,
            "channel" => Self::Channel,
            "language" => Self::Language,
            _ => match s.strip_prefix("segment:") {
                Some(attr) => Self::Segment(
                    Label::new(attr).map_err(|e| format!("group_by segment attribute: {e}"))?,
                ),
                None => {
                    return Err(format!(
                        "group_by must be one of day, week, month, quarter, touchpoint, channel, \
                         language or segment:<attribute>; got {s:?}"
                    ))
                }
            },
        })
    }
}

impl std::fmt::Display for GroupBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Time(g) => write!(f, "{}", format!("{g:?}").to_lowercase()),
            Self::Touchpoint => f.write_str("touchpoint"),
            Self::Channel => f.write_str("channel"),
            Self::Language => f.write_str("language"),
            Self::Segment(a) => write!(f, "segment:{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn buckets_start_where_people_expect() {
        let date = d(2026, 11, 23); // a Monday
        assert_eq!(Granularity::Week.bucket_start(d(2026, 11, 29)), date);
        assert_eq!(Granularity::Month.bucket_start(date), d(2026, 11, 1));
        assert_eq!(Granularity::Quarter.bucket_start(date), d(2026, 10, 1));
        assert_eq!(
            Granularity::Quarter.bucket_start(d(2026, 3, 31)),
            d(2026, 1, 1)
        );
        assert_eq!(
            Granularity::Quarter.next_start(d(2026, 10, 1)),
            d(2027, 1, 1)
        );
        assert_eq!(Granularity::Week.label(date), "2026-W48");
        assert_eq!(Granularity::Quarter.label(d(2026, 10, 1)), "2026-Q4");
        assert_eq!(Granularity::Week.label(d(2027, 1, 1)), "2026-W53");
    }

    #[test]
    fn named_periods_parse_to_their_days() {
        assert_eq!(parse_period("2026"), Ok((d(2026, 1, 1), d(2026, 12, 31))));
        assert_eq!(parse_period("2026-Q3"), Ok((d(2026, 7, 1), d(2026, 9, 30))));
        assert_eq!(parse_period("2026-q1"), Ok((d(2026, 1, 1), d(2026, 3, 31))));
        assert_eq!(parse_period("2026-02"), Ok((d(2026, 2, 1), d(2026, 2, 28))));
        assert_eq!(
            parse_period("2026-W48"),
            Ok((d(2026, 11, 23), d(2026, 11, 29)))
        );
        assert_eq!(parse_period("2026-W53").map(|p| p.0), Ok(d(2026, 12, 28)));
        for bad in [
            "",
            "26",
            "2026-Q5",
            "2026-13",
            "2026-1",
            "2025-W53",
            "2026-11-01",
            "x-Q1",
        ] {
            let err = parse_period(bad).unwrap_err();
            assert!(err.contains("a period is a year"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_previous_quarter_is_a_whole_quarter() {
        // Not the 92 days before 1 July (31 Mar – 30 Jun).
        assert_eq!(
            previous_quarter(d(2026, 7, 1)),
            (d(2026, 4, 1), d(2026, 6, 30))
        );
        assert_eq!(
            previous_quarter(d(2026, 1, 1)),
            (d(2025, 10, 1), d(2025, 12, 31))
        );
        assert_eq!(
            previous_quarter(d(2026, 5, 17)),
            (d(2026, 1, 1), d(2026, 3, 31))
        );
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(day_number(d(1970, 1, 2)), 1);
        assert_eq!(date_of_day(day_number(d(2026, 2, 28))), d(2026, 2, 28));
    }

    #[test]
    fn group_by_parses_and_explains_errors() {
        assert_eq!("month".parse(), Ok(GroupBy::Time(Granularity::Month)));
        assert_eq!(
            "segment:plan".parse::<GroupBy>().unwrap().to_string(),
            "segment:plan"
        );
        let err = "colour".parse::<GroupBy>().unwrap_err();
        assert!(
            err.contains("group_by must be one of") && err.contains("colour"),
            "{err}"
        );
        assert!("segment:".parse::<GroupBy>().is_err());
    }
}
