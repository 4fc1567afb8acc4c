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

use advocate_core::SMALL_SAMPLE;

/// One period of an NPS trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The period, e.g. `2026-03` (see `Granularity::label`).
    pub label: String,
    /// `None` when the period has no answers: the line breaks there.
    pub nps: Option<f64>,
    /// 95 % interval, on the NPS scale.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub n: u64,
}

/// One group of an NPS breakdown (a touchpoint, a channel, a segment value, …).
#[derive(Debug, Clone, PartialEq)]
pub struct BreakdownRow {
    pub key: String,
    pub nps: Option<f64>,
    /// 95 % interval, on the NPS scale.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub n: u64,
    /// The change against the previous period in NPS points, when it is statistically
    /// significant; `None` when it is not (or cannot be tested).
    pub significant_change: Option<f64>,
}

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

impl BreakdownRow {
    /// `+34`, or `–` without answers.
    pub fn nps_text(&self) -> String {
        finite(self.nps).map_or_else(|| "–".to_owned(), signed)
    }

    /// `+31 to +37`, or empty without an interval.
    pub fn interval_text(&self) -> String {
        match (finite(self.low), finite(self.high)) {
            (Some(l), Some(h)) => format!("{} to {}", signed(l), signed(h)),
            _ => String::new(),
        }
    }

