//! Command handlers: turn parsed arguments into library calls and render.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use orgpool_demo::{DemoConfig, DemoError, DemoSummary};
use orgpool_model::{AccountStatus, OrgBundle};

use crate::BadInput;
use crate::args::{BillingAction, Cli, Command, DemoAction, GenerateArgs, OrgAction};
use crate::render::{Section, render};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let format = cli.global.format;
    let output = match cli.command {
        Command::Demo(demo) => match demo.action {
            Some(DemoAction::Generate(args)) => demo_generate(&args, format)?,
            None => demo_run(demo.keep.as_deref(), format)?,
        },
        Command::Estimate(args) => crate::estimate::run(&args, format)?,
        Command::Assess(args) => crate::assess::run(&args, format)?,
        Command::Discover(args) => crate::org::discover(&args, format)?,
        Command::OnboardingTemplate => {
            serde_json::to_string_pretty(&orgpool_org::live::onboarding_template())? + "\n"
        }
        Command::Org(org) => match org.action {
            OrgAction::Show(args) => crate::org::show(&args, format)?,
            OrgAction::FromCli(args) => crate::org::from_cli(&args)?,
            OrgAction::Replay(args) => {
                let bundle =
                    orgpool_org::read_bundle(&args.bundle).map_err(crate::org::org_error)?;
                serde_json::to_string_pretty(&orgpool_assess::replay::template(&bundle))? + "\n"
            }
            OrgAction::Diff(args) => {
                // Like diff(1): a difference is exit 1, with the report.
                let (output, nothing_lost) = crate::org::diff(&args, format)?;
                write_output(&output)?;
                return Ok(if nothing_lost {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
        },
        Command::Billing(billing) => match billing.action {
            BillingAction::Plan(args) => crate::billing::plan(&args, format)?,
            BillingAction::Proforma(args) => crate::billing::proforma(&args, format)?,
            BillingAction::Cloudformation(args) => crate::billing::cloudformation(&args)?,
        },
    };
    write_output(&output)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a command's output to stdout. When the reader has gone away
/// (`orgpool demo | head`), stops quietly and successfully, as Unix tools do,
/// instead of panicking as `print!` would.
fn write_output(output: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write the output: {e}"))
        }
        _ => Ok(()),
    }
}

fn config_from(args: &GenerateArgs) -> DemoConfig {
    let mut config = DemoConfig {
        accounts: args.accounts as usize,
        months: args.months,
        rows: args.rows,
        seed: args.seed,
        start: args.start,
        commitment_scale: args.commitment_scale,
        ..DemoConfig::default()
    };
    if let Some(threads) = args.threads {
        config.threads = threads as usize;
    }
    config
}

fn generate(config: &DemoConfig, out: &Path) -> Result<DemoSummary> {
    orgpool_demo::generate(config, out).map_err(|e| match e {
        DemoError::InvalidArgument(message) => anyhow::Error::new(BadInput(message)),
        other => anyhow::Error::new(other),
    })
}

fn demo_generate(args: &GenerateArgs, format: crate::args::Format) -> Result<String> {
    let summary = generate(&config_from(args), &args.out)?;
    let json = serde_json::json!({ "schema_version": 1, "generated": summary });
    Ok(render(format, &json, &[generation_section(&summary)]))
}

fn generation_section(summary: &DemoSummary) -> Section {
    let mut s = Section::new("Generated demo data", &["item", "value"]);
    let mut add = |k: &str, v: String| s.row([k.to_owned(), v]);
    add(
        "organization bundle",
        summary.org_path.display().to_string(),
    );
    add("CUR 2.0 export", summary.cur_path.display().to_string());
    add("accounts", summary.accounts.to_string());
    add(
        "organizational units",
        summary.organizational_units.to_string(),
    );
    add("policies", summary.policies.to_string());
    add("billing periods", summary.billing_periods.join(", "));
    add("parquet files", summary.files.to_string());
    add("line items", summary.rows.to_string());
    add(
        "unblended cost (USD)",
        format!("{:.2}", summary.unblended_cost),
    );
    for c in &summary.commitments {
        add("commitment held", c.clone());
    }
    s
}

/// `orgpool demo`: generate a default demo and run every capability on it.
fn demo_run(keep: Option<&Path>, format: crate::args::Format) -> Result<String> {
    let temp;
    let dir = match keep {
        Some(dir) => dir.to_owned(),
        None => {
            temp = tempfile::tempdir().context("cannot create a temporary folder")?;
            temp.path().to_owned()
        }
    };
    let summary = generate(&DemoConfig::default(), &dir)?;
    let text = std::fs::read_to_string(&summary.org_path)
        .with_context(|| format!("cannot read {}", summary.org_path.display()))?;
    let bundle = OrgBundle::from_json(&text)
        .map_err(|e| BadInput(format!("{}: {e}", summary.org_path.display())))?;
    let org = org_overview(&bundle);
    // The payer's pool, for the pooled what-if: another organization, its
    // Savings Plans bought ahead of its usage (three times the demo's size),
    // so that they sit idle in its quiet hours.
    let pool_config = DemoConfig {
        seed: 7,
        accounts: 24,
        commitment_scale: 3.0,
        ..DemoConfig::default()
    };
    let pool = generate(&pool_config, &dir.join("payer-pool"))?;
    let mut estimate_args = crate::args::EstimateArgs::for_folder(&summary.cur_path);
    estimate_args.pool_cur = vec![pool.cur_path.to_string_lossy().into_owned()];
    estimate_args.org = Some(summary.org_path.clone());
    // A summary of files in a folder that is about to be deleted would never
    // be read again.
    estimate_args.cache.no_cache = keep.is_none();
    let (estimate, estimate_sections) = crate::estimate::compute(&estimate_args)?;
    let thresholds = orgpool_assess::Thresholds::default();
    let cur = vec![summary.cur_path.to_string_lossy().into_owned()];
    let usage = crate::assess::account_usage(
        &cur,
        None,
        &crate::args::AwsArgs::default(),
        thresholds.activity_days,
    )?;
    let pooling = crate::pooled::assessment_figures(&estimate["pooled"]);
    let assessment = crate::assess::compute(&bundle, usage.as_ref(), &thresholds, None, pooling);
    // The payer's billing groups follow the recommended path: a billing
    // transfer gets one group for the organization; a break-up keeps the
    // top-level OUs as groups.
    let source = match assessment.planned_path {
        orgpool_assess::Path::ImportWhole => orgpool_billing::Source::Org,
        orgpool_assess::Path::BreakUp => orgpool_billing::Source::Ou { depth: 1 },
    };
    let billing_plan =
        orgpool_billing::plan(&bundle, source, None).map_err(|e| BadInput::from_error(&e))?;
    let proforma = crate::billing::compute_proforma(
        &billing_plan,
        &cur,
        None,
        &crate::args::AwsArgs::default(),
        estimate_args.cache(),
    )?;
    let json = serde_json::json!({
        "schema_version": 1,
        "generated": summary,
        "payer_pool": pool,
        "organization": org.0,
        "estimate": estimate,
        "assessment": assessment,
        "billing_plan": billing_plan,
        "proforma": { "groups": proforma.groups },
    });
    let mut pool_section = generation_section(&pool);
    pool_section.title = "Generated payer pool (for the pooled what-if)".to_owned();
    let mut sections = vec![generation_section(&summary), pool_section, org.1];
    sections.extend(estimate_sections);
    sections.extend(crate::assess::sections(&assessment));
    sections.extend(crate::billing::plan_sections(&billing_plan));
    sections.extend(
        crate::billing::proforma_sections(&bundle, &proforma)
            .into_iter()
            .take(2),
    );
    let mut output = render(format, &json, &sections);
    if format != crate::args::Format::Json && keep.is_none() {
        output += "\n(The demo data were written to a temporary folder and removed; pass --keep DIR to keep them.)\n";
    }
    Ok(output)
}

/// A short overview of an organization bundle.
fn org_overview(bundle: &OrgBundle) -> (serde_json::Value, Section) {
    let mut by_parent: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &bundle.accounts {
        *by_parent.entry(a.parent_id.as_str()).or_default() += 1;
    }
    let ou_name = |id: &str| {
        bundle
            .organizational_units
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| "Root".to_owned(), |o| o.name.clone())
    };
    let suspended = bundle
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Suspended)
        .count();
    let sso_assignments: usize = bundle
        .identity_center
        .iter()
        .map(|i| i.account_assignments.len())
        .sum();
    let max_depth = bundle
        .organizational_units
        .iter()
        .map(|o| bundle.ou_depth(&o.id))
        .max()
        .unwrap_or(0);
    let mut s = Section::new(
        &format!("Organization {}", bundle.organization.id),
        &["item", "value"],
    );
    let mut add = |k: &str, v: String| s.row([k.to_owned(), v]);
    add(
        "accounts",
        format!("{} ({} suspended)", bundle.accounts.len(), suspended),
    );
    add("OU depth", max_depth.to_string());
    for (parent, n) in &by_parent {
        add(&format!("accounts in {}", ou_name(parent)), n.to_string());
    }
    add("policies", bundle.policies.len().to_string());
    add(
        "delegated administrators",
        bundle.delegated_administrators.len().to_string(),
    );
    add("Identity Center assignments", sso_assignments.to_string());
    add(
        "organization trails",
        bundle
            .cloudtrail_trails
            .iter()
            .filter(|t| t.is_organization_trail)
            .count()
            .to_string(),
    );
    add("RAM shares", bundle.ram_shares.len().to_string());
    add("cross-account roles", bundle.iam_roles.len().to_string());
    add(
        "resource policies naming the organization",
        bundle.resource_policies.len().to_string(),
    );
    add(
        "identity policies naming the organization",
        bundle.identity_policies.len().to_string(),
    );
    let json = serde_json::json!({
        "id": bundle.organization.id,
        "accounts": bundle.accounts.len(),
        "suspended_accounts": suspended,
        "organizational_units": bundle.organizational_units.len(),
        "ou_depth": max_depth,
        "policies": bundle.policies.len(),
        "delegated_administrators": bundle.delegated_administrators.len(),
        "identity_center_assignments": sso_assignments,
        "ram_shares": bundle.ram_shares.len(),
        "iam_roles": bundle.iam_roles.len(),
        "resource_policies": bundle.resource_policies.len(),
        "identity_policies": bundle.identity_policies.len(),
    });
    (json, s)
}
