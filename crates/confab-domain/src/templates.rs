//! WhatsApp Business message templates: what Meta lists for an account, the rows confab
//! keeps of them, and what a template send carries to the connector.
//!
//! A business may only start (or, after 24 hours of silence, resume) a conversation with a
//! template Meta approved, so templates are synced from Meta and chosen by name and language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The status of a template Meta lets a business send.
pub const APPROVED: &str = "APPROVED";

/// A template as confab keeps it (one language of one Meta template).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WabaTemplate {
    /// The p1 id.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// The whatsapp_business channel (WhatsApp Business Account) it belongs to.
    pub channel_id: i64,
    /// The template's name at Meta, which p1 calls `waba_id`.
    pub waba_id: String,
    /// Display name (Meta has only the name, so the same unless seeded otherwise).
    pub name: String,
    /// Language code (`en_US`, `ru`).
    pub language: String,
    /// Meta's review status (`APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`...).
    pub status: String,
    /// The BODY component's text, with `{{1}}`... placeholders.
    pub body: String,
    /// How many distinct placeholders the body has: the parameters a send must give.
    pub substitutions_count: i64,
    /// Meta's components, as listed, for the connector that sends it.
    pub components: Value,
    /// The list order p1 exposes (the id).
    pub position: i64,
    /// First stored, unix ms.
    pub created_at_ms: i64,
    /// Last synced or seeded, unix ms.
    pub updated_at_ms: i64,
}

impl WabaTemplate {
    /// Whether Meta lets a business send it.
    pub fn is_approved(&self) -> bool {
        self.status == APPROVED
    }
}

/// A template to store (from Meta's list, or seeded in the sandbox).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    /// The name at Meta (`waba_id` in p1).
    pub waba_id: String,
    /// Display name.
    pub name: String,
    /// Language code.
    pub language: String,
    /// Review status, upper case.
    pub status: String,
    /// The BODY text.
    pub body: String,
    /// Distinct placeholders of `body`.
    pub substitutions_count: i64,
    /// Meta's components.
    pub components: Value,
}

impl NewTemplate {
    /// A template with only a body (sandbox seeding): its components are one BODY.
    pub fn with_body(
        waba_id: String,
        name: String,
        language: String,
        status: String,
        body: String,
    ) -> Self {
        let substitutions_count = count_i64(placeholders(&body).len());
        let components = serde_json::json!([{ "type": "BODY", "text": body }]);
        Self {
            waba_id,
            name,
            language,
            status: status.to_ascii_uppercase(),
            body,
            substitutions_count,
            components,
        }
    }
}

/// What a sync changed for one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateSync {
    /// Templates inserted or updated.
    pub stored: u64,
    /// Templates no longer listed by Meta, now hidden and unsendable.
    pub removed: u64,
}

/// A template send, kept with the delivery job so a connector can send it as Meta wants
/// (`type: template`, name, language, body parameters in order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSend {
    /// The template's name at Meta (its `waba_id`).
    pub name: String,
    /// Language code.
    pub language: String,
    /// The body parameters, in placeholder order.
    pub parameters: Vec<String>,
    /// The placeholders they fill, in the same order (`1`, `2`, or named ones such as
    /// `first_name` for templates with named parameters).
    pub placeholders: Vec<String>,
}

fn count_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The components of a template, other than its body, that take variables (a header's
/// `{{1}}`, a URL button's suffix): confab sends body parameters only, so Meta would refuse
/// such a template (132000) after the message was accepted.
pub fn variables_outside_body(components: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for component in components.as_array().into_iter().flatten() {
        let kind = component
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind.eq_ignore_ascii_case("BODY") {
            continue;
        }
        let texts = std::iter::once(component.get("text")).chain(
            component
                .get("buttons")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|b| b.get("url")),
        );
        if texts
            .flatten()
            .filter_map(Value::as_str)
            .any(|t| !placeholders(t).is_empty())
        {
            found.push(kind.to_ascii_lowercase());
        }
    }
    found
}

/// The distinct placeholders of a template body, in parameter order: numbered ones
/// (`{{1}}`, `{{2}}`) by number, then named ones (`{{first_name}}`) by first appearance.
/// Text between `{{` and `}}` that is not a number or a name (`{{ }}`, `{{a b}}`) is text.
pub fn placeholders(body: &str) -> Vec<String> {
    let mut numbered: BTreeMap<u64, String> = BTreeMap::new();
    let mut named: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let inner = after[..end].trim();
        if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = inner.parse::<u64>() {
                numbered.entry(n).or_insert_with(|| inner.to_owned());
            }
            rest = &after[end + 2..];
        } else if is_name(inner) {
            if !named.iter().any(|n| n == inner) {
                named.push(inner.to_owned());
            }
            rest = &after[end + 2..];
        } else {
            // Not a placeholder: look again from the second brace, so `{{{1}}` still finds `{{1}}`.
            rest = &rest[start + 1..];
        }
    }
    numbered.into_values().chain(named).collect()
}

