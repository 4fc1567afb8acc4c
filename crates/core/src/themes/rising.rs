//! Rising themes: a theme is *rising* when a larger share of those who commented mention it
//! now than in the period of the same length just before, by more than chance allows.
//!
//! With `x₁` of the `n₁` commenters mentioning it now and `x₀` of `n₀` before, the shares
//! are `p₁ = x₁/n₁` and `p₀ = x₀/n₀`. The two-proportion z-test pools them,
//! `p̂ = (x₁ + x₀)/(n₁ + n₀)`, `z = (p₁ − p₀) / √(p̂(1 − p̂)(1/n₁ + 1/n₀))`, two-sided
//! `p = 2(1 − Φ(|z|))`, significant when `p < 0.05` (as every other test in Advocate).
//!
//! Rising = the share grew, significantly, and at least [`MIN_MENTIONS`] commenters mention
//! it now: the test is a large-sample approximation, and 1 → 2 mentions is no trend.

use crate::nps::SIGNIFICANCE;
use crate::stats::normal_cdf;
use serde::Serialize;

/// A theme needs this many mentions in the current period to be rising.
pub const MIN_MENTIONS: u64 = 5;

/// How many of those who commented in a period mention a theme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Mentions {
    pub mentioners: u64,
    pub commenters: u64,
}

/// A theme's share of commenters now against the period before.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ShareChange {
    /// Percentage of commenters who mention it, the period before and now.
    pub previous_share: f64,
    pub share: f64,
    /// `share − previous_share`, in percentage points.
    pub change: f64,
    pub z: f64,
    pub p_value: f64,
    pub significant: bool,
    /// Grew significantly, with at least [`MIN_MENTIONS`] mentions now.
    pub rising: bool,
}

/// The change of a theme's share from `before` to `now`; `None` when either period has no
/// commenters (there is no share to compare). A count above its commenters (a comment
/// tagged with two themes later merged into one) is read as all of them.
pub fn share_change(now: Mentions, before: Mentions) -> Option<ShareChange> {
    if now.commenters == 0 || before.commenters == 0 {
        return None;
    }
    let (x1, n1) = (
        now.mentioners.min(now.commenters) as f64,
        now.commenters as f64,
    );
    let (x0, n0) = (
        before.mentioners.min(before.commenters) as f64,
        before.commenters as f64,
    );
    let (p1, p0) = (x1 / n1, x0 / n0);
    let pooled = (x1 + x0) / (n1 + n0);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n0)).sqrt();
    // Nobody or everybody mentions it in both periods: no change, nothing to test.
    let z = if se > 0.0 { (p1 - p0) / se } else { 0.0 };
    let p_value = (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0);
    let significant = p_value < SIGNIFICANCE;
    Some(ShareChange {
        previous_share: 100.0 * p0,
        share: 100.0 * p1,
        change: 100.0 * (p1 - p0),
        z,
        p_value,
        significant,
        rising: significant && p1 > p0 && now.mentioners >= MIN_MENTIONS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(mentioners: u64, commenters: u64) -> Mentions {
        Mentions {
            mentioners,
            commenters,
        }
    }

    fn close(a: f64, b: f64, tolerance: f64) {
        assert!((a - b).abs() < tolerance, "{a} is not {b}");
    }

    #[test]
    fn a_significant_rise_is_rising() {
        // 10 of 100 → 30 of 100: p̂ = 40/200 = .2, se = √(.2 · .8 · (1/100 + 1/100))
        // = √.0032 = .0565685, z = .2 / .0565685 = 3.535534, p = 2(1 − Φ(3.5355)) = .000407.
        let c = share_change(m(30, 100), m(10, 100)).unwrap();
        close(c.previous_share, 10.0, 1e-9);
        close(c.share, 30.0, 1e-9);
        close(c.change, 20.0, 1e-9);
        close(c.z, 3.535_534, 1e-6);
        close(c.p_value, 0.000_407, 1e-6);
        assert!(c.significant && c.rising);
        // The same fall is significant, and not rising.
        let c = share_change(m(10, 100), m(30, 100)).unwrap();
        close(c.z, -3.535_534, 1e-6);
        assert!(c.significant && !c.rising);
    }

    #[test]
    fn a_rise_within_the_noise_is_not_rising() {
        // 10 of 100 → 15 of 100: p̂ = .125, se = √(.125 · .875 · .02) = √.0021875
        // = .0467707, z = .05 / .0467707 = 1.069045, p = .285049.
        let c = share_change(m(15, 100), m(10, 100)).unwrap();
        close(c.change, 5.0, 1e-9);
        close(c.z, 1.069_045, 1e-6);
        close(c.p_value, 0.285_049, 1e-5);
        assert!(!c.significant && !c.rising);
    }

    #[test]
    fn too_few_mentions_are_never_rising() {
        // 0 of 20 → 4 of 5: p̂ = 4/25 = .16, se = √(.16 · .84 · (1/5 + 1/20)) = √.0336
        // = .183303, z = .8 / .183303 = 4.364358: significant, but only 4 mentions.
        let c = share_change(m(4, 5), m(0, 20)).unwrap();
        close(c.z, 4.364_358, 1e-6);
        assert!(c.significant && !c.rising);
        // 1 → 2 mentions (1 of 3 → 2 of 2): z = .6667 / √(.6 · .4 · (1/2 + 1/3)) = 1.490712.
        let c = share_change(m(2, 2), m(1, 3)).unwrap();
        close(c.z, 1.490_712, 1e-6);
        assert!(!c.significant && !c.rising);
    }

    #[test]
    fn from_zero_mentions_or_zero_commenters() {
        // 0 of 100 → 10 of 100: p̂ = .05, se = √(.05 · .95 · .02) = √.00095 = .0308221,
        // z = .1 / .0308221 = 3.244428, p = .001177.
        let c = share_change(m(10, 100), m(0, 100)).unwrap();
        close(c.previous_share, 0.0, 1e-9);
        close(c.z, 3.244_428, 1e-6);
        close(c.p_value, 0.001_177, 1e-6);
        assert!(c.rising);
        // No comments before (or now): no share to compare.
        assert_eq!(share_change(m(10, 100), m(0, 0)), None);
        assert_eq!(share_change(m(0, 0), m(10, 100)), None);
        // Nobody mentions it in either period: no change, p = 1.
        let c = share_change(m(0, 50), m(0, 40)).unwrap();
        assert_eq!((c.change, c.z, c.rising), (0.0, 0.0, false));
        close(c.p_value, 1.0, 1e-6);
    }
}
