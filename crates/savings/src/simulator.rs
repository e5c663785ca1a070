//! The simulator: given one hour's usage and a set of commitments, apply the
//! commitments the way AWS does and say what each covered.
//!
//! This is the one place orgpool encodes AWS's application rules. Estimates,
//! backtests, pooled what-ifs, pro forma bills and the demo generator all call
//! [`simulate_hour`].
//!
//! The rules (AWS Savings Plans User Guide, "How Savings Plans apply to your AWS
//! usage"; AWS Billing User Guide, "Reserved Instances and Savings Plans
//! discount sharing"):
//! 1. Reserved Instances apply first, then EC2 Instance Savings Plans, then
//!    Compute Savings Plans (SageMaker Savings Plans cover only SageMaker, so
//!    their place among the others does not change the outcome).
//! 2. Each commitment serves its owner account's usage first, then, when sharing
//!    is on, the rest of the consolidated billing family.
//! 3. Within that, a Savings Plan covers the usage with the highest savings
//!    percentage first; ties go to the lowest Savings Plans rate. Usage the
//!    rules cannot tell apart (same savings, same rate) shares what is left in
//!    proportion to its cost: AWS documents no order among such lines, and a
//!    proportional share does not depend on the order the lines are listed
//!    in, so every caller (the demo's bills, the pro forma) gets the same
//!    per-account split from the same usage.
//! 4. A commitment is per hour: whatever is unused in the hour is lost.
//!
//! AWS does not document the order among several plans of the same type; the
//! simulator applies them in the order given, and sources order them by
//! purchase time, oldest first (the order the 2018 workshop bill shows). An
//! RI covers the usage whose reservation key it shares: the instance type,
//! region and platform, or for a size-flexible Linux RI the family and
//! region, counted in normalized units ([`Usage::reservation_factor`]).

use orgpool_model::PlanKind;

/// Services whose usage a commitment may cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// EC2 instances (on-demand, not Spot).
    Ec2,
    /// ECS or EKS on Fargate.
    Fargate,
    /// Lambda duration and provisioned concurrency.
    Lambda,
    /// SageMaker ML instances.
    SageMaker,
    /// RDS database instances.
    Rds,
    /// Anything no commitment covers.
    Other,
}

/// One line of one hour's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// The usage account, as an index the caller chose.
    pub account: u32,
    /// The service.
    pub service: Service,
    /// Instance family, interned by the caller.
    pub family: u32,
    /// Region, interned by the caller.
    pub region: u32,
    /// Reservation key (instance type, region, engine), interned by the caller;
    /// `None` when no RI can cover this usage.
    pub reservation_key: Option<u32>,
    /// Reservation units one unit of this usage takes: 1 when an RI counts
    /// instances, the size's normalization factor for a size-flexible RI
    /// (AWS EC2 User Guide, "Instance size flexibility": a large is 4
    /// units, a micro 0.5).
    pub reservation_factor: f64,
    /// Usage amount in its pricing unit (hours, GB-seconds, …).
    pub amount: f64,
    /// The usage at the public on-demand rate.
    pub on_demand_cost: f64,
}

/// What a commitment may cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentScope {
    /// A Reserved Instance: usage with this reservation key.
    Reservation {
        /// The reservation key, interned like [`Usage::reservation_key`].
        key: u32,
    },
    /// An EC2 Instance Savings Plan: EC2 usage of one family in one region.
    Ec2InstanceSp {
        /// Instance family.
        family: u32,
        /// Region.
        region: u32,
    },
    /// A Compute Savings Plan: EC2, Fargate and Lambda anywhere.
    ComputeSp,
    /// A SageMaker Savings Plan.
    SagemakerSp,
}

