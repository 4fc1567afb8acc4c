//! The `advocate` binary's integration tests as one binary (one link instead of one per
//! file): each former `tests/*.rs` is a module. Run one with `cargo test -p advocate-cli --test it NAME`.

mod common;

mod backup;
mod benchmarks;
mod cli;
mod config;
mod doctor;
mod durability;
mod fresh_install;
mod import_business;
mod import_react;
mod kpis;
mod operating;
mod privacy;
mod scale_out;
mod schemathesis;
