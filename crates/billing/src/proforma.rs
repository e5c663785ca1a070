//! Pro forma bills: what each billing group would pay, computed as its own
//! consolidated billing family.
//!
//! The rules (AWS Billing Conductor User Guide, "Billing groups": "Each
//! billing group's pro forma usage is computed as its own consolidated billing
//! family. Usage shares Reserved Instances and Savings Plans benefits only
//! within the group"; AWS's Billing Conductor SP/RI benefit notes: benefits
//! "from any Savings Plans or Reserved Instances owned outside a billing group
//! are not included in that billing group's pro forma cost"; CloudFormation
//! `AWS::BillingConductor::PricingRule`: "a percentage modifier applied on
//! the public pricing rates"):
//! 1. Each hour, the commitments owned by the group's accounts are applied to
//!    the group's usage by the savings simulator ([`orgpool_savings::simulate_hour`]),
//!    the one implementation of AWS's order. Commitments owned outside every
//!    group, or in another group, give nothing.
//! 2. Covered usage costs the commitment's rate; what a commitment leaves
//!    unused in the hour is charged to its owner.
//! 3. Uncovered usage costs the public on-demand rate changed by the pricing
//!    plan's rule for the line (the most granular one, see
//!    [`crate::pricing`]); with the free tier off, the first paid tier's cost
//!    (for usage the free tier made free, its public on-demand cost, which
//!    the bill gives: commitments may then cover it). With the free tier
//!    on, that usage stays free and no commitment covers it, as AWS applies
//!    the free tier to what its commitments leave. Commitment rates are not changed by pricing rules.
//! 4. Lines that are neither usage nor commitment fees (tax, credits, refunds,
//!    other fees) pass through at what AWS billed.
//! 5. Custom line items are added last, per billing period: a percentage one
//!    on the group's pro forma cost of that period.
//!
//! The engine does no I/O: the caller turns billing data into [`Line`]s and
//! [`HeldCommitment`]s.

use std::collections::{BTreeMap, HashMap};

use orgpool_model::{ChargeKind, ChargeRow, CommitmentClass, CommitmentRow, HeldKind, SharedText};
use orgpool_savings::simulator::{self, CommitmentScope, Service};
use rayon::prelude::*;
use serde::Serialize;

use crate::plan::{BillingGroup, BillingPlan};
use crate::pricing::{LineKey, PricingPlan};

/// What a line is, for the pro forma.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Usage (covered or not by a commitment in the actual bill).
    Usage,
    /// A commitment's fee as AWS billed it (RI fee, Savings Plan recurring
    /// fee or amortization). It counts in the actual bill; the pro forma
    /// replaces it with the simulated commitment cost.
    CommitmentFee,
    /// Tax, credits, refunds and other fees: passed through.
    Other,
}

/// What a commitment could cover in a usage line.
#[derive(Debug, Clone, PartialEq)]
pub struct Eligibility {
    /// The service class the simulator knows.
    pub service: Service,
    /// Instance family (`m5`), empty when none.
    pub family: SharedText,
    /// Region code.
    pub region: SharedText,
    /// Reservation key (`usage_type`-like: type, region, platform) when an RI
    /// could cover the line.
    pub reservation_key: Option<String>,
    /// Reservation units one unit of usage takes (1, or the normalization
    /// factor under a size-flexible RI).
    pub reservation_factor: f64,
}

