//! What the answers say: NPS reports and comparisons, the comment explorer, small-group anonymity, KPIs, customer timelines, exports, read-only dashboard links.

pub mod analytics;
pub(crate) mod anonymity;
pub mod comments;
pub mod compare;
pub mod exports;
pub mod kpis;
pub mod report;
pub mod shares;
pub mod timeline;
