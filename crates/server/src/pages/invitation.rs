//! Links in invitations: the identified survey page (`/i/{token}`), the one-click scores
//! of the email (`/i/{token}/{score}`), the open pixel, the SMS short link (`/r/{code}`)
//! and the one-click unsubscribe (`/u/{token}`, also POSTed by mail clients per RFC 8058).
//!
//! After a score the respondent lands on the survey's usual follow-up page, where they
//! can comment and still change the score.

use super::survey::{answer_token, closed, language, parse_score, texts};
use super::views::{LanguageLink, ScoreScale, SurveyPage, ThanksPage};
use super::{internal, same_origin, PageError};
use crate::access::Access::Public;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Rating;
use advocate_store::invitations::{self, Invitation};
use advocate_store::models::Survey;
use advocate_store::StoreError;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

const BAD_LINK: &str = "This survey link is not valid or has expired.";

/// Links in invitations: anyone holding one may open it.
pub fn routes() -> Routes {
    Routes::new()
        .get("/i/{token}", Public, show)
        .post("/i/{token}", Public, answer)
        .get("/i/{token}/open.gif", Public, pixel)
        .get("/i/{token}/{score}", Public, one_click)
        .get("/r/{code}", Public, short_link)
        .get("/u/{token}", Public, unsubscribe)
        .post("/u/{token}", Public, unsubscribe)
}

/// The token of an invitation's links, as put in its email by the store.
pub fn invitation_token(state: &AppState, inv: &Invitation) -> String {
    invitations::invitation_token(&state.signing_key, inv.id, inv.expires_at)
}