/// One line of billing data: an account's charge in one hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The hour, as hours since the epoch: lines of one hour are simulated
    /// together.
    pub hour: i64,
    /// The billing period, `YYYY-MM`.
    pub period: SharedText,
    /// The usage account.
    pub account: SharedText,
    /// `product/ProductCode`.
    pub service: SharedText,
    /// `bill/BillingEntity`.
    pub billing_entity: SharedText,
    /// `lineItem/UsageType`.
    pub usage_type: SharedText,
    /// `lineItem/Operation`.
    pub operation: SharedText,
    /// What kind of line.
    pub kind: LineKind,
    /// Usage amount in its pricing unit.
    pub amount: f64,
    /// At public on-demand rates, free tier applied.
    pub public_cost: f64,
    /// At the first paid tier (equal to `public_cost` unless a free tier
    /// made part of it free).
    pub paid_tier_cost: f64,
    /// What AWS billed, net amortized (covered usage at the commitment's
    /// effective cost).
    pub actual_cost: f64,
    /// Set when a commitment could cover it.
    pub eligibility: Option<Eligibility>,
}

/// What a held commitment covers.
#[derive(Debug, Clone, PartialEq)]
pub enum HeldScope {
    /// A Reserved Instance for one reservation key.
    Reservation(String),
    /// An EC2 Instance Savings Plan for a family in a region.
    Ec2InstanceSp {
        /// Instance family.
        family: String,
        /// Region code.
        region: String,
    },
    /// A Compute Savings Plan.
    ComputeSp,
    /// A SageMaker Savings Plan.
    SagemakerSp,
}

/// A Savings Plan or Reserved Instance held in the billing data.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldCommitment {
    /// Its ARN.
    pub id: String,
    /// The owner (purchasing) account.
    pub owner: String,
    /// What it covers.
    pub scope: HeldScope,
    /// The service its unused cost is shown under (`ComputeSavingsPlans`,
    /// `AmazonRDS`, …).
    pub service: String,
    /// Per hour: dollars of commitment for a Savings Plan, units for an RI.
    pub per_hour: f64,
    /// What the commitment costs per hour, amortized (upfront included).
    pub hourly_fee: f64,
    /// First hour held (hours since the epoch), inclusive.
    pub first_hour: i64,
    /// Last hour held, inclusive.
    pub last_hour: i64,
    /// For Savings Plans: the discount, as a fraction of the public rate,
    /// per `usage_type|operation|region`. RIs need none: their rate is
    /// `hourly_fee / per_hour` per unit.
    pub discounts: HashMap<String, f64>,
}

impl HeldCommitment {
    fn active(&self, hour: i64) -> bool {
        (self.first_hour..=self.last_hour).contains(&hour)
    }
}

/// The discount key of a line: `usage_type|operation|region`.
pub fn discount_key(line: &Line) -> String {
    let region = line
        .eligibility
        .as_ref()
        .map(|e| &*e.region)
        .unwrap_or_default();
    format!("{}|{}|{}", line.usage_type, line.operation, region)
}

/// A bill for one service of one account in one billing period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceBill {
    /// The service code.
    pub service: String,
    /// The billing period, `YYYY-MM`.
    pub period: String,
    /// Pro forma.
    pub total: f64,
    /// What AWS billed.
    pub actual: f64,
    /// At public on-demand rates, before commitments and pricing rules.
    pub list: f64,
}

/// One account's pro forma bill.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountBill {
    /// The account.
    pub id: String,
    /// Pro forma total, custom line items charged to it included.
    pub total: f64,
    /// What AWS billed.
    pub actual: f64,
    /// Commitment savings it received inside its group (on-demand cost of
    /// covered usage less the commitment cost).
    pub savings: f64,
    /// Per service.
    pub services: Vec<ServiceBill>,
}

/// A custom line item as charged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChargedItem {
    /// Its name.
    pub name: String,
    /// The billing period.
    pub period: String,
    /// The account charged.
    pub account_id: String,
    /// Signed: a credit is negative.
    pub amount: f64,
}

/// One billing group's pro forma bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupBill {
    /// The group.
    pub name: String,
    /// Its pricing plan.
    pub pricing_plan: String,
    /// Pro forma total.
    pub total: f64,
    /// What its accounts were billed by AWS.
    pub actual: f64,
    /// Commitment savings inside the group.
    pub savings: f64,
    /// `total - actual`: what the payer earns (or gives) on this group.
    pub margin: f64,
    /// Per account.
    pub accounts: Vec<AccountBill>,
    /// Custom line items charged.
    pub custom_line_items: Vec<ChargedItem>,
}

