//! The commitment optimizer: which Savings Plans and RIs to buy, and how much,
//! to maximize net savings over a window of hourly usage, in hindsight.
//!
//! Variables: one hourly commitment per plan that pools (Compute SP over EC2,
//! Fargate and Lambda; SageMaker SP over SageMaker), and one per series for plans
//! bound to a series (EC2 Instance SP per family and region; RDS RIs per family
//! and region, sized in on-demand dollars of capacity).
//!
//! The objective is concave and piecewise linear: hourly savings are the value
//! of a small allocation problem whose right-hand sides are the commitments. The
//! optimizer works in rounds:
//! 1. start each series-bound plan at its stand-alone optimum (the level that
//!    usage exceeds in a fraction `1 - discount` of hours);
//! 2. set each pooled commitment exactly, by a search on its concave savings;
//! 3. re-set every series-bound commitment against the pooled plans' marginal
//!    values (their duals) measured at the current point, and repeat;
//! 4. with few series, polish every variable by an exact line search (skipped
//!    for a variable that a small step either way would not improve).
//!
//! [`Evaluator`] applies AWS's order exactly as [`crate::simulate_hour`] does
//! (series-bound plans first, then pooled plans covering the highest discount
//! first) but on dense arrays, so one evaluation of 2,000 series × 2,160 hours
//! is a few milliseconds; a test checks it against the simulator.

use orgpool_model::{CommitmentClass, PlanKind, UsageSeries};
use rayon::prelude::*;

/// Discounts one series gets from each plan (`None`: the plan cannot cover it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeriesRates {
    /// Series-bound plan discount (EC2 Instance SP, or RDS RI).
    pub bound: Option<f64>,
    /// Compute SP discount.
    pub compute: Option<f64>,
    /// SageMaker SP discount.
    pub sagemaker: Option<f64>,
}

/// A set of new commitments.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    /// Per series: on-demand capacity ($/h) of its series-bound plan.
    pub bound_capacity: Vec<f64>,
    /// Compute SP commitment, $/h.
    pub compute: f64,
    /// SageMaker SP commitment, $/h.
    pub sagemaker: f64,
}

impl Portfolio {
    /// No commitment at all.
    pub fn empty(series: usize) -> Self {
        Self {
            bound_capacity: vec![0.0; series],
            compute: 0.0,
            sagemaker: 0.0,
        }
    }

    /// The portfolio with every commitment multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            bound_capacity: self.bound_capacity.iter().map(|x| x * factor).collect(),
            compute: self.compute * factor,
            sagemaker: self.sagemaker * factor,
        }
    }
}

/// What a portfolio does over the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Net savings: covered on-demand cost minus commitment cost.
    pub savings: f64,
    /// Commitment cost over the window.
    pub commitment_cost: f64,
    /// On-demand cost the commitments covered.
    pub covered: f64,
    /// Per series: on-demand cost covered by its bound plan.
    pub bound_covered: Vec<f64>,
    /// Per series: commitment its bound plan used ($).
    pub bound_used: Vec<f64>,
    /// Compute SP: used commitment ($) and covered on-demand cost.
    pub compute_used: f64,
    /// Compute SP covered on-demand cost.
    pub compute_covered: f64,
    /// SageMaker SP used commitment ($).
    pub sagemaker_used: f64,
    /// SageMaker SP covered on-demand cost.
    pub sagemaker_covered: f64,
}

/// Dense data for fast exact evaluation.
pub struct Evaluator<'a> {
    series: &'a [UsageSeries],
    /// Usage, hour-major: `dense[h * n + k]`, so one hour's series sit together.
    dense: Vec<f64>,
    rates: &'a [SeriesRates],
    hours: usize,
    compute_order: Vec<usize>,
    sagemaker_order: Vec<usize>,
}

