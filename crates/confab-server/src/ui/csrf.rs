//! Cross-site request forgery defences of the pages.
//!
//! - The login form is a double submit: `GET /login` sets a random `confab_csrf` cookie and
//!   puts the same value in the form; `POST /login` is refused unless both are there and
//!   equal. A form on another site cannot read the cookie, and `SameSite=Lax` keeps the
//!   browser from sending it with a cross-site post at all.
//! - A logged-in request that changes state carries its session's token (form field
//!   `csrf_token` or header `X-CSRF-Token`). The token is derived from the session id, so
//!   nothing more is stored, and only a page of this server (which has the cookie's
//!   session) can know it.
//! - Both also refuse a request whose `Origin` header names another site.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::Config;

/// The form field that carries a CSRF token.
pub const FIELD: &str = "csrf_token";

/// The header that carries a CSRF token (for requests made by script).
pub const HEADER: &str = "x-csrf-token";

/// A new random token: 256 bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The CSRF token of the session whose id is `session_id`. Domain-separated from the id's
/// stored hash, so the stored hash does not give it away either.
pub fn session_token(session_id: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"confab session csrf token\0");
    digest.update(session_id.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.finalize())
}

/// Whether a presented token is the expected one, compared in constant time.
pub fn matches(presented: Option<&str>, expected: &str) -> bool {
    presented.is_some_and(|p| {
        !p.is_empty()
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                p.as_bytes(),
                expected.as_bytes(),
            ))
    })
}

/// The token a request presents: the header, else the form field.
pub fn presented<'a>(headers: &'a HeaderMap, form_field: Option<&'a str>) -> Option<&'a str> {
    headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .or(form_field)
}

/// Whether the request's `Origin` (if it sent one) is this server: `--public-url`'s
/// origin, or the `Host` the request was sent to over http or https (confab cannot tell
/// which a proxy in front of it terminated). An opaque `null` origin is foreign. Browsers
/// send `Origin` with every cross-site post, so a foreign site is refused here even before
/// its (missing) token is.
pub fn same_origin(headers: &HeaderMap, config: &Config) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    if let Some(public) = &config.public_url
        && public.origin().ascii_serialization() == origin
    {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(origin: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("confab.local:8080"));
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn only_this_servers_origin_passes() {
        let config = Config::for_data_dir("/nonexistent".into());
        assert!(same_origin(&with(None), &config));
        assert!(same_origin(
            &with(Some("http://confab.local:8080")),
            &config
        ));
        assert!(same_origin(
            &with(Some("https://confab.local:8080")),
            &config
        ));
        assert!(!same_origin(&with(Some("https://evil.example")), &config));
        assert!(!same_origin(
            &with(Some("http://confab.local:8081")),
            &config
        ));
        assert!(!same_origin(&with(Some("null")), &config));
        let mut public = config;
        public.public_url = url::Url::parse("https://inbox.example.com").ok();
        assert!(same_origin(
            &with(Some("https://inbox.example.com")),
            &public
        ));
    }

    #[test]
    fn tokens_match_exactly() {
        let token = session_token("abc");
        assert_ne!(token, session_token("abd"));
        assert!(matches(Some(&token), &token));
        assert!(!matches(Some(""), ""));
        assert!(!matches(None, &token));
        assert!(!matches(Some("x"), &token));
        assert_ne!(random_token(), random_token());
    }
}
