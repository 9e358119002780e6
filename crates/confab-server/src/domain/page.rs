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
