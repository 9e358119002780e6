//! What the messenger scenarios (Telegram, WhatsApp Business) share: a fresh server with
//! a company, one channel, its event stream and a loopback webhook receiver ([`rig`]);
//! inbound probe messages and their figures ([`inbound`]); replies posted round robin over
//! the conversations ([`replies`]).

pub mod inbound;
pub mod receiver;
pub mod replies;
pub mod rig;
pub mod runs;
