//! Every request has an id, returned in `X-Request-Id` and carried by every log line of
//! the request, so a user's report ("it failed at 10:02, request id …") leads to the logs.
//! A caller's own id (a load balancer's, say) is kept when it is a short plain token;
//! anything else is replaced, so a header cannot forge or break log lines.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-supplied id that is kept.
const MAX_LEN: usize = 64;

/// The request's id, for handlers and the log span.
#[derive(Debug, Clone)]
pub struct RequestId(pub HeaderValue);

impl RequestId {
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&HEADER)
        .filter(|v| acceptable(v.as_bytes()))
        .cloned()
        .unwrap_or_else(fresh);
    req.headers_mut().insert(HEADER, id.clone());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    response.headers_mut().insert(HEADER, id);
    response
}

fn acceptable(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// 16 random hex digits: unique enough to find one request in a day's logs.
fn fresh() -> HeaderValue {
    let n: u64 = rand::rng().random();
    HeaderValue::from_str(&format!("{n:016x}")).expect("hex is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_short_tokens_are_kept_and_anything_else_is_not() {
        assert!(acceptable(b"3f2a-lb.7:x_9"));
        assert!(!acceptable(b""));
        assert!(!acceptable(&[b'a'; MAX_LEN + 1]));
        assert!(!acceptable(b"a b"));
        assert!(!acceptable(b"id\"=forged"));
        assert!(acceptable(fresh().as_bytes()));
        assert_ne!(fresh(), fresh());
    }
}
