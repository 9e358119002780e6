//! Property tests of the form parser, the body reader and the typed getters: no input
//! panics or turns into an internal error, every getter error names its parameter, values
//! round-trip through every encoding clients use, bodies with control characters are never
//! read, and a list or an object is never read as a single value.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::{ApiError, ApiResult, Params, parse_body, parse_form};

/// Any JSON value, nested a few levels, with strings that look like numbers and booleans.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[-+]?[0-9]{0,21}".prop_map(Value::String),
        "([tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|1|0|yes|asc|DESC)?".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z0-9]{0,3}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Form-ish text: names, brackets, escapes (good and bad), separators, any character.
fn bracket_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z_]{1,3}",
        "[0-9]{1,2}",
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("[]".to_owned()),
        Just("[0]".to_owned()),
        "\\[-?[0-9]{1,22}\\]",
        Just("%".to_owned()),
        Just("%5B".to_owned()),
        Just("%5d".to_owned()),
        Just("%ZZ".to_owned()),
        Just("%FF".to_owned()),
        Just("%C3%A9".to_owned()),
        Just("+".to_owned()),
        Just("=".to_owned()),
        Just("&".to_owned()),
        Just(";".to_owned()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// `a[b][b]...=1` and `a[][]...=1` nested up to well past the depth limit.
fn deep_key() -> impl Strategy<Value = String> {
    (
        0usize..40,
        prop_oneof![Just("[b]"), Just("[]"), Just("[0]")],
    )
        .prop_map(|(depth, level)| format!("a{}=1", level.repeat(depth)))
}

/// A status the Pact error table gives for bad input.
fn is_client_error(e: &ApiError) -> bool {
    [400, 404, 413].contains(&e.status().as_u16()) && !matches!(e, ApiError::Internal(_))
}

/// Ok, or an error about parameter `name`.
fn named<T: std::fmt::Debug>(result: ApiResult<T>, name: &str) -> Result<(), TestCaseError> {
    match result {
        Ok(_) => Ok(()),
        Err(ApiError::InvalidParam { name: got, .. }) if got == name => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!(
            "getter of {name:?} failed with {e:?}"
        ))),
    }
}

/// Runs every getter on `name` and checks each error is a 4xx naming it.
fn check_getters(p: &Params, name: &str, max: usize) -> Result<(), TestCaseError> {
    named(p.optional_str(name), name)?;
    named(p.optional_str_max(name, max), name)?;
    named(p.required_text(name, max), name)?;
    named(p.optional_bool(name), name)?;
    named(p.optional_i64(name), name)?;
    named(p.optional_i64_list(name), name)?;
    match p.path_id(name, "thing") {
        Ok(id) => prop_assert!(id > 0),
        Err(e) => prop_assert!(matches!(e, ApiError::NotFound(_)), "{e:?}"),
    }
    Ok(())
}

/// Checks a parse: the refusal, or every getter on every key.
fn check_parsed(parsed: ApiResult<Params>) -> Result<(), TestCaseError> {
    match parsed {
        Ok(p) => {
            let names: Vec<String> = p.values.keys().cloned().collect();
            for name in names.iter().map(String::as_str).chain(["a", "", "absent"]) {
                check_getters(&p, name, 3)?;
            }
        }
        Err(e) => prop_assert!(is_client_error(&e), "{e:?}"),
    }
    Ok(())
}

/// Parses `input` as a query string and as a body; checks both.
fn check_form(input: &[u8]) -> Result<(), TestCaseError> {
    check_parsed(parse_form(input, "test"))?;
    check_parsed(parse_body(input))
}

/// A control character no form, JSON text or whitespace trim lets through.
fn control() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('\u{0}', '\u{8}'),
        Just('\u{b}'),
        prop::char::range('\u{e}', '\u{1f}'),
        prop::char::range('\u{7f}', '\u{9f}'),
    ]
}

/// A list or an object, possibly empty, of anything (a single value is wrapped in a list).
fn list_or_object() -> impl Strategy<Value = Value> {
    json_value().prop_map(|v| {
        if v.is_array() || v.is_object() {
            v
        } else {
            Value::Array(vec![v])
        }
    })
}

fn form(text: &str) -> Params {
    parse_form(text.as_bytes(), "test").unwrap_or_default()
}

fn json(text: &str) -> Params {
    Params::from_map(serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default())
}

