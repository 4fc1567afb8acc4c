//! What the answers say: NPS reports and comparisons, small-group anonymity, KPIs, customer timelines, exports.

pub mod analytics;
pub(crate) mod anonymity;
pub mod compare;
pub mod exports;
pub mod kpis;
pub mod report;
pub mod timeline;
