//! Billing Conductor's rules, checked on a plan before anything uses it.
//!
//! Sources: AWS Billing Conductor User Guide, "Quotas and restrictions"
//! (5,000 billing groups per payer, 1,000 accounts per billing group, 500
//! pricing rules per pricing plan; names of at most 128 characters without
//! spaces or special characters, `[a-zA-Z0-9_+=.\-@]+` in the API); "Billing
//! groups" (an account belongs to one billing group only; the primary account
//! is a member; with billing transfer, one billing group per transferring
//! organization, holding all its accounts); API Reference, `CreatePricingRule`
//! (`TIERING` is global; `SERVICE` and `SKU` name a service; `SKU` a usage
//! type), `CustomLineItemFlatChargeDetails` (0 to 1,000,000 USD) and
//! `CustomLineItemPercentageChargeDetails` (0 to 10,000 percent).

use std::collections::{BTreeMap, BTreeSet};

use orgpool_model::OrgBundle;

use crate::plan::{BillingPlan, Grouping, is_name_char};
use crate::pricing::{Charge, PricingRule, RuleScope, RuleType};

/// Billing groups per payer account.
pub const MAX_GROUPS: usize = 5_000;
/// Accounts per billing group.
pub const MAX_ACCOUNTS_PER_GROUP: usize = 1_000;
/// Pricing rules associated with one pricing plan.
pub const MAX_RULES_PER_PLAN: usize = 500;
/// The longest name.
pub const MAX_NAME: usize = 128;

/// Every rule `plan` breaks, each naming the group, plan, rule or item. An
/// empty list means Billing Conductor would accept the plan. `bundle`, when
/// given, is the organization the plan was made from: a billing transfer
/// (`by: org`) must then hold every active account.
pub fn validate(plan: &BillingPlan, bundle: Option<&OrgBundle>) -> Vec<String> {
    let mut out = Vec::new();
    groups(plan, &mut out);
    if let Some(b) = bundle {
        transfer_holds_everything(plan, b, &mut out);
    }
    pricing_plans(plan, &mut out);
    custom_line_items(plan, &mut out);
    out
}

fn check_name(kind: &str, name: &str, out: &mut Vec<String>) {
    if name.is_empty() || name.chars().count() > MAX_NAME || !name.chars().all(is_name_char) {
        out.push(format!(
            "{kind} name {name:?} must be 1 to {MAX_NAME} characters of a-z A-Z 0-9 _ + = . - @"
        ));
    }
}

fn groups(plan: &BillingPlan, out: &mut Vec<String>) {
    if plan.billing_groups.len() > MAX_GROUPS {
        out.push(format!(
            "{} billing groups; Billing Conductor allows {MAX_GROUPS} per payer",
            plan.billing_groups.len()
        ));
    }
    let mut names = BTreeSet::new();
    let mut member_of: BTreeMap<&str, &str> = BTreeMap::new();
    for g in &plan.billing_groups {
        check_name("billing group", &g.name, out);
        if !names.insert(g.name.as_str()) {
            out.push(format!("billing group name {} is used twice", g.name));
        }
        if g.accounts.is_empty() {
            out.push(format!("billing group {} has no accounts", g.name));
        }
        if g.accounts.len() > MAX_ACCOUNTS_PER_GROUP {
            out.push(format!(
                "billing group {} has {} accounts; Billing Conductor allows {MAX_ACCOUNTS_PER_GROUP}",
                g.name,
                g.accounts.len()
            ));
        }
        if !g.accounts.contains(&g.primary_account) {
            out.push(format!(
                "billing group {}: primary account {:?} is not one of its accounts",
                g.name, g.primary_account
            ));
        }
        for a in &g.accounts {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                out.push(format!(
                    "billing group {}: {a:?} is not a 12-digit account ID",
                    g.name
                ));
            }
            if let Some(first) = member_of.insert(a, &g.name) {
                if first != g.name {
                    out.push(format!(
                        "account {a} is in billing groups {first} and {}; an account can be in one only",
                        g.name
                    ));
                } else {
                    out.push(format!("billing group {} lists account {a} twice", g.name));
                }
            }
        }
        if plan.pricing_plan(&g.pricing_plan).is_none() {
            out.push(format!(
                "billing group {}: pricing plan {:?} is not defined",
                g.name, g.pricing_plan
            ));
        }
    }
}

fn transfer_holds_everything(plan: &BillingPlan, bundle: &OrgBundle, out: &mut Vec<String>) {
    if plan.by != Grouping::Org {
        return;
    }
    if plan.billing_groups.len() != 1 {
        out.push(format!(
            "an organization that transfers its billing gets exactly one billing group; the plan has {}",
            plan.billing_groups.len()
        ));
        return;
    }
    let group = &plan.billing_groups[0];
    let missing: Vec<&str> = bundle
        .accounts
        .iter()
        .filter(|a| a.status == orgpool_model::AccountStatus::Active)
        .filter(|a| !group.accounts.contains(&a.id))
        .map(|a| a.id.as_str())
        .collect();
    if !missing.is_empty() {
        out.push(format!(
            "billing group {} must hold every account of the transferring organization; missing {}",
            group.name,
            missing.join(", ")
        ));
    }
}

