//! The settings page as shown: the form, the playbooks, the routing rules, the warnings
//! and (for admins) the widget secret.

use super::form::{Refusal, SettingsForm};
use super::{language_of, LanguageParam};
use crate::auth::SignedIn;
use crate::pages::signin::RequireSignIn;
use crate::pages::views::{encode, LANGUAGE_NAMES};
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::{EngagementKind, Language, Priority};
use advocate_store::models::AnonymousDetractors;
use advocate_store::Store;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;

pub struct LanguageChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

pub struct PlaybookRow {
    pub score: u8,
    /// The section's id: where its message is shown and a save returns to.
    pub anchor: String,
    pub action: String,
    pub reset_action: String,
    pub steps: String,
    pub detractor: bool,
    pub priorities: Vec<(&'static str, bool)>,
    pub customized: bool,
}

pub struct RuleRow {
    pub id: i64,
    pub position: i64,
    pub conditions: String,
    pub assignee: String,
    pub first: bool,
    pub last: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub workspace: String,
    pub user: String,
    /// What the last change left to say, in its section.
    pub shown: Shown,
    pub form: SettingsForm,
    pub language_name: String,
    pub languages: Vec<LanguageChoice>,
    pub playbooks: Vec<PlaybookRow>,
    pub rules: Vec<RuleRow>,
    /// What keeps messages from reaching people (also on the dashboard).
    pub warnings: Vec<String>,
    /// Shown to admins only.
    pub widget: Option<WidgetSecretView>,
}

/// The widget secret as an admin sees it on the page.
pub struct WidgetSecretView {
    pub secret: String,
    /// While the secret it replaced is still accepted: until when.
    pub previous_until: Option<String>,
    pub grace_days: i64,
}

/// What a section says after a change.
#[derive(Debug, Default)]
pub enum Shown {
    #[default]
    Nothing,
    /// The section (by its id) was saved.
    Saved(String),
    /// The section's post was refused.
    Refused { section: String, refusal: Refusal },
}

impl SettingsPage {
    /// The refusal's message when `section` was the one posted.
    pub fn error_in(&self, section: &str) -> Option<&str> {
        match &self.shown {
            Shown::Refused {
                section: s,
                refusal,
            } if s == section => Some(&refusal.message),
            _ => None,
        }
    }

    pub fn saved_in(&self, section: &str) -> bool {
        matches!(&self.shown, Shown::Saved(s) if s == section)
    }

    /// The attributes that tie a refused field to its message (the markup is Advocate's
    /// own: the section ids are fixed names).
    pub fn field(&self, name: &str) -> String {
        match &self.shown {
            Shown::Refused { section, refusal } if refusal.field == Some(name) => {
                format!(" aria-invalid=\"true\" aria-describedby=\"error-{section}\"")
            }
            _ => String::new(),
        }
    }

    fn checked(v: &Option<String>) -> bool {
        v.is_some()
    }
    pub fn passive_nudge(&self) -> bool {
        Self::checked(&self.form.passive_nudge)
    }
    pub fn resurvey(&self) -> bool {
        Self::checked(&self.form.resurvey_after_resolution)
    }
    pub fn require_two_factor(&self) -> bool {
        Self::checked(&self.form.require_two_factor)
    }
    pub fn anonymous_case(&self) -> bool {
        self.form.anonymous_detractors == AnonymousDetractors::Case.as_str()
    }
    /// Promoter engagements this workspace cannot act on, with why, e.g. "Review request —
    /// inactive: no review site link set" (they are not queued or sent).
    pub fn inactive_engagements(&self) -> Vec<String> {
        let links = self
            .form
            .review_links
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        EngagementKind::ALL
            .iter()
            .filter_map(|k| {
                let reason = advocate_core::playbook::inactive_reason(*k, links)?;
                let name = k.as_str().replace('_', " ");
                let mut chars = name.chars();
                let first = chars.next().map(|c| c.to_uppercase().to_string());
                Some(format!(
                    "{}{} — inactive: {reason}",
                    first.unwrap_or_default(),
                    chars.as_str()
                ))
            })
            .collect()
    }
}

/// The language picker: all languages, then each one named in itself.
fn language_choices(code: &str) -> Vec<LanguageChoice> {
    let mut languages = vec![LanguageChoice {
        code: "",
        name: "All languages",
        selected: code.is_empty(),
    }];
    languages.extend(LANGUAGE_NAMES.iter().map(|(c, n)| LanguageChoice {
        code: c,
        name: n,
        selected: *c == code,
    }));
    languages
}

/// The playbook of every score, in one language or all.
async fn playbook_rows(
    store: &Store,
    ws: i64,
    language: Option<&Language>,
) -> Result<Vec<PlaybookRow>, PageError> {
    let query = language.map_or(String::new(), |l| {
        format!("?language={}", encode(l.as_str()))
    });
    Ok(store
        .settings()
        .playbooks(ws, language)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|p| PlaybookRow {
            score: p.score,
            anchor: format!("playbook-{}", p.score),
            action: format!("/settings/playbooks/{}{query}", p.score),
            reset_action: format!("/settings/playbooks/{}/reset{query}", p.score),
            steps: p.steps.join("\n"),
            detractor: p.score <= 6,
            priorities: Priority::ALL
                .iter()
                .map(|x| (x.as_str(), p.priority == Some(*x)))
                .collect(),
            customized: p.customized,
        })
        .collect())
}