impl<'a> Evaluator<'a> {
    /// Prepares series and their discounts.
    pub fn new(series: &'a [UsageSeries], rates: &'a [SeriesRates]) -> Self {
        let hours = series.iter().map(|s| s.hourly.len()).max().unwrap_or(0);
        let order = |pick: fn(&SeriesRates) -> Option<f64>| {
            let mut idx: Vec<usize> = (0..series.len())
                .filter(|&k| pick(&rates[k]).is_some())
                .collect();
            // Highest discount first; AWS breaks ties by the lowest SP rate, which
            // for aggregated series is not defined, so by series order.
            idx.sort_by(|&a, &b| {
                pick(&rates[b])
                    .unwrap_or(0.0)
                    .total_cmp(&pick(&rates[a]).unwrap_or(0.0))
                    .then(a.cmp(&b))
            });
            idx
        };
        let n = series.len();
        assert!(
            rates
                .iter()
                .all(|r| r.compute.is_none() || r.sagemaker.is_none()),
            "Compute and SageMaker Savings Plans cover disjoint series"
        );
        let mut dense = vec![0.0; hours * n];
        for (k, s) in series.iter().enumerate() {
            for (h, v) in s.hourly.iter().enumerate() {
                dense[h * n + k] = *v;
            }
        }
        Self {
            series,
            dense,
            rates,
            hours,
            compute_order: order(|r| r.compute),
            sagemaker_order: order(|r| r.sagemaker),
        }
    }

    /// Hours in the window.
    pub fn hours(&self) -> usize {
        self.hours
    }

    fn usage(&self, k: usize, h: usize) -> f64 {
        self.dense[h * self.series.len() + k]
    }

    /// Evaluates a portfolio exactly.
    #[allow(clippy::needless_range_loop)] // parallel arrays indexed by series
    pub fn evaluate(&self, p: &Portfolio) -> Outcome {
        let n = self.series.len();
        let mut out = Outcome {
            bound_covered: vec![0.0; n],
            bound_used: vec![0.0; n],
            ..Outcome::default()
        };
        let caps = self.bound_caps(p);
        let compute_rates = pool_rates(&self.compute_order, self.rates, |r| r.compute);
        let sagemaker_rates = pool_rates(&self.sagemaker_order, self.rates, |r| r.sagemaker);
        let mut residual = vec![0.0; n];
        for h in 0..self.hours {
            for k in 0..n {
                let s = self.usage(k, h);
                let used = s.min(caps[k]);
                residual[k] = s - used;
                out.bound_covered[k] += used;
                out.bound_used[k] += used * (1.0 - self.rates[k].bound.unwrap_or(0.0));
            }
            let (used, covered) = fill(&compute_rates, &residual, p.compute);
            out.compute_used += used;
            out.compute_covered += covered;
            let (used, covered) = fill(&sagemaker_rates, &residual, p.sagemaker);
            out.sagemaker_used += used;
            out.sagemaker_covered += covered;
        }
        let hours = self.hours as f64;
        let bound_cost: f64 = (0..n)
            .map(|k| {
                self.rates[k]
                    .bound
                    .map_or(0.0, |d| p.bound_capacity[k] * (1.0 - d))
            })
            .sum::<f64>()
            * hours;
        out.commitment_cost = bound_cost + (p.compute + p.sagemaker) * hours;
        out.covered =
            out.bound_covered.iter().sum::<f64>() + out.compute_covered + out.sagemaker_covered;
        out.savings = out.covered - out.commitment_cost;
        out
    }
}

