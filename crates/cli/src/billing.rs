//! `orgpool billing plan` and `orgpool billing cloudformation`: read the
//! bundle and the user's files, ask the billing crate for the groups and
//! check them against Billing Conductor's rules, then render.

use std::path::Path;

use anyhow::{Context, Result};
use orgpool_billing::{BillingError, BillingPlan, PricingFile, Source};

use crate::BadInput;
use crate::args::{
    BillingCloudformationArgs, BillingPlanArgs, BillingProformaArgs, Format, GroupBy,
};
use crate::render::{Section, render};

fn billing_error(e: BillingError) -> anyhow::Error {
    anyhow::Error::new(BadInput::from_error(&e))
}

/// A user's input file as text, or exit 2 naming it.
fn read_input(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::Error::new(BadInput(format!("cannot read {}: {e}", path.display()))))
}

/// The plan for `args`, checked; a broken rule is bad input.
pub fn compute_plan(args: &BillingPlanArgs) -> Result<BillingPlan> {
    let bundle = orgpool_org::read_bundle(&args.org).map_err(crate::org::org_error)?;
    let pricing = match &args.pricing_plan {
        Some(path) => Some(
            PricingFile::parse(&path.display().to_string(), &read_input(path)?)
                .map_err(billing_error)?,
        ),
        None => None,
    };
    let map_text;
    let map_name;
    let source = match args.by {
        GroupBy::Ou => Source::Ou {
            depth: usize::try_from(args.depth).unwrap_or(1),
        },
        GroupBy::Org => Source::Org,
        GroupBy::File => {
            let Some(path) = &args.map else {
                return Err(BadInput("--by file needs --map CSV".into()).into());
            };
            map_text = read_input(path)?;
            map_name = path.display().to_string();
            Source::File {
                path: &map_name,
                text: &map_text,
            }
        }
    };
    let plan = orgpool_billing::plan(&bundle, source, pricing.as_ref()).map_err(billing_error)?;
    let problems = orgpool_billing::validate(&plan, Some(&bundle));
    if !problems.is_empty() {
        return Err(BadInput(format!(
            "the plan breaks Billing Conductor's rules:\n  - {}",
            problems.join("\n  - ")
        ))
        .into());
    }
    Ok(plan)
}

/// `orgpool billing plan`.
pub fn plan(args: &BillingPlanArgs, format: Format) -> Result<String> {
    let plan = compute_plan(args)?;
    Ok(render(
        format,
        &serde_json::to_value(&plan)?,
        &plan_sections(&plan),
    ))
}

/// The plan as tables: groups, pricing plans, custom line items, unplaced.
pub fn plan_sections(plan: &BillingPlan) -> Vec<Section> {
    let mut groups = Section::new(
        &format!(
            "Billing groups for {} (by {:?})",
            plan.organization_id, plan.by
        ),
        &[
            "billing group",
            "primary account",
            "accounts",
            "pricing plan",
            "from",
        ],
    );
    for g in &plan.billing_groups {
        groups.row([
            g.name.clone(),
            g.primary_account.clone(),
            g.accounts.len().to_string(),
            g.pricing_plan.clone(),
            g.description.clone(),
        ]);
    }
    let mut plans = Section::new("Pricing plans", &["pricing plan", "rules"]);
    for p in &plan.pricing_plans {
        let rules: Vec<String> = p.rules.iter().map(rule_text).collect();
        plans.row([
            p.name.clone(),
            if rules.is_empty() {
                "none: public on-demand rates".into()
            } else {
                rules.join("; ")
            },
        ]);
    }
    let mut sections = vec![groups, plans];
    if !plan.custom_line_items.is_empty() {
        let mut items = Section::new(
            "Custom line items",
            &["name", "billing group", "type", "charge", "periods"],
        );
        for c in &plan.custom_line_items {
            items.row([
                c.name.clone(),
                c.billing_group.clone(),
                format!("{:?}", c.charge_type).to_uppercase(),
                match c.charge {
                    orgpool_billing::pricing::Charge::Flat(v) => format!("{v:.2} USD"),
                    orgpool_billing::pricing::Charge::Percentage(p) => format!("{p}% of the group"),
                },
                match (&c.end, c.recurring) {
                    (Some(end), _) => format!("{} to {end}", c.start),
                    (None, true) => format!("every month from {}", c.start),
                    (None, false) => format!("{} only", c.start),
                },
            ]);
        }
        sections.push(items);
    }
    if !plan.unplaced_accounts.is_empty() {
        let mut unplaced = Section::new("Accounts in no billing group", &["account", "why"]);
        for u in &plan.unplaced_accounts {
            unplaced.row([u.account_id.clone(), u.reason.clone()]);
        }
        sections.push(unplaced);
    }
    sections
}

