//! The request bodies of the p1 endpoints, one type each.
//!
//! The client sends these (as JSON), and the server's OpenAPI document describes its
//! endpoints' bodies with them (the `openapi` feature), so the two cannot drift. The server
//! still reads parameters one by one, since Pact clients send them as query string, form,
//! JSON or multipart alike. Optional fields are left out when `None`, never sent as `null`.
//! The limits in the schema attributes are [`crate::limits`]; the server's tests check that
//! the document states exactly those.
//!
//! Doc comments here are also the OpenAPI descriptions. The document's component names are
//! its own, kept stable for its readers: [`NewCompany`] is `NewCompanyParams`,
//! [`CompanyUpdate`] `CompanyPatchParams`, [`NewChannel`] `NewChannelParams`,
//! [`ChannelCredentials`] `ChannelCredentialsParams`, [`NewConversation`]
//! `NewConversationParams`, [`ConversationNote`] `NoteParams`, [`Assignment`]
//! `AssignParams`, [`BitrixOpenlinesBlock`] `ToggleBitrixParams`, [`NewMessage`]
//! `SendParams`, [`Interactive`] `InteractiveParams`, [`WriteFirst`] `WriteFirstParams`,
//! [`Template`] `TemplateParams`, [`UploadUrl`] `UploadUrlParams`, [`Inbound`]
//! `InboundParams`, [`ContactReachability`] `ContactParams`, [`ChannelEvent`]
//! `SandboxEventName`, [`SimulatedEvent`] `EventParams` and [`ReadReceipt`] `ReadParams`.
//! The multipart bodies (an upload, an incoming message with a file) are the server's own
//! types: their `file` part is bytes, not a serde field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Provider;

/// The parameters of `POST /p1/companies`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NewCompanyParams))]
pub struct NewCompany {
    /// Display name, not blank.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 255, pattern = r"\S", example = "Acme")
    )]
    pub name: String,
    /// Company or contact phone, free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 255, nullable = false))]
    pub phone: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub description: Option<String>,
    /// An http(s) URL that must answer Pact's test request with 200 (empty: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048, nullable = false))]
    pub webhook_url: Option<String>,
}

impl NewCompany {
    /// A company called `name`.
    ///
    /// ```
    /// let acme = confab_wire::requests::NewCompany::new("Acme").phone("+7 925 000-00-01");
    /// assert_eq!(acme.name, "Acme");
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// With a phone.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// With a description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// With a webhook URL: the server first POSTs a test request there, and anything but a
    /// 200 fails the create with a 400 naming `webhook_url`.
    #[must_use]
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }
}

/// The parameters of `PUT /p1/companies/{company_id}`: only those given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CompanyPatchParams))]
pub struct CompanyUpdate {
    /// Display name, not blank.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 255, nullable = false)
    )]
    pub name: Option<String>,
    /// Company or contact phone, free text (empty: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 255, nullable = false))]
    pub phone: Option<String>,
    /// Free text (empty: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub description: Option<String>,
    /// An http(s) URL that must answer Pact's test request with 200; empty clears it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048, nullable = false))]
    pub webhook_url: Option<String>,
    /// Hides the company.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub hidden: Option<bool>,
}

impl CompanyUpdate {
    /// A change of nothing yet.
    ///
    /// ```
    /// let change = confab_wire::requests::CompanyUpdate::new()
    ///     .name("Acme Ltd")
    ///     .clear_webhook_url();
    /// assert_eq!(change.webhook_url.as_deref(), Some(""));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Rename.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Set the phone.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Remove the phone.
    #[must_use]
    pub fn clear_phone(self) -> Self {
        self.phone("")
    }

    /// Set the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Remove the description.
    #[must_use]
    pub fn clear_description(self) -> Self {
        self.description("")
    }

    /// Set the webhook URL (pinged first, as on create).
    #[must_use]
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Stop sending webhooks.
    #[must_use]
    pub fn clear_webhook_url(self) -> Self {
        self.webhook_url("")
    }

