//! Escalates cases whose first-contact SLA has passed (being written).

use advocate_store::Store;
use tokio::task::JoinHandle;

/// Starts the escalation loop.
pub fn spawn(_store: Store) -> JoinHandle<()> {
    tokio::spawn(async {})
}
