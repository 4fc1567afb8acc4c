//! The demo's invitations: a history that agrees with its answers, a recurring
//! relationship survey, and a transactional survey after support tickets.
//!
//! Every recent email or SMS answer from a known customer becomes the answer to an
//! invitation sent shortly before it, and other customers get invitations they left
//! unanswered, so response rates, reminders and tracking have something true to show.
//! Written through the store's history load ([`History::load_invitations`]): nothing
//! is sent.

use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, Label, Language};
use advocate_store::insight::exports::{Cell, ExportFilter, ExportTable, EXPORT_BATCH_MAX};
use advocate_store::invitations::{PastInvitation, ScheduleInput, Source, TriggerInput};
use advocate_store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};

/// Days of invitation history in the demo.
pub const INVITATION_DAYS: i64 = 60;
/// Unanswered invitations per answered one.
const UNANSWERED_PER_ANSWERED: f64 = 1.9;

/// What the demo's invitation history holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvitationStory {
    pub answered: usize,
    pub unanswered: usize,
}

/// A deterministic number in `0..n` from an id and a salt (the demo must be reproducible).
fn pick(id: i64, salt: u64, n: u64) -> u64 {
    let mut z = (id as u64) ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % n
}

/// An answer an invitation brought.
struct Answered {
    id: i64,
    survey_id: i64,
    customer_id: i64,
    channel: Channel,
    language: Language,
    at: DateTime<Utc>,
}

