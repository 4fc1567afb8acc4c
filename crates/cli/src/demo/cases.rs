//! Makes the demo workspace's closed loop look lived-in. `advocate demo` records the last
//! weeks of answers live, so their detractors open cases "now"; this moves each case back
//! to its answer's time and plays out a plausible follow-up — contacted within or after
//! the SLA, resolved with an outcome and notes, a few still open and overdue — from a
//! seeded RNG, so every machine gets the same story. Written through the store's history
//! load ([`History::load_cases`]).

use advocate_core::case::{CaseStatus, Outcome};
use advocate_store::closed_loop::cases::{CaseFilter, CaseHistory, HistoricNote, HistoricStep};
use advocate_store::insight::timeline::FollowUp;
use advocate_store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What [`play_out_cases`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseStory {
    pub open: u64,
    pub overdue: u64,
    pub contacted: u64,
    /// Resolved, by outcome.
    pub recovered: u64,
    pub not_recovered: u64,
    /// Closed without reaching the customer.
    pub unreachable: u64,
}

struct OpenCase {
    id: i64,
    assignee: String,
    /// Who writes the notes: the assignee, or for a queue one of its agents.
    author: String,
    score: u8,
    created: DateTime<Utc>,
    due: DateTime<Utc>,
    customer_name: String,
    /// The checklist's positions.
    steps: Vec<i64>,
    /// Notes the store wrote for answers linked to the case, oldest first.
    linked_notes: Vec<i64>,
    /// When the answers linked to the case came, oldest first.
    linked: Vec<DateTime<Utc>>,
}

/// How one case plays out.
enum Fate {
    Open,
    Contacted,
    Resolved(Outcome),
    Unreachable,
}

/// The people behind the default queue, who write its cases' notes.
const QUEUE_AGENTS: [&str; 3] = ["Sara Lund", "Mikkel Dahl", "Aino Korhonen"];

const COMPENSATION: [&str; 4] = [
    "One month's subscription credited",
    "Free upgrade to the next plan for three months",
    "Installation fee refunded",
    "Data top-up of 20 GB",
];

const CONTACT_NOTES: [&str; 4] = [
    "Called {name}. Listened to the whole story; the main issue is the one in the comment.",
    "Reached {name} by phone. Apologised and promised a concrete answer within two days.",
    "Spoke to {name}. Frustrated but open to a solution; checking the account history.",
    "Called {name} back after a missed call. Explained what went wrong on our side.",
];

const RECOVERED_NOTES: [&str; 3] = [
    "Fixed the underlying problem and confirmed with {name} that it works now. Happy with how it was handled.",
    "{name} accepted the apology and the compensation. Said they will stay with us.",
    "Technician visit solved it. {name} thanked us for calling back so quickly.",
];

const NOT_RECOVERED_NOTES: [&str; 3] = [
    "{name} is still unhappy with the price; nothing more we can offer right now.",
    "Explained the changes that are coming, but {name} is considering other providers.",
    "Problem solved, but {name} says the trust is gone. Account manager informed.",
];

const UNREACHABLE_NOTES: [&str; 2] = [
    "Called twice and left a voicemail; no answer. Sent an email as well.",
    "No reply to calls or email after three days. Closing as unreachable.",
];

/// Cases read per page.
const PAGE: u32 = 500;

fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds().max(1);
    from + Duration::seconds(rng.random_range(0..span))
}

fn pick(rng: &mut StdRng, texts: &[&str], name: &str) -> String {
    texts[rng.random_range(0..texts.len())].replace("{name}", name)
}

