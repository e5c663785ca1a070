//! `orgpool assess`: reads the bundle and, when given, the billing data's
//! usage per account, asks the assessment engine for the decision, and renders
//! it as a table, JSON, Markdown or a standalone HTML page.

use anyhow::Result;
use orgpool_assess::{Assessment, Path, Thresholds, render};
use orgpool_model::{AccountUsage, OrgBundle};

use crate::args::{AssessArgs, Format, PathChoice};
use crate::render::Section;

/// Runs the assessment and renders it.
pub fn run(args: &AssessArgs, format: Format) -> Result<String> {
    let bundle = orgpool_org::read_bundle(&args.org).map_err(crate::org::org_error)?;
    let usage = if args.cur.is_empty() {
        None
    } else {
        account_usage(&args.cur, args.input_format, &args.aws, args.activity_days)?
    };
    let pooling = if args.pool_cur.is_empty() {
        None
    } else {
        let mut estimate = crate::args::EstimateArgs::with_defaults(&args.cur);
        estimate.pool_cur = args.pool_cur.clone();
        estimate.input_format = args.input_format;
        estimate.aws = args.aws.clone();
        let (json, _) = crate::estimate::compute(&estimate)?;
        crate::pooled::assessment_figures(&json["pooled"])
    };
    let assessment = compute(
        &bundle,
        usage.as_ref(),
        &thresholds(args),
        args.path,
        pooling,
    );
    Ok(render_assessment(&assessment, format))
}

fn thresholds(args: &AssessArgs) -> Thresholds {
    let size = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    Thresholds {
        activity_days: args.activity_days,
        active_usage: args.active_threshold,
        break_up_max_active_accounts: args.max_active_accounts,
        complex_accounts: size(args.complex_accounts),
        complex_ou_depth: size(args.complex_ou_depth),
        complex_policies: size(args.complex_policies),
        ..Thresholds::default()
    }
}

/// Usage spend per account over the last `days` of the billing data.
pub fn account_usage(
    inputs: &[String],
    format: Option<orgpool_cur::Format>,
    aws: &crate::args::AwsArgs,
    days: u32,
) -> Result<Option<AccountUsage>> {
    let data = crate::estimate::open_billing(inputs, format, aws)?;
    data.account_usage(days).map_err(crate::estimate::cur_error)
}

/// The assessment, planned for `path` when the user chose one.
pub fn compute(
    bundle: &OrgBundle,
    usage: Option<&AccountUsage>,
    t: &Thresholds,
    path: Option<PathChoice>,
    pooling: Option<orgpool_assess::Pooling>,
) -> Assessment {
    let path = path.map(|p| match p {
        PathChoice::BreakUp => Path::BreakUp,
        PathChoice::ImportWhole => Path::ImportWhole,
    });
    orgpool_assess::assess_with(bundle, usage, t, path, pooling)
}

/// Renders an assessment in `format`.
pub fn render_assessment(a: &Assessment, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(a).unwrap_or_default() + "\n",
        Format::Markdown => render::markdown(a),
        Format::Html => render::html(a),
        Format::Table | Format::Csv => {
            crate::render::render(format, &serde_json::Value::Null, &sections(a))
        }
    }
}

/// The assessment as tables: decision, impacts, accounts, runbook.
pub fn sections(a: &Assessment) -> Vec<Section> {
    let mut decision = Section::new(
        &format!(
            "Assessment of {}: recommendation {}",
            a.organization_id,
            a.recommendation.as_str()
        ),
        &["reason", "detail", "evidence"],
    );
    for r in &a.reasons {
        decision.row([
            r.rule.clone(),
            r.detail.clone(),
            render::evidence_brief(&r.evidence),
        ]);
    }
    decision.row(["activity".into(), a.activity.note.clone(), String::new()]);
    let mut impacts = Section::new(
        &format!("Impacts (severity under {})", a.planned_path.as_str()),
        &["severity", "area", "impact", "evidence", "remediation"],
    );
    for i in &a.impacts {
        impacts.row([
            i.severity.as_str().to_owned(),
            i.area.as_str().to_owned(),
            i.title.clone(),
            render::evidence_brief(&i.evidence),
            i.remediation.clone(),
        ]);
    }
    let mut accounts = Section::new(
        "Accounts: activity and leave readiness",
        &[
            "account",
            "name",
            "status",
            "active",
            "usage spend",
            "leave blockers",
        ],
    );
    for acc in &a.accounts {
        accounts.row([
            format!(
                "{}{}",
                acc.id,
                if acc.management { " (management)" } else { "" }
            ),
            acc.name.clone(),
            acc.status.clone(),
            match acc.active {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "unknown".into(),
            },
            acc.usage_cost
                .map_or("unknown".into(), |c| format!("{c:.2}")),
            render::blocker_summary(acc),
        ]);
    }
    let mut runbook = Section::new(
        &format!(
            "Runbook: {} (--format markdown or html for pre-checks and rollbacks)",
            a.planned_path.as_str()
        ),
        &["step", "run as", "what", "command"],
    );
    for s in &a.runbook {
        runbook.row([
            s.order.to_string(),
            s.run_as.clone(),
            s.title.clone(),
            s.command.clone(),
        ]);
    }
    vec![decision, impacts, accounts, runbook]
}
