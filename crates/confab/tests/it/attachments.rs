//! Tests: attachments.

use crate::harness::*;
