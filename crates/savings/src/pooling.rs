//! The pooled what-if: what an organization and the payer's pool gain by
//! sharing commitments, as on a break-up, when the organization's accounts
//! join the payer's organization and the two become one consolidated billing
//! family.
//!
//! In one family a commitment covers its owner account's usage first, then
//! any other account's (AWS Billing User Guide, "Reserved Instances and
//! Savings Plans discount sharing"). So, hour by hour over the same window:
//! 1. **Idle commitments are lent.** What each side's Savings Plans left
//!    unused in an hour covers the other side's uncovered usage, by
//!    [`crate::simulator::simulate_hour`] (EC2 Instance plans first, then
//!    the rest; highest savings first; use it or lose it). That commitment was paid for either way, so the
//!    whole on-demand cost it covers is saved.
//! 2. **One purchase for both.** What is left of both sides is one set of
//!    series (the same class, region and family summed), and the best
//!    purchase on it is compared with the two best purchases apart. It saves
//!    at least as much: the two portfolios together are one the joint
//!    purchase could make, and a commitment used by either side's usage is
//!    used more.
//!
//! The gain of pooling is (1) plus the joint purchase's savings less the two
//! apart. Purchases are the hindsight optimum over the window (no cap, no
//! target utilization), at the request's term, payment, plans and rates.
//!
//! EC2 Instance Savings Plans are lent too, each to the other side's EC2
//! usage of its own family and region (their fee lines name both:
//! [`IdleCommitment::ec2_instance_sp_scoped`]), before any Compute Savings
//! Plan, as AWS applies them. Those whose family or region the data do not
//! name (FOCUS has neither column) are reported, not lent.
//!
//! Not lent: idle Reserved Instances (reported, not used). The hourly
//! summary keeps no RI's reservation key, and the uncovered series are
//! dollars per family and region, not the instance types and platforms an
//! RI matches; lending them to any usage would overstate the gain, leaving
//! them out understates it.
//!
//! A billing transfer (importing the organization whole) keeps commitments
//! inside the organization that bought them: none of this applies to it.

use std::collections::BTreeMap;

use orgpool_model::{CommitmentClass, IdleCommitment, PlanKind, UsageSeries};
use serde::Serialize;

use crate::estimate::{Request, series_rates};
use crate::optimizer::{Evaluator, optimize};
use crate::rates::RateKey;
use crate::simulator::{Commitment, CommitmentScope, Service, Usage, simulate_hour};

/// One side of the pool: its uncovered usage and its idle commitments, over
/// the same window as the other side.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// Uncovered eligible on-demand spend per (class, region, family).
    pub uncovered: &'a [UsageSeries],
    /// Commitment paid for but unused, per hour.
    pub idle: &'a IdleCommitment,
}

/// What one side's idle Savings Plans covered of the other side's usage.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Lent {
    /// Idle Savings Plan commitment the side could lend: Compute and
    /// SageMaker plans, and EC2 Instance plans whose family and region the
    /// data name.
    pub idle_commitment: f64,
    /// The part of it the other side's usage used.
    pub commitment_used: f64,
    /// The other side's on-demand cost it covered: all saved, since the
    /// commitment was paid for anyway.
    pub on_demand_covered: f64,
}

/// The pooled what-if's answer; every amount is over the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PooledWhatIf {
    /// The organization's best purchase on its own usage.
    pub organization_alone: f64,
    /// The pool's best purchase on its own usage.
    pub pool_alone: f64,
    /// The pool's idle commitments covering the organization's usage.
    pub pool_lends: Lent,
    /// The organization's idle commitments covering the pool's usage.
    pub organization_lends: Lent,
    /// The best purchase on what both leave uncovered, together.
    pub together: f64,
    /// That purchase's commitment, dollars per hour.
    pub together_hourly_commitment: f64,
    /// The two best purchases apart, dollars per hour.
    pub apart_hourly_commitment: f64,
    /// What pooling saves beyond the two apart: both sides' lending, plus
    /// the joint purchase less the two apart.
    pub gain: f64,
    /// What the two together save beyond the pool alone with the
    /// organization buying nothing: both sides' lending, plus the joint
    /// purchase less the pool's alone. What the payer could pass on to the
    /// organization and be no worse off.
    pub value_of_joining: f64,
}

