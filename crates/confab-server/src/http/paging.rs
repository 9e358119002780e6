//! The Pact pagination parameters (`from`, `per`, `sort_direction`) and `next_page`.

use confab_store::{MessagePageRequest, PageRequest};

use super::error::{ApiError, ApiResult};
use super::params::Params;
use crate::domain::page::Cursor;

/// The longest `from` token the docs allow.
const MAX_FROM: usize = 255;
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
        let (from_name, from) = first_present(params, &["from", "from_"])?;
        if let Some(token) = &from
            && token.chars().count() > MAX_FROM
        {
            return Err(ApiError::invalid_with(
                from_name,
                "too_long",
                format!("must be at most {MAX_FROM} characters"),
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
            None | Some("") | Some("asc") => false,
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
