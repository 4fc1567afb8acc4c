//! A JSON body extractor whose errors name the problem precisely, as problem+json.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A parsed JSON body, plus a digest of its canonical form (keys sorted, whitespace
/// dropped) that tells a retried request from a different one.
pub struct ApiJson<T> {
    pub value: T,
    pub digest: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body is larger than the limit of {} bytes",
                    crate::API_BODY_LIMIT
                ),
            ),
            other => ApiError::bad_request(other.body_text()),
        })?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request(
                "request body is empty; send a JSON object",
            ));
        }
        let raw: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("request body is not valid JSON: {e}")))?;
        check_text(&raw)?;
        let canonical = serde_json::to_vec(&raw).expect("JSON value serialises");
        let digest = format!("{:x}", Sha256::digest(&canonical));
        let value = from_body(raw)?;
        Ok(Self { value, digest })
    }
}

/// A request type from a JSON body; a value of the wrong type or out of range is a 422
/// that names its field (`sla_hours.critical: invalid value: integer -1, expected u32`).
pub fn from_body<T: DeserializeOwned>(raw: Value) -> Result<T, ApiError> {
    // Every typed body is an object; serde would also read a struct from an array.
    let object = raw.is_object();
    serde_path_to_error::deserialize(raw).map_err(|e| {
        let field = e.path().to_string();
        let what = e.into_inner();
        match (object, field.as_str()) {
            (false, _) => ApiError::unprocessable(format!(
                "request body must be a JSON object ({what} at {field})"
            )),
            (true, ".") => ApiError::unprocessable(format!("request body: {what}")),
            (true, _) => ApiError::unprocessable(format!("{field}: {what}")),
        }
    })
}

/// Every string of a JSON body, object keys included, follows the text rule
/// ([`advocate_core::text::check`]); checked on the whole document, before it becomes a
/// request type, so that no field of any endpoint is missed. The error names the field,
/// e.g. `customer.name` or `customers[2].external_id`.
pub fn check_text(body: &Value) -> Result<(), ApiError> {
    match refused(body) {
        None => Ok(()),
        Some((mut path, e)) => {
            path.reverse();
            let field = if path.is_empty() {
                "the request body".to_owned()
            } else {
                path.concat().trim_start_matches('.').trim().to_owned()
            };
            Err(ApiError::unprocessable(format!("{field} {e}")))
        }
    }
}

/// The first string that breaks the rule: its path (innermost segment first, built only
/// on the way out of an error) and the character.
fn refused(v: &Value) -> Option<(Vec<String>, advocate_core::text::ControlCharacter)> {
    let check = advocate_core::text::check;
    match v {
        Value::String(s) => check(s).err().map(|e| (Vec::new(), e)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            refused(item).map(|(mut path, e)| {
                path.push(format!("[{i}]"));
                (path, e)
            })
        }),
        Value::Object(fields) => fields.iter().find_map(|(k, item)| {
            if let Err(e) = check(k) {
                return Some((vec![" keys".to_owned()], e));
            }
            refused(item).map(|(mut path, e)| {
                path.push(format!(".{k}"));
                (path, e)
            })
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::check_text;
    use serde_json::json;

    fn detail(v: serde_json::Value) -> String {
        check_text(&v).unwrap_err().detail
    }

    #[test]
    fn the_refused_field_is_named_by_its_path() {
        assert!(detail(json!({"note": "a\u{0}b"})).starts_with("note must not contain"));
        assert!(detail(json!({"customer": {"name": "\u{b}"}})).starts_with("customer.name "));
        assert!(
            detail(json!({"customers": [{"external_id": "ok"}, {"external_id": "\u{0}"}]}))
                .starts_with("customers[1].external_id ")
        );
        assert!(detail(json!({"attributes": {"pl\u{0}an": "pro"}})).starts_with("attributes keys "));
        assert!(detail(json!("\u{0}")).starts_with("the request body "));
    }

    #[test]
    fn line_breaks_and_other_values_pass() {
        let ok = json!({"comment": "line one\r\nline two\ttab", "score": 7, "tags": ["a", null]});
        assert!(check_text(&ok).is_ok());
    }
}