fn encode(pairs: impl IntoIterator<Item = (String, String)>) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_form(&bytes)?;
    }

    #[test]
    fn bracket_soup_never_panics(text in bracket_soup()) {
        check_form(text.as_bytes())?;
    }

    #[test]
    fn deep_nesting_is_refused_or_parsed(text in deep_key()) {
        check_form(text.as_bytes())?;
    }

    #[test]
    fn any_json_value_gets_named_errors(
        name in "[a-z_]{0,6}",
        value in json_value(),
        max in 0usize..8,
    ) {
        let p = Params::from_map(Map::from_iter([(name.clone(), value)]));
        check_getters(&p, &name, max)?;
    }

    #[test]
    fn control_characters_make_a_body_unreadable(
        before in bracket_soup(),
        c in control(),
        after in bracket_soup(),
    ) {
        let body = format!("{before}{c}{after}");
        let parsed = parse_body(body.as_bytes());
        prop_assert!(matches!(parsed, Err(ApiError::BadRequest(_))), "{:?}: {:?}", body, parsed);
    }

    #[test]
    fn encoded_forms_are_read_as_bodies(
        pairs in prop::collection::btree_map("[a-z_][a-z0-9_.-]{0,8}", any::<String>(), 1..6),
    ) {
        let text = encode(pairs.clone());
        let p = parse_body(text.as_bytes());
        prop_assert!(p.is_ok(), "{}: {:?}", text, p);
        let p = p.unwrap_or_default();
        for (name, value) in &pairs {
            match p.optional_str(name) {
                Ok(got) => prop_assert_eq!(got.as_ref(), Some(value)),
                Err(ApiError::InvalidParam { code: "nul_character", .. }) => {
                    prop_assert!(value.contains('\0'));
                }
                Err(e) => prop_assert!(false, "{}: {:?}", name, e),
            }
        }
    }

    #[test]
    fn single_getters_refuse_lists_and_objects(name in "[a-z_]{1,6}", value in list_or_object()) {
        let p = Params::from_map(Map::from_iter([(name.clone(), value)]));
        for result in [
            p.optional_str(&name).map(|_| ()),
            p.optional_str_max(&name, 5).map(|_| ()),
            p.required_text(&name, 5).map(|_| ()),
            p.optional_bool(&name).map(|_| ()),
            p.optional_i64(&name).map(|_| ()),
        ] {
            match result {
                Err(ApiError::InvalidParam { name: got, code: "invalid", .. }) => prop_assert_eq!(&got, &name),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }

    #[test]
    fn repeated_plain_keys_read_last_and_brackets_never(
        values in prop::collection::vec(any::<String>(), 2..5),
    ) {
        let plain = encode(values.iter().map(|v| ("k".to_owned(), v.clone())));
        let last = values.last().cloned().unwrap_or_default();
        match form(&plain).optional_str("k") {
            Ok(got) => prop_assert_eq!(got, Some(last), "{}", plain),
            Err(ApiError::InvalidParam { code: "nul_character", .. }) => prop_assert!(last.contains('\0')),
            Err(e) => prop_assert!(false, "{}: {:?}", plain, e),
        }
        let brackets = encode(values.iter().map(|v| ("k[]".to_owned(), v.clone())));
        let indexed = encode(values.iter().enumerate().map(|(i, v)| (format!("k[{i}]"), v.clone())));
        for text in [brackets, indexed] {
            let refused = matches!(
                form(&text).optional_str("k"),
                Err(ApiError::InvalidParam { ref name, .. }) if name == "k"
            );
            prop_assert!(refused, "{}", text);
        }
    }

    #[test]
    fn i64_round_trips(n in any::<i64>()) {
        prop_assert_eq!(form(&format!("n={n}")).optional_i64("n").ok(), Some(Some(n)));
        prop_assert_eq!(json(&format!("{{\"n\":{n}}}")).optional_i64("n").ok(), Some(Some(n)));
        prop_assert_eq!(json(&format!("{{\"n\":\"{n}\"}}")).optional_i64("n").ok(), Some(Some(n)));
    }

    #[test]
    fn bool_spellings_round_trip(word in "[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|1|0") {
        let want = matches!(word.to_ascii_lowercase().as_str(), "true" | "1");
        prop_assert_eq!(form(&format!("b={word}")).optional_bool("b").ok(), Some(Some(want)));
        prop_assert_eq!(json(&format!("{{\"b\":\"{word}\"}}")).optional_bool("b").ok(), Some(Some(want)));
        if word == "1" || word == "0" || word == "true" || word == "false" {
            prop_assert_eq!(json(&format!("{{\"b\":{word}}}")).optional_bool("b").ok(), Some(Some(want)));
        }
    }

    #[test]
    fn i64_lists_round_trip(list in prop::collection::vec(any::<i64>(), 1..24)) {
        let text = |key: &dyn Fn(usize) -> String| {
            encode(list.iter().enumerate().map(|(i, n)| (key(i), n.to_string())))
        };
        let want = Some(Some(list.clone()));
        let brackets = text(&|_| "a[]".to_owned());
        prop_assert_eq!(form(&brackets).optional_i64_list("a").ok(), want.clone(), "{}", brackets);
        let indexed = text(&|i| format!("a[{i}]"));
        prop_assert_eq!(form(&indexed).optional_i64_list("a").ok(), want.clone(), "{}", indexed);
        let repeated = text(&|_| "a".to_owned());
        prop_assert_eq!(form(&repeated).optional_i64_list("a").ok(), want.clone(), "{}", repeated);
        let array = serde_json::json!({ "a": list }).to_string();
        prop_assert_eq!(json(&array).optional_i64_list("a").ok(), want, "{}", array);
    }

    #[test]
    fn strings_round_trip_through_forms(s in any::<String>()) {
        let text = encode([("k".to_owned(), s.clone())]);
        match form(&text).optional_str("k") {
            Ok(got) => prop_assert_eq!(got, Some(s), "{}", text),
            Err(ApiError::InvalidParam { name, code, .. }) => {
                prop_assert!(s.contains('\0'), "{}", text);
                prop_assert_eq!((name.as_str(), code), ("k", "nul_character"));
            }
            Err(other) => prop_assert!(false, "{}: {:?}", text, other),
        }
    }

    #[test]
    fn string_length_limit(s in any::<String>(), max in 0usize..24) {
        let p = Params::from_map(Map::from_iter([("s".to_owned(), Value::String(s.clone()))]));
        match p.optional_str_max("s", max) {
            Ok(got) => {
                prop_assert!(s.chars().count() <= max);
                prop_assert_eq!(got, Some(s));
            }
            Err(ApiError::InvalidParam { name, code: "nul_character", .. }) => {
                prop_assert!(s.contains('\0'));
                prop_assert_eq!(name.as_str(), "s");
            }
            Err(ApiError::InvalidParam { name, code, .. }) => {
                prop_assert!(s.chars().count() > max);
                prop_assert_eq!((name.as_str(), code), ("s", "too_long"));
            }
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }
}
