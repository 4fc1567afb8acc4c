//! Background work: delivering the outbox (email, SMS, webhooks, Slack, Teams), escalating
//! overdue cases, sending batched alerts and members' digests, sending invitations
//! (schedules, due invitations, reminders), applying the answer retention policy
//! daily and re-tagging comments after a taxonomy edit; [`mailbox`] polls the mailbox customers reply to (added with
//! [`Workers::read_mailbox`] where one is configured); [`backups`] backs up a SQLite
//! database on a schedule (started by `advocate serve --backup-dir`).
//!
//! [`start`] runs one delivery loop per process (several processes may share a
//! PostgreSQL database: claims with leases keep them off each other's messages) and the
//! escalation loop. The delivery loop is woken by every commit that queued a message and
//! by a poll tick, for retries that fall due and messages queued by other instances.

pub mod alerts;
pub mod backups;
pub mod delivery;
pub mod digests;
pub mod escalation;
pub mod invitations;
pub mod mailbox;
pub mod retag;
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
    alerts: JoinHandle<()>,
    digests: JoinHandle<()>,
    invitations: JoinHandle<()>,
    retention: JoinHandle<()>,
    retag: JoinHandle<()>,
    mailbox: Option<JoinHandle<()>>,
}

/// Starts delivering the outbox, escalating overdue cases and sending invitations in the
/// background.
pub fn start(store: Store, config: DeliveryConfig) -> Workers {
    let (stop, stopped) = watch::channel(false);
    let escalation = escalation::spawn(store.clone());
    let alerts = alerts::spawn(store.clone());
    let digests = digests::spawn(store.clone());
    let invitations = invitations::spawn(store.clone());
    let retention = retention::spawn(store.clone());
    let retag = retag::spawn(store.clone());
    let delivery = tokio::spawn(delivery::run(store, config, stopped));
    Workers {
        stop,
        delivery,
        escalation,
        alerts,
        digests,
        invitations,
        retention,
        retag,
        mailbox: None,
    }
}

impl Workers {
    /// Also reads the reply mailbox: each message goes to its case (or the unmatched
    /// list) through [`crate::conversation::receive`], and is removed from the mailbox
    /// only once that has committed. `reply_key` verifies the reply addresses.
    pub fn read_mailbox(
        &mut self,
        store: Store,
        reply_key: Vec<u8>,
        config: mailbox::MailboxConfig,
    ) {
        let stop = self.stop.subscribe();
        let handle = mailbox::to_cases(store, reply_key);
        self.mailbox = Some(tokio::spawn(mailbox::run(config, handle, stop)));
    }

    /// Stops claiming new messages, waits for the deliveries in flight, and stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Some(mailbox) = self.mailbox {
            let _ = mailbox.await;
        }
        let _ = self.delivery.await;
        self.escalation.abort();
        let _ = self.escalation.await;
        self.alerts.abort();
        let _ = self.alerts.await;
        self.digests.abort();
        let _ = self.digests.await;
        self.invitations.abort();
        let _ = self.invitations.await;
        self.retention.abort();
        let _ = self.retention.await;
        self.retag.abort();
        let _ = self.retag.await;
    }
}
