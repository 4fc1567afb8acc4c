//! Single sign-on with OpenID Connect: `/signin/sso?workspace=<slug>` sends the browser
//! to the workspace's provider (authorization code with PKCE, state and nonce in a signed
//! 10-minute cookie); `/signin/sso/callback` exchanges the code, verifies the ID token
//! (RS256 against the provider's JWKS, then issuer, audience, expiry, nonce and verified
//! email in core), applies the workspace's rule, makes the person a member if they are
//! not one yet (just-in-time, the default role) and starts the session. No TOTP step:
//! the provider is the second factor's place.

use super::return_path::return_path;
use super::signin::{start_session_in, too_many};
use super::views::SigninPage;
use crate::auth::{cookie, session_set_cookie, set_cookie};
use crate::outbound::{self, OutboundClient};
use crate::ratelimit::ClientKey;
use crate::state::AppState;
use advocate_core::oidc::{self, Expected, Jwks};
use advocate_core::token;
use advocate_store::tenancy::sso::SsoConfig;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use std::time::Duration;

const SSO_COOKIE: &str = "advocate_sso";
const SSO_COOKIE_SECS: i64 = 600;

#[derive(Deserialize)]
pub struct StartParams {
    workspace: String,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: String,
}

/// The sign-in page with `message` and `status`: single sign-on did not work.
fn refused(status: StatusCode, message: String) -> Response {
    let page = SigninPage {
        error: Some(message),
        next: "/".into(),
        ..Default::default()
    };
    (status, page).into_response()
}

/// Outbound calls to the provider: a workspace admin chose it, so they go where webhooks
/// may (public addresses and the operator's `--allow-webhook-hosts`), follow no redirect
/// and wait 10 s at most.
fn client(state: &AppState) -> OutboundClient {
    OutboundClient::new(state.config.allowed_hosts.clone(), Duration::from_secs(10))
}

/// What a refused or failed request to the provider says: the rule that refused it, or
/// reqwest's error.
fn failure(e: &reqwest::Error) -> String {
    match outbound::refusal_of(e) {
        Some(refused) => refused.to_string(),
        None => e.to_string(),
    }
}

async fn discover(state: &AppState, issuer: &str) -> Result<Discovery, String> {
    let url = format!("{issuer}/.well-known/openid-configuration");
    let unreachable = |e: String| format!("the provider's discovery document is unreachable: {e}");
    let d: Discovery = client(state)
        .get(&url)
        .map_err(|e| unreachable(e.to_string()))?
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| unreachable(failure(&e)))?
        .json()
        .await
        .map_err(|_| "the provider's discovery document is not valid".to_owned())?;
    if d.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err("the provider's discovery document names another issuer".into());
    }
    Ok(d)
}

/// Where the provider sends the browser back: under the public URL (`--public-url`), as
/// every link Advocate hands out, never the request's `Host` header, which the client
/// chooses.
fn redirect_uri(state: &AppState) -> String {
    format!("{}/signin/sso/callback", state.store.public_url())
}

async fn config_of(state: &AppState, slug: &str) -> Result<(i64, SsoConfig), Response> {
    let not_set = || {
        refused(
            StatusCode::NOT_FOUND,
            "That workspace does not use single sign-on. Sign in with your email and password."
                .into(),
        )
    };
    let ws = match state.store.workspaces().by_slug(slug.trim()).await {
        Ok(Some(ws)) => ws,
        Ok(None) => return Err(not_set()),
        Err(e) => return Err(super::internal(e).into_response()),
    };
    match state.store.sso().get(ws.id).await {
        Ok(Some(c)) => Ok((ws.id, c)),
        Ok(None) => Err(not_set()),
        Err(e) => Err(super::internal(e).into_response()),
    }
}

