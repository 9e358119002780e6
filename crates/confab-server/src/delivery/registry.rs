//! Which connector delivers a channel's messages, chosen by the channel.

use std::sync::Arc;

use confab_store::Channel;

use super::connector::Connector;
use crate::worker::WorkerState;

/// The connector of a channel, by the channel's `connector`.
pub fn for_channel(state: &WorkerState, channel: &Channel) -> Arc<dyn Connector> {
    state.connectors.for_channel(channel)
}
