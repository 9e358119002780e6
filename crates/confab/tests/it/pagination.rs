//! Tests: pagination.

use crate::harness::*;