#[derive(Deserialize)]
pub struct LangParam {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct ScoreForm {
    score: String,
    lang: Option<String>,
}

/// The invitation and survey a token names; a bad or expired token is a 404 page.
async fn load(state: &AppState, token: &str) -> Result<(Invitation, Survey), PageError> {
    let id = invitations::invitation_of_token(&state.signing_key, token, Utc::now())
        .ok_or(PageError(StatusCode::NOT_FOUND, BAD_LINK))?;
    let inv = state
        .store
        .invitations()
        .by_id(id)
        .await
        .map_err(internal)?
        .ok_or(PageError(StatusCode::NOT_FOUND, BAD_LINK))?;
    let survey = state
        .store
        .surveys()
        .get(inv.workspace_id, inv.survey_id)
        .await
        .map_err(internal)?
        .ok_or(PageError(StatusCode::NOT_FOUND, BAD_LINK))?;
    Ok((inv, survey))
}

/// The page's language: asked for in the link, else the invitation's (the customer's,
/// as the email was written in it).
fn page_language(
    asked: Option<&str>,
    inv: &Invitation,
    headers: &HeaderMap,
    survey: &Survey,
) -> advocate_core::Language {
    if asked.is_some() {
        language(asked, headers, survey)
    } else {
        inv.language.clone()
    }
}

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangParam>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (inv, survey) = load(&state, &token).await?;
    let lang = page_language(q.lang.as_deref(), &inv, &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    state
        .store
        .invitations()
        .opened(inv.id, Utc::now())
        .await
        .map_err(internal)?;
    // Already answered: straight to the follow-up, where the score can still change.
    if let Some(answer_id) = inv.answer_id {
        return Ok(to_follow_up(
            &state,
            &survey,
            answer_id,
            &inv.language.to_string(),
        ));
    }
    if answered_anonymously(&inv) {
        return thanks(&state, &survey, &lang).await;
    }
    let (company, texts) = texts(&state, &survey, &lang).await?;
    Ok(SurveyPage {
        lang: lang.to_string(),
        company,
        scale: ScoreScale::new(survey.kind, &texts, None),
        texts,
        action: format!("/i/{token}"),
        languages: LanguageLink::all(lang.as_str()),
        preview: false,
    }
    .into_response())
}

pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ScoreForm>,
) -> Result<Response, PageError> {
    same_origin(&headers)?;
    let (inv, survey) = load(&state, &token).await?;
    let lang = page_language(form.lang.as_deref(), &inv, &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    let score = parse_score(survey.kind, &form.score)?;
    record(&state, &inv, &survey, score, &lang.to_string()).await
}

/// A score clicked in the email: stored at once (or changed, when clicked again within
/// the change window), then the follow-up page.
pub async fn one_click(
    State(state): State<AppState>,
    Path((token, score)): Path<(String, String)>,
    Query(q): Query<LangParam>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (inv, survey) = load(&state, &token).await?;
    let lang = page_language(q.lang.as_deref(), &inv, &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    let score = parse_score(survey.kind, &score)?;
    if answered_anonymously(&inv) {
        return thanks(&state, &survey, &lang).await;
    }
    record(&state, &inv, &survey, score, &lang.to_string()).await
}

/// An eNPS invitation that was answered: nothing links it to the answer (see the store's
/// `answer_invitation`), so another click cannot change it; the respondent is thanked.
fn answered_anonymously(inv: &Invitation) -> bool {
    inv.answer_id.is_none() && inv.answered_at.is_some()
}

async fn thanks(
    state: &AppState,
    survey: &Survey,
    lang: &advocate_core::Language,
) -> Result<Response, PageError> {
    let (company, texts) = texts(state, survey, lang).await?;
    Ok(ThanksPage {
        lang: lang.to_string(),
        company,
        texts,
        preview: false,
    }
    .into_response())
}

async fn record(
    state: &AppState,
    inv: &Invitation,
    survey: &Survey,
    score: Rating,
    lang: &str,
) -> Result<Response, PageError> {
    match state
        .store
        .invitations()
        .answer(inv.id, score, Utc::now())
        .await
    {
        Ok(answer) => Ok(to_follow_up(state, survey, answer.id, lang)),
        Err(StoreError::Conflict(_)) => Err(PageError(
            StatusCode::CONFLICT,
            "This invitation can no longer be answered or changed. Thank you for your time.",
        )),
        Err(e) => Err(internal(e)),
    }
}

fn to_follow_up(state: &AppState, survey: &Survey, answer_id: i64, lang: &str) -> Response {
    let tok = answer_token(state, survey, answer_id);
    Redirect::to(&format!("/s/{}/a/{tok}?lang={lang}", survey.public_id)).into_response()
}

/// A transparent 1×1 GIF that records the email was opened (where images are shown).
pub async fn pixel(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    const GIF: &[u8] = &[
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff,
        0x21, 0xf9, 4, 1, 0, 0, 0, 0, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, 0x3b,
    ];
    if let Some(id) = invitations::invitation_of_token(&state.signing_key, &token, Utc::now()) {
        if let Err(e) = state.store.invitations().opened(id, Utc::now()).await {
            tracing::warn!(error = %e, "recording an email open failed");
        }
    }
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        GIF,
    )
        .into_response()
}

/// The short link in an SMS: opens the invitation's page.
pub async fn short_link(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let valid = code.len() == 10 && code.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid {
        return Err(PageError(StatusCode::NOT_FOUND, BAD_LINK));
    }
    let inv = state
        .store
        .invitations()
        .by_short_code(&code)
        .await
        .map_err(internal)?
        .filter(|inv| inv.expires_at > Utc::now())
        .ok_or(PageError(StatusCode::NOT_FOUND, BAD_LINK))?;
    Ok(Redirect::to(&format!("/i/{}", invitation_token(&state, &inv))).into_response())
}

/// One click unsubscribes: the link in every customer email and the List-Unsubscribe
/// header's POST both land here. Repeating it is harmless.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangParam>,
    headers: HeaderMap,
) -> Result<ThanksPage, PageError> {
    let customer_id =
        invitations::unsubscribed_customer_of_token(&state.signing_key, &token, Utc::now()).ok_or(
            PageError(StatusCode::NOT_FOUND, "This unsubscribe link is not valid."),
        )?;
    let customer = match state
        .store
        .invitations()
        .unsubscribe(customer_id, Utc::now())
        .await
    {
        Ok(c) => c,
        Err(StoreError::NotFound(_)) => {
            return Err(PageError(
                StatusCode::NOT_FOUND,
                "This unsubscribe link is not valid.",
            ))
        }
        Err(e) => return Err(internal(e)),
    };
    let workspace = state
        .store
        .workspaces()
        .get(customer.workspace_id)
        .await
        .map_err(internal)?
        .ok_or(PageError(
            StatusCode::NOT_FOUND,
            "This unsubscribe link is not valid.",
        ))?;
    let lang = q
        .lang
        .as_deref()
        .and_then(|l| advocate_core::Language::new(l).ok())
        .or(customer.language.clone())
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|h| h.to_str().ok())
                .and_then(advocate_core::i18n::negotiate)
        })
        .filter(advocate_core::i18n::is_supported)
        .unwrap_or(workspace.default_language);
    let notice = advocate_core::invitation::unsubscribed_notice(&lang, &workspace.name);
    let mut texts =
        advocate_core::i18n::builtin(&lang, advocate_core::SurveyKind::Nps, &workspace.name);
    texts.thanks_title = notice.title;
    texts.thanks_body = notice.body;
    Ok(ThanksPage {
        lang: lang.to_string(),
        company: workspace.name,
        texts,
        preview: false,
    })
}
