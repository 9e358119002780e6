//! Tests: binary.

use crate::harness::*;
