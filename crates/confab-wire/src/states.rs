//! The states of channels, delivery jobs and messages, named as on the wire. The store maps
//! them to its columns with the same names (and numbers, for acks), so one enum serves the
//! database, the server and the client.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A channel's connection state, as the last system event left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelState {
    /// Connected: deliveries go out.
    #[default]
    Enabled,
    /// The phone running the channel is offline: deliveries fail.
    PhoneOffline,
    /// The messenger cannot be reached: deliveries fail.
    Unavailable,
    /// The channel was disabled (a revoked token, a ban): deliveries fail.
    Disabled,
    /// Created, waiting for its account's sign-in (a code to confirm, a QR code to scan):
    /// deliveries fail until the messenger authorises it.
    PendingAuthorization,
}

impl ChannelState {
    /// Every state.
    pub const ALL: [ChannelState; 5] = [
        ChannelState::Enabled,
        ChannelState::PhoneOffline,
        ChannelState::Unavailable,
        ChannelState::Disabled,
        ChannelState::PendingAuthorization,
    ];

    /// The wire and database name (`phone_offline`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelState::Enabled => "enabled",
            ChannelState::PhoneOffline => "phone_offline",
            ChannelState::Unavailable => "unavailable",
            ChannelState::Disabled => "disabled",
            ChannelState::PendingAuthorization => "pending_authorization",
        }
    }

    /// The state of a stored name, `None` for a name no version of confab wrote.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether messages can be delivered through a channel in this state.
    pub fn delivers(self) -> bool {
        self == ChannelState::Enabled
    }
}

impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a delivery job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for, or in, delivery.
    TryingDeliver,
    /// The messenger accepted the message.
    Delivered,
    /// Delivery failed for good; the job's reason says why.
    NotDelivered,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 3] = [
        JobState::TryingDeliver,
        JobState::Delivered,
        JobState::NotDelivered,
    ];

    /// The wire and database name (`trying_deliver`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::TryingDeliver => "trying_deliver",
            JobState::Delivered => "delivered",
            JobState::NotDelivered => "not_delivered",
        }
    }

    /// The state of a stored name, `None` for a name no version of confab wrote.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the job has reached its final state.
    pub fn is_final(self) -> bool {
        self != JobState::TryingDeliver
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a message has got: Pact's `ack`, a number on the wire and in the database.
/// Acks only move forward; incoming messages are [`Ack::Delivered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ack {
    /// Stored, not yet sent; it may never be (a failed delivery stays here).
    Preparing,
    /// Being handed to the messenger (documented by Pact; confab does not stop here).
    BeingDelivered,
    /// The messenger accepted it.
    Sent,
    /// It reached the recipient's device.
    Delivered,
    /// The recipient read it.
    Read,
}

impl Ack {
    /// Every ack, in the order messages move through them.
    pub const ALL: [Ack; 5] = [
        Ack::Preparing,
        Ack::BeingDelivered,
        Ack::Sent,
        Ack::Delivered,
        Ack::Read,
    ];

    /// The wire and database number (-1 to 3).
    pub fn as_i32(self) -> i32 {
        match self {
            Ack::Preparing => -1,
            Ack::BeingDelivered => 0,
            Ack::Sent => 1,
            Ack::Delivered => 2,
            Ack::Read => 3,
        }
    }

    /// The ack of a stored number, `None` outside -1..=3.
    pub fn from_i32(n: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_i32() == n)
    }
}

impl Serialize for Ack {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.as_i32())
    }
}

impl<'de> Deserialize<'de> for Ack {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i32::deserialize(d)?;
        Ack::from_i32(n).ok_or_else(|| serde::de::Error::custom(format!("unknown ack {n}")))
    }
}

impl fmt::Display for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_i32())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for s in ChannelState::ALL {
            assert_eq!(ChannelState::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        for a in Ack::ALL {
            assert_eq!(Ack::from_i32(a.as_i32()), Some(a));
            assert_eq!(
                serde_json::to_value(a).ok(),
                Some(serde_json::json!(a.as_i32()))
            );
            assert_eq!(
                serde_json::from_value::<Ack>(serde_json::json!(a.as_i32())).ok(),
                Some(a)
            );
        }
        assert_eq!(ChannelState::parse("exploded"), None);
        assert_eq!(JobState::parse("done"), None);
        assert_eq!(Ack::from_i32(4), None);
        assert!(serde_json::from_value::<Ack>(serde_json::json!(7)).is_err());
    }

    #[test]
    fn acks_order_as_messages_move() {
        assert!(Ack::Preparing < Ack::Sent);
        assert!(Ack::Sent < Ack::Delivered);
        assert!(Ack::Delivered < Ack::Read);
        assert!(ChannelState::Enabled.delivers());
        assert!(!ChannelState::PhoneOffline.delivers());
        assert!(JobState::Delivered.is_final() && !JobState::TryingDeliver.is_final());
    }
}

/// What a member of a company may do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the company (its settings, webhooks, channels and members) and works its
    /// conversations.
    #[default]
    Admin,
    /// Reads and works the company's conversations.
    Agent,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::Admin, Role::Agent];

    /// The wire and database name (`admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    /// The role of a name, `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
