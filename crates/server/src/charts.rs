//! Charts as hand-written SVG, rendered on the server.
//!
//! Every function returns a complete `<svg>` element as a `String`, ready to be inserted
//! into a page (the templates do so with `|safe`). That is sound only because everything
//! that came from outside — labels, keys — passes through [`escape`] here, and every
//! number is formatted from an `f64`/`u64`. Colours are not set here: elements carry CSS
//! classes (`detractor`, `passive`, `promoter`, `ambassador`, `band`, `line`, …) and the
//! stylesheet decides. Charts scale with their container through `viewBox`.

use advocate_core::messages::escape_html;
use std::fmt::Write;

mod kpi;
mod nps;

pub use kpi::{linkage, sparkline, LinkageBar};
pub use nps::{breakdown, breakdown_titled, distribution, trend, BreakdownRow, TrendPoint};

/// An NPS (or a difference of NPS values) as a whole number with its sign: `+34`, `-12`,
/// `0`. Never prints `-0`.
pub fn signed(v: f64) -> String {
    let r = v.round();
    if r == 0.0 || !r.is_finite() {
        "0".to_owned()
    } else if r > 0.0 {
        format!("+{r:.0}")
    } else {
        format!("{r:.0}")
    }
}

/// A whole number without a plus sign: `34`, `-12`, `0`.
fn whole(v: f64) -> String {
    let r = v.round();
    if r == 0.0 || !r.is_finite() {
        "0".to_owned()
    } else {
        format!("{r:.0}")
    }
}

/// A percentage for a label: one decimal below 10 %, whole numbers above.
pub fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "0 %".to_owned();
    }
    let p = part as f64 * 100.0 / total as f64;
    if p > 0.0 && p < 10.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.0} %")
    }
}

/// The CSS class of a 0–10 score: 10s are kept apart from 9s.
pub fn score_class(score: u8) -> &'static str {
    match score {
        10.. => "ambassador",
        9 => "promoter",
        7 | 8 => "passive",
        _ => "detractor",
    }
}

/// A value on the NPS scale, or `None` when absent or not a number; clipped to ±100.
fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite()).map(|x| x.clamp(-100.0, 100.0))
}

/// A coordinate with at most one decimal.
fn c(x: f64) -> String {
    let s = format!("{x:.1}");
    match s.strip_suffix(".0") {
        Some(t) if t != "-0" => t.to_owned(),
        Some(_) => "0".to_owned(),
        None => s,
    }
}

/// Shortens a label to `max` characters, ending in `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn open(out: &mut String, kind: &str, w: f64, h: f64, title: &str, summary: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{}"><title>{}</title>"#,
        c(w),
        c(h),
        escape_html(summary),
        escape_html(title),
    );
}

/// A chart with nothing to show, still a valid SVG with a title.
fn no_data(kind: &str, title: &str) -> String {
    let mut out = String::new();
    let summary = format!("{title}: no data for this selection");
    open(&mut out, kind, 720.0, 120.0, title, &summary);
    out.push_str(
        r#"<g class="no-data"><rect class="frame" x="1" y="1" width="718" height="118" rx="8"/><text x="360" y="65" text-anchor="middle">No data for this selection</text></g></svg>"#,
    );
    out
}

