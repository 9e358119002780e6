//! What a failed Bot API call means for a delivery: try again (and when), the contact
//! cannot be reached, or the bot itself is gone.

use std::time::Duration;

use super::api::Failure;

/// A failed send, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Transient: rate limit, Telegram's 5xx, transport trouble. `after` is Telegram's own
    /// hint (`retry_after`) when it gave one.
    Retry {
        /// Why, for people.
        reason: String,
        /// Telegram's wait, if any.
        after: Option<Duration>,
    },
    /// This contact cannot get the message (blocked the bot, deactivated, never wrote,
    /// chat not found, a message Telegram refuses): final for this message only.
    NotDelivered(String),
    /// The bot token no longer works: the channel is broken.
    Broken(String),
}

/// Classifies a failed call by Telegram's `error_code` and `description`.
pub fn classify(failure: &Failure) -> Verdict {
    match failure {
        Failure::Transport(why) => Verdict::Retry {
            reason: format!("Telegram could not be reached: {why}"),
            after: None,
        },
        Failure::Api {
            code, description, ..
        } if *code == 401 || *code == 404 => Verdict::Broken(format!(
            "Telegram refused the bot token ({code} {description}); \
             give the channel a new token with PUT .../channels/ID"
        )),
        Failure::Api {
            code: 429,
            description,
            retry_after,
        } => Verdict::Retry {
            reason: description.clone(),
            after: retry_after.map(Duration::from_secs),
        },
        Failure::Api {
            code, description, ..
        } if *code >= 500 || *code == 409 => Verdict::Retry {
            reason: format!("Telegram answered {code}: {description}"),
            after: None,
        },
        Failure::Api { description, .. } => Verdict::NotDelivered(description.clone()),
    }
}

/// The wait before attempt `attempts + 1`: exponential from one second, capped at ten
/// minutes, with ±50 % jitter so retries of many jobs spread out.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    let base = Duration::from_secs(1u64 << exp).min(Duration::from_secs(600));
    let jitter: f64 = rand::random_range(0.5..1.5);
    base.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16, description: &str, retry_after: Option<u64>) -> Failure {
        Failure::Api {
            code,
            description: description.to_owned(),
            retry_after,
        }
    }

    #[test]
    fn classes() {
        assert!(matches!(
            classify(&api(403, "Forbidden: bot was blocked by the user", None)),
            Verdict::NotDelivered(d) if d == "Forbidden: bot was blocked by the user"
        ));
        assert!(matches!(
            classify(&api(400, "Bad Request: chat not found", None)),
            Verdict::NotDelivered(_)
        ));
        assert!(matches!(
            classify(&api(401, "Unauthorized", None)),
            Verdict::Broken(_)
        ));
        assert_eq!(
            classify(&api(429, "Too Many Requests: retry after 7", Some(7))),
            Verdict::Retry {
                reason: "Too Many Requests: retry after 7".to_owned(),
                after: Some(Duration::from_secs(7))
            }
        );
        assert!(matches!(
            classify(&api(502, "Bad Gateway", None)),
            Verdict::Retry { after: None, .. }
        ));
        assert!(matches!(
            classify(&Failure::Transport("timed out".into())),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        for attempts in 0..40 {
            let d = backoff(attempts);
            assert!(d <= Duration::from_secs(900), "{attempts}: {d:?}");
            assert!(d >= Duration::from_millis(500));
        }
        assert!(backoff(8) > backoff(1));
    }
}
