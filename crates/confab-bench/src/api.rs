//! The few ordinary HTTP calls the runner makes itself (reqwest): probing an endpoint
//! once, walking the conversations list, uploading and downloading a large file.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;

use crate::endpoints::{TOKEN_HEADER, encode};
use crate::wrk::{Body, Request};

/// A client for loopback calls (no proxy, generous timeouts for 1 GB transfers).
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(600))
        .build()?)
}

/// Sends `request` once to `base` as wrk would (with phone digits `9…` for a
/// unique-phone body, a thread number wrk never uses) and returns the status and body.
pub async fn probe(
    client: &reqwest::Client,
    base: &str,
    request: &Request,
) -> anyhow::Result<(u16, Vec<u8>)> {
    let url = format!("{base}{}", request.path);
    let mut builder = match request.method {
        "GET" => client.get(&url),
        "POST" => client.post(&url),
        other => anyhow::bail!("unsupported method {other}"),
    };
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    builder = match &request.body {
        Body::None => builder,
        Body::Fixed { file, content_type } => builder
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(std::fs::read(file).with_context(|| format!("reading {}", file.display()))?),
        Body::UniquePhone { prefix, run_digits } => builder
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!("{prefix}{run_digits}90000000")),
        Body::Spread { fixed: None, .. } => builder,
        Body::Spread {
            fixed: Some((file, content_type)),
            ..
        } => builder
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(std::fs::read(file).with_context(|| format!("reading {}", file.display()))?),
    };
    let response = builder
        .send()
        .await
        .with_context(|| format!("{} {url}", request.method))?;
    let status = response.status().as_u16();
    let body = response.bytes().await?.to_vec();
    Ok((status, body))
}

/// GETs `path` and returns the JSON answer's `data`, failing on any non-200.
pub async fn get_data(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> anyhow::Result<serde_json::Value> {
    let response = client
        .get(format!("{base}{path}"))
        .header(TOKEN_HEADER, token)
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    let (mut json, text) = success_json(response, "GET", path).await?;
    json.get_mut("data")
        .map(serde_json::Value::take)
        .ok_or_else(|| anyhow::anyhow!("GET {path} has no data: {text}"))
}

/// The JSON body of a 2xx answer to `method path` (and its text, for messages); any other
/// status is an error that quotes the body.
async fn success_json(
    response: reqwest::Response,
    method: &str,
    path: &str,
) -> anyhow::Result<(serde_json::Value, String)> {
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "{method} {path}: {status}: {text}");
    let json = serde_json::from_str(&text)
        .with_context(|| format!("{method} {path} is not JSON: {text}"))?;
    Ok((json, text))
}

/// The `from` token of the conversations page `pages_in` pages (of 50) into `company`'s
/// list, following `next_page` through the real server; `None` when the list ends first
/// or `pages_in` is 0.
pub async fn deep_page_token(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    company: i64,
    pages_in: u64,
) -> anyhow::Result<Option<String>> {
    deep_page_token_of(client, base, token, company, "", pages_in).await
}

/// [`deep_page_token`] of the list shaped by `query` (further parameters such as
/// `&order=last_message`, each starting with `&`, encoded), whose tokens are its own.
pub async fn deep_page_token_of(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    company: i64,
    query: &str,
    pages_in: u64,
) -> anyhow::Result<Option<String>> {
    let mut from: Option<String> = None;
    for _ in 0..pages_in {
        let mut path = format!("/p1/companies/{company}/conversations?per=50{query}");
        if let Some(f) = &from {
            path.push_str(&format!("&from={}", encode(f)));
        }
        let data = get_data(client, base, token, &path).await?;
        match data.get("next_page").and_then(serde_json::Value::as_str) {
            Some(next) => from = Some(next.to_owned()),
            None => return Ok(None),
        }
    }
    Ok(from)
}

