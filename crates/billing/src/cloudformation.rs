//! A plan as a CloudFormation template: `AWS::BillingConductor::PricingRule`,
//! `PricingPlan`, `BillingGroup` and `CustomLineItem` resources, wired with
//! `Fn::GetAtt … Arn`, to deploy in the payer's management account.
//!
//! Property names and shapes follow the CloudFormation Template Reference for
//! those four types. A custom line item's `BillingPeriodRange` is inclusive
//! of its start and exclusive of its end: a one-time item gets the month
//! after its start as the end, a recurring one without `end` gets none.
//! Billing Conductor accepts custom line items only for the current or the
//! previous billing period at creation, so deploy near the item's start.

use orgpool_model::cloudformation::logical_id;
use serde_json::{Map, Value, json};

use crate::plan::BillingPlan;
use crate::pricing::{Charge, ChargeType, CustomLineItem, PricingRule, RuleScope, RuleType};

/// The template, as a JSON value (CloudFormation reads JSON templates).
pub fn template(plan: &BillingPlan) -> Value {
    let mut resources = Map::new();
    let mut rule_ids: Vec<(String, String)> = Vec::new();
    for p in &plan.pricing_plans {
        for r in &p.rules {
            if rule_ids.iter().any(|(name, _)| *name == r.name) {
                continue;
            }
            let id = logical_id("PricingRule", rule_ids.len(), &r.name);
            resources.insert(id.clone(), pricing_rule(r));
            rule_ids.push((r.name.clone(), id));
        }
    }
    let mut plan_ids: Vec<(String, String)> = Vec::new();
    for (i, p) in plan.pricing_plans.iter().enumerate() {
        let id = logical_id("PricingPlan", i, &p.name);
        let arns: Vec<Value> = p
            .rules
            .iter()
            .filter_map(|r| rule_ids.iter().find(|(n, _)| *n == r.name))
            .map(|(_, rid)| arn_of(rid))
            .collect();
        let mut props = json!({ "Name": p.name, "PricingRuleArns": arns });
        if !p.description.is_empty() {
            props["Description"] = json!(p.description);
        }
        resources.insert(
            id.clone(),
            json!({ "Type": "AWS::BillingConductor::PricingPlan", "Properties": props }),
        );
        plan_ids.push((p.name.clone(), id));
    }
    let mut group_ids: Vec<(String, String)> = Vec::new();
    for (i, g) in plan.billing_groups.iter().enumerate() {
        let id = logical_id("BillingGroup", i, &g.name);
        let plan_id = plan_ids
            .iter()
            .find(|(n, _)| *n == g.pricing_plan)
            .map(|(_, pid)| pid.clone())
            .unwrap_or_default();
        let mut props = json!({
            "Name": g.name,
            "PrimaryAccountId": g.primary_account,
            "AccountGrouping": { "LinkedAccountIds": g.accounts },
            "ComputationPreference": { "PricingPlanArn": arn_of(&plan_id) },
        });
        if !g.description.is_empty() {
            props["Description"] = json!(g.description);
        }
        resources.insert(
            id.clone(),
            json!({ "Type": "AWS::BillingConductor::BillingGroup", "Properties": props }),
        );
        group_ids.push((g.name.clone(), id));
    }
    for (i, c) in plan.custom_line_items.iter().enumerate() {
        let Some((_, gid)) = group_ids.iter().find(|(n, _)| *n == c.billing_group) else {
            continue;
        };
        resources.insert(
            logical_id("CustomLineItem", i, &c.name),
            custom_line_item(c, gid),
        );
    }
    let outputs: Map<String, Value> = group_ids
        .iter()
        .map(|(name, id)| {
            (
                format!("{id}Arn"),
                json!({ "Description": format!("billing group {name}"), "Value": arn_of(id) }),
            )
        })
        .collect();
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "Billing groups, pricing plans and custom line items for organization {} (orgpool billing plan, by {:?})",
            plan.organization_id, plan.by
        ),
        "Resources": resources,
        "Outputs": outputs,
    })
}

fn arn_of(logical_id: &str) -> Value {
    json!({ "Fn::GetAtt": [logical_id, "Arn"] })
}

fn pricing_rule(r: &PricingRule) -> Value {
    let mut props = json!({
        "Name": r.name,
        "Scope": scope(r.scope),
        "Type": rule_type(r.rule_type),
    });
    if let Some(p) = r
        .modifier_percentage
        .filter(|_| r.rule_type != RuleType::Tiering)
    {
        props["ModifierPercentage"] = json!(p);
    }
    for (key, value) in [
        ("Service", &r.service),
        ("BillingEntity", &r.billing_entity),
        ("UsageType", &r.usage_type),
        ("Operation", &r.operation),
    ] {
        if let Some(v) = value {
            props[key] = json!(v);
        }
    }
    if r.rule_type == RuleType::Tiering {
        props["Tiering"] = json!({ "FreeTier": { "Activated": r.free_tier.unwrap_or(true) } });
    }
    if !r.description.is_empty() {
        props["Description"] = json!(r.description);
    }
    json!({ "Type": "AWS::BillingConductor::PricingRule", "Properties": props })
}

fn scope(s: RuleScope) -> &'static str {
    match s {
        RuleScope::Global => "GLOBAL",
        RuleScope::Service => "SERVICE",
        RuleScope::BillingEntity => "BILLING_ENTITY",
        RuleScope::Sku => "SKU",
    }
}

fn rule_type(t: RuleType) -> &'static str {
    match t {
        RuleType::Markup => "MARKUP",
        RuleType::Discount => "DISCOUNT",
        RuleType::Tiering => "TIERING",
    }
}

fn custom_line_item(c: &CustomLineItem, group_id: &str) -> Value {
    let charge = match c.charge {
        Charge::Flat(v) => json!({ "Flat": { "ChargeValue": v } }),
        Charge::Percentage(p) => json!({ "Percentage": { "PercentageValue": p } }),
    };
    let mut details = charge;
    details["Type"] = json!(match c.charge_type {
        ChargeType::Fee => "FEE",
        ChargeType::Credit => "CREDIT",
    });
    let mut range = json!({ "InclusiveStartBillingPeriod": c.start });
    let exclusive_end = match (&c.end, c.recurring) {
        (Some(end), _) => next_period(end),
        (None, false) => next_period(&c.start),
        (None, true) => None,
    };
    if let Some(end) = exclusive_end {
        range["ExclusiveEndBillingPeriod"] = json!(end);
    }
    let mut props = json!({
        "Name": c.name,
        "BillingGroupArn": arn_of(group_id),
        "BillingPeriodRange": range,
        "CustomLineItemChargeDetails": details,
    });
    if let Some(a) = &c.account_id {
        props["AccountId"] = json!(a);
    }
    if !c.description.is_empty() {
        props["Description"] = json!(c.description);
    }
    json!({ "Type": "AWS::BillingConductor::CustomLineItem", "Properties": props })
}

/// The billing period after `YYYY-MM`.
fn next_period(period: &str) -> Option<String> {
    let (y, m) = period.split_once('-')?;
    let (y, m): (u32, u32) = (y.parse().ok()?, m.parse().ok()?);
    Some(if m >= 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", m + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::next_period;

    #[test]
    fn the_period_after_december_is_january_next_year() {
        assert_eq!(next_period("2026-12").as_deref(), Some("2027-01"));
        assert_eq!(next_period("2026-09").as_deref(), Some("2026-10"));
        assert_eq!(next_period("bad"), None);
    }
}