/// The pro forma of every group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProForma {
    /// Per group, in the plan's order.
    pub groups: Vec<GroupBill>,
}

/// A group's hours are billed in at most this many chunks, side by side.
const HOUR_CHUNKS: usize = 16;

/// Running sums for one account.
#[derive(Default)]
struct Tally {
    total: f64,
    actual: f64,
    savings: f64,
    /// period → service → (pro forma, actual, list).
    services: BTreeMap<String, BTreeMap<String, (f64, f64, f64)>>,
}

/// One charge to an account.
struct Charge<'a> {
    period: &'a str,
    service: &'a str,
    pro_forma: f64,
    actual: f64,
    list: f64,
}

impl Tally {
    /// Adds another tally of the same account.
    fn absorb(&mut self, other: Tally) {
        self.total += other.total;
        self.actual += other.actual;
        self.savings += other.savings;
        for (period, services) in other.services {
            for (service, sums) in services {
                self.add_to_service(&period, &service, sums);
            }
        }
    }

    fn charge(&mut self, c: Charge<'_>) {
        self.total += c.pro_forma;
        self.actual += c.actual;
        self.add_to_service(c.period, c.service, (c.pro_forma, c.actual, c.list));
    }

    /// Adds (pro forma, actual, list) to a period's service.
    fn add_to_service(
        &mut self,
        period: &str,
        service: &str,
        (pro_forma, actual, list): (f64, f64, f64),
    ) {
        let s = entry(entry(&mut self.services, period), service);
        s.0 += pro_forma;
        s.1 += actual;
        s.2 += list;
    }
}

/// Computes the pro forma bill of every group of `plan`. Lines of accounts
/// outside every group are ignored.
///
/// Billing groups share nothing (each applies only its own commitments), so
/// they are billed in parallel; the bills keep the plan's order. The lines
/// are dealt to their groups, and the billing periods of the hours read, in
/// one pass for all groups.
pub fn proforma(plan: &BillingPlan, lines: &[Line], commitments: &[HeldCommitment]) -> ProForma {
    let periods = hour_periods(lines);
    let group_lines = lines_by_group(&plan.billing_groups, lines);
    let bill = |(g, lines): (&BillingGroup, &Vec<&Line>)| {
        let pricing = plan
            .pricing_plan(&g.pricing_plan)
            .cloned()
            .unwrap_or(PricingPlan {
                name: g.pricing_plan.clone(),
                description: String::new(),
                rules: Vec::new(),
            });
        group_bill(plan, g, &pricing, lines, &periods, commitments)
    };
    ProForma {
        groups: plan
            .billing_groups
            .par_iter()
            .zip(&group_lines)
            .map(bill)
            .collect(),
    }
}

/// The lines of each group's accounts, in their order (a line counts in
/// every group that lists its account).
fn lines_by_group<'l>(groups: &[BillingGroup], lines: &'l [Line]) -> Vec<Vec<&'l Line>> {
    let mut groups_of: rustc_hash::FxHashMap<&str, Vec<usize>> = Default::default();
    for (i, g) in groups.iter().enumerate() {
        for a in &g.accounts {
            groups_of.entry(a.as_str()).or_default().push(i);
        }
    }
    let mut out: Vec<Vec<&Line>> = vec![Vec::new(); groups.len()];
    for l in lines {
        for &g in groups_of.get(&*l.account).into_iter().flatten() {
            out[g].push(l);
        }
    }
    out
}