/// The routing rules in order, each with its conditions in words.
async fn rule_rows(store: &Store, ws: i64) -> Result<Vec<RuleRow>, PageError> {
    let rules = store.settings().routing_rules(ws).await.map_err(internal)?;
    let n = rules.len();
    Ok(rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut conditions = Vec::new();
            if let Some(a) = &r.attribute {
                conditions.push(match &r.value {
                    Some(v) => format!("{a} = {v}"),
                    None => format!("has {a}"),
                });
            }
            if let Some(t) = &r.touchpoint {
                conditions.push(format!("touchpoint = {t}"));
            }
            if let Some(l) = &r.language {
                conditions.push(format!("language = {l}"));
            }
            RuleRow {
                id: r.id,
                position: r.position,
                conditions: conditions.join(" and "),
                assignee: r.assignee,
                first: i == 0,
                last: i + 1 == n,
            }
        })
        .collect())
}

/// The widget secret, for admins only.
async fn widget_view(
    store: &Store,
    user: &SignedIn,
) -> Result<Option<WidgetSecretView>, PageError> {
    if !user.role.grants(advocate_core::Permission::Administer) {
        return Ok(None);
    }
    let s = store
        .workspaces()
        .widget_secrets(user.workspace_id, chrono::Utc::now())
        .await
        .map_err(internal)?;
    Ok(Some(WidgetSecretView {
        secret: s.secret,
        previous_until: s
            .previous_valid_until
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
        grace_days: advocate_store::tenancy::widget_secret::GRACE_DAYS,
    }))
}

/// The whole page; `form` replaces the stored settings when the person's input is shown
/// again after a refusal.
pub(super) async fn page(
    state: &AppState,
    user: &SignedIn,
    language: Option<&Language>,
    form: Option<SettingsForm>,
    shown: Shown,
) -> Result<SettingsPage, PageError> {
    let store = &state.store;
    let ws = user.workspace_id;
    let workspace = store
        .workspaces()
        .get(ws)
        .await
        .map_err(internal)?
        .ok_or(PageError(
            StatusCode::NOT_FOUND,
            "Your workspace no longer exists.",
        ))?
        .name;
    let form = match form {
        Some(f) => f,
        None => SettingsForm::from_settings(
            &workspace,
            &store.settings().get(ws).await.map_err(internal)?,
        ),
    };
    let code = language.map_or("", |l| l.as_str());
    let playbooks = playbook_rows(store, ws, language).await?;
    let rules = rule_rows(store, ws).await?;
    let warnings = store
        .workspaces()
        .setup_warnings(ws)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|w| w.message)
        .collect();
    let widget = widget_view(store, user).await?;
    Ok(SettingsPage {
        warnings,
        widget,
        workspace,
        user: user.email.clone(),
        shown,
        form,
        language_name: LANGUAGE_NAMES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(code, |(_, n)| n)
            .to_owned(),
        languages: language_choices(code),
        playbooks,
        rules,
    })
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(q): Query<LanguageParam>,
) -> Result<SettingsPage, PageError> {
    page(
        &state,
        &user,
        language_of(q.language.as_deref()).as_ref(),
        None,
        q.saved.map_or(Shown::Nothing, Shown::Saved),
    )
    .await
}
