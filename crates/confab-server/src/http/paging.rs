//! The Pact pagination parameters (`from`, `per`, `sort_direction`) and `next_page`.

use confab_store::{
    ConversationFilter, ConversationOrder, ConversationQuery, MessagePageRequest, PageRequest,
};
use confab_wire::limits::MAX_PAGE_TOKEN_CHARS;

use super::error::{ApiError, ApiResult};
use super::params::Params;
use crate::domain::page::Cursor;

/// Page size when `per` is absent.
const DEFAULT_PER: i64 = 50;

/// A validated page request for one list.
#[derive(Debug, Clone)]
pub struct Page {
    scope: String,
    from: Option<String>,
    descending: bool,
    per: u32,
}

impl Page {
    /// Reads `from` (alias `from_`), `per` and `sort_direction` (alias `sort`) for the list
    /// named `scope`.
    pub fn from_params(params: &Params, scope: String) -> ApiResult<Page> {
        Self::from_params_or(params, scope, false)
    }

    /// [`Page::from_params`] for a list that runs newest first (`descending`) when
    /// `sort_direction` is absent.
    pub fn from_params_or(params: &Params, scope: String, descending: bool) -> ApiResult<Page> {
        let (from_name, from) = first_present(params, &["from", "from_"])?;
        if let Some(token) = &from
            && token.chars().count() > MAX_PAGE_TOKEN_CHARS
        {
            return Err(ApiError::invalid_with(
                from_name,
                "too_long",
                format!("must be at most {MAX_PAGE_TOKEN_CHARS} characters"),
            ));
        }
        let per = params.optional_i64("per")?.unwrap_or(DEFAULT_PER);
        let per = u32::try_from(per)
            .ok()
            .filter(|p| (1..=100).contains(p))
            .ok_or_else(|| {
                ApiError::invalid_with("per", "out_of_range", "must be a number between 1 and 100")
            })?;
        let (sort_name, sort) = first_present(params, &["sort_direction", "sort"])?;
        let descending = match sort.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("") => descending,
            Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                return Err(ApiError::invalid(sort_name, "must be asc or desc"));
            }
        };
        Ok(Page {
            scope,
            from,
            descending,
            per,
        })
    }

    /// The key to continue after, if `from` is a valid token of this list.
    fn after(&self, len: usize) -> Option<Vec<i64>> {
        self.from
            .as_deref()
            .and_then(|t| Cursor::decode(t, &self.scope, self.descending, len))
    }

    /// What to ask the store for: one row more than a page, to know whether another follows.
    pub fn request(&self) -> PageRequest {
        PageRequest {
            after: self.after(1).and_then(|k| k.first().copied()),
            descending: self.descending,
            limit: self.per + 1,
        }
    }

    /// The same for a list sorted by (created_at, id).
    pub fn message_request(&self) -> MessagePageRequest {
        MessagePageRequest {
            after: self.after(2).and_then(|k| Some((*k.first()?, *k.get(1)?))),
            descending: self.descending,
            limit: self.per + 1,
        }
    }

    /// What to ask the store for in a filtered conversation list: the key is the id in
    /// the id order, (last activity, id) in the activity order.
    pub fn conversation_query(
        &self,
        filter: ConversationFilter,
        order: ConversationOrder,
    ) -> ConversationQuery {
        let after = match order {
            ConversationOrder::Id => self
                .after(1)
                .and_then(|k| k.first().copied())
                .map(|id| (id, id)),
            ConversationOrder::LastMessage => {
                self.after(2).and_then(|k| Some((*k.first()?, *k.get(1)?)))
            }
        };
        ConversationQuery {
            filter,
            order,
            after,
            descending: self.descending,
            limit: self.per + 1,
        }
    }

    /// Cuts `rows` to the page and makes the `next_page` token (`None` on the last page).
    pub fn finish<T>(&self, rows: Vec<T>, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
        self.finish_keyed(rows, |row| vec![id(row)])
    }

    /// [`Page::finish`] for lists whose sort key has several parts.
    pub fn finish_keyed<T>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> Vec<i64>,
    ) -> (Vec<T>, Option<String>) {
        let per = self.per as usize;
        if rows.len() <= per {
            return (rows, None);
        }
        rows.truncate(per);
        let next = rows.last().map(|last| {
            Cursor {
                scope: self.scope.clone(),
                descending: self.descending,
                key: key(last),
            }
            .encode()
        });
        (rows, next)
    }
}

