//! `advocate mail unmatched|assign`: the operator's part of the unmatched list. Mail that
//! names no case and no workspace (an installation with several workspaces) is listed
//! here and handed to a workspace, whose admins then assign it to a case or dismiss it
//! (the same list as `GET /api/v1/inbound/unmatched`). With one workspace such mail goes
//! straight to its list.

use crate::options::DbArgs;
use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum MailCommand {
    /// List the inbound mail that names no workspace, newest first.
    Unmatched {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Hand one such message to the workspace named by --workspace (its unmatched list).
    Assign {
        #[command(flatten)]
        db: DbArgs,
        /// The message's id, from `advocate mail unmatched`.
        id: i64,
    },
}

pub async fn run(command: MailCommand) -> Result<()> {
    match command {
        MailCommand::Unmatched { db, json } => {
            let store = db.open().await?;
            let list = store.conversations().unclaimed().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("No inbound mail waits without a workspace.");
            } else {
                println!(
                    "{:>6}  {:<20}  {:<30}  {:<30}  subject",
                    "id", "received", "from", "to"
                );
                for m in &list {
                    println!(
                        "{:>6}  {:<20}  {:<30}  {:<30}  {}",
                        m.id,
                        m.received_at.format("%Y-%m-%d %H:%M UTC"),
                        m.from_address,
                        m.to_address,
                        m.subject.chars().take(60).collect::<String>()
                    );
                }
                println!(
                    "Hand one to a workspace with `advocate mail assign ID --workspace SLUG`."
                );
            }
        }
        MailCommand::Assign { db, id } => {
            let store = db.open().await?;
            let ws = db.workspace(&store).await?;
            store.conversations().hand_over(id, ws.id).await?;
            store
                .audit()
                .record(
                    ws.id,
                    "cli",
                    "inbound.handed_over",
                    &format!("inbound mail {id}"),
                    "mail naming no workspace, handed to this one's unmatched list",
                )
                .await?;
            println!(
                "Message {id} is in the unmatched list of workspace {:?}, for its admins to assign to a case.",
                ws.slug
            );
        }
    }
    Ok(())
}
