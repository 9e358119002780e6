//! Files that come into a conversation (an operator's upload, a customer's photo, a
//! `file_url` to fetch): named, typed, and copied into blob storage before their row is
//! written, so a row never points at missing bytes.

use bytes::Bytes;
use confab_store::NewAttachment;
use rand::RngCore;
use tempfile::TempPath;

use super::App;
use super::error::{AppError, AppResult};
use crate::net::{FetchError, parse_http_url};

/// File names are cut to this many characters.
const MAX_FILE_NAME: usize = 255;

/// Where the bytes of an incoming file are.
#[derive(Debug)]
pub enum FileSource {
    /// Already received and spooled to a temp file (a multipart upload).
    Spooled {
        /// The name the sender gave, if any.
        file_name: Option<String>,
        /// The MIME type the sender gave, if any.
        content_type: Option<String>,
        /// Bytes received.
        size: u64,
        /// The spooled file, deleted when dropped.
        path: TempPath,
    },
    /// To be fetched from a URL (through the SSRF guard, bounded in size and time).
    Url(String),
    /// In memory (a file a messenger connector downloaded).
    Bytes {
        /// The name the messenger gave, if any.
        file_name: Option<String>,
        /// The MIME type the messenger gave, if any.
        content_type: Option<String>,
        /// The bytes.
        bytes: Bytes,
    },
}

/// A file name safe to show and to send in `Content-Disposition`: the last path segment,
/// without control characters or invisible formatting (bidirectional overrides would
/// show `\u{202e}txt.exe` as `exe.txt`), at most 255 characters, never empty or a dot
/// name.
pub fn clean_file_name(raw: Option<&str>) -> String {
    let base = raw
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map(str::trim)
        .unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .take(MAX_FILE_NAME)
        .collect();
    if name.is_empty() || name == "." || name == ".." {
        "file".to_owned()
    } else {
        name
    }
}

/// Bidirectional embeddings, overrides, isolates and marks, zero-width characters, line
/// and paragraph separators and the byte-order mark: characters that change how a name
/// displays without showing themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// The MIME type given, unless it says nothing; then a guess from the name.
pub fn mime_type(given: Option<String>, file_name: &str) -> String {
    // curl labels every part application/octet-stream: that says nothing, a guess says more.
    given
        .filter(|m| m.contains('/') && m.len() <= 255 && m != "application/octet-stream")
        .unwrap_or_else(|| {
            mime_guess::from_path(file_name)
                .first_or_octet_stream()
                .essence_str()
                .to_owned()
        })
}

/// A fresh blob key for a file of `company_id`, grouped under `group`.
pub fn blob_key(company_id: i64, group: impl std::fmt::Display) -> String {
    let mut random = [0u8; 16];
    rand::rng().fill_bytes(&mut random);
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("attachments/{company_id}/{group}/{hex}")
}

fn percent_decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn size_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl App {
    /// Copies `source` into blob storage under `key` and describes it as an attachment of
    /// `conversation_id` (0 when the conversation is not known yet). The caller records
    /// the row, and deletes the blob if that fails.
    pub(super) async fn store_file(
        &self,
        source: FileSource,
        key: String,
        conversation_id: i64,
    ) -> AppResult<NewAttachment> {
        // Each source is stored its own way; the name and type are then made the same way.
        let (given_name, content_type, size, source_url) = match source {
            FileSource::Spooled {
                file_name,
                content_type,
                size,
                path,
            } => {
                self.put_file(&key, &path).await?;
                (file_name, content_type, size, None)
            }
            FileSource::Url(text) => {
                let url =
                    parse_http_url(&text).map_err(|why| AppError::invalid("file_url", why))?;
                let fetched = self
                    .fetcher
                    .fetch_to_file(&url, &self.tmp_dir, self.max_attachment_size)
                    .await
                    .map_err(|e| match e {
                        FetchError::TooLarge(_) => AppError::TooLarge(format!("file_url: {e}")),
                        FetchError::Refused(why) => AppError::invalid(
                            "file_url",
                            format!(
                                "{why}; such targets are allowed only with --allow-private-urls"
                            ),
                        ),
                        FetchError::Failed(why) => {
                            AppError::invalid("file_url", format!("could not be fetched: {why}"))
                        }
                    })?;
                let segment = url
                    .path_segments()
                    .and_then(|mut s| s.next_back())
                    .map(percent_decode);
                self.put_file(&key, &fetched.path).await?;
                (
                    segment,
                    fetched.content_type,
                    fetched.size,
                    Some(url.to_string()),
                )
            }
            FileSource::Bytes {
                file_name,
                content_type,
                bytes,
            } => {
                let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                if size > self.max_attachment_size {
                    return Err(AppError::TooLarge(format!(
                        "file: {size} bytes is more than the {} allowed",
                        self.max_attachment_size
                    )));
                }
                self.blobs
                    .put_bytes(&key, bytes)
                    .await
                    .map_err(|e| blob_write_failed(&e))?;
                (file_name, content_type, size, None)
            }
        };
        let file_name = clean_file_name(given_name.as_deref());
        Ok(NewAttachment {
            conversation_id,
            mime_type: mime_type(content_type, &file_name),
            file_name,
            size: size_of(size),
            blob_key: key,
            source_url,
        })
    }

    async fn put_file(&self, key: &str, path: &std::path::Path) -> AppResult<()> {
        self.blobs
            .put_file(key, path)
            .await
            .map_err(|e| blob_write_failed(&e))
    }

    /// Removes blobs whose rows could not be written (best effort: an orphan blob costs
    /// space, never correctness).
    pub(super) async fn forget_blobs(&self, keys: impl IntoIterator<Item = String>) {
        for key in keys {
            if let Err(e) = self.blobs.delete(&key).await {
                tracing::warn!(error = %e, "an unused attachment blob could not be deleted");
            }
        }
    }
}

/// A failed blob write: a full disk is the client's "try later", anything else a 500.
fn blob_write_failed(e: &anyhow::Error) -> AppError {
    let full = e
        .chain()
        .any(|cause| confab_store::trouble_of(cause) == Some(confab_store::Trouble::StorageFull));
    if full {
        AppError::StorageFull(format!("cannot store attachment: {e:#}"))
    } else {
        AppError::Internal(format!("cannot store attachment: {e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(clean_file_name(Some("C:\\x\\photo.png")), "photo.png");
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_file_name(Some("..")), "file");
        assert_eq!(clean_file_name(None), "file");
        assert_eq!(clean_file_name(Some(&"a".repeat(300))).len(), 255);
        assert_eq!(
            clean_file_name(Some("invoice\u{202e}fdp.exe")),
            "invoicefdp.exe"
        );
        assert_eq!(
            clean_file_name(Some("\u{2066}a\u{200b}b\u{feff}.txt\u{2069}")),
            "ab.txt"
        );
        assert_eq!(clean_file_name(Some("отчёт.pdf")), "отчёт.pdf");
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime_type(None, "a.png"), "image/png");
        assert_eq!(mime_type(Some("text/plain".into()), "a.png"), "text/plain");
        assert_eq!(mime_type(None, "file"), "application/octet-stream");
        assert_eq!(
            mime_type(Some("application/octet-stream".into()), "a.pdf"),
            "application/pdf"
        );
        assert_eq!(percent_decode("a%20b+c.pdf"), "a b+c.pdf");
    }
}
