//! Which of a company's conversations a list shows, in what order, and the search words
//! it matches: validated here once, so both store backends can trust them.

/// Whose conversations a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Those assigned to this user.
    User(i64),
    /// Those assigned to nobody.
    Nobody,
}

/// The filters of a conversation list; all that are set must hold (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    /// Only conversations with this assignee (or none).
    pub assignee: Option<AssigneeFilter>,
    /// Only conversations on this channel.
    pub channel_id: Option<i64>,
    /// Only conversations whose last message is incoming (the customer waits for a reply).
    pub awaiting_reply: bool,
    /// Only conversations whose contact or messages match these words.
    pub search: Option<SearchTerms>,
}

impl ConversationFilter {
    /// Whether the filter admits every conversation.
    pub fn is_empty(&self) -> bool {
        *self == ConversationFilter::default()
    }
}

/// The sort key of a conversation list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConversationOrder {
    /// By id (the Pact default).
    #[default]
    Id,
    /// By the time of the last activity (the last message, or the creation), then id.
    LastMessage,
}

/// Which slice of a filtered conversation list to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationQuery {
    /// The filters.
    pub filter: ConversationFilter,
    /// The sort key.
    pub order: ConversationOrder,
    /// Start strictly after this key in the list's direction: `(id, id)` for
    /// [`ConversationOrder::Id`], `(activity_at_ms, id)` for
    /// [`ConversationOrder::LastMessage`]; `None` for the first page.
    pub after: Option<(i64, i64)>,
    /// Descending order when true.
    pub descending: bool,
    /// How many rows at most.
    pub limit: u32,
}

/// How many of a company's conversations each inbox tab holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversationCounts {
    /// Assigned to the asking user.
    pub mine: i64,
    /// Assigned to nobody.
    pub unassigned: i64,
    /// All of them.
    pub all: i64,
    /// Those whose last message is incoming.
    pub awaiting_reply: i64,
}

/// The most words a search takes; more would only make the index work harder.
pub const MAX_SEARCH_WORDS: usize = 8;

/// The fewest digits a phone-number search needs, so `1` does not match every contact.
const MIN_PHONE_DIGITS: usize = 3;

/// A search, cut into words the full-text engines of both backends index the same way.
///
/// Every word is non-empty, lowercase and made only of letters and digits, so a backend
/// may paste it into its query syntax (FTS5 `"word"*`, tsquery `word:*`) without any
/// escaping: nothing the user types can become an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    words: Vec<String>,
    phone_digits: Option<String>,
}

impl SearchTerms {
    /// The words of `q` (letters and digits; anything else separates them), or `None`
    /// when it has none. A `q` made only of digits and phone punctuation (`+7 (926) 000`)
    /// is also kept as its digits, to match phone numbers anywhere inside.
    pub fn parse(q: &str) -> Option<SearchTerms> {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            // `to_lowercase` may turn a letter into a letter and a combining mark (İ):
            // keep only what the engines index as word characters.
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .take(MAX_SEARCH_WORDS)
            .collect();
        if words.is_empty() {
            return None;
        }
        let phone_like = q
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let phone_digits = (phone_like && digits.len() >= MIN_PHONE_DIGITS).then_some(digits);
        Some(SearchTerms {
            words,
            phone_digits,
        })
    }

    /// The words, lowercase letters and digits only.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The digits of a phone-number search (ASCII digits only), to match inside the
    /// contact's id.
    pub fn phone_digits(&self) -> Option<&str> {
        self.phone_digits.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(q: &str) -> Vec<String> {
        SearchTerms::parse(q)
            .map(|t| t.words().to_vec())
            .unwrap_or_default()
    }

    #[test]
    fn words_are_lowercase_letters_and_digits() {
        assert_eq!(words("Привет, World!"), ["привет", "world"]);
        assert_eq!(words("\"AND( foo* NEAR"), ["and", "foo", "near"]);
        assert_eq!(words("it's"), ["it", "s"]);
        assert!(SearchTerms::parse("\"").is_none());
        assert!(SearchTerms::parse("  (*) ").is_none());
        assert!(SearchTerms::parse("").is_none());
        assert_eq!(words("a b c d e f g h i j").len(), MAX_SEARCH_WORDS);
    }

    #[test]
    fn phone_searches_keep_their_digits() {
        let t = SearchTerms::parse("+7 (926) 000-00").expect("terms");
        assert_eq!(t.phone_digits(), Some("792600000"));
        assert_eq!(t.words(), ["7", "926", "000", "00"]);
        assert_eq!(
            SearchTerms::parse("0000001").expect("terms").phone_digits(),
            Some("0000001")
        );
        assert_eq!(
            SearchTerms::parse("12").expect("terms").phone_digits(),
            None
        );
        assert_eq!(
            SearchTerms::parse("ivan 926")
                .expect("terms")
                .phone_digits(),
            None
        );
    }

    #[test]
    fn every_word_is_safe_to_paste() {
        for q in [
            "a\"b",
            "x'y",
            "ab:*&|!c",
            "İstanbul",
            "e\u{301}té",
            "日本語 テスト",
        ] {
            for w in words(q) {
                assert!(
                    !w.is_empty() && w.chars().all(char::is_alphanumeric),
                    "{w:?}"
                );
            }
        }
    }
}
