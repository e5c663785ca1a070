//! Organization inventory sources: where an [`OrgBundle`] comes from.
//!
//! - [`live`]: discovery through the AWS APIs from the management account:
//!   AWS Organizations, IAM Identity Center and its identity store, CloudTrail,
//!   RAM, Config, and each member account's IAM roles through an assumed role.
//!   Pagination everywhere, bounded concurrency, adaptive retry, and every API
//!   that fails recorded in the bundle as a gap instead of ending the run.
//! - [`aws`]: loading AWS's standard configuration chain, for every AWS caller.
//! - [`from_cli`]: a folder of saved `aws organizations`, `aws sso-admin`,
//!   `aws identitystore`, `aws iam` and (per region) `aws cloudtrail`,
//!   `aws configservice`, `aws ram` and `aws cloudformation` outputs, and
//!   each account's resource policies (`aws s3api`, `aws kms`, `aws sqs`,
//!   `aws sns`, `aws lambda`, `aws events`, `aws ecr`,
//!   `aws secretsmanager`), for users who grant no access.
//! - [`read_bundle`]: a saved bundle, checked (format, version, unique IDs,
//!   known parents, no OU cycles) before anything uses it.
//!
//! The demo generator (`orgpool-demo`) is the third source; it writes the same
//! format.

pub mod aws;
pub mod from_cli;
mod iam_details;
pub mod live;

use std::path::Path;

pub use orgpool_model::OrgBundle;

/// Why an inventory could not be taken or read.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// The bundle file is not a valid bundle (the user's input).
    // Not `source`: the message says it already, and a source would be
    // printed a second time where the error's causes are listed.
    #[error("{path}: {problem}")]
    BadBundle {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: orgpool_model::BundleError,
    },
    /// An input file could not be read (the user's input: a wrong path or
    /// missing permission).
    #[error("cannot read {path}")]
    Unreadable {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {path}")]
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
            OrgError::BadBundle { .. }
                | OrgError::Unreadable { .. }
                | OrgError::BadExport(_)
                | OrgError::Access(_)
        )
    }
}

/// Reads and validates a bundle file: the format and version first, then the
/// published JSON Schema (`docs/org-bundle.schema.json`, generated from the
/// types), then what a schema cannot say (unique IDs, known parents, no cycles).
pub fn read_bundle(path: &Path) -> Result<OrgBundle, OrgError> {
    let text = std::fs::read_to_string(path).map_err(|source| OrgError::Unreadable {
        path: path.display().to_string(),
        source,
    })?;
    let bad = |problem| OrgError::BadBundle {
        path: path.display().to_string(),
        problem,
    };
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        let format_ok = value.get("format").and_then(|v| v.as_str())
            == Some(orgpool_model::BUNDLE_FORMAT)
            && value.get("version").and_then(|v| v.as_u64())
                == Some(u64::from(orgpool_model::BUNDLE_VERSION));
        if format_ok {
            schema_check(&value).map_err(|m| bad(orgpool_model::BundleError::Malformed(m)))?;
        }
    }
    OrgBundle::from_json(&text).map_err(|problem| OrgError::BadBundle {
        path: path.display().to_string(),
        problem,
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

/// Validates a bundle against its JSON Schema; the message names the first
/// violations with their JSON pointers.
fn schema_check(value: &serde_json::Value) -> Result<(), String> {
    let schema = orgpool_model::bundle_schema();
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| format!("the bundle schema does not compile (a bug): {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| format!("schema violation at {}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}
