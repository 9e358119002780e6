//! Attachment bytes in object storage (a local directory by default; S3 later), written
//! from spooled files in chunks so no upload is held in memory whole.

use std::path::Path;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use tokio::io::AsyncWriteExt;

/// Where attachment bytes live.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl Blobs {
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
}
