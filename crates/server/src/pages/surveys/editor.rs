//! The survey editor (`/surveys/{id}`) and the new-survey form (`/surveys/new`). The form
//! is turned into the API's [`SurveyBody`] and checked by the API's own
//! [`change_from`], so the page refuses what `PATCH /api/v1/surveys/{id}` refuses, and a
//! refused field is shown next to its input with the person's input kept (422).

use super::share::{share_panel, SharePanel};
use super::{status_text, survey_of};
use crate::api::replace::{audited, changes};
use crate::api::surveys::{change_from, FieldProblem, SurveyBody, TextOverrides, NAME_MAX};
use crate::auth::SignedIn;
use crate::pages::signin::RequireSignIn;
use crate::pages::views::LANGUAGE_NAMES;
use crate::pages::{internal, workspace_of, PageError};
use crate::state::AppState;
use advocate_core::field::{label, language, line};
use advocate_core::i18n::{self, SurveyTexts, SUPPORTED};
use advocate_core::Permission::Configure;
use advocate_core::{Language, SurveyKind, SurveyStatus};
use advocate_store::models::{NewSurvey, Survey};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The texts the editor offers per language, as (form key, label): the question page's,
/// then the thank-you page's.
const TEXTS: [(&str, &str); 6] = [
    ("question", "Question"),
    (
        "follow_up_promoter",
        "Follow-up after a high score (promoters, 9–10)",
    ),
    (
        "follow_up_passive",
        "Follow-up after a middle score (passives, 7–8; every CSAT score)",
    ),
    (
        "follow_up_detractor",
        "Follow-up after a low score (detractors, 0–6)",
    ),
    ("thanks_title", "Thank-you page: heading"),
    ("thanks_body", "Thank-you page: text"),
];

/// Whether a text is shown on the thank-you page (the preview switches to it).
fn on_thanks_page(key: &str) -> bool {
    key.starts_with("thanks_")
}

/// A language's own text of one key (a key of [`TEXTS`]).
fn own_text<'t>(t: &'t mut TextOverrides, key: &str) -> &'t mut Option<String> {
    match key {
        "question" => &mut t.question,
        "follow_up_promoter" => &mut t.follow_up_promoter,
        "follow_up_passive" => &mut t.follow_up_passive,
        "follow_up_detractor" => &mut t.follow_up_detractor,
        "thanks_title" => &mut t.thanks_title,
        _ => &mut t.thanks_body,
    }
}

/// The built-in text of one key (a key of [`TEXTS`]).
fn builtin_text(t: &SurveyTexts, key: &str) -> String {
    match key {
        "question" => &t.question,
        "follow_up_promoter" => &t.follow_up_promoter,
        "follow_up_passive" => &t.follow_up_passive,
        "follow_up_detractor" => &t.follow_up_detractor,
        "thanks_title" => &t.thanks_title,
        _ => &t.thanks_body,
    }
    .clone()
}

/// One text input of one language.
pub struct TextField {
    /// The input's id and name, e.g. `question_nb`.
    pub id: String,
    pub label: &'static str,
    pub value: String,
    /// The built-in text, used while the field is empty.
    pub placeholder: String,
    pub error: Option<String>,
    /// Shown on the thank-you page rather than the question page.
    pub thanks: bool,
}

/// One language's texts.
pub struct LanguageTexts {
    pub code: &'static str,
    pub name: &'static str,
    /// Shown unfolded: the default language, one with its own texts, or one with an error.
    pub open: bool,
    pub own: bool,
    pub fields: Vec<TextField>,
}

/// A choice of a `<select>`.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey_edit.html")]
pub struct EditorPage {
    pub workspace: String,
    pub user: String,
    /// `None` on the new-survey form.
    pub id: Option<i64>,
    pub title: String,
    pub slug: String,
    pub name: String,
    pub touchpoint: String,
    pub kinds: Vec<Choice>,
    pub default_languages: Vec<Choice>,
    pub languages: Vec<LanguageTexts>,
    pub status: &'static str,
    pub status_class: &'static str,
    pub errors: BTreeMap<String, String>,
    pub notice: String,
    pub can_edit: bool,
    pub share: Option<SharePanel>,
}

