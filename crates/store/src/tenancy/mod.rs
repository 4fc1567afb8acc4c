//! Who is who: workspaces, accounts and API keys, workspace settings (the one place they are read), what is left to set up.

pub mod accounts;
pub(crate) mod api_keys;
pub mod audit;
pub(crate) mod lookup;
pub mod settings;
pub mod setup;
pub mod sso;
pub mod two_factor;
pub mod users;
pub mod widget_secret;
pub(crate) mod workspaces;
