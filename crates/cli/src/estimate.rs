//! `orgpool estimate`: reads billing data, measures the current posture, asks
//! the savings engine for the best purchase, backtests it, and renders.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::{Duration, Timelike};
use orgpool_cur::queries::{CommitmentUse, Dimension, ObservedRate};
use orgpool_cur::{BillingData, CurError};
use orgpool_model::{Posture, Window};
use orgpool_savings::RateTable;
use orgpool_savings::estimate::{self, BacktestRow, HOURS_PER_MONTH, RateChain, Request};
use orgpool_savings::rates::{RateRow, RateSource};
use rayon::prelude::*;
use serde_json::json;

use crate::BadInput;
use crate::args::{EstimateArgs, Format};
use crate::render::money;
use crate::render::{Section, render, svg_curve};

/// A billing-data error, as bad input (exit 2) where the user can fix it.
pub fn cur_error(e: CurError) -> anyhow::Error {
    if e.is_bad_input() {
        anyhow::Error::new(BadInput::from_error(&e))
    } else {
        anyhow::Error::new(e)
    }
}

/// Opens billing data (local or `s3://`), with its warnings logged.
pub fn open_billing(
    inputs: &[String],
    format: Option<orgpool_cur::Format>,
    aws: &crate::args::AwsArgs,
) -> Result<BillingData> {
    open_billing_with_cache(inputs, format, aws, None)
}

/// [`open_billing`], keeping the estimate's summary in `cache`.
pub fn open_billing_with_cache(
    inputs: &[String],
    format: Option<orgpool_cur::Format>,
    aws: &crate::args::AwsArgs,
    cache: Option<orgpool_cur::SummaryCache>,
) -> Result<BillingData> {
    let s3 = if inputs.iter().any(|c| orgpool_cur::source::is_s3(c)) {
        crate::aws::s3_options(aws)?
    } else {
        orgpool_cur::S3Options::default()
    };
    let options = orgpool_cur::OpenOptions { format, s3, cache };
    let data = BillingData::open_with(inputs, &options).map_err(cur_error)?;
    for w in &data.warnings {
        tracing::warn!("{w}");
    }
    Ok(data)
}

/// Runs the estimate and renders it.
pub fn run(args: &EstimateArgs, format: Format) -> Result<String> {
    if args.scan_only {
        return read_scan_only(args);
    }
    let (json, sections) = compute(args)?;
    Ok(render(format, &json, &sections))
}

/// `estimate --scan-only`: the estimate's line scan read with no grouping,
/// uncached, timed from the opened files (`lines`, `seconds`).
fn read_scan_only(args: &EstimateArgs) -> Result<String> {
    let data = open_billing(&args.cur, args.input_format, &args.aws)?;
    let clock = std::time::Instant::now();
    let lines = data.read_line_scan().map_err(cur_error)?;
    let json = serde_json::json!({
        "lines": lines,
        "seconds": clock.elapsed().as_secs_f64(),
    });
    Ok(format!("{json}\n"))
}

