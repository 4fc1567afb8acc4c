//! The rule of every `PUT` and `PATCH` in the API, in one place.
//!
//! `PUT` replaces a resource: its body must name every field of the resource (`null`
//! clears an optional one), and a body with a field missing is refused with a 422 that
//! names every missing field, before anything changes ([`FullJson`]). `PATCH` is a JSON
//! merge patch (RFC 7396): a field left out keeps its value, a field sent changes, and
//! `null` clears an optional field or puts a required one back to its default
//! ([`MergePatch`], [`merged`]). A successful change hands the audit log the fields it
//! changed, before and after, with secrets masked ([`AuditDetail`], [`changes`]).

use super::json::{check_text, from_body, ApiJson};
use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::{RefOr, Schema};

/// A `PUT` body that names every field of `T` (every property of its API schema).
pub struct FullJson<T> {
    pub value: T,
}

impl<S: Send + Sync, T: DeserializeOwned + utoipa::ToSchema> FromRequest<S> for FullJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let raw = ApiJson::<Value>::from_request(req, state).await?.value;
        let parsed = from_body::<T>(raw.clone());
        // A field the resource does not have is named first (it may be a misspelt one).
        if let Err(e) = &parsed {
            if e.detail.contains("unknown field") {
                return Err(ApiError::unprocessable(e.detail.clone()));
            }
        }
        require_every_field::<T>(&raw)?;
        Ok(Self { value: parsed? })
    }
}

/// The property names of `T`'s API schema (the fields a `PUT` must send).
pub fn fields_of<T: utoipa::ToSchema>() -> Vec<String> {
    match T::schema() {
        RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Refuses a body that is not an object or leaves out any field of `T`.
pub fn require_every_field<T: utoipa::ToSchema>(raw: &Value) -> Result<(), ApiError> {
    let Value::Object(body) = raw else {
        return Err(ApiError::unprocessable(
            "request body must be a JSON object",
        ));
    };
    let missing: Vec<String> = fields_of::<T>()
        .into_iter()
        .filter(|f| !body.contains_key(f))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::unprocessable(format!(
        "missing field{} {}: PUT replaces the whole resource, so it needs every field \
         (null clears an optional one); nothing was changed. To change only some fields, \
         send them with PATCH",
        if missing.len() == 1 { "" } else { "s" },
        missing.join(", ")
    )))
}

/// A JSON merge patch (RFC 7396) body: an object of the fields to change.
pub struct MergePatch(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for MergePatch {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match ApiJson::<Value>::from_request(req, state).await?.value {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(ApiError::unprocessable(
                "a PATCH body must be a JSON object of the fields to change (JSON merge patch)",
            )),
        }
    }
}

/// `current` with `patch` applied: fields left out keep their value, objects merge
/// field by field, `null` clears an optional field and puts a required one back to its
/// value in `defaults` (refused when there is none). Unknown fields are refused by name.
pub fn merged<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: &MergePatch,
    defaults: Option<&T>,
) -> Result<T, ApiError> {
    check_text(&Value::Object(patch.0.clone()))?;
    let Value::Object(mut doc) = serde_json::to_value(current).expect("resource serialises") else {
        return Err(ApiError::internal(
            "a patched resource is not a JSON object",
        ));
    };
    let defaults = defaults.map(|d| serde_json::to_value(d).expect("resource serialises"));
    for (field, change) in &patch.0 {
        let Some(now) = doc.get_mut(field) else {
            return Err(ApiError::unprocessable(format!(
                "unknown field {field}; nothing was changed"
            )));
        };
        if change.is_null() {
            let mut trial = doc.clone();
            trial.insert(field.clone(), Value::Null);
            if serde_json::from_value::<T>(Value::Object(trial)).is_ok() {
                doc.insert(field.clone(), Value::Null);
            } else if let Some(default) = defaults.as_ref().and_then(|d| d.get(field)) {
                doc.insert(field.clone(), default.clone());
            } else {
                return Err(ApiError::unprocessable(format!(
                    "{field} cannot be null: it has no default; nothing was changed"
                )));
            }
        } else {
            merge_value(now, change);
        }
    }
    from_body(Value::Object(doc))
        .map_err(|e| ApiError::unprocessable(format!("{}; nothing was changed", e.detail)))
}