/// Runs of consecutive indexes for which `present` holds.
fn runs(len: usize, present: impl Fn(usize) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=len {
        match (start, i < len && present(i)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = r#"<script>alert(1)</script>"&'"#;

    /// A small well-formedness check: tags nest and close, attribute values are quoted,
    /// and `<`/`&` never appear raw in text.
    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        let opens = svg.matches("<g ").count() + svg.matches("<g>").count();
        assert_eq!(
            opens,
            svg.matches("</g>").count(),
            "unbalanced <g> in {svg}"
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");

        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(lt) = rest.find('<') {
            check_text(&rest[..lt]);
            let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
            let tag = &rest[lt + 1..gt];
            assert!(!tag.contains('<'), "raw < inside a tag: {tag}");
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("tag name");
                stack.push(name);
            }
            for value in tag.split('"').skip(1).step_by(2) {
                check_text(value);
            }
            rest = &rest[gt + 1..];
        }
        check_text(rest);
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    fn check_text(text: &str) {
        assert!(
            !text.contains('<') && !text.contains('>'),
            "raw <> in {text:?}"
        );
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bare & in {text:?}"
            );
        }
    }

    fn point(label: &str, nps: Option<f64>, n: u64) -> TrendPoint {
        TrendPoint {
            label: label.into(),
            nps,
            low: nps.map(|v| v - 5.0),
            high: nps.map(|v| v + 5.0),
            n,
        }
    }

    fn row(key: &str, nps: Option<f64>, change: Option<f64>) -> BreakdownRow {
        BreakdownRow {
            key: key.into(),
            nps,
            low: nps.map(|v| v - 8.0),
            high: nps.map(|v| v + 8.0),
            n: 120,
            significant_change: change,
        }
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(signed(34.4), "+34");
        assert_eq!(signed(-0.4), "0");
        assert_eq!(signed(-12.6), "-13");
        assert_eq!(whole(-0.2), "0");
        assert_eq!(c(-0.04), "0");
        assert_eq!(c(12.25), "12.2");
        assert_eq!(c(3.0), "3");
        assert_eq!(percent(1, 3), "33 %");
        assert_eq!(percent(1, 40), "2.5 %");
        assert_eq!(percent(0, 0), "0 %");
        assert_eq!(
            [0, 6, 7, 8, 9, 10].map(score_class),
            [
                "detractor",
                "detractor",
                "passive",
                "passive",
                "promoter",
                "ambassador"
            ]
        );
    }

    #[test]
    fn trend_has_a_dot_per_answered_period_and_breaks_at_gaps() {
        let pts = vec![
            point("2026-01", Some(30.0), 800),
            point("2026-02", Some(35.0), 812),
            point("2026-03", None, 0),
            point("2026-04", Some(20.0), 700),
            point("2026-05", Some(-10.0), 12),
        ];
        let svg = trend(&pts);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches(r#"<path class="line""#).count(), 2, "{svg}");
        assert_eq!(svg.matches(r#"class="band""#).count(), 2);
        assert!(svg.contains("<title>2026-02: NPS 35 (n=812)"), "{svg}");
        assert!(
            svg.contains(
                "<title>2026-05: NPS -10 (n=12), 95 % interval -15 to -5, small sample</title>"
            ),
            "{svg}"
        );
        assert!(svg.contains(r#"class="dot low-n""#));
        assert!(svg.contains(r#"<line class="gridline zero""#));
        // The axis fits the data (−15..40 with the intervals): −20 to +40 every 20.
        assert_eq!(svg.matches("<line class=\"gridline").count(), 4, "{svg}");
        assert!(svg.contains(">+40</text>") && svg.contains(">-20</text>"));
        assert!(!svg.contains(">+100</text>"));
        assert!(
            svg.contains(r#"role="img""#) && svg.contains("aria-label=\"NPS over time: 5 periods")
        );
        assert!(svg.contains("<title>NPS over time</title>"));
    }

    #[test]
    fn a_twenty_point_dip_fills_the_axis_and_empty_periods_have_no_band() {
        let mut empty = point("2026-03", None, 0);
        // What a store may say of a period without answers: the widest interval.
        (empty.low, empty.high) = (Some(-100.0), Some(100.0));
        let svg = trend(&[
            point("2026-01", Some(50.0), 400),
            point("2026-02", Some(30.0), 400),
            empty,
            point("2026-04", Some(50.0), 400),
        ]);
        assert_well_formed(&svg);
        // 25..55 with the intervals: +20 to +60 every 10, no zero line.
        assert_eq!(svg.matches("<line class=\"gridline").count(), 5, "{svg}");
        assert!(svg.contains(">+60</text>") && svg.contains(">+20</text>"));
        assert!(!svg.contains("gridline zero"));
        // The empty period breaks the band as it breaks the line.
        assert_eq!(svg.matches(r#"class="band""#).count(), 2, "{svg}");
    }

    #[test]
    fn a_lone_point_between_gaps_is_a_dot_without_a_line() {
        let svg = trend(&[
            point("a", None, 0),
            point("b", Some(1.0), 40),
            point("c", None, 0),
        ]);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<circle").count(), 1);
        assert_eq!(svg.matches(r#"class="line""#).count(), 0);
        let one = trend(&[point("only", Some(50.0), 40)]);
        assert_well_formed(&one);
        assert_eq!(one.matches("<circle").count(), 1);
    }

    #[test]
    fn trend_labels_are_thinned() {
        let pts: Vec<_> = (0..100)
            .map(|i| point(&format!("2026-01-{i:02}"), Some(f64::from(i) - 50.0), 100))
            .collect();
        let svg = trend(&pts);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<circle").count(), 100);
        let labels = svg.matches(r#"text-anchor="middle">2026-01-"#).count();
        assert!((2..=12).contains(&labels), "{labels} labels");
        // Few short labels are all shown.
        let few: Vec<_> = (1..=6)
            .map(|m| point(&format!("2026-0{m}"), Some(1.0), 50))
            .collect();
        assert_eq!(
            trend(&few)
                .matches(r#"text-anchor="middle">2026-0"#)
                .count(),
            6
        );
    }

    #[test]
    fn hostile_labels_are_escaped_everywhere() {
        let svg = trend(&[point(HOSTILE, Some(10.0), 50), point("x", Some(20.0), 50)]);
        assert_well_formed(&svg);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("&quot;&amp;&#39;"));

        let svg = breakdown_titled(HOSTILE, "NPS", &[row(HOSTILE, Some(10.0), Some(4.0))]);
        assert_well_formed(&svg);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;"));
    }

    #[test]
    fn empty_inputs_give_a_no_data_chart() {
        for svg in [
            trend(&[]),
            trend(&[point("2026-01", None, 0)]),
            distribution(&[0; 11]),
            breakdown(&[]),
        ] {
            assert_well_formed(&svg);
            assert!(svg.contains("No data"), "{svg}");
            assert!(svg.contains(r#"role="img""#) && svg.contains("<title>"));
        }
    }

    #[test]
    fn distribution_has_eleven_bars_by_category() {
        let counts = [5, 1, 0, 2, 3, 4, 6, 20, 30, 40, 60];
        let svg = distribution(&counts);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<rect class=\"bar ").count(), 11);
        assert_eq!(svg.matches(r#"<rect class="bar detractor""#).count(), 7);
        assert_eq!(svg.matches(r#"<rect class="bar passive""#).count(), 2);
        assert_eq!(svg.matches(r#"<rect class="bar promoter""#).count(), 1);
        assert_eq!(svg.matches(r#"<rect class="bar ambassador""#).count(), 1);
        // 60 of 171 answers.
        assert!(
            svg.contains("<title>Score 10: 60 answers (35 %)</title>"),
            "{svg}"
        );
        assert!(svg.contains(">1.2 %</text>"), "{svg}");
        assert!(svg.contains(r#"class="score-label" x="#));
        // The tallest bar is the 10s; the zero bar has no height.
        assert!(svg.contains(r#"height="170""#));
        assert!(svg.contains(r#"height="0""#));
    }

    #[test]
    fn breakdown_draws_a_bar_per_answered_group_and_marks_changes() {
        let rows = vec![
            row("onboarding", Some(34.0), Some(6.5)),
            row("support", Some(-20.0), Some(-9.0)),
            row("renewal", None, None),
            row("delivery", Some(0.0), None),
        ];
        let svg = breakdown_titled("NPS by touchpoint", "NPS", &rows);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<rect class=\"bar ").count(), 3);
        assert_eq!(svg.matches(r#"class="bar negative""#).count(), 1);
        assert_eq!(svg.matches(r#"class="whisker""#).count(), 3);
        assert_eq!(svg.matches("▲").count(), 1);
        assert_eq!(svg.matches("▼").count(), 1);
        assert!(svg.contains("Significant change: +7 points"));
        assert!(svg.contains(">no answers<"));
        assert_eq!(svg.matches(">n=120<").count(), 4);
        assert!(svg.contains("<title>NPS by touchpoint</title>"));
        assert!(svg.contains("<title>onboarding: NPS +34"), "{svg}");
        // Bars that measure something else say so in their tooltips.
        let impact = breakdown_titled("Impact on NPS by theme", "impact on NPS", &rows);
        assert!(
            impact.contains("<title>onboarding: impact on NPS +34"),
            "{impact}"
        );
        assert_eq!(rows[0].change_text(), "▲ +7");
        assert_eq!(rows[1].change_text(), "▼ -9");
        assert_eq!(rows[2].nps_text(), "–");
        assert_eq!(rows[0].interval_text(), "+26 to +42");
    }

    #[test]
    fn out_of_range_and_non_finite_values_stay_on_the_chart() {
        let svg = trend(&[
            TrendPoint {
                label: "a".into(),
                nps: Some(f64::NAN),
                low: None,
                high: None,
                n: 1,
            },
            TrendPoint {
                label: "b".into(),
                nps: Some(250.0),
                low: Some(f64::INFINITY),
                high: Some(300.0),
                n: 1,
            },
        ]);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<circle").count(), 1);
        let rows = [row("x", Some(-400.0), Some(f64::NAN))];
        let svg = breakdown(&rows);
        assert_well_formed(&svg);
        assert!(!svg.contains("▲") && !svg.contains("▼"));
    }
}

// ---- KPI page: sparklines and the NPS-category linkage chart --------------------------
