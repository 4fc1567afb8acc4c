//! What drives the score: for a theme, the NPS of those who mention it against those who do
//! not, and its *impact*, how many points the whole NPS would move without its mentioners.
//!
//! With `N₁`, `V₁` the NPS and variance (as fractions, see [`crate::nps`]) of the `n₁`
//! mentioners and `N₀`, `V₀` those of the `n₀` others, `n = n₁ + n₀` and `w = n₁ / n`:
//!
//! - NPS(all) `= w·N₁ + (1 − w)·N₀` (the NPS of the pooled answers is exactly this mix), so
//!   **impact** `= NPS(all) − N₀ = w · (N₁ − N₀)`.
//! - Its variance by the delta method, treating the share `w` and the difference
//!   `D = N₁ − N₀` as independent estimates: `Var(impact) ≈ w²·(V₁ + V₀) + D²·w(1 − w)/n`,
//!   where `w(1 − w)/n` is the binomial variance of the share. The 95 % interval is
//!   `impact ± 1.96·√Var`, in NPS points. It is significant when the interval leaves out 0.
//! - The **difference** `N₁ − N₀` and its interval are [`NpsCounts::compare`]'s two-sample
//!   z-test, the same test as everywhere else in Advocate.
//!
//! A side with fewer than [`crate::SMALL_SAMPLE`] answers is a small group: its figures are
//! shown, flagged, and never ranked.

use crate::nps::{Comparison, NpsCounts};
use serde::Serialize;

const Z95: f64 = 1.959_963_984_540_054;

/// One theme's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    pub mentioners: NpsCounts,
    pub others: NpsCounts,
    /// Mentioners as a percentage of those who commented.
    pub share_of_commenters: Option<f64>,
    pub nps_mentioners: Option<f64>,
    pub nps_others: Option<f64>,
    /// Mentioners against the others (two-sample test).
    pub difference: Option<Comparison>,
    /// NPS(all) − NPS(others), in NPS points.
    pub impact: Option<f64>,
    pub impact_ci95_low: Option<f64>,
    pub impact_ci95_high: Option<f64>,
    pub significant: bool,
    /// Either side is below the small-sample rule.
    pub small_group: bool,
}

impl Driver {
    /// `mentioners`: answers whose comment mentions the theme; `others`: every other answer
    /// in the same view; `commenters`: answers with a comment (the share's base).
    pub fn new(mentioners: NpsCounts, others: NpsCounts, commenters: u64) -> Driver {
        let (n1, n0) = (mentioners.n() as f64, others.n() as f64);
        let n = n1 + n0;
        let difference = mentioners.compare(&others);
        let (mut impact, mut low, mut high) = (None, None, None);
        if let (Some(a), Some(b)) = (mentioners.nps(), others.nps()) {
            let w = n1 / n;
            let d = a - b;
            impact = Some(w * d);
            let (v1, v0) = (variance(&mentioners), variance(&others));
            // In NPS points: D and the variances are scaled by 100 and 100².
            let var = w * w * (v1 + v0) * 1e4 + d * d * w * (1.0 - w) / n;
            let m = Z95 * var.sqrt();
            low = Some(w * d - m);
            high = Some(w * d + m);
        }
        let significant = match (low, high) {
            (Some(l), Some(h)) => l > 0.0 || h < 0.0,
            _ => false,
        };
        Driver {
            mentioners,
            others,
            share_of_commenters: (commenters > 0).then(|| 100.0 * n1 / commenters as f64),
            nps_mentioners: mentioners.nps(),
            nps_others: others.nps(),
            difference,
            impact,
            impact_ci95_low: low,
            impact_ci95_high: high,
            significant,
            small_group: mentioners.is_small_sample() || others.is_small_sample(),
        }
    }
}

/// Variance of an NPS as a fraction: `(p + d − (p − d)²) / n` (0 with no answers).
fn variance(c: &NpsCounts) -> f64 {
    let n = c.n() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let (p, d) = (c.promoters as f64 / n, c.detractors as f64 / n);
    ((p + d - (p - d).powi(2)) / n).max(0.0)
}

/// A driver in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked<K> {
    pub key: K,
    pub driver: Driver,
    /// 1 for the largest |impact|; `None` for small groups, which are listed last, unranked.
    pub rank: Option<usize>,
}

