//! "My alerts" on the account page (`/account`): a person adds and removes their own alert
//! subscriptions. Only their own: another person's subscription is answered as if it did
//! not exist.

use super::signin::RequireSignIn;
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::outbound;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::alerts::{AlertChannel, SubscriptionFilter};
use advocate_core::Permission::ReadCases;
use advocate_store::closed_loop::alerts::{Owner, Subscription};
use advocate_store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

pub fn routes() -> Routes {
    // Alerts carry answers and customers: people who may read cases, not viewers.
    Routes::new()
        .post("/account/alerts", Person(ReadCases), add)
        .post("/account/alerts/{id}/delete", Person(ReadCases), remove)
}

/// A subscription as a row of the account page.
pub struct AlertRow {
    pub id: i64,
    pub channel: &'static str,
    pub target: String,
    pub scores: String,
    pub filters: String,
    pub timing: String,
}

impl From<Subscription> for AlertRow {
    fn from(s: Subscription) -> Self {
        let f = s.filter;
        let mut filters = Vec::new();
        if let Some(id) = f.survey_id {
            filters.push(format!("survey {id}"));
        }
        if let Some(t) = &f.touchpoint {
            filters.push(format!("touchpoint {t}"));
        }
        if let (Some(k), Some(v)) = (&f.segment_key, &f.segment_value) {
            filters.push(format!("{k} = {v}"));
        }
        if f.only_with_comment {
            filters.push("with a comment".into());
        }
        Self {
            id: s.id,
            channel: f.channel.as_str(),
            target: f.target.unwrap_or_else(|| "your email address".into()),
            scores: format!("{}–{}", f.min_score, f.max_score),
            filters: if filters.is_empty() {
                "every answer".into()
            } else {
                filters.join(", ")
            },
            timing: match f.batch_minutes {
                0 => "at once".into(),
                n => format!("every {n} minutes"),
            },
        }
    }
}

/// The person's own subscriptions, for the account page.
pub(super) async fn rows(
    state: &AppState,
    workspace_id: i64,
    user_id: i64,
) -> Result<Vec<AlertRow>, PageError> {
    let found = state
        .store
        .alerts()
        .list(workspace_id, Owner::User(user_id))
        .await
        .map_err(internal)?;
    Ok(found.into_iter().map(Into::into).collect())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlertForm {
    channel: String,
    target: String,
    min_score: String,
    max_score: String,
    touchpoint: String,
    segment_key: String,
    segment_value: String,
    only_with_comment: Option<String>,
    batch_minutes: String,
}

impl AlertForm {
    fn parse(&self) -> Result<SubscriptionFilter, String> {
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let number = |field: &str, v: &str, default: u32| match v.trim() {
            "" => Ok(default),
            v => v
                .parse::<u32>()
                .map_err(|_| format!("{field} must be a whole number; got {v:?}")),
        };
        let score = |field: &str, v: &str, default: u8| {
            number(field, v, u32::from(default)).and_then(|n| {
                u8::try_from(n).map_err(|_| format!("{field} must be between 0 and 10; got {n}"))
            })
        };
        let filter = SubscriptionFilter {
            channel: AlertChannel::parse(&self.channel).map_err(|e| e.to_string())?,
            target: text(&self.target),
            min_score: score("min_score", &self.min_score, 0)?,
            max_score: score("max_score", &self.max_score, 10)?,
            survey_id: None,
            touchpoint: text(&self.touchpoint),
            segment_key: text(&self.segment_key),
            segment_value: text(&self.segment_value),
            only_with_comment: self.only_with_comment.is_some(),
            batch_minutes: number("batch_minutes", &self.batch_minutes, 0)?,
        };
        filter.check().map_err(|e| e.to_string())?;
        Ok(filter)
    }
}

pub async fn add(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(form): Form<AlertForm>,
) -> Response {
    let filter = match form.parse() {
        Ok(filter) => filter,
        Err(why) => return refused(&state, &who, why).await,
    };
    if let Some(url) = &filter.target {
        if let Err(why) =
            outbound::check_registration(&state.config.allowed_hosts, "target", url).await
        {
            return refused(&state, &who, why).await;
        }
    }
    match state
        .store
        .alerts()
        .create(who.workspace_id, who.user_id, &filter)
        .await
    {
        Ok(_) => Redirect::to("/account").into_response(),
        Err(StoreError::Invalid(why)) => refused(&state, &who, why).await,
        Err(e) => internal(e).into_response(),
    }
}

/// The account page again, with why the subscription was not added (nothing was).
async fn refused(state: &AppState, who: &crate::auth::SignedIn, why: String) -> Response {
    match super::account::account_page(state, who, None, None, Some(why)).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
) -> Result<Redirect, PageError> {
    const NO_SUCH: PageError = PageError(StatusCode::NOT_FOUND, "You have no such alert.");
    let id: i64 = id.parse().map_err(|_| NO_SUCH)?;
    match state
        .store
        .alerts()
        .delete(who.workspace_id, Owner::User(who.user_id), id)
        .await
    {
        Ok(()) => Ok(Redirect::to("/account")),
        Err(StoreError::NotFound(_)) => Err(NO_SUCH),
        Err(e) => Err(internal(e)),
    }
}
