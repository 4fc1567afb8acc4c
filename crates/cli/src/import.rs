//! `advocate import …`: customers, answers, orders, contacts, lifecycle events and
//! loyalty from CSV files, each all or nothing. The CSV reading they share is in
//! [`rows`]; answers are imported by [`answers`], customers by `import_customers`, the
//! business data by `import_business`.

mod answers;
pub(crate) mod rows;

use crate::options::DbArgs;
use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import customers (created or updated by external id). Columns: external_id
    /// (required); name, email, phone, language, account_manager; every other column is a
    /// segment attribute. All rows or none. With --invite, invites them to a survey.
    Customers {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
        /// Invite the imported customers to this survey (slug); the quiet period and
        /// unsubscribes apply.
        #[arg(long)]
        invite: Option<String>,
        /// Channel of the invitations: email or sms.
        #[arg(long, default_value = "email", requires = "invite")]
        channel: String,
        /// Invite only this share (1–100) of the eligible customers.
        #[arg(long, default_value_t = 100, requires = "invite",
              value_parser = clap::value_parser!(u8).range(1..=100))]
        sample_percent: u8,
    },
    /// Import answers from a CSV file with a header row. Columns: survey, score and
    /// answered_at (required); customer_id, comment, channel, touchpoint, language and
    /// external_id (optional). Every row is checked first: one bad row imports nothing.
    /// Imported answers are history: they set off no playbook (no case, alert or
    /// thank-you) unless --react-since says which are recent enough to act on.
    #[command(alias = "responses")]
    Answers {
        #[command(flatten)]
        db: DbArgs,
        /// The CSV file.
        file: PathBuf,
        /// Answers dated on or after this day (YYYY-MM-DD, UTC) set off their playbook
        /// exactly as live answers would: cases, alerts, thank-yous, webhooks.
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        react_since: Option<NaiveDate>,
    },
    /// Import orders. Columns: customer_id, amount, currency and ordered_at (required);
    /// external_id and amount_in_reporting_currency (required when the currency is not the
    /// workspace's reporting currency). All rows or none.
    Orders {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Import contacts and complaints. Columns: channel, complaint and opened_at
    /// (required); customer_id, first_reply_at, resolved_at and external_id. All or none.
    Contacts {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Import customers' lifecycle. Columns: customer_id, event (acquired or churned), at.
    /// All rows or none.
    Lifecycle {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Import loyalty-programme membership. Columns: customer_id, event (joined or left),
    /// at. All rows or none.
    Loyalty {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
}

pub async fn run(command: ImportCommand) -> Result<()> {
    use crate::import_business as business;
    match command {
        ImportCommand::Customers {
            db,
            file,
            invite,
            channel,
            sample_percent,
        } => {
            let invite = invite.map(|survey| crate::import_customers::Invite {
                survey,
                channel,
                sample_percent,
            });
            crate::import_customers::customers(&db, &file, invite).await
        }
        ImportCommand::Answers {
            db,
            file,
            react_since,
        } => answers::answers(&db, &file, react_since).await,
        ImportCommand::Orders { db, file } => business::orders(&db, &file).await,
        ImportCommand::Contacts { db, file } => business::contacts(&db, &file).await,
        ImportCommand::Lifecycle { db, file } => business::lifecycle(&db, &file).await,
        ImportCommand::Loyalty { db, file } => business::loyalty(&db, &file).await,
    }
}

/// `--react-since`: a day as YYYY-MM-DD.
fn parse_day(s: &str) -> std::result::Result<NaiveDate, String> {
    // chrono alone would also take 2026-12-1; the README promises exactly YYYY-MM-DD.
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| format!("{s:?} is not a date; give it as YYYY-MM-DD, e.g. 2026-11-01"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn react_since_is_exactly_a_yyyy_mm_dd_day() {
        assert_eq!(
            parse_day("2026-12-01"),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        for bad in [
            "2026-12-1",
            "2026-1-01",
            "26-12-01",
            "2026-12-01T00:00",
            "2026-02-30",
            "",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }
}
