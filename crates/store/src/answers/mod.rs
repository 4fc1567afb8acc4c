//! An answer arrives: recorded with its reaction in one transaction, live answers in groups (group commit), imports in bulk.

pub mod bulk;
pub(crate) mod change;
pub(crate) mod group_commit;
pub(crate) mod record;
