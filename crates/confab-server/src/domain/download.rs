//! How an attachment's bytes are served so that nothing uploaded can run as a page of
//! confab's origin (where the operator's session lives): the type a download is served
//! as, whether a browser may show it in place or must save it, and the header that says
//! so with the file's name.
//!
//! The Pact p1 API documents no download wire format (only `attachment_url` in the
//! message), so these are confab's own rules: the bytes are always the stored ones.

/// The image types a browser only ever draws, never runs: these alone may be shown in
/// place. SVG is not among them (it is a document that can carry script).
const INLINE_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Types kept as the `Content-Type` of a download because browsers only display them
/// (as a file to save, since only [`INLINE_IMAGES`] are shown in place); any other claim
/// is served as `application/octet-stream`.
const DISPLAY_ONLY: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/avif",
    "application/pdf",
    "text/plain",
];

/// Whether a browser may show a download in place or must save it as a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in place (`Content-Disposition: inline`): safe images only.
    Inline,
    /// Saved as a file (`Content-Disposition: attachment`): everything else.
    Attachment,
}

/// The lowercased media type of a MIME type, without parameters.
fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// How a download of stored type `mime` is presented: inline only for the safe image
/// types, so an HTML page, an SVG or a script uploaded as a file is always saved, never
/// opened in confab's origin.
pub fn disposition(mime: &str) -> Disposition {
    if INLINE_IMAGES.contains(&essence(mime).as_str()) {
        Disposition::Inline
    } else {
        Disposition::Attachment
    }
}

/// The `Content-Type` a download is served as: the stored type when it is one browsers
/// only display (images, PDF, plain text, audio, video), otherwise
/// `application/octet-stream`, so even a client that ignores `Content-Disposition` never
/// renders an uploaded `text/html` or SVG as a page.
pub fn served_type(stored: &str) -> &str {
    let base = essence(stored);
    let media = base.starts_with("audio/") || base.starts_with("video/");
    if DISPLAY_ONLY.contains(&base.as_str()) || media {
        stored
    } else {
        "application/octet-stream"
    }
}

/// The `Content-Disposition` value of a download of `file_name` with stored type `mime`:
/// `inline` or `attachment` (see [`disposition`]), then `filename="..."` with an ASCII
/// stand-in for the name, and when that differs from the name, the exact name as RFC 5987
/// `filename*=UTF-8''...` (which browsers prefer). The result is always a valid header
/// value: visible ASCII and spaces only.
pub fn content_disposition(mime: &str, file_name: &str) -> String {
    let kind = match disposition(mime) {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    // Stored names are never empty (`clean_file_name`); a caller's empty one reads `file`.
    let file_name = if file_name.is_empty() {
        "file"
    } else {
        file_name
    };
    let fallback = ascii_fallback(file_name);
    if fallback == file_name {
        format!("{kind}; filename=\"{fallback}\"")
    } else {
        format!(
            "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
            rfc5987_encode(file_name)
        )
    }
}

/// `name` with every character that cannot stand in a quoted `filename` replaced by `_`:
/// non-ASCII and control characters, the quote and backslash (which would end or escape
/// the string), and `%` (which some browsers percent-decode in `filename`).
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '%') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `value`'s UTF-8 bytes percent-encoded except RFC 5987's `attr-char`s.
fn rfc5987_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        let attr_char = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_images_are_inline() {
        for mime in [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "IMAGE/PNG",
            "image/png; charset=binary",
        ] {
            assert_eq!(disposition(mime), Disposition::Inline, "{mime}");
        }
        for mime in [
            "image/svg+xml",
            "text/html",
            "application/xhtml+xml",
            "text/xml",
            "application/xml",
            "text/javascript",
            "application/pdf",
            "text/plain",
            "image/bmp",
            "video/mp4",
            "application/octet-stream",
            "",
            "image/png-but-not",
            "image",
        ] {
            assert_eq!(disposition(mime), Disposition::Attachment, "{mime}");
        }
    }

    #[test]
    fn pages_and_scripts_are_served_as_octet_streams() {
        for (stored, served) in [
            ("text/html", "application/octet-stream"),
            ("text/html; charset=utf-8", "application/octet-stream"),
            ("image/svg+xml", "application/octet-stream"),
            ("application/xhtml+xml", "application/octet-stream"),
            ("text/javascript", "application/octet-stream"),
            ("", "application/octet-stream"),
            ("image/png", "image/png"),
            ("application/pdf", "application/pdf"),
            ("text/plain; charset=utf-8", "text/plain; charset=utf-8"),
            ("audio/ogg", "audio/ogg"),
            ("video/mp4", "video/mp4"),
        ] {
            assert_eq!(served_type(stored), served, "{stored}");
        }
    }

    #[test]
    fn ascii_names_are_quoted_as_they_are() {
        assert_eq!(
            content_disposition("image/png", "photo 1.png"),
            "inline; filename=\"photo 1.png\""
        );
        assert_eq!(
            content_disposition("text/html", "page.html"),
            "attachment; filename=\"page.html\""
        );
        assert_eq!(
            content_disposition("image/svg+xml", "logo.svg"),
            "attachment; filename=\"logo.svg\""
        );
    }

    #[test]
    fn other_names_get_a_stand_in_and_the_exact_name_encoded() {
        assert_eq!(
            content_disposition("application/pdf", "отчёт 2024.pdf"),
            "attachment; filename=\"_____ 2024.pdf\"; \
             filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202024.pdf"
        );
        // Quotes, backslashes and semicolons cannot end the string or add a parameter.
        let header = content_disposition("text/plain", "a\";b\\c%d.txt");
        assert_eq!(
            header,
            "attachment; filename=\"a_;b_c_d.txt\"; filename*=UTF-8''a%22%3Bb%5Cc%25d.txt"
        );
        // Whatever the name, the value is a valid header value.
        for name in ["\r\nSet-Cookie: x=1", "\u{0}\u{7f}", "日本", "", "*'()"] {
            let header = content_disposition("image/png", name);
            assert!(
                header.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
                "{header:?}"
            );
            assert!(
                axum::http::HeaderValue::from_str(&header).is_ok(),
                "{header}"
            );
        }
        assert_eq!(
            content_disposition("image/gif", ""),
            "inline; filename=\"file\""
        );
    }
}
