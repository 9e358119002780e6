//! The fields of a posted HTML form (`application/x-www-form-urlencoded`). The pages'
//! forms are tiny and fixed, so they are read here rather than through the API's `Params`
//! extractor, whose refusals are Pact JSON errors.

use std::collections::HashMap;

/// A form's fields by name; the first value of a repeated field wins.
#[derive(Debug, Default)]
pub struct Form(HashMap<String, String>);

impl Form {
    /// Parses a url-encoded body.
    pub fn parse(body: &[u8]) -> Self {
        let mut fields = HashMap::new();
        for (key, value) in form_urlencoded::parse(body) {
            fields
                .entry(key.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        Form(fields)
    }

    /// The field `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}
