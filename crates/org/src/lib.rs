//! Organization inventory sources: where an [`OrgBundle`] comes from.
//!
//! - [`live`]: discovery through the AWS APIs from the management account:
//!   AWS Organizations, IAM Identity Center and its identity store, CloudTrail,
//!   RAM, Config, and each member account's IAM roles through an assumed role.
//!   Pagination everywhere, bounded concurrency, adaptive retry, and every API
//!   that fails recorded in the bundle as a gap instead of ending the run.
//! - [`aws`]: loading AWS's standard configuration chain, for every AWS caller.
//! - [`from_cli`]: a folder of saved `aws organizations`, `aws sso-admin` and
//!   `aws identitystore` outputs, for users who grant no access.
//! - [`read_bundle`]: a saved bundle, checked (format, version, unique IDs,
//!   known parents, no OU cycles) before anything uses it.
//!
//! The demo generator (`orgpool-demo`) is the third source; it writes the same
//! format.

pub mod aws;
pub mod from_cli;
pub mod live;

use std::path::Path;

pub use orgpool_model::OrgBundle;

/// Why an inventory could not be taken or read.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// The bundle file is not a valid bundle (the user's input).
    #[error("{path}: {source}")]
    BadBundle {
        /// The file.
        path: String,
        /// What is wrong with it.
        source: orgpool_model::BundleError,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A folder of saved CLI outputs that cannot be read (the user's input).
    #[error("{0}")]
    BadExport(String),
    /// The caller is not allowed in, or is not in a management account.
    #[error("{0}")]
    Access(String),
    /// AWS answered with something discovery cannot use.
    #[error("{0}")]
    Aws(String),
}

impl OrgError {
    /// True when the user can fix it (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            OrgError::BadBundle { .. } | OrgError::BadExport(_) | OrgError::Access(_)
        )
    }
}

/// Reads and validates a bundle file.
pub fn read_bundle(path: &Path) -> Result<OrgBundle, OrgError> {
    let text = std::fs::read_to_string(path).map_err(|source| OrgError::Io {
        path: path.display().to_string(),
        source,
    })?;
    OrgBundle::from_json(&text).map_err(|source| OrgError::BadBundle {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a bundle as pretty JSON.
pub fn write_bundle(bundle: &OrgBundle, path: &Path) -> Result<(), OrgError> {
    let text = serde_json::to_string_pretty(bundle).map_err(|e| OrgError::Aws(e.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|source| OrgError::Io {
        path: path.display().to_string(),
        source,
    })
}
