//! The merged Pact parameter extractor.
//!
//! Pact clients send the same parameter in the query string, a form body, a JSON body or a
//! multipart body, and label bodies wrongly (the Python SDK sends forms as
//! `application/json`; the docs' curl sends JSON as a form). So the body format is decided
//! by content: a body starting with `{` is JSON, a `multipart/form-data` label with a
//! boundary is multipart, anything else must look like a Rails-style form (`a[]=1&t[id]=x`)
//! or it is a 400 (see `parse_form_body`). Sources are merged into one map: query < body <
//! path. Handlers never parse bodies themselves; they read typed values through the getters
//! here, whose errors name the parameter. A single-value getter refuses a list or an object
//! (`{"note": ["x"]}`, `note[]=x`); only a plain key sent twice (`a=1&a=2`) reads as its
//! last value, Rails' rule.

use std::collections::HashSet;
use std::path::Path;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::error::{ApiError, ApiResult};
use crate::AppState;

/// A file part of a multipart body, spooled to a temp file (deleted when dropped), so an
/// upload is never held in memory whole.
#[derive(Debug)]
pub struct UploadedFile {
    /// The part's `filename`, if it had one.
    pub file_name: Option<String>,
    /// The part's own `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// Bytes received.
    pub size: u64,
    /// Where the bytes are.
    pub path: TempPath,
}

/// Every parameter of a request, merged from path, query and body.
#[derive(Debug, Default)]
pub struct Params {
    values: Map<String, Value>,
    /// Names whose list came from a plain key sent more than once (`a=1&a=2`): the list
    /// getters read the list, the single-value getters the last value. Any other list
    /// (JSON array, `a[]=`, `a[0]=`) is a list, which a single-value getter refuses.
    repeated: HashSet<String>,
    /// Why the body, when it was not empty, held no `name=value` pair to read. Such a body
    /// is refused by the first getter a handler calls (see [`Params::lookup`]).
    unreadable_body: Option<String>,
    files: Vec<(String, UploadedFile)>,
}

/// Nesting deeper than this in form keys is refused (`a[b][c]...`).
const MAX_FORM_DEPTH: usize = 5;

impl FromRequest<AppState> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let path = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map(|raw| {
                raw.iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();

        let mut params = match parts.uri.query() {
            Some(query) if !query.is_empty() => parse_form(query.as_bytes(), "query string")?,
            _ => Params::default(),
        };
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // An empty body means no parameters, whatever its label says.
        let empty_body = http_body::Body::size_hint(&body).exact() == Some(0)
            || parts
                .headers
                .get(header::CONTENT_LENGTH)
                .is_some_and(|v| v.as_bytes() == b"0");
        let body = if is_multipart(content_type) && !empty_body {
            read_multipart(body, content_type, state).await?
        } else {
            read_plain(body, state.config.max_body_size).await?
        };
        params.extend(body);
        for (name, value) in path {
            params.set(name, Value::String(value));
        }
        check_shape(&params.values, state.config.max_params)?;
        Ok(params)
    }
}

/// The longest parameter name accepted.
const MAX_NAME: usize = 256;

/// Refuses requests with more than `max` values in all or with over-long names, so no
/// request makes the server walk an unbounded parameter tree.
fn check_shape(values: &Map<String, Value>, max: usize) -> ApiResult<()> {
    fn walk(value: &Value, count: &mut usize) -> Result<(), String> {
        match value {
            Value::Object(map) => {
                for (name, inner) in map {
                    if name.chars().count() > MAX_NAME {
                        return Err(format!(
                            "a parameter name is longer than {MAX_NAME} characters"
                        ));
                    }
                    walk(inner, count)?;
                }
            }
            Value::Array(items) => items.iter().try_for_each(|i| walk(i, count))?,
            _ => *count += 1,
        }
        Ok(())
    }
    let mut count = 0;
    for (name, value) in values {
        if name.chars().count() > MAX_NAME {
            return Err(ApiError::BadRequest(format!(
                "a parameter name is longer than {MAX_NAME} characters"
            )));
        }
        walk(value, &mut count).map_err(|why| ApiError::invalid(name, why))?;
        if count > max {
            return Err(ApiError::BadRequest(format!(
                "the request has more than {max} parameter values (--max-params)"
            )));
        }
    }
    Ok(())
}

fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .get(..19)
        .is_some_and(|p| p.eq_ignore_ascii_case("multipart/form-data"))
}

/// Parses Rails-style `name=value` pairs (brackets for arrays and objects, `+` for space).
fn parse_form(bytes: &[u8], source: &str) -> ApiResult<Params> {
    if bytes.is_empty() {
        return Ok(Params::default());
    }
    let config = serde_qs::Config::new()
        .use_form_encoding(true)
        .max_depth(MAX_FORM_DEPTH);
    let values = match config.deserialize_bytes::<Value>(bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(ApiError::BadRequest(format!(
                "the {source} is not a list of name=value pairs"
            )));
        }
        Err(e) => {
            return Err(ApiError::BadRequest(format!(
                "the {source} is malformed: {e}"
            )));
        }
    };
    // The parser gives `a=1&a=2` and `a[]=1&a[]=2` the same list; which one it was decides
    // whether a single-value getter may read it. Forms without any list skip the scan.
    let repeated = if values.values().any(Value::is_array) {
        repeated_plain_keys(bytes)
            .into_iter()
            .filter(|name| values.get(name).is_some_and(Value::is_array))
            .collect()
    } else {
        HashSet::new()
    };
    Ok(Params {
        values,
        repeated,
        ..Params::default()
    })
}

/// The names sent more than once in `bytes`, always as a plain key (never with brackets).
fn repeated_plain_keys(bytes: &[u8]) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut repeated = HashSet::new();
    let mut bracketed = HashSet::new();
    for (name, _) in form_urlencoded::parse(bytes) {
        match name.split_once('[') {
            Some((root, _)) => {
                bracketed.insert(root.to_owned());
            }
            None if !seen.insert(name.clone()) => {
                repeated.insert(name.into_owned());
            }
            None => {}
        }
    }
    repeated.retain(|name| !bracketed.contains(name));
    repeated
}

/// What a form body is refused with: the request body is none of the formats read here.
fn not_a_body(why: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!(
        "the request body is not JSON, a form or multipart: {why}"
    ))
}

/// Parses a body that is neither JSON nor multipart as a form, if it is one.
///
/// Clients label bodies wrongly (the Python SDK labels forms `application/json`), so the
/// label cannot tell a form from garbage; what a form looks like can. Form encoders write
/// printable text: every name and value is percent-encoded, and a hand-written curl `-d`
/// body is text with raw spaces, UTF-8 and perhaps a newline. So a form body must be
/// UTF-8 text without control characters (tab, CR and LF aside), and every `name=value`
/// pair must carry a parameter name (letters, digits, `_`, `-`, `.`, then any brackets)
/// without control characters once decoded. Anything else (binary data, XML, a stray JSON
/// string) is a 400 here, before any handler can take its lack of parameters for "absent"
/// and unassign or flip something.
///
/// A text body with no `name=value` pair at all (`hello`, `true`) is not refused here: Rails
/// reads it as names without values, and an endpoint that needs nothing from the body may
/// ignore it. But no parameter may be read from it either, so the getters refuse it and
/// name what the handler asked for (see [`Params::lookup`]).
fn parse_form_body(bytes: &[u8]) -> ApiResult<Params> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        not_a_body(format_args!(
            "byte {} is not part of UTF-8 text",
            e.valid_up_to()
        ))
    })?;
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(not_a_body(format_args!(
            "it contains the control character U+{:04X}",
            u32::from(c)
        )));
    }
    let mut pairs = 0usize;
    for piece in text.split('&') {
        let Some((name, _)) = piece.split_once('=') else {
            continue;
        };
        let decoded = form_urlencoded::parse(name.as_bytes())
            .next()
            .map(|(name, _)| name)
            .unwrap_or_default();
        check_form_name(&decoded).map_err(not_a_body)?;
        pairs += 1;
    }
    if pairs == 0 {
        return Ok(Params {
            unreadable_body: Some("it has no name=value pair".to_owned()),
            ..Params::default()
        });
    }
    parse_form(bytes, "form body")
}

/// The longest part of a refused name quoted back in an error.
const QUOTED_NAME: usize = 40;

