//! Tests: conversations.

use crate::harness::*;
