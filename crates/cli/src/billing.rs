//! `orgpool billing plan` and `orgpool billing cloudformation`: read the
//! bundle and the user's files, ask the billing crate for the groups and
//! check them against Billing Conductor's rules, then render.

use std::path::Path;

use anyhow::Result;
use orgpool_billing::{BillingError, BillingPlan, PricingFile, Source};

use crate::BadInput;
use crate::args::{BillingCloudformationArgs, BillingPlanArgs, Format, GroupBy};
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

/// `orgpool billing cloudformation`.
pub fn cloudformation(args: &BillingCloudformationArgs) -> Result<String> {
    let name = args.plan.display().to_string();
    let plan = BillingPlan::parse(&name, &read_input(&args.plan)?).map_err(billing_error)?;
    let problems = orgpool_billing::validate(&plan, None);
    if !problems.is_empty() {
        return Err(BadInput(format!(
            "{name}: the plan breaks Billing Conductor's rules:\n  - {}",
            problems.join("\n  - ")
        ))
        .into());
    }
    Ok(serde_json::to_string_pretty(&orgpool_billing::cloudformation::template(&plan))? + "\n")
}
