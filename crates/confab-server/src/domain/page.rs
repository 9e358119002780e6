//! Opaque page tokens for keyset pagination.
//!
//! A token names the list it belongs to (its scope, such as `conversations:5`), the
//! direction and the sort key of the last item seen (the id, or `created_at` and id for
//! messages). A token that does not decode, or belongs to another list or direction, is
//! "not valid" and yields the first page, as the Pact docs say.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The list's scope.
    pub scope: String,
    /// Whether the list runs newest first.
    pub descending: bool,
    /// The sort key of the last item of the previous page.
    pub key: Vec<i64>,
}

impl Cursor {
    /// The token for this cursor: short, URL-safe.
    pub fn encode(&self) -> String {
        let dir = if self.descending { 'd' } else { 'a' };
        let key: Vec<String> = self.key.iter().map(i64::to_string).collect();
        URL_SAFE_NO_PAD.encode(format!("{}|{dir}|{}", self.scope, key.join(",")))
    }

    /// The key to continue after, if `token` is a valid token of this list and direction
    /// with a key of `len` parts.
    pub fn decode(token: &str, scope: &str, descending: bool, len: usize) -> Option<Vec<i64>> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.rsplitn(3, '|');
        let key = parts
            .next()?
            .split(',')
            .map(|k| k.parse::<i64>().ok())
            .collect::<Option<Vec<i64>>>()?;
        let dir = parts.next()?;
        let token_scope = parts.next()?;
        let dir_matches = dir == if descending { "d" } else { "a" };
        (token_scope == scope && dir_matches && key.len() == len).then_some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_scope_checks() {
        let c = Cursor {
            scope: "conversations:5".into(),
            descending: true,
            key: vec![42],
        };
        let t = c.encode();
        assert!(t.len() < 40);
        assert_eq!(
            Cursor::decode(&t, "conversations:5", true, 1),
            Some(vec![42])
        );
        assert_eq!(Cursor::decode(&t, "conversations:6", true, 1), None);
        assert_eq!(Cursor::decode(&t, "conversations:5", false, 1), None);
        assert_eq!(Cursor::decode(&t, "conversations:5", true, 2), None);
        assert_eq!(
            Cursor::decode("garbage!!", "conversations:5", true, 1),
            None
        );
        assert_eq!(Cursor::decode("", "conversations:5", true, 1), None);
        let forged = URL_SAFE_NO_PAD.encode("conversations:5|d|x");
        assert_eq!(Cursor::decode(&forged, "conversations:5", true, 1), None);
        let two = Cursor {
            scope: "messages:9".into(),
            descending: false,
            key: vec![1_700_000_000_123, 77],
        };
        assert_eq!(
            Cursor::decode(&two.encode(), "messages:9", false, 2),
            Some(vec![1_700_000_000_123, 77])
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn cursor() -> impl Strategy<Value = Cursor> {
        (
            "[^|]{0,24}",
            any::<bool>(),
            prop::collection::vec(any::<i64>(), 1..=3),
        )
            .prop_map(|(scope, descending, key)| Cursor {
                scope,
                descending,
                key,
            })
    }

    /// Token-shaped text: scopes, bars, directions, numbers, commas and stray characters.
    fn token_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-z]{1,8}(:[0-9]{1,3})?",
            Just("|".to_owned()),
            "[ad]",
            "-?[0-9]{1,20}",
            Just(",".to_owned()),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn round_trip(c in cursor()) {
            prop_assert_eq!(
                Cursor::decode(&c.encode(), &c.scope, c.descending, c.key.len()),
                Some(c.key.clone())
            );
        }

        #[test]
        fn decodes_only_for_its_own_list(
            c in cursor(),
            other in "[^|]{0,24}",
            (which, cut) in (0u8..4, 0usize..4),
            descending in any::<bool>(),
            len in 0usize..5,
        ) {
            // The same scope, a longer one, a shorter one (`conversations:5` vs `:50`), any.
            let scope = match which {
                0 => c.scope.clone(),
                1 => format!("{}{other}", c.scope),
                2 => c.scope.chars().take(c.scope.chars().count().saturating_sub(cut)).collect(),
                _ => other,
            };
            let fits = scope == c.scope && descending == c.descending && len == c.key.len();
            let got = Cursor::decode(&c.encode(), &scope, descending, len);
            prop_assert_eq!(got.is_some(), fits, "{:?} as {:?}", c, (scope, descending, len));
        }

        #[test]
        fn arbitrary_tokens_yield_only_exact_keys(
            text in token_text(),
            raw in any::<bool>(),
            scope in prop_oneof!["[a-z]{1,8}(:[0-9]{1,3})?", "[^|]{0,8}"],
            descending in any::<bool>(),
            len in 0usize..5,
        ) {
            let token = if raw { text.clone() } else { URL_SAFE_NO_PAD.encode(&text) };
            if let Some(key) = Cursor::decode(&token, &scope, descending, len) {
                let dir = if descending { 'd' } else { 'a' };
                let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).unwrap_or_default())
                    .unwrap_or_default();
                let prefix = format!("{scope}|{dir}|");
                prop_assert!(decoded.starts_with(&prefix), "{decoded:?} for {prefix:?}");
                prop_assert_eq!(key.len(), len);
            }
        }
    }
}
