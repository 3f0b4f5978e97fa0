//! The library calls that the CLI and the HTTP API are thin shells over.
//!
//! Architecture invariant: this crate composes the importer, the store (and, later, the
//! coordinator) but owns no SQL and no wire format of its own. Anything a user can do
//! from `atl` or from `/api/atl` is one function here, so both shells behave alike.

mod error;
mod import;
mod upload;

pub use error::AppError;
pub use import::{ImportOutcome, ImportRequest, import_csv};
pub use upload::read_upload_file;
