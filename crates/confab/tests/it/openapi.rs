//! The OpenAPI document at `/openapi.json`: it is OpenAPI 3.1, it describes exactly the
//! routes the server answers, and every reference in it resolves.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::harness::*;

/// The methods probed on every documented path (HEAD and OPTIONS are axum's own).
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
];

async fn document(srv: &TestServer) -> Value {
    let response = srv
        .http
        .get(srv.url("/openapi.json"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.expect("the document is JSON")
}

/// The `(METHOD, path)` pairs of a document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut pairs = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if [
                "get", "post", "put", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                pairs.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    pairs
}

/// A documented path with every `{..._id}` set to 1.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `url` has the shape of the path `template` (`{...}` matches any one segment).
fn matches(template: &str, url: &str) -> bool {
    let (t, u): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), url.split('/').collect());
    t.len() == u.len()
        && t.iter()
            .zip(&u)
            .all(|(t, u)| t == u || (t.starts_with('{') && !u.is_empty()))
}

fn is_route_not_found(status: u16, body: &Value) -> bool {
    status == 404 && body["message"] == "route not found"
}

#[tokio::test]
async fn the_document_is_openapi_3_1() {
    let srv = TestServer::start().await;
    let doc = document(&srv).await;
    assert_eq!(doc["openapi"], "3.1.0");
    // It reads back as an OpenAPI document, and as the same one.
    let parsed: utoipa::openapi::OpenApi =
        serde_json::from_value(doc.clone()).expect("an OpenAPI 3.1 document");
    assert_eq!(serde_json::to_value(&parsed).expect("serialise"), doc);
    assert_eq!(doc["info"]["title"], "confab");
    assert!(doc["info"]["version"].is_string());
    // The token: a header, or the query parameter as the alternative.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_token"]["type"], "apiKey");
    assert_eq!(schemes["api_token"]["in"], "header");
    assert_eq!(schemes["api_token"]["name"], "X-Private-Api-Token");
    assert_eq!(schemes["api_token_query"]["in"], "query");
    assert_eq!(schemes["api_token_query"]["name"], "private_api_token");
    assert_eq!(
        doc["security"],
        serde_json::json!([{"api_token": []}, {"api_token_query": []}])
    );
    // Every error answer the Pact table has, with the error body.
    for name in [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "MethodNotAllowed",
        "NotAcceptable",
        "PayloadTooLarge",
        "TooManyRequests",
    ] {
        let response = &doc["components"]["responses"][name];
        assert_eq!(
            response["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{name}"
        );
    }
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().expect("item") {
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("200"), "{method} {path}");
            // Path parameters are integers, and the document names each one the path has.
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(['{', '}']);
                let param = params
                    .iter()
                    .find(|p| p["name"] == name && p["in"] == "path")
                    .unwrap_or_else(|| panic!("{method} {path}: no parameter {name}"));
                assert_eq!(param["schema"]["type"], "integer", "{method} {path} {name}");
                assert_eq!(param["required"], true);
            }
            if path.starts_with("/p1/") {
                assert!(op.get("security").is_none(), "{method} {path} is public");
                for status in ["400", "401", "404", "406", "413", "429"] {
                    assert!(responses.contains_key(status), "{method} {path} {status}");
                }
                let body = &responses["200"]["content"]["application/json"]["schema"];
                // Pact answers a sign-in confirmation without the envelope: `{"result":"ok"}`.
                let enveloped = !path.ends_with("/confirm");
                if let Some(reference) = body["$ref"].as_str().filter(|_| enveloped) {
                    let name = reference.rsplit('/').next().unwrap_or_default();
                    let schema = &doc["components"]["schemas"][name];
                    assert!(
                        schema["required"]
                            .as_array()
                            .is_some_and(|r| r.contains(&Value::from("status"))),
                        "{method} {path}: {name} has no status word"
                    );
                }
            } else {
                assert_eq!(op["security"], serde_json::json!([{}]), "{method} {path}");
            }
        }
    }
    // The lists take the paging parameters.
    let list = &doc["paths"]["/p1/companies/{company_id}/conversations"]["get"];
    let names: Vec<&str> = list["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["from", "per", "sort_direction"] {
        assert!(names.contains(&name), "{names:?}");
    }
    let send = &doc["paths"]["/p1/companies/{company_id}/conversations/{conversation_id}/messages"]
        ["post"]["requestBody"]["content"];
    assert!(send["application/x-www-form-urlencoded"].is_object());
    assert!(send["application/json"].is_object());
    let upload = &doc["paths"]["/p1/companies/{company_id}/conversations/{conversation_id}/messages/attachments"]
        ["post"]["requestBody"]["content"];
    assert!(upload["multipart/form-data"].is_object());
    // Found by schemathesis (positive data rejected): the form and JSON bodies documented a
    // `file` the server takes only as a multipart part, and an empty `file_url`.
    let schemas = &doc["components"]["schemas"];
    let inbound = &doc["paths"]["/p1/companies/{company_id}/channels/{channel_id}/sandbox/inbound"]
        ["post"]["requestBody"]["content"];
    for (media, has_file) in [
        ("application/x-www-form-urlencoded", false),
        ("application/json", false),
        ("multipart/form-data", true),
    ] {
        let name = inbound[media]["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .expect("a schema");
        assert_eq!(
            schemas[name]["properties"].get("file").is_some(),
            has_file,
            "{media}"
        );
    }
    assert_eq!(
        schemas["UploadUrlParams"]["properties"]["file_url"]["minLength"],
        1
    );
    // The download is bytes of any type, not a JSON array of integers.
    let download = &doc["paths"]["/p1/companies/{company_id}/conversations/{conversation_id}/attachments/{attachment_id}"]
        ["get"]["responses"]["200"]["content"];
    assert_eq!(download["*/*"]["schema"]["type"], "string");
    assert_eq!(
        doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]["text/plain"]["schema"]["type"],
        "string"
    );
}

