//! `advocate nps`: the figures of `GET /api/v1/nps`, as a table for the terminal; and
//! `advocate nps compare`: those of `GET /api/v1/nps/compare`.

use crate::options::DbArgs;
use advocate_core::query::{compare_query, NpsParams, SideParams};
use advocate_core::{CiMethod, SMALL_SAMPLE};
use advocate_store::insight::compare::ComparedSide;
use advocate_store::insight::compare::NpsComparison;
use advocate_store::insight::report::Change;
use advocate_store::insight::report::NpsGroup;
use advocate_store::insight::report::NpsReport;
use advocate_store::insight::report::NpsSummary;
use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use std::fmt::Write;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NpsArgs {
    #[command(subcommand)]
    pub command: Option<NpsCommand>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Survey slug; every NPS survey when left out.
    #[arg(long)]
    pub survey: Option<String>,
    /// First day, inclusive (YYYY-MM-DD, UTC); also compares with the period just before.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    #[arg(long)]
    pub to: Option<String>,
    /// day, week, month, quarter, touchpoint, channel, language or segment:<attribute>.
    #[arg(long)]
    pub group_by: Option<String>,
    /// Interval method: adjusted_wald (default) or wald.
    #[arg(long)]
    pub ci: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum NpsCommand {
    /// Compare two groups of answers with a two-sample z-test (as GET /api/v1/nps/compare):
    /// e.g. `advocate nps compare --a segment=plan:Basic --b segment=plan:Pro`, or
    /// `--a period=2026-Q2 --b period=2026-Q3`.
    Compare(CompareArgs),
}

#[derive(Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// A filter of side a, repeatable: period=2026-Q3 (a year, quarter, month or ISO week),
    /// from=YYYY-MM-DD, to=YYYY-MM-DD, survey=SLUG, and one of segment=ATTRIBUTE:VALUE,
    /// touchpoint=T, channel=C, language=L.
    #[arg(long = "a", value_name = "KEY=VALUE")]
    pub a: Vec<String>,
    /// A filter of side b, as --a.
    #[arg(long = "b", value_name = "KEY=VALUE")]
    pub b: Vec<String>,
    /// Interval method of each side: adjusted_wald (default) or wald.
    #[arg(long)]
    pub ci: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `KEY=VALUE` filters of one side, with errors naming the side and key.
fn side(name: &str, filters: &[String]) -> Result<SideParams> {
    let mut side = SideParams::default();
    for f in filters {
        let (key, value) = f.split_once('=').ok_or_else(|| {
            anyhow!("--{name} {f:?}: a filter is KEY=VALUE, e.g. --{name} segment=plan:Pro")
        })?;
        side.set(key.trim(), value.trim().to_owned())
            .map_err(|e| anyhow!("--{name} {f:?}: {e}"))?;
    }
    Ok(side)
}

pub async fn compare(args: CompareArgs) -> Result<()> {
    let (a, b) = (side("a", &args.a)?, side("b", &args.b)?);
    let store = args.db.open().await?;
    let workspace = args.db.workspace(&store).await?;
    let query = compare_query(workspace.id, &a, &b, args.ci.as_deref()).map_err(|e| anyhow!(e))?;
    let comparison = store.analytics().compare(&query).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print!("{}", render_comparison(&comparison));
    }
    Ok(())
}

/// One side as a table row: side, NPS, interval, n, what it counts.
fn side_row(name: &str, s: &ComparedSide) -> [String; 5] {
    match (&s.summary, s.fewer_than) {
        (_, Some(min)) => [
            name.to_owned(),
            "hidden".into(),
            "–".into(),
            format!("<{min}"),
            s.label.clone(),
        ],
        (Some(sum), None) => [
            name.to_owned(),
            nps_cell(sum),
            interval_cell(sum),
            sum.n.to_string(),
            s.label.clone(),
        ],
        (None, None) => [
            name.to_owned(),
            "–".into(),
            "–".into(),
            "0".into(),
            s.label.clone(),
        ],
    }
}

