//! Talking HTTP to a [`TestServer`]: requests with a token, every body encoding, and
//! answers as (status, JSON body); the paths the tests address.

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use super::TestServer;

/// Sends a request; returns the status and the body as JSON (`Value::Null` if not JSON).
pub async fn call(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body)
}

/// Like `call`, but a failed connection (the server was killed) is `None`, not a panic.
pub async fn call_soft(request: RequestBuilder) -> Option<(u16, Value)> {
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let text = response.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A raw request with the first user's token: the body bytes and an optional Content-Type.
pub async fn raw(
    srv: &TestServer,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = srv.req(method, path);
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    call(request.body(body)).await
}

impl TestServer {
    /// The full URL of `path` (which may carry a query).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the first user's token in the header.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("X-Private-Api-Token", &self.token)
    }

    /// A request with the given token in the header.
    pub fn req_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("X-Private-Api-Token", token)
    }

    /// GET with the first user's token.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        call(self.req(Method::GET, path)).await
    }

    /// A form-encoded request with the first user's token.
    pub async fn form(&self, method: Method, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        call(self.req(method, path).form(form)).await
    }

    /// A JSON request with the first user's token.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        call(self.req(method, path).json(&body)).await
    }

    /// Uploads `bytes` as the multipart part `file` (curl `-F` style) with `token`.
    pub async fn upload_as(
        &self,
        token: &str,
        company: i64,
        conversation: i64,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let path = attachments_path(company, conversation);
        call(self.req_as(token, Method::POST, &path).multipart(form)).await
    }
}

/// How [`TestServer::send_as`] carries its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Only in the query string, no body.
    Query,
    /// An `application/x-www-form-urlencoded` body.
    Form,
    /// A JSON object body whose values are all strings.
    Json,
    /// `multipart/form-data` text fields.
    Multipart,
}

impl Encoding {
    /// Every encoding, for table-driven tests.
    pub const ALL: [Encoding; 4] = [
        Encoding::Query,
        Encoding::Form,
        Encoding::Json,
        Encoding::Multipart,
    ];
}

impl TestServer {
    /// Sends `pairs` with the first user's token in the given encoding.
    pub async fn send_as(
        &self,
        method: Method,
        path: &str,
        encoding: Encoding,
        pairs: &[(&str, &str)],
    ) -> (u16, Value) {
        let request = self.req(method, path);
        let request = match encoding {
            Encoding::Query => request.query(pairs),
            Encoding::Form => request.form(pairs),
            Encoding::Json => {
                let object: serde_json::Map<String, Value> = pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                    .collect();
                request.json(&object)
            }
            Encoding::Multipart => {
                let form = pairs
                    .iter()
                    .fold(reqwest::multipart::Form::new(), |form, (k, v)| {
                        form.text((*k).to_owned(), (*v).to_owned())
                    });
                request.multipart(form)
            }
        };
        call(request).await
    }
}

/// An empty JSON object, for bodies.
pub fn empty() -> Value {
    json!({})
}

/// `/p1/companies/CID/conversations/ID/messages`.
pub fn messages_path(company: i64, conversation: i64) -> String {
    format!("/p1/companies/{company}/conversations/{conversation}/messages")
}

/// `/p1/companies/CID/conversations/ID/messages/attachments`, the upload.
pub fn attachments_path(company: i64, conversation: i64) -> String {
    format!("/p1/companies/{company}/conversations/{conversation}/messages/attachments")
}

/// `/p1/companies/CID/channels/CHID/jobs/ID`.
pub fn job_path(company: i64, channel: i64, job: i64) -> String {
    format!("/p1/companies/{company}/channels/{channel}/jobs/{job}")
}

/// The conversations list of a company.
pub fn list_path(company: i64) -> String {
    format!("/p1/companies/{company}/conversations")
}

/// One conversation of a company.
pub fn item_path(company: i64, conversation: i64) -> String {
    format!("/p1/companies/{company}/conversations/{conversation}")
}

/// The conversation ids of a list answer, in order.
pub fn ids(body: &Value) -> Vec<i64> {
    body["data"]["conversations"]
        .as_array()
        .expect("conversations list")
        .iter()
        .map(|c| c["external_id"].as_i64().expect("id"))
        .collect()
}