fn rule_text(r: &orgpool_billing::pricing::PricingRule) -> String {
    use orgpool_billing::pricing::{RuleScope, RuleType};
    let target = match r.scope {
        RuleScope::Global => "everything".to_owned(),
        RuleScope::Service => r.service.clone().unwrap_or_default(),
        RuleScope::BillingEntity => r.billing_entity.clone().unwrap_or_default(),
        RuleScope::Sku => format!(
            "{} {}{}",
            r.service.as_deref().unwrap_or_default(),
            r.usage_type.as_deref().unwrap_or_default(),
            r.operation
                .as_deref()
                .map(|o| format!(" {o}"))
                .unwrap_or_default()
        ),
    };
    match r.rule_type {
        RuleType::Markup => format!(
            "{} +{}% on {target}",
            r.name,
            r.modifier_percentage.unwrap_or(0.0)
        ),
        RuleType::Discount => format!(
            "{} -{}% on {target}",
            r.name,
            r.modifier_percentage.unwrap_or(0.0)
        ),
        RuleType::Tiering => format!(
            "{} free tier {}",
            r.name,
            if r.free_tier.unwrap_or(true) {
                "on"
            } else {
                "off"
            }
        ),
    }
}

/// Reads a plan file and checks it (against the organization when given).
fn read_plan(path: &Path, bundle: Option<&orgpool_model::OrgBundle>) -> Result<BillingPlan> {
    let name = path.display().to_string();
    let plan = BillingPlan::parse(&name, &read_input(path)?).map_err(billing_error)?;
    let problems = orgpool_billing::validate(&plan, bundle);
    if !problems.is_empty() {
        return Err(BadInput(format!(
            "{name}: the plan breaks Billing Conductor's rules:\n  - {}",
            problems.join("\n  - ")
        ))
        .into());
    }
    Ok(plan)
}

/// The pro forma of every group of the plan over the billing data.
pub fn compute_proforma(
    plan: &BillingPlan,
    cur: &[String],
    input_format: Option<orgpool_cur::Format>,
    aws: &crate::args::AwsArgs,
    cache: Option<orgpool_cur::SummaryCache>,
) -> Result<orgpool_billing::proforma::ProForma> {
    let clock = std::time::Instant::now();
    let lap = |what: &str| tracing::info!("{what}: {:.2} s", clock.elapsed().as_secs_f64());
    let data = crate::estimate::open_billing_with_cache(cur, input_format, aws, cache)?;
    lap("opened and checked the billing data");
    let (rows, held) = data.charges().map_err(crate::estimate::cur_error)?;
    lap(&format!(
        "read {} charge rows and {} held commitments",
        rows.len(),
        held.len()
    ));
    let long = data.charges_long_lines().unwrap_or_default();
    if let Some(w) = crate::estimate::long_lines_warning(long, "pro forma") {
        tracing::warn!("{w}");
    }
    let converting = std::time::Instant::now();
    let (lines, commitments) = orgpool_billing::proforma::from_rows(rows, &held);
    tracing::debug!(
        "lines and commitments: {:.2} s (converted in {:.3} s)",
        clock.elapsed().as_secs_f64(),
        converting.elapsed().as_secs_f64()
    );
    let bill = orgpool_billing::proforma::proforma(plan, &lines, &commitments);
    lap("computed the pro forma");
    // Freeing a large export's lines and engine takes tens of milliseconds:
    // it is done on a thread of its own, which a finishing process does not
    // wait for.
    std::thread::spawn(move || drop((lines, data)));
    Ok(bill)
}

