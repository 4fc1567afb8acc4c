//! Invitations: asking one customer on one channel, and everything that follows — the
//! signed link, opening, answering (once, changeable for a while), unsubscribing, and the
//! figures that say how many answered.
//!
//! Creating an invitation checks what can be known then (unsubscribed, no address,
//! sampling, one already waiting); sending it ([`dispatch`]) checks again, including the
//! quiet period, because a delayed invitation meets a customer who may have answered
//! elsewhere in between.

mod dispatch;
mod eligibility;
mod events;
mod history;
mod schedules;

pub use crate::delivery::links::{
    invitation_of_sms_status_token, invitation_of_token, invitation_token, sms_status_token,
    unsubscribe_token, unsubscribed_customer_of_token,
};
pub use dispatch::DispatchReport;
pub use events::{EventOutcome, EventTrigger, NewEvent, TriggerInput};
pub use history::PastInvitation;
pub use schedules::{Schedule, ScheduleInput, ScheduleReport};

use crate::answers::record::{change_score_in, insert_one_answer_in};
use crate::feedback::customers::{customer_by_id_in, customer_in, upsert_customer_in};
use crate::feedback::surveys::survey_in;
use crate::models::{
    Answer, Customer, CustomerInput, NewAnswer, Respondent, Survey, WorkspaceSettings,
};
use crate::tenancy::lookup::settings_in;
use crate::Invitations;
use crate::{from_ts, random_token, to_ts, Result, StoreError};
use advocate_core::field::IdempotencyKey;
use advocate_core::{Channel, Language};
use chrono::{DateTime, Duration, Utc};
use eligibility::{refusal, sampled};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// How long after answering a respondent may still change the score.
pub const ANSWER_CHANGE_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Waiting for its send time.
    Scheduled,
    /// Handed to its channel (or, for web links and the widget, handed out).
    Sent,
    /// Not sent, for `skip_reason`.
    Skipped,
    /// Withdrawn before sending (the customer unsubscribed).
    Cancelled,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Sent => "sent",
            Self::Skipped => "skipped",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Scheduled, Self::Sent, Self::Skipped, Self::Cancelled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Why a customer was not invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    Unsubscribed,
    NoEmail,
    NoPhone,
    /// Invited or answered within the workspace's quiet period.
    QuietPeriod,
    /// Not in the sample drawn for this send.
    SampledOut,
    /// Another invitation is already waiting to be sent to this customer.
    AlreadyScheduled,
    /// Its send time passed so long ago that the link would already have expired.
    Expired,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsubscribed => "unsubscribed",
            Self::NoEmail => "no_email",
            Self::NoPhone => "no_phone",
            Self::QuietPeriod => "quiet_period",
            Self::SampledOut => "sampled_out",
            Self::AlreadyScheduled => "already_scheduled",
            Self::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Unsubscribed,
            Self::NoEmail,
            Self::NoPhone,
            Self::QuietPeriod,
            Self::SampledOut,
            Self::AlreadyScheduled,
            Self::Expired,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// What created an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Manual,
    Schedule,
    Event,
    Widget,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Schedule => "schedule",
            Self::Event => "event",
            Self::Widget => "widget",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "schedule" => Self::Schedule,
            "event" => Self::Event,
            "widget" => Self::Widget,
            _ => Self::Manual,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub workspace_id: i64,
    pub survey_id: i64,
    pub customer_id: i64,
    pub channel: Channel,
    pub language: Language,
    pub source: Source,
    pub send_at: DateTime<Utc>,
    pub status: InvitationStatus,
    pub skip_reason: Option<SkipReason>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub answer_id: Option<i64>,
    /// The SMS short link's code; a secret like the token, so never shown in listings.
    #[serde(skip)]
    pub short_code: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, workspace_id, survey_id, customer_id, channel, language, source, \
     send_at, status, skip_reason, sent_at, delivered_at, opened_at, answered_at, reminded_at, \
     answer_id, short_code, expires_at, created_at";

