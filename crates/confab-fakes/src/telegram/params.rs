//! A method's parameters, from wherever the Bot API accepts them: the query string,
//! and a body that is `application/x-www-form-urlencoded`, `application/json` or
//! `multipart/form-data`.

use std::collections::{BTreeMap, HashMap};

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use serde_json::Value;

use super::error::ApiError;

/// The largest request body read; beyond it the answer is 413 (the real server's
/// limit is 50 MB per file).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A file part of a multipart body.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub bytes: Bytes,
}

/// The parameters of one call: plain values (strings from a query, form or multipart
/// body; typed values from a JSON body) and uploaded files.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: HashMap<String, Value>,
    files: HashMap<String, Upload>,
}

impl Params {
    /// Reads the query string, then the body (whose values win).
    pub async fn parse(
        query: Option<&str>,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Self, ApiError> {
        let mut params = Self::default();
        if let Some(query) = query {
            params.add_form(query.as_bytes());
        }
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| ApiError::too_large())?;
        if bytes.is_empty() {
            return Ok(params);
        }
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/json" => params.add_json(&bytes)?,
            "application/x-www-form-urlencoded" => params.add_form(&bytes),
            "multipart/form-data" => params.add_multipart(&content_type, bytes).await?,
            _ => {}
        }
        Ok(params)
    }

    fn add_form(&mut self, bytes: &[u8]) {
        for (key, value) in form_urlencoded::parse(bytes) {
            self.values
                .insert(key.into_owned(), Value::String(value.into_owned()));
        }
    }

    fn add_json(&mut self, bytes: &[u8]) -> Result<(), ApiError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|_| ApiError::bad_request("can't parse JSON object"))?;
        let Value::Object(map) = value else {
            return Err(ApiError::bad_request("can't parse JSON object"));
        };
        self.values.extend(map);
        Ok(())
    }

    async fn add_multipart(&mut self, content_type: &str, bytes: Bytes) -> Result<(), ApiError> {
        let boundary = multer::parse_boundary(content_type)
            .map_err(|_| ApiError::bad_request("invalid multipart boundary"))?;
        let stream =
            futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(bytes) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(()),
                Err(_) => return Err(ApiError::bad_request("can't parse multipart body")),
            };
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            let file_name = field.file_name().map(str::to_owned);
            let mime_type = field.content_type().map(ToString::to_string);
            let data = field
                .bytes()
                .await
                .map_err(|_| ApiError::bad_request("can't parse multipart body"))?;
            // Like the real server: a part with a file name is a file, the rest are values.
            if file_name.is_some() {
                self.files.insert(
                    name,
                    Upload {
                        file_name,
                        mime_type,
                        bytes: data,
                    },
                );
            } else {
                let text = String::from_utf8_lossy(&data).into_owned();
                self.values.insert(name, Value::String(text));
            }
        }
    }

    /// A value as text: strings as they are, other JSON values rendered as JSON.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.values.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// An integer value; `Err` when present but not an integer.
    pub fn i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("invalid {name} specified"))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid {name} specified"))),
            Some(_) => Err(ApiError::bad_request(format!("invalid {name} specified"))),
        }
    }

    /// A boolean value (`true`/`false`/`1`/`0`); anything else counts as false.
    pub fn bool(&self, name: &str) -> bool {
        match self.values.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
            Some(Value::String(s)) => {
                matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1")
            }
            _ => false,
        }
    }

    /// A JSON value: typed in a JSON body, JSON-encoded text elsewhere.
    pub fn json(&self, name: &str) -> Option<Value> {
        match self.values.get(name)? {
            Value::Null => None,
            Value::String(s) => serde_json::from_str(s).ok(),
            other => Some(other.clone()),
        }
    }

    /// A list of strings such as `allowed_updates`; `None` when absent.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        if !self.values.contains_key(name) {
            return Ok(None);
        }
        match self.json(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect(),
            )),
            Some(_) => Err(ApiError::bad_request(format!(
                "can't parse {name} JSON array"
            ))),
        }
    }

    /// An uploaded file.
    pub fn upload(&self, name: &str) -> Option<&Upload> {
        self.files.get(name)
    }

    /// Every value as text, for the record of a sent message.
    pub fn to_text_map(&self) -> BTreeMap<String, String> {
        self.values
            .keys()
            .filter_map(|key| self.str(key).map(|value| (key.clone(), value)))
            .collect()
    }
}
