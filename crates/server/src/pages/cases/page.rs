//! One case's page (`/cases/{id}`): the triggering answer, the checklist, the notes and
//! the form that moves the case along.

use super::{duration_text, parse_id, visible, NO_SUCH_CASE};
use crate::auth::SignedIn;
use crate::pages::signin::RequireSignIn;
use crate::pages::views::encode;
use crate::pages::{internal, when, PageError};
use crate::pages::{opt_when, score_class};
use crate::state::AppState;
use advocate_core::case::{CaseStatus, Outcome};
use advocate_store::closed_loop::cases::{CaseDetail, CaseNote, CaseStep, LinkedAnswer};
use advocate_store::closed_loop::conversation::{CaseMessage, Direction};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};

pub struct StepRow {
    pub position: i64,
    pub text: String,
    pub done: bool,
    pub done_text: String,
}

pub struct NoteRow {
    pub author: String,
    pub body: String,
    pub at: String,
}

pub struct AnswerRow {
    pub role: String,
    pub score: u8,
    pub score_class: &'static str,
    pub comment: String,
    pub survey: String,
    pub at: String,
}

pub struct MessageRow {
    pub id: i64,
    pub outgoing: bool,
    /// "Email to the customer", "Reply", "Automatic reply", "Bounce".
    pub label: &'static str,
    pub author: String,
    pub at: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<String>,
    /// For an outgoing message: waiting, sent or failed.
    pub delivery: &'static str,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases_detail.html")]
pub struct CasePage {
    pub workspace: String,
    pub user: String,
    pub error: Option<String>,
    pub id: i64,
    pub action: String,
    pub customer: String,
    pub customer_href: String,
    pub score: u8,
    pub score_class: &'static str,
    pub comment: String,
    pub survey: String,
    pub priority: &'static str,
    pub status: &'static str,
    pub closed: bool,
    pub assignee: String,
    pub due: String,
    pub overdue: bool,
    pub escalated: String,
    pub first_contact: String,
    pub time_to_first_contact: String,
    pub resolved: String,
    pub outcome: String,
    pub compensation: String,
    pub after_score: Option<u8>,
    pub after_class: &'static str,
    pub statuses: Vec<Choice>,
    pub outcomes: Vec<Choice>,
    pub steps: Vec<StepRow>,
    pub notes: Vec<NoteRow>,
    pub answers: Vec<AnswerRow>,
    pub email: String,
    pub phone: String,
    pub account_manager: String,
    pub customer_language: String,
    pub messages: Vec<MessageRow>,
}

/// The statuses the case can move to, its current one first (and selected).
fn status_choices(status: CaseStatus) -> Vec<Choice> {
    let mut statuses = vec![Choice {
        value: status.as_str(),
        label: status.as_str(),
        selected: true,
    }];
    statuses.extend(
        CaseStatus::ALL
            .into_iter()
            .filter(|to| status.can_become(*to))
            .map(|to| Choice {
                value: to.as_str(),
                label: if status == CaseStatus::Resolved && to == CaseStatus::Open {
                    "open (reopen)"
                } else {
                    to.as_str()
                },
                selected: false,
            }),
    );
    statuses
}

/// The outcomes a person can set, none (`—`) first.
fn outcome_choices(outcome: Option<Outcome>) -> Vec<Choice> {
    let mut outcomes = vec![Choice {
        value: "",
        label: "—",
        selected: outcome.is_none(),
    }];
    outcomes.extend(Outcome::ALL.into_iter().map(|o| Choice {
        value: o.as_str(),
        label: match o {
            Outcome::Recovered => "recovered",
            Outcome::NotRecovered => "not recovered",
            Outcome::Unreachable => "unreachable",
            // Not in `ALL`: only a changed score withdraws a case.
            Outcome::Withdrawn => "withdrawn",
        },
        selected: outcome == Some(o),
    }));
    outcomes
}

fn step_row(s: CaseStep) -> StepRow {
    StepRow {
        position: s.position,
        done: s.done_at.is_some(),
        done_text: match (s.done_at, s.done_by) {
            (Some(at), Some(by)) => format!("done {} by {by}", when(at)),
            (Some(at), None) => format!("done {}", when(at)),
            _ => String::new(),
        },
        text: s.text,
    }
}

fn note_row(n: CaseNote) -> NoteRow {
    NoteRow {
        author: n.author,
        body: n.body,
        at: when(n.created_at),
    }
}

fn message_row(m: CaseMessage) -> MessageRow {
    let outgoing = m.direction == Direction::Out;
    MessageRow {
        id: m.id,
        outgoing,
        label: match m.nature.as_str() {
            _ if outgoing => "Email to the customer",
            "auto_reply" => "Automatic reply (does not count as an answer)",
            "bounce" => "Bounce: the email could not be delivered",
            _ => "Reply from the customer",
        },
        author: m.author,
        at: when(m.created_at),
        subject: m.subject,
        body: m.body,
        attachments: m
            .attachments
            .into_iter()
            .map(|a| {
                format!(
                    "{} ({}, {} KB)",
                    a.name,
                    a.content_type,
                    a.size.div_ceil(1024)
                )
            })
            .collect(),
        delivery: match m.delivery.as_deref() {
            Some("delivered") => "sent",
            Some("dead") => "failed — see the outbox",
            Some(_) => "waiting to be sent",
            None => "",
        },
    }
}

fn answer_row(a: LinkedAnswer) -> AnswerRow {
    AnswerRow {
        role: a.role,
        score: a.score,
        score_class: score_class(a.score),
        comment: a.comment.unwrap_or_default(),
        survey: a.survey_slug,
        at: when(a.answered_at),
    }
}

pub(super) fn case_page(
    workspace: String,
    user: &SignedIn,
    d: CaseDetail,
    error: Option<String>,
) -> CasePage {
    let c = d.case;
    let status = c.status;
    let contact = d.contact.unwrap_or_default();
    let outcomes = outcome_choices(c.outcome);
    CasePage {
        workspace,
        user: user.email.clone(),
        error,
        id: c.id,
        action: format!("/cases/{}", c.id),
        customer: c
            .customer_name
            .clone()
            .or_else(|| c.customer_external_id.clone())
            .unwrap_or_else(|| "Anonymous respondent".into()),
        customer_href: c
            .customer_external_id
            .as_deref()
            .map(|e| format!("/customers/{}", encode(e)))
            .unwrap_or_default(),
        score: c.score,
        score_class: score_class(c.score),
        comment: c.comment.unwrap_or_default(),
        survey: c.survey_slug,
        priority: c.priority.as_str(),
        status: status.as_str(),
        closed: status == CaseStatus::Closed,
        assignee: c.assignee,
        due: when(c.sla_due_at),
        overdue: c.overdue,
        escalated: opt_when(c.escalated_at),
        first_contact: opt_when(c.first_contact_at),
        time_to_first_contact: c
            .time_to_first_contact_secs
            .map(duration_text)
            .unwrap_or_default(),
        resolved: opt_when(c.resolved_at),
        outcome: c
            .outcome
            .map(|o| match o {
                Outcome::Withdrawn => format!("withdrawn — score changed to {}", c.score),
                o => o.as_str().replace('_', " "),
            })
            .unwrap_or_default(),
        compensation: c.compensation.unwrap_or_default(),
        after_score: c.after_score,
        after_class: c.after_score.map_or("", score_class),
        statuses: status_choices(status),
        outcomes,
        steps: d.steps.into_iter().map(step_row).collect(),
        notes: d.notes.into_iter().map(note_row).collect(),
        answers: d.answers.into_iter().map(answer_row).collect(),
        email: contact.email.unwrap_or_default(),
        phone: contact.phone.unwrap_or_default(),
        account_manager: contact.account_manager.unwrap_or_default(),
        customer_language: contact.language.unwrap_or_default(),
        messages: d.messages.into_iter().map(message_row).collect(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
) -> Result<CasePage, PageError> {
    let id = parse_id(&raw)?;
    let workspace = crate::pages::workspace_of(&state, user.workspace_id)
        .await?
        .name;
    let detail = state
        .store
        .cases()
        .get(user.workspace_id, id)
        .await
        .map_err(internal)?
        .filter(|d| visible(&user, &d.case))
        .ok_or(NO_SUCH_CASE)?;
    Ok(case_page(workspace, &user, detail, None))
}
