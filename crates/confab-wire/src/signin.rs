//! Channel sign-in (`request_code`, `confirm`), Instagram page choice and service
//! messages: their parameters and answers. Sign-in answers carry no envelope, as Pact's.

use serde::{Deserialize, Serialize};

/// The parameters of `request_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = RequestCodeParams))]
pub struct CodeRequest {
    /// The channel's provider: `telegram_personal` or `instagram`.
    #[cfg_attr(feature = "openapi", schema(example = "telegram_personal"))]
    pub provider: String,
    /// instagram: where the challenge code goes (a `value` of an earlier answer's details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, example = 1))]
    pub challenge_variant: Option<i64>,
    /// instagram: `two_factor` requests the second-factor code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "two_factor"))]
    pub challenge_type: Option<String>,
}

/// The parameters of `confirm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ConfirmParams))]
pub struct CodeConfirmation {
    /// The channel's provider: `telegram_personal` or `instagram`.
    pub provider: String,
    /// telegram_personal: `code` or `password`; instagram: `two_factor` for the second factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_type: Option<String>,
    /// telegram_personal: the code sent to the account (digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "12345"))]
    pub code: Option<String>,
    /// telegram_personal: the account's two-factor password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// instagram: the code sent to the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_code: Option<String>,
    /// instagram two-factor: how the code was sent (1 sms, 2 recovery code, 3 totp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub confirmation_variant: Option<i64>,
}

/// The telegram_personal `request_code` answer (no envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// How many digits the code has.
    #[cfg_attr(feature = "openapi", schema(example = 6))]
    pub code_length: u32,
    /// Where the code went: `app` (the account's Telegram app).
    #[cfg_attr(feature = "openapi", schema(example = "app"))]
    pub code_type: String,
    /// Seconds the code is accepted for.
    pub expires_in: u32,
    /// Where a code requested again would go.
    pub next_type: String,
    /// The sign-in session.
    pub session_id: i64,
    /// `ok`.
    #[cfg_attr(feature = "openapi", schema(example = "ok"))]
    pub status: String,
}

/// One way to receive a second-step code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInOption {
    /// The number to send back (`challenge_variant`, `confirmation_variant`).
    pub value: i64,
    /// `sms`, `recovery_code`, `totp`.
    pub key: String,
}

/// `data` of a sign-in answer when a second step is needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInNext {
    /// instagram: the account has two-factor authentication; request its code
    /// (`challenge_type=two_factor`), then confirm it (`confirmation_type=two_factor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_factor_requires: Option<bool>,
    /// telegram_personal: the account has a two-factor password; confirm it
    /// (`confirmation_type=password`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_requires: Option<bool>,
    /// The ways the next code can be sent.
    pub details: Vec<SignInOption>,
}

/// The answer of `confirm` (and of instagram's `request_code`), without an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInResult {
    /// `ok`.
    #[cfg_attr(feature = "openapi", schema(example = "ok"))]
    pub result: String,
    /// telegram_personal: the channel's state afterwards (`enabled`, or
    /// `pending_authorization` while a password is awaited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// What the next step is, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<SignInNext>,
}

/// `data` of `GET .../sandbox/code`: the code the simulated messenger sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxCode {
    /// The channel.
    pub channel_id: i64,
    /// The code to confirm.
    #[cfg_attr(feature = "openapi", schema(example = "123456"))]
    pub code: String,
    /// When it stops being accepted, unix seconds.
    pub expires_at: i64,
    /// Wrong codes given so far (the sign-in stops at `max_attempts`).
    pub attempts: u32,
    /// How many wrong codes end the code.
    pub max_attempts: u32,
}

/// The parameters of `POST .../sandbox/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SandboxPasswordParams))]
pub struct SandboxPasswordRequest {
    /// The account's two-factor password; empty removes it.
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub password: String,
}

/// `data` of `POST .../sandbox/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxPassword {
    /// The channel.
    pub channel_id: i64,
    /// Whether the account now has a two-factor password.
    pub two_factor: bool,
}

/// The parameters of `enable_page_instagram`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = InstagramPageParams))]
pub struct InstagramPage {
    /// The page (`create_pages.page[].id` of the channel's creation), a positive integer.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, example = 919))]
    pub page_id: i64,
    /// How far back to synchronise: `day`, `week`, `month` or `all`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(day|week|month|all)$", example = "week")
    )]
    pub sync_period: String,
}

/// The parameters of a service message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ServiceMessageParams))]
pub struct ServiceMessage {
    /// The recipient's phone: an optional `+` and 10 to 15 digits.
    #[cfg_attr(feature = "openapi", schema(example = "79250000001"))]
    pub phone: String,
    /// The short form (`short_message` is read too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_text: Option<String>,
    /// The full text, sent when given (`long_message` is read too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_text: Option<String>,
    /// The channel to send through (default: the company's whatsapp channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// Or the provider of the channel to send through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// `data` of the service message answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceMessageSent {
    /// The service message: the id of its delivery job
    /// (`GET /p1/companies/CID/channels/CHID/jobs/ID`).
    pub id: i64,
    /// The company.
    pub company_id: i64,
    /// The channel it goes through.
    pub channel_id: i64,
    /// The conversation it was stored in.
    pub conversation_id: i64,
}
