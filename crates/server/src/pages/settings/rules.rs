//! Adding, deleting and moving routing rules (`/settings/routing-rules`).

use super::{answer, outcome};
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_store::tenancy::settings::RoutingRuleInput;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

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
