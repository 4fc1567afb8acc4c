//! Background work: delivering the outbox (email, SMS, webhooks, Slack), escalating
//! overdue cases, sending invitations (schedules, due invitations, reminders), sending
//! members' digests and applying the answer retention policy daily.
//!
//! [`start`] runs one delivery loop per process (several processes may share a
//! PostgreSQL database: claims with leases keep them off each other's messages) and the
//! escalation loop. The delivery loop is woken by every commit that queued a message and
//! by a poll tick, for retries that fall due and messages queued by other instances.

pub mod delivery;
pub mod digests;
pub mod escalation;
pub mod invitations;
pub mod retention;
pub mod senders;

pub use delivery::DeliveryConfig;
pub use senders::{SmsSettings, SmtpSettings};

use advocate_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running workers; dropping it leaves them running, [`Workers::shutdown`] stops them
/// after the deliveries in flight have been recorded.
pub struct Workers {
    stop: watch::Sender<bool>,
    delivery: JoinHandle<()>,
    escalation: JoinHandle<()>,
    digests: JoinHandle<()>,
    invitations: JoinHandle<()>,
    retention: JoinHandle<()>,
}

/// Starts delivering the outbox, escalating overdue cases and sending invitations in the
/// background.
pub fn start(store: Store, config: DeliveryConfig) -> Workers {
    let (stop, stopped) = watch::channel(false);
    let escalation = escalation::spawn(store.clone());
    let digests = digests::spawn(store.clone());
    let invitations = invitations::spawn(store.clone());
    let retention = retention::spawn(store.clone());
    let delivery = tokio::spawn(delivery::run(store, config, stopped));
    Workers {
        stop,
        delivery,
        escalation,
        digests,
        invitations,
        retention,
    }
}

impl Workers {
    /// Stops claiming new messages, waits for the deliveries in flight, and stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.delivery.await;
        self.escalation.abort();
        let _ = self.escalation.await;
        self.digests.abort();
        let _ = self.digests.await;
        self.invitations.abort();
        let _ = self.invitations.await;
        self.retention.abort();
        let _ = self.retention.await;
    }
}
