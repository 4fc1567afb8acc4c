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
use advocate_core::customer::CustomerFields;
use advocate_core::customer::CustomerInput;
use advocate_core::Channel;
use advocate_store::invitations::{InviteRequest, SkipReason, Source};
use anyhow::{Context, Result};
use chrono::Utc;
use std::collections::{BTreeMap, HashMap};
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
                Some(reason) => *skipped.entry(reason_text(reason)).or_default() += 1,
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

fn reason_text(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::Unsubscribed => "unsubscribed",
        SkipReason::NoEmail => "without an email address",
        SkipReason::NoPhone => "without a phone number",
        SkipReason::QuietPeriod => "in the quiet period",
        SkipReason::SampledOut => "not in the sample",
        SkipReason::AlreadyScheduled => "already waiting for an invitation",
        SkipReason::Expired => "expired",
        SkipReason::SurveyClosed => "for a paused or archived survey",
    }
}

type Lines = (Vec<CustomerInput>, Vec<(u64, String)>);

/// Every row checked: the customers, or every problem with its line.
fn read(path: &Path) -> Result<Lines> {
    let mut rows = Rows::open(path)?;
    let header: Vec<String> = rows.header.iter().map(|h| h.trim().to_owned()).collect();
    let mut errors = Vec::new();
    if !header.iter().any(|h| h == "external_id") {
        errors.push((1, "missing required column external_id".to_owned()));
    }
    let mut seen_columns = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            errors.push((1, format!("column {} has no name", i + 1)));
        } else if seen_columns.insert(h.clone(), i).is_some() {
            errors.push((1, format!("column {h:?} appears more than once")));
        }
    }
    if !errors.is_empty() {
        return Ok((Vec::new(), errors));
    }
    let mut customers = Vec::new();
    let mut lines_of: HashMap<String, u64> = HashMap::new();
    while let Some(row) = rows.next()? {
        let row = match row {
            Ok(row) => row,
            Err(problem) => {
                errors.push(problem);
                continue;
            }
        };
        if row.fields.len() != header.len() {
            errors.push((
                row.line,
                format!(
                    "has {} fields but the header has {}",
                    row.fields.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let mut fields = CustomerFields::default();
        for (name, value) in header.iter().zip(&row.fields) {
            let value = value.trim();
            let set = (!value.is_empty()).then(|| value.to_owned());
            match name.as_str() {
                "external_id" => fields.external_id = value.to_owned(),
                "name" => fields.name = set,
                "email" => fields.email = set,
                "phone" => fields.phone = set,
                "language" => fields.language = set,
                "account_manager" => fields.account_manager = set,
                attribute => {
                    if let Some(v) = set {
                        fields.attributes.insert(attribute.to_owned(), v);
                    }
                }
            }
        }
        match fields.parse("") {
            Ok(customer) => {
                if let Some(first) = lines_of.insert(customer.external_id.clone(), row.line) {
                    errors.push((
                        row.line,
                        format!(
                            "external_id {:?} is also on line {first}",
                            customer.external_id
                        ),
                    ));
                }
                customers.push(customer);
            }
            Err(e) => errors.push((row.line, e.into_message())),
        }
    }
    if customers.is_empty() && errors.is_empty() {
        errors.push((2, "the file has no customers after its header".to_owned()));
    }
    Ok((customers, errors))
}
