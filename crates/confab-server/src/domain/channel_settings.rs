//! Which settings a channel of each provider takes, and their rules.

use confab_wire::Provider;

/// String settings a channel may carry, stored as given. `private_api_token` (sent by
/// `instagram_business` creates) is deliberately absent: it is the caller's own secret.
pub const STRING_SETTINGS: &[&str] = &[
    "token",
    "login",
    "password",
    "phone",
    "hosting_type",
    "subtype",
    "dialog360_channel_id",
    "dialog360_client_id",
    "account_name",
    "phone_number_id",
    "waba_id",
    "app_secret",
];

/// Boolean settings a channel may carry.
pub const BOOL_SETTINGS: &[&str] = &[
    "via_qr_code",
    "do_not_mark_as_read",
    "sync_comments",
    "sync_mentions",
];

/// The credential fields `PUT .../channels/ID` accepts for a provider; the first is the one
/// named when none is given.
pub fn credential_keys(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::Avito | Provider::Instagram => &["login", "password"],
        Provider::WhatsappBusiness => &[
            "token",
            "app_secret",
            "hosting_type",
            "subtype",
            "dialog360_channel_id",
            "dialog360_client_id",
            "account_name",
        ],
        Provider::Whatsapp | Provider::TelegramPersonal => &["token", "phone"],
        Provider::InstagramBusiness
        | Provider::Facebook
        | Provider::Telegram
        | Provider::Viber
        | Provider::Vkontakte
        | Provider::VkontakteDirect => &["token"],
    }
}

/// How far back `sync_messages_from` may reach: one month, counted as 31 days.
pub const SYNC_WINDOW_SECONDS: i64 = 31 * 24 * 3600;

/// Checks a `sync_messages_from` instant (unix seconds) against `now` (unix seconds).
pub fn check_sync_from(from: i64, now: i64) -> Result<(), &'static str> {
    if from < now - SYNC_WINDOW_SECONDS {
        return Err("must not be older than one month");
    }
    if from > now + 24 * 3600 {
        return Err("must not be in the future");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_window() {
        let now = 1_700_000_000;
        assert!(check_sync_from(now, now).is_ok());
        assert!(check_sync_from(now - SYNC_WINDOW_SECONDS, now).is_ok());
        assert!(check_sync_from(now - SYNC_WINDOW_SECONDS - 1, now).is_err());
        assert!(check_sync_from(now + 3 * 24 * 3600, now).is_err());
    }

    #[test]
    fn every_provider_has_credentials() {
        for p in Provider::ALL {
            assert!(!credential_keys(p).is_empty());
        }
    }
}
