//! Opaque page tokens for keyset pagination.
//!
//! A token names the list it belongs to (its scope, such as `conversations:5`), the
//! direction and the last id seen. A token that does not decode, or belongs to another list
//! or direction, is "not valid" and yields the first page, as the Pact docs say.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The list's scope.
    pub scope: String,
    /// Whether the list runs newest first.
    pub descending: bool,
    /// The last id of the previous page.
    pub last_id: i64,
}

impl Cursor {
    /// The token for this cursor: short, URL-safe.
    pub fn encode(&self) -> String {
        let dir = if self.descending { 'd' } else { 'a' };
        URL_SAFE_NO_PAD.encode(format!("{}|{dir}|{}", self.scope, self.last_id))
    }

    /// The last id to continue after, if `token` is a valid token of this list and direction.
    pub fn decode(token: &str, scope: &str, descending: bool) -> Option<i64> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.rsplitn(3, '|');
        let last_id: i64 = parts.next()?.parse().ok()?;
        let dir = parts.next()?;
        let token_scope = parts.next()?;
        let dir_matches = dir == if descending { "d" } else { "a" };
        (token_scope == scope && dir_matches).then_some(last_id)
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
            last_id: 42,
        };
        let t = c.encode();
        assert!(t.len() < 40);
        assert_eq!(Cursor::decode(&t, "conversations:5", true), Some(42));
        assert_eq!(Cursor::decode(&t, "conversations:6", true), None);
        assert_eq!(Cursor::decode(&t, "conversations:5", false), None);
        assert_eq!(Cursor::decode("garbage!!", "conversations:5", true), None);
        assert_eq!(Cursor::decode("", "conversations:5", true), None);
        let forged = URL_SAFE_NO_PAD.encode("conversations:5|d|x");
        assert_eq!(Cursor::decode(&forged, "conversations:5", true), None);
    }
}
