//! A case's life: the follow-up of a detractor, from open to resolved. This module decides
//! what a requested change does to a case as it is ([`plan`]); the store writes the plan.
//!
//! Lifecycle (anything else is refused with the transition named):
//!
//! ```text
//! open ──► contacted ──► resolved ──► closed
//!   └──────────────────────►┘ │
//!   ▲─────────── reopen ──────┘
//! ```
//!
//! - `contacted` records the first contact (once; a reopened case keeps it).
//! - `resolved` needs an outcome: recovered, not_recovered or unreachable. From `open` it
//!   means nobody was reached (no first contact is recorded).
//! - A resolved case may be reopened (back to `open`; its outcome is cleared). `closed` is
//!   final: nothing but notes changes after it.
//! - A case is **overdue** while it is `open`, has had no first contact and its SLA due
//!   time has passed.

use crate::field::{self, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    Open,
    Contacted,
    Resolved,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] = [Self::Open, Self::Contacted, Self::Resolved, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Contacted => "contacted",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether a case may go from `self` to `to` (see the module docs).
    pub fn can_become(self, to: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, to),
            (Open, Contacted)
                | (Open, Resolved)
                | (Contacted, Resolved)
                | (Resolved, Closed)
                | (Resolved, Open)
        )
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a resolved case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Recovered,
    NotRecovered,
    Unreachable,
    /// Set by Advocate only: the detractor changed their score to a passive or promoter
    /// one before anyone worked the case, which was closed (see [`crate::rescore`]).
    Withdrawn,
}

impl Outcome {
    /// The outcomes a person may record.
    pub const ALL: [Outcome; 3] = [Self::Recovered, Self::NotRecovered, Self::Unreachable];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recovered => "recovered",
            Self::NotRecovered => "not_recovered",
            Self::Unreachable => "unreachable",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// An outcome a person may record (never `withdrawn`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// A stored outcome, `withdrawn` included.
    pub fn stored(s: &str) -> Option<Self> {
        Self::parse(s).or((s == "withdrawn").then_some(Self::Withdrawn))
    }
}

pub const MAX_NOTE_CHARS: usize = 5000;
pub const MAX_COMPENSATION_CHARS: usize = 500;
pub const MAX_ASSIGNEE_CHARS: usize = 200;

/// Changes to a case; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseUpdate {
    pub status: Option<CaseStatus>,
    pub outcome: Option<Outcome>,
    /// `Some("")` clears it.
    pub compensation: Option<String>,
    pub assignee: Option<String>,
    /// (position, done): tick or untick checklist steps.
    pub steps: Vec<(i64, bool)>,
}

impl CaseUpdate {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.outcome.is_none()
            && self.compensation.is_none()
            && self.assignee.is_none()
            && self.steps.is_empty()
    }

    /// Refuses a change that asks for nothing, before the case is even looked up.
    pub fn check_not_empty(&self) -> Result<(), CaseError> {
        if self.is_empty() {
            Err(CaseError::NothingRequested)
        } else {
            Ok(())
        }
    }
}

/// Why a change to a case is refused. The messages are shown to users as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("nothing to change: give status, outcome, compensation, assignee or steps")]
    NothingRequested,
    /// The one refusal that is a conflict with the case's state rather than a bad request.
    #[error("case {0} is closed; only notes can be added to it")]
    Closed(i64),
    #[error("nothing to change: case {0} is already {1}")]
    AlreadyIs(i64, CaseStatus),
    #[error(
        "a case cannot go from {0} to {1}; allowed: open → contacted, open → resolved, \
         contacted → resolved, resolved → closed, resolved → open (reopen)"
    )]
    NotAllowed(CaseStatus, CaseStatus),
    #[error("resolving a case needs an outcome: recovered, not_recovered or unreachable")]
    NeedsOutcome,
    #[error("an outcome is recorded when the case is resolved; this case is {0}")]
    OutcomeWhileNotResolved(CaseStatus),
    #[error("case {0} has no step at position {1}")]
    NoStep(i64, i64),
    #[error("a note must not be empty")]
    EmptyNote,
    #[error("a note must be at most {MAX_NOTE_CHARS} characters")]
    LongNote,
    #[error("{0}")]
    Field(#[from] Invalid),
}

/// The fields of a case that its lifecycle sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    pub status: CaseStatus,
    pub outcome: Option<Outcome>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A case as it is, as far as the rules need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseState {
    pub id: i64,
    pub lifecycle: Lifecycle,
    pub compensation: Option<String>,
    pub assignee: String,
    /// The positions of its checklist steps.
    pub steps: Vec<i64>,
}

