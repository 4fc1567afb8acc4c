//! Who may call which route, decided in one place for pages and API alike.
//!
//! Every route is declared with the access it needs, next to its handler (see
//! [`crate::routes`]); the [`authorize`] middleware looks the matched route up in the
//! resulting [`AccessTable`] before any handler runs. A route missing from the table (one
//! added to the router some other way) is refused: deny by default. The tenant-isolation
//! tests walk the same rules ([`crate::rules`]).

use crate::auth::{self, ApiCaller, SignedIn};
use crate::error::ApiError;
use crate::pages::PageError;
use crate::state::AppState;
use advocate_core::token::same_secret;
use advocate_core::Permission;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: survey pages, links in messages, the widget, sign-in, health checks.
    Public,
    /// An API key with a scope that grants the permission. An agent's personal key is
    /// refused where the permission is about cases or customers: such a route would show
    /// them everyone's.
    Key(Permission),
    /// Like `Key`, and an agent's personal key is let in: the handler keeps it to their own
    /// cases and customers ([`ApiCaller::only_own`]).
    Own(Permission),
    /// A personal API key of any role, for its person's own settings (`/api/v1/me…`).
    Me,
    /// A signed-in person whose role grants the permission; unsafe methods also need the
    /// session's CSRF token.
    Person(Permission),
}

use Access::{Key, Me, Own, Person, Public};
use Permission::*;

/// One route's rule: method (`*` for any), path as registered, access. Declared next to
/// the route's handler (see [`crate::routes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// Every route's rule, by path, for the [`authorize`] middleware.
#[derive(Debug)]
pub struct AccessTable {
    by_path: HashMap<&'static str, Vec<(&'static str, Access)>>,
}

impl AccessTable {
    /// Panics on two rules for one method and path: which one holds would be a guess, and
    /// axum refuses such routes at start-up the same way.
    pub fn new(rules: &[Rule]) -> Self {
        let mut by_path: HashMap<_, Vec<_>> = HashMap::new();
        for r in rules {
            let methods = by_path.entry(r.path).or_default();
            assert!(
                !methods.iter().any(|(m, _)| *m == r.method),
                "{} {} has two access rules",
                r.method,
                r.path
            );
            methods.push((r.method, r.access));
        }
        Self { by_path }
    }

    /// The access a route needs, or `None` for a route nobody wrote a rule for.
    pub fn rule(&self, method: &Method, path: &str) -> Option<Access> {
        // HEAD is answered by the GET handler, so it needs what GET needs.
        let method = if method == Method::HEAD {
            "GET"
        } else {
            method.as_str()
        };
        self.by_path
            .get(path)?
            .iter()
            .find(|(m, _)| *m == method || *m == "*")
            .map(|(_, a)| *a)
    }

    /// The methods a path has rules for, for a 405's `Allow`.
    fn methods(&self, path: &str) -> Vec<&'static str> {
        self.by_path
            .get(path)
            .map(|rules| rules.iter().map(|(m, _)| *m).collect())
            .unwrap_or_default()
    }
}

/// Largest form a page may post (the CSRF token is read from it).
pub(crate) const FORM_LIMIT: usize = 256 * 1024;
/// The form field and header that carry the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Checks the caller against the route's rule before the handler runs, and hands the
/// handler who the caller is (an [`ApiCaller`] or a [`SignedIn`] in the extensions).
pub async fn authorize(
    State((state, table)): State<(AppState, Arc<AccessTable>)>,
    req: Request,
    next: Next,
) -> Response {
    // Unmatched requests go to the fallback (a 404), which reveals nothing.
    let Some(path) = req.extensions().get::<MatchedPath>().cloned() else {
        return next.run(req).await;
    };
    let Some(access) = table.rule(req.method(), path.as_str()) else {
        // Anyone can send a method a route does not have (`GET /signout`): not worth more
        // than a debug line. A route missing from the table fails its own tests instead.
        tracing::debug!(method = %req.method(), route = path.as_str(), "route has no access rule");
        return refuse_unruled(&table.methods(path.as_str()), path.as_str());
    };
    match access {
        Public => next.run(req).await,
        Key(_) | Own(_) | Me => {
            // Only the head crosses the await: a request body is not `Sync`.
            let (mut parts, body) = req.into_parts();
            match api_caller(&state, &parts, access).await {
                Ok(caller) => {
                    tracing::Span::current().record("workspace", caller.workspace_id);
                    let change = match access {
                        Key(p) | Own(p) => {
                            ConfigChange::of(p, &parts, caller.workspace_id, caller.actor())
                        }
                        _ => None,
                    };
                    parts.extensions.insert(caller);
                    let response = next.run(Request::from_parts(parts, body)).await;
                    audit_change(&state, change, outcome_of(&response)).await;
                    response
                }
                Err(e) => e.into_response(),
            }
        }
        Person(permission) => person(&state, req, permission, next).await,
    }
}

