//! The savings estimate: rates for every series, the optimal purchase on top of
//! what is held, the savings-versus-commitment curve, and a backtest.
//!
//! Input is the uncovered eligible usage per (class, region, family), hour by
//! hour: what new commitments would cover after the existing ones.

use orgpool_model::{CommitmentClass, Payment, PlanKind, Term, UsageSeries};
use serde::Serialize;

use crate::optimizer::{Allowed, Evaluator, Outcome, Portfolio, SeriesRates, optimize};
use crate::rates::{RateKey, RateTable};

/// Hours in an average month (8,760 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Rate tables in order of precedence; the first with a row wins.
pub struct RateChain<'a> {
    /// Tables, highest precedence first.
    pub tables: Vec<&'a RateTable>,
}

impl RateChain<'_> {
    /// The discount and the name of the table it came from.
    pub fn lookup(&self, key: &RateKey<'_>) -> Option<(f64, String)> {
        self.tables
            .iter()
            .find_map(|t| t.discount(key).map(|d| (d, t.source().to_string())))
    }
}

/// What the estimate is asked.
pub struct Request<'a> {
    /// Commitment term.
    pub term: Term,
    /// Payment option.
    pub payment: Payment,
    /// Plans that may be bought.
    pub plans: &'a [PlanKind],
    /// Where discounts come from.
    pub rates: RateChain<'a>,
    /// Cap on the total hourly commitment, $/h.
    pub max_commitment: Option<f64>,
    /// Lowest acceptable overall utilization of the new commitments.
    pub target_utilization: Option<f64>,
}

/// One recommended purchase (JSON contract: `recommendations[]`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Recommendation {
    /// `compute_sp`, `ec2_instance_sp`, `sagemaker_sp` or `rds_ri`.
    pub plan: PlanKind,
    /// Term.
    pub term: Term,
    /// Payment.
    pub payment: Payment,
    /// Region, `*` for plans that span regions.
    pub region: String,
    /// Instance family, `*` for plans that span families.
    pub family: String,
    /// Dollars per hour at the plan's rates (for RIs: the effective hourly cost).
    pub hourly_commitment: f64,
    /// Net savings over the window.
    pub estimated_savings: f64,
    /// Share of the commitment used.
    pub estimated_utilization: f64,
    /// Share of the plan's eligible usage it covers.
    pub estimated_coverage: f64,
    /// Where its discount came from.
    pub rate_source: String,
    /// Net savings per month of 730 hours, at the window's pace.
    pub estimated_monthly_savings: f64,
    /// Net savings per dollar of the commitment's cost over the window (Cost
    /// Explorer's estimated return on investment, as a fraction).
    pub estimated_roi: f64,
    /// What the purchase commits to over its whole term: `hourly_commitment`
    /// times the term's hours.
    pub term_commitment: f64,
    /// Paid at purchase (see [`Payment::upfront_share`]: half the term's
    /// value for a Partial Upfront Savings Plan, the least AWS accepts);
    /// `None` for a Partial Upfront RI, whose fee its offering sets.
    pub upfront_cost: Option<f64>,
    /// Billed each hour of the term on top of the upfront payment; `None`
    /// where that payment is unknown.
    pub recurring_hourly_cost: Option<f64>,
    /// The on-demand spend per hour, over the window, of the usage it may
    /// cover that no commitment held covers (Cost Explorer's current
    /// minimum, average and maximum hourly on-demand spend).
    pub uncovered_hourly_on_demand_spend: HourlySpend,
    /// For an RDS RI: the operation of the DB instances it covers
    /// (`CreateDBInstance:0002`), whose engine and licence the reserved DB
    /// instance must be bought with; `None` for a Savings Plan.
    pub operation: Option<String>,
    /// For an RDS RI: that engine's name (`MySQL`), where orgpool knows the
    /// code (see [`orgpool_model::rds_engine_name`]); else `None`.
    pub database_engine: Option<String>,
}

/// The lowest, average and highest of an hourly series.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct HourlySpend {
    /// Lowest hour.
    pub minimum: f64,
    /// Mean over every hour.
    pub average: f64,
    /// Highest hour.
    pub maximum: f64,
}