impl CommitmentScope {
    /// The plan kind of this scope.
    pub fn plan(self) -> PlanKind {
        match self {
            CommitmentScope::Reservation { .. } => PlanKind::RdsRi,
            CommitmentScope::Ec2InstanceSp { .. } => PlanKind::Ec2InstanceSp,
            CommitmentScope::ComputeSp => PlanKind::ComputeSp,
            CommitmentScope::SagemakerSp => PlanKind::SagemakerSp,
        }
    }

    /// AWS's application order: RIs, then EC2 Instance SPs, then the rest.
    fn rank(self) -> u8 {
        match self {
            CommitmentScope::Reservation { .. } => 0,
            CommitmentScope::Ec2InstanceSp { .. } => 1,
            CommitmentScope::ComputeSp | CommitmentScope::SagemakerSp => 2,
        }
    }

    /// Whether this commitment can cover the usage at all.
    pub fn covers(self, usage: &Usage) -> bool {
        match self {
            CommitmentScope::Reservation { key } => usage.reservation_key == Some(key),
            CommitmentScope::Ec2InstanceSp { family, region } => {
                usage.service == Service::Ec2 && usage.family == family && usage.region == region
            }
            CommitmentScope::ComputeSp => {
                matches!(
                    usage.service,
                    Service::Ec2 | Service::Fargate | Service::Lambda
                )
            }
            CommitmentScope::SagemakerSp => usage.service == Service::SageMaker,
        }
    }
}

/// A commitment held during the hour.
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    /// What it covers.
    pub scope: CommitmentScope,
    /// The owner account, as an index the caller chose.
    pub owner: u32,
    /// Whether its benefit is shared with the rest of the billing family.
    pub shared: bool,
    /// Per hour: dollars of commitment for a Savings Plan, units (normalized
    /// instance-hours) for a Reserved Instance.
    pub per_hour: f64,
}

/// A part of one usage line covered by one commitment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allocation {
    /// Index into the usage slice.
    pub usage: usize,
    /// Index into the commitment slice.
    pub commitment: usize,
    /// Usage units covered.
    pub covered_amount: f64,
    /// The covered units at the public on-demand rate.
    pub covered_on_demand_cost: f64,
    /// What the covered units cost at the commitment's rate (the Savings Plan's
    /// effective cost, or the RI's effective cost).
    pub commitment_cost: f64,
}

/// The outcome of one hour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourOutcome {
    /// Every covered part, in the order AWS would apply them.
    pub allocations: Vec<Allocation>,
    /// Per commitment, what was used: dollars for a Savings Plan, units for a
    /// Reserved Instance.
    pub used: Vec<f64>,
    /// On-demand cost left uncovered, per usage line.
    pub uncovered_on_demand_cost: Vec<f64>,
}

/// Applies `commitments` to one hour of `usage` in AWS's order.
///
/// `discount(c, u)` is commitment `c`'s discount on usage `u` as a fraction of
/// the public on-demand rate, or `None` when no rate is known (the commitment
/// then cannot cover that usage).
pub fn simulate_hour(
    usage: &[Usage],
    commitments: &[Commitment],
    discount: impl Fn(usize, &Usage) -> Option<f64>,
) -> HourOutcome {
    let mut remaining_amount: Vec<f64> = usage.iter().map(|u| u.amount).collect();
    let mut outcome = HourOutcome {
        allocations: Vec::new(),
        used: vec![0.0; commitments.len()],
        uncovered_on_demand_cost: usage.iter().map(|u| u.on_demand_cost).collect(),
    };
    let mut order: Vec<usize> = (0..commitments.len()).collect();
    order.sort_by_key(|&c| commitments[c].scope.rank());
    for c in order {
        apply_one(
            c,
            &commitments[c],
            usage,
            &discount,
            &mut remaining_amount,
            &mut outcome,
        );
    }
    outcome
}

/// A usage line a commitment may cover, with its sort keys.
struct Candidate {
    usage: usize,
    other_account: bool,
    savings: f64,
    unit_rate: f64,
}

