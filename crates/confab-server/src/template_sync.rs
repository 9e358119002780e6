//! Keeps WhatsApp Business templates in step with Meta: every whatsapp_business channel
//! on a real connector is synced when it is created and every [`SYNC_INTERVAL`] after
//! that (on-demand syncs are `POST /p1/companies/CID/waba_templates/sync`). A failed sync
//! changes nothing and is tried again at the next round; the templates a channel had stay
//! sendable meanwhile.

use std::sync::Arc;
use std::time::Duration;

use confab_store::{Channel, Provider};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::app::templates::{SharedTemplateSource, SyncError};

/// How often every whatsapp_business channel's templates are synced.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Channels read per page while walking them.
const PAGE: u32 = 200;

/// Syncs one channel, logging the outcome (a failure waits for the next round).
async fn sync_one(app: &App, source: &SharedTemplateSource, channel: &Channel) {
    match app.sync_templates(source.as_deref(), channel).await {
        Ok(synced) => tracing::debug!(
            channel = channel.id,
            stored = synced.stored,
            removed = synced.removed,
            "templates synced"
        ),
        Err(SyncError::Unavailable(why)) => {
            tracing::warn!(channel = channel.id, %why, "templates not synced");
        }
        Err(SyncError::App(e)) => {
            tracing::warn!(channel = channel.id, error = %e, "templates not synced");
        }
    }
}

/// Syncs every live whatsapp_business channel on a real connector once.
pub async fn sync_all(app: &App, source: &SharedTemplateSource) {
    let mut after = 0;
    loop {
        let channels = match app.store.all_channels(after, PAGE).await {
            Ok(channels) => channels,
            Err(e) => {
                tracing::warn!(error = %e, "templates not synced: channels cannot be read");
                return;
            }
        };
        let Some(last) = channels.last() else {
            return;
        };
        after = last.id;
        for channel in &channels {
            if channel.provider != Provider::WhatsappBusiness || channel.connector == "sandbox" {
                continue;
            }
            // `all_channels` lists deleted channels too; only live ones are synced.
            if let Ok(Some((_, false))) = app.store.channel_by_id(channel.id).await {
                sync_one(app, source, channel).await;
            }
        }
    }
}

/// Runs the hourly sync until `cancel` fires. Without a template source there is nothing
/// to fetch from, so the loop only waits.
pub async fn run_template_sync(
    app: Arc<App>,
    source: SharedTemplateSource,
    cancel: CancellationToken,
) {
    if source.is_none() {
        cancel.cancelled().await;
        return;
    }
    loop {
        sync_all(&app, &source).await;
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(SYNC_INTERVAL) => {}
        }
    }
}

/// Syncs a just-created whatsapp_business channel in the background, so creating it does
/// not wait for Meta (a sandbox channel has nothing to fetch).
pub fn on_channel_created(app: Arc<App>, source: SharedTemplateSource, channel: Channel) {
    if channel.provider != Provider::WhatsappBusiness || channel.connector == "sandbox" {
        return;
    }
    tokio::spawn(async move { sync_one(&app, &source, &channel).await });
}
