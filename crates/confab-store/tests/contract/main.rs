//! The store contract suite: one set of checks of every `Store` method, run on every
//! backend. Each check is an `async fn(&Backend)` in a topic module; `contract!` turns it
//! into two tests, `<check>::sqlite` (always: a store in a temp dir) and
//! `<check>::postgres` (a fresh database on the cluster `CONFAB_TEST_DATABASE_URL`
//! points at; without it the test says so and passes). A check that passes on one
//! backend and fails on the other is a drift between them.
//!
//! Values are built, and backend-specific types compared, only through `fixtures`, so a
//! change of a model type is a change there.

// Test code may fail loudly: a panic is a failed check here.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

/// Runs each named check on every backend, as the tests `<check>::sqlite` and
/// `<check>::postgres`.
macro_rules! contract {
    ($($check:ident),+ $(,)?) => {$(
        mod $check {
            #[tokio::test]
            async fn sqlite() {
                let backend = crate::backend::sqlite();
                super::$check(&backend).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(backend) = crate::backend::postgres().await else {
                    eprintln!("skipped: CONFAB_TEST_DATABASE_URL is not set");
                    return;
                };
                super::$check(&backend).await;
            }
        }
    )+};
}

mod backend;
mod fixtures;
mod migrations;

mod attachments;
mod channels;
mod companies;
mod conversation_search;
mod conversations;
mod delivery;
mod due_receipts;
mod events;
mod idempotency;
mod intake;
mod members;
mod messages;
mod receipts;
mod sandbox;
mod send_race;
mod sequencer;
mod sessions;
mod signins;
mod stats;
mod templates;
mod tenancy;
mod users;
mod webhooks;