/// A method the route does not have is a 405 naming the ones it has; a route without any
/// rule is refused (deny by default).
fn refuse_unruled(allowed: &[&str], path: &str) -> Response {
    let api = path.starts_with("/api/");
    let mut response = match (allowed.is_empty(), api) {
        (true, true) => ApiError::forbidden("this endpoint has no access rule").into_response(),
        (true, false) => {
            PageError(StatusCode::FORBIDDEN, "This page has no access rule.").into_response()
        }
        (false, true) => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("this endpoint answers {} only", allowed.join(", ")),
        )
        .into_response(),
        (false, false) => PageError(
            StatusCode::METHOD_NOT_ALLOWED,
            "This page cannot be opened this way.",
        )
        .into_response(),
    };
    if let (false, Ok(allow)) = (allowed.is_empty(), allowed.join(", ").parse()) {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow);
    }
    response
}

async fn api_caller(state: &AppState, req: &Parts, access: Access) -> Result<ApiCaller, ApiError> {
    let caller = auth::authenticate_key(state, &req.headers).await?;
    let what = format!("{} {}", req.method, req.uri.path());
    let permission = match access {
        Key(p) | Own(p) => p,
        Me if caller.person.is_some() => return Ok(caller),
        _ => {
            return Err(ApiError::forbidden(format!(
                "{what} is about one person: call it with a personal API key (created on \
                 your account page), not a workspace key"
            )))
        }
    };
    if !caller.scopes.iter().any(|s| s.grants(permission)) {
        return Err(ApiError::forbidden(format!(
            "this API key's scopes ({}) do not allow {what}; it needs a key with the {} scope",
            advocate_core::access::format_scopes(&caller.scopes),
            needed_scope(permission)
        )));
    }
    if let Some(person) = caller.person.as_ref() {
        if !person.role.grants(permission) {
            return Err(ApiError::forbidden(format!(
                "this personal key speaks for {} ({}), whose role does not allow {what}",
                person.email, person.role
            )));
        }
        let about_cases = matches!(permission, ReadCustomers | ReadCases | WorkCases);
        if about_cases && matches!(access, Key(_)) && caller.only_own().is_some() {
            return Err(ApiError::forbidden(format!(
                "{what} covers the whole workspace, and an agent's key reaches only their \
                 own cases and customers (/api/v1/cases, /api/v1/customers/…)"
            )));
        }
    }
    Ok(caller)
}

/// The narrowest scope that grants `p`, named in refusals.
fn needed_scope(p: Permission) -> &'static str {
    advocate_core::Scope::ALL
        .into_iter()
        .find(|s| s.grants(p))
        .map_or("admin", |s| s.as_str())
}

async fn person(state: &AppState, req: Request, permission: Permission, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let signed_in = SignedIn::from_headers(&parts.headers, state).await;
    let req = Request::from_parts(parts, body);
    let Some(who) = signed_in else {
        // A form posted after the session ended comes back to its page after sign-in.
        let back = if req.method() == Method::GET {
            req.uri().path_and_query().map_or("/", |p| p.as_str())
        } else {
            crate::pages::return_path::DASHBOARD
        };
        let to = format!("/signin?next={}", crate::pages::views::encode(back));
        return Redirect::to(&to).into_response();
    };
    if !who.role.grants(permission) {
        return PageError(
            StatusCode::FORBIDDEN,
            "Your role in this workspace does not allow this page.",
        )
        .into_response();
    }
    let path = req.uri().path();
    match crate::two_factor::enrolment_needed(state, who.user_id, who.workspace_id, path).await {
        Ok(false) => {}
        Ok(true) => return Redirect::to(crate::two_factor::SETUP_PATH).into_response(),
        Err(e) => return crate::pages::internal(e).into_response(),
    }
    let req = if req.method().is_safe() {
        req
    } else {
        match checked_csrf(req, &who.csrf_token).await {
            Ok(req) => req,
            Err(refused) => return refused.into_response(),
        }
    };
    let mut req = req;
    let token = who.csrf_token.clone();
    let (parts, body) = req.into_parts();
    tracing::Span::current().record("workspace", who.workspace_id);
    let change = ConfigChange::of(permission, &parts, who.workspace_id, who.actor());
    req = Request::from_parts(parts, body);
    req.extensions_mut().insert(who);
    let response = CSRF_TOKEN.scope(token, next.run(req)).await;
    audit_change(state, change, outcome_of(&response)).await;
    response
}

