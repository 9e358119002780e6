//! Loaded data sets: freshly into the scratch dir, or kept under `--keep DIR` and reused
//! by later runs of the same scale and store.

use std::path::Path;

use anyhow::Context as _;

use super::Ctx;
use crate::dataset::{Dataset, Spec, Target};
use crate::load::Content;

/// A data set ready to serve, and whether its dir is ours to delete afterwards.
pub struct Prepared {
    /// The data set.
    pub dataset: Dataset,
    /// A scratch copy (deleted by [`Prepared::discard`]), not a kept one.
    temporary: bool,
}

impl Prepared {
    /// Deletes a scratch data dir now rather than at the end of the run (large data
    /// sets would otherwise pile up in /tmp).
    pub fn discard(self) -> anyhow::Result<()> {
        if self.temporary {
            std::fs::remove_dir_all(&self.dataset.data_dir)
                .with_context(|| format!("removing {}", self.dataset.data_dir.display()))?;
        }
        Ok(())
    }
}

/// What a kept data set's marker file records: the [`Dataset`] with its token.
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    token: String,
    user_id: i64,
    database_url: Option<String>,
    company_id: i64,
    channel_id: i64,
    conversation_id: i64,
    long_conversation_id: i64,
    spec: [u64; 4],
    load_seconds: f64,
}

fn spec_array(spec: Spec) -> [u64; 4] {
    [
        spec.companies,
        spec.conversations,
        spec.messages,
        spec.long_conversation_messages,
    ]
}

/// The main data set of the run's scale.
pub async fn main(ctx: &Ctx, store: &str, target: &Target) -> anyhow::Result<Prepared> {
    let scale = format!("{:?}", ctx.settings.scale).to_lowercase();
    prepare(
        ctx,
        &format!("{store}-{scale}"),
        target,
        ctx.settings.scale.spec(),
    )
    .await
}

/// A scaling data set: one company with `conversations` conversations of about one
/// message each (the list's cost is what scales, not the messages).
pub async fn scaling(
    ctx: &Ctx,
    store: &str,
    target: &Target,
    conversations: u64,
) -> anyhow::Result<Prepared> {
    let spec = Spec {
        companies: 1,
        conversations,
        messages: conversations + 100,
        long_conversation_messages: 100,
    };
    prepare(
        ctx,
        &format!("{store}-scaling-{conversations}"),
        target,
        spec,
    )
    .await
}

/// The stream scenario's data set: one small company of its own, so no work queued by
/// earlier scenarios (deliveries of their sends, which announce events too) runs beside it.
pub async fn stream(ctx: &Ctx, store: &str, target: &Target) -> anyhow::Result<Prepared> {
    let spec = Spec {
        companies: 1,
        conversations: 100,
        messages: 1_000,
        long_conversation_messages: 100,
    };
    prepare(ctx, &format!("{store}-stream"), target, spec).await
}

/// The search scenario's data set: one company with the scale's search rows
/// ([`Scale::search_spec`](crate::dataset::Scale::search_spec)), text to search in.
pub async fn search(ctx: &Ctx, store: &str, target: &Target) -> anyhow::Result<Prepared> {
    let scale = format!("{:?}", ctx.settings.scale).to_lowercase();
    let spec = ctx.settings.scale.search_spec();
    prepare_content(
        ctx,
        &format!("{store}-search-{scale}"),
        target,
        spec,
        Content::Search,
    )
    .await
}

/// Forgets every kept data set of `store` whose rows lived in its database: a later load
/// into the same PostgreSQL database replaced them.
pub fn forget_database(ctx: &Ctx, store: &str) -> anyhow::Result<()> {
    let Some(keep) = &ctx.settings.keep else {
        return Ok(());
    };
    let Ok(entries) = std::fs::read_dir(keep) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{store}-")) && name.ends_with(".json") {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Loads `spec` under the name `label`, or reuses the kept one with the same spec and
/// database.
async fn prepare(ctx: &Ctx, label: &str, target: &Target, spec: Spec) -> anyhow::Result<Prepared> {
    prepare_content(ctx, label, target, spec, Content::Plain).await
}

/// [`prepare`] with the rows' content chosen (the label must differ per content).
async fn prepare_content(
    ctx: &Ctx,
    label: &str,
    target: &Target,
    spec: Spec,
    content: Content,
) -> anyhow::Result<Prepared> {
    let database_url = match target {
        Target::Sqlite => None,
        Target::Postgres(url) => Some(url.clone()),
    };
    let (data_dir, marker, temporary) = match &ctx.settings.keep {
        Some(keep) => (
            keep.join(label),
            Some(keep.join(format!("{label}.json"))),
            false,
        ),
        None => (ctx.work.join(label), None, true),
    };
    if let Some(marker) = &marker
        && let Some(kept) = read_marker(marker)?
        && kept.spec == spec_array(spec)
        && kept.database_url == database_url
        && data_dir.is_dir()
    {
        eprintln!("reusing the data set kept in {}", data_dir.display());
        return Ok(Prepared {
            dataset: Dataset {
                data_dir,
                database_url,
                token: kept.token,
                user_id: kept.user_id,
                company_id: kept.company_id,
                channel_id: kept.channel_id,
                conversation_id: kept.conversation_id,
                long_conversation_id: kept.long_conversation_id,
                deep_page_token: None,
                spec,
                load_seconds: kept.load_seconds,
            },
            temporary,
        });
    }
    if data_dir.exists() {
        // A kept dir without a matching marker is a half-finished or different load of
        // ours: the loader needs an empty dir.
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("removing the stale {}", data_dir.display()))?;
    }
    eprintln!(
        "loading {} conversations, {} messages into {label}",
        spec.conversations, spec.messages
    );
    let dataset = crate::load::load(target, spec, &data_dir, content)
        .await
        .with_context(|| format!("loading the {label} data set"))?;
    if let Some(marker) = &marker {
        write_marker(marker, &dataset)?;
    }
    Ok(Prepared { dataset, temporary })
}

fn read_marker(path: &Path) -> anyhow::Result<Option<Kept>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_marker(path: &Path, d: &Dataset) -> anyhow::Result<()> {
    let kept = Kept {
        token: d.token.clone(),
        user_id: d.user_id,
        database_url: d.database_url.clone(),
        company_id: d.company_id,
        channel_id: d.channel_id,
        conversation_id: d.conversation_id,
        long_conversation_id: d.long_conversation_id,
        spec: spec_array(d.spec),
        load_seconds: d.load_seconds,
    };
    std::fs::write(path, serde_json::to_vec_pretty(&kept)?)
        .with_context(|| format!("writing {}", path.display()))
}
