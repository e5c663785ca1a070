//! Billing Conductor's pricing: pricing plans made of pricing rules, and
//! custom line items, as a user writes them in a YAML or JSON file
//! (`docs/billing.md` documents the format).
//!
//! The rules encoded here (AWS Billing Conductor User Guide, "Pricing rules"
//! and "Custom line items"; API Reference, `CreatePricingRule`,
//! `CustomLineItemChargeDetails`):
//! - A rule's scope is `GLOBAL`, `SERVICE`, `BILLING_ENTITY` or `SKU`; its type
//!   `MARKUP`, `DISCOUNT` or `TIERING`. `TIERING` is global only and turns the
//!   Always Free Tier on or off; when off, usage is priced at the first paid
//!   tier.
//! - "Scopes don't overlap. Scopes are applied from most to least granular":
//!   a line gets the rule of its SKU (service, usage type and, when given,
//!   operation), else of its service, else of its billing entity, else the
//!   global one. Only one rate rule applies to a line; rules never stack.
//! - A markup or discount is a percentage of the public on-demand rate.
//! - A custom line item is a `FEE` or a `CREDIT`, flat (in USD) or a
//!   percentage of the billing group's cost, for one billing period or
//!   recurring over a range of them.

use serde::{Deserialize, Serialize};

use crate::BillingError;

/// What a pricing rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleScope {
    /// Every line.
    Global,
    /// One service (`AmazonEC2`, as `product/ProductCode` spells it).
    Service,
    /// One seller: `AWS`, `AWS Marketplace` or `AISPL`.
    BillingEntity,
    /// One usage type of one service, optionally one operation.
    Sku,
}

/// What a pricing rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleType {
    /// The public rate raised by `modifier_percentage`.
    Markup,
    /// The public rate lowered by `modifier_percentage`.
    Discount,
    /// The Always Free Tier on or off (`free_tier`).
    Tiering,
}

/// One pricing rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingRule {
    /// Unique within the file: 1 to 128 of `a-zA-Z0-9_+=.-@`.
    pub name: String,
    /// What it applies to.
    pub scope: RuleScope,
    /// What it does.
    #[serde(rename = "type")]
    pub rule_type: RuleType,
    /// The percentage for `MARKUP` and `DISCOUNT` (5 means 5%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier_percentage: Option<f64>,
    /// The service code, for `SERVICE` and `SKU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The seller, for `BILLING_ENTITY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_entity: Option<String>,
    /// The usage type, for `SKU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_type: Option<String>,
    /// The operation, optional for `SKU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// For `TIERING`: whether the Always Free Tier applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_tier: Option<bool>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A pricing plan: the rules a billing group is priced with. A plan with no
/// rules prices at public on-demand rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingPlan {
    /// Unique: 1 to 128 of `a-zA-Z0-9_+=.-@`.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its rules (at most 500).
    #[serde(default)]
    pub rules: Vec<PricingRule>,
}

/// Whether a custom line item adds or takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChargeType {
    /// Added to the bill.
    Fee,
    /// Taken off the bill.
    Credit,
}

/// How much a custom line item charges. Written `{flat: 500}` or
/// `{percentage: 3}` in the file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ChargeSpec", into = "ChargeSpec")]
pub enum Charge {
    /// A fixed amount in USD (0 to 1,000,000).
    Flat(f64),
    /// A percentage of the billing group's pro forma cost (0 to 10,000).
    Percentage(f64),
}

/// [`Charge`] as the file spells it: a map with exactly one of two keys
/// (a map reads the same in YAML and JSON, unlike YAML's `!tag` enums).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    flat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    percentage: Option<f64>,
}

impl TryFrom<ChargeSpec> for Charge {
    type Error = String;
    fn try_from(c: ChargeSpec) -> Result<Self, String> {
        match (c.flat, c.percentage) {
            (Some(v), None) => Ok(Charge::Flat(v)),
            (None, Some(p)) => Ok(Charge::Percentage(p)),
            _ => Err("give exactly one of flat (USD) or percentage".to_owned()),
        }
    }
}

