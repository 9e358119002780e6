//! Memory: RSS growth of the server while a large attachment is uploaded (streamed,
//! multipart) and downloaded back, sampled every 50 ms.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;

use super::Ctx;
use crate::api;
use crate::dataset::Dataset;
use crate::procfs::{self, Memory, RssSampler};
use crate::report::{MemoryReport, Transfer};
use crate::server::Server;

/// Writes a file of `bytes` varied bytes (1 MiB blocks, each a little different).
fn generate(path: &Path, bytes: u64) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut block: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left.min(block.len() as u64))?;
        out.write_all(&block[..n])?;
        left -= n as u64;
        block.rotate_left(7);
    }
    out.flush()?;
    Ok(())
}

/// Runs `transfer` while sampling the server's RSS.
async fn sampled<T>(
    pid: u32,
    transfer: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(T, Transfer)> {
    let before = procfs::memory(pid)?.rss_kib;
    let sampler = RssSampler::start(pid);
    let started = Instant::now();
    let result = transfer.await;
    let seconds = started.elapsed().as_secs_f64();
    let peak = sampler.stop(pid).await;
    Ok((
        result?,
        Transfer {
            seconds,
            rss_before_kib: before,
            rss_peak_kib: peak,
            growth_kib: peak.saturating_sub(before),
        },
    ))
}

/// Uploads and downloads a file of the configured size through `server`.
pub async fn measure(
    ctx: &Ctx,
    dataset: &Dataset,
    server: &Server,
    idle: Memory,
    under_load_peak_kib: Option<u64>,
) -> anyhow::Result<MemoryReport> {
    let bytes = ctx.settings.memory_file_bytes;
    let file = ctx.work.join("large-attachment.bin");
    tokio::task::spawn_blocking({
        let file = file.clone();
        move || generate(&file, bytes)
    })
    .await
    .context("generating the large file panicked")??;
    let base = server.base();
    let ids = (dataset.company_id, dataset.conversation_id);
    procfs::wait_for_idle(ctx.settings.idle_wait, &[server.pid]).await?;
    eprintln!("-- upload of {} MiB", bytes >> 20);
    let (attachment, upload) = sampled(
        server.pid,
        api::upload(&ctx.client, &base, &dataset.token, ids, &file),
    )
    .await?;
    // The file is no longer needed; do not keep a gigabyte in /tmp during the download.
    std::fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
    eprintln!("-- download of {} MiB", bytes >> 20);
    let (received, download) = sampled(
        server.pid,
        api::download(&ctx.client, &base, &dataset.token, ids, attachment),
    )
    .await?;
    anyhow::ensure!(
        received == bytes,
        "the download gave {received} bytes of the {bytes} uploaded"
    );
    eprintln!(
        "   RSS +{} KiB uploading, +{} KiB downloading",
        upload.growth_kib, download.growth_kib
    );
    Ok(MemoryReport {
        idle,
        under_load_peak_kib,
        file_bytes: bytes,
        upload,
        download,
    })
}
