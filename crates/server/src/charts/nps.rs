//! The NPS charts: the trend over periods, the score distribution, the breakdown by group.

use super::{
    c, escape_html, finite, no_data, open, percent, runs, score_class, signed, truncate, whole,
};
use advocate_core::SMALL_SAMPLE;
use std::fmt::Write;

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

/// Where the trend chart draws: its size and margins, and the place of a period (x) and
/// of an NPS value (y).
struct TrendFrame {
    count: usize,
    inner: f64,
    step_x: f64,
    /// The y axis: from `low` to `high` NPS, gridlines every `step`.
    low: f64,
    high: f64,
    step: f64,
}

impl TrendFrame {
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

    fn new(points: &[TrendPoint]) -> Self {
        let count = points.len();
        let inner = Self::W - Self::LEFT - Self::RIGHT;
        let step_x = if count > 1 {
            (inner - 2.0 * Self::PAD) / (count - 1) as f64
        } else {
            inner
        };
        let (low, high, step) = y_axis(points);
        Self {
            count,
            inner,
            step_x,
            low,
            high,
            step,
        }
    }

    fn x(&self, i: usize) -> f64 {
        if self.count == 1 {
            Self::LEFT + self.inner / 2.0
        } else {
            Self::LEFT + Self::PAD + i as f64 * self.step_x
        }
    }

    fn y(&self, v: f64) -> f64 {
        let v = v.clamp(self.low, self.high);
        Self::TOP + (self.high - v) / (self.high - self.low) * (Self::H - Self::TOP - Self::BOTTOM)
    }
}

/// The trend's y axis, scaled to the data so that a 20-point dip is seen: the values and
/// intervals of the periods with answers, widened to whole gridline steps and at least
/// 20 points, within −100..100. Returns (low, high, step).
fn y_axis(points: &[TrendPoint]) -> (f64, f64, f64) {
    let values: Vec<f64> = points
        .iter()
        .flat_map(|p| {
            let (l, h) = trend_interval(p).unzip();
            [finite(p.nps), l, h]
        })
        .flatten()
        .collect();
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lowest.is_finite() {
        return (-100.0, 100.0, 50.0);
    }
    let span = (highest - lowest).max(20.0);
    let step = if span <= 50.0 {
        10.0
    } else if span <= 100.0 {
        20.0
    } else {
        50.0
    };
    let mid = (lowest + highest) / 2.0;
    let (lowest, highest) = (lowest.min(mid - 10.0), highest.max(mid + 10.0));
    let low = ((lowest / step).floor() * step).max(-100.0);
    let high = ((highest / step).ceil() * step).min(100.0);
    (low, high, step)
}

/// NPS over time on an axis scaled to the data (the zero line marked when in range), with
/// a shaded 95 % interval band and a dot per period. Periods without answers break the
/// line and the band.
pub fn trend(points: &[TrendPoint]) -> String {
    if points.iter().all(|p| finite(p.nps).is_none()) {
        return no_data("trend", TrendFrame::TITLE);
    }
    let f = TrendFrame::new(points);
    let mut out = String::new();
    open(
        &mut out,
        "trend",
        TrendFrame::W,
        TrendFrame::H,
        TrendFrame::TITLE,
        &trend_summary(points),
    );
    trend_grid(&mut out, &f);
    trend_bands(&mut out, points, &f);
    trend_line(&mut out, points, &f);
    trend_dots(&mut out, points, &f);
    trend_labels(&mut out, points, &f);
    out.push_str("</svg>");
    out
}

/// What the trend shows, in words: its periods and the latest NPS.
fn trend_summary(points: &[TrendPoint]) -> String {
    let count = points.len();
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
    summary
}