/// The contact (`sender_external_id`) of a conversation.
pub async fn conversation_sender(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    company: i64,
    conversation: i64,
) -> anyhow::Result<String> {
    let path = format!("/p1/companies/{company}/conversations/{conversation}");
    let data = get_data(client, base, token, &path).await?;
    data.pointer("/conversation/sender_external_id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("GET {path} has no conversation.sender_external_id"))
}

/// Uploads `file` (streamed from disk, multipart) as an attachment of `conversation`;
/// returns the attachment id.
pub async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    (company, conversation): (i64, i64),
    file: &Path,
) -> anyhow::Result<i64> {
    let form = reqwest::multipart::Form::new()
        .file("file", file)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    let path = format!("/p1/companies/{company}/conversations/{conversation}/messages/attachments");
    let response = client
        .post(format!("{base}{path}"))
        .header(TOKEN_HEADER, token)
        .multipart(form)
        .send()
        .await
        .with_context(|| format!("POST {path}"))?;
    let (json, text) = success_json(response, "POST", &path).await?;
    json.pointer("/data/external_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| anyhow::anyhow!("POST {path} answered no data.external_id: {text}"))
}

/// Downloads an attachment, discarding the bytes as they come; returns how many came.
pub async fn download(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    (company, conversation): (i64, i64),
    attachment: i64,
) -> anyhow::Result<u64> {
    let path =
        format!("/p1/companies/{company}/conversations/{conversation}/attachments/{attachment}");
    let mut response = client
        .get(format!("{base}{path}"))
        .header(TOKEN_HEADER, token)
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "GET {path}: {}",
        response.status()
    );
    let mut received = 0u64;
    while let Some(chunk) = response.chunk().await? {
        received += chunk.len() as u64;
    }
    Ok(received)
}

/// POSTs `form` to `path` and returns the JSON answer's `data`, failing on any non-2xx.
pub async fn post_form(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<serde_json::Value> {
    let response = client
        .post(format!("{base}{path}"))
        .header(TOKEN_HEADER, token)
        .form(form)
        .send()
        .await
        .with_context(|| format!("POST {path}"))?;
    let (mut json, text) = success_json(response, "POST", path).await?;
    json.get_mut("data")
        .map(serde_json::Value::take)
        .ok_or_else(|| anyhow::anyhow!("POST {path} has no data: {text}"))
}

/// The `external_id` of a `data` answer (a created company, channel, ...).
fn external_id(data: &serde_json::Value, what: &str) -> anyhow::Result<i64> {
    data.get("external_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| anyhow::anyhow!("creating {what} answered no external_id: {data}"))
}

/// Creates a company whose webhooks go to `webhook_url` (confab checks it with Pact's
/// test request first); returns its id.
pub async fn create_company(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    name: &str,
    webhook_url: &str,
) -> anyhow::Result<i64> {
    let form = [("name", name), ("webhook_url", webhook_url)];
    let data = post_form(client, base, token, "/p1/companies", &form).await?;
    external_id(&data, "a company")
}

/// Connects a channel of `company` (`provider` and its credentials in `form`); returns
/// its id.
pub async fn create_channel(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    company: i64,
    form: &[(&str, &str)],
) -> anyhow::Result<i64> {
    let path = format!("/p1/companies/{company}/channels");
    let data = post_form(client, base, token, &path, form).await?;
    external_id(&data, "a channel")
}

/// Every conversation of `company` as (`sender_external_id`, id), following `next_page`.
pub async fn conversations(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    company: i64,
) -> anyhow::Result<Vec<(String, i64)>> {
    let mut all = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let mut path = format!("/p1/companies/{company}/conversations?per=100");
        if let Some(f) = &from {
            path.push_str(&format!("&from={}", encode(f)));
        }
        let data = get_data(client, base, token, &path).await?;
        let page = data
            .get("conversations")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| anyhow::anyhow!("GET {path} has no data.conversations"))?;
        for c in page {
            let sender = c
                .get("sender_external_id")
                .and_then(serde_json::Value::as_str);
            let id = c.get("external_id").and_then(serde_json::Value::as_i64);
            if let (Some(sender), Some(id)) = (sender, id) {
                all.push((sender.to_owned(), id));
            }
        }
        match data.get("next_page").and_then(serde_json::Value::as_str) {
            Some(next) => from = Some(next.to_owned()),
            None => return Ok(all),
        }
    }
}
