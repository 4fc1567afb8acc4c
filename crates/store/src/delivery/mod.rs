//! What leaves Advocate: the outbox every message and event is queued in, webhook endpoints, and the signed links messages carry.

pub(crate) mod links;
pub mod outbox;
pub mod webhooks;
