//! What the background workers (the delivery worker, the webhook dispatcher) work with:
//! the operations, the configuration and their heartbeats, without the HTTP layer's state.

use std::sync::Arc;

use crate::app::App;
use crate::config::Config;
use crate::ops::SharedHeartbeats;

/// A worker's view of the server; cheap to clone into each task.
#[derive(Clone)]
pub struct WorkerState {
    /// The operations and what they work with.
    pub app: Arc<App>,
    /// The configuration the server runs with.
    pub config: Arc<Config>,
    /// Where each loop reports that it went round.
    pub heartbeats: SharedHeartbeats,
    /// The messenger connectors.
    pub connectors: Arc<crate::connectors::Connectors>,
}
