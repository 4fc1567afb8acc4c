//! A survey outside Advocate's own pages: the in-app widget (`/widget.js`, `/w/…`) and the
//! QR code of the survey's kiosk link (`/s/{public_id}/qr.svg`, `qr.png`).
//!
//! The widget runs on the customer's website, so `/w/*` answers any origin (CORS `*`,
//! never cookies): what it may do is carried by signed tokens instead. An identified
//! visitor proves who they are with the website's HMAC of their id; an anonymous one gets
//! a prompt token, then an answer token for the comment, and is rate limited.

use super::survey::{answer_of, answer_token, language, texts};
use super::PageError;
use crate::access::Access::Public;
use crate::qr::Matrix;
use crate::ratelimit::ClientKey;
use crate::routes::Routes;
use crate::state::AppState;
use crate::ApiError;
use advocate_core::field::IdempotencyKey;
use advocate_core::i18n::{self, SurveyTexts};
use advocate_core::{token, Channel, Language, Rating, SurveyKind};
use advocate_store::invitations::{self, Invitation};
use advocate_store::models::{NewAnswer, Respondent, Survey};
use advocate_store::StoreError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, CACHE_CONTROL, CONTENT_DISPOSITION,
    CONTENT_TYPE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use hmac::{Hmac, Mac};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tower_http::set_header::SetResponseHeaderLayer;

const WIDGET_JS: &str = include_str!("../../assets/widget.js");

/// How long an anonymous prompt can be answered after it was shown.
const PROMPT_SECS: i64 = 3600;
const MAX_COMMENT_CHARS: usize = 5000;

pub fn routes() -> Routes {
    let widget = Routes::new()
        .get("/widget.js", Public, script)
        .get("/w/{public_id}/prompt", Public, prompt)
        .options("/w/{public_id}/prompt", Public, preflight)
        .post("/w/{public_id}/answers", Public, answers)
        .options("/w/{public_id}/answers", Public, preflight)
        .layer(SetResponseHeaderLayer::overriding(
            ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ));
    Routes::new()
        .get("/s/{public_id}/qr.svg", Public, qr_svg)
        .get("/s/{public_id}/qr.png", Public, qr_png)
        .merge(widget)
}

