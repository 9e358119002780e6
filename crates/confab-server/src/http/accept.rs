//! Content negotiation for the JSON routes (Pact's 406): a request whose `Accept` admits
//! neither JSON nor anything (`text/html` alone, or `application/json;q=0`) is answered
//! 406 with the JSON error body, before anything else is done. A missing header, `*/*`,
//! `application/*` and `application/json` with parameters or q-values are served.
//!
//! Applied to the `/p1` API router only: attachment downloads (bytes of any type), the
//! event stream (`text/event-stream`), messenger hooks, `/openapi.json`, health and
//! metrics never see it.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The route template of attachment downloads, whose answer is the file's own type.
const DOWNLOAD: &str =
    "/p1/companies/{company_id}/conversations/{conversation_id}/attachments/{attachment_id}";

/// Answers 406 when the request's `Accept` admits no JSON; otherwise runs the route.
pub async fn negotiate(req: Request, next: Next) -> Response {
    let download = req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| p.as_str() == DOWNLOAD);
    if download || accepts_json(req.headers()) {
        return next.run(req).await;
    }
    let mut response = ApiError::invalid_with(
        "Accept",
        "not_acceptable",
        "admits no JSON: this route answers application/json (send Accept: \
         application/json, */*, or no Accept header)",
    )
    .into_response();
    *response.status_mut() = StatusCode::NOT_ACCEPTABLE;
    response
}

/// Whether the `Accept` headers (all of them, as one list) admit `application/json`.
pub fn accepts_json(headers: &HeaderMap) -> bool {
    let mut ranges = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(MediaRange::parse)
        .peekable();
    if ranges.peek().is_none() {
        // No header, an empty one, or nothing readable in it: no preference was stated.
        return true;
    }
    let mut best: Option<(u8, bool)> = None;
    for range in ranges {
        let Some(specificity) = range.json_specificity() else {
            continue;
        };
        // The most specific range that matches decides (`application/json;q=0` beats
        // `*/*`), as RFC 9110 section 12.5.1 says.
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, range.acceptable));
        }
    }
    best.is_some_and(|(_, acceptable)| acceptable)
}

/// One media range of an `Accept` header.
struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    /// False when its q-value is 0 ("not acceptable").
    acceptable: bool,
}

impl<'a> MediaRange<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let (kind, subtype) = (kind.trim(), subtype.trim());
        if kind.is_empty() || subtype.is_empty() {
            return None;
        }
        let mut acceptable = true;
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                // A q-value that cannot be read counts as 1, the default.
                acceptable = value.trim().parse::<f32>().map_or(true, |q| q > 0.0);
            }
        }
        Some(Self {
            kind,
            subtype,
            acceptable,
        })
    }

    /// How specifically it matches `application/json` (3 exact, 2 `application/*`,
    /// 1 `*/*`), `None` when it does not.
    fn json_specificity(&self) -> Option<u8> {
        let app = self.kind.eq_ignore_ascii_case("application");
        match (self.kind, self.subtype) {
            ("*", "*") => Some(1),
            (_, "*") if app => Some(2),
            (_, s) if app && s.eq_ignore_ascii_case("json") => Some(3),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn accepts(values: &[&str]) -> bool {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT, HeaderValue::from_str(v).expect("header"));
        }
        accepts_json(&headers)
    }

    #[test]
    fn json_and_wildcards_are_served() {
        assert!(accepts(&[]));
        assert!(accepts(&[""]));
        assert!(accepts(&["*/*"]));
        assert!(accepts(&["application/*"]));
        assert!(accepts(&["application/json"]));
        assert!(accepts(&["Application/JSON"]));
        assert!(accepts(&["application/json; charset=utf-8"]));
        assert!(accepts(&["text/html, application/json;q=0.9"]));
        assert!(accepts(&["text/html,application/xhtml+xml,*/*;q=0.8"]));
        assert!(accepts(&["text/html", "application/json"]));
        assert!(accepts(&["application/json;q=bogus"]));
    }

    #[test]
    fn nothing_json_is_not_acceptable() {
        assert!(!accepts(&["text/html"]));
        assert!(!accepts(&["text/html, application/xhtml+xml"]));
        assert!(!accepts(&["image/png"]));
        assert!(!accepts(&["application/xml"]));
        assert!(!accepts(&["application/json;q=0"]));
        assert!(!accepts(&["application/json; q=0.0, text/html"]));
        assert!(!accepts(&["*/*;q=0"]));
        assert!(!accepts(&["text/event-stream"]));
    }

    #[test]
    fn the_most_specific_range_decides() {
        assert!(!accepts(&["*/*, application/json;q=0"]));
        assert!(accepts(&["*/*;q=0, application/json"]));
        assert!(accepts(&["application/*;q=0, application/json;q=0.5"]));
        assert!(!accepts(&["application/*;q=0, text/html"]));
    }
}
