//! The public survey: question → follow-up (score can still be changed) → thanks.
//!
//! The score is stored as soon as it is clicked, so an answer is never lost to a closed
//! tab; the follow-up link carries a signed token naming that answer, so only its
//! respondent can add a comment or change the score, for a limited time.

use super::internal;
use super::views::{
    ClosedSurveyPage, FollowupPage, LanguageLink, ScoreScale, SurveyPage, ThanksPage,
};
use super::{same_origin, PageError};
use crate::access::Access::Public;
use crate::limit::Refused;
use crate::ratelimit::{retry_after_secs, ClientKey};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::i18n::{self, SurveyTexts};
use advocate_core::{token, Channel, Language, Rating, Score, SurveyKind};
use advocate_store::models::{NewAnswer, Respondent, Survey};
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;
use std::time::Duration;

/// The survey page: anyone with its link may answer.
pub fn routes() -> Routes {
    Routes::new()
        .get("/s/{public_id}", Public, show)
        .post("/s/{public_id}", Public, answer)
        .get("/s/{public_id}/a/{token}", Public, follow_up)
        .post("/s/{public_id}/a/{token}", Public, comment)
        .post("/s/{public_id}/a/{token}/score", Public, change_score)
        .get("/s/{public_id}/thanks", Public, thanks)
}

/// How long the follow-up link lets a respondent comment or change the score.
const CHANGE_WINDOW_SECS: i64 = 7 * 24 * 3600;
const BAD_LINK: &str = "This survey link is not valid or has expired.";

#[derive(Deserialize)]
pub struct LangParam {
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct ScoreForm {
    score: String,
    lang: Option<String>,
    /// Only on the anonymous page (see [`AnswerParams`]).
    nonce: Option<String>,
    c: Option<String>,
}

#[derive(Deserialize)]
pub struct CommentForm {
    comment: Option<String>,
    lang: Option<String>,
}

/// The respondent's language: the one asked for, else the browser's, else the survey's.
pub(super) fn language(asked: Option<&str>, headers: &HeaderMap, survey: &Survey) -> Language {
    asked
        .and_then(|l| Language::new(l).ok())
        .filter(i18n::is_supported)
        .or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|h| h.to_str().ok())
                .and_then(i18n::negotiate)
        })
        .unwrap_or_else(|| survey.default_language.clone())
}

/// A survey's texts in a language, with the workspace's overrides applied.
pub(super) async fn texts(
    state: &AppState,
    survey: &Survey,
    lang: &Language,
) -> Result<(String, SurveyTexts), PageError> {
    let company = match state.store.workspaces().get(survey.workspace_id).await {
        Ok(Some(w)) => w.name,
        _ => {
            return Err(PageError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This survey is unavailable right now.",
            ))
        }
    };
    let builtin = i18n::builtin(lang, survey.kind, &company);
    let texts = match survey.texts.get(lang) {
        Some(overrides) => builtin.with(overrides, &company),
        None => builtin,
    };
    Ok((company, texts))
}

pub(super) async fn load(state: &AppState, public_id: &str) -> Result<Survey, PageError> {
    match state.store.surveys().by_public_id(public_id).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(PageError(StatusCode::NOT_FOUND, BAD_LINK)),
        Err(e) => Err(PageError::store(e, "This survey is unavailable right now.")),
    }
}

/// A paused or archived survey's links answer 410 Gone with a calm page in the
/// respondent's language; `None` while the survey takes answers.
pub(super) async fn closed(state: &AppState, survey: &Survey, lang: &Language) -> Option<Response> {
    if survey.status.is_open() {
        return None;
    }
    let company = match state.store.workspaces().get(survey.workspace_id).await {
        Ok(Some(w)) => w.name,
        _ => String::new(),
    };
    let (title, body) = i18n::closed(lang);
    let page = ClosedSurveyPage {
        lang: lang.to_string(),
        company,
        title,
        body,
    };
    Some((StatusCode::GONE, page).into_response())
}

pub(super) fn parse_score(kind: SurveyKind, raw: &str) -> Result<Rating, PageError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .and_then(|v| Rating::new(kind, v).ok())
        .ok_or(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose one of the numbers on the scale.",
        ))
}

pub(super) fn answer_token(state: &AppState, survey: &Survey, answer_id: i64) -> String {
    let payload = format!("answer:{}:{answer_id}", survey.public_id);
    token::sign(
        &state.signing_key,
        &payload,
        Utc::now().timestamp() + CHANGE_WINDOW_SECS,
    )
}

