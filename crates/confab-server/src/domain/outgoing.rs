//! Rules for outgoing messages that depend on the channel's messenger.

use confab_wire::Provider;
use serde_json::Value;

use confab_wire::limits::{MAX_BUTTON_TITLE_CHARS as MAX_BUTTON_TITLE, MAX_BUTTONS};

/// How many attachments one message may carry on a provider: several only on VK.
pub fn max_attachments(provider: Provider) -> usize {
    match provider {
        Provider::Vkontakte | Provider::VkontakteDirect => 10,
        _ => 1,
    }
}

/// Checks an `interactive` value: `{"type":"button","buttons":["..", ..]}` with 1 to 3
/// non-blank titles of at most 20 characters. Returns the normalised value.
pub fn check_interactive(value: &Value) -> Result<Value, String> {
    let object = value
        .as_object()
        .ok_or("must be an object like {\"type\":\"button\",\"buttons\":[\"Yes\",\"No\"]}")?;
    match object.get("type").and_then(Value::as_str) {
        Some("button") => {}
        _ => return Err("type must be \"button\"".to_owned()),
    }
    // Forms give `interactive[buttons][]=a` as a list, `interactive[buttons][0]=a` as an
    // object keyed by index: both are accepted.
    let buttons: Vec<&Value> = match object.get("buttons") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => map.values().collect(),
        _ => return Err("buttons must be a list of button titles".to_owned()),
    };
    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
        return Err(format!("buttons must have 1 to {MAX_BUTTONS} titles"));
    }
    let mut titles = Vec::with_capacity(buttons.len());
    for button in buttons {
        let title = button
            .as_str()
            .ok_or("every button title must be a string")?;
        if title.trim().is_empty() || title.chars().count() > MAX_BUTTON_TITLE {
            return Err(format!(
                "every button title must be 1 to {MAX_BUTTON_TITLE} characters"
            ));
        }
        titles.push(Value::String(title.to_owned()));
    }
    Ok(serde_json::json!({"type": "button", "buttons": titles}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn interactive_rules() {
        let ok = json!({"type": "button", "buttons": ["fine", "awesome"]});
        assert_eq!(check_interactive(&ok), Ok(ok.clone()));
        let indexed = json!({"type": "button", "buttons": {"0": "a", "1": "b"}});
        assert_eq!(
            check_interactive(&indexed),
            Ok(json!({"type": "button", "buttons": ["a", "b"]}))
        );
        for bad in [
            json!("x"),
            json!({"type": "list", "buttons": ["a"]}),
            json!({"type": "button"}),
            json!({"type": "button", "buttons": []}),
            json!({"type": "button", "buttons": ["a", "b", "c", "d"]}),
            json!({"type": "button", "buttons": ["  "]}),
            json!({"type": "button", "buttons": [5]}),
            json!({"type": "button", "buttons": ["a".repeat(21)]}),
        ] {
            assert!(check_interactive(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attachments_per_message() {
        assert_eq!(max_attachments(Provider::Whatsapp), 1);
        assert!(max_attachments(Provider::Vkontakte) > 1);
    }
}
