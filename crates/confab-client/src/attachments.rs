//! Attachments of a conversation: upload (a file, any `AsyncRead`, or a URL the server
//! fetches) and download (streamed to any `AsyncWrite` or a file).

use std::path::Path;

use confab_wire::AttachmentUploaded;
use confab_wire::requests::UploadUrl;
use futures_util::TryStreamExt;
use reqwest::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::Client;
use crate::error::{Error, Result};
use crate::upload::Upload;

/// A conversation's attachments: made by [`Client::attachments`].
#[derive(Debug, Clone)]
pub struct Attachments {
    client: Client,
    company_id: i64,
    conversation_id: i64,
}

impl Client {
    /// The attachments of conversation `conversation_id` of company `company_id`.
    ///
    /// ```no_run
    /// use confab_client::{NewMessage, Upload};
    /// # async fn run(client: confab_client::Client) -> Result<(), confab_client::Error> {
    /// let attachments = client.attachments(1, 1);
    /// let id = attachments.upload(Upload::path("invoice.pdf")).await?;
    /// client.messages(1, 1).send(&NewMessage::attachments([id])).await?;
    /// let bytes = attachments.download_to_file(id, "copy.pdf").await?;
    /// # Ok(()) }
    /// ```
    pub fn attachments(&self, company_id: i64, conversation_id: i64) -> Attachments {
        Attachments {
            client: self.clone(),
            company_id,
            conversation_id,
        }
    }

    /// Downloads `url` (an `attachment_url` of a message: relative to the server, or
    /// absolute) into `writer`; returns the number of bytes written. The API token is sent
    /// only to the server's own origin.
    ///
    /// # Errors
    /// [`Error::Api`] for an error answer, [`Error::Transport`] when the connection
    /// breaks, [`Error::Io`] when `writer` fails.
    pub async fn download<W>(&self, url: &str, writer: &mut W) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let url = self
            .api_url()
            .join(url)
            .map_err(|e| Error::Config(format!("attachment URL {url:?}: {e}")))?;
        let answer = self.send(self.transfer(Method::GET, url), false).await?;
        let mut chunks = answer.bytes_stream();
        let mut written = 0u64;
        while let Some(chunk) = chunks.try_next().await? {
            writer.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        writer.flush().await?;
        Ok(written)
    }
}

impl Attachments {
    fn upload_path(&self) -> String {
        format!(
            "companies/{}/conversations/{}/messages/attachments",
            self.company_id, self.conversation_id
        )
    }

    /// Uploads a file (streamed, as the multipart part `file`); returns the attachment id,
    /// to send with [`crate::NewMessage::attachment`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened; a 413 when it is larger than the
    /// server takes; [`Error::Transport`] when the reader fails mid-way.
    pub async fn upload(&self, upload: Upload) -> Result<i64> {
        let form = upload.into_form(Vec::new()).await?;
        let url = self.client.url(&self.upload_path())?;
        let request = self
            .client
            .transfer(Method::POST, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .multipart(form);
        let uploaded: AttachmentUploaded = self.client.data(request).await?;
        Ok(uploaded.external_id)
    }

    /// Has the server fetch `file_url` as a new attachment; returns its id.
    ///
    /// # Errors
    /// A 400 naming `file_url` when it cannot be fetched or is refused (confab refuses
    /// private addresses unless started with `--allow-private-urls`).
    pub async fn upload_url(&self, file_url: &str) -> Result<i64> {
        let body = UploadUrl {
            file_url: file_url.to_owned(),
        };
        let request = self
            .client
            .request(Method::POST, &self.upload_path())?
            .json(&body);
        let uploaded: AttachmentUploaded = self.client.data(request).await?;
        Ok(uploaded.external_id)
    }

    /// Downloads attachment `attachment_id` into `writer`, a chunk at a time; returns the
    /// number of bytes written.
    ///
    /// # Errors
    /// A 404 for an attachment of another conversation; see [`Client::download`].
    pub async fn download<W>(&self, attachment_id: i64, writer: &mut W) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let path = format!(
            "companies/{}/conversations/{}/attachments/{attachment_id}",
            self.company_id, self.conversation_id
        );
        let url = self.client.url(&path)?;
        self.client.download(url.as_str(), writer).await
    }

    /// Downloads attachment `attachment_id` into a new file at `path` (replacing one that
    /// exists); returns its size. A failed download removes the partial file.
    ///
    /// # Errors
    /// As [`Attachments::download`], and [`Error::Io`] when the file cannot be written.
    pub async fn download_to_file(
        &self,
        attachment_id: i64,
        path: impl AsRef<Path>,
    ) -> Result<u64> {
        let path = path.as_ref();
        let mut file = tokio::fs::File::create(path).await?;
        match self.download(attachment_id, &mut file).await {
            Ok(written) => {
                file.sync_all().await?;
                Ok(written)
            }
            Err(e) => {
                drop(file);
                tokio::fs::remove_file(path).await.ok();
                Err(e)
            }
        }
    }
}
