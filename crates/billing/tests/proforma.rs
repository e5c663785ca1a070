//! Pro forma bills computed by hand, one per rule: a markup, a discount, SKU
//! over SERVICE over GLOBAL, the free tier off, a commitment owned in another
//! group (and the same one inside the group), a percentage credit.

use std::collections::HashMap;

use orgpool_billing::plan::{BillingGroup, BillingPlan, Grouping};
use orgpool_billing::pricing::{
    Charge, ChargeType, CustomLineItem, PricingPlan, PricingRule, RuleScope, RuleType,
};
use orgpool_billing::proforma::{
    Eligibility, HeldCommitment, HeldScope, Line, LineKind, ProForma, from_rows, proforma,
};
use orgpool_model::{ChargeKind, ChargeRow, CommitmentClass, CommitmentRow, HeldKind};
use orgpool_savings::simulator::Service;

const A1: &str = "111111111111";
const A2: &str = "222222222222";
const B1: &str = "333333333333";
const HOUR: i64 = 497_000;

fn plan(rules: Vec<PricingRule>) -> BillingPlan {
    let group = |name: &str, accounts: &[&str]| BillingGroup {
        name: name.into(),
        primary_account: accounts[0].into(),
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        pricing_plan: "p".into(),
        description: String::new(),
    };
    BillingPlan {
        schema_version: 1,
        organization_id: "o-abcdefghij".into(),
        management_account_id: A1.into(),
        by: Grouping::File,
        billing_groups: vec![group("a", &[A1, A2]), group("b", &[B1])],
        pricing_plans: vec![PricingPlan {
            name: "p".into(),
            description: String::new(),
            rules,
        }],
        custom_line_items: Vec::new(),
        unplaced_accounts: Vec::new(),
    }
}

