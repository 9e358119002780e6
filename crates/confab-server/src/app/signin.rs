//! Signing a channel's messenger account in: a code is sent (the sandbox's simulated
//! messenger "sends" it by keeping it, sealed), confirmed, then, when the account has
//! one, its two-factor password; the channel is enabled and `authorized` announced.

use confab_store::{Channel, ChannelState, SignIn, SignInStep};
use subtle::ConstantTimeEq;

use super::App;
use super::error::{AppError, AppResult};
use crate::domain::signin::{self, Blocked};

/// How a confirmation went, when it was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The account is signed in: the channel is enabled.
    Enabled,
    /// The code was right; the account's second factor is next.
    SecondStep,
    /// The code or password was wrong; this many guesses are left.
    Wrong {
        /// Guesses left before a new code is needed.
        left: u32,
    },
    /// It could not be judged (no code, expired, too many guesses, no password awaited).
    Blocked(Blocked),
}

/// A code the sandbox's messenger sent, as the sandbox shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutstandingCode {
    /// The code.
    pub code: String,
    /// When it expires, unix ms.
    pub expires_at_ms: i64,
    /// Wrong guesses so far.
    pub attempts: u32,
}

impl App {
    /// Marks a new channel as waiting for its account's sign-in.
    pub async fn await_signin(&self, channel: &Channel) -> AppResult<()> {
        self.save_signin(
            channel,
            SignIn::default(),
            Some(ChannelState::PendingAuthorization),
        )
        .await
    }

    /// Sends a new code to the channel's account (replacing any earlier one). `step` is
    /// what the code confirms: the sign-in itself ([`SignInStep::Code`]) or, once that
    /// is done, the second factor ([`SignInStep::Password`]). Answers the session id.
    pub async fn send_signin_code(&self, channel: &Channel, step: SignInStep) -> AppResult<i64> {
        let current = self.current_signin(channel).await?;
        if step == SignInStep::Password && current.step != SignInStep::Password {
            return Err(AppError::invalid(
                "challenge_type",
                "no second factor is awaited: request and confirm the account's code first",
            ));
        }
        let code = signin::code_from(rand::random::<u64>());
        let next = SignIn {
            step,
            code: Some(self.secrets.seal(&code)),
            code_expires_at_ms: Some(self.now_ms() + i64::from(signin::CODE_TTL_SECS) * 1000),
            attempts: 0,
            password: current.password,
        };
        // A channel already enabled stays so while it signs in again.
        let state =
            (channel.state != ChannelState::Enabled).then_some(ChannelState::PendingAuthorization);
        self.save_signin(channel, next, state).await?;
        Ok(rand::random::<u32>().into())
    }

    /// Confirms the outstanding code with `given`; `step` is what the caller confirms
    /// (the sign-in's code, or the second factor's).
    pub async fn confirm_signin_code(
        &self,
        channel: &Channel,
        given: &str,
        step: SignInStep,
    ) -> AppResult<Confirmation> {
        let current = self.current_signin(channel).await?;
        if current.step != step {
            return Ok(Confirmation::Blocked(Blocked::NoCode));
        }
        if let Err(blocked) = signin::code_check(&current, self.now_ms()) {
            return Ok(Confirmation::Blocked(blocked));
        }
        let spent = match self.spend_attempt(channel).await? {
            Ok(spent) => spent,
            Err(blocked) => return Ok(Confirmation::Blocked(blocked)),
        };
        let expected = self.open_sealed(current.code.as_deref())?;
        if !same(&expected, given) {
            return Ok(wrong(spent));
        }
        if current.step == SignInStep::Code && current.password.is_some() {
            let next = SignIn {
                step: SignInStep::Password,
                code: None,
                code_expires_at_ms: None,
                attempts: 0,
                password: current.password,
            };
            self.save_signin(channel, next, None).await?;
            return Ok(Confirmation::SecondStep);
        }
        self.enable_signed_in(channel).await
    }

