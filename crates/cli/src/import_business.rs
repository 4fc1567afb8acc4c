//! `advocate import orders|contacts|lifecycle|loyalty FILE.csv`: business data from CSV,
//! all or nothing, with every problem reported as `line N: reason`.
//!
//! Each row is checked on its own first (fields, times, repeated external ids); then the
//! store checks the rows that passed against each other and the stored data (customers,
//! currencies, spells) in one transaction, and its problems are mapped back to lines.
//! Every problem of the file is reported in one run; the transaction is committed only
//! when there is none. Rows are held in memory: business files are far smaller than
//! answers.

use crate::import::rows::{report, Row, Rows};
use crate::options::DbArgs;
use advocate_core::ContactChannel;
use advocate_store::business::{
    parse_amount, parse_time, Checked, LifecycleEvent, LifecycleKind, LoyaltyEvent, LoyaltyKind,
    Mode, NewContact, NewOrder,
};
use advocate_store::Store;
use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A file's columns: which are required and which may be left out.
struct Spec {
    /// Plural noun for messages, e.g. "orders".
    what: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

/// Where each column is in the file.
struct Columns {
    index: HashMap<String, usize>,
    count: usize,
}

impl Columns {
    fn from_header(spec: &Spec, header: &[String]) -> Result<Self, Vec<String>> {
        let mut index = HashMap::new();
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim();
            if !spec.required.contains(&name) && !spec.optional.contains(&name) {
                unknown.push(format!("{name:?}"));
            } else if index.insert(name.to_owned(), i).is_some() {
                problems.push(format!("column {name:?} appears more than once"));
            }
        }
        if !unknown.is_empty() {
            let optional = match spec.optional {
                [] => String::new(),
                cols => format!(" and {}", cols.join(", ")),
            };
            problems.push(format!(
                "unknown column{} {}; the columns are {} (required){optional}",
                if unknown.len() == 1 { "" } else { "s" },
                unknown.join(", "),
                spec.required.join(", "),
            ));
        }
        let missing: Vec<&str> = spec
            .required
            .iter()
            .copied()
            .filter(|c| !index.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "missing required column{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ));
        }
        if problems.is_empty() {
            Ok(Self {
                index,
                count: header.len(),
            })
        } else {
            Err(problems)
        }
    }

    /// A trimmed, non-empty cell of a column.
    fn get<'r>(&self, row: &'r Row, column: &str) -> Option<&'r str> {
        self.index
            .get(column)
            .and_then(|i| row.fields.get(*i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Collects the cells of one row, noting every problem.
struct Cells<'a> {
    cols: &'a Columns,
    row: &'a Row,
    problems: Vec<String>,
}

impl Cells<'_> {
    fn required(&mut self, column: &str) -> Option<String> {
        let v = self.cols.get(self.row, column).map(str::to_owned);
        if v.is_none() {
            self.problems.push(format!("{column} is required"));
        }
        v
    }

    fn optional(&self, column: &str) -> Option<String> {
        self.cols.get(self.row, column).map(str::to_owned)
    }

    fn time(&mut self, column: &str, required: bool) -> Option<Option<DateTime<Utc>>> {
        let raw = if required {
            Some(self.required(column)?)
        } else {
            self.optional(column)
        };
        match raw.map(|r| parse_time(column, &r)).transpose() {
            Ok(t) => Some(t),
            Err(p) => {
                self.problems.push(p);
                None
            }
        }
    }

    fn check<T>(&mut self, r: Result<T, String>) -> Option<T> {
        r.map_err(|p| self.problems.push(p)).ok()
    }
}

/// The rows that passed their own checks (with their lines), and every problem.
type Read<T> = (Vec<(u64, T)>, Vec<(u64, String)>);

