//! The bodies of the invitation, event, schedule, trigger and wording endpoints.

use crate::api::values::{mirror_fields, Channel, InvitationStatus, Language, SkipReason, Source};
use advocate_core as core;
use advocate_store as store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
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

impl From<store::invitations::Invitation> for Invitation {
    fn from(x: store::invitations::Invitation) -> Self {
        Self {
            id: x.id,
            workspace_id: x.workspace_id,
            survey_id: x.survey_id,
            customer_id: x.customer_id,
            channel: x.channel.into(),
            language: x.language.into(),
            source: x.source.into(),
            send_at: x.send_at,
            status: x.status.into(),
            skip_reason: x.skip_reason.map(Into::into),
            sent_at: x.sent_at,
            delivered_at: x.delivered_at,
            opened_at: x.opened_at,
            answered_at: x.answered_at,
            reminded_at: x.reminded_at,
            answer_id: x.answer_id,
            short_code: x.short_code,
            expires_at: x.expires_at,
            created_at: x.created_at,
        }
    }
}

/// What happened to one customer of an invitation request.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<store::invitations::InvitationOutcome> for InvitationOutcome {
    fn from(x: store::invitations::InvitationOutcome) -> Self {
        Self {
            customer: x.customer,
            invitation_id: x.invitation_id,
            status: x.status.into(),
            skip_reason: x.skip_reason.map(Into::into),
            send_at: x.send_at,
            expires_at: x.expires_at,
        }
    }
}

/// Response figures of one survey on one channel.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<store::invitations::ResponseRate> for ResponseRate {
    fn from(x: store::invitations::ResponseRate) -> Self {
        Self {
            survey_id: x.survey_id,
            channel: x.channel.into(),
            sent: x.sent,
            delivered: x.delivered,
            opened: x.opened,
            answered: x.answered,
            response_rate: x.response_rate,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventTrigger {
    pub id: i64,
    /// The event name that sets it off.
    pub event: String,
    pub survey_id: i64,
    pub channel: Channel,
    pub delay_minutes: u32,
    pub sample_percent: u8,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<store::invitations::EventTrigger> for EventTrigger {
    fn from(x: store::invitations::EventTrigger) -> Self {
        Self {
            id: x.id,
            event: x.event.into(),
            survey_id: x.survey_id,
            channel: x.channel.into(),
            delay_minutes: x.delay_minutes,
            sample_percent: x.sample_percent,
            active: x.active,
            created_at: x.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOutcome {
    pub event_id: i64,
    /// True when this event had been received before (same external id): nothing new
    /// was scheduled.
    pub replayed: bool,
    pub invitations: Vec<InvitationOutcome>,
}

impl From<store::invitations::EventOutcome> for EventOutcome {
    fn from(x: store::invitations::EventOutcome) -> Self {
        Self {
            event_id: x.event_id,
            replayed: x.replayed,
            invitations: x.invitations.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    pub id: i64,
    pub survey_id: i64,
    pub channel: Channel,
    /// Length of the cycle: each customer is asked at most once in this many days.
    pub every_days: u32,
    /// Share of the customers due each day who are asked, 1–100.
    pub sample_percent: u8,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<store::invitations::Schedule> for Schedule {
    fn from(x: store::invitations::Schedule) -> Self {
        Self {
            id: x.id,
            survey_id: x.survey_id,
            channel: x.channel.into(),
            every_days: x.every_days,
            sample_percent: x.sample_percent,
            active: x.active,
            created_at: x.created_at,
        }
    }
}

/// A workspace's wording for one language: any text left out keeps the built-in one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationTextOverrides {
    pub subject: Option<String>,
    pub greeting: Option<String>,
    pub intro: Option<String>,
    pub question: Option<String>,
    pub low_label: Option<String>,
    pub high_label: Option<String>,
    pub footer: Option<String>,
    pub unsubscribe: Option<String>,
    pub reminder_subject: Option<String>,
    pub reminder_intro: Option<String>,
    pub sms: Option<String>,
    pub sms_reminder: Option<String>,
    pub open_survey: Option<String>,
}

mirror_fields!(
    InvitationTextOverrides,
    core::invitation::InvitationTextOverrides {
        subject,
        greeting,
        intro,
        question,
        low_label,
        high_label,
        footer,
        unsubscribe,
        reminder_subject,
        reminder_intro,
        sms,
        sms_reminder,
        open_survey,
    }
);
