//! Command-line arguments (clap derive). Each command's `--help` ends with an
//! example; validators reject bad values before any work starts (exit code 2).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// orgpool: what you save by pooling your AWS billing, whether to break up your
/// organization or import it whole, and how to move without losing anything.
#[derive(Debug, Parser)]
#[command(name = "orgpool", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  orgpool demo\n  orgpool demo generate --out ./demo --accounts 40 --months 6\n\nExit codes: 0 ok, 1 failure, 2 bad usage or bad input."
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format for data.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table, env = "ORGPOOL_FORMAT")]
    pub format: Format,
    /// More diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How data is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text tables.
    Table,
    /// JSON, for scripts.
    Json,
    /// Markdown tables.
    Markdown,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run orgpool end to end on a generated demo organization, or generate one.
    #[command(
        after_help = "Examples:\n  orgpool demo\n  orgpool demo --keep ./demo-run\n  orgpool demo generate --out ./demo"
    )]
    Demo(DemoArgs),
}

/// `orgpool demo`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    /// Generate only (no subcommand: generate into a temporary folder and run everything).
    #[command(subcommand)]
    pub action: Option<DemoAction>,
    /// Keep the generated data in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

/// `orgpool demo …` subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Write a demo organization bundle (org.json) and its CUR 2.0 export (cur/).
    #[command(
        after_help = "Examples:\n  orgpool demo generate --out ./demo\n  orgpool demo generate --out ./big --rows 10000000 --seed 7\n\nThe same arguments always give the same files."
    )]
    Generate(GenerateArgs),
}

/// `orgpool demo generate`.
#[derive(Debug, Args, Clone)]
pub struct GenerateArgs {
    /// Folder to write org.json and cur/ into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Accounts in the organization, the management account included.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub accounts: u32,
    /// Months of hourly billing data.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=36))]
    pub months: u32,
    /// Size the export to about this many line items (for benchmarks).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=2_000_000_000))]
    pub rows: Option<u64>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First billing period, as YYYY-MM.
    #[arg(long, default_value = "2026-07", value_parser = parse_month)]
    pub start: NaiveDate,
    /// Worker threads (the output does not depend on it; default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,
}

fn parse_month(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a month; expected YYYY-MM, for example 2026-07"))
}
