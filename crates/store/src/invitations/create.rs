//! Creating invitations: a request for many customers, and one customer's invitation
//! (or the reason it was skipped) inside the caller's transaction.

use super::eligibility::{refusal, sampled};
use super::{check_invitation_channel, InvitationStatus, SkipReason, Source};
use crate::feedback::customers::upsert_customer_in;
use crate::models::{Customer, Survey, WorkspaceSettings};
use crate::tenancy::lookup::settings_in;
use crate::Invitations;
use crate::{random_token, to_ts, Result, StoreError};
use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, Language};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

/// A request to invite customers to a survey.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    pub survey_id: i64,
    pub channel: Channel,
    pub source: Source,
    pub schedule_id: Option<i64>,
    pub event_id: Option<i64>,
    pub send_at: DateTime<Utc>,
    /// Share of eligible customers to invite, 1–100.
    pub sample_percent: u8,
}

/// What happened to one customer of an invitation request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvitationOutcome {
    /// The customer's external id.
    pub customer: String,
    /// Present unless skipped at once.
    pub invitation_id: Option<i64>,
    pub status: InvitationStatus,
    pub skip_reason: Option<SkipReason>,
    pub send_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Invites `customer` inside the caller's transaction.
pub(crate) async fn invite_in(
    conn: &mut AnyConnection,
    settings: &WorkspaceSettings,
    default_language: &Language,
    survey: &Survey,
    req: &InviteRequest,
    customer: &Customer,
    now: DateTime<Utc>,
) -> Result<InvitationOutcome> {
    let skipped = |reason: SkipReason| InvitationOutcome {
        customer: customer.external_id.clone(),
        invitation_id: None,
        status: InvitationStatus::Skipped,
        skip_reason: Some(reason),
        send_at: None,
        expires_at: None,
    };
    if !survey.status.is_open() {
        return Ok(skipped(SkipReason::SurveyClosed));
    }
    if !sampled(customer.id, req.survey_id, req.sample_percent) {
        return Ok(skipped(SkipReason::SampledOut));
    }
    if let Some(reason) = refusal(conn, settings, customer, req.channel, req.send_at, None).await? {
        return Ok(skipped(reason));
    }
    let language = customer
        .language
        .clone()
        .filter(advocate_core::i18n::is_supported)
        .unwrap_or_else(|| default_language.clone());
    let language = survey.language_for(language);
    // Web links and the widget are handed out now: they count as sent at once.
    let handed_out = matches!(req.channel, Channel::Web | Channel::Widget);
    let status = if handed_out {
        InvitationStatus::Sent
    } else {
        InvitationStatus::Scheduled
    };
    let expires_at = req.send_at + Duration::days(i64::from(settings.invitation_valid_days));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invitations (workspace_id, survey_id, customer_id, channel, language, source, \
         schedule_id, event_id, send_at, status, sent_at, short_code, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(survey.workspace_id)
    .bind(survey.id)
    .bind(customer.id)
    .bind(req.channel.as_str())
    .bind(language.as_str())
    .bind(req.source.as_str())
    .bind(req.schedule_id)
    .bind(req.event_id)
    .bind(to_ts(req.send_at))
    .bind(status.as_str())
    .bind(handed_out.then(|| to_ts(now)))
    .bind(random_token(10))
    .bind(to_ts(expires_at))
    .bind(to_ts(now))
    .fetch_one(&mut *conn)
    .await?;
    Ok(InvitationOutcome {
        customer: customer.external_id.clone(),
        invitation_id: Some(id),
        status,
        skip_reason: None,
        send_at: Some(req.send_at),
        expires_at: Some(expires_at),
    })
}

impl Invitations<'_> {
    /// Invites customers (created or updated from the fields given) to a survey in one
    /// transaction: every customer gets an outcome, invited or skipped with the reason.
    #[tracing::instrument(name = "invitations.invite", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn invite(
        &self,
        workspace_id: i64,
        req: &InviteRequest,
        customers: &[CustomerInput],
        now: DateTime<Utc>,
    ) -> Result<Vec<InvitationOutcome>> {
        check_invitation_channel(req.channel)?;
        if !(1..=100).contains(&req.sample_percent) {
            return Err(StoreError::Invalid(format!(
                "sample_percent must be between 1 and 100; got {}",
                req.sample_percent
            )));
        }
        let workspace = self
            .store
            .workspaces()
            .get(workspace_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no workspace with id {workspace_id}")))?;
        let survey = self
            .store
            .surveys()
            .get(workspace_id, req.survey_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no survey with id {}", req.survey_id)))?;
        let mut tx = self.store.begin_write().await?;
        let settings = settings_in(&mut tx, workspace_id).await?;
        let mut outcomes = Vec::with_capacity(customers.len());
        for input in customers {
            let customer = upsert_customer_in(&mut tx, workspace_id, input).await?;
            let outcome = invite_in(
                &mut tx,
                &settings,
                &workspace.default_language,
                &survey,
                req,
                &customer,
                now,
            )
            .await?;
            outcomes.push(outcome);
        }
        tx.commit().await?;
        self.store.wake_invitations();
        Ok(outcomes)
    }
}
