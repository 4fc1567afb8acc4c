//! The record's events: answers, score changes, cases, engagements and the follow-up
//! flag merged into one list, newest first, each with a one-line summary.

use super::follow_up::FollowUp;
use super::lists::ScoreChange;
use super::{TimelineAnswer, TimelineCase, TimelineEngagement};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One thing that happened, for a merged "what happened" list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    /// answered, score_changed, case_opened, note_added, case_contacted, case_escalated, case_resolved,
    /// case_closed, engagement_queued, engagement_{status} (e.g. engagement_sent),
    /// follow_up_set.
    pub kind: String,
    /// One line in English, e.g. "Answered 3 to Onboarding".
    pub summary: String,
    pub answer_id: Option<i64>,
    pub case_id: Option<i64>,
    pub engagement_id: Option<i64>,
}

/// "thank_you" → "Thank you", for summaries.
fn words(snake: &str) -> String {
    let text = snake.replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Merges the lists into one, newest first. Events at the same second keep the order in
/// which they happen (an answer before the case it opens, before the case's notes).
pub(super) fn events(
    answers: &[TimelineAnswer],
    cases: &[TimelineCase],
    engagements: &[TimelineEngagement],
    follow_up: Option<&FollowUp>,
    changes: &[ScoreChange],
) -> Vec<TimelineEvent> {
    let mut all = Events::default();
    all.answers(answers);
    all.score_changes(changes);
    for k in cases {
        all.case(k);
    }
    all.engagements(engagements);
    if let Some(f) = follow_up {
        all.follow_up(f);
    }
    all.newest_first()
}

/// The answer, case and engagement an event is about.
type Ids = (Option<i64>, Option<i64>, Option<i64>);

/// Events as they are found, each with its rank within the same second.
#[derive(Default)]
struct Events(Vec<(TimelineEvent, u8)>);

impl Events {
    fn push(&mut self, at: DateTime<Utc>, rank: u8, kind: &str, summary: String, ids: Ids) {
        self.0.push((
            TimelineEvent {
                at,
                kind: kind.to_owned(),
                summary,
                answer_id: ids.0,
                case_id: ids.1,
                engagement_id: ids.2,
            },
            rank,
        ));
    }

    fn answers(&mut self, answers: &[TimelineAnswer]) {
        for a in answers {
            let summary = match &a.comment {
                Some(c) => format!("Answered {} to {}: “{c}”", a.score, a.survey_name),
                None => format!("Answered {} to {}", a.score, a.survey_name),
            };
            self.push(
                a.answered_at,
                0,
                "answered",
                summary,
                (Some(a.id), None, None),
            );
        }
    }

    fn score_changes(&mut self, changes: &[ScoreChange]) {
        for (at, answer_id, from, to, survey) in changes {
            let summary = format!("Changed the answer to {survey} from {from} to {to}");
            self.push(
                *at,
                1,
                "score_changed",
                summary,
                (Some(*answer_id), None, None),
            );
        }
    }

    /// A case opened, its notes, and each step it took (contacted, escalated, resolved,
    /// closed).
    fn case(&mut self, k: &TimelineCase) {
        let ids = (None, Some(k.id), None);
        let opened = format!(
            "Case #{} opened ({} priority, assigned to {})",
            k.id, k.priority, k.assignee
        );
        self.push(k.created_at, 1, "case_opened", opened, ids);
        for n in &k.notes {
            let note = format!("Note on case #{} by {}: {}", k.id, n.author, n.body);
            self.push(n.created_at, 2, "note_added", note, ids);
        }
        for e in &k.emails {
            let (kind, summary) = match (e.direction.as_str(), e.nature.as_str()) {
                ("out", _) => (
                    "email_sent",
                    format!(
                        "Email to the customer on case #{} by {}: {}",
                        k.id, e.author, e.subject
                    ),
                ),
                (_, "reply") => (
                    "email_received",
                    format!("The customer replied on case #{}: {}", k.id, e.subject),
                ),
                (_, "bounce") => (
                    "email_bounced",
                    format!("An email on case #{} bounced: {}", k.id, e.subject),
                ),
                _ => (
                    "email_auto_reply",
                    format!("Automatic reply on case #{}: {}", k.id, e.subject),
                ),
            };
            self.push(e.created_at, 2, kind, summary, ids);
        }
        if let Some(at) = k.first_contact_at {
            self.push(
                at,
                3,
                "case_contacted",
                format!("Case #{} — customer contacted", k.id),
                ids,
            );
        }
        if let Some(at) = k.escalated_at {
            let text = format!("Case #{} escalated: first contact overdue", k.id);
            self.push(at, 3, "case_escalated", text, ids);
        }
        if let Some(at) = k.resolved_at {
            let outcome = k
                .outcome
                .as_deref()
                .map(words)
                .unwrap_or_else(|| "No outcome".into());
            let text = format!("Case #{} resolved — {}", k.id, outcome.to_lowercase());
            self.push(at, 4, "case_resolved", text, ids);
        }
        if let Some(at) = k.closed_at {
            let text = match k.outcome.as_deref() {
                Some("withdrawn") => format!(
                    "Case #{} closed: withdrawn — score changed to {}",
                    k.id, k.score
                ),
                _ => format!("Case #{} closed", k.id),
            };
            self.push(at, 5, "case_closed", text, ids);
        }
    }

    /// Each engagement queued, and the status it has reached since.
    fn engagements(&mut self, engagements: &[TimelineEngagement]) {
        for e in engagements {
            let ids = (Some(e.answer_id), None, Some(e.id));
            let what = words(&e.kind);
            self.push(
                e.created_at,
                2,
                "engagement_queued",
                format!("{what} queued"),
                ids,
            );
            if e.status != "queued" {
                let kind = format!("engagement_{}", e.status);
                let text = format!("{what} {}", e.status.replace('_', " "));
                self.push(e.updated_at, 3, &kind, text, ids);
            }
        }
    }

    fn follow_up(&mut self, f: &FollowUp) {
        let text = format!("Flagged for follow-up: {}", f.note);
        self.push(f.set_at, 6, "follow_up_set", text, (None, None, None));
    }

    /// Newest first; within the same second, the higher rank first.
    fn newest_first(mut self) -> Vec<TimelineEvent> {
        self.0
            .sort_by(|(a, ra), (b, rb)| b.at.cmp(&a.at).then(rb.cmp(ra)));
        self.0.into_iter().map(|(e, _)| e).collect()
    }
}