    /// Hide (`true`) or show the company in Pact's web UI (API lists still show it).
    #[must_use]
    pub fn hidden(mut self, hidden: bool) -> Self {
        self.hidden = Some(hidden);
        self
    }
}

/// The parameters of `POST /p1/companies/{company_id}/channels`: the provider and the
/// settings it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NewChannelParams))]
pub struct NewChannel {
    /// The messenger; one live channel per provider.
    #[cfg_attr(feature = "openapi", schema(example = "telegram"))]
    pub provider: Provider,
    /// Bot or API token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub token: Option<String>,
    /// Login (avito, instagram).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub login: Option<String>,
    /// Password (avito, instagram).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub password: Option<String>,
    /// The account's phone (whatsapp, telegram_personal).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub phone: Option<String>,
    /// whatsapp_business hosting type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub hosting_type: Option<String>,
    /// whatsapp_business subtype.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub subtype: Option<String>,
    /// whatsapp_business 360dialog channel id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub dialog360_channel_id: Option<String>,
    /// whatsapp_business 360dialog client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub dialog360_client_id: Option<String>,
    /// whatsapp_business account name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub account_name: Option<String>,
    /// Connect by QR code.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub via_qr_code: Option<bool>,
    /// Do not mark incoming messages as read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub do_not_mark_as_read: Option<bool>,
    /// Sync comments (instagram_business).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub sync_comments: Option<bool>,
    /// Sync mentions (instagram_business).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub sync_mentions: Option<bool>,
    /// Sync history from this instant: unix seconds (or an RFC 3339 time), at most a month
    /// back and not in the future.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub sync_messages_from: Option<i64>,
    /// Provider-specific settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>, nullable = false))]
    pub data: Option<Map<String, Value>>,
}

impl NewChannel {
    /// A channel of `provider` with no settings yet (enough for confab's sandbox).
    ///
    /// ```
    /// use confab_wire::Provider;
    /// use confab_wire::requests::NewChannel;
    ///
    /// let bot = NewChannel::new(Provider::Telegram).token("123:ABC");
    /// assert_eq!(bot.token.as_deref(), Some("123:ABC"));
    /// ```
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            token: None,
            login: None,
            password: None,
            phone: None,
            hosting_type: None,
            subtype: None,
            dialog360_channel_id: None,
            dialog360_client_id: None,
            account_name: None,
            via_qr_code: None,
            do_not_mark_as_read: None,
            sync_comments: None,
            sync_mentions: None,
            sync_messages_from: None,
            data: None,
        }
    }

    /// With a bot or API token.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// With a login and password (avito, instagram).
    #[must_use]
    pub fn login(mut self, login: impl Into<String>, password: impl Into<String>) -> Self {
        self.login = Some(login.into());
        self.password = Some(password.into());
        self
    }

    /// With the account's phone (whatsapp, telegram_personal).
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// Connect by QR code, or not.
    #[must_use]
    pub fn via_qr_code(mut self, via_qr_code: bool) -> Self {
        self.via_qr_code = Some(via_qr_code);
        self
    }

    /// Sync history from `unix_seconds` (at most a month back).
    #[must_use]
    pub fn sync_messages_from(mut self, unix_seconds: i64) -> Self {
        self.sync_messages_from = Some(unix_seconds);
        self
    }
}

/// The parameters of `PUT .../channels/{channel_id}`: the credentials of its provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ChannelCredentialsParams))]
pub struct ChannelCredentials {
    /// Bot or API token (every provider but avito and instagram).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub token: Option<String>,
    /// Login (avito, instagram).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub login: Option<String>,
    /// Password (avito, instagram).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub password: Option<String>,
    /// The account's phone (whatsapp, telegram_personal).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub phone: Option<String>,
    /// whatsapp_business hosting type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub hosting_type: Option<String>,
    /// whatsapp_business subtype.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub subtype: Option<String>,
    /// whatsapp_business 360dialog channel id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub dialog360_channel_id: Option<String>,
    /// whatsapp_business 360dialog client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub dialog360_client_id: Option<String>,
    /// whatsapp_business account name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096, nullable = false))]
    pub account_name: Option<String>,
}

