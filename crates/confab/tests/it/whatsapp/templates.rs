//! Templates on a real number: synced from Meta's `message_templates` when the channel is
//! created and on `POST .../waba_templates/sync`, and a write-first with a template reaching
//! Meta as a `type: template` message whose body parameters are in placeholder order,
//! whichever form (`template[parameters]` as a list, an object or absent) the client used.

use serde_json::json;

use super::*;

/// Meta's items: an approved order update with two placeholders, an approved greeting with
/// none, a template still in review, and an approved one with a variable in its header.
fn meta_templates() -> Vec<Value> {
    vec![
        json!({"name": "order_update", "language": "en_US", "status": "APPROVED",
               "category": "UTILITY", "id": "594000001",
               "components": [{"type": "HEADER", "format": "TEXT", "text": "Your order"},
                              {"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready"}]}),
        json!({"name": "hello_world", "language": "en_US", "status": "APPROVED",
               "category": "UTILITY", "id": "594000002",
               "components": [{"type": "BODY", "text": "Hello from the shop"}]}),
        json!({"name": "spring_sale", "language": "ru", "status": "PENDING",
               "category": "MARKETING", "id": "594000003",
               "components": [{"type": "BODY", "text": "Скидка {{1}}"}]}),
        json!({"name": "shipped", "language": "en_US", "status": "APPROVED",
               "category": "UTILITY", "id": "594000005",
               "components": [{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
                              {"type": "BODY", "text": "On its way"}]}),
    ]
}

impl Number {
    /// The company's templates as the API lists them, by `waba_id`.
    async fn listed_templates(&self) -> Vec<Value> {
        let (status, body) = self
            .srv
            .get(&format!("/p1/companies/{}/waba_templates", self.company))
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["waba_templates"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until the fake got `n` messages; answers the last one's body.
    async fn sent_body(&self, n: usize) -> Value {
        let sent = self.fake.wait_sent(n, SETTLE).await;
        assert_eq!(sent.len(), n, "messages Meta got: {sent:?}");
        sent[n - 1].body.clone()
    }
}

#[tokio::test]
async fn templates_are_synced_on_creation_and_on_demand() {
    let number = Number::start_with_templates(meta_templates()).await;
    let listed = eventually("the creation's sync", || async {
        let list = number.listed_templates().await;
        (list.len() == 4).then_some(list)
    })
    .await;
    let order = listed
        .iter()
        .find(|t| t["waba_id"] == "order_update")
        .expect("order_update listed");
    assert_eq!(order["body"], "Hi {{1}}, order {{2}} is ready");
    assert_eq!(order["substitutions_count"], 2);
    assert_eq!(order["language"], "en_US");
    assert_eq!(order["status"], "APPROVED");
    assert_eq!(order["company_id"], number.company);

    // A template approved at Meta later arrives with the next sync; ids stay.
    number.fake.seed_templates(
        WABA,
        vec![
            json!({"name": "delivery_eta", "language": "ru", "status": "APPROVED",
                    "id": "594000004",
                    "components": [{"type": "BODY", "text": "Курьер будет в {{1}}"}]}),
        ],
    );
    let (status, body) = number
        .srv
        .form(
            Method::POST,
            &format!("/p1/companies/{}/waba_templates/sync", number.company),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = number.listed_templates().await;
    assert_eq!(after.len(), 5, "{after:?}");
    let same = after
        .iter()
        .find(|t| t["waba_id"] == "order_update")
        .expect("still listed");
    assert_eq!(same["id"], order["id"], "a synced template keeps its id");

    // Meta refusing the token: a clear 503, the list unchanged.
    number.fake.revoke_token(PHONE_ID);
    let (status, body) = number
        .srv
        .form(
            Method::POST,
            &format!("/p1/companies/{}/waba_templates/sync", number.company),
            &[],
        )
        .await;
    assert_eq!((status, &body["status"]), (503, &json!("error")), "{body}");
    assert_eq!(number.listed_templates().await.len(), 5);
}

#[tokio::test]
async fn a_template_write_first_reaches_meta_in_every_parameters_form() {
    let number = Number::start_with_templates(meta_templates()).await;
    eventually("the creation's sync", || async {
        (number.listed_templates().await.len() == 4).then_some(())
    })
    .await;
    let first = format!(
        "/p1/companies/{}/channels/{}/conversations",
        number.company, number.channel
    );

    // PHP: a form list.
    let (status, body) = number
        .srv
        .form(
            Method::POST,
            &first,
            &[
                ("phone", "+79250000001"),
                ("template[id]", "order_update"),
                ("template[language_code]", "en_US"),
                ("template[parameters][]", "Ann"),
                ("template[parameters][]", "A-17"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["conversation_id"].is_i64(), "{body}");
    let sent = number.sent_body(1).await;
    assert_eq!(sent["to"], "79250000001");
    assert_eq!(sent["type"], "template");
    assert_eq!(
        sent["template"],
        json!({"name": "order_update", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ann"},
                                            {"type": "text", "text": "A-17"}]}]})
    );
    let job = number
        .wait_job(body["data"]["id"].as_i64().expect("job"))
        .await;
    assert_eq!(job["state"], "delivered", "{job}");

    // Python: JSON, `parameters` an object ordered by its numeric keys, at the channel's
    // own path.
    let (status, body) = number
        .srv
        .json(
            Method::POST,
            &format!(
                "/p1/companies/{}/channels/{}",
                number.company, number.channel
            ),
            json!({"phone": "79250000002", "template": {"id": "order_update",
                   "language_code": "en_US", "parameters": {"2": "B-2", "1": "Boris"}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = number.sent_body(2).await;
    assert_eq!(sent["to"], "79250000002");
    assert_eq!(
        sent["template"]["components"][0]["parameters"],
        json!([{"type": "text", "text": "Boris"}, {"type": "text", "text": "B-2"}])
    );

    // No placeholders, no parameters: no components at all.
    let (status, body) = number
        .srv
        .form(
            Method::POST,
            &first,
            &[
                ("phone", "79250000003"),
                ("template[id]", "hello_world"),
                ("template[language_code]", "en_US"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = number.sent_body(3).await;
    assert_eq!(
        sent["template"],
        json!({"name": "hello_world", "language": {"code": "en_US"}})
    );

    // A template still in review is refused before anything reaches Meta.
    let (status, body) = number
        .srv
        .form(
            Method::POST,
            &first,
            &[
                ("phone", "79250000004"),
                ("template[id]", "spring_sale"),
                ("template[language_code]", "ru"),
                ("template[parameters][]", "10%"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("template[id]")),
        "{body}"
    );

    // A variable in the header cannot be filled (body parameters only): refused up front.
    let (status, body) = number
        .srv
        .form(
            Method::POST,
            &first,
            &[
                ("phone", "79250000005"),
                ("template[id]", "shipped"),
                ("template[language_code]", "en_US"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("template[id]") && m.contains("header")),
        "{body}"
    );
    assert_eq!(number.fake.sent().len(), 3);
}
