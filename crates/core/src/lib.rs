//! Advocate's domain: the rules of measuring loyalty, with no I/O.
//!
//! Values are parsed at the boundary into the types here (a [`Score`] cannot hold 11), so
//! code further in never re-validates.

pub mod access;
pub mod alerts;
pub mod case;
pub mod comments;
pub mod contact;
pub mod conversation;
pub mod currency;
pub mod customer;
pub mod delivery;
pub mod field;
pub mod i18n;
pub mod invitation;
pub mod kpi;
pub mod labels;
pub mod messages;
pub mod metrics;
pub mod nps;
pub mod oidc;
pub mod outbound;
pub mod period;
pub mod playbook;
pub mod proxy;
pub mod query;
pub mod rate;
pub mod rescore;
pub mod score;
pub mod staff;
mod stats;
pub mod text;
pub mod themes;
pub mod token;
pub mod totp;

pub use access::{Permission, Role, Scope};
pub use contact::ContactChannel;
pub use labels::{Channel, Label, LabelError, Language, SurveyKind, SurveyStatus};
pub use nps::{CiMethod, Comparison, Interval, NpsCounts, Shares, SMALL_SAMPLE};
pub use period::{Granularity, GroupBy};
pub use playbook::{EngagementKind, Playbook, Priority, SlaHours};
pub use score::{Category, CsatScore, Rating, Score, ScoreError};