/// RFC 7396 below the top level: objects merge, `null` removes, anything else replaces.
fn merge_value(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_value(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// What the audit log records of a configuration change: the fields it changed.
#[derive(Debug, Clone)]
pub struct AuditDetail(pub String);

/// Fields whose values are secrets (a Slack URL carries its token): the audit log says
/// that they changed, never what they hold.
fn secret(field: &str) -> bool {
    ["secret", "password", "token", "webhook_url", "api_key"]
        .iter()
        .any(|s| field.contains(s))
}

fn shown(field: &str, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(not set)".to_owned(),
        Some(_) if secret(field) => "(secret)".to_owned(),
        Some(v) => v.to_string(),
    }
}

/// The fields that differ between two versions of a resource, `field: before → after`
/// separated by `; `, secrets masked; empty when nothing changed.
pub fn changes<T: Serialize>(before: &T, after: &T) -> String {
    let before = serde_json::to_value(before).unwrap_or(Value::Null);
    let after = serde_json::to_value(after).unwrap_or(Value::Null);
    let (Value::Object(b), Value::Object(a)) = (&before, &after) else {
        return String::new();
    };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| {
            let (was, is) = (b.get(k), a.get(k));
            if secret(k) && was.is_some_and(|v| !v.is_null()) && is.is_some_and(|v| !v.is_null()) {
                format!("{k}: (secret) → (another secret)")
            } else {
                format!("{k}: {} → {}", shown(k, was), shown(k, is))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A response carrying what changed, for the audit log written after the handler.
pub fn audited<R: axum::response::IntoResponse>(detail: String, r: R) -> axum::response::Response {
    let mut response = r.into_response();
    response.extensions_mut().insert(AuditDetail(detail));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        name: String,
        note: Option<String>,
        size: u32,
    }

    fn patch(v: Value) -> MergePatch {
        MergePatch(v.as_object().unwrap().clone())
    }

    #[test]
    fn put_names_every_missing_field() {
        let e = require_every_field::<Thing>(&json!({"size": 1})).unwrap_err();
        assert_eq!(e.status, 422);
        assert!(
            e.detail.starts_with("missing fields name, note:"),
            "{}",
            e.detail
        );
        assert!(
            require_every_field::<Thing>(&json!({"name": "a", "note": null, "size": 1})).is_ok()
        );
    }

    #[test]
    fn merge_patch_changes_only_what_it_names() {
        let now = Thing {
            name: "a".into(),
            note: Some("n".into()),
            size: 3,
        };
        let defaults = Thing {
            name: "d".into(),
            note: None,
            size: 7,
        };
        let t = merged(&now, &patch(json!({"size": 4})), Some(&defaults)).unwrap();
        assert_eq!(
            t,
            Thing {
                size: 4,
                ..Thing {
                    name: "a".into(),
                    note: Some("n".into()),
                    size: 0
                }
            }
        );
        let t = merged(
            &now,
            &patch(json!({"note": null, "size": null})),
            Some(&defaults),
        )
        .unwrap();
        assert_eq!(
            (t.note, t.size),
            (None, 7),
            "null clears an option and resets a value"
        );
        let e = merged(&now, &patch(json!({"size": null})), None).unwrap_err();
        assert!(e.detail.starts_with("size cannot be null"), "{}", e.detail);
        let e = merged(&now, &patch(json!({"colour": 1})), None).unwrap_err();
        assert!(e.detail.starts_with("unknown field colour"), "{}", e.detail);
    }

    #[test]
    fn changes_name_fields_and_mask_secrets() {
        let a = json!({"currency": "NOK", "slack_webhook_url": "https://hooks/x", "n": 1});
        let b = json!({"currency": "EUR", "slack_webhook_url": "https://hooks/y", "n": 1});
        assert_eq!(
            changes(&a, &b),
            "currency: \"NOK\" → \"EUR\"; slack_webhook_url: (secret) → (another secret)"
        );
        let c = json!({"currency": "EUR", "slack_webhook_url": null, "n": 1});
        assert_eq!(changes(&b, &c), "slack_webhook_url: (secret) → (not set)");
        assert_eq!(changes(&c, &c), "");
    }
}