/// Plays out every open case of the workspace as of `now`, deterministically for a given
/// `seed`, and loads the result in one transaction.
pub async fn play_out_cases(
    store: &Store,
    workspace_id: i64,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<CaseStory> {
    let mut rng = StdRng::seed_from_u64(seed);
    let queue = store.settings().get(workspace_id).await?.default_queue;
    let mut cases = open_cases(store, workspace_id).await?;
    for case in &mut cases {
        if case.assignee == queue {
            let agent = QUEUE_AGENTS[rng.random_range(0..QUEUE_AGENTS.len())];
            case.author = format!("{agent} ({queue})");
        }
    }
    let mut done = CaseStory::default();
    let history: Vec<CaseHistory> = cases
        .iter()
        .map(|case| play_out(&mut rng, case, now, &mut done))
        .collect();
    store
        .history()
        .load_cases(workspace_id, &history)
        .await
        .context("cannot store the cases' follow-up")?;
    // Engagements were made at load time; date them by their answer.
    store
        .history()
        .date_engagements_by_answers(workspace_id)
        .await?;
    Ok(done)
}

/// The workspace's open cases, oldest first, with what playing them out needs.
async fn open_cases(store: &Store, ws: i64) -> Result<Vec<OpenCase>> {
    let mut ids = Vec::new();
    loop {
        let filter = CaseFilter {
            statuses: vec![CaseStatus::Open],
            limit: PAGE,
            offset: ids.len() as u32,
            ..Default::default()
        };
        let page = store.cases().list(ws, &filter).await?;
        let last = page.cases.len() < PAGE as usize;
        ids.extend(page.cases.iter().map(|c| c.id));
        if last {
            break;
        }
    }
    ids.sort_unstable();
    let mut cases = Vec::with_capacity(ids.len());
    for id in ids {
        let detail = store
            .cases()
            .get(ws, id)
            .await?
            .with_context(|| format!("case {id} disappeared while the demo was loading"))?;
        let answered = |role: &'static str| {
            detail
                .answers
                .iter()
                .filter(move |a| a.role == role)
                .map(|a| a.answered_at)
        };
        let created = answered("trigger")
            .next()
            .with_context(|| format!("case {id} has no answer"))?;
        let linked = answered("linked").collect();
        let mut linked_notes: Vec<i64> = detail
            .notes
            .iter()
            .filter(|n| n.author == "Advocate")
            .map(|n| n.id)
            .collect();
        linked_notes.sort_unstable();
        let c = detail.case;
        cases.push(OpenCase {
            id,
            author: c.assignee.clone(),
            assignee: c.assignee,
            score: c.score,
            created,
            due: c.sla_due_at,
            customer_name: c
                .customer_name
                .or(c.customer_external_id)
                .unwrap_or_else(|| "the customer".into()),
            steps: detail.steps.iter().map(|s| s.position).collect(),
            linked_notes,
            linked,
        });
    }
    Ok(cases)
}

fn fate(rng: &mut StdRng, case: &OpenCase, now: DateTime<Utc>) -> Fate {
    let r: f64 = rng.random();
    if now < case.due {
        return if r < 0.5 { Fate::Contacted } else { Fate::Open };
    }
    let age = now - case.created;
    match r {
        r if r < 0.07 => Fate::Open,
        r if r < 0.20 && age < Duration::days(6) => Fate::Contacted,
        _ => match rng.random::<f64>() {
            o if o < 0.64 => Fate::Resolved(Outcome::Recovered),
            o if o < 0.86 => Fate::Resolved(Outcome::NotRecovered),
            _ => Fate::Unreachable,
        },
    }
}