fn rule(scope: RuleScope, rule_type: RuleType, pct: f64) -> PricingRule {
    PricingRule {
        name: format!("{scope:?}-{rule_type:?}-{pct}"),
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

/// A usage line no commitment covers.
fn usage(account: &str, service: &str, usage_type: &str, public: f64) -> Line {
    Line {
        hour: HOUR,
        period: "2026-10".into(),
        account: account.into(),
        service: service.into(),
        billing_entity: "AWS".into(),
        usage_type: usage_type.into(),
        operation: "Op".into(),
        kind: LineKind::Usage,
        amount: 1.0,
        public_cost: public,
        paid_tier_cost: public,
        actual_cost: public,
        eligibility: None,
    }
}

/// EC2 m5 usage in us-east-1: `units` instance-hours at `rate`.
fn ec2(account: &str, units: f64, rate: f64) -> Line {
    Line {
        operation: "RunInstances".into(),
        amount: units,
        public_cost: units * rate,
        paid_tier_cost: units * rate,
        actual_cost: units * rate,
        eligibility: Some(Eligibility {
            service: Service::Ec2,
            family: "m5".into(),
            region: "us-east-1".into(),
            reservation_key: None,
            reservation_factor: 1.0,
        }),
        ..usage(account, "AmazonEC2", "BoxUsage:m5.large", 0.0)
    }
}

fn group<'a>(p: &'a ProForma, name: &str) -> &'a orgpool_billing::proforma::GroupBill {
    p.groups.iter().find(|g| g.name == name).unwrap()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn a_markup_raises_the_public_rate_and_is_the_margin() {
    let p = plan(vec![rule(RuleScope::Global, RuleType::Markup, 10.0)]);
    let bill = proforma(
        &p,
        &[usage(A1, "AmazonS3", "TimedStorage-ByteHrs", 100.0)],
        &[],
    );
    let a = group(&bill, "a");
    close(a.total, 110.0);
    close(a.actual, 100.0);
    close(a.margin, 10.0);
    close(a.accounts[0].services[0].total, 110.0);
    close(group(&bill, "b").total, 0.0);
}

#[test]
fn a_service_discount_lowers_only_that_service() {
    let p = plan(vec![PricingRule {
        service: Some("AmazonS3".into()),
        ..rule(RuleScope::Service, RuleType::Discount, 20.0)
    }]);
    let lines = [
        usage(A1, "AmazonS3", "TimedStorage-ByteHrs", 100.0),
        ec2(A2, 10.0, 5.0),
    ];
    let a = group(&proforma(&p, &lines, &[]), "a").clone();
    // S3: 100 × 0.8 = 80; EC2 50 untouched.
    close(a.total, 130.0);
    close(a.accounts[0].total, 80.0);
    close(a.accounts[1].total, 50.0);
    close(a.margin, -20.0);
}

#[test]
fn sku_beats_service_beats_global() {
    let p = plan(vec![
        rule(RuleScope::Global, RuleType::Markup, 10.0),
        PricingRule {
            service: Some("AmazonEC2".into()),
            ..rule(RuleScope::Service, RuleType::Discount, 5.0)
        },
        PricingRule {
            service: Some("AmazonEC2".into()),
            usage_type: Some("BoxUsage:m5.large".into()),
            ..rule(RuleScope::Sku, RuleType::Discount, 20.0)
        },
    ]);
    let lines = [
        ec2(A1, 10.0, 10.0),                                  // SKU: 100 → 80
        usage(A1, "AmazonEC2", "BoxUsage:c5.large", 100.0),   // SERVICE: → 95
        usage(A2, "AmazonS3", "TimedStorage-ByteHrs", 100.0), // GLOBAL: → 110
    ];
    let a = group(&proforma(&p, &lines, &[]), "a").clone();
    close(a.accounts[0].total, 175.0);
    close(a.accounts[1].total, 110.0);
    close(a.total, 285.0);
}

#[test]
fn with_the_free_tier_off_usage_is_priced_from_the_first_paid_tier() {
    let free = Line {
        public_cost: 0.0,
        paid_tier_cost: 2.0,
        actual_cost: 0.0,
        ..usage(A1, "AWSLambda", "Request", 0.0)
    };
    let on = plan(vec![]);
    close(
        group(&proforma(&on, std::slice::from_ref(&free), &[]), "a").total,
        0.0,
    );
    let off = plan(vec![PricingRule {
        modifier_percentage: None,
        free_tier: Some(false),
        ..rule(RuleScope::Global, RuleType::Tiering, 0.0)
    }]);
    let a = group(&proforma(&off, &[free], &[]), "a").clone();
    close(a.total, 2.0);
    close(a.margin, 2.0);
}

fn compute_sp(owner: &str) -> HeldCommitment {
    HeldCommitment {
        id: "arn:aws:savingsplans::000000000000:savingsplan/sp-1".into(),
        owner: owner.into(),
        scope: HeldScope::ComputeSp,
        service: "ComputeSavingsPlans".into(),
        per_hour: 1.0,
        hourly_fee: 1.0,
        first_hour: HOUR,
        last_hour: HOUR,
        discounts: HashMap::from([("BoxUsage:m5.large|RunInstances|us-east-1".to_owned(), 0.3)]),
    }
}

#[test]
fn a_commitment_owned_in_another_group_gives_no_benefit() {
    let p = plan(vec![]);
    // A2 runs 10 m5 units at $0.20: $2.00 public.
    let lines = [ec2(A2, 10.0, 0.2)];
    let bill = proforma(&p, &lines, &[compute_sp(B1)]);
    let a = group(&bill, "a");
    close(a.total, 2.0);
    close(a.savings, 0.0);
    // B holds the plan and has no usage: it pays its $1 commitment unused.
    let b = group(&bill, "b");
    close(b.total, 1.0);
    assert_eq!(b.accounts[0].services[0].service, "ComputeSavingsPlans");

    // Owned inside group a, the same plan covers A2's usage: the SP rate is
    // 0.2 × 0.7 = 0.14, so $1 buys 1/0.14 = 7.142857 units (on-demand
    // $1.428571); the other 2.857143 units stay at $0.20 = $0.571429.
    let bill = proforma(&p, &lines, &[compute_sp(A1)]);
    let a = group(&bill, "a");
    close(a.total, 1.0 + (2.0 - 1.0 / 0.7));
    close(a.savings, 1.0 / 0.7 - 1.0);
    let a2 = a.accounts.iter().find(|x| x.id == A2).unwrap();
    close(a2.total, a.total);
    close(group(&bill, "b").total, 0.0);
}

#[test]
fn a_percentage_credit_comes_off_the_groups_cost_for_the_primary_account() {
    let mut p = plan(vec![]);
    p.custom_line_items.push(CustomLineItem {
        name: "loyalty".into(),
        billing_group: "a".into(),
        charge_type: ChargeType::Credit,
        charge: Charge::Percentage(5.0),
        start: "2026-09".into(),
        end: None,
        recurring: true,
        account_id: None,
        description: String::new(),
    });
    let lines = [
        usage(A1, "AmazonS3", "TimedStorage-ByteHrs", 120.0),
        usage(A2, "AmazonS3", "TimedStorage-ByteHrs", 80.0),
    ];
    let a = group(&proforma(&p, &lines, &[]), "a").clone();
    // 5% of 200 = 10, credited to the primary account A1.
    close(a.total, 190.0);
    close(a.accounts[0].total, 110.0);
    close(a.accounts[1].total, 80.0);
    assert_eq!(a.custom_line_items.len(), 1);
    close(a.custom_line_items[0].amount, -10.0);
    assert_eq!(a.custom_line_items[0].account_id, A1);
}

#[test]
fn tax_and_credits_pass_through_and_commitment_fees_are_replaced_by_the_simulation() {
    let p = plan(vec![rule(RuleScope::Global, RuleType::Markup, 50.0)]);
    let tax = Line {
        kind: LineKind::Other,
        actual_cost: 7.0,
        ..usage(A1, "AmazonS3", "Tax", 0.0)
    };
    let fee = Line {
        kind: LineKind::CommitmentFee,
        actual_cost: 1.0,
        ..usage(A1, "ComputeSavingsPlans", "ComputeSP:1yrNoUpfront", 0.0)
    };
    let a = group(&proforma(&p, &[tax, fee], &[compute_sp(A1)]), "a").clone();
    // Tax 7 untouched by the markup; the fee line is replaced by the
    // simulated commitment: $1 unused, charged to its owner.
    close(a.total, 8.0);
    close(a.actual, 8.0);
}

#[test]
fn groups_come_back_in_the_plans_order_though_billed_in_parallel() {
    let mut p = plan(Vec::new());
    // Many groups, the first with far more hours than the rest, so the
    // later groups are done first.
    let accounts: Vec<String> = (0..12).map(|i| format!("{:012}", 900 + i)).collect();
    p.billing_groups = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| BillingGroup {
            name: format!("g{i:02}"),
            primary_account: a.clone(),
            accounts: vec![a.clone()],
            pricing_plan: "p".into(),
            description: String::new(),
        })
        .collect();
    let mut lines = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        for h in 0..(if i == 0 { 2_000 } else { 3 }) {
            let mut l = usage(a, "AmazonS3", "TimedStorage-ByteHrs", 1.0 + i as f64);
            l.hour = HOUR + h;
            lines.push(l);
        }
    }
    let bill = proforma(&p, &lines, &[]);
    let names: Vec<&str> = bill.groups.iter().map(|g| g.name.as_str()).collect();
    let expected: Vec<String> = (0..12).map(|i| format!("g{i:02}")).collect();
    assert_eq!(names, expected);
    close(bill.groups[0].total, 2_000.0);
    close(bill.groups[11].total, 3.0 * 12.0);
}

