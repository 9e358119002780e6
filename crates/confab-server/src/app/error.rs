//! What an operation can fail with, in the words of its inputs; the HTTP layer maps these
//! to the Pact error table, a connector to a log line or a retry.

use confab_store::StoreError;

/// Why an operation did not happen. Nothing was changed when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A required input was not given; `detail` says what would do.
    #[error("{field} {detail}")]
    Missing {
        /// The input (named as p1 clients name the parameter).
        field: &'static str,
        /// What is required, for people.
        detail: String,
    },
    /// An input has a value the operation refuses.
    #[error("{field}: {reason}")]
    Invalid {
        /// The input (named as p1 clients name the parameter).
        field: &'static str,
        /// What is wrong, for people.
        reason: String,
    },
    /// A row the operation needs does not exist (or belongs to another company).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A file is larger than the configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Blob storage is out of space.
    #[error("{0}")]
    StorageFull(String),
    /// Something that should not fail did (blob storage, a broken row); logged, not shown.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// An input with a bad value.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        AppError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// The result of every operation.
pub type AppResult<T> = Result<T, AppError>;
