//! The server's integration tests as one binary (one link instead of one per file):
//! each former `tests/*.rs` is a module. Run one with `cargo test -p advocate-server --test it NAME`.

mod common;
mod support {
    pub mod axe;
    pub mod webdriver;
}

mod access;
mod account_password;
mod alerts;
mod alerts_kinds;
mod answer_email;
mod api;
mod backups;
mod browser;
mod business;
mod cases;
mod comments;
mod conversation;
mod customers;
mod dashboard_filters;
mod delivery;
mod digests;
mod engagements;
mod escaping;
mod every_page;
mod exports;
mod faults;
mod headers;
mod hostile_tenant;
mod invitation_texts_ui;
mod invitations;
mod kpi_pages;
mod kpis;
mod mailbox;
mod mailbox_tls;
mod metrics;
mod pages;
mod personal_keys;
mod privacy;
mod proxy;
mod qr;
mod settings_api;
mod shared_limits;
mod shares;
mod signin_limits;
mod sms;
mod sso;
mod sso_settings;
mod survey_sending;
mod surveys_ui;
mod text_rule;
mod themes;
mod two_factor;
mod webhooks_ui;
mod widget;
