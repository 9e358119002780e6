//! What a failed Graph API call means for a delivery, by Meta's error `code` (Meta says to
//! branch on the code, not on titles): try again later, this contact cannot get it, or the
//! number's credentials are gone.

use std::time::Duration;

use super::api::Failure;
pub use crate::connectors::telegram::errors::{Verdict, backoff};

/// The least wait after Meta's spam-rate limit (131048): it lifts slowly.
const SPAM_LIMIT_WAIT: Duration = Duration::from_secs(600);

/// More than 24 hours since the customer last wrote: only a template may open the chat.
pub const OUTSIDE_WINDOW: i64 = 131_047;

/// Classifies a failed call.
pub fn classify(failure: &Failure) -> Verdict {
    let (status, code, message) = match failure {
        Failure::Transport(why) => {
            return Verdict::Retry {
                reason: format!("WhatsApp could not be reached: {why}"),
                after: None,
            };
        }
        Failure::Api {
            status,
            code,
            message,
        } => (*status, *code, message.as_str()),
    };
    match code {
        Some(OUTSIDE_WINDOW) => Verdict::NotDelivered(format!(
            "the customer last wrote more than 24 hours ago: WhatsApp only delivers an \
             approved template message now (131047: {message})"
        )),
        Some(131_048) => Verdict::Retry {
            reason: format!("WhatsApp's spam rate limit (131048): {message}"),
            after: Some(SPAM_LIMIT_WAIT),
        },
        Some(1 | 2 | 4 | 80_007 | 130_429 | 131_056) => Verdict::Retry {
            reason: format!(
                "WhatsApp asks to slow down or try later ({}): {message}",
                code.unwrap_or_default()
            ),
            after: None,
        },
        Some(c @ (0 | 10 | 190 | 200..=299 | 368 | 131_031)) => Verdict::Broken(format!(
            "WhatsApp refused the channel's credentials ({c}: {message}); give the channel a \
             new token with PUT .../channels/ID"
        )),
        // Meta's own trouble, whatever its code (131000 something went wrong, 131016
        // service unavailable, 133004 server temporarily unavailable, or any 5xx).
        Some(c) if status >= 500 || matches!(c, 131_000 | 131_016 | 133_004) => Verdict::Retry {
            reason: format!("WhatsApp had trouble ({c}, HTTP {status}): {message}"),
            after: None,
        },
        Some(c) => Verdict::NotDelivered(format!("WhatsApp refused the message ({c}: {message})")),
        None if status == 401 => Verdict::Broken(format!(
            "WhatsApp refused the channel's token ({message}); give the channel a new token \
             with PUT .../channels/ID"
        )),
        None if status >= 500 || status == 429 => Verdict::Retry {
            reason: format!("WhatsApp answered {status}: {message}"),
            after: None,
        },
        None => Verdict::NotDelivered(format!("WhatsApp answered {status}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: i64) -> Failure {
        Failure::Api {
            status,
            code: Some(code),
            message: "(#x) title".to_owned(),
        }
    }

    #[test]
    fn metas_own_trouble_is_retried_whatever_the_code() {
        for failure in [
            api(500, 131_000),
            api(503, 999),
            api(400, 131_016),
            api(400, 133_004),
        ] {
            assert!(
                matches!(classify(&failure), Verdict::Retry { .. }),
                "{failure:?}"
            );
        }
        assert!(matches!(
            classify(&api(400, 131_026)),
            Verdict::NotDelivered(_)
        ));
    }

    #[test]
    fn outside_the_window_needs_a_template() {
        match classify(&api(400, 131_047)) {
            Verdict::NotDelivered(why) => {
                assert!(
                    why.contains("template") && why.contains("24 hours"),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn limits_and_outages_are_retried() {
        for code in [130_429, 131_056, 80_007, 4, 1, 2] {
            assert!(
                matches!(
                    classify(&api(400, code)),
                    Verdict::Retry { after: None, .. }
                ),
                "{code}"
            );
        }
        assert!(matches!(
            classify(&api(400, 131_048)),
            Verdict::Retry { after: Some(d), .. } if d >= Duration::from_secs(60)
        ));
        assert!(matches!(
            classify(&Failure::Transport("reset".into())),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(&Failure::Api {
                status: 502,
                code: None,
                message: "Bad Gateway".into()
            }),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn credential_codes_break_the_channel() {
        for code in [190, 0, 10, 200, 250, 299, 368, 131_031] {
            assert!(
                matches!(classify(&api(401, code)), Verdict::Broken(_)),
                "{code}"
            );
        }
    }

    #[test]
    fn contact_level_codes_end_the_message() {
        for code in [131_026, 131_049, 100, 131_051] {
            assert!(
                matches!(classify(&api(400, code)), Verdict::NotDelivered(_)),
                "{code}"
            );
        }
    }
}
