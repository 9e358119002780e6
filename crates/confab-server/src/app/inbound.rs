//! Ingesting what a customer sends: the one way an incoming message enters confab,
//! whether a messenger connector received it or the sandbox simulates it.

use confab_store::{Channel, Contact, NewIncoming, Posted};

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
        let mut attachments = Vec::with_capacity(inbound.files.len());
        let mut keys = Vec::with_capacity(inbound.files.len());
        for file in inbound.files {
            // The conversation may not exist yet: the store binds the file to it.
            let key = blob_key(channel.company_id, "inbound");
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
        let message = NewIncoming {
            body: inbound.body,
            attachments,
            source: None,
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
}
