//! Working on a case: a change (core decides, this writes), notes, the re-survey after it.

use super::{case_detail_in, opt_ts, CaseDetail, CaseNote};
use crate::delivery::outbox::{enqueue_email, enqueue_event};
use crate::models::WorkspaceSettings;
use crate::tenancy::lookup::{company_in, settings_in};
use crate::Cases;
use crate::{from_ts, to_ts, Backend, Result, StoreError};
use advocate_core::case::{self, CaseState, CaseStatus, CaseUpdate, Lifecycle, Outcome};
use advocate_core::messages;
use advocate_core::Language;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};

impl Cases<'_> {
    /// Applies `update` to a case on behalf of `actor` (a user's email or an API key's
    /// name), in one transaction with its `case.updated` event (and the re-survey email
    /// when the case is resolved and the workspace asks for one). What the change does is
    /// decided by [`advocate_core::case::plan`] on the case as locked here.
    #[tracing::instrument(name = "cases.update", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn update(
        &self,
        workspace_id: i64,
        id: i64,
        update: &CaseUpdate,
        actor: &str,
    ) -> Result<CaseDetail> {
        update.check_not_empty()?;
        let ctx = self.store.reaction_context().await?;
        let mut tx = self.store.begin_write().await?;
        let (state, asked) = self.case_state_in(&mut tx, workspace_id, id).await?;
        let now = Utc::now();
        let plan = case::plan(&state, update, now)?;
        write_plan(&mut tx, id, &plan, actor, now).await?;
        if let Some(note) = &plan.note {
            add_note_in(&mut tx, workspace_id, id, actor, note).await?;
        }
        let detail = case_detail_in(&mut tx, workspace_id, id)
            .await?
            .expect("the case was just updated");
        enqueue_event(
            &mut tx,
            workspace_id,
            "case.updated",
            json!({
                "case_id": id,
                "changes": plan.changes,
                "by": actor,
                "status": detail.case.status,
                "outcome": detail.case.outcome,
                "assignee": detail.case.assignee,
                "first_contact_at": detail.case.first_contact_at.map(|t| t.to_rfc3339()),
            }),
        )
        .await?;
        if plan.resolved {
            let settings = settings_in(&mut tx, workspace_id).await?;
            if let Some(customer_id) = asked.customer_id {
                if settings.resurvey_after_resolution {
                    queue_resurvey(&mut tx, &ctx, &settings, workspace_id, customer_id, &asked)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(detail)
    }

    /// The case as the rules need it, locked for the rest of the transaction on
    /// PostgreSQL (SQLite has one writer at a time), and whom it asked what.
    pub(crate) async fn case_state_in(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
        id: i64,
    ) -> Result<(CaseState, Asked)> {
        let lock = if self.store.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "SELECT status, outcome, first_contact_at, resolved_at, closed_at, compensation, \
             assignee, customer_id, survey_id, language FROM cases \
             WHERE workspace_id = $1 AND id = $2{lock}"
        ))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no case {id}")))?;
        let status = CaseStatus::parse(&row.try_get::<String, _>("status")?)
            .ok_or_else(|| StoreError::Invalid("stored case status is unknown".into()))?;
        let steps: Vec<i64> =
            sqlx::query_scalar("SELECT position FROM case_steps WHERE case_id = $1")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        let state = CaseState {
            id,
            lifecycle: Lifecycle {
                status,
                outcome: row
                    .try_get::<Option<String>, _>("outcome")?
                    .as_deref()
                    .and_then(Outcome::stored),
                first_contact_at: opt_ts(&row, "first_contact_at")?,
                resolved_at: opt_ts(&row, "resolved_at")?,
                closed_at: opt_ts(&row, "closed_at")?,
            },
            compensation: row.try_get("compensation")?,
            assignee: row.try_get("assignee")?,
            steps,
        };
        let asked = Asked {
            customer_id: row.try_get("customer_id")?,
            survey_id: row.try_get("survey_id")?,
            language: row.try_get("language")?,
        };
        Ok((state, asked))
    }

    /// Adds a note to a case (closed ones too), queuing `case.updated`.
    #[tracing::instrument(name = "cases.add_note", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn add_note(
        &self,
        workspace_id: i64,
        id: i64,
        author: &str,
        body: &str,
    ) -> Result<CaseNote> {
        let body = case::note_body(body)?;
        let mut tx = self.store.begin_write().await?;
        let ts = to_ts(Utc::now());
        let n = sqlx::query("UPDATE cases SET updated_at = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(ts)
            .bind(workspace_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("no case {id}")));
        }
        let note_id = add_note_in(&mut tx, workspace_id, id, author, body).await?;
        enqueue_event(
            &mut tx,
            workspace_id,
            "case.updated",
            json!({"case_id": id, "changes": ["note added"], "by": author, "note_id": note_id}),
        )
        .await?;
        tx.commit().await?;
        self.store.wake_outbox();
        Ok(CaseNote {
            id: note_id,
            author: author.to_owned(),
            body: body.to_owned(),
            created_at: from_ts(ts),
        })
    }
}

