//! Webhooks in the app (`/settings/webhooks`): add an endpoint (its secret shown once, with
//! how to check a signature), pause or resume it, rotate its secret, remove it, and read its
//! delivery log. The same store calls and checks as `/api/v1/webhooks`; every change is in
//! the audit log (the access layer records Configure writes).

use crate::outbound;
use crate::pages::outbox::Row as DeliveryRow;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_store::delivery::webhooks::{WebhookEndpoint, WEBHOOK_EVENTS};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawForm, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// Deliveries shown per endpoint (the outbox page has them all).
const LOG: i64 = 10;

pub struct EndpointView {
    pub url: String,
    pub events: String,
    pub active: bool,
    pub created: String,
    pub active_action: String,
    pub rotate_action: String,
    pub remove_action: String,
    pub deliveries: Vec<DeliveryRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_webhooks.html")]
pub struct WebhooksPage {
    pub workspace: String,
    pub user: String,
    pub endpoints: Vec<EndpointView>,
    pub events: &'static [&'static str],
    /// A refused form: the message, and what was typed, to fix it.
    pub error: String,
    pub typed_url: String,
    pub typed_events: Vec<String>,
    /// A secret just made (endpoint added or secret rotated), shown once, and for which URL.
    pub new_secret: String,
    pub new_secret_url: String,
}

impl WebhooksPage {
    fn typed(&self, event: &str) -> bool {
        self.typed_events.iter().any(|e| e == event)
    }
}

async fn page(state: &AppState, user: &crate::auth::SignedIn) -> Result<WebhooksPage, PageError> {
    let store = &state.store;
    let mut endpoints = Vec::new();
    for e in store
        .webhooks()
        .list(user.workspace_id)
        .await
        .map_err(internal)?
    {
        let deliveries = store
            .outbox()
            .endpoint_messages(user.workspace_id, e.id, LOG)
            .await
            .map_err(internal)?;
        endpoints.push(view(&e, deliveries.iter().map(DeliveryRow::from).collect()));
    }
    Ok(WebhooksPage {
        workspace: crate::pages::workspace_of(state, user.workspace_id)
            .await?
            .name,
        user: user.email.clone(),
        endpoints,
        events: WEBHOOK_EVENTS,
        error: String::new(),
        typed_url: String::new(),
        typed_events: Vec::new(),
        new_secret: String::new(),
        new_secret_url: String::new(),
    })
}

fn view(e: &WebhookEndpoint, deliveries: Vec<DeliveryRow>) -> EndpointView {
    let base = format!("/settings/webhooks/{}", e.id);
    EndpointView {
        url: e.url.clone(),
        events: match e.events.as_slice() {
            [all] if all == "*" => "every event".into(),
            events => events.join(", "),
        },
        active: e.active,
        created: e.created_at.format("%Y-%m-%d %H:%M").to_string(),
        active_action: format!("{base}/active"),
        rotate_action: format!("{base}/rotate-secret"),
        remove_action: format!("{base}/remove"),
        deliveries,
    }
}

/// A page with a secret in it is never kept by a cache.
fn no_store(page: WebhooksPage, status: StatusCode) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], page).into_response()
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
) -> Result<WebhooksPage, PageError> {
    page(&state, &user).await
}

/// Adds an endpoint: the URL must reach an address the operator allows (as in the API), the
/// events are those ticked ("every event" alone means all).
pub async fn add(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let posted: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| PageError(StatusCode::BAD_REQUEST, "This form could not be read."))?;
    let url = posted
        .iter()
        .find(|(k, _)| k == "url")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let events: Vec<String> = posted
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.clone())
        .collect();
    let refused = |message: String| async {
        let mut p = page(&state, &user).await?;
        p.error = message;
        p.typed_url = url.clone();
        p.typed_events = events.clone();
        Ok::<_, PageError>(no_store(p, StatusCode::UNPROCESSABLE_ENTITY))
    };
    if let Err(message) =
        outbound::check_registration(&state.config.allowed_hosts, "url", &url).await
    {
        return refused(message).await;
    }
    match state
        .store
        .webhooks()
        .create(user.workspace_id, &url, &events)
        .await
    {
        Ok((endpoint, secret)) => {
            let mut p = page(&state, &user).await?;
            p.new_secret = secret;
            p.new_secret_url = endpoint.url;
            Ok(no_store(p, StatusCode::OK))
        }
        Err(StoreError::Invalid(message)) => refused(message).await,
        Err(other) => Err(internal(other)),
    }
}

const NO_ENDPOINT: PageError = PageError(
    StatusCode::NOT_FOUND,
    "There is no such webhook endpoint in your workspace.",
);

fn endpoint_id(raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| NO_ENDPOINT)
}

fn not_found_or_internal(e: StoreError) -> PageError {
    match e {
        StoreError::NotFound(_) => NO_ENDPOINT,
        other => internal(other),
    }
}

/// Pauses (`active=0`) or resumes (`active=1`) an endpoint.
pub async fn set_active(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(id): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = endpoint_id(&id)?;
    let posted: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let active = match posted
        .iter()
        .find(|(k, _)| k == "active")
        .map(|(_, v)| v.as_str())
    {
        Some("1") => true,
        Some("0") => false,
        _ => {
            return Err(PageError(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Say whether the endpoint is active: 1 or 0.",
            ))
        }
    };
    let webhooks = state.store.webhooks();
    webhooks
        .get(user.workspace_id, id)
        .await
        .map_err(internal)?
        .ok_or(NO_ENDPOINT)?;
    webhooks
        .update(user.workspace_id, id, None, Some(active))
        .await
        .map_err(not_found_or_internal)?;
    Ok(Redirect::to("/settings/webhooks").into_response())
}

/// A new secret for an endpoint, shown once; the old one stops working at once.
pub async fn rotate_secret(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = endpoint_id(&id)?;
    let endpoint = state
        .store
        .webhooks()
        .get(user.workspace_id, id)
        .await
        .map_err(internal)?
        .ok_or(NO_ENDPOINT)?;
    let secret = state
        .store
        .webhooks()
        .rotate_secret(user.workspace_id, id)
        .await
        .map_err(not_found_or_internal)?;
    let mut p = page(&state, &user).await?;
    p.new_secret = secret;
    p.new_secret_url = endpoint.url;
    Ok(no_store(p, StatusCode::OK))
}

/// Removes an endpoint (one with messages is only deactivated, to keep its history).
pub async fn remove(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = endpoint_id(&id)?;
    state
        .store
        .webhooks()
        .delete(user.workspace_id, id)
        .await
        .map_err(not_found_or_internal)?;
    Ok(Redirect::to("/settings/webhooks").into_response())
}
