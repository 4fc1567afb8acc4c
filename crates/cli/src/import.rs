//! `advocate import answers FILE.csv` (or its old name, `import responses`): historic
//! answers from a CSV file, all or nothing.
//!
//! The file is read twice. The first pass validates every row and reports every problem
//! with its line number; only when there is none does the second pass store the answers,
//! all in one transaction. Memory stays small for large files: rows are never all held
//! at once, only the external ids needed to find duplicates.

use crate::options::DbArgs;
use advocate_core::field::{
    channel as parse_channel, label, language, optional_text, score as parse_score, text, Invalid,
};
use advocate_core::{Channel, SurveyKind};
use advocate_store::models::{NewAnswer, Respondent};
use advocate_store::Store;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import customers (created or updated by external id). Columns: external_id
    /// (required); name, email, phone, language, account_manager; every other column is a
    /// segment attribute. All rows or none. With --invite, invites them to a survey.
    Customers {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
        /// Invite the imported customers to this survey (slug); the quiet period and
        /// unsubscribes apply.
        #[arg(long)]
        invite: Option<String>,
        /// Channel of the invitations: email or sms.
        #[arg(long, default_value = "email", requires = "invite")]
        channel: String,
        /// Invite only this share (1–100) of the eligible customers.
        #[arg(long, default_value_t = 100, requires = "invite",
              value_parser = clap::value_parser!(u8).range(1..=100))]
        sample_percent: u8,
    },
    /// Import answers from a CSV file with a header row. Columns: survey, score and
    /// answered_at (required); customer_id, comment, channel, touchpoint, language and
    /// external_id (optional). Every row is checked first: one bad row imports nothing.
    /// Imported answers are history: they set off no playbook (no case, alert or
    /// thank-you) unless --react-since says which are recent enough to act on.
    #[command(alias = "responses")]
    Answers {
        #[command(flatten)]
        db: DbArgs,
        /// The CSV file.
        file: PathBuf,
        /// Answers dated on or after this day (YYYY-MM-DD, UTC) set off their playbook
        /// exactly as live answers would: cases, alerts, thank-yous, webhooks.
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        react_since: Option<NaiveDate>,
    },
    /// Import orders. Columns: customer_id, amount, currency and ordered_at (required);
    /// external_id and amount_in_reporting_currency (required when the currency is not the
    /// workspace's reporting currency). All rows or none.
    Orders {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Import contacts and complaints. Columns: channel, complaint and opened_at
    /// (required); customer_id, first_reply_at, resolved_at and external_id. All or none.
    Contacts {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Import customers' lifecycle. Columns: customer_id, event (acquired or churned), at.
    /// All rows or none.
    Lifecycle {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Import loyalty-programme membership. Columns: customer_id, event (joined or left),
    /// at. All rows or none.
    Loyalty {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
}

pub async fn run(command: ImportCommand) -> Result<()> {
    use crate::import_business as business;
    match command {
        ImportCommand::Customers {
            db,
            file,
            invite,
            channel,
            sample_percent,
        } => {
            let invite = invite.map(|survey| crate::import_customers::Invite {
                survey,
                channel,
                sample_percent,
            });
            crate::import_customers::customers(&db, &file, invite).await
        }
        ImportCommand::Answers {
            db,
            file,
            react_since,
        } => answers(&db, &file, react_since).await,
        ImportCommand::Orders { db, file } => business::orders(&db, &file).await,
        ImportCommand::Contacts { db, file } => business::contacts(&db, &file).await,
        ImportCommand::Lifecycle { db, file } => business::lifecycle(&db, &file).await,
        ImportCommand::Loyalty { db, file } => business::loyalty(&db, &file).await,
    }
}

/// `--react-since`: a day as YYYY-MM-DD.
fn parse_day(s: &str) -> std::result::Result<NaiveDate, String> {
    // chrono alone would also take 2026-12-1; the README promises exactly YYYY-MM-DD.
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| format!("{s:?} is not a date; give it as YYYY-MM-DD, e.g. 2026-11-01"))
}

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

/// One data row with its line number (of its first line, header = line 1).
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) fields: Vec<String>,
}

/// Where the lines of a stream start, as far as it has been read: the byte offsets of
/// the line-end bytes (`\n`, and `\r`) not yet passed, and how many lines were passed.
/// (The csv crate's own line numbers are wrong for files with CRLF line ends, as
/// spreadsheet programs write them.)
#[derive(Default)]
struct LineIndex {
    read: u64,
    /// (offset, is `\n`)
    ends: VecDeque<(u64, bool)>,
    passed: u64,
}

impl LineIndex {
    /// The line (1-based) of a record the csv reader says starts at `offset`; offsets
    /// must not decrease between calls. The reader skips blank lines before a record but
    /// reports where they begin, so line ends right at the offset are skipped too.
    fn line_at(&mut self, mut offset: u64) -> u64 {
        while let Some(&(at, newline)) = self.ends.front() {
            if at > offset {
                break;
            }
            if at == offset {
                offset += 1;
            }
            self.passed += u64::from(newline);
            self.ends.pop_front();
        }
        self.passed + 1
    }
}

/// A reader that notes where the newlines are in what passes through it.
struct Counting<R> {
    inner: R,
    index: Rc<RefCell<LineIndex>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut index = self.index.borrow_mut();
        let base = index.read;
        for (i, b) in buf[..n].iter().enumerate() {
            if matches!(b, b'\n' | b'\r') {
                index.ends.push_back((base + i as u64, *b == b'\n'));
            }
        }
        index.read += n as u64;
        Ok(n)
    }
}

