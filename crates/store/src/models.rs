//! The rows Advocate stores, as the rest of the program sees them.

use advocate_core::customer::{Attributes, CustomerInput};
use advocate_core::field::IdempotencyKey;
use advocate_core::i18n::TextOverrides;
use advocate_core::{Channel, Label, Language, Rating, SurveyKind, SurveyStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

// Checked at the boundary by core's one parser for the API and imports.

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub default_language: Language,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    /// The first characters of the key, safe to show to tell keys apart.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<advocate_core::Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set when the key was revoked (or rotated away); a revoked key authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The person a personal key speaks for; `None` for a workspace key.
    pub owner: Option<KeyOwner>,
}

/// The person behind a personal API key, with their role in the key's workspace now:
/// the key can do no more than they can.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyOwner {
    pub user_id: i64,
    pub email: String,
    /// `None` once they are no longer a member (the key then authenticates nothing).
    pub role: Option<advocate_core::Role>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSurvey {
    pub slug: Label,
    pub kind: SurveyKind,
    pub name: String,
    pub touchpoint: Option<Label>,
    pub default_language: Language,
    /// Text overrides per language; anything not given uses the built-in texts.
    pub texts: BTreeMap<Language, TextOverrides>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    pub id: i64,
    pub workspace_id: i64,
    pub slug: String,
    /// The unguessable id in the survey's public link, `/s/{public_id}`.
    pub public_id: String,
    pub kind: SurveyKind,
    pub name: String,
    pub touchpoint: Option<String>,
    pub default_language: Language,
    pub texts: BTreeMap<Language, TextOverrides>,
    /// Only an active survey takes answers and invitations.
    pub status: SurveyStatus,
    pub created_at: DateTime<Utc>,
}

/// What to change in a survey: every field left `None` keeps its value. The slug and
/// public link never change (reports and printed QR codes name them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyChange {
    pub name: Option<String>,
    /// Refused once the survey has answers: they were given on the old scale.
    pub kind: Option<SurveyKind>,
    /// `Some(None)` clears the touchpoint.
    pub touchpoint: Option<Option<Label>>,
    pub default_language: Option<Language>,
    /// Per language named: `Some` replaces that language's texts, `None` removes them;
    /// languages not named keep theirs.
    pub texts: BTreeMap<Language, Option<TextOverrides>>,
    pub status: Option<SurveyStatus>,
}

impl Survey {
    /// The survey with `change` applied (in memory; [`crate::Surveys::update`] stores it,
    /// the editor's preview shows it unsaved).
    pub fn apply(&mut self, change: &SurveyChange) {
        if let Some(name) = &change.name {
            self.name.clone_from(name);
        }
        if let Some(kind) = change.kind {
            self.kind = kind;
        }
        if let Some(touchpoint) = &change.touchpoint {
            self.touchpoint = touchpoint.as_ref().map(|t| t.as_str().to_owned());
        }
        if let Some(lang) = &change.default_language {
            self.default_language = lang.clone();
        }
        for (lang, texts) in &change.texts {
            match texts {
                Some(t) => self.texts.insert(lang.clone(), t.clone()),
                None => self.texts.remove(lang),
            };
        }
        if let Some(status) = change.status {
            self.status = status;
        }
    }

    /// Whether the survey can be asked in `lang` as written: true unless it has its own
    /// question in some language but not in this one (then the built-in question would
    /// ask something else, so callers fall back to the survey's default language).
    pub fn speaks(&self, lang: &Language) -> bool {
        let custom = |l: &Language| self.texts.get(l).is_some_and(|t| t.question.is_some());
        custom(lang) || !self.texts.keys().any(custom)
    }