/// Runs the estimate: its JSON (the contract) and its tables.
pub fn compute(args: &EstimateArgs) -> Result<(serde_json::Value, Vec<Section>)> {
    let clock = std::time::Instant::now();
    let lap = |what: &str| tracing::info!("{what}: {:.2} s", clock.elapsed().as_secs_f64());
    // A window that ends before it starts, or a bundle that cannot be read,
    // fails before the export is scanned.
    check_window_order(args)?;
    let names = account_names(args.org.as_deref())?;
    let data = open_billing_with_cache(&args.cur, args.input_format, &args.aws, args.cache())?;
    lap("opened and checked the billing data");
    let (window, nothing_eligible) = choose_window(&data, args)?;
    lap("summarized the export (one scan)");
    // Six small queries of the summary, each mostly planning and one pass
    // over it: they run side by side.
    let dimensions = [
        Dimension::Total,
        Dimension::Account,
        Dimension::Service,
        Dimension::FamilyRegion,
    ];
    let ((postures, series), observed) = rayon::join(
        || {
            rayon::join(
                || {
                    dimensions
                        .par_iter()
                        .map(|&d| data.posture(&window, d))
                        .collect::<Result<Vec<_>, _>>()
                },
                || data.uncovered_series(&window),
            )
        },
        || data.observed_rates(&window),
    );
    let [total, mut accounts, mut services, families] =
        <[Vec<Posture>; 4]>::try_from(postures.map_err(cur_error)?)
            .map_err(|_| anyhow::anyhow!("one posture per dimension"))?;
    let mut total = total.into_iter().next().unwrap_or_default();
    let series = series.map_err(cur_error)?;
    let mut warnings = data.warnings.clone();
    if let Some(w) = nothing_eligible {
        tracing::warn!("{w}");
        warnings.push(w);
    }
    if let Some(w) = long_lines_warning(data.long_lines().map_err(cur_error)?, "estimate") {
        tracing::warn!("{w}");
        warnings.push(w);
    }
    let known = apply_commitment_use(
        &data,
        &window,
        &mut total,
        [&mut accounts[..], &mut services[..]],
    )?;
    // Accounts and services take the owners' use wherever the whole does.
    let use_known = known.whole();
    let use_known_per_family = known == UseKnown::Everywhere;
    let use_warning = match known {
        UseKnown::Everywhere => None,
        UseKnown::ButPerFamily => Some(FOCUS_COMMITMENT_USE_PER_FAMILY),
        UseKnown::Nowhere => Some(FOCUS_COMMITMENT_USE),
    };
    if let Some(w) = use_warning {
        tracing::warn!("{w}");
        warnings.push(w.to_owned());
    }

    let file_rates = match &args.rates {
        Some(path) => Some(RateTable::from_path(path).map_err(|e| BadInput(e.to_string()))?),
        None => None,
    };
    let observed_rates = observed_rate_table(observed.map_err(cur_error)?);
    let default_rates = RateTable::embedded_default();
    let mut tables: Vec<&RateTable> = file_rates.iter().collect();
    tables.push(&observed_rates);
    tables.push(&default_rates);
    let request = Request {
        term: args.term,
        payment: args.payment,
        plans: &args.plans,
        rates: RateChain { tables },
        max_commitment: args.max_commitment,
        target_utilization: args.target_utilization,
    };
    lap("posture, series and observed rates");
    // The backtest reads the data again and optimizes on its own: it runs
    // beside the recommendation (both are pure given the summary, so the
    // order does not change the results).
    let (result, backtest) = rayon::join(
        || estimate::recommend(&series, &request),
        || run_backtest(&data, &window, &request),
    );
    let backtest = backtest?;
    lap("optimized the purchase and backtested");
    let hours = f64::from(window.hours.max(1));
    let new_savings = result.outcome.savings;
    let (term_commitment, upfront_cost) = estimate::purchase_cost(&result.recommendations);
    let actual_now = total.on_demand_equivalent_cost * (1.0 - total.effective_savings_rate());
    let projected_esr = if total.on_demand_equivalent_cost > 0.0 {
        1.0 - (actual_now - new_savings) / total.on_demand_equivalent_cost
    } else {
        0.0
    };
    if let Some(path) = &args.chart {
        let chosen = result.outcome.commitment_cost / hours;
        std::fs::write(path, svg_curve(&result.curve, chosen))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let posture_json = |p: &Posture| {
        json!({
            "key": p.key,
            "on_demand_equivalent_cost": p.on_demand_equivalent_cost,
            "covered_on_demand_equivalent_cost": p.covered_on_demand_equivalent_cost,
            "uncovered_on_demand_cost": p.uncovered_on_demand_cost,
            "commitment_cost": p.commitment_cost,
            "coverage": p.coverage(),
            "utilization": p.utilization(),
            "effective_savings_rate": p.effective_savings_rate(),
        })
    };
    let mut json = json!({
        "schema_version": 1,
        "inputs": {
            "files": data.files.len(),
            "formats": formats(&data),
            "warnings": warnings,
        },
        "window": { "start": window.start, "end": window.end, "hours": window.hours },
        "savings_plans_eligible": {
            "on_demand_equivalent_cost": total.on_demand_equivalent_cost,
            "covered_on_demand_equivalent_cost": total.covered_on_demand_equivalent_cost,
            "uncovered_on_demand_cost": total.uncovered_on_demand_cost,
        },
        "current": {
            "commitment_cost": total.commitment_cost,
            "coverage": total.coverage(),
            "utilization": total.utilization(),
            "effective_savings_rate": total.effective_savings_rate(),
        },
        "breakdown": {
            "accounts": accounts.iter().map(|p| {
                let mut account = posture_json(p);
                account["name"] = json!(names.get(&p.key));
                account
            }).collect::<Vec<_>>(),
            "services": services.iter().map(posture_json).collect::<Vec<_>>(),
            "family_region": families.iter().map(posture_json).collect::<Vec<_>>(),
        },
        "recommendations": result.recommendations,
        "projected": {
            "effective_savings_rate": projected_esr,
            "savings_per_month": new_savings / hours * HOURS_PER_MONTH,
            "savings_over_window": new_savings,
            "hourly_commitment": result.outcome.commitment_cost / hours,
            "term_commitment": term_commitment,
            "upfront_cost": upfront_cost,
            "hindsight_optimal_savings_over_window": result.optimal_savings,
        },
        "curve": result.curve,
        "backtest": backtest.json,
        "term": args.term,
        "payment": args.payment,
    });
    let pooled = if args.pool_cur.is_empty() {
        None
    } else {
        let rates = crate::pooled::Rates {
            file: file_rates.as_ref(),
            observed: &observed_rates,
            default: &default_rates,
        };
        let pooled = crate::pooled::what_if(args, &data, &window, &series, rates)?;
        lap("pooled what-if");
        Some(pooled)
    };
    let mut sections = vec![headline(
        &window,
        (&total, use_known),
        projected_esr,
        new_savings / hours * HOURS_PER_MONTH,
        (term_commitment, upfront_cost),
    )];
    let named = (!names.is_empty()).then_some(&names);
    sections.push(posture_section("Per account", &accounts, named, use_known));
    sections.push(posture_section("Per service", &services, None, use_known));
    // Of the commitments' fees, the RIs' and the EC2 Instance Savings
    // Plans' have a family and region in this slice (see
    // `BillingData::posture`): the title says so.
    sections.push(posture_section(
        "Per instance family and region (commitment cost: RIs and EC2 Instance SPs; Compute and SageMaker SPs count per account and service)",
        &families,
        None,
        use_known_per_family,
    ));
    sections.push(recommendation_section(&result.recommendations));
    sections.push(backtest.section);
    if let Some(pooled) = pooled {
        json["pooled"] = pooled.json;
        sections.push(pooled.section);
    }
    Ok((json, sections))
}

/// Discounts seen on covered lines, as a rate table.
pub fn observed_rate_table(observed: Vec<ObservedRate>) -> RateTable {
    RateTable::from_rows(
        observed.into_iter().map(|o| RateRow {
            plan: o.plan,
            term: o.term,
            payment: o.payment,
            region: Some(o.region),
            family: Some(o.family),
            discount: o.discount,
        }),
        RateSource::Observed,
    )
}

fn formats(data: &BillingData) -> Vec<&'static str> {
    let mut f: Vec<_> = data.files.iter().map(|f| f.format.name()).collect();
    f.sort();
    f.dedup();
    f
}

