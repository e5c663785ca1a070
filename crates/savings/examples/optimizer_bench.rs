//! Benchmark of the commitment optimizer at the size issue 3 names: 2,000
//! (family, region) series × 2,160 hours. Prints the optimizer's time and
//! savings beside a naive peer measured in the same run: a grid search over one
//! Compute Savings Plan (50 levels, each evaluated exactly), the usual
//! spreadsheet method. Run: `cargo run --release -p orgpool-savings --example optimizer_bench`.

use std::time::Instant;

use orgpool_model::{CommitmentClass, UsageSeries};
use orgpool_savings::optimizer::{Evaluator, Portfolio, SeriesRates, optimize};

fn main() {
    let series_count: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    let hours: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_160);
    let mut state = 7u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut series = Vec::with_capacity(series_count);
    let mut rates = Vec::with_capacity(series_count);
    for k in 0..series_count {
        let base = 0.2 + 3.0 * next();
        let swing = 0.9 * next();
        let hourly = (0..hours)
            .map(|h| {
                let daily = (std::f64::consts::TAU * (h % 24) as f64 / 24.0).sin();
                (base * (1.0 + swing * daily) * (0.85 + 0.3 * next())).max(0.0)
            })
            .collect();
        series.push(UsageSeries {
            class: CommitmentClass::Ec2,
            region: format!("r{}", k % 16),
            family: format!("f{k}"),
            operation: String::new(),
            hourly,
        });
        rates.push(SeriesRates {
            bound: Some(0.33 + 0.1 * next()),
            compute: Some(0.22 + 0.08 * next()),
            sagemaker: None,
        });
    }
    let eval = Evaluator::new(&series, &rates);

    let started = Instant::now();
    let portfolio = optimize(&eval);
    let optimizer_secs = started.elapsed().as_secs_f64();
    let optimizer_savings = eval.evaluate(&portfolio).savings;

    let started = Instant::now();
    let peak: f64 = (0..hours)
        .map(|h| {
            series
                .iter()
                .zip(&rates)
                .map(|(s, r)| s.hourly[h] * (1.0 - r.compute.unwrap_or(0.0)))
                .sum::<f64>()
        })
        .fold(0.0, f64::max);
    let mut naive_savings = f64::MIN;
    for i in 0..=50 {
        let p = Portfolio {
            compute: peak * f64::from(i) / 50.0,
            ..Portfolio::empty(series.len())
        };
        naive_savings = naive_savings.max(eval.evaluate(&p).savings);
    }
    let naive_secs = started.elapsed().as_secs_f64();

    println!("series x hours: {series_count} x {hours}");
    println!("{:<48} {:>10} {:>16}", "method", "seconds", "savings ($)");
    println!(
        "{:<48} {:>10.3} {:>16.2}",
        "orgpool optimizer (all plans, hindsight)", optimizer_secs, optimizer_savings
    );
    println!(
        "{:<48} {:>10.3} {:>16.2}",
        "naive grid over one Compute SP (51 levels)", naive_secs, naive_savings
    );
    println!(
        "time ratio optimizer/naive: {:.2}; savings ratio optimizer/naive: {:.3}",
        optimizer_secs / naive_secs,
        optimizer_savings / naive_savings
    );
    println!(
        "target: optimizer under 5 s -> {}",
        if optimizer_secs < 5.0 {
            "met"
        } else {
            "MISSED"
        }
    );
}
