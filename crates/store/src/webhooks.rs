//! Webhook endpoints a workspace subscribes to events with.
