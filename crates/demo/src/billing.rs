//! The demo's CUR 2.0 export: hourly line items written the way AWS bills them.
//!
//! Each hour, every workload emits its usage; the commitments the org holds
//! (an RDS Reserved Instance, an EC2 Instance Savings Plan and a Compute
//! Savings Plan) are applied by the shared simulator
//! ([`orgpool_savings::simulate_hour`]), and the outcome is written as AWS writes
//! it (AWS Data Exports User Guide, CUR 2.0 line item types):
//! - uncovered usage: a `Usage` line at the public rate;
//! - usage a Savings Plan covers: a `SavingsPlanCoveredUsage` line at the
//!   on-demand cost carrying the plan's rate and effective cost, plus a
//!   `SavingsPlanNegation` line that cancels the on-demand cost;
//! - each plan, each hour: a `SavingsPlanRecurringFee` line in the owner account
//!   for the whole commitment, with the commitment used that hour;
//! - usage an RI covers: a `DiscountedUsage` line at zero unblended cost with
//!   the RI's effective cost, and once a month an `RIFee` line for the whole
//!   reservation with its unused hours;
//! - once a month: `Tax`, `Credit` and `Fee` lines.
//!
//! A month is split into parts of whole days, each its own Parquet file, so two
//! cores can write at once; month-end charges go into the month's last file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use orgpool_cur::cur2::{col, line_item_type as lit};
use orgpool_model::{Payment, PlanKind, Term};
use orgpool_savings::rates::RateKey;
use orgpool_savings::{Commitment, CommitmentScope, RateTable, Usage, simulate_hour};

use crate::DemoError;
use crate::catalog::{self, REGIONS};
use crate::org::{DemoOrg, Role};
use crate::sink::{ParquetSink, Row, Value};
use crate::workload::{self, Offer, Shape, Workload, mix};

/// Rows a part file aims at; a month has as many parts as it needs.
const ROWS_PER_PART: f64 = 1_000_000.0;
/// Sales tax applied to every account's monthly charges, per product.
const TAX_RATE: f64 = 0.05;

/// A commitment the demo org holds, with what the CUR needs to describe it.
#[derive(Debug, Clone)]
pub struct Held {
    /// The simulator's view.
    pub sim: Commitment,
    /// The plan kind.
    pub plan: PlanKind,
    /// Term.
    pub term: Term,
    /// Payment.
    pub payment: Payment,
    /// ARN.
    pub arn: String,
    /// Owner account index.
    pub owner: usize,
    /// For an RI: the hourly fee per reserved instance.
    pub ri_hourly_fee: f64,
    /// For an RI: the instance class.
    pub ri_class: &'static str,
    /// For an EC2 Instance SP: its family and region code.
    pub sp_family: Option<(String, &'static str)>,
    /// Start and end, as the CUR writes them.
    pub start: String,
    /// End.
    pub end: String,
}

/// The region of the demo's RDS RI (and of the usage it covers).
const RDS_RI_REGION: &str = "us-east-1";

/// One month of the window.
#[derive(Debug, Clone, Copy)]
pub struct Month {
    /// First instant of the month.
    pub start: DateTime<Utc>,
    /// Hours in the month.
    pub hours: u32,
    /// Hours from the window's start to this month's start.
    pub first_hour: u32,
}

/// Everything needed to write the export.
pub struct Plan<'a> {
    /// Seed.
    pub seed: u64,
    /// Row scale (1.0 = the default demo).
    pub scale: f64,
    /// The org.
    pub org: &'a DemoOrg,
    /// Its workloads.
    pub workloads: Vec<Workload>,
    /// Its commitments, in application order within each kind.
    pub held: Vec<Held>,
    /// Months of the window.
    pub months: Vec<Month>,
    /// Where rates come from.
    pub rates: RateTable,
    /// The simulator's view of `held`, with families interned.
    commitments: Vec<Commitment>,
    /// Interned families, sorted; an index is a family's simulator ID.
    families: Vec<String>,
    /// Discount per commitment per family index per region index.
    discounts: Vec<Vec<[Option<f64>; 3]>>,
}

/// The months of a window starting at `start` (day 1).
pub fn months(start: NaiveDate, count: u32) -> Vec<Month> {
    let mut out = Vec::new();
    let mut first_hour = 0;
    let mut date = start.with_day(1).unwrap_or(start);
    for _ in 0..count {
        let next = if date.month() == 12 {
            NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
        }
        .unwrap_or(date);
        let hours = (next - date).num_hours() as u32;
        out.push(Month {
            start: Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default()),
            hours,
            first_hour,
        });
        first_hour += hours;
        date = next;
    }
    out
}