impl ChannelCredentials {
    /// A new bot or API token.
    pub fn token(token: impl Into<String>) -> Self {
        Self {
            token: Some(token.into()),
            ..Self::default()
        }
    }

    /// A new login and password (avito, instagram).
    pub fn login(login: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            login: Some(login.into()),
            password: Some(password.into()),
            ..Self::default()
        }
    }
}

/// The parameters of `POST /p1/companies/{company_id}/conversations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NewConversationParams))]
pub struct NewConversation {
    /// `whatsapp` (with `phone`) or `telegram_personal` (with `phone` or `username`); the
    /// company needs a channel of it.
    #[cfg_attr(feature = "openapi", schema(example = "whatsapp"))]
    pub provider: Provider,
    /// The customer's phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 32,
            pattern = r"^\+?[0-9]{10,15}$",
            nullable = false,
            example = "79250000001"
        )
    )]
    pub phone: Option<String>,
    /// The customer's Telegram username (telegram_personal), `@` optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 64, pattern = r"^@?[A-Za-z0-9_]{5,32}$", nullable = false)
    )]
    pub username: Option<String>,
    /// The first message, not blank.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 65536, pattern = r"\S", example = "Hello")
    )]
    pub text: String,
    /// Sync the message to CRM integrations (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub send_to_crm: Option<bool>,
}

impl NewConversation {
    /// A WhatsApp conversation with `phone`, starting with `text`.
    ///
    /// ```
    /// use confab_wire::requests::NewConversation;
    ///
    /// let hello = NewConversation::whatsapp("79250000001", "Hello").send_to_crm(false);
    /// assert_eq!(hello.phone.as_deref(), Some("79250000001"));
    /// ```
    pub fn whatsapp(phone: impl Into<String>, text: impl Into<String>) -> Self {
        Self::by_phone(Provider::Whatsapp, phone, text)
    }

    /// A personal Telegram conversation with the account of `phone`.
    pub fn telegram_phone(phone: impl Into<String>, text: impl Into<String>) -> Self {
        Self::by_phone(Provider::TelegramPersonal, phone, text)
    }

    /// A personal Telegram conversation with `username`.
    pub fn telegram_username(username: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            provider: Provider::TelegramPersonal,
            phone: None,
            username: Some(username.into()),
            text: text.into(),
            send_to_crm: None,
        }
    }

    fn by_phone(provider: Provider, phone: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            provider,
            phone: Some(phone.into()),
            username: None,
            text: text.into(),
            send_to_crm: None,
        }
    }

    /// Whether the first message is synced to CRM integrations (the server's default: yes).
    #[must_use]
    pub fn send_to_crm(mut self, send: bool) -> Self {
        self.send_to_crm = Some(send);
        self
    }
}

/// The parameters of `PUT .../conversations/{conversation_id}/note`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NoteParams))]
pub struct ConversationNote {
    /// The operators' note (may be empty).
    #[cfg_attr(feature = "openapi", schema(max_length = 65536))]
    pub note: String,
}

/// The parameters of `PUT .../conversations/{conversation_id}/assign`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = AssignParams))]
pub struct Assignment {
    /// A user who is a member of the company; absent to unassign.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, nullable = false))]
    pub assignee_id: Option<i64>,
}

/// The parameters of `POST /p1/companies/{company_id}/members`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NewMemberParams))]
pub struct NewMember {
    /// The user to add (an existing confab user).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub user_id: i64,
    /// `admin` or `agent`.
    pub role: crate::Role,
}

/// The parameters of `PUT /p1/companies/{company_id}/members/{user_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = MemberRoleParams))]
pub struct MemberRole {
    /// `admin` or `agent`.
    pub role: crate::Role,
}

/// The parameters of `PUT .../conversations/{conversation_id}/toggle_bitrix_block_openlines`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ToggleBitrixParams))]
pub struct BitrixOpenlinesBlock {
    /// Block (true) or unblock Bitrix24 open lines; absent flips.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub enabled: Option<bool>,
}