#[tokio::test]
async fn every_reference_resolves() {
    let srv = TestServer::start().await;
    let doc = document(&srv).await;
    fn walk<'a>(value: &'a Value, refs: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r);
                }
                map.values().for_each(|v| walk(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(refs.len() > 50, "{}", refs.len());
    for reference in refs {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external reference {reference}"));
        assert!(
            doc.pointer(pointer).is_some_and(Value::is_object),
            "{reference} does not resolve"
        );
    }
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_served() {
    let srv = TestServer::start_with(|c| c.rate_limit = 0).await;
    let doc = document(&srv).await;
    // The server's own list is the document it serves.
    let listed: BTreeSet<(String, String)> = confab_server::http::openapi::documented_routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    let documented = operations(&doc);
    assert_eq!(listed, documented);
    assert!(documented.len() >= 30, "{}", documented.len());

    // Rows with id 1 everywhere a path has an id: company, channel, conversation (and its
    // message and job), attachment.
    let (company, channel, conversation) = srv.fixture().await;
    assert_eq!((company, channel, conversation), (1, 1, 1));
    let form = Form::new().part("file", Part::bytes(b"hi".to_vec()).file_name("hi.txt"));
    let (s, b) = call(
        srv.req(
            Method::POST,
            "/p1/companies/1/conversations/1/messages/attachments",
        )
        .multipart(form),
    )
    .await;
    assert_eq!(
        (s, &b["data"]["external_id"]),
        (200, &Value::from(1)),
        "{b}"
    );

    let mut by_path: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in &documented {
        by_path
            .entry(path.clone())
            .or_default()
            .insert(method.clone());
    }
    // Deleting the channel last keeps its id answering for the other probes.
    let mut probes: Vec<(Method, String)> = Vec::new();
    for (path, methods) in &by_path {
        for method in METHODS {
            probes.push((method, path.clone()));
        }
        assert!(
            methods
                .iter()
                .all(|m| METHODS.iter().any(|p| p.as_str() == m)),
            "{path}: {methods:?}"
        );
    }
    probes.sort_by_key(|(m, p)| (*m == Method::DELETE && p.contains("channels"), p.clone()));
    for (method, path) in probes {
        let url = concrete(&path);
        let (status, body) = call(srv.req(method.clone(), &url)).await;
        let documented_here = by_path[&path].contains(method.as_str());
        if documented_here {
            assert!(
                !is_route_not_found(status, &body) && status != 405,
                "{method} {url} is documented but not routed: {status} {body}"
            );
            let op = &doc["paths"][&path][method.as_str().to_lowercase()];
            assert!(
                op["responses"].get(status.to_string()).is_some(),
                "{method} {url} answered {status}, which its operation does not document: {body}"
            );
            if path.starts_with("/p1/") {
                let (status, body) = call(srv.http.request(method.clone(), srv.url(&url))).await;
                assert_eq!(status, 401, "{method} {url} without a token: {body}");
            }
        } else {
            assert_eq!(
                status, 405,
                "{method} {url} is not documented, yet answers {status} {body}"
            );
        }
    }

    // Paths that are not documented are not routed either: every shorter and one longer
    // form of each documented path...
    let mut near: BTreeSet<String> = BTreeSet::new();
    for path in by_path.keys() {
        let segments: Vec<&str> = path.split('/').collect();
        for len in 1..segments.len() {
            near.insert(segments[..len].join("/"));
        }
        near.insert(format!("{path}/extra"));
    }
    for path in &near {
        let url = match concrete(path).as_str() {
            "" => "/".to_owned(),
            other => other.to_owned(),
        };
        // `/p1/companies/extra` is `/p1/companies/{company_id}` with a bad id.
        if by_path.keys().any(|template| matches(template, &url)) {
            continue;
        }
        // The operator's pages (`/`, `/login`) are HTML routes, not the API's.
        if confab_server::ui::ROUTES.contains(&url.as_str()) {
            continue;
        }
        for method in [Method::GET, Method::POST] {
            let (status, body) = call(srv.req(method.clone(), &url)).await;
            assert!(
                is_route_not_found(status, &body),
                "{method} {url} is not documented, yet answers {status} {body}"
            );
        }
    }
    // ...and a handful of others.
    for (method, path) in [
        (Method::GET, "/p1"),
        (Method::GET, "/p1/nothing"),
        (Method::GET, "/p2/companies"),
        (Method::GET, "/openapi.yaml"),
        (Method::GET, "/swagger-ui"),
        (Method::GET, "/p1/companies/1/unknown"),
        (Method::GET, "/p1/companies/1/channels/1/jobs"),
        (Method::GET, "/p1/companies/1/conversations/1/attachments"),
        (Method::POST, "/p1/companies/1/webhook_deliveries/1"),
        (
            Method::POST,
            "/p1/companies/1/conversations/1/sandbox/inbound",
        ),
        (Method::GET, "/avatars/original/other.png"),
    ] {
        let (status, body) = call(srv.req(method.clone(), path)).await;
        assert!(
            is_route_not_found(status, &body),
            "{method} {path}: {status} {body}"
        );
    }
}

/// Checks `value` against the document's `schema` (the JSON Schema keywords the document
/// uses, but `pattern` and `format`); the error says where it differs.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = doc
            .pointer(reference.trim_start_matches('#'))
            .ok_or_else(|| format!("{at}: {reference} does not resolve"))?;
        return conforms(doc, target, value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, value, at)?;
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let matching = one
            .iter()
            .filter(|s| conforms(doc, s, value, at).is_ok())
            .count();
        if matching != 1 {
            return Err(format!("{at}: {matching} of oneOf match {value}"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let kind_ok = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !kind_ok {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {options:?}"));
    }
    if let Some(n) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|min| n < min) {
            return Err(format!("{at}: {n} below the minimum"));
        }
        if schema["maximum"].as_f64().is_some_and(|max| n > max) {
            return Err(format!("{at}: {n} above the maximum"));
        }
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Err(format!("{at}: required {key} is missing from {value}"));
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (key, inner) in object {
                if let Some(s) = properties.get(key) {
                    conforms(doc, s, inner, &format!("{at}.{key}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            conforms(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Sends `request` for the documented operation `method path` and checks that the answer's
/// status, content type and body are the ones the document gives; returns the body.
async fn documented_call(
    doc: &Value,
    method: &str,
    path: &str,
    request: reqwest::RequestBuilder,
) -> (u16, Value) {
    let op = &doc["paths"][path][method.to_lowercase()];
    assert!(op.is_object(), "{method} {path} is not documented");
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    let mut documented = op["responses"][status.to_string()].clone();
    if let Some(reference) = documented["$ref"].as_str() {
        documented = doc
            .pointer(reference.trim_start_matches('#'))
            .cloned()
            .expect("response reference");
    }
    assert!(
        documented.is_object(),
        "{method} {path} answered {status}, which it does not document: {text}"
    );
    let content = documented["content"].as_object().expect("content");
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let schema = match content.get(media) {
        Some(c) => c["schema"].clone(),
        None => {
            assert!(
                content.contains_key("*/*"),
                "{method} {path} {status}: {media} is not documented"
            );
            return (status, Value::Null);
        }
    };
    if media != "application/json" {
        return (status, Value::Null);
    }
    let body: Value = serde_json::from_str(&text).expect("JSON body");
    if let Err(e) = conforms(doc, &schema, &body, "body") {
        panic!("{method} {path} {status} does not conform: {e}");
    }
    (status, body)
}

/// The regressions of the document's own findings: every status word schema was an `allOf`
/// of the word and an object (no answer could match it), the download was an array of
/// integers, and free-form objects did not read back. Here every operation is called for
/// real, on its success path and on an error, and each answer is checked against it.
#[tokio::test]
async fn real_answers_conform_to_the_document() {
    let srv = TestServer::start_with(|c| c.rate_limit = 0).await;
    let doc = document(&srv).await;
    let get = |p: &str| srv.req(Method::GET, p);
    let post = |p: &str| srv.req(Method::POST, p);
    let put = |p: &str| srv.req(Method::PUT, p);

    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let (s, _) = documented_call(&doc, "GET", path, srv.http.get(srv.url(path))).await;
        assert_eq!(s, 200, "{path}");
    }
    let avatar = "/avatars/original/missing.png";
    documented_call(&doc, "GET", avatar, srv.http.get(srv.url(avatar))).await;

    let c = "/p1/companies";
    let (s, b) = documented_call(&doc, "POST", c, post(c).form(&[("name", "Acme")])).await;
    assert_eq!((s, &b["status"]), (200, &Value::from("created")));
    documented_call(&doc, "GET", c, get(c)).await;
    documented_call(&doc, "GET", c, get(&format!("{c}?per=0"))).await;
    documented_call(&doc, "GET", c, srv.http.get(srv.url(c))).await;
    let company = "/p1/companies/{company_id}";
    documented_call(&doc, "GET", company, get("/p1/companies/1")).await;
    documented_call(&doc, "GET", company, get("/p1/companies/9")).await;
    let (_, b) = documented_call(
        &doc,
        "PUT",
        company,
        put("/p1/companies/1").form(&[("name", "Acme 2")]),
    )
    .await;
    assert_eq!(b["status"], "updated");
    let rotate = "/p1/companies/{company_id}/webhook_secret/rotate";
    documented_call(
        &doc,
        "POST",
        rotate,
        post("/p1/companies/1/webhook_secret/rotate"),
    )
    .await;

    let channels = "/p1/companies/{company_id}/channels";
    documented_call(
        &doc,
        "POST",
        channels,
        post("/p1/companies/1/channels").form(&[("provider", "whatsapp")]),
    )
    .await;
    documented_call(&doc, "GET", channels, get("/p1/companies/1/channels")).await;
    let channel = "/p1/companies/{company_id}/channels/{channel_id}";
    documented_call(
        &doc,
        "PUT",
        channel,
        put("/p1/companies/1/channels/1").form(&[("token", "t")]),
    )
    .await;

    let conversations = "/p1/companies/{company_id}/conversations";
    let start = [
        ("provider", "whatsapp"),
        ("phone", "79250000001"),
        ("text", "Hello"),
    ];
    documented_call(
        &doc,
        "POST",
        conversations,
        post("/p1/companies/1/conversations").form(&start),
    )
    .await;
    documented_call(
        &doc,
        "GET",
        conversations,
        get("/p1/companies/1/conversations"),
    )
    .await;
    let (_, b) = documented_call(
        &doc,
        "GET",
        conversations,
        get("/p1/companies/1/conversations").query(&[
            ("assignee_id", "none"),
            ("channel_id", "1"),
            ("awaiting_reply", "false"),
            ("q", "7925"),
            ("order", "last_message"),
        ]),
    )
    .await;
    assert_eq!(b["data"]["conversations"][0]["external_id"], 1, "{b}");
    let (s, _) = documented_call(
        &doc,
        "GET",
        conversations,
        get("/p1/companies/1/conversations?order=sideways"),
    )
    .await;
    assert_eq!(s, 400);
    let meta = "/p1/companies/{company_id}/conversations/meta";
    let (_, b) = documented_call(
        &doc,
        "GET",
        meta,
        get("/p1/companies/1/conversations/meta?channel_id=1"),
    )
    .await;
    assert_eq!(b["data"]["all"], 1, "{b}");
    let (s, _) = documented_call(
        &doc,
        "GET",
        meta,
        get("/p1/companies/1/conversations/meta?channel_id=x"),
    )
    .await;
    assert_eq!(s, 400);
    let conversation = "/p1/companies/{company_id}/conversations/{conversation_id}";
    documented_call(
        &doc,
        "GET",
        conversation,
        get("/p1/companies/1/conversations/1"),
    )
    .await;
    let base = "/p1/companies/1/conversations/1";
    let (_, b) = documented_call(
        &doc,
        "PUT",
        &format!("{conversation}/note"),
        put(&format!("{base}/note")).form(&[("note", "VIP")]),
    )
    .await;
    assert_eq!(b, serde_json::json!({"status": "updated"}));
    let user = srv.user_id.to_string();
    documented_call(
        &doc,
        "PUT",
        &format!("{conversation}/assign"),
        put(&format!("{base}/assign")).form(&[("assignee_id", user.as_str())]),
    )
    .await;
    documented_call(
        &doc,
        "PUT",
        &format!("{conversation}/toggle_bitrix_block_openlines"),
        put(&format!("{base}/toggle_bitrix_block_openlines")),
    )
    .await;

    let form = Form::new().part("file", Part::bytes(b"hi".to_vec()).file_name("hi.txt"));
    documented_call(
        &doc,
        "POST",
        &format!("{conversation}/messages/attachments"),
        post(&format!("{base}/messages/attachments")).multipart(form),
    )
    .await;
    let (_, job) = documented_call(
        &doc,
        "POST",
        &format!("{conversation}/messages"),
        post(&format!("{base}/messages")).form(&[("message", "Here"), ("attachments_ids[]", "1")]),
    )
    .await;
    documented_call(
        &doc,
        "POST",
        &format!("{conversation}/message"),
        post(&format!("{base}/message")).json(&serde_json::json!({"message": "Again"})),
    )
    .await;
    let job_id = job["data"]["id"].as_i64().expect("job id");
    srv.wait_job(1, 1, job_id).await;
    let message_id = srv.job(1, 1, job_id).await["message_id"]
        .as_i64()
        .expect("delivered");
    srv.wait_ack(1, 1, message_id, 2).await;
    documented_call(
        &doc,
        "GET",
        &format!("{conversation}/messages"),
        get(&format!("{base}/messages?per=2&sort_direction=desc")),
    )
    .await;
    documented_call(
        &doc,
        "GET",
        &format!("{conversation}/attachments/{{attachment_id}}"),
        get(&format!("{base}/attachments/1")),
    )
    .await;
    documented_call(
        &doc,
        "GET",
        "/p1/companies/{company_id}/channels/{channel_id}/jobs/{job_id}",
        get(&format!("/p1/companies/1/channels/1/jobs/{job_id}")),
    )
    .await;
    let first = [("phone", "79250000002"), ("message", "Hi")];
    documented_call(
        &doc,
        "POST",
        &format!("{channel}/conversations"),
        post("/p1/companies/1/channels/1/conversations").form(&first),
    )
    .await;
    documented_call(
        &doc,
        "POST",
        channel,
        post("/p1/companies/1/channels/1").form(&first),
    )
    .await;

    let sandbox = "/p1/companies/1/channels/1/sandbox";
    let inbound = [("sender_external_id", "79250000001"), ("message", "Hi!")];
    documented_call(
        &doc,
        "POST",
        &format!("{channel}/sandbox/inbound"),
        post(&format!("{sandbox}/inbound")).form(&inbound),
    )
    .await;
    let reachable = [("sender_external_id", "79250000001"), ("reachable", "true")];
    documented_call(
        &doc,
        "POST",
        &format!("{channel}/sandbox/contacts"),
        post(&format!("{sandbox}/contacts")).form(&reachable),
    )
    .await;
    documented_call(
        &doc,
        "POST",
        &format!("{channel}/sandbox/events"),
        post(&format!("{sandbox}/events")).form(&[("event", "phone_online")]),
    )
    .await;
    let id = message_id.to_string();
    let (s, _) = documented_call(
        &doc,
        "POST",
        &format!("{conversation}/sandbox/read"),
        post(&format!("{base}/sandbox/read")).form(&[("message_id", id.as_str())]),
    )
    .await;
    assert_eq!(s, 200);

    // Sign-in, Instagram pages and service messages, each on its success path and an error.
    let (_, b) = documented_call(
        &doc,
        "POST",
        channels,
        post("/p1/companies/1/channels")
            .form(&[("provider", "telegram_personal"), ("phone", "79999999999")]),
    )
    .await;
    let personal = b["data"]["external_id"].as_i64().expect("channel");
    let at = |name: &str| format!("/p1/companies/1/channels/{personal}/{name}");
    let template = |name: &str| format!("{channel}/{name}");
    documented_call(
        &doc,
        "POST",
        &template("sandbox/password"),
        post(&at("sandbox/password")).form(&[("password", "pw")]),
    )
    .await;
    documented_call(
        &doc,
        "GET",
        &template("sandbox/code"),
        get(&at("sandbox/code")),
    )
    .await;
    let (s, _) = documented_call(
        &doc,
        "POST",
        &template("request_code"),
        post(&at("request_code")).form(&[("provider", "telegram_personal")]),
    )
    .await;
    assert_eq!(s, 200);
    let (_, b) = documented_call(
        &doc,
        "GET",
        &template("sandbox/code"),
        get(&at("sandbox/code")),
    )
    .await;
    let code = b["data"]["code"].as_str().expect("code").to_owned();
    let confirm = |form: Vec<(&'static str, String)>| post(&at("confirm")).form(&form);
    documented_call(
        &doc,
        "POST",
        &template("confirm"),
        confirm(vec![("provider", "instagram".to_owned())]),
    )
    .await;
    let (s, _) = documented_call(
        &doc,
        "POST",
        &template("confirm"),
        confirm(vec![
            ("provider", "telegram_personal".to_owned()),
            ("confirmation_type", "code".to_owned()),
            ("code", code),
        ]),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = documented_call(
        &doc,
        "POST",
        &template("confirm"),
        confirm(vec![
            ("provider", "telegram_personal".to_owned()),
            ("confirmation_type", "password".to_owned()),
            ("password", "pw".to_owned()),
        ]),
    )
    .await;
    assert_eq!(s, 200);
    let (_, b) = documented_call(
        &doc,
        "POST",
        channels,
        post("/p1/companies/1/channels").form(&[("provider", "instagram_business")]),
    )
    .await;
    let business = b["data"]["external_id"].as_i64().expect("channel");
    let page = format!("/p1/companies/1/channels/{business}/enable_page_instagram");
    let page_template = template("enable_page_instagram");
    documented_call(
        &doc,
        "GET",
        &page_template,
        get(&format!("{page}?page_id=1&sync_period=day")),
    )
    .await;
    documented_call(
        &doc,
        "POST",
        &page_template,
        post(&page).form(&[("page_id", "1")]),
    )
    .await;
    documented_call(
        &doc,
        "PUT",
        &page_template,
        put(&page).form(&[("page_id", "1"), ("sync_period", "all")]),
    )
    .await;
    let service = "/p1/companies/{company_id}/service_messages";
    let (s, _) = documented_call(
        &doc,
        "POST",
        service,
        post("/p1/companies/1/service_messages")
            .form(&[("phone", "79250000009"), ("short_text", "hi")]),
    )
    .await;
    assert_eq!(s, 200);
    documented_call(
        &doc,
        "POST",
        service,
        post("/p1/companies/1/service_messages"),
    )
    .await;
    let (s, _) = documented_call(
        &doc,
        "POST",
        service,
        post("/p1/companies/1/service_messages").header("Accept", "text/html"),
    )
    .await;
    assert_eq!(s, 406);

    // WhatsApp Business templates, on a whatsapp_business channel of company 1.
    let (_, b) = documented_call(
        &doc,
        "POST",
        channels,
        post("/p1/companies/1/channels").form(&[("provider", "whatsapp_business")]),
    )
    .await;
    let wa_business = b["data"]["external_id"].as_i64().expect("channel id");
    let seed = [
        ("waba_id", "hello"),
        ("language", "en"),
        ("body", "Hi {{1}}"),
    ];
    let (s, _) = documented_call(
        &doc,
        "POST",
        &format!("{channel}/sandbox/waba_templates"),
        post(&format!(
            "/p1/companies/1/channels/{wa_business}/sandbox/waba_templates"
        ))
        .form(&seed),
    )
    .await;
    assert_eq!(s, 200);
    let templates_path = "/p1/companies/{company_id}/waba_templates";
    documented_call(
        &doc,
        "GET",
        templates_path,
        get("/p1/companies/1/waba_templates"),
    )
    .await;
    documented_call(
        &doc,
        "GET",
        "/p1/companies/waba_templates",
        get("/p1/companies/waba_templates"),
    )
    .await;
    documented_call(
        &doc,
        "POST",
        &format!("{templates_path}/sync"),
        post("/p1/companies/1/waba_templates/sync"),
    )
    .await;
    let with_template = [
        ("phone", "79250000009"),
        ("template[id]", "hello"),
        ("template[language_code]", "en"),
        ("template[parameters][]", "Ivan"),
    ];
    let (s, _) = documented_call(
        &doc,
        "POST",
        &format!("{channel}/conversations"),
        post(&format!(
            "/p1/companies/1/channels/{wa_business}/conversations"
        ))
        .form(&with_template),
    )
    .await;
    assert_eq!(s, 200);

    let log = "/p1/companies/{company_id}/webhook_deliveries";
    documented_call(&doc, "GET", log, get("/p1/companies/1/webhook_deliveries")).await;
    documented_call(
        &doc,
        "POST",
        &format!("{log}/{{delivery_id}}/resend"),
        post("/p1/companies/1/webhook_deliveries/1/resend"),
    )
    .await;
    let (_, b) = documented_call(
        &doc,
        "DELETE",
        channel,
        srv.req(Method::DELETE, "/p1/companies/1/channels/1"),
    )
    .await;
    assert_eq!(b, serde_json::json!({"status": "deleted"}));
}
