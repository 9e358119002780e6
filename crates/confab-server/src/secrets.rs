//! Channel secrets at rest: bot tokens, app secrets, passwords and webhook secrets are
//! sealed with XChaCha20-Poly1305 before they reach the database, and opened only where a
//! connector needs them. The key comes from `--secret-key` (several nodes share it that
//! way) or, for the embedded default, from a key file generated in the data dir.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde_json::{Map, Value};

/// Channel settings that are secrets: sealed at rest, never answered.
pub const SECRET_SETTINGS: &[&str] = &[
    "token",
    "password",
    "app_secret",
    "webhook_secret",
    "verify_token",
];

/// What a sealed value starts with; the rest is base64 of nonce and ciphertext.
const PREFIX: &str = "sealed:v1:";
/// The key file's name in the data dir.
pub const KEY_FILE: &str = "secret.key";
/// XChaCha20's nonce length.
const NONCE_LEN: usize = 24;

/// Seals and opens secrets with the server's key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// A sealed value that does not open with this key.
#[derive(Debug, thiserror::Error)]
#[error(
    "a stored secret cannot be decrypted with this server's key \
     (was --secret-key / CONFAB_SECRET_KEY changed?)"
)]
pub struct WrongKey;

impl SecretBox {
    /// A box with a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// The key from `--secret-key` (base64 of 32 bytes) when given, else the data dir's
    /// key file, created (mode 0600) on first start.
    ///
    /// # Errors
    /// When the given key is not base64 of 32 bytes, or the key file cannot be read or
    /// written.
    pub fn load(secret_key: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(text) = secret_key {
            return Ok(Self::new(&decode_key(text).context(
                "--secret-key (CONFAB_SECRET_KEY) must be 32 bytes in base64, \
                 e.g. the output of `openssl rand -base64 32`",
            )?));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Self::new(&decode_key(&text).with_context(|| {
                format!("{} must hold 32 bytes in base64", path.display())
            })?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_key_file(&path, &STANDARD.encode(key))?;
                tracing::info!(path = %path.display(), "generated the key that encrypts channel secrets; back it up with the data dir");
                Ok(Self::new(&key))
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// `plain`, sealed.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption of an in-memory buffer only fails for absurd lengths.
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .unwrap_or_default();
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(raw))
    }

    /// The plain text of a sealed value; a value that was never sealed (written before
    /// secrets were encrypted) is answered as it is.
    ///
    /// # Errors
    /// When the value was sealed with another key or is damaged.
    pub fn open(&self, stored: &str) -> Result<String, WrongKey> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let raw = STANDARD.decode(encoded).map_err(|_| WrongKey)?;
        if raw.len() < NONCE_LEN {
            return Err(WrongKey);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| WrongKey)?;
        String::from_utf8(plain).map_err(|_| WrongKey)
    }

    /// Seals every secret setting that is not sealed yet; true when something changed.
    pub fn seal_settings(&self, settings: &mut Map<String, Value>) -> bool {
        let mut changed = false;
        for name in SECRET_SETTINGS {
            if let Some(Value::String(v)) = settings.get_mut(*name)
                && !is_sealed(v)
            {
                *v = self.seal(v);
                changed = true;
            }
        }
        changed
    }

    /// The plain text of secret setting `name`, when the channel has it.
    ///
    /// # Errors
    /// When it was sealed with another key.
    pub fn open_setting(
        &self,
        settings: &Map<String, Value>,
        name: &str,
    ) -> Result<Option<String>, WrongKey> {
        match settings.get(name) {
            Some(Value::String(v)) => self.open(v).map(Some),
            _ => Ok(None),
        }
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

fn decode_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let raw = STANDARD.decode(text.trim()).context("not valid base64")?;
    raw.try_into()
        .map_err(|raw: Vec<u8>| anyhow::anyhow!("{} bytes instead of 32", raw.len()))
}

fn write_key_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Seals the secrets of channels stored before secrets were encrypted (or by a server
/// without this code); answers how many channels changed.
///
/// # Errors
/// When the store fails.
pub async fn seal_stored(
    store: &dyn confab_store::Store,
    secrets: &SecretBox,
) -> anyhow::Result<u64> {
    let mut after = 0;
    let mut changed = 0;
    loop {
        let page = store.all_channels(after, 200).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for channel in page {
            let mut settings = channel.settings;
            if secrets.seal_settings(&mut settings) {
                store.replace_channel_settings(channel.id, settings).await?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn seals_and_opens() {
        let b = SecretBox::new(&[7; 32]);
        let sealed = b.seal("123:ABC");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("123:ABC"));
        assert_ne!(sealed, b.seal("123:ABC"), "a fresh nonce every time");
        assert_eq!(b.open(&sealed).unwrap(), "123:ABC");
        assert_eq!(b.open("plain").unwrap(), "plain");
        assert!(SecretBox::new(&[8; 32]).open(&sealed).is_err());
    }

    #[test]
    fn seals_only_secret_settings_once() {
        let b = SecretBox::new(&[1; 32]);
        let mut s = Map::new();
        s.insert("token".into(), Value::from("t"));
        s.insert("phone".into(), Value::from("79990000000"));
        assert!(b.seal_settings(&mut s));
        assert!(!b.seal_settings(&mut s), "already sealed");
        assert_eq!(s["phone"], "79990000000");
        assert_eq!(b.open_setting(&s, "token").unwrap().as_deref(), Some("t"));
    }

    #[test]
    fn key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretBox::load(None, dir.path()).unwrap();
        let b = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(b.open(&a.seal("x")).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(SecretBox::load(Some("short"), dir.path()).is_err());
    }
}