/// Buttons under a WhatsApp Business message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = InteractiveParams))]
pub struct Interactive {
    /// Always `button`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^button$"))]
    pub kind: String,
    /// 1 to 3 button titles of 1 to 20 characters.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 3))]
    pub buttons: Vec<String>,
}

impl Interactive {
    /// Buttons with these titles (1 to [`crate::limits::MAX_BUTTONS`], each at most
    /// [`crate::limits::MAX_BUTTON_TITLE_CHARS`] characters).
    ///
    /// ```
    /// let yes_no = confab_wire::requests::Interactive::buttons(["Yes", "No"]);
    /// assert_eq!(yes_no.kind, "button");
    /// ```
    pub fn buttons<T: Into<String>>(titles: impl IntoIterator<Item = T>) -> Self {
        Self {
            kind: "button".to_owned(),
            buttons: titles.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Interactive> for Value {
    fn from(interactive: Interactive) -> Self {
        serde_json::json!({"type": interactive.kind, "buttons": interactive.buttons})
    }
}

/// The parameters of a send: a text, attachments, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SendParams))]
pub struct NewMessage {
    /// The text (may be empty when attachments are given).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 65536, nullable = false, example = "Here you are")
    )]
    pub message: Option<String>,
    /// Ids of attachments uploaded to this conversation (`attachments_ids[]=1`), each sent
    /// once; how many a message may carry depends on the provider.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(required = false, example = json!([1])))]
    pub attachments_ids: Vec<i64>,
    /// The WhatsApp Business interactive part (whatsapp_business channels only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<Interactive>, nullable = false)
    )]
    pub interactive: Option<Value>,
    /// Sync the message to CRM integrations (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub send_to_crm: Option<bool>,
}

impl NewMessage {
    /// A text message.
    ///
    /// ```
    /// use confab_wire::requests::NewMessage;
    ///
    /// let reply = NewMessage::text("Here you are").attachment(7).send_to_crm(false);
    /// assert_eq!(reply.attachments_ids, vec![7]);
    /// ```
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            message: Some(text.into()),
            ..Self::default()
        }
    }

    /// A message of attachments only.
    pub fn attachments(ids: impl IntoIterator<Item = i64>) -> Self {
        Self {
            attachments_ids: ids.into_iter().collect(),
            ..Self::default()
        }
    }

    /// With one more attachment.
    #[must_use]
    pub fn attachment(mut self, id: i64) -> Self {
        self.attachments_ids.push(id);
        self
    }

    /// With an interactive part (WhatsApp Business channels only): an [`Interactive`], or
    /// any JSON value.
    #[must_use]
    pub fn interactive(mut self, interactive: impl Into<Value>) -> Self {
        self.interactive = Some(interactive.into());
        self
    }

    /// Whether it is synced to CRM integrations (the server's default: yes).
    #[must_use]
    pub fn send_to_crm(mut self, send: bool) -> Self {
        self.send_to_crm = Some(send);
        self
    }
}

/// The template a whatsapp_business channel writes first with (`template[id]=...`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = TemplateParams))]
pub struct Template {
    /// The template's `waba_id` (its name at Meta), or its numeric `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false, example = "welcome"))]
    pub id: Option<String>,
    /// The template's language; it must have a version in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false, example = "ru"))]
    pub language_code: Option<String>,
    /// The values of the body's placeholders, in order: a list (`template[parameters][]=a`),
    /// or an object keyed by position (`{"1": "Ivan"}`); absent means none. Exactly the
    /// template's `substitutions_count` of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub parameters: Vec<String>,
}

/// The parameters of seeding a sandbox template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SeedTemplateParams))]
pub struct SeedTemplate {
    /// The template's name at Meta (at least one of `waba_id` and `name`; each defaults to
    /// the other).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(nullable = false, max_length = 512, example = "welcome")
    )]
    pub waba_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(nullable = false, max_length = 512, example = "Welcome")
    )]
    pub name: Option<String>,
    /// Language code.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 16, example = "ru")
    )]
    pub language: String,
    /// The body, with `{{1}}`, `{{2}}`... placeholders.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 1024, example = "Hello {{1}}")
    )]
    pub body: String,
    /// Review status (`APPROVED` by default; `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(nullable = false, max_length = 32, example = "APPROVED")
    )]
    pub status: Option<String>,
}

