//! The pro forma's invariant: with no pricing rules and one billing group
//! that holds every account, the pro forma equals the actual (amortized) bill,
//! within a cent per account. The reader's actual bill is itself held to
//! DuckDB's over the same files, so both sides are checked independently.

use std::collections::BTreeMap;

use orgpool_billing::plan::{BillingGroup, BillingPlan, Grouping};
use orgpool_billing::pricing::{PricingPlan, PricingRule, RuleScope, RuleType};
use orgpool_billing::proforma::{from_rows, proforma};
use orgpool_cur::BillingData;

/// One group holding every account the billing data names, public rates.
fn one_group(accounts: Vec<String>) -> BillingPlan {
    BillingPlan {
        schema_version: 1,
        organization_id: "o-everything".into(),
        management_account_id: accounts[0].clone(),
        by: Grouping::Org,
        billing_groups: vec![BillingGroup {
            name: "everything".into(),
            primary_account: accounts[0].clone(),
            accounts,
            pricing_plan: "public-rates".into(),
            description: String::new(),
        }],
        pricing_plans: vec![PricingPlan {
            name: "public-rates".into(),
            description: String::new(),
            rules: Vec::new(),
        }],
        custom_line_items: Vec::new(),
        unplaced_accounts: Vec::new(),
    }
}

/// Pro forma and actual per account, for the billing data at `inputs`.
fn per_account(inputs: &[String]) -> BTreeMap<String, (f64, f64)> {
    per_account_with(inputs, Vec::new())
}

/// The same, priced with `rules`.
fn per_account_with(inputs: &[String], rules: Vec<PricingRule>) -> BTreeMap<String, (f64, f64)> {
    let data = BillingData::open(inputs, None).unwrap();
    let (rows, held) = data.charges().unwrap();
    let mut accounts: Vec<String> = rows.iter().map(|r| r.account.to_string()).collect();
    accounts.sort();
    accounts.dedup();
    let (lines, commitments) = from_rows(rows, &held);
    let mut plan = one_group(accounts);
    plan.pricing_plans[0].rules = rules;
    let bill = proforma(&plan, &lines, &commitments);
    bill.groups[0]
        .accounts
        .iter()
        .map(|a| (a.id.clone(), (a.total, a.actual)))
        .collect()
}

/// DuckDB's amortized bill per account over CUR 2.0 (or Athena-style legacy)
/// Parquet: the same definition, written independently.
/// Files without Savings Plans columns (the 2018 workshop) get `sp: false`.
fn duckdb_actual(glob: &str, account: &str, sp: bool) -> f64 {
    let sp_cases = if sp {
        "WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost \
         WHEN 'SavingsPlanNegation' THEN 0 \
         WHEN 'SavingsPlanRecurringFee' THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment"
    } else {
        ""
    };
    orgpool_testkit::duckdb_scalar(&format!(
        "SELECT sum(CASE line_item_line_item_type {sp_cases} \
           WHEN 'DiscountedUsage' THEN reservation_effective_cost \
           WHEN 'RIFee' THEN COALESCE(reservation_unused_recurring_fee, 0) \
                + COALESCE(reservation_unused_amortized_upfront_fee_for_billing_period, 0) \
           ELSE line_item_unblended_cost END) \
         FROM read_parquet('{glob}', union_by_name => true) WHERE line_item_usage_account_id = '{account}'"
    ))
}

#[test]
fn on_the_demo_the_one_group_pro_forma_is_the_actual_bill_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    let config = orgpool_demo::DemoConfig {
        accounts: 16,
        months: 2,
        ..Default::default()
    };
    let summary = orgpool_demo::generate(&config, dir.path()).unwrap();
    let cur = summary.cur_path.to_string_lossy().into_owned();
    let bills = per_account(std::slice::from_ref(&cur));
    assert!(bills.len() >= 10, "{}", bills.len());
    let glob = format!("{cur}/**/*.parquet");
    let mut with_commitments = 0;
    for (account, (pro_forma, actual)) in &bills {
        assert!(
            (pro_forma - actual).abs() < 0.01,
            "{account}: pro forma {pro_forma:.4} vs actual {actual:.4}"
        );
        let duck = duckdb_actual(&glob, account, true);
        assert!(
            (actual - duck).abs() < 0.01,
            "{account}: actual {actual:.4} vs DuckDB {duck:.4}"
        );
        if *actual > 0.0 {
            with_commitments += 1;
        }
    }
    assert!(with_commitments >= 10);
}