pub async fn start(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    Query(q): Query<StartParams>,
) -> Response {
    // Each start makes Advocate call the provider: charged like a failed password sign-in,
    // and given back when the sign-in succeeds.
    if let Err(refused) = state.limits.sign_in_clients.check(&client).await {
        return too_many(
            refused,
            "Too many sign-ins started from your network.",
            String::new(),
            "/".into(),
        );
    }
    let (workspace_id, config) = match config_of(&state, &q.workspace).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let discovery = match discover(&state, &config.issuer).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(workspace_id, error = %e, "single sign-on discovery failed");
            return refused(
                StatusCode::BAD_GATEWAY,
                format!("Single sign-on failed: {e}."),
            );
        }
    };
    let (state_token, nonce, verifier) = (
        oidc::random_token(),
        oidc::random_token(),
        oidc::random_token(),
    );
    let next = return_path(q.next.as_deref());
    let payload = format!("{workspace_id} {state_token} {nonce} {verifier} {next}");
    let signed = token::sign(
        &state.signing_key,
        &payload,
        Utc::now().timestamp() + SSO_COOKIE_SECS,
    );
    let mut to = match url::Url::parse(&discovery.authorization_endpoint) {
        Ok(u) => u,
        Err(_) => {
            return refused(
                StatusCode::BAD_GATEWAY,
                "Single sign-on failed: the provider's authorization endpoint is not a URL.".into(),
            )
        }
    };
    to.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &redirect_uri(&state))
        .append_pair("scope", "openid email profile")
        .append_pair("state", &state_token)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &oidc::pkce_challenge(&verifier))
        .append_pair("code_challenge_method", "S256");
    (
        [(
            header::SET_COOKIE,
            set_cookie(&state, SSO_COOKIE, &signed, SSO_COOKIE_SECS),
        )],
        Redirect::to(to.as_str()),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// What the start of this sign-in left in its cookie.
struct Pending {
    workspace_id: i64,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
}

fn pending(state: &AppState, headers: &HeaderMap) -> Option<Pending> {
    let value = cookie(headers, SSO_COOKIE)?;
    let payload = token::verify(&state.signing_key, value, Utc::now().timestamp())?;
    let mut parts = payload.splitn(5, ' ');
    Some(Pending {
        workspace_id: parts.next()?.parse().ok()?,
        state: parts.next()?.to_owned(),
        nonce: parts.next()?.to_owned(),
        verifier: parts.next()?.to_owned(),
        next: parts.next()?.to_owned(),
    })
}

pub async fn callback(
    State(state): State<AppState>,
    ClientKey(client): ClientKey,
    headers: HeaderMap,
    Query(q): Query<CallbackParams>,
) -> Response {
    let clear = set_cookie(&state, SSO_COOKIE, "", 0);
    let mut response = finish(&state, &headers, q).await;
    if response.status().is_redirection() {
        state.limits.sign_in_clients.refund(&client).await;
    }
    // The cookie is good for one answer from the provider, whatever it was.
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear.parse().expect("a cookie header"));
    response
}

async fn finish(state: &AppState, headers: &HeaderMap, q: CallbackParams) -> Response {
    let Some(p) = pending(state, headers) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "This single sign-on has expired or was started in another browser. Start again."
                .into(),
        );
    };
    if let Some(error) = q.error {
        tracing::info!(workspace_id = p.workspace_id, %error, "the provider refused sign-in");
        return refused(
            StatusCode::UNAUTHORIZED,
            "The provider did not sign you in.".into(),
        );
    }
    let (Some(code), Some(returned_state)) = (q.code, q.state) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "The provider's answer has no code.".into(),
        );
    };
    if !token::same_secret(&returned_state, &p.state) {
        tracing::warn!(
            workspace_id = p.workspace_id,
            "single sign-on state mismatch"
        );
        return refused(
            StatusCode::BAD_REQUEST,
            "This single sign-on does not match the one this browser started. Start again.".into(),
        );
    }
    let config = match state.store.sso().get(p.workspace_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return refused(
                StatusCode::NOT_FOUND,
                "That workspace no longer uses single sign-on.".into(),
            )
        }
        Err(e) => return super::internal(e).into_response(),
    };
    let email = match verified_email(state, &config, &p, &code).await {
        Ok(email) => email,
        Err(e) => {
            tracing::warn!(workspace_id = p.workspace_id, error = %e, "single sign-on refused");
            return refused(
                StatusCode::UNAUTHORIZED,
                format!("Single sign-on failed: {e}."),
            );
        }
    };
    let (email, groups) = email;
    if !oidc::admits(
        &config.allowed_domains,
        config.required_group.as_deref(),
        &email,
        &groups,
    ) {
        tracing::info!(
            workspace_id = p.workspace_id,
            "single sign-on: not admitted by the rule"
        );
        return refused(
            StatusCode::FORBIDDEN,
            "Your account at the provider may not sign in to this workspace (its email domain \
             or group is not allowed). Ask the workspace's admin."
                .into(),
        );
    }
    let user = match member(state, p.workspace_id, &config, &email).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            tracing::info!(
                workspace_id = p.workspace_id,
                "single sign-on: account of other workspaces"
            );
            return refused(
                StatusCode::FORBIDDEN,
                "Your account belongs to other workspaces too: sign in with your email and \
                 password."
                    .into(),
            );
        }
        Err(e) => return super::internal(e).into_response(),
    };
    match start_session_in(state, &user, p.workspace_id).await {
        Ok(Some(secret)) => {
            tracing::info!(user_id = user.id, "signed in with single sign-on");
            (
                AppendHeaders([(header::SET_COOKIE, session_set_cookie(state, &secret))]),
                Redirect::to(&p.next),
            )
                .into_response()
        }
        Ok(None) => refused(
            StatusCode::FORBIDDEN,
            "Your account is not a member of any workspace.".into(),
        ),
        Err(e) => super::internal(e).into_response(),
    }
}