fn invitation_from(row: &AnyRow) -> Result<Invitation> {
    let bad = |what: &str| StoreError::Invalid(format!("stored invitation has a bad {what}"));
    let time = |col: &str| -> Result<Option<DateTime<Utc>>> {
        Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ts))
    };
    Ok(Invitation {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        survey_id: row.try_get("survey_id")?,
        customer_id: row.try_get("customer_id")?,
        channel: Channel::parse(&row.try_get::<String, _>("channel")?)
            .map_err(|_| bad("channel"))?,
        language: Language::new(&row.try_get::<String, _>("language")?)
            .map_err(|_| bad("language"))?,
        source: Source::parse(&row.try_get::<String, _>("source")?),
        send_at: from_ts(row.try_get("send_at")?),
        status: InvitationStatus::parse(&row.try_get::<String, _>("status")?)
            .ok_or_else(|| bad("status"))?,
        skip_reason: row
            .try_get::<Option<String>, _>("skip_reason")?
            .and_then(|r| SkipReason::parse(&r)),
        sent_at: time("sent_at")?,
        delivered_at: time("delivered_at")?,
        opened_at: time("opened_at")?,
        answered_at: time("answered_at")?,
        reminded_at: time("reminded_at")?,
        answer_id: row.try_get("answer_id")?,
        short_code: row.try_get("short_code")?,
        expires_at: from_ts(row.try_get("expires_at")?),
        created_at: from_ts(row.try_get("created_at")?),
    })
}

pub(crate) async fn invitation_in(conn: &mut AnyConnection, id: i64) -> Result<Invitation> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM invitations WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no invitation with id {id}")))?;
    invitation_from(&row)
}

/// Channels an invitation can go out on.
pub const INVITATION_CHANNELS: [Channel; 4] =
    [Channel::Email, Channel::Sms, Channel::Web, Channel::Widget];

pub fn check_invitation_channel(channel: Channel) -> Result<()> {
    if INVITATION_CHANNELS.contains(&channel) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "channel must be one of email, sms, web or widget for an invitation; got {channel}"
        )))
    }
}

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

/// Which invitations to list.
#[derive(Debug, Clone, Default)]
pub struct InvitationFilter {
    pub survey_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub status: Option<InvitationStatus>,
    pub limit: u32,
    pub offset: u32,
}

