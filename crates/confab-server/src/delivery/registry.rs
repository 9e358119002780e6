//! Which connector delivers a channel's messages, chosen by the channel.

use std::sync::Arc;

use confab_store::Channel;

use super::connector::Connector;
use super::sandbox::SandboxConnector;
use crate::worker::WorkerState;

/// The connector of a channel. Only the sandbox exists so far; channels are created with
/// it only in `--sandbox` mode.
pub fn for_channel(state: &WorkerState, _channel: &Channel) -> Arc<dyn Connector> {
    Arc::new(SandboxConnector {
        latency: state.config.sandbox_latency,
    })
}
