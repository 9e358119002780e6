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

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// Characters that never belong in a phone number or a username.
    fn stray() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::sample::select(vec![' ', '-', '(', ')', '.', '\t', '\n', '\0', 'é', 'я']),
            prop::sample::select(vec!['٣', '０', '۵', '߁', '१', '𝟘', '²', '½']),
            any::<char>().prop_filter("not ASCII alphanumeric, _, @ or +", |c| {
                !c.is_ascii_alphanumeric() && !matches!(c, '_' | '@' | '+')
            }),
        ]
    }

    /// `text` with `c` inserted before its `at`-th character (wrapped to the length).
    fn insert(text: &str, at: usize, c: char) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        chars.insert(at % (chars.len() + 1), c);
        chars.into_iter().collect()
    }

    /// The specification, written over characters: `+?[0-9]{10,15}`.
    fn phone_spec(text: &str) -> Option<String> {
        let digits = text.strip_prefix('+').unwrap_or(text);
        let n = digits.chars().count();
        (digits.chars().all(|c| c.is_ascii_digit()) && (10..=15).contains(&n))
            .then(|| digits.to_owned())
    }

    /// The specification, written over characters: `@?[A-Za-z0-9_]{5,32}`.
    fn username_spec(text: &str) -> Option<String> {
        let name = text.strip_prefix('@').unwrap_or(text);
        let n = name.chars().count();
        (name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && (5..=32).contains(&n))
            .then(|| name.to_owned())
    }

    proptest! {
        #[test]
        fn phones_in_international_form_are_accepted(plus in any::<bool>(), digits in "[0-9]{10,15}") {
            let text = format!("{}{digits}", if plus { "+" } else { "" });
            prop_assert_eq!(normalize_phone(&text), Ok(digits));
        }

        #[test]
        fn phones_of_wrong_length_are_refused(text in "\\+?[0-9]{0,9}|\\+?[0-9]{16,30}") {
            prop_assert!(normalize_phone(&text).is_err());
        }

        #[test]
        fn phones_with_stray_characters_are_refused(
            text in "\\+?[0-9]{10,15}",
            at in any::<usize>(),
            c in stray(),
        ) {
            let bad = insert(&text, at, c);
            prop_assert!(normalize_phone(&bad).is_err(), "{bad:?}");
            // A `+` anywhere but first, or a second one.
            let plus = insert(&text, at % text.len() + 1, '+');
            prop_assert!(normalize_phone(&plus).is_err(), "{plus:?}");
        }

        #[test]
        fn phones_follow_the_spec(text in prop_oneof![any::<String>(), "[+0-9 ٣-]{0,18}"]) {
            prop_assert_eq!(normalize_phone(&text).ok(), phone_spec(&text), "{:?}", text);
        }

        #[test]
        fn usernames_are_accepted(at in any::<bool>(), name in "[A-Za-z0-9_]{5,32}") {
            let text = format!("{}{name}", if at { "@" } else { "" });
            prop_assert_eq!(normalize_username(&text), Ok(name));
        }

        #[test]
        fn usernames_of_wrong_length_are_refused(text in "@?[A-Za-z0-9_]{0,4}|@?[A-Za-z0-9_]{33,40}") {
            prop_assert!(normalize_username(&text).is_err());
        }

        #[test]
        fn usernames_with_stray_characters_are_refused(
            at in any::<bool>(),
            name in "[A-Za-z0-9_]{5,32}",
            pos in any::<usize>(),
            c in prop_oneof![stray(), Just('@'), Just('+')],
        ) {
            // A stray character inside the name; `@` only where it cannot be the one prefix.
            let inside = insert(&name, pos % name.len() + 1, c);
            let text = format!("{}{inside}", if at { "@" } else { "" });
            prop_assert!(normalize_username(&text).is_err(), "{text:?}");
            let two_at = format!("@@{name}");
            prop_assert!(normalize_username(&two_at).is_err());
        }

        #[test]
        fn usernames_follow_the_spec(text in prop_oneof![any::<String>(), "[@A-Za-z0-9_ я]{0,36}"]) {
            prop_assert_eq!(normalize_username(&text).ok(), username_spec(&text), "{:?}", text);
        }
    }
}
