//! Read-only share links of a dashboard view: made from the dashboard's "Share this view",
//! listed and revoked on `/dashboard/shares`, opened by anyone at `/shared/{token}`. The
//! visitor gets the view's figures and charts only (see `dashboard::Audience::Shared`);
//! making and revoking a link is written to the audit log.

use super::dashboard::{self, Audience};
use super::signin::RequireSignIn;
use super::views::encode;
use super::{error_page, internal, PageError};
use crate::access::Access::{Person, Public};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::Export;
use advocate_store::insight::shares::{DashboardShare, MAX_DAYS};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;

pub fn routes() -> Routes {
    Routes::new()
        .get("/dashboard/shares", Person(Export), list)
        .post("/dashboard/shares", Person(Export), create)
        .post("/dashboard/shares/{id}/revoke", Person(Export), revoke)
        .get("/shared/{token}", Public, open)
}

/// The longest stored view (a dashboard query string).
const MAX_VIEW: usize = 1000;

pub struct ShareRow {
    pub label: String,
    /// The dashboard it shows, for a member to open.
    pub view_href: String,
    pub view: String,
    pub created_by: String,
    pub created: String,
    pub expires: String,
    /// live, expired or revoked.
    pub status: &'static str,
    /// Where "Revoke" posts; empty once the link no longer opens.
    pub revoke_action: String,
}

impl From<&DashboardShare> for ShareRow {
    fn from(s: &DashboardShare) -> Self {
        let now = Utc::now();
        let status = match (s.revoked_at, s.is_live(now)) {
            (Some(_), _) => "revoked",
            (None, true) => "live",
            (None, false) => "expired",
        };
        ShareRow {
            label: s.label.clone(),
            view_href: format!("/dashboard?{}", s.view),
            view: if s.view.is_empty() {
                "the default view".into()
            } else {
                s.view.clone()
            },
            created_by: s.created_by.clone(),
            created: s.created_at.format("%Y-%m-%d %H:%M").to_string(),
            expires: s.expires_at.format("%Y-%m-%d %H:%M").to_string(),
            status,
            revoke_action: match status {
                "live" => format!("/dashboard/shares/{}/revoke", s.id),
                _ => String::new(),
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "shares.html")]
pub struct SharesPage {
    pub workspace: String,
    pub user: String,
    /// The link just made, shown once (its token is not stored); empty otherwise.
    pub new_link: String,
    pub new_label: String,
    pub rows: Vec<ShareRow>,
}

async fn page(state: &AppState, user: &crate::auth::SignedIn) -> Result<SharesPage, PageError> {
    let rows = state
        .store
        .shares()
        .list(user.workspace_id)
        .await
        .map_err(internal)?;
    Ok(SharesPage {
        workspace: super::workspace_of(state, user.workspace_id).await?.name,
        user: user.email.clone(),
        new_link: String::new(),
        new_label: String::new(),
        rows: rows.iter().map(ShareRow::from).collect(),
    })
}

pub async fn list(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
) -> Result<SharesPage, PageError> {
    page(&state, &user).await
}

#[derive(Debug, Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    view: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    days: String,
}

const BAD_VIEW: PageError = PageError(
    StatusCode::UNPROCESSABLE_ENTITY,
    "That view cannot be shared: its filters are not valid. Open it on the dashboard, \
     fix what the dashboard names, and share it from there.",
);

/// Makes a link to the posted view and shows it once, on the list of links.
pub async fn create(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Form(form): Form<ShareForm>,
) -> Result<Response, PageError> {
    let view = form.view.trim().trim_start_matches('?');
    if view.len() > MAX_VIEW {
        return Err(BAD_VIEW);
    }
    let filters = dashboard::filters_of(view).ok_or(BAD_VIEW)?;
    if !dashboard::view_error(&filters).is_empty() {
        return Err(BAD_VIEW);
    }
    let days: i64 = form.days.trim().parse().map_err(|_| BAD_DAYS)?;
    let (share, token) = state
        .store
        .shares()
        .create(user.workspace_id, &user.actor(), &form.label, view, days)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) if m.starts_with("label") => PageError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Give the link a name of 1 to 100 characters (e.g. Office screen).",
            ),
            StoreError::Invalid(_) => BAD_DAYS,
            other => internal(other),
        })?;
    let detail = format!(
        "view {:?}, until {}",
        share.view,
        share.expires_at.format("%Y-%m-%d %H:%M UTC")
    );
    state
        .store
        .audit()
        .record(
            user.workspace_id,
            &user.actor(),
            "dashboard_share.created",
            &share.label,
            &detail,
        )
        .await
        .map_err(internal)?;
    let mut page = page(&state, &user).await?;
    page.new_link = format!(
        "{}/shared/{}",
        state.store.public_url().trim_end_matches('/'),
        encode(&token)
    );
    page.new_label = share.label;
    // The token is in the page: never kept by a cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}

const BAD_DAYS: PageError = PageError(
    StatusCode::UNPROCESSABLE_ENTITY,
    "A share link is valid for 1 to 90 days.",
);
const _: () = assert!(MAX_DAYS == 90, "BAD_DAYS names the limit");

pub async fn revoke(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    const NO_SUCH_LINK: PageError = PageError(
        StatusCode::NOT_FOUND,
        "There is no such share link in your workspace.",
    );
    let id: i64 = id.parse().map_err(|_| NO_SUCH_LINK)?;
    let share = state
        .store
        .shares()
        .revoke(user.workspace_id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => NO_SUCH_LINK,
            other => internal(other),
        })?;
    state
        .store
        .audit()
        .record(
            user.workspace_id,
            &user.actor(),
            "dashboard_share.revoked",
            &share.label,
            &format!("view {:?}", share.view),
        )
        .await
        .map_err(internal)?;
    Ok(Redirect::to("/dashboard/shares").into_response())
}

/// The shared view, read-only, for anyone with the link; an unknown, expired or revoked
/// link is one and the same 404.
pub async fn open(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let share = match state.store.shares().open(&token).await {
        Ok(Some(share)) => share,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "This link does not open a dashboard: it has expired, was revoked, or never \
                 existed. Ask whoever sent it for a new one."
                    .into(),
            )
        }
        Err(e) => {
            return PageError::store(e, "The shared view could not be shown.").into_response()
        }
    };
    // A view checked when it was made; should it no longer parse, the default view.
    let filters = dashboard::filters_of(&share.view).unwrap_or_default();
    let headers = [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::HeaderName::from_static("x-robots-tag"), "noindex"),
    ];
    match dashboard::build(
        &state,
        share.workspace_id,
        filters,
        Audience::Shared(&share),
    )
    .await
    {
        Ok(page) => (headers, page).into_response(),
        Err(e) => PageError::api(e).into_response(),
    }
}