/// Reads and checks every row.
fn read<T>(path: &Path, spec: &Spec, parse: impl Fn(&mut Cells) -> Option<T>) -> Result<Read<T>> {
    if std::fs::metadata(path)
        .map(|m| m.len() == 0)
        .unwrap_or(false)
    {
        bail!(
            "{} is empty; the first line must name the columns, e.g. {}",
            path.display(),
            spec.required.join(",")
        );
    }
    let mut rows = Rows::open(path)?;
    let cols = match Columns::from_header(spec, &rows.header) {
        Ok(cols) => cols,
        Err(problems) => return Ok((Vec::new(), problems.into_iter().map(|p| (1, p)).collect())),
    };
    let mut items = Vec::new();
    let mut errors = Vec::new();
    while let Some(row) = rows.next()? {
        let row = match row {
            Ok(row) => row,
            Err(problem) => {
                errors.push(problem);
                continue;
            }
        };
        if row.fields.len() != cols.count {
            errors.push((
                row.line,
                format!(
                    "has {} fields but the header has {}",
                    row.fields.len(),
                    cols.count
                ),
            ));
            continue;
        }
        let mut cells = Cells {
            cols: &cols,
            row: &row,
            problems: Vec::new(),
        };
        let item = parse(&mut cells);
        match item {
            Some(item) if cells.problems.is_empty() => items.push((row.line, item)),
            _ => errors.extend(cells.problems.into_iter().map(|p| (row.line, p))),
        }
    }
    Ok((items, errors))
}

/// External ids used on more than one line.
fn repeated<'a>(ids: impl Iterator<Item = (u64, Option<&'a str>)>) -> Vec<(u64, String)> {
    let mut first: HashMap<&str, u64> = HashMap::new();
    let mut errors = Vec::new();
    for (line, id) in ids {
        if let Some(id) = id {
            match first.get(id) {
                Some(l) => errors.push((
                    line,
                    format!("external_id {id:?} is already used on line {l}"),
                )),
                None => {
                    first.insert(id, line);
                }
            }
        }
    }
    errors
}

/// Reports every problem of the file — the rows' own and what the store refused, mapped
/// back to lines — or, when there is none, what was stored.
async fn finish(
    store: &Store,
    path: &Path,
    what: &str,
    (lines, mut errors): (Vec<u64>, Vec<(u64, String)>),
    checked: Checked,
) -> Result<()> {
    match checked {
        Ok(r) if errors.is_empty() => {
            store.analyze().await?;
            println!(
                "Imported {} {what} from {} ({} already stored).",
                r.stored,
                path.display(),
                r.unchanged
            );
            return Ok(());
        }
        Ok(_) => {}
        Err(problems) => {
            errors.extend(problems.into_iter().map(|p| (lines[p.index], p.message)));
        }
    }
    report(path, errors)
}

async fn open(db: &DbArgs) -> Result<(Store, i64)> {
    let store = db.open().await?;
    let workspace = db.workspace(&store).await?;
    Ok((store, workspace.id))
}

/// Lines of the rows for the store to check, those rows, and every problem so far.
type Lines<T> = (Vec<u64>, Vec<T>, Vec<(u64, String)>);

/// Adds the problems between rows (repeated external ids) to the rows' own, and keeps the
/// rows without any for the store to check next: it stores them only when the file has
/// no problem ([`Mode::store_unless`]), so that one run reports every bad row.
fn checked_items<T>(
    (items, mut errors): Read<T>,
    external_id: impl Fn(&T) -> Option<&str>,
) -> Lines<T> {
    let repeats = repeated(items.iter().map(|(l, i)| (*l, external_id(i))));
    let repeated_lines: HashSet<u64> = repeats.iter().map(|(l, _)| *l).collect();
    errors.extend(repeats);
    let (lines, items) = items
        .into_iter()
        .filter(|(line, _)| !repeated_lines.contains(line))
        .unzip();
    (lines, items, errors)
}

const ORDERS: Spec = Spec {
    what: "orders",
    required: &["customer_id", "amount", "currency", "ordered_at"],
    optional: &["external_id", "amount_in_reporting_currency"],
};

pub async fn orders(db: &DbArgs, path: &Path) -> Result<()> {
    let (store, ws) = open(db).await?;
    let rows = read(path, &ORDERS, |c| {
        let customer = c.required("customer_id");
        let amount = c.required("amount");
        let currency = c.required("currency");
        // The amount's own rules now, so they are listed with the other row problems.
        if let (Some(a), Some(cur)) = (&amount, &currency) {
            let checked = advocate_core::currency::check("currency", cur)
                .and_then(|_| parse_amount("amount", a, cur));
            c.check(checked);
        }
        let ordered_at = c.time("ordered_at", true).flatten();
        Some(NewOrder {
            external_id: c.optional("external_id"),
            customer: customer?,
            amount: amount?,
            currency: currency?,
            amount_in_reporting_currency: c.optional("amount_in_reporting_currency"),
            ordered_at: ordered_at?,
        })
    })?;
    let (lines, items, errors) = checked_items(rows, |o| o.external_id.as_deref());
    let mode = Mode::store_unless(!errors.is_empty());
    let checked = store.orders().try_record_many(ws, &items, mode).await?;
    finish(&store, path, ORDERS.what, (lines, errors), checked).await
}