/// The answer id a follow-up token grants access to, for this survey only.
pub(super) fn answer_of(state: &AppState, survey: &Survey, tok: &str) -> Result<i64, PageError> {
    token::verify(&state.signing_key, tok, Utc::now().timestamp())
        .and_then(|p| {
            p.strip_prefix(&format!("answer:{}:", survey.public_id))?
                .parse()
                .ok()
        })
        .ok_or(PageError(StatusCode::NOT_FOUND, BAD_LINK))
}

/// Query of the anonymous survey page: `?lang=xx`, and `?c=kiosk` for the link behind the
/// QR code (answers through it are counted as the kiosk channel).
#[derive(Deserialize)]
pub struct ShowParams {
    lang: Option<String>,
    c: Option<String>,
}

/// The channel of an anonymous answer, from the small set a link may name.
fn link_channel(raw: Option<&str>) -> Option<Channel> {
    match raw.unwrap_or("web") {
        "web" => Some(Channel::Web),
        "kiosk" => Some(Channel::Kiosk),
        _ => None,
    }
}

/// How long a survey page's form can be sent after the page was loaded.
const FORM_NONCE_SECS: i64 = 24 * 3600;
const FORM_EXPIRED: &str = "This form has expired; please reload the page.";

fn form_nonce_payload(public_id: &str) -> String {
    format!("form:{public_id}")
}

