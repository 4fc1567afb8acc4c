//! Spells: a customer's relationship (acquired → churned) and loyalty-programme membership
//! (joined → left) share one shape, a list of non-overlapping intervals of which at most
//! the last is open. A churned customer who returns gets a new spell.
//!
//! A batch's events are applied per customer in time order (input order breaks ties),
//! after what is stored. An event that a stored spell already records (one starting, or
//! ending, at that very instant) is a replay and changes nothing, so retries are safe.

use super::{
    check_size, customer_ids_in, list_name, missing_customer, not_future, settle, Checked, Mode,
    ProblemKind, Problems, Recorded,
};
use crate::Spells;
use crate::{from_ts, to_ts, Result, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleKind {
    /// Became a customer, or came back after churning.
    Acquired,
    Churned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoyaltyKind {
    Joined,
    Left,
}

impl LifecycleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acquired => "acquired",
            Self::Churned => "churned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Acquired, Self::Churned]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

impl LoyaltyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joined => "joined",
            Self::Left => "left",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Joined, Self::Left]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A customer was acquired (or came back) or churned.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleEvent {
    /// The customer's external id.
    pub customer: String,
    pub event: LifecycleKind,
    pub at: DateTime<Utc>,
}

/// A customer joined or left the loyalty programme.
#[derive(Debug, Clone, PartialEq)]
pub struct LoyaltyEvent {
    pub customer: String,
    pub event: LoyaltyKind,
    pub at: DateTime<Utc>,
}

/// One interval: a customer spell, or a loyalty membership. `ended_at` is `None` while it
/// lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spell {
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Where one kind of spell is stored and the words for its events.
struct Table {
    table: &'static str,
    start: &'static str,
    end: &'static str,
    list: &'static str,
    noun: &'static str,
    open: &'static str,
    close: &'static str,
}

const LIFECYCLE: Table = Table {
    table: "customer_spells",
    start: "started_at",
    end: "ended_at",
    list: "events",
    noun: "spell",
    open: "acquired",
    close: "churned",
};

const LOYALTY: Table = Table {
    table: "loyalty_memberships",
    start: "joined_at",
    end: "left_at",
    list: "events",
    noun: "membership",
    open: "joined",
    close: "left",
};

/// An event in the common form: customer, whether it opens a spell, when.
type Event<'a> = (&'a str, bool, DateTime<Utc>);

/// A customer's name and events (index in the batch, opens, at) in input order.
type Pending<'a> = (&'a str, Vec<(usize, bool, i64)>);

#[derive(Debug, Clone, Copy)]
struct Stored {
    id: i64,
    start: i64,
    end: Option<i64>,
}

fn time(ts: i64) -> String {
    from_ts(ts).to_rfc3339()
}