impl From<Charge> for ChargeSpec {
    fn from(c: Charge) -> Self {
        match c {
            Charge::Flat(v) => ChargeSpec {
                flat: Some(v),
                percentage: None,
            },
            Charge::Percentage(p) => ChargeSpec {
                flat: None,
                percentage: Some(p),
            },
        }
    }
}

/// A fee or credit added to one billing group's bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomLineItem {
    /// Unique: 1 to 128 of `a-zA-Z0-9_+=.-@`.
    pub name: String,
    /// The billing group it belongs to.
    pub billing_group: String,
    /// Fee or credit.
    #[serde(rename = "type")]
    pub charge_type: ChargeType,
    /// The amount.
    pub charge: Charge,
    /// The first billing period, `YYYY-MM`.
    pub start: String,
    /// The last billing period, `YYYY-MM`; absent for a one-time item that
    /// is charged in `start` only (`recurring: true` leaves it open-ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Charged every billing period from `start` (to `end` when given).
    #[serde(default)]
    pub recurring: bool,
    /// The account the item is charged to; the group's primary account when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl CustomLineItem {
    /// Whether the item is charged in billing period `period` (`YYYY-MM`).
    /// Periods compare as text, which orders `YYYY-MM` correctly.
    pub fn applies_in(&self, period: &str) -> bool {
        if period < self.start.as_str() {
            return false;
        }
        match (&self.end, self.recurring) {
            (Some(end), _) => period <= end.as_str(),
            (None, true) => true,
            (None, false) => period == self.start,
        }
    }

    /// The signed amount for a group whose pro forma cost is `group_cost`:
    /// positive for a fee, negative for a credit.
    pub fn amount(&self, group_cost: f64) -> f64 {
        let value = match self.charge {
            Charge::Flat(v) => v,
            Charge::Percentage(p) => group_cost * p / 100.0,
        };
        match self.charge_type {
            ChargeType::Fee => value,
            ChargeType::Credit => -value,
        }
    }
}

/// The pricing file: plans, which group uses which, and custom line items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingFile {
    /// The pricing plans.
    #[serde(default)]
    pub pricing_plans: Vec<PricingPlan>,
    /// The plan of every group not named in `assignments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_pricing_plan: Option<String>,
    /// Billing group name → pricing plan name.
    #[serde(default)]
    pub assignments: std::collections::BTreeMap<String, String>,
    /// Fees and credits.
    #[serde(default)]
    pub custom_line_items: Vec<CustomLineItem>,
}

impl PricingFile {
    /// Reads the file's text, YAML or JSON (JSON is YAML, so one parser reads
    /// both), naming `path` and the place of the first error.
    pub fn parse(path: &str, text: &str) -> Result<Self, BillingError> {
        if text.trim().is_empty() {
            return Err(BillingError::BadInput(format!(
                "{path}: empty; expected pricing_plans, default_pricing_plan, assignments or custom_line_items"
            )));
        }
        serde_norway::from_str(text).map_err(|e| BillingError::BadInput(format!("{path}: {e}")))
    }
}

/// The name of the plan groups get when no pricing file is given: no rules,
/// so public on-demand rates.
pub const PUBLIC_RATES_PLAN: &str = "public-rates";

/// What a line of billing data is, as far as pricing rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineKey<'a> {
    /// `product/ProductCode` (`AmazonEC2`).
    pub service: &'a str,
    /// `bill/BillingEntity` (`AWS`, `AWS Marketplace`).
    pub billing_entity: &'a str,
    /// `lineItem/UsageType`.
    pub usage_type: &'a str,
    /// `lineItem/Operation`.
    pub operation: &'a str,
}