/// Plays out one case: its history, with the customer's follow-up flag after it.
fn play_out(
    rng: &mut StdRng,
    case: &OpenCase,
    now: DateTime<Utc>,
    done: &mut CaseStory,
) -> CaseHistory {
    // The case and the notes of answers linked to it are dated by those answers' times;
    // the case stays open until the last of them.
    let last_linked = case.linked.last().copied();
    let latest = now - Duration::minutes(5);
    let mut fate = fate(rng, case, now);
    if case.created + Duration::minutes(15) > latest {
        fate = Fate::Open;
    }
    let (on_time, contact) = first_contact(rng, case, now, latest);
    let finish_from = last_linked.unwrap_or(contact).max(contact) + Duration::hours(1);
    let finish = between(
        rng,
        finish_from,
        (finish_from + Duration::hours(72)).min(latest),
    );
    if matches!(fate, Fate::Resolved(_) | Fate::Unreachable) && finish_from >= latest {
        fate = Fate::Contacted;
    }
    let escalated = (!on_time || matches!(fate, Fate::Open | Fate::Unreachable))
        && case.due + Duration::minutes(10) < now;
    let escalated_at = escalated.then(|| case.due + Duration::minutes(10));
    let e = ending(rng, case, fate, now, contact, finish, done);
    let compensation = (e.outcome == Some(Outcome::Recovered) && rng.random::<f64>() < 0.45)
        .then(|| COMPENSATION[rng.random_range(0..COMPENSATION.len())].to_owned());
    let updated = [
        e.first_contact,
        e.resolved,
        e.closed,
        escalated_at,
        last_linked,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(case.created);
    CaseHistory {
        case_id: case.id,
        status: e.status,
        created_at: case.created,
        first_contact_at: e.first_contact,
        resolved_at: e.resolved,
        closed_at: e.closed,
        outcome: e.outcome,
        compensation,
        escalated_at,
        updated_at: updated,
        note_times: case
            .linked_notes
            .iter()
            .copied()
            .zip(case.linked.clone())
            .collect(),
        notes: e.notes,
        steps_done: steps_done(case, e.first_contact, e.resolved),
        follow_up: e.follow_up,
    }
}

/// When a case is first contacted, and whether within its SLA: mostly within, sometimes
/// late (and then escalated).
fn first_contact(
    rng: &mut StdRng,
    case: &OpenCase,
    now: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> (bool, DateTime<Utc>) {
    let on_time = rng.random::<f64>() < 0.78;
    let contact = if on_time || now < case.due {
        between(
            rng,
            case.created + Duration::minutes(10),
            case.due.min(latest),
        )
    } else {
        between(
            rng,
            case.due + Duration::hours(1),
            (case.due + Duration::hours(30)).min(latest),
        )
    }
    .min(latest);
    (on_time, contact)
}

/// Where a case's fate leaves it: its status and times, outcome, notes and follow-up flag.
struct Ending {
    status: CaseStatus,
    first_contact: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    closed: Option<DateTime<Utc>>,
    outcome: Option<Outcome>,
    follow_up: Option<FollowUp>,
    notes: Vec<HistoricNote>,
}

/// Plays out a case's fate from its first contact to its finish, counting it in `done`.
fn ending(
    rng: &mut StdRng,
    case: &OpenCase,
    fate: Fate,
    now: DateTime<Utc>,
    contact: DateTime<Utc>,
    finish: DateTime<Utc>,
    done: &mut CaseStory,
) -> Ending {
    let name = case.customer_name.as_str();
    let flag = |note: String, set_at| Some(FollowUp { note, set_at });
    let default_flag = flag(
        format!("Detractor ({}) — case #{}", case.score, case.id),
        case.created,
    );
    let note = |body: String, at| HistoricNote {
        author: case.author.clone(),
        body,
        at,
    };
    let mut notes = Vec::new();
    let (status, first_contact, resolved, closed, outcome, follow_up) = match fate {
        Fate::Open => {
            done.open += 1;
            if now > case.due {
                done.overdue += 1;
            }
            (CaseStatus::Open, None, None, None, None, default_flag)
        }
        Fate::Contacted => {
            done.contacted += 1;
            notes.push(note(pick(rng, &CONTACT_NOTES, name), contact));
            let status = CaseStatus::Contacted;
            (status, Some(contact), None, None, None, default_flag)
        }
        Fate::Resolved(outcome) => {
            notes.push(note(pick(rng, &CONTACT_NOTES, name), contact));
            let (texts, follow_up): (&[&str], _) = if outcome == Outcome::Recovered {
                done.recovered += 1;
                (&RECOVERED_NOTES, None)
            } else {
                done.not_recovered += 1;
                let text = format!(
                    "Not recovered after case #{}: check in at next contact",
                    case.id
                );
                (&NOT_RECOVERED_NOTES, flag(text, finish))
            };
            notes.push(note(pick(rng, texts, name), finish));
            let status = CaseStatus::Resolved;
            (
                status,
                Some(contact),
                Some(finish),
                None,
                Some(outcome),
                follow_up,
            )
        }
        Fate::Unreachable => {
            done.unreachable += 1;
            let first = between(rng, case.created + Duration::minutes(10), finish);
            notes.push(note(UNREACHABLE_NOTES[0].into(), first));
            notes.push(note(UNREACHABLE_NOTES[1].into(), finish));
            let text = format!(
                "Could not be reached about case #{}: ask how things are",
                case.id
            );
            let outcome = Some(Outcome::Unreachable);
            let follow_up = flag(text, finish);
            (
                CaseStatus::Closed,
                None,
                None,
                Some(finish),
                outcome,
                follow_up,
            )
        }
    };
    Ending {
        status,
        first_contact,
        resolved,
        closed,
        outcome,
        follow_up,
        notes,
    }
}

/// The checklist: the first step at first contact, the rest when resolved.
fn steps_done(
    case: &OpenCase,
    first_contact: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
) -> Vec<HistoricStep> {
    match first_contact {
        Some(at) => case
            .steps
            .iter()
            .filter(|&&p| resolved.is_some() || p <= 0)
            .map(|&position| HistoricStep {
                position,
                at: resolved.unwrap_or(at),
                by: case.author.clone(),
            })
            .collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