    /// `▲ +5` / `▼ -7` for a significant change, empty otherwise.
    pub fn change_text(&self) -> String {
        match self.significant_change.filter(|d| d.is_finite()) {
            Some(d) if d > 0.0 => format!("▲ {}", signed(d)),
            Some(d) => format!("▼ {}", signed(d)),
            None => String::new(),
        }
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

/// NPS over time on a −100..100 axis, with a shaded 95 % interval band and a dot per
/// period. Periods without answers break the line.
pub fn trend(points: &[TrendPoint]) -> String {
    const TITLE: &str = "NPS over time";
    const W: f64 = 720.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 28.0;
    const TOP: f64 = 14.0;
    const BOTTOM: f64 = 34.0;
    const PAD: f64 = 14.0;
    const MAX_LABELS: usize = 12;
    const LABEL_CHARS: usize = 12;

    if points.iter().all(|p| finite(p.nps).is_none()) {
        return no_data("trend", TITLE);
    }
    let count = points.len();
    let inner = W - LEFT - RIGHT;
    let step_x = if count > 1 {
        (inner - 2.0 * PAD) / (count - 1) as f64
    } else {
        inner
    };
    let x = |i: usize| {
        if count == 1 {
            LEFT + inner / 2.0
        } else {
            LEFT + PAD + i as f64 * step_x
        }
    };
    let y = |v: f64| TOP + (100.0 - v.clamp(-100.0, 100.0)) / 200.0 * (H - TOP - BOTTOM);

    let first = &points[0].label;
    let last = &points[count - 1].label;
    let mut summary = if count == 1 {
        format!("NPS over time: 1 period, {first}")
    } else {
        format!("NPS over time: {count} periods from {first} to {last}")
    };
    if let Some(p) = points.iter().rev().find(|p| finite(p.nps).is_some()) {
        let _ = write!(
            summary,
            "; latest NPS {} in {} (n={})",
            signed(finite(p.nps).unwrap_or_default()),
            p.label,
            p.n
        );
    }
    let mut out = String::new();
    open(&mut out, "trend", W, H, TITLE, &summary);

    // Gridlines and the y axis.
    out.push_str(r#"<g class="grid">"#);
    for v in [100.0, 50.0, 0.0, -50.0, -100.0] {
        let cls = if v == 0.0 {
            "gridline zero"
        } else {
            "gridline"
        };
        let _ = write!(
            out,
            r#"<line class="{cls}" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="axis-label" x="{}" y="{}" text-anchor="end">{}</text>"#,
            c(LEFT),
            c(y(v)),
            c(W - RIGHT),
            c(y(v)),
            c(LEFT - 6.0),
            c(y(v) + 4.0),
            signed(v),
        );
    }
    out.push_str("</g>");

    // The 95 % interval band, broken wherever a period has no interval.
    out.push_str(r#"<g class="bands">"#);
    let interval = |i: usize| match (finite(points[i].low), finite(points[i].high)) {
        (Some(l), Some(h)) => Some((l.min(h), l.max(h))),
        _ => None,
    };
    for run in runs(count, |i| interval(i).is_some()) {
        if run.len() == 1 {
            let (l, h) = interval(run.start).unwrap_or_default();
            let _ = write!(
                out,
                r#"<rect class="band" x="{}" y="{}" width="8" height="{}"/>"#,
                c(x(run.start) - 4.0),
                c(y(h)),
                c(y(l) - y(h)),
            );
            continue;
        }
        let mut d = String::new();
        for i in run.clone() {
            let (_, h) = interval(i).unwrap_or_default();
            let _ = write!(
                d,
                "{}{},{} ",
                if i == run.start { "M" } else { "L" },
                c(x(i)),
                c(y(h))
            );
        }
        for i in run.clone().rev() {
            let (l, _) = interval(i).unwrap_or_default();
            let _ = write!(d, "L{},{} ", c(x(i)), c(y(l)));
        }
        d.push('Z');
        let _ = write!(out, r#"<path class="band" d="{d}"/>"#);
    }
    out.push_str("</g>");

    // The line, broken at periods without answers.
    out.push_str(r#"<g class="lines">"#);
    for run in runs(count, |i| finite(points[i].nps).is_some()) {
        if run.len() < 2 {
            continue;
        }
        let mut d = String::new();
        for i in run.clone() {
            let v = finite(points[i].nps).unwrap_or_default();
            let _ = write!(
                d,
                "{}{},{}",
                if i == run.start { "M" } else { " L" },
                c(x(i)),
                c(y(v))
            );
        }
        let _ = write!(out, r#"<path class="line" d="{d}"/>"#);
    }
    out.push_str("</g>");

    // A dot per period with answers, each with its own tooltip.
    out.push_str(r#"<g class="dots">"#);
    for (i, p) in points.iter().enumerate() {
        let Some(v) = finite(p.nps) else { continue };
        let mut tip = format!("{}: NPS {} (n={})", p.label, whole(v), p.n);
        if let Some((l, h)) = interval(i) {
            let _ = write!(tip, ", 95 % interval {} to {}", signed(l), signed(h));
        }
        let small = p.n < SMALL_SAMPLE;
        if small {
            tip.push_str(", small sample");
        }
        let _ = write!(
            out,
            r#"<circle class="dot{}" cx="{}" cy="{}" r="4"><title>{}</title></circle>"#,
            if small { " low-n" } else { "" },
            c(x(i)),
            c(y(v)),
            escape_html(&tip),
        );
    }
    out.push_str("</g>");

    // X labels, thinned so that they never overlap.
    let longest = points
        .iter()
        .map(|p| p.label.chars().count().min(LABEL_CHARS))
        .max()
        .unwrap_or(1);
    let label_width = longest as f64 * 6.6 + 10.0;
    let every = ((label_width / step_x).ceil() as usize)
        .max(count.div_ceil(MAX_LABELS))
        .max(1);
    out.push_str(r#"<g class="x-labels">"#);
    for (i, p) in points.iter().enumerate().step_by(every) {
        let _ = write!(
            out,
            r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            c(x(i)),
            c(H - BOTTOM + 20.0),
            escape_html(&truncate(&p.label, LABEL_CHARS)),
        );
    }
    out.push_str("</g></svg>");
    out
}

/// The 0–10 distribution: one bar per score, coloured by category (10s apart from 9s),
/// with counts and shares above and the score below each bar.
pub fn distribution(counts: &[u64; 11]) -> String {
    const TITLE: &str = "Distribution of scores";
    const W: f64 = 660.0;
    const H: f64 = 250.0;
    const SIDE: f64 = 10.0;
    const BASE: f64 = 222.0;
    const TALLEST: f64 = 170.0;

    let total: u64 = counts.iter().sum();
    if total == 0 {
        return no_data("distribution", TITLE);
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    let slot = (W - 2.0 * SIDE) / 11.0;
    let bar = slot * 0.66;

    let listed: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    let summary = format!(
        "Distribution of scores 0 to 10 over {total} answers: {}",
        listed.join(", ")
    );
    let mut out = String::new();
    open(&mut out, "distribution", W, H, TITLE, &summary);
    let _ = write!(
        out,
        r#"<line class="baseline" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
        c(SIDE),
        c(BASE),
        c(W - SIDE),
        c(BASE)
    );
    for (score, &n) in counts.iter().enumerate() {
        let class = score_class(score as u8);
        let mut h = n as f64 / max as f64 * TALLEST;
        if n > 0 {
            h = h.max(1.0);
        }
        let centre = SIDE + slot * (score as f64 + 0.5);
        let top = BASE - h;
        let share = percent(n, total);
        let noun = if n == 1 { "answer" } else { "answers" };
        let _ = write!(
            out,
            r#"<g class="bar-group {class}"><title>Score {score}: {n} {noun} ({share})</title><rect class="bar {class}" x="{}" y="{}" width="{}" height="{}" rx="2"/><text class="count" x="{}" y="{}" text-anchor="middle">{n}</text><text class="pct" x="{}" y="{}" text-anchor="middle">{share}</text><text class="score-label" x="{}" y="{}" text-anchor="middle">{score}</text></g>"#,
            c(centre - bar / 2.0),
            c(top),
            c(bar),
            c(h),
            c(centre),
            c(top - 6.0),
            c(centre),
            c(top - 21.0),
            c(centre),
            c(BASE + 18.0),
        );
    }
    out.push_str("</svg>");
    out
}

/// NPS per group as horizontal bars on a −100..100 axis centred at 0, with the 95 %
/// interval as a whisker, the key and `n=…` as labels, and ▲/▼ for significant changes.
pub fn breakdown(rows: &[BreakdownRow]) -> String {
    breakdown_titled("NPS breakdown", rows)
}

/// [`breakdown`] with a title of your own, e.g. "NPS by touchpoint".
pub fn breakdown_titled(title: &str, rows: &[BreakdownRow]) -> String {
    const W: f64 = 720.0;
    const ROW: f64 = 30.0;
    const TOP: f64 = 26.0;
    const BOTTOM: f64 = 8.0;
    const KEY_END: f64 = 164.0;
    const AXIS_START: f64 = 178.0;
    const AXIS_END: f64 = 598.0;
    const N_X: f64 = 610.0;
    const MARK_X: f64 = 700.0;
    const KEY_CHARS: usize = 24;

    if rows.is_empty() {
        return no_data("breakdown", title);
    }
    let h = TOP + ROW * rows.len() as f64 + BOTTOM;
    let x =
        |v: f64| AXIS_START + (v.clamp(-100.0, 100.0) + 100.0) / 200.0 * (AXIS_END - AXIS_START);

    let listed: Vec<String> = rows
        .iter()
        .take(20)
        .map(|r| format!("{} {} (n={})", r.key, r.nps_text(), r.n))
        .collect();
    let mut summary = format!("{title}, {} groups: {}", rows.len(), listed.join(", "));
    if rows.len() > 20 {
        summary.push_str(", …");
    }
    let mut out = String::new();
    open(&mut out, "breakdown", W, h, title, &summary);

    out.push_str(r#"<g class="grid">"#);
    for v in [-100.0, -50.0, 0.0, 50.0, 100.0] {
        let cls = if v == 0.0 {
            "gridline zero"
        } else {
            "gridline"
        };
        let _ = write!(
            out,
            r#"<line class="{cls}" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="axis-label" x="{}" y="16" text-anchor="middle">{}</text>"#,
            c(x(v)),
            c(TOP - 4.0),
            c(x(v)),
            c(h - BOTTOM),
            c(x(v)),
            signed(v),
        );
    }
    out.push_str("</g>");

    for (i, r) in rows.iter().enumerate() {
        let mid = TOP + ROW * (i as f64 + 0.5);
        let small = r.n < SMALL_SAMPLE;
        let mut tip = format!("{}: NPS {}", r.key, r.nps_text());
        let interval = r.interval_text();
        if !interval.is_empty() {
            let _ = write!(tip, ", 95 % interval {interval}");
        }
        let _ = write!(tip, ", n={}", r.n);
        if small {
            tip.push_str(", small sample");
        }
        let _ = write!(
            out,
            r#"<g class="row{}"><title>{}</title><text class="key" x="{}" y="{}" text-anchor="end">{}</text>"#,
            if small { " low-n" } else { "" },
            escape_html(&tip),
            c(KEY_END),
            c(mid + 4.0),
            escape_html(&truncate(&r.key, KEY_CHARS)),
        );
        match finite(r.nps) {
            Some(v) => {
                let (from, to) = (x(0.0).min(x(v)), x(0.0).max(x(v)));
                let sign = if v >= 0.0 { "positive" } else { "negative" };
                let _ = write!(
                    out,
                    r#"<rect class="bar {sign}" x="{}" y="{}" width="{}" height="14" rx="2"/>"#,
                    c(from),
                    c(mid - 7.0),
                    c((to - from).max(1.0)),
                );
                if let (Some(l), Some(hi)) = (finite(r.low), finite(r.high)) {
                    let (l, hi) = (x(l.min(hi)), x(l.max(hi)));
                    let _ = write!(
                        out,
                        r#"<g class="whisker"><line x1="{}" y1="{m}" x2="{}" y2="{m}"/><line x1="{}" y1="{}" x2="{}" y2="{}"/><line x1="{}" y1="{}" x2="{}" y2="{}"/></g>"#,
                        c(l),
                        c(hi),
                        c(l),
                        c(mid - 5.0),
                        c(l),
                        c(mid + 5.0),
                        c(hi),
                        c(mid - 5.0),
                        c(hi),
                        c(mid + 5.0),
                        m = c(mid),
                    );
                }
            }
            None => {
                let _ = write!(
                    out,
                    r#"<text class="empty" x="{}" y="{}" text-anchor="middle">no answers</text>"#,
                    c(x(0.0)),
                    c(mid + 4.0),
                );
            }
        }
        let _ = write!(
            out,
            r#"<text class="n" x="{}" y="{}">n={}</text>"#,
            c(N_X),
            c(mid + 4.0),
            r.n
        );
        if let Some(d) = r.significant_change.filter(|d| d.is_finite()) {
            let (dir, mark) = if d > 0.0 {
                ("up", "▲")
            } else {
                ("down", "▼")
            };
            let _ = write!(
                out,
                r#"<g class="sig {dir}"><title>Significant change: {} points</title><text x="{}" y="{}" text-anchor="middle">{mark}</text></g>"#,
                signed(d),
                c(MARK_X),
                c(mid + 4.0),
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
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
        assert_eq!(svg.matches("<line class=\"gridline").count(), 5);
        assert!(
            svg.contains(r#"role="img""#) && svg.contains("aria-label=\"NPS over time: 5 periods")
        );
        assert!(svg.contains("<title>NPS over time</title>"));
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

        let svg = breakdown_titled(HOSTILE, &[row(HOSTILE, Some(10.0), Some(4.0))]);
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
        let svg = breakdown_titled("NPS by touchpoint", &rows);
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

/// A small line over a series (e.g. one value per month) for a KPI tile; `None` breaks the
/// line. The last value with data gets a dot. `label` names the series for screen readers.
pub fn sparkline(label: &str, values: &[Option<f64>]) -> String {
    const W: f64 = 120.0;
    const H: f64 = 32.0;
    const PAD: f64 = 3.0;
    let present: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let mut out = String::new();
    let value = |i: usize| values[i].filter(|v| v.is_finite());
    let summary = if present.is_empty() {
        format!("{label}: no data")
    } else {
        format!("{label}: {} points", present.len())
    };
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-spark" viewBox="0 0 {} {}" width="120" height="32" role="img" aria-label="{}"><title>{}</title>"#,
        c(W),
        c(H),
        escape_html(&summary),
        escape_html(label),
    );
    if present.is_empty() {
        out.push_str("</svg>");
        return out;
    }
    let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = values.len();
    let x = |i: usize| {
        if n <= 1 {
            W / 2.0
        } else {
            PAD + i as f64 * (W - 2.0 * PAD) / (n - 1) as f64
        }
    };
    // A flat series sits in the middle rather than on the floor.
    let y = |v: f64| {
        if hi > lo {
            H - PAD - (v - lo) / span * (H - 2.0 * PAD)
        } else {
            H / 2.0
        }
    };
    for run in runs(n, |i| value(i).is_some()) {
        if run.len() < 2 {
            continue;
        }
        let mut d = String::new();
        for i in run.clone() {
            let v = value(i).unwrap_or_default();
            let _ = write!(
                d,
                "{}{},{}",
                if i == run.start { "M" } else { " L" },
                c(x(i)),
                c(y(v))
            );
        }
        let _ = write!(out, r#"<path class="spark-line" d="{d}"/>"#);
    }
    if let Some(i) = (0..n).rev().find(|i| value(*i).is_some()) {
        let _ = write!(
            out,
            r#"<circle class="spark-dot" cx="{}" cy="{}" r="2.5"/>"#,
            c(x(i)),
            c(y(value(i).unwrap_or_default()))
        );
    }
    out.push_str("</svg>");
    out
}

/// One NPS category in the linkage chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkageBar {
    /// detractor, passive, promoter or no_answer: also the bar's CSS class.
    pub category: String,
    /// Fraction 0..1; `None` without customers at the start.
    pub churn_rate: Option<f64>,
    /// Revenue per customer in the period, major units.
    pub revenue_per_customer: Option<f64>,
}

/// Churn rate and revenue per customer by NPS category, as two groups of bars (each on
/// its own scale, every bar labelled with its value). `currency` labels the money.
pub fn linkage(bars: &[LinkageBar], currency: &str) -> String {
    const TITLE: &str = "Churn and revenue by NPS category";
    const W: f64 = 720.0;
    const H: f64 = 250.0;
    const TOP: f64 = 40.0;
    const BASE: f64 = 200.0;
    let has = |f: fn(&LinkageBar) -> Option<f64>| {
        bars.iter().any(|b| f(b).is_some_and(|v| v.is_finite()))
    };
    if bars.is_empty() || (!has(|b| b.churn_rate) && !has(|b| b.revenue_per_customer)) {
        return no_data("linkage", TITLE);
    }
    let listed: Vec<String> = bars
        .iter()
        .map(|b| {
            format!(
                "{}: churn {}, revenue per customer {}",
                b.category,
                b.churn_rate
                    .filter(|v| v.is_finite())
                    .map_or("–".to_owned(), |v| format!("{:.1} %", v * 100.0)),
                b.revenue_per_customer
                    .filter(|v| v.is_finite())
                    .map_or("–".to_owned(), |v| format!("{v:.2} {currency}")),
            )
        })
        .collect();
    let summary = format!("{TITLE}: {}", listed.join("; "));
    /// Which figure of a bar a group of the chart shows.
    type Measure = fn(&LinkageBar) -> Option<f64>;
    let mut out = String::new();
    open(&mut out, "linkage", W, H, TITLE, &summary);
    let group_w = W / 2.0;
    let groups: [(&str, Measure); 2] = [
        ("Churn rate", |b| b.churn_rate),
        ("Revenue per customer", |b| b.revenue_per_customer),
    ];
    for (g, (name, get)) in groups.iter().enumerate() {
        let left = g as f64 * group_w + 20.0;
        let inner = group_w - 40.0;
        let max = bars
            .iter()
            .filter_map(|b| get(b).filter(|v| v.is_finite()))
            .fold(0.0_f64, f64::max);
        let slot = inner / bars.len() as f64;
        let bar_w = slot * 0.6;
        let _ = write!(
            out,
            r#"<g class="group"><text class="group-label" x="{}" y="20" text-anchor="middle">{}</text><line class="gridline zero" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
            c(left + inner / 2.0),
            escape_html(name),
            c(left),
            c(BASE),
            c(left + inner),
            c(BASE),
        );
        for (i, b) in bars.iter().enumerate() {
            let cx = left + slot * (i as f64 + 0.5);
            let v = get(b).filter(|v| v.is_finite() && *v >= 0.0);
            let text = match (g, v) {
                (_, None) => "–".to_owned(),
                (0, Some(v)) => format!("{:.1} %", v * 100.0),
                (_, Some(v)) => format!("{v:.0} {currency}"),
            };
            let height = match v {
                Some(v) if max > 0.0 => v / max * (BASE - TOP),
                _ => 0.0,
            };
            let _ = write!(
                out,
                r#"<rect class="bar {}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect><text class="bar-value" x="{}" y="{}" text-anchor="middle">{}</text><text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                escape_html(&b.category),
                c(cx - bar_w / 2.0),
                c(BASE - height),
                c(bar_w),
                c(height),
                escape_html(&format!("{}: {name} {text}", b.category)),
                c(cx),
                c(BASE - height - 6.0),
                escape_html(&text),
                c(cx),
                c(BASE + 18.0),
                escape_html(&truncate(&b.category.replace('_', " "), 12)),
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod kpi_chart_tests {
    use super::*;

    #[test]
    fn sparkline_breaks_at_gaps_and_escapes_its_label() {
        let svg = sparkline(
            "<churn>",
            &[Some(1.0), Some(2.0), None, Some(3.0), Some(1.0)],
        );
        assert_eq!(svg.matches("<path").count(), 2, "{svg}");
        assert!(svg.contains("&lt;churn&gt;") && !svg.contains("<churn>"));
        assert!(svg.contains("spark-dot"));
        let empty = sparkline("x", &[None, None]);
        assert!(!empty.contains("<path") && empty.ends_with("</svg>"));
    }

    #[test]
    fn linkage_labels_every_bar_and_handles_no_data() {
        let bars = vec![
            LinkageBar {
                category: "detractor".into(),
                churn_rate: Some(0.3),
                revenue_per_customer: Some(120.0),
            },
            LinkageBar {
                category: "promoter".into(),
                churn_rate: Some(0.1),
                revenue_per_customer: None,
            },
        ];
        let svg = linkage(&bars, "EUR");
        assert!(svg.contains("30.0 %") && svg.contains("10.0 %"), "{svg}");
        assert!(svg.contains("120 EUR") && svg.contains(">–<"), "{svg}");
        assert!(svg.contains(r#"class="bar detractor""#));
        let none = linkage(&[], "EUR");
        assert!(none.contains("No data"));
    }
}