impl<'a> Plan<'a> {
    /// Builds the plan: workloads, commitments sized to the fleet (times
    /// `commitment_scale` for the Savings Plans), discounts.
    pub fn new(
        org: &'a DemoOrg,
        seed: u64,
        scale: f64,
        commitment_scale: f64,
        months: Vec<Month>,
    ) -> Self {
        let workloads = workload::workloads_for(org, seed);
        let rates = RateTable::embedded_default();
        let window_start = months.first().map_or_else(Utc::now, |m| m.start);
        let held = commitments(
            org,
            &workloads,
            &rates,
            scale,
            commitment_scale,
            window_start,
        );
        let mut families: Vec<String> = workloads
            .iter()
            .flat_map(|w| w.offers.iter().map(|o| o.family.clone()))
            .collect();
        families.sort();
        families.dedup();
        let discounts = held
            .iter()
            .map(|h| {
                families
                    .iter()
                    .map(|family| {
                        std::array::from_fn(|r| {
                            rates.discount(&RateKey {
                                plan: h.plan,
                                term: h.term,
                                payment: h.payment,
                                region: REGIONS[r].code,
                                family,
                            })
                        })
                    })
                    .collect()
            })
            .collect();
        let mut plan = Self {
            seed,
            scale,
            org,
            workloads,
            held,
            months,
            rates,
            commitments: Vec::new(),
            families,
            discounts,
        };
        plan.commitments = plan
            .held
            .iter()
            .map(|h| {
                let mut c = h.sim.clone();
                if let Some((family, _)) = &h.sp_family {
                    c.scope = CommitmentScope::Ec2InstanceSp {
                        family: plan.family_index(family),
                        region: 0,
                    };
                }
                c
            })
            .collect();
        plan
    }

    fn family_index(&self, family: &str) -> u32 {
        self.families
            .binary_search_by(|f| f.as_str().cmp(family))
            .unwrap_or(0) as u32
    }

    /// Expected rows in hours `[from, to)` of the window (sampled, cheap).
    pub fn estimate_rows(&self, from: u32, to: u32) -> f64 {
        let step = 5;
        let mut rows = 0.0;
        let mut sampled = 0u32;
        let mut hour = from;
        while hour < to {
            let (hod, weekend) = self.clock(hour);
            for w in &self.workloads {
                let d = w.demand(self.seed, hour, hod, weekend);
                rows += f64::from(w.resources(self.scale, d)) * w.offers.len() as f64;
            }
            sampled += 1;
            hour += step;
        }
        if sampled == 0 {
            0.0
        } else {
            rows * f64::from(to - from) / f64::from(sampled)
        }
    }

    fn clock(&self, hour: u32) -> (u32, bool) {
        let start = self.months.first().map_or_else(Utc::now, |m| m.start);
        let at = start + Duration::hours(i64::from(hour));
        (at.hour(), at.weekday().number_from_monday() >= 6)
    }
}

fn commitments(
    org: &DemoOrg,
    workloads: &[Workload],
    rates: &RateTable,
    scale: f64,
    commitment_scale: f64,
    window_start: DateTime<Utc>,
) -> Vec<Held> {
    let index_of = |role: Role| org.accounts.iter().position(|a| a.role == role);
    let mut held = Vec::new();
    let start = window_start - Duration::days(75);
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (start_text, end_text) = (fmt(start), fmt(start + Duration::days(365)));
    let discount = |plan, region: &str, family: &str| {
        rates
            .discount(&RateKey {
                plan,
                term: Term::OneYear,
                payment: Payment::NoUpfront,
                region,
                family,
            })
            .unwrap_or(0.0)
    };
    let arn = |owner: &str, salt: u64| {
        let h =
            mix(salt ^ owner.len() as u64 ^ owner.bytes().fold(0, |a, b| a * 31 + u64::from(b)));
        format!(
            "arn:aws:savingsplans::{owner}:savingsplan/{:08x}-{:04x}-{:04x}-{:012x}",
            h >> 32,
            h & 0xffff,
            (h >> 16) & 0xffff,
            mix(h) & 0xffff_ffff_ffff
        )
    };
    // RDS RI: two db.r5.large (per scale unit) bought by the data lake, shared.
    let rds_prod = workloads
        .iter()
        .find(|w| w.offers[0].reservation_key == Some(workload::rds_reservation_key(0)));
    if let (Some(owner), Some(_)) = (index_of(Role::DataLake), rds_prod) {
        let (class, price) = catalog::RDS_CLASSES[0];
        let d = discount(PlanKind::RdsRi, RDS_RI_REGION, catalog::family_of(class));
        let owner_id = &org.accounts[owner].account.id;
        held.push(Held {
            sim: Commitment {
                scope: CommitmentScope::Reservation {
                    key: workload::rds_reservation_key(0),
                },
                owner: owner as u32,
                shared: true,
                per_hour: (2.0 * scale).round().max(1.0),
            },
            plan: PlanKind::RdsRi,
            term: Term::OneYear,
            payment: Payment::NoUpfront,
            arn: format!(
                "arn:aws:rds:{RDS_RI_REGION}:{owner_id}:ri:payments-db-ri-{:06x}",
                mix(7) & 0xffffff
            ),
            owner,
            ri_hourly_fee: price * (1.0 - d),
            ri_class: class,
            sp_family: None,
            start: start_text.clone(),
            end: end_text.clone(),
        });
    }
    // EC2 Instance SP on m5 in us-east-1, bought by payments, at 60% of its base.
    if let Some(owner) = index_of(Role::PaymentsProd) {
        let base: f64 = workloads
            .iter()
            .filter(|w| {
                w.offers[0].family == "m5"
                    && w.offers[0].region == 0
                    && w.offers[0].service == orgpool_savings::Service::Ec2
            })
            .map(|w| w.base * scale * w.offers[0].rate)
            .sum();
        let d = discount(PlanKind::Ec2InstanceSp, "us-east-1", "m5");
        let owner_id = &org.accounts[owner].account.id;
        held.push(sp_held(
            PlanKind::Ec2InstanceSp,
            owner,
            arn(owner_id, 1),
            0.6 * commitment_scale * base * (1.0 - d),
            &start_text,
            &end_text,
            Some(("m5".to_owned(), "us-east-1")),
        ));
    }
    // Compute SP bought by the management account at 30% of the eligible base.
    let eligible: f64 = workloads
        .iter()
        .flat_map(|w| w.offers.iter().enumerate().map(move |(i, o)| (w, i, o)))
        .filter(|(_, _, o)| {
            matches!(
                o.service,
                orgpool_savings::Service::Ec2 | orgpool_savings::Service::Fargate
            )
        })
        .map(|(w, i, o)| w.base * scale * o.rate * workload::metered_ratio(i, o.product_code))
        .sum();
    let d = discount(PlanKind::ComputeSp, "us-east-1", "m5");
    let management = &org.accounts[0].account.id;
    held.push(sp_held(
        PlanKind::ComputeSp,
        0,
        arn(management, 2),
        0.3 * commitment_scale * eligible * (1.0 - d),
        &start_text,
        &end_text,
        None,
    ));
    held
}