/// Code → tokens → a verified ID token's email and groups; the error says which check failed.
async fn verified_email(
    state: &AppState,
    config: &SsoConfig,
    p: &Pending,
    code: &str,
) -> Result<(String, Vec<String>), String> {
    let discovery = discover(state, &config.issuer).await?;
    let provider = client(state);
    let tokens: TokenResponse = provider
        .post(&discovery.token_endpoint)
        .map_err(|e| format!("the provider's token endpoint is refused ({e})"))?
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri(state)),
            ("code_verifier", &p.verifier),
            ("client_id", &config.client_id),
        ])
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| {
            format!(
                "the provider's token endpoint refused the code ({})",
                failure(&e)
            )
        })?
        .json()
        .await
        .map_err(|_| "the provider's token response has no ID token".to_owned())?;
    let jwks: Jwks = provider
        .get(&discovery.jwks_uri)
        .map_err(|e| format!("the provider's keys are refused ({e})"))?
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("the provider's keys are unreachable ({})", failure(&e)))?
        .json()
        .await
        .map_err(|_| "the provider's keys are not a JWKS".to_owned())?;
    let claims = oidc::verify_signature(&tokens.id_token, &jwks).map_err(|e| e.to_string())?;
    let email = oidc::check_claims(
        &claims,
        &Expected {
            issuer: &config.issuer,
            client_id: &config.client_id,
            nonce: &p.nonce,
            now: Utc::now().timestamp(),
        },
    )
    .map_err(|e| e.to_string())?;
    Ok((email, claims.group_names()))
}

/// The person with `email`, made a member of the workspace with its default role when
/// they are not one yet (audit-logged); an existing member keeps their role. `None` for
/// a person who belongs to another workspace: this workspace's admin chose the provider,
/// and must not be able to sign in as someone of another workspace (whose session could
/// then switch there).
async fn member(
    state: &AppState,
    workspace_id: i64,
    config: &SsoConfig,
    email: &str,
) -> advocate_store::Result<Option<advocate_store::models::User>> {
    let store = &state.store;
    let actor = format!("user:{email}");
    let user = match store.users().by_email(email).await? {
        Some(user) => user,
        None => {
            // Nobody knows this password: the person signs in through the provider.
            let unusable = crate::auth::hash_password(&oidc::random_token());
            let user = store
                .users()
                .create_member(workspace_id, email, &unusable, config.default_role)
                .await?;
            store
                .audit()
                .record(
                    workspace_id,
                    &actor,
                    "member.joined_by_sso",
                    &actor,
                    &format!(
                        "joined by single sign-on as {}",
                        config.default_role.as_str()
                    ),
                )
                .await?;
            return Ok(Some(user));
        }
    };
    let memberships = store.accounts().memberships(user.id).await?;
    if memberships.iter().any(|m| m.workspace_id != workspace_id) {
        return Ok(None);
    }
    if memberships.is_empty() {
        store
            .accounts()
            .add_member(workspace_id, user.id, config.default_role)
            .await?;
        store
            .audit()
            .record(
                workspace_id,
                &actor,
                "member.joined_by_sso",
                &actor,
                &format!(
                    "joined by single sign-on as {}",
                    config.default_role.as_str()
                ),
            )
            .await?;
    }
    Ok(Some(user))
}