/// Said when the data hold usage, but none a commitment may cover.
const NOTHING_ELIGIBLE: &str = "the billing data hold no usage that Savings Plans or RIs can cover \
     (EC2 instances, Fargate, Lambda, SageMaker, RDS): there is nothing to buy, and the estimate is zero";

/// The window to estimate over, and a warning when the data hold no
/// eligible usage: then the window is that of their usage of any kind, and
/// every figure is zero (a bill of S3 alone is a bill, not bad input). Data
/// with no usage at all are bad input.
fn choose_window(data: &BillingData, args: &EstimateArgs) -> Result<(Window, Option<String>)> {
    let (range, warning) = match data.eligible_range().map_err(cur_error)? {
        Some(range) => (range, None),
        None => match data.usage_range().map_err(cur_error)? {
            Some(range) => (range, Some(NOTHING_ELIGIBLE.to_owned())),
            None => {
                return Err(BadInput("the billing data hold no usage lines".to_owned()).into());
            }
        },
    };
    let (first, last) = range;
    let data_end = last + Duration::hours(1);
    let (start, end) = match (args.start, args.end) {
        (Some(s), Some(e)) => (s, e),
        _ => (
            (data_end - Duration::days(i64::from(args.lookback_days))).max(first),
            data_end,
        ),
    };
    let start = start
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .unwrap_or(start);
    if end <= start || end <= first || start >= data_end {
        return Err(BadInput(format!(
            "no billing data between {} and {}; the {} covers {} to {}",
            start.format("%Y-%m-%d %H:%M"),
            end.format("%Y-%m-%d %H:%M"),
            if warning.is_some() {
                "usage"
            } else {
                "eligible usage"
            },
            first.format("%Y-%m-%d %H:%M"),
            data_end.format("%Y-%m-%d %H:%M")
        ))
        .into());
    }
    Ok((Window::new(start, end), warning))
}

