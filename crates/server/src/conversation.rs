//! The server's part of the case conversation: the reply address and Message-ID of what
//! an agent writes, the draft from the case's template, writing about an answer that has
//! no case yet (one is opened for it), and taking an inbound message (from the inbound
//! endpoint or the mailbox worker) to the store.
//!
//! Reply addresses carry a token signed with a key derived from the installation's
//! signing key, so one key compromise does not also forge sessions, and every instance
//! verifies the others' addresses.

use crate::state::AppState;
use advocate_core::conversation::address::{
    case_of_address, names_a_token, new_message_id, ReplyRoute,
};
use advocate_core::conversation::inbound::{self, InboundError, InboundMail};
use advocate_core::conversation::templates::{check, render, MessageTemplate, TemplateFacts};
use advocate_store::closed_loop::cases::{AnswerToFollowUp, CaseDetail};
use advocate_store::closed_loop::conversation::{
    CaseMessage, InboundSource, Outgoing, Receipt, Received, Step,
};
use advocate_store::{Store, StoreError};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key reply-address tokens are signed with, derived from the signing key.
pub fn reply_key(signing_key: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_key).expect("HMAC takes any key");
    mac.update(b"advocate reply addresses v1");
    mac.finalize().into_bytes().to_vec()
}

/// How this installation addresses the mail it sends on cases.
#[derive(Debug, Clone)]
pub struct Addressing {
    /// Where replies go (`--reply-address`); without it mail carries no Reply-To and
    /// replies are matched by their threading headers only.
    pub route: Option<ReplyRoute>,
    /// The domain of the Message-IDs Advocate makes when there is no route.
    pub fallback_domain: String,
}

impl Addressing {
    pub fn new(route: Option<ReplyRoute>, public_url: &str) -> Self {
        let fallback_domain = url::Url::parse(public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .filter(|h| h.contains('.'))
            .unwrap_or_else(|| "advocate.localhost".into());
        Self {
            route,
            fallback_domain,
        }
    }

    /// Where replies to mail on a case go, when a reply route is configured.
    pub fn reply_to(&self, key: &[u8], workspace_id: i64, case_id: i64) -> Option<String> {
        self.route
            .as_ref()
            .map(|r| r.address_for(key, workspace_id, case_id))
    }

    /// The Reply-To and Message-ID of a new message on a case.
    fn outgoing(&self, key: &[u8], workspace_id: i64, case_id: i64) -> (Option<String>, String) {
        let domain = self
            .route
            .as_ref()
            .map_or(self.fallback_domain.as_str(), |r| r.domain());
        (
            self.reply_to(key, workspace_id, case_id),
            new_message_id(domain, case_id),
        )
    }
}

/// Emails the customer of a case (see the store's `conversations().send`).
pub async fn send(
    state: &AppState,
    workspace_id: i64,
    case_id: i64,
    author: &str,
    subject: &str,
    body: &str,
) -> Result<CaseMessage, StoreError> {
    let (reply_to, message_id) = state
        .addressing
        .outgoing(&state.reply_key, workspace_id, case_id);
    let msg = Outgoing {
        subject: subject.trim().to_owned(),
        body: body.trim_end().to_owned(),
        reply_to,
        message_id,
    };
    state
        .store
        .conversations()
        .send(workspace_id, case_id, author, &msg)
        .await
}

/// The text an agent starts from on a case: the template for its score and playbook step
/// in the customer's language (else the case's), filled with the customer, the comment,
/// the company and the agent. `step`: `None` for the first step not yet done, `Some(0)`
/// for the score's own template, `Some(n)` for the case's n-th step (from 1).
pub async fn draft(
    store: &Store,
    workspace_id: i64,
    detail: &CaseDetail,
    step: Option<u8>,
    agent_name: &str,
) -> Result<MessageTemplate, StoreError> {
    let case = &detail.case;
    let language = detail
        .contact
        .as_ref()
        .and_then(|c| c.language.as_deref())
        .unwrap_or(&case.language);
    let facts = DraftFacts {
        score: case.score,
        customer_name: case.customer_name.as_deref(),
        comment: case.comment.as_deref(),
        language,
        step: step_of(detail, step),
    };
    draft_from(store, workspace_id, &facts, agent_name).await
}

/// The text an agent starts from about an answer that has no case yet: the template for
/// its score in the customer's language (else the answer's), filled in as on a case.
pub async fn draft_about_answer(
    store: &Store,
    workspace_id: i64,
    about: &AnswerToFollowUp,
    agent_name: &str,
) -> Result<MessageTemplate, StoreError> {
    let customer = about.customer.as_ref();
    let facts = DraftFacts {
        score: about.answer.score,
        customer_name: customer.and_then(|c| c.name.as_deref()),
        comment: about.answer.comment.as_deref(),
        language: customer
            .and_then(|c| c.language.as_ref())
            .map_or(about.language.as_str(), |l| l.as_str()),
        step: None,
    };
    draft_from(store, workspace_id, &facts, agent_name).await
}

/// What a draft is written from.
struct DraftFacts<'a> {
    score: u8,
    customer_name: Option<&'a str>,
    comment: Option<&'a str>,
    language: &'a str,
    step: Option<Step<'a>>,
}

