//! Net Promoter Score and its statistics.
//!
//! With `P` promoters, `A` passives and `D` detractors out of `n = P + A + D` answers,
//! `p = P/n` and `d = D/n`:
//!
//! - **NPS** `= 100 · (p − d)`, from −100 to +100.
//! - **Variance** of the NPS as a fraction: `Var = (p + d − (p − d)²) / n`.
//! - **Wald 95 % interval**: `NPS ± 1.96 · 100 · √Var`.
//! - **Adjusted-Wald 95 % interval** (better coverage for small n): add 0.75 promoters,
//!   1.5 passives and 0.75 detractors (so `n + 3`), compute the adjusted NPS and its
//!   variance the same way, and take `adjusted NPS ± 1.96 · 100 · √Var`.
//! - **Two-sample z-test** for the difference of two independent NPS values:
//!   `z = (nps₁ − nps₂) / √(Var₁ + Var₂)`, two-sided `p = 2 · (1 − Φ(|z|))`; the
//!   difference is significant when `p < 0.05`, and its 95 % interval is
//!   `diff ± 1.96 · √(Var₁ + Var₂)`.
//!
//! Intervals are clipped to [−100, 100]; with no answers there is no interval. Fewer than [`SMALL_SAMPLE`] answers are flagged
//! as too few to read.

use crate::score::{Category, Score};
use crate::stats::normal_cdf;
use serde::Serialize;

/// Below this many answers an NPS is flagged as too small a sample to read.
pub const SMALL_SAMPLE: u64 = 30;
const Z95: f64 = 1.959_963_984_540_054;
/// A difference is significant below this two-sided p-value (95 %).
pub(crate) const SIGNIFICANCE: f64 = 0.05;

/// How many answers fell into each category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NpsCounts {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

/// Which 95 % interval to compute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CiMethod {
    Wald,
    #[default]
    AdjustedWald,
}

impl CiMethod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wald" => Some(Self::Wald),
            "adjusted_wald" | "adjusted-wald" => Some(Self::AdjustedWald),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wald => "wald",
            Self::AdjustedWald => "adjusted_wald",
        }
    }
}

/// Each category's share of the answers, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shares {
    pub promoters: f64,
    pub passives: f64,
    pub detractors: f64,
}

/// A 95 % confidence interval on the NPS scale (−100..100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    pub method: CiMethod,
}

/// The difference between two NPS values and whether it is more than noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// `nps(current) − nps(previous)`, in NPS points.
    pub difference: f64,
    /// 95 % interval of the difference, in NPS points.
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub z: f64,
    pub p_value: f64,
    pub significant: bool,
}

impl NpsCounts {
    pub fn new(promoters: u64, passives: u64, detractors: u64) -> Self {
        Self {
            promoters,
            passives,
            detractors,
        }
    }

    /// Counts from a histogram indexed by score 0..=10.
    pub fn from_histogram(hist: &[u64; 11]) -> Self {
        let mut c = Self::default();
        for score in Score::all() {
            c.add(score, hist[usize::from(score.value())]);
        }
        c
    }

    pub fn add(&mut self, score: Score, count: u64) {
        match score.category() {
            Category::Promoter => self.promoters += count,
            Category::Passive => self.passives += count,
            Category::Detractor => self.detractors += count,
        }
    }

    pub fn merge(&mut self, other: &NpsCounts) {
        self.promoters += other.promoters;
        self.passives += other.passives;
        self.detractors += other.detractors;
    }

