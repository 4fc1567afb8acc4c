//! The public survey: question → follow-up (score can still be changed) → thanks.
//!
//! The score is stored as soon as it is clicked, so an answer is never lost to a closed
//! tab; the follow-up link carries a signed token naming that answer, so only its
//! respondent can add a comment or change the score, for a limited time.

use super::views::{FollowupPage, LanguageLink, ScoreScale, SurveyPage, ThanksPage};
use super::{same_origin, PageError};
use crate::state::AppState;
use advocate_core::i18n::{self, SurveyTexts};
use advocate_core::{token, Channel, Language, Score, SurveyKind};
use advocate_store::models::{NewAnswer, Respondent, Survey};
use axum::extract::{Path, Query, State};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

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
}

#[derive(Deserialize)]
pub struct CommentForm {
    comment: Option<String>,
    lang: Option<String>,
}

/// The respondent's language: the one asked for, else the browser's, else the survey's.
fn language(asked: Option<&str>, headers: &HeaderMap, survey: &Survey) -> Language {
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
async fn texts(
    state: &AppState,
    survey: &Survey,
    lang: &Language,
) -> Result<(String, SurveyTexts), PageError> {
    let company = match state.store.workspace(survey.workspace_id).await {
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

async fn load(state: &AppState, public_id: &str) -> Result<Survey, PageError> {
    match state.store.survey_by_public_id(public_id).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(PageError(StatusCode::NOT_FOUND, BAD_LINK)),
        Err(e) => {
            tracing::error!(error = %e, "survey lookup failed");
            Err(PageError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This survey is unavailable right now.",
            ))
        }
    }
}

fn parse_score(kind: SurveyKind, raw: &str) -> Result<u8, PageError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .and_then(|v| kind.check_score(v).ok())
        .ok_or(PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose one of the numbers on the scale.",
        ))
}

fn answer_token(state: &AppState, survey: &Survey, answer_id: i64) -> String {
    let payload = format!("answer:{}:{answer_id}", survey.public_id);
    token::sign(
        &state.signing_key,
        &payload,
        Utc::now().timestamp() + CHANGE_WINDOW_SECS,
    )
}

/// The answer id a follow-up token grants access to, for this survey only.
fn answer_of(state: &AppState, survey: &Survey, tok: &str) -> Result<i64, PageError> {
    token::verify(&state.signing_key, tok, Utc::now().timestamp())
        .and_then(|p| {
            p.strip_prefix(&format!("answer:{}:", survey.public_id))?
                .parse()
                .ok()
        })
        .ok_or(PageError(StatusCode::NOT_FOUND, BAD_LINK))
}

pub async fn show(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    Query(q): Query<LangParam>,
    headers: HeaderMap,
) -> Result<SurveyPage, PageError> {
    let survey = load(&state, &public_id).await?;
    let lang = language(q.lang.as_deref(), &headers, &survey);
    let (company, texts) = texts(&state, &survey, &lang).await?;
    Ok(SurveyPage {
        lang: lang.to_string(),
        company,
        scale: ScoreScale::new(survey.kind, &texts, None),
        texts,
        action: format!("/s/{public_id}"),
        languages: LanguageLink::all(lang.as_str()),
    })
}

pub async fn answer(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ScoreForm>,
) -> Result<Response, PageError> {
    same_origin(&headers)?;
    let survey = load(&state, &public_id).await?;
    let score = parse_score(survey.kind, &form.score)?;
    let lang = language(form.lang.as_deref(), &headers, &survey);
    let new = NewAnswer {
        workspace_id: survey.workspace_id,
        survey_id: survey.id,
        respondent: Respondent::Anonymous,
        score,
        comment: None,
        channel: Channel::Web,
        touchpoint: None,
        language: Some(lang.clone()),
        answered_at: Utc::now(),
        external_id: None,
        idempotency_key: None,
        request_hash: None,
    };
    let recorded = state.store.record_answer(&new).await.map_err(|e| {
        tracing::error!(error = %e, "recording a survey answer failed");
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Your answer could not be saved; please try again.",
        )
    })?;
    let tok = answer_token(&state, &survey, recorded.answer.id);
    Ok(Redirect::to(&format!("/s/{public_id}/a/{tok}?lang={lang}")).into_response())
}

pub async fn follow_up(
    State(state): State<AppState>,
    Path((public_id, tok)): Path<(String, String)>,
    Query(q): Query<LangParam>,
    headers: HeaderMap,
) -> Result<FollowupPage, PageError> {
    let survey = load(&state, &public_id).await?;
    let answer_id = answer_of(&state, &survey, &tok)?;
    let answer = match state.store.answer(survey.workspace_id, answer_id).await {
        Ok(Some(a)) => a,
        _ => return Err(PageError(StatusCode::NOT_FOUND, BAD_LINK)),
    };
    let lang = language(q.lang.as_deref(), &headers, &survey);
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
    })
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
    let score = parse_score(survey.kind, &form.score)?;
    state
        .store
        .change_score(survey.workspace_id, answer_id, score)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "changing a score failed");
            PageError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Your answer could not be saved; please try again.",
            )
        })?;
    let lang = language(form.lang.as_deref(), &headers, &survey);
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
        .set_comment(survey.workspace_id, answer_id, comment)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "saving a comment failed");
            PageError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Your comment could not be saved; please try again.",
            )
        })?;
    let lang = language(form.lang.as_deref(), &headers, &survey);
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
    let (company, texts) = texts(&state, &survey, &lang).await?;
    Ok(ThanksPage {
        lang: lang.to_string(),
        company,
        texts,
    })
}