/// The comparison as text: one row per side, then the difference and the test.
pub fn render_comparison(c: &NpsComparison) -> String {
    let mut out = String::new();
    let rows = [
        [
            "side".to_owned(),
            "NPS".into(),
            "95 % CI".into(),
            "n".into(),
            "answers".into(),
        ],
        side_row("a", &c.a),
        side_row("b", &c.b),
    ];
    let w: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let _ = writeln!(
            out,
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
        );
    }
    let small = [("a", &c.a), ("b", &c.b)]
        .into_iter()
        .filter(|(_, s)| {
            s.summary
                .as_ref()
                .is_some_and(|x| x.small_sample && x.n > 0)
        })
        .map(|(n, _)| n)
        .collect::<Vec<_>>();
    if !small.is_empty() {
        let _ = writeln!(
            out,
            "Warning: small sample on side {} (fewer than {SMALL_SAMPLE} answers); read with care.",
            small.join(" and ")
        );
    }
    let line = match (c.difference, c.difference_ci95, c.p_value) {
        (Some(d), Some([lo, hi]), Some(p)) => format!(
            "Difference a − b: {} points, 95 % CI {} to {}, z = {:.2}, {} — {}",
            signed(d),
            signed(lo),
            signed(hi),
            c.z.unwrap_or_default(),
            p_value(p),
            if c.significant {
                "significant (p < 0.05)"
            } else {
                "not significant"
            }
        ),
        (Some(d), _, _) => format!(
            "Difference a − b: {} points; significance cannot be tested (no variance)",
            signed(d)
        ),
        _ if c.a.fewer_than.is_some() || c.b.fewer_than.is_some() => {
            "Difference a − b: hidden (eNPS: a side has too few answers)".to_owned()
        }
        _ => "Difference a − b: – (a side has no answers)".to_owned(),
    };
    let _ = writeln!(out, "{line}");
    if c.may_overlap {
        let _ = writeln!(
            out,
            "Note: the two sides may count the same answers; the test assumes independent groups."
        );
    }
    out
}

pub async fn run(args: NpsArgs) -> Result<()> {
    if let Some(NpsCommand::Compare(c)) = args.command {
        return compare(c).await;
    }
    let store = args.db.open().await?;
    let workspace = args.db.workspace(&store).await?;
    let params = NpsParams {
        survey: args.survey,
        from: args.from,
        to: args.to,
        group_by: args.group_by,
        ci: args.ci,
    };
    let query = params.to_query(workspace.id).map_err(|e| anyhow!(e))?;
    let report = store.analytics().report(&query).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

/// A signed number with one decimal; never "-0.0".
fn signed(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0;
    format!("{:+.1}", if v == 0.0 { 0.0 } else { v })
}

/// A category's share as the report states it, or "–" without answers.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |p| format!("{p:.1} %"))
}

fn method(m: CiMethod) -> &'static str {
    match m {
        CiMethod::Wald => "Wald",
        CiMethod::AdjustedWald => "adjusted Wald",
    }
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_owned()
    } else {
        format!("p = {p:.3}")
    }
}

fn nps_cell(s: &NpsSummary) -> String {
    s.nps.map_or_else(|| "–".to_owned(), signed)
}

fn interval_cell(s: &NpsSummary) -> String {
    s.ci95.map_or_else(
        || "–".to_owned(),
        |ci| format!("{} to {}", signed(ci.low), signed(ci.high)),
    )
}

fn change_cell(c: Option<&Change>) -> String {
    match c.and_then(|c| c.difference.map(|d| (d, c.significant))) {
        Some((d, true)) => format!("{} *", signed(d)),
        Some((d, false)) => format!("{}  ", signed(d)),
        None => "–  ".to_owned(),
    }
}

fn scope(r: &NpsReport) -> String {
    let survey = match &r.survey {
        Some(s) => format!("survey {s}"),
        None => "all NPS surveys".to_owned(),
    };
    let period = match (r.from, r.to) {
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (Some(f), None) => format!("{f} to today"),
        (None, Some(t)) => format!("up to {t}"),
        (None, None) => "all time".to_owned(),
    };
    format!("NPS of {survey}, {period}")
}