/// Orders drivers by the size of their impact (either sign: the biggest mover first), small
/// groups after all others and unranked. Ties keep the input order.
pub fn rank<K>(drivers: Vec<(K, Driver)>) -> Vec<Ranked<K>> {
    let mut v: Vec<(K, Driver)> = drivers;
    v.sort_by(|(_, a), (_, b)| {
        a.small_group.cmp(&b.small_group).then_with(|| {
            let (x, y) = (
                a.impact.map_or(-1.0, f64::abs),
                b.impact.map_or(-1.0, f64::abs),
            );
            y.total_cmp(&x)
        })
    });
    let mut next = 0;
    v.into_iter()
        .map(|(key, driver)| {
            let rank = (!driver.small_group && driver.impact.is_some()).then(|| {
                next += 1;
                next
            });
            Ranked { key, driver, rank }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn impact_and_its_interval_by_hand() {
        // Mentioners 10/10/30 of 50: NPS −40; p = .2, d = .6, V₁ = (.8 − .16)/50 = .0128.
        // Others 90/30/30 of 150: NPS 40; p = .6, d = .2, V₀ = (.8 − .16)/150 = .0042667.
        // All 100/40/60 of 200: NPS 20. w = .25, D = −80.
        // impact = 20 − 40 = −20 = .25 · −80.
        // Var = .0625 · (.0128 + .0042667) · 10⁴ + 6400 · .25 · .75 / 200
        //     = .0625 · 170.6667 + 6 = 10.6667 + 6 = 16.6667; √ = 4.082483;
        // margin = 1.959964 · 4.082483 = 8.001516 → −28.001516 to −11.998484.
        let d = Driver::new(NpsCounts::new(10, 10, 30), NpsCounts::new(90, 30, 30), 160);
        assert!(close(d.nps_mentioners.unwrap(), -40.0));
        assert!(close(d.nps_others.unwrap(), 40.0));
        assert!(close(d.impact.unwrap(), -20.0));
        let mut all = d.mentioners;
        all.merge(&d.others);
        assert!(close(
            all.nps().unwrap() - d.nps_others.unwrap(),
            d.impact.unwrap()
        ));
        assert!(
            (d.impact_ci95_low.unwrap() + 28.001_516).abs() < 1e-5,
            "{d:?}"
        );
        assert!(
            (d.impact_ci95_high.unwrap() + 11.998_484).abs() < 1e-5,
            "{d:?}"
        );
        assert!(d.significant && !d.small_group);
        // 50 of 160 commenters = 31.25 %.
        assert!(close(d.share_of_commenters.unwrap(), 31.25));
        // The difference is the two-sample test: −80 ± 1.96·√(.0128 + .0042667)·100.
        let c = d.difference.unwrap();
        assert!(close(c.difference, -80.0));
        assert!(
            (c.ci95_low - (-80.0 - 1.959_964 * 13.063_945)).abs() < 1e-3,
            "{c:?}"
        );
        assert!(c.significant);
    }

    #[test]
    fn a_small_or_equal_group_is_flagged_or_not_significant() {
        // 5/3/2 of 10 mentioners: small group.
        let d = Driver::new(NpsCounts::new(5, 3, 2), NpsCounts::new(50, 30, 20), 110);
        assert!(d.small_group);
        // Same mix on both sides: D = 0, impact 0, Var = w²(V₁+V₀) only, not significant.
        // 20/10/10 of 40 and 60/30/30 of 120: NPS 25 both; w = .25; V₁ = (.75 − .0625)/40
        // = .0171875, V₀ = .0057292; Var = .0625 · .0229167 · 10⁴ = 14.3229 → ±7.4177.
        let d = Driver::new(NpsCounts::new(20, 10, 10), NpsCounts::new(60, 30, 30), 160);
        assert!(close(d.impact.unwrap(), 0.0));
        assert!(
            (d.impact_ci95_high.unwrap() - 7.417_67).abs() < 1e-4,
            "{d:?}"
        );
        assert!(!d.significant);
        let none = Driver::new(NpsCounts::default(), NpsCounts::new(1, 0, 0), 0);
        assert_eq!((none.impact, none.share_of_commenters), (None, None));
        assert!(!none.significant && none.small_group);
    }

    #[test]
    fn ranking_orders_by_impact_size_and_leaves_small_groups_unranked() {
        let billing = Driver::new(NpsCounts::new(10, 10, 30), NpsCounts::new(90, 30, 30), 200); // −20
        let staff = Driver::new(NpsCounts::new(40, 5, 5), NpsCounts::new(60, 30, 60), 200); // +17.5
        let same = Driver::new(NpsCounts::new(20, 10, 10), NpsCounts::new(60, 30, 30), 160); // 0
        let tiny = Driver::new(NpsCounts::new(0, 0, 9), NpsCounts::new(90, 30, 30), 200); // small
        assert!(close(staff.impact.unwrap(), 17.5), "{staff:?}");
        let r = rank(vec![
            ("same", same),
            ("tiny", tiny),
            ("staff", staff),
            ("billing", billing),
        ]);
        let order: Vec<_> = r.iter().map(|x| (x.key, x.rank)).collect();
        assert_eq!(
            order,
            [
                ("billing", Some(1)),
                ("staff", Some(2)),
                ("same", Some(3)),
                ("tiny", None)
            ]
        );
        let marked: Vec<_> = r.iter().take(3).map(|x| x.driver.significant).collect();
        assert_eq!(marked, [true, true, false]);
    }
}