    /// `lang`, or the survey's default language when the survey does not speak it.
    pub fn language_for(&self, lang: Language) -> Language {
        if self.speaks(&lang) {
            lang
        } else {
            self.default_language.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub id: i64,
    pub workspace_id: i64,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<Language>,
    pub attributes: Attributes,
    pub account_manager: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the customer unsubscribed; from then on nothing is sent to them.
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

/// Who gave an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Respondent {
    Anonymous,
    /// An existing customer, by external id; unknown ids are rejected.
    Known(String),
    /// A customer created or updated from fields sent with the answer.
    Inline(CustomerInput),
}

/// An answer ready to store: every field already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnswer {
    pub workspace_id: i64,
    pub survey_id: i64,
    pub respondent: Respondent,
    /// Checked against the survey's scale where it arrived.
    pub score: Rating,
    pub comment: Option<String>,
    pub channel: Channel,
    /// Defaults to the survey's touchpoint when `None`.
    pub touchpoint: Option<Label>,
    /// Defaults to the customer's language when `None`.
    pub language: Option<Language>,
    pub answered_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub idempotency_key: Option<IdempotencyKey>,
    /// A digest of the request, to tell a retry from a different answer reusing a key.
    pub request_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub id: i64,
    pub workspace_id: i64,
    pub survey_id: i64,
    pub customer_id: Option<i64>,
    pub score: u8,
    pub comment: Option<String>,
    pub channel: String,
    pub touchpoint: Option<String>,
    pub language: Option<String>,
    pub answered_at: DateTime<Utc>,
    /// The customer's segment attributes when the answer was given.
    pub attributes: Attributes,
    pub external_id: Option<String>,
}

/// The outcome of recording an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub answer: Answer,
    /// True when this was a retry of an answer already stored (same key, same request).
    pub replayed: bool,
}

/// A review site promoters are asked to review the company on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewLink {
    pub name: String,
    pub url: String,
}

/// How a workspace closes the loop. Every field has a default, so a workspace that never
/// saved settings still gets cases, alerts and thank-yous; settings saved before a field
/// existed take its default when read (`reactions::settings_in`). In the API every field
/// is part of the resource: `PUT` sends them all, `PATCH` some.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
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
    pub sla_hours: advocate_core::SlaHours,
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

/// What an anonymous detractor answer sets off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnonymousDetractors {
    /// No case: nobody can be contacted. The answer is flagged for review in the comment
    /// stream and counted as "anonymous — learn, can't contact".
    #[default]
    Review,
    /// A case whose steps are about learning from the answer, none about contacting.
    Case,
}

impl AnonymousDetractors {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Case => "case",
        }
    }
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        Self {
            sender_email: None,
            sender_name: None,
            alerts_email: None,
            manager_email: None,
            slack_webhook_url: None,
            teams_webhook_url: None,
            default_queue: "Customer care".into(),
            passive_nudge: false,
            resurvey_after_resolution: false,
            review_links: Vec::new(),
            sla_hours: advocate_core::SlaHours::default(),
            currency: "EUR".into(),
            quiet_period_days: 90,
            reminder_after_days: Some(3),
            invitation_valid_days: 30,
            brand_color: "#0f766e".into(),
            logo_url: None,
            sms_sender: None,
            answer_retention_months: None,
            enps_min_group_size: 5,
            anonymous_detractors: AnonymousDetractors::Review,
            require_two_factor: false,
        }
    }
}

/// A routing rule: when every given condition matches the answer, the case goes to
/// `assignee`. Rules are tried in `position` order.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

impl RoutingRule {
    pub fn matches(&self, answer: &Answer) -> bool {
        let attr_ok = match (&self.attribute, &self.value) {
            (Some(a), v) => answer
                .attributes
                .iter()
                .any(|(k, val)| k.as_str() == a && v.as_ref().is_none_or(|v| v == val)),
            (None, _) => true,
        };
        attr_ok
            && self
                .touchpoint
                .as_ref()
                .is_none_or(|t| answer.touchpoint.as_ref() == Some(t))
            && self
                .language
                .as_ref()
                .is_none_or(|l| answer.language.as_ref() == Some(l))
    }
}

/// "Follow up at next contact": shown to anyone who talks to the customer until cleared
/// (set on the timeline, shown on the case too).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUp {
    pub note: String,
    pub set_at: DateTime<Utc>,
}