/// `orgpool billing proforma`.
pub fn proforma(args: &BillingProformaArgs, format: Format) -> Result<String> {
    let bundle = orgpool_org::read_bundle(&args.org).map_err(crate::org::org_error)?;
    let plan = read_plan(&args.plan, Some(&bundle))?;
    let bill = compute_proforma(
        &plan,
        &args.cur,
        args.input_format,
        &args.aws,
        args.cache.cache(),
    )?;
    if let Some(path) = &args.focus {
        std::fs::write(path, focus_csv(&bundle, &plan, &bill))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let json = serde_json::json!({
        "schema_version": 1,
        "organization_id": plan.organization_id,
        "groups": bill.groups,
    });
    Ok(render(format, &json, &proforma_sections(&bundle, &bill)))
}

/// The pro forma as tables: per group, per account, per service.
pub fn proforma_sections(
    bundle: &orgpool_model::OrgBundle,
    bill: &orgpool_billing::proforma::ProForma,
) -> Vec<Section> {
    let name_of = |id: &str| {
        bundle
            .accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let money = crate::render::money;
    let mut groups = Section::new(
        "Pro forma per billing group",
        &[
            "billing group",
            "pricing plan",
            "pro forma",
            "actual",
            "margin",
            "commitment savings",
        ],
    );
    let mut accounts = Section::new(
        "Pro forma per account",
        &[
            "billing group",
            "account",
            "name",
            "pro forma",
            "actual",
            "margin",
        ],
    );
    let mut services = Section::new(
        "Pro forma per service",
        &[
            "billing group",
            "account",
            "period",
            "service",
            "pro forma",
            "actual",
            "list",
        ],
    );
    for g in &bill.groups {
        groups.row([
            g.name.clone(),
            g.pricing_plan.clone(),
            money(g.total),
            money(g.actual),
            money(g.margin),
            money(g.savings),
        ]);
        for a in &g.accounts {
            accounts.row([
                g.name.clone(),
                a.id.clone(),
                name_of(&a.id),
                money(a.total),
                money(a.actual),
                money(a.total - a.actual),
            ]);
            for s in &a.services {
                services.row([
                    g.name.clone(),
                    a.id.clone(),
                    s.period.clone(),
                    s.service.clone(),
                    money(s.total),
                    money(s.actual),
                    money(s.list),
                ]);
            }
        }
    }
    vec![groups, accounts, services]
}

/// The pro forma as FOCUS 1.2 rows, one per (group, account, billing period,
/// service); the billing group is the billing account, as it is for the
/// customer who receives it. Custom line items are `Credit` or
/// `Adjustment`, the rest `Usage`. Rows are monthly sums, so the quantity
/// columns FOCUS allows to be null for such rows are left empty.
fn focus_csv(
    bundle: &orgpool_model::OrgBundle,
    plan: &BillingPlan,
    bill: &orgpool_billing::proforma::ProForma,
) -> String {
    const COLUMNS: [&str; 28] = [
        "BillingAccountId",
        "BillingAccountName",
        "BillingAccountType",
        "SubAccountId",
        "SubAccountName",
        "SubAccountType",
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "ChargeFrequency",
        "ServiceCategory",
        "ServiceName",
        "ProviderName",
        "PublisherName",
        "InvoiceIssuerName",
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "PricingQuantity",
        "PricingUnit",
        "ConsumedQuantity",
        "BillingCurrency",
        "x_BillingGroup",
    ];
    let name_of = |id: &str| {
        bundle
            .accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(COLUMNS);
    for g in &bill.groups {
        let primary = plan
            .billing_groups
            .iter()
            .find(|b| b.name == g.name)
            .map(|b| b.primary_account.clone())
            .unwrap_or_default();
        for a in &g.accounts {
            let account_name = name_of(&a.id);
            for s in &a.services {
                let (start, end) = period_bounds(&s.period);
                let (category, frequency) = match s.service.as_str() {
                    "CustomLineItem" if s.total < 0.0 => ("Credit", "One-Time"),
                    "CustomLineItem" => ("Adjustment", "One-Time"),
                    "ComputeSavingsPlans" => ("Purchase", "Recurring"),
                    _ => ("Usage", "Usage-Based"),
                };
                let cost = format!("{:.10}", s.total);
                let _ = w.write_record([
                    primary.as_str(),
                    g.name.as_str(),
                    "Billing Group",
                    a.id.as_str(),
                    account_name.as_str(),
                    "Account",
                    &start,
                    &end,
                    &start,
                    &end,
                    category,
                    "",
                    &format!(
                        "pro forma, billing group {}, pricing plan {}",
                        g.name, g.pricing_plan
                    ),
                    frequency,
                    service_category(&s.service),
                    s.service.as_str(),
                    "AWS",
                    "AWS",
                    "AWS",
                    &cost,
                    &cost,
                    &format!("{:.10}", s.list),
                    &cost,
                    "",
                    "",
                    "",
                    "USD",
                    g.name.as_str(),
                ]);
            }
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// FOCUS's `ServiceCategory` for the product codes orgpool meets most; the
/// rest are `Other`.
fn service_category(product_code: &str) -> &'static str {
    match product_code {
        "AmazonEC2" | "AWSLambda" | "AmazonECS" | "AmazonEKS" | "ComputeSavingsPlans" => "Compute",
        "AmazonRDS" | "AmazonDynamoDB" | "AmazonElastiCache" | "AmazonRedshift" => "Databases",
        "AmazonS3" | "AmazonEFS" | "AWSBackup" => "Storage",
        "AmazonVPC" | "AWSDataTransfer" | "AmazonCloudFront" | "AmazonRoute53" => "Networking",
        "AmazonSageMaker" | "AmazonBedrock" => "AI and Machine Learning",
        "AmazonCloudWatch" | "AWSCloudTrail" | "AWSConfig" => "Management and Governance",
        "AWSSupportBusiness" | "AWSSupportEnterprise" | "AWSSupportDeveloper" => "Support",
        "AmazonGuardDuty" | "AWSSecurityHub" | "awskms" => "Security",
        _ => "Other",
    }
}

/// `YYYY-MM` as its first instant and the next month's, in FOCUS's
/// ISO 8601 form.
fn period_bounds(period: &str) -> (String, String) {
    let next = period
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<u32>().ok()?, m.parse::<u32>().ok()?)))
        .map(|(y, m)| {
            if m >= 12 {
                format!("{:04}-01", y + 1)
            } else {
                format!("{y:04}-{:02}", m + 1)
            }
        })
        .unwrap_or_default();
    (
        format!("{period}-01T00:00:00Z"),
        format!("{next}-01T00:00:00Z"),
    )
}

/// `orgpool billing cloudformation`.
pub fn cloudformation(args: &BillingCloudformationArgs) -> Result<String> {
    let plan = read_plan(&args.plan, None)?;
    Ok(serde_json::to_string_pretty(&orgpool_billing::cloudformation::template(&plan))? + "\n")
}
