//! A case a person opens by hand for an answer that has none (a passive or promoter, say,
//! whose playbook opened none), to write to the customer about it: a conversation needs a
//! case to thread the replies to. It is opened as a reaction opens one (the playbook of
//! the answer's score, in the respondent's language) and announced as `case.created`, but
//! it goes to whoever asked for it and alerts nobody: they know.
//!
//! An answer gets one case this way however many ask at once: the answer is locked
//! (PostgreSQL; SQLite has one writer at a time) while its case is looked for and opened.

use super::add_note_in;
use crate::closed_loop::context::{respondent_language, SYSTEM_AUTHOR};
use crate::closed_loop::reactions::{self, start_case};
use crate::feedback::answer_rows::{answer_from, COLUMNS};
use crate::feedback::customers::customer_by_id_in;
use crate::models::{Answer, Customer};
use crate::tenancy::lookup::company_in;
use crate::{Backend, Cases, Result, StoreError};
use advocate_core::{Score, SurveyKind};
use chrono::Utc;
use serde_json::json;
use sqlx::AnyConnection;

/// SQL: the id of the case of the customer's answer `a` (an alias in the query): the
/// newest case it opened, else the newest it joined. Found among the customer's cases,
/// which are indexed.
pub(crate) const CASE_OF_ANSWER: &str = "COALESCE(\
     (SELECT MAX(k.id) FROM cases k WHERE k.workspace_id = a.workspace_id \
     AND k.customer_id = a.customer_id AND k.answer_id = a.id), \
     (SELECT MAX(k.id) FROM cases k WHERE k.workspace_id = a.workspace_id \
     AND k.customer_id = a.customer_id AND EXISTS (SELECT 1 FROM case_answers j \
     WHERE j.case_id = k.id AND j.answer_id = a.id)))";

/// An answer as someone about to write to its customer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerToFollowUp {
    pub answer: Answer,
    pub survey_kind: SurveyKind,
    /// Who gave it; `None` for an anonymous answer.
    pub customer: Option<Customer>,
    /// The language a case about it has: the answer's, else the customer's, else the
    /// workspace's.
    pub language: String,
    /// The case it opened, else the one it joined.
    pub case_id: Option<i64>,
}

impl AnswerToFollowUp {
    /// The customer's email address, when they have one.
    pub fn email(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.email.as_deref())
            .filter(|e| !e.trim().is_empty())
    }

    /// Why nobody can be written to about this answer, if nobody can: eNPS answers are
    /// anonymous, CSAT and NPS answers without a customer have no one to write to.
    pub fn refusal(&self) -> Option<String> {
        match (self.survey_kind, &self.customer) {
            (SurveyKind::Enps, _) => Some(
                "answers to an employee (eNPS) survey are anonymous: there is no one to write \
                 to about them"
                    .into(),
            ),
            (SurveyKind::Nps, Some(_)) => None,
            (SurveyKind::Nps, None) => {
                Some("this answer is anonymous: there is no customer to write to about it".into())
            }
            (SurveyKind::Csat, _) => {
                Some("only NPS answers are followed up on a case; this is a CSAT answer".into())
            }
        }
    }
}

/// What [`Cases::open_by_hand`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOpened {
    /// The answer had no case; this one was opened for it.
    Opened(i64),
    /// The answer already had this case; nothing was opened.
    Existing(i64),
}

impl HandOpened {
    pub fn case_id(self) -> i64 {
        match self {
            Self::Opened(id) | Self::Existing(id) => id,
        }
    }
}