/// What a change does to a case, decided by [`plan`]: the store writes it as it is, in
/// one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePlan {
    /// The case's lifecycle fields after the change (written whether or not they changed).
    pub lifecycle: Lifecycle,
    pub compensation: Option<String>,
    pub assignee: String,
    /// (position, done) to tick or untick, by the actor at `now`, in the order asked.
    pub steps: Vec<(i64, bool)>,
    /// Every change in words, in order, for the `case.updated` event.
    pub changes: Vec<String>,
    /// Status and ownership changes, kept on the case's own history as a note.
    pub note: Option<String>,
    /// The case was just resolved: the customer may be asked to answer again.
    pub resolved: bool,
}

/// Decides what `update` does to `case` at `now`, or why it is refused.
pub fn plan(
    case: &CaseState,
    update: &CaseUpdate,
    now: DateTime<Utc>,
) -> Result<CasePlan, CaseError> {
    update.check_not_empty()?;
    let current = case.lifecycle.status;
    if current == CaseStatus::Closed {
        return Err(CaseError::Closed(case.id));
    }
    let target = update.status.filter(|s| *s != current);
    let only_status = CaseUpdate {
        status: None,
        ..update.clone()
    }
    .is_empty();
    if update.status.is_some() && target.is_none() && only_status {
        return Err(CaseError::AlreadyIs(case.id, current));
    }
    if let Some(to) = target.filter(|to| !current.can_become(*to)) {
        return Err(CaseError::NotAllowed(current, to));
    }
    let after = target.unwrap_or(current);
    if after == CaseStatus::Resolved && update.outcome.is_none() && case.lifecycle.outcome.is_none()
    {
        return Err(CaseError::NeedsOutcome);
    }
    if update.outcome.is_some() && after != CaseStatus::Resolved {
        return Err(CaseError::OutcomeWhileNotResolved(after));
    }
    let compensation = update
        .compensation
        .as_deref()
        .map(|c| field::up_to("compensation", c, MAX_COMPENSATION_CHARS))
        .transpose()?;
    let assignee = update
        .assignee
        .as_deref()
        .map(|a| field::line("assignee", a, MAX_ASSIGNEE_CHARS))
        .transpose()?;
    if let Some((position, _)) = update.steps.iter().find(|(p, _)| !case.steps.contains(p)) {
        return Err(CaseError::NoStep(case.id, *position));
    }

    let mut changes = Vec::new();
    let mut lifecycle = case.lifecycle.clone();
    if let Some(to) = target {
        lifecycle = transition(&case.lifecycle, to, now);
        changes.push(format!("status: {current} → {to}"));
    }
    if let Some(o) = update.outcome {
        lifecycle.outcome = Some(o);
        changes.push(format!("outcome: {}", o.as_str()));
    }
    if let Some(c) = &compensation {
        changes.push(if c.is_empty() {
            "compensation cleared".to_owned()
        } else {
            format!("compensation: {c}")
        });
    }
    if let Some(a) = &assignee {
        changes.push(format!("assigned to {a}"));
    }
    for (position, done) in &update.steps {
        let done = if *done { "done" } else { "not done" };
        changes.push(format!("step {position} {done}"));
    }
    let note = (target.is_some() || assignee.is_some()).then(|| {
        changes
            .iter()
            .map(String::as_str)
            .filter(|c| c.starts_with("status") || c.starts_with("assigned"))
            .collect::<Vec<_>>()
            .join("; ")
    });
    Ok(CasePlan {
        lifecycle,
        compensation: match compensation {
            Some(c) => Some(c).filter(|c| !c.is_empty()),
            None => case.compensation.clone(),
        },
        assignee: assignee.unwrap_or_else(|| case.assignee.clone()),
        steps: update.steps.clone(),
        changes,
        note,
        resolved: target == Some(CaseStatus::Resolved),
    })
}

/// The lifecycle fields after moving to `to` (an allowed transition) at `now`.
fn transition(before: &Lifecycle, to: CaseStatus, now: DateTime<Utc>) -> Lifecycle {
    Lifecycle {
        status: to,
        // Reopening forgets the outcome: the case is being worked on again.
        outcome: before.outcome.filter(|_| to != CaseStatus::Open),
        first_contact_at: match to {
            CaseStatus::Contacted => before.first_contact_at.or(Some(now)),
            _ => before.first_contact_at,
        },
        resolved_at: match to {
            CaseStatus::Resolved => Some(now),
            CaseStatus::Open => None,
            _ => before.resolved_at,
        },
        closed_at: (to == CaseStatus::Closed)
            .then_some(now)
            .or(before.closed_at),
    }
}