fn apply_one(
    c: usize,
    commitment: &Commitment,
    usage: &[Usage],
    discount: &impl Fn(usize, &Usage) -> Option<f64>,
    remaining_amount: &mut [f64],
    outcome: &mut HourOutcome,
) {
    let mut candidates: Vec<Candidate> = usage
        .iter()
        .enumerate()
        .filter(|(i, u)| remaining_amount[*i] > 0.0 && u.amount > 0.0 && commitment.scope.covers(u))
        .filter(|(_, u)| commitment.shared || u.account == commitment.owner)
        .filter_map(|(i, u)| {
            let d = discount(c, u)?.clamp(0.0, 0.999_999);
            let on_demand_rate = u.on_demand_cost / u.amount;
            Some(Candidate {
                usage: i,
                other_account: u.account != commitment.owner,
                savings: d,
                unit_rate: on_demand_rate * (1.0 - d),
            })
        })
        .collect();
    candidates.sort_by(|a, b| {
        a.other_account
            .cmp(&b.other_account)
            .then(b.savings.total_cmp(&a.savings))
            .then(a.unit_rate.total_cmp(&b.unit_rate))
            .then(a.usage.cmp(&b.usage))
    });
    let is_reservation = matches!(commitment.scope, CommitmentScope::Reservation { .. });
    let mut left = commitment.per_hour;
    let mut start = 0;
    while start < candidates.len() && left > 1e-12 {
        let end = tier_end(&candidates, start);
        let tier = &candidates[start..end];
        start = end;
        // What covering the whole tier would take, in the commitment's
        // capacity unit (units for an RI, dollars for a Savings Plan).
        let cost_of = |k: &Candidate| {
            let units = remaining_amount[k.usage];
            if is_reservation {
                units * usage[k.usage].reservation_factor
            } else {
                units * k.unit_rate
            }
        };
        let need: f64 = tier.iter().map(cost_of).sum();
        if need <= 0.0 {
            continue;
        }
        let share = (left / need).min(1.0);
        for k in tier {
            let i = k.usage;
            let covered = remaining_amount[i] * share;
            if covered <= 0.0 {
                continue;
            }
            let on_demand_rate = usage[i].on_demand_cost / usage[i].amount;
            let allocation = Allocation {
                usage: i,
                commitment: c,
                covered_amount: covered,
                covered_on_demand_cost: covered * on_demand_rate,
                commitment_cost: covered * k.unit_rate,
            };
            let used = if is_reservation {
                covered * usage[i].reservation_factor
            } else {
                allocation.commitment_cost
            };
            left -= used;
            outcome.used[c] += used;
            remaining_amount[i] = if share >= 1.0 {
                0.0
            } else {
                remaining_amount[i] - covered
            };
            outcome.uncovered_on_demand_cost[i] = remaining_amount[i] * on_demand_rate;
            outcome.allocations.push(allocation);
        }
    }
}