/// `--start` must come before `--end`: said as such, not as a window
/// without data.
fn check_window_order(args: &EstimateArgs) -> Result<()> {
    match (args.start, args.end) {
        (Some(start), Some(end)) if end <= start => Err(BadInput(format!(
            "--end ({}) must be after --start ({}): the window is [start, end)",
            end.format("%Y-%m-%d %H:%M"),
            start.format("%Y-%m-%d %H:%M")
        ))
        .into()),
        _ => Ok(()),
    }
}

struct Backtest {
    json: serde_json::Value,
    section: Section,
}

/// Recommends on the first half of the window and evaluates on the second.
/// Where the data do not say how much of the commitments held was used
/// (see [`apply_commitment_use`]), the table's ESR is a dash, as the
/// headline's.
fn run_backtest(data: &BillingData, window: &Window, request: &Request<'_>) -> Result<Backtest> {
    let half = i64::from(window.hours / 2);
    let train_w = Window::new(window.start, window.start + Duration::hours(half));
    let test_w = Window::new(train_w.end, train_w.end + Duration::hours(half));
    let mut section = Section::new(
        "Backtest: recommend on the first half, evaluate on the second",
        &[
            "strategy",
            "$/hour",
            "realized savings",
            "utilization",
            "ESR",
        ],
    );
    if half < 24 {
        return Ok(Backtest {
            json: json!({"skipped": "the window is shorter than two days"}),
            section,
        });
    }
    let train = data.uncovered_series(&train_w).map_err(cur_error)?;
    let mut test = data.uncovered_series(&test_w).map_err(cur_error)?;
    // Same keys in the same order: usage absent from one half is zero there.
    let mut aligned = Vec::with_capacity(train.len());
    for s in &train {
        let pos = test.iter().position(|t| t.key() == s.key());
        aligned.push(match pos {
            Some(p) => test.swap_remove(p),
            None => orgpool_model::UsageSeries {
                hourly: vec![0.0; test_w.hours as usize],
                ..s.clone()
            },
        });
    }
    let mut test_total = data
        .posture(&test_w, Dimension::Total)
        .map_err(cur_error)?
        .into_iter()
        .next()
        .unwrap_or_default();
    let use_known = apply_commitment_use(data, &test_w, &mut test_total, [])?.whole();
    let rows = estimate::backtest(&train, &aligned, request);
    let esr = |r: &BacktestRow| {
        let od = test_total.on_demand_equivalent_cost;
        if od > 0.0 {
            1.0 - (od * (1.0 - test_total.effective_savings_rate()) - r.realized_savings) / od
        } else {
            0.0
        }
    };
    for r in &rows {
        section.row([
            r.strategy.clone(),
            money(r.hourly_commitment),
            money(r.realized_savings),
            share(r.utilization, r.hourly_commitment, true),
            share(esr(r), test_total.on_demand_equivalent_cost, use_known),
        ]);
    }
    let json = json!({
        "train": { "start": train_w.start, "end": train_w.end, "hours": train_w.hours },
        "test": { "start": test_w.start, "end": test_w.end, "hours": test_w.hours },
        "rows": rows.iter().map(|r| json!({
            "strategy": r.strategy,
            "hourly_commitment": r.hourly_commitment,
            "realized_savings": r.realized_savings,
            "utilization": r.utilization,
            "effective_savings_rate": esr(r),
        })).collect::<Vec<_>>(),
    });
    Ok(Backtest { json, section })
}

pub fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// What `result` (the estimate, the pro forma) assumed of eligible usage
/// billed in lines of more than an hour (a daily or monthly export), if
/// there was any.
pub(crate) fn long_lines_warning(long: orgpool_cur::LongLines, result: &str) -> Option<String> {
    (long.longest_hours > 1).then(|| {
        format!(
            "Savings-Plans-eligible usage worth ${:.2} on demand comes in lines of more than an hour \
             (up to {} hours: an export at daily or monthly granularity?); each was spread evenly over its hours, \
             since commitments apply hour by hour. The shape within those hours is not known, so the utilization \
             and savings assume it flat and may be optimistic: an export at hourly granularity gives a true {result}",
            long.on_demand_cost, long.longest_hours
        )
    })
}

/// Why a FOCUS file's commitments show no utilization or ESR.
const FOCUS_COMMITMENT_USE: &str = "FOCUS files do not say how much of each hour's commitment of the Savings Plans and RIs held was used \
     (a CUR's savings_plan_used_commitment, savings_plan_total_commitment_to_date, reservation_unused_recurring_fee): \
     the utilization and the effective savings rates, now and with the purchase, are not known (the tables show a dash; \
     the JSON's figures take every Savings Plan fee as unused and every RI fee as used); coverage and the recommendation do not depend on it";

