//! Where spread load goes: many conversations of the measured company, and conversations
//! of every company, found through the API as any client would find them (so the bench
//! assumes nothing about how the loader numbered the rows).

use anyhow::Context as _;

use crate::endpoints::{TOKEN_HEADER, encode};

/// Conversations the `send` endpoint spreads over in the measured company (the issue's
/// figure: a busy company's active conversations).
pub const COMPANY_CONVERSATIONS: usize = 1_000;
/// Conversations taken from each company for `send_spread`: a list page's worth, so a
/// full-scale run of 100 companies still spreads over 10,000 rows.
pub const PER_COMPANY: usize = 100;

/// Conversations to spread load over, as `(company_id, conversation_id)`.
#[derive(Debug, Clone, Default)]
pub struct Conversations {
    /// Up to [`COMPANY_CONVERSATIONS`] of the measured company.
    pub company: Vec<(i64, i64)>,
    /// Up to [`PER_COMPANY`] of every company the token's user belongs to.
    pub all: Vec<(i64, i64)>,
}

impl Conversations {
    /// The message-send paths of `list`.
    pub fn send_paths(list: &[(i64, i64)]) -> Vec<String> {
        list.iter()
            .map(|(company, id)| format!("/p1/companies/{company}/conversations/{id}/messages"))
            .collect()
    }

    /// The details paths of `list`.
    pub fn details_paths(list: &[(i64, i64)]) -> Vec<String> {
        list.iter()
            .map(|(company, id)| format!("/p1/companies/{company}/conversations/{id}"))
            .collect()
    }
}

/// GETs `path` and returns its `data`, failing on anything but a 2xx JSON answer.
async fn data(
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
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "GET {path}: {status}: {text}");
    let mut json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("GET {path} is not JSON"))?;
    json.get_mut("data")
        .map(serde_json::Value::take)
        .ok_or_else(|| anyhow::anyhow!("GET {path} has no data"))
}

/// Walks `collection` (`/p1/...?per=100`) taking `external_id`s of the items under `key`,
/// until `limit` or the list's end.
async fn ids(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    collection: &str,
    key: &str,
    limit: usize,
) -> anyhow::Result<Vec<i64>> {
    let mut out = Vec::new();
    let mut from: Option<String> = None;
    while out.len() < limit {
        let mut path = format!("{collection}?per=100");
        if let Some(f) = &from {
            path.push_str(&format!("&from={}", encode(f)));
        }
        let data = data(client, base, token, &path).await?;
        let page = data
            .get(key)
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| anyhow::anyhow!("GET {path} has no data.{key}"))?;
        out.extend(
            page.iter()
                .filter_map(|item| item.get("external_id").and_then(serde_json::Value::as_i64))
                .take(limit - out.len()),
        );
        match data.get("next_page").and_then(serde_json::Value::as_str) {
            Some(next) => from = Some(next.to_owned()),
            None => break,
        }
    }
    Ok(out)
}

/// The conversations to spread over, asked of the server at `base`.
pub async fn find(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    company_id: i64,
) -> anyhow::Result<Conversations> {
    let of = |company: i64, limit: usize| async move {
        let collection = format!("/p1/companies/{company}/conversations");
        let list = ids(client, base, token, &collection, "conversations", limit).await?;
        anyhow::Ok(list.into_iter().map(|id| (company, id)).collect::<Vec<_>>())
    };
    let company = of(company_id, COMPANY_CONVERSATIONS).await?;
    let mut all = Vec::new();
    for other in ids(
        client,
        base,
        token,
        "/p1/companies",
        "companies",
        usize::MAX,
    )
    .await?
    {
        all.extend(of(other, PER_COMPANY).await?);
    }
    anyhow::ensure!(
        !company.is_empty() && !all.is_empty(),
        "the data set has no conversations to spread sends over"
    );
    Ok(Conversations { company, all })
}
