//! Security headers on every response, set in one layer (see [`crate::app`]).
//!
//! - `Content-Security-Policy`: scripts, styles and images only from Advocate itself and no
//!   inline script or style at all — the templates carry none, charts are SVG with classes
//!   (no `style=`), so an injected `<script>` or `onerror=` in a comment could not run even
//!   if escaping failed. `/docs` (Swagger UI) gets `data:` images and inline styles, which
//!   its stylesheet and React need; it shows no user content.
//! - `frame-ancestors 'none'` and `X-Frame-Options: DENY` everywhere but the survey
//!   editor's preview: the in-app widget is injected into the host page's DOM by
//!   `/widget.js` (a shadow root, no iframe), so no page needs to be framed by another
//!   site. The preview (`/surveys/{id}/preview`, `/surveys/new/preview…`) is shown in a
//!   frame of the editor itself, so it alone gets `frame-ancestors 'self'` and
//!   `X-Frame-Options: SAMEORIGIN` — framed by Advocate's own pages, never by another site. `widget.js` and the QR images are marked
//!   `Cross-Origin-Resource-Policy: cross-origin` so that other sites may load them even
//!   with `Cross-Origin-Embedder-Policy` on; `/w/*` is opened to other origins by CORS.
//! - `Referrer-Policy: same-origin`: survey, invitation and follow-up links carry tokens in
//!   the URL, and no URL of Advocate is ever sent to another site. Not `no-referrer`: with
//!   it browsers send `Origin: null` on the page's own form posts, which the same-origin
//!   check of the forms (`pages::same_origin`) must refuse.
//! - `Strict-Transport-Security` only when Advocate is served over HTTPS (public URL
//!   `https://…` or secure cookies); over plain HTTP it would lock browsers out.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of every page.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The survey editor's preview: the same policy, framed by Advocate's own pages only.
const PREVIEW_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'self'";

/// Swagger UI at `/docs`: its stylesheet uses `data:` images and React sets inline styles.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HSTS: &str = "max-age=31536000";

const CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

/// Whether browsers should be told to use HTTPS only.
pub fn https(state: &AppState) -> bool {
    state.config.secure_cookies || state.store.public_url().starts_with("https://")
}

/// Resources other websites load: the widget script and the QR images of a survey.
fn embeddable(path: &str) -> bool {
    path == "/widget.js"
        || (path.starts_with("/s/") && (path.ends_with("/qr.svg") || path.ends_with("/qr.png")))
}

/// The survey editor's preview, which the editor shows in a frame.
fn framed_by_the_editor(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts[..] {
        ["surveys", "new", "preview", ..] => parts.len() <= 4,
        ["surveys", id, "preview"] => !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

/// Adds the headers; a header a handler set itself is left as it is.
pub async fn headers(State(https): State<bool>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    let framed = framed_by_the_editor(&path);
    let csp = if path == "/docs" || path.starts_with("/docs/") {
        DOCS_CSP
    } else if framed {
        PREVIEW_CSP
    } else {
        CSP
    };
    let mut set = [
        (CONTENT_SECURITY_POLICY, csp),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, if framed { "SAMEORIGIN" } else { "DENY" }),
        (REFERRER_POLICY, "same-origin"),
    ]
    .to_vec();
    if https {
        set.push((STRICT_TRANSPORT_SECURITY, HSTS));
    }
    if embeddable(&path) {
        set.push((CORP, "cross-origin"));
    }
    let h = response.headers_mut();
    for (name, value) in set {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_widget_script_and_qr_images_are_embeddable() {
        assert!(embeddable("/widget.js"));
        assert!(embeddable("/s/abc/qr.svg"));
        assert!(embeddable("/s/abc/qr.png"));
        assert!(!embeddable("/s/abc"));
        assert!(!embeddable("/dashboard"));
        assert!(!embeddable("/w/abc/prompt"));
    }

    #[test]
    fn only_the_editors_preview_may_be_framed_and_only_by_advocate() {
        assert!(framed_by_the_editor("/surveys/12/preview"));
        assert!(framed_by_the_editor("/surveys/new/preview"));
        assert!(framed_by_the_editor("/surveys/new/preview/csat"));
        for path in [
            "/surveys/12",
            "/surveys/new",
            "/surveys/12/preview/x",
            "/surveys/12/previews",
            "/surveys//preview",
            "/surveys/x/preview",
            "/surveys/new/preview/csat/x",
            "/s/abc/preview",
            "/dashboard",
        ] {
            assert!(!framed_by_the_editor(path), "{path}");
        }
        // The same policy as every page's but for who may frame it.
        assert!(PREVIEW_CSP.ends_with("frame-ancestors 'self'"));
        assert_eq!(
            PREVIEW_CSP.trim_end_matches("'self'"),
            CSP.trim_end_matches("'none'")
        );
    }
}
