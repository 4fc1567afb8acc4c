//! Small validated values: survey kinds, channels, languages and free-form labels.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("must be 1 to 64 characters of letters, digits, '_', '-' or '.'; got {0:?}")]
    BadLabel(String),
    #[error("must be one of {allowed}; got {got:?}")]
    NotOneOf { allowed: &'static str, got: String },
    #[error("must be a language tag such as \"en\", \"nb\" or \"de-AT\"; got {0:?}")]
    BadLanguage(String),
}

/// A short identifier chosen by the workspace: a touchpoint, a segment attribute, a slug.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl TryFrom<String> for Label {
    type Error = LabelError;
    fn try_from(s: String) -> Result<Self, LabelError> {
        Self::new(&s)
    }
}

impl From<Label> for String {
    fn from(l: Label) -> String {
        l.0
    }
}

impl Label {
    pub fn new(s: &str) -> Result<Self, LabelError> {
        let ok = (1..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(LabelError::BadLabel(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const ALLOWED: &'static str = concat!($($text, " "),+);

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self, LabelError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(LabelError::NotOneOf { allowed: Self::ALLOWED.trim_end(), got: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
/// For other closed sets in this crate (e.g. `contact::ContactChannel`).
pub(crate) use closed_set;

closed_set! {
    /// What a survey measures, which fixes its scale.
    SurveyKind { Nps => "nps", Enps => "enps", Csat => "csat" }
}

closed_set! {
    /// Whether a survey still collects answers: a paused one may be reactivated, an
    /// archived one is kept for its answers only. Both are closed to respondents.
    SurveyStatus { Active => "active", Paused => "paused", Archived => "archived" }
}

impl SurveyStatus {
    /// Whether respondents may still answer and invitations may still be sent.
    pub fn is_open(self) -> bool {
        self == SurveyStatus::Active
    }
}

closed_set! {
    /// How an answer reached Advocate.
    Channel {
        Email => "email", Sms => "sms", Web => "web", Widget => "widget",
        Kiosk => "kiosk", Api => "api", Import => "import",
    }
}

impl SurveyKind {
    /// The inclusive score range of this kind's scale.
    pub fn scale(self) -> (u8, u8) {
        match self {
            SurveyKind::Nps | SurveyKind::Enps => (0, 10),
            SurveyKind::Csat => (1, 5),
        }
    }

    /// Validates a raw score for this kind's scale.
    pub fn check_score(self, value: i64) -> Result<u8, crate::ScoreError> {
        match self {
            SurveyKind::Nps | SurveyKind::Enps => crate::Score::new(value).map(|s| s.value()),
            SurveyKind::Csat => crate::CsatScore::new(value).map(|s| s.value()),
        }
    }
}

/// A language as its primary subtag, lower-case: "nb-NO" and "NB" are both "nb".
/// The legacy "no" (Norwegian) is read as "nb" (bokmål).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl TryFrom<String> for Language {
    type Error = LabelError;
    fn try_from(s: String) -> Result<Self, LabelError> {
        Self::new(&s)
    }
}

impl From<Language> for String {
    fn from(l: Language) -> String {
        l.0
    }
}

impl Language {
    pub fn new(tag: &str) -> Result<Self, LabelError> {
        let mut parts = tag.split(['-', '_']);
        let primary = parts.next().unwrap_or_default().to_ascii_lowercase();
        let well_formed = (2..=3).contains(&primary.len())
            && primary.chars().all(|c| c.is_ascii_lowercase())
            && parts.all(|p| {
                (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if !well_formed {
            return Err(LabelError::BadLanguage(tag.to_owned()));
        }
        Ok(Self(if primary == "no" {
            "nb".into()
        } else {
            primary
        }))
    }

    pub fn english() -> Self {
        Self("en".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_sets_reject_with_the_allowed_values() {
        assert!(Label::new("renewal").is_ok());
        assert!(Label::new("").is_err());
        assert!(Label::new("a b").is_err());
        assert!(Label::new(&"x".repeat(65)).is_err());
        let err = Channel::parse("fax").unwrap_err().to_string();
        assert_eq!(
            err,
            "must be one of email sms web widget kiosk api import; got \"fax\""
        );
        assert_eq!(SurveyKind::parse("csat").unwrap().scale(), (1, 5));
        assert!(SurveyKind::Csat.check_score(0).is_err());
        assert_eq!(SurveyKind::Enps.check_score(10), Ok(10));
    }

    #[test]
    fn only_an_active_survey_is_open() {
        assert!(SurveyStatus::parse("active").unwrap().is_open());
        assert!(!SurveyStatus::Paused.is_open());
        assert!(!SurveyStatus::Archived.is_open());
        assert!(SurveyStatus::parse("closed").is_err());
    }

    #[test]
    fn languages_normalise_to_the_primary_subtag() {
        assert_eq!(Language::new("nb-NO").unwrap().as_str(), "nb");
        assert_eq!(Language::new("no").unwrap().as_str(), "nb");
        assert_eq!(Language::new("DE_at").unwrap().as_str(), "de");
        for bad in ["", "e", "english", "e1", "de-", "12"] {
            assert!(Language::new(bad).is_err(), "{bad}");
        }
    }
}
