//! The SMS provider's delivery reports: `POST /hooks/sms/{token}` with a Twilio-style
//! form (`MessageStatus=delivered`, …). The token, signed when the SMS was queued, names
//! the invitation, so nobody can mark invitations delivered without it.

use super::PageError;
use crate::state::AppState;
use advocate_store::invitations::invitation_of_sms_status_token;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

/// The fields Advocate reads; providers send many more, which are ignored.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(rename = "MessageStatus")]
    status: Option<String>,
    #[serde(rename = "MessageSid")]
    sid: Option<String>,
    #[serde(rename = "ErrorCode")]
    error_code: Option<String>,
}

/// `delivered` marks the invitation delivered; `failed` and `undelivered` are logged (the
/// provider gave up: the number is wrong or unreachable); other statuses (`queued`,
/// `sent`, …) are steps on the way and ignored. 204 whenever the report was understood,
/// so the provider does not repeat it.
pub async fn callback(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<StatusCode, PageError> {
    let now = Utc::now();
    let invitation = invitation_of_sms_status_token(&state.signing_key, &token, now)
        .ok_or(PageError(StatusCode::NOT_FOUND, "Unknown SMS status link."))?;
    let status = form.status.as_deref().unwrap_or_default().trim();
    match status.to_ascii_lowercase().as_str() {
        "delivered" => {
            state
                .store
                .invitations()
                .delivered(invitation, now)
                .await
                .map_err(|e| {
                    tracing::error!(invitation, error = %e, "SMS delivery report not recorded");
                    // A 5xx makes the provider try again later.
                    PageError(StatusCode::SERVICE_UNAVAILABLE, "Try again later.")
                })?;
        }
        "failed" | "undelivered" => tracing::warn!(
            invitation,
            status,
            sid = form.sid.as_deref().unwrap_or_default(),
            error_code = form.error_code.as_deref().unwrap_or_default(),
            "the SMS provider could not deliver an invitation"
        ),
        _ => tracing::debug!(invitation, status, "SMS status report ignored"),
    }
    Ok(StatusCode::NO_CONTENT)
}
