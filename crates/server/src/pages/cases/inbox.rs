//! The case inbox (`/cases`): a tab per view, a page of cases at a time.

use crate::pages::score_class;
use crate::pages::signin::RequireSignIn;
use crate::pages::views::encode;
use crate::pages::{internal, when, PageError};
use crate::state::AppState;
use advocate_core::case::CaseStatus;
use advocate_store::closed_loop::cases::{Case, CaseFilter};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;

const PAGE_SIZE: u32 = 50;

/// The inbox's tabs: `(code for ?view=, label)`.
pub const VIEWS: [(&str, &str); 5] = [
    ("mine", "Mine"),
    ("all", "All"),
    ("open", "Open"),
    ("overdue", "Overdue"),
    ("resolved", "Resolved"),
];

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    view: Option<String>,
    page: Option<String>,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

pub struct CaseRow {
    pub href: String,
    pub id: i64,
    pub priority: &'static str,
    pub score: u8,
    pub score_class: &'static str,
    pub customer: String,
    pub customer_href: String,
    pub status: &'static str,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
    pub comment: String,
}

impl From<Case> for CaseRow {
    fn from(c: Case) -> Self {
        Self {
            href: format!("/cases/{}", c.id),
            id: c.id,
            priority: c.priority.as_str(),
            score: c.score,
            score_class: score_class(c.score),
            customer: c
                .customer_name
                .clone()
                .or_else(|| c.customer_external_id.clone())
                .unwrap_or_else(|| "Anonymous".into()),
            customer_href: c
                .customer_external_id
                .as_deref()
                .map(|e| format!("/customers/{}", encode(e)))
                .unwrap_or_default(),
            status: c.status.as_str(),
            due: when(c.sla_due_at),
            overdue: c.overdue,
            assignee: c.assignee,
            comment: c.comment.unwrap_or_default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub struct InboxPage {
    pub workspace: String,
    pub user: String,
    pub tabs: Vec<Tab>,
    pub view_label: &'static str,
    pub rows: Vec<CaseRow>,
    pub total: u64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    /// For admins: how many replies wait in the unmatched list.
    pub unmatched: i64,
}

fn inbox_href(view: &str, page: u32) -> String {
    if page > 1 {
        format!("/cases?view={view}&page={page}")
    } else {
        format!("/cases?view={view}")
    }
}

/// The filter behind each tab; "Mine" is the signed-in user's cases still being worked on.
fn view_filter(view: &str, email: &str) -> CaseFilter {
    let active = vec![CaseStatus::Open, CaseStatus::Contacted];
    match view {
        "all" => CaseFilter::default(),
        "open" => CaseFilter {
            statuses: active,
            ..Default::default()
        },
        "overdue" => CaseFilter {
            overdue: Some(true),
            ..Default::default()
        },
        "resolved" => CaseFilter {
            statuses: vec![CaseStatus::Resolved, CaseStatus::Closed],
            ..Default::default()
        },
        _ => CaseFilter {
            statuses: active,
            assignee: Some(email.to_owned()),
            ..Default::default()
        },
    }
}

pub async fn inbox(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(q): Query<InboxQuery>,
) -> Result<InboxPage, PageError> {
    let workspace = crate::pages::workspace_of(&state, user.workspace_id)
        .await?
        .name;
    let view = q
        .view
        .filter(|v| VIEWS.iter().any(|(c, _)| c == v))
        .unwrap_or_else(|| "mine".into());
    let page = q
        .page
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let offset = (page - 1) * PAGE_SIZE;
    let mut filter = CaseFilter {
        limit: PAGE_SIZE,
        offset,
        ..view_filter(&view, &user.email)
    };
    if user.sees_only_own() {
        // Agents see their own cases on every tab.
        filter.assignee = Some(user.email.clone());
    }
    let found = state
        .store
        .cases()
        .list(user.workspace_id, &filter)
        .await
        .map_err(internal)?;
    let shown = found.cases.len() as u64;
    let unmatched = if user.role.grants(advocate_core::Permission::Configure) {
        state
            .store
            .conversations()
            .unmatched_count(user.workspace_id)
            .await
            .map_err(internal)?
    } else {
        0
    };
    Ok(InboxPage {
        unmatched,
        workspace,
        user: user.email,
        tabs: VIEWS
            .iter()
            .map(|(code, label)| Tab {
                href: inbox_href(code, 1),
                label,
                current: *code == view,
            })
            .collect(),
        view_label: VIEWS
            .iter()
            .find(|(c, _)| *c == view)
            .map_or("", |(_, l)| l),
        prev_href: (page > 1).then(|| inbox_href(&view, page - 1)),
        next_href: (u64::from(offset) + shown < found.total).then(|| inbox_href(&view, page + 1)),
        rows: found.cases.into_iter().map(CaseRow::from).collect(),
        total: found.total,
    })
}