fn group_bill(
    plan: &BillingPlan,
    group: &BillingGroup,
    pricing: &PricingPlan,
    lines: &[&Line],
    periods: &BTreeMap<i64, String>,
    commitments: &[HeldCommitment],
) -> GroupBill {
    let members: rustc_hash::FxHashSet<&str> = group.accounts.iter().map(String::as_str).collect();
    let own: Vec<&HeldCommitment> = commitments
        .iter()
        .filter(|c| members.contains(c.owner.as_str()))
        .collect();
    let mut by_hour: BTreeMap<i64, Vec<&Line>> = BTreeMap::new();
    for &l in lines {
        by_hour.entry(l.hour).or_default().push(l);
    }
    let new_tallies = || -> BTreeMap<String, Tally> {
        group
            .accounts
            .iter()
            .map(|a| (a.clone(), Tally::default()))
            .collect()
    };
    let free_tier = pricing.free_tier();
    // Hours share nothing but the sums, so they are billed in chunks on
    // every core; the chunks' sums are then added in the hours' order. The
    // chunks do not depend on the number of cores, so neither does the bill.
    let hours: Vec<(&i64, &Vec<&Line>)> = by_hour.iter().collect();
    let chunk = hours.len().div_ceil(HOUR_CHUNKS).max(1);
    let chunks: Vec<(BTreeMap<String, Tally>, BTreeMap<String, f64>)> = hours
        .par_chunks(chunk)
        .map(|hours| {
            let mut tallies = new_tallies();
            let mut period_cost: BTreeMap<String, f64> = BTreeMap::new();
            for (hour, hour_lines) in hours {
                let before: f64 = tallies.values().map(|t| t.total).sum();
                bill_hour(**hour, hour_lines, &own, pricing, free_tier, &mut tallies);
                let after: f64 = tallies.values().map(|t| t.total).sum();
                *entry(&mut period_cost, &hour_lines[0].period) += after - before;
            }
            (tallies, period_cost)
        })
        .collect();
    let mut tallies = new_tallies();
    let mut period_cost: BTreeMap<String, f64> = BTreeMap::new();
    for (chunk_tallies, chunk_cost) in chunks {
        for (account, t) in chunk_tallies {
            entry(&mut tallies, &account).absorb(t);
        }
        for (period, cost) in chunk_cost {
            *entry(&mut period_cost, &period) += cost;
        }
    }
    // Commitments of the group in hours with no usage in the group still
    // cost, in every hour the billing data covers.
    for c in &own {
        for (hour, period) in periods.range(c.first_hour..=c.last_hour) {
            if by_hour.contains_key(hour) {
                continue;
            }
            entry(&mut tallies, &c.owner).charge(Charge {
                period,
                service: &c.service,
                pro_forma: c.hourly_fee,
                actual: 0.0,
                list: c.hourly_fee,
            });
            *period_cost.entry(period.clone()).or_default() += c.hourly_fee;
        }
    }
    let custom = custom_items(plan, group, &period_cost, &mut tallies);
    let accounts: Vec<AccountBill> = tallies
        .into_iter()
        .map(|(id, t)| AccountBill {
            id,
            total: t.total,
            actual: t.actual,
            savings: t.savings,
            services: t
                .services
                .into_iter()
                .flat_map(|(period, services)| {
                    services
                        .into_iter()
                        .map(move |(service, (total, actual, list))| ServiceBill {
                            service,
                            period: period.clone(),
                            total,
                            actual,
                            list,
                        })
                })
                .collect(),
        })
        .collect();
    let total: f64 = accounts.iter().map(|a| a.total).sum();
    let actual: f64 = accounts.iter().map(|a| a.actual).sum();
    GroupBill {
        name: group.name.clone(),
        pricing_plan: pricing.name.clone(),
        total,
        actual,
        savings: accounts.iter().map(|a| a.savings).sum(),
        margin: total - actual,
        accounts,
        custom_line_items: custom,
    }
}

/// Every hour the billing data has a line in, with its billing period.
fn hour_periods(lines: &[Line]) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    for l in lines {
        out.entry(l.hour).or_insert_with(|| l.period.to_string());
    }
    out
}

