//! The bodies of the settings, playbook and routing-rule endpoints.

use crate::api::values::{mirror_fields, AnonymousDetractors, Priority};
use advocate_core as core;
use advocate_store as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a workspace closes the loop. Every field has a default, so a workspace that never
/// saved settings still gets cases, alerts and thank-yous; settings saved before a field
/// existed take its default when read (`reactions::settings_in`). In the API every field
/// is part of the resource: `PUT` sends them all, `PATCH` some.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSettings {
    /// From address of every email; `advocate@localhost` when not set.
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    /// Team inbox for alerts whose assignee is not an email address (a queue or a name).
    pub alerts_email: Option<String>,
    /// Who is told when a case misses its SLA.
    pub manager_email: Option<String>,
    /// Slack-compatible incoming webhook for detractor alerts.
    pub slack_webhook_url: Option<String>,
    /// Microsoft Teams incoming webhook for detractor alerts (an Adaptive Card each).
    pub teams_webhook_url: Option<String>,
    /// Assignee of cases no account manager or routing rule claims.
    pub default_queue: String,
    /// Ask passives (7–8) by email what would make it a 9 or 10.
    pub passive_nudge: bool,
    /// Ask the customer again after their case is resolved, to measure recovery.
    pub resurvey_after_resolution: bool,
    pub review_links: Vec<ReviewLink>,
    pub sla_hours: SlaHours,
    /// ISO 4217 code every money figure is reported in (orders in other currencies must
    /// carry their amount in this one too).
    pub currency: String,
    /// No new invitation to a person within this many days of their last one, across
    /// every survey and channel.
    pub quiet_period_days: u32,
    /// One reminder this many days after an unanswered invitation; `None` sends none.
    pub reminder_after_days: Option<u32>,
    /// How long an invitation link can be answered.
    pub invitation_valid_days: u32,
    /// Brand colour of invitation emails, `#RRGGBB`.
    pub brand_color: String,
    /// Logo shown at the top of invitation emails (an https URL the company hosts).
    pub logo_url: Option<String>,
    /// SMS sender: a phone number in E.164 or an alphanumeric sender id.
    pub sms_sender: Option<String>,
    /// Answers older than this many months are anonymised (comment, customer link and
    /// attribute snapshot removed; the counts stay). `None` keeps them forever.
    pub answer_retention_months: Option<u32>,
    /// eNPS reports show no breakdown for a group of fewer answers than this.
    pub enps_min_group_size: u32,
    /// What an anonymous detractor (no customer to contact) sets off: `review` (no case;
    /// the answer is flagged for review in the comment stream) or `case` (a case without
    /// contact steps).
    pub anonymous_detractors: AnonymousDetractors,
    /// Every member must sign in with a second factor (an authenticator app's code): one
    /// who has none is sent to set it up before any other page. API keys are unaffected.
    pub require_two_factor: bool,
}

mirror_fields!(
    WorkspaceSettings,
    store::models::WorkspaceSettings {
        sender_email,
        sender_name,
        alerts_email,
        manager_email,
        slack_webhook_url,
        teams_webhook_url,
        default_queue,
        passive_nudge,
        resurvey_after_resolution,
        review_links: each,
        sla_hours: into,
        currency,
        quiet_period_days,
        reminder_after_days,
        invitation_valid_days,
        brand_color,
        logo_url,
        sms_sender,
        answer_retention_months,
        enps_min_group_size,
        anonymous_detractors: into,
        require_two_factor,
    }
);

/// A review site promoters are asked to review the company on.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewLink {
    pub name: String,
    pub url: String,
}

impl From<store::models::ReviewLink> for ReviewLink {
    fn from(x: store::models::ReviewLink) -> Self {
        Self {
            name: x.name,
            url: x.url,
        }
    }
}

impl From<ReviewLink> for store::models::ReviewLink {
    fn from(x: ReviewLink) -> Self {
        Self {
            name: x.name,
            url: x.url,
        }
    }
}

/// Hours allowed until first contact, per priority.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaHours {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub normal: u32,
}

impl From<core::SlaHours> for SlaHours {
    fn from(x: core::SlaHours) -> Self {
        Self {
            critical: x.critical,
            high: x.high,
            medium: x.medium,
            normal: x.normal,
        }
    }
}

impl From<SlaHours> for core::SlaHours {
    fn from(x: SlaHours) -> Self {
        Self {
            critical: x.critical,
            high: x.high,
            medium: x.medium,
            normal: x.normal,
        }
    }
}

/// The playbook a score uses, as a new answer would get it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectivePlaybook {
    pub score: u8,
    /// The language asked for; `None` when the all-languages playbook was asked for.
    pub language: Option<String>,
    pub steps: Vec<String>,
    /// Set for detractor scores (0–6): cases are opened with it.
    pub priority: Option<Priority>,
    /// Whether the workspace changed it (for this language or for all languages).
    pub customized: bool,
}

impl From<store::tenancy::settings::EffectivePlaybook> for EffectivePlaybook {
    fn from(x: store::tenancy::settings::EffectivePlaybook) -> Self {
        Self {
            score: x.score,
            language: x.language,
            steps: x.steps,
            priority: x.priority.map(Into::into),
            customized: x.customized,
        }
    }
}

/// A routing rule: when every given condition matches the answer, the case goes to
/// `assignee`. Rules are tried in `position` order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingRule {
    pub id: i64,
    pub position: i64,
    /// Segment attribute and value to match, e.g. plan = business.
    pub attribute: Option<String>,
    pub value: Option<String>,
    pub touchpoint: Option<String>,
    pub language: Option<String>,
    pub assignee: String,
}

impl From<store::models::RoutingRule> for RoutingRule {
    fn from(x: store::models::RoutingRule) -> Self {
        Self {
            id: x.id,
            position: x.position,
            attribute: x.attribute,
            value: x.value,
            touchpoint: x.touchpoint,
            language: x.language,
            assignee: x.assignee,
        }
    }
}