/// Response figures of one survey on one channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseRate {
    pub survey_id: i64,
    pub channel: Channel,
    pub sent: u64,
    /// Where the channel tells (SMTP accepted the email; the SMS provider confirmed).
    pub delivered: u64,
    pub opened: u64,
    pub answered: u64,
    /// answered ÷ sent, 0 when nothing was sent.
    pub response_rate: f64,
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

    /// An invitation of this workspace.
    #[tracing::instrument(name = "invitations.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64, id: i64) -> Result<Option<Invitation>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?;
        row.as_ref().map(invitation_from).transpose()
    }

    /// Any invitation, for a signed link that already proved which one it names.
    #[tracing::instrument(name = "invitations.by_id", level = "debug", skip_all)]
    pub async fn by_id(&self, id: i64) -> Result<Option<Invitation>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM invitations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?;
        row.as_ref().map(invitation_from).transpose()
    }

    /// The invitation an SMS short link names.
    #[tracing::instrument(name = "invitations.by_short_code", level = "debug", skip_all)]
    pub async fn by_short_code(&self, code: &str) -> Result<Option<Invitation>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations WHERE short_code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.store.pool)
        .await?;
        row.as_ref().map(invitation_from).transpose()
    }

    /// Invitations, newest first.
    #[tracing::instrument(name = "invitations.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(
        &self,
        workspace_id: i64,
        filter: &InvitationFilter,
    ) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations WHERE workspace_id = $1 \
             AND ($2 IS NULL OR survey_id = $2) AND ($3 IS NULL OR customer_id = $3) \
             AND ($4 IS NULL OR status = $4) ORDER BY id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(workspace_id)
        .bind(filter.survey_id)
        .bind(filter.customer_id)
        .bind(filter.status.map(|s| s.as_str()))
        .bind(i64::from(filter.limit))
        .bind(i64::from(filter.offset))
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(invitation_from).collect()
    }

    /// Records that the respondent saw the invitation (page view, pixel, short link).
    #[tracing::instrument(name = "invitations.opened", level = "debug", skip_all)]
    pub async fn opened(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE invitations SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL")
            .bind(to_ts(now))
            .bind(id)
            .execute(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Records that the channel confirmed delivery (SMTP accepted, SMS provider callback).
    #[tracing::instrument(name = "invitations.delivered", level = "debug", skip_all)]
    pub async fn delivered(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE invitations SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL",
        )
        .bind(to_ts(now))
        .bind(id)
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Answers an invitation: the first call stores the answer (and sets off what any
    /// answer does); later calls change its score, for [`ANSWER_CHANGE_DAYS`] after the
    /// first. A double click never makes two answers.
    #[tracing::instrument(name = "invitations.answer", level = "debug", skip_all)]
    pub async fn answer(
        &self,
        invitation_id: i64,
        score: u8,
        now: DateTime<Utc>,
    ) -> Result<Answer> {
        match self.try_answer(invitation_id, score, now).await {
            // Two first clicks at once: the other one stored the answer; change it instead.
            Err(StoreError::Database(e)) if StoreError::is_unique_violation(&e) => {
                self.try_answer(invitation_id, score, now).await
            }
            other => other,
        }
    }

    async fn try_answer(
        &self,
        invitation_id: i64,
        score: u8,
        now: DateTime<Utc>,
    ) -> Result<Answer> {
        let ctx = &self.store.reaction_context().await?;
        let mut tx = self.store.begin_write().await?;
        let inv = invitation_in(&mut tx, invitation_id).await?;
        if let (Some(answer_id), Some(answered_at)) = (inv.answer_id, inv.answered_at) {
            if now > answered_at + Duration::days(ANSWER_CHANGE_DAYS) {
                return Err(StoreError::Conflict(format!(
                    "this answer can no longer be changed: answers can be changed for {ANSWER_CHANGE_DAYS} days"
                )));
            }
            let answer = change_score_in(&mut tx, ctx, inv.workspace_id, answer_id, score).await?;
            tx.commit().await?;
            self.store.wake_outbox();
            return Ok(answer);
        }
        if inv.status != InvitationStatus::Sent {
            return Err(StoreError::Conflict(format!(
                "this invitation is {} and cannot be answered",
                inv.status.as_str()
            )));
        }
        if now >= inv.expires_at {
            return Err(StoreError::Conflict(
                "this invitation has expired and can no longer be answered".into(),
            ));
        }
        let customer = customer_by_id_in(&mut tx, inv.workspace_id, inv.customer_id)
            .await?
            .ok_or_else(|| StoreError::NotFound("the invited customer no longer exists".into()))?;
        let anonymous = survey_in(&mut tx, inv.workspace_id, inv.survey_id)
            .await?
            .kind
            == advocate_core::SurveyKind::Enps;
        if anonymous {
            // eNPS: record only that (and on which day) the employee answered — for
            // reminders and response rates — never which answer is theirs. The guarded
            // UPDATE replaces the idempotency key as the double-click guard.
            let day = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
            let claimed = sqlx::query(
                "UPDATE invitations SET answered_at = $1, opened_at = COALESCE(opened_at, $1) \
                 WHERE id = $2 AND answered_at IS NULL",
            )
            .bind(to_ts(day))
            .bind(invitation_id)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                return Err(StoreError::Conflict(
                    "this anonymous survey was already answered from this invitation".into(),
                ));
            }
        }
        let new = NewAnswer {
            workspace_id: inv.workspace_id,
            survey_id: inv.survey_id,
            respondent: Respondent::Known(customer.external_id),
            score,
            comment: None,
            channel: inv.channel,
            touchpoint: None,
            language: Some(inv.language.clone()),
            answered_at: now,
            external_id: None,
            idempotency_key: (!anonymous).then(|| IdempotencyKey::of_invitation(invitation_id)),
            request_hash: None,
        };
        let answer = insert_one_answer_in(&mut tx, &new, Some(ctx)).await?;
        if anonymous {
            tx.commit().await?;
            self.store.wake_outbox();
            return Ok(answer);
        }
        sqlx::query(
            "UPDATE invitations SET answer_id = $1, answered_at = $2, \
             opened_at = COALESCE(opened_at, $2) WHERE id = $3",
        )
        .bind(answer.id)
        .bind(to_ts(now))
        .bind(invitation_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(answer)
    }

    /// Unsubscribes a customer from everything: invitations waiting to be sent are
    /// cancelled, and nothing is sent to them from now on. Returns the customer.
    #[tracing::instrument(name = "invitations.unsubscribe", level = "debug", skip_all)]
    pub async fn unsubscribe(&self, customer_id: i64, now: DateTime<Utc>) -> Result<Customer> {
        let mut tx = self.store.begin_write().await?;
        let workspace_id: i64 =
            sqlx::query_scalar("SELECT workspace_id FROM customers WHERE id = $1")
                .bind(customer_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!("no customer with id {customer_id}"))
                })?;
        sqlx::query(
            "UPDATE customers SET unsubscribed_at = $1 WHERE id = $2 AND unsubscribed_at IS NULL",
        )
        .bind(to_ts(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE invitations SET status = 'cancelled', skip_reason = 'unsubscribed' \
             WHERE customer_id = $1 AND status = 'scheduled'",
        )
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        let customer = customer_by_id_in(&mut tx, workspace_id, customer_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no customer with id {customer_id}")))?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Lets a customer who unsubscribed by mistake receive invitations again.
    #[tracing::instrument(name = "invitations.resubscribe", level = "debug", skip_all)]
    pub async fn resubscribe(&self, customer_id: i64) -> Result<()> {
        sqlx::query("UPDATE customers SET unsubscribed_at = NULL WHERE id = $1")
            .bind(customer_id)
            .execute(&self.store.writer)
            .await?;
        Ok(())
    }

    /// Sent, delivered, opened and answered invitations per survey and channel, for
    /// invitations sent in `[from, to)` (`to` of `None`: up to now, inclusive).
    #[tracing::instrument(name = "invitations.response_rates", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn response_rates(
        &self,
        workspace_id: i64,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<ResponseRate>> {
        let rows: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT survey_id, channel, COUNT(*), COUNT(delivered_at), COUNT(opened_at), \
             COUNT(answered_at) FROM invitations WHERE workspace_id = $1 AND status = 'sent' \
             AND sent_at >= $2 AND sent_at < $3 GROUP BY survey_id, channel \
             ORDER BY survey_id, channel",
        )
        .bind(workspace_id)
        .bind(to_ts(from))
        .bind(to.map_or(i64::MAX, to_ts))
        .fetch_all(&self.store.pool)
        .await?;
        rows.into_iter()
            .map(|(survey_id, channel, sent, delivered, opened, answered)| {
                let count = |n: i64| u64::try_from(n).unwrap_or(0);
                Ok(ResponseRate {
                    survey_id,
                    channel: Channel::parse(&channel)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                    sent: count(sent),
                    delivered: count(delivered),
                    opened: count(opened),
                    answered: count(answered),
                    response_rate: if sent > 0 {
                        answered as f64 / sent as f64
                    } else {
                        0.0
                    },
                })
            })
            .collect()
    }

    /// The secret a website signs visitor ids with for the widget (hex, made once).
    #[tracing::instrument(name = "invitations.widget_secret", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn widget_secret(&self, workspace_id: i64) -> Result<String> {
        self.store
            .workspaces()
            .setting_or_insert(&format!("widget_secret:{workspace_id}"), || {
                crate::random_hex(32)
            })
            .await
    }

    /// The invitation behind a widget prompt for an identified visitor: their open widget
    /// invitation for the survey from today if there is one (the prompt shows again until
    /// answered or dismissed), else a new one — or `None` when the customer is unknown,
    /// unsubscribed or in the quiet period. Showing the prompt counts as the contact.
    #[tracing::instrument(name = "invitations.widget_invitation", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn widget_invitation(
        &self,
        workspace_id: i64,
        survey_id: i64,
        customer_external_id: &str,
        language: &Language,
        now: DateTime<Utc>,
    ) -> Result<Option<Invitation>> {
        let mut tx = self.store.begin_write().await?;
        let Some(customer) = customer_in(&mut tx, workspace_id, customer_external_id).await? else {
            return Ok(None);
        };
        let open = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations WHERE customer_id = $1 AND survey_id = $2 \
             AND channel = 'widget' AND status = 'sent' AND answered_at IS NULL \
             AND sent_at >= $3 AND expires_at > $4 ORDER BY id DESC LIMIT 1"
        ))
        .bind(customer.id)
        .bind(survey_id)
        .bind(to_ts(now - Duration::days(1)))
        .bind(to_ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = open {
            return Ok(Some(invitation_from(&row)?));
        }
        let settings = settings_in(&mut tx, workspace_id).await?;
        let survey = survey_in(&mut tx, workspace_id, survey_id).await?;
        let req = InviteRequest {
            survey_id,
            channel: Channel::Widget,
            source: Source::Widget,
            schedule_id: None,
            event_id: None,
            send_at: now,
            sample_percent: 100,
        };
        let outcome =
            invite_in(&mut tx, &settings, language, &survey, &req, &customer, now).await?;
        let Some(id) = outcome.invitation_id else {
            return Ok(None);
        };
        // The prompt is in the visitor's language, whatever their record says.
        sqlx::query("UPDATE invitations SET language = $1 WHERE id = $2")
            .bind(language.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let inv = invitation_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(inv))
    }
}