/// Works out the pooled what-if of `organization` joining `pool`.
pub fn pooled_what_if(
    organization: Side<'_>,
    pool: Side<'_>,
    request: &Request<'_>,
) -> PooledWhatIf {
    let (organization_left, pool_lends) = lend(pool.idle, organization.uncovered, request);
    let (pool_left, organization_lends) = lend(organization.idle, pool.uncovered, request);
    let (organization_alone, organization_hourly) = best_purchase(organization.uncovered, request);
    let (pool_alone, pool_hourly) = best_purchase(pool.uncovered, request);
    let (together, together_hourly_commitment) =
        best_purchase(&merge(&organization_left, &pool_left), request);
    let lent = pool_lends.on_demand_covered + organization_lends.on_demand_covered;
    PooledWhatIf {
        organization_alone,
        pool_alone,
        pool_lends,
        organization_lends,
        together,
        together_hourly_commitment,
        apart_hourly_commitment: organization_hourly + pool_hourly,
        gain: lent + together - pool_alone - organization_alone,
        value_of_joining: lent + together - pool_alone,
    }
}

/// The hindsight-optimal purchase's savings over the series' window and its
/// commitment in dollars per hour.
fn best_purchase(series: &[UsageSeries], request: &Request<'_>) -> (f64, f64) {
    let (rates, _) = series_rates(series, request);
    let eval = Evaluator::new(series, &rates);
    let outcome = eval.evaluate(&optimize(&eval));
    let hours = eval.hours().max(1) as f64;
    (outcome.savings, outcome.commitment_cost / hours)
}

/// The discounts the Savings Plans of an `idle` give a series. Not masked
/// by the request's plans: those say what may be bought, and these are held
/// already.
#[derive(Debug, Clone, Copy, Default)]
struct LendingRates {
    compute: Option<f64>,
    sagemaker: Option<f64>,
    ec2_instance: Option<f64>,
}

fn lending_rates(s: &UsageSeries, request: &Request<'_>) -> LendingRates {
    let lookup = |plan| {
        request
            .rates
            .lookup(&RateKey {
                plan,
                term: request.term,
                payment: request.payment,
                region: &s.region,
                family: &s.family,
            })
            .map(|(d, _)| d)
    };
    match s.class {
        CommitmentClass::Ec2 => LendingRates {
            compute: lookup(PlanKind::ComputeSp),
            ec2_instance: lookup(PlanKind::Ec2InstanceSp),
            ..LendingRates::default()
        },
        CommitmentClass::Fargate | CommitmentClass::Lambda => LendingRates {
            compute: lookup(PlanKind::ComputeSp),
            ..LendingRates::default()
        },
        CommitmentClass::Sagemaker => LendingRates {
            sagemaker: lookup(PlanKind::SagemakerSp),
            ..LendingRates::default()
        },
        CommitmentClass::Rds => LendingRates::default(),
    }
}

/// The borrower's EC2 series each of `idle`'s scoped EC2 Instance Savings
/// Plans may cover: the one of its family and region, if any.
fn instance_sp_targets(idle: &IdleCommitment, borrower: &[UsageSeries]) -> Vec<Option<usize>> {
    idle.ec2_instance_sp_scoped
        .iter()
        .map(|sp| {
            borrower.iter().position(|s| {
                s.class == CommitmentClass::Ec2 && s.family == sp.family && s.region == sp.region
            })
        })
        .collect()
}

