//! Writing to the customer from a case (`GET/POST /cases/{id}/email`): a composer
//! prefilled from the template for the case's score, the playbook step the agent is at
//! (`?step=`; by default the first not yet done) and the customer's language, a
//! preview of the email as it will leave, and sending (back to the case, where the
//! message shows in the conversation). The same page writes about an answer that has no
//! case yet (`about_answer.rs`).

use super::{parse_id, visible, NO_SUCH_CASE};
use crate::auth::SignedIn;
use crate::conversation::{self, name_of_address};
use crate::pages::customers::record_href;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_store::closed_loop::cases::CaseDetail;
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

/// The composer, for a case or for an answer that has none yet (see `about_answer.rs`).
#[derive(Template, WebTemplate)]
#[template(path = "cases_email.html")]
pub struct ComposePage {
    pub workspace: String,
    pub user: String,
    /// What the message is about, as the title says it: "Case #12", "Answer #34".
    pub about: String,
    /// The breadcrumb's links (href, text).
    pub crumbs: Vec<(String, String)>,
    /// Where the form posts (and the step chooser gets).
    pub action: String,
    /// Where "Cancel" goes back to.
    pub back: String,
    /// The customer record, where a missing address is added.
    pub record: String,
    /// Sending opens a case for the answer (it has none yet).
    pub opens_case: bool,
    pub customer: String,
    pub to: Option<String>,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub error: Option<String>,
    /// Shown once the person asked for a preview.
    pub preview: bool,
    /// The case's playbook steps to start from (number from 1, text, done).
    pub steps: Vec<(u8, String, bool)>,
    /// The step the text was started from (0: the score's template).
    pub step: u8,
}

#[derive(Debug, Deserialize)]
pub struct ComposeQuery {
    step: Option<String>,
}

/// The case a composer is for, once the person may see it.
async fn case_for(state: &AppState, user: &SignedIn, raw: &str) -> Result<CaseDetail, PageError> {
    let id = parse_id(raw)?;
    state
        .store
        .cases()
        .get(user.workspace_id, id)
        .await
        .map_err(internal)?
        .filter(|d| visible(user, &d.case))
        .ok_or(NO_SUCH_CASE)
}

fn page(
    workspace: String,
    user: &SignedIn,
    state: &AppState,
    d: &CaseDetail,
    subject: String,
    body: String,
) -> ComposePage {
    let contact = d.contact.clone().unwrap_or_default();
    let id = d.case.id;
    let case_href = format!("/cases/{id}");
    ComposePage {
        workspace,
        user: user.email.clone(),
        about: format!("Case #{id}"),
        crumbs: vec![
            ("/cases".into(), "Cases".into()),
            (case_href.clone(), format!("Case #{id}")),
        ],
        action: format!("{case_href}/email"),
        record: d
            .case
            .customer_external_id
            .as_deref()
            .map_or_else(|| case_href.clone(), record_href),
        back: case_href,
        opens_case: false,
        customer: d
            .case
            .customer_name
            .clone()
            .or_else(|| d.case.customer_external_id.clone())
            .unwrap_or_else(|| "Anonymous respondent".into()),
        to: contact.email.filter(|e| !e.trim().is_empty()),
        reply_to: state
            .addressing
            .reply_to(&state.reply_key, user.workspace_id, d.case.id)
            .unwrap_or_default(),
        subject,
        body,
        error: None,
        preview: false,
        steps: d
            .steps
            .iter()
            .filter_map(|s| {
                let n = u8::try_from(s.position + 1).ok()?;
                Some((n, s.text.clone(), s.done_at.is_some()))
            })
            .collect(),
        step: 0,
    }
}

pub async fn compose(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<ComposeQuery>,
) -> Result<ComposePage, PageError> {
    let d = case_for(&state, &user, &raw).await?;
    let workspace = crate::pages::workspace_of(&state, user.workspace_id)
        .await?
        .name;
    // A step that is not a number is the default, as a hand-edited link deserves.
    let step = q.step.and_then(|s| s.trim().parse::<u8>().ok());
    let draft = conversation::draft(
        &state.store,
        user.workspace_id,
        &d,
        step,
        &name_of_address(&user.email),
    )
    .await
    .map_err(internal)?;
    let mut p = page(workspace, &user, &state, &d, draft.subject, draft.body);
    p.step = conversation::step_of(&d, step).map_or(0, |s| s.position);
    Ok(p)
}

#[derive(Debug, Deserialize)]
pub struct ComposeForm {
    pub(super) subject: String,
    pub(super) body: String,
    /// `preview` shows the email as it will leave; anything else sends it.
    action: Option<String>,
}

impl ComposeForm {
    pub(super) fn wants_preview(&self) -> bool {
        self.action.as_deref() == Some("preview")
    }
}

/// The composer again: with the preview asked for, or with what was refused (422).
async fn again(
    state: &AppState,
    user: &SignedIn,
    d: &CaseDetail,
    f: ComposeForm,
    error: Option<String>,
) -> Response {
    let workspace = match crate::pages::workspace_of(state, user.workspace_id).await {
        Ok(w) => w.name,
        Err(e) => return e.into_response(),
    };
    let mut p = page(workspace, user, state, d, f.subject, f.body);
    p.preview = error.is_none();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    p.error = error;
    (status, p).into_response()
}

pub async fn send(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<ComposeForm>,
) -> Response {
    let d = match case_for(&state, &user, &raw).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    if f.wants_preview() {
        return again(&state, &user, &d, f, None).await;
    }
    let sent = conversation::send(
        &state,
        user.workspace_id,
        d.case.id,
        &user.email,
        &f.subject,
        &f.body,
    )
    .await;
    match sent {
        Ok(m) => Redirect::to(&format!("/cases/{}#message-{}", d.case.id, m.id)).into_response(),
        Err(StoreError::Invalid(msg) | StoreError::Conflict(msg)) => {
            again(&state, &user, &d, f, Some(msg)).await
        }
        Err(StoreError::NotFound(_)) => NO_SUCH_CASE.into_response(),
        Err(e) => internal(e).into_response(),
    }
}