impl HourlySpend {
    /// Of `hourly`: all zero for no hours.
    fn of(hourly: &[f64]) -> Self {
        if hourly.is_empty() {
            return HourlySpend::default();
        }
        let fold = |f: fn(f64, f64) -> f64| hourly.iter().copied().reduce(f).unwrap_or(0.0);
        let (minimum, maximum) = (fold(f64::min), fold(f64::max));
        // Rounding in the sum may put the mean of a flat series a hair
        // outside it.
        let mean = hourly.iter().sum::<f64>() / hourly.len() as f64;
        HourlySpend {
            minimum,
            average: mean.clamp(minimum, maximum),
            maximum,
        }
    }
}

impl Recommendation {
    /// A purchase of `hourly` $/h of `plan`, which over a window of `hours`
    /// hours covers usage whose on-demand cost is `covered`, uses `used` of
    /// its commitment, and covers that share of `scope`, the uncovered
    /// on-demand cost per hour of the usage it may cover.
    fn new(
        plan: PlanKind,
        (term, payment): (Term, Payment),
        (region, family): (&str, &str),
        hourly: f64,
        hours: f64,
        (covered, used, scope): (f64, f64, &[f64]),
        rate_source: String,
    ) -> Self {
        let spend = HourlySpend::of(scope);
        let scope: f64 = scope.iter().sum();
        let window_cost = hourly * hours;
        let savings = covered - window_cost;
        let share_of = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
        let term_commitment = hourly * f64::from(term.hours());
        let upfront_share = payment.upfront_share(plan);
        Recommendation {
            plan,
            term,
            payment,
            region: region.to_owned(),
            family: family.to_owned(),
            hourly_commitment: hourly,
            estimated_savings: savings,
            estimated_utilization: share_of(used, window_cost),
            estimated_coverage: share_of(covered, scope),
            rate_source,
            estimated_monthly_savings: share_of(savings, hours) * HOURS_PER_MONTH,
            estimated_roi: share_of(savings, window_cost),
            term_commitment,
            upfront_cost: upfront_share.map(|share| share * term_commitment),
            recurring_hourly_cost: upfront_share.map(|share| (1.0 - share) * hourly),
            uncovered_hourly_on_demand_spend: spend,
            operation: None,
            database_engine: None,
        }
    }

    /// The same purchase, of DB instances of `operation` (an RDS RI's).
    fn for_operation(self, operation: &str) -> Self {
        Recommendation {
            operation: Some(operation.to_owned()),
            database_engine: orgpool_model::rds_engine_name(operation).map(str::to_owned),
            ..self
        }
    }
}

/// Per hour, the spend of `series` summed, each series' times the `weight`
/// its rates give it; a series without one is left out. Hours past a short
/// series' end add nothing.
fn weighted_hourly_sum(
    series: &[UsageSeries],
    rates: &[SeriesRates],
    weight: impl Fn(&SeriesRates) -> Option<f64>,
) -> Vec<f64> {
    let hours = series.iter().map(|s| s.hourly.len()).max().unwrap_or(0);
    let mut sum = vec![0.0; hours];
    for (s, w) in series
        .iter()
        .zip(rates)
        .filter_map(|(s, r)| Some((s, weight(r)?)))
    {
        for (total, x) in sum.iter_mut().zip(&s.hourly) {
            *total += x * w;
        }
    }
    sum
}

/// What `purchases` together commit to over their term, and pay up front:
/// `None` when one of them cannot say (a Partial Upfront RI).
pub fn purchase_cost(purchases: &[Recommendation]) -> (f64, Option<f64>) {
    let term = purchases.iter().map(|r| r.term_commitment).sum();
    let upfront = purchases.iter().map(|r| r.upfront_cost).sum();
    (term, upfront)
}

/// A point of the savings-versus-commitment curve.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct CurvePoint {
    /// Total hourly commitment, $/h.
    pub hourly_commitment: f64,
    /// Net savings over the window.
    pub savings: f64,
    /// Overall utilization.
    pub utilization: f64,
}

/// The estimate's answer.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// Recommended purchases.
    pub recommendations: Vec<Recommendation>,
    /// The portfolio recommended.
    pub portfolio: Portfolio,
    /// What it does over the window.
    pub outcome: Outcome,
    /// Savings versus commitment, from nothing to twice the optimum.
    pub curve: Vec<CurvePoint>,
    /// Hindsight-optimal savings before any cap.
    pub optimal_savings: f64,
    /// Per-series discounts used.
    pub rates: Vec<SeriesRates>,
}

