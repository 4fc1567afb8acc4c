//! `advocate import answers FILE.csv` (or its old name, `import responses`): historic
//! answers from a CSV file, all or nothing.
//!
//! The file is read twice. The first pass validates every row and reports every problem
//! with its line number; only when there is none does the second pass store the answers,
//! all in one transaction. Memory stays small for large files: rows are never all held
//! at once, only the external ids needed to find duplicates.

use super::rows::{report, Row, Rows};
use crate::options::DbArgs;
use advocate_core::field::{
    channel as parse_channel, label, language, optional_text, score as parse_score, text, Invalid,
};
use advocate_core::{Channel, Rating, SurveyKind};
use advocate_store::models::{NewAnswer, Respondent};
use advocate_store::Store;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Lookups are sent to the database this many keys at a time.
const LOOKUP_BATCH: usize = 4096;
/// Answers a little in the future are accepted (clock skew), as in the API.
const FUTURE_SLACK_MINUTES: i64 = 5;

const REQUIRED: [&str; 3] = ["survey", "score", "answered_at"];
const OPTIONAL: [&str; 6] = [
    "customer_id",
    "comment",
    "channel",
    "touchpoint",
    "language",
    "external_id",
];

/// Where each known column is in the file.
struct Columns {
    survey: usize,
    score: usize,
    answered_at: usize,
    customer_id: Option<usize>,
    comment: Option<usize>,
    channel: Option<usize>,
    touchpoint: Option<usize>,
    language: Option<usize>,
    external_id: Option<usize>,
    count: usize,
}

impl Columns {
    /// Reads the header row; every problem with it is reported at once.
    fn from_header(header: &[String]) -> Result<Self, Vec<String>> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim();
            if !REQUIRED.contains(&name) && !OPTIONAL.contains(&name) {
                unknown.push(format!("{name:?}"));
            } else if index.insert(name, i).is_some() {
                problems.push(format!("column {name:?} appears more than once"));
            }
        }
        if !unknown.is_empty() {
            problems.push(format!(
                "unknown column{} {}; the columns are {} (required) and {}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", "),
                REQUIRED.join(", "),
                OPTIONAL.join(", ")
            ));
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| !index.contains_key(c))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "missing required column{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let get = |c: &str| index.get(c).copied();
        Ok(Self {
            survey: index["survey"],
            score: index["score"],
            answered_at: index["answered_at"],
            customer_id: get("customer_id"),
            comment: get("comment"),
            channel: get("channel"),
            touchpoint: get("touchpoint"),
            language: get("language"),
            external_id: get("external_id"),
            count: header.len(),
        })
    }
}

/// What rows are checked against.
struct RowContext {
    workspace_id: i64,
    /// Survey slug → (id, kind).
    surveys: HashMap<String, (i64, SurveyKind)>,
    now: DateTime<Utc>,
}

fn field(row: &Row, column: Option<usize>) -> Option<&str> {
    column
        .and_then(|i| row.fields.get(i))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// A score as a CSV cell holds it, turned into the JSON value the API would have received,
/// so that the API's rules and messages apply: `9` is 9, `7.5` a number, `nine` a string.
fn score_value(raw: &str) -> serde_json::Value {
    if let Ok(n) = raw.parse::<i64>() {
        return n.into();
    }
    match raw.parse::<f64>() {
        Ok(x) if x.is_finite() => {
            serde_json::Number::from_f64(x).map_or_else(|| raw.into(), serde_json::Value::Number)
        }
        _ => raw.into(),
    }
}

/// The value, or `None` with the problem added to `problems`.
fn check<T>(problems: &mut Vec<String>, r: Result<T, Invalid>) -> Option<T> {
    r.map_err(|e| problems.push(e.into_message())).ok()
}

fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.to_utc());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// The survey (id, kind) a row names by slug, or `None` with the problem noted.
fn survey_of(
    ctx: &RowContext,
    slug: Option<&str>,
    problems: &mut Vec<String>,
) -> Option<(i64, SurveyKind)> {
    match slug {
        None => {
            problems.push("survey is required".to_owned());
            None
        }
        Some(slug) => match ctx.surveys.get(slug) {
            Some(s) => Some(*s),
            None => {
                problems.push(format!("no survey with slug {slug:?}"));
                None
            }
        },
    }
}

