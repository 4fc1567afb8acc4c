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
use advocate_core::SurveyKind;
use advocate_store::closed_loop::alerts::{Owner, Subscription};
use advocate_store::models::Survey;
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
    /// What it watches: a kind of survey, or one survey by name.
    pub watches: String,
    pub channel: &'static str,
    pub target: String,
    pub scores: String,
    pub filters: String,
    pub timing: String,
}

/// How the page names a kind of survey.
fn kind_name(kind: SurveyKind) -> &'static str {
    match kind {
        SurveyKind::Nps => "customer NPS",
        SurveyKind::Csat => "CSAT",
        SurveyKind::Enps => "eNPS",
    }
}

impl AlertRow {
    fn new(s: Subscription, surveys: &[Survey]) -> Self {
        let f = s.filter;
        let mut filters = Vec::new();
        let watches = match f.survey_id {
            Some(id) => match surveys.iter().find(|x| x.id == id) {
                Some(survey) => format!("{} ({})", survey.name, kind_name(f.kind)),
                None => format!("survey {id} ({})", kind_name(f.kind)),
            },
            None => format!("every {} survey", kind_name(f.kind)),
        };
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
            watches,
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

/// One choice of the form's survey picker: a kind of survey (any of them) or one survey.
pub struct SurveyChoice {
    pub value: String,
    pub label: String,
}

/// The survey picker's choices: each kind, then the workspace's surveys by name.
pub fn survey_choices(surveys: &[Survey]) -> Vec<SurveyChoice> {
    let kinds = SurveyKind::ALL.iter().map(|k| SurveyChoice {
        value: k.as_str().to_owned(),
        label: format!("Every {} survey", kind_name(*k)),
    });
    let each = surveys.iter().map(|s| SurveyChoice {
        value: s.id.to_string(),
        label: format!("{} ({})", s.name, kind_name(s.kind)),
    });
    kinds.chain(each).collect()
}

/// The person's own subscriptions, and the workspace's surveys (the form's picker).
pub(super) async fn rows(
    state: &AppState,
    workspace_id: i64,
    user_id: i64,
) -> Result<(Vec<AlertRow>, Vec<Survey>), PageError> {
    let found = state
        .store
        .alerts()
        .list(workspace_id, Owner::User(user_id))
        .await
        .map_err(internal)?;
    let surveys = state
        .store
        .surveys()
        .list(workspace_id)
        .await
        .map_err(internal)?;
    let rows = found
        .into_iter()
        .map(|s| AlertRow::new(s, &surveys))
        .collect();
    Ok((rows, surveys))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AlertForm {
    /// `nps`, `csat` or `enps` (any survey of that kind), or one survey's id.
    survey: String,
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
    /// The filter the form asks for; `surveys` are the workspace's (a survey picked by id
    /// must be one of them, and gives the kind).
    fn parse(&self, surveys: &[Survey]) -> Result<SubscriptionFilter, String> {
        let (kind, survey_id) = match self.survey.trim() {
            "" => (SurveyKind::Nps, None),
            v => match SurveyKind::parse(v) {
                Ok(kind) => (kind, None),
                Err(_) => {
                    let survey = v
                        .parse::<i64>()
                        .ok()
                        .and_then(|id| surveys.iter().find(|s| s.id == id))
                        .ok_or_else(|| {
                            format!("survey must be one of this workspace's surveys; got {v:?}")
                        })?;
                    (survey.kind, Some(survey.id))
                }
            },
        };
        let (low, high) = kind.scale();
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let number = |field: &str, v: &str, default: u32| match v.trim() {
            "" => Ok(default),
            v => v
                .parse::<u32>()
                .map_err(|_| format!("{field} must be a whole number; got {v:?}")),
        };
        let score = |field: &str, v: &str, default: u8| {
            number(field, v, u32::from(default)).and_then(|n| {
                u8::try_from(n)
                    .map_err(|_| format!("{field} must be between {low} and {high}; got {n}"))
            })
        };
        let filter = SubscriptionFilter {
            kind,
            channel: AlertChannel::parse(&self.channel).map_err(|e| e.to_string())?,
            target: text(&self.target),
            min_score: score("min_score", &self.min_score, low)?,
            max_score: score("max_score", &self.max_score, high)?,
            survey_id,
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
    let surveys = match state.store.surveys().list(who.workspace_id).await {
        Ok(surveys) => surveys,
        Err(e) => return internal(e).into_response(),
    };
    let filter = match form.parse(&surveys) {
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