fn sp_held(
    plan: PlanKind,
    owner: usize,
    arn: String,
    per_hour: f64,
    start: &str,
    end: &str,
    family: Option<(String, &'static str)>,
) -> Held {
    let scope = match &family {
        Some(_) => CommitmentScope::Ec2InstanceSp {
            family: 0,
            region: 0,
        },
        None => CommitmentScope::ComputeSp,
    };
    Held {
        sim: Commitment {
            scope,
            owner: owner as u32,
            shared: true,
            per_hour: (per_hour * 1000.0).round() / 1000.0,
        },
        plan,
        term: Term::OneYear,
        payment: Payment::NoUpfront,
        arn,
        owner,
        ri_hourly_fee: 0.0,
        ri_class: "",
        sp_family: family,
        start: start.to_owned(),
        end: end.to_owned(),
    }
}

/// One file's worth of work: some hours of one month, or its month-end charges.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// Index into the plan's months.
    pub month: usize,
    /// First hour of the part, relative to the month.
    pub from: u32,
    /// End hour (exclusive), relative to the month.
    pub to: u32,
    /// Part number within the month (1-based; file name).
    pub part: u32,
}

/// Per-part totals that month-end charges need.
#[derive(Debug, Clone, Default)]
pub struct PartTotals {
    /// Unblended charges per (account, product code).
    pub charges: BTreeMap<(usize, String), f64>,
    /// Units each RI covered, by held index.
    pub ri_used: BTreeMap<usize, f64>,
    /// Rows written.
    pub rows: u64,
}

impl PartTotals {
    /// Adds another part's totals.
    pub fn merge(&mut self, other: PartTotals) {
        for (k, v) in other.charges {
            *self.charges.entry(k).or_default() += v;
        }
        for (k, v) in other.ri_used {
            *self.ri_used.entry(k).or_default() += v;
        }
        self.rows += other.rows;
    }
}

/// Splits every month into parts of whole days.
pub fn jobs(plan: &Plan<'_>) -> Vec<Job> {
    let mut out = Vec::new();
    for (m, month) in plan.months.iter().enumerate() {
        let rows = plan.estimate_rows(month.first_hour, month.first_hour + month.hours);
        let days = month.hours / 24;
        let parts = ((rows / ROWS_PER_PART).ceil() as u32).clamp(1, days.max(1));
        for p in 0..parts {
            let from = days * p / parts * 24;
            let to = if p + 1 == parts {
                month.hours
            } else {
                days * (p + 1) / parts * 24
            };
            out.push(Job {
                month: m,
                from,
                to,
                part: p + 1,
            });
        }
    }
    out
}

/// The file a part is written to.
pub fn part_path(export_dir: &Path, export_name: &str, month: &Month, part: u32) -> PathBuf {
    export_dir
        .join("data")
        .join(format!("BILLING_PERIOD={}", month.start.format("%Y-%m")))
        .join(format!("{export_name}-{part:05}.snappy.parquet"))
}

/// Strings shared by every line of one hour.
struct HourContext {
    start_ms: i64,
    end_ms: i64,
    interval: String,
    period_start_ms: i64,
    period_end_ms: i64,
    invoice: String,
}

