//! The rows Advocate stores, as the rest of the program sees them.

use advocate_core::i18n::TextOverrides;
use advocate_core::{Channel, Label, Language, SurveyKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Segment attributes of a customer (plan, region, …): attribute name → value.
pub type Attributes = BTreeMap<Label, String>;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    /// The first characters of the key, safe to show to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
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

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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
    #[schema(value_type = BTreeMap<String, TextOverrides>)]
    pub texts: BTreeMap<Language, TextOverrides>,
    pub created_at: DateTime<Utc>,
}

/// Customer fields as given by the API or an import; `None` leaves a stored value as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerInput {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<Language>,
    /// Merged into the stored attributes (given keys replace stored ones).
    pub attributes: Attributes,
    pub account_manager: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    pub workspace_id: i64,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<Language>,
    #[schema(value_type = BTreeMap<String, String>)]
    pub attributes: Attributes,
    pub account_manager: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
    /// Already checked against the survey's scale.
    pub score: u8,
    pub comment: Option<String>,
    pub channel: Channel,
    /// Defaults to the survey's touchpoint when `None`.
    pub touchpoint: Option<Label>,
    /// Defaults to the customer's language when `None`.
    pub language: Option<Language>,
    pub answered_at: DateTime<Utc>,
    pub external_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// A digest of the request, to tell a retry from a different answer reusing a key.
    pub request_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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
    #[schema(value_type = BTreeMap<String, String>)]
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
