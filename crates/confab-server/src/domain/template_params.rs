//! The `template[...]` parameters of writing first with a WhatsApp Business template, as
//! the SDKs send them: PHP a Rails form (`template[parameters][]=a`, an empty list left
//! out), Python a JSON object whose `parameters` is an object keyed by position
//! (`{"1":"Ivan"}`), curl either.

use confab_wire::limits::{
    MAX_TEMPLATE_LANGUAGE_CHARS, MAX_TEMPLATE_NAME_CHARS, MAX_TEMPLATE_PARAMETERS, MAX_TEXT_CHARS,
};
use serde_json::{Map, Value};

use crate::app::TemplateRequest;

/// A refused `template[...]` parameter: its name as the client wrote it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `template`, `template[id]`, `template[language_code]` or `template[parameters]`.
    pub name: &'static str,
    /// What is wrong, for people.
    pub detail: String,
    /// Whether it is missing rather than invalid.
    pub missing: bool,
}

fn invalid(name: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal {
        name,
        detail: detail.into(),
        missing: false,
    }
}

fn missing(name: &'static str, detail: &str) -> Refusal {
    Refusal {
        name,
        detail: detail.to_owned(),
        missing: true,
    }
}

/// A scalar as text (a number or boolean as written); `None` for lists, objects and null.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A required, non-blank `template[...]` text of at most `max` characters.
fn text(
    template: &Map<String, Value>,
    key: &str,
    name: &'static str,
    max: usize,
    what: &str,
) -> Result<String, Refusal> {
    let value = match template.get(key) {
        None | Some(Value::Null) => return Err(missing(name, what)),
        Some(v) => v,
    };
    let text = scalar_text(value).ok_or_else(|| invalid(name, "must be a string"))?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(missing(name, what));
    }
    if text.chars().count() > max {
        return Err(invalid(name, format!("must be at most {max} characters")));
    }
    if text.contains('\0') {
        return Err(invalid(name, "must not contain NUL (U+0000) characters"));
    }
    Ok(text)
}

/// `template[parameters]` in order: a list as given; an object by numeric key (`{"2":"b",
/// "1":"a"}` is `a, b`); absent or null as no parameters; one value as a list of one.
///
/// # Errors
/// An object key that is not a number, two keys of one number, a value that is not a
/// string or number, more than [`MAX_TEMPLATE_PARAMETERS`] or an over-long value.
pub fn parameters(value: Option<&Value>) -> Result<Vec<String>, Refusal> {
    const NAME: &str = "template[parameters]";
    let items: Vec<&Value> = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => {
            let mut keyed: Vec<(u64, &Value)> = Vec::with_capacity(map.len());
            for (key, v) in map {
                let n = key.trim().parse::<u64>().map_err(|_| {
                    invalid(
                        NAME,
                        format!(
                            "as an object, its keys must be positions (1, 2, ...), not {key:?}"
                        ),
                    )
                })?;
                keyed.push((n, v));
            }
            keyed.sort_by_key(|(n, _)| *n);
            if keyed
                .windows(2)
                .any(|w| w.first().map(|a| a.0) == w.get(1).map(|b| b.0))
            {
                return Err(invalid(NAME, "two parameters have the same position"));
            }
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        Some(one) => vec![one],
    };
    if items.len() > MAX_TEMPLATE_PARAMETERS {
        return Err(invalid(
            NAME,
            format!("at most {MAX_TEMPLATE_PARAMETERS} parameters"),
        ));
    }
    items
        .into_iter()
        .map(|item| {
            let text = scalar_text(item)
                .ok_or_else(|| invalid(NAME, "each parameter must be a string or a number"))?;
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(invalid(
                    NAME,
                    format!("each parameter must be at most {MAX_TEXT_CHARS} characters"),
                ));
            }
            if text.contains('\0') {
                return Err(invalid(NAME, "must not contain NUL (U+0000) characters"));
            }
            Ok(text)
        })
        .collect()
}

