//! Writing to the customer about an answer (`GET/POST /answers/{id}/email`), linked from
//! the customer record. An answer with a case is written about on its case (the page
//! sends the person there); one without gets the case composer, prefilled from the
//! template for its score, and sending opens a case for it by hand — assigned to the
//! sender, as a conversation needs a case to thread the customer's reply to — then sends
//! on it. Agents reach only the answers of their own customers (see
//! `conversation::reachable_answer`).

use super::compose::{ComposeForm, ComposePage};
use crate::auth::SignedIn;
use crate::conversation::{self, name_of_address};
use crate::pages::customers::record_href;
use crate::pages::signin::RequireSignIn;
use crate::pages::{error_page, internal, PageError};
use crate::state::AppState;
use advocate_store::closed_loop::cases::AnswerToFollowUp;
use advocate_store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

const NO_SUCH_ANSWER: PageError = PageError(StatusCode::NOT_FOUND, "There is no such answer.");

/// The answer, once the person may follow it up.
async fn answer_for(
    state: &AppState,
    user: &SignedIn,
    raw: &str,
) -> Result<AnswerToFollowUp, PageError> {
    let id: i64 = raw.parse().map_err(|_| NO_SUCH_ANSWER)?;
    let only_own = user.sees_only_own().then_some(user.email.as_str());
    conversation::reachable_answer(&state.store, user.workspace_id, id, only_own)
        .await
        .map_err(internal)?
        .ok_or(NO_SUCH_ANSWER)
}

/// Where an answer that has a case is written about.
fn to_case(case_id: i64) -> Response {
    Redirect::to(&format!("/cases/{case_id}/email")).into_response()
}

fn refused(why: String) -> Response {
    error_page(StatusCode::UNPROCESSABLE_ENTITY, why)
}

async fn page(
    state: &AppState,
    user: &SignedIn,
    about: &AnswerToFollowUp,
    subject: String,
    body: String,
) -> Result<ComposePage, PageError> {
    let workspace = crate::pages::workspace_of(state, user.workspace_id)
        .await?
        .name;
    let id = about.answer.id;
    let customer = about.customer.as_ref();
    let name = customer
        .map(|c| c.name.clone().unwrap_or_else(|| c.external_id.clone()))
        .unwrap_or_default();
    let record = customer.map_or_else(|| "/customers".into(), |c| record_href(&c.external_id));
    Ok(ComposePage {
        workspace,
        user: user.email.clone(),
        about: format!("Answer #{id}"),
        crumbs: vec![
            ("/customers".into(), "Customers".into()),
            (record.clone(), name.clone()),
        ],
        action: format!("/answers/{id}/email"),
        back: record.clone(),
        record,
        opens_case: true,
        customer: name,
        to: about.email().map(str::to_owned),
        reply_to: String::new(),
        subject,
        body,
        error: None,
        preview: false,
        steps: Vec::new(),
        step: 0,
    })
}

pub async fn compose(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let about = answer_for(&state, &user, &raw).await?;
    if let Some(case_id) = about.case_id {
        return Ok(to_case(case_id));
    }
    if let Some(why) = about.refusal() {
        return Ok(refused(why));
    }
    let draft = conversation::draft_about_answer(
        &state.store,
        user.workspace_id,
        &about,
        &name_of_address(&user.email),
    )
    .await
    .map_err(internal)?;
    Ok(page(&state, &user, &about, draft.subject, draft.body)
        .await?
        .into_response())
}

pub async fn send(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<ComposeForm>,
) -> Result<Response, PageError> {
    let about = answer_for(&state, &user, &raw).await?;
    if let Some(why) = about.refusal() {
        return Ok(refused(why));
    }
    if f.wants_preview() {
        let mut p = page(&state, &user, &about, f.subject, f.body).await?;
        p.preview = true;
        return Ok(p.into_response());
    }
    let sent = conversation::send_about_answer(
        &state,
        user.workspace_id,
        &about,
        &user.email,
        Some(&user.email),
        &f.subject,
        &f.body,
    )
    .await;
    match sent {
        Ok(m) => {
            Ok(Redirect::to(&format!("/cases/{}#message-{}", m.case_id, m.id)).into_response())
        }
        Err(StoreError::Invalid(msg) | StoreError::Conflict(msg)) => {
            let mut p = page(&state, &user, &about, f.subject, f.body).await?;
            p.error = Some(msg);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Err(StoreError::NotFound(_)) => Err(NO_SUCH_ANSWER),
        Err(e) => Err(internal(e)),
    }
}