/// The invitation history, the relationship schedule and the ticket trigger.
pub async fn create(
    store: &Store,
    workspace_id: i64,
    customers: &[CustomerInput],
    survey_ids: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Result<InvitationStory> {
    let since = now - Duration::days(INVITATION_DAYS);
    let made = history(store, workspace_id, customers, survey_ids, since, now)
        .await
        .context("cannot create the demo's invitations")?;
    if let Some(&survey_id) = survey_ids.get("relationship") {
        store
            .schedules()
            .create(
                workspace_id,
                &ScheduleInput {
                    survey_id,
                    channel: Channel::Email,
                    every_days: 90,
                    sample_percent: 100,
                    active: true,
                },
            )
            .await?;
    }
    if let Some(&survey_id) = survey_ids.get("support") {
        store
            .triggers()
            .create(
                workspace_id,
                &TriggerInput {
                    event: Label::new("ticket_closed").expect("a valid label"),
                    survey_id,
                    channel: Channel::Sms,
                    delay_minutes: 60,
                    sample_percent: 100,
                    active: true,
                },
            )
            .await?;
    }
    Ok(made)
}

/// Links the workspace's email and SMS answers since `since` to invitations, and adds
/// about [`UNANSWERED_PER_ANSWERED`] unanswered invitations for each of them, to
/// customers with an email address who have not answered since.
async fn history(
    store: &Store,
    workspace_id: i64,
    customers: &[CustomerInput],
    survey_ids: &HashMap<String, i64>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<InvitationStory> {
    // Stored ids, addresses and languages, in the order the customers were stored.
    let mut stored = Vec::with_capacity(customers.len());
    for c in customers {
        let customer = store
            .customers()
            .by_external_id(workspace_id, &c.external_id)
            .await?
            .with_context(|| format!("customer {} was not stored", c.external_id))?;
        stored.push(customer);
    }
    stored.sort_by_key(|c| c.id);
    let ids: HashMap<&str, i64> = stored
        .iter()
        .map(|c| (c.external_id.as_str(), c.id))
        .collect();
    let (answers, answering) = answers_since(store, workspace_id, since, &ids, survey_ids).await?;
    let quiet: Vec<_> = stored
        .iter()
        .filter(|c| c.email.is_some() && !answering.contains(c.external_id.as_str()))
        .collect();
    let settings = store.settings().get(workspace_id).await?;
    let valid = Duration::days(i64::from(settings.invitation_valid_days));
    let reminder = settings
        .reminder_after_days
        .map(|d| Duration::days(i64::from(d)));
    let mut invitations = Vec::new();
    for a in &answers {
        // Most answer within a day; some after the reminder.
        let delay = Duration::minutes(5 + pick(a.id, 1, 36 * 60) as i64);
        let sent = a.at - delay;
        invitations.push(PastInvitation {
            survey_id: a.survey_id,
            customer_id: a.customer_id,
            channel: a.channel,
            language: a.language.clone(),
            source: Source::Schedule,
            sent_at: sent,
            delivered_at: Some(sent + Duration::seconds(3)),
            opened_at: Some(a.at - Duration::seconds(60)),
            answered: Some((a.id, a.at)),
            reminded_at: None,
            expires_at: sent + valid,
        });
    }
    let wanted = (answers.len() as f64 * UNANSWERED_PER_ANSWERED) as usize;
    let span = (now - since).num_minutes().max(1) as u64;
    for (i, customer) in quiet.iter().take(wanted).enumerate() {
        let Some(survey_id) = answers.get(i % answers.len().max(1)).map(|a| a.survey_id) else {
            break;
        };
        let id = customer.id;
        let sent = since + Duration::minutes(pick(id, 2, span) as i64);
        let delivered = pick(id, 3, 100) < 97;
        let opened = delivered && pick(id, 4, 100) < 30;
        invitations.push(PastInvitation {
            survey_id,
            customer_id: id,
            channel: Channel::Email,
            language: customer.language.clone().unwrap_or_else(Language::english),
            source: Source::Schedule,
            sent_at: sent,
            delivered_at: delivered.then(|| sent + Duration::seconds(3)),
            opened_at: opened.then(|| sent + Duration::hours(2)),
            answered: None,
            reminded_at: reminder.map(|r| sent + r).filter(|at| *at <= now),
            expires_at: sent + valid,
        });
    }
    store
        .history()
        .load_invitations(workspace_id, &invitations)
        .await?;
    Ok(InvitationStory {
        answered: answers.len(),
        unanswered: invitations.len() - answers.len(),
    })
}

/// The email and SMS answers of known customers since `since`, oldest first, and every
/// customer who answered since then on any channel (read through the answers export).
async fn answers_since(
    store: &Store,
    workspace_id: i64,
    since: DateTime<Utc>,
    customer_ids: &HashMap<&str, i64>,
    survey_ids: &HashMap<String, i64>,
) -> Result<(Vec<Answered>, HashSet<String>)> {
    let columns = ExportTable::Answers.columns();
    let col = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .expect("an answers export column")
    };
    let (id, at, survey, channel, language, customer) = (
        col("answer_id"),
        col("answered_at"),
        col("survey"),
        col("channel"),
        col("language"),
        col("customer_external_id"),
    );
    let filter = ExportFilter {
        from: Some(since),
        ..Default::default()
    };
    let mut answers = Vec::new();
    let mut answering = HashSet::new();
    let mut after = 0;
    loop {
        let batch = store
            .exports()
            .batch(
                workspace_id,
                ExportTable::Answers,
                &filter,
                after,
                EXPORT_BATCH_MAX,
            )
            .await?;
        for row in &batch.rows {
            let Cell::Text(external) = &row[customer] else {
                continue;
            };
            answering.insert(external.clone());
            let Cell::Text(ch) = &row[channel] else {
                continue;
            };
            let ch = Channel::parse(ch).map_err(|e| anyhow::anyhow!("{e}"))?;
            if !matches!(ch, Channel::Email | Channel::Sms) {
                continue;
            }
            let (Cell::Int(answer_id), Cell::Time(answered_at), Cell::Text(slug)) =
                (&row[id], &row[at], &row[survey])
            else {
                anyhow::bail!("an exported answer lacks its id, time or survey");
            };
            let language = match &row[language] {
                Cell::Text(code) => Language::new(code).map_err(|e| anyhow::anyhow!("{e}"))?,
                _ => Language::english(),
            };
            answers.push(Answered {
                id: *answer_id,
                survey_id: survey_ids[slug],
                customer_id: customer_ids[external.as_str()],
                channel: ch,
                language,
                at: *answered_at,
            });
        }
        match batch.next_after {
            Some(next) => after = next,
            None => break,
        }
    }
    answers.sort_by_key(|a| (a.at, a.id));
    Ok((answers, answering))
}
