//! The one integration-test binary: every test starts the real server on a free loopback
//! port with its own temp data dir and talks HTTP to it.

// Test code may fail loudly: a panic is a failed assertion here.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod backend;
mod harness;
mod isolation;

mod accept;
mod attachments;
mod bad_bodies;
mod binary;
mod browser;
mod channels;
mod cli;
mod clock;
mod companies;
mod conversations;
mod data_dir;
mod database_outage;
mod encodings;
mod events;
mod events_client;
mod idempotency;
mod inbox_pages;
mod instagram_pages;
mod login;
mod members_cli;
mod messages;
mod multinode;
mod openapi;
mod operations;
mod pagination;
mod resilience_connections;
mod resilience_workers;
mod roles;
mod sandbox;
mod service_messages;
mod signin;
pub mod storage_full;
mod telegram;
mod tenancy;
mod waba_templates;
mod webhooks;
mod whatsapp;
mod write_first;
