//! The audit log: who did what to whom, per workspace; a person's account events reach
//! every workspace they belong to.

use crate::Audit;
use crate::{from_ts, to_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Who did it: `user:<email>`, `key:<prefix>` or `cli`.
    pub actor: String,
    /// What was done, e.g. `role.changed`, `export.answers`, `person.erased`.
    pub action: String,
    /// What it was done to.
    pub target: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// One line to write to an audit log.
#[derive(Debug, Clone, Copy)]
struct AuditLine<'a> {
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    detail: &'a str,
}

async fn insert_audit(
    conn: &mut AnyConnection,
    workspace_id: i64,
    line: &AuditLine<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, actor, action, target, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(workspace_id)
    .bind(line.actor)
    .bind(line.action)
    .bind(line.target)
    .bind(line.detail)
    .bind(to_ts(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Actor and detail of an event about a person (the line's target) as their other
/// workspaces see it: the actor only when it is the person themself or nobody's account
/// (`public`), else `another workspace`, so no workspace learns another's people or keys;
/// the detail says it happened elsewhere.
fn seen_elsewhere(line: &AuditLine<'_>) -> (String, String) {
    let themself = line.actor == format!("user:{}", line.target);
    let anonymous = !line.actor.starts_with("user:") && !line.actor.starts_with("key:");
    let actor = if themself || anonymous {
        line.actor.to_owned()
    } else {
        "another workspace".to_owned()
    };
    let detail = match line.detail {
        "" => "in another workspace".to_owned(),
        d => format!("{d}, in another workspace"),
    };
    (actor, detail)
}

impl Audit<'_> {
    /// Writes one line to the workspace's audit log.
    #[tracing::instrument(name = "audit.record", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record(
        &self,
        workspace_id: i64,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<()> {
        let mut conn = self.store.writer.acquire().await?;
        let line = AuditLine {
            actor,
            action,
            target,
            detail,
        };
        insert_audit(&mut conn, workspace_id, &line, Utc::now()).await
    }

    /// Writes an event of a person's account (password reset, sign-in, workspace switch,
    /// joining, role change, removal) to the audit log of every workspace they belong to,
    /// and of `here`, where it happened, even if they just left it: an admin of one
    /// workspace cannot act on a shared member unseen by the others. The other workspaces
    /// see who did it only when it was the person themself (see [`seen_elsewhere`]).
    #[tracing::instrument(name = "audit.record_person", level = "debug", skip_all)]
    pub async fn record_person(
        &self,
        user_id: i64,
        here: Option<i64>,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<()> {
        let mut tx = self.store.writer.begin().await?;
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no user with id {user_id}")))?;
        let mut workspaces: Vec<i64> =
            sqlx::query_scalar("SELECT workspace_id FROM memberships WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
        workspaces.extend(here);
        workspaces.sort_unstable();
        workspaces.dedup();
        let line = AuditLine {
            actor,
            action,
            target: &email,
            detail,
        };
        let (elsewhere_actor, elsewhere_detail) = seen_elsewhere(&line);
        let elsewhere = AuditLine {
            actor: &elsewhere_actor,
            detail: &elsewhere_detail,
            ..line
        };
        let now = Utc::now();
        for workspace_id in workspaces {
            let line = if Some(workspace_id) == here || here.is_none() {
                &line
            } else {
                &elsewhere
            };
            insert_audit(&mut tx, workspace_id, line, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The newest audit lines first; `before` pages on by id.
    #[tracing::instrument(name = "audit.log", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn log(
        &self,
        workspace_id: i64,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, actor, action, target, detail, at FROM audit_log \
             WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(workspace_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                    at: from_ts(r.try_get("at")?),
                })
            })
            .collect()
    }
}
