//! The optimizer against an independent oracle: the hindsight-optimal savings
//! of small cases, solved exactly as a linear program (microlp). The LP lets
//! every commitment cover any usage it is eligible for, so its optimum bounds
//! what any purchase could save; the optimizer must reach 99.5% of it.

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use orgpool_model::{CommitmentClass, UsageSeries};
use orgpool_savings::optimizer::{Evaluator, SeriesRates, optimize};

/// Deterministic pseudo-random numbers (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn lp_optimum(series: &[UsageSeries], rates: &[SeriesRates]) -> f64 {
    let hours = series[0].hourly.len();
    let h = hours as f64;
    let mut lp = Problem::new(OptimizationDirection::Maximize);
    let bound: Vec<_> = rates
        .iter()
        .map(|r| {
            r.bound
                .map(|d| lp.add_var(-h * (1.0 - d), (0.0, f64::INFINITY)))
        })
        .collect();
    let compute = lp.add_var(-h, (0.0, f64::INFINITY));
    let sagemaker = lp.add_var(-h, (0.0, f64::INFINITY));
    for t in 0..hours {
        let mut compute_row = vec![(compute, -1.0)];
        let mut sagemaker_row = vec![(sagemaker, -1.0)];
        for (k, s) in series.iter().enumerate() {
            let mut usage_row = Vec::new();
            if let Some(x) = bound[k] {
                let u = lp.add_var(1.0, (0.0, f64::INFINITY));
                lp.add_constraint([(u, 1.0), (x, -1.0)], ComparisonOp::Le, 0.0);
                usage_row.push((u, 1.0));
            }
            if let Some(d) = rates[k].compute {
                let v = lp.add_var(1.0, (0.0, f64::INFINITY));
                compute_row.push((v, 1.0 - d));
                usage_row.push((v, 1.0));
            }
            if let Some(g) = rates[k].sagemaker {
                let w = lp.add_var(1.0, (0.0, f64::INFINITY));
                sagemaker_row.push((w, 1.0 - g));
                usage_row.push((w, 1.0));
            }
            if !usage_row.is_empty() {
                lp.add_constraint(usage_row, ComparisonOp::Le, s.hourly[t]);
            }
        }
        lp.add_constraint(compute_row, ComparisonOp::Le, 0.0);
        lp.add_constraint(sagemaker_row, ComparisonOp::Le, 0.0);
    }
    match lp.solve().expect("the LP is feasible and bounded") {
        microlp::SolveOutcome::Solution(solution) => solution.objective(),
        other => panic!("the LP did not finish: {other:?}"),
    }
}

fn case(
    seed: u64,
    ec2: usize,
    with_lambda: bool,
    with_other: bool,
    hours: usize,
) -> (Vec<UsageSeries>, Vec<SeriesRates>) {
    let mut rng = Rng(seed);
    let mut series = Vec::new();
    let mut rates = Vec::new();
    let shape = |rng: &mut Rng, base: f64, swing: f64| -> Vec<f64> {
        (0..hours)
            .map(|t| {
                let daily = (std::f64::consts::TAU * t as f64 / 24.0).sin();
                (base * (1.0 + swing * daily)
                    + base * 0.6 * rng.next()
                    + if rng.next() < 0.05 { base * 2.0 } else { 0.0 })
                .max(0.0)
            })
            .collect()
    };
    for k in 0..ec2 {
        let base = 1.0 + 4.0 * rng.next();
        let swing = 0.8 * rng.next();
        series.push(UsageSeries {
            class: CommitmentClass::Ec2,
            region: "us-east-1".into(),
            family: format!("f{k}"),
            operation: String::new(),
            hourly: shape(&mut rng, base, swing),
        });
        rates.push(SeriesRates {
            bound: Some(0.33 + 0.1 * rng.next()),
            compute: Some(0.22 + 0.08 * rng.next()),
            sagemaker: None,
        });
    }
    if with_lambda {
        series.push(UsageSeries {
            class: CommitmentClass::Lambda,
            region: "us-east-1".into(),
            family: "lambda".into(),
            operation: String::new(),
            hourly: shape(&mut rng, 1.5, 0.5),
        });
        rates.push(SeriesRates {
            bound: None,
            compute: Some(0.12),
            sagemaker: None,
        });
    }
    if with_other {
        series.push(UsageSeries {
            class: CommitmentClass::Sagemaker,
            region: "us-east-1".into(),
            family: "m5".into(),
            operation: String::new(),
            hourly: shape(&mut rng, 2.0, 0.9),
        });
        rates.push(SeriesRates {
            bound: None,
            compute: None,
            sagemaker: Some(0.2),
        });
        series.push(UsageSeries {
            class: CommitmentClass::Rds,
            region: "us-east-1".into(),
            family: "r5".into(),
            operation: String::new(),
            hourly: shape(&mut rng, 3.0, 0.1),
        });
        rates.push(SeriesRates {
            bound: Some(0.31),
            compute: None,
            sagemaker: None,
        });
    }
    (series, rates)
}

#[test]
fn optimizer_reaches_995_per_mille_of_the_lp_optimum() {
    let mut worst: f64 = 1.0;
    for seed in 0..24u64 {
        let ec2 = 1 + (seed % 3) as usize;
        let (series, rates) = case(seed, ec2, seed % 2 == 0, seed % 4 == 1, 48);
        let eval = Evaluator::new(&series, &rates);
        let ours = eval.evaluate(&optimize(&eval)).savings;
        let best = lp_optimum(&series, &rates);
        assert!(
            ours <= best + 1e-6 * best.abs().max(1.0),
            "seed {seed}: {ours} beats the LP bound {best}"
        );
        let ratio = if best.abs() < 1e-9 { 1.0 } else { ours / best };
        worst = worst.min(ratio);
        assert!(
            ratio >= 0.995,
            "seed {seed}: optimizer {ours:.4} vs LP {best:.4} ({:.4})",
            ratio
        );
    }
    eprintln!("worst ratio to the LP optimum: {worst:.5}");
}

#[test]
fn nothing_to_cover_buys_nothing() {
    let series = vec![UsageSeries {
        class: CommitmentClass::Ec2,
        region: "r".into(),
        family: "m5".into(),
        operation: String::new(),
        hourly: vec![0.0; 24],
    }];
    let rates = vec![SeriesRates {
        bound: Some(0.4),
        compute: Some(0.3),
        sagemaker: None,
    }];
    let eval = Evaluator::new(&series, &rates);
    let p = optimize(&eval);
    assert_eq!(eval.evaluate(&p).commitment_cost, 0.0);
}

#[test]
fn many_series_without_polishing_still_reach_995_per_mille() {
    for seed in [100u64, 101] {
        let (series, rates) = case(seed, 20, true, false, 36);
        let eval = Evaluator::new(&series, &rates);
        let ours = eval.evaluate(&optimize(&eval)).savings;
        let best = lp_optimum(&series, &rates);
        assert!(
            ours / best >= 0.995,
            "seed {seed}: {ours} vs {best} ({:.4})",
            ours / best
        );
    }
}