/// The end of the tier that starts at `start`: the candidates AWS's rules
/// cannot tell apart (same account side, same savings, same rate).
fn tier_end(candidates: &[Candidate], start: usize) -> usize {
    let first = &candidates[start];
    let same = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    let mut end = start + 1;
    while end < candidates.len() {
        let k = &candidates[end];
        if k.other_account != first.other_account
            || !same(k.savings, first.savings)
            || !same(k.unit_rate, first.unit_rate)
        {
            break;
        }
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const US_EAST: u32 = 0;
    const M5: u32 = 0;
    const C5: u32 = 1;

    fn ec2(account: u32, family: u32, amount: f64, rate: f64) -> Usage {
        Usage {
            account,
            service: Service::Ec2,
            family,
            region: US_EAST,
            reservation_key: None,
            reservation_factor: 1.0,
            amount,
            on_demand_cost: amount * rate,
        }
    }

    fn sp(scope: CommitmentScope, owner: u32, per_hour: f64) -> Commitment {
        Commitment {
            scope,
            owner,
            shared: true,
            per_hour,
        }
    }

    #[test]
    fn compute_sp_covers_highest_savings_first_and_loses_the_rest() {
        // m5 saves 40%, c5 saves 20%. $3/h of commitment at the m5 SP rate
        // 0.1*0.6 = 0.06/unit covers all 10 m5 units for $0.60, then c5 at
        // 0.1*0.8 = 0.08/unit: 30 units for $2.40. Nothing is left over.
        let usage = [ec2(0, C5, 100.0, 0.1), ec2(0, M5, 10.0, 0.1)];
        let commitments = [sp(CommitmentScope::ComputeSp, 0, 3.0)];
        let out = simulate_hour(&usage, &commitments, |_, u| {
            Some(if u.family == M5 { 0.4 } else { 0.2 })
        });
        assert_eq!(out.allocations[0].usage, 1);
        assert!((out.allocations[0].commitment_cost - 0.6).abs() < 1e-9);
        assert!((out.allocations[1].covered_amount - 30.0).abs() < 1e-9);
        assert!((out.used[0] - 3.0).abs() < 1e-9);
        assert!((out.uncovered_on_demand_cost[0] - 7.0).abs() < 1e-9);
        assert_eq!(out.uncovered_on_demand_cost[1], 0.0);
    }

    #[test]
    fn usage_the_rules_cannot_tell_apart_shares_in_proportion_whatever_the_order() {
        // Accounts 1 and 2 (neither owns the plan) run m5 at the same rate:
        // 30 and 10 units at $0.10, 20% off, so $0.08 a unit. $1.60 of
        // commitment covers 20 of the 40 units: half of each line.
        let a = [ec2(1, M5, 30.0, 0.1), ec2(2, M5, 10.0, 0.1)];
        let b = [a[1].clone(), a[0].clone()];
        let plan = [sp(CommitmentScope::ComputeSp, 0, 1.6)];
        for (usage, first) in [(&a, 30.0), (&b, 10.0)] {
            let out = simulate_hour(usage, &plan, |_, _| Some(0.2));
            let covered: Vec<f64> = out.allocations.iter().map(|x| x.covered_amount).collect();
            assert_eq!(covered.len(), 2);
            assert!((covered[0] - first / 2.0).abs() < 1e-9, "{covered:?}");
            assert!((covered.iter().sum::<f64>() - 20.0).abs() < 1e-9);
            assert!((out.used[0] - 1.6).abs() < 1e-9);
        }
    }

    #[test]
    fn unused_commitment_is_lost_not_carried() {
        let usage = [ec2(0, M5, 1.0, 0.1)];
        let out = simulate_hour(&usage, &[sp(CommitmentScope::ComputeSp, 0, 5.0)], |_, _| {
            Some(0.3)
        });
        assert!((out.used[0] - 0.07).abs() < 1e-12);
    }

    #[test]
    fn ec2_instance_sp_applies_before_compute_sp_whatever_the_input_order() {
        let usage = [ec2(0, M5, 10.0, 0.1)];
        let commitments = [
            sp(CommitmentScope::ComputeSp, 0, 10.0),
            sp(
                CommitmentScope::Ec2InstanceSp {
                    family: M5,
                    region: US_EAST,
                },
                0,
                0.3,
            ),
        ];
        let out = simulate_hour(&usage, &commitments, |c, _| {
            Some(if c == 1 { 0.4 } else { 0.25 })
        });
        // EC2 SP: $0.30 at 0.06/unit covers 5 units; compute SP covers the other 5.
        assert_eq!(out.allocations[0].commitment, 1);
        assert!((out.allocations[0].covered_amount - 5.0).abs() < 1e-9);
        assert!((out.allocations[1].covered_amount - 5.0).abs() < 1e-9);
        assert!((out.used[0] - 5.0 * 0.075).abs() < 1e-9);
    }

    #[test]
    fn owner_account_is_served_before_the_family_even_at_lower_savings() {
        let usage = [ec2(1, M5, 10.0, 0.1), ec2(0, C5, 10.0, 0.1)];
        let out = simulate_hour(&usage, &[sp(CommitmentScope::ComputeSp, 0, 0.8)], |_, u| {
            Some(if u.family == M5 { 0.5 } else { 0.2 })
        });
        assert_eq!(out.allocations[0].usage, 1, "owner's c5 first");
        assert!((out.allocations[0].commitment_cost - 0.8).abs() < 1e-9);
        assert_eq!(out.allocations.len(), 1);
    }

    #[test]
    fn unshared_commitment_never_leaves_its_owner() {
        let usage = [ec2(1, M5, 10.0, 0.1)];
        let mut c = sp(CommitmentScope::ComputeSp, 0, 1.0);
        c.shared = false;
        let out = simulate_hour(&usage, &[c], |_, _| Some(0.3));
        assert!(out.allocations.is_empty());
        assert_eq!(out.used[0], 0.0);
    }

    #[test]
    fn ties_in_savings_go_to_the_lowest_sp_rate() {
        let usage = [ec2(0, M5, 10.0, 0.2), ec2(0, C5, 10.0, 0.1)];
        let out = simulate_hour(&usage, &[sp(CommitmentScope::ComputeSp, 0, 0.5)], |_, _| {
            Some(0.3)
        });
        assert_eq!(out.allocations[0].usage, 1);
    }

    #[test]
    fn reservations_come_first_and_count_units() {
        let mut rds = ec2(0, 9, 3.0, 0.5);
        rds.service = Service::Rds;
        rds.reservation_key = Some(7);
        let usage = [rds, ec2(0, M5, 4.0, 0.1)];
        let commitments = [
            sp(CommitmentScope::ComputeSp, 0, 1.0),
            sp(CommitmentScope::Reservation { key: 7 }, 0, 2.0),
        ];
        let out = simulate_hour(&usage, &commitments, |c, _| {
            Some(if c == 1 { 0.4 } else { 0.3 })
        });
        assert_eq!(out.allocations[0].commitment, 1);
        assert!((out.used[1] - 2.0).abs() < 1e-12, "two of three RDS hours");
        assert!((out.uncovered_on_demand_cost[0] - 0.5).abs() < 1e-12);
        // The compute SP never touches RDS.
        assert!(
            out.allocations
                .iter()
                .filter(|a| a.commitment == 0)
                .all(|a| a.usage == 1)
        );
    }

    #[test]
    fn coverage_never_exceeds_usage_or_commitment() {
        // A small exhaustive check over shapes: the invariants hold everywhere.
        for per_hour in [0.0, 0.05, 0.5, 5.0, 50.0] {
            for amount in [0.0, 0.5, 3.0, 40.0] {
                let usage = [ec2(0, M5, amount, 0.1), ec2(1, C5, amount * 2.0, 0.17)];
                let commitments = [
                    sp(
                        CommitmentScope::Ec2InstanceSp {
                            family: C5,
                            region: US_EAST,
                        },
                        1,
                        per_hour / 2.0,
                    ),
                    sp(CommitmentScope::ComputeSp, 0, per_hour),
                ];
                let out = simulate_hour(&usage, &commitments, |_, _| Some(0.3));
                for (c, commitment) in commitments.iter().enumerate() {
                    assert!(out.used[c] <= commitment.per_hour + 1e-9);
                }
                for (i, u) in usage.iter().enumerate() {
                    let covered: f64 = out
                        .allocations
                        .iter()
                        .filter(|a| a.usage == i)
                        .map(|a| a.covered_on_demand_cost)
                        .sum();
                    assert!(
                        (covered + out.uncovered_on_demand_cost[i] - u.on_demand_cost).abs() < 1e-9
                    );
                }
            }
        }
    }
}