/// The commitments `idle` lends in hour `h`: its Compute and SageMaker
/// Savings Plans, and each EC2 Instance Savings Plan whose family and region
/// the borrower uses (scoped to that series: [`hour_lines`] makes a series'
/// place its "family"). Also returns the idle commitment it could lend.
fn lendable(idle: &IdleCommitment, targets: &[Option<usize>], h: usize) -> (Vec<Commitment>, f64) {
    let hour_of = |v: &[f64]| v.get(h).copied().unwrap_or(0.0).max(0.0);
    let pooled = [
        (Some(CommitmentScope::ComputeSp), hour_of(&idle.compute_sp)),
        (
            Some(CommitmentScope::SagemakerSp),
            hour_of(&idle.sagemaker_sp),
        ),
    ];
    // A plan with no target is idle all the same, only not lendable here.
    let scoped = idle
        .ec2_instance_sp_scoped
        .iter()
        .zip(targets)
        .map(|(sp, target)| {
            let scope = target
                .and_then(|t| u32::try_from(t).ok())
                .map(|family| CommitmentScope::Ec2InstanceSp { family, region: 0 });
            (scope, hour_of(&sp.hourly))
        });
    let offers: Vec<(Option<CommitmentScope>, f64)> = pooled.into_iter().chain(scoped).collect();
    let lendable = offers.iter().map(|(_, per_hour)| per_hour).sum();
    let commitments = offers
        .into_iter()
        .filter_map(|(scope, per_hour)| Some((scope?, per_hour)))
        .filter(|(_, per_hour)| *per_hour > 0.0)
        .map(|(scope, per_hour)| Commitment {
            scope,
            owner: LENDER,
            shared: true,
            per_hour,
        })
        .collect();
    (commitments, lendable)
}

/// Covers `borrower`'s usage with `idle`'s Savings Plans hour by hour, in
/// the simulator's order (EC2 Instance Savings Plans before Compute ones);
/// returns what is left uncovered and what was lent.
fn lend(
    idle: &IdleCommitment,
    borrower: &[UsageSeries],
    request: &Request<'_>,
) -> (Vec<UsageSeries>, Lent) {
    let rates: Vec<LendingRates> = borrower.iter().map(|s| lending_rates(s, request)).collect();
    let targets = instance_sp_targets(idle, borrower);
    let mut left = borrower.to_vec();
    let hours = borrower.first().map_or(0, |s| s.hourly.len());
    let mut lent = Lent::default();
    for h in 0..hours {
        let (commitments, lendable) = lendable(idle, &targets, h);
        lent.idle_commitment += lendable;
        if commitments.is_empty() {
            continue;
        }
        let lines = hour_lines(borrower, h, BORROWER);
        let outcome = simulate_hour(&lines, &commitments, |c, u| {
            let rates = rates[u.family as usize];
            match commitments[c].scope {
                CommitmentScope::ComputeSp => rates.compute,
                CommitmentScope::Ec2InstanceSp { .. } => rates.ec2_instance,
                _ => rates.sagemaker,
            }
        });
        lent.commitment_used += outcome.used.iter().sum::<f64>();
        for (line, uncovered) in lines.iter().zip(&outcome.uncovered_on_demand_cost) {
            let k = line.family as usize;
            lent.on_demand_covered += left[k].hourly[h] - uncovered;
            left[k].hourly[h] = *uncovered;
        }
    }
    (left, lent)
}

/// Hour `h` of `series` as the simulator's usage lines of `account`: one per
/// series with usage in that hour, each its own "family" (the series' place,
/// so that a discount is found by it), one unit costing one dollar.
pub(crate) fn hour_lines(series: &[UsageSeries], h: usize, account: u32) -> Vec<Usage> {
    series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.hourly[h] > 0.0)
        .map(|(k, s)| Usage {
            account,
            service: service_of(s.class),
            family: k as u32,
            region: 0,
            reservation_key: None,
            reservation_factor: 1.0,
            amount: s.hourly[h],
            on_demand_cost: s.hourly[h],
        })
        .collect()
}

/// The simulator's account numbers for the two sides of a loan.
const LENDER: u32 = 0;
const BORROWER: u32 = 1;

fn service_of(class: CommitmentClass) -> Service {
    match class {
        CommitmentClass::Ec2 => Service::Ec2,
        CommitmentClass::Fargate => Service::Fargate,
        CommitmentClass::Lambda => Service::Lambda,
        CommitmentClass::Sagemaker => Service::SageMaker,
        CommitmentClass::Rds => Service::Rds,
    }
}

