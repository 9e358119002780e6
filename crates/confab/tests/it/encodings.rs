//! Tests: encodings.

use crate::harness::*;