/// Whether `text` is a named parameter as Meta allows them (lower-case letters, digits and
/// underscores, starting with a letter).
fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The body with each placeholder replaced by its parameter (`parameters` in the order of
/// [`placeholders`]), in one pass, so a parameter is never substituted into again;
/// placeholders without a parameter stay as they are.
pub fn render(body: &str, parameters: &[String]) -> String {
    let order = placeholders(body);
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let inner = after[..end].trim();
        let value = order
            .iter()
            .position(|p| p == inner)
            .and_then(|i| parameters.get(i));
        match value {
            Some(value) => {
                out.push_str(&rest[..start]);
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One item of Meta's `GET /<waba_id>/message_templates` answer (`data[]`) as a template to
/// store. Components other than BODY are kept as they are; a template without a BODY text
/// has an empty body and no parameters.
///
/// # Errors
/// When the item has no `name` or `language` string (it cannot be addressed then).
pub fn from_meta(item: &Value) -> Result<NewTemplate, String> {
    let text = |key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let name = text("name").ok_or("a template without a name")?;
    let language = text("language").ok_or_else(|| format!("template {name} has no language"))?;
    let status = text("status")
        .unwrap_or_else(|| "PENDING".to_owned())
        .to_ascii_uppercase();
    let components = item
        .get("components")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let body = components
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("BODY"))
        })
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(NewTemplate {
        waba_id: name.clone(),
        name,
        language,
        status,
        substitutions_count: count_i64(placeholders(&body).len()),
        body,
        components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_outside_the_body_are_found() {
        let plain = serde_json::json!([
            {"type": "HEADER", "format": "TEXT", "text": "Welcome"},
            {"type": "BODY", "text": "Hi {{1}}"},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "url": "https://shop.example/"}]}
        ]);
        assert!(variables_outside_body(&plain).is_empty());
        let variable = serde_json::json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hi {{1}}"},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "url": "https://shop.example/{{1}}"}]}
        ]);
        assert_eq!(variables_outside_body(&variable), ["header", "buttons"]);
        assert!(variables_outside_body(&serde_json::json!(null)).is_empty());
    }
    use serde_json::json;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn placeholders_are_distinct_and_numbered_first() {
        assert_eq!(placeholders("Hi {{1}}, order {{2}}"), strings(&["1", "2"]));
        assert_eq!(
            placeholders("{{2}} {{1}} {{2}} {{1}}"),
            strings(&["1", "2"])
        );
        assert_eq!(placeholders("no placeholders"), Vec::<String>::new());
        assert_eq!(placeholders("{{ 1 }} and {{10}}"), strings(&["1", "10"]));
        assert_eq!(
            placeholders("{{first_name}} {{1}} {{first_name}} {{order_id}}"),
            strings(&["1", "first_name", "order_id"])
        );
        assert_eq!(
            placeholders("{{}} {{a b}} {{Name}} {{1"),
            Vec::<String>::new()
        );
        assert_eq!(placeholders("{{{1}}}"), strings(&["1"]));
    }

    #[test]
    fn render_substitutes_in_placeholder_order() {
        let params = strings(&["Ivan", "42"]);
        assert_eq!(
            render("Hi {{1}}, order {{2}}", &params),
            "Hi Ivan, order 42"
        );
        assert_eq!(
            render("{{2}} for {{1}}, {{1}}!", &params),
            "42 for Ivan, Ivan!"
        );
        assert_eq!(render("Hi {{ 1 }}", &params), "Hi Ivan");
        assert_eq!(render("Hi {{name}}", &strings(&["Olga"])), "Hi Olga");
        assert_eq!(render("Plain", &[]), "Plain");
        // A parameter that looks like a placeholder is not substituted again.
        assert_eq!(render("{{1}} {{2}}", &strings(&["{{2}}", "x"])), "{{2}} x");
    }

    #[test]
    fn meta_items_become_templates() {
        let item = json!({
            "name": "hello_world", "language": "en_US", "status": "APPROVED",
            "category": "UTILITY", "id": "1234",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Welcome {{1}}"},
                {"type": "BODY", "text": "Hi {{1}}, order {{2}}"},
                {"type": "FOOTER", "text": "Thanks"},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "OK"}]}
            ]
        });
        let t = from_meta(&item).expect("template");
        assert_eq!(
            (
                t.waba_id.as_str(),
                t.name.as_str(),
                t.language.as_str(),
                t.status.as_str()
            ),
            ("hello_world", "hello_world", "en_US", "APPROVED")
        );
        assert_eq!(t.body, "Hi {{1}}, order {{2}}");
        assert_eq!(t.substitutions_count, 2);
        assert_eq!(t.components, item["components"]);
    }

    #[test]
    fn meta_items_without_body_or_status_or_name() {
        let t = from_meta(
            &json!({"name": "img", "language": "ru", "status": "rejected",
            "components": [{"type": "HEADER", "format": "IMAGE"}]}),
        )
        .expect("template");
        assert_eq!((t.body.as_str(), t.substitutions_count), ("", 0));
        assert_eq!(t.status, "REJECTED");
        let t = from_meta(&json!({"name": "bare", "language": "en"})).expect("template");
        assert_eq!(
            (t.status.as_str(), t.components.clone()),
            ("PENDING", json!([]))
        );
        assert!(from_meta(&json!({"language": "en"})).is_err());
        assert!(from_meta(&json!({"name": "x"})).is_err());
        assert!(from_meta(&json!({"name": 5, "language": "en"})).is_err());
    }

    #[test]
    fn named_parameters_are_counted() {
        let t = from_meta(&json!({"name": "n", "language": "en", "status": "APPROVED",
            "parameter_format": "NAMED",
            "components": [{"type": "body", "text": "Hi {{first_name}}, {{first_name}} {{order}}"}]}))
        .expect("template");
        assert_eq!(t.substitutions_count, 2);
    }

    #[test]
    fn seeded_templates_have_a_body_component() {
        let t = NewTemplate::with_body(
            "w".into(),
            "W".into(),
            "ru".into(),
            "approved".into(),
            "Hi {{1}}".into(),
        );
        assert_eq!(t.status, "APPROVED");
        assert_eq!(t.substitutions_count, 1);
        assert_eq!(t.components, json!([{"type": "BODY", "text": "Hi {{1}}"}]));
    }
}
