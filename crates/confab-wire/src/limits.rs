//! The size limits of p1 request parameters, one constant each.
//!
//! The server refuses a longer value with a 400 (`code` `too_long`) naming the parameter,
//! its OpenAPI document states each limit as `maxLength`/`maxItems`, and a client can check
//! a value before sending it. Lengths count characters (Unicode scalar values), as JSON
//! Schema's `maxLength` does, not bytes.

/// The text of a message: `text` of a new conversation, `message` of a send, of writing
/// first and of a simulated incoming message.
pub const MAX_TEXT_CHARS: usize = 65_536;

/// The operators' `note` on a conversation.
pub const MAX_NOTE_CHARS: usize = 65_536;

/// A URL parameter: a company's `webhook_url`, a `file_url` to fetch.
pub const MAX_URL_CHARS: usize = 2048;

/// A company's display `name`.
pub const MAX_COMPANY_NAME_CHARS: usize = 255;

/// A company's `phone`, free text (not the normalised customer phone of
/// [`MAX_PHONE_CHARS`]).
pub const MAX_COMPANY_PHONE_CHARS: usize = 255;

/// A company's free-text `description`.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;

/// A customer's `phone` number, before normalising to digits.
pub const MAX_PHONE_CHARS: usize = 32;

/// A customer's Telegram `username`, `@` included.
pub const MAX_USERNAME_CHARS: usize = 64;

/// A string setting or credential of a channel (`token`, `login`, `password`, `phone`,
/// `hosting_type`, ...).
pub const MAX_SETTING_CHARS: usize = 4096;

/// A `provider` name (`whatsapp`, `telegram_personal`, ...).
pub const MAX_PROVIDER_NAME_CHARS: usize = 64;

/// A contact's id on the messenger, `sender_external_id` (sandbox).
pub const MAX_SENDER_ID_CHARS: usize = 255;

/// A contact's display `name` (sandbox).
pub const MAX_CONTACT_NAME_CHARS: usize = 255;

/// The name of a simulated channel `event` (sandbox).
pub const MAX_EVENT_NAME_CHARS: usize = 64;

/// A list's `from` token (the `next_page` of the page before).
pub const MAX_PAGE_TOKEN_CHARS: usize = 255;

/// Buttons in one WhatsApp Business interactive message.
pub const MAX_BUTTONS: usize = 3;

/// The title of one interactive button.
pub const MAX_BUTTON_TITLE_CHARS: usize = 20;

/// The longest template name (`waba_id`) and display name (Meta allows 512 characters).
pub const MAX_TEMPLATE_NAME_CHARS: usize = 512;

/// The longest template language code (`en_US`, `zh_CN`, `pt_BR`).
pub const MAX_TEMPLATE_LANGUAGE_CHARS: usize = 16;

/// The longest template body (Meta allows 1024 characters in a BODY).
pub const MAX_TEMPLATE_BODY_CHARS: usize = 1024;

/// The longest template status word (`APPROVED`, `PENDING_DELETION`).
pub const MAX_TEMPLATE_STATUS_CHARS: usize = 32;

/// The most parameters a template send may carry.
pub const MAX_TEMPLATE_PARAMETERS: usize = 100;

/// The longest channel sign-in password (a messenger account's two-factor password).
pub const MAX_SIGNIN_PASSWORD_CHARS: usize = 255;