pub async fn show(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    Query(q): Query<ShowParams>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let survey = load(&state, &public_id).await?;
    let lang = language(q.lang.as_deref(), &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    // The form carries a signed nonce (answers need the page first: a script cannot just
    // post) and the link's channel; both ride in the action's query.
    let nonce = token::sign(
        &state.signing_key,
        &form_nonce_payload(&public_id),
        Utc::now().timestamp() + FORM_NONCE_SECS,
    );
    let channel = match link_channel(q.c.as_deref()) {
        Some(Channel::Kiosk) => "&c=kiosk",
        _ => "",
    };
    let action = format!("/s/{public_id}?nonce={nonce}{channel}");
    Ok(survey_page(&state, &survey, &lang, action, false)
        .await?
        .into_response())
}

/// The survey's page as a respondent gets it in `lang`, its score form sent to `action`.
/// The survey editor's preview is this very page (`preview`: the form only reloads it).
pub(super) async fn survey_page(
    state: &AppState,
    survey: &Survey,
    lang: &Language,
    action: String,
    preview: bool,
) -> Result<SurveyPage, PageError> {
    let (company, texts) = texts(state, survey, lang).await?;
    Ok(SurveyPage {
        lang: lang.to_string(),
        company,
        scale: ScoreScale::new(survey.kind, &texts, None),
        texts,
        action,
        languages: LanguageLink::all(lang.as_str()),
        preview,
    })
}

/// The nonce and channel of an answer, from the form's action (or hidden fields).
#[derive(Deserialize)]
pub struct AnswerParams {
    nonce: Option<String>,
    c: Option<String>,
}

pub async fn answer(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    Query(q): Query<AnswerParams>,
    ClientKey(client): ClientKey,
    headers: HeaderMap,
    Form(form): Form<ScoreForm>,
) -> Result<Response, PageError> {
    same_origin(&headers)?;
    let survey = load(&state, &public_id).await?;
    let lang = language(form.lang.as_deref(), &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    let nonce = form
        .nonce
        .as_deref()
        .or(q.nonce.as_deref())
        .unwrap_or_default();
    if token::verify(&state.signing_key, nonce, Utc::now().timestamp()).as_deref()
        != Some(form_nonce_payload(&public_id).as_str())
    {
        return Err(PageError(StatusCode::UNPROCESSABLE_ENTITY, FORM_EXPIRED));
    }
    let channel = link_channel(form.c.as_deref().or(q.c.as_deref())).ok_or(PageError(
        StatusCode::UNPROCESSABLE_ENTITY,
        "This survey link names an unknown channel; use the link as it was given.",
    ))?;
    let limit_key = format!("{client} {}", survey.id);
    match state.limits.answers.check(&limit_key).await {
        Ok(()) => {}
        Err(Refused::TooMany(wait)) => return Ok(too_many_answers(wait)),
        Err(Refused::Unavailable(e)) => return Err(internal(e)),
    }
    let score = parse_score(survey.kind, &form.score)?;
    let new = NewAnswer {
        workspace_id: survey.workspace_id,
        survey_id: survey.id,
        respondent: Respondent::Anonymous,
        score,
        comment: None,
        channel,
        touchpoint: None,
        language: Some(lang.clone()),
        answered_at: Utc::now(),
        external_id: None,
        idempotency_key: None,
        request_hash: None,
    };
    let recorded =
        state.store.answers().record(&new).await.map_err(|e| {
            PageError::store(e, "Your answer could not be saved; please try again.")
        })?;
    let tok = answer_token(&state, &survey, recorded.answer.id);
    Ok(Redirect::to(&format!("/s/{public_id}/a/{tok}?lang={lang}")).into_response())
}

/// 429 with `Retry-After`, as a plain page.
fn too_many_answers(wait: Duration) -> Response {
    let secs = retry_after_secs(wait);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (RETRY_AFTER, secs.to_string()),
            (CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
        ],
        format!(
            "Too many answers were sent from your network to this survey; \
             please try again in {secs} seconds."
        ),
    )
        .into_response()
}

pub async fn follow_up(
    State(state): State<AppState>,
    Path((public_id, tok)): Path<(String, String)>,
    Query(q): Query<LangParam>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let survey = load(&state, &public_id).await?;
    let answer_id = answer_of(&state, &survey, &tok)?;
    let lang = language(q.lang.as_deref(), &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    let answer = match state
        .store
        .answers()
        .get(survey.workspace_id, answer_id)
        .await
    {
        Ok(Some(a)) => a,
        _ => return Err(PageError(StatusCode::NOT_FOUND, BAD_LINK)),
    };
    let (company, texts) = texts(&state, &survey, &lang).await?;
    let follow_up = match survey.kind {
        SurveyKind::Csat => texts.follow_up_passive.clone(),
        _ => Score::new(i64::from(answer.score))
            .map(|s| texts.follow_up(s.category()).to_owned())
            .unwrap_or_default(),
    };
    Ok(FollowupPage {
        lang: lang.to_string(),
        company,
        scale: ScoreScale::new(survey.kind, &texts, Some(answer.score)),
        texts,
        follow_up,
        score_action: format!("/s/{public_id}/a/{tok}/score"),
        comment_action: format!("/s/{public_id}/a/{tok}"),
        comment: answer.comment.unwrap_or_default(),
        languages: LanguageLink::all(lang.as_str()),
    }
    .into_response())
}

pub async fn change_score(
    State(state): State<AppState>,
    Path((public_id, tok)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ScoreForm>,
) -> Result<Response, PageError> {
    same_origin(&headers)?;
    let survey = load(&state, &public_id).await?;
    let answer_id = answer_of(&state, &survey, &tok)?;
    let lang = language(form.lang.as_deref(), &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    let score = parse_score(survey.kind, &form.score)?;
    state
        .store
        .answers()
        .change_score(survey.workspace_id, answer_id, score.value())
        .await
        .map_err(|e| PageError::store(e, "Your answer could not be saved; please try again."))?;
    Ok(Redirect::to(&format!("/s/{public_id}/a/{tok}?lang={lang}")).into_response())
}

pub async fn comment(
    State(state): State<AppState>,
    Path((public_id, tok)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<CommentForm>,
) -> Result<Response, PageError> {
    same_origin(&headers)?;
    let survey = load(&state, &public_id).await?;
    let answer_id = answer_of(&state, &survey, &tok)?;
    let lang = language(form.lang.as_deref(), &headers, &survey);
    if let Some(gone) = closed(&state, &survey, &lang).await {
        return Ok(gone);
    }
    let comment = form
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > 5000) {
        return Err(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The comment is longer than 5000 characters.",
        ));
    }
    state
        .store
        .answers()
        .set_comment(survey.workspace_id, answer_id, comment)
        .await
        .map_err(|e| PageError::store(e, "Your comment could not be saved; please try again."))?;
    Ok(Redirect::to(&format!("/s/{public_id}/thanks?lang={lang}")).into_response())
}

pub async fn thanks(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    Query(q): Query<LangParam>,
    headers: HeaderMap,
) -> Result<ThanksPage, PageError> {
    let survey = load(&state, &public_id).await?;
    let lang = language(q.lang.as_deref(), &headers, &survey);
    thanks_page(&state, &survey, &lang, false).await
}

/// The survey's thank-you page as a respondent gets it in `lang`; the survey editor's
/// preview of it is this very page (`preview`).
pub(super) async fn thanks_page(
    state: &AppState,
    survey: &Survey,
    lang: &Language,
    preview: bool,
) -> Result<ThanksPage, PageError> {
    let (company, texts) = texts(state, survey, lang).await?;
    Ok(ThanksPage {
        lang: lang.to_string(),
        company,
        texts,
        preview,
    })
}
