//! The settings page (`/settings`): workspace settings, the playbook of every score (for all
//! languages or one), and the routing rules. The store checks every value (the API refuses
//! the same things); a refusal shows the page again with the message and status 422, a
//! success redirects (303) back to the section that changed.

use super::signin::RequireSignIn;
use super::views::{encode, LANGUAGE_NAMES};
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::api::replace::{audited, changes};
use crate::auth::SignedIn;
use crate::outbound;
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::Permission::{Administer, Configure};
use advocate_core::{EngagementKind, Language, Priority, Score, SlaHours};
use advocate_store::models::{AnonymousDetractors, ReviewLink, WorkspaceSettings};
use advocate_store::tenancy::settings::RoutingRuleInput;
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

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

/// The settings form's fields, as text (what the person typed is shown again on errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    /// The workspace's name (emails and survey pages say it).
    pub name: String,
    /// Sent by the page with its checkboxes: without it, a post that leaves the
    /// checkboxes out keeps them as they are (an unchecked box is not sent at all).
    pub checkboxes: Option<String>,
    pub sender_email: String,
    pub sender_name: String,
    pub alerts_email: String,
    pub manager_email: String,
    pub slack_webhook_url: String,
    pub default_queue: String,
    pub currency: String,
    pub passive_nudge: Option<String>,
    pub resurvey_after_resolution: Option<String>,
    pub sla_critical: String,
    pub sla_high: String,
    pub sla_medium: String,
    pub sla_normal: String,
    /// One review site per line: `Name | https://…`.
    pub review_links: String,
    pub quiet_period_days: String,
    /// Empty for no reminder.
    pub reminder_after_days: String,
    pub invitation_valid_days: String,
    pub brand_color: String,
    pub logo_url: String,
    pub sms_sender: String,
    /// Empty keeps answers forever.
    pub answer_retention_months: String,
    pub enps_min_group_size: String,
    /// `review` (default) or `case`.
    pub anonymous_detractors: String,
}

