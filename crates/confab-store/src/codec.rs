//! How the typed values of the domain are spelled in a database column, for both
//! backends: names for providers and states, numbers for acks (the wire's spellings, so
//! a row reads the same in a database console as in an API answer).

use crate::{Ack, ChannelState, JobState, Provider, Role, SignInStep};

/// A stored value no version of confab wrote (a hand-edited row, a newer schema).
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} {value:?} in the database")]
pub struct UnknownValue {
    /// What the column holds (`provider`).
    pub what: &'static str,
    /// The value found.
    pub value: String,
}

/// Reads a value of a column of type `T` from its stored spelling.
pub trait Column: Sized {
    /// What the column holds, for errors.
    const WHAT: &'static str;

    /// The value of a stored name.
    fn from_name(name: &str) -> Option<Self>;

    /// Parses a stored name, or says what was found.
    fn decode(name: &str) -> Result<Self, UnknownValue> {
        Self::from_name(name).ok_or_else(|| UnknownValue {
            what: Self::WHAT,
            value: name.to_owned(),
        })
    }
}

impl Column for Provider {
    const WHAT: &'static str = "provider";

    fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

impl Column for ChannelState {
    const WHAT: &'static str = "channel state";

    fn from_name(name: &str) -> Option<Self> {
        ChannelState::parse(name)
    }
}

impl Column for SignInStep {
    const WHAT: &'static str = "sign-in step";

    fn from_name(name: &str) -> Option<Self> {
        SignInStep::parse(name)
    }
}

impl Column for Role {
    const WHAT: &'static str = "role";

    fn from_name(name: &str) -> Option<Self> {
        Role::parse(name)
    }
}

impl Column for JobState {
    const WHAT: &'static str = "job state";

    fn from_name(name: &str) -> Option<Self> {
        JobState::parse(name)
    }
}

/// Parses a stored ack number.
pub fn decode_ack(n: i32) -> Result<Ack, UnknownValue> {
    Ack::from_i32(n).ok_or_else(|| UnknownValue {
        what: "ack",
        value: n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_decode_and_unknown_ones_are_named() {
        assert_eq!(Provider::decode("telegram").ok(), Some(Provider::Telegram));
        assert_eq!(
            ChannelState::decode("phone_offline").ok(),
            Some(ChannelState::PhoneOffline)
        );
        assert_eq!(
            JobState::decode("delivered").ok(),
            Some(JobState::Delivered)
        );
        assert_eq!(decode_ack(3).ok(), Some(Ack::Read));
        let e = JobState::decode("done").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("unknown job state \"done\" in the database")
        );
        assert!(decode_ack(9).is_err());
    }
}
