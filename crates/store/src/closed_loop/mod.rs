//! What an answer sets in motion: the reaction (case, alert, thank-you, review ask), cases and their lifecycle, engagements with promoters.

pub mod alerts;
pub mod cases;
pub(crate) mod context;
pub mod conversation;
pub mod engagements;
pub(crate) mod new_cases;
pub(crate) mod reactions;