/// A note's body, trimmed: not empty, at most [`MAX_NOTE_CHARS`] characters.
pub fn note_body(body: &str) -> Result<&str, CaseError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(CaseError::EmptyNote);
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(CaseError::LongNote);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use CaseStatus::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, hour, 0, 0).unwrap()
    }

    /// Case 7, opened and never touched, with three checklist steps.
    fn case(status: CaseStatus) -> CaseState {
        CaseState {
            id: 7,
            lifecycle: Lifecycle {
                status,
                outcome: None,
                first_contact_at: None,
                resolved_at: None,
                closed_at: None,
            },
            compensation: None,
            assignee: "kari@example.no".into(),
            steps: vec![0, 1, 2],
        }
    }

    fn to(status: CaseStatus) -> CaseUpdate {
        CaseUpdate {
            status: Some(status),
            ..Default::default()
        }
    }

    fn refused(c: &CaseState, u: &CaseUpdate) -> String {
        plan(c, u, at(12)).unwrap_err().to_string()
    }

    #[test]
    fn exactly_the_drawn_transitions_are_allowed() {
        let allowed: Vec<(CaseStatus, CaseStatus)> = CaseStatus::ALL
            .into_iter()
            .flat_map(|a| CaseStatus::ALL.map(|b| (a, b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            allowed,
            [
                (Open, Contacted),
                (Open, Resolved),
                (Contacted, Resolved),
                (Resolved, Open),
                (Resolved, Closed)
            ]
        );
    }

    #[test]
    fn contacting_records_the_first_contact_once() {
        let p = plan(&case(Open), &to(Contacted), at(12)).unwrap();
        assert_eq!(p.lifecycle.status, Contacted);
        assert_eq!(p.lifecycle.first_contact_at, Some(at(12)));
        assert_eq!(p.changes, ["status: open → contacted"]);
        assert_eq!(p.note.as_deref(), Some("status: open → contacted"));
        assert!(!p.resolved);
        // A reopened case keeps its first contact when contacted again.
        let mut reopened = case(Open);
        reopened.lifecycle.first_contact_at = Some(at(9));
        let p = plan(&reopened, &to(Contacted), at(12)).unwrap();
        assert_eq!(p.lifecycle.first_contact_at, Some(at(9)));
    }

    #[test]
    fn resolving_needs_an_outcome_and_records_when() {
        assert_eq!(
            refused(&case(Contacted), &to(Resolved)),
            "resolving a case needs an outcome: recovered, not_recovered or unreachable"
        );
        let resolve = CaseUpdate {
            outcome: Some(Outcome::Recovered),
            ..to(Resolved)
        };
        let p = plan(&case(Contacted), &resolve, at(12)).unwrap();
        assert_eq!(p.lifecycle.status, Resolved);
        assert_eq!(p.lifecycle.outcome, Some(Outcome::Recovered));
        assert_eq!(p.lifecycle.resolved_at, Some(at(12)));
        assert_eq!(
            p.changes,
            ["status: contacted → resolved", "outcome: recovered"]
        );
        assert_eq!(p.note.as_deref(), Some("status: contacted → resolved"));
        assert!(p.resolved);
        // From open nobody was reached: no first contact is recorded.
        let p = plan(&case(Open), &resolve, at(12)).unwrap();
        assert_eq!(p.lifecycle.first_contact_at, None);
    }

    #[test]
    fn reopening_forgets_the_outcome_and_closing_keeps_it() {
        let mut resolved = case(Resolved);
        resolved.lifecycle.outcome = Some(Outcome::Unreachable);
        resolved.lifecycle.resolved_at = Some(at(9));
        let p = plan(&resolved, &to(Open), at(12)).unwrap();
        assert_eq!((p.lifecycle.outcome, p.lifecycle.resolved_at), (None, None));
        let p = plan(&resolved, &to(Closed), at(12)).unwrap();
        assert_eq!(p.lifecycle.outcome, Some(Outcome::Unreachable));
        assert_eq!(p.lifecycle.resolved_at, Some(at(9)));
        assert_eq!(p.lifecycle.closed_at, Some(at(12)));
        // An outcome may be corrected while the case stays resolved.
        let p = plan(
            &resolved,
            &CaseUpdate {
                outcome: Some(Outcome::Recovered),
                ..Default::default()
            },
            at(12),
        )
        .unwrap();
        assert_eq!(p.lifecycle.outcome, Some(Outcome::Recovered));
        assert_eq!(p.note, None);
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        assert_eq!(
            refused(&case(Open), &CaseUpdate::default()),
            "nothing to change: give status, outcome, compensation, assignee or steps"
        );
        assert_eq!(
            plan(&case(Closed), &to(Open), at(12)),
            Err(CaseError::Closed(7))
        );
        assert_eq!(
            refused(&case(Closed), &to(Open)),
            "case 7 is closed; only notes can be added to it"
        );
        assert_eq!(
            refused(&case(Open), &to(Open)),
            "nothing to change: case 7 is already open"
        );
        assert!(refused(&case(Open), &to(Closed))
            .starts_with("a case cannot go from open to closed; allowed: open → contacted"));
        assert_eq!(
            refused(
                &case(Open),
                &CaseUpdate {
                    outcome: Some(Outcome::Recovered),
                    ..Default::default()
                }
            ),
            "an outcome is recorded when the case is resolved; this case is open"
        );
        assert_eq!(
            refused(
                &case(Open),
                &CaseUpdate {
                    steps: vec![(1, true), (3, true)],
                    ..Default::default()
                }
            ),
            "case 7 has no step at position 3"
        );
    }

    #[test]
    fn the_same_status_with_other_changes_is_not_a_transition() {
        let u = CaseUpdate {
            assignee: Some(" ola@example.no ".into()),
            ..to(Open)
        };
        let p = plan(&case(Open), &u, at(12)).unwrap();
        assert_eq!(p.lifecycle, case(Open).lifecycle);
        assert_eq!(p.assignee, "ola@example.no");
        assert_eq!(p.changes, ["assigned to ola@example.no"]);
        assert_eq!(p.note.as_deref(), Some("assigned to ola@example.no"));
    }

    #[test]
    fn compensation_is_set_or_cleared_and_steps_are_listed() {
        let mut c = case(Contacted);
        c.compensation = Some("a voucher".into());
        let clear = CaseUpdate {
            compensation: Some("  ".into()),
            steps: vec![(0, true), (1, false)],
            ..Default::default()
        };
        let p = plan(&c, &clear, at(12)).unwrap();
        assert_eq!(p.compensation, None);
        assert_eq!(
            p.changes,
            ["compensation cleared", "step 0 done", "step 1 not done"]
        );
        assert_eq!(p.note, None);
        assert_eq!(p.assignee, "kari@example.no");
        let keep = CaseUpdate {
            steps: vec![(2, true)],
            ..Default::default()
        };
        assert_eq!(
            plan(&c, &keep, at(12)).unwrap().compensation.as_deref(),
            Some("a voucher")
        );
    }

    #[test]
    fn text_fields_follow_the_text_rule() {
        let long = "x".repeat(MAX_COMPENSATION_CHARS + 1);
        let u = |compensation: Option<&str>, assignee: Option<&str>| CaseUpdate {
            compensation: compensation.map(str::to_owned),
            assignee: assignee.map(str::to_owned),
            ..Default::default()
        };
        assert_eq!(
            refused(&case(Open), &u(Some(&long), None)),
            "compensation must be at most 500 characters"
        );
        assert_eq!(
            refused(&case(Open), &u(None, Some(" "))),
            "assignee must not be empty"
        );
        assert_eq!(
            refused(&case(Open), &u(None, Some(&"a".repeat(201)))),
            "assignee must be at most 200 characters"
        );
        assert_eq!(
            refused(&case(Open), &u(None, Some("a\0b"))),
            "assignee must not contain control characters (found U+0000)"
        );
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(note_body("  called back \n"), Ok("called back"));
        assert_eq!(
            note_body(" ").unwrap_err().to_string(),
            "a note must not be empty"
        );
        assert_eq!(
            note_body(&"n".repeat(MAX_NOTE_CHARS + 1))
                .unwrap_err()
                .to_string(),
            "a note must be at most 5000 characters"
        );
    }

    #[test]
    fn outcomes_a_person_may_record_leave_out_withdrawn() {
        assert_eq!(Outcome::parse("withdrawn"), None);
        assert_eq!(Outcome::stored("withdrawn"), Some(Outcome::Withdrawn));
        assert_eq!(Outcome::parse("not_recovered"), Some(Outcome::NotRecovered));
        assert_eq!(CaseStatus::parse("resolved"), Some(Resolved));
        assert_eq!(CaseStatus::parse("Resolved"), None);
    }
}