impl SettingsForm {
    fn from_settings(name: &str, s: &WorkspaceSettings) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            name: name.to_owned(),
            checkboxes: Some("1".into()),
            sender_email: text(&s.sender_email),
            sender_name: text(&s.sender_name),
            alerts_email: text(&s.alerts_email),
            manager_email: text(&s.manager_email),
            slack_webhook_url: text(&s.slack_webhook_url),
            default_queue: s.default_queue.clone(),
            currency: s.currency.clone(),
            passive_nudge: s.passive_nudge.then(|| "1".into()),
            resurvey_after_resolution: s.resurvey_after_resolution.then(|| "1".into()),
            sla_critical: s.sla_hours.critical.to_string(),
            sla_high: s.sla_hours.high.to_string(),
            sla_medium: s.sla_hours.medium.to_string(),
            sla_normal: s.sla_hours.normal.to_string(),
            review_links: s
                .review_links
                .iter()
                .map(|l| format!("{} | {}", l.name, l.url))
                .collect::<Vec<_>>()
                .join("\n"),
            quiet_period_days: s.quiet_period_days.to_string(),
            reminder_after_days: s
                .reminder_after_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            invitation_valid_days: s.invitation_valid_days.to_string(),
            brand_color: s.brand_color.clone(),
            logo_url: text(&s.logo_url),
            sms_sender: text(&s.sms_sender),
            answer_retention_months: s
                .answer_retention_months
                .map(|m| m.to_string())
                .unwrap_or_default(),
            enps_min_group_size: s.enps_min_group_size.to_string(),
            anonymous_detractors: s.anonymous_detractors.as_str().to_owned(),
        }
    }

    /// The form as posted, with every field it did not carry taken from `current` (the
    /// form as the page shows it now): a post never resets what it does not mention.
    fn completed(mut self, posted: &[(String, String)], current: &SettingsForm) -> Self {
        let sent = |name: &str| posted.iter().any(|(k, _)| k == name);
        macro_rules! keep {
            ($($field:ident),*) => {$(
                if !sent(stringify!($field)) {
                    self.$field = current.$field.clone();
                }
            )*};
        }
        keep!(
            name,
            sender_email,
            sender_name,
            alerts_email,
            manager_email,
            slack_webhook_url,
            default_queue,
            currency,
            sla_critical,
            sla_high,
            sla_medium,
            sla_normal,
            review_links,
            quiet_period_days,
            reminder_after_days,
            invitation_valid_days,
            brand_color,
            logo_url,
            sms_sender,
            answer_retention_months,
            enps_min_group_size,
            anonymous_detractors
        );
        // An unchecked box is not posted: without the page's marker, a box left out of
        // the post keeps its state (a box that is posted is checked).
        if !sent("checkboxes") {
            if !sent("passive_nudge") {
                self.passive_nudge = current.passive_nudge.clone();
            }
            if !sent("resurvey_after_resolution") {
                self.resurvey_after_resolution = current.resurvey_after_resolution.clone();
            }
        }
        self
    }

    /// The settings this form describes, or what is wrong with it.
    fn parse(&self) -> Result<WorkspaceSettings, String> {
        let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let hours = |name: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| {
                format!("The SLA for {name} must be a whole number of hours; got {v:?}")
            })
        };
        let days = |name: &str, v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("{name} must be a whole number of days; got {v:?}"))
        };
        let mut review_links = Vec::new();
        for (i, line) in self.review_links.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((name, url)) = line.split_once('|') else {
                return Err(format!(
                    "Review site line {} must be \"Name | https://…\"; got {line:?}",
                    i + 1
                ));
            };
            review_links.push(ReviewLink {
                name: name.trim().to_owned(),
                url: url.trim().to_owned(),
            });
        }
        Ok(WorkspaceSettings {
            sender_email: opt(&self.sender_email),
            sender_name: opt(&self.sender_name),
            alerts_email: opt(&self.alerts_email),
            manager_email: opt(&self.manager_email),
            slack_webhook_url: opt(&self.slack_webhook_url),
            default_queue: self.default_queue.trim().to_owned(),
            currency: self.currency.trim().to_uppercase(),
            passive_nudge: self.passive_nudge.is_some(),
            resurvey_after_resolution: self.resurvey_after_resolution.is_some(),
            review_links,
            sla_hours: SlaHours {
                critical: hours("critical", &self.sla_critical)?,
                high: hours("high", &self.sla_high)?,
                medium: hours("medium", &self.sla_medium)?,
                normal: hours("normal", &self.sla_normal)?,
            },
            quiet_period_days: days("The quiet period", &self.quiet_period_days)?,
            reminder_after_days: opt(&self.reminder_after_days)
                .map(|d| days("The reminder delay", &d))
                .transpose()?,
            invitation_valid_days: days("Invitation validity", &self.invitation_valid_days)?,
            brand_color: self.brand_color.trim().to_owned(),
            logo_url: opt(&self.logo_url),
            sms_sender: opt(&self.sms_sender),
            answer_retention_months: opt(&self.answer_retention_months)
                .map(|m| {
                    m.parse::<u32>().map_err(|_| {
                        format!("Answer retention must be a whole number of months; got {m:?}")
                    })
                })
                .transpose()?,
            // Left empty: the default.
            enps_min_group_size: match opt(&self.enps_min_group_size) {
                None => WorkspaceSettings::default().enps_min_group_size,
                Some(n) => n.parse().map_err(|_| {
                    format!("The smallest eNPS group must be a whole number; got {n:?}")
                })?,
            },
            anonymous_detractors: match self.anonymous_detractors.trim() {
                "" | "review" => AnonymousDetractors::Review,
                "case" => AnonymousDetractors::Case,
                other => {
                    return Err(format!(
                        "Anonymous detractors must be \"review\" or \"case\"; got {other:?}"
                    ))
                }
            },
        })
    }
}

pub struct LanguageChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