impl EditorPage {
    /// The message of a refused field, by its input's id.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// Whether the survey is active (its buttons: pause and archive, else reactivate).
    pub fn active(&self) -> bool {
        self.status_class == SurveyStatus::Active.as_str()
    }

    pub fn archived(&self) -> bool {
        self.status_class == SurveyStatus::Archived.as_str()
    }

    fn selected(choices: &[Choice]) -> &'static str {
        let chosen = choices.iter().find(|c| c.selected).or(choices.first());
        chosen.map_or("", |c| c.value)
    }

    /// Where the preview button sends the form: the survey's preview, or the new survey's.
    pub fn preview_action(&self) -> String {
        match self.id {
            Some(id) => format!("/surveys/{id}/preview"),
            None => "/surveys/new/preview".to_owned(),
        }
    }

    /// The preview frame's first page: the saved survey (or a new one of the kind chosen)
    /// in the default language.
    pub fn preview_src(&self) -> String {
        let lang = Self::selected(&self.default_languages);
        match self.id {
            Some(id) => format!("/surveys/{id}/preview?lang={lang}"),
            None => format!(
                "/surveys/new/preview/{}?lang={lang}",
                Self::selected(&self.kinds)
            ),
        }
    }
}

fn kinds(selected: &str) -> Vec<Choice> {
    [
        ("nps", "NPS: how likely to recommend, 0–10"),
        ("csat", "CSAT: how satisfied, 1–5"),
        ("enps", "eNPS: employees, 0–10, anonymous"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value,
        label,
        selected: value == selected,
    })
    .collect()
}

fn default_languages(selected: &str) -> Vec<Choice> {
    LANGUAGE_NAMES
        .into_iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: value == selected,
        })
        .collect()
}

/// The input id of a refused field: `texts.nb.question` is the input `question_nb`.
fn input_of(field: &str) -> String {
    match field.strip_prefix("texts.").and_then(|r| r.split_once('.')) {
        Some((lang, text)) => format!("{text}_{lang}"),
        None => field.to_owned(),
    }
}

/// A posted value, trimmed; `None` when the form did not send the field at all.
fn posted<'f>(form: &'f HashMap<String, String>, key: &str) -> Option<&'f str> {
    form.get(key).map(|v| v.trim())
}

/// The editor's form as the API's body: fields the form did not send keep their value;
/// an emptied text goes back to the built-in one, and a language left with no text of
/// its own is removed.
pub(super) fn body_from(
    before: &Survey,
    form: &HashMap<String, String>,
) -> Result<SurveyBody, FieldProblem> {
    let mut body = SurveyBody::from(before);
    if let Some(name) = posted(form, "name") {
        body.name = name.to_owned();
    }
    if let Some(kind) = posted(form, "kind") {
        body.kind = SurveyKind::parse(kind)
            .map_err(|e| FieldProblem {
                field: "kind".into(),
                message: format!("kind {e}"),
            })?
            .into();
    }
    if let Some(t) = posted(form, "touchpoint") {
        body.touchpoint = (!t.is_empty()).then(|| t.to_owned());
    }
    if let Some(l) = posted(form, "default_language") {
        body.default_language = l.to_owned();
    }
    for code in SUPPORTED {
        let mut texts = body.texts.remove(code).unwrap_or_default();
        for (key, _) in TEXTS {
            let Some(v) = posted(form, &format!("{key}_{code}")) else {
                continue;
            };
            *own_text(&mut texts, key) = (!v.is_empty()).then(|| v.to_owned());
        }
        if texts != Default::default() {
            body.texts.insert(code.to_owned(), texts);
        }
    }
    Ok(body)
}

/// What the page shows: the survey, or the person's refused input over it.
struct Shown<'a> {
    survey: &'a Survey,
    form: Option<&'a HashMap<String, String>>,
    errors: BTreeMap<String, String>,
    notice: String,
}