/// A successful change to the workspace's configuration (settings, playbooks, routing,
/// webhooks, surveys, schedules, texts, the outbox), recorded in the audit log here for
/// every such route at once; people, keys and data exports record their own, richer lines.
/// A handler that knows which fields it changed hands them over as an
/// [`AuditDetail`](crate::api::replace::AuditDetail) response extension (`field: before →
/// after`, secrets masked), which becomes the line's detail.
struct ConfigChange {
    workspace_id: i64,
    actor: String,
    target: String,
}

impl ConfigChange {
    fn of(permission: Permission, parts: &Parts, workspace_id: i64, actor: String) -> Option<Self> {
        (permission == Configure && !parts.method.is_safe()).then(|| Self {
            workspace_id,
            actor,
            target: format!("{} {}", parts.method, parts.uri.path()),
        })
    }
}

/// The status of a response and the change it reports, if its handler said (a response
/// is not `Sync`, so it cannot be held across the audit log's write).
fn outcome_of(response: &Response) -> (StatusCode, Option<String>) {
    let detail = response
        .extensions()
        .get::<crate::api::replace::AuditDetail>()
        .map(|d| d.0.clone());
    (response.status(), detail)
}

async fn audit_change(
    state: &AppState,
    change: Option<ConfigChange>,
    (status, detail): (StatusCode, Option<String>),
) {
    let Some(c) = change else { return };
    if !(status.is_success() || status.is_redirection()) {
        return;
    }
    // The handler compared before and after and found nothing changed: nothing to log.
    if detail.as_deref() == Some("") {
        return;
    }
    let detail = detail.unwrap_or_default();
    if let Err(e) = state
        .store
        .audit()
        .record(
            c.workspace_id,
            &c.actor,
            "configuration.changed",
            &c.target,
            &detail,
        )
        .await
    {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

tokio::task_local! {
    /// The signed-in person's CSRF token while their request is handled, so every
    /// template can put it in its forms without each page passing it along.
    static CSRF_TOKEN: String;
}

/// The CSRF token of the request being handled (empty outside a signed-in request).
/// Templates write it into each form: `<input type="hidden" name="csrf" value="{{
/// crate::access::csrf_token() }}">`.
pub fn csrf_token() -> String {
    CSRF_TOKEN.try_with(String::clone).unwrap_or_default()
}

/// A state-changing page request must come from this site (Origin) and carry the
/// session's CSRF token, in the form or the `X-CSRF-Token` header. The form body is read
/// here and handed on unchanged.
async fn checked_csrf(req: Request, expected: &str) -> Result<Request, PageError> {
    crate::pages::same_origin(req.headers())?;
    let refused = PageError(
        StatusCode::FORBIDDEN,
        "This form is out of date or was sent from another site. Reload the page and try again.",
    );
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if same_secret(h, expected) {
            Ok(req)
        } else {
            Err(refused)
        };
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| PageError(StatusCode::PAYLOAD_TOO_LARGE, "This form is too large."))?;
    let sent = form_urlencoded_field(&bytes, CSRF_FIELD);
    if !sent.is_some_and(|t| same_secret(&t, expected)) {
        return Err(refused);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_unique_and_head_follows_get() {
        let rules = crate::rules();
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            assert!(seen.insert((r.method, r.path)), "{r:?} has two rules");
        }
        let table = AccessTable::new(&rules);
        assert_eq!(
            table.rule(&Method::HEAD, "/dashboard"),
            Some(Person(Dashboards))
        );
        assert_eq!(table.rule(&Method::GET, "/nowhere"), None);
        assert_eq!(
            table.rule(&Method::DELETE, "/api/anything/{*rest}"),
            None,
            "only the path as registered"
        );
        assert_eq!(table.rule(&Method::DELETE, "/api/{*rest}"), Some(Public));
        assert_eq!(table.methods("/signout"), ["POST"]);
    }

    #[test]
    #[should_panic(expected = "GET /x has two access rules")]
    fn two_rules_for_one_route_are_refused() {
        let rule = Rule {
            method: "GET",
            path: "/x",
            access: Public,
        };
        AccessTable::new(&[rule, rule]);
    }

    #[test]
    fn form_fields_and_secrets() {
        assert_eq!(
            form_urlencoded_field(b"a=1&csrf=x%2By&b=2", "csrf").as_deref(),
            Some("x+y")
        );
        assert_eq!(form_urlencoded_field(b"a=1", "csrf"), None);
        assert!(
            same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("ab", "abc")
        );
    }
}