/// Why a FOCUS file's commitments show no utilization or ESR per family and
/// region.
const FOCUS_COMMITMENT_USE_PER_FAMILY: &str = "FOCUS files say how much of each commitment held was used \
     (the EffectiveCost of the rows whose CommitmentDiscountStatus is Used and Unused), and the utilization and \
     effective savings rates of the whole bill, per account and per service come from it, but not the family and region \
     an EC2 Instance Savings Plan or an RI is for: per family and region they are not known (the table shows a dash; \
     the JSON's family_region breakdown takes every Savings Plan fee as unused and every RI fee as used)";

/// Whether FOCUS data show commitments (their fees or usage they covered):
/// FOCUS has none of the CUR columns the posture reads their use from.
fn focus_holds_commitments(data: &BillingData, total: &Posture) -> bool {
    let focus = data.files.iter().any(|f| f.format.is_focus());
    let commitments = total.commitment_cost > 0.0 || total.covered_on_demand_equivalent_cost > 0.0;
    focus && commitments
}

/// Where the data say how much of the commitments held was used.
#[derive(Debug, Clone, Copy, PartialEq)]
enum UseKnown {
    /// Everywhere: a CUR (its fee lines' columns), or data holding no
    /// commitment.
    Everywhere,
    /// For the whole bill and per owning account and service, not per
    /// family and region: FOCUS with its Used and Unused rows.
    ButPerFamily,
    /// Nowhere: FOCUS without a `CommitmentDiscountStatus` column.
    Nowhere,
}

impl UseKnown {
    /// Whether the whole bill's use is known.
    fn whole(self) -> bool {
        self != UseKnown::Nowhere
    }
}

/// Where the data say how much of the commitments held was used over
/// `window`, for the whole bill (`total`) and per owner (`slices`: the
/// account and service postures). A CUR says so (its fee lines' columns).
/// FOCUS data holding commitments say it from their own Used and Unused
/// rows ([`BillingData::focus_commitment_use`]): `total` and each slice
/// then take those as their used and total commitment, so that their
/// utilization and ESR are FOCUS's. Neither says it per family and region
/// for FOCUS (see [`FOCUS_COMMITMENT_USE_PER_FAMILY`]).
fn apply_commitment_use<const N: usize>(
    data: &BillingData,
    window: &Window,
    total: &mut Posture,
    slices: [&mut [Posture]; N],
) -> Result<UseKnown> {
    if !focus_holds_commitments(data, total) {
        return Ok(UseKnown::Everywhere);
    }
    let Some(used) = data.focus_commitment_use(window).map_err(cur_error)? else {
        return Ok(UseKnown::Nowhere);
    };
    let set = |p: &mut Posture, u: CommitmentUse| {
        p.used_commitment = u.used;
        p.total_commitment = u.used + u.unused;
    };
    set(total, used.whole);
    let owners = [&used.by_account, &used.by_service];
    for (postures, by_owner) in slices.into_iter().zip(owners) {
        for p in postures {
            set(p, by_owner.get(&p.key).copied().unwrap_or_default());
        }
    }
    Ok(UseKnown::ButPerFamily)
}

/// `x`, a share of `of`, as the tables show it: a dash where it is a share
/// of nothing, or of what the data do not say (`known` false).
fn share(x: f64, of: f64, known: bool) -> String {
    if known && of > 0.0 {
        percent(x)
    } else {
        "-".to_owned()
    }
}

/// A posture's coverage, utilization and effective savings rate as the
/// tables show them: a dash where the share is of nothing (no eligible
/// usage for coverage and ESR, no commitment held for utilization), which
/// the JSON gives as 0.
struct Shares {
    coverage: String,
    utilization: String,
    effective_savings_rate: String,
}

impl Shares {
    /// `use_known`: whether the data say how much of the commitments held
    /// was used (see [`apply_commitment_use`]); if not, utilization and ESR
    /// are dashes too.
    fn of(p: &Posture, use_known: bool) -> Self {
        let usage = p.on_demand_equivalent_cost;
        Shares {
            coverage: share(p.coverage(), usage, true),
            utilization: share(p.utilization(), p.total_commitment, use_known),
            effective_savings_rate: share(p.effective_savings_rate(), usage, use_known),
        }
    }
}