async fn editor_page(
    state: &AppState,
    who: &SignedIn,
    shown: Shown<'_>,
) -> Result<EditorPage, PageError> {
    let survey = shown.survey;
    let workspace = workspace_of(state, who.workspace_id).await?.name;
    let value = |key: &str, stored: String| -> String {
        shown
            .form
            .and_then(|f| posted(f, key))
            .map_or(stored, str::to_owned)
    };
    let kind = value("kind", survey.kind.as_str().to_owned());
    let default_language = value("default_language", survey.default_language.to_string());
    let languages = SUPPORTED
        .into_iter()
        .map(|code| {
            let lang = Language::new(code).expect("shipped languages are valid");
            let builtin = i18n::builtin(&lang, survey.kind, &workspace);
            let mut own = TextOverrides::from(survey.texts.get(&lang).cloned().unwrap_or_default());
            let fields: Vec<TextField> = TEXTS
                .into_iter()
                .map(|(key, label)| {
                    let id = format!("{key}_{code}");
                    TextField {
                        value: value(&id, own_text(&mut own, key).take().unwrap_or_default()),
                        error: shown.errors.get(&id).cloned(),
                        id,
                        label,
                        placeholder: builtin_text(&builtin, key),
                        thanks: on_thanks_page(key),
                    }
                })
                .collect();
            let own = fields.iter().any(|f| !f.value.is_empty());
            LanguageTexts {
                code,
                name: LANGUAGE_NAMES
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map_or(code, |(_, n)| n),
                open: own || code == default_language || fields.iter().any(|f| f.error.is_some()),
                own,
                fields,
            }
        })
        .collect();
    Ok(EditorPage {
        user: who.email.clone(),
        id: Some(survey.id),
        title: survey.name.clone(),
        slug: survey.slug.clone(),
        name: value("name", survey.name.clone()),
        touchpoint: value("touchpoint", survey.touchpoint.clone().unwrap_or_default()),
        kinds: kinds(&kind),
        default_languages: default_languages(&default_language),
        languages,
        status: status_text(survey.status),
        status_class: survey.status.as_str(),
        errors: shown.errors,
        notice: shown.notice,
        can_edit: who.role.grants(Configure),
        share: Some(share_panel(state, who, survey).await?),
        workspace,
    })
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

/// What a redirect after a change tells the person.
fn notice_text(done: Option<&str>) -> String {
    match done {
        Some("created") => "The survey was created. Write its texts below, then share it.",
        Some("saved") => "Saved.",
        Some("active") => "The survey is active again: it takes answers and invitations.",
        Some("paused") => "Paused: its link says the survey is closed, and invitations to it are skipped until you reactivate it.",
        Some("archived") => "Archived: its link says the survey is closed; its answers stay in every report.",
        _ => "",
    }
    .to_owned()
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> Result<EditorPage, PageError> {
    let survey = survey_of(&state, &who, &id).await?;
    let shown = Shown {
        survey: &survey,
        form: None,
        errors: BTreeMap::new(),
        notice: notice_text(q.done.as_deref()),
    };
    editor_page(&state, &who, shown).await
}

/// A refusal: the page again with the person's input and the message by its field.
async fn refused(
    state: &AppState,
    who: &SignedIn,
    survey: &Survey,
    form: &HashMap<String, String>,
    problem: FieldProblem,
) -> Response {
    let shown = Shown {
        survey,
        form: Some(form),
        errors: BTreeMap::from([(input_of(&problem.field), problem.message)]),
        notice: String::new(),
    };
    match editor_page(state, who, shown).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn save(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let before = match survey_of(&state, &who, &id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let checked = body_from(&before, &form).and_then(|body| change_from(&before, &body));
    let change = match checked {
        Ok(c) => c,
        Err(problem) => return refused(&state, &who, &before, &form, problem).await,
    };
    let saved = state
        .store
        .surveys()
        .update(who.workspace_id, before.id, &change)
        .await;
    match saved {
        Ok(after) => audited(
            changes(&SurveyBody::from(&before), &SurveyBody::from(&after)),
            Redirect::to(&format!("/surveys/{}?done=saved", after.id)),
        ),
        // The one refusal the store makes: a new scale for an answered survey.
        Err(StoreError::Conflict(message)) => {
            let problem = FieldProblem {
                field: "kind".into(),
                message,
            };
            refused(&state, &who, &before, &form, problem).await
        }
        Err(e) => internal(e).into_response(),
    }
}

/// The new-survey form: what cannot change later (the slug) and what a survey needs.
async fn new_page(
    state: &AppState,
    who: &SignedIn,
    form: &HashMap<String, String>,
    errors: BTreeMap<String, String>,
) -> Result<EditorPage, PageError> {
    let workspace = workspace_of(state, who.workspace_id).await?;
    let value = |key: &str| posted(form, key).unwrap_or_default().to_owned();
    let kind = posted(form, "kind").unwrap_or("nps");
    let default_language = posted(form, "default_language")
        .map_or_else(|| workspace.default_language.to_string(), str::to_owned);
    Ok(EditorPage {
        user: who.email.clone(),
        id: None,
        title: "New survey".into(),
        slug: value("slug"),
        name: value("name"),
        touchpoint: value("touchpoint"),
        kinds: kinds(kind),
        default_languages: default_languages(&default_language),
        languages: Vec::new(),
        status: status_text(SurveyStatus::Active),
        status_class: SurveyStatus::Active.as_str(),
        errors,
        notice: String::new(),
        can_edit: true,
        share: None,
        workspace: workspace.name,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Result<EditorPage, PageError> {
    new_page(&state, &who, &HashMap::new(), BTreeMap::new()).await
}

/// Every field of a new survey checked at once; each refusal by its input's id.
fn new_survey(form: &HashMap<String, String>) -> Result<NewSurvey, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let get = |k: &str| posted(form, k).unwrap_or_default();
    let mut note = |field: &str, e: advocate_core::field::Invalid| {
        errors.insert(field.to_owned(), e.into_message());
    };
    let slug = label("slug", get("slug")).map_err(|e| note("slug", e)).ok();
    let name = line("name", get("name"), NAME_MAX)
        .map_err(|e| note("name", e))
        .ok();
    let kind = SurveyKind::parse(get("kind"))
        .map_err(|e| {
            note(
                "kind",
                advocate_core::field::Invalid::new(format!("kind {e}")),
            )
        })
        .ok();
    let touchpoint = match get("touchpoint") {
        "" => Some(None),
        t => label("touchpoint", t)
            .map(Some)
            .map_err(|e| note("touchpoint", e))
            .ok(),
    };
    let default_language = language("default_language", get("default_language"))
        .map_err(|e| note("default_language", e))
        .ok();
    match (slug, name, kind, touchpoint, default_language) {
        (Some(slug), Some(name), Some(kind), Some(touchpoint), Some(default_language)) => {
            Ok(NewSurvey {
                slug,
                kind,
                name,
                touchpoint,
                default_language,
                texts: BTreeMap::new(),
            })
        }
        _ => Err(errors),
    }
}

pub async fn create(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let errors = match new_survey(&form) {
        Ok(new) => match state.store.surveys().create(who.workspace_id, &new).await {
            Ok(s) => {
                return audited(
                    format!("created survey {} ({})", s.slug, s.name),
                    Redirect::to(&format!("/surveys/{}?done=created", s.id)),
                )
            }
            Err(StoreError::Conflict(m)) => BTreeMap::from([("slug".to_owned(), m)]),
            Err(e) => return internal(e).into_response(),
        },
        Err(errors) => errors,
    };
    match new_page(&state, &who, &form, errors).await {
        Ok(page) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_text_is_shown_by_its_input() {
        assert_eq!(input_of("texts.nb.question"), "question_nb");
        assert_eq!(input_of("name"), "name");
        assert_eq!(input_of("texts"), "texts");
    }
}
