//! The daily rollups reports read (counts per day × survey × touchpoint × channel ×
//! language × score, and per segment attribute value), kept in the same transaction as
//! the answers they count.
//!
//! Writers add answers to a [`Tally`] and write it once before they commit: a group of
//! answers or an import then touches each rollup row once, however many answers it adds.

use crate::answers::placeholders;
use crate::models::Answer;
use crate::Result;
use advocate_core::period::{date_of_day, day_number, day_of};
use chrono::Datelike;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct NpsKey {
    workspace_id: i64,
    survey_id: i64,
    day: i64,
    touchpoint: String,
    channel: String,
    language: String,
    score: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SegmentKey {
    workspace_id: i64,
    attribute: String,
    survey_id: i64,
    day: i64,
    value: String,
    score: i64,
}

/// A `report_rollup` row: one dimension (the total, touchpoint, channel, language or a
/// segment attribute) at one grain (`d` day, `w` ISO week starting Monday, `m` month,
/// each keyed by its first day), so a report over any period reads few rows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ReportKey {
    workspace_id: i64,
    dimension: String,
    grain: &'static str,
    survey_id: i64,
    day: i64,
    value: String,
    score: i64,
}

/// `report_rollup` rows per multi-row upsert (8 values each); small, as sqlx binds SQLite
/// parameters by name at a cost quadratic in the parameters of one statement.
const REPORT_CHUNK: usize = 16;

/// Rollup changes not yet written. Keys are kept sorted, so concurrent transactions on
/// PostgreSQL lock rollup rows in the same order and cannot deadlock.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    nps: BTreeMap<NpsKey, i64>,
    segments: BTreeMap<SegmentKey, i64>,
    reports: BTreeMap<ReportKey, i64>,
}

impl Tally {
    /// Counts `delta` answers like `answer` but with `score` in every rollup it belongs to.
    pub(crate) fn count(&mut self, answer: &Answer, score: u8, delta: i64) {
        let day = i64::from(day_of(answer.answered_at));
        let score = i64::from(score);
        let key = NpsKey {
            workspace_id: answer.workspace_id,
            survey_id: answer.survey_id,
            day,
            touchpoint: answer.touchpoint.clone().unwrap_or_default(),
            channel: answer.channel.clone(),
            language: answer.language.clone().unwrap_or_default(),
            score,
        };
        *self.nps.entry(key).or_default() += delta;
        let month = i64::from(day_number(
            date_of_day(day as i32).with_day(1).expect("day 1 exists"),
        ));
        // Monday of the ISO week: day 0 (1970-01-01) was a Thursday.
        let week = day - (day + 3).rem_euclid(7);
        let mut dims: Vec<(String, String)> = vec![
            (String::new(), String::new()),
            (
                "touchpoint".into(),
                answer.touchpoint.clone().unwrap_or_default(),
            ),
            ("channel".into(), answer.channel.clone()),
            (
                "language".into(),
                answer.language.clone().unwrap_or_default(),
            ),
        ];
        dims.extend(
            answer
                .attributes
                .iter()
                .map(|(attribute, value)| (format!("segment:{attribute}"), value.clone())),
        );
        for (dimension, value) in dims {
            for (grain, day) in [("d", day), ("m", month), ("w", week)] {
                let key = ReportKey {
                    workspace_id: answer.workspace_id,
                    dimension: dimension.clone(),
                    grain,
                    survey_id: answer.survey_id,
                    day,
                    value: value.clone(),
                    score,
                };
                *self.reports.entry(key).or_default() += delta;
            }
        }
        for (attribute, value) in &answer.attributes {
            let key = SegmentKey {
                workspace_id: answer.workspace_id,
                attribute: attribute.as_str().to_owned(),
                survey_id: answer.survey_id,
                day,
                value: value.clone(),
                score,
            };
            *self.segments.entry(key).or_default() += delta;
        }
    }

    /// Writes every change (one upsert per rollup row) and empties the tally.
    pub(crate) async fn write(&mut self, conn: &mut AnyConnection) -> Result<()> {
        for (k, n) in std::mem::take(&mut self.nps) {
            if n == 0 {
                continue;
            }
            sqlx::query(
                "INSERT INTO nps_rollup (workspace_id, survey_id, day, touchpoint, channel, language, score, n) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (workspace_id, survey_id, day, touchpoint, channel, language, score) \
                 DO UPDATE SET n = nps_rollup.n + excluded.n",
            )
            .bind(k.workspace_id)
            .bind(k.survey_id)
            .bind(k.day)
            .bind(k.touchpoint)
            .bind(k.channel)
            .bind(k.language)
            .bind(k.score)
            .bind(n)
            .execute(&mut *conn)
            .await?;
        }
        for (k, n) in std::mem::take(&mut self.segments) {
            if n == 0 {
                continue;
            }
            sqlx::query(
                "INSERT INTO segment_rollup (workspace_id, attribute, survey_id, day, value, score, n) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (workspace_id, attribute, survey_id, day, value, score) \
                 DO UPDATE SET n = segment_rollup.n + excluded.n",
            )
            .bind(k.workspace_id)
            .bind(k.attribute)
            .bind(k.survey_id)
            .bind(k.day)
            .bind(k.value)
            .bind(k.score)
            .bind(n)
            .execute(&mut *conn)
            .await?;
        }
        let reports: Vec<(ReportKey, i64)> = std::mem::take(&mut self.reports)
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .collect();
        for chunk in reports.chunks(REPORT_CHUNK) {
            let rows = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 8 + 1, 8)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n) \
                 VALUES {rows} ON CONFLICT (workspace_id, dimension, grain, survey_id, day, value, score) \
                 DO UPDATE SET n = report_rollup.n + excluded.n"
            );
            let mut query = sqlx::query(&sql);
            for (k, n) in chunk {
                query = query
                    .bind(k.workspace_id)
                    .bind(k.dimension.clone())
                    .bind(k.grain)
                    .bind(k.survey_id)
                    .bind(k.day)
                    .bind(k.value.clone())
                    .bind(k.score)
                    .bind(*n);
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }
}