/// Whether `name` (decoded) is a parameter name: its root (before any `[`) of letters,
/// digits, `_`, `-` or `.`, and no control characters anywhere (brackets may hold any other
/// text: `data[some key]`).
fn check_form_name(name: &str) -> Result<(), String> {
    let root = name.split('[').next().unwrap_or_default();
    let is_name = !root.is_empty()
        && root
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.chars().any(char::is_control);
    if is_name {
        return Ok(());
    }
    let quoted: String = name.chars().take(QUOTED_NAME).collect();
    let more = if quoted.len() < name.len() { "..." } else { "" };
    Err(format!("{quoted:?}{more} is not a parameter name"))
}

/// Reads a non-multipart body: empty, JSON object, or form.
async fn read_plain(body: Body, limit: u64) -> ApiResult<Params> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let bytes = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                ApiError::PayloadTooLarge(format!("the request body is larger than {limit} bytes"))
            } else {
                ApiError::BadRequest(format!("the request body could not be read: {e}"))
            }
        })?
        .to_bytes();
    parse_body(&bytes)
}

/// Parses a whole non-multipart body by its content: nothing (only whitespace), a JSON
/// object, or a form.
fn parse_body(bytes: &[u8]) -> ApiResult<Params> {
    let trimmed = bytes.trim_ascii_start();
    match trimmed.first() {
        None => Ok(Params::default()),
        Some(b'{') => serde_json::from_slice::<Map<String, Value>>(trimmed)
            .map(Params::from_map)
            .map_err(|e| ApiError::BadRequest(format!("the JSON body is malformed: {e}"))),
        Some(b'[') => Err(ApiError::BadRequest(
            "the JSON body must be an object of parameters, not an array".to_owned(),
        )),
        Some(_) => parse_form_body(trimmed),
    }
}

/// Reads a multipart body: text fields become parameters, file parts are spooled to disk.
async fn read_multipart(body: Body, content_type: &str, state: &AppState) -> ApiResult<Params> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| {
        ApiError::BadRequest(format!(
            "the multipart Content-Type has no usable boundary: {e}"
        ))
    })?;
    let file_limit = state.config.max_attachment_size;
    let text_limit = state.config.max_body_size;
    let stream = TryStreamExt::map_err(body.into_data_stream(), std::io::Error::other);
    let stream = min_rate::MinRate::new(
        stream,
        state.config.upload_min_rate,
        state.config.upload_rate_window,
    );
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut files = Vec::new();
    let mut text_total = 0u64;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        // PHP sends php:// streams as a part without a filename; the part named `file`
        // is the upload all the same.
        if field.file_name().is_some() || name == "file" {
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(|m| m.essence_str().to_owned());
            let (path, size) = spool(&mut field, &state.app.tmp_dir, file_limit).await?;
            files.push((
                name,
                UploadedFile {
                    file_name,
                    content_type,
                    size,
                    path,
                },
            ));
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                text_total += chunk.len() as u64;
                if text_total > text_limit {
                    return Err(ApiError::PayloadTooLarge(format!(
                        "the multipart text fields are larger than {text_limit} bytes"
                    )));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| ApiError::invalid(&name, "must be UTF-8 text"))?;
            pairs.push((name, text));
        }
    }
    // Text fields use the same bracket notation as forms, so they go through one parser.
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut params = parse_form(encoded.as_bytes(), "multipart body")?;
    params.files = files;
    Ok(params)
}

fn multipart_error(e: multer::Error) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::PayloadTooLarge(e.to_string())
        }
        multer::Error::StreamReadFailed(cause) => match min_rate::too_slow(cause.as_ref()) {
            Some(slow) => ApiError::BadRequest(slow.to_string()),
            None => ApiError::BadRequest(format!("the request body could not be read: {cause}")),
        },
        other => ApiError::BadRequest(format!("the multipart body is malformed: {other}")),
    }
}

/// A spool file that could not be written: a full disk is a 507, anything else a 500.
fn spool_failed(what: &str, e: &std::io::Error) -> ApiError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        super::error::storage_full(&format!("{what}: {e}"))
    } else {
        ApiError::Internal(format!("{what}: {e}"))
    }
}

/// Writes one file part to a temp file in `dir`, refusing more than `limit` bytes.
async fn spool(
    field: &mut multer::Field<'_>,
    dir: &Path,
    limit: u64,
) -> ApiResult<(TempPath, u64)> {
    let temp = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(dir)
        .map_err(|e| spool_failed("cannot create an upload file", &e))?;
    let (file, path) = temp.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "the file is larger than the limit of {limit} bytes"
            )));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| spool_failed("cannot write an upload file", &e))?;
    }
    file.flush()
        .await
        .map_err(|e| spool_failed("cannot write an upload file", &e))?;
    Ok((path, size))
}