pub struct PlaybookRow {
    pub score: u8,
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
    pub error: Option<String>,
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

impl SettingsPage {
    fn checked(v: &Option<String>) -> bool {
        v.is_some()
    }
    pub fn passive_nudge(&self) -> bool {
        Self::checked(&self.form.passive_nudge)
    }
    pub fn resurvey(&self) -> bool {
        Self::checked(&self.form.resurvey_after_resolution)
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

#[derive(Debug, Default, Deserialize)]
pub struct LanguageParam {
    language: Option<String>,
}

fn language_of(raw: Option<&str>) -> Option<Language> {
    raw.filter(|l| !l.is_empty())
        .and_then(|l| Language::new(l).ok())
}

fn settings_href(language: Option<&Language>, anchor: &str) -> String {
    match language {
        Some(l) => format!("/settings?language={}#{anchor}", encode(l.as_str())),
        None => format!("/settings#{anchor}"),
    }
}

/// The whole page; `form` replaces the stored settings when the person's input is shown
/// again after a refusal.
async fn page(
    state: &AppState,
    user: &SignedIn,
    language: Option<&Language>,
    form: Option<SettingsForm>,
    error: Option<String>,
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
    let query = language.map_or(String::new(), |l| {
        format!("?language={}", encode(l.as_str()))
    });
    let playbooks = store
        .settings()
        .playbooks(ws, language)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|p| PlaybookRow {
            score: p.score,
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
        .collect();
    let rules = store.settings().routing_rules(ws).await.map_err(internal)?;
    let n = rules.len();
    let rules = rules
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
        .collect();
    let warnings = store
        .workspaces()
        .setup_warnings(ws)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|w| w.message)
        .collect();
    let widget = if user.role.grants(advocate_core::Permission::Administer) {
        let s = store
            .workspaces()
            .widget_secrets(ws, chrono::Utc::now())
            .await
            .map_err(internal)?;
        Some(WidgetSecretView {
            secret: s.secret,
            previous_until: s
                .previous_valid_until
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            grace_days: advocate_store::tenancy::widget_secret::GRACE_DAYS,
        })
    } else {
        None
    };
    Ok(SettingsPage {
        warnings,
        widget,
        workspace,
        user: user.email.clone(),
        error,
        form,
        language_name: LANGUAGE_NAMES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(code, |(_, n)| n)
            .to_owned(),
        languages,
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
        None,
    )
    .await
}

/// After a change: redirect on success, the page with the message on a refusal.
async fn answer(
    state: &AppState,
    user: &SignedIn,
    language: Option<&Language>,
    anchor: &str,
    form: Option<SettingsForm>,
    result: Result<(), String>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&settings_href(language, anchor)).into_response(),
        Err(msg) => match page(state, user, language, form, Some(msg)).await {
            Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
            Err(e) => e.into_response(),
        },
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

pub async fn save(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    RawForm(body): RawForm,
) -> Response {
    let posted: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let f: SettingsForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => {
            return PageError(StatusCode::BAD_REQUEST, "This form could not be read.")
                .into_response()
        }
    };
    let store = &state.store;
    let ws = user.workspace_id;
    let before = match (
        store.workspaces().get(ws).await,
        store.settings().get(ws).await,
    ) {
        (Ok(Some(w)), Ok(s)) => (w.name, s),
        (Ok(None), _) => {
            return PageError(StatusCode::NOT_FOUND, "Your workspace no longer exists.")
                .into_response()
        }
        (Err(e), _) | (_, Err(e)) => return internal(e).into_response(),
    };
    let f = f.completed(&posted, &SettingsForm::from_settings(&before.0, &before.1));
    let settings = match f.parse() {
        Ok(settings) => outbound::check_settings(&state.config.allowed_hosts, &settings)
            .await
            .map(|()| settings),
        Err(msg) => Err(msg),
    };
    let name = f.name.trim().to_owned();
    let result = match settings {
        Ok(settings) => {
            // The name first: it is checked like the settings, and a refused name changes nothing.
            let saved = match advocate_store::tenancy::settings::check_settings(&settings) {
                Err(e) => Err(e),
                Ok(()) if name != before.0 => {
                    store.workspaces().rename(ws, &name).await.map(|_| ())
                }
                Ok(()) => Ok(()),
            };
            let saved = match saved {
                Ok(()) => store.settings().save(ws, &settings).await,
                Err(e) => Err(e),
            };
            match outcome(saved) {
                Ok(Ok(())) => Ok(changes(
                    &Named {
                        name: &before.0,
                        settings: &before.1,
                    },
                    &Named {
                        name: &name,
                        settings: &settings,
                    },
                )),
                Ok(Err(msg)) => Err(msg),
                Err(e) => return e.into_response(),
            }
        }
        Err(msg) => Err(msg),
    };
    match result {
        Ok(detail) => audited(
            detail,
            answer(&state, &user, None, "workspace", None, Ok(())).await,
        ),
        Err(msg) => answer(&state, &user, None, "workspace", Some(f), Err(msg)).await,
    }
}

/// The settings and the workspace's name, as the audit log compares them.
#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    #[serde(flatten)]
    settings: &'a WorkspaceSettings,
}

/// `POST /settings/widget-secret/rotate` (admins): a new widget secret; the old one is
/// still accepted for the grace period.
pub async fn rotate_widget_secret(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
) -> Response {
    let ws = user.workspace_id;
    if let Err(e) = state
        .store
        .workspaces()
        .rotate_widget_secret(ws, chrono::Utc::now())
        .await
    {
        return internal(e).into_response();
    }
    let detail = format!(
        "the previous secret is accepted for {} more days",
        advocate_store::tenancy::widget_secret::GRACE_DAYS
    );
    if let Err(e) = state
        .store
        .audit()
        .record(
            ws,
            &user.actor(),
            "widget_secret.rotated",
            "workspace",
            &detail,
        )
        .await
    {
        return internal(e).into_response();
    }
    Redirect::to("/settings#widget").into_response()
}

#[derive(Debug, Deserialize)]
pub struct PlaybookForm {
    steps: String,
    priority: Option<String>,
}

fn score_of(raw: &str) -> Result<Score, PageError> {
    raw.parse::<i64>()
        .ok()
        .and_then(|s| Score::new(s).ok())
        .ok_or(PageError(StatusCode::NOT_FOUND, "There is no such score."))
}

pub async fn save_playbook(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<LanguageParam>,
    Form(f): Form<PlaybookForm>,
) -> Response {
    let score = match score_of(&raw) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let language = language_of(q.language.as_deref());
    // One step per line; blank lines are only spacing.
    let steps: Vec<String> = f
        .steps
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let priority = match f.priority.as_deref().filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => Priority::parse(p)
            .map(Some)
            .ok_or_else(|| format!("unknown priority {p:?}")),
    };
    let before = playbook_of(&state, user.workspace_id, score, language.as_ref()).await;
    let result = match priority {
        Ok(priority) => match outcome(
            state
                .store
                .settings()
                .set_playbook(
                    user.workspace_id,
                    score,
                    language.as_ref(),
                    &steps,
                    priority,
                )
                .await,
        ) {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        },
        Err(m) => Err(m),
    };
    let result = result.map_err(|m| format!("Playbook for score {}: {m}", score.value()));
    let anchor = format!("playbook-{}", score.value());
    let ok = result.is_ok();
    let response = answer(&state, &user, language.as_ref(), &anchor, None, result).await;
    let after = playbook_of(&state, user.workspace_id, score, language.as_ref()).await;
    match (ok, before, after) {
        (true, Some(before), Some(after)) => audited(changes(&before, &after), response),
        _ => response,
    }
}

/// A score's playbook as the audit log compares it (steps and priority).
async fn playbook_of(
    state: &AppState,
    ws: i64,
    score: Score,
    language: Option<&Language>,
) -> Option<serde_json::Value> {
    let p = state
        .store
        .settings()
        .playbooks(ws, language)
        .await
        .ok()?
        .into_iter()
        .find(|p| p.score == score.value())?;
    Some(serde_json::json!({"steps": p.steps, "priority": p.priority}))
}

pub async fn reset_playbook(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Query(q): Query<LanguageParam>,
) -> Response {
    let score = match score_of(&raw) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let language = language_of(q.language.as_deref());
    let result = match outcome(
        state
            .store
            .settings()
            .reset_playbook(user.workspace_id, score, language.as_ref())
            .await,
    ) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let anchor = format!("playbook-{}", score.value());
    answer(&state, &user, language.as_ref(), &anchor, None, result).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    attribute: String,
    value: String,
    touchpoint: String,
    language: String,
    assignee: String,
}

pub async fn add_rule(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Form(f): Form<RuleForm>,
) -> Response {
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let input = RoutingRuleInput {
        attribute: opt(&f.attribute),
        value: opt(&f.value),
        touchpoint: opt(&f.touchpoint),
        language: opt(&f.language),
        assignee: f.assignee.clone(),
        position: None,
    };
    let result = match outcome(
        state
            .store
            .settings()
            .create_routing_rule(user.workspace_id, &input)
            .await,
    ) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let result = result.map_err(|m| format!("Routing rule: {m}"));
    answer(&state, &user, None, "routing", None, result).await
}

fn rule_id(raw: &str) -> Result<i64, PageError> {
    raw.parse()
        .map_err(|_| PageError(StatusCode::NOT_FOUND, "There is no such routing rule."))
}

pub async fn delete_rule(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
) -> Response {
    let id = match rule_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let result = match outcome(
        state
            .store
            .settings()
            .delete_routing_rule(user.workspace_id, id)
            .await,
    ) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    answer(&state, &user, None, "routing", None, result).await
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    direction: String,
}

pub async fn move_rule(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(raw): Path<String>,
    Form(f): Form<MoveForm>,
) -> Response {
    let id = match rule_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let rules = match state
        .store
        .settings()
        .routing_rules(user.workspace_id)
        .await
    {
        Ok(r) => r,
        Err(e) => return internal(e).into_response(),
    };
    let mut ids: Vec<i64> = rules.iter().map(|r| r.id).collect();
    let Some(i) = ids.iter().position(|x| *x == id) else {
        return PageError(StatusCode::NOT_FOUND, "There is no such routing rule.").into_response();
    };
    let j = match f.direction.as_str() {
        "up" => i.checked_sub(1),
        "down" => Some(i + 1).filter(|j| *j < ids.len()),
        _ => None,
    };
    let result = match j {
        // Already first (or last): nothing to move.
        None => Ok(()),
        Some(j) => {
            ids.swap(i, j);
            match outcome(
                state
                    .store
                    .settings()
                    .reorder_routing_rules(user.workspace_id, &ids)
                    .await,
            ) {
                Ok(r) => r,
                Err(e) => return e.into_response(),
            }
        }
    };
    answer(&state, &user, None, "routing", None, result).await
}
