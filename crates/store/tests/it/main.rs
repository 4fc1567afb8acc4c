//! The store's integration tests as one binary (one link instead of one per file): each
//! former `tests/*.rs` is a module. Run one with `cargo test -p advocate-store --test it NAME`.

#[macro_use]
mod common;

mod alert_kinds;
mod backup;
mod business;
mod business_history;
mod closed_loop;
mod conformance;
mod engagements;
mod group_commit;
mod hand_opened;
mod health;
mod invitations;
mod kpis;
mod layout;
mod metrics;
mod outbox;
mod privacy;
mod rate_limits;
mod rescore;
mod shares;
mod sso;
mod surveys;
mod themes;
mod timeline;
mod two_factor;
mod unmatched_mail;
mod upgrade;
mod workspace_defaults;