/// The value at `key`, created on first use. Looked up by reference, so the
/// key is allocated once, not per charge as `entry(key.to_owned())` would.
fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("just inserted")
}

/// What an interned name is: the same text may name an account and a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Name {
    Account,
    Family,
    Region,
    Reservation,
}

/// Interns names into the `u32`s the simulator takes, borrowing the text.
#[derive(Default)]
struct Interner<'a>(rustc_hash::FxHashMap<(Name, &'a str), u32>);

impl<'a> Interner<'a> {
    fn id(&mut self, kind: Name, s: &'a str) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry((kind, s)).or_insert(next)
    }
}

fn bill_hour<'a>(
    hour: i64,
    lines: &[&'a Line],
    own: &[&'a HeldCommitment],
    pricing: &PricingPlan,
    free_tier: bool,
    tallies: &mut BTreeMap<String, Tally>,
) {
    let mut names = Interner::default();
    let eligible: Vec<&Line> = lines
        .iter()
        .copied()
        .filter(|l| l.kind == LineKind::Usage && l.eligibility.is_some() && l.amount > 0.0)
        .collect();
    let usage: Vec<simulator::Usage> = eligible
        .iter()
        .map(|l| {
            let e = l.eligibility.as_ref().expect("filtered on eligibility");
            simulator::Usage {
                account: names.id(Name::Account, &l.account),
                service: e.service,
                family: names.id(Name::Family, &e.family),
                region: names.id(Name::Region, &e.region),
                reservation_key: e
                    .reservation_key
                    .as_ref()
                    .map(|k| names.id(Name::Reservation, k)),
                reservation_factor: e.reservation_factor,
                amount: l.amount,
                on_demand_cost: base_cost(l, free_tier),
            }
        })
        .collect();
    let active: Vec<&HeldCommitment> = own.iter().copied().filter(|c| c.active(hour)).collect();
    let held: Vec<simulator::Commitment> = active
        .iter()
        .map(|c| simulator::Commitment {
            scope: match &c.scope {
                HeldScope::Reservation(k) => CommitmentScope::Reservation {
                    key: names.id(Name::Reservation, k),
                },
                HeldScope::Ec2InstanceSp { family, region } => CommitmentScope::Ec2InstanceSp {
                    family: names.id(Name::Family, family),
                    region: names.id(Name::Region, region),
                },
                HeldScope::ComputeSp => CommitmentScope::ComputeSp,
                HeldScope::SagemakerSp => CommitmentScope::SagemakerSp,
            },
            owner: names.id(Name::Account, &c.owner),
            shared: true,
            per_hour: c.per_hour,
        })
        .collect();
    let keys: Vec<String> = eligible.iter().map(|l| discount_key(l)).collect();
    let outcome = simulator::simulate_hour(&usage, &held, |ci, u| {
        discount(active[ci], &keys[index_in(&usage, u)?], u)
    });
    // Covered parts at the commitment's rate; what is left, priced.
    let mut covered_cost = vec![0.0; eligible.len()];
    let mut covered_od = vec![0.0; eligible.len()];
    for a in &outcome.allocations {
        covered_cost[a.usage] += a.commitment_cost;
        covered_od[a.usage] += a.covered_on_demand_cost;
    }
    for (i, l) in eligible.iter().enumerate() {
        let uncovered = outcome.uncovered_on_demand_cost[i];
        let key = line_key(l);
        let cost = covered_cost[i] + pricing.price(&key, uncovered);
        let t = entry(tallies, &l.account);
        t.charge(Charge {
            period: &l.period,
            service: &l.service,
            pro_forma: cost,
            actual: l.actual_cost,
            list: base_cost(l, free_tier),
        });
        t.savings += covered_od[i] - covered_cost[i];
    }
    // Unused commitment, to its owner.
    for (ci, c) in active.iter().enumerate() {
        let used_cost = match c.scope {
            HeldScope::Reservation(_) => outcome.used[ci] * unit_fee(c),
            _ => outcome.used[ci],
        };
        let unused = (c.hourly_fee - used_cost).max(0.0);
        if unused > 0.0 {
            entry(tallies, &c.owner).charge(Charge {
                period: &lines[0].period,
                service: &c.service,
                pro_forma: unused,
                actual: 0.0,
                list: unused,
            });
        }
    }
    for l in lines {
        let t = entry(tallies, &l.account);
        let (pro_forma, list) = match l.kind {
            LineKind::Usage if l.eligibility.is_some() && l.amount > 0.0 => continue,
            LineKind::Usage => {
                let base = base_cost(l, free_tier);
                (pricing.price(&line_key(l), base), base)
            }
            LineKind::CommitmentFee => (0.0, 0.0),
            LineKind::Other => (l.actual_cost, l.actual_cost),
        };
        t.charge(Charge {
            period: &l.period,
            service: &l.service,
            pro_forma,
            actual: l.actual_cost,
            list,
        });
    }
}

/// The index of `item` in `slice`, when it is one of its elements: the
/// simulator hands the discount function references into the usage slice.
fn index_in<T>(slice: &[T], item: &T) -> Option<usize> {
    let size = std::mem::size_of::<T>().max(1);
    let offset = (item as *const T as usize).checked_sub(slice.as_ptr() as usize)?;
    let index = offset / size;
    (offset % size == 0 && index < slice.len()).then_some(index)
}

/// The public cost a line is priced from: with the free tier off, the first
/// paid tier's.
fn base_cost(l: &Line, free_tier: bool) -> f64 {
    if free_tier {
        l.public_cost
    } else {
        l.paid_tier_cost.max(l.public_cost)
    }
}

fn line_key(l: &Line) -> LineKey<'_> {
    LineKey {
        service: &l.service,
        billing_entity: &l.billing_entity,
        usage_type: &l.usage_type,
        operation: &l.operation,
    }
}

