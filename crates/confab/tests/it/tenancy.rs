//! Tests: tenancy.

use crate::harness::*;
