//! An answer as stored: the columns it is read with and the row read back. Below the
//! answers and closed-loop wings, so that both read answers the one way.

use crate::feedback::customers::parse_attributes;
use crate::models::Answer;
use crate::{from_ts, Result, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;

/// The columns [`answer_from`] reads.
pub(crate) const COLUMNS: &str =
    "id, workspace_id, survey_id, customer_id, score, comment, channel, touchpoint, \
                       language, answered_at, attributes, external_id";

/// The answer in a row selected with [`COLUMNS`].
pub(crate) fn answer_from(row: &AnyRow) -> Result<Answer> {
    let text = |col: &str| -> Result<Option<String>> {
        Ok(row.try_get::<String, _>(col).ok().filter(|s| !s.is_empty()))
    };
    Ok(Answer {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        survey_id: row.try_get("survey_id")?,
        customer_id: row.try_get("customer_id")?,
        score: u8::try_from(row.try_get::<i64, _>("score")?)
            .map_err(|_| StoreError::Invalid("stored score out of range".into()))?,
        comment: row.try_get("comment")?,
        channel: row.try_get("channel")?,
        touchpoint: text("touchpoint")?,
        language: text("language")?,
        answered_at: from_ts(row.try_get("answered_at")?),
        attributes: parse_attributes(&row.try_get::<String, _>("attributes")?)?,
        external_id: row.try_get("external_id")?,
    })
}