impl HourContext {
    fn new(month: &Month, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        let period_end = month.start + Duration::hours(i64::from(month.hours));
        Self {
            start_ms: start.timestamp_millis(),
            end_ms: end.timestamp_millis(),
            interval: format!(
                "{}/{}",
                start.format("%Y-%m-%dT%H:%M:%SZ"),
                end.format("%Y-%m-%dT%H:%M:%SZ")
            ),
            period_start_ms: month.start.timestamp_millis(),
            period_end_ms: period_end.timestamp_millis(),
            invoice: format!(
                "{}{:06}",
                month.start.format("%Y%m"),
                mix(month.start.timestamp() as u64) % 1_000_000
            ),
        }
    }
}

/// Writes one job's file and returns its totals.
pub fn write_job(
    plan: &Plan<'_>,
    job: Job,
    path: &Path,
    month_totals: Option<&PartTotals>,
) -> Result<PartTotals, DemoError> {
    let mut sink = ParquetSink::create(path)?;
    let mut totals = PartTotals::default();
    let mut writer = LineWriter {
        plan,
        sink: &mut sink,
        totals: &mut totals,
        id_buf: String::new(),
    };
    let month = plan.months[job.month];
    match month_totals {
        None => {
            for hour in job.from..job.to {
                writer.hour(&month, hour)?;
            }
        }
        Some(all) => writer.month_end(&month, all)?,
    }
    totals.rows = sink.finish()?;
    Ok(totals)
}

struct LineWriter<'p, 'a, 's> {
    plan: &'p Plan<'a>,
    sink: &'s mut ParquetSink,
    totals: &'s mut PartTotals,
    id_buf: String,
}

/// One usage line before commitments are applied.
struct Pending {
    workload: usize,
    offer: usize,
    replica: u32,
    amount: f64,
}

impl<'p, 'a, 's> LineWriter<'p, 'a, 's> {
    fn hour(&mut self, month: &Month, hour_in_month: u32) -> Result<(), DemoError> {
        let plan = self.plan;
        let hour = month.first_hour + hour_in_month;
        let start = month.start + Duration::hours(i64::from(hour_in_month));
        let ctx = HourContext::new(month, start, start + Duration::hours(1));
        let (hod, weekend) = (start.hour(), start.weekday().number_from_monday() >= 6);
        let mut pending = Vec::new();
        for (wi, w) in plan.workloads.iter().enumerate() {
            let demand = w.demand(plan.seed, hour, hod, weekend);
            let count = w.resources(plan.scale, demand);
            for replica in 0..count {
                let jitter = 0.85
                    + 0.3
                        * workload::unit(
                            plan.seed
                                ^ mix(u64::from(w.id) << 20 ^ u64::from(replica))
                                ^ u64::from(hour),
                        );
                for (oi, offer) in w.offers.iter().enumerate() {
                    let per_resource = match w.shape {
                        Shape::PerResourceHour => 1.0,
                        Shape::Metered { units } => units * demand * jitter,
                    };
                    let amount = per_resource * workload::metered_ratio(oi, offer.product_code);
                    if amount > 0.0 {
                        pending.push(Pending {
                            workload: wi,
                            offer: oi,
                            replica,
                            amount,
                        });
                    }
                }
            }
        }
        // Only lines a commitment could cover go through the simulator.
        let eligible: Vec<usize> = (0..pending.len())
            .filter(|&i| self.offer(&pending[i]).service != orgpool_savings::Service::Other)
            .collect();
        let usage: Vec<Usage> = eligible
            .iter()
            .map(|&i| {
                let p = &pending[i];
                let o = self.offer(p);
                Usage {
                    account: plan.workloads[p.workload].account as u32,
                    service: o.service,
                    family: plan.family_index(&o.family),
                    region: o.region as u32,
                    reservation_key: o.reservation_key,
                    reservation_factor: 1.0,
                    amount: p.amount,
                    on_demand_cost: p.amount * o.rate,
                }
            })
            .collect();
        let outcome = simulate_hour(&usage, &plan.commitments, |c, u| {
            plan.discounts[c][u.family as usize][u.region as usize]
        });
        let mut covered_by_line: Vec<Vec<usize>> = vec![Vec::new(); pending.len()];
        for (k, a) in outcome.allocations.iter().enumerate() {
            covered_by_line[eligible[a.usage]].push(k);
        }
        for (i, p) in pending.iter().enumerate() {
            let mut left = p.amount;
            for &k in &covered_by_line[i] {
                let a = outcome.allocations[k];
                left -= a.covered_amount;
                self.covered(
                    &ctx,
                    hour,
                    p,
                    a.covered_amount,
                    a.commitment,
                    a.commitment_cost,
                )?;
            }
            if left > 1e-9 {
                self.usage(&ctx, hour, p, left)?;
            }
        }
        for (c, h) in plan.held.iter().enumerate() {
            if h.plan.is_savings_plan() {
                self.sp_fee(&ctx, hour, c, outcome.used[c])?;
            } else {
                *self.totals.ri_used.entry(c).or_default() += outcome.used[c];
            }
        }
        Ok(())
    }

    fn offer(&self, p: &Pending) -> &Offer {
        &self.plan.workloads[p.workload].offers[p.offer]
    }

