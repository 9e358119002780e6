//! Ingesting what a customer sends: the one way an incoming message enters confab,
//! whether a messenger connector received it or the sandbox simulates it.

use confab_store::{Channel, Contact, NewAttachment, NewIncoming, Posted, UpdateSource};

use super::App;
use super::error::AppResult;
use super::files::{FileSource, blob_key};

/// A message a contact sent to a channel.
#[derive(Debug)]
pub struct InboundMessage {
    /// Who sent it (their id on the messenger, and their display name when known).
    pub contact: Contact,
    /// The text (`""` when none).
    pub body: String,
    /// The files that came with it.
    pub files: Vec<FileSource>,
    /// The raw update it is made from, when a real connector received it: the message and
    /// the update's completion commit together.
    pub source: Option<UpdateSource>,
}

impl App {
    /// Stores an incoming message on `channel`: its files into blob storage first, then the
    /// message (finding or creating the contact's conversation) in one transaction; on
    /// failure the stored files are removed again. Wakes the webhook dispatcher.
    pub async fn ingest_inbound(
        &self,
        channel: Channel,
        inbound: InboundMessage,
    ) -> AppResult<Posted> {
        let (attachments, keys) = self.store_files(channel.company_id, inbound.files).await?;
        let message = NewIncoming {
            body: inbound.body,
            attachments,
            source: inbound.source,
        };
        match self
            .store
            .receive_message(channel, inbound.contact, message, self.now_ms())
            .await
        {
            Ok(posted) => {
                self.webhook_wakeup.wake();
                Ok(posted)
            }
            Err(e) => {
                self.forget_blobs(keys).await;
                Err(e.into())
            }
        }
    }

    /// Adds files fetched after their message was stored (a messenger's media that failed
    /// to download at first) to it, through the raw update the message came from.
    /// `pending` is what is still to fetch. False when the update's lease was lost (the
    /// files are removed again).
    pub async fn attach_fetched(
        &self,
        company_id: i64,
        update_id: i64,
        lease_until: i64,
        files: Vec<FileSource>,
        pending: Option<String>,
    ) -> AppResult<bool> {
        let (attachments, keys) = self.store_files(company_id, files).await?;
        match self
            .store
            .attach_update_files(update_id, lease_until, attachments, pending, self.now_ms())
            .await
        {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.forget_blobs(keys).await;
                Ok(false)
            }
            Err(e) => {
                self.forget_blobs(keys).await;
                Err(e.into())
            }
        }
    }

    /// Puts inbound files into blob storage (all or none): their attachment rows-to-be and
    /// blob keys.
    async fn store_files(
        &self,
        company_id: i64,
        files: Vec<FileSource>,
    ) -> AppResult<(Vec<NewAttachment>, Vec<String>)> {
        let mut attachments = Vec::with_capacity(files.len());
        let mut keys = Vec::with_capacity(files.len());
        for file in files {
            // The conversation may not exist yet: the store binds the file to it.
            let key = blob_key(company_id, "inbound");
            match self.store_file(file, key.clone(), 0).await {
                Ok(stored) => {
                    keys.push(key);
                    attachments.push(stored);
                }
                Err(e) => {
                    self.forget_blobs(keys).await;
                    return Err(e);
                }
            }
        }
        Ok((attachments, keys))
    }
}
