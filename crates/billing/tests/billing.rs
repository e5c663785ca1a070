//! Billing groups planned from the demo organization and hand-built cases,
//! Billing Conductor's rules, pricing files and the CloudFormation export
//! (linted by the real `cfn-lint` from the test venv).

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use orgpool_billing::pricing::{Charge, ChargeType, CustomLineItem, RuleScope, RuleType};
use orgpool_billing::{BillingPlan, Grouping, PricingFile, Source, plan, validate};
use orgpool_model::{AccountStatus, OrgBundle};

fn demo() -> OrgBundle {
    let taken = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    orgpool_demo::generate_org(42, 16, taken).bundle
}

/// The names of the OUs from the root down to an account's parent, computed
/// here independently of the crate.
fn path_of(b: &OrgBundle, parent: &str) -> Vec<String> {
    let by_id: BTreeMap<&str, (&str, &str)> = b
        .organizational_units
        .iter()
        .map(|o| (o.id.as_str(), (o.name.as_str(), o.parent_id.as_str())))
        .collect();
    let mut out = Vec::new();
    let mut at = parent;
    while let Some((name, up)) = by_id.get(at) {
        out.insert(0, (*name).to_owned());
        at = up;
    }
    out
}

fn active(b: &OrgBundle) -> Vec<String> {
    b.accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .map(|a| a.id.clone())
        .collect()
}

#[test]
fn by_ou_puts_every_active_account_in_the_group_of_its_ou_at_the_depth() {
    let b = demo();
    for depth in 1..=4 {
        let p = plan(&b, Source::Ou { depth }, None).unwrap();
        assert_eq!(p.by, Grouping::Ou);
        assert!(
            validate(&p, Some(&b)).is_empty(),
            "{:?}",
            validate(&p, Some(&b))
        );
        let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in b
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Active)
        {
            let path = path_of(&b, &a.parent_id);
            let cut = &path[..path.len().min(depth)];
            let name = if cut.is_empty() {
                "root".to_owned()
            } else {
                cut.join("-")
            };
            expected.entry(name).or_default().push(a.id.clone());
        }
        let got: BTreeMap<String, Vec<String>> = p
            .billing_groups
            .iter()
            .map(|g| (g.name.clone(), g.accounts.clone()))
            .collect();
        let expected: BTreeMap<String, Vec<String>> = expected
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, v)
            })
            .collect();
        assert_eq!(got, expected, "depth {depth}");
        for g in &p.billing_groups {
            assert!(g.accounts.contains(&g.primary_account), "{}", g.name);
            assert_eq!(g.pricing_plan, "public-rates");
        }
        let suspended: Vec<&str> = b
            .accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Active)
            .map(|a| a.id.as_str())
            .collect();
        assert!(!suspended.is_empty(), "the demo has a suspended account");
        let unplaced: Vec<&str> = p
            .unplaced_accounts
            .iter()
            .map(|u| u.account_id.as_str())
            .collect();
        assert_eq!(unplaced, suspended);
    }
    let top = plan(&b, Source::Ou { depth: 1 }, None).unwrap();
    let root = top
        .billing_groups
        .iter()
        .find(|g| g.name == "root")
        .unwrap();
    assert_eq!(
        root.primary_account, b.organization.management_account_id,
        "the management account leads the group it is in"
    );
}

#[test]
fn by_org_is_one_group_holding_every_active_account_as_a_billing_transfer_requires() {
    let b = demo();
    let p = plan(&b, Source::Org, None).unwrap();
    assert_eq!(p.billing_groups.len(), 1);
    let g = &p.billing_groups[0];
    assert_eq!(g.name, b.organization.id);
    let mut want = active(&b);
    want.sort();
    assert_eq!(g.accounts, want);
    assert_eq!(g.primary_account, b.organization.management_account_id);
    assert!(validate(&p, Some(&b)).is_empty());

    let mut short = p.clone();
    let dropped = short.billing_groups[0].accounts.pop().unwrap();
    let problems = validate(&short, Some(&b));
    assert!(
        problems
            .iter()
            .any(|m| m.contains("every account") && m.contains(&dropped)),
        "{problems:?}"
    );
    let mut split = p.clone();
    let mut second = split.billing_groups[0].clone();
    second.name = "second".into();
    second.accounts = vec![split.billing_groups[0].accounts.pop().unwrap()];
    second.primary_account = second.accounts[0].clone();
    split.billing_groups.push(second);
    assert!(
        validate(&split, Some(&b))
            .iter()
            .any(|m| m.contains("exactly one billing group"))
    );
}