    fn line_id(&mut self, parts: [u64; 4]) -> &str {
        use std::fmt::Write;
        let h = parts.iter().fold(self.plan.seed, |acc, &x| mix(acc ^ x));
        self.id_buf.clear();
        let _ = write!(self.id_buf, "{:016x}{:016x}", h, mix(h ^ 0x1d));
        &self.id_buf
    }

    fn base_row<'r>(&self, ctx: &'r HourContext, account: usize, line_type: &'static str) -> Row<'r>
    where
        'p: 'r,
    {
        base_row(self.plan.org, ctx, account, line_type)
    }

    fn charge(&mut self, account: usize, product_code: &str, cost: f64) {
        if cost != 0.0 {
            *self
                .totals
                .charges
                .entry((account, product_code.to_owned()))
                .or_default() += cost;
        }
    }

    fn usage(
        &mut self,
        ctx: &HourContext,
        hour: u32,
        p: &Pending,
        amount: f64,
    ) -> Result<(), DemoError> {
        let plan = self.plan;
        let w = &plan.workloads[p.workload];
        let o = &w.offers[p.offer];
        let cost = amount * o.billed_rate;
        let resource = resource_id(w, p.replica);
        let id = self
            .line_id([
                u64::from(w.id),
                u64::from(p.replica),
                u64::from(hour),
                p.offer as u64,
            ])
            .to_owned();
        let mut row = self.base_row(ctx, w.account, lit::USAGE);
        fill_product(&mut row, w, o, &resource);
        row[col::identity_line_item_id] = Value::Text(&id);
        row[col::line_item_usage_amount] = Value::Number(amount);
        fill_costs(&mut row, cost, &o.billed_rate_text);
        row[col::line_item_line_item_description] = Value::Text(&o.description);
        row[col::pricing_public_on_demand_rate] = Value::Text(&o.rate_text);
        row[col::pricing_public_on_demand_cost] = Value::Number(amount * o.rate);
        row[col::pricing_term] = Value::Text(o.pricing_term);
        fill_normalized(&mut row, o, amount);
        self.sink.push(&row)?;
        self.charge(w.account, o.product_code, cost);
        Ok(())
    }

    fn covered(
        &mut self,
        ctx: &HourContext,
        hour: u32,
        p: &Pending,
        amount: f64,
        c: usize,
        commitment_cost: f64,
    ) -> Result<(), DemoError> {
        let plan = self.plan;
        let h = &plan.held[c];
        let w = &plan.workloads[p.workload];
        let o = &w.offers[p.offer];
        let resource = resource_id(w, p.replica);
        let on_demand = amount * o.rate;
        if h.plan.is_savings_plan() {
            let id = self
                .line_id([
                    u64::from(w.id),
                    u64::from(p.replica),
                    u64::from(hour),
                    100 + c as u64,
                ])
                .to_owned();
            let sp_rate = commitment_cost / amount;
            let mut row = self.base_row(ctx, w.account, lit::SAVINGS_PLAN_COVERED_USAGE);
            fill_product(&mut row, w, o, &resource);
            row[col::identity_line_item_id] = Value::Text(&id);
            row[col::line_item_usage_amount] = Value::Number(amount);
            fill_costs(&mut row, on_demand, &o.rate_text);
            row[col::line_item_line_item_description] = Value::Text(&o.description);
            row[col::pricing_public_on_demand_rate] = Value::Text(&o.rate_text);
            row[col::pricing_public_on_demand_cost] = Value::Number(on_demand);
            row[col::pricing_term] = Value::Text("OnDemand");
            fill_normalized(&mut row, o, amount);
            fill_sp(&mut row, h);
            row[col::savings_plan_savings_plan_rate] = Value::Number(sp_rate);
            row[col::savings_plan_savings_plan_effective_cost] = Value::Number(commitment_cost);
            row[col::savings_plan_net_savings_plan_effective_cost] = Value::Number(commitment_cost);
            self.sink.push(&row)?;

            let id = self
                .line_id([
                    u64::from(w.id),
                    u64::from(p.replica),
                    u64::from(hour),
                    200 + c as u64,
                ])
                .to_owned();
            let description = format!(
                "SavingsPlanNegation used by AccountId : {} and UsageSku : {}",
                plan.org.accounts[w.account].account.id, o.sku
            );
            let mut row = self.base_row(ctx, w.account, lit::SAVINGS_PLAN_NEGATION);
            fill_product(&mut row, w, o, &resource);
            row[col::identity_line_item_id] = Value::Text(&id);
            row[col::line_item_usage_amount] = Value::Number(amount);
            fill_costs(&mut row, -on_demand, &o.negated_rate_text);
            row[col::line_item_line_item_description] = Value::Text(&description);
            fill_sp(&mut row, h);
            self.sink.push(&row)?;
        } else {
            let id = self
                .line_id([
                    u64::from(w.id),
                    u64::from(p.replica),
                    u64::from(hour),
                    300 + c as u64,
                ])
                .to_owned();
            let description = format!(
                "USD {} hourly fee per MySQL, {} instance",
                catalog::rate_text(h.ri_hourly_fee),
                h.ri_class
            );
            let mut row = self.base_row(ctx, w.account, lit::DISCOUNTED_USAGE);
            fill_product(&mut row, w, o, &resource);
            row[col::identity_line_item_id] = Value::Text(&id);
            row[col::line_item_usage_amount] = Value::Number(amount);
            fill_costs(&mut row, 0.0, "0");
            row[col::line_item_line_item_description] = Value::Text(&description);
            row[col::pricing_public_on_demand_rate] = Value::Text(&o.rate_text);
            row[col::pricing_public_on_demand_cost] = Value::Number(on_demand);
            fill_normalized(&mut row, o, amount);
            fill_ri(&mut row, h);
            row[col::reservation_effective_cost] = Value::Number(commitment_cost);
            row[col::reservation_recurring_fee_for_usage] = Value::Number(commitment_cost);
            row[col::reservation_amortized_upfront_cost_for_usage] = Value::Number(0.0);
            self.sink.push(&row)?;
        }
        Ok(())
    }