#[test]
fn on_the_real_files_the_pro_forma_is_the_actual_bill() {
    // The legacy CSV and the FOCUS sample hold no commitments: to the cent.
    for file in ["legacy-cur-anonymized-2023-11.csv", "focus-1.0-sample.csv"] {
        let bills = per_account(&[orgpool_testkit::real_data(file)]);
        assert!(!bills.is_empty(), "{file}");
        for (account, (pro_forma, actual)) in &bills {
            assert!(
                (pro_forma - actual).abs() < 0.01,
                "{file} {account}: pro forma {pro_forma:.4} vs actual {actual:.4}"
            );
        }
    }
    // The workshop months hold nine RIs, size-flexible and not, partial
    // upfront, one bought mid-October, shared by two accounts, and free-tier
    // t2.micro hours. The reader's actual bill is DuckDB's to the cent, and
    // the pro forma, which re-applies the RIs, is that bill to the cent.
    let workshop: Vec<String> = ["10", "11", "12"]
        .iter()
        .map(|m| orgpool_testkit::real_data(&format!("workshop-cur-2018-{m}.snappy.parquet")))
        .collect();
    let bills = per_account(&workshop);
    assert_eq!(bills.len(), 2);
    let (mut pro_forma_total, mut actual_total) = (0.0, 0.0);
    for (account, (pro_forma, actual)) in &bills {
        let duck = duckdb_actual(
            &orgpool_testkit::real_data("workshop-cur-2018-1*.snappy.parquet"),
            account,
            false,
        );
        assert!(
            (actual - duck).abs() < 0.01,
            "{account}: actual {actual:.4} vs DuckDB {duck:.4}"
        );
        assert!(
            (pro_forma - actual).abs() < 0.01,
            "{account}: pro forma {pro_forma:.4} vs actual {actual:.4}"
        );
        pro_forma_total += pro_forma;
        actual_total += actual;
    }
    assert!(
        (pro_forma_total - actual_total).abs() < 0.01,
        "{pro_forma_total} vs {actual_total}"
    );
}

#[test]
fn with_the_free_tier_off_the_workshop_pays_for_its_free_hours() {
    let glob = orgpool_testkit::real_data("workshop-cur-2018-1*.snappy.parquet");
    let on = per_account(std::slice::from_ref(&glob));
    let off_rule = PricingRule {
        name: "no-free-tier".into(),
        scope: RuleScope::Global,
        rule_type: RuleType::Tiering,
        modifier_percentage: None,
        service: None,
        billing_entity: None,
        usage_type: None,
        operation: None,
        free_tier: Some(false),
        description: String::new(),
    };
    let off = per_account_with(std::slice::from_ref(&glob), vec![off_rule]);
    // What the free tier saved, at public rates, per account (DuckDB).
    for (account, (on_total, _)) in &on {
        let free = orgpool_testkit::duckdb_scalar(&format!(
            "SELECT sum(pricing_public_on_demand_cost) FROM read_parquet('{glob}', union_by_name => true) \
             WHERE line_item_line_item_type = 'Usage' AND line_item_unblended_cost = 0 \
             AND pricing_public_on_demand_cost > 0 AND line_item_usage_account_id = '{account}'"
        ));
        let extra = off[account].0 - on_total;
        // The free usage costs its public price. No commitment takes any of
        // it: most is usage no RI covers (EBS, CloudWatch, Budgets, a
        // t2.micro in eu-west-2), and in the us-east-1 t2.micro hours the
        // free tier took (early October) every t2 RI was already in use.
        assert!(free > 1.0, "{account} has free-tier usage: {free}");
        assert!(
            (extra - free).abs() < 0.01,
            "{account}: free tier off adds {extra:.4}, its free hours list at {free:.4}"
        );
    }
}
