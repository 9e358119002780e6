//! A channel's account sign-in, as the messenger leads it: a code sent to the account
//! (then, when the account has one, its two-factor password), kept durable so a restart
//! or another node continues the same sign-in.

use std::fmt;

/// What the sign-in waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInStep {
    /// Nothing is under way (no code requested, or the account is signed in).
    #[default]
    Idle,
    /// A code was sent and waits to be confirmed.
    Code,
    /// The code was right; the account's two-factor password (or second code) is next.
    Password,
}

impl SignInStep {
    /// Every step.
    pub const ALL: [SignInStep; 3] = [SignInStep::Idle, SignInStep::Code, SignInStep::Password];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInStep::Idle => "idle",
            SignInStep::Code => "code",
            SignInStep::Password => "password",
        }
    }

    /// The step of a stored name, `None` for a name no version of confab wrote.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for SignInStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The sign-in state of one channel. Codes and passwords are stored as the server gives
/// them (sealed: the store never sees them in plain text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignIn {
    /// What is awaited.
    pub step: SignInStep,
    /// The code the messenger sent, sealed; `None` when no code is outstanding.
    pub code: Option<String>,
    /// When the code stops being accepted, unix ms.
    pub code_expires_at_ms: Option<i64>,
    /// Wrong codes or passwords given since the code was sent.
    pub attempts: u32,
    /// The account's two-factor password, sealed; `None` when it has none.
    pub password: Option<String>,
}