const CONTACTS: Spec = Spec {
    what: "contacts",
    required: &["channel", "complaint", "opened_at"],
    optional: &[
        "customer_id",
        "first_reply_at",
        "resolved_at",
        "external_id",
    ],
};

fn yes_no(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!(
            "complaint must be true, false, yes, no, 1 or 0; got {raw:?}"
        )),
    }
}

pub async fn contacts(db: &DbArgs, path: &Path) -> Result<()> {
    let (store, ws) = open(db).await?;
    let rows = read(path, &CONTACTS, |c| {
        let channel = c
            .required("channel")
            .and_then(|ch| c.check(ContactChannel::parse(&ch).map_err(|e| format!("channel {e}"))));
        let complaint = c.required("complaint").and_then(|v| c.check(yes_no(&v)));
        let opened_at = c.time("opened_at", true).flatten();
        let first_reply_at = c.time("first_reply_at", false);
        let resolved_at = c.time("resolved_at", false);
        Some(NewContact {
            external_id: c.optional("external_id"),
            customer: c.optional("customer_id"),
            channel: channel?,
            is_complaint: complaint?,
            opened_at: opened_at?,
            first_reply_at: first_reply_at?,
            resolved_at: resolved_at?,
        })
    })?;
    let (lines, items, errors) = checked_items(rows, |k| k.external_id.as_deref());
    let mode = Mode::store_unless(!errors.is_empty());
    let checked = store.contacts().try_record_many(ws, &items, mode).await?;
    finish(&store, path, CONTACTS.what, (lines, errors), checked).await
}

const LIFECYCLE: Spec = Spec {
    what: "lifecycle events",
    required: &["customer_id", "event", "at"],
    optional: &[],
};

pub async fn lifecycle(db: &DbArgs, path: &Path) -> Result<()> {
    let (store, ws) = open(db).await?;
    let rows = read(path, &LIFECYCLE, |c| {
        let customer = c.required("customer_id");
        let event = c.required("event").and_then(|e| {
            c.check(
                LifecycleKind::parse(&e)
                    .ok_or_else(|| format!("event must be acquired or churned; got {e:?}")),
            )
        });
        let at = c.time("at", true).flatten();
        Some(LifecycleEvent {
            customer: customer?,
            event: event?,
            at: at?,
        })
    })?;
    let (lines, items, errors) = checked_items(rows, |_| None);
    let mode = Mode::store_unless(!errors.is_empty());
    let checked = store
        .spells()
        .try_record_lifecycle(ws, &items, mode)
        .await?;
    finish(&store, path, LIFECYCLE.what, (lines, errors), checked).await
}

const LOYALTY: Spec = Spec {
    what: "loyalty events",
    required: &["customer_id", "event", "at"],
    optional: &[],
};

pub async fn loyalty(db: &DbArgs, path: &Path) -> Result<()> {
    let (store, ws) = open(db).await?;
    let rows = read(path, &LOYALTY, |c| {
        let customer = c.required("customer_id");
        let event = c.required("event").and_then(|e| {
            c.check(
                LoyaltyKind::parse(&e)
                    .ok_or_else(|| format!("event must be joined or left; got {e:?}")),
            )
        });
        let at = c.time("at", true).flatten();
        Some(LoyaltyEvent {
            customer: customer?,
            event: event?,
            at: at?,
        })
    })?;
    let (lines, items, errors) = checked_items(rows, |_| None);
    let mode = Mode::store_unless(!errors.is_empty());
    let checked = store.spells().try_record_loyalty(ws, &items, mode).await?;
    finish(&store, path, LOYALTY.what, (lines, errors), checked).await
}
