//! The store's handles: one per capability, each named after what it holds and
//! implemented in the files listed beside it, so a call such as
//! `store.cases().update(…)` says which file to open. A handle borrows the `Store`
//! and costs nothing to make; every handle of a store shares its pools.

use crate::Store;

macro_rules! handles {
    ($($(#[$doc:meta])* $accessor:ident => $handle:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy)]
            pub struct $handle<'s> {
                pub(crate) store: &'s Store,
            }
        )*

        impl Store {
            $(
                $(#[$doc])*
                pub fn $accessor(&self) -> $handle<'_> {
                    $handle { store: self }
                }
            )*
        }
    };
}

handles! {
    /// Answers as they arrive, one or many (bulk), their comments and score changes.
    /// (`answers/record.rs`, `answers/change.rs`, `answers/bulk.rs`)
    answers => Answers;

    /// Surveys: create, list, find by slug or public id.
    /// (`feedback/surveys.rs`)
    surveys => Surveys;

    /// Customers: create or update by external id, count.
    /// (`feedback/customers.rs`)
    customers => Customers;

    /// Cases: list, read, change (core decides, this writes), escalate, closed-loop health.
    /// (`closed_loop/cases/mod.rs`, `list.rs`, `update.rs`, `escalation.rs`, `health.rs`)
    cases => Cases;

    /// The conversation on a case: emails to the customer, their replies, the unmatched
    /// list, the templates agents start from.
    /// (`closed_loop/conversation/send.rs`, `receive.rs`, `unmatched.rs`, `templates.rs`)
    conversations => Conversations;

    /// People's alert subscriptions: keep them, and send the answers batched ones gathered.
    /// (`closed_loop/alerts/mod.rs`, `alerts/matching.rs`, `alerts/flush.rs`)
    alerts => Alerts;

    /// Engagements with promoters and passives: thank-yous, review requests, discount codes.
    /// (`closed_loop/engagements/mod.rs`, `engagements/discount_codes.rs`)
    engagements => Engagements;

    /// The outbox: messages queued with the write that caused them, claimed, delivered, retried.
    /// (`delivery/outbox/queue.rs`, `outbox/claim.rs`, `outbox/browse.rs`)
    outbox => Outbox;

    /// Webhook endpoints and their signing secrets.
    /// (`delivery/webhooks.rs`)
    webhooks => Webhooks;

    /// Support contacts recorded from the business's systems.
    /// (`business/contacts.rs`)
    contacts => Contacts;

    /// Orders recorded from the business's systems.
    /// (`business/orders.rs`)
    orders => Orders;

    /// Customers' lifecycle and loyalty-programme spells: acquired, churned, joined, left.
    /// (`business/spells.rs`)
    spells => Spells;

    /// Bulk loads of history (business records, cases, past invitations) into a workspace.
    /// (`business/history.rs`, `closed_loop/cases/history.rs`, `invitations/history.rs`)
    history => History;

    /// NPS reports and comparisons, read from the rollups.
    /// (`insight/analytics.rs`, `insight/compare.rs`)
    analytics => Analytics;

    /// Members' daily or weekly digests: settings, which are due, their facts, sending
    /// (claimed once per period), one-click unsubscribe.
    /// (`digests/mod.rs`, `digests/due.rs`, `digests/facts.rs`, `digests/send.rs`)
    digests => Digests;

    /// Exports of answers in batches, and a period's comments spread over its months.
    /// (`insight/exports.rs`)
    exports => Exports;

    /// Loyalty KPIs: retention, churn and revenue by NPS group.
    /// (`insight/kpis/mod.rs`, `kpis/figures.rs`, `kpis/series.rs`)
    kpis => Kpis;

    /// The comment explorer: comments by filters and full-text search, tagged by hand.
    /// (`insight/comments.rs`)
    comments => Comments;

    /// The customer list and one customer's timeline; follow-ups.
    /// (`insight/timeline/mod.rs`, `timeline/customers.rs`, `timeline/follow_up.rs`)
    timelines => Timelines;

    /// Invitations: create, track (delivered, opened, answered), dispatch, remind, unsubscribe.
    /// (`invitations/mod.rs`, `create.rs`, `tracking.rs`, `unsubscribe.rs`, `rates.rs`,
    /// `widget.rs`, `texts.rs`, `dispatch.rs`)
    invitations => Invitations;

    /// Event triggers, and the events that schedule their invitations.
    /// (`invitations/events.rs`)
    triggers => Triggers;

    /// Recurring invitation schedules.
    /// (`invitations/schedules.rs`)
    schedules => Schedules;

    /// A person's data: erase, export; retention.
    /// (`privacy/erase.rs`, `privacy/export.rs`, `privacy/retention.rs`)
    privacy => Privacy;

    /// Memberships and roles, sessions, one-time user tokens.
    /// (`tenancy/accounts.rs`)
    accounts => Accounts;

    /// Single sign-on: a workspace's OpenID Connect provider and who it lets in.
    /// (`tenancy/sso.rs`)
    sso => Sso;

    /// Two-factor sign-in: TOTP secrets, the last step accepted, recovery codes.
    /// (`tenancy/two_factor.rs`)
    two_factor => TwoFactor;

    /// The audit log: who did what, and a person's account events in all their workspaces.
    /// (`tenancy/audit.rs`)
    audit => Audit;

    /// Workspace settings, playbooks and routing rules.
    /// (`tenancy/settings.rs`)
    settings => Settings;

    /// Backups of a SQLite database while it serves: written, verified, renamed into place.
    /// (`backup.rs`)
    backups => Backups;

    /// Workspaces and installation settings; setup warnings; widget secrets.
    /// (`tenancy/workspaces.rs`, `tenancy/setup.rs`, `tenancy/widget_secret.rs`)
    workspaces => Workspaces;

    /// People who sign in; their language and time zone.
    /// (`tenancy/users.rs`)
    users => Users;

    /// API keys.
    /// (`tenancy/api_keys.rs`)
    api_keys => ApiKeys;

    /// Read-only share links of a dashboard view: made, listed, opened, revoked.
    /// (`insight/shares.rs`)
    shares => Shares;

    /// Rate limits several instances share: take, refund, prune.
    /// (`rate_limits.rs`)
    rate_limits => RateLimits;

    /// Themes: the workspace's taxonomy and its edits, background re-tagging, the theme
    /// report with its drivers.
    /// (`themes/mod.rs`, `themes/tagging.rs`, `themes/retag.rs`, `themes/report.rs`)
    themes => Themes;
}