/// The score on the survey's scale, or `None` with the problem noted.
fn score_of(
    raw: Option<&str>,
    survey: Option<(i64, SurveyKind)>,
    problems: &mut Vec<String>,
) -> Option<Rating> {
    match (raw, survey) {
        (None, _) => {
            problems.push("score is required".to_owned());
            None
        }
        (Some(raw), Some((_, kind))) => match parse_score(kind, &score_value(raw)) {
            Ok(s) => Some(s),
            Err(e) => {
                problems.push(e.into_message());
                None
            }
        },
        // Without a survey there is no scale to check against.
        (Some(_), None) => None,
    }
}

/// When the answer was given, not in the future, or `None` with the problem noted.
fn answered_at_of(
    ctx: &RowContext,
    raw: Option<&str>,
    problems: &mut Vec<String>,
) -> Option<DateTime<Utc>> {
    match raw {
        None => {
            problems.push("answered_at is required".to_owned());
            None
        }
        Some(raw) => match parse_time(raw) {
            None => {
                problems.push(format!(
                    "answered_at must be a time such as 2026-03-10T09:30:00Z or a date such as \
                     2026-03-10; got {raw:?}"
                ));
                None
            }
            Some(t) if t > ctx.now + Duration::minutes(FUTURE_SLACK_MINUTES) => {
                problems.push(format!("answered_at {raw} is in the future"));
                None
            }
            Some(t) => Some(t),
        },
    }
}

/// Checks one row on its own (not yet against other rows or stored data): the answer it
/// holds, or every problem with it.
fn parse_row(ctx: &RowContext, cols: &Columns, row: &Row) -> Result<NewAnswer, Vec<String>> {
    let mut problems = Vec::new();
    if row.fields.len() != cols.count {
        return Err(vec![format!(
            "has {} fields but the header has {}",
            row.fields.len(),
            cols.count
        )]);
    }
    let survey = survey_of(ctx, field(row, Some(cols.survey)), &mut problems);
    let score = score_of(field(row, Some(cols.score)), survey, &mut problems);
    let answered_at = answered_at_of(ctx, field(row, Some(cols.answered_at)), &mut problems);
    let respondent = check(
        &mut problems,
        field(row, cols.customer_id)
            .map(|c| text("customer_id", c, 200))
            .transpose(),
    )
    .map(|c| c.map_or(Respondent::Anonymous, Respondent::Known));
    let comment = check(
        &mut problems,
        optional_text("comment", field(row, cols.comment), 5000),
    );
    let channel = check(
        &mut problems,
        match field(row, cols.channel) {
            None => Ok(Channel::Import),
            Some(c) => parse_channel("channel", c),
        },
    );
    let touchpoint = check(
        &mut problems,
        field(row, cols.touchpoint)
            .map(|t| label("touchpoint", t))
            .transpose(),
    );
    let language = check(
        &mut problems,
        field(row, cols.language)
            .map(|l| language("language", l))
            .transpose(),
    );
    let external_id = check(
        &mut problems,
        optional_text("external_id", field(row, cols.external_id), 200),
    );
    match (
        survey,
        score,
        answered_at,
        respondent,
        comment,
        channel,
        touchpoint,
        language,
        external_id,
    ) {
        (
            Some((survey_id, _)),
            Some(score),
            Some(answered_at),
            Some(respondent),
            Some(comment),
            Some(channel),
            Some(touchpoint),
            Some(language),
            Some(external_id),
        ) if problems.is_empty() => Ok(NewAnswer {
            workspace_id: ctx.workspace_id,
            survey_id,
            respondent,
            score,
            comment,
            channel,
            touchpoint,
            language,
            answered_at,
            external_id,
            idempotency_key: None,
            request_hash: None,
        }),
        _ => Err(problems),
    }
}

/// The checks that need other rows or the database, done in batches as the file is read.
#[derive(Default)]
struct CrossChecks {
    /// Answer external id → the line it first appears on.
    external_ids: HashMap<String, u64>,
    /// External ids not yet looked up in the database, with their line.
    pending_external: Vec<(String, u64)>,
    /// Customer external id → whether it exists, once looked up.
    customers: HashMap<String, bool>,
    /// Customers not yet looked up, with the lines that refer to them.
    pending_customers: HashMap<String, Vec<u64>>,
}