    pub fn n(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// The NPS, or `None` when there are no answers.
    pub fn nps(&self) -> Option<f64> {
        // From the counts rather than the shares, so round figures stay exact (45, not 44.999…).
        let n = self.n();
        (n > 0).then(|| 100.0 * (self.promoters as f64 - self.detractors as f64) / n as f64)
    }

    /// Percentages of promoters, passives and detractors (each 0–100), or `None` when
    /// there are no answers.
    pub fn shares(&self) -> Option<Shares> {
        let n = self.n() as f64;
        (n > 0.0).then(|| Shares {
            promoters: 100.0 * self.promoters as f64 / n,
            passives: 100.0 * self.passives as f64 / n,
            detractors: 100.0 * self.detractors as f64 / n,
        })
    }

    /// `(promoter share, detractor share, variance of the NPS as a fraction)`.
    fn fractions(&self) -> Option<(f64, f64, f64)> {
        shares_and_variance(
            self.promoters as f64,
            self.passives as f64,
            self.detractors as f64,
        )
    }

    /// The 95 % interval, or `None` when there are no answers: with n = 0 there is
    /// nothing to estimate (adjusted-Wald's pseudo-answers alone would give ±80).
    pub fn ci95(&self, method: CiMethod) -> Option<Interval> {
        if self.n() == 0 {
            return None;
        }
        let (p, d, var) = match method {
            CiMethod::Wald => self.fractions()?,
            CiMethod::AdjustedWald => shares_and_variance(
                self.promoters as f64 + 0.75,
                self.passives as f64 + 1.5,
                self.detractors as f64 + 0.75,
            )?,
        };
        let centre = p - d;
        let margin = Z95 * var.sqrt();
        Some(Interval {
            low: clip(100.0 * (centre - margin)),
            high: clip(100.0 * (centre + margin)),
            method,
        })
    }

    /// Whether there are too few answers to read the NPS.
    pub fn is_small_sample(&self) -> bool {
        self.n() < SMALL_SAMPLE
    }

    /// Two-sample z-test of `self` (current) against `previous`. `None` when either side
    /// has no answers or both have zero variance (the test is undefined).
    pub fn compare(&self, previous: &NpsCounts) -> Option<Comparison> {
        let (p1, d1, v1) = self.fractions()?;
        let (p2, d2, v2) = previous.fractions()?;
        let diff = (p1 - d1) - (p2 - d2);
        let se = (v1 + v2).sqrt();
        if se == 0.0 {
            return None;
        }
        let z = diff / se;
        let p_value = (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0);
        Some(Comparison {
            difference: self.nps()? - previous.nps()?,
            ci95_low: 100.0 * (diff - Z95 * se),
            ci95_high: 100.0 * (diff + Z95 * se),
            z,
            p_value,
            significant: p_value < SIGNIFICANCE,
        })
    }
}

fn shares_and_variance(promoters: f64, passives: f64, detractors: f64) -> Option<(f64, f64, f64)> {
    let n = promoters + passives + detractors;
    if n <= 0.0 {
        return None;
    }
    let (p, d) = (promoters / n, detractors / n);
    let var = ((p + d - (p - d).powi(2)) / n).max(0.0);
    Some((p, d, var))
}

fn clip(x: f64) -> f64 {
    x.clamp(-100.0, 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn nps_of_a_hand_counted_sample() {
        // 50 promoters, 30 passives, 20 detractors: p = .5, d = .2, NPS = 30.
        let c = NpsCounts::new(50, 30, 20);
        assert_eq!(c.n(), 100);
        let s = c.shares().unwrap();
        assert_eq!((s.promoters, s.passives, s.detractors), (50.0, 30.0, 20.0));
        assert!(close(c.nps().unwrap(), 30.0));
        // Var = (.5 + .2 − .3²) / 100 = .0061; margin = 1.959964 · √.0061 = .153077
        let w = c.ci95(CiMethod::Wald).unwrap();
        assert!((w.low - 14.6923).abs() < 1e-3, "{w:?}");
        assert!((w.high - 45.3077).abs() < 1e-3, "{w:?}");
    }

    #[test]
    fn adjusted_wald_adds_three_pseudo_answers() {
        // n' = 103, p' = 50.75/103, d' = 20.75/103
        let c = NpsCounts::new(50, 30, 20);
        let a = c.ci95(CiMethod::AdjustedWald).unwrap();
        let (p, d) = (50.75 / 103.0, 20.75 / 103.0);
        let var: f64 = (p + d - (p - d) * (p - d)) / 103.0;
        let m = 1.959_963_984_540_054 * var.sqrt();
        assert!(close(a.low, 100.0 * (p - d - m)));
        assert!(close(a.high, 100.0 * (p - d + m)));
        // For a tiny all-promoter sample the Wald interval collapses; adjusted-Wald does not.
        let tiny = NpsCounts::new(3, 0, 0);
        let w = tiny.ci95(CiMethod::Wald).unwrap();
        assert_eq!((w.low, w.high), (100.0, 100.0));
        let a = tiny.ci95(CiMethod::AdjustedWald).unwrap();
        assert!(a.low < 60.0 && a.high == 100.0, "{a:?}");
    }

    #[test]
    fn no_answers_means_no_nps() {
        let c = NpsCounts::default();
        assert_eq!(c.nps(), None);
        assert_eq!(c.ci95(CiMethod::Wald), None);
        // Not the pseudo-answers' −80..+80 either.
        assert_eq!(c.ci95(CiMethod::AdjustedWald), None);
        assert!(c.is_small_sample());
        assert!(!NpsCounts::new(10, 10, 10).is_small_sample());
        assert!(NpsCounts::new(10, 10, 9).is_small_sample());
    }

    #[test]
    fn z_test_against_a_hand_computed_value() {
        // now: 60/25/15 of 100 → NPS 45, Var = (.75 − .45²)/100 = .005475
        // before: 40/30/30 of 100 → NPS 10, Var = (.70 − .10²)/100 = .0069
        // z = .35 / √.012375 = 3.14627, p ≈ .00165
        let now = NpsCounts::new(60, 25, 15);
        let before = NpsCounts::new(40, 30, 30);
        let c = now.compare(&before).unwrap();
        assert!(close(c.difference, 35.0));
        assert!((c.z - 3.146_27).abs() < 1e-4, "{c:?}");
        assert!((c.p_value - 0.001_653).abs() < 1e-5, "{c:?}");
        assert!(c.significant);
        let se = 0.012_375_f64.sqrt();
        assert!(close(
            c.ci95_low,
            100.0 * (0.35 - 1.959_963_984_540_054 * se)
        ));
        // A small change on small samples is not significant.
        let c = NpsCounts::new(6, 2, 2)
            .compare(&NpsCounts::new(5, 2, 3))
            .unwrap();
        assert!(!c.significant, "{c:?}");
        assert!(NpsCounts::default().compare(&now).is_none());
        assert!(NpsCounts::new(5, 0, 0)
            .compare(&NpsCounts::new(7, 0, 0))
            .is_none());
    }

    #[test]
    fn two_groups_of_different_sizes_against_hand_computed_values() {
        // a: 30/10/10 of 50 → NPS 40, Var = (.6 + .2 − .4²)/50 = .0128
        // b: 20/40/40 of 100 → NPS −20, Var = (.2 + .4 − .2²)/100 = .0056
        // difference 60, se = √.0184 = .135647, z = 4.42326, p = 9.72e-6,
        // 95 % interval 60 ± 26.586 → 33.414 to 86.586.
        let a = NpsCounts::new(30, 10, 10);
        let b = NpsCounts::new(20, 40, 40);
        let c = a.compare(&b).unwrap();
        assert!(close(c.difference, 60.0), "{c:?}");
        assert!((c.z - 4.423_259).abs() < 1e-5, "{c:?}");
        assert!((c.p_value - 9.722e-6).abs() < 1e-8, "{c:?}");
        assert!((c.ci95_low - 33.413_755).abs() < 1e-5, "{c:?}");
        assert!((c.ci95_high - 86.586_245).abs() < 1e-5, "{c:?}");
        assert!(c.significant);
        // a: 12/5/3 of 20 → NPS 45, Var = .027375; b: 9/6/5 of 20 → NPS 20, Var = .033:
        // difference 25, z = .25 / √.060375 = 1.01745, p = .30894: not significant.
        let c = NpsCounts::new(12, 5, 3)
            .compare(&NpsCounts::new(9, 6, 5))
            .unwrap();
        assert!(close(c.difference, 25.0), "{c:?}");
        assert!((c.z - 1.017_446).abs() < 1e-5, "{c:?}");
        assert!((c.p_value - 0.308_941).abs() < 1e-5, "{c:?}");
        assert!(!c.significant);
    }

    #[test]
    fn histogram_counts_follow_categories() {
        let mut hist = [0u64; 11];
        hist[0] = 2;
        hist[6] = 1;
        hist[7] = 4;
        hist[9] = 3;
        hist[10] = 5;
        assert_eq!(NpsCounts::from_histogram(&hist), NpsCounts::new(8, 4, 3));
    }

    proptest! {
        #[test]
        fn nps_and_intervals_stay_in_range(p in 0u64..5000, a in 0u64..5000, d in 0u64..5000) {
            let c = NpsCounts::new(p, a, d);
            prop_assume!(c.n() > 0);
            let nps = c.nps().unwrap();
            prop_assert!((-100.0..=100.0).contains(&nps));
            for m in [CiMethod::Wald, CiMethod::AdjustedWald] {
                let i = c.ci95(m).unwrap();
                prop_assert!(-100.0 <= i.low && i.low <= i.high && i.high <= 100.0);
            }
            let w = c.ci95(CiMethod::Wald).unwrap();
            prop_assert!(w.low <= nps + 1e-9 && nps <= w.high + 1e-9);
        }

        #[test]
        fn comparison_is_antisymmetric(p1 in 1u64..500, a1 in 0u64..500, d1 in 1u64..500,
                                       p2 in 1u64..500, a2 in 0u64..500, d2 in 1u64..500) {
            let x = NpsCounts::new(p1, a1, d1);
            let y = NpsCounts::new(p2, a2, d2);
            let xy = x.compare(&y).unwrap();
            let yx = y.compare(&x).unwrap();
            prop_assert!((xy.difference + yx.difference).abs() < 1e-9);
            prop_assert!((xy.p_value - yx.p_value).abs() < 1e-9);
            prop_assert!((0.0..=1.0).contains(&xy.p_value));
        }
    }
}
