//! The client against the real confab server in-process, and against tiny local peers for
//! retries, redirects and broken answers. One test binary; every test has its own server.

// Test code may fail loudly: a panic is a failed assertion here.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod attachments;
mod channels;
mod companies;
mod config;
mod conversations;
mod errors;
mod harness;
mod jobs;
mod members;
mod messages;
mod pagination;
mod retries;
mod sandbox;
mod webhooks;
