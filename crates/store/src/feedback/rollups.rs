//! The daily rollups reports read (counts per day × survey × touchpoint × channel ×
//! language × score, and per segment attribute value), kept in the same transaction as
//! the answers they count.
//!
//! Writers add answers to a [`Tally`] and write it once before they commit: a group of
//! answers or an import then touches each rollup row once, however many answers it adds.

use crate::many_rows::{Placeholders, MAX_VALUES};
use crate::models::Answer;
use crate::{Backend, Result};
use advocate_core::customer::Attributes;
use advocate_core::period::{date_of_day, day_number, day_of};
use chrono::Datelike;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Text in rollup keys: shared, so that spreading an answer over a dozen rollup rows
/// copies references, not strings (see [`Names`]).
type Name = Arc<str>;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct NpsKey {
    workspace_id: i64,
    survey_id: i64,
    day: i64,
    touchpoint: Name,
    channel: Name,
    language: Name,
    score: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SegmentKey {
    workspace_id: i64,
    attribute: Name,
    survey_id: i64,
    day: i64,
    value: Name,
    score: i64,
}

/// A `report_rollup` row: one dimension (the total, touchpoint, channel, language or a
/// segment attribute) at one grain (`d` day, `w` ISO week starting Monday, `m` month,
/// each keyed by its first day), so a report over any period reads few rows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ReportKey {
    workspace_id: i64,
    dimension: Name,
    grain: &'static str,
    survey_id: i64,
    day: i64,
    value: Name,
    score: i64,
}

/// What one answer adds to the rollups, before it is spread over their rows: answers
/// alike in all of this are counted once, and spread once, at [`Tally::write`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Counted {
    workspace_id: i64,
    survey_id: i64,
    day: i64,
    touchpoint: Name,
    channel: Name,
    language: Name,
    attributes: Attributes,
    score: i64,
}

/// Rollup changes not yet written.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    counted: HashMap<Counted, i64>,
    names: Names,
}

/// Each distinct text of a tally's keys once (channels, languages, touchpoints, segment
/// attributes and values are few; answers are many).
#[derive(Debug, Default)]
struct Names(HashSet<Name>);

impl Names {
    fn of(&mut self, text: &str) -> Name {
        if let Some(name) = self.0.get(text) {
            return name.clone();
        }
        let name: Name = Arc::from(text);
        self.0.insert(name.clone());
        name
    }
}

/// Every rollup row a tally changes, keys sorted so that concurrent transactions on
/// PostgreSQL lock rollup rows in the same order and cannot deadlock.
#[derive(Debug, Default)]
struct Changes {
    nps: BTreeMap<NpsKey, i64>,
    segments: BTreeMap<SegmentKey, i64>,
    reports: BTreeMap<ReportKey, i64>,
}

impl Tally {
    /// Counts `delta` answers like `answer` but with `score` in every rollup it belongs to.
    pub(crate) fn count(&mut self, answer: &Answer, score: u8, delta: i64) {
        let names = &mut self.names;
        let key = Counted {
            workspace_id: answer.workspace_id,
            survey_id: answer.survey_id,
            day: i64::from(day_of(answer.answered_at)),
            touchpoint: names.of(answer.touchpoint.as_deref().unwrap_or_default()),
            channel: names.of(&answer.channel),
            language: names.of(answer.language.as_deref().unwrap_or_default()),
            attributes: answer.attributes.clone(),
            score: i64::from(score),
        };
        *self.counted.entry(key).or_default() += delta;
    }