/// Moves a locked case (`state`, read by [`Cases::case_state_in`]) to `to` on behalf of
/// `actor`, as a person's change would (core plans it, its note is kept); returns the
/// changes in words. For what the conversation does: contacting, reopening on a reply.
pub(crate) async fn move_case_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    state: &CaseState,
    to: CaseStatus,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let update = CaseUpdate {
        status: Some(to),
        ..CaseUpdate::default()
    };
    let plan = case::plan(state, &update, now)?;
    write_plan(conn, state.id, &plan, actor, now).await?;
    if let Some(note) = &plan.note {
        add_note_in(conn, workspace_id, state.id, actor, note).await?;
    }
    Ok(plan.changes)
}

/// Whom a case's survey asked, for the re-survey after it is resolved.
pub(crate) struct Asked {
    pub(crate) customer_id: Option<i64>,
    survey_id: i64,
    language: String,
}

/// Writes what [`case::plan`] decided: the case's fields as they are after the change,
/// and the steps ticked or unticked by `actor`.
async fn write_plan(
    conn: &mut AnyConnection,
    id: i64,
    plan: &case::CasePlan,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let l = &plan.lifecycle;
    sqlx::query(
        "UPDATE cases SET status = $1, outcome = $2, first_contact_at = $3, resolved_at = $4, \
         closed_at = $5, compensation = $6, assignee = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(l.status.as_str())
    .bind(l.outcome.map(Outcome::as_str))
    .bind(l.first_contact_at.map(to_ts))
    .bind(l.resolved_at.map(to_ts))
    .bind(l.closed_at.map(to_ts))
    .bind(plan.compensation.clone())
    .bind(&plan.assignee)
    .bind(to_ts(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for (position, done) in &plan.steps {
        sqlx::query(
            "UPDATE case_steps SET done_at = $1, done_by = $2 WHERE case_id = $3 AND position = $4",
        )
        .bind(done.then(|| to_ts(now)))
        .bind(done.then(|| actor.to_owned()))
        .bind(id)
        .bind(*position)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Asks the customer of a just-resolved case to answer the case's survey again. Returns
/// whether an email was queued (the customer needs an address).
async fn queue_resurvey(
    conn: &mut AnyConnection,
    ctx: &crate::closed_loop::context::Context<'_>,
    settings: &WorkspaceSettings,
    workspace_id: i64,
    customer_id: i64,
    asked: &Asked,
) -> Result<bool> {
    let customer = crate::feedback::customers::customer_by_id_in(conn, workspace_id, customer_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no customer with id {customer_id}")))?;
    let public_id: String = sqlx::query_scalar("SELECT public_id FROM surveys WHERE id = $1")
        .bind(asked.survey_id)
        .fetch_one(&mut *conn)
        .await?;
    let (company, default_lang) = company_in(conn, workspace_id).await?;
    let lang = Language::new(&asked.language).unwrap_or(default_lang);
    let url = format!("{}/s/{public_id}", ctx.public_url);
    let content = messages::resurvey(&lang, &company, customer.name.as_deref(), &url);
    let Some(msg) =
        crate::closed_loop::context::customer_email(ctx, settings, &customer, &lang, content)
    else {
        return Ok(false);
    };
    enqueue_email(conn, workspace_id, "case.resurvey", &msg).await?;
    Ok(true)
}

pub(crate) async fn add_note_in(
    conn: &mut AnyConnection,
    ws: i64,
    case_id: i64,
    author: &str,
    body: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO case_notes (workspace_id, case_id, author, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(ws)
    .bind(case_id)
    .bind(author)
    .bind(body)
    .bind(to_ts(Utc::now()))
    .fetch_one(&mut *conn)
    .await?)
}