impl Invitations<'_> {
    /// The workspace's own wording of invitations in a language (fields left out keep the
    /// built-in text).
    #[tracing::instrument(name = "invitations.text_overrides", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn text_overrides(
        &self,
        workspace_id: i64,
        language: &Language,
    ) -> Result<advocate_core::invitation::InvitationTextOverrides> {
        let mut conn = self.store.pool.acquire().await?;
        dispatch::invitation_text_overrides_in(&mut conn, workspace_id, language).await
    }

    /// Replaces the workspace's invitation wording for a language; empty overrides go
    /// back to the built-in texts.
    #[tracing::instrument(name = "invitations.set_texts", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_texts(
        &self,
        workspace_id: i64,
        language: &Language,
        overrides: &advocate_core::invitation::InvitationTextOverrides,
    ) -> Result<()> {
        if !advocate_core::i18n::is_supported(language) {
            return Err(StoreError::Invalid(format!(
                "language must be one of {}; got {language}",
                advocate_core::i18n::SUPPORTED.join(", ")
            )));
        }
        let json = serde_json::to_value(overrides).expect("texts serialise");
        for (field, value) in json.as_object().into_iter().flatten() {
            let Some(text) = value.as_str() else { continue };
            if text.trim().is_empty() || text.chars().count() > 2000 {
                return Err(StoreError::Invalid(format!(
                    "{field} must be between 1 and 2000 characters (leave it out to keep the built-in text)"
                )));
            }
            if field.starts_with("sms") && !text.contains("{link}") {
                return Err(StoreError::Invalid(format!(
                    "{field} must contain {{link}}, where the survey's short link goes"
                )));
            }
        }
        if json
            .as_object()
            .is_some_and(|o| o.values().any(|v| !v.is_null()))
        {
            sqlx::query(
                "INSERT INTO invitation_texts (workspace_id, language, texts, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, language) \
                 DO UPDATE SET texts = excluded.texts, updated_at = excluded.updated_at",
            )
            .bind(workspace_id)
            .bind(language.as_str())
            .bind(json.to_string())
            .bind(to_ts(Utc::now()))
            .execute(&self.store.writer)
            .await?;
        } else {
            sqlx::query("DELETE FROM invitation_texts WHERE workspace_id = $1 AND language = $2")
                .bind(workspace_id)
                .bind(language.as_str())
                .execute(&self.store.writer)
                .await?;
        }
        Ok(())
    }
}
