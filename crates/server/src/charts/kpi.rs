//! The KPI page's charts: sparklines of a KPI over months and the loyalty-linkage bars.

use super::{c, escape_html, no_data, open, runs, truncate};
use std::fmt::Write;

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