#[test]
fn a_map_file_groups_as_written_and_names_the_line_of_each_mistake() {
    let b = demo();
    let ids = active(&b);
    let text = format!(
        "account_id,billing_group,primary\n{},team-a,\n{},team-a,true\n{},team-b,\n",
        ids[0], ids[1], ids[2]
    );
    let p = plan(
        &b,
        Source::File {
            path: "map.csv",
            text: &text,
        },
        None,
    )
    .unwrap();
    assert_eq!(p.by, Grouping::File);
    let a = p
        .billing_groups
        .iter()
        .find(|g| g.name == "team-a")
        .unwrap();
    assert_eq!(a.primary_account, ids[1], "the map names the primary");
    assert_eq!(a.accounts.len(), 2);
    assert_eq!(p.unplaced_accounts.len(), b.accounts.len() - 3);
    assert!(
        p.unplaced_accounts
            .iter()
            .any(|u| u.account_id == ids[3] && u.reason.contains("not in map.csv"))
    );
    assert!(validate(&p, Some(&b)).is_empty());

    let cases = [
        (
            format!("account_id,billing_group\n{},a\n{},b\n", ids[0], ids[0]),
            "map.csv:3",
            "one billing group only",
        ),
        (
            "account_id,billing_group\n999999999999,a\n".to_owned(),
            "map.csv:2",
            "not in organization",
        ),
        (
            "account,group\n1,a\n".to_owned(),
            "map.csv",
            "missing column \"account_id\"",
        ),
        (
            format!("account_id,billing_group\n{},\n", ids[0]),
            "map.csv:2",
            "billing_group is empty",
        ),
        (
            format!(
                "account_id,billing_group,primary\n{},a,true\n{},a,yes\n",
                ids[0], ids[1]
            ),
            "map.csv:3",
            "already has primary",
        ),
        (
            format!("account_id,billing_group\n{},a,extra,fields\n", ids[0]),
            "map.csv:2",
            "",
        ),
        ("".to_owned(), "map.csv", "missing column"),
        ("\u{0}\u{1}\u{ff}garbage".to_owned(), "map.csv", ""),
    ];
    for (text, place, what) in cases {
        let err = plan(
            &b,
            Source::File {
                path: "map.csv",
                text: &text,
            },
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(place) && err.contains(what), "{text:?}: {err}");
    }
}

fn rule(
    name: &str,
    scope: RuleScope,
    rule_type: RuleType,
) -> orgpool_billing::pricing::PricingRule {
    orgpool_billing::pricing::PricingRule {
        name: name.into(),
        scope,
        rule_type,
        modifier_percentage: Some(5.0),
        service: None,
        billing_entity: None,
        usage_type: None,
        operation: None,
        free_tier: None,
        description: String::new(),
    }
}