    fn sp_fee(
        &mut self,
        ctx: &HourContext,
        hour: u32,
        c: usize,
        used: f64,
    ) -> Result<(), DemoError> {
        let h = &self.plan.held[c];
        let id = self
            .line_id([u64::MAX, c as u64, u64::from(hour), 400])
            .to_owned();
        let fee = h.sim.per_hour;
        let fee_text = catalog::rate_text(fee);
        let usage_type = sp_usage_type(h);
        let description = format!(
            "1 year No Upfront {} Savings Plan",
            if h.plan == PlanKind::ComputeSp {
                "Compute"
            } else {
                "EC2 Instance"
            }
        );
        let mut row = self.base_row(ctx, h.owner, lit::SAVINGS_PLAN_RECURRING_FEE);
        row[col::identity_line_item_id] = Value::Text(&id);
        row[col::line_item_product_code] = Value::Text("ComputeSavingsPlans");
        row[col::product_servicecode] = Value::Text("ComputeSavingsPlans");
        row[col::line_item_usage_type] = Value::Text(&usage_type);
        row[col::product_usagetype] = Value::Text(&usage_type);
        row[col::line_item_resource_id] = Value::Text(&h.arn);
        row[col::line_item_usage_amount] = Value::Number(1.0);
        fill_costs(&mut row, fee, &fee_text);
        row[col::line_item_line_item_description] = Value::Text(&description);
        row[col::product] = Value::Map(&[]);
        row[col::resource_tags] = Value::Map(&[]);
        fill_sp(&mut row, h);
        row[col::savings_plan_total_commitment_to_date] = Value::Number(fee);
        row[col::savings_plan_used_commitment] = Value::Number(used);
        row[col::savings_plan_recurring_commitment_for_billing_period] = Value::Number(fee);
        row[col::savings_plan_net_recurring_commitment_for_billing_period] = Value::Number(fee);
        row[col::savings_plan_amortized_upfront_commitment_for_billing_period] = Value::Number(0.0);
        self.sink.push(&row)?;
        self.charge(h.owner, "ComputeSavingsPlans", fee);
        Ok(())
    }