/// An RI's amortized cost per unit-hour.
fn unit_fee(c: &HeldCommitment) -> f64 {
    if c.per_hour > 0.0 {
        c.hourly_fee / c.per_hour
    } else {
        0.0
    }
}

/// A commitment's discount on a usage line (of discount key `key`): observed for a Savings Plan,
/// derived from the fee for an RI.
fn discount(c: &HeldCommitment, key: &str, u: &simulator::Usage) -> Option<f64> {
    match c.scope {
        HeldScope::Reservation(_) => {
            let od_rate = u.on_demand_cost / u.amount;
            (od_rate > 0.0).then(|| 1.0 - unit_fee(c) * u.reservation_factor / od_rate)
        }
        _ => c.discounts.get(key).copied(),
    }
}

/// Custom line items of the group, per billing period of the data, charged
/// to their account (or the group's primary account).
fn custom_items(
    plan: &BillingPlan,
    group: &BillingGroup,
    period_cost: &BTreeMap<String, f64>,
    tallies: &mut BTreeMap<String, Tally>,
) -> Vec<ChargedItem> {
    let mut out = Vec::new();
    for item in plan
        .custom_line_items
        .iter()
        .filter(|c| c.billing_group == group.name)
    {
        for (period, cost) in period_cost {
            if !item.applies_in(period) {
                continue;
            }
            let amount = item.amount(*cost);
            let account = item
                .account_id
                .clone()
                .unwrap_or_else(|| group.primary_account.clone());
            entry(tallies, &account).charge(Charge {
                period,
                service: "CustomLineItem",
                pro_forma: amount,
                actual: 0.0,
                list: 0.0,
            });
            out.push(ChargedItem {
                name: item.name.clone(),
                period: period.clone(),
                account_id: account,
                amount,
            });
        }
    }
    out
}

