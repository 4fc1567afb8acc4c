//! Staff preferences: the language and time zone a person reads Advocate's emails in, and
//! when their digest is due. Checked here once, so the store and the server only pass
//! valid values along.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
pub use chrono_tz::Tz;
use std::fmt;

/// Each staff language by its own name, in the order they are offered.
pub const LANGUAGE_NAMES: [(&str, &str); 7] = [
    ("en", "English"),
    ("nb", "Norsk bokmål"),
    ("sv", "Svenska"),
    ("da", "Dansk"),
    ("fi", "Suomi"),
    ("de", "Deutsch"),
    ("nl", "Nederlands"),
];

/// A staff member's language: one of [`crate::i18n::SUPPORTED`] (staff texts exist only
/// in those).
pub fn check_language(s: &str) -> Result<&'static str, String> {
    let s = s.trim().to_ascii_lowercase();
    crate::i18n::SUPPORTED
        .into_iter()
        .find(|l| *l == s)
        .ok_or_else(|| {
            format!(
                "language must be one of {}; got {s:?}",
                crate::i18n::SUPPORTED.join(", ")
            )
        })
}

/// An IANA time zone name such as `Europe/Oslo` or `UTC` (exact spelling).
pub fn check_time_zone(s: &str) -> Result<Tz, String> {
    s.trim().parse::<Tz>().map_err(|_| {
        format!("time_zone must be an IANA time zone name such as Europe/Oslo; got {s:?}")
    })
}

/// How often a member gets a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestFrequency {
    Off,
    Daily,
    /// On Mondays.
    Weekly,
}