impl CrossChecks {
    fn add(&mut self, answer: &NewAnswer, line: u64, errors: &mut Vec<(u64, String)>) {
        if let Some(ext) = &answer.external_id {
            match self.external_ids.get(ext) {
                Some(first) => errors.push((
                    line,
                    format!("external_id {ext:?} is already used on line {first}"),
                )),
                None => {
                    self.external_ids.insert(ext.clone(), line);
                    self.pending_external.push((ext.clone(), line));
                }
            }
        }
        if let Respondent::Known(customer) = &answer.respondent {
            match self.customers.get(customer) {
                Some(true) => {}
                Some(false) => errors.push((line, missing_customer(customer))),
                None => self
                    .pending_customers
                    .entry(customer.clone())
                    .or_default()
                    .push(line),
            }
        }
    }

    fn should_flush(&self) -> bool {
        self.pending_external.len() >= LOOKUP_BATCH || self.pending_customers.len() >= LOOKUP_BATCH
    }

    async fn flush(
        &mut self,
        store: &Store,
        workspace_id: i64,
        errors: &mut Vec<(u64, String)>,
    ) -> Result<()> {
        if !self.pending_external.is_empty() {
            let ids: Vec<String> = self
                .pending_external
                .iter()
                .map(|(e, _)| e.clone())
                .collect();
            let stored = store
                .answers()
                .existing_external_ids(workspace_id, &ids)
                .await?;
            for (ext, line) in self.pending_external.drain(..) {
                if stored.contains(&ext) {
                    errors.push((
                        line,
                        format!("an answer with external_id {ext:?} is already stored"),
                    ));
                }
            }
        }
        if !self.pending_customers.is_empty() {
            let ids: Vec<String> = self.pending_customers.keys().cloned().collect();
            let found = store
                .answers()
                .existing_customer_ids(workspace_id, &ids)
                .await?;
            for (customer, lines) in self.pending_customers.drain() {
                let exists = found.contains(&customer);
                if !exists {
                    errors.extend(lines.into_iter().map(|l| (l, missing_customer(&customer))));
                }
                self.customers.insert(customer, exists);
            }
        }
        Ok(())
    }
}

fn missing_customer(external_id: &str) -> String {
    format!("customer {external_id:?} does not exist; create it first (POST /api/v1/customers)")
}

fn bar(len: u64, template: &str) -> ProgressBar {
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    )
}

/// Rows parsed on the reading thread and handed over together.
struct Parsed {
    /// Where the reader is in the file, in bytes, for the progress bar.
    byte: u64,
    rows: Vec<(u64, Result<NewAnswer, Vec<String>>)>,
}

/// Rows per [`Parsed`].
const PARSE_CHUNK: usize = 1024;

/// Reads and checks each row on its own (see [`parse_row`]) on a thread of its own, so
/// that reading the file and storing its answers overlap.
fn parse_in_background(
    path: PathBuf,
    ctx: RowContext,
    cols: Columns,
) -> tokio::sync::mpsc::Receiver<Result<Parsed>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let read = || -> Result<()> {
            let mut rows = Rows::open(&path)?;
            let mut chunk = Vec::with_capacity(PARSE_CHUNK);
            while let Some(row) = rows.next()? {
                chunk.push(match row {
                    Ok(row) => (row.line, parse_row(&ctx, &cols, &row)),
                    Err((line, problem)) => (line, Err(vec![problem])),
                });
                if chunk.len() == PARSE_CHUNK {
                    let parsed = Parsed {
                        byte: rows.byte(),
                        rows: std::mem::replace(&mut chunk, Vec::with_capacity(PARSE_CHUNK)),
                    };
                    if tx.blocking_send(Ok(parsed)).is_err() {
                        return Ok(()); // the importer stopped
                    }
                }
            }
            let _ = tx.blocking_send(Ok(Parsed {
                byte: rows.byte(),
                rows: chunk,
            }));
            Ok(())
        };
        if let Err(e) = read() {
            let _ = tx.blocking_send(Err(e));
        }
    });
    rx
}