/// The RI key a row can be covered under, with the reservation units one
/// unit of it takes: EC2 and RDS usage that size-flexible RIs cover
/// ([`orgpool_model::size_flexible`]) and that has a normalization factor is
/// matched to the RIs of its family, region and operation, in normalized
/// units; other EC2 and RDS usage to RIs of its exact usage type, operation
/// and region.
fn reservation_key(r: &ChargeRow, class: CommitmentClass) -> Option<(String, f64)> {
    match class {
        CommitmentClass::Ec2 | CommitmentClass::Rds
            if orgpool_model::size_flexible(class, &r.operation)
                && r.normalization_factor > 0.0 =>
        {
            Some((
                orgpool_model::flex_reservation_key(&r.family, &r.region, &r.operation),
                r.normalization_factor,
            ))
        }
        CommitmentClass::Ec2 | CommitmentClass::Rds => Some((
            format!("{}|{}|{}", r.usage_type, r.operation, r.region),
            1.0,
        )),
        _ => None,
    }
}

/// One reader row as the engine's line (the row's strings move, not copy:
/// a large export has millions of rows).
fn line_of(r: ChargeRow) -> Line {
    let class = r.class.filter(|_| r.kind == ChargeKind::Usage);
    let reserved = class.and_then(|c| reservation_key(&r, c));
    let (reservation_key, reservation_factor) = match reserved {
        Some((key, factor)) => (Some(key), factor),
        None => (None, 1.0),
    };
    let eligibility = class.map(|class| Eligibility {
        service: match class {
            CommitmentClass::Ec2 => Service::Ec2,
            CommitmentClass::Fargate => Service::Fargate,
            CommitmentClass::Lambda => Service::Lambda,
            CommitmentClass::Sagemaker => Service::SageMaker,
            CommitmentClass::Rds => Service::Rds,
        },
        family: r.family,
        region: r.region,
        reservation_key,
        reservation_factor,
    });
    Line {
        hour: r.hour,
        period: r.period,
        account: r.account,
        service: r.service,
        billing_entity: r.billing_entity,
        usage_type: r.usage_type,
        operation: r.operation,
        kind: match r.kind {
            ChargeKind::Usage => LineKind::Usage,
            ChargeKind::CommitmentFee => LineKind::CommitmentFee,
            ChargeKind::Other => LineKind::Other,
        },
        amount: r.amount,
        public_cost: r.public_cost,
        paid_tier_cost: r.paid_tier_cost,
        actual_cost: r.actual_cost,
        eligibility,
    }
}

/// The engine's lines and commitments from the billing-data reader's rows.
/// Usage an RI could cover (EC2, RDS) gets `usage_type|operation|region` as
/// its reservation key, the key the reader gives each RI.
pub fn from_rows(rows: Vec<ChargeRow>, held: &[CommitmentRow]) -> (Vec<Line>, Vec<HeldCommitment>) {
    // A large export has over a hundred thousand rows: they are converted
    // on every core, in their order.
    let lines = rows.into_par_iter().map(line_of).collect();
    let commitments = held
        .iter()
        .map(|c| HeldCommitment {
            id: c.id.clone(),
            owner: c.owner.clone(),
            scope: match &c.kind {
                HeldKind::ComputeSp => HeldScope::ComputeSp,
                HeldKind::SagemakerSp => HeldScope::SagemakerSp,
                HeldKind::Ec2InstanceSp { family, region } => HeldScope::Ec2InstanceSp {
                    family: family.clone(),
                    region: region.clone(),
                },
                HeldKind::Reservation { key } => HeldScope::Reservation(key.clone()),
            },
            service: c.service.clone(),
            per_hour: c.per_hour,
            hourly_fee: c.hourly_fee,
            first_hour: c.first_hour,
            last_hour: c.last_hour,
            discounts: c.discounts.iter().cloned().collect(),
        })
        .collect();
    (lines, commitments)
}
