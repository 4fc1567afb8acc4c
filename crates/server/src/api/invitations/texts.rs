//! The workspace's invitation wording per language (`/api/v1/invitation-texts`).

use super::InvitationTextOverrides;
use crate::api::replace::{audited, changes, merged, FullJson, MergePatch};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::field::language;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;

/// The workspace's invitation wording in a language: only the texts it changed (others
/// are the built-in ones).
#[utoipa::path(get, path = "/api/v1/invitation-texts/{language}", operation_id = "getInvitationTexts", tag = "invitations",
    params(("language" = String, Path, description = "en, nb, sv, da, fi, de or nl")),
    security(("api_key" = [])),
    responses((status = 200, body = InvitationTextOverrides), (status = 422, body = Problem)))]
pub async fn get_texts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(lang): Path<String>,
) -> ApiResult<Json<InvitationTextOverrides>> {
    let lang = supported(&lang)?;
    Ok(Json(
        state
            .store
            .invitations()
            .text_overrides(caller.workspace_id, &lang)
            .await?
            .into(),
    ))
}

/// Replaces the workspace's invitation wording in a language: every text is required
/// (`null` for the built-in one). `{company}`, `{name}` and (in SMS texts, required)
/// `{link}` are filled in when sending.
#[utoipa::path(put, path = "/api/v1/invitation-texts/{language}", operation_id = "replaceInvitationTexts", tag = "invitations",
    params(("language" = String, Path, description = "en, nb, sv, da, fi, de or nl")),
    request_body = InvitationTextOverrides, security(("api_key" = [])),
    responses((status = 200, body = InvitationTextOverrides),
        (status = 422, description = "a text missing (each is named; nothing is changed), or a \
            text that is not valid", body = Problem)))]
pub async fn put_texts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(lang): Path<String>,
    body: FullJson<InvitationTextOverrides>,
) -> ApiResult<Response> {
    let lang = supported(&lang)?;
    save_texts(&state, &caller, &lang, body.value.into()).await
}

/// Changes only the texts the body names (JSON merge patch; `null` puts a text back to
/// the built-in one).
#[utoipa::path(patch, path = "/api/v1/invitation-texts/{language}", operation_id = "updateInvitationTexts", tag = "invitations",
    params(("language" = String, Path, description = "en, nb, sv, da, fi, de or nl")),
    request_body(content = InvitationTextOverrides, content_type = "application/merge-patch+json",
        description = "any subset of the texts"),
    security(("api_key" = [])),
    responses((status = 200, body = InvitationTextOverrides), (status = 422, body = Problem)))]
pub async fn patch_texts(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(lang): Path<String>,
    patch: MergePatch,
) -> ApiResult<Response> {
    let lang = supported(&lang)?;
    let current = state
        .store
        .invitations()
        .text_overrides(caller.workspace_id, &lang)
        .await?;
    let texts = merged(&InvitationTextOverrides::from(current), &patch, None)?;
    save_texts(&state, &caller, &lang, texts.into()).await
}

async fn save_texts(
    state: &AppState,
    caller: &ApiCaller,
    lang: &advocate_core::Language,
    texts: advocate_core::invitation::InvitationTextOverrides,
) -> ApiResult<Response> {
    let before = state
        .store
        .invitations()
        .text_overrides(caller.workspace_id, lang)
        .await?;
    state
        .store
        .invitations()
        .set_texts(caller.workspace_id, lang, &texts)
        .await?;
    Ok(audited(
        changes(&before, &texts),
        Json(InvitationTextOverrides::from(texts)),
    ))
}

fn supported(raw: &str) -> ApiResult<advocate_core::Language> {
    let lang = language("language", raw)?;
    if advocate_core::i18n::is_supported(&lang) {
        Ok(lang)
    } else {
        Err(ApiError::unprocessable(format!(
            "language must be one of {}; got {raw:?}",
            advocate_core::i18n::SUPPORTED.join(", ")
        )))
    }
}
