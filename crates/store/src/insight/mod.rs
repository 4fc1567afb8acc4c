//! What the answers say: NPS reports and comparisons, small-group anonymity, KPIs, customer timelines, exports.

pub(crate) mod analytics;
pub(crate) mod anonymity;
pub(crate) mod compare;
pub mod exports;
pub mod kpis;
pub(crate) mod report;
pub(crate) mod timeline;