/// The report as text: headline, warnings, change, then one row per group.
pub fn render(r: &NpsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", scope(r));
    write_headline(&mut out, r);
    if let Some(groups) = &r.groups {
        write_groups(&mut out, r, groups);
    }
    out
}

/// The NPS with its interval and shares, a small-sample warning and the change.
fn write_headline(out: &mut String, r: &NpsReport) {
    let s = &r.summary;
    match s.nps {
        None if r.suppressed.is_some() => {
            let min = r.suppressed.unwrap_or_default();
            let _ = writeln!(out, "NPS hidden  (eNPS: fewer than {min} answers)");
        }
        None => {
            let _ = writeln!(out, "NPS –  (no answers)");
        }
        Some(nps) => {
            let interval = match s.ci95 {
                Some(ci) => format!(
                    "  95 % CI {} to {} ({})",
                    signed(ci.low),
                    signed(ci.high),
                    method(ci.method)
                ),
                None => String::new(),
            };
            let _ = writeln!(out, "NPS {}{interval}  n = {}", signed(nps), s.n);
            let _ = writeln!(
                out,
                "Promoters {} ({}), passives {} ({}), detractors {} ({}); ambassadors (10s) {}",
                s.promoters,
                percent(s.shares.map(|x| x.promoters)),
                s.passives,
                percent(s.shares.map(|x| x.passives)),
                s.detractors,
                percent(s.shares.map(|x| x.detractors)),
                s.ambassadors
            );
        }
    }
    if s.small_sample && s.n > 0 {
        let _ = writeln!(
            out,
            "Warning: small sample ({} answers, fewer than {SMALL_SAMPLE}); read with care.",
            s.n
        );
    }
    if let Some(c) = &r.change {
        let _ = writeln!(out, "{}", change_line(c));
    }
}

/// A group's cells: key, NPS, interval, n and change (eNPS groups too small: hidden).
fn group_row(g: &NpsGroup) -> [String; 5] {
    match g.suppressed {
        Some(min) => [
            g.key.clone(),
            "hidden".into(),
            "–".into(),
            format!("<{min}"),
            "–".into(),
        ],
        None => [
            g.key.clone(),
            nps_cell(&g.summary),
            interval_cell(&g.summary),
            g.summary.n.to_string(),
            change_cell(g.change.as_ref()),
        ],
    }
}

/// The breakdown as a table, a line a group, and what its marks mean.
fn write_groups(out: &mut String, r: &NpsReport, groups: &[NpsGroup]) {
    let _ = writeln!(out);
    let header = [
        r.group_by.clone().unwrap_or_else(|| "group".into()),
        "NPS".into(),
        "95 % CI".into(),
        "n".into(),
        "change".into(),
    ];
    let rows: Vec<[String; 5]> = groups.iter().map(group_row).collect();
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let w: Vec<usize> = (0..5).map(width).collect();
    let line = |cells: &[String; 5], note: &str| {
        format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:>w4$}{note}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4],
        )
    };
    let head = [
        header[0].clone(),
        header[1].clone(),
        header[2].clone(),
        header[3].clone(),
        format!("{}  ", header[4]),
    ];
    let _ = writeln!(out, "{}", line(&head, "").trim_end());
    for (cells, g) in rows.iter().zip(groups) {
        let note = if g.summary.small_sample && g.summary.n > 0 {
            "  small sample"
        } else {
            ""
        };
        let _ = writeln!(out, "{}", line(cells, note).trim_end());
    }
    if groups
        .iter()
        .any(|g| g.change.as_ref().is_some_and(|c| c.significant))
    {
        let _ = writeln!(
            out,
            "* significant change from the previous {} (p < 0.05)",
            if r.group_by.as_deref().is_some_and(is_time) {
                "period"
            } else {
                "period of the same length"
            }
        );
    }
    if groups.is_empty() {
        let _ = writeln!(out, "(no groups: no answers)");
    }
}

fn is_time(group_by: &str) -> bool {
    matches!(group_by, "day" | "week" | "month" | "quarter")
}

