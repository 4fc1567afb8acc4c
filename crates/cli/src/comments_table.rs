//! `advocate comments`: the comment explorer's search (as `GET /api/v1/comments`) as a
//! table for the terminal, matched words in «…».

use crate::options::DbArgs;
use advocate_core::comments::CommentParams;
use advocate_store::insight::comments::{CommentsPage, Viewer};
use anyhow::{anyhow, Result};
use clap::Args;
use std::fmt::Write;

#[derive(Args)]
pub struct CommentsArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Words to search for (all must occur; "a phrase"; or; -word must not occur).
    #[arg(long)]
    pub search: Option<String>,
    /// A theme key, e.g. billing.
    #[arg(long)]
    pub theme: Option<String>,
    /// First day, inclusive (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub to: Option<String>,
    /// A survey's slug.
    #[arg(long)]
    pub survey: Option<String>,
    /// promoter, passive or detractor.
    #[arg(long)]
    pub category: Option<String>,
    /// Most comments to print (1–200).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: CommentsArgs) -> Result<()> {
    let store = args.db.open().await?;
    let workspace = args.db.workspace(&store).await?;
    let params = CommentParams {
        q: args.search,
        theme: args.theme,
        from: args.from,
        to: args.to,
        survey: args.survey,
        category: args.category,
        ..Default::default()
    };
    let query = params.to_query().map_err(|e| anyhow!(e.into_message()))?;
    if !(1..=advocate_core::comments::COMMENTS_PAGE_MAX).contains(&args.limit) {
        return Err(anyhow!("--limit must be 1–200; got {}", args.limit));
    }
    let page = store
        .comments()
        .page(workspace.id, &query, Viewer { owner: None }, args.limit, 0)
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&page)?);
    } else {
        print!("{}", render(&page));
    }
    Ok(())
}

/// One line per comment: date, score, customer, themes, the comment with «marks».
pub fn render(page: &CommentsPage) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16}  {:>5}  {:<16}  {:<24}  comment",
        "date", "score", "customer", "themes"
    );
    for r in &page.rows {
        let when = match r.month_only {
            true => r.answered_at.format("%Y-%m").to_string(),
            false => r.answered_at.format("%Y-%m-%d %H:%M").to_string(),
        };
        let text: String = r
            .comment
            .iter()
            .map(|p| match p.marked {
                true => format!("«{}»", p.text),
                false => p.text.clone(),
            })
            .collect::<String>()
            .replace(['\n', '\r'], " ");
        let _ = writeln!(
            out,
            "{:<16}  {:>5}  {:<16}  {:<24}  {}",
            when,
            r.score,
            r.customer_external_id.as_deref().unwrap_or("–"),
            r.themes.join(","),
            text
        );
    }
    let _ = writeln!(out, "{} of {} comments", page.rows.len(), page.total);
    if page.enps_withheld > 0 {
        let _ = writeln!(
            out,
            "{} eNPS comments left out: fewer than the minimum group size match",
            page.enps_withheld
        );
    }
    out
}
