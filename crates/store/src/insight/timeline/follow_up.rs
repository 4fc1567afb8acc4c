//! The "follow up at next contact" flag: set, cleared, read.

use super::opt_ts;
use crate::Timelines;
use crate::{from_ts, to_ts, Result, StoreError};
use chrono::Utc;
use sqlx::{AnyConnection, Row};

/// The longest follow-up note accepted, in characters.
pub const FOLLOW_UP_MAX_CHARS: usize = 1_000;

pub use crate::models::FollowUp;

/// The follow-up note must say something and stay short; returns it trimmed.
fn valid_note(note: &str) -> Result<&str> {
    let note = note.trim();
    if note.is_empty() {
        return Err(StoreError::Invalid(
            "the follow-up note is empty; say what to follow up on".into(),
        ));
    }
    let chars = note.chars().count();
    if chars > FOLLOW_UP_MAX_CHARS {
        return Err(StoreError::Invalid(format!(
            "the follow-up note has {chars} characters; at most {FOLLOW_UP_MAX_CHARS} are allowed"
        )));
    }
    Ok(note)
}

fn unknown_customer(external_id: &str) -> StoreError {
    StoreError::NotFound(format!("no customer with external_id {external_id:?}"))
}

pub(super) async fn follow_up_in(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> Result<Option<FollowUp>> {
    let row = sqlx::query("SELECT follow_up_note, follow_up_set_at FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_one(&mut *conn)
        .await?;
    let note: Option<String> = row.try_get("follow_up_note")?;
    let set_at = opt_ts(&row, "follow_up_set_at")?;
    Ok(note.map(|note| FollowUp {
        note,
        set_at: set_at.unwrap_or_default(),
    }))
}

impl Timelines<'_> {
    /// Sets (or replaces) the customer's "follow up at next contact" note.
    #[tracing::instrument(name = "timelines.set_follow_up", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_follow_up(
        &self,
        workspace_id: i64,
        external_id: &str,
        note: &str,
    ) -> Result<FollowUp> {
        let note = valid_note(note)?;
        let now = Utc::now();
        let done = sqlx::query(
            "UPDATE customers SET follow_up_note = $1, follow_up_set_at = $2 \
             WHERE workspace_id = $3 AND external_id = $4",
        )
        .bind(note)
        .bind(to_ts(now))
        .bind(workspace_id)
        .bind(external_id)
        .execute(&self.store.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(unknown_customer(external_id));
        }
        Ok(FollowUp {
            note: note.to_owned(),
            set_at: from_ts(to_ts(now)),
        })
    }

    /// Clears the flag; clearing a flag that is not set is fine (nothing to do).
    #[tracing::instrument(name = "timelines.clear_follow_up", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn clear_follow_up(&self, workspace_id: i64, external_id: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE customers SET follow_up_note = NULL, follow_up_set_at = NULL \
             WHERE workspace_id = $1 AND external_id = $2",
        )
        .bind(workspace_id)
        .bind(external_id)
        .execute(&self.store.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(unknown_customer(external_id));
        }
        Ok(())
    }
}