impl Params {
    /// Builds parameters from a JSON object (for tests and internal callers).
    pub fn from_map(values: Map<String, Value>) -> Self {
        Params {
            values,
            ..Params::default()
        }
    }

    /// Adds the parameters of a later source, whose values win on a name clash.
    fn extend(&mut self, later: Params) {
        for (name, value) in later.values {
            self.set(name, value);
        }
        self.repeated.extend(later.repeated);
        if later.unreadable_body.is_some() {
            self.unreadable_body = later.unreadable_body;
        }
        self.files.extend(later.files);
    }

    /// Sets one parameter, replacing what an earlier source gave it.
    fn set(&mut self, name: String, value: Value) {
        self.repeated.remove(&name);
        self.values.insert(name, value);
    }

    /// The value of `name` as sent, for a typed getter. A body that held no `name=value`
    /// pair refuses every getter: the handler wants a parameter, and whatever it would do
    /// with "absent" (unassign, flip a flag) must not follow from a body nobody can read.
    fn lookup(&self, name: &str) -> ApiResult<Option<&Value>> {
        if let Some(why) = &self.unreadable_body {
            return Err(ApiError::invalid(
                name,
                format!(
                    "cannot be read: the request body is not JSON, a form or multipart ({why})"
                ),
            ));
        }
        Ok(self.values.get(name))
    }

