//! Test support shared by orgpool's integration tests (a dev-dependency only).
//!
//! The independent peers the tests compare against live in the Python venv that
//! `scripts/test` builds (pinned DuckDB and jsonschema); this crate finds it and
//! runs queries there, and finds the public billing files in `shared/data/real`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test venv's Python (`ORGPOOL_PYTHON`, else `.venv/bin/python`).
pub fn python() -> PathBuf {
    let path = std::env::var_os("ORGPOOL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/python"));
    assert!(
        path.exists(),
        "{} is missing: run scripts/test, which builds the test venv",
        path.display()
    );
    path
}

/// Runs a DuckDB query in the venv and returns its first value as a number
/// (NULL reads as 0).
pub fn duckdb_scalar(sql: &str) -> f64 {
    let program =
        format!("import duckdb; print(duckdb.connect().execute({sql:?}).fetchone()[0] or 0)");
    let out = Command::new(python())
        .args(["-c", &program])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "duckdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("duckdb printed {text:?}"))
}

/// A file of the public billing data beside the checkout (`../shared/data/real`).
pub fn real_data(name: &str) -> String {
    let dir = workspace().join("../shared/data/real");
    assert!(
        dir.is_dir(),
        "{} is missing: the public billing data must sit beside the checkout",
        dir.display()
    );
    dir.join(name).to_string_lossy().into_owned()
}
