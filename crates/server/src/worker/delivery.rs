//! The delivery loop: claim due messages, deliver up to `concurrency` at once, record
//! each attempt (delivered, or failed and retried later, or dead-lettered).

use super::senders::{
    send_email, send_slack, send_sms, send_teams, send_webhook, Failure, SmsSettings, SmtpSettings,
};
use crate::outbound::OutboundClient;
use advocate_core::outbound::AllowedHosts;
use advocate_store::delivery::outbox::{FailureOutcome, MessageKind, OutboxMessage, RetryPolicy};
use advocate_store::Store;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How the delivery worker runs. The defaults suit production; tests shorten the poll
/// interval and the backoff.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Where email goes; without it emails wait in the outbox (visible there) until an
    /// instance with SMTP configured delivers them.
    pub smtp: Option<SmtpSettings>,
    /// The SMS provider. Without it SMS messages are still claimed and fail (retried,
    /// reason shown in the outbox), so configure it on every instance that delivers.
    pub sms: Option<SmsSettings>,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How often to look for due messages besides being woken by new ones.
    pub poll_interval: Duration,
    /// How long a claimed message is reserved for this worker; past it, another worker
    /// may claim it (this one is presumed crashed). Longer than any send can take.
    pub lease_secs: i64,
    /// Timeout of one webhook request.
    pub http_timeout: Duration,
    /// Where webhooks and Slack messages may go besides public addresses
    /// (`--allow-webhook-hosts`).
    pub allowed_hosts: AllowedHosts,
    pub retry: RetryPolicy,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            smtp: None,
            sms: None,
            concurrency: 8,
            poll_interval: Duration::from_secs(1),
            lease_secs: 120,
            http_timeout: Duration::from_secs(10),
            allowed_hosts: AllowedHosts::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// What each delivery needs, shared by the tasks.
struct Senders {
    store: Store,
    /// Webhooks and Slack: URLs an admin chose, held to the outbound rules.
    outbound: OutboundClient,
    /// The SMS provider: the operator's own URL.
    http: reqwest::Client,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    sms: Option<SmsSettings>,
    retry: RetryPolicy,
}

/// Delivers the outbox until `stop` turns true (what [`super::start`] runs; tests that
/// drive the other loops themselves run it alone).
pub async fn run(store: Store, config: DeliveryConfig, mut stop: watch::Receiver<bool>) {
    let http = reqwest::Client::builder()
        .timeout(config.http_timeout)
        .user_agent(concat!("Advocate/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("HTTP client builds");
    let outbound = OutboundClient::new(config.allowed_hosts.clone(), config.http_timeout);
    // Email and SMS wait in the outbox on an instance that cannot send them: another
    // instance (or this one, restarted with the setting) delivers them.
    let mut kinds = vec![MessageKind::Webhook, MessageKind::Slack, MessageKind::Teams];
    if config.smtp.is_some() {
        kinds.push(MessageKind::Email);
    }
    if config.sms.is_some() {
        kinds.push(MessageKind::Sms);
    }
    let senders = Arc::new(Senders {
        store: store.clone(),
        outbound,
        http,
        smtp: config.smtp.as_ref().map(SmtpSettings::transport),
        sms: config.sms.clone(),
        retry: config.retry,
    });
    let concurrency = config.concurrency.max(1);
    let mut tick = tokio::time::interval(config.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut in_flight = JoinSet::new();
    tracing::info!(?kinds, concurrency, "outbox delivery started");
    loop {
        // Fill the free slots with due messages.
        let free = concurrency - in_flight.len();
        let mut full = false;
        if free > 0 {
            match store.outbox().claim(&kinds, free, config.lease_secs).await {
                Ok(batch) => {
                    full = batch.len() == free;
                    for msg in batch {
                        in_flight.spawn(deliver(senders.clone(), msg));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot claim outbox messages"),
            }
        }
        tokio::select! {
            _ = stop.changed() => break,
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            // More may be due at once when the batch filled every slot: claim again as
            // soon as a slot frees (above), not on the next tick.
            _ = store.outbox_queued(), if !full => {}
            _ = tick.tick(), if !full => {}
        }
    }
    // Record what is in flight rather than leave it to lease expiry.
    while in_flight.join_next().await.is_some() {}
    tracing::info!("outbox delivery stopped");
}

async fn deliver(s: Arc<Senders>, msg: OutboxMessage) {
    let started = Instant::now();
    let result = match msg.kind {
        MessageKind::Webhook => send_webhook(&s.outbound, &s.store, &msg).await,
        MessageKind::Slack => send_slack(&s.outbound, &msg).await,
        MessageKind::Teams => send_teams(&s.outbound, &msg).await,
        MessageKind::Email => match &s.smtp {
            Some(smtp) => send_email(smtp, &msg).await,
            None => Err(Failure::retry("no SMTP server is configured")),
        },
        MessageKind::Sms => match &s.sms {
            Some(sms) => send_sms(&s.http, sms, &msg).await,
            None => Err(Failure::retry("no SMS provider is configured (--sms-url)")),
        },
    };
    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    // If recording fails (database away), the lease runs out and the message is sent
    // again: at least once, with the same idempotency key.
    let outcome = match result {
        Ok(()) => {
            tracing::debug!(id = msg.id, kind = ?msg.kind, ms, "delivered");
            if let Err(e) = s.store.outbox().delivered(msg.id, ms).await {
                tracing::error!(id = msg.id, error = %e, "delivered but not recorded");
            }
            "delivered"
        }
        Err(f) => {
            match s
                .store
                .outbox()
                .failed(msg.id, &f.reason, ms, f.permanent, &s.retry)
                .await
            {
                Ok(FailureOutcome::Dead) => {
                    tracing::warn!(id = msg.id, kind = ?msg.kind, reason = %f.reason, "dead-lettered");
                    "dead"
                }
                Ok(FailureOutcome::Retry(at)) => {
                    tracing::info!(id = msg.id, kind = ?msg.kind, reason = %f.reason, %at, "will retry");
                    "retry"
                }
                Err(e) => {
                    // Not recorded: the lease runs out and it is tried again.
                    tracing::error!(id = msg.id, error = %e, "failure not recorded");
                    "retry"
                }
            }
        }
    };
    s.store.metrics().delivery_attempted(msg.kind, outcome);
}