    /// Writes every change (a few upserts of many rollup rows each) and empties the tally.
    pub(crate) async fn write(&mut self, conn: &mut AnyConnection) -> Result<()> {
        let mut changes = Changes::default();
        let mut names = std::mem::take(&mut self.names);
        for (counted, n) in std::mem::take(&mut self.counted) {
            if n != 0 {
                changes.add(&counted, n, &mut names);
            }
        }
        let backend = Backend::of_connection(conn);
        upsert(
            conn,
            backend,
            "nps_rollup (workspace_id, survey_id, day, touchpoint, channel, language, score, n)",
            "workspace_id, survey_id, day, touchpoint, channel, language, score",
            changes.nps,
            |q, k, n| {
                q.bind(k.workspace_id)
                    .bind(k.survey_id)
                    .bind(k.day)
                    .bind(k.touchpoint.to_string())
                    .bind(k.channel.to_string())
                    .bind(k.language.to_string())
                    .bind(k.score)
                    .bind(n)
            },
        )
        .await?;
        upsert(
            conn,
            backend,
            "segment_rollup (workspace_id, attribute, survey_id, day, value, score, n)",
            "workspace_id, attribute, survey_id, day, value, score",
            changes.segments,
            |q, k, n| {
                q.bind(k.workspace_id)
                    .bind(k.attribute.to_string())
                    .bind(k.survey_id)
                    .bind(k.day)
                    .bind(k.value.to_string())
                    .bind(k.score)
                    .bind(n)
            },
        )
        .await?;
        upsert(
            conn,
            backend,
            "report_rollup (workspace_id, dimension, grain, survey_id, day, value, score, n)",
            "workspace_id, dimension, grain, survey_id, day, value, score",
            changes.reports,
            |q, k, n| {
                q.bind(k.workspace_id)
                    .bind(k.dimension.to_string())
                    .bind(k.grain)
                    .bind(k.survey_id)
                    .bind(k.day)
                    .bind(k.value.to_string())
                    .bind(k.score)
                    .bind(n)
            },
        )
        .await
    }
}

/// Adds each row's `n` to the rollup row with the same key (creating it if need be), many
/// rows per statement, in the keys' order. `bind` binds a row's values: the key's columns
/// then `n`, as `table_and_columns` lists them.
async fn upsert<K>(
    conn: &mut AnyConnection,
    backend: Backend,
    table_and_columns: &str,
    key_columns: &str,
    rows: BTreeMap<K, i64>,
    bind: impl for<'q> Fn(Query<'q, Any, AnyArguments<'q>>, &K, i64) -> Query<'q, Any, AnyArguments<'q>>,
) -> Result<()> {
    let table = table_and_columns.split(' ').next().unwrap_or_default();
    let columns = table_and_columns.matches(',').count() + 1;
    let rows: Vec<(K, i64)> = rows.into_iter().filter(|(_, n)| *n != 0).collect();
    for chunk in rows.chunks(MAX_VALUES / columns) {
        let sql = format!(
            "INSERT INTO {table_and_columns} VALUES {} ON CONFLICT ({key_columns}) \
             DO UPDATE SET n = {table}.n + excluded.n",
            Placeholders::new(backend).rows(chunk.len(), columns)
        );
        let mut query = sqlx::query(&sql);
        for (k, n) in chunk {
            query = bind(query, k, *n);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Changes {
    /// Spreads `n` answers like `c` over every rollup row they belong to.
    fn add(&mut self, c: &Counted, n: i64, names: &mut Names) {
        let (day, score) = (c.day, c.score);
        let key = NpsKey {
            workspace_id: c.workspace_id,
            survey_id: c.survey_id,
            day,
            touchpoint: c.touchpoint.clone(),
            channel: c.channel.clone(),
            language: c.language.clone(),
            score,
        };
        *self.nps.entry(key).or_default() += n;
        let month = i64::from(day_number(
            date_of_day(day as i32).with_day(1).expect("day 1 exists"),
        ));
        // Monday of the ISO week: day 0 (1970-01-01) was a Thursday.
        let week = day - (day + 3).rem_euclid(7);
        let mut dims: Vec<(Name, Name)> = vec![
            (names.of(""), names.of("")),
            (names.of("touchpoint"), c.touchpoint.clone()),
            (names.of("channel"), c.channel.clone()),
            (names.of("language"), c.language.clone()),
        ];
        dims.extend(c.attributes.iter().map(|(attribute, value)| {
            (names.of(&format!("segment:{attribute}")), names.of(value))
        }));
        for (dimension, value) in dims {
            for (grain, day) in [("d", day), ("m", month), ("w", week)] {
                let key = ReportKey {
                    workspace_id: c.workspace_id,
                    dimension: dimension.clone(),
                    grain,
                    survey_id: c.survey_id,
                    day,
                    value: value.clone(),
                    score,
                };
                *self.reports.entry(key).or_default() += n;
            }
        }
        for (attribute, value) in &c.attributes {
            let key = SegmentKey {
                workspace_id: c.workspace_id,
                attribute: names.of(attribute.as_str()),
                survey_id: c.survey_id,
                day,
                value: names.of(value),
                score,
            };
            *self.segments.entry(key).or_default() += n;
        }
    }
}
