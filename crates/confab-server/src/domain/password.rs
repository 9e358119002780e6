//! Operator passwords: what a password may be, and its argon2id hash (a PHC string, with
//! its own random salt and parameters, so a later change of parameters still verifies old
//! hashes).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// The longest password accepted, in bytes: long passphrases fit, while a megabyte pasted
/// by mistake (or sent to make hashing slow) is refused before it is hashed.
pub const MAX_LEN: usize = 1024;

/// Why a password is refused before it is hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Nothing, or only spaces.
    #[error("the password is empty")]
    Empty,
    /// Longer than [`MAX_LEN`].
    #[error("the password is longer than {MAX_LEN} bytes")]
    TooLong,
}

/// Checks a new password: not blank, at most [`MAX_LEN`] bytes.
///
/// # Errors
/// When it is blank or too long.
pub fn check(password: &str) -> Result<(), Refused> {
    if password.trim().is_empty() {
        return Err(Refused::Empty);
    }
    if password.len() > MAX_LEN {
        return Err(Refused::TooLong);
    }
    Ok(())
}

/// The argon2id hash of `password` with a fresh 128-bit salt, as a PHC string.
///
/// # Errors
/// When argon2 refuses its input (not for passwords that passed [`check`]).
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` hashes to `phc` (false too when `phc` is not a hash argon2 reads).
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_LEN {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse").expect("hash");
        let b = hash("correct horse").expect("hash");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse", &a));
        assert!(!verify("correct horsE", &a));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn blank_and_huge_passwords_are_refused() {
        assert_eq!(check(""), Err(Refused::Empty));
        assert_eq!(check("  \t"), Err(Refused::Empty));
        assert_eq!(check(&"x".repeat(MAX_LEN + 1)), Err(Refused::TooLong));
        assert_eq!(check(&"x".repeat(MAX_LEN)), Ok(()));
    }
}
