//! Inviting a list of customers (`POST /api/v1/invitations`), and the invitations and
//! response rates read back.

use super::{channel, id_in_path, survey, time};
use super::{Invitation, InvitationOutcome, ResponseRate, MAX_BATCH};
use crate::api::json::ApiJson;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use advocate_core::customer::CustomerFields;
use advocate_core::Channel;
use advocate_store::invitations::{self, InvitationFilter, InviteRequest};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitations {
    /// Slug of the survey to ask.
    pub survey: String,
    /// email, sms or web (a personal link returned here for you to hand out).
    pub channel: String,
    /// When to send (RFC 3339); now when left out.
    pub send_at: Option<String>,
    /// Invite only this share of the eligible customers (1–100, default 100).
    pub sample_percent: Option<u8>,
    /// 1 to 1000 customers; fields other than external_id create or update them.
    #[schema(value_type = Vec<crate::api::customers::CustomerFieldsSchema>)]
    pub customers: Vec<CustomerFields>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationLink {
    #[serde(flatten)]
    pub outcome: InvitationOutcome,
    /// The personal survey link (every invitation that was created has one).
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationsCreated {
    pub invited: usize,
    pub skipped: usize,
    pub invitations: Vec<InvitationLink>,
}

fn link(state: &AppState, outcome: invitations::InvitationOutcome) -> InvitationLink {
    let url = outcome
        .invitation_id
        .zip(outcome.expires_at)
        .map(|(id, expires)| {
            format!(
                "{}/i/{}",
                state.store.public_url(),
                invitations::invitation_token(&state.signing_key, id, expires)
            )
        });
    InvitationLink {
        outcome: outcome.into(),
        url,
    }
}

#[utoipa::path(post, path = "/api/v1/invitations", operation_id = "createInvitations", tag = "invitations",
    request_body = CreateInvitations, security(("api_key" = [])),
    responses((status = 201, description = "every customer with its outcome: scheduled, sent \
        (web links) or skipped with the reason", body = InvitationsCreated),
        (status = 404, description = "unknown survey", body = Problem),
        (status = 422, description = "invalid field (nothing was stored)", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateInvitations>,
) -> ApiResult<(StatusCode, Json<InvitationsCreated>)> {
    let req = body.value;
    if req.customers.is_empty() || req.customers.len() > MAX_BATCH {
        return Err(ApiError::unprocessable(format!(
            "customers must hold 1 to {MAX_BATCH} customers; got {}",
            req.customers.len()
        )));
    }
    let survey = survey(&state, caller.workspace_id, &req.survey).await?;
    let channel = channel("channel", &req.channel)?;
    if channel == Channel::Widget {
        return Err(ApiError::unprocessable(
            "channel widget cannot be invited through the API: the widget asks visitors itself",
        ));
    }
    let now = Utc::now();
    let send_at = time("send_at", req.send_at.as_deref())?.unwrap_or(now);
    if send_at > now + Duration::days(365) {
        return Err(ApiError::unprocessable(
            "send_at must be within a year from now",
        ));
    }
    let customers = req
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| c.parse(&format!("customers[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    let invite = InviteRequest {
        survey_id: survey.id,
        channel,
        source: invitations::Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: send_at.max(now),
        sample_percent: req.sample_percent.unwrap_or(100),
    };
    let outcomes = state
        .store
        .invitations()
        .invite(caller.workspace_id, &invite, &customers, now)
        .await?;
    let invited = outcomes
        .iter()
        .filter(|o| o.invitation_id.is_some())
        .count();
    Ok((
        StatusCode::CREATED,
        Json(InvitationsCreated {
            invited,
            skipped: outcomes.len() - invited,
            invitations: outcomes.into_iter().map(|o| link(&state, o)).collect(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this survey (slug).
    pub survey: Option<String>,
    /// Only this customer (external id).
    pub customer: Option<String>,
    /// scheduled, sent, skipped or cancelled.
    pub status: Option<String>,
    /// 1–500, default 100.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/invitations", operation_id = "listInvitations", tag = "invitations", params(ListParams),
    security(("api_key" = [])),
    responses((status = 200, body = Vec<Invitation>), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<Vec<Invitation>>> {
    let mut filter = InvitationFilter {
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
        ..InvitationFilter::default()
    };
    if !(1..=500).contains(&filter.limit) {
        return Err(ApiError::unprocessable("limit must be between 1 and 500"));
    }
    if let Some(slug) = &q.survey {
        filter.survey_id = Some(survey(&state, caller.workspace_id, slug).await?.id);
    }
    if let Some(ext) = &q.customer {
        let customer = state
            .store
            .customers()
            .by_external_id(caller.workspace_id, ext)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no customer with external_id {ext:?}")))?;
        filter.customer_id = Some(customer.id);
    }
    if let Some(s) = &q.status {
        filter.status = Some(invitations::InvitationStatus::parse(s).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "status must be scheduled, sent, skipped or cancelled; got {s:?}"
            ))
        })?);
    }
    let found = state
        .store
        .invitations()
        .list(caller.workspace_id, &filter)
        .await?;
    Ok(Json(found.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/invitations/{id}", operation_id = "getInvitation", tag = "invitations",
    params(("id" = i64, Path)), security(("api_key" = [])),
    responses((status = 200, body = Invitation), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Invitation>> {
    let id = id_in_path(&id, "invitation")?;
    state
        .store
        .invitations()
        .get(caller.workspace_id, id)
        .await?
        .map(|x| Json(x.into()))
        .ok_or_else(|| ApiError::not_found(format!("no invitation {id}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RateParams {
    /// Start of the period (RFC 3339 or YYYY-MM-DD); 30 days ago when left out.
    pub from: Option<String>,
    /// End of the period (exclusive); now when left out.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RateRow {
    /// The survey's slug.
    pub survey: String,
    #[serde(flatten)]
    pub rate: ResponseRate,
}

/// Sent, delivered, opened and answered invitations per survey and channel, counted over
/// the invitations sent in the period.
#[utoipa::path(get, path = "/api/v1/invitations/response-rates", operation_id = "getResponseRates", tag = "invitations",
    params(RateParams), security(("api_key" = [])),
    responses((status = 200, body = Vec<ResponseRate>), (status = 422, body = Problem)))]
pub async fn rates(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<RateParams>,
) -> ApiResult<Json<Vec<RateRow>>> {
    let to = time("to", q.to.as_deref())?;
    let from = time("from", q.from.as_deref())?
        .unwrap_or(to.unwrap_or_else(Utc::now) - Duration::days(30));
    if to.is_some_and(|to| from >= to) {
        return Err(ApiError::unprocessable("from must be before to"));
    }
    let slugs: BTreeMap<i64, String> = state
        .store
        .surveys()
        .list(caller.workspace_id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.slug))
        .collect();
    let rows = state
        .store
        .invitations()
        .response_rates(caller.workspace_id, from, to)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|rate| RateRow {
                survey: slugs.get(&rate.survey_id).cloned().unwrap_or_default(),
                rate: rate.into(),
            })
            .collect(),
    ))
}
