//! The messenger providers of the p1 documentation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A messenger a channel connects to, named as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// WhatsApp (personal, by QR code).
    Whatsapp,
    /// WhatsApp Business API (templates for the first message).
    WhatsappBusiness,
    /// Avito.
    Avito,
    /// Instagram Business.
    InstagramBusiness,
    /// Legacy Instagram (login and password).
    Instagram,
    /// Facebook Messenger.
    Facebook,
    /// Telegram bot.
    Telegram,
    /// Telegram personal account.
    TelegramPersonal,
    /// Viber.
    Viber,
    /// VK community messages.
    Vkontakte,
    /// VK direct messages.
    VkontakteDirect,
}

/// The error of parsing a provider name that is not one of the documented ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProvider(pub String);

impl fmt::Display for UnknownProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown provider {:?}", self.0)
    }
}

impl std::error::Error for UnknownProvider {}

impl Provider {
    /// Every provider, in the documentation's order.
    pub const ALL: [Provider; 11] = [
        Provider::Whatsapp,
        Provider::WhatsappBusiness,
        Provider::Avito,
        Provider::InstagramBusiness,
        Provider::Instagram,
        Provider::Facebook,
        Provider::Telegram,
        Provider::TelegramPersonal,
        Provider::Viber,
        Provider::Vkontakte,
        Provider::VkontakteDirect,
    ];

    /// The wire name (`whatsapp_business`).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Whatsapp => "whatsapp",
            Provider::WhatsappBusiness => "whatsapp_business",
            Provider::Avito => "avito",
            Provider::InstagramBusiness => "instagram_business",
            Provider::Instagram => "instagram",
            Provider::Facebook => "facebook",
            Provider::Telegram => "telegram",
            Provider::TelegramPersonal => "telegram_personal",
            Provider::Viber => "viber",
            Provider::Vkontakte => "vkontakte",
            Provider::VkontakteDirect => "vkontakte_direct",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;

    /// Parses a wire name; `vk` (the Python SDK's name) is read as `vkontakte`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "vk" {
            return Ok(Provider::Vkontakte);
        }
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Provider::ALL {
            assert_eq!(p.as_str().parse::<Provider>(), Ok(p));
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::json!(p.as_str()))
            );
        }
    }

    #[test]
    fn vk_is_vkontakte_and_unknown_fails() {
        assert_eq!("vk".parse::<Provider>(), Ok(Provider::Vkontakte));
        assert!("icq".parse::<Provider>().is_err());
        assert!("WhatsApp".parse::<Provider>().is_err());
    }
}