impl PricingPlan {
    /// The rate rule (markup or discount) that applies to `line`: the most
    /// granular scope that matches, SKU, then service, then billing entity,
    /// then global.
    pub fn rate_rule(&self, line: &LineKey<'_>) -> Option<&PricingRule> {
        let rate_rules = || {
            self.rules
                .iter()
                .filter(|r| r.rule_type != RuleType::Tiering)
        };
        let sku = rate_rules().find(|r| {
            r.scope == RuleScope::Sku
                && r.service.as_deref() == Some(line.service)
                && r.usage_type.as_deref() == Some(line.usage_type)
                && r.operation.as_deref().is_none_or(|o| o == line.operation)
        });
        sku.or_else(|| {
            rate_rules().find(|r| {
                r.scope == RuleScope::Service && r.service.as_deref() == Some(line.service)
            })
        })
        .or_else(|| {
            rate_rules().find(|r| {
                r.scope == RuleScope::BillingEntity
                    && r.billing_entity.as_deref() == Some(line.billing_entity)
            })
        })
        .or_else(|| rate_rules().find(|r| r.scope == RuleScope::Global))
    }

    /// Whether the Always Free Tier applies (it does unless a `TIERING` rule
    /// turns it off).
    pub fn free_tier(&self) -> bool {
        self.rules
            .iter()
            .filter(|r| r.rule_type == RuleType::Tiering)
            .all(|r| r.free_tier.unwrap_or(true))
    }

    /// `public_cost` of `line` under this plan: the public on-demand cost with
    /// the line's rate rule applied.
    pub fn price(&self, line: &LineKey<'_>, public_cost: f64) -> f64 {
        match self.rate_rule(line) {
            Some(rule) => public_cost * rule_factor(rule),
            None => public_cost,
        }
    }
}

