//! `advocate themes`: the theme report of `GET /api/v1/themes/report` as a table, themes
//! ranked by impact; `advocate themes edit '<json>'` records one taxonomy edit (as
//! `POST /api/v1/themes/edits`).

use crate::options::DbArgs;
use advocate_core::themes::TaxonomyEdit;
use advocate_store::themes::report::{ThemeQuery, ThemeReport};
use anyhow::{anyhow, Context, Result};
use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use clap::Args;
use std::fmt::Write;

#[derive(Args)]
pub struct ThemesArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// First day, inclusive (YYYY-MM-DD, UTC); 89 days before --to when left out.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC); today when left out.
    #[arg(long)]
    pub to: Option<String>,
    /// A survey's slug; every NPS survey when left out.
    #[arg(long)]
    pub survey: Option<String>,
    /// Record this taxonomy edit (JSON, e.g. '{"op":"hide","key":"offers"}') instead.
    #[arg(long)]
    pub edit: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn day(name: &str, v: Option<&str>, default: NaiveDate) -> Result<NaiveDate> {
    v.map_or(Ok(default), |v| {
        NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| anyhow!("--{name} must be YYYY-MM-DD"))
    })
}

pub async fn run(args: ThemesArgs) -> Result<()> {
    let store = args.db.open().await?;
    let workspace = args.db.workspace(&store).await?;
    if let Some(raw) = &args.edit {
        let edit: TaxonomyEdit = serde_json::from_str(raw).context("not a theme edit")?;
        let version = store
            .themes()
            .edit(workspace.id, &edit, "cli", Utc::now())
            .await?;
        println!("Recorded; taxonomy version {version}. Comments are re-tagged in the background by the server.");
        return Ok(());
    }
    let to = day("to", args.to.as_deref(), Utc::now().date_naive())?;
    let from = day("from", args.from.as_deref(), to - Duration::days(89))?;
    let survey_id = match &args.survey {
        Some(slug) => Some(
            store
                .surveys()
                .by_slug(workspace.id, slug)
                .await?
                .ok_or_else(|| anyhow!("no survey {slug:?}"))?
                .id,
        ),
        None => None,
    };
    let q = ThemeQuery {
        workspace_id: workspace.id,
        from: from.and_time(NaiveTime::MIN).and_utc(),
        to: (to + Duration::days(1)).and_time(NaiveTime::MIN).and_utc(),
        survey_id,
    };
    let report = store.themes().report(&q).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report, from, to));
    }
    Ok(())
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:+.1}"))
}

/// The report as text: one row per theme, ranked by impact.
pub fn render(r: &ThemeReport, from: NaiveDate, to: NaiveDate) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Themes, {from} to {to}: {} answers, {} with a comment, NPS {}\n",
        r.answers,
        r.commenters,
        num(r.nps)
    );
    let _ = writeln!(
        out,
        "rank  theme                  mentions   share  NPS with  without   impact  95 % interval"
    );
    for d in &r.drivers {
        let x = &d.driver;
        let interval = match (x.impact_ci95_low, x.impact_ci95_high) {
            (Some(l), Some(h)) => format!("{l:+.1} to {h:+.1}"),
            _ => "–".to_owned(),
        };
        let note = if x.small_group {
            "small group"
        } else if x.significant {
            "significant"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:>4}  {:<22} {:>8} {:>6} {:>9} {:>8} {:>8}  {:<17} {note}",
            d.rank.map_or_else(|| "–".to_owned(), |r| r.to_string()),
            d.key.theme,
            d.key.mentions,
            x.share_of_commenters
                .map_or_else(|| "–".to_owned(), |s| format!("{s:.0} %")),
            num(x.nps_mentioners),
            num(x.nps_others),
            num(x.impact),
            interval
        );
    }
    if let Some(min) = r.suppressed_below {
        let _ = writeln!(
            out,
            "\nSome figures are withheld: fewer than {min} answers (eNPS anonymity)."
        );
    }
    out
}