async fn script() -> Response {
    (
        [
            (CONTENT_TYPE, "application/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

/// CORS preflight of the widget's JSON requests (the origin header comes from the layer).
async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
            (ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type"),
            (ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response()
}

fn page_error(e: PageError) -> ApiError {
    ApiError::new(e.0, e.1)
}

/// The widget's survey; a paused or archived one is 410 Gone (the widget shows nothing).
async fn survey(state: &AppState, public_id: &str) -> Result<Survey, ApiError> {
    let survey = state
        .store
        .surveys()
        .by_public_id(public_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no survey has the id {public_id:?}; check the widget's data-survey attribute"
            ))
        })?;
    if !survey.status.is_open() {
        return Err(ApiError::new(
            StatusCode::GONE,
            format!("the survey is {}: it takes no answers", survey.status),
        ));
    }
    Ok(survey)
}

#[derive(Deserialize)]
pub struct PromptParams {
    customer: Option<String>,
    signature: Option<String>,
    lang: Option<String>,
}

/// What the widget shows; only `show` when there is nothing to show.
#[derive(Serialize, Default)]
pub struct Prompt {
    show: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    texts: Option<PromptTexts>,
}

#[derive(Serialize)]
struct PromptTexts {
    lang: String,
    kind: SurveyKind,
    question: String,
    low_label: String,
    high_label: String,
    scale: Scale,
    follow_up: FollowUp,
    thanks: String,
    dismiss: String,
    /// Posted back with the score: names the invitation or the anonymous prompt.
    token: String,
}

#[derive(Serialize)]
struct Scale {
    min: u8,
    max: u8,
}

#[derive(Serialize)]
struct FollowUp {
    detractor: String,
    passive: String,
    promoter: String,
    placeholder: String,
    send: String,
    skip: String,
}

/// The widget's own words, next to the survey's: the close button and "no comment".
fn widget_words(lang: &Language) -> (&'static str, &'static str) {
    match lang.as_str() {
        "nb" => ("Lukk", "Nei takk"),
        "sv" => ("Stäng", "Nej tack"),
        "da" => ("Luk", "Nej tak"),
        "fi" => ("Sulje", "Ei kiitos"),
        "de" => ("Schließen", "Nein danke"),
        "nl" => ("Sluiten", "Nee, bedankt"),
        _ => ("Close", "No thanks"),
    }
}

fn prompt_texts(survey: &Survey, lang: &Language, t: SurveyTexts, token: String) -> PromptTexts {
    let (dismiss, skip) = widget_words(lang);
    let (min, max) = survey.kind.scale();
    PromptTexts {
        lang: lang.to_string(),
        kind: survey.kind,
        question: t.question,
        low_label: t.low_label,
        high_label: t.high_label,
        scale: Scale { min, max },
        follow_up: FollowUp {
            detractor: t.follow_up_detractor,
            passive: t.follow_up_passive,
            promoter: t.follow_up_promoter,
            placeholder: t.comment_placeholder,
            send: t.submit,
            skip: skip.to_owned(),
        },
        thanks: t.thanks_title,
        dismiss: dismiss.to_owned(),
        token,
    }
}

/// Whether `signature` is the hex HMAC-SHA256 of `customer` keyed with the workspace's
/// widget secret (its hex text, as the website uses it), compared in constant time.
fn signature_ok(secret: &str, customer: &str, signature: &str) -> bool {
    let Some(sig) = decode_hex(signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(customer.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn anonymous_payload(public_id: &str, nonce: &str) -> String {
    format!("widget:{public_id}:{nonce}")
}

fn no_store(body: impl IntoResponse) -> Response {
    ([(CACHE_CONTROL, "no-store")], body).into_response()
}

/// `GET /w/{public_id}/prompt`: whether to ask this visitor now, and in which words.
async fn prompt(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    Query(q): Query<PromptParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let survey = survey(&state, &public_id).await?;
    let asked = q.lang.as_deref().filter(|l| !l.is_empty());
    let customer = q
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let Some(customer) = customer else {
        let lang = language(asked, &headers, &survey);
        let (_, t) = texts(&state, &survey, &lang).await.map_err(page_error)?;
        // The nonce also carries the language, so that the answer is stored with it.
        let nonce = format!(
            "{}-{lang}",
            Alphanumeric.sample_string(&mut rand::rng(), 16)
        );
        let tok = token::sign(
            &state.signing_key,
            &anonymous_payload(&public_id, &nonce),
            Utc::now().timestamp() + PROMPT_SECS,
        );
        return Ok(no_store(Json(Prompt {
            show: true,
            texts: Some(prompt_texts(&survey, &lang, t, tok)),
        })));
    };

    let signature = q.signature.as_deref().unwrap_or_default();
    if signature.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "data-signature is missing: an identified visitor (data-customer) needs the hex \
             HMAC-SHA256 of their id, keyed with the workspace's widget secret",
        ));
    }
    // The current secret, or the one it replaced while its grace period lasts.
    let secrets = state
        .store
        .workspaces()
        .widget_secrets(survey.workspace_id, Utc::now())
        .await?;
    if !secrets
        .accepted()
        .any(|secret| signature_ok(secret, customer, signature))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "data-signature does not match data-customer: compute it on your server as the hex \
             HMAC-SHA256 of the customer id, keyed with the workspace's widget secret",
        ));
    }
    // The visitor's language: asked for, else the browser's, else the customer's record's.
    let lang = match asked
        .and_then(|l| Language::new(l).ok())
        .filter(i18n::is_supported)
        .or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|h| h.to_str().ok())
                .and_then(i18n::negotiate)
        }) {
        Some(l) => l,
        None => state
            .store
            .customers()
            .by_external_id(survey.workspace_id, customer)
            .await?
            .and_then(|c| c.language)
            .filter(i18n::is_supported)
            .unwrap_or_else(|| survey.default_language.clone()),
    };
    let invitation = state
        .store
        .invitations()
        .widget_invitation(survey.workspace_id, survey.id, customer, &lang, Utc::now())
        .await?;
    let Some(inv) = invitation else {
        // Unknown, unsubscribed or recently asked: stay quiet.
        return Ok(no_store(Json(Prompt::default())));
    };
    let (_, t) = texts(&state, &survey, &lang).await.map_err(page_error)?;
    let tok = super::invitation::invitation_token(&state, &inv);
    Ok(no_store(Json(Prompt {
        show: true,
        texts: Some(prompt_texts(&survey, &lang, t, tok)),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    token: String,
    score: i64,
    comment: Option<String>,
}

#[derive(Serialize)]
struct Answered {
    /// The token for the next post about this answer (the comment, a changed score).
    token: String,
}

/// What a widget token grants.
enum Grant {
    Invitation(Invitation),
    /// An anonymous prompt: the idempotency key of its answer, and the prompt's language.
    Prompt(IdempotencyKey, Option<Language>),
    /// An answer already given, to comment on or change.
    Answer(i64),
}

const BAD_TOKEN: &str = "the widget's token is not valid for this survey or has expired; \
                         reload the page to be asked again";

async fn grant(state: &AppState, survey: &Survey, tok: &str) -> Result<Grant, ApiError> {
    let now = Utc::now();
    if let Some(id) = invitations::invitation_of_token(&state.signing_key, tok, now) {
        let inv = state.store.invitations().by_id(id).await?;
        return match inv {
            Some(inv) if inv.survey_id == survey.id => Ok(Grant::Invitation(inv)),
            _ => Err(ApiError::new(StatusCode::FORBIDDEN, BAD_TOKEN)),
        };
    }
    if let Some(payload) = token::verify(&state.signing_key, tok, now.timestamp()) {
        let prefix = anonymous_payload(&survey.public_id, "");
        let key = IdempotencyKey::parse(payload.as_bytes());
        if let (Some(nonce), Ok(key)) = (payload.strip_prefix(&prefix), key) {
            let lang = nonce
                .rsplit_once('-')
                .and_then(|(_, l)| Language::new(l).ok());
            return Ok(Grant::Prompt(key, lang));
        }
    }
    match answer_of(state, survey, tok) {
        Ok(id) => Ok(Grant::Answer(id)),
        Err(_) => Err(ApiError::new(StatusCode::FORBIDDEN, BAD_TOKEN)),
    }
}

/// `POST /w/{public_id}/answers` with `{token, score, comment?}`.
async fn answers(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    ClientKey(client): ClientKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let shape = |e: serde_json::Error| {
        ApiError::bad_request(format!(
            "the body must be JSON {{\"token\": string, \"score\": number, \"comment\"?: string}}: {e}"
        ))
    };
    let body: serde_json::Value = serde_json::from_slice(&body).map_err(shape)?;
    crate::api::json::check_text(&body)?;
    let body: AnswerBody = serde_json::from_value(body).map_err(shape)?;
    let survey = survey(&state, &public_id).await?;
    let (min, max) = survey.kind.scale();
    let score = Rating::new(survey.kind, body.score).map_err(|_| {
        ApiError::unprocessable(format!("score must be a whole number from {min} to {max}"))
    })?;
    let comment = body
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(ApiError::unprocessable(format!(
            "the comment is longer than {MAX_COMMENT_CHARS} characters"
        )));
    }
    let (answer_id, next) = match grant(&state, &survey, &body.token).await? {
        Grant::Invitation(inv) => {
            let answer = state
                .store
                .invitations()
                .answer(inv.id, score, Utc::now())
                .await?;
            (answer.id, body.token)
        }
        Grant::Prompt(key, lang) => {
            let limit_key = format!("{client} {}", survey.id);
            if let Err(refused) = state.limits.answers.check(&limit_key).await {
                return Err(refused
                    .with_detail("too many answers were sent from your network to this survey"));
            }
            let id = record_anonymous(&state, &survey, key, lang, score).await?;
            (id, answer_token(&state, &survey, id))
        }
        Grant::Answer(id) => {
            let answer = state
                .store
                .answers()
                .get(survey.workspace_id, id)
                .await?
                .ok_or_else(|| ApiError::not_found("this answer no longer exists"))?;
            if answer.score != score.value() {
                state
                    .store
                    .answers()
                    .change_score(survey.workspace_id, id, score.value())
                    .await?;
            }
            (id, body.token)
        }
    };
    if let Some(comment) = comment {
        state
            .store
            .answers()
            .set_comment(survey.workspace_id, answer_id, Some(comment))
            .await?;
    }
    Ok(no_store(Json(Answered { token: next })))
}

async fn record_anonymous(
    state: &AppState,
    survey: &Survey,
    key: IdempotencyKey,
    language: Option<Language>,
    score: Rating,
) -> Result<i64, ApiError> {
    let new = NewAnswer {
        workspace_id: survey.workspace_id,
        survey_id: survey.id,
        respondent: Respondent::Anonymous,
        score,
        comment: None,
        channel: Channel::Widget,
        touchpoint: None,
        language,
        answered_at: Utc::now(),
        external_id: None,
        // A retried post of the same prompt (lost response) gets the same answer back.
        idempotency_key: Some(key),
        request_hash: Some(format!("score:{}", score.value())),
    };
    match state.store.answers().record(&new).await {
        Ok(recorded) => Ok(recorded.answer.id),
        Err(StoreError::Conflict(_)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "this prompt has already been answered; change the score with the token \
             returned by the first answer",
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct QrParams {
    size: Option<String>,
}

const QR_SIZES: std::ops::RangeInclusive<u32> = 128..=2048;
const QR_DEFAULT_SIZE: u32 = 512;

/// The code of the survey's kiosk link (answers through it count as the kiosk channel).
async fn qr_matrix(state: &AppState, public_id: &str) -> Result<Matrix, Response> {
    let survey = super::survey::load(state, public_id)
        .await
        .map_err(IntoResponse::into_response)?;
    let url = format!(
        "{}/s/{}?c=kiosk",
        state.store.public_url().trim_end_matches('/'),
        survey.public_id
    );
    Matrix::encode(&url).map_err(|e| {
        tracing::error!(error = %e, %url, "survey link does not fit a QR code");
        plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    })
}

fn plain(status: StatusCode, msg: String) -> Response {
    (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], msg).into_response()
}

fn image(content_type: &'static str, filename: String, body: impl IntoResponse) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CACHE_CONTROL, "public, max-age=3600".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn qr_svg(State(state): State<AppState>, Path(public_id): Path<String>) -> Response {
    match qr_matrix(&state, &public_id).await {
        Ok(m) => image(
            "image/svg+xml",
            format!("survey-{}-qr.svg", safe_name(&public_id)),
            m.svg(),
        ),
        Err(r) => r,
    }
}

async fn qr_png(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
    Query(q): Query<QrParams>,
) -> Response {
    let size = match q.size.as_deref().map(|s| s.trim().parse::<u32>()) {
        None => QR_DEFAULT_SIZE,
        Some(Ok(s)) if QR_SIZES.contains(&s) => s,
        Some(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!(
                    "size must be a whole number of pixels from {} to {}",
                    QR_SIZES.start(),
                    QR_SIZES.end()
                ),
            )
        }
    };
    let m = match qr_matrix(&state, &public_id).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match m.png(size) {
        Ok(png) => image(
            "image/png",
            format!("survey-{}-qr-{size}.png", safe_name(&public_id)),
            png,
        ),
        Err(e) => plain(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

/// A survey id fit for a file name (ids are letters and digits; anything else is dropped).
fn safe_name(public_id: &str) -> String {
    public_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
