//! WhatsApp Business templates: sandbox seeding, `GET /p1/companies/CID/waba_templates`
//! (paged), the all-companies path the PHP SDK requests, the sync endpoint, and writing
//! first with a template in every form the SDKs send its parameters.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

/// A company with a whatsapp_business channel: (company, channel).
async fn business(srv: &TestServer, name: &str) -> (i64, i64) {
    let company = srv.company(name).await;
    let channel = srv.channel(company, "whatsapp_business").await;
    (company, channel)
}

fn seed_path(company: i64, channel: i64) -> String {
    format!("/p1/companies/{company}/channels/{channel}/sandbox/waba_templates")
}

fn list_path(company: i64) -> String {
    format!("/p1/companies/{company}/waba_templates")
}

fn first_path(company: i64, channel: i64) -> String {
    format!("/p1/companies/{company}/channels/{channel}/conversations")
}

/// Seeds a template through the sandbox endpoint (form); answers it.
async fn seed(
    srv: &TestServer,
    (company, channel): (i64, i64),
    waba_id: &str,
    language: &str,
    body: &str,
    status: Option<&str>,
) -> Value {
    let mut form = vec![("waba_id", waba_id), ("language", language), ("body", body)];
    if let Some(status) = status {
        form.push(("status", status));
    }
    let (s, b) = srv
        .form(Method::POST, &seed_path(company, channel), &form)
        .await;
    assert_eq!(s, 200, "{b}");
    b["data"]["waba_template"].clone()
}

