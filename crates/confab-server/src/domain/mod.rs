//! Pure rules and types of the domain: no I/O, unit-tested beside the code.

pub mod channel_events;
pub mod channel_settings;
pub mod contact;
pub mod download;
pub mod outgoing;
pub mod page;
pub mod password;
pub mod signin;
pub mod template_params;
pub mod time;
pub mod token;
