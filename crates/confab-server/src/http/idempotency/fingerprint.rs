//! The fingerprint of a request: what makes a retry "the same request" for its key.

use axum::http::{Method, Uri};
use sha2::{Digest, Sha256};

/// SHA-256 (hex) over the method, the path, the query string and the body.
///
/// Hashing the bytes the parameters are read from covers the merged parameters (path <
/// query < body) exactly: two requests with equal bytes have equal parameters, and no
/// parsing is done twice. A retry is a copy of the first request, so its bytes are equal.
/// The exception is multipart: its boundary is random per encoding, and a client that
/// rebuilds the form for a retry sends other bytes; so a multipart body is hashed part by
/// part (name, file name, type and the SHA-256 of the content), without the boundary.
pub async fn of(method: &Method, uri: &Uri, content_type: Option<&str>, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    field(&mut hash, method.as_str().as_bytes());
    field(&mut hash, uri.path().as_bytes());
    field(&mut hash, uri.query().unwrap_or("").as_bytes());
    match multipart_parts(content_type, body).await {
        Some(parts) => {
            field(&mut hash, b"multipart");
            for part in parts {
                field(&mut hash, &part);
            }
        }
        None => {
            field(&mut hash, b"raw");
            field(&mut hash, body);
        }
    }
    hex(&hash.finalize())
}

/// Each field with its length first, so that no two different sequences hash alike.
fn field(hash: &mut Sha256, bytes: &[u8]) {
    hash.update((bytes.len() as u64).to_be_bytes());
    hash.update(bytes);
}

/// The parts of a multipart `body` as boundary-free digests, or `None` when it is not a
/// readable multipart body (then its raw bytes are hashed, and the route answers the 400).
async fn multipart_parts(content_type: Option<&str>, body: &[u8]) -> Option<Vec<Vec<u8>>> {
    let boundary = multer::parse_boundary(content_type?).ok()?;
    let chunk: Result<bytes::Bytes, std::io::Error> = Ok(bytes::Bytes::copy_from_slice(body));
    let mut multipart = multer::Multipart::new(futures_util::stream::iter([chunk]), boundary);
    let mut parts = Vec::new();
    while let Some(part) = multipart.next_field().await.ok()? {
        let mut digest = Sha256::new();
        field(&mut digest, part.name().unwrap_or("").as_bytes());
        field(&mut digest, part.file_name().unwrap_or("").as_bytes());
        let kind = part
            .content_type()
            .map(ToString::to_string)
            .unwrap_or_default();
        field(&mut digest, kind.as_bytes());
        let content = part.bytes().await.ok()?;
        field(&mut digest, &Sha256::digest(&content));
        parts.push(digest.finalize().to_vec());
    }
    Some(parts)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multipart(boundary: &str, text: &str) -> Vec<u8> {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n{text}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nfile bytes\r\n--{boundary}--\r\n"
        )
        .into_bytes()
    }

    #[tokio::test]
    async fn multipart_boundaries_do_not_matter_but_parts_do() {
        let uri: Uri = "/p1/companies/1/conversations/2/messages"
            .parse()
            .expect("uri");
        let a = of(
            &Method::POST,
            &uri,
            Some("multipart/form-data; boundary=aaa"),
            &multipart("aaa", "hi"),
        )
        .await;
        let b = of(
            &Method::POST,
            &uri,
            Some("multipart/form-data; boundary=bbb"),
            &multipart("bbb", "hi"),
        )
        .await;
        let c = of(
            &Method::POST,
            &uri,
            Some("multipart/form-data; boundary=bbb"),
            &multipart("bbb", "ho"),
        )
        .await;
        assert_eq!(a, b);
        assert_ne!(b, c);
    }

    #[tokio::test]
    async fn method_path_query_and_body_all_count() {
        let uri: Uri = "/p1/companies/1?x=1".parse().expect("uri");
        let other: Uri = "/p1/companies/1?x=2".parse().expect("uri");
        let base = of(&Method::POST, &uri, None, b"a=1").await;
        assert_eq!(base, of(&Method::POST, &uri, None, b"a=1").await);
        assert_ne!(base, of(&Method::PUT, &uri, None, b"a=1").await);
        assert_ne!(base, of(&Method::POST, &other, None, b"a=1").await);
        assert_ne!(base, of(&Method::POST, &uri, None, b"a=2").await);
    }
}
