//! Pausing, archiving and reactivating a survey (`POST /surveys/{id}/status`).

use super::survey_of;
use crate::api::replace::audited;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::SurveyStatus;
use advocate_store::models::SurveyChange;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn change(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    let survey = match survey_of(&state, &who, &id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Ok(status) = SurveyStatus::parse(form.status.trim()) else {
        return PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "A survey is active, paused or archived; nothing was changed.",
        )
        .into_response();
    };
    let change = SurveyChange {
        status: Some(status),
        ..Default::default()
    };
    match state
        .store
        .surveys()
        .update(who.workspace_id, survey.id, &change)
        .await
    {
        Ok(after) => audited(
            if after.status == survey.status {
                String::new()
            } else {
                format!("status: {} → {}", survey.status, after.status)
            },
            Redirect::to(&format!("/surveys/{}?done={}", after.id, after.status)),
        ),
        Err(e) => internal(e).into_response(),
    }
}