impl Spells<'_> {
    /// A customer was acquired, or came back after churning: opens a spell.
    #[tracing::instrument(name = "spells.record_acquired", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_acquired(
        &self,
        workspace_id: i64,
        customer: &str,
        at: DateTime<Utc>,
    ) -> Result<Recorded> {
        let event = LifecycleEvent {
            customer: customer.into(),
            event: LifecycleKind::Acquired,
            at,
        };
        let checked = self
            .try_record_lifecycle(workspace_id, &[event], Mode::Store)
            .await?;
        settle(list_name(LIFECYCLE.list, true), checked)
    }

    /// A customer churned: closes their open spell.
    #[tracing::instrument(name = "spells.record_churned", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_churned(
        &self,
        workspace_id: i64,
        customer: &str,
        at: DateTime<Utc>,
    ) -> Result<Recorded> {
        let event = LifecycleEvent {
            customer: customer.into(),
            event: LifecycleKind::Churned,
            at,
        };
        let checked = self
            .try_record_lifecycle(workspace_id, &[event], Mode::Store)
            .await?;
        settle(list_name(LIFECYCLE.list, true), checked)
    }

    /// Applies up to [`super::MAX_BATCH`] lifecycle events, all or none; errors name each
    /// bad one as `events[i]`.
    #[tracing::instrument(name = "spells.record_lifecycle", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_lifecycle(
        &self,
        workspace_id: i64,
        events: &[LifecycleEvent],
    ) -> Result<Recorded> {
        check_size(events.len(), LIFECYCLE.list)?;
        let checked = self
            .try_record_lifecycle(workspace_id, events, Mode::Store)
            .await?;
        settle(list_name(LIFECYCLE.list, false), checked)
    }

    /// Like [`Spells::record_lifecycle`], with the problems as data and no limit on their
    /// number (for imports).
    #[tracing::instrument(name = "spells.try_record_lifecycle", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn try_record_lifecycle(
        &self,
        workspace_id: i64,
        events: &[LifecycleEvent],
        mode: Mode,
    ) -> Result<Checked> {
        let events: Vec<Event> = events
            .iter()
            .map(|e| {
                (
                    e.customer.as_str(),
                    e.event == LifecycleKind::Acquired,
                    e.at,
                )
            })
            .collect();
        self.record_spells(&LIFECYCLE, workspace_id, &events, mode)
            .await
    }

    /// A customer joined the loyalty programme.
    #[tracing::instrument(name = "spells.record_joined", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_joined(
        &self,
        workspace_id: i64,
        customer: &str,
        at: DateTime<Utc>,
    ) -> Result<Recorded> {
        let event = LoyaltyEvent {
            customer: customer.into(),
            event: LoyaltyKind::Joined,
            at,
        };
        let checked = self
            .try_record_loyalty(workspace_id, &[event], Mode::Store)
            .await?;
        settle(list_name(LOYALTY.list, true), checked)
    }

    /// A customer left the loyalty programme.
    #[tracing::instrument(name = "spells.record_left", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_left(
        &self,
        workspace_id: i64,
        customer: &str,
        at: DateTime<Utc>,
    ) -> Result<Recorded> {
        let event = LoyaltyEvent {
            customer: customer.into(),
            event: LoyaltyKind::Left,
            at,
        };
        let checked = self
            .try_record_loyalty(workspace_id, &[event], Mode::Store)
            .await?;
        settle(list_name(LOYALTY.list, true), checked)
    }

    /// Applies up to [`super::MAX_BATCH`] loyalty events, all or none.
    #[tracing::instrument(name = "spells.record_loyalty", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_loyalty(
        &self,
        workspace_id: i64,
        events: &[LoyaltyEvent],
    ) -> Result<Recorded> {
        check_size(events.len(), LOYALTY.list)?;
        let checked = self
            .try_record_loyalty(workspace_id, events, Mode::Store)
            .await?;
        settle(list_name(LOYALTY.list, false), checked)
    }

    /// Like [`Spells::record_loyalty`], with the problems as data and no limit on their
    /// number (for imports).
    #[tracing::instrument(name = "spells.try_record_loyalty", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn try_record_loyalty(
        &self,
        workspace_id: i64,
        events: &[LoyaltyEvent],
        mode: Mode,
    ) -> Result<Checked> {
        let events: Vec<Event> = events
            .iter()
            .map(|e| (e.customer.as_str(), e.event == LoyaltyKind::Joined, e.at))
            .collect();
        self.record_spells(&LOYALTY, workspace_id, &events, mode)
            .await
    }

    /// A customer's spells, oldest first.
    #[tracing::instrument(name = "spells.of_customer", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn of_customer(&self, workspace_id: i64, customer: &str) -> Result<Vec<Spell>> {
        self.spells_of(&LIFECYCLE, workspace_id, customer).await
    }

    /// A customer's loyalty memberships, oldest first.
    #[tracing::instrument(name = "spells.loyalty_memberships", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn loyalty_memberships(
        &self,
        workspace_id: i64,
        customer: &str,
    ) -> Result<Vec<Spell>> {
        self.spells_of(&LOYALTY, workspace_id, customer).await
    }

    async fn spells_of(&self, t: &Table, workspace_id: i64, customer: &str) -> Result<Vec<Spell>> {
        let mut conn = self.store.pool.acquire().await?;
        let id = *customer_ids_in(&mut conn, workspace_id, &[customer])
            .await?
            .get(customer)
            .ok_or_else(|| StoreError::NotFound(missing_customer(customer)))?;
        Ok(stored_spells(&mut conn, t, workspace_id, id)
            .await?
            .into_iter()
            .map(|s| Spell {
                started_at: from_ts(s.start),
                ended_at: s.end.map(from_ts),
            })
            .collect())
    }

    async fn record_spells(
        &self,
        t: &Table,
        workspace_id: i64,
        events: &[Event<'_>],
        mode: Mode,
    ) -> Result<Checked> {
        let now = Utc::now();
        let mut tx = self.store.begin_write().await?;
        let names: Vec<&str> = events.iter().map(|(c, _, _)| c.trim()).collect();
        let ids = customer_ids_in(&mut tx, workspace_id, &names).await?;
        let mut problems = Problems::default();
        let by_customer = by_customer(events, &ids, now, &mut problems);
        let mut recorded = Recorded::default();
        for (customer_id, (name, mut list)) in by_customer {
            list.sort_by_key(|(_, _, at)| *at);
            let mut customer = CustomerSpells {
                t,
                workspace_id,
                customer_id,
                name,
                spells: stored_spells(&mut tx, t, workspace_id, customer_id).await?,
            };
            for (i, opens, at) in list {
                let event = if opens { t.open } else { t.close };
                if customer.records(opens, at) {
                    recorded.unchanged += 1;
                    continue;
                }
                match customer.apply(&mut tx, opens, at, now).await? {
                    Some(m) => problems.add(
                        i,
                        ProblemKind::Conflict,
                        format!("event {event} at {}: {m}", time(at)),
                    ),
                    None => recorded.stored += 1,
                }
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems.into_sorted()));
        }
        mode.end(tx).await?;
        Ok(Ok(recorded))
    }
}

