//! A JSON body extractor whose errors name the problem precisely, as problem+json.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
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
        let canonical = serde_json::to_vec(&raw).expect("JSON value serialises");
        let digest = format!("{:x}", Sha256::digest(&canonical));
        let value = serde_json::from_value(raw)
            .map_err(|e| ApiError::unprocessable(format!("request body: {e}")))?;
        Ok(Self { value, digest })
    }
}
