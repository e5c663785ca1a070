//! The `orgpool` binary: parses arguments, calls the library crates, renders.
//!
//! Exit codes: 0 ok, 1 failure, 2 bad usage or bad input. Errors are printed
//! with their whole chain (`{:#}`); diagnostics go to stderr through tracing
//! (`-v`, `-vv` or `RUST_LOG`).

mod args;
mod assess;
mod aws;
mod billing;
mod commands;
mod estimate;
mod org;
mod pooled;
mod render;

use std::process::ExitCode;

use clap::Parser;

/// An error that is the user's to fix: bad arguments or bad input files.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

impl BadInput {
    /// The error and every cause under it, as `{:#}` prints them, so that
    /// "cannot read FILE" keeps its "No such file or directory".
    pub fn from_error(e: &dyn std::error::Error) -> Self {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        Self(text)
    }
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    init_tracing(cli.global.verbose);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.chain().any(|cause| cause.is::<BadInput>()) {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