/// The parameters of writing first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = WriteFirstParams))]
pub struct WriteFirst {
    /// The customer's phone number.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 32,
            pattern = r"^\+?[0-9]{10,15}$",
            example = "79250000001"
        )
    )]
    pub phone: String,
    /// The first message's text (whatsapp; `text` is read too).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 65536, nullable = false, example = "Hello")
    )]
    pub message: Option<String>,
    /// The first message's text, when `message` is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 65536, nullable = false))]
    pub text: Option<String>,
    /// Sync the message to CRM integrations (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub send_to_crm: Option<bool>,
    /// The template of a whatsapp_business channel (`template[id]=...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub template: Option<Template>,
}

impl WriteFirst {
    /// The first message `message` to `phone`.
    ///
    /// ```
    /// let first = confab_wire::requests::WriteFirst::new("79250000001", "Hello");
    /// assert_eq!(first.message.as_deref(), Some("Hello"));
    /// ```
    pub fn new(phone: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            phone: phone.into(),
            message: Some(message.into()),
            ..Self::default()
        }
    }

    /// Whether the message is synced to CRM integrations (the server's default: yes).
    #[must_use]
    pub fn send_to_crm(mut self, send: bool) -> Self {
        self.send_to_crm = Some(send);
        self
    }
}

/// The parameters of an upload by URL (form or JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = UploadUrlParams))]
pub struct UploadUrl {
    /// An http(s) URL to fetch the file from (public addresses only, unless
    /// `--allow-private-urls`).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2048, pattern = r"\S")
    )]
    pub file_url: String,
}

/// The parameters of a simulated incoming message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = InboundParams))]
pub struct Inbound {
    /// The customer's id on the messenger (phone digits for WhatsApp), not blank.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 255, example = "79250000001")
    )]
    pub sender_external_id: String,
    /// The customer's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 255, nullable = false, example = "Ivan")
    )]
    pub name: Option<String>,
    /// The text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 65536, nullable = false, example = "Hi!")
    )]
    pub message: Option<String>,
    /// A URL to fetch the customer's file from.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048, nullable = false))]
    pub file_url: Option<String>,
}

impl Inbound {
    /// A message from `sender_external_id`.
    ///
    /// ```
    /// let hi = confab_wire::requests::Inbound::new("79250000001").name("Ivan").message("Hi!");
    /// assert_eq!(hi.sender_external_id, "79250000001");
    /// ```
    pub fn new(sender_external_id: impl Into<String>) -> Self {
        Self {
            sender_external_id: sender_external_id.into(),
            ..Self::default()
        }
    }

    /// With the contact's name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// With text.
    #[must_use]
    pub fn message(mut self, text: impl Into<String>) -> Self {
        self.message = Some(text.into());
        self
    }

    /// With a file the server fetches.
    #[must_use]
    pub fn file_url(mut self, url: impl Into<String>) -> Self {
        self.file_url = Some(url.into());
        self
    }

    /// The fields that are set, as `(name, value)` pairs: the text parts of a multipart
    /// body that also carries a `file`.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("sender_external_id", Some(self.sender_external_id.as_str())),
            ("name", self.name.as_deref()),
            ("message", self.message.as_deref()),
            ("file_url", self.file_url.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect()
    }
}

/// The parameters of a contact's reachability.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ContactParams))]
pub struct ContactReachability {
    /// The contact's id on the messenger, not blank.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 255, example = "79250000001")
    )]
    pub sender_external_id: String,
    /// Whether deliveries to the contact succeed.
    pub reachable: bool,
}

/// The channel events the sandbox simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SandboxEventName))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChannelEvent {
    /// The channel is authorized (state `enabled`).
    Authorized,
    /// The phone running the channel went offline: deliveries fail.
    PhoneOffline,
    /// It is back (state `enabled`).
    PhoneOnline,
    /// The messenger is unreachable: deliveries fail.
    Unavailable,
    /// The channel was disabled: deliveries fail.
    Disabled,
    /// The channel is trying to resume work (state `unavailable`).
    TryingResumeWork,
    /// The history is synchronized (state `enabled`).
    Synchronized,
    /// A QR code to scan is announced (a `qr_code` webhook); the state does not change.
    QrCode,
}