/// Both sides' series as one: the same key (class, region, family,
/// operation) summed hour by hour, in key order.
fn merge(a: &[UsageSeries], b: &[UsageSeries]) -> Vec<UsageSeries> {
    let mut by_key: BTreeMap<(CommitmentClass, &str, &str, &str), UsageSeries> = BTreeMap::new();
    for s in a.iter().chain(b) {
        let key = s.key();
        match by_key.get_mut(&key) {
            Some(sum) => {
                for (x, y) in sum.hourly.iter_mut().zip(&s.hourly) {
                    *x += y;
                }
            }
            None => {
                by_key.insert(key, s.clone());
            }
        }
    }
    by_key.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::{RateRow, RateSource, RateTable};
    use orgpool_model::IdleInstanceSp;
    use orgpool_model::{Payment, Term};

    /// Every plan at `discount`, whatever the key.
    fn flat_rates(discount: f64) -> RateTable {
        let rows = [
            PlanKind::ComputeSp,
            PlanKind::Ec2InstanceSp,
            PlanKind::SagemakerSp,
            PlanKind::RdsRi,
        ]
        .map(|plan| any_key(plan, discount));
        RateTable::from_rows(rows, RateSource::File("test".into()))
    }

    /// `plan` at `discount` in any region and family (1 year, no upfront).
    fn any_key(plan: PlanKind, discount: f64) -> RateRow {
        RateRow {
            plan,
            term: Term::OneYear,
            payment: Payment::NoUpfront,
            region: None,
            family: None,
            discount,
        }
    }

    use crate::test_series::{one_year_no_upfront as request, series};

    /// The what-if of two sides with no idle commitments.
    fn without_idle(
        organization: &[UsageSeries],
        pool: &[UsageSeries],
        request: &Request<'_>,
    ) -> PooledWhatIf {
        let none = IdleCommitment::zero(organization[0].hourly.len());
        let side = |uncovered| Side {
            uncovered,
            idle: &none,
        };
        pooled_what_if(side(organization), side(pool), request)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * (1.0 + b.abs())
    }

    /// Day and night: each side uses 10 $/h every other hour. Apart, any
    /// commitment costs more than it covers (at a 30 % discount it must be
    /// used 70 % of the hours), so each buys nothing. Together the usage is
    /// 10 $/h every hour: a Compute SP of 7 $/h covers it all and saves
    /// 3 $/h.
    #[test]
    fn complementary_usage_saves_together_what_neither_can_alone() {
        let table = flat_rates(0.3);
        let plans = [PlanKind::ComputeSp];
        let hours = 48;
        let day: Vec<f64> = (0..hours)
            .map(|h| if h % 2 == 0 { 10.0 } else { 0.0 })
            .collect();
        let night: Vec<f64> = day.iter().map(|v| 10.0 - v).collect();
        let organization = [series(CommitmentClass::Ec2, "m5", day)];
        let pool = [series(CommitmentClass::Fargate, "fargate", night)];
        let what_if = without_idle(&organization, &pool, &request(&table, &plans));
        assert!(close(what_if.organization_alone, 0.0), "{what_if:?}");
        assert!(close(what_if.pool_alone, 0.0), "{what_if:?}");
        assert!(close(what_if.together, 3.0 * hours as f64), "{what_if:?}");
        assert!(
            close(what_if.together_hourly_commitment, 7.0),
            "{what_if:?}"
        );
        assert!(close(what_if.gain, 3.0 * hours as f64), "{what_if:?}");
        assert_eq!(what_if.pool_lends, Lent::default());
    }

    /// The pool's idle Compute SP, 0, 3, 7 and 14 $/h over four hours, at a
    /// 30 % discount on the organization's 10 $/h: it covers
    /// min(10, idle / 0.7) of it each hour, using what that takes.
    #[test]
    fn idle_savings_plans_cover_the_other_sides_usage_hour_by_hour() {
        let table = flat_rates(0.3);
        let plans = [PlanKind::ComputeSp];
        let organization = [series(CommitmentClass::Ec2, "m5", vec![10.0; 4])];
        let mut idle = IdleCommitment::zero(4);
        idle.compute_sp = vec![0.0, 3.0, 7.0, 14.0];
        // Never lent: an EC2 Instance SP whose family and region the data do
        // not name (not in `ec2_instance_sp_scoped`), and RIs.
        idle.ec2_instance_sp = vec![50.0; 4];
        idle.reserved_instances = vec![50.0; 4];
        let (left, lent) = lend(&idle, &organization, &request(&table, &plans));
        assert!(close(lent.idle_commitment, 24.0), "{lent:?}");
        assert!(close(lent.commitment_used, 3.0 + 7.0 + 7.0), "{lent:?}");
        assert!(
            close(lent.on_demand_covered, 3.0 / 0.7 + 10.0 + 10.0),
            "{lent:?}"
        );
        let expected = [10.0, 10.0 - 3.0 / 0.7, 0.0, 0.0];
        for (got, want) in left[0].hourly.iter().zip(expected) {
            assert!(close(*got, want), "{:?}", left[0].hourly);
        }
    }

    /// A Savings Plan covers the usage with the highest savings first: with
    /// 6 $/h idle, the m5 series (40 % off) is covered whole (6 / 0.6 = 10)
    /// and the c5 series (20 % off) not at all; SageMaker's idle plan
    /// covers only SageMaker usage.
    #[test]
    fn lending_follows_the_simulators_order_and_scopes() {
        let table = RateTable::from_rows(
            [("m5", 0.4), ("c5", 0.2), ("ml.m5", 0.5)].map(|(family, discount)| RateRow {
                plan: if family.starts_with("ml.") {
                    PlanKind::SagemakerSp
                } else {
                    PlanKind::ComputeSp
                },
                term: Term::OneYear,
                payment: Payment::NoUpfront,
                region: None,
                family: Some(family.into()),
                discount,
            }),
            RateSource::File("test".into()),
        );
        let plans = [PlanKind::ComputeSp];
        let borrower = [
            series(CommitmentClass::Ec2, "c5", vec![10.0]),
            series(CommitmentClass::Ec2, "m5", vec![10.0]),
            series(CommitmentClass::Sagemaker, "ml.m5", vec![4.0]),
        ];
        let mut idle = IdleCommitment::zero(1);
        idle.compute_sp = vec![6.0];
        idle.sagemaker_sp = vec![1.0];
        let (left, lent) = lend(&idle, &borrower, &request(&table, &plans));
        let left: Vec<f64> = left.iter().map(|s| s.hourly[0]).collect();
        assert!(
            close(left[0], 10.0) && close(left[1], 0.0) && close(left[2], 2.0),
            "{left:?}"
        );
        assert!(close(lent.commitment_used, 7.0), "{lent:?}");
        assert!(close(lent.on_demand_covered, 12.0), "{lent:?}");
    }

    /// The pool's idle EC2 Instance SP of m5 in us-east-1 (4.2 $/h at 40 %
    /// off) covers only the organization's m5 usage in us-east-1: 7 $ of its
    /// 10 $/h, before the idle Compute SP (3 $/h at 30 % off) covers 30/7 $
    /// more, shared by the 3 $ left of m5 and the 10 $ of c5 in proportion
    /// (same savings on both). The c5 plan finds no c5 usage in us-east-1 to
    /// cover: idle, not lent.
    #[test]
    fn idle_ec2_instance_savings_plans_cover_their_family_and_region_first() {
        let table = RateTable::from_rows(
            [
                any_key(PlanKind::ComputeSp, 0.3),
                any_key(PlanKind::Ec2InstanceSp, 0.4),
            ],
            RateSource::File("test".into()),
        );
        let plans = [PlanKind::ComputeSp];
        let mut c5_in_ireland = series(CommitmentClass::Ec2, "c5", vec![10.0]);
        c5_in_ireland.region = "eu-west-1".into();
        let borrower = [
            series(CommitmentClass::Ec2, "m5", vec![10.0]),
            c5_in_ireland,
        ];
        let scoped = |family: &str, region: &str, per_hour| IdleInstanceSp {
            family: family.into(),
            region: region.into(),
            hourly: vec![per_hour],
        };
        let mut idle = IdleCommitment::zero(1);
        idle.compute_sp = vec![3.0];
        idle.ec2_instance_sp = vec![4.2 + 5.0 + 1.0];
        idle.ec2_instance_sp_scoped = vec![
            scoped("m5", "us-east-1", 4.2),
            scoped("c5", "us-east-1", 5.0),
        ];
        let (left, lent) = lend(&idle, &borrower, &request(&table, &plans));
        let left: Vec<f64> = left.iter().map(|s| s.hourly[0]).collect();
        let compute_covers = 3.0 / 0.7;
        assert!(
            close(left[0], 3.0 - compute_covers * 3.0 / 13.0)
                && close(left[1], 10.0 - compute_covers * 10.0 / 13.0),
            "{left:?}"
        );
        assert!(close(lent.idle_commitment, 3.0 + 4.2 + 5.0), "{lent:?}");
        assert!(close(lent.commitment_used, 4.2 + 3.0), "{lent:?}");
        assert!(
            close(lent.on_demand_covered, 7.0 + compute_covers),
            "{lent:?}"
        );
    }

    /// Lent EC2 Instance SPs count in the what-if's gain: the pool's idle m5
    /// plan covers the organization's m5 usage, which neither side could
    /// have bought for (nothing to buy with no plan allowed).
    #[test]
    fn a_lent_ec2_instance_savings_plan_is_part_of_the_gain() {
        let table = flat_rates(0.4);
        let plans: [PlanKind; 0] = [];
        let organization = [series(CommitmentClass::Ec2, "m5", vec![10.0; 3])];
        let pool_usage = [series(CommitmentClass::Ec2, "c5", vec![1.0; 3])];
        let none = IdleCommitment::zero(3);
        let mut pool_idle = IdleCommitment::zero(3);
        pool_idle.ec2_instance_sp = vec![3.0; 3];
        pool_idle.ec2_instance_sp_scoped = vec![IdleInstanceSp {
            family: "m5".into(),
            region: "us-east-1".into(),
            hourly: vec![3.0; 3],
        }];
        let what_if = pooled_what_if(
            Side {
                uncovered: &organization,
                idle: &none,
            },
            Side {
                uncovered: &pool_usage,
                idle: &pool_idle,
            },
            &request(&table, &plans),
        );
        assert!(
            close(what_if.pool_lends.on_demand_covered, 3.0 * 5.0),
            "{what_if:?}"
        );
        assert!(close(what_if.gain, 15.0), "{what_if:?}");
        assert_eq!(what_if.organization_lends, Lent::default());
    }

    /// Against an exhaustive search on a small case: a Compute SP bought for
    /// each side alone and for the two sides' summed usage.
    #[test]
    fn joint_purchase_matches_an_exhaustive_search() {
        let table = flat_rates(0.25);
        let plans = [PlanKind::ComputeSp];
        let a = vec![4.0, 9.0, 1.0, 7.0, 0.0, 12.0, 5.0, 3.0];
        let b = vec![6.0, 0.0, 8.0, 2.0, 9.0, 1.0, 4.0, 7.0];
        let organization = [series(CommitmentClass::Ec2, "m5", a.clone())];
        let pool = [series(CommitmentClass::Lambda, "lambda", b.clone())];
        let what_if = without_idle(&organization, &pool, &request(&table, &plans));
        // The savings are piecewise linear in the commitment, with corners
        // where it covers exactly one hour's usage: the best is at one.
        let search = |usage: &[f64]| {
            usage
                .iter()
                .map(|corner| {
                    let c = corner * 0.75;
                    usage.iter().map(|u| u.min(c / 0.75) - c).sum::<f64>()
                })
                .fold(0.0_f64, f64::max)
        };
        let sum: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let tolerance = |x: f64| 0.005 * x + 1e-9;
        for (got, want) in [
            (what_if.organization_alone, search(&a)),
            (what_if.pool_alone, search(&b)),
            (what_if.together, search(&sum)),
        ] {
            assert!(
                got >= want - tolerance(want) && got <= want + 1e-6,
                "{got} against {want}"
            );
        }
        assert!(what_if.gain > 0.0, "{what_if:?}");
    }
}
