//! The inbox's static files, compiled into the binary: htmx (vendored, with its licence),
//! the stylesheet and the inbox script. Each is served at a path that carries a digest of
//! its bytes, so a browser may keep it for a year: a new build with other bytes has other
//! paths.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One compiled-in file.
pub struct Asset {
    /// Its name (the last path segment).
    pub name: &'static str,
    /// What it is served as.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// Every asset, by name.
const FILES: &[Asset] = &[
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/htmx-2.0.11/htmx.min.js"),
    },
    Asset {
        name: "htmx-LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/htmx-2.0.11/LICENSE"),
    },
    Asset {
        name: "inbox.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/inbox.js"),
    },
    Asset {
        name: "inbox.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/inbox.css"),
    },
];

/// The digest of every asset's bytes together: the version segment of their paths.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for file in FILES {
        hash.update(file.name.as_bytes());
        hash.update(file.bytes);
    }
    hash.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// The route of the assets.
pub const ROUTE: &str = "/assets/{version}/{name}";

/// The path an asset is served at by this build.
pub fn path(name: &str) -> String {
    format!("/assets/{}/{name}", *VERSION)
}

/// `GET /assets/{version}/{name}`: the file, cacheable for a year when the version is
/// this build's; an older version's path gets today's bytes, not cached, so a page
/// rendered before an upgrade still works.
pub async fn serve(Path((version, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(file) = FILES.iter().find(|f| f.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", *VERSION);
    let current = version == *VERSION;
    if current
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, file.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        file.bytes,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_carry_the_version() {
        let p = path("inbox.js");
        assert!(p.starts_with("/assets/") && p.ends_with("/inbox.js"), "{p}");
        assert_eq!(VERSION.len(), 12);
    }

    #[test]
    fn the_vendored_htmx_is_2_x_with_its_licence() {
        let htmx = FILES
            .iter()
            .find(|f| f.name == "htmx.min.js")
            .map(|f| f.bytes);
        let text = String::from_utf8_lossy(htmx.unwrap_or_default());
        assert!(text.contains("version:\"2.0.11\""));
        let licence = FILES.iter().find(|f| f.name == "htmx-LICENSE.txt");
        assert!(licence.is_some_and(|f| f.bytes.starts_with(b"Zero-Clause BSD")));
    }
}