    /// The one value of `name` a single-value getter reads, `what` saying what it must be
    /// (`"a string"`). A list or an object is refused, except the list of a plain key sent
    /// twice (`a=1&a=2`), which reads as its last value (Rails' rule).
    fn single<'a>(&self, name: &str, value: &'a Value, what: &str) -> ApiResult<Option<&'a Value>> {
        match value {
            Value::Null => Ok(None),
            Value::Array(items) if self.repeated.contains(name) => match items.last() {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(_) | Value::Object(_)) => Err(ApiError::invalid(
                    name,
                    format!("must be {what}, not a list"),
                )),
                Some(last) => Ok(Some(last)),
            },
            Value::Array(_) => Err(ApiError::invalid(
                name,
                format!("must be {what}, not a list"),
            )),
            Value::Object(_) => Err(ApiError::invalid(
                name,
                format!("must be {what}, not an object"),
            )),
            other => Ok(Some(other)),
        }
    }

    /// Whether the parameter was sent with a value (a bare `name` or JSON `null` is absent).
    /// A body without any `name=value` pair has nothing; the typed getters refuse it.
    pub fn has(&self, name: &str) -> bool {
        self.values.get(name).is_some_and(|v| !v.is_null())
    }

    /// The raw value, for parameters that are objects or lists. Handlers read their typed
    /// parameters first, which refuse a body without any `name=value` pair.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// A string parameter; numbers and booleans are taken as their text. NUL characters
    /// are refused: PostgreSQL text cannot hold them, and both stores must take the same
    /// input.
    pub fn optional_str(&self, name: &str) -> ApiResult<Option<String>> {
        let Some(value) = self.lookup(name)? else {
            return Ok(None);
        };
        Ok(match self.single(name, value, "a string")? {
            None => None,
            Some(Value::String(s)) if s.contains('\0') => {
                return Err(ApiError::invalid_with(
                    name,
                    "nul_character",
                    "must not contain NUL (U+0000) characters",
                ));
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(_) => return Err(ApiError::invalid(name, "must be a string")),
        })
    }

    /// A string parameter of at most `max` characters.
    pub fn optional_str_max(&self, name: &str, max: usize) -> ApiResult<Option<String>> {
        let value = self.optional_str(name)?;
        if let Some(v) = &value
            && v.chars().count() > max
        {
            return Err(ApiError::invalid_with(
                name,
                "too_long",
                format!("must be at most {max} characters"),
            ));
        }
        Ok(value)
    }

    /// A string parameter that must be present, of at most `max` characters.
    pub fn required_str_max(&self, name: &str, max: usize) -> ApiResult<String> {
        self.optional_str_max(name, max)?
            .ok_or_else(|| ApiError::missing(name))
    }

    /// A string parameter that must be present and not blank, of at most `max` characters.
    pub fn required_text(&self, name: &str, max: usize) -> ApiResult<String> {
        let value = self.required_str_max(name, max)?;
        if value.trim().is_empty() {
            return Err(ApiError::invalid(name, "must not be blank"));
        }
        Ok(value)
    }

    /// A boolean: JSON `true`/`false`/`1`/`0`, or the strings `true`, `false`, `1`, `0` in
    /// any case. An empty string counts as absent.
    pub fn optional_bool(&self, name: &str) -> ApiResult<Option<bool>> {
        let Some(value) = self.lookup(name)? else {
            return Ok(None);
        };
        let invalid = || ApiError::invalid(name, "must be a boolean: true, false, 1 or 0");
        match self.single(name, value, "a boolean")? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(1) => Ok(Some(true)),
                Some(0) => Ok(Some(false)),
                _ => Err(invalid()),
            },
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(invalid()),
            },
            Some(_) => Err(invalid()),
        }
    }

    /// An integer: a JSON integer or a decimal string within i64. Fractions, exponents and
    /// out-of-range values are refused; an empty string counts as absent.
    pub fn optional_i64(&self, name: &str) -> ApiResult<Option<i64>> {
        let Some(value) = self.lookup(name)? else {
            return Ok(None);
        };
        let invalid = || ApiError::invalid(name, "must be an integer");
        match self.single(name, value, "an integer")? {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                s.parse::<i64>().map(Some).map_err(|_| {
                    ApiError::invalid_with(name, "out_of_range", "is out of the integer range")
                })
            }
            Some(_) => Err(invalid()),
        }
    }

    /// A list of integers: a JSON array, `a[]=1&a[]=2`, `a[0]=1`, a repeated key or a single
    /// value.
    pub fn optional_i64_list(&self, name: &str) -> ApiResult<Option<Vec<i64>>> {
        let Some(value) = self.lookup(name)? else {
            return Ok(None);
        };
        let items: Vec<Value> = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items.clone(),
            Value::Object(map) => map.values().cloned().collect(),
            other => vec![other.clone()],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let one = Params::from_map(Map::from_iter([(name.to_owned(), item)]));
            match one.optional_i64(name) {
                Ok(Some(id)) => out.push(id),
                Ok(None) => {}
                Err(_) => return Err(ApiError::invalid(name, "must be a list of integers")),
            }
        }
        Ok(Some(out))
    }

    /// An id from the path; a non-numeric or non-positive one is simply not found.
    pub fn path_id(&self, name: &str, what: &str) -> ApiResult<i64> {
        self.values
            .get(name)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::NotFound(what.to_owned()))
    }

    /// Takes the uploaded file of the multipart part `name`, if there was one.
    pub fn take_file(&mut self, name: &str) -> Option<UploadedFile> {
        let index = self.files.iter().position(|(n, _)| n == name)?;
        Some(self.files.swap_remove(index).1)
    }

    /// Takes every uploaded file of the multipart parts named `name`, in the order sent.
    pub fn take_files(&mut self, name: &str) -> Vec<UploadedFile> {
        let (taken, kept) = std::mem::take(&mut self.files)
            .into_iter()
            .partition::<Vec<_>, _>(|(n, _)| n == name);
        self.files = kept;
        taken.into_iter().map(|(_, file)| file).collect()
    }

    /// Whether a multipart part `name` carried a file.
    pub fn has_file(&self, name: &str) -> bool {
        self.files.iter().any(|(n, _)| n == name)
    }
}

pub(crate) mod min_rate;

