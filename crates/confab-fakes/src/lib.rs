//! Loopback fakes of the messenger APIs confab talks to.
//!
//! Each fake is a real HTTP server on `127.0.0.1` that speaks the provider's wire
//! format, plus a Rust handle that tests and benchmarks use to play the other side
//! (a customer writing in), to switch on misbehaviour (rate limits, revoked tokens,
//! blocked users, duplicate deliveries) and to observe what the server under test sent.
//!
//! - [`telegram::FakeTelegram`]: the Telegram Bot API (`/bot<token>/<method>`),
//!   with long polling, webhooks, uploads and file downloads.
//! - [`whatsapp::FakeWhatsApp`]: Meta's WhatsApp Cloud API (the Graph API), with
//!   media upload and download, templates, and signed webhook events.

pub mod telegram;
pub mod whatsapp;
