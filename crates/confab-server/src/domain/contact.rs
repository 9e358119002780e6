//! Contact identifiers: phone numbers and Telegram usernames.

/// Why a contact identifier was refused.
pub type Refusal = &'static str;

/// Normalises a phone number: an optional leading `+`, then 10 to 15 digits; returns the
/// digits. Anything else (spaces, dashes, letters) is refused, as the docs give the form
/// `79250000001`.
pub fn normalize_phone(text: &str) -> Result<String, Refusal> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be digits only, in international form like 79250000001");
    }
    if !(10..=15).contains(&digits.len()) {
        return Err("must have 10 to 15 digits, in international form like 79250000001");
    }
    Ok(digits.to_owned())
}

/// Normalises a Telegram username: one optional leading `@`, then 5 to 32 of `A-Z a-z 0-9 _`.
pub fn normalize_username(text: &str) -> Result<String, Refusal> {
    let name = text.strip_prefix('@').unwrap_or(text);
    if !(5..=32).contains(&name.len()) {
        return Err("must be 5 to 32 characters long");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err("may contain only letters, digits and underscores");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("79250000001").as_deref(), Ok("79250000001"));
        assert_eq!(
            normalize_phone("+79250000001").as_deref(),
            Ok("79250000001")
        );
        assert_eq!(normalize_phone("8005553535").as_deref(), Ok("8005553535"));
        for bad in [
            "",
            "+",
            "792500000",
            "7925 000 0001",
            "7-925-000-00-01",
            "++79250000001",
            "79250000001x",
            "1234567890123456",
            " 79250000001",
            "٧٩٢٥٠٠٠٠٠٠١",
        ] {
            assert!(normalize_phone(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(normalize_username("@testuser").as_deref(), Ok("testuser"));
        assert_eq!(
            normalize_username("test_user_1").as_deref(),
            Ok("test_user_1")
        );
        for bad in [
            "",
            "@",
            "abcd",
            "@@testuser",
            "test user",
            "тестюзер",
            &"a".repeat(33),
        ] {
            assert!(normalize_username(bad).is_err(), "{bad:?} accepted");
        }
    }
}