/// The valid events of a batch by customer id (each with its index in the batch), in
/// input order; the others are added to `problems`.
fn by_customer<'a>(
    events: &[Event<'a>],
    ids: &HashMap<String, i64>,
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> BTreeMap<i64, Pending<'a>> {
    let mut by_customer: BTreeMap<i64, Pending> = BTreeMap::new();
    for (i, (customer, opens, at)) in events.iter().enumerate() {
        let customer = customer.trim();
        let mut ok = true;
        if let Err(m) = not_future("at", *at, now) {
            problems.invalid(i, m);
            ok = false;
        }
        if customer.is_empty() {
            problems.invalid(i, "customer must not be empty");
            continue;
        }
        match ids.get(customer) {
            None => problems.add(i, ProblemKind::NotFound, missing_customer(customer)),
            Some(id) if ok => by_customer
                .entry(*id)
                .or_insert_with(|| (customer, Vec::new()))
                .1
                .push((i, *opens, to_ts(*at))),
            Some(_) => {}
        }
    }
    by_customer
}

/// One customer's spells in one table, as a batch's events are applied to them.
struct CustomerSpells<'a> {
    t: &'a Table,
    workspace_id: i64,
    customer_id: i64,
    /// The customer's external id, for messages.
    name: &'a str,
    /// Oldest first; kept up to date as events are applied.
    spells: Vec<Stored>,
}

impl CustomerSpells<'_> {
    /// Whether a stored spell already records this event (a replay).
    fn records(&self, opens: bool, at: i64) -> bool {
        self.spells.iter().any(|s| {
            if opens {
                s.start == at
            } else {
                s.end == Some(at)
            }
        })
    }

    /// Opens or closes a spell at `at`; or, changing nothing, says why it cannot.
    async fn apply(
        &mut self,
        conn: &mut AnyConnection,
        opens: bool,
        at: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let (t, name) = (self.t, self.name);
        let latest = self.spells.last().copied();
        Ok(match (opens, latest) {
            (
                true,
                Some(Stored {
                    start, end: None, ..
                }),
            ) => Some(format!(
                "customer {name:?} already has an open {} ({} at {}); record {} first",
                t.noun,
                t.open,
                time(start),
                t.close
            )),
            (true, Some(Stored { end: Some(end), .. })) if at < end => Some(format!(
                "customer {name:?} {} at {}, after this; {}s cannot overlap",
                t.close,
                time(end),
                t.noun
            )),
            (true, _) => {
                let id = open_spell(conn, t, self.workspace_id, self.customer_id, at, now).await?;
                self.spells.push(Stored {
                    id,
                    start: at,
                    end: None,
                });
                None
            }
            (
                false,
                Some(Stored {
                    start, end: None, ..
                }),
            ) if at < start => Some(format!(
                "this is before the open {} began ({} at {})",
                t.noun,
                t.open,
                time(start)
            )),
            (false, Some(Stored { id, end: None, .. })) => {
                close_spell(conn, t, id, at).await?;
                if let Some(last) = self.spells.last_mut() {
                    last.end = Some(at);
                }
                None
            }
            (false, Some(Stored { end: Some(end), .. })) => Some(format!(
                "customer {name:?} has no open {} (last {} at {}); record {} first",
                t.noun,
                t.close,
                time(end),
                t.open
            )),
            (false, None) => Some(format!(
                "customer {name:?} has no open {} (never {}); record {} first",
                t.noun, t.open, t.open
            )),
        })
    }
}

/// A customer's spells in one table, oldest first.
async fn stored_spells(
    conn: &mut AnyConnection,
    t: &Table,
    workspace_id: i64,
    customer_id: i64,
) -> Result<Vec<Stored>> {
    let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT id, {start}, {end} FROM {table} WHERE workspace_id = $1 AND customer_id = $2 \
         ORDER BY {start}, id",
        start = t.start,
        end = t.end,
        table = t.table
    ))
    .bind(workspace_id)
    .bind(customer_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, start, end)| Stored { id, start, end })
        .collect())
}

async fn open_spell(
    conn: &mut AnyConnection,
    t: &Table,
    workspace_id: i64,
    customer_id: i64,
    at: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query_scalar(&format!(
        "INSERT INTO {} (workspace_id, customer_id, {}, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
        t.table, t.start
    ))
    .bind(workspace_id)
    .bind(customer_id)
    .bind(at)
    .bind(to_ts(now))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if StoreError::is_unique_violation(&e) {
            StoreError::Conflict(format!(
                "another request opened a {} for this customer meanwhile; send the events again",
                t.noun
            ))
        } else {
            e.into()
        }
    })
}

async fn close_spell(conn: &mut AnyConnection, t: &Table, id: i64, at: i64) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE {} SET {} = $1 WHERE id = $2",
        t.table, t.end
    ))
    .bind(at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
