//! `advocate import customers FILE.csv [--invite SURVEY --channel email|sms]`: customers
//! (created or updated by external id) from CSV, all or nothing, with every problem
//! reported as `line N: reason`; optionally invited to a survey in the same run, with
//! the quiet period, unsubscribes and sampling applied as for any invitation.
//!
//! Columns: `external_id` (required); `name`, `email`, `phone`, `language`,
//! `account_manager`; every other column is a segment attribute (e.g. `plan`, `region`).
//! Each row is checked with the API's own rules for customers.

use crate::import::rows::{report, Rows};
use crate::options::DbArgs;
use advocate_core::customer::{from_table, CustomerInput};
use advocate_core::Channel;
use advocate_store::invitations::{InviteRequest, Source};
use anyhow::{Context, Result};
use chrono::Utc;
use std::collections::BTreeMap;
use std::path::Path;

/// Customers stored (and invited) per transaction.
const CHUNK: usize = 1000;

/// Who to invite after importing.
pub struct Invite {
    pub survey: String,
    pub channel: String,
    pub sample_percent: u8,
}

pub async fn customers(db: &DbArgs, path: &Path, invite: Option<Invite>) -> Result<()> {
    let store = db.open().await?;
    let workspace = db.workspace(&store).await?;
    let invite = match invite {
        None => None,
        Some(i) => {
            let survey = store
                .surveys()
                .by_slug(workspace.id, &i.survey)
                .await?
                .with_context(|| format!("no survey with slug {:?}", i.survey))?;
            let channel = Channel::parse(&i.channel)
                .ok()
                .filter(|c| matches!(c, Channel::Email | Channel::Sms))
                .with_context(|| format!("--channel must be email or sms; got {:?}", i.channel))?;
            Some((survey.id, channel, i.sample_percent))
        }
    };
    let (customers, errors) = read(path)?;
    report(path, errors)?;
    // All rows are valid: store them (chunks commit one by one; a rerun is harmless, as
    // customers are updated by external id).
    for chunk in customers.chunks(CHUNK) {
        store.customers().upsert_many(workspace.id, chunk).await?;
    }
    println!(
        "Imported {} customers from {}.",
        customers.len(),
        path.display()
    );
    let Some((survey_id, channel, sample_percent)) = invite else {
        return Ok(());
    };
    let now = Utc::now();
    let request = InviteRequest {
        survey_id,
        channel,
        source: Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: now,
        sample_percent,
    };
    let mut invited = 0;
    let mut skipped: BTreeMap<&'static str, usize> = BTreeMap::new();
    for chunk in customers.chunks(CHUNK) {
        for outcome in store
            .invitations()
            .invite(workspace.id, &request, chunk, now)
            .await?
        {
            match outcome.skip_reason {
                None => invited += 1,
                Some(reason) => *skipped.entry(reason.in_words()).or_default() += 1,
            }
        }
    }
    let skipped: Vec<String> = skipped
        .into_iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    println!(
        "Invited {invited}; skipped {}. Running `advocate serve` sends them.",
        if skipped.is_empty() {
            "none".to_owned()
        } else {
            skipped.join(", ")
        }
    );
    Ok(())
}

type Lines = (Vec<CustomerInput>, Vec<(u64, String)>);

/// Every row checked (core's rules for a table of customers): the customers, or every
/// problem with its line.
fn read(path: &Path) -> Result<Lines> {
    let mut rows = Rows::open(path)?;
    let header = rows.header.clone();
    let mut errors = Vec::new();
    let mut table = Vec::new();
    while let Some(row) = rows.next()? {
        match row {
            Ok(row) => table.push((row.line, row.fields)),
            Err(problem) => errors.push(problem),
        }
    }
    match from_table(&header, table) {
        Ok(customers) if errors.is_empty() => Ok((customers, errors)),
        Ok(_) => Ok((Vec::new(), errors)),
        Err(more) => {
            errors.extend(more);
            errors.sort_by_key(|(line, _)| *line);
            Ok((Vec::new(), errors))
        }
    }
}
