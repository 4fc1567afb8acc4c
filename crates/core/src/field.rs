//! Fields as they enter Advocate (an API body, a form, a CSV row), parsed into domain values
//! by one set of rules for the server and the CLI alike. A refusal is an [`Invalid`] whose
//! message names the field; the server answers it with a 4xx, the CLI lists it by line.

use crate::text::{self, ControlCharacter};
use crate::{Channel, Label, Language, Rating, SurveyKind};
use std::fmt;

/// A value refused where it entered, with a message that names the field, e.g.
/// "comment must be at most 5000 characters". Messages are shown to users as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }

    pub fn into_message(self) -> String {
        self.0
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// Non-empty once trimmed, at most `max` characters, following `rule`.
fn check_with(
    field: &str,
    value: &str,
    max: usize,
    rule: fn(&str) -> Result<(), ControlCharacter>,
) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(Invalid(format!("{field} must be at most {max} characters")));
    }
    rule(value).map_err(|e| Invalid(format!("{field} {e}")))
}

/// A text field that may run over several lines (a comment, a note): trimmed, non-empty,
/// at most `max` characters, following the text rule ([`text::check`]).
pub fn text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    check_with(field, v, max, text::check)?;
    Ok(v.to_owned())
}

pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, Invalid> {
    value.map(|v| text(field, v, max)).transpose()
}

/// A one-line field (a name, an id, an assignee): as [`text`], on one line
/// ([`text::check_line`]).
pub fn line(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    check_with(field, v, max, text::check_line)?;
    Ok(v.to_owned())
}

/// Checks a one-line value that is kept exactly as given (not trimmed): non-empty once
/// trimmed, at most `max` characters, no control characters.
pub fn check_line(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    check_with(field, value, max, text::check_line)
}

/// Text that may be empty (an empty value clears a field): trimmed, at most `max`
/// characters, following the text rule.
pub fn up_to(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(Invalid(format!("{field} must be at most {max} characters")));
    }
    text::check(v).map_err(|e| Invalid(format!("{field} {e}")))?;
    Ok(v.to_owned())
}

pub fn label(field: &str, value: &str) -> Result<Label, Invalid> {
    Label::new(value).map_err(|e| Invalid(format!("{field} {e}")))
}

pub fn language(field: &str, value: &str) -> Result<Language, Invalid> {
    Language::new(value).map_err(|e| Invalid(format!("{field} {e}")))
}

pub fn channel(field: &str, value: &str) -> Result<Channel, Invalid> {
    Channel::parse(value).map_err(|e| Invalid(format!("{field} {e}")))
}

/// A score on the survey's scale, read exactly as JSON gives it: an integer, not a float
/// (7.5 or 9.0), string ("9") or null. A CSV cell is read as the JSON it looks like first.
pub fn score(kind: SurveyKind, value: &serde_json::Value) -> Result<Rating, Invalid> {
    let (min, max) = kind.scale();
    let got = match value.as_i64() {
        Some(n) if value.is_i64() || value.is_u64() => {
            return Rating::new(kind, n).map_err(|e| Invalid(e.to_string()))
        }
        _ => match value {
            serde_json::Value::String(s) => format!("the string {s:?}"),
            serde_json::Value::Null => "null".to_owned(),
            other => other.to_string(),
        },
    };
    Err(Invalid(format!(
        "score must be an integer from {min} to {max}; got {got}"
    )))
}