/// Most problems a failed import prints; the rest are counted.
const SHOWN_PROBLEMS: usize = 100;

/// Prints every problem of a file as `line N: problem`, in line order (the first
/// [`SHOWN_PROBLEMS`], then how many more), and fails; does nothing when there is none.
pub(crate) fn report(path: &Path, mut errors: Vec<(u64, String)>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by_key(|(line, _)| *line);
    for (line, problem) in errors.iter().take(SHOWN_PROBLEMS) {
        eprintln!("line {line}: {problem}");
    }
    if errors.len() > SHOWN_PROBLEMS {
        eprintln!("… and {} more", errors.len() - SHOWN_PROBLEMS);
    }
    bail!(
        "{} problem{} in {}; nothing was imported",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        path.display()
    )
}

/// A file saved as UTF-16 (Excel's "Unicode text"), told by its byte-order mark or by the
/// NUL bytes between ASCII characters; read as UTF-8 its header would look like nonsense.
fn is_utf16(start: &[u8]) -> bool {
    start.starts_with(&[0xFF, 0xFE])
        || start.starts_with(&[0xFE, 0xFF])
        || start.chunks_exact(2).take(8).any(|pair| pair.contains(&0))
}

/// Streams the data rows of a CSV file, after its header.
pub(crate) struct Rows<R> {
    reader: csv::Reader<Counting<R>>,
    index: Rc<RefCell<LineIndex>>,
    record: csv::ByteRecord,
    pub(crate) header: Vec<String>,
}

impl Rows<BufReader<File>> {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut file = BufReader::new(file);
        let start = file
            .fill_buf()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if is_utf16(start) {
            bail!(
                "{} is UTF-16 text; save it as UTF-8 CSV (in Excel: Save As, \"CSV UTF-8\")",
                path.display()
            );
        }
        let rows = Self::new(file).with_context(|| format!("cannot read {}", path.display()))?;
        if rows.header.iter().all(|h| h.trim().is_empty()) {
            bail!(
                "{} is empty; the first line must name the columns, e.g. survey,score,answered_at",
                path.display()
            );
        }
        Ok(rows)
    }
}

impl<R: Read> Rows<R> {
    fn new(inner: R) -> Result<Self> {
        let index = Rc::new(RefCell::new(LineIndex::default()));
        let counting = Counting {
            inner,
            index: index.clone(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(counting);
        let header = reader
            .byte_headers()?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = String::from_utf8_lossy(h);
                // A byte-order mark, as spreadsheet programs write it.
                match i {
                    0 => h.trim_start_matches('\u{feff}').to_owned(),
                    _ => h.into_owned(),
                }
            })
            .collect::<Vec<_>>();
        Ok(Self {
            reader,
            index,
            record: csv::ByteRecord::new(),
            header,
        })
    }

    fn line_at(&self, position: Option<&csv::Position>) -> u64 {
        position.map_or(0, |p| self.index.borrow_mut().line_at(p.byte()))
    }

    /// The next row, or a problem at a line; `None` at the end of the file.
    pub(crate) fn next(&mut self) -> Result<Option<Result<Row, (u64, String)>>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.line_at(self.record.position());
                let fields: Result<Vec<String>, _> = self
                    .record
                    .iter()
                    .map(|f| std::str::from_utf8(f).map(str::to_owned))
                    .collect();
                Ok(Some(match fields {
                    Ok(fields) => Ok(Row { line, fields }),
                    Err(_) => Err((line, "is not valid UTF-8 text".to_owned())),
                }))
            }
            Err(e) => match e.position() {
                Some(p) => Ok(Some(Err((self.line_at(Some(p)), e.to_string())))),
                None => Err(e).context("cannot read the file"),
            },
        }
    }

    /// How far into the file the reader is, in bytes, for the progress bar.
    fn byte(&self) -> u64 {
        self.reader.position().byte()
    }
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
    let survey = match field(row, Some(cols.survey)) {
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
    };
    let score = match (field(row, Some(cols.score)), survey) {
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
    };
    let answered_at = match field(row, Some(cols.answered_at)) {
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
    };
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
    fn react_since_is_exactly_a_yyyy_mm_dd_day() {
        assert_eq!(
            parse_day("2026-12-01"),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        for bad in [
            "2026-12-1",
            "2026-1-01",
            "26-12-01",
            "2026-12-01T00:00",
            "2026-02-30",
            "",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

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
        assert_eq!(parse_score(SurveyKind::Csat, &score_value("5")).unwrap(), 5);
    }

    /// Line numbers as an editor shows them, whatever the line ends, a byte-order mark,
    /// blank lines or quoted fields over several lines.
    #[test]
    fn rows_know_their_lines() {
        let lines_of = |text: &str| {
            let mut rows = Rows::new(text.as_bytes()).unwrap();
            assert_eq!(rows.header, ["a", "b"]);
            let mut lines = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                lines.push(row.map_or_else(|(l, _)| l, |r| r.line));
            }
            lines
        };
        let text = "a,b\nx,1\n\ny,\"two\nlines\"\nz,3\n";
        assert_eq!(lines_of(text), [2, 4, 6]);
        assert_eq!(lines_of(&text.replace('\n', "\r\n")), [2, 4, 6]);
        assert_eq!(
            lines_of(&format!("\u{feff}{}", text.replace('\n', "\r\n"))),
            [2, 4, 6]
        );
        assert_eq!(lines_of("a,b\r\nx,1\r\ny\r\n"), [2, 3]);
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
