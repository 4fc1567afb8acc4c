//! The rate-limiting rule (GCRA, a token bucket kept as one instant per key), shared by
//! the in-memory limiter of one instance and the database-backed one several instances
//! share: both keep, per key, the instant its allowance is whole again ("full at"), and
//! only this arithmetic decides what passes.
//!
//! A request uses up `interval`; it passes when the key's schedule runs at most
//! `tolerance` (`burst - 1` intervals) ahead of now. The store's SQL mirrors
//! [`Gcra::take`] and [`Gcra::refund`] in milliseconds (see `advocate_store::rate_limits`).

use std::ops::{Add, Sub};
use std::time::Duration;

/// A limit: `burst` requests at once, then one each `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// Time one request uses up.
    pub interval: Duration,
    /// How far ahead of now a key's schedule may run.
    pub tolerance: Duration,
}

impl Gcra {
    /// `burst` at once, refilling at `per_minute`.
    pub fn per_minute(burst: u32, per_minute: u32) -> Self {
        Self::with_interval(burst, Duration::from_secs(60) / per_minute.max(1))
    }

    /// `burst` within `period`, then one each `period / burst`.
    pub fn per_period(burst: u32, period: Duration) -> Self {
        Self::with_interval(burst, period / burst.max(1))
    }

    fn with_interval(burst: u32, interval: Duration) -> Self {
        Self {
            interval,
            tolerance: interval * (burst.max(1) - 1),
        }
    }

    /// Takes one request from a key whose allowance is whole at `full_at` (`None`: never
    /// seen, i.e. whole): the new "full at", or how long until a request is free.
    pub fn take<T>(&self, full_at: Option<T>, now: T) -> Result<T, Duration>
    where
        T: Copy + Ord + Add<Duration, Output = T> + Sub<T, Output = Duration>,
    {
        let start = full_at.map_or(now, |f| f.max(now));
        let ahead = start - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        Ok(start + self.interval)
    }

    /// Gives back one request: the "full at" one interval earlier, never before `now` (an
    /// allowance is never more than whole).
    pub fn refund<T>(&self, full_at: T, now: T) -> T
    where
        T: Copy + Ord + Sub<Duration, Output = T> + Sub<T, Output = Duration>,
    {
        if full_at > now && full_at - now > self.interval {
            full_at - self.interval
        } else {
            now
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Milliseconds as a time, as the store keeps them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct Ms(u64);
    impl Add<Duration> for Ms {
        type Output = Ms;
        fn add(self, d: Duration) -> Ms {
            Ms(self.0 + d.as_millis() as u64)
        }
    }
    impl Sub<Duration> for Ms {
        type Output = Ms;
        fn sub(self, d: Duration) -> Ms {
            Ms(self.0 - d.as_millis() as u64)
        }
    }
    impl Sub<Ms> for Ms {
        type Output = Duration;
        fn sub(self, o: Ms) -> Duration {
            Duration::from_millis(self.0.saturating_sub(o.0))
        }
    }

    #[test]
    fn a_burst_passes_then_one_each_interval() {
        let g = Gcra::per_minute(3, 30); // 2 s each
        let now = Ms(1_000_000);
        let mut full_at = None;
        for _ in 0..3 {
            full_at = Some(g.take(full_at, now).unwrap());
        }
        assert_eq!(full_at, Some(Ms(1_006_000)));
        assert_eq!(g.take(full_at, now), Err(Duration::from_secs(2)));
        assert!(g.take(full_at, Ms(1_002_000)).is_ok());
        // Long idle: whole again, never more.
        assert_eq!(g.take(full_at, Ms(9_000_000)), Ok(Ms(9_002_000)));
    }

    #[test]
    fn a_refund_never_makes_an_allowance_more_than_whole() {
        let g = Gcra::per_period(5, Duration::from_secs(300)); // 60 s each
        let now = Ms(1_000_000);
        assert_eq!(g.refund(Ms(1_180_000), now), Ms(1_120_000));
        assert_eq!(g.refund(Ms(1_030_000), now), now);
        assert_eq!(g.refund(Ms(10), now), now);
    }
}