/// A client's key that makes retrying a write safe: the same key and the same request
/// give back the answer already stored, never a second one. Any 1 to 255 visible ASCII
/// characters (space and tab included), which is what an HTTP header carries as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &[u8]) -> Result<Self, Invalid> {
        let visible = |b: &u8| (0x20..0x7f).contains(b) || *b == b'\t';
        match std::str::from_utf8(value) {
            Ok(key) if (1..=255).contains(&key.len()) && value.iter().all(visible) => {
                Ok(Self(key.to_owned()))
            }
            _ => Err(Invalid(
                "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
            )),
        }
    }

    /// The key of the answer given through an invitation: one answer per invitation,
    /// however often its page is submitted.
    pub fn of_invitation(invitation_id: i64) -> Self {
        Self(format!("invitation:{invitation_id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_visible_ascii_up_to_255_bytes() {
        assert_eq!(
            IdempotencyKey::parse(b"order-17 retry\t2")
                .unwrap()
                .as_str(),
            "order-17 retry\t2"
        );
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_ok());
        for bad in [
            &b""[..],
            &[b'k'; 256],
            b"caf\xc3\xa9",
            b"new\nline",
            b"\x7f",
        ] {
            assert_eq!(
                refused(IdempotencyKey::parse(bad)),
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
                "{bad:?}"
            );
        }
    }

    fn refused(r: Result<impl fmt::Debug, Invalid>) -> String {
        r.unwrap_err().into_message()
    }

    #[test]
    fn text_is_trimmed_and_keeps_line_breaks() {
        assert_eq!(
            text("comment", "  one\r\ntwo\t \n", 50).unwrap(),
            "one\r\ntwo"
        );
        assert_eq!(optional_text("comment", None, 5), Ok(None));
    }

    #[test]
    fn refusals_name_the_field() {
        assert_eq!(
            refused(text("comment", " \n ", 5)),
            "comment must not be empty"
        );
        assert_eq!(
            refused(text("comment", "abcdef", 5)),
            "comment must be at most 5 characters"
        );
        assert_eq!(
            refused(text("comment", "a\0b", 5)),
            "comment must not contain control characters (found U+0000)"
        );
        assert_eq!(
            refused(line("assignee", "a\nb", 5)),
            "assignee must not contain control characters (found U+000A)"
        );
        assert_eq!(
            refused(label("touchpoint", "a b")),
            format!("touchpoint {}", Label::new("a b").unwrap_err())
        );
        assert!(refused(language("language", "english")).starts_with("language "));
    }

    #[test]
    fn the_length_counts_characters_not_bytes() {
        assert_eq!(text("name", "æøå", 3).unwrap(), "æøå");
        assert!(text("name", "æøåx", 3).is_err());
    }

    #[test]
    fn a_line_kept_as_given_is_checked_whole() {
        assert_eq!(check_line("name", "Kari", 10), Ok(()));
        // Not trimmed: a trailing line break is refused rather than silently kept.
        assert!(check_line("name", "Kari\n", 10).is_err());
        assert_eq!(
            refused(check_line("name", "  ", 10)),
            "name must not be empty"
        );
    }

    #[test]
    fn a_score_is_an_integer_on_the_scale() {
        use serde_json::json;
        assert_eq!(score(SurveyKind::Nps, &json!(0)).map(Rating::value), Ok(0));
        assert_eq!(score(SurveyKind::Csat, &json!(5)).map(Rating::value), Ok(5));
        let msg = |kind, v| refused(score(kind, &v));
        assert_eq!(
            msg(SurveyKind::Nps, json!(11)),
            "score must be an integer from 0 to 10; got 11"
        );
        assert_eq!(
            msg(SurveyKind::Csat, json!(0)),
            "score must be an integer from 1 to 5; got 0"
        );
        assert_eq!(
            msg(SurveyKind::Nps, json!(9.0)),
            "score must be an integer from 0 to 10; got 9.0"
        );
        assert_eq!(
            msg(SurveyKind::Nps, json!("9")),
            "score must be an integer from 0 to 10; got the string \"9\""
        );
        assert_eq!(
            msg(SurveyKind::Nps, json!(null)),
            "score must be an integer from 0 to 10; got null"
        );
    }

    #[test]
    fn up_to_allows_empty_for_clearing() {
        assert_eq!(up_to("compensation", "  ", 5).unwrap(), "");
        assert_eq!(
            refused(up_to("compensation", "abcdef", 5)),
            "compensation must be at most 5 characters"
        );
    }
}
