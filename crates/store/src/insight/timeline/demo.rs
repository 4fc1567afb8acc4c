//! DEMO ONLY: makes the demo workspace's closed loop look lived-in. `advocate demo`
//! records the last weeks of answers live, so their detractors open cases "now"; this
//! moves each case back to its answer's time and plays out a plausible follow-up —
//! contacted within or after the SLA, resolved with an outcome and notes, a few still open
//! and overdue — from a seeded RNG, so every machine gets the same story. Never call it on
//! a real workspace: it rewrites case history.

use crate::models::WorkspaceSettings;
use crate::{from_ts, to_ts, Result, Store};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// What [`Store::demo_close_cases`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoLoop {
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
    customer_id: Option<i64>,
    assignee: String,
    /// Who writes the notes: the assignee, or for a queue one of its agents.
    author: String,
    score: i64,
    created: DateTime<Utc>,
    due: DateTime<Utc>,
    customer_name: String,
}

/// How one case plays out.
enum Fate {
    Open,
    Contacted,
    Resolved(&'static str),
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

fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds().max(1);
    from + Duration::seconds(rng.random_range(0..span))
}

fn pick(rng: &mut StdRng, texts: &[&str], name: &str) -> String {
    texts[rng.random_range(0..texts.len())].replace("{name}", name)
}

impl Store {
    /// DEMO ONLY: saves the workspace's settings as they are (no validation beyond the
    /// type), so the demo has review links and a default queue before answers arrive.
    pub async fn demo_set_settings(
        &self,
        workspace_id: i64,
        settings: &WorkspaceSettings,
    ) -> Result<()> {
        let json = serde_json::to_string(settings).expect("settings serialise");
        sqlx::query(
            "INSERT INTO workspace_settings (workspace_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(workspace_id)
        .bind(json)
        .bind(to_ts(Utc::now()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// DEMO ONLY (see the module comment): plays out every open case of the workspace as
    /// of `now`, deterministically for a given `seed`. All in one transaction.
    pub async fn demo_close_cases(
        &self,
        workspace_id: i64,
        seed: u64,
        now: DateTime<Utc>,
    ) -> Result<DemoLoop> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut tx = self.begin_write().await?;
        let queue = crate::tenancy::lookup::settings_in(&mut tx, workspace_id)
            .await?
            .default_queue;
        let mut cases = open_cases(&mut tx, workspace_id).await?;
        for case in &mut cases {
            if case.assignee == queue {
                let agent = QUEUE_AGENTS[rng.random_range(0..QUEUE_AGENTS.len())];
                case.author = format!("{agent} ({queue})");
            }
        }
        let mut done = DemoLoop::default();
        // The customer's latest case decides their follow-up flag.
        let mut flags: BTreeMap<i64, Option<(String, DateTime<Utc>)>> = BTreeMap::new();
        for case in cases {
            let linked = backdate_linked_notes(&mut tx, &case).await?;
            let flag = play_out(&mut tx, &mut rng, &case, linked, now, &mut done).await?;
            if let Some(customer) = case.customer_id {
                flags.insert(customer, flag);
            }
        }
        for (customer, flag) in flags {
            let (note, at) = match flag {
                Some((note, at)) => (Some(note), Some(to_ts(at))),
                None => (None, None),
            };
            sqlx::query(
                "UPDATE customers SET follow_up_note = $1, follow_up_set_at = $2 WHERE id = $3",
            )
            .bind(note)
            .bind(at)
            .bind(customer)
            .execute(&mut *tx)
            .await?;
        }
        // Engagements were created at load time; date them by their answer.
        sqlx::query(
            "UPDATE engagements SET created_at = (SELECT a.answered_at FROM answers a \
             WHERE a.id = engagements.answer_id), updated_at = (SELECT a.answered_at \
             FROM answers a WHERE a.id = engagements.answer_id) WHERE workspace_id = $1",
        )
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done)
    }
}

async fn open_cases(conn: &mut AnyConnection, ws: i64) -> Result<Vec<OpenCase>> {
    let rows = sqlx::query(
        "SELECT k.id, k.customer_id, k.assignee, k.score, k.sla_due_at, a.answered_at, \
         c.name, c.external_id FROM cases k JOIN answers a ON a.id = k.answer_id \
         LEFT JOIN customers c ON c.id = k.customer_id \
         WHERE k.workspace_id = $1 AND k.status = 'open' ORDER BY k.id",
    )
    .bind(ws)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let name: Option<String> = r.try_get("name")?;
            let external: Option<String> = r.try_get("external_id")?;
            let assignee: String = r.try_get("assignee")?;
            Ok(OpenCase {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                author: assignee.clone(),
                assignee,
                score: r.try_get("score")?,
                created: from_ts(r.try_get("answered_at")?),
                due: from_ts(r.try_get("sla_due_at")?),
                customer_name: name.or(external).unwrap_or_else(|| "the customer".into()),
            })
        })
        .collect()
}

/// Dates the case and the notes of answers linked to it by those answers' times; returns
/// the time of the last linked answer (the case must stay open until then).
async fn backdate_linked_notes(
    conn: &mut AnyConnection,
    case: &OpenCase,
) -> Result<Option<DateTime<Utc>>> {
    let linked: Vec<i64> = sqlx::query_scalar(
        "SELECT a.answered_at FROM case_answers l JOIN answers a ON a.id = l.answer_id \
         WHERE l.case_id = $1 ORDER BY a.answered_at, a.id",
    )
    .bind(case.id)
    .fetch_all(&mut *conn)
    .await?;
    let notes: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM case_notes WHERE case_id = $1 AND author = 'Advocate' ORDER BY id",
    )
    .bind(case.id)
    .fetch_all(&mut *conn)
    .await?;
    for (note, at) in notes.iter().zip(&linked) {
        sqlx::query("UPDATE case_notes SET created_at = $1 WHERE id = $2")
            .bind(at)
            .bind(note)
            .execute(&mut *conn)
            .await?;
    }
    Ok(linked.last().copied().map(from_ts))
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
            o if o < 0.64 => Fate::Resolved("recovered"),
            o if o < 0.86 => Fate::Resolved("not_recovered"),
            _ => Fate::Unreachable,
        },
    }
}