/// Looks up the discounts of every series.
pub fn series_rates(
    series: &[UsageSeries],
    request: &Request<'_>,
) -> (Vec<SeriesRates>, Vec<[Option<String>; 3]>) {
    let allowed = Allowed::from_plans(request.plans);
    let mut rates = Vec::new();
    let mut sources = Vec::new();
    for s in series {
        let key = |plan| RateKey {
            plan,
            term: request.term,
            payment: request.payment,
            region: &s.region,
            family: &s.family,
        };
        let bound_plan = match s.class {
            CommitmentClass::Ec2 if !s.family.is_empty() => Some(PlanKind::Ec2InstanceSp),
            CommitmentClass::Rds if !s.family.is_empty() => Some(PlanKind::RdsRi),
            _ => None,
        };
        let bound = bound_plan.and_then(|p| request.rates.lookup(&key(p)));
        let compute = matches!(
            s.class,
            CommitmentClass::Ec2 | CommitmentClass::Fargate | CommitmentClass::Lambda
        )
        .then(|| request.rates.lookup(&key(PlanKind::ComputeSp)))
        .flatten();
        let sagemaker = (s.class == CommitmentClass::Sagemaker)
            .then(|| request.rates.lookup(&key(PlanKind::SagemakerSp)))
            .flatten();
        let r = SeriesRates {
            bound: bound.as_ref().map(|x| x.0),
            compute: compute.as_ref().map(|x| x.0),
            sagemaker: sagemaker.as_ref().map(|x| x.0),
        };
        rates.push(allowed.mask(s.class, r));
        sources.push([
            bound.map(|x| x.1),
            compute.map(|x| x.1),
            sagemaker.map(|x| x.1),
        ]);
    }
    (rates, sources)
}

