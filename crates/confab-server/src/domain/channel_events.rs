//! The channel system events of the Pact docs and the connection state each leaves behind.

use confab_wire::ChannelState;

/// A channel system event the sandbox can simulate: (parameter value, the `data.message`
/// text of the Pact webhook, its severity, the channel state afterwards).
pub const EVENTS: &[(&str, &str, &str, ChannelState)] = &[
    (
        "authorized",
        "authorized",
        "information",
        ChannelState::Enabled,
    ),
    (
        "phone_offline",
        "phone offline",
        "critical",
        ChannelState::PhoneOffline,
    ),
    (
        "phone_online",
        "phone online",
        "critical",
        ChannelState::Enabled,
    ),
    (
        "unavailable",
        "unavailable",
        "critical",
        ChannelState::Unavailable,
    ),
    ("disabled", "disabled", "critical", ChannelState::Disabled),
    (
        "trying_resume_work",
        "trying_resume_work",
        "critical",
        ChannelState::Unavailable,
    ),
    (
        "synchronized",
        "synchronized",
        "critical",
        ChannelState::Enabled,
    ),
];

/// A known system event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemEvent {
    /// The name clients send.
    pub name: &'static str,
    /// The webhook's `data.message`.
    pub message: &'static str,
    /// The webhook's `severity`.
    pub severity: &'static str,
    /// The channel's state after it.
    pub state: ChannelState,
}

/// Looks an event up by the name clients send (the webhook text with `_` for spaces is
/// accepted too).
pub fn parse(name: &str) -> Option<SystemEvent> {
    let wanted = name.trim().replace(' ', "_").to_ascii_lowercase();
    EVENTS
        .iter()
        .find(|(n, ..)| *n == wanted)
        .map(|&(name, message, severity, state)| SystemEvent {
            name,
            message,
            severity,
            state,
        })
}

/// The names, for error messages.
pub fn names() -> String {
    EVENTS
        .iter()
        .map(|(n, ..)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_states() {
        assert_eq!(
            parse("phone offline").map(|e| e.state),
            Some(ChannelState::PhoneOffline)
        );
        assert_eq!(
            parse("PHONE_ONLINE").map(|e| e.state),
            Some(ChannelState::Enabled)
        );
        assert_eq!(parse("disabled").map(|e| e.message), Some("disabled"));
        assert_eq!(
            parse("trying_resume_work").map(|e| e.state),
            Some(ChannelState::Unavailable)
        );
        assert!(parse("exploded").is_none());
        assert!(names().contains("synchronized"));
    }
}
