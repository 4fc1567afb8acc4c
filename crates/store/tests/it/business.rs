//! Business data on every backend: lifecycle spells (with a customer who churns and
//! returns), orders in the reporting currency and in others, contacts, loyalty
//! membership; idempotent replays and all-or-nothing batches.

use crate::common::*;
use advocate_core::ContactChannel;
use advocate_store::business::{
    ContactFilter, LifecycleEvent, LifecycleKind, LoyaltyEvent, LoyaltyKind, NewContact, NewOrder,
    OrderFilter, Recorded, Spell,
};
use advocate_store::models::WorkspaceSettings;
use advocate_store::Store;
use chrono::{DateTime, Duration, Utc};

/// A workspace with customers c1, c2 and c3.
async fn setup(store: &Store, slug: &str) -> i64 {
    let ws = named_workspace(store, slug).await;
    for id in ["c1", "c2", "c3"] {
        store
            .customers()
            .upsert(ws, &customer(id, "basic"))
            .await
            .unwrap();
    }
    ws
}

fn rec(stored: u64, unchanged: u64) -> Recorded {
    Recorded { stored, unchanged }
}

fn spell(from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> Spell {
    Spell {
        started_at: from,
        ended_at: to,
    }
}

fn life(customer: &str, event: LifecycleKind, at: DateTime<Utc>) -> LifecycleEvent {
    LifecycleEvent {
        customer: customer.into(),
        event,
        at,
    }
}

fn order(ext: &str, customer: &str, amount: &str, currency: &str) -> NewOrder {
    NewOrder {
        external_id: Some(ext.into()),
        customer: customer.into(),
        amount: amount.into(),
        currency: currency.into(),
        amount_in_reporting_currency: None,
        ordered_at: at(2025, 3, 1),
    }
}

fn contact(ext: &str, customer: Option<&str>) -> NewContact {
    NewContact {
        external_id: Some(ext.into()),
        customer: customer.map(str::to_owned),
        channel: ContactChannel::Email,
        is_complaint: true,
        opened_at: at(2025, 3, 1),
        first_reply_at: None,
        resolved_at: None,
    }
}

fn all_orders(customer: Option<&str>) -> OrderFilter {
    OrderFilter {
        customer: customer.map(str::to_owned),
        limit: 100,
        ..Default::default()
    }
}

async fn a_customer_churns_and_returns_in_two_spells(store: Store) {
    use LifecycleKind::*;
    let ws = setup(&store, "acme").await;
    let (jan, mar, may, jul) = (
        at(2025, 1, 1),
        at(2025, 3, 1),
        at(2025, 5, 1),
        at(2025, 7, 1),
    );
    assert_eq!(
        store.spells().record_acquired(ws, "c1", jan).await.unwrap(),
        rec(1, 0)
    );
    // A retry of the same event changes nothing; another acquisition while open is refused.
    assert_eq!(
        store.spells().record_acquired(ws, "c1", jan).await.unwrap(),
        rec(0, 1)
    );
    let msg = conflict(store.spells().record_acquired(ws, "c1", mar).await);
    assert!(
        msg.contains("already has an open spell (acquired at 2025-01-01"),
        "{msg}"
    );
    // Churn before the spell began is refused.
    let msg = conflict(
        store
            .spells()
            .record_churned(ws, "c1", at(2024, 12, 1))
            .await,
    );
    assert!(msg.contains("before the open spell began"), "{msg}");
    assert_eq!(
        store.spells().record_churned(ws, "c1", mar).await.unwrap(),
        rec(1, 0)
    );
    assert_eq!(
        store.spells().record_churned(ws, "c1", mar).await.unwrap(),
        rec(0, 1),
        "replay"
    );
    let msg = conflict(store.spells().record_churned(ws, "c1", may).await);
    assert!(
        msg.contains("no open spell (last churned at 2025-03-01"),
        "{msg}"
    );
    // Coming back before the churn would overlap the first spell.
    let msg = conflict(
        store
            .spells()
            .record_acquired(ws, "c1", at(2025, 2, 1))
            .await,
    );
    assert!(msg.contains("spells cannot overlap"), "{msg}");
    assert_eq!(
        store.spells().record_acquired(ws, "c1", may).await.unwrap(),
        rec(1, 0)
    );
    assert_eq!(
        store.spells().of_customer(ws, "c1").await.unwrap(),
        [spell(jan, Some(mar)), spell(may, None)]
    );
    // Never acquired: nothing to churn from.
    let msg = conflict(store.spells().record_churned(ws, "c2", jul).await);
    assert!(msg.contains("no open spell (never acquired)"), "{msg}");
    let msg = not_found(store.spells().record_acquired(ws, "nobody", jan).await);
    assert!(msg.contains("customer \"nobody\" does not exist"), "{msg}");
    let msg = invalid(
        store
            .spells()
            .record_acquired(ws, "c2", Utc::now() + Duration::days(2))
            .await,
    );
    assert!(
        msg.starts_with("at ") && msg.ends_with("is in the future"),
        "{msg}"
    );
    assert!(store
        .spells()
        .of_customer(ws, "c2")
        .await
        .unwrap()
        .is_empty());
    // The same events as one batch, in any order, give the same spells.
    let batch = [
        life("c2", Acquired, may),
        life("c2", Churned, mar),
        life("c2", Acquired, jan),
    ];
    assert_eq!(
        store.spells().record_lifecycle(ws, &batch).await.unwrap(),
        rec(3, 0)
    );
    assert_eq!(
        store.spells().of_customer(ws, "c2").await.unwrap(),
        [spell(jan, Some(mar)), spell(may, None)]
    );
    // Sent again, the whole batch is a replay.
    assert_eq!(
        store.spells().record_lifecycle(ws, &batch).await.unwrap(),
        rec(0, 3)
    );
}

async fn a_lifecycle_batch_with_a_bad_event_stores_nothing(store: Store) {
    use LifecycleKind::*;
    let ws = setup(&store, "acme").await;
    let other = setup(&store, "other").await;
    store
        .customers()
        .upsert(other, &customer("theirs", "x"))
        .await
        .unwrap();
    let batch = [
        life("c1", Acquired, at(2025, 1, 1)),
        life("theirs", Acquired, at(2025, 1, 1)),
        life("c2", Churned, at(2025, 1, 1)),
        life("c3", Acquired, at(2025, 1, 1)),
    ];
    let msg = conflict(store.spells().record_lifecycle(ws, &batch).await);
    assert!(
        msg.contains("events[1]: customer \"theirs\" does not exist"),
        "{msg}"
    );
    assert!(
        msg.contains("events[2]: event churned at 2025-01-01"),
        "{msg}"
    );
    assert!(
        !msg.contains("events[0]") && !msg.contains("events[3]"),
        "{msg}"
    );
    for c in ["c1", "c3"] {
        assert!(
            store.spells().of_customer(ws, c).await.unwrap().is_empty(),
            "{c}"
        );
    }
    // Only another workspace's customers: not found, nothing stored there either.
    let msg = not_found(store.spells().record_lifecycle(ws, &batch[1..2]).await);
    assert!(msg.starts_with("events[0]: customer \"theirs\""), "{msg}");
    assert!(store
        .spells()
        .of_customer(other, "theirs")
        .await
        .unwrap()
        .is_empty());
    let msg = invalid(store.spells().record_lifecycle(ws, &[]).await);
    assert_eq!(msg, "events must hold 1 to 10000 items; got 0");
}

async fn orders_in_the_reporting_currency_and_in_others(store: Store) {
    let ws = setup(&store, "acme").await;
    // EUR is the default reporting currency.
    assert_eq!(
        store
            .orders()
            .record(ws, &order("o1", "c1", "19.90", "EUR"))
            .await
            .unwrap(),
        rec(1, 0)
    );
    let nok = order("o2", "c1", "250", "NOK");
    let msg = invalid(store.orders().record(ws, &nok).await);
    assert!(
        msg.starts_with("amount_in_reporting_currency is required: the order is in NOK but the workspace reports in EUR"),
        "{msg}"
    );
    let nok = NewOrder {
        amount_in_reporting_currency: Some("21.5".into()),
        ..nok
    };
    assert_eq!(store.orders().record(ws, &nok).await.unwrap(), rec(1, 0));
    let page = store
        .orders()
        .list(ws, &all_orders(Some("c1")))
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let o2 = page
        .orders
        .iter()
        .find(|o| o.external_id.as_deref() == Some("o2"))
        .unwrap();
    assert_eq!(
        (
            o2.amount.as_str(),
            o2.currency.as_str(),
            o2.amount_in_reporting_currency.as_str()
        ),
        ("250.00", "NOK", "21.50")
    );
    assert_eq!(o2.reporting_currency, "EUR");
    // Same-currency orders must not carry a different reporting amount.
    let msg = invalid(
        store
            .orders()
            .record(
                ws,
                &NewOrder {
                    amount_in_reporting_currency: Some("5".into()),
                    ..order("o3", "c1", "4", "EUR")
                },
            )
            .await,
    );
    assert!(msg.contains("must equal amount"), "{msg}");
    // A workspace reporting in NOK needs EUR orders converted.
    store
        .settings()
        .save(
            ws,
            &WorkspaceSettings {
                currency: "NOK".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let msg = invalid(
        store
            .orders()
            .record(ws, &order("o4", "c1", "10", "EUR"))
            .await,
    );
    assert!(msg.contains("the workspace reports in NOK"), "{msg}");
    assert_eq!(
        store
            .orders()
            .record(ws, &order("o4", "c1", "99.5", "NOK"))
            .await
            .unwrap(),
        rec(1, 0)
    );
    // Bad amounts, currencies and times, each named.
    let bad = [
        ("-1", "NOK", "amount must not be negative"),
        ("NaN", "NOK", "amount must be a decimal number"),
        ("1.999", "NOK", "amount has more decimals than NOK allows"),
        (
            "100.5",
            "JPY",
            "amount has more decimals than JPY allows (JPY has no decimals)",
        ),
        ("1", "nok", "currency must be an ISO 4217 code"),
        // Three capitals, but no currency: a typo must not become a currency of its own.
        ("1", "NKO", "currency must be an ISO 4217 code"),
    ];
    for (amount, currency, expected) in bad {
        let mut o = order("bad", "c1", amount, currency);
        o.amount_in_reporting_currency = Some("1".into());
        let msg = invalid(store.orders().record(ws, &o).await);
        assert!(msg.starts_with(expected), "{amount} {currency}: {msg}");
    }
    let mut future = order("later", "c1", "1", "NOK");
    future.ordered_at = Utc::now() + Duration::days(1);
    assert!(invalid(store.orders().record(ws, &future).await).contains("is in the future"));
    assert_eq!(
        store
            .orders()
            .list(ws, &all_orders(None))
            .await
            .unwrap()
            .total,
        3
    );
}

async fn orders_are_idempotent_and_batches_all_or_nothing(store: Store) {
    let ws = setup(&store, "acme").await;
    let first = order("o1", "c1", "10", "EUR");
    assert_eq!(store.orders().record(ws, &first).await.unwrap(), rec(1, 0));
    assert_eq!(
        store.orders().record(ws, &first).await.unwrap(),
        rec(0, 1),
        "replay"
    );
    let changed = order("o1", "c1", "11", "EUR");
    let msg = conflict(store.orders().record(ws, &changed).await);
    assert!(
        msg.contains("external_id \"o1\" is already stored"),
        "{msg}"
    );
    // A batch with a replay, a new order, a repeated id and a bad one: none is stored.
    let batch = [
        first.clone(),
        order("o2", "c2", "5", "EUR"),
        order("o2", "c2", "6", "EUR"),
        order("o3", "nobody", "5", "EUR"),
        order("o4", "c3", "-5", "EUR"),
    ];
    let msg = invalid(store.orders().record_many(ws, &batch).await);
    assert!(
        msg.contains("orders[2]: external_id \"o2\" is used by an earlier item"),
        "{msg}"
    );
    assert!(
        msg.contains("orders[3]: customer \"nobody\" does not exist"),
        "{msg}"
    );
    assert!(
        msg.contains("orders[4]: amount must not be negative"),
        "{msg}"
    );
    assert!(
        !msg.contains("orders[0]") && !msg.contains("orders[1]"),
        "{msg}"
    );
    assert_eq!(
        store
            .orders()
            .list(ws, &all_orders(None))
            .await
            .unwrap()
            .total,
        1
    );
    // The good part alone goes in; the same order twice in one batch is stored once.
    let good = [
        first,
        order("o2", "c2", "5", "EUR"),
        order("o2", "c2", "5", "EUR"),
    ];
    assert_eq!(
        store.orders().record_many(ws, &good).await.unwrap(),
        rec(1, 2)
    );
    // Orders without an external id are simply stored.
    let mut anonymous = order("x", "c3", "1", "EUR");
    anonymous.external_id = None;
    store
        .orders()
        .record_many(ws, &[anonymous.clone(), anonymous])
        .await
        .unwrap();
    assert_eq!(
        store
            .orders()
            .list(ws, &all_orders(None))
            .await
            .unwrap()
            .total,
        4
    );
    // Listing: by time window (to is exclusive), paged, newest first.
    let mut late = order("o5", "c1", "1", "EUR");
    late.ordered_at = at(2025, 6, 1);
    store.orders().record(ws, &late).await.unwrap();
    let window = OrderFilter {
        from: Some(at(2025, 5, 1)),
        to: Some(at(2025, 7, 1)),
        limit: 10,
        ..Default::default()
    };
    let page = store.orders().list(ws, &window).await.unwrap();
    assert_eq!((page.total, page.orders.len()), (1, 1));
    assert_eq!(page.orders[0].external_id.as_deref(), Some("o5"));
    let paged = OrderFilter {
        limit: 2,
        offset: 0,
        ..Default::default()
    };
    let page = store.orders().list(ws, &paged).await.unwrap();
    assert_eq!((page.total, page.orders.len()), (5, 2));
    assert_eq!(page.orders[0].external_id.as_deref(), Some("o5"));
    assert!(
        not_found(store.orders().list(ws, &all_orders(Some("nobody"))).await).contains("nobody")
    );
    // Another workspace sees none of them.
    let other = setup(&store, "other").await;
    assert_eq!(
        store
            .orders()
            .list(other, &all_orders(None))
            .await
            .unwrap()
            .total,
        0
    );
}

async fn contacts_are_checked_replayed_and_completed(store: Store) {
    let ws = setup(&store, "acme").await;
    let opened = contact("t1", Some("c1"));
    assert_eq!(
        store.contacts().record(ws, &opened).await.unwrap(),
        rec(1, 0)
    );
    assert_eq!(
        store.contacts().record(ws, &opened).await.unwrap(),
        rec(0, 1)
    );
    // Later the same ticket comes back with its reply and resolution.
    let done = NewContact {
        first_reply_at: Some(at(2025, 3, 2)),
        resolved_at: Some(at(2025, 3, 4)),
        ..opened.clone()
    };
    assert_eq!(store.contacts().record(ws, &done).await.unwrap(), rec(1, 0));
    assert_eq!(
        store.contacts().record(ws, &opened).await.unwrap(),
        rec(0, 1),
        "times are kept"
    );
    let moved = NewContact {
        resolved_at: Some(at(2025, 3, 5)),
        ..done.clone()
    };
    let msg = conflict(store.contacts().record(ws, &moved).await);
    assert!(
        msg.contains("already stored with another resolved_at"),
        "{msg}"
    );
    let rechanneled = NewContact {
        channel: ContactChannel::Phone,
        ..opened.clone()
    };
    assert!(conflict(store.contacts().record(ws, &rechanneled).await).contains("another channel"));
    // Times out of order, in the future, unknown customers.
    let backwards = NewContact {
        first_reply_at: Some(at(2025, 2, 1)),
        resolved_at: Some(at(2025, 2, 2)),
        ..contact("t2", Some("c2"))
    };
    let msg = invalid(store.contacts().record(ws, &backwards).await);
    assert!(
        msg.starts_with("first_reply_at 2025-02-01T12:00:00+00:00 is before opened_at"),
        "{msg}"
    );
    assert!(
        msg.contains("; resolved_at 2025-02-02T12:00:00+00:00 is before opened_at"),
        "{msg}"
    );
    let future = NewContact {
        opened_at: Utc::now() + Duration::days(3),
        ..contact("t3", None)
    };
    assert!(invalid(store.contacts().record(ws, &future).await).contains("opened_at"));
    let msg = not_found(
        store
            .contacts()
            .record(ws, &contact("t4", Some("nobody")))
            .await,
    );
    assert!(msg.contains("\"nobody\""), "{msg}");
    // A batch: an anonymous self-service question and a chat; one bad item stops both.
    let question = NewContact {
        channel: ContactChannel::SelfService,
        is_complaint: false,
        ..contact("t5", None)
    };
    let chat = NewContact {
        channel: ContactChannel::Chat,
        ..contact("t6", Some("c3"))
    };
    let msg = not_found(
        store
            .contacts()
            .record_many(
                ws,
                &[question.clone(), chat.clone(), contact("t7", Some("zz"))],
            )
            .await,
    );
    assert!(msg.starts_with("contacts[2]: customer \"zz\""), "{msg}");
    assert_eq!(
        store
            .contacts()
            .record_many(ws, &[question, chat])
            .await
            .unwrap(),
        rec(2, 0)
    );
    // Listing with filters.
    let all = ContactFilter {
        limit: 50,
        ..Default::default()
    };
    let page = store.contacts().list(ws, &all).await.unwrap();
    assert_eq!(page.total, 3);
    let t1 = page
        .contacts
        .iter()
        .find(|c| c.external_id.as_deref() == Some("t1"))
        .unwrap();
    assert_eq!(t1.customer.as_deref(), Some("c1"));
    assert_eq!(t1.resolved_at, Some(at(2025, 3, 4)));
    let complaints = ContactFilter {
        complaint: Some(true),
        ..all.clone()
    };
    assert_eq!(
        store.contacts().list(ws, &complaints).await.unwrap().total,
        2
    );
    let self_service = ContactFilter {
        channel: Some(ContactChannel::SelfService),
        ..all.clone()
    };
    let page = store.contacts().list(ws, &self_service).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.contacts[0].customer, None);
    let of_c3 = ContactFilter {
        customer: Some("c3".into()),
        ..all
    };
    assert_eq!(store.contacts().list(ws, &of_c3).await.unwrap().total, 1);
}

async fn loyalty_membership_joins_leaves_and_rejoins(store: Store) {
    use LoyaltyKind::*;
    let ws = setup(&store, "acme").await;
    let (jan, mar, may) = (at(2025, 1, 1), at(2025, 3, 1), at(2025, 5, 1));
    let msg = conflict(store.spells().record_left(ws, "c1", jan).await);
    assert!(
        msg.contains("has no open membership (never joined)"),
        "{msg}"
    );
    assert_eq!(
        store.spells().record_joined(ws, "c1", jan).await.unwrap(),
        rec(1, 0)
    );
    let msg = conflict(store.spells().record_joined(ws, "c1", mar).await);
    assert!(
        msg.contains("already has an open membership (joined at 2025-01-01"),
        "{msg}"
    );
    assert_eq!(
        store.spells().record_left(ws, "c1", mar).await.unwrap(),
        rec(1, 0)
    );
    assert!(conflict(store.spells().record_left(ws, "c1", may).await).contains("last left at"));
    assert_eq!(
        store.spells().record_joined(ws, "c1", may).await.unwrap(),
        rec(1, 0)
    );
    assert_eq!(
        store.spells().loyalty_memberships(ws, "c1").await.unwrap(),
        [spell(jan, Some(mar)), spell(may, None)]
    );
    // Membership is separate from the customer lifecycle.
    assert!(store
        .spells()
        .of_customer(ws, "c1")
        .await
        .unwrap()
        .is_empty());
    let ev = |c: &str, event, at| LoyaltyEvent {
        customer: c.into(),
        event,
        at,
    };
    let batch = [ev("c2", Joined, jan), ev("c3", Left, jan)];
    let msg = conflict(store.spells().record_loyalty(ws, &batch).await);
    assert!(msg.starts_with("events[1]: event left at"), "{msg}");
    assert!(store
        .spells()
        .loyalty_memberships(ws, "c2")
        .await
        .unwrap()
        .is_empty());
    let batch = [
        ev("c2", Joined, jan),
        ev("c3", Joined, jan),
        ev("c2", Left, may),
    ];
    assert_eq!(
        store.spells().record_loyalty(ws, &batch).await.unwrap(),
        rec(3, 0)
    );
    assert_eq!(
        store.spells().loyalty_memberships(ws, "c2").await.unwrap(),
        [spell(jan, Some(may))]
    );
}

#[tokio::test]
async fn lifecycle_spells() {
    on_every_backend!(a_customer_churns_and_returns_in_two_spells);
}

#[tokio::test]
async fn lifecycle_batches() {
    on_every_backend!(a_lifecycle_batch_with_a_bad_event_stores_nothing);
}

#[tokio::test]
async fn orders_and_currencies() {
    on_every_backend!(orders_in_the_reporting_currency_and_in_others);
}

#[tokio::test]
async fn orders_idempotent_and_atomic() {
    on_every_backend!(orders_are_idempotent_and_batches_all_or_nothing);
}

#[tokio::test]
async fn contacts() {
    on_every_backend!(contacts_are_checked_replayed_and_completed);
}

#[tokio::test]
async fn loyalty() {
    on_every_backend!(loyalty_membership_joins_leaves_and_rejoins);
}