/// Hours are billed in chunks on every core, then added in order: the bill
/// is the same, bit for bit, on one core or on several, and equals the sum
/// of its hours billed alone.
#[test]
fn the_bill_is_the_same_on_one_core_or_several() {
    let p = plan(vec![]);
    // 200 hours of m5 usage in A1 and A2 at odd rates, a Compute SP held
    // by A1 for the whole span.
    let lines: Vec<Line> = (0..200)
        .flat_map(|h| {
            [
                Line {
                    hour: HOUR + h,
                    ..ec2(A1, 1.0 + (h % 7) as f64 * 0.37, 0.193)
                },
                Line {
                    hour: HOUR + h,
                    ..ec2(A2, 2.0 + (h % 5) as f64 * 0.11, 0.211)
                },
            ]
        })
        .collect();
    let sp = HeldCommitment {
        last_hour: HOUR + 199,
        per_hour: 0.35,
        hourly_fee: 0.35,
        ..compute_sp(A1)
    };
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| proforma(&p, &lines, std::slice::from_ref(&sp)))
    };
    let one = on(1);
    assert_eq!(one, on(3));
    assert_eq!(one, on(8));
    // Each hour billed alone, summed: the same to rounding.
    let by_hour: f64 = (0..200)
        .map(|h| {
            let hour: Vec<Line> = lines
                .iter()
                .filter(|l| l.hour == HOUR + h)
                .cloned()
                .collect();
            let sp = HeldCommitment {
                first_hour: HOUR + h,
                last_hour: HOUR + h,
                ..sp.clone()
            };
            group(&proforma(&p, &hour, &[sp]), "a").total
        })
        .sum();
    close(group(&one, "a").total, by_hour);
    assert!(group(&one, "a").savings > 0.0);
}

