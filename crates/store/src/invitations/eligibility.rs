//! Who may be asked: never someone who unsubscribed or cannot be reached on the channel,
//! never twice at once, and not again within the workspace's quiet period.

use super::SkipReason;
use crate::models::{Customer, WorkspaceSettings};
use crate::{from_ts, Result};
use advocate_core::period::day_of;
use advocate_core::Channel;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// Why `customer` may not be invited on `channel` at `at`, if anything stops it.
/// `this` is the invitation being sent, left out of its own checks.
pub(super) async fn refusal(
    conn: &mut AnyConnection,
    settings: &WorkspaceSettings,
    customer: &Customer,
    channel: Channel,
    at: DateTime<Utc>,
    this: Option<i64>,
) -> Result<Option<SkipReason>> {
    if customer.unsubscribed_at.is_some() {
        return Ok(Some(SkipReason::Unsubscribed));
    }
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    match channel {
        Channel::Email if blank(&customer.email) => return Ok(Some(SkipReason::NoEmail)),
        Channel::Sms if blank(&customer.phone) => return Ok(Some(SkipReason::NoPhone)),
        _ => {}
    }
    let this = this.unwrap_or(0);
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM invitations WHERE customer_id = $1 AND status = 'scheduled' AND id <> $2 LIMIT 1",
    )
    .bind(customer.id)
    .bind(this)
    .fetch_optional(&mut *conn)
    .await?;
    if waiting.is_some() {
        return Ok(Some(SkipReason::AlreadyScheduled));
    }
    if let Some(last) = last_contact(conn, customer.id, this).await? {
        if in_quiet_period(last, at, settings.quiet_period_days) {
            return Ok(Some(SkipReason::QuietPeriod));
        }
    }
    Ok(None)
}

/// When the customer was last asked (an invitation sent on any channel) or last answered
/// (on any channel, including answers collected elsewhere and sent to the API).
async fn last_contact(
    conn: &mut AnyConnection,
    customer_id: i64,
    this: i64,
) -> Result<Option<DateTime<Utc>>> {
    let invited: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(sent_at) FROM invitations WHERE customer_id = $1 AND status = 'sent' AND id <> $2",
    )
    .bind(customer_id)
    .bind(this)
    .fetch_one(&mut *conn)
    .await?;
    let answered: Option<i64> =
        sqlx::query_scalar("SELECT MAX(answered_at) FROM answers WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(invited.max(answered).map(from_ts))
}

/// Counted in calendar days (UTC): with 90 days, someone asked on 1 March may be asked
/// again from 30 May, whatever the time of day.
pub(super) fn in_quiet_period(last: DateTime<Utc>, at: DateTime<Utc>, days: u32) -> bool {
    i64::from(day_of(at)) < i64::from(day_of(last)) + i64::from(days)
}

/// Whether a customer falls in a `percent` sample. Deterministic per customer and salt
/// (the survey), so a repeated request draws the same people and shares are exact in
/// expectation.
pub(super) fn sampled(customer_id: i64, salt: i64, percent: u8) -> bool {
    percent >= 100
        || mix(customer_id as u64 ^ (salt as u64).rotate_left(32)) % 100 < u64::from(percent)
}

/// SplitMix64's finaliser: spreads consecutive ids evenly over the whole range.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quiet_period_counts_whole_days() {
        let last = Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 0).unwrap();
        let day_89 = Utc.with_ymd_and_hms(2026, 5, 29, 23, 59, 0).unwrap();
        let day_90 = Utc.with_ymd_and_hms(2026, 5, 30, 0, 1, 0).unwrap();
        assert!(in_quiet_period(last, day_89, 90));
        assert!(!in_quiet_period(last, day_90, 90));
        assert!(
            !in_quiet_period(last, last, 0),
            "0 days means no quiet period"
        );
    }

    #[test]
    fn samples_are_close_to_their_share_and_stable() {
        for percent in [1u8, 10, 25, 50, 90] {
            let n = (1..=100_000).filter(|id| sampled(*id, 7, percent)).count();
            let expected = 1000 * usize::from(percent);
            assert!(
                n.abs_diff(expected) < expected / 10 + 100,
                "{percent}%: {n}"
            );
        }
        assert_eq!(sampled(5, 1, 30), sampled(5, 1, 30));
        assert!((1..1000).all(|id| sampled(id, 3, 100)));
    }
}
