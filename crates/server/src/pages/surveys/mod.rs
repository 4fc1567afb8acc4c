//! The surveys of the workspace in the app (`/surveys`): the list with each survey's
//! status and answers, a new survey, the editor (name, kind, touchpoint, default language,
//! the question, follow-up and thank-you texts per language, inline messages), its live
//! preview beside the form — the respondent's very page, rendered by the same code —
//! pausing, archiving and reactivating, the share panel (link, QR code, widget snippet),
//! its sending page (schedules and event triggers) and inviting a list. Everyone who sees
//! the dashboards may look; changes need `Configure` (admins), like the API's.

mod editor;
mod invite;
mod preview;
mod sending;
mod share;
mod status;

use super::signin::RequireSignIn;
use super::{internal, workspace_of, PageError};
use crate::access::Access::{Person, Public};
use crate::auth::SignedIn;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Configure, Dashboards, Ingest};
use advocate_core::SurveyStatus;
use advocate_store::models::Survey;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub fn routes() -> Routes {
    Routes::new()
        .get("/surveys", Person(Dashboards), list)
        .get("/surveys/new", Person(Configure), editor::new_form)
        .post("/surveys", Person(Configure), editor::create)
        .get(
            "/surveys/new/preview",
            Person(Configure),
            preview::new_survey_get_nps,
        )
        .post(
            "/surveys/new/preview",
            Person(Configure),
            preview::new_survey_post,
        )
        .get(
            "/surveys/new/preview/{kind}",
            Person(Configure),
            preview::new_survey_get,
        )
        .get("/surveys/{id}", Person(Dashboards), editor::show)
        .post("/surveys/{id}", Person(Configure), editor::save)
        .get("/surveys/{id}/preview", Person(Dashboards), preview::saved)
        .post("/surveys/{id}/preview", Person(Configure), preview::unsaved)
        .post("/surveys/{id}/status", Person(Configure), status::change)
        .get("/surveys/{id}/sending", Person(Dashboards), sending::show)
        .get("/surveys/{id}/invite", Person(Ingest), invite::show)
        .post("/surveys/{id}/invite", Person(Ingest), invite::invite)
        .post(
            "/surveys/{id}/schedules",
            Person(Configure),
            sending::create_schedule,
        )
        .post(
            "/surveys/{id}/schedules/{schedule}",
            Person(Configure),
            sending::save,
        )
        .post(
            "/surveys/{id}/schedules/{schedule}/active",
            Person(Configure),
            sending::set_active,
        )
        .post(
            "/surveys/{id}/schedules/{schedule}/delete",
            Person(Configure),
            sending::delete_schedule,
        )
        .post(
            "/surveys/{id}/triggers",
            Person(Configure),
            sending::create_trigger,
        )
        .post(
            "/surveys/{id}/triggers/{trigger}/delete",
            Person(Configure),
            sending::delete_trigger,
        )
        .get("/assets/copy.js", Public, copy_script)
        .get("/assets/preview.js", Public, preview_script)
}

/// The copy buttons of the share panel; without it the texts are still there to select.
const COPY_JS: &str = include_str!("../../../assets/copy.js");

async fn copy_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        COPY_JS,
    )
        .into_response()
}

/// The editor's live preview: re-renders the preview frame as the form is typed in.
/// Without it the preview button still shows the form's texts in the frame.
const PREVIEW_JS: &str = include_str!("../../../assets/preview.js");

async fn preview_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PREVIEW_JS,
    )
        .into_response()
}

/// A survey of the signed-in person's workspace; another workspace's is not found.
async fn survey_of(state: &AppState, who: &SignedIn, raw: &str) -> Result<Survey, PageError> {
    let missing = PageError(StatusCode::NOT_FOUND, "There is no such survey.");
    let id: i64 = raw.parse().map_err(|_| missing)?;
    state
        .store
        .surveys()
        .get(who.workspace_id, id)
        .await
        .map_err(internal)?
        .ok_or(missing)
}

/// How a status reads in the app.
fn status_text(s: SurveyStatus) -> &'static str {
    match s {
        SurveyStatus::Active => "Active",
        SurveyStatus::Paused => "Paused",
        SurveyStatus::Archived => "Archived",
    }
}

/// One survey's row in the list.
pub struct SurveyRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub kind: String,
    pub touchpoint: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub answers: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "surveys.html")]
pub struct SurveysPage {
    pub workspace: String,
    pub user: String,
    pub rows: Vec<SurveyRow>,
    pub can_edit: bool,
}

async fn list(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Result<SurveysPage, PageError> {
    let ws = who.workspace_id;
    let workspace = workspace_of(&state, ws).await?.name;
    let surveys = state.store.surveys().list(ws).await.map_err(internal)?;
    let counts = state
        .store
        .surveys()
        .answer_counts(ws)
        .await
        .map_err(internal)?;
    let rows = surveys
        .into_iter()
        .map(|s| SurveyRow {
            answers: counts.get(&s.id).copied().unwrap_or(0),
            id: s.id,
            name: s.name,
            slug: s.slug,
            kind: s.kind.as_str().to_uppercase(),
            touchpoint: s.touchpoint.unwrap_or_default(),
            status: status_text(s.status),
            status_class: s.status.as_str(),
        })
        .collect();
    Ok(SurveysPage {
        workspace,
        user: who.email.clone(),
        rows,
        can_edit: who.role.grants(Configure),
    })
}