#[cfg(test)]
pub(crate) mod props;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Params {
        match v {
            Value::Object(map) => Params::from_map(map),
            _ => Params::default(),
        }
    }

    fn form(s: &str) -> Params {
        parse_form(s.as_bytes(), "test").unwrap_or_default()
    }

    #[test]
    fn form_brackets_and_plus() {
        let p = form("message=hi+there&attachments_ids[]=1&attachments_ids%5B%5D=2&t[id]=x");
        assert_eq!(
            p.optional_str("message").ok().flatten().as_deref(),
            Some("hi there")
        );
        assert_eq!(
            p.optional_i64_list("attachments_ids").ok().flatten(),
            Some(vec![1, 2])
        );
        assert_eq!(p.raw("t"), Some(&json!({"id": "x"})));
        assert!(parse_form(b"a[=1", "test").is_err());
        assert!(parse_form(b"=1", "test").is_err());
    }

    #[test]
    fn booleans() {
        for (v, want) in [
            (json!(true), Some(true)),
            (json!("FALSE"), Some(false)),
            (json!("1"), Some(true)),
            (json!(0), Some(false)),
            (json!(""), None),
        ] {
            assert_eq!(
                params(json!({ "b": v })).optional_bool("b").ok(),
                Some(want)
            );
        }
        for bad in [
            json!("yes"),
            json!(2),
            json!([[1]]),
            json!({"a": 1}),
            json!(1.0),
        ] {
            let e = params(json!({ "b": bad })).optional_bool("b");
            assert!(matches!(e, Err(ApiError::InvalidParam { ref name, .. }) if name == "b"));
        }
    }

    #[test]
    fn integers() {
        assert_eq!(
            params(json!({"n": "42"})).optional_i64("n").ok(),
            Some(Some(42))
        );
        assert_eq!(
            params(json!({"n": -7})).optional_i64("n").ok(),
            Some(Some(-7))
        );
        assert_eq!(form("n=1&n=2").optional_i64("n").ok(), Some(Some(2)));
        for bad in [
            json!("1.5"),
            json!(1.5),
            json!("1e3"),
            json!("abc"),
            json!("-"),
            json!("99999999999999999999"),
            json!(1e30),
            json!(true),
        ] {
            let e = params(json!({ "n": bad })).optional_i64("n");
            assert!(
                matches!(e, Err(ApiError::InvalidParam { ref name, .. }) if name == "n"),
                "{bad}"
            );
        }
    }

    #[test]
    fn strings_and_lengths() {
        let p = params(json!({"s": "ab", "n": 5, "o": {"x": 1}, "blank": "  "}));
        assert_eq!(p.optional_str("n").ok().flatten().as_deref(), Some("5"));
        assert!(p.optional_str("o").is_err());
        assert!(p.optional_str_max("s", 1).is_err());
        assert!(p.required_text("blank", 10).is_err());
        assert!(matches!(
            p.required_text("nope", 10),
            Err(ApiError::InvalidParam {
                code: "missing",
                ..
            })
        ));
    }

    #[test]
    fn path_ids() {
        let p =
            params(json!({"id": "12", "bad": "x1", "zero": "0", "big": "99999999999999999999"}));
        assert_eq!(p.path_id("id", "thing").ok(), Some(12));
        for name in ["bad", "zero", "big", "absent"] {
            assert!(matches!(
                p.path_id(name, "thing"),
                Err(ApiError::NotFound(_))
            ));
        }
    }

    /// The parameter an error names and its detail, if it is a parameter error.
    fn refusal<T>(result: ApiResult<T>) -> Option<(String, String)> {
        match result {
            Err(ApiError::InvalidParam { name, detail, .. }) => Some((name, detail)),
            _ => None,
        }
    }

    /// Every single-value getter of `name` on `p`: a refusal naming `name` whose detail
    /// contains `word`.
    #[track_caller]
    fn assert_single_getters_refuse(p: &Params, name: &str, word: &str) {
        for (getter, result) in [
            ("str", refusal(p.optional_str(name))),
            ("str_max", refusal(p.optional_str_max(name, 10))),
            ("text", refusal(p.required_text(name, 10))),
            ("bool", refusal(p.optional_bool(name))),
            ("i64", refusal(p.optional_i64(name))),
        ] {
            let Some((named, detail)) = result else {
                panic!("{getter} of {name} was not refused: {p:?}");
            };
            assert_eq!(named, name, "{getter}");
            assert!(detail.contains(word), "{getter}: {detail}");
        }
    }

    #[test]
    fn lists_and_objects_are_not_single_values() {
        for (value, word) in [
            (json!(["x"]), "list"),
            (json!([1]), "list"),
            (json!([true, false]), "list"),
            (json!([]), "list"),
            (json!([null]), "list"),
            (json!({"a": 1}), "object"),
            (json!({}), "object"),
        ] {
            assert_single_getters_refuse(&params(json!({ "v": value })), "v", word);
        }
        // Rails brackets make lists and objects too; a list mixing brackets and a plain key
        // is a list.
        for (text, word) in [
            ("v[]=1", "list"),
            ("v[0]=1", "list"),
            ("v[]=1&v=2", "list"),
            ("v=1&v=2&v[]=3", "list"),
            ("v%5B%5D=1&v%5B%5D=2", "list"),
            ("v[a]=1", "object"),
        ] {
            assert_single_getters_refuse(&form(text), "v", word);
        }
        // A plain key sent twice reads as its last value (Rails); a bare last one is absent.
        assert_eq!(
            form("v=a&v=b").optional_str("v").ok().flatten().as_deref(),
            Some("b")
        );
        assert_eq!(form("v=1&v=0").optional_bool("v").ok(), Some(Some(false)));
        assert_eq!(form("v=1&v").optional_i64("v").ok(), Some(None));
        // The list getter still reads every list form.
        for text in ["v[]=1&v[]=2", "v=1&v=2", "v[0]=1&v[1]=2", "v[]=1&v=2"] {
            assert_eq!(
                form(text).optional_i64_list("v").ok(),
                Some(Some(vec![1, 2])),
                "{text}"
            );
        }
        // A later source replaces a repeated key, and its list is a list.
        let mut merged = form("v=1&v=2");
        merged.extend(params(json!({"v": ["3"]})));
        assert_single_getters_refuse(&merged, "v", "list");
        let mut merged = form("v=1&v=2");
        merged.set("v".to_owned(), json!("3"));
        assert_eq!(merged.optional_i64("v").ok(), Some(Some(3)));
    }

    #[test]
    fn bodies_are_json_forms_or_refused() {
        // Forms as encoders and hand-written curl send them, JSON, and nothing at all.
        for (body, note) in [
            ("note=x", Some("x")),
            (" \r\n note=a+b%0Ac\n", Some("a b\nc\n")),
            ("note=Привет мир", Some("Привет мир")),
            ("x.y=1&a-b=2&t[any key]=3&note=&flag", Some("")),
            ("{\"note\": \"j\"}", Some("j")),
            ("", None),
            (" \t\r\n", None),
        ] {
            let p = parse_body(body.as_bytes());
            assert!(p.is_ok(), "{body:?}: {p:?}");
            let p = p.unwrap_or_default();
            assert_eq!(p.optional_str("note").ok().flatten().as_deref(), note);
        }
        // Text without any name=value pair: getters refuse, naming what they were asked.
        for body in ["hello", "true", "\"note\"", "42", "&&&", "a&b\r\n"] {
            let p = parse_body(body.as_bytes());
            let p = match p {
                Ok(p) => p,
                Err(e) => panic!("{body:?}: {e:?}"),
            };
            assert!(!p.has("note"));
            let Some((name, detail)) = refusal(p.optional_bool("enabled")) else {
                panic!("{body:?} was read");
            };
            assert_eq!(name, "enabled");
            assert!(detail.contains("no name=value pair"), "{detail}");
            assert!(refusal(p.optional_i64_list("ids")).is_some());
        }
        // Binary data, controls, and text whose pairs have no parameter name.
        for body in [
            &b"\x00"[..],
            b"\x08\x2a\x12\x07garbage",
            b"note=x\x1b[0m",
            b"note=\x7f",
            "note=caf\u{85}".as_bytes(),
            b"\x89PNG\r\n\x1a\n",
            b"note=\xff",
            br#"<?xml version="1.0"?><note>x</note>"#,
            br#""note=x""#,
            b"a%01b=1",
            b"data[%0A]=1&note=x",
            b"first+name=x",
            b"=x",
            b"%5Ba%5D=1",
            b"note=x&junk]=1",
        ] {
            let p = parse_body(body);
            assert!(
                matches!(&p, Err(ApiError::BadRequest(m)) if m.starts_with("the request body is not JSON, a form or multipart: ")),
                "{}: {p:?}",
                String::from_utf8_lossy(body)
            );
        }
        // A refused name is quoted back, cut short.
        let long = format!("{}=1", "]".repeat(10_000));
        let Err(ApiError::BadRequest(message)) = parse_body(long.as_bytes()) else {
            panic!("a name of brackets was read");
        };
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn multipart_detection() {
        assert!(is_multipart("multipart/form-data; boundary=x"));
        assert!(is_multipart("Multipart/Form-Data; boundary=\"a.b\""));
        assert!(!is_multipart("application/json"));
        assert!(!is_multipart("multipart"));
    }
}