impl DigestFrequency {
    pub const ALL: [DigestFrequency; 3] = [Self::Off, Self::Daily, Self::Weekly];

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "off" => Ok(Self::Off),
            "daily" => Ok(Self::Daily),
            "weekly" => Ok(Self::Weekly),
            other => Err(format!(
                "digest must be one of off, daily, weekly; got {other:?}"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    /// How far back a digest looks: the last day or the last seven.
    pub fn span(self) -> Option<Duration> {
        match self {
            Self::Off => None,
            Self::Daily => Some(Duration::days(1)),
            Self::Weekly => Some(Duration::days(7)),
        }
    }
}

impl fmt::Display for DigestFrequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hour of the day a digest is sent at, 0–23 local time.
pub fn check_digest_hour(h: i64) -> Result<u8, String> {
    u8::try_from(h)
        .ok()
        .filter(|h| *h < 24)
        .ok_or_else(|| format!("digest_hour must be 0 to 23; got {h}"))
}

/// When today's (daily) or this Monday's (weekly) digest falls due for someone in `tz`
/// at `hour`, or `None` when none falls due on `now`'s local day (a weekly digest on any
/// day but Monday, or no digest at all).
///
/// The hour is read on the local calendar: when a DST change skips it, the digest is due
/// at the first instant after the gap; when it repeats it, at its first occurrence. So
/// every day has exactly one due instant, and a digest sent at or after it is that day's.
pub fn digest_due_at(
    frequency: DigestFrequency,
    hour: u8,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let today = now.with_timezone(&tz).date_naive();
    match frequency {
        DigestFrequency::Off => return None,
        DigestFrequency::Weekly if today.weekday() != Weekday::Mon => return None,
        _ => {}
    }
    Some(local_instant(tz, today, hour))
}

/// Whether a digest is due at `now` given when the last one was sent.
pub fn digest_is_due(
    frequency: DigestFrequency,
    hour: u8,
    tz: Tz,
    now: DateTime<Utc>,
    last_sent: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let due = digest_due_at(frequency, hour, tz, now)?;
    (now >= due && last_sent.is_none_or(|sent| sent < due)).then_some(due)
}

/// The first instant of `hour`:00 on `date` in `tz`, or just after a gap that skips it.
fn local_instant(tz: Tz, date: NaiveDate, hour: u8) -> DateTime<Utc> {
    let wall = date
        .and_hms_opt(u32::from(hour), 0, 0)
        .expect("hour is 0..24");
    // A gap is at most a few hours; step forward by minutes until the clock exists.
    for minutes in 0..=24 * 60 {
        match tz.from_local_datetime(&(wall + Duration::minutes(minutes))) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => {}
        }
    }
    // No zone skips a whole day of wall-clock time; UTC keeps the digest going if one did.
    Utc.from_utc_datetime(&wall)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn languages_and_zones_are_checked() {
        assert_eq!(check_language("NB"), Ok("nb"));
        assert!(check_language("xx").unwrap_err().contains("language"));
        assert_eq!(check_time_zone("Europe/Oslo").unwrap(), Tz::Europe__Oslo);
        assert!(check_time_zone("Mars/Base")
            .unwrap_err()
            .contains("time_zone"));
        assert!(check_digest_hour(24).is_err() && check_digest_hour(-1).is_err());
        assert_eq!(check_digest_hour(0), Ok(0));
    }

    #[test]
    fn a_daily_digest_is_due_once_a_day_from_its_local_hour() {
        let oslo = Tz::Europe__Oslo;
        let d = DigestFrequency::Daily;
        // 8:00 in Oslo in winter is 07:00 UTC.
        assert_eq!(
            digest_is_due(d, 8, oslo, utc("2026-01-14T06:59:00Z"), None),
            None
        );
        let due = digest_is_due(d, 8, oslo, utc("2026-01-14T07:00:00Z"), None).unwrap();
        assert_eq!(due, utc("2026-01-14T07:00:00Z"));
        let sent = Some(utc("2026-01-14T07:00:30Z"));
        assert_eq!(
            digest_is_due(d, 8, oslo, utc("2026-01-14T20:00:00Z"), sent),
            None
        );
        assert!(digest_is_due(d, 8, oslo, utc("2026-01-15T07:01:00Z"), sent).is_some());
    }

    #[test]
    fn a_weekly_digest_is_due_on_mondays_only() {
        let ny = Tz::America__New_York;
        let w = DigestFrequency::Weekly;
        // 2026-01-12 is a Monday; 8:00 in New York is 13:00 UTC.
        assert!(digest_is_due(w, 8, ny, utc("2026-01-13T13:00:00Z"), None).is_none());
        assert!(digest_is_due(w, 8, ny, utc("2026-01-12T12:59:00Z"), None).is_none());
        assert!(digest_is_due(w, 8, ny, utc("2026-01-12T13:00:00Z"), None).is_some());
        // Sunday evening in New York is Monday in UTC: still Sunday where they are.
        assert!(digest_is_due(w, 8, ny, utc("2026-01-12T03:00:00Z"), None).is_none());
    }

    #[test]
    fn a_skipped_or_repeated_hour_still_gives_one_digest() {
        let oslo = Tz::Europe__Oslo;
        let d = DigestFrequency::Daily;
        // 2026-03-29: clocks go from 02:00 to 03:00 in Oslo; 02:00 does not exist.
        let due = digest_due_at(d, 2, oslo, utc("2026-03-29T12:00:00Z")).unwrap();
        assert_eq!(
            due,
            utc("2026-03-29T01:00:00Z"),
            "03:00 CEST, just after the gap"
        );
        // 2026-10-25: 02:00–03:00 happens twice; the first one counts, once.
        let due = digest_due_at(d, 2, oslo, utc("2026-10-25T12:00:00Z")).unwrap();
        assert_eq!(due, utc("2026-10-25T00:00:00Z"), "02:00 CEST");
        let sent = Some(utc("2026-10-25T00:00:10Z"));
        assert_eq!(
            digest_is_due(d, 2, oslo, utc("2026-10-25T01:00:10Z"), sent),
            None,
            "the second 02:00 sends nothing more"
        );
    }
}
