//! What the tests share, by topic:
//!
//! - [`server`]: `TestServer`, a real confab server in-process on 127.0.0.1:0 with a temp
//!   data dir and a user, started, stopped and restarted; its store and blobs read directly.
//! - [`http`]: requests to it with a token, in every body encoding, answered as (status,
//!   JSON body); the paths the tests address.
//! - [`assertions`]: assertions on answers (error bodies, the conversation shape).
//! - [`api`]: test data made and read back through the API, and delivery jobs and acks
//!   waited for.
//! - [`process`]: the real `confab` binary run as a process (user create, serve, the
//!   client subcommands), and requests to it by its base URL.
//! - [`sse`]: a Server-Sent Events reader for the event stream.
//! - [`receiver`]: the fake webhook receiver, a real local HTTP server that records what
//!   confab posts to it.
//!
//! With `CONFAB_TEST_DATABASE_URL` set, servers run on PostgreSQL (see `backend.rs`).

#![allow(dead_code)]

mod api;
mod assertions;
mod http;
pub mod process;
mod receiver;
mod server;
mod sse;

pub use assertions::*;
pub use http::*;
pub use receiver::*;
pub use server::*;
pub use sse::*;