fn template_ids(body: &Value) -> Vec<i64> {
    body["data"]["waba_templates"]
        .as_array()
        .expect("waba_templates")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

/// Walks a template list by `next_page` with `per`; every id in order.
async fn walk(srv: &TestServer, path: &str, per: u32) -> Vec<i64> {
    let mut all = Vec::new();
    let mut from: Option<String> = None;
    for _ in 0..100 {
        let url = match &from {
            Some(token) => format!("{path}?per={per}&from={token}"),
            None => format!("{path}?per={per}"),
        };
        let (s, b) = srv.get(&url).await;
        assert_eq!(s, 200, "{b}");
        let page = template_ids(&b);
        assert!(page.len() <= per as usize);
        all.extend(page);
        match &b["data"]["next_page"] {
            Value::String(token) => from = Some(token.clone()),
            Value::Null => return all,
            other => panic!("next_page is {other}"),
        }
    }
    panic!("the template list does not end");
}

#[tokio::test]
async fn seeding_and_listing_with_paging() {
    let srv = TestServer::start().await;
    let (company, channel) = business(&srv, "Acme").await;

    // A company without templates: an empty page with `next_page: null`.
    let (s, b) = srv.get(&list_path(company)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"status": "ok", "data": {"waba_templates": [], "next_page": null}})
    );

    let first = seed(
        &srv,
        (company, channel),
        "1_shablon",
        "ru",
        "Шаблон {{1}}",
        None,
    )
    .await;
    let id = first["id"].as_i64().expect("id");
    assert_eq!(
        first,
        json!({"id": id, "company_id": company, "name": "1_shablon", "waba_id": "1_shablon",
               "body": "Шаблон {{1}}", "substitutions_count": 1, "position": id,
               "language": "ru", "status": "APPROVED"})
    );
    // JSON, a display name of its own, a status, placeholders repeated and out of order.
    let (s, b) = srv
        .json(
            Method::POST,
            &seed_path(company, channel),
            json!({"waba_id": "order", "name": "Заказ", "language": "en_US",
                   "body": "{{2}} for {{1}}, {{2}}", "status": "pending"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let order = &b["data"]["waba_template"];
    assert_eq!(
        (
            &order["name"],
            &order["waba_id"],
            &order["status"],
            &order["substitutions_count"]
        ),
        (
            &json!("Заказ"),
            &json!("order"),
            &json!("PENDING"),
            &json!(2)
        )
    );
    // Only a name: it is the waba_id too.
    let (s, b) = srv
        .form(
            Method::POST,
            &seed_path(company, channel),
            &[("name", "by_name"), ("language", "en"), ("body", "Hi")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["waba_template"]["waba_id"], "by_name");
    let mut seeded = vec![id, order["id"].as_i64().expect("id")];
    seeded.push(b["data"]["waba_template"]["id"].as_i64().expect("id"));
    for i in 0..4 {
        let t = seed(&srv, (company, channel), &format!("t{i}"), "en", "x", None).await;
        seeded.push(t["id"].as_i64().expect("id"));
    }
    // Seeding the same (waba_id, language) again updates it in place.
    let again = seed(
        &srv,
        (company, channel),
        "t0",
        "en",
        "y {{1}}",
        Some("REJECTED"),
    )
    .await;
    assert_eq!(again["id"], seeded[3]);
    assert_eq!(
        (&again["body"], &again["status"]),
        (&json!("y {{1}}"), &json!("REJECTED"))
    );

    let (s, b) = srv.get(&list_path(company)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(template_ids(&b), seeded);
    assert_eq!(b["data"]["waba_templates"][0], first);
    assert_eq!(b["data"]["next_page"], Value::Null);
    for per in [1, 2, 3] {
        assert_eq!(
            walk(&srv, &list_path(company), per).await,
            seeded,
            "per={per}"
        );
    }
    let (s, b) = srv
        .get(&format!("{}?per=2&sort_direction=desc", list_path(company)))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(template_ids(&b), vec![seeded[6], seeded[5]]);
    let (s, b) = srv.get(&format!("{}?per=0", list_path(company))).await;
    assert_param_error(s, &b, 400, "per");
    let (s, b) = srv
        .get(&format!("{}?from=garbage", list_path(company)))
        .await;
    assert_eq!(
        (s, template_ids(&b)),
        (200, seeded.clone()),
        "a bad token is the first page"
    );
}

#[tokio::test]
async fn seeding_refuses_bad_parameters_by_name() {
    let srv = TestServer::start().await;
    let (company, channel) = business(&srv, "Acme").await;
    let whatsapp = srv.channel(company, "whatsapp").await;
    let path = seed_path(company, channel);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("language", "en"), ("body", "x")], "waba_id"),
        (
            &[("waba_id", " "), ("language", "en"), ("body", "x")],
            "waba_id",
        ),
        (&[("waba_id", "w"), ("body", "x")], "language"),
        (
            &[("waba_id", "w"), ("language", "e n"), ("body", "x")],
            "language",
        ),
        (&[("waba_id", "w"), ("language", "en")], "body"),
        (
            &[("waba_id", "w"), ("language", "en"), ("body", "  ")],
            "body",
        ),
        (
            &[
                ("waba_id", "w"),
                ("language", "en"),
                ("body", "x"),
                ("status", "ok!"),
            ],
            "status",
        ),
    ];
    for (form, name) in cases {
        let (s, b) = srv.form(Method::POST, &path, form).await;
        assert_param_error(s, &b, 400, name);
    }
    let long = "w".repeat(513);
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("waba_id", &long), ("language", "en"), ("body", "x")],
        )
        .await;
    assert_param_error(s, &b, 400, "waba_id");
    let body = "b".repeat(1025);
    let (s, b) = srv
        .form(
            Method::POST,
            &path,
            &[("waba_id", "w"), ("language", "en"), ("body", &body)],
        )
        .await;
    assert_param_error(s, &b, 400, "body");
    // Templates belong to whatsapp_business channels.
    let (s, b) = srv
        .form(
            Method::POST,
            &seed_path(company, whatsapp),
            &[("waba_id", "w"), ("language", "en"), ("body", "x")],
        )
        .await;
    assert_param_error(s, &b, 400, "channel_id");
    let (_, b) = srv.get(&list_path(company)).await;
    assert_eq!(b["data"]["waba_templates"], json!([]), "nothing stored");

    // Without --sandbox the seeding endpoint is not served.
    let real = TestServer::start_with(|c| c.sandbox = false).await;
    let c = real.company("Real").await;
    let (s, _) = real
        .form(
            Method::POST,
            &seed_path(c, 1),
            &[("waba_id", "w"), ("language", "en"), ("body", "x")],
        )
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn all_companies_path_incl_the_php_double_slash() {
    let srv = TestServer::start().await;
    let a = business(&srv, "A").await;
    let b = business(&srv, "B").await;
    let mut mine = Vec::new();
    for i in 0..3 {
        for company in [a, b] {
            let t = seed(&srv, company, &format!("t{i}"), "en", "x", None).await;
            mine.push(t["id"].as_i64().expect("id"));
        }
    }
    // Someone else's templates never show.
    let (_, other_token) = srv.new_user("other").await;
    let (_, c) = call(
        srv.req_as(&other_token, Method::POST, "/p1/companies")
            .form(&[("name", "Other")]),
    )
    .await;
    let other = c["data"]["external_id"].as_i64().expect("company");
    let (_, ch) = call(
        srv.req_as(
            &other_token,
            Method::POST,
            &format!("/p1/companies/{other}/channels"),
        )
        .form(&[("provider", "whatsapp_business")]),
    )
    .await;
    let other_channel = ch["data"]["external_id"].as_i64().expect("channel");
    let (s, _) = call(
        srv.req_as(&other_token, Method::POST, &seed_path(other, other_channel))
            .form(&[("waba_id", "secret"), ("language", "en"), ("body", "x")]),
    )
    .await;
    assert_eq!(s, 200);

    // PHP getWabaTemplates: GET /p1//companies/waba_templates?from=..&per=..&sort_direction=..
    let (s, body) = srv
        .get("/p1//companies/waba_templates?per=4&sort_direction=asc")
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(template_ids(&body), mine[..4].to_vec());
    let token = body["data"]["next_page"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (s, body) = srv
        .get(&format!(
            "/p1//companies/waba_templates?from={token}&per=4&sort_direction=asc"
        ))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(template_ids(&body), mine[4..].to_vec());
    assert_eq!(body["data"]["next_page"], Value::Null);
    let companies: Vec<i64> = body["data"]["waba_templates"]
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["company_id"].as_i64().expect("company_id"))
        .collect();
    assert_eq!(companies, vec![a.0, b.0]);
    assert_eq!(walk(&srv, "/p1/companies/waba_templates", 1).await, mine);
    // The other user sees only theirs; a page token of one list is not one of another.
    let (s, theirs) =
        call(srv.req_as(&other_token, Method::GET, "/p1/companies/waba_templates/")).await;
    assert_eq!(s, 200, "{theirs}");
    assert_eq!(theirs["data"]["waba_templates"][0]["waba_id"], "secret");
    assert_eq!(template_ids(&theirs).len(), 1);
    let (s, first) = srv
        .get(&format!("{}?from={token}&per=100", list_path(a.0)))
        .await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(template_ids(&first), vec![mine[0], mine[2], mine[4]]);
    // It is a read: other methods are not allowed, and it needs a token.
    let (s, _) = srv
        .form(Method::POST, "/p1//companies/waba_templates", &[])
        .await;
    assert_eq!(s, 405);
    let (s, _) = call(srv.http.get(srv.url("/p1/companies/waba_templates"))).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn sync_on_a_sandbox_company_keeps_its_seeded_templates() {
    let srv = TestServer::start().await;
    let (company, channel) = business(&srv, "Acme").await;
    let t = seed(&srv, (company, channel), "welcome", "en", "Hi {{1}}", None).await;
    seed(&srv, (company, channel), "second", "en", "Yo", None).await;
    let sync = format!("/p1/companies/{company}/waba_templates/sync");
    let (s, b) = srv.form(Method::POST, &sync, &[("per", "1")]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["waba_templates"], json!([t]));
    assert!(b["data"]["next_page"].is_string());
    let (s, b) = srv.form(Method::POST, &sync, &[]).await;
    assert_eq!((s, template_ids(&b).len()), (200, 2), "{b}");
    let (s, b) = srv.form(Method::POST, &sync, &[("per", "abc")]).await;
    assert_param_error(s, &b, 400, "per");
    // A company without a whatsapp_business channel has nothing to sync.
    let bare = srv.company("Bare").await;
    let (s, b) = srv
        .form(
            Method::POST,
            &format!("/p1/companies/{bare}/waba_templates/sync"),
            &[],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"], json!({"waba_templates": [], "next_page": null}));
    let (s, _) = srv.get(&sync).await;
    assert_eq!(s, 405);
}

/// The text of the only outgoing message of the job's conversation, once delivered.
async fn delivered_text(srv: &TestServer, company: i64, channel: i64, job: &Value) -> String {
    let conversation = job["conversation_id"]
        .as_i64()
        .expect("an integer conversation_id");
    let id = job["id"].as_i64().expect("job id");
    let done = srv.wait_job(company, channel, id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let messages = srv.all_messages(company, conversation).await;
    let last = messages.last().expect("a message");
    assert_eq!(last["income"], false);
    last["message"].as_str().expect("text").to_owned()
}

#[tokio::test]
async fn write_first_with_a_template_in_every_parameters_form() {
    let srv = TestServer::start().await;
    let (company, channel) = business(&srv, "Acme").await;
    seed(
        &srv,
        (company, channel),
        "welcomeTemplate",
        "ru",
        "Здравствуйте, {{1}}!",
        None,
    )
    .await;
    seed(
        &srv,
        (company, channel),
        "order",
        "ru",
        "Заказ {{1}} для {{2}}",
        None,
    )
    .await;
    seed(
        &srv,
        (company, channel),
        "order",
        "en",
        "Order {{1}} for {{2}}",
        None,
    )
    .await;
    let hello = seed(&srv, (company, channel), "hello", "en", "Hello!", None).await;

    // PHP sendWhatsAppTemplateMessage, byte for byte (form, a `+` phone, `[]` list).
    let php = "phone=%2B78005553535&template%5Bid%5D=welcomeTemplate\
               &template%5Blanguage_code%5D=ru&template%5Bparameters%5D%5B%5D=%D0%B8%D0%BC%D1%8F";
    let (s, b) = raw(
        &srv,
        Method::POST,
        &first_path(company, channel),
        Some("application/x-www-form-urlencoded"),
        php,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let job = &b["data"];
    assert_eq!(
        (&job["state"], &job["message_id"], &job["channel"]),
        (
            &json!("trying_deliver"),
            &json!(null),
            &json!({"id": channel, "type": "whatsapp_business"})
        )
    );
    assert_eq!(
        delivered_text(&srv, company, channel, job).await,
        "Здравствуйте, имя!"
    );
    let conversation = job["conversation_id"].as_i64().expect("conversation_id");
    assert_eq!(
        srv.conversation_details(company, conversation).await["sender_external_id"],
        "78005553535"
    );

    // A list of two (form), in order.
    let (s, b) = srv
        .form(
            Method::POST,
            &first_path(company, channel),
            &[
                ("phone", "79250000001"),
                ("template[id]", "order"),
                ("template[language_code]", "en"),
                ("template[parameters][]", "A-1"),
                ("template[parameters][]", "Ivan"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        delivered_text(&srv, company, channel, &b["data"]).await,
        "Order A-1 for Ivan"
    );

    // Python send_whatsapp_template_message: JSON, `parameters` an object, ordered by key.
    let (s, b) = call(
        srv.req(Method::POST, &first_path(company, channel))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(
                json!({"phone": "79250000002", "template": {"id": "order", "language_code": "ru",
                       "parameters": {"2": "Ивана", "1": "Б-2"}}})
                .to_string(),
            ),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["data"]["conversation_id"].is_i64(), "{b}");
    assert_eq!(
        delivered_text(&srv, company, channel, &b["data"]).await,
        "Заказ Б-2 для Ивана"
    );

    // No parameters for a template without placeholders, by its numeric id, at the
    // channel's own path (where the Python SDK posts).
    let (s, b) = srv
        .json(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}"),
            json!({"phone": "79250000003", "template": {"id": hello["id"], "language_code": "en"}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        delivered_text(&srv, company, channel, &b["data"]).await,
        "Hello!"
    );

    // The same contact again: the same conversation.
    let (s, b) = srv
        .form(
            Method::POST,
            &first_path(company, channel),
            &[
                ("phone", "+78005553535"),
                ("template[id]", "hello"),
                ("template[language_code]", "en"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["conversation_id"], conversation);
}

#[tokio::test]
async fn write_first_template_refusals_name_the_parameter() {
    let srv = TestServer::start().await;
    let (company, channel) = business(&srv, "Acme").await;
    seed(
        &srv,
        (company, channel),
        "order",
        "en",
        "Order {{1}} for {{2}}",
        None,
    )
    .await;
    seed(
        &srv,
        (company, channel),
        "draft",
        "en",
        "Draft",
        Some("PENDING"),
    )
    .await;
    seed(
        &srv,
        (company, channel),
        "paused",
        "en",
        "Paused",
        Some("PAUSED"),
    )
    .await;
    let path = first_path(company, channel);
    let form = |id: &'static str, language: &'static str, parameters: &[&'static str]| {
        let mut f = vec![
            ("phone", "79250000001"),
            ("template[id]", id),
            ("template[language_code]", language),
        ];
        f.extend(parameters.iter().map(|p| ("template[parameters][]", *p)));
        f
    };
    let cases = [
        (form("order", "en", &["only one"]), "template[parameters]"),
        (
            form("order", "en", &["a", "b", "c"]),
            "template[parameters]",
        ),
        (form("order", "en", &[]), "template[parameters]"),
        (form("nothing", "en", &[]), "template[id]"),
        (form("999999", "en", &[]), "template[id]"),
        (form("draft", "en", &[]), "template[id]"),
        (form("paused", "en", &[]), "template[id]"),
        (form("order", "ru", &["a", "b"]), "template[language_code]"),
    ];
    for (f, name) in &cases {
        let (s, b) = srv.form(Method::POST, &path, f).await;
        assert_param_error(s, &b, 400, name);
    }
    for (body, name) in [
        (json!({"phone": "79250000001"}), "template[id]"),
        (
            json!({"phone": "79250000001", "message": "Hi"}),
            "template[id]",
        ),
        (
            json!({"phone": "79250000001", "template": "order"}),
            "template",
        ),
        (
            json!({"phone": "79250000001", "template": {"id": "order"}}),
            "template[language_code]",
        ),
        (
            json!({"phone": "79250000001", "template": {"id": "order", "language_code": "en",
                   "parameters": {"first": "a", "second": "b"}}}),
            "template[parameters]",
        ),
        (
            json!({"template": {"id": "order", "language_code": "en", "parameters": ["a", "b"]}}),
            "phone",
        ),
    ] {
        let (s, b) = srv.json(Method::POST, &path, body).await;
        assert_param_error(s, &b, 400, name);
    }
    // The Python SDK's send_first_whatsapp_message (text only) on a whatsapp_business
    // channel: a template is needed.
    let (s, b) = srv
        .json(
            Method::POST,
            &format!("/p1/companies/{company}/channels/{channel}"),
            json!({"phone": "79250000001", "message": "hi"}),
        )
        .await;
    assert_param_error(s, &b, 400, "template[id]");
    let (_, list) = srv
        .get(&format!("/p1/companies/{company}/conversations"))
        .await;
    assert_eq!(
        list["data"]["conversations"],
        json!([]),
        "nothing stored by refusals"
    );
}

#[tokio::test]
async fn python_sdk_get_waba_templates_wire_form() {
    let srv = TestServer::start().await;
    let (company, channel) = business(&srv, "Acme").await;
    let a = seed(&srv, (company, channel), "a", "en", "A", None).await;
    let b = seed(&srv, (company, channel), "b", "en", "B", None).await;
    // The Python SDK's list calls: trailing slash, JSON labels on an empty GET, `from_`.
    let py = |path: String| {
        srv.req(Method::GET, &path)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
    };
    let (s, page) = call(py(format!("/p1/companies/{company}/waba_templates/?per=1"))).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["data"]["waba_templates"], json!([a]));
    let token = page["data"]["next_page"].as_str().expect("token");
    let (s, page) = call(py(format!(
        "/p1/companies/{company}/waba_templates/?from_={token}&per=1"
    )))
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["data"]["waba_templates"], json!([b]));
    assert_eq!(page["data"]["next_page"], Value::Null);
}

/// A template source answering what Meta's `GET /<waba_id>/message_templates` lists
/// (`data[]` items as Meta writes them), or failing as the Graph API does.
struct MetaTemplates(std::sync::Mutex<Result<Vec<Value>, String>>);

impl confab_server::app::TemplateSource for MetaTemplates {
    fn fetch_templates<'a, 'b, 'c>(
        &'a self,
        _channel: &'b confab_store::Channel,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Value>, String>> + Send + 'c>>
    where
        'a: 'c,
        'b: 'c,
    {
        let answer = self.0.lock().expect("lock").clone();
        Box::pin(async move { answer })
    }
}

#[tokio::test]
async fn a_sync_from_the_template_source_replaces_the_list() {
    let srv = TestServer::start().await;
    let company = srv.company("Acme").await;
    let store = srv.store().await;
    let channel = store
        .create_channel(
            company,
            confab_store::NewChannel {
                provider: confab_store::Provider::WhatsappBusiness,
                connector: "whatsapp_cloud".to_owned(),
                settings: serde_json::Map::new(),
            },
            1,
        )
        .await
        .expect("a real channel");
    let data_dir = srv.data_dir();
    let app = confab_server::app::App {
        store,
        blobs: confab_server::blobs::Blobs::open(None, &data_dir).expect("blobs"),
        fetcher: confab_server::net::Fetcher::new(
            false,
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(1),
        )
        .expect("fetcher"),
        clock: std::sync::Arc::new(confab_server::clock::SystemClock),
        tmp_dir: data_dir.join("tmp"),
        max_attachment_size: 1,
        delivery_wakeup: Default::default(),
        webhook_wakeup: Default::default(),
        intake_wakeup: Default::default(),
        channels_wakeup: Default::default(),
        secrets: confab_server::secrets::SecretBox::new(&[7; 32]),
    };
    let hello = json!({
        "name": "hello_world", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "id": "1234",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Welcome"},
            {"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready; {{1}}, see you"},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "OK"}]}
        ]
    });
    let promo = json!({"name": "promo", "language": "ru", "status": "PENDING",
        "category": "MARKETING", "id": "5678",
        "components": [{"type": "BODY", "text": "Скидка"}]});
    let nameless = json!({"language": "en", "status": "APPROVED", "components": []});
    let source = MetaTemplates(std::sync::Mutex::new(Ok(vec![
        hello.clone(),
        promo,
        nameless,
    ])));
    let synced = app
        .sync_templates(Some(&source), &channel)
        .await
        .expect("a sync");
    assert_eq!((synced.stored, synced.removed), (2, 0));
    let (s, b) = srv.get(&list_path(company)).await;
    assert_eq!(s, 200, "{b}");
    let list = b["data"]["waba_templates"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(list.len(), 2, "{b}");
    let id = list[0]["id"].as_i64().expect("id");
    assert_eq!(
        list[0],
        json!({"id": id, "company_id": company, "name": "hello_world", "waba_id": "hello_world",
               "body": "Hi {{1}}, order {{2}} is ready; {{1}}, see you", "substitutions_count": 2,
               "position": id, "language": "en_US", "status": "APPROVED"})
    );
    assert_eq!(
        (&list[1]["waba_id"], &list[1]["status"]),
        (&json!("promo"), &json!("PENDING"))
    );

    // Meta paused hello_world and deleted promo.
    let mut paused = hello;
    paused["status"] = json!("PAUSED");
    *source.0.lock().expect("lock") = Ok(vec![paused]);
    let synced = app
        .sync_templates(Some(&source), &channel)
        .await
        .expect("a sync");
    assert_eq!((synced.stored, synced.removed), (1, 1));
    let (_, b) = srv.get(&list_path(company)).await;
    assert_eq!(template_ids(&b), vec![id], "{b}");
    assert_eq!(b["data"]["waba_templates"][0]["status"], "PAUSED");

    // The Graph API fails: nothing changes, and the reason is told.
    *source.0.lock().expect("lock") = Err("(#190) Error validating access token".to_owned());
    match app.sync_templates(Some(&source), &channel).await {
        Err(confab_server::app::templates::SyncError::Unavailable(why)) => {
            assert!(why.contains("(#190)"), "{why}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let (_, after) = srv.get(&list_path(company)).await;
    assert_eq!(after, b);
}
