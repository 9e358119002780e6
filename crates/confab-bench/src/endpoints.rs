//! The measured endpoints: what wrk sends to each, built from the loaded data set.

use std::path::Path;

use anyhow::Context as _;

use crate::dataset::Dataset;
use crate::wrk::{Body, Request};

/// The header that carries the API token.
pub const TOKEN_HEADER: &str = "X-Private-Api-Token";
/// Size of the uploaded file in the attachment scenario.
const UPLOAD_BYTES: usize = 1 << 20;
/// The multipart boundary of the upload body.
const BOUNDARY: &str = "confab-bench-5e1f0b7a";

/// One measured endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Short key, used in the JSON and the goals.
    pub key: &'static str,
    /// What the row is called in the tables and the chart.
    pub label: &'static str,
    /// A durable write: reported beside the same run's fdatasync rate.
    pub durable: bool,
    /// What wrk sends.
    pub request: Request,
}

/// Where the measured rows are, and who may read them.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The data set.
    pub dataset: &'a Dataset,
    /// A deep `from` token of the measured company's conversations list.
    pub deep_page_token: Option<&'a str>,
    /// The contact of the ordinary conversation (the sandbox inbound sender).
    pub sender_external_id: &'a str,
    /// Digits unique to this run, so new contacts never collide with earlier runs'.
    pub run_digits: &'a str,
    /// Conversations the spread sends go to.
    pub spread: &'a crate::spread::Conversations,
}

/// A form body, `application/x-www-form-urlencoded`.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a form value (spaces as `+`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A multipart body with one `file` part of `size` bytes.
fn multipart_file(size: usize) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    // Varied bytes, so nothing on the way can shortcut a run of zeros.
    body.extend((0..size).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Writes `bytes` to `work_dir/name` and returns a fixed body reading it.
fn fixed(work_dir: &Path, name: &str, bytes: &[u8], content_type: &str) -> anyhow::Result<Body> {
    let file = work_dir.join(name);
    std::fs::write(&file, bytes).with_context(|| format!("writing {}", file.display()))?;
    Ok(Body::Fixed {
        file,
        content_type: content_type.to_owned(),
    })
}

/// The token header of `dataset`.
fn auth(dataset: &Dataset) -> Vec<(String, String)> {
    vec![(TOKEN_HEADER.to_owned(), dataset.token.clone())]
}

/// A text like a real operator's answer (about 100 characters).
const MESSAGE: &str = "Hello! Your order #48213 has shipped today; the courier will call you \
                       before delivery. Anything else?";

/// The read endpoints: details, the list's first and a deep page, a long conversation's
/// messages.
pub fn reads(t: &Target<'_>) -> Vec<Endpoint> {
    let d = t.dataset;
    let company = format!("/p1/companies/{}", d.company_id);
    let get = |path: String| Request {
        method: "GET",
        path,
        headers: auth(d),
        body: Body::None,
    };
    let mut out = vec![
        Endpoint {
            key: "details",
            label: "GET conversation",
            durable: false,
            request: get(format!("{company}/conversations/{}", d.conversation_id)),
        },
        Endpoint {
            key: "list_first",
            label: "GET conversations (page 1)",
            durable: false,
            request: get(format!("{company}/conversations?per=50")),
        },
    ];
    if let Some(token) = t.deep_page_token {
        out.push(Endpoint {
            key: "list_deep",
            label: "GET conversations (deep page)",
            durable: false,
            request: get(format!(
                "{company}/conversations?per=50&from={}",
                encode(token)
            )),
        });
    }
    out.push(Endpoint {
        key: "messages",
        label: "GET messages (long conversation)",
        durable: false,
        request: get(format!(
            "{company}/conversations/{}/messages?per=50",
            d.long_conversation_id
        )),
    });
    out
}

/// The durable writes: send, start a conversation, upload, sandbox inbound.
pub fn writes(t: &Target<'_>, work_dir: &Path) -> anyhow::Result<Vec<Endpoint>> {
    let d = t.dataset;
    let company = format!("/p1/companies/{}", d.company_id);
    let conversation = format!("{company}/conversations/{}", d.conversation_id);
    let form_type = "application/x-www-form-urlencoded";
    let post = |path: String, body: Body| Request {
        method: "POST",
        path,
        headers: auth(d),
        body,
    };
    let send_file = work_dir.join("send.body");
    std::fs::write(&send_file, form(&[("message", MESSAGE)]))
        .with_context(|| format!("writing {}", send_file.display()))?;
    let send_body = Body::Fixed {
        file: send_file.clone(),
        content_type: form_type.to_owned(),
    };
    // The same body, each request to the next conversation of `list`.
    let spread_post = |list: &[(i64, i64)]| -> anyhow::Result<Request> {
        let paths = crate::spread::Conversations::send_paths(list);
        let first = paths
            .first()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no conversations to spread sends over"))?;
        Ok(post(
            first,
            Body::Spread {
                paths,
                fixed: Some((send_file.clone(), form_type.to_owned())),
            },
        ))
    };
    Ok(vec![
        Endpoint {
            // Every request to one conversation: 64 connections contend for one row.
            key: "send_hot",
            label: "POST message (one conversation)",
            durable: true,
            request: post(format!("{conversation}/messages"), send_body),
        },
        Endpoint {
            key: "send",
            label: "POST message (up to 1,000 conversations of a company)",
            durable: true,
            request: spread_post(&t.spread.company)?,
        },
        Endpoint {
            key: "send_spread",
            label: "POST message (up to 100 conversations of every company)",
            durable: true,
            request: spread_post(&t.spread.all)?,
        },
        Endpoint {
            key: "create_conversation",
            label: "POST conversation",
            durable: true,
            request: post(
                format!("{company}/conversations"),
                Body::UniquePhone {
                    prefix: format!(
                        "{}&phone=",
                        form(&[("provider", "whatsapp"), ("text", MESSAGE)])
                    ),
                    run_digits: t.run_digits.to_owned(),
                },
            ),
        },
        Endpoint {
            key: "upload",
            label: "POST attachment (1 MB)",
            durable: true,
            request: post(
                format!("{conversation}/messages/attachments"),
                fixed(
                    work_dir,
                    "upload.body",
                    &multipart_file(UPLOAD_BYTES),
                    &format!("multipart/form-data; boundary={BOUNDARY}"),
                )?,
            ),
        },
        Endpoint {
            key: "inbound",
            label: "POST sandbox inbound",
            durable: true,
            request: post(
                format!("{company}/channels/{}/sandbox/inbound", d.channel_id),
                fixed(
                    work_dir,
                    "inbound.body",
                    form(&[
                        ("sender_external_id", t.sender_external_id),
                        ("name", "Ivan"),
                        ("message", "Is it possible to change the delivery address?"),
                    ])
                    .as_bytes(),
                    form_type,
                )?,
            ),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_encoded() {
        assert_eq!(form(&[("text", "a b&c=d/é")]), "text=a+b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn multipart_has_one_file_part_of_the_size() {
        let body = multipart_file(1000);
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{BOUNDARY}\r\n")));
        assert!(text.ends_with(&format!("\r\n--{BOUNDARY}--\r\n")));
        let head = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let tail = format!("\r\n--{BOUNDARY}--\r\n").len();
        assert_eq!(body.len() - head - tail, 1000);
    }
}
