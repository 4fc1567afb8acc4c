//! Invitations: asking one customer on one channel, and everything that follows — the
//! signed link, opening, answering (once, changeable for a while), unsubscribing, and the
//! figures that say how many answered.
//!
//! Creating an invitation checks what can be known then (unsubscribed, no address,
//! sampling, one already waiting); sending it ([`dispatch`]) checks again, including the
//! quiet period, because a delayed invitation meets a customer who may have answered
//! elsewhere in between.
//!
//! Here are the invitation, its states and how it is read. Creating is in `create.rs`;
//! delivered, opened and answered in `tracking.rs`; unsubscribing in `unsubscribe.rs`;
//! response rates in `rates.rs`; the website widget in `widget.rs`; a workspace's own
//! wording in `texts.rs`.

mod create;
mod dispatch;
mod eligibility;
mod events;
mod history;
mod rates;
mod schedules;
mod texts;
mod tracking;
mod unsubscribe;
mod widget;

pub use crate::delivery::links::{
    invitation_of_sms_status_token, invitation_of_token, invitation_token, sms_status_token,
    unsubscribe_token, unsubscribed_customer_of_token,
};
pub(crate) use create::invite_in;
pub use create::{InvitationOutcome, InviteRequest};
pub use dispatch::DispatchReport;
pub use events::{EventOutcome, EventTrigger, NewEvent, TriggerInput, MAX_DELAY_MINUTES};
pub use history::PastInvitation;
pub use rates::ResponseRate;
pub use schedules::{Schedule, ScheduleInput, ScheduleReport};
pub use tracking::ANSWER_CHANGE_DAYS;

use crate::Invitations;
use crate::{from_ts, Result, StoreError};
use advocate_core::{Channel, Language};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

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
    /// The survey is paused or archived: it takes no answers, so nobody is asked.
    SurveyClosed,
}

impl SkipReason {
    /// Why, in words, after a count ("3 in the quiet period").
    pub fn in_words(self) -> &'static str {
        match self {
            Self::Unsubscribed => "unsubscribed",
            Self::NoEmail => "without an email address",
            Self::NoPhone => "without a phone number",
            Self::QuietPeriod => "in the quiet period",
            Self::SampledOut => "not in the sample",
            Self::AlreadyScheduled => "already waiting for an invitation",
            Self::Expired => "expired",
            Self::SurveyClosed => "for a paused or archived survey",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsubscribed => "unsubscribed",
            Self::NoEmail => "no_email",
            Self::NoPhone => "no_phone",
            Self::QuietPeriod => "quiet_period",
            Self::SampledOut => "sampled_out",
            Self::AlreadyScheduled => "already_scheduled",
            Self::Expired => "expired",
            Self::SurveyClosed => "survey_closed",
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
            Self::SurveyClosed,
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

/// Which invitations to list.
#[derive(Debug, Clone, Default)]
pub struct InvitationFilter {
    pub survey_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub status: Option<InvitationStatus>,
    pub limit: u32,
    pub offset: u32,
}

impl Invitations<'_> {
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
}
