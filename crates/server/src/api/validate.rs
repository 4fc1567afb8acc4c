//! Turning request fields into domain values, with messages that name the field.

use crate::error::ApiError;
use advocate_core::{Label, Language};
use advocate_store::models::{Attributes, CustomerInput};
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A text field: trimmed, non-empty, at most `max` characters, following the text rule
/// ([`advocate_core::text::check`]).
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::unprocessable(format!(
            "{field} must not be empty"
        )));
    }
    if v.chars().count() > max {
        return Err(ApiError::unprocessable(format!(
            "{field} must be at most {max} characters"
        )));
    }
    advocate_core::text::check(v).map_err(|e| ApiError::unprocessable(format!("{field} {e}")))?;
    Ok(v.to_owned())
}

pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    value.map(|v| text(field, v, max)).transpose()
}

pub fn label(field: &str, value: &str) -> Result<Label, ApiError> {
    Label::new(value).map_err(|e| ApiError::unprocessable(format!("{field} {e}")))
}

pub fn language(field: &str, value: &str) -> Result<Language, ApiError> {
    Language::new(value).map_err(|e| ApiError::unprocessable(format!("{field} {e}")))
}

/// A customer as sent to the API, alone or inside an answer.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// Your id for this customer (CRM id, account number); unique in the workspace.
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Preferred language, e.g. "nb" or "de-AT".
    pub language: Option<String>,
    /// Segment attributes to break NPS down by, e.g. {"plan": "premium"}; merged into
    /// the stored ones.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Who follows this customer up.
    pub account_manager: Option<String>,
}

impl CustomerFields {
    /// Whether anything beyond the external id was sent (an inline upsert).
    pub fn has_details(&self) -> bool {
        self.name.is_some()
            || self.email.is_some()
            || self.phone.is_some()
            || self.language.is_some()
            || !self.attributes.is_empty()
            || self.account_manager.is_some()
    }

    pub fn parse(&self, prefix: &str) -> Result<CustomerInput, ApiError> {
        let f = |name: &str| format!("{prefix}{name}");
        let email = optional_text(&f("email"), self.email.as_deref(), 254)?;
        if let Some(e) = &email {
            if !looks_like_email(e) {
                return Err(ApiError::unprocessable(format!(
                    "{} must be an email address; got {e:?}",
                    f("email")
                )));
            }
        }
        let phone = optional_text(&f("phone"), self.phone.as_deref(), 32)?;
        if let Some(p) = &phone {
            let ok = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                && p.chars().filter(char::is_ascii_digit).count() >= 5;
            if !ok {
                return Err(ApiError::unprocessable(format!(
                    "{} must be a phone number such as +47 912 34 567; got {p:?}",
                    f("phone")
                )));
            }
        }
        let mut attributes = Attributes::new();
        if self.attributes.len() > 50 {
            return Err(ApiError::unprocessable(format!(
                "{} may hold at most 50 entries",
                f("attributes")
            )));
        }
        for (k, v) in &self.attributes {
            let key = label(&format!("{} key", f("attributes")), k)?;
            attributes.insert(key, text(&format!("{}.{k}", f("attributes")), v, 200)?);
        }
        Ok(CustomerInput {
            external_id: text(&f("external_id"), &self.external_id, 200)?,
            name: optional_text(&f("name"), self.name.as_deref(), 200)?,
            email,
            phone,
            language: self
                .language
                .as_deref()
                .map(|l| language(&f("language"), l))
                .transpose()?,
            attributes,
            account_manager: optional_text(
                &f("account_manager"),
                self.account_manager.as_deref(),
                200,
            )?,
        })
    }
}

/// A plausible email address: something@something.something, without spaces.
pub fn looks_like_email(e: &str) -> bool {
    e.split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        && !e.contains(char::is_whitespace)
}