fn change_line(c: &Change) -> String {
    let previous = match c.previous_nps {
        Some(p) => format!("{}, n = {}", signed(p), c.previous_n),
        None => "no answers".to_owned(),
    };
    match (c.difference, c.p_value) {
        (Some(d), Some(p)) => format!(
            "Change vs {}: {} points (then {previous}), {} ({})",
            c.versus,
            signed(d),
            if c.significant {
                "significant"
            } else {
                "not significant"
            },
            p_value(p)
        ),
        (Some(d), None) => format!(
            "Change vs {}: {} points (then {previous}); significance cannot be tested",
            c.versus,
            signed(d)
        ),
        _ => format!("Change vs {}: – (then {previous})", c.versus),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advocate_core::Interval;
    use advocate_store::insight::report::NpsGroup;

    fn summary(p: u64, pa: u64, d: u64) -> NpsSummary {
        let n = p + pa + d;
        NpsSummary {
            nps: (n > 0).then(|| (p as f64 - d as f64) * 100.0 / n as f64),
            n,
            promoters: p,
            passives: pa,
            detractors: d,
            shares: advocate_core::NpsCounts::new(p, pa, d).shares(),
            ambassadors: p / 2,
            distribution: [0; 11],
            ci95: (n > 0).then_some(Interval {
                low: -12.34,
                high: 56.78,
                method: CiMethod::AdjustedWald,
            }),
            small_sample: n < SMALL_SAMPLE,
        }
    }

    #[test]
    fn numbers_are_signed_and_never_minus_zero() {
        assert_eq!(signed(25.0), "+25.0");
        assert_eq!(signed(-3.333), "-3.3");
        assert_eq!(signed(-0.01), "+0.0");
        assert_eq!(p_value(0.0004), "p < 0.001");
        assert_eq!(p_value(0.0412), "p = 0.041");
    }

    #[test]
    fn renders_headline_change_and_aligned_groups() {
        let change = |d: f64, sig: bool| Change {
            versus: "2025-01".into(),
            previous_nps: Some(10.0),
            previous_n: 40,
            difference: Some(d),
            difference_ci95: Some([d - 5.0, d + 5.0]),
            z: Some(2.5),
            p_value: Some(if sig { 0.012 } else { 0.5 }),
            significant: sig,
        };
        let report = NpsReport {
            survey: Some("rel".into()),
            from: None,
            to: None,
            summary: summary(4, 2, 2),
            change: Some(change(15.0, true)),
            group_by: Some("month".into()),
            groups: Some(vec![
                NpsGroup {
                    key: "2025-01".into(),
                    summary: summary(2, 0, 1),
                    change: None,
                    suppressed: None,
                },
                NpsGroup {
                    key: "2025-02".into(),
                    summary: summary(40, 10, 5),
                    change: Some(change(-2.0, false)),
                    suppressed: None,
                },
                NpsGroup {
                    key: "2025-03".into(),
                    summary: summary(0, 0, 0),
                    change: Some(change(12.5, true)),
                    suppressed: None,
                },
            ]),
            suppressed: None,
        };
        let text = render(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "NPS of survey rel, all time");
        assert_eq!(
            lines[1],
            "NPS +25.0  95 % CI -12.3 to +56.8 (adjusted Wald)  n = 8"
        );
        assert_eq!(
            lines[2],
            "Promoters 4 (50.0 %), passives 2 (25.0 %), detractors 2 (25.0 %); ambassadors (10s) 2"
        );
        assert!(lines[3].starts_with("Warning: small sample (8 answers"));
        assert_eq!(
            lines[4],
            "Change vs 2025-01: +15.0 points (then +10.0, n = 40), significant (p = 0.012)"
        );
        assert_eq!(lines[6], "month      NPS         95 % CI   n  change");
        assert_eq!(
            lines[7],
            "2025-01  +33.3  -12.3 to +56.8   3      –    small sample"
        );
        assert_eq!(lines[8], "2025-02  +63.6  -12.3 to +56.8  55   -2.0");
        assert_eq!(lines[9], "2025-03      –               –   0  +12.5 *");
        assert!(lines[10].starts_with("* significant change"));
    }
}