#[test]
fn validation_names_each_broken_billing_conductor_rule() {
    let b = demo();
    let good = plan(&b, Source::Ou { depth: 1 }, None).unwrap();
    let expect = |p: &BillingPlan, needle: &str| {
        let problems = validate(p, Some(&b));
        assert!(
            problems.iter().any(|m| m.contains(needle)),
            "{needle}: {problems:?}"
        );
    };
    let mut p = good.clone();
    p.billing_groups[0].primary_account = "000000000000".into();
    expect(&p, "is not one of its accounts");

    let mut p = good.clone();
    let moved = p.billing_groups[0].accounts[0].clone();
    p.billing_groups[1].accounts.push(moved.clone());
    expect(&p, &format!("account {moved} is in billing groups"));

    let mut p = good.clone();
    p.billing_groups[0].accounts = (0..1001)
        .map(|i| format!("{:012}", 100_000_000_000u64 + i))
        .collect();
    p.billing_groups[0].primary_account = p.billing_groups[0].accounts[0].clone();
    expect(&p, "1001 accounts; Billing Conductor allows 1000");

    let mut p = good.clone();
    let template = p.billing_groups[0].clone();
    p.billing_groups = (0..5001)
        .map(|i| {
            let mut g = template.clone();
            g.name = format!("g{i}");
            g.accounts = vec![format!("{:012}", 200_000_000_000u64 + i)];
            g.primary_account = g.accounts[0].clone();
            g
        })
        .collect();
    expect(&p, "5001 billing groups");

    let mut p = good.clone();
    p.billing_groups[0].name = "has space".into();
    expect(&p, "billing group name \"has space\"");
    let mut p = good.clone();
    p.billing_groups[0].accounts.push("12345".into());
    expect(&p, "not a 12-digit account ID");
    let mut p = good.clone();
    p.billing_groups[0].pricing_plan = "gold".into();
    expect(&p, "pricing plan \"gold\" is not defined");

    let mut p = good.clone();
    p.pricing_plans[0].rules = (0..501)
        .map(|i| orgpool_billing::pricing::PricingRule {
            service: Some(format!("Svc{i}")),
            ..rule(&format!("r{i}"), RuleScope::Service, RuleType::Markup)
        })
        .collect();
    expect(&p, "501 rules; Billing Conductor allows 500");

    let bad_rules = [
        (
            rule("t", RuleScope::Service, RuleType::Tiering),
            "TIERING rules are GLOBAL only",
        ),
        (
            rule("s", RuleScope::Service, RuleType::Markup),
            "service is required",
        ),
        (
            rule("k", RuleScope::Sku, RuleType::Markup),
            "usage_type is required",
        ),
        (
            orgpool_billing::pricing::PricingRule {
                modifier_percentage: Some(120.0),
                ..rule("d", RuleScope::Global, RuleType::Discount)
            },
            "would make prices negative",
        ),
        (
            orgpool_billing::pricing::PricingRule {
                modifier_percentage: None,
                ..rule("m", RuleScope::Global, RuleType::Markup)
            },
            "modifier_percentage is required",
        ),
        (
            orgpool_billing::pricing::PricingRule {
                billing_entity: Some("Amazon".into()),
                ..rule("e", RuleScope::BillingEntity, RuleType::Markup)
            },
            "must be AWS, AWS Marketplace or AISPL",
        ),
    ];
    for (r, needle) in bad_rules {
        let mut p = good.clone();
        p.pricing_plans[0].rules = vec![r];
        expect(&p, needle);
    }
    let mut p = good.clone();
    p.pricing_plans[0].rules = vec![
        rule("g1", RuleScope::Global, RuleType::Markup),
        rule("g2", RuleScope::Global, RuleType::Discount),
    ];
    expect(&p, "rules g1 and g2 apply to the same scope");

    let item = CustomLineItem {
        name: "fee".into(),
        billing_group: good.billing_groups[0].name.clone(),
        charge_type: ChargeType::Fee,
        charge: Charge::Flat(10.0),
        start: "2026-10".into(),
        end: None,
        recurring: false,
        account_id: None,
        description: String::new(),
    };
    let bad_items = [
        (
            CustomLineItem {
                billing_group: "nope".into(),
                ..item.clone()
            },
            "billing group \"nope\" is not in the plan",
        ),
        (
            CustomLineItem {
                charge: Charge::Flat(2e6),
                ..item.clone()
            },
            "0 to 1,000,000",
        ),
        (
            CustomLineItem {
                charge: Charge::Percentage(-1.0),
                ..item.clone()
            },
            "0 to 10,000",
        ),
        (
            CustomLineItem {
                start: "2026-13".into(),
                ..item.clone()
            },
            "not a billing period",
        ),
        (
            CustomLineItem {
                end: Some("2026-01".into()),
                ..item.clone()
            },
            "is before start",
        ),
        (
            CustomLineItem {
                account_id: Some("000000000000".into()),
                ..item.clone()
            },
            "is not in billing group",
        ),
    ];
    for (c, needle) in bad_items {
        let mut p = good.clone();
        p.custom_line_items = vec![c];
        expect(&p, needle);
    }
    let mut p = good;
    p.custom_line_items = vec![item];
    assert!(validate(&p, Some(&b)).is_empty());
}

const PRICING: &str = r#"
pricing_plans:
  - name: standard
    description: 4% over public rates, EC2 at 2% off, free tier off
    rules:
      - name: markup-4
        scope: GLOBAL
        type: MARKUP
        modifier_percentage: 4
      - name: ec2-discount-2
        scope: SERVICE
        service: AmazonEC2
        type: DISCOUNT
        modifier_percentage: 2
      - name: s3-standard-storage
        scope: SKU
        service: AmazonS3
        usage_type: TimedStorage-ByteHrs
        operation: StandardStorage
        type: DISCOUNT
        modifier_percentage: 10
      - name: no-free-tier
        scope: GLOBAL
        type: TIERING
        free_tier: false
  - name: marketplace-at-cost
    rules:
      - name: marketplace-0
        scope: BILLING_ENTITY
        billing_entity: AWS Marketplace
        type: DISCOUNT
        modifier_percentage: 0
