//! The rules of a channel's sign-in with a code: what a code looks like, how long it
//! lasts, how many wrong guesses end it, and what a confirmation attempt meets.

use confab_store::{SignIn, SignInStep};

/// Digits in a code.
pub const CODE_LENGTH: u32 = 6;
/// How long a code is accepted, seconds.
pub const CODE_TTL_SECS: u32 = 300;
/// Wrong codes (or passwords) that end a sign-in: a new code must be requested. Five
/// guesses at a six-digit code leave a guesser one chance in 200 000 per code.
pub const MAX_ATTEMPTS: u32 = 5;

/// A fresh code of [`CODE_LENGTH`] digits drawn from `random` (uniform enough: `u64`
/// modulo 10^6 is biased by under one part in 10^13).
pub fn code_from(random: u64) -> String {
    let modulus = 10_u64.pow(CODE_LENGTH);
    format!("{:0width$}", random % modulus, width = CODE_LENGTH as usize)
}

/// Whether `given` has the shape of a code: exactly [`CODE_LENGTH`] ASCII digits.
pub fn well_formed(given: &str) -> bool {
    given.len() == CODE_LENGTH as usize && given.bytes().all(|b| b.is_ascii_digit())
}

/// Why a confirmation cannot be judged on its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// No code is outstanding: request one first.
    NoCode,
    /// The code's time ran out: request a new one.
    Expired,
    /// Too many wrong guesses: request a new code.
    Exhausted,
    /// A password is confirmed, but none is awaited (the code comes first).
    NoPassword,
}

/// Whether a code can be checked now, before comparing it.
pub fn code_check(signin: &SignIn, now_ms: i64) -> Result<(), Blocked> {
    if signin.step == SignInStep::Idle || signin.code.is_none() {
        return Err(Blocked::NoCode);
    }
    if signin.attempts >= MAX_ATTEMPTS {
        return Err(Blocked::Exhausted);
    }
    match signin.code_expires_at_ms {
        Some(at) if now_ms < at => Ok(()),
        _ => Err(Blocked::Expired),
    }
}

/// Whether a two-factor password can be checked now.
pub fn password_check(signin: &SignIn) -> Result<(), Blocked> {
    if signin.step != SignInStep::Password || signin.password.is_none() {
        return Err(Blocked::NoPassword);
    }
    if signin.attempts >= MAX_ATTEMPTS {
        return Err(Blocked::Exhausted);
    }
    Ok(())
}

/// The wrong guesses left after `attempts`.
pub fn attempts_left(attempts: u32) -> u32 {
    MAX_ATTEMPTS.saturating_sub(attempts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn awaiting(expires: i64, attempts: u32) -> SignIn {
        SignIn {
            step: SignInStep::Code,
            code: Some("sealed".to_owned()),
            code_expires_at_ms: Some(expires),
            attempts,
            password: None,
        }
    }

    #[test]
    fn codes_have_six_digits() {
        assert_eq!(code_from(42), "000042");
        assert_eq!(code_from(u64::MAX).len(), 6);
        assert!(well_formed("012345"));
        assert!(!well_formed("12345"));
        assert!(!well_formed("1234567"));
        assert!(!well_formed("12a456"));
        assert!(!well_formed("١٢٣٤٥٦"));
    }

    #[test]
    fn a_code_is_checked_until_it_expires_or_is_guessed_out() {
        assert_eq!(code_check(&awaiting(1000, 0), 999), Ok(()));
        assert_eq!(code_check(&awaiting(1000, 0), 1000), Err(Blocked::Expired));
        assert_eq!(
            code_check(&awaiting(1000, MAX_ATTEMPTS), 0),
            Err(Blocked::Exhausted)
        );
        assert_eq!(code_check(&SignIn::default(), 0), Err(Blocked::NoCode));
        assert_eq!(attempts_left(2), 3);
        assert_eq!(attempts_left(9), 0);
    }

    #[test]
    fn a_password_is_checked_only_when_awaited() {
        let mut s = awaiting(1000, 0);
        assert_eq!(password_check(&s), Err(Blocked::NoPassword));
        s.step = SignInStep::Password;
        assert_eq!(password_check(&s), Err(Blocked::NoPassword));
        s.password = Some("sealed".to_owned());
        assert_eq!(password_check(&s), Ok(()));
        s.attempts = MAX_ATTEMPTS;
        assert_eq!(password_check(&s), Err(Blocked::Exhausted));
    }
}