impl Evaluator<'_> {
    /// The net savings of a portfolio: [`Evaluator::evaluate`]'s `savings`,
    /// without the per-series detail. The optimizer's searches ask only
    /// this, thousands of times, so it keeps one running sum and allocates
    /// nothing per hour. (The sum is taken in another order than
    /// `evaluate`'s, so the two may differ in the last bits.)
    pub fn savings(&self, p: &Portfolio) -> f64 {
        let n = self.series.len();
        let caps = self.bound_caps(p);
        let compute_rates = pool_rates(&self.compute_order, self.rates, |r| r.compute);
        let sagemaker_rates = pool_rates(&self.sagemaker_order, self.rates, |r| r.sagemaker);
        let covered = sum_by_hour_blocks(&self.dense, n, |block| {
            let mut residual = vec![0.0; n];
            let mut covered = 0.0;
            for usage in block.chunks_exact(n) {
                for ((r, &s), &cap) in residual.iter_mut().zip(usage).zip(&caps) {
                    let used = s.min(cap);
                    *r = s - used;
                    covered += used;
                }
                covered += fill(&compute_rates, &residual, p.compute).1;
                covered += fill(&sagemaker_rates, &residual, p.sagemaker).1;
            }
            covered
        });
        covered - self.commitment_cost(p)
    }

    /// Per series, the capacity of its series-bound plan (0 without one).
    fn bound_caps(&self, p: &Portfolio) -> Vec<f64> {
        (0..self.series.len())
            .map(|k| {
                if self.rates[k].bound.is_some() {
                    p.bound_capacity[k]
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// What a portfolio's commitments cost over the window.
    fn commitment_cost(&self, p: &Portfolio) -> f64 {
        let bound: f64 = (0..self.series.len())
            .map(|k| {
                self.rates[k]
                    .bound
                    .map_or(0.0, |d| p.bound_capacity[k] * (1.0 - d))
            })
            .sum();
        (bound + p.compute + p.sagemaker) * self.hours as f64
    }
}

/// A pool's series in its order, each with the share of on-demand price
/// the pooled plan charges for it (`1 - discount`).
fn pool_rates(
    order: &[usize],
    rates: &[SeriesRates],
    pick: fn(&SeriesRates) -> Option<f64>,
) -> Vec<(usize, f64)> {
    order
        .iter()
        .map(|&k| (k, 1.0 - pick(&rates[k]).unwrap_or(0.0)))
        .collect()
}

/// Hours per block of [`sum_by_hour_blocks`].
const HOUR_BLOCK: usize = 96;

/// Cells (series × hours) from which [`sum_by_hour_blocks`] uses every core.
const PARALLEL_CELLS: usize = 1 << 20;

/// The sum of `per_block` over blocks of [`HOUR_BLOCK`] hours of `dense`
/// (`n` values an hour), added up in block order. Large problems take their
/// blocks on all cores; the sum is the same either way, whatever the cores.
fn sum_by_hour_blocks(dense: &[f64], n: usize, per_block: impl Fn(&[f64]) -> f64 + Sync) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let block = n * HOUR_BLOCK;
    let sums: Vec<f64> = if dense.len() >= PARALLEL_CELLS {
        dense.par_chunks(block).map(&per_block).collect()
    } else {
        dense.chunks(block).map(&per_block).collect()
    };
    sums.iter().sum()
}

/// A pooled plan covers residuals in its pool's order (highest discount
/// first, each series with the share of on-demand price it pays, as
/// [`pool_rates`] gives them) with `budget` dollars; returns (dollars used,
/// on-demand covered). The residuals are left as they were: the two pools
/// cover disjoint series, so neither needs what the other leaves.
fn fill(pool: &[(usize, f64)], residual: &[f64], budget: f64) -> (f64, f64) {
    let mut left = budget;
    let mut covered = 0.0;
    for &(k, rate) in pool {
        if left <= 0.0 {
            break;
        }
        let cost = residual[k] * rate;
        if cost <= left {
            left -= cost;
            covered += residual[k];
        } else {
            covered += left / rate;
            left = 0.0;
        }
    }
    (budget - left, covered)
}

/// [`maximize`]'s relative precision.
const PRECISION: f64 = 1e-5;

/// Savings this close (a share of the larger, or a billionth of a dollar) are
/// a tie: float sums in another order differ by less, and no price is this
/// precise.
const TIE: f64 = 1e-9;

/// Savings this close (a share of the larger) differ by the rounding of
/// their sums alone: inside [`maximize`]'s search, they are a tie.
const NOISE: f64 = 1e-12;

/// Whether `a` is at least `b`, up to a [`TIE`].
fn at_least(a: f64, b: f64) -> bool {
    at_least_within(a, b, TIE)
}

/// Whether `a` is at least `b`, up to `share` of the larger (or of a dollar).
fn at_least_within(a: f64, b: f64, share: f64) -> bool {
    a >= b - share * a.abs().max(b.abs()).max(1.0)
}

/// [`maximize`], but first tries `guess` (the variable's current value, or
/// a step taken in full): if a step of [`maximize`]'s precision up does not
/// pay and one down loses, the function being concave, `guess` is the
/// smallest maximum. In the rounds most guesses hold, so this saves most
/// searches.
fn maximize_from(lo: f64, hi: f64, guess: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    let step = PRECISION * (hi - lo).abs().max(1e-12);
    let x = guess.clamp(lo, hi);
    let here = f(x);
    let up_does_not_pay = at_least(here, f((x + step).min(hi)));
    let down_loses = x <= lo || !at_least(f((x - step).max(lo)), here);
    if up_does_not_pay && down_loses {
        return x;
    }
    maximize(lo, hi, f)
}

/// Maximizes a concave function on `[lo, hi]` by golden-section search.
///
/// Where the maximum is flat (savings are often level over a range of
/// commitments: a discount of 50 % over 720 hours makes every level between
/// the 360th and the 361st highest hour's usage equally good), it returns the
/// smallest point of the range, up to the search's precision: the same
/// savings for the least commitment. Inside the search a tie keeps the left
/// part only up to rounding ([`NOISE`]): a [`TIE`] there made the demo's
/// rounds end at a point saving 7e-7 less for more commitment, as the
/// objective is nearly flat along trades between a bound plan and the
/// Compute SP. The end points are compared with a [`TIE`].
fn maximize(lo: f64, hi: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    const INV_PHI: f64 = 0.618_033_988_749_894_9;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - INV_PHI * (b - a);
    let mut d = a + INV_PHI * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    // A relative width of 1e-5 is far below any price's precision and keeps
    // the search to about 25 evaluations.
    for _ in 0..60 {
        if (b - a).abs() <= PRECISION * (hi - lo).abs().max(1e-12) {
            break;
        }
        // On a tie the maximum may lie left of d: keep the left part.
        if at_least_within(fc, fd, NOISE) {
            b = d;
            d = c;
            fd = fc;
            c = b - INV_PHI * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + INV_PHI * (b - a);
            fd = f(d);
        }
    }
    let best = if at_least_within(fc, fd, NOISE) {
        (c, fc)
    } else {
        (d, fd)
    };
    // The optimum of a piecewise-linear function may sit at an end; of lo,
    // the inner point and hi, the smallest that ties with the best wins.
    let candidates = [(lo, f(lo)), best, (hi, f(hi))];
    let top = candidates.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    candidates
        .into_iter()
        .find(|p| at_least(p.1, top))
        .map_or(best.0, |(x, _)| x)
}

/// Which plans the optimizer may buy.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    /// Compute SP.
    pub compute: bool,
    /// EC2 Instance SP.
    pub ec2_instance: bool,
    /// SageMaker SP.
    pub sagemaker: bool,
    /// RDS RIs.
    pub rds: bool,
}

impl Allowed {
    /// From a list of plan kinds.
    pub fn from_plans(plans: &[PlanKind]) -> Self {
        Self {
            compute: plans.contains(&PlanKind::ComputeSp),
            ec2_instance: plans.contains(&PlanKind::Ec2InstanceSp),
            sagemaker: plans.contains(&PlanKind::SagemakerSp),
            rds: plans.contains(&PlanKind::RdsRi),
        }
    }

    /// Masks discounts of plans that are not allowed.
    pub fn mask(&self, class: CommitmentClass, rates: SeriesRates) -> SeriesRates {
        let bound_ok = match class {
            CommitmentClass::Ec2 => self.ec2_instance,
            CommitmentClass::Rds => self.rds,
            _ => false,
        };
        SeriesRates {
            bound: rates.bound.filter(|_| bound_ok),
            compute: rates.compute.filter(|_| self.compute),
            sagemaker: rates.sagemaker.filter(|_| self.sagemaker),
        }
    }
}

/// Finds the portfolio with the highest net savings over the window.
pub fn optimize(eval: &Evaluator<'_>) -> Portfolio {
    let n = eval.series.len();
    let hours = eval.hours;
    let mut p = Portfolio::empty(n);
    if hours == 0 || n == 0 {
        return p;
    }
    // Each bound series' hours from the highest usage down, sorted once for
    // every round's quantiles.
    let by_usage: Vec<Vec<u32>> = (0..n)
        .into_par_iter()
        .map(|k| match eval.rates[k].bound {
            Some(_) => hours_by_usage(&eval.series[k].hourly),
            None => Vec::new(),
        })
        .collect();
    for (k, order) in by_usage.iter().enumerate() {
        if let Some(d) = eval.rates[k].bound {
            p.bound_capacity[k] = quantile_level(
                &eval.series[k].hourly,
                order,
                (1.0 - d) * hours as f64,
                |_| 1.0,
            );
        }
    }
    let peak_pooled = |order: &[usize], pick: fn(&SeriesRates) -> Option<f64>| {
        (0..hours)
            .map(|h| {
                order
                    .iter()
                    .map(|&k| eval.usage(k, h) * (1.0 - pick(&eval.rates[k]).unwrap_or(0.0)))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
    };
    let compute_hi = peak_pooled(&eval.compute_order, |r| r.compute);
    let sagemaker_hi = peak_pooled(&eval.sagemaker_order, |r| r.sagemaker);
    let mut best = eval.savings(&p);
    for _round in 0..40 {
        set_pooled(eval, &mut p, compute_hi, sagemaker_hi);
        let target = rebalance_bound(eval, &by_usage, &p);
        // Move towards the rebalanced point as far as pays: the objective is
        // concave along the segment, so a line search finds the best step.
        let toward = |t: f64| {
            let mut q = p.clone();
            for (x, y) in q.bound_capacity.iter_mut().zip(&target.bound_capacity) {
                *x += t * (y - *x);
            }
            q
        };
        let t = maximize_from(0.0, 1.0, 1.0, |t| eval.savings(&toward(t)));
        p = toward(t);
        let value = eval.savings(&p);
        if value <= best + 1e-6 * best.abs().max(1.0) {
            break;
        }
        best = value;
    }
    let bound_count = (0..n).filter(|&k| eval.rates[k].bound.is_some()).count();
    if bound_count <= 16 {
        polish(eval, &mut p, compute_hi, sagemaker_hi);
    }
    p
}

/// Sets the pooled commitments exactly for the current bound ones. The two
/// pools cover disjoint series, so each is a one-dimensional concave search
/// over the residual usage the bound plans leave, computed once.
fn set_pooled(eval: &Evaluator<'_>, p: &mut Portfolio, compute_hi: f64, sagemaker_hi: f64) {
    let n = eval.series.len();
    let caps = eval.bound_caps(p);
    let residual: Vec<f64> = eval
        .dense
        .chunks_exact(n)
        .flat_map(|usage| usage.iter().zip(&caps).map(|(&s, &cap)| (s - cap).max(0.0)))
        .collect();
    let hours = eval.hours as f64;
    let value = |pool: &[(usize, f64)], budget: f64| {
        let covered = sum_by_hour_blocks(&residual, n, |block| {
            block
                .chunks_exact(n)
                .map(|hour| fill(pool, hour, budget).1)
                .sum()
        });
        covered - budget * hours
    };
    if !eval.compute_order.is_empty() {
        let pool = pool_rates(&eval.compute_order, eval.rates, |r| r.compute);
        p.compute = maximize_from(0.0, compute_hi, p.compute, |c| value(&pool, c));
    }
    if !eval.sagemaker_order.is_empty() {
        let pool = pool_rates(&eval.sagemaker_order, eval.rates, |r| r.sagemaker);
        p.sagemaker = maximize_from(0.0, sagemaker_hi, p.sagemaker, |g| value(&pool, g));
    }
}

/// Exact cyclic line searches on every variable, for small problems.
fn polish(eval: &Evaluator<'_>, p: &mut Portfolio, compute_hi: f64, sagemaker_hi: f64) {
    let mut value = eval.savings(p);
    for _ in 0..20 {
        for k in 0..p.bound_capacity.len() {
            if eval.rates[k].bound.is_none() {
                continue;
            }
            let hi = eval.series[k].hourly.iter().copied().fold(0.0, f64::max);
            p.bound_capacity[k] = maximize_from(0.0, hi, p.bound_capacity[k], |x| {
                let mut q = p.clone();
                q.bound_capacity[k] = x;
                eval.savings(&q)
            });
        }
        set_pooled(eval, p, compute_hi, sagemaker_hi);
        let next = eval.savings(p);
        if next <= value + 1e-9 * value.abs().max(1.0) {
            break;
        }
        value = next;
    }
}

/// Re-sets every series-bound commitment against the pooled plans' marginal
/// values at `p`: a unit of bound capacity at level x in hour h is worth
/// `1 - covered·(1 - λ_h·(1 - d))` when usage exceeds x, where `covered` says the
/// pooled plan covered that unit and `λ_h` is the pooled plan's marginal value
/// of a dollar that hour; it costs `1 - bound discount` every hour.
#[allow(clippy::needless_range_loop)] // parallel arrays indexed by series
fn rebalance_bound(eval: &Evaluator<'_>, by_usage: &[Vec<u32>], p: &Portfolio) -> Portfolio {
    let n = eval.series.len();
    let hours = eval.hours;
    // Per hour: the pooled plan's λ and which series it fully covered.
    let mut lambda = vec![0.0; hours];
    let mut fully: Vec<Vec<bool>> = vec![vec![false; hours]; n];
    let caps = eval.bound_caps(p);
    let compute_rates = pool_rates(&eval.compute_order, eval.rates, |r| r.compute);
    let mut residual = vec![0.0; n];
    for h in 0..hours {
        for (k, r) in residual.iter_mut().enumerate() {
            *r = (eval.usage(k, h) - caps[k]).max(0.0);
        }
        let mut left = p.compute;
        for &(k, rate) in &compute_rates {
            let cost = residual[k] * rate;
            if cost <= left {
                left -= cost;
                fully[k][h] = true;
            } else {
                lambda[h] = 1.0 / rate;
                break;
            }
        }
    }
    let levels: Vec<Option<f64>> = (0..n)
        .into_par_iter()
        .map(|k| {
            let bound = eval.rates[k].bound?;
            let d = eval.rates[k].compute.unwrap_or(0.0);
            let target = (1.0 - bound) * hours as f64;
            Some(quantile_level(
                &eval.series[k].hourly,
                &by_usage[k],
                target,
                |h| {
                    if fully[k][h] {
                        lambda[h] * (1.0 - d)
                    } else {
                        1.0
                    }
                },
            ))
        })
        .collect();
    let mut q = p.clone();
    for (x, level) in q.bound_capacity.iter_mut().zip(levels) {
        if let Some(level) = level {
            *x = level;
        }
    }
    q
}

/// The hours of `hourly`, from the highest usage down.
fn hours_by_usage(hourly: &[f64]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..hourly.len() as u32).collect();
    idx.sort_by(|&a, &b| hourly[b as usize].total_cmp(&hourly[a as usize]));
    idx
}

/// The lowest level x at which the weighted count of hours with usage above x
/// is at most `target`: walking hours from the highest usage down
/// (`by_usage`, as [`hours_by_usage`] gives them), accumulating weights, the
/// first hour whose weight takes the count past `target`. A unit of capacity at
/// x is worth that count and costs `target`, so levels where the count equals
/// `target` are a flat top, and this takes its lowest point (as [`maximize`]
/// does): the same savings for the least commitment.
fn quantile_level(
    hourly: &[f64],
    by_usage: &[u32],
    target: f64,
    weight: impl Fn(usize) -> f64,
) -> f64 {
    let past = target + TIE * target.abs().max(1.0);
    let mut acc = 0.0;
    for &h in by_usage {
        let h = h as usize;
        acc += weight(h);
        if acc > past {
            return hourly[h].max(0.0);
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::{Commitment, CommitmentScope, simulate_hour};

    use crate::test_series::series;

    #[test]
    fn evaluator_agrees_with_the_simulator() {
        let s = vec![
            series(CommitmentClass::Ec2, "m5", vec![3.0, 1.0, 4.0, 0.0]),
            series(CommitmentClass::Ec2, "c5", vec![2.0, 2.5, 0.5, 1.0]),
            series(CommitmentClass::Lambda, "lambda", vec![0.5, 0.7, 0.2, 0.9]),
        ];
        let rates = vec![
            SeriesRates {
                bound: Some(0.4),
                compute: Some(0.3),
                sagemaker: None,
            },
            SeriesRates {
                bound: Some(0.35),
                compute: Some(0.28),
                sagemaker: None,
            },
            SeriesRates {
                bound: None,
                compute: Some(0.12),
                sagemaker: None,
            },
        ];
        let eval = Evaluator::new(&s, &rates);
        let p = Portfolio {
            bound_capacity: vec![2.0, 1.0, 0.0],
            compute: 0.9,
            sagemaker: 0.0,
        };
        let fast = eval.evaluate(&p);
        // The same through the simulator, hour by hour.
        let mut covered = 0.0;
        for h in 0..4 {
            let usage = crate::pooling::hour_lines(&s, h, 0);
            let commitments = vec![
                Commitment {
                    scope: CommitmentScope::Ec2InstanceSp {
                        family: 0,
                        region: 0,
                    },
                    owner: 0,
                    shared: true,
                    per_hour: 2.0 * 0.6,
                },
                Commitment {
                    scope: CommitmentScope::Ec2InstanceSp {
                        family: 1,
                        region: 0,
                    },
                    owner: 0,
                    shared: true,
                    per_hour: 1.0 * 0.65,
                },
                Commitment {
                    scope: CommitmentScope::ComputeSp,
                    owner: 0,
                    shared: true,
                    per_hour: 0.9,
                },
            ];
            let out = simulate_hour(&usage, &commitments, |c, u| match c {
                0 | 1 => rates[u.family as usize].bound,
                _ => rates[u.family as usize].compute,
            });
            covered += out
                .allocations
                .iter()
                .map(|a| a.covered_on_demand_cost)
                .sum::<f64>();
        }
        assert!(
            (fast.covered - covered).abs() < 1e-9,
            "{} vs {covered}",
            fast.covered
        );
    }

    /// The searches' savings equal the full evaluation's, for portfolios
    /// from nothing to beyond every peak, across bound, compute and
    /// SageMaker series and a series no plan covers.
    #[test]
    fn savings_alone_equal_the_full_evaluations() {
        let wave = |base: f64, swing: f64| -> Vec<f64> {
            (0..48)
                .map(|h| (base + swing * (f64::from(h) * 0.7).sin()).max(0.0))
                .collect()
        };
        let s = vec![
            series(CommitmentClass::Ec2, "m5", wave(3.0, 2.5)),
            series(CommitmentClass::Ec2, "c5", wave(1.0, 1.2)),
            series(CommitmentClass::Lambda, "lambda", wave(0.5, 0.4)),
            series(CommitmentClass::Sagemaker, "ml", wave(2.0, 1.0)),
            series(CommitmentClass::Rds, "db", wave(1.5, 0.2)),
            series(CommitmentClass::Fargate, "fargate", wave(0.8, 0.8)),
        ];
        let rates = vec![
            SeriesRates {
                bound: Some(0.4),
                compute: Some(0.3),
                sagemaker: None,
            },
            SeriesRates {
                bound: Some(0.35),
                compute: Some(0.25),
                sagemaker: None,
            },
            SeriesRates {
                bound: None,
                compute: Some(0.12),
                sagemaker: None,
            },
            SeriesRates {
                bound: None,
                compute: None,
                sagemaker: Some(0.5),
            },
            SeriesRates {
                bound: Some(0.3),
                compute: None,
                sagemaker: None,
            },
            SeriesRates {
                bound: None,
                compute: None,
                sagemaker: None,
            },
        ];
        let eval = Evaluator::new(&s, &rates);
        let mut checked = 0;
        for step in 0..=12 {
            let x = f64::from(step) * 0.5;
            for p in [
                Portfolio {
                    bound_capacity: vec![x, x / 2.0, 9.0, 9.0, x / 3.0, 9.0],
                    compute: x,
                    sagemaker: 0.0,
                },
                Portfolio {
                    bound_capacity: vec![0.0; 6],
                    compute: x / 4.0,
                    sagemaker: x / 2.0,
                },
                Portfolio {
                    bound_capacity: vec![6.0 - x / 2.0, x, 0.0, 0.0, 1.0, 0.0],
                    compute: 0.0,
                    sagemaker: x,
                },
            ] {
                let full = eval.evaluate(&p).savings;
                let alone = eval.savings(&p);
                assert!(
                    (full - alone).abs() <= 1e-9 * full.abs().max(1.0),
                    "{p:?}: {full} vs {alone}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 39);
    }

    #[test]
    fn a_search_from_a_guess_finds_the_kink_of_a_concave_function() {
        // Peaks at 3 (a kink); on [0, 10].
        let f = |x: f64| if x < 3.0 { x } else { 3.0 - 0.5 * (x - 3.0) };
        let mut calls = 0;
        let mut counted = |x: f64| {
            calls += 1;
            f(x)
        };
        // A right guess is kept after three looks.
        assert_eq!(maximize_from(0.0, 10.0, 3.0, &mut counted), 3.0);
        assert_eq!(calls, 3);
        // A wrong one, or one out of range, falls back to the search.
        for guess in [0.0, 9.0, 42.0] {
            let x = maximize_from(0.0, 10.0, guess, f);
            assert!((x - 3.0).abs() < 1e-4, "from {guess}: {x}");
        }
        // The maximum at an end.
        assert_eq!(maximize_from(0.0, 2.0, 1.0, f), 2.0);
        assert_eq!(maximize_from(4.0, 9.0, 6.0, f), 4.0);
    }

    #[test]
    fn a_flat_maximum_gives_its_least_point() {
        // Level on [3, 6] (a flat top, as savings often are), on [0, 10].
        let f = |x: f64| x.min(3.0) - 0.5 * (x - 6.0).max(0.0);
        let precision = 10.0 * PRECISION;
        assert!((maximize(0.0, 10.0, f) - 3.0).abs() <= precision);
        // A guess inside the flat top is not kept; one at its left end is.
        for guess in [4.5, 6.0, 9.0] {
            let x = maximize_from(0.0, 10.0, guess, f);
            assert!((x - 3.0).abs() <= precision, "from {guess}: {x}");
        }
        assert_eq!(maximize_from(0.0, 10.0, 3.0, f), 3.0);
        // Level everywhere: nothing to commit; rising to a level end: that end.
        assert_eq!(maximize(0.0, 10.0, |_| 7.0), 0.0);
        assert_eq!(maximize_from(0.0, 10.0, 5.0, |_| 7.0), 0.0);
        assert_eq!(maximize(0.0, 2.0, f), 2.0);
        // An end that ties with the inside up to float noise is taken.
        let level_end = |x: f64| x.min(2.0) * (1.0 + 1e-13 * x);
        assert_eq!(maximize(2.0, 10.0, level_end), 2.0);
    }

    /// The optimum for one series under `rates`, and the savings of each
    /// `(bound capacity, compute)` probe.
    fn optimum_and_probes(
        s: &[UsageSeries],
        rates: SeriesRates,
        probes: &[(f64, f64)],
    ) -> (Portfolio, Vec<f64>) {
        let rates = [rates];
        let eval = Evaluator::new(s, &rates);
        let probed = probes
            .iter()
            .map(|&(bound, compute)| {
                eval.savings(&Portfolio {
                    bound_capacity: vec![bound],
                    compute,
                    sagemaker: 0.0,
                })
            })
            .collect();
        (optimize(&eval), probed)
    }

    /// One EC2 series whose usage is 1, 2, …, 10, an hour each.
    fn usage_one_to_ten() -> Vec<UsageSeries> {
        vec![series(
            CommitmentClass::Ec2,
            "m5",
            (1..=10).map(f64::from).collect(),
        )]
    }

    /// Savings at four probes `[below, low end, high end, above]` of a
    /// level stretch: level between the ends, lower outside.
    fn assert_level_between_the_ends(at: &[f64]) {
        assert!((at[1] - at[2]).abs() < 1e-9, "{at:?}");
        assert!(at[1] > at[0] && at[2] > at[3], "{at:?}");
    }

    #[test]
    fn flat_top_savings_get_the_least_commitment() {
        // Usage 1..=10, once each. A discount of 0.5 pays for a unit of
        // capacity used 5 hours of 10; units between 5 and 6 are used exactly
        // 5 hours: bound capacity of 5 or 6 saves the same, so 5 it is. A
        // discount of 0.3 pays for a unit used 7 hours: a Compute SP (rate
        // 0.7) between 2.1 and 2.8 saves the same, so 2.1.
        let s = usage_one_to_ten();
        let bound = SeriesRates {
            bound: Some(0.5),
            ..SeriesRates::default()
        };
        let probes = [(4.9, 0.0), (5.0, 0.0), (6.0, 0.0), (6.1, 0.0)];
        let (p, at) = optimum_and_probes(&s, bound, &probes);
        assert_eq!(p.bound_capacity, vec![5.0]);
        assert_level_between_the_ends(&at);

        let compute = SeriesRates {
            compute: Some(0.3),
            ..SeriesRates::default()
        };
        let probes = [(0.0, 2.0), (0.0, 2.1), (0.0, 2.8), (0.0, 2.9)];
        let (p, at) = optimum_and_probes(&s, compute, &probes);
        assert!((p.compute - 2.1).abs() < 1e-4, "{}", p.compute);
        assert_level_between_the_ends(&at);
    }

    #[test]
    fn single_series_optimum_is_the_discount_quantile() {
        // Usage 1..=10 each hour once; discount 0.3: commit where 70% of hours exceed.
        let s = usage_one_to_ten();
        let rates = vec![SeriesRates {
            bound: Some(0.3),
            compute: None,
            sagemaker: None,
        }];
        let eval = Evaluator::new(&s, &rates);
        let p = optimize(&eval);
        // Exhaustive over the breakpoints.
        let best = (0..=10)
            .map(|x| {
                eval.evaluate(&Portfolio {
                    bound_capacity: vec![f64::from(x)],
                    compute: 0.0,
                    sagemaker: 0.0,
                })
                .savings
            })
            .fold(f64::MIN, f64::max);
        assert!((eval.evaluate(&p).savings - best).abs() < 1e-6);
    }
}