/// The answer with what following it up needs, locked for the rest of the transaction
/// when `lock` (PostgreSQL).
async fn answer_to_follow_up_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    answer_id: i64,
    lock: bool,
) -> Result<Option<AnswerToFollowUp>> {
    let lock = if lock && Backend::of_connection(conn) == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM answers WHERE workspace_id = $1 AND id = $2{lock}"
    ))
    .bind(workspace_id)
    .bind(answer_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let answer = answer_from(&row)?;
    let kind: String = sqlx::query_scalar("SELECT kind FROM surveys WHERE id = $1")
        .bind(answer.survey_id)
        .fetch_one(&mut *conn)
        .await?;
    let survey_kind = SurveyKind::parse(&kind).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let customer = match answer.customer_id {
        Some(id) => customer_by_id_in(conn, workspace_id, id).await?,
        None => None,
    };
    let case_id: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT {CASE_OF_ANSWER} FROM answers a WHERE a.id = $1"
    ))
    .bind(answer_id)
    .fetch_one(&mut *conn)
    .await?;
    let (_, default_language) = company_in(conn, workspace_id).await?;
    let language = respondent_language(&answer, customer.as_ref(), &default_language);
    Ok(Some(AnswerToFollowUp {
        answer,
        survey_kind,
        customer,
        language: language.as_str().to_owned(),
        case_id,
    }))
}

impl Cases<'_> {
    /// The answer `answer_id` with its survey's kind, its customer and its case; `None`
    /// when the workspace has no such answer.
    #[tracing::instrument(name = "cases.answer_to_follow_up", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn answer_to_follow_up(
        &self,
        workspace_id: i64,
        answer_id: i64,
    ) -> Result<Option<AnswerToFollowUp>> {
        let mut conn = self.store.pool.acquire().await?;
        answer_to_follow_up_in(&mut conn, workspace_id, answer_id, false).await
    }

    /// Opens a case by hand for an answer that has none, on behalf of `by` (a user's email
    /// or an API key's name), and assigns it to `assign_to` (else to whom a new case of
    /// the customer goes: their account manager, the routing rules, the default queue).
    /// Returns the answer's case instead when it has one: an answer never gets two this
    /// way, even when asked for twice at once. `NotFound` when the workspace has no such
    /// answer; `Invalid` when nobody can be written to about it (see
    /// [`AnswerToFollowUp::refusal`]). The case gets the playbook of the answer's score,
    /// its first contact is due within the SLA from now, and it notes who opened it.
    #[tracing::instrument(name = "cases.open_by_hand", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn open_by_hand(
        &self,
        workspace_id: i64,
        answer_id: i64,
        by: &str,
        assign_to: Option<&str>,
    ) -> Result<HandOpened> {
        let ctx = self.store.reaction_context().await?;
        let mut tx = self.store.begin_write().await?;
        let found = answer_to_follow_up_in(&mut tx, workspace_id, answer_id, true)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no answer with id {answer_id}")))?;
        if let Some(why) = found.refusal() {
            return Err(StoreError::Invalid(why));
        }
        if let Some(id) = found.case_id {
            return Ok(HandOpened::Existing(id));
        }
        let AnswerToFollowUp {
            answer, customer, ..
        } = found;
        let score =
            Score::new(i64::from(answer.score)).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let settings = ctx.settings(&mut tx, workspace_id).await?;
        let assignee = match assign_to {
            Some(person) => person.to_owned(),
            None => {
                let rules = ctx.routing_rules(&mut tx, workspace_id).await?;
                reactions::assignee(customer.as_ref(), &rules, &answer, &settings)
            }
        };
        let customer = customer.as_ref();
        let started = start_case(
            &mut tx,
            &ctx,
            &answer,
            score,
            customer,
            &assignee,
            Utc::now(),
        )
        .await?;
        ctx.write_new_cases(&mut tx).await?;
        add_note_in(
            &mut tx,
            workspace_id,
            started.id,
            SYSTEM_AUTHOR,
            &format!("Opened by hand by {by}"),
        )
        .await?;
        let url = format!(
            "{}/cases/{}",
            ctx.public_url.trim_end_matches('/'),
            started.id
        );
        let mut data = started.event_data(&answer, score, &assignee, customer, &url);
        data["opened_by"] = json!(by);
        ctx.event(&mut tx, workspace_id, "case.created", data)
            .await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(HandOpened::Opened(started.id))
    }
}
