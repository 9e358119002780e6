//! Attachment bytes in object storage (a local directory by default, or S3-compatible
//! storage shared by several nodes), written from spooled files in chunks so no upload is
//! held in memory whole, and read back as streams.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use futures_util::TryStreamExt;
use object_store::ObjectStore;
use object_store::ObjectStoreExt;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use tokio::io::AsyncWriteExt;

/// Where attachment bytes live.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl Blobs {
    /// The storage `blob_url` names: `s3://bucket[/prefix]`, configured by the usual
    /// `AWS_*` variables, or `blobs/` in `data_dir` when it is unset.
    ///
    /// # Errors
    /// When the URL is not understood or the local directory cannot be used.
    pub fn open(blob_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        match blob_url {
            None => Self::local(&data_dir.join("blobs")),
            Some(url) => Self::s3(url),
        }
    }

    /// Blobs in an S3-compatible bucket, under the URL's path as a prefix.
    ///
    /// # Errors
    /// When the URL is not `s3://bucket[/prefix]` or the settings are incomplete.
    pub fn s3(url: &str) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).with_context(|| format!("--blob-url {url:?}"))?;
        if parsed.scheme() != "s3" {
            anyhow::bail!(
                "--blob-url {url:?}: unsupported scheme {:?}; use s3://bucket/prefix, or leave \
                 it unset for the data dir",
                parsed.scheme()
            );
        }
        let bucket = parsed
            .host_str()
            .filter(|b| !b.is_empty())
            .with_context(|| format!("--blob-url {url:?} names no bucket"))?;
        let s3 = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .with_context(|| format!("--blob-url {url:?}"))?;
        let prefix = parsed.path().trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(Self { store })
    }

    /// Blobs in a local directory (created when missing).
    ///
    /// # Errors
    /// When the directory cannot be created or used.
    pub fn local(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// Copies the file at `path` into the blob `key`.
    ///
    /// # Errors
    /// When the file cannot be read or the store refuses the write.
    pub async fn put_file(&self, key: &str, path: &Path) -> anyhow::Result<()> {
        let mut file = tokio::fs::File::open(path).await?;
        let mut writer = BufWriter::new(self.store.clone(), ObjectPath::from(key));
        if let Err(e) = tokio::io::copy(&mut file, &mut writer).await {
            writer.abort().await.ok();
            return Err(e.into());
        }
        writer.shutdown().await?;
        Ok(())
    }

    /// Stores `bytes` as the blob `key` (a file a connector downloaded into memory).
    ///
    /// # Errors
    /// When the store refuses the write.
    pub async fn put_bytes(&self, key: &str, bytes: bytes::Bytes) -> anyhow::Result<()> {
        self.store
            .put(
                &ObjectPath::from(key),
                object_store::PutPayload::from(bytes),
            )
            .await?;
        Ok(())
    }

    /// Removes a blob; used to undo a write whose database row could not be stored.
    ///
    /// # Errors
    /// When the store refuses the delete.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.store.delete(&ObjectPath::from(key)).await?;
        Ok(())
    }

    /// The blob's bytes as a stream, for answers that must not hold a file in memory.
    ///
    /// # Errors
    /// When the blob is missing or unreadable.
    pub async fn stream(
        &self,
        key: &str,
    ) -> anyhow::Result<
        impl futures_util::Stream<Item = Result<bytes::Bytes, object_store::Error>> + use<>,
    > {
        Ok(self.store.get(&ObjectPath::from(key)).await?.into_stream())
    }

    /// The whole blob's bytes (for small blobs and tests).
    ///
    /// # Errors
    /// When the blob is missing or unreadable.
    pub async fn read_all(&self, key: &str) -> anyhow::Result<bytes::Bytes> {
        Ok(self
            .store
            .get(&ObjectPath::from(key))
            .await?
            .bytes()
            .await?)
    }

    /// The keys of every blob under `prefix` (`""` for all), sorted.
    ///
    /// # Errors
    /// When the store cannot be listed.
    pub async fn keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let prefix = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
        let mut keys: Vec<String> = self
            .store
            .list(prefix.as_ref())
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await?;
        keys.sort();
        Ok(keys)
    }
}