/// Gridlines and the y axis.
fn trend_grid(out: &mut String, f: &TrendFrame) {
    out.push_str(r#"<g class="grid">"#);
    let lines = ((f.high - f.low) / f.step).round() as usize;
    for v in (0..=lines).map(|i| f.high - i as f64 * f.step) {
        let cls = if v == 0.0 {
            "gridline zero"
        } else {
            "gridline"
        };
        let _ = write!(
            out,
            r#"<line class="{cls}" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="axis-label" x="{}" y="{}" text-anchor="end">{}</text>"#,
            c(TrendFrame::LEFT),
            c(f.y(v)),
            c(TrendFrame::W - TrendFrame::RIGHT),
            c(f.y(v)),
            c(TrendFrame::LEFT - 6.0),
            c(f.y(v) + 4.0),
            signed(v),
        );
    }
    out.push_str("</g>");
}

/// A period's 95 % interval, lowest first; none for a period without answers.
fn trend_interval(p: &TrendPoint) -> Option<(f64, f64)> {
    if p.n == 0 {
        return None;
    }
    match (finite(p.low), finite(p.high)) {
        (Some(l), Some(h)) => Some((l.min(h), l.max(h))),
        _ => None,
    }
}

/// The 95 % interval band, broken wherever a period has no interval.
fn trend_bands(out: &mut String, points: &[TrendPoint], f: &TrendFrame) {
    out.push_str(r#"<g class="bands">"#);
    let interval = |i: usize| trend_interval(&points[i]);
    for run in runs(points.len(), |i| interval(i).is_some()) {
        if run.len() == 1 {
            let (l, h) = interval(run.start).unwrap_or_default();
            let _ = write!(
                out,
                r#"<rect class="band" x="{}" y="{}" width="8" height="{}"/>"#,
                c(f.x(run.start) - 4.0),
                c(f.y(h)),
                c(f.y(l) - f.y(h)),
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
                c(f.x(i)),
                c(f.y(h))
            );
        }
        for i in run.clone().rev() {
            let (l, _) = interval(i).unwrap_or_default();
            let _ = write!(d, "L{},{} ", c(f.x(i)), c(f.y(l)));
        }
        d.push('Z');
        let _ = write!(out, r#"<path class="band" d="{d}"/>"#);
    }
    out.push_str("</g>");
}

/// The line, broken at periods without answers.
fn trend_line(out: &mut String, points: &[TrendPoint], f: &TrendFrame) {
    out.push_str(r#"<g class="lines">"#);
    for run in runs(points.len(), |i| finite(points[i].nps).is_some()) {
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
                c(f.x(i)),
                c(f.y(v))
            );
        }
        let _ = write!(out, r#"<path class="line" d="{d}"/>"#);
    }
    out.push_str("</g>");
}

/// A dot per period with answers, each with its own tooltip.
fn trend_dots(out: &mut String, points: &[TrendPoint], f: &TrendFrame) {
    out.push_str(r#"<g class="dots">"#);
    for (i, p) in points.iter().enumerate() {
        let Some(v) = finite(p.nps) else { continue };
        let mut tip = format!("{}: NPS {} (n={})", p.label, whole(v), p.n);
        if let Some((l, h)) = trend_interval(p) {
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
            c(f.x(i)),
            c(f.y(v)),
            escape_html(&tip),
        );
    }
    out.push_str("</g>");
}

/// X labels, thinned so that they never overlap.
fn trend_labels(out: &mut String, points: &[TrendPoint], f: &TrendFrame) {
    const LABEL_CHARS: usize = TrendFrame::LABEL_CHARS;
    let longest = points
        .iter()
        .map(|p| p.label.chars().count().min(LABEL_CHARS))
        .max()
        .unwrap_or(1);
    let label_width = longest as f64 * 6.6 + 10.0;
    let every = ((label_width / f.step_x).ceil() as usize)
        .max(points.len().div_ceil(TrendFrame::MAX_LABELS))
        .max(1);
    out.push_str(r#"<g class="x-labels">"#);
    for (i, p) in points.iter().enumerate().step_by(every) {
        let _ = write!(
            out,
            r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            c(f.x(i)),
            c(TrendFrame::H - TrendFrame::BOTTOM + 20.0),
            escape_html(&truncate(&p.label, LABEL_CHARS)),
        );
    }
    out.push_str("</g>");
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
    breakdown_titled("NPS breakdown", "NPS", rows)
}

/// The breakdown chart's size and margins, and the place of an NPS value on its axis.
struct BreakdownFrame;

impl BreakdownFrame {
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

    fn x(v: f64) -> f64 {
        Self::AXIS_START
            + (v.clamp(-100.0, 100.0) + 100.0) / 200.0 * (Self::AXIS_END - Self::AXIS_START)
    }

    /// The middle of row `i`.
    fn mid(i: usize) -> f64 {
        Self::TOP + Self::ROW * (i as f64 + 0.5)
    }
}

/// [`breakdown`] with a title of your own, e.g. "NPS by touchpoint", and the name of what
/// the bars measure in each bar's tooltip ("NPS", or "impact on NPS" for themes).
pub fn breakdown_titled(title: &str, measure: &str, rows: &[BreakdownRow]) -> String {
    type F = BreakdownFrame;
    if rows.is_empty() {
        return no_data("breakdown", title);
    }
    let h = F::TOP + F::ROW * rows.len() as f64 + F::BOTTOM;
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
    open(&mut out, "breakdown", F::W, h, title, &summary);
    breakdown_grid(&mut out, h);
    for (i, r) in rows.iter().enumerate() {
        breakdown_row(&mut out, F::mid(i), measure, r);
    }
    out.push_str("</svg>");
    out
}

/// The gridlines at every 50 points, labelled above.
fn breakdown_grid(out: &mut String, h: f64) {
    type F = BreakdownFrame;
    let x = F::x;
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
            c(F::TOP - 4.0),
            c(x(v)),
            c(h - F::BOTTOM),
            c(x(v)),
            signed(v),
        );
    }
    out.push_str("</g>");
}

/// One group: its key and tooltip, its bar (or "no answers"), `n=…` and the mark of a
/// significant change.
fn breakdown_row(out: &mut String, mid: f64, measure: &str, r: &BreakdownRow) {
    type F = BreakdownFrame;
    let small = r.n < SMALL_SAMPLE;
    let mut tip = format!("{}: {measure} {}", r.key, r.nps_text());
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
        c(F::KEY_END),
        c(mid + 4.0),
        escape_html(&truncate(&r.key, F::KEY_CHARS)),
    );
    match finite(r.nps) {
        Some(v) => breakdown_bar(out, mid, v, r),
        None => {
            let _ = write!(
                out,
                r#"<text class="empty" x="{}" y="{}" text-anchor="middle">no answers</text>"#,
                c(F::x(0.0)),
                c(mid + 4.0),
            );
        }
    }
    let _ = write!(
        out,
        r#"<text class="n" x="{}" y="{}">n={}</text>"#,
        c(F::N_X),
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
            c(F::MARK_X),
            c(mid + 4.0),
        );
    }
    out.push_str("</g>");
}

/// A group's bar from 0 to its NPS `v`, with its 95 % interval as a whisker.
fn breakdown_bar(out: &mut String, mid: f64, v: f64, r: &BreakdownRow) {
    let x = BreakdownFrame::x;
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