/// The template send a `template` parameter asks for.
///
/// # Errors
/// The first refused part, named as the client named it.
pub fn request(template: Option<&Value>) -> Result<TemplateRequest, Refusal> {
    let map = match template {
        None | Some(Value::Null) => {
            return Err(missing(
                "template[id]",
                "is required: a whatsapp_business channel writes first with an approved \
                 template (template[id], template[language_code], template[parameters])",
            ));
        }
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(invalid(
                "template",
                "must be an object: template[id], template[language_code], template[parameters]",
            ));
        }
    };
    let key = text(
        map,
        "id",
        "template[id]",
        MAX_TEMPLATE_NAME_CHARS,
        "is required: the template's waba_id or id",
    )?;
    let language = text(
        map,
        "language_code",
        "template[language_code]",
        MAX_TEMPLATE_LANGUAGE_CHARS,
        "is required: the template's language (en, ru, ...)",
    )?;
    let parameters = parameters(map.get("parameters"))?;
    Ok(TemplateRequest {
        key,
        language,
        parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ordered(value: Value) -> Result<Vec<String>, &'static str> {
        parameters(Some(&value)).map_err(|r| r.name)
    }

    #[test]
    fn parameters_in_every_form() {
        assert_eq!(ordered(json!(["a", "b"])), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(
            ordered(json!({"2": "b", "1": "a"})),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            ordered(json!({"10": "j", "9": "i"})),
            Ok(vec!["i".into(), "j".into()])
        );
        assert_eq!(
            ordered(json!({"0": "a", "1": "b"})),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(ordered(json!([1, 2.5])), Ok(vec!["1".into(), "2.5".into()]));
        assert_eq!(ordered(json!("one")), Ok(vec!["one".into()]));
        assert_eq!(parameters(None), Ok(Vec::new()));
        assert_eq!(ordered(json!(null)), Ok(Vec::new()));
        assert_eq!(ordered(json!([])), Ok(Vec::new()));
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(ordered(json!({"a": "x"})), Err("template[parameters]"));
        assert_eq!(
            ordered(json!({"1": "x", "01": "y"})),
            Err("template[parameters]")
        );
        assert_eq!(ordered(json!([["x"]])), Err("template[parameters]"));
        assert_eq!(ordered(json!([{"a": 1}])), Err("template[parameters]"));
        assert_eq!(ordered(json!(vec!["x"; 101])), Err("template[parameters]"));
    }

    #[test]
    fn the_request_and_its_refusals() {
        let r = request(Some(
            &json!({"id": 111, "language_code": "ru", "parameters": {"1": "Ivan"}}),
        ))
        .expect("request");
        assert_eq!(
            r,
            TemplateRequest {
                key: "111".into(),
                language: "ru".into(),
                parameters: vec!["Ivan".into()]
            }
        );
        let name = |v: Option<Value>| request(v.as_ref()).err().map(|r| (r.name, r.missing));
        assert_eq!(name(None), Some(("template[id]", true)));
        assert_eq!(name(Some(json!("x"))), Some(("template", false)));
        assert_eq!(
            name(Some(json!({"language_code": "ru"}))),
            Some(("template[id]", true))
        );
        assert_eq!(
            name(Some(json!({"id": " ", "language_code": "ru"}))),
            Some(("template[id]", true))
        );
        assert_eq!(
            name(Some(json!({"id": ["x"], "language_code": "ru"}))),
            Some(("template[id]", false))
        );
        assert_eq!(
            name(Some(json!({"id": "x"}))),
            Some(("template[language_code]", true))
        );
        assert_eq!(
            name(Some(
                json!({"id": "x", "language_code": "a-very-long-language-code"})
            )),
            Some(("template[language_code]", false))
        );
        assert_eq!(
            name(Some(
                json!({"id": "x", "language_code": "ru", "parameters": {"x": "1"}})
            )),
            Some(("template[parameters]", false))
        );
    }
}