impl ChannelEvent {
    /// Every event, in the document's order.
    pub const ALL: [ChannelEvent; 8] = [
        ChannelEvent::Authorized,
        ChannelEvent::PhoneOffline,
        ChannelEvent::PhoneOnline,
        ChannelEvent::Unavailable,
        ChannelEvent::Disabled,
        ChannelEvent::TryingResumeWork,
        ChannelEvent::Synchronized,
        ChannelEvent::QrCode,
    ];

    /// The name the API takes.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelEvent::Authorized => "authorized",
            ChannelEvent::PhoneOffline => "phone_offline",
            ChannelEvent::PhoneOnline => "phone_online",
            ChannelEvent::Unavailable => "unavailable",
            ChannelEvent::Disabled => "disabled",
            ChannelEvent::TryingResumeWork => "trying_resume_work",
            ChannelEvent::Synchronized => "synchronized",
            ChannelEvent::QrCode => "qr_code",
        }
    }
}

/// The parameters of a channel event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = EventParams))]
pub struct SimulatedEvent {
    /// The event (spaces for underscores and any case are understood).
    pub event: ChannelEvent,
}

/// The parameters of a read receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ReadParams))]
pub struct ReadReceipt {
    /// An outgoing message of the conversation that has been sent.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, example = 1))]
    pub message_id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optional_fields_are_left_out() {
        let body = serde_json::to_value(NewConversation::whatsapp("79250000001", "Hello"));
        assert_eq!(
            body.ok(),
            Some(json!({"provider": "whatsapp", "phone": "79250000001", "text": "Hello"}))
        );
        let body = serde_json::to_value(CompanyUpdate::new().hidden(true));
        assert_eq!(body.ok(), Some(json!({"hidden": true})));
        let body = serde_json::to_value(NewMessage::attachments([1, 2]));
        assert_eq!(body.ok(), Some(json!({"attachments_ids": [1, 2]})));
        let body = serde_json::to_value(Assignment::default());
        assert_eq!(body.ok(), Some(json!({})));
    }

    #[test]
    fn requests_read_back() {
        let message = NewMessage::text("hi")
            .interactive(Interactive::buttons(["Yes", "No"]))
            .send_to_crm(false);
        let json = serde_json::to_value(&message).unwrap_or_default();
        assert_eq!(
            json,
            json!({
                "message": "hi",
                "interactive": {"type": "button", "buttons": ["Yes", "No"]},
                "send_to_crm": false,
            })
        );
        assert_eq!(
            serde_json::from_value::<NewMessage>(json).ok(),
            Some(message)
        );
        let first = WriteFirst::new("79250000001", "Hello");
        let json = serde_json::to_string(&first).unwrap_or_default();
        assert_eq!(json, r#"{"phone":"79250000001","message":"Hello"}"#);
        assert_eq!(serde_json::from_str::<WriteFirst>(&json).ok(), Some(first));
        let interactive: Result<Interactive, _> =
            serde_json::from_value(json!({"type": "button", "buttons": ["a"]}));
        assert_eq!(interactive.ok(), Some(Interactive::buttons(["a"])));
    }

    #[test]
    fn event_names() {
        for event in ChannelEvent::ALL {
            assert_eq!(
                serde_json::to_value(event).ok(),
                Some(Value::from(event.as_str()))
            );
        }
        let body = serde_json::to_value(SimulatedEvent {
            event: ChannelEvent::PhoneOffline,
        });
        assert_eq!(body.ok(), Some(json!({"event": "phone_offline"})));
    }

    #[test]
    fn inbound_fields() {
        let inbound = Inbound::new("7925").message("Hi");
        assert_eq!(
            inbound.fields(),
            vec![("sender_external_id", "7925"), ("message", "Hi")]
        );
    }
}
