//! The text rule ([`advocate_core::text`]) on everything a request carries outside a JSON
//! body (which [`crate::api::json::check_text`] checks): path parameters, query parameters
//! and form fields, for every route at once, before a handler or the database sees them.
//! A refusal names the field; PostgreSQL would otherwise answer NUL with an error (a 500).

use crate::access::FORM_LIMIT;
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Fields with a rule of their own that repairs rather than refuses: the return path after
/// sign-in falls back to the dashboard ([`crate::pages::return_path`]), so a bad link never
/// stops anyone from signing in.
const OWN_RULE: &[&str] = &["next"];

pub async fn check(req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let json = answers_json(parts.uri.path());
    let refuse = |status: StatusCode, field: &str, e: advocate_core::text::ControlCharacter| {
        let detail = format!("{field} {e}");
        if json {
            ApiError::new(status, detail).into_response()
        } else {
            crate::pages::error_page(status, detail)
        }
    };
    // A parameter that is not UTF-8 is refused by the handler's own extractor.
    if let Ok(params) = RawPathParams::from_request_parts(&mut parts, &()).await {
        for (name, value) in &params {
            if let Err(e) = advocate_core::text::check(value) {
                return refuse(StatusCode::BAD_REQUEST, name, e);
            }
        }
    }
    if let Some((field, e)) = parts.uri.query().and_then(|q| refused_field(q.as_bytes())) {
        return refuse(StatusCode::BAD_REQUEST, &field, e);
    }
    if !is_form(&parts.headers) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return refuse_too_large();
    };
    if let Some((field, e)) = refused_field(&bytes) {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, &field, e);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Routes whose callers read problem+json: the API and the embedded widget.
fn answers_json(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/w/")
}

fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

fn refuse_too_large() -> Response {
    crate::pages::error_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "This form is too large.".into(),
    )
}

/// The first name or value of an `application/x-www-form-urlencoded` list (a query or a
/// form) that breaks the rule, with the field it belongs to.
fn refused_field(encoded: &[u8]) -> Option<(String, advocate_core::text::ControlCharacter)> {
    let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded).ok()?;
    pairs.into_iter().find_map(|(name, value)| {
        if let Err(e) = advocate_core::text::check(&name) {
            return Some(("a field name".to_owned(), e));
        }
        if OWN_RULE.contains(&name.as_str()) {
            return None;
        }
        advocate_core::text::check(&value).err().map(|e| (name, e))
    })
}

#[cfg(test)]
mod tests {
    use super::refused_field;

    #[test]
    fn names_the_first_field_that_breaks_the_rule() {
        let (field, e) = refused_field(b"email=a%40b.example&password=x%00y").unwrap();
        assert_eq!(field, "password");
        assert_eq!(e.0, '\0');
        assert_eq!(refused_field(b"q%0Bx=1").unwrap().0, "a field name");
    }

    #[test]
    fn line_breaks_and_the_return_path_pass() {
        assert!(refused_field(b"note=one%0D%0Atwo%09three").is_none());
        // The return path has a rule of its own (it falls back to the dashboard).
        assert!(refused_field(b"email=a%40b.example&next=%0D%0A").is_none());
    }
}