/// The factor a rate rule multiplies the public rate by.
fn rule_factor(rule: &PricingRule) -> f64 {
    let pct = rule.modifier_percentage.unwrap_or(0.0) / 100.0;
    match rule.rule_type {
        RuleType::Markup => 1.0 + pct,
        RuleType::Discount => 1.0 - pct,
        RuleType::Tiering => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, scope: RuleScope, rule_type: RuleType, pct: f64) -> PricingRule {
        PricingRule {
            name: name.into(),
            scope,
            rule_type,
            modifier_percentage: Some(pct),
            service: None,
            billing_entity: None,
            usage_type: None,
            operation: None,
            free_tier: None,
            description: String::new(),
        }
    }

    const EC2_BOX: LineKey<'static> = LineKey {
        service: "AmazonEC2",
        billing_entity: "AWS",
        usage_type: "BoxUsage:m5.large",
        operation: "RunInstances",
    };

    #[test]
    fn the_most_granular_rule_wins_whatever_the_order_in_the_file() {
        let global = rule("g", RuleScope::Global, RuleType::Markup, 10.0);
        let service = PricingRule {
            service: Some("AmazonEC2".into()),
            ..rule("s", RuleScope::Service, RuleType::Discount, 5.0)
        };
        let sku = PricingRule {
            service: Some("AmazonEC2".into()),
            usage_type: Some("BoxUsage:m5.large".into()),
            ..rule("k", RuleScope::Sku, RuleType::Discount, 20.0)
        };
        let plan = PricingPlan {
            name: "p".into(),
            description: String::new(),
            rules: vec![global.clone(), service.clone(), sku],
        };
        // $100 public: SKU discount 20% → $80, not 10% markup nor 5% off.
        assert!((plan.price(&EC2_BOX, 100.0) - 80.0).abs() < 1e-9);
        let other_type = LineKey {
            usage_type: "BoxUsage:c5.large",
            ..EC2_BOX
        };
        assert!((plan.price(&other_type, 100.0) - 95.0).abs() < 1e-9);
        let s3 = LineKey {
            service: "AmazonS3",
            ..EC2_BOX
        };
        assert!((plan.price(&s3, 100.0) - 110.0).abs() < 1e-9);
        let no_rules = PricingPlan {
            rules: vec![],
            ..plan
        };
        assert_eq!(no_rules.price(&s3, 100.0), 100.0);
    }

    #[test]
    fn an_sku_rule_with_an_operation_matches_only_that_operation() {
        let sku = PricingRule {
            service: Some("AmazonEC2".into()),
            usage_type: Some("BoxUsage:m5.large".into()),
            operation: Some("RunInstances:0002".into()),
            ..rule("k", RuleScope::Sku, RuleType::Markup, 50.0)
        };
        let plan = PricingPlan {
            name: "p".into(),
            description: String::new(),
            rules: vec![sku],
        };
        assert_eq!(plan.price(&EC2_BOX, 10.0), 10.0);
        let windows = LineKey {
            operation: "RunInstances:0002",
            ..EC2_BOX
        };
        assert!((plan.price(&windows, 10.0) - 15.0).abs() < 1e-9);
    }

    #[test]
    fn custom_line_items_apply_in_their_periods_with_their_sign() {
        let one_time = CustomLineItem {
            name: "setup".into(),
            billing_group: "g".into(),
            charge_type: ChargeType::Fee,
            charge: Charge::Flat(250.0),
            start: "2026-10".into(),
            end: None,
            recurring: false,
            account_id: None,
            description: String::new(),
        };
        assert!(one_time.applies_in("2026-10"));
        assert!(!one_time.applies_in("2026-11"));
        assert!(!one_time.applies_in("2026-09"));
        let credit = CustomLineItem {
            charge_type: ChargeType::Credit,
            charge: Charge::Percentage(3.0),
            recurring: true,
            ..one_time.clone()
        };
        assert!(credit.applies_in("2027-05"));
        assert!((credit.amount(1_000.0) + 30.0).abs() < 1e-9);
        let bounded = CustomLineItem {
            end: Some("2026-12".into()),
            ..credit
        };
        assert!(bounded.applies_in("2026-12") && !bounded.applies_in("2027-01"));
        assert_eq!(one_time.amount(1e9), 250.0);
    }

    #[test]
    fn pricing_files_read_as_yaml_or_json_and_name_the_bad_field() {
        let yaml = "pricing_plans:\n  - name: std\n    rules:\n      - name: up\n        scope: GLOBAL\n        type: MARKUP\n        modifier_percentage: 4\n      - name: nofree\n        scope: GLOBAL\n        type: TIERING\n        free_tier: false\ndefault_pricing_plan: std\ncustom_line_items:\n  - name: support\n    billing_group: web\n    type: FEE\n    charge: {percentage: 3}\n    start: 2026-10\n    recurring: true\n";
        let f = PricingFile::parse("p.yaml", yaml).unwrap();
        assert_eq!(f.pricing_plans[0].rules.len(), 2);
        assert!(!f.pricing_plans[0].free_tier());
        assert_eq!(f.custom_line_items[0].charge, Charge::Percentage(3.0));
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(PricingFile::parse("p.json", &json).unwrap(), f);

        let typo = yaml.replace("modifier_percentage", "modifier_pct");
        let err = PricingFile::parse("p.yaml", &typo).unwrap_err().to_string();
        assert!(
            err.contains("p.yaml") && err.contains("modifier_pct"),
            "{err}"
        );
        let bad_scope = yaml.replace(
            "scope: GLOBAL\n        type: MARKUP",
            "scope: PLANET\n        type: MARKUP",
        );
        let err = PricingFile::parse("p.yaml", &bad_scope)
            .unwrap_err()
            .to_string();
        assert!(err.contains("PLANET") && err.contains("line"), "{err}");
        let both = yaml.replace("{percentage: 3}", "{percentage: 3, flat: 2}");
        let err = PricingFile::parse("p.yaml", &both).unwrap_err().to_string();
        assert!(err.contains("exactly one of flat"), "{err}");
        for hostile in [
            "",
            "   \n",
            "pricing_plans: [",
            "- a\n- b",
            "{\"pricing_plans\": 3}",
        ] {
            assert!(
                PricingFile::parse("p.yaml", hostile).is_err(),
                "{hostile:?}"
            );
        }
    }
}
