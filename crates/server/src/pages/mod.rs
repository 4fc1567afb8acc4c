//! Server-rendered pages: the public survey, sign-in and the dashboard.

pub mod account;
mod alerts;
mod cases;
mod comments;
mod compare;
mod customers;
mod dashboard;
pub mod invitation;
mod kpis;
mod outbox;
pub mod return_path;
mod settings;
mod shares;
mod signin;
mod signin_code;
mod sms_status;
mod sso;
mod survey;
mod surveys;
mod team;
mod themes;
mod two_factor;
pub mod views;
mod widget;

use crate::access::Access::{Person, Public};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Dashboards;
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

pub use signin::RequireSignIn;

const STYLE: &str = include_str!("../../assets/style.css");
/// The tab icon: three bars in the detractor, passive and promoter colours.
const ICON: &str = include_str!("../../assets/icon.svg");

pub fn routes() -> Routes {
    Routes::new()
        .get("/", Public, || async { Redirect::to("/dashboard") })
        .get("/dashboard", Person(Dashboards), dashboard::show)
        .get("/compare", Person(Dashboards), compare::show)
        .get("/signin", Public, signin::form)
        .post("/signin", Public, signin::submit)
        .post("/signout", Person(Dashboards), signin::sign_out)
        .get("/signin/code", Public, signin_code::form)
        .post("/signin/code", Public, signin_code::submit)
        .get("/signin/sso", Public, sso::start)
        .get("/signin/sso/callback", Public, sso::callback)
        .get("/assets/style.css", Public, style)
        .get("/assets/icon.svg", Public, icon)
        // Asked for by browsers and feed readers whatever the page links to.
        .get("/favicon.ico", Public, icon)
        .post("/hooks/sms/{token}", Public, sms_status::callback)
        .merge(survey::routes())
        .merge(surveys::routes())
        .merge(cases::routes())
        .merge(invitation::routes())
        .merge(customers::routes())
        .merge(comments::routes())
        .merge(kpis::routes())
        .merge(themes::routes())
        .merge(outbox::routes())
        .merge(settings::routes())
        .merge(widget::routes())
        .merge(team::routes())
        .merge(account::routes())
        .merge(two_factor::routes())
        .merge(alerts::routes())
        .merge(shares::routes())
}

async fn icon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ICON,
    )
        .into_response()
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// An error a person meets on a page (bad link, bad form), shown on a small page in the
/// site's layout with a message that never reveals internals.
#[derive(Debug, Clone, Copy)]
pub struct PageError(pub StatusCode, pub &'static str);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = error_page(self.0, self.1.to_owned());
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, crate::error::RETRY_AFTER_SECS.into());
        }
        response
    }
}

impl PageError {
    /// A store failure, with what the person is told: `503` (and `Retry-After`) when the
    /// database cannot take the request now (disk full, lock held, connection lost),
    /// else a logged `500`. Neither shows internals.
    pub fn store(err: StoreError, message: &'static str) -> Self {
        if let StoreError::Unavailable(e) = &err {
            tracing::warn!(error = %e, "database unavailable; answered 503");
            return Self(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE);
        }
        tracing::error!(error = %err, "page failed");
        Self(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// A server-side failure of an operation the page shares with the API: 503 while the
    /// database cannot take writes, else logged and a generic 500.
    pub fn api(err: crate::error::ApiError) -> Self {
        if err.status == StatusCode::SERVICE_UNAVAILABLE {
            return Self(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE);
        }
        tracing::error!(error = %err.detail, "page failed");
        Self(StatusCode::INTERNAL_SERVER_ERROR, GENERIC)
    }
}

/// What a person is told when something failed on our side.
const GENERIC: &str = "Something went wrong; it has been logged. Try again shortly.";

/// What a person is told while the database cannot take writes.
const UNAVAILABLE: &str =
    "Advocate cannot save right now; nothing was changed. Try again in a few seconds.";

/// A store failure on a page, with the generic message (see [`PageError::store`]).
pub(crate) fn internal(err: StoreError) -> PageError {
    PageError::store(err, GENERIC)
}

/// A moment as pages show it in lists: to the minute, UTC.
pub(crate) fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// As [`when`], or nothing when there is no moment.
pub(crate) fn opt_when(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(when).unwrap_or_default()
}

/// "promoter" / "passive" / "detractor" for NPS-scale scores, for colouring.
pub(crate) fn score_class(score: u8) -> &'static str {
    match advocate_core::Score::new(i64::from(score)).map(|s| s.category()) {
        Ok(advocate_core::Category::Promoter) => "promoter",
        Ok(advocate_core::Category::Passive) => "passive",
        Ok(advocate_core::Category::Detractor) => "detractor",
        Err(_) => "",
    }
}

/// The signed-in person's workspace; its name heads every signed-in page.
pub(crate) async fn workspace_of(
    state: &AppState,
    workspace_id: i64,
) -> Result<advocate_store::models::Workspace, PageError> {
    state
        .store
        .workspaces()
        .get(workspace_id)
        .await
        .map_err(internal)?
        .ok_or(PageError(
            StatusCode::NOT_FOUND,
            "Your workspace no longer exists.",
        ))
}

/// A [`PageError`] whose message is made at run time (one naming a form field).
pub fn error_page(status: StatusCode, message: String) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => "Try again shortly",
        s if s.is_server_error() => "Something went wrong",
        _ => "This did not work",
    };
    (status, ErrorPage { heading, message }).into_response()
}

/// The page an error is shown on: the site's layout at any width, the message in words.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    heading: &'static str,
    message: String,
}

/// Refuses form posts sent from another site (defence in depth next to SameSite cookies):
/// when the browser says where the form came from, it must be this host.
pub fn same_origin(headers: &HeaderMap) -> Result<(), PageError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    if origin_host == host {
        Ok(())
    } else {
        Err(PageError(
            StatusCode::FORBIDDEN,
            "This form was sent from another site and was refused.",
        ))
    }
}