async fn draft_from(
    store: &Store,
    workspace_id: i64,
    facts: &DraftFacts<'_>,
    agent_name: &str,
) -> Result<MessageTemplate, StoreError> {
    let template = store
        .conversations()
        .template(workspace_id, facts.score, facts.step, facts.language)
        .await?;
    let company = store
        .workspaces()
        .get(workspace_id)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    Ok(render(
        &template,
        &TemplateFacts {
            customer_name: facts.customer_name,
            score: facts.score,
            company: &company,
            agent_name,
            comment: facts.comment,
        },
    ))
}

/// The answer `answer_id` if the caller may write to its customer about it; `None` when
/// the workspace has no such answer or it is not theirs to follow up. `only_own`: the
/// agent who sees only their own customers and cases — they may follow up answers of
/// their own customers, on the answer's case when it is assigned to them, or on the one
/// it gets when it has none (which is then theirs).
pub async fn reachable_answer(
    store: &Store,
    workspace_id: i64,
    answer_id: i64,
    only_own: Option<&str>,
) -> Result<Option<AnswerToFollowUp>, StoreError> {
    let Some(about) = store
        .cases()
        .answer_to_follow_up(workspace_id, answer_id)
        .await?
    else {
        return Ok(None);
    };
    let Some(me) = only_own else {
        return Ok(Some(about));
    };
    let Some(customer) = &about.customer else {
        return Ok(None);
    };
    if !store
        .timelines()
        .customer_owned_by(workspace_id, &customer.external_id, me)
        .await?
    {
        return Ok(None);
    }
    if let Some(case_id) = about.case_id {
        let theirs = store
            .cases()
            .get(workspace_id, case_id)
            .await?
            .is_some_and(|d| d.case.assignee.eq_ignore_ascii_case(me));
        if !theirs {
            return Ok(None);
        }
    }
    Ok(Some(about))
}

/// Emails the customer about an answer: on its case, opened by hand first when it has
/// none (for `author`, assigned to `assign_to`; see the store's `cases().open_by_hand`).
/// Text that is not acceptable and an answer nobody can be written to about are refused
/// before anything is opened.
pub async fn send_about_answer(
    state: &AppState,
    workspace_id: i64,
    about: &AnswerToFollowUp,
    author: &str,
    assign_to: Option<&str>,
    subject: &str,
    body: &str,
) -> Result<CaseMessage, StoreError> {
    check(&MessageTemplate {
        subject: subject.trim().to_owned(),
        body: body.trim_end().to_owned(),
    })
    .map_err(StoreError::Invalid)?;
    if let Some(why) = about.refusal() {
        return Err(StoreError::Invalid(why));
    }
    if about.email().is_none() {
        return Err(StoreError::Invalid(NO_EMAIL.into()));
    }
    let case_id = state
        .store
        .cases()
        .open_by_hand(workspace_id, about.answer.id, author, assign_to)
        .await?
        .case_id();
    send(state, workspace_id, case_id, author, subject, body).await
}

/// Why an answer's customer cannot be written to when they have no address.
pub const NO_EMAIL: &str =
    "this customer has no email address; add one to the customer record to write to them";

/// The case's step a draft is for (see [`draft`]), numbered from 1 as templates name it.
pub fn step_of(detail: &CaseDetail, step: Option<u8>) -> Option<Step<'_>> {
    let found = match step {
        Some(0) => None,
        Some(n) => detail.steps.iter().find(|s| s.position + 1 == i64::from(n)),
        None => detail.steps.iter().find(|s| s.done_at.is_none()),
    }?;
    Some(Step {
        position: u8::try_from(found.position + 1).ok()?,
        text: &found.text,
    })
}

/// Why an inbound message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error(transparent)]
    Unreadable(#[from] InboundError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes one inbound message: parses it, reads the case its reply address names (a token
/// that does not verify names none), and hands it to the store, which keeps it once.
/// `headers_only`: a message over the size limit whose body was not fetched.
pub async fn receive(
    store: &Store,
    key: &[u8],
    raw: &[u8],
    size: usize,
    headers_only: bool,
    source: InboundSource,
    scope: Option<i64>,
) -> Result<Received, ReceiveError> {
    let mail: InboundMail = if headers_only {
        inbound::parse_headers(raw, size)?
    } else {
        inbound::parse(raw)?
    };
    let token = mail.recipients.iter().find_map(|a| case_of_address(key, a));
    let forged_token = token.is_none() && mail.recipients.iter().any(|a| names_a_token(a));
    let receipt = Receipt {
        source,
        scope,
        token,
        forged_token,
        raw,
    };
    Ok(store.conversations().receive(&mail, &receipt).await?)
}

/// How an agent signs a message when all Advocate knows of them is their address:
/// "kari.nordmann@example.com" → "Kari Nordmann".
pub fn name_of_address(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let words: Vec<String> = local
        .split(['.', '_', '-', '+'])
        .filter(|w| !w.is_empty() && !w.chars().any(|c| c.is_ascii_digit()))
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect();
    if words.is_empty() {
        email.to_owned()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_sign_with_a_name_made_from_their_address() {
        assert_eq!(
            name_of_address("kari.nordmann@example.com"),
            "Kari Nordmann"
        );
        assert_eq!(name_of_address("ole_hansen@x.no"), "Ole Hansen");
        assert_eq!(name_of_address("støtte@x.no"), "Støtte");
        assert_eq!(name_of_address("agent7@x.no"), "agent7@x.no");
    }
}
