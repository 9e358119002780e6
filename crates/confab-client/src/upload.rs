//! [`Upload`]: a file to send as the multipart part `file`, streamed from disk or any
//! `AsyncRead`, with progress reports.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;

use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use crate::error::{Error, Result};

/// How far an upload has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file handed to the connection so far.
    pub sent: u64,
    /// The file's size, when known (always for files; for readers, when given with
    /// [`Upload::length`]).
    pub total: Option<u64>,
}

type ProgressFn = Box<dyn FnMut(Progress) + Send>;

enum Source {
    Path(PathBuf),
    Reader {
        reader: Pin<Box<dyn AsyncRead + Send>>,
        length: Option<u64>,
    },
}

/// A file to upload, read a chunk at a time (never whole into memory).
///
/// ```no_run
/// use confab_client::Upload;
/// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
/// // from disk, with progress
/// let photo = Upload::path("photo.jpg")
///     .on_progress(|p| eprintln!("{} of {:?} bytes", p.sent, p.total));
/// let photo_id = client.attachments(1, 1).upload(photo).await?;
///
/// // from anything that implements tokio's AsyncRead
/// let note = Upload::reader(&b"hello"[..], "hello.txt").length(5).mime_type("text/plain");
/// let note_id = client.attachments(1, 1).upload(note).await?;
/// # Ok(()) }
/// ```
pub struct Upload {
    source: Source,
    file_name: Option<String>,
    mime_type: Option<String>,
    progress: Option<ProgressFn>,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Path(path) => format!("path {}", path.display()),
            Source::Reader { length, .. } => format!("reader of {length:?} bytes"),
        };
        f.debug_struct("Upload")
            .field("source", &source)
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .finish_non_exhaustive()
    }
}

impl Upload {
    /// The file at `path`, named by its last path component.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::from_source(Source::Path(path.into()), None)
    }

    /// The bytes of `reader`, named `file_name`. Without [`Upload::length`] the body is
    /// sent chunked and progress has no total.
    pub fn reader(reader: impl AsyncRead + Send + 'static, file_name: impl Into<String>) -> Self {
        let source = Source::Reader {
            reader: Box::pin(reader),
            length: None,
        };
        Self::from_source(source, Some(file_name.into()))
    }

    fn from_source(source: Source, file_name: Option<String>) -> Self {
        Self {
            source,
            file_name,
            mime_type: None,
            progress: None,
        }
    }

    /// The reader's exact length in bytes (ignored for paths: their size is read from
    /// disk).
    #[must_use]
    pub fn length(mut self, bytes: u64) -> Self {
        if let Source::Reader { length, .. } = &mut self.source {
            *length = Some(bytes);
        }
        self
    }

    /// The name the server stores (a path's last component unless set).
    #[must_use]
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// The MIME type; unless set, the server guesses it from the file name.
    #[must_use]
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// Calls `report` after each chunk handed to the connection; the last report's `sent`
    /// is the whole size.
    #[must_use]
    pub fn on_progress(mut self, report: impl FnMut(Progress) + Send + 'static) -> Self {
        self.progress = Some(Box::new(report));
        self
    }

    /// The multipart part, opening the file if there is one.
    pub(crate) async fn into_part(self) -> Result<Part> {
        let (reader, length, default_name): (Pin<Box<dyn AsyncRead + Send>>, _, _) =
            match self.source {
                Source::Path(path) => {
                    let file = tokio::fs::File::open(&path).await?;
                    let length = file.metadata().await?.len();
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "file".to_owned());
                    (Box::pin(file), Some(length), name)
                }
                Source::Reader { reader, length } => (reader, length, "file".to_owned()),
            };
        let mut sent = 0u64;
        let mut progress = self.progress;
        let chunks = ReaderStream::new(reader).map(move |chunk| {
            if let (Ok(bytes), Some(report)) = (&chunk, progress.as_mut()) {
                sent += bytes.len() as u64;
                report(Progress {
                    sent,
                    total: length,
                });
            }
            chunk
        });
        let body = reqwest::Body::wrap_stream(chunks);
        let part = match length {
            Some(length) => Part::stream_with_length(body, length),
            None => Part::stream(body),
        };
        let part = part.file_name(self.file_name.unwrap_or(default_name));
        match self.mime_type {
            Some(mime) => part
                .mime_str(&mime)
                .map_err(|_| Error::Config(format!("{mime:?} is not a MIME type"))),
            None => Ok(part),
        }
    }

    /// A form whose part `file` is this upload, after the text `fields`.
    pub(crate) async fn into_form(self, fields: Vec<(String, String)>) -> Result<Form> {
        let form = fields
            .into_iter()
            .fold(Form::new(), |form, (name, value)| form.text(name, value));
        Ok(form.part("file", self.into_part().await?))
    }
}