/// Recommends the purchase that maximizes net savings over the series' window.
pub fn recommend(series: &[UsageSeries], request: &Request<'_>) -> Estimate {
    let (rates, sources) = series_rates(series, request);
    let eval = Evaluator::new(series, &rates);
    let optimal = optimize(&eval);
    let optimal_outcome = eval.evaluate(&optimal);
    let hours = eval.hours() as f64;
    let total_hourly = |o: &Outcome| {
        if hours > 0.0 {
            o.commitment_cost / hours
        } else {
            0.0
        }
    };
    let mut factor: f64 = 1.0;
    if let Some(cap) = request.max_commitment {
        let optimum = total_hourly(&optimal_outcome);
        if optimum > cap && optimum > 0.0 {
            factor = cap / optimum;
        }
    }
    if let Some(target) = request.target_utilization {
        let utilization = |f: f64| utilization(&eval.evaluate(&optimal.scaled(f)));
        if utilization(factor) < target {
            let (mut lo, mut hi) = (0.0, factor);
            for _ in 0..50 {
                let mid = 0.5 * (lo + hi);
                if utilization(mid) >= target {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            factor = lo;
        }
    }
    let portfolio = optimal.scaled(factor);
    let outcome = eval.evaluate(&portfolio);
    let curve = (0..=20)
        .map(|i| {
            let o = eval.evaluate(&optimal.scaled(f64::from(i) / 10.0));
            CurvePoint {
                hourly_commitment: total_hourly(&o),
                savings: o.savings,
                utilization: utilization(&o),
            }
        })
        .collect();
    let recommendations = describe(
        series, &rates, &sources, &portfolio, &outcome, hours, request,
    );
    Estimate {
        recommendations,
        portfolio,
        outcome,
        curve,
        optimal_savings: optimal_outcome.savings,
        rates,
    }
}

/// Overall utilization of an outcome's commitments.
pub fn utilization(o: &Outcome) -> f64 {
    let used = o.bound_used.iter().sum::<f64>() + o.compute_used + o.sagemaker_used;
    if o.commitment_cost <= 0.0 {
        0.0
    } else {
        used / o.commitment_cost
    }
}

fn describe(
    series: &[UsageSeries],
    rates: &[SeriesRates],
    sources: &[[Option<String>; 3]],
    p: &Portfolio,
    o: &Outcome,
    hours: f64,
    request: &Request<'_>,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    // The hourly spend of the series a pooled plan may cover.
    let eligible = |pick: fn(&SeriesRates) -> Option<f64>| {
        weighted_hourly_sum(series, rates, |r| pick(r).map(|_| 1.0))
    };
    let rec = |plan,
               region: &str,
               family: &str,
               hourly: f64,
               covered: f64,
               used: f64,
               scope: &[f64],
               source: &Option<String>| {
        Recommendation::new(
            plan,
            (request.term, request.payment),
            (region, family),
            hourly,
            hours,
            (covered, used, scope),
            source.clone().unwrap_or_default(),
        )
    };
    for (k, s) in series.iter().enumerate() {
        let Some(d) = rates[k].bound else { continue };
        let hourly = p.bound_capacity[k] * (1.0 - d);
        if hourly <= 1e-9 {
            continue;
        }
        let plan = if s.class == CommitmentClass::Rds {
            PlanKind::RdsRi
        } else {
            PlanKind::Ec2InstanceSp
        };
        let r = rec(
            plan,
            &s.region,
            &s.family,
            hourly,
            o.bound_covered[k],
            o.bound_used[k],
            &s.hourly,
            &sources[k][0],
        );
        out.push(if plan == PlanKind::RdsRi {
            r.for_operation(&s.operation)
        } else {
            r
        });
    }
    // A pooled plan spans series whose rates may come from several tables.
    let sources_of = |i: usize| {
        let mut names: Vec<String> = Vec::new();
        for name in sources.iter().filter_map(|s| s[i].clone()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        (!names.is_empty()).then(|| names.join(" + "))
    };
    if p.compute > 1e-9 {
        out.push(rec(
            PlanKind::ComputeSp,
            "*",
            "*",
            p.compute,
            o.compute_covered,
            o.compute_used,
            &eligible(|r| r.compute),
            &sources_of(1),
        ));
    }
    if p.sagemaker > 1e-9 {
        out.push(rec(
            PlanKind::SagemakerSp,
            "*",
            "*",
            p.sagemaker,
            o.sagemaker_covered,
            o.sagemaker_used,
            &eligible(|r| r.sagemaker),
            &sources_of(2),
        ));
    }
    out.sort_by(|a, b| b.estimated_savings.total_cmp(&a.estimated_savings));
    out
}

/// A strategy's result on the evaluation window of a backtest.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BacktestRow {
    /// `recommended`, `baseline_min_hourly` or `baseline_average_hourly`.
    pub strategy: String,
    /// Total hourly commitment, $/h.
    pub hourly_commitment: f64,
    /// Net savings realized on the evaluation window.
    pub realized_savings: f64,
    /// Utilization realized.
    pub utilization: f64,
}

/// Recommends on `train` and evaluates on `test` (same series keys, in order),
/// beside two naive Compute SP baselines: commit at the minimum hourly eligible
/// spend, and at the average, both at the Compute SP rate.
pub fn backtest(
    train: &[UsageSeries],
    test: &[UsageSeries],
    request: &Request<'_>,
) -> Vec<BacktestRow> {
    let estimate = recommend(train, request);
    let (rates, _) = series_rates(test, request);
    let eval = Evaluator::new(test, &rates);
    let hours = eval.hours().max(1) as f64;
    let row = |name: &str, p: &Portfolio| {
        let o = eval.evaluate(p);
        BacktestRow {
            strategy: name.to_owned(),
            hourly_commitment: o.commitment_cost / hours,
            realized_savings: o.savings,
            utilization: utilization(&o),
        }
    };
    let mut rows = vec![row("recommended", &estimate.portfolio)];
    // Baselines: compute-eligible spend of the training window, at compute rates.
    let hourly_cost = weighted_hourly_sum(train, &estimate.rates, |r| r.compute.map(|d| 1.0 - d));
    // No eligible spend to train on: both baselines commit nothing (the
    // table keeps its three rows).
    let spend = HourlySpend::of(&hourly_cost);
    for (name, level) in [
        ("baseline_min_hourly", spend.minimum),
        ("baseline_average_hourly", spend.average),
    ] {
        let p = Portfolio {
            compute: level,
            ..Portfolio::empty(test.len())
        };
        rows.push(row(name, &p));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::RateSource;

    use crate::test_series::one_year_no_upfront;

    fn flat(class: CommitmentClass, family: &str, value: f64, hours: usize) -> UsageSeries {
        UsageSeries {
            class,
            region: "us-east-1".into(),
            family: family.into(),
            operation: String::new(),
            hourly: vec![value; hours],
        }
    }

    #[test]
    fn flat_usage_is_covered_by_the_deepest_discount_and_saves_it_exactly() {
        // $10/h of m5 every hour: an EC2 Instance SP (0.36 off, 1y no upfront,
        // embedded table) covers all of it; savings are 10 × 0.36 × 100 hours.
        let table = RateTable::embedded_default();
        let request = one_year_no_upfront(&table, &[PlanKind::ComputeSp, PlanKind::Ec2InstanceSp]);
        let series = vec![flat(CommitmentClass::Ec2, "m5", 10.0, 100)];
        let e = recommend(&series, &request);
        assert_eq!(e.recommendations.len(), 1);
        let r = &e.recommendations[0];
        assert_eq!(r.plan, PlanKind::Ec2InstanceSp);
        assert!((r.hourly_commitment - 6.4).abs() < 1e-6, "{r:?}");
        assert!((r.estimated_savings - 360.0).abs() < 1e-6);
        assert!((r.estimated_utilization - 1.0).abs() < 1e-9);
        assert_eq!(r.rate_source, RateSource::EmbeddedDefault.to_string());
        // A cap halves it; the curve peaks at the optimum.
        let capped = recommend(
            &series,
            &Request {
                max_commitment: Some(3.2),
                ..request
            },
        );
        assert!((capped.recommendations[0].hourly_commitment - 3.2).abs() < 1e-6);
        let peak = e.curve.iter().map(|p| p.savings).fold(f64::MIN, f64::max);
        assert!((peak - 360.0).abs() < 1e-6);
    }

    #[test]
    fn rds_reservations_are_recommended_per_database_engine() {
        // $10/h of MySQL and $4/h of PostgreSQL on r5 in one region, flat for
        // 100 hours: a reserved DB instance covers one engine only, so each
        // gets its own, of the engine's spend times (1 - the RI's discount
        // d), saving that spend times d each hour.
        let table = RateTable::embedded_default();
        let request = one_year_no_upfront(&table, &[PlanKind::RdsRi]);
        let on = |operation: &str, value: f64| UsageSeries {
            operation: operation.into(),
            ..flat(CommitmentClass::Rds, "r5", value, 100)
        };
        let series = vec![
            on("CreateDBInstance:0002", 10.0),
            on("CreateDBInstance:0014", 4.0),
        ];
        let d = request
            .rates
            .lookup(&RateKey {
                plan: PlanKind::RdsRi,
                term: request.term,
                payment: request.payment,
                region: "us-east-1",
                family: "r5",
            })
            .expect("an embedded RDS rate")
            .0;
        let e = recommend(&series, &request);
        let mut found: Vec<(Option<&str>, Option<&str>, f64, f64)> = e
            .recommendations
            .iter()
            .map(|r| {
                assert_eq!(r.plan, PlanKind::RdsRi);
                let (op, engine) = (r.operation.as_deref(), r.database_engine.as_deref());
                (op, engine, r.hourly_commitment, r.estimated_savings)
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert_eq!(found.len(), 2, "{found:?}");
        for ((op, engine, hourly, savings), (want_op, want_engine, spend)) in found.iter().zip([
            ("CreateDBInstance:0002", "MySQL", 10.0),
            ("CreateDBInstance:0014", "PostgreSQL", 4.0),
        ]) {
            assert_eq!((*op, *engine), (Some(want_op), Some(want_engine)));
            assert!(close(*hourly, spend * (1.0 - d)), "{found:?}");
            assert!(close(*savings, spend * d * 100.0), "{found:?}");
        }
        // A Savings Plan names no engine.
        let sp = one_year_no_upfront(&table, &[PlanKind::Ec2InstanceSp]);
        let r = &recommend(&[flat(CommitmentClass::Ec2, "m5", 10.0, 100)], &sp).recommendations[0];
        assert_eq!(
            (r.operation.as_deref(), r.database_engine.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn a_recommendation_says_what_the_purchase_costs_up_front_and_by_the_hour() {
        // The flat case above, worked by hand: $6.40/h saves $360 over 100
        // hours, so $2,628 a month (730 h) and $0.5625 per dollar of the
        // $640 it costs over the window; over a 1-year term (8,760 h) it
        // commits $56,064, none of it up front.
        let table = RateTable::embedded_default();
        let request = one_year_no_upfront(&table, &[PlanKind::Ec2InstanceSp]);
        let series = vec![flat(CommitmentClass::Ec2, "m5", 10.0, 100)];
        let r = &recommend(&series, &request).recommendations[0];
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(r.estimated_monthly_savings, 2_628.0), "{r:?}");
        assert!(close(r.estimated_roi, 0.5625), "{r:?}");
        assert!(close(r.term_commitment, 56_064.0), "{r:?}");
        assert_eq!(r.upfront_cost, Some(0.0));
        let spend = r.uncovered_hourly_on_demand_spend;
        assert_eq!(
            (spend.minimum, spend.average, spend.maximum),
            (10.0, 10.0, 10.0)
        );
        assert!(close(r.recurring_hourly_cost.unwrap(), 6.4), "{r:?}");
        // $2/h for 3 years (26,280 h) is $52,560: all of it up front, or
        // half of it for a Partial Upfront Savings Plan and $1/h after; a
        // Partial Upfront RI's split is its offering's, unknown here.
        let terms = |plan, payment| {
            let r = Recommendation::new(
                plan,
                (Term::ThreeYears, payment),
                ("us-east-1", "m5"),
                2.0,
                10.0,
                (30.0, 20.0, &[10.0, 30.0]),
                String::new(),
            );
            assert!(close(r.term_commitment, 52_560.0), "{r:?}");
            assert!(close(r.estimated_savings, 10.0), "{r:?}");
            assert!(close(r.estimated_utilization, 1.0), "{r:?}");
            assert!(close(r.estimated_coverage, 0.75), "{r:?}");
            let spend = r.uncovered_hourly_on_demand_spend;
            assert_eq!(
                (spend.minimum, spend.average, spend.maximum),
                (10.0, 20.0, 30.0)
            );
            (r.upfront_cost, r.recurring_hourly_cost)
        };
        assert_eq!(
            terms(PlanKind::ComputeSp, Payment::AllUpfront),
            (Some(52_560.0), Some(0.0))
        );
        assert_eq!(
            terms(PlanKind::Ec2InstanceSp, Payment::PartialUpfront),
            (Some(26_280.0), Some(1.0))
        );
        assert_eq!(
            terms(PlanKind::RdsRi, Payment::PartialUpfront),
            (None, None)
        );
        assert_eq!(
            terms(PlanKind::RdsRi, Payment::AllUpfront),
            (Some(52_560.0), Some(0.0))
        );
        // A purchase of several: the sum, unknown up front if one part is.
        let purchase = |plan| {
            Recommendation::new(
                plan,
                (Term::ThreeYears, Payment::PartialUpfront),
                ("*", "*"),
                2.0,
                10.0,
                (30.0, 20.0, &[10.0, 30.0]),
                String::new(),
            )
        };
        let (sp, ri) = (purchase(PlanKind::ComputeSp), purchase(PlanKind::RdsRi));
        assert_eq!(
            purchase_cost(&[sp.clone(), sp.clone()]),
            (105_120.0, Some(52_560.0))
        );
        assert_eq!(purchase_cost(&[sp, ri]), (105_120.0, None));
        assert_eq!(purchase_cost(&[]), (0.0, Some(0.0)));
    }

    #[test]
    fn backtest_compares_against_both_baselines() {
        let table = RateTable::embedded_default();
        let request = one_year_no_upfront(&table, &[PlanKind::ComputeSp]);
        let train: Vec<UsageSeries> = vec![UsageSeries {
            class: CommitmentClass::Ec2,
            region: "us-east-1".into(),
            family: "m5".into(),
            operation: String::new(),
            hourly: (0..48).map(|h| 5.0 + (h % 24) as f64).collect(),
        }];
        let test = train.clone();
        let rows = backtest(&train, &test, &request);
        let names: Vec<_> = rows.iter().map(|r| r.strategy.as_str()).collect();
        assert_eq!(
            names,
            [
                "recommended",
                "baseline_min_hourly",
                "baseline_average_hourly"
            ]
        );
        // In hindsight on the same data, the recommendation beats both baselines.
        assert!(rows[0].realized_savings >= rows[1].realized_savings - 1e-9);
        assert!(rows[0].realized_savings >= rows[2].realized_savings - 1e-9);
        // Committing at the minimum is always fully used.
        assert!((rows[1].utilization - 1.0).abs() < 1e-9);
    }
}
