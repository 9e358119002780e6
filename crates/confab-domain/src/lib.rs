//! The confab domain without I/O: the rows the store hands out and takes in
//! ([`model`]), and the rules of what each change causes ([`rules`]). The store backends
//! persist what these decide; the server's operations and workers speak these types.

pub mod conversation_query;
pub mod intake;
pub mod model;
pub mod rules;
pub mod templates;