    /// Confirms the account's two-factor password with `given`.
    pub async fn confirm_signin_password(
        &self,
        channel: &Channel,
        given: &str,
    ) -> AppResult<Confirmation> {
        let current = self.current_signin(channel).await?;
        if let Err(blocked) = signin::password_check(&current) {
            return Ok(Confirmation::Blocked(blocked));
        }
        let spent = match self.spend_attempt(channel).await? {
            Ok(spent) => spent,
            Err(blocked) => return Ok(Confirmation::Blocked(blocked)),
        };
        let expected = self.open_sealed(current.password.as_deref())?;
        if !same(&expected, given) {
            return Ok(wrong(spent));
        }
        self.enable_signed_in(channel).await
    }

    /// The code outstanding for the channel (the sandbox shows it), if any.
    pub async fn outstanding_code(&self, channel: &Channel) -> AppResult<Option<OutstandingCode>> {
        let current = self.current_signin(channel).await?;
        let (Some(sealed), Some(expires_at_ms)) = (&current.code, current.code_expires_at_ms)
        else {
            return Ok(None);
        };
        Ok(Some(OutstandingCode {
            code: self.open_sealed(Some(sealed))?,
            expires_at_ms,
            attempts: current.attempts,
        }))
    }

    /// Gives the channel's (sandbox) account a two-factor password, or removes it (`None`).
    pub async fn set_signin_password(
        &self,
        channel: &Channel,
        password: Option<&str>,
    ) -> AppResult<()> {
        let mut next = self.current_signin(channel).await?;
        next.password = password.map(|p| self.secrets.seal(p));
        if next.password.is_none() && next.step == SignInStep::Password {
            // Nothing is left to confirm: the account needs a new code.
            next.step = SignInStep::Idle;
        }
        self.save_signin(channel, next, None).await
    }

    async fn current_signin(&self, channel: &Channel) -> AppResult<SignIn> {
        self.store
            .signin(channel.company_id, channel.id)
            .await?
            .ok_or(AppError::NotFound("channel"))
    }

    async fn save_signin(
        &self,
        channel: &Channel,
        signin: SignIn,
        state: Option<ChannelState>,
    ) -> AppResult<()> {
        if !self
            .store
            .save_signin(channel.company_id, channel.id, signin, state, self.now_ms())
            .await?
        {
            return Err(AppError::NotFound("channel"));
        }
        Ok(())
    }

    /// Spends one attempt atomically before the guess is compared, so concurrent guesses
    /// cannot all be judged against the same count; answers the attempts spent so far, or
    /// `Exhausted` when this one is beyond the limit.
    async fn spend_attempt(&self, channel: &Channel) -> AppResult<Result<u32, Blocked>> {
        let spent = self
            .store
            .count_signin_attempt(channel.company_id, channel.id, self.now_ms())
            .await?
            .ok_or(AppError::NotFound("channel"))?;
        Ok(if spent > signin::MAX_ATTEMPTS {
            Err(Blocked::Exhausted)
        } else {
            Ok(spent)
        })
    }

    async fn enable_signed_in(&self, channel: &Channel) -> AppResult<Confirmation> {
        if !self
            .store
            .complete_signin(channel.company_id, channel.id, self.now_ms())
            .await?
        {
            return Err(AppError::NotFound("channel"));
        }
        self.webhook_wakeup.wake();
        Ok(Confirmation::Enabled)
    }

    fn open_sealed(&self, sealed: Option<&str>) -> AppResult<String> {
        let sealed = sealed.ok_or_else(|| AppError::Internal("no sealed value".to_owned()))?;
        self.secrets.open(sealed).map_err(|_| {
            AppError::Internal("a sign-in secret cannot be opened with this key".to_owned())
        })
    }
}

/// Compares in constant time, so the answer's timing tells nothing of the expected value.
fn same(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// A wrong guess, the `spent`-th: how many are left, or the code is spent.
fn wrong(spent: u32) -> Confirmation {
    match signin::attempts_left(spent) {
        0 => Confirmation::Blocked(Blocked::Exhausted),
        left => Confirmation::Wrong { left },
    }
}
