//! Saving the workspace settings (`POST /settings`) and rotating the widget secret.

use super::form::{Refusal, SettingsForm};
use super::{answer, outcome};
use crate::api::replace::{audited, changes};
use crate::outbound;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_store::models::WorkspaceSettings;
use axum::extract::{RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

pub async fn save(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    RawForm(body): RawForm,
) -> Response {
    let posted: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let f: SettingsForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => {
            return PageError(StatusCode::BAD_REQUEST, "This form could not be read.")
                .into_response()
        }
    };
    let store = &state.store;
    let ws = user.workspace_id;
    let before = match (
        store.workspaces().get(ws).await,
        store.settings().get(ws).await,
    ) {
        (Ok(Some(w)), Ok(s)) => (w.name, s),
        (Ok(None), _) => {
            return PageError(StatusCode::NOT_FOUND, "Your workspace no longer exists.")
                .into_response()
        }
        (Err(e), _) | (_, Err(e)) => return internal(e).into_response(),
    };
    let f = f.completed(&posted, &SettingsForm::from_settings(&before.0, &before.1));
    let section = section_of(&f.section);
    let settings = match f.parse() {
        Ok(settings) => outbound::check_settings(&state.config.allowed_hosts, &settings)
            .await
            .map(|()| settings)
            .map_err(Refusal::of),
        Err(refusal) => Err(refusal),
    };
    let name = f.name.trim().to_owned();
    let result = match settings {
        Ok(settings) => {
            // The name first: it is checked like the settings, and a refused name changes nothing.
            let saved = match advocate_store::tenancy::settings::check_settings(&settings) {
                Err(e) => Err(e),
                Ok(()) if name != before.0 => {
                    store.workspaces().rename(ws, &name).await.map(|_| ())
                }
                Ok(()) => Ok(()),
            };
            let saved = match saved {
                Ok(()) => store.settings().save(ws, &settings).await,
                Err(e) => Err(e),
            };
            match outcome(saved) {
                Ok(Ok(())) => Ok(changes(
                    &Named {
                        name: &before.0,
                        settings: &before.1,
                    },
                    &Named {
                        name: &name,
                        settings: &settings,
                    },
                )),
                Ok(Err(msg)) => Err(Refusal::of(msg)),
                Err(e) => return e.into_response(),
            }
        }
        Err(refusal) => Err(refusal),
    };
    match result {
        Ok(detail) => audited(
            detail,
            answer(&state, &user, None, section, None, Ok::<(), Refusal>(())).await,
        ),
        Err(refusal) => answer(&state, &user, None, section, Some(f), Err(refusal)).await,
    }
}

/// The page's sections that post the settings form; anything else is "workspace".
pub const SECTIONS: [&str; 5] = [
    "workspace",
    "alerts",
    "engagements",
    "invitations",
    "privacy",
];

fn section_of(posted: &str) -> &'static str {
    SECTIONS
        .iter()
        .copied()
        .find(|s| *s == posted)
        .unwrap_or("workspace")
}

/// The settings and the workspace's name, as the audit log compares them.
#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    #[serde(flatten)]
    settings: &'a WorkspaceSettings,
}

/// `POST /settings/widget-secret/rotate` (admins): a new widget secret; the old one is
/// still accepted for the grace period.
pub async fn rotate_widget_secret(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
) -> Response {
    let ws = user.workspace_id;
    if let Err(e) = state
        .store
        .workspaces()
        .rotate_widget_secret(ws, chrono::Utc::now())
        .await
    {
        return internal(e).into_response();
    }
    let detail = format!(
        "the previous secret is accepted for {} more days",
        advocate_store::tenancy::widget_secret::GRACE_DAYS
    );
    if let Err(e) = state
        .store
        .audit()
        .record(
            ws,
            &user.actor(),
            "widget_secret.rotated",
            "workspace",
            &detail,
        )
        .await
    {
        return internal(e).into_response();
    }
    Redirect::to("/settings#widget").into_response()
}