fn headline(
    window: &Window,
    (total, use_known): (&Posture, bool),
    projected_esr: f64,
    per_month: f64,
    (term_commitment, upfront_cost): (f64, Option<f64>),
) -> Section {
    let mut s = Section::new("Savings estimate", &["item", "value"]);
    let mut add = |k: &str, v: String| s.row([k.to_owned(), v]);
    add(
        "window",
        format!(
            "{} to {} ({} hours)",
            window.start.format("%Y-%m-%d %H:%M"),
            window.end.format("%Y-%m-%d %H:%M"),
            window.hours
        ),
    );
    add(
        "eligible on-demand-equivalent cost",
        money(total.on_demand_equivalent_cost),
    );
    add(
        "covered by commitments",
        money(total.covered_on_demand_equivalent_cost),
    );
    add(
        "uncovered (on demand)",
        money(total.uncovered_on_demand_cost),
    );
    add("commitment cost", money(total.commitment_cost));
    let shares = Shares::of(total, use_known);
    add("coverage", shares.coverage);
    add("utilization", shares.utilization);
    add("effective savings rate now", shares.effective_savings_rate);
    add(
        "effective savings rate with the purchase",
        share(projected_esr, total.on_demand_equivalent_cost, use_known),
    );
    add("added savings per month", money(per_month));
    add("the purchase commits over its term", money(term_commitment));
    add(
        "paid up front",
        upfront_cost.map_or_else(
            || "unknown: a Partial Upfront RI's upfront fee is set by its offering".to_owned(),
            money,
        ),
    );
    s
}

/// Account names by account ID, from the organization bundle at `path`
/// (none without one). An account the bundle does not list (one that left
/// the organization, say) stays unnamed.
fn account_names(path: Option<&std::path::Path>) -> Result<HashMap<String, String>> {
    let Some(path) = path else {
        return Ok(HashMap::new());
    };
    let bundle = orgpool_org::read_bundle(path).map_err(crate::org::org_error)?;
    Ok(bundle
        .accounts
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

/// A posture table, its first 25 rows; with `names`, a column naming each
/// row's key (an account ID).
fn posture_section(
    title: &str,
    rows: &[Posture],
    names: Option<&HashMap<String, String>>,
    use_known: bool,
) -> Section {
    let mut columns = vec!["key"];
    columns.extend(names.map(|_| "name"));
    columns.extend([
        "on-demand equiv.",
        "covered",
        "uncovered",
        "commitment cost",
        "utilization",
        "coverage",
        "ESR",
    ]);
    let mut s = Section::new(title, &columns);
    for p in rows.iter().take(25) {
        let mut cells = vec![p.key.clone()];
        cells.extend(names.map(|n| n.get(&p.key).cloned().unwrap_or_default()));
        let shares = Shares::of(p, use_known);
        cells.extend([
            money(p.on_demand_equivalent_cost),
            money(p.covered_on_demand_equivalent_cost),
            money(p.uncovered_on_demand_cost),
            money(p.commitment_cost),
            shares.utilization,
            shares.coverage,
            shares.effective_savings_rate,
        ]);
        s.row(cells);
    }
    s
}

fn recommendation_section(recs: &[estimate::Recommendation]) -> Section {
    let mut s = Section::new(
        "Recommended purchases",
        &[
            "plan",
            "term",
            "payment",
            "region",
            "family",
            "$/hour",
            "upfront",
            "savings",
            "savings/month",
            "utilization",
            "coverage",
            "rate from",
        ],
    );
    for r in recs {
        s.row([
            r.plan.to_string(),
            r.term.to_string(),
            r.payment.to_string(),
            r.region.clone(),
            family_cell(r),
            format!("{:.3}", r.hourly_commitment),
            // A Partial Upfront RI's fee is its offering's: unknown here.
            r.upfront_cost.map_or_else(|| "-".to_owned(), money),
            money(r.estimated_savings),
            money(r.estimated_monthly_savings),
            percent(r.estimated_utilization),
            percent(r.estimated_coverage),
            r.rate_source.clone(),
        ]);
    }
    s
}

/// A recommendation's family, with an RDS RI's database engine (its
/// operation code where orgpool has no name for it): a reserved DB instance
/// is bought for one engine.
fn family_cell(r: &estimate::Recommendation) -> String {
    match r.database_engine.as_deref().or(r.operation.as_deref()) {
        Some(engine) => format!("{} {engine}", r.family),
        None => r.family.clone(),
    }
}