/// The first of `names` that is present, with the name it was found under.
fn first_present<'a>(params: &Params, names: &[&'a str]) -> ApiResult<(&'a str, Option<String>)> {
    for name in names {
        if params.has(name) {
            return Ok((name, params.optional_str(name)?));
        }
    }
    Ok((names.first().copied().unwrap_or_default(), None))
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::http::params::props::json_value;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    const NAMES: [&str; 5] = ["from", "from_", "per", "sort_direction", "sort"];

    fn page(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> ApiResult<Page> {
        let map: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Page::from_params(&Params::from_map(map), "conversations:1".to_owned())
    }

    fn refused_as(result: ApiResult<Page>) -> Option<(String, &'static str)> {
        match result {
            Err(ApiError::InvalidParam { name, code, .. }) => Some((name, code)),
            _ => None,
        }
    }

    /// Spellings of asc and desc in any case, near misses and anything at all.
    fn sort_word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[aA][sS][cC]|[dD][eE][sS][cC]",
            "[ascdeASCDE ]{0,5}",
            "(asc|desc|ASC|DESC)(ending|[a-z ]{1,3})",
            prop::sample::select(vec![
                "ascending",
                "descending",
                "as",
                "des",
                "up",
                "down",
                "-1"
            ])
            .prop_map(String::from),
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn any_values_give_a_page_or_a_named_refusal(
            values in prop::collection::vec(prop::option::of(json_value()), 5),
        ) {
            let pairs = NAMES.into_iter().zip(values).filter_map(|(k, v)| Some((k, v?)));
            match page(pairs) {
                Ok(p) => {
                    let (one, two) = (p.request(), p.message_request());
                    prop_assert!((2..=101).contains(&one.limit) && two.limit == one.limit);
                }
                Err(ApiError::InvalidParam { name, .. }) => {
                    prop_assert!(NAMES.contains(&name.as_str()), "{}", name);
                }
                Err(e) => prop_assert!(false, "{e:?}"),
            }
        }

        #[test]
        fn per_is_refused_exactly_outside_1_to_100(
            per in prop_oneof![any::<i64>(), -3i64..110],
            as_text in any::<bool>(),
        ) {
            let value = if as_text { Value::from(per.to_string()) } else { Value::from(per) };
            let result = page([("per", value)]);
            if (1..=100).contains(&per) {
                prop_assert_eq!(result.map(|p| p.request().limit).ok(), u32::try_from(per + 1).ok());
            } else {
                prop_assert_eq!(refused_as(result), Some(("per".to_owned(), "out_of_range")));
            }
        }

        #[test]
        fn sort_is_asc_or_desc_in_any_case(
            word in sort_word(),
            alias in any::<bool>(),
        ) {
            let name = if alias { "sort" } else { "sort_direction" };
            let result = page([(name, Value::from(word.clone()))]);
            match word.to_ascii_lowercase().as_str() {
                "" | "asc" => prop_assert_eq!(result.map(|p| p.descending).ok(), Some(false)),
                "desc" => prop_assert_eq!(result.map(|p| p.descending).ok(), Some(true)),
                _ => prop_assert_eq!(refused_as(result), Some((name.to_owned(), "invalid"))),
            }
        }

        #[test]
        fn long_from_tokens_are_refused(token in "[A-Za-z0-9_-]{250,260}", alias in any::<bool>()) {
            let name = if alias { "from_" } else { "from" };
            let result = page([(name, Value::from(token.clone()))]);
            if token.len() > MAX_PAGE_TOKEN_CHARS {
                prop_assert_eq!(refused_as(result), Some((name.to_owned(), "too_long")));
            } else {
                prop_assert!(result.is_ok());
            }
        }
    }
}