default_pricing_plan: standard
assignments:
  Sandbox: marketplace-at-cost
custom_line_items:
  - name: support-3pct
    billing_group: Production
    type: FEE
    charge: {percentage: 3}
    start: 2026-10
    recurring: true
  - name: onboarding-credit
    billing_group: Security
    type: CREDIT
    charge: {flat: 500}
    start: 2026-10
"#;

#[test]
fn a_pricing_file_assigns_plans_and_carries_rules_and_items_into_the_plan() {
    let b = demo();
    let pricing = PricingFile::parse("pricing.yaml", PRICING).unwrap();
    let p = plan(&b, Source::Ou { depth: 1 }, Some(&pricing)).unwrap();
    assert!(
        validate(&p, Some(&b)).is_empty(),
        "{:?}",
        validate(&p, Some(&b))
    );
    let plan_of = |name: &str| {
        p.billing_groups
            .iter()
            .find(|g| g.name == name)
            .unwrap()
            .pricing_plan
            .as_str()
    };
    assert_eq!(plan_of("Sandbox"), "marketplace-at-cost");
    assert_eq!(plan_of("Production"), "standard");
    assert_eq!(
        p.pricing_plans.len(),
        2,
        "no public-rates plan when every group has one"
    );
    assert_eq!(p.custom_line_items.len(), 2);
    // The plan document reads back as it was written.
    let text = serde_json::to_string_pretty(&p).unwrap();
    assert_eq!(BillingPlan::parse("plan.json", &text).unwrap(), p);
    let err = BillingPlan::parse(
        "plan.json",
        &text.replace("\"schema_version\": 1", "\"schema_version\": 7"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("plan.json") && err.contains("schema_version 7"),
        "{err}"
    );
    let err = BillingPlan::parse("plan.json", &text[..text.len() / 2])
        .unwrap_err()
        .to_string();
    assert!(err.contains("plan.json"), "{err}");
}

#[test]
fn the_cloudformation_template_passes_cfn_lint_and_wires_every_resource() {
    let b = demo();
    let pricing = PricingFile::parse("pricing.yaml", PRICING).unwrap();
    let p = plan(&b, Source::Ou { depth: 1 }, Some(&pricing)).unwrap();
    assert!(validate(&p, Some(&b)).is_empty());
    let template = orgpool_billing::cloudformation::template(&p);
    let resources = template["Resources"].as_object().unwrap();
    let count = |t: &str| resources.values().filter(|r| r["Type"] == t).count();
    assert_eq!(
        count("AWS::BillingConductor::BillingGroup"),
        p.billing_groups.len()
    );
    assert_eq!(count("AWS::BillingConductor::PricingPlan"), 2);
    assert_eq!(count("AWS::BillingConductor::PricingRule"), 5);
    assert_eq!(count("AWS::BillingConductor::CustomLineItem"), 2);
    // Every GetAtt names a resource of the template.
    let text = serde_json::to_string(&template).unwrap();
    for part in text.split("\"Fn::GetAtt\":[\"").skip(1) {
        let id = &part[..part.find('"').unwrap()];
        assert!(resources.contains_key(id), "{id}");
    }
    let one_time = resources
        .values()
        .find(|r| r["Properties"]["Name"] == "onboarding-credit")
        .unwrap();
    assert_eq!(
        one_time["Properties"]["BillingPeriodRange"]["ExclusiveEndBillingPeriod"],
        "2026-11"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("billing.json");
    std::fs::write(&path, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    let cfn_lint = orgpool_testkit::python().parent().unwrap().join("cfn-lint");
    let out = std::process::Command::new(&cfn_lint)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", cfn_lint.display()));
    assert!(
        out.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And cfn-lint does catch a broken template, so its silence means something.
    let mut broken = template.clone();
    let (_, group) = broken["Resources"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .find(|(_, r)| r["Type"] == "AWS::BillingConductor::BillingGroup")
        .unwrap();
    group["Properties"]
        .as_object_mut()
        .unwrap()
        .remove("AccountGrouping");
    std::fs::write(&path, serde_json::to_string_pretty(&broken).unwrap()).unwrap();
    let out = std::process::Command::new(&cfn_lint)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "cfn-lint accepted a group without accounts"
    );
}
