//! Tests: sandbox.

use crate::harness::*;