/// Plays out one case; returns the customer's follow-up flag after it.
async fn play_out(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    case: &OpenCase,
    last_linked: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    done: &mut DemoLoop,
) -> Result<Option<(String, DateTime<Utc>)>> {
    let latest = now - Duration::minutes(5);
    let name = case.customer_name.as_str();
    let default_flag = Some((
        format!("Detractor ({}) — case #{}", case.score, case.id),
        case.created,
    ));
    let mut fate = fate(rng, case, now);
    if case.created + Duration::minutes(15) > latest {
        fate = Fate::Open;
    }
    // A first contact: mostly within the SLA, sometimes late (and then escalated).
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
    let (status, first_contact, resolved, closed, outcome, flag) = match fate {
        Fate::Open => {
            done.open += 1;
            if now > case.due {
                done.overdue += 1;
            }
            ("open", None, None, None, None, default_flag)
        }
        Fate::Contacted => {
            done.contacted += 1;
            add_note(conn, case, contact, pick(rng, &CONTACT_NOTES, name)).await?;
            ("contacted", Some(contact), None, None, None, default_flag)
        }
        Fate::Resolved(outcome) => {
            add_note(conn, case, contact, pick(rng, &CONTACT_NOTES, name)).await?;
            let (texts, flag): (&[&str], _) = if outcome == "recovered" {
                done.recovered += 1;
                (&RECOVERED_NOTES, None)
            } else {
                done.not_recovered += 1;
                let note = format!(
                    "Not recovered after case #{}: check in at next contact",
                    case.id
                );
                (&NOT_RECOVERED_NOTES, Some((note, finish)))
            };
            add_note(conn, case, finish, pick(rng, texts, name)).await?;
            (
                "resolved",
                Some(contact),
                Some(finish),
                None,
                Some(outcome),
                flag,
            )
        }
        Fate::Unreachable => {
            done.unreachable += 1;
            let first = between(rng, case.created + Duration::minutes(10), finish);
            add_note(conn, case, first, UNREACHABLE_NOTES[0].into()).await?;
            add_note(conn, case, finish, UNREACHABLE_NOTES[1].into()).await?;
            let note = format!(
                "Could not be reached about case #{}: ask how things are",
                case.id
            );
            (
                "closed",
                None,
                None,
                Some(finish),
                Some("unreachable"),
                Some((note, finish)),
            )
        }
    };
    let compensation = (outcome == Some("recovered") && rng.random::<f64>() < 0.45)
        .then(|| COMPENSATION[rng.random_range(0..COMPENSATION.len())]);
    let updated = [first_contact, resolved, closed, escalated_at, last_linked]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(case.created);
    sqlx::query(
        "UPDATE cases SET status = $1, first_contact_at = $2, resolved_at = $3, closed_at = $4, \
         outcome = $5, compensation = $6, escalated_at = $7, created_at = $8, updated_at = $9 \
         WHERE id = $10",
    )
    .bind(status)
    .bind(first_contact.map(to_ts))
    .bind(resolved.map(to_ts))
    .bind(closed.map(to_ts))
    .bind(outcome)
    .bind(compensation)
    .bind(escalated_at.map(to_ts))
    .bind(to_ts(case.created))
    .bind(to_ts(updated))
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    // The checklist: the first step at first contact, the rest when resolved.
    if let Some(at) = first_contact {
        let last_step = if resolved.is_some() { i64::MAX } else { 0 };
        sqlx::query(
            "UPDATE case_steps SET done_at = $1, done_by = $2 WHERE case_id = $3 AND position <= $4",
        )
        .bind(to_ts(resolved.unwrap_or(at)))
        .bind(&case.author)
        .bind(case.id)
        .bind(last_step)
        .execute(&mut *conn)
        .await?;
    }
    if let Some(at) = resolved {
        resurvey(conn, case, at).await?;
    }
    Ok(flag)
}

async fn add_note(
    conn: &mut AnyConnection,
    case: &OpenCase,
    at: DateTime<Utc>,
    body: String,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_notes (workspace_id, case_id, author, body, created_at) \
         SELECT workspace_id, id, $1, $2, $3 FROM cases WHERE id = $4",
    )
    .bind(&case.author)
    .bind(body)
    .bind(to_ts(at))
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The customer's first NPS answer after the resolution, if any, is the case's "after".
async fn resurvey(
    conn: &mut AnyConnection,
    case: &OpenCase,
    resolved: DateTime<Utc>,
) -> Result<()> {
    let Some(customer) = case.customer_id else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE cases SET resurvey_answer_id = (SELECT a.id FROM answers a \
         JOIN surveys s ON s.id = a.survey_id WHERE a.customer_id = $1 AND s.kind = 'nps' \
         AND a.answered_at > $2 ORDER BY a.answered_at, a.id LIMIT 1) WHERE id = $3",
    )
    .bind(customer)
    .bind(to_ts(resolved))
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