    fn month_end(&mut self, month: &Month, totals: &PartTotals) -> Result<(), DemoError> {
        let plan = self.plan;
        let ctx = HourContext::new(
            month,
            month.start,
            month.start + Duration::hours(i64::from(month.hours)),
        );
        let mut charges = totals.charges.clone();
        for (c, h) in plan
            .held
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.plan.is_savings_plan())
        {
            let reserved = h.sim.per_hour * f64::from(month.hours);
            let used = totals.ri_used.get(&c).copied().unwrap_or(0.0);
            let fee = reserved * h.ri_hourly_fee;
            let id = self
                .line_id([u64::MAX - 1, c as u64, month.first_hour.into(), 500])
                .to_owned();
            let usage_type = format!("HeavyUsage:{}", h.ri_class);
            let description = format!(
                "USD {} hourly fee per MySQL, {} instance",
                catalog::rate_text(h.ri_hourly_fee),
                h.ri_class
            );
            let fee_text = catalog::rate_text(h.ri_hourly_fee);
            let count = format!("{}", h.sim.per_hour);
            // The RI's reserved hours in normalized units, as AWS writes
            // them on an RIFee line (the 2018 workshop bill's do).
            let normalized = format!("{}", reserved * catalog::RDS_NORMALIZATION_FACTOR);
            let mut row = self.base_row(&ctx, h.owner, lit::RI_FEE);
            row[col::identity_line_item_id] = Value::Text(&id);
            row[col::line_item_product_code] = Value::Text("AmazonRDS");
            row[col::product_servicecode] = Value::Text("AmazonRDS");
            row[col::line_item_usage_type] = Value::Text(&usage_type);
            row[col::line_item_operation] = Value::Text("CreateDBInstance:0002");
            // An RI fee line names the RI's region, as the 2018 workshop
            // bill's do (`product/region`).
            row[col::product_region_code] = Value::Text(RDS_RI_REGION);
            row[col::line_item_usage_amount] = Value::Number(reserved);
            fill_costs(&mut row, fee, &fee_text);
            row[col::line_item_line_item_description] = Value::Text(&description);
            row[col::product] = Value::Map(&[]);
            row[col::resource_tags] = Value::Map(&[]);
            fill_ri(&mut row, h);
            row[col::reservation_number_of_reservations] = Value::Text(&count);
            row[col::reservation_total_reserved_normalized_units] = Value::Text(&normalized);
            row[col::reservation_unused_quantity] = Value::Number((reserved - used).max(0.0));
            row[col::reservation_unused_recurring_fee] =
                Value::Number((reserved - used).max(0.0) * h.ri_hourly_fee);
            self.sink.push(&row)?;
            self.charge(h.owner, "AmazonRDS", fee);
            *charges
                .entry((h.owner, "AmazonRDS".to_owned()))
                .or_default() += fee;
        }
        let org_usage: f64 = charges.values().sum();
        // Business support: the greater of $100 and 10% of the month's charges.
        let support = (0.10 * org_usage).max(100.0);
        self.monthly(
            &ctx,
            month,
            0,
            lit::FEE,
            "AWSSupportBusiness",
            "AWS Support (Business)",
            support,
            None,
        )?;
        *charges
            .entry((0, "AWSSupportBusiness".to_owned()))
            .or_default() += support;
        // Promotional credits for workload teams and web: up to $150 of EC2.
        for ((account, product), cost) in charges.clone() {
            let role = plan.org.accounts[account].role;
            if product == "AmazonEC2" && matches!(role, Role::Team | Role::WebProd) && cost > 0.0 {
                let credit = -(cost * 0.2).min(150.0);
                self.monthly(
                    &ctx,
                    month,
                    account,
                    lit::CREDIT,
                    "AmazonEC2",
                    "AWS Promotional Credit",
                    credit,
                    None,
                )?;
                *charges.entry((account, product)).or_default() += credit;
            }
        }
        for ((account, product), cost) in &charges {
            if *cost > 0.0 {
                let tax = (cost * TAX_RATE * 100.0).round() / 100.0;
                self.monthly(
                    &ctx,
                    month,
                    *account,
                    lit::TAX,
                    product,
                    "Tax for product code",
                    tax,
                    Some("USSalesTax"),
                )?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn monthly(
        &mut self,
        ctx: &HourContext,
        month: &Month,
        account: usize,
        line_type: &'static str,
        product_code: &str,
        description: &str,
        cost: f64,
        tax_type: Option<&'static str>,
    ) -> Result<(), DemoError> {
        let salt = product_code
            .bytes()
            .fold(account as u64, |h, b| mix(h ^ u64::from(b)));
        let id = self
            .line_id([
                u64::MAX - 2,
                salt,
                month.first_hour.into(),
                line_type.len() as u64,
            ])
            .to_owned();
        let description = format!("{description} {product_code}");
        let cost_text = catalog::rate_text(cost);
        let mut row = self.base_row(ctx, account, line_type);
        row[col::identity_line_item_id] = Value::Text(&id);
        row[col::line_item_product_code] = Value::Text(product_code);
        row[col::product_servicecode] = Value::Text(product_code);
        row[col::line_item_usage_amount] =
            Value::Number(if line_type == lit::TAX { 1.0 } else { 0.0 });
        fill_costs(&mut row, cost, &cost_text);
        row[col::line_item_line_item_description] = Value::Text(&description);
        row[col::product] = Value::Map(&[]);
        row[col::resource_tags] = Value::Map(&[]);
        if let Some(t) = tax_type {
            row[col::line_item_tax_type] = Value::Text(t);
            row[col::line_item_usage_type] = Value::Text("Tax");
        }
        self.sink.push(&row)?;
        self.charge(account, product_code, cost);
        Ok(())
    }
}

fn base_row<'r>(
    org: &'r DemoOrg,
    ctx: &'r HourContext,
    account: usize,
    line_type: &'static str,
) -> Row<'r> {
    let payer = &org.accounts[0].account;
    let usage_account = &org.accounts[account].account;
    let mut row: Row<'r> = [Value::Null; crate::sink::WIDTH];
    row[col::bill_bill_type] = Value::Text("Anniversary");
    row[col::bill_billing_entity] = Value::Text("AWS");
    row[col::bill_billing_period_start_date] = Value::Time(ctx.period_start_ms);
    row[col::bill_billing_period_end_date] = Value::Time(ctx.period_end_ms);
    row[col::bill_invoice_id] = Value::Text(&ctx.invoice);
    row[col::bill_invoicing_entity] = Value::Text("Amazon Web Services, Inc.");
    row[col::bill_payer_account_id] = Value::Text(&payer.id);
    row[col::bill_payer_account_name] = Value::Text(&payer.name);
    row[col::identity_time_interval] = Value::Text(&ctx.interval);
    row[col::line_item_currency_code] = Value::Text("USD");
    row[col::pricing_currency] = Value::Text("USD");
    row[col::line_item_legal_entity] = Value::Text("Amazon Web Services, Inc.");
    row[col::line_item_line_item_type] = Value::Text(line_type);
    row[col::line_item_usage_account_id] = Value::Text(&usage_account.id);
    row[col::line_item_usage_account_name] = Value::Text(&usage_account.name);
    row[col::line_item_usage_start_date] = Value::Time(ctx.start_ms);
    row[col::line_item_usage_end_date] = Value::Time(ctx.end_ms);
    row[col::cost_category] = Value::Map(&[]);
    row[col::discount] = Value::Map(&[]);
    row
}

