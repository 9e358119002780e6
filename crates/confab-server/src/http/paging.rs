//! The Pact pagination parameters (`from`, `per`, `sort_direction`) and `next_page`.

use confab_store::PageRequest;

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
    after: Option<i64>,
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
        let after = from
            .as_deref()
            .and_then(|t| Cursor::decode(t, &scope, descending));
        Ok(Page {
            scope,
            after,
            descending,
            per,
        })
    }

    /// What to ask the store for: one row more than a page, to know whether another follows.
    pub fn request(&self) -> PageRequest {
        PageRequest {
            after: self.after,
            descending: self.descending,
            limit: self.per + 1,
        }
    }

    /// Cuts `rows` to the page and makes the `next_page` token (`None` on the last page).
    pub fn finish<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
        let per = self.per as usize;
        if rows.len() <= per {
            return (rows, None);
        }
        rows.truncate(per);
        let next = rows.last().map(|last| {
            Cursor {
                scope: self.scope.clone(),
                descending: self.descending,
                last_id: id(last),
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
