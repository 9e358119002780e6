//! Tests: channels.

use crate::harness::*;