/// One hour of RDS usage in us-east-1 as the reader gives it: a db.r5
/// instance (`usage_type`, normalization factor `nf`) running the engine of
/// `operation`, at `public` an hour.
fn rds_row(account: &str, usage_type: &str, nf: f64, operation: &str, public: f64) -> ChargeRow {
    ChargeRow {
        hour: HOUR,
        period: "2026-10".into(),
        account: account.into(),
        service: "AmazonRDS".into(),
        billing_entity: "AWS".into(),
        usage_type: usage_type.into(),
        operation: operation.into(),
        region: "us-east-1".into(),
        family: "r5".into(),
        class: Some(CommitmentClass::Rds),
        kind: ChargeKind::Usage,
        amount: 1.0,
        normalization_factor: nf,
        public_cost: public,
        paid_tier_cost: public,
        free_tier: false,
        actual_cost: public,
    }
}

/// A size-flexible reserved DB instance covers any size of its family, in
/// normalized units, but only of its own engine: MySQL, not PostgreSQL,
/// and never SQL Server, whose RIs count whole instances of one size (AWS
/// RDS User Guide, "Reserved DB instances for Amazon RDS").
#[test]
fn a_size_flexible_rds_ri_covers_any_size_of_its_family_and_engine() {
    const MYSQL: &str = "CreateDBInstance:0002";
    // A db.r5.4xlarge MySQL RI: 32 units an hour at $0.04 a unit.
    let ri = CommitmentRow {
        id: "arn:aws:rds:us-east-1:111111111111:ri:r5-mysql".into(),
        owner: A1.into(),
        kind: HeldKind::Reservation {
            key: orgpool_model::flex_reservation_key("r5", "us-east-1", MYSQL),
        },
        service: "AmazonRDS".into(),
        per_hour: 32.0,
        hourly_fee: 1.28,
        first_hour: HOUR,
        last_hour: HOUR,
        purchased: 0,
        discounts: Vec::new(),
    };
    let rows = vec![
        // MySQL: a 2xlarge (16 units) and a Multi-AZ large (AWS's factor
        // counts it twice: 4 × 2 = 8 units).
        rds_row(A1, "InstanceUsage:db.r5.2xlarge", 16.0, MYSQL, 1.00),
        rds_row(A2, "Multi-AZUsage:db.r5.large", 8.0, MYSQL, 0.50),
        // Other engines of the same family: PostgreSQL, SQL Server.
        rds_row(
            A2,
            "InstanceUsage:db.r5.xlarge",
            8.0,
            "CreateDBInstance:0014",
            0.60,
        ),
        rds_row(
            A2,
            "InstanceUsage:db.r5.xlarge",
            8.0,
            "CreateDBInstance:0012",
            1.50,
        ),
    ];
    let (lines, commitments) = from_rows(rows, &[ri]);
    let a = group(&proforma(&plan(vec![]), &lines, &commitments), "a").clone();
    // The RI covers the MySQL instances' 24 units ($0.96) and leaves 8 unused
    // ($0.32, on its owner A1); PostgreSQL and SQL Server pay $2.10 public.
    let account = |id: &str| a.accounts.iter().find(|x| x.id == id).unwrap().total;
    close(account(A1), 16.0 * 0.04 + 8.0 * 0.04);
    close(account(A2), 8.0 * 0.04 + 0.60 + 1.50);
    close(a.total, 1.28 + 2.10);
    // Savings: the covered usage's on-demand cost less what covered it.
    close(a.savings, 1.50 - 0.96);
}
