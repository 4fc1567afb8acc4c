//! `advocate privacy export|erase|retention`: GDPR from the command line, the same store
//! calls as the API (`GET /api/v1/customers/{id}/export`, `DELETE /api/v1/customers/{id}`,
//! `POST /api/v1/privacy/retention`).

use crate::options::DbArgs;
use anyhow::Result;
use chrono::Utc;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum PrivacyCommand {
    /// Print everything stored about one person as one JSON document.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// The customer's external id.
        external_id: String,
    },
    /// Erase one person (their answers stay as anonymous scores; reports do not change)
    /// and print what was removed, as JSON.
    Erase {
        #[command(flatten)]
        db: DbArgs,
        /// The customer's external id.
        external_id: String,
    },
    /// Anonymise the answers older than the workspace's answer_retention_months now and
    /// print how many were anonymised.
    Retention {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(command: PrivacyCommand) -> Result<()> {
    match command {
        PrivacyCommand::Export { db, external_id } => {
            let store = db.open().await?;
            let ws = db.workspace(&store).await?;
            let doc = store.privacy().export_person(ws.id, &external_id).await?;
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        PrivacyCommand::Erase { db, external_id } => {
            let store = db.open().await?;
            let ws = db.workspace(&store).await?;
            let done = store.privacy().erase_person(ws.id, &external_id).await?;
            println!("{}", serde_json::to_string_pretty(&done)?);
        }
        PrivacyCommand::Retention { db } => {
            let store = db.open().await?;
            let ws = db.workspace(&store).await?;
            let done = store.privacy().apply_retention(ws.id, Utc::now()).await?;
            match done.retention_months {
                None => println!(
                    "0 answers anonymised: workspace {} keeps answers forever (answer_retention_months is not set)",
                    ws.slug
                ),
                Some(m) => println!(
                    "{} answers anonymised (older than {m} months) in workspace {}",
                    done.answers_anonymised, ws.slug
                ),
            }
        }
    }
    Ok(())
}