fn pricing_plans(plan: &BillingPlan, out: &mut Vec<String>) {
    let mut plan_names = BTreeSet::new();
    // The same rule may sit in several plans; two different rules may not
    // share a name.
    let mut rule_names: BTreeMap<&str, String> = BTreeMap::new();
    for p in &plan.pricing_plans {
        check_name("pricing plan", &p.name, out);
        if !plan_names.insert(p.name.as_str()) {
            out.push(format!("pricing plan name {} is used twice", p.name));
        }
        if p.rules.len() > MAX_RULES_PER_PLAN {
            out.push(format!(
                "pricing plan {} has {} rules; Billing Conductor allows {MAX_RULES_PER_PLAN}",
                p.name,
                p.rules.len()
            ));
        }
        for r in &p.rules {
            let content = serde_json::to_string(r).unwrap_or_default();
            match rule_names.get(r.name.as_str()) {
                Some(seen) if *seen != content => {
                    out.push(format!(
                        "pricing rule name {} names two different rules",
                        r.name
                    ));
                }
                _ => {
                    rule_names.insert(&r.name, content);
                }
            }
            rule(&p.name, r, out);
        }
        overlapping(&p.name, &p.rules, out);
    }
}

/// One rule's own consistency.
fn rule(plan: &str, r: &PricingRule, out: &mut Vec<String>) {
    check_name("pricing rule", &r.name, out);
    let at = format!("pricing plan {plan}, rule {}", r.name);
    match r.rule_type {
        RuleType::Markup | RuleType::Discount => match r.modifier_percentage {
            None => out.push(format!(
                "{at}: modifier_percentage is required for {:?}",
                r.rule_type
            )),
            Some(p) if !p.is_finite() || p < 0.0 => {
                out.push(format!("{at}: modifier_percentage {p} must be 0 or more"))
            }
            Some(p) if r.rule_type == RuleType::Discount && p > 100.0 => out.push(format!(
                "{at}: a discount of {p}% would make prices negative"
            )),
            Some(_) => {}
        },
        RuleType::Tiering => {
            if r.scope != RuleScope::Global {
                out.push(format!("{at}: TIERING rules are GLOBAL only"));
            }
            if r.free_tier.is_none() {
                out.push(format!(
                    "{at}: free_tier (true or false) is required for TIERING"
                ));
            }
        }
    }
    let need = |field: &str, value: &Option<String>, out: &mut Vec<String>| {
        if value.as_deref().is_none_or(str::is_empty) {
            out.push(format!("{at}: {field} is required for scope {:?}", r.scope));
        }
    };
    match r.scope {
        RuleScope::Global => {}
        RuleScope::Service => need("service", &r.service, out),
        RuleScope::BillingEntity => {
            need("billing_entity", &r.billing_entity, out);
            if let Some(e) = &r.billing_entity
                && !["AWS", "AWS Marketplace", "AISPL"].contains(&e.as_str())
            {
                out.push(format!(
                    "{at}: billing_entity {e:?} must be AWS, AWS Marketplace or AISPL"
                ));
            }
        }
        RuleScope::Sku => {
            need("service", &r.service, out);
            need("usage_type", &r.usage_type, out);
        }
    }
}

/// "Scopes don't overlap": two rate rules of one plan on the same target
/// would leave the price ambiguous.
fn overlapping(plan: &str, rules: &[PricingRule], out: &mut Vec<String>) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for r in rules.iter().filter(|r| r.rule_type != RuleType::Tiering) {
        let target = format!(
            "{:?}|{}|{}|{}|{}",
            r.scope,
            r.service.as_deref().unwrap_or(""),
            r.billing_entity.as_deref().unwrap_or(""),
            r.usage_type.as_deref().unwrap_or(""),
            r.operation.as_deref().unwrap_or("")
        );
        if let Some(first) = seen.insert(target, &r.name) {
            out.push(format!(
                "pricing plan {plan}: rules {first} and {} apply to the same scope",
                r.name
            ));
        }
    }
}

fn custom_line_items(plan: &BillingPlan, out: &mut Vec<String>) {
    let mut names = BTreeSet::new();
    for c in &plan.custom_line_items {
        check_name("custom line item", &c.name, out);
        if !names.insert(c.name.as_str()) {
            out.push(format!("custom line item name {} is used twice", c.name));
        }
        let at = format!("custom line item {}", c.name);
        let group = plan
            .billing_groups
            .iter()
            .find(|g| g.name == c.billing_group);
        match group {
            None => out.push(format!(
                "{at}: billing group {:?} is not in the plan",
                c.billing_group
            )),
            Some(g) => {
                if let Some(a) = &c.account_id
                    && !g.accounts.contains(a)
                {
                    out.push(format!(
                        "{at}: account {a} is not in billing group {}",
                        g.name
                    ));
                }
            }
        }
        match c.charge {
            Charge::Flat(v) if !(0.0..=1_000_000.0).contains(&v) => out.push(format!(
                "{at}: a flat charge must be 0 to 1,000,000 USD, not {v}"
            )),
            Charge::Percentage(p) if !(0.0..=10_000.0).contains(&p) => {
                out.push(format!("{at}: a percentage must be 0 to 10,000, not {p}"))
            }
            _ => {}
        }
        for (field, period) in [("start", Some(&c.start)), ("end", c.end.as_ref())] {
            if let Some(p) = period
                && !is_period(p)
            {
                out.push(format!(
                    "{at}: {field} {p:?} is not a billing period (YYYY-MM)"
                ));
            }
        }
        if let Some(end) = &c.end
            && end < &c.start
        {
            out.push(format!("{at}: end {end} is before start {}", c.start));
        }
    }
}

/// `YYYY-MM` with a month from 01 to 12.
fn is_period(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(p[5..].parse::<u8>(), Ok(1..=12))
}