/// Imports answers, all or none, in one pass: each row is checked and stored in one
/// open transaction, which is committed only if no row of the file has a problem (once
/// one is found, rows are only checked, so that every problem is reported).
pub async fn answers(db: &DbArgs, path: &Path, react_since: Option<NaiveDate>) -> Result<()> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .len();
    let store = db.open().await?;
    let workspace = db.workspace(&store).await?;
    let ctx = RowContext {
        workspace_id: workspace.id,
        surveys: store
            .surveys()
            .list(workspace.id)
            .await?
            .into_iter()
            .map(|s| (s.slug, (s.id, s.kind)))
            .collect(),
        now: Utc::now(),
    };
    let cols = match Columns::from_header(&Rows::open(path)?.header) {
        Ok(cols) => cols,
        Err(problems) => {
            for p in problems {
                eprintln!("line 1: {p}");
            }
            bail!(
                "the header of {} is not valid; nothing was imported",
                path.display()
            );
        }
    };

    let progress = bar(size, "Importing {bar:40} {bytes}/{total_bytes} ({eta})");
    let mut parsed = parse_in_background(path.to_owned(), ctx, cols);
    let mut errors: Vec<(u64, String)> = Vec::new();
    let mut checks = CrossChecks::default();
    let mut batch = match react_since {
        Some(day) => {
            let since = day.and_time(chrono::NaiveTime::MIN).and_utc();
            store.answers().begin_reacting(since).await?
        }
        None => store.answers().begin().await?,
    };
    // The first answer the database refused: the cross-checks usually name the row and
    // why; this is reported if they do not.
    let mut refused: Option<(u64, anyhow::Error)> = None;
    while let Some(chunk) = parsed.recv().await {
        let chunk = chunk?;
        progress.set_position(chunk.byte);
        for (line, answer) in chunk.rows {
            match answer {
                Ok(answer) => {
                    checks.add(&answer, line, &mut errors);
                    if errors.is_empty() && refused.is_none() {
                        if let Err(e) = batch.add_checked(answer).await {
                            refused = Some((line, e.into()));
                        }
                    }
                }
                Err(problems) => errors.extend(problems.into_iter().map(|p| (line, p))),
            }
            if checks.should_flush() {
                checks.flush(&store, workspace.id, &mut errors).await?;
            }
        }
    }
    checks.flush(&store, workspace.id, &mut errors).await?;
    progress.finish_and_clear();

    if !errors.is_empty() {
        drop(batch); // rolled back
        return report(path, errors);
    }
    if let Some((line, e)) = refused {
        return Err(e.context(format!(
            "cannot store the answers up to line {line}; nothing was imported"
        )));
    }
    let written = batch
        .commit()
        .await
        .context("cannot commit the import; nothing was imported")?;
    store.analyze().await?;
    println!(
        "Imported {written} answer{} from {}.",
        if written == 1 { "" } else { "s" },
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_cells_become_the_json_the_api_would_see() {
        assert_eq!(score_value("9"), serde_json::json!(9));
        assert_eq!(score_value("7.5"), serde_json::json!(7.5));
        assert_eq!(score_value("nine"), serde_json::json!("nine"));
        let msg = |raw| {
            parse_score(SurveyKind::Nps, &score_value(raw))
                .unwrap_err()
                .into_message()
        };
        assert_eq!(msg("11"), "score must be an integer from 0 to 10; got 11");
        assert_eq!(msg("7.5"), "score must be an integer from 0 to 10; got 7.5");
        assert_eq!(
            msg("nine"),
            "score must be an integer from 0 to 10; got the string \"nine\""
        );
        assert_eq!(
            parse_score(SurveyKind::Csat, &score_value("5"))
                .unwrap()
                .value(),
            5
        );
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(
            parse_time("2025-02-03").unwrap().to_rfc3339(),
            "2025-02-03T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2025-02-03T10:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2025-02-03T09:00:00+00:00"
        );
        assert!(parse_time("2025-13-45").is_none());
        assert!(parse_time("03/02/2025").is_none());
    }

    #[test]
    fn header_problems_are_all_named() {
        let h = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(Columns::from_header(&h(&["answered_at", "score", "survey"])).is_ok());
        let problems = Columns::from_header(&h(&["survey", "scroe", "nps", "survey"]))
            .err()
            .unwrap();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("\"survey\" appears more than once"));
        assert!(problems[1].starts_with("unknown columns \"scroe\", \"nps\""));
        assert_eq!(problems[2], "missing required columns score, answered_at");
    }
}
