//! The conversation list's filters and order (`assignee_id`, `channel_id`,
//! `awaiting_reply`, `q`, `order`), read from the request.
//!
//! A malformed value is a 400 naming its parameter. A well-formed id that matches nothing
//! (another company's channel, a user who is not a member) is only a filter that admits
//! no conversation: an empty list, the same answer for every such id, so a list tells
//! nothing about other tenants and costs no extra lookup.

use confab_store::{AssigneeFilter, ConversationFilter, ConversationOrder, SearchTerms};
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult};
use super::params::Params;

/// The longest `q` taken; a search is a few words.
pub const MAX_QUERY_CHARS: usize = 255;

/// A conversation list's filters and order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListShape {
    /// Which conversations.
    pub filter: ConversationFilter,
    /// In what order.
    pub order: ConversationOrder,
}

impl ListShape {
    /// Reads the filters and the order.
    pub fn from_params(params: &Params) -> ApiResult<ListShape> {
        let filter = ConversationFilter {
            assignee: assignee_param(params)?,
            channel_id: channel_param(params)?,
            awaiting_reply: params.optional_bool("awaiting_reply")?.unwrap_or(false),
            search: search_param(params)?,
        };
        Ok(ListShape {
            filter,
            order: order_param(params)?,
        })
    }

    /// Whether this is the plain Pact list: every conversation, by id.
    pub fn is_plain(&self) -> bool {
        self.filter.is_empty() && self.order == ConversationOrder::Id
    }

    /// The page-token scope of this list in `company_id`: the plain list keeps the Pact
    /// scope (so its tokens stay valid); any other names its order and a digest of its
    /// filters, so a token of one list is "not valid" for another and gives its first page
    /// (the Pact rule) instead of paging it from a foreign key.
    pub fn token_scope(&self, company_id: i64) -> String {
        let plain = format!("conversations:{company_id}");
        if self.is_plain() {
            return plain;
        }
        let digest = Sha256::digest(format!("{:?}", self.filter).as_bytes());
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let order = match self.order {
            ConversationOrder::Id => "id",
            ConversationOrder::LastMessage => "last_message",
        };
        format!("{plain}:{order}:{short}")
    }
}

/// `assignee_id`: a user id, or `none` for unassigned conversations.
fn assignee_param(params: &Params) -> ApiResult<Option<AssigneeFilter>> {
    let Some(raw) = params.optional_str_max("assignee_id", 32)? else {
        return Ok(None);
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.eq_ignore_ascii_case("none") {
        return Ok(Some(AssigneeFilter::Nobody));
    }
    raw.parse::<i64>()
        .map(|id| Some(AssigneeFilter::User(id)))
        .map_err(|_| ApiError::invalid("assignee_id", "must be a user id or none"))
}

/// `channel_id`: a channel id.
fn channel_param(params: &Params) -> ApiResult<Option<i64>> {
    params.optional_i64("channel_id")
}

/// `q`: the search. Blank is no search; text without a letter or digit cannot match
/// anything, which is more likely a mistake than a wish for an empty list.
fn search_param(params: &Params) -> ApiResult<Option<SearchTerms>> {
    let Some(q) = params.optional_str_max("q", MAX_QUERY_CHARS)? else {
        return Ok(None);
    };
    if q.trim().is_empty() {
        return Ok(None);
    }
    SearchTerms::parse(&q)
        .map(Some)
        .ok_or_else(|| ApiError::invalid("q", "must contain a letter or a digit"))
}

/// `order`: `id` (the default) or `last_message`.
fn order_param(params: &Params) -> ApiResult<ConversationOrder> {
    match params
        .optional_str_max("order", 32)?
        .map(|o| o.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("id") => Ok(ConversationOrder::Id),
        Some("last_message") => Ok(ConversationOrder::LastMessage),
        Some(_) => Err(ApiError::invalid("order", "must be id or last_message")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn shape(value: Value) -> ApiResult<ListShape> {
        let map: Map<String, Value> = value.as_object().cloned().unwrap_or_default();
        ListShape::from_params(&Params::from_map(map))
    }

    fn refused(value: Value) -> Option<String> {
        match shape(value) {
            Err(ApiError::InvalidParam { name, .. }) => Some(name),
            _ => None,
        }
    }

    #[test]
    fn reads_every_filter() {
        let s = shape(json!({
            "assignee_id": "7", "channel_id": "3", "awaiting_reply": "true",
            "q": "Привет", "order": "last_message"
        }))
        .expect("shape");
        assert_eq!(s.filter.assignee, Some(AssigneeFilter::User(7)));
        assert_eq!(s.filter.channel_id, Some(3));
        assert!(s.filter.awaiting_reply);
        assert_eq!(
            s.filter.search.as_ref().map(|t| t.words().to_vec()),
            Some(vec!["привет".to_owned()])
        );
        assert_eq!(s.order, ConversationOrder::LastMessage);
        let none = shape(json!({"assignee_id": "None", "q": "  "})).expect("shape");
        assert_eq!(none.filter.assignee, Some(AssigneeFilter::Nobody));
        assert_eq!(none.filter.search, None);
        assert!(shape(json!({"assignee_id": 5})).is_ok());
        assert!(shape(json!({})).expect("shape").is_plain());
        assert!(
            shape(json!({"awaiting_reply": "false", "order": "id"}))
                .expect("shape")
                .is_plain()
        );
    }

    #[test]
    fn malformed_values_name_their_parameter() {
        for (value, name) in [
            (json!({"assignee_id": "abc"}), "assignee_id"),
            (json!({"assignee_id": "1.5"}), "assignee_id"),
            (json!({"channel_id": "x"}), "channel_id"),
            (json!({"awaiting_reply": "maybe"}), "awaiting_reply"),
            (json!({"order": "foo"}), "order"),
            (json!({"q": "\""}), "q"),
            (json!({"q": "x".repeat(MAX_QUERY_CHARS + 1)}), "q"),
        ] {
            assert_eq!(refused(value.clone()), Some(name.to_owned()), "{value}");
        }
    }

    #[test]
    fn each_list_has_its_own_token_scope() {
        let scope = |v: Value| shape(v).expect("shape").token_scope(4);
        assert_eq!(scope(json!({})), "conversations:4");
        let a = scope(json!({"q": "ivan"}));
        let b = scope(json!({"q": "petr"}));
        let c = scope(json!({"q": "ivan", "order": "last_message"}));
        assert!(a.starts_with("conversations:4:id:"));
        assert!(c.starts_with("conversations:4:last_message:"));
        assert_ne!(a, b);
        assert_eq!(a, scope(json!({"q": "IVAN"})));
        assert_ne!(scope(json!({"order": "last_message"})), "conversations:4");
    }
}
