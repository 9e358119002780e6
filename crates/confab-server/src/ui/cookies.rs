//! The pages' cookies: reading one from a request and writing `Set-Cookie` values.
//!
//! Every cookie is `HttpOnly` (no script reads it) and `SameSite=Lax` (a cross-site form
//! post does not carry it). It is `Secure` when `--public-url` is `https://`: confab itself
//! speaks plain HTTP, so TLS is always terminated in front of it, and the public URL is
//! the one thing that says browsers reach it over TLS. Without one (a local or test
//! server on `http://`) a `Secure` cookie would never be sent back.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::Config;

/// The session cookie: the session id, 256 random bits.
pub const SESSION: &str = "confab_session";

/// The login form's double-submit CSRF cookie.
pub const LOGIN_CSRF: &str = "confab_csrf";

/// The value of cookie `name` in the request's `Cookie` headers (the first, if repeated).
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// Whether cookies get the `Secure` attribute (see the module comment for the rule).
pub fn secure(config: &Config) -> bool {
    config
        .public_url
        .as_ref()
        .is_some_and(|url| url.scheme() == "https")
}

/// A `Set-Cookie` value for `name=value` on `path`, kept `max_age_secs` seconds.
pub fn set(name: &str, value: &str, path: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    );
    // Names and paths are constants and values base64url, all visible ASCII.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes cookie `name` on `path` from the browser.
pub fn clear(name: &str, path: &str, secure: bool) -> HeaderValue {
    set(name, "", path, 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("confab_session=xyz"),
        );
        assert_eq!(get(&headers, "b"), Some("2"));
        assert_eq!(get(&headers, SESSION), Some("xyz"));
        assert_eq!(get(&headers, "confab"), None);
    }

    #[test]
    fn set_cookie_values_carry_the_attributes() {
        let plain = set(SESSION, "abc", "/", 60, false);
        assert_eq!(
            plain.to_str().ok(),
            Some("confab_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax")
        );
        let tls = clear(SESSION, "/", true);
        assert!(
            tls.to_str()
                .is_ok_and(|v| v.ends_with("; Secure") && v.contains("Max-Age=0"))
        );
    }
}