fn resource_id(w: &Workload, replica: u32) -> String {
    let h = mix(u64::from(w.id) << 32 ^ u64::from(replica));
    if w.resource_prefix == "i-0" {
        format!("i-0{:016x}", h)[..19].to_owned()
    } else {
        format!("{}{:08x}", w.resource_prefix, h & 0xffff_ffff)
    }
}

fn sp_usage_type(h: &Held) -> String {
    match h.plan {
        PlanKind::ComputeSp => "ComputeSP:1yrNoUpfront".to_owned(),
        _ => "EC2SP:m5.1yrNoUpfront".to_owned(),
    }
}

fn fill_costs<'r>(row: &mut Row<'r>, cost: f64, rate_text: &'r str) {
    row[col::line_item_unblended_rate] = Value::Text(rate_text);
    row[col::line_item_blended_rate] = Value::Text(rate_text);
    row[col::line_item_net_unblended_rate] = Value::Text(rate_text);
    row[col::line_item_unblended_cost] = Value::Number(cost);
    row[col::line_item_blended_cost] = Value::Number(cost);
    row[col::line_item_net_unblended_cost] = Value::Number(cost);
}

fn fill_product<'r>(row: &mut Row<'r>, w: &'r Workload, o: &'r Offer, resource: &'r str) {
    let region = &REGIONS[o.region];
    row[col::line_item_product_code] = Value::Text(o.product_code);
    row[col::line_item_usage_type] = Value::Text(&o.usage_type);
    row[col::line_item_operation] = Value::Text(o.operation);
    row[col::line_item_resource_id] = Value::Text(resource);
    row[col::pricing_unit] = Value::Text(o.unit);
    row[col::product] = Value::Map(&o.product);
    row[col::product_servicecode] = Value::Text(o.product_code);
    row[col::product_usagetype] = Value::Text(&o.usage_type);
    row[col::product_operation] = Value::Text(o.operation);
    row[col::product_sku] = Value::Text(&o.sku);
    row[col::product_product_family] = Value::Text(o.product_family);
    row[col::product_region_code] = Value::Text(region.code);
    row[col::product_location] = Value::Text(region.location);
    row[col::product_location_type] = Value::Text("AWS Region");
    row[col::product_pricing_unit] = Value::Text(o.unit);
    if !o.instance_type.is_empty() {
        row[col::product_instance_type] = Value::Text(&o.instance_type);
        row[col::product_instance_family] = Value::Text(catalog::family_category(&o.family));
        row[col::line_item_availability_zone] = Value::Text(region.zone);
    }
    row[col::resource_tags] = Value::Map(&w.tags);
}

fn fill_normalized(row: &mut Row<'_>, o: &Offer, amount: f64) {
    if let Some(nf) = o.normalization_factor {
        row[col::line_item_normalization_factor] = Value::Number(nf);
        row[col::line_item_normalized_usage_amount] = Value::Number(nf * amount);
    }
}

fn fill_sp<'r>(row: &mut Row<'r>, h: &'r Held) {
    row[col::savings_plan_savings_plan_a_r_n] = Value::Text(&h.arn);
    row[col::savings_plan_offering_type] = Value::Text(if h.plan == PlanKind::ComputeSp {
        "ComputeSavingsPlans"
    } else {
        "EC2InstanceSavingsPlans"
    });
    row[col::savings_plan_payment_option] = Value::Text("No Upfront");
    row[col::savings_plan_purchase_term] = Value::Text("1yr");
    row[col::savings_plan_start_time] = Value::Text(&h.start);
    row[col::savings_plan_end_time] = Value::Text(&h.end);
    if let Some((family, region)) = &h.sp_family {
        row[col::savings_plan_instance_type_family] = Value::Text(family);
        row[col::savings_plan_region] = Value::Text(region);
    }
}

fn fill_ri<'r>(row: &mut Row<'r>, h: &'r Held) {
    row[col::reservation_reservation_a_r_n] = Value::Text(&h.arn);
    row[col::reservation_start_time] = Value::Text(&h.start);
    row[col::reservation_end_time] = Value::Text(&h.end);
    row[col::pricing_term] = Value::Text("Reserved");
    row[col::pricing_lease_contract_length] = Value::Text("1yr");
    row[col::pricing_purchase_option] = Value::Text("No Upfront");
    row[col::pricing_offering_class] = Value::Text("standard");
}
