//! The settings page (`/settings`): workspace settings, the playbook of every score (for all
//! languages or one), and the routing rules. The store checks every value (the API refuses
//! the same things); a refusal shows the page again with the message and status 422, a
//! success redirects (303) back to the section that changed.

mod form;
mod invitation_texts;
mod page;
mod playbooks;
mod rules;
mod sso;
mod templates;
mod webhooks;
mod workspace;

use super::views::encode;
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::auth::SignedIn;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Language;
use advocate_core::Permission::{Administer, Configure};
use advocate_store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use form::{Refusal, SettingsForm};
use page::{page, show, Shown};
use playbooks::{reset_playbook, save_playbook};
use rules::{add_rule, delete_rule, move_rule};
use serde::Deserialize;
use workspace::{rotate_widget_secret, save};

pub fn routes() -> Routes {
    Routes::new()
        .get("/settings", Person(Configure), show)
        .post("/settings", Person(Configure), save)
        .post(
            "/settings/playbooks/{score}",
            Person(Configure),
            save_playbook,
        )
        .post(
            "/settings/playbooks/{score}/reset",
            Person(Configure),
            reset_playbook,
        )
        .post("/settings/routing-rules", Person(Configure), add_rule)
        .get(
            "/settings/invitation-texts",
            Person(Configure),
            invitation_texts::show,
        )
        .post(
            "/settings/invitation-texts/{language}",
            Person(Configure),
            invitation_texts::save,
        )
        .get("/settings/webhooks", Person(Configure), webhooks::show)
        .post("/settings/webhooks", Person(Configure), webhooks::add)
        .post(
            "/settings/webhooks/{id}/active",
            Person(Configure),
            webhooks::set_active,
        )
        .post(
            "/settings/webhooks/{id}/rotate-secret",
            Person(Configure),
            webhooks::rotate_secret,
        )
        .post(
            "/settings/webhooks/{id}/remove",
            Person(Configure),
            webhooks::remove,
        )
        .get("/settings/sso", Person(Configure), sso::show)
        .post("/settings/sso", Person(Configure), sso::save)
        .post("/settings/sso/remove", Person(Configure), sso::remove)
        .get("/settings/templates", Person(Configure), templates::show)
        .post(
            "/settings/templates/{score}",
            Person(Configure),
            templates::save,
        )
        .post(
            "/settings/templates/{score}/reset",
            Person(Configure),
            templates::reset,
        )
        .post(
            "/settings/widget-secret/rotate",
            Person(Administer),
            rotate_widget_secret,
        )
        .post(
            "/settings/routing-rules/{id}/delete",
            Person(Configure),
            delete_rule,
        )
        .post(
            "/settings/routing-rules/{id}/move",
            Person(Configure),
            move_rule,
        )
}

#[derive(Debug, Default, Deserialize)]
pub struct LanguageParam {
    language: Option<String>,
    /// The section a change was just saved in (it says so).
    saved: Option<String>,
}

fn language_of(raw: Option<&str>) -> Option<Language> {
    raw.filter(|l| !l.is_empty())
        .and_then(|l| Language::new(l).ok())
}

/// The page after a change: the section that changed says so.
fn settings_href(language: Option<&Language>, anchor: &str) -> String {
    let saved = format!("saved={}", encode(anchor));
    match language {
        Some(l) => format!("/settings?language={}&{saved}#{anchor}", encode(l.as_str())),
        None => format!("/settings?{saved}#{anchor}"),
    }
}

/// After a change: redirect on success, the page with the message in the section that
/// was posted on a refusal.
async fn answer<E: Into<Refusal>>(
    state: &AppState,
    user: &SignedIn,
    language: Option<&Language>,
    anchor: &str,
    form: Option<SettingsForm>,
    result: Result<(), E>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&settings_href(language, anchor)).into_response(),
        Err(refusal) => {
            let shown = Shown::Refused {
                section: anchor.to_owned(),
                refusal: refusal.into(),
            };
            match page(state, user, language, form, shown).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

/// A store refusal becomes the message shown; anything else is an internal error.
fn refusal(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::NotFound(m) => Ok(m),
        other => Err(internal(other)),
    }
}

/// Runs a store call: `Ok(Ok(()))` done, `Ok(Err(msg))` refused, `Err` internal.
fn outcome<T>(r: Result<T, StoreError>) -> Result<Result<(), String>, PageError> {
    match r {
        Ok(_) => Ok(Ok(())),
        Err(e) => refusal(e).map(Err),
    }
}
