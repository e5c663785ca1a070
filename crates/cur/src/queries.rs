//! The aggregations the engines need: the estimate's questions, answered
//! from its hourly summary in memory (one pass over its rows each), and
//! account usage, as SQL over the view `line_items`.
//!
//! Commitment-eligible usage is `commitment_class IS NOT NULL` (see
//! [`crate::canonical::enrich`]). Uncovered usage is `Usage` lines at their
//! billed cost; covered usage is `SavingsPlanCoveredUsage` and `DiscountedUsage`
//! at the public on-demand cost, which is what it would have cost uncovered.
//!
//! Each question was first written as SQL over the summary (the table
//! `hourly`). Those statements are kept, for tests only, as the oracle the
//! answers are held to: they state the rules more plainly than the loops.

use arrow::array::RecordBatch;
use chrono::{DateTime, Utc};
use orgpool_model::{
    AccountUsage, CommitmentClass, IdleCommitment, IdleInstanceSp, Payment, PlanKind, Posture,
    Term, UsageSeries, Window,
};

use crate::batch::Columns;
use crate::summary::{Key, Measure, Row, Summary};
use crate::{BillingData, CurError};

use crate::HOUR_NS;

/// A slice of the bill to break the posture down by.
#[derive(Debug, Clone, Copy)]
pub enum Dimension {
    /// Everything.
    Total,
    /// Per usage account.
    Account,
    /// Per product code.
    Service,
    /// Per instance family and region.
    FamilyRegion,
}

impl Dimension {
    #[cfg(test)]
    fn expr(self) -> &'static str {
        match self {
            Dimension::Total => "'total'",
            Dimension::Account => "usage_account_id",
            Dimension::Service => "product_code",
            Dimension::FamilyRegion => "concat(COALESCE(family, '?'), ' ', COALESCE(region, '?'))",
        }
    }
}

fn ts(t: DateTime<Utc>) -> String {
    format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

#[cfg(test)]
fn window_filter(w: &Window) -> String {
    format!(
        "usage_hour >= {} AND usage_hour < {}",
        ts(w.start),
        ts(w.end)
    )
}

/// Step 1 of the summary (see [`summary_sql`]) in SQL: what
/// [`crate::line_groups`]'s `ESTIMATE` layout computes, kept as the tests'
/// oracle for it.
#[cfg(test)]
pub(crate) fn summary_scan_sql() -> String {
    format!(
        "SELECT usage_start, usage_account_id, product_code, usage_type, operation, instance_type, region, \
            line_item_type, sp_offering_type, sp_purchase_term, sp_payment_option, lease_contract_length, purchase_option, \
            sp_instance_family, sp_region, usage_hours, \
            sum(unblended_cost) AS unblended, \
            sum(public_on_demand_cost) AS public_cost, \
            sum(unblended_cost) FILTER (WHERE public_on_demand_cost IS NULL) AS unblended_without_public, \
            sum(sp_effective_cost) AS sp_effective, \
            sum(ri_effective_cost) AS ri_effective, \
            sum(sp_used_commitment) AS sp_used, \
            sum(sp_total_commitment) AS sp_total, \
            sum(unblended_cost) FILTER (WHERE sp_total_commitment IS NULL) AS unblended_without_total, \
            sum(ri_unused_recurring_fee) AS ri_unused, \
            sum(public_on_demand_cost) FILTER (WHERE public_on_demand_cost > 0 \
                AND (sp_effective_cost IS NOT NULL OR ri_effective_cost IS NOT NULL)) AS observed_public, \
            sum(sp_effective_cost) FILTER (WHERE public_on_demand_cost > 0) AS observed_sp_effective, \
            sum(ri_effective_cost) FILTER (WHERE public_on_demand_cost > 0 AND sp_effective_cost IS NULL) AS observed_ri_effective \
          FROM line_items \
          WHERE {} \
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16",
        crate::line_groups::ESTIMATE.kept_lines_sql()
    )
}

/// Step 2 of the summary in SQL: what [`crate::summary`] computes, kept as
/// the tests' oracle for it.
///
/// The one scan of the export the estimate makes: commitment-relevant lines
/// summed by everything later queries group or filter on. It has two steps:
/// 1. [`crate::line_groups`] groups the raw canonical columns of the lines
///    that may matter (usage lines of a product some commitment applies to,
///    and commitment fee lines) into the table `hourly_lines`. Every measure
///    is a plain sum, some over the lines that meet a condition only.
/// 2. this statement, over `hourly_lines`, derives the commitment class,
///    family and hour on those far fewer grouped rows, by the same
///    [`crate::canonical::classify`] as the view (they are functions of the
///    grouped columns, so the result is the same as deriving them per line),
///    and groups again by what the questions need.
///
/// The measures keep the meaning they have per line:
/// `od_or_billed` is the public on-demand cost, or the billed cost where a
/// line has none; `sp_total` the Savings Plan's total commitment, or the
/// billed cost where a line has none; `observed_effective` what a commitment
/// charged on covered lines that have a public cost. A commitment's fee line
/// takes the family (an RI's, from its usage type) or the family and region
/// (an EC2 Instance Savings Plan's, from the plan's columns) of what it may
/// cover.
#[cfg(test)]
pub(crate) fn summary_sql() -> String {
    format!(
        "SELECT date_trunc('hour', usage_start) AS usage_hour, usage_account_id, product_code, commitment_class, \
            CASE WHEN {scoped_sp} THEN sp_region ELSE region END AS region, \
            CASE WHEN {scoped_sp} THEN sp_instance_family \
                 WHEN line_item_type = 'RIFee' THEN {ri_family} ELSE family END AS family, \
            line_item_type, sp_offering_type, sp_purchase_term, sp_payment_option, lease_contract_length, purchase_option, \
            CASE WHEN commitment_class = 'rds' THEN operation END AS operation, \
            sum(unblended) AS unblended, \
            sum(COALESCE(public_cost, 0) + COALESCE(unblended_without_public, 0)) AS od_or_billed, \
            sum(COALESCE(sp_effective, 0)) AS sp_effective, \
            sum(COALESCE(ri_effective, 0)) AS ri_effective, \
            sum(COALESCE(sp_used, 0)) AS sp_used, \
            sum(COALESCE(sp_total, 0) + COALESCE(unblended_without_total, 0)) AS sp_total, \
            sum(COALESCE(ri_unused, 0)) AS ri_unused, \
            sum(observed_public) AS observed_public, \
            sum(COALESCE(observed_sp_effective, 0) + COALESCE(observed_ri_effective, 0)) AS observed_effective \
          FROM ({classified}) AS h \
          WHERE commitment_class IS NOT NULL OR line_item_type IN ('SavingsPlanRecurringFee', 'RIFee') \
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
        ri_family = crate::canonical::itype_family("itype"),
        scoped_sp = "line_item_type = 'SavingsPlanRecurringFee' AND sp_offering_type = 'EC2InstanceSavingsPlans' \
                     AND sp_instance_family IS NOT NULL",
        classified = crate::canonical::classify(&spread_hourly_lines())
    )
}

/// The rows of `hourly_lines`, each of several hours (`usage_hours`, but an
/// RI's fee line: its month's) spread evenly over them: a row per hour, its
/// sums divided by the hours.
#[cfg(test)]
fn spread_hourly_lines() -> String {
    let layout = &crate::line_groups::ESTIMATE;
    let texts = [layout.texts, &["usage_hours"]].concat().join(", ");
    let sums: Vec<String> = layout
        .outputs
        .iter()
        .map(|o| format!("{o} / span AS {o}"))
        .collect();
    format!(
        "SELECT to_timestamp_nanos(CAST(usage_start AS BIGINT) + k * 3600000000000) AS usage_start, \
                {texts}, {sums} \
         FROM (SELECT *, unnest(range(0, span)) AS k \
               FROM (SELECT *, CASE WHEN line_item_type = 'RIFee' OR usage_hours IS NULL THEN 1 \
                                    ELSE CAST(usage_hours AS BIGINT) END AS span \
                     FROM hourly_lines) AS s) AS spread",
        sums = sums.join(", ")
    )
}

/// Commitment used and left unused over a window, in amortized dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CommitmentUse {
    /// What covered usage consumed of the commitments.
    pub used: f64,
    /// What the commitments left unused.
    pub unused: f64,
}

impl CommitmentUse {
    fn add(&mut self, other: CommitmentUse) {
        self.used += other.used;
        self.unused += other.unused;
    }
}

/// [`CommitmentUse`] of FOCUS data: for the whole bill, and per owning
/// account and service (`?`: a commitment whose owner the data do not say).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FocusCommitmentUse {
    /// The whole bill's.
    pub whole: CommitmentUse,
    /// Per account owning the commitments.
    pub by_account: std::collections::BTreeMap<String, CommitmentUse>,
    /// Per service of the commitments' purchase rows (`ComputeSavingsPlans`,
    /// `AmazonRDS`…).
    pub by_service: std::collections::BTreeMap<String, CommitmentUse>,
}

/// [`BillingData::focus_commitment_use`]'s statement: per (owning account,
/// service), the commitments' used and unused amortized cost over `window`.
fn focus_commitment_use_sql(window: &Window) -> String {
    let epoch = |t: &str| format!("CAST(date_part('epoch', {t}) AS DOUBLE)");
    let (start, end) = (
        epoch("usage_start"),
        epoch("COALESCE(usage_end, usage_start + INTERVAL '1 hour')"),
    );
    let (w_start, w_end) = (window.start.timestamp(), window.end.timestamp());
    let inside = format!(
        "GREATEST(0.0, LEAST({end}, {w_end}.0) - GREATEST({start}, {w_start}.0)) \
         / GREATEST({end} - {start}, 1.0)"
    );
    let cost = "COALESCE(sp_effective_cost, ri_effective_cost, 0.0)";
    format!(
        "WITH owner_rows AS ( \
           SELECT COALESCE(sp_arn, ri_arn) AS id, usage_account_id AS account, product_code AS service, \
                  CASE WHEN line_item_type = 'UnusedCommitment' THEN 1 ELSE 0 END AS rank \
           FROM line_items \
           WHERE line_item_type IN ('SavingsPlanRecurringFee', 'RIFee', 'UnusedCommitment') \
             AND COALESCE(sp_arn, ri_arn) IS NOT NULL), \
         owners AS ( \
           SELECT id, first_value(account ORDER BY rank, account) AS account, \
                  first_value(service ORDER BY rank, service) AS service \
           FROM owner_rows GROUP BY id), \
         uses AS ( \
           SELECT COALESCE(sp_arn, ri_arn) AS id, \
                  sum(CASE WHEN line_item_type = 'UnusedCommitment' THEN 0.0 ELSE {cost} * {inside} END) AS used, \
                  sum(CASE WHEN line_item_type = 'UnusedCommitment' THEN {cost} * {inside} ELSE 0.0 END) AS unused \
           FROM line_items \
           WHERE line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage', 'UnusedCommitment') \
             AND usage_start < {} AND COALESCE(usage_end, usage_start + INTERVAL '1 hour') > {} \
           GROUP BY 1) \
         SELECT o.account, o.service, sum(u.used), sum(u.unused) \
         FROM uses AS u LEFT JOIN owners AS o ON u.id = o.id \
         GROUP BY 1, 2",
        ts(window.end),
        ts(window.start)
    )
}

/// First and last hour of some usage.
pub type HourRange = (DateTime<Utc>, DateTime<Utc>);

/// What the questions need to know of a summary row's texts, worked out
/// once per combination of them.
#[derive(Clone, Copy, PartialEq)]
enum LineType {
    /// `Usage`.
    Usage,
    /// `SavingsPlanCoveredUsage`.
    SpCovered,
    /// `DiscountedUsage`.
    RiCovered,
    /// `SavingsPlanRecurringFee`.
    SpFee,
    /// `RIFee`.
    RiFee,
    /// Anything else.
    Other,
}

impl LineType {
    fn of(text: Option<&str>) -> Self {
        match text {
            Some("Usage") => LineType::Usage,
            Some("SavingsPlanCoveredUsage") => LineType::SpCovered,
            Some("DiscountedUsage") => LineType::RiCovered,
            Some("SavingsPlanRecurringFee") => LineType::SpFee,
            Some("RIFee") => LineType::RiFee,
            _ => LineType::Other,
        }
    }
}

/// Per combination of a summary's texts: its line type, and whether a
/// commitment may cover its lines (`commitment_class IS NOT NULL`).
fn facts(summary: &Summary) -> Vec<(LineType, bool)> {
    (0..summary.combinations() as u32)
        .map(|c| {
            (
                LineType::of(summary.text(c, Key::LineType)),
                summary.text(c, Key::Class).is_some(),
            )
        })
        .collect()
}

/// Whether an hour (in nanoseconds) lies in `w`, compared at the second as
/// [`window_filter`] does.
fn in_window(w: &Window) -> impl Fn(Option<i64>) -> bool {
    let ns = |t: DateTime<Utc>| i128::from(t.timestamp()) * 1_000_000_000;
    let (start, end) = (ns(w.start), ns(w.end));
    move |hour| hour.is_some_and(|h| (start..end).contains(&i128::from(h)))
}

/// One posture's sums, as [`Posture`] needs them.
#[derive(Default, Clone, Copy)]
struct PostureSums {
    uncovered: f64,
    covered: f64,
    effective: f64,
    fees: f64,
    used: f64,
    total: f64,
}

impl PostureSums {
    /// Adds a row whose texts are `(line_type, eligible)`; of an RI fee
    /// line, the `share` of it the window holds (see `ri_fee_share`).
    fn add(&mut self, row: &Row<'_>, (line_type, eligible): (LineType, bool), share: f64) {
        use Measure::*;
        match (line_type, eligible) {
            (LineType::Usage, true) => self.uncovered += row.value(Unblended),
            (LineType::SpCovered, true) => {
                self.covered += row.value(OdOrBilled);
                self.effective += row.value(SpEffective);
            }
            (LineType::RiCovered, true) => {
                self.covered += row.value(OdOrBilled);
                self.effective += row.value(RiEffective);
            }
            (LineType::SpFee, _) => {
                self.fees += row.value(Unblended);
                self.used += row.value(SpUsed);
                self.total += row.value(SpTotal);
            }
            (LineType::RiFee, _) => {
                // A null billed cost leaves `used` as it is (SQL's null).
                self.fees += share * row.value(Unblended);
                self.used += share * row.get(Unblended).map_or(0.0, |u| u - row.value(RiUnused));
                self.total += share * row.value(Unblended);
            }
            _ => {}
        }
    }
}

impl BillingData {
    /// The eligible usage that came in lines of more than an hour (a daily
    /// or monthly export's), which the summary spread evenly over their
    /// hours: the estimate says so, since the shape within them is unknown.
    pub fn long_lines(&self) -> Result<crate::LongLines, CurError> {
        Ok(self.summary()?.long_lines)
    }

    /// The first and last hour of commitment-eligible usage, if any.
    pub fn eligible_range(&self) -> Result<Option<HourRange>, CurError> {
        let summary = self.summary()?;
        let facts = facts(summary);
        let hours = summary
            .rows()
            .filter(|r| facts[r.combination() as usize].1)
            .filter_map(|r| r.hour_ns());
        let Some((lo, hi)) = hours.fold(None, |range: Option<(i64, i64)>, h| {
            Some(range.map_or((h, h), |(lo, hi)| (lo.min(h), hi.max(h))))
        }) else {
            return Ok(None);
        };
        Ok(Some((
            DateTime::from_timestamp_nanos(lo),
            DateTime::from_timestamp_nanos(hi),
        )))
    }

    /// The posture over `window`, broken down by `dimension`, largest first
    /// (ties by key).
    pub fn posture(&self, window: &Window, dimension: Dimension) -> Result<Vec<Posture>, CurError> {
        let summary = self.summary()?;
        let facts = facts(summary);
        let in_window = in_window(window);
        // Each combination's key, as text (`None`: null, shown as `?`), or
        // no key when the combination is not in the dimension's slice.
        //
        // The family-and-region slice holds usage a commitment may cover,
        // and the fees of the commitments scoped to a family: RIs and EC2
        // Instance Savings Plans, each in the family and region the summary
        // gives it (see `crate::summary`). Compute and SageMaker plans span
        // every family, so their fees count per account and service only.
        let key_of = |c: u32| -> Option<Option<String>> {
            let text = |k: Key| summary.text(c, k).map(str::to_owned);
            match dimension {
                Dimension::Total => Some(Some("total".to_owned())),
                Dimension::Account => Some(text(Key::Account)),
                Dimension::Service => Some(text(Key::Product)),
                Dimension::FamilyRegion => {
                    let family = text(Key::Family);
                    let in_slice = match facts[c as usize] {
                        (_, true) => true,
                        (LineType::RiFee | LineType::SpFee, _) => family.is_some(),
                        _ => false,
                    };
                    in_slice.then(|| {
                        Some(format!(
                            "{} {}",
                            family.as_deref().unwrap_or("?"),
                            text(Key::Region).as_deref().unwrap_or("?")
                        ))
                    })
                }
            }
        };
        let (keys, slot_of) = slots((0..summary.combinations() as u32).map(key_of));
        // Per key: its sums, once some row in the window adds to them.
        let mut sums: Vec<Option<PostureSums>> = vec![None; keys.len()];
        for row in summary.rows() {
            let c = row.combination() as usize;
            // An RI's fee line is its month's: the window holds a share of it.
            let share = match (facts[c].0, row.hour_ns()) {
                (LineType::RiFee, Some(start)) => ri_fee_share(start, window),
                (_, hour) => f64::from(u8::from(in_window(hour))),
            };
            if share > 0.0
                && let Some(slot) = slot_of[c]
            {
                sums[slot]
                    .get_or_insert_default()
                    .add(&row, facts[c], share);
            }
        }
        let sums = keys.iter().zip(sums).filter_map(|(k, s)| Some((k, s?)));
        let mut out: Vec<(Option<&str>, Posture)> = sums
            .into_iter()
            .map(|(key, s)| {
                let posture = Posture {
                    key: key.as_deref().unwrap_or("?").to_owned(),
                    on_demand_equivalent_cost: s.uncovered + s.covered,
                    covered_on_demand_equivalent_cost: s.covered,
                    uncovered_on_demand_cost: s.uncovered,
                    covered_effective_cost: s.effective,
                    commitment_cost: s.fees,
                    used_commitment: s.used,
                    total_commitment: s.total,
                };
                (key.as_deref(), posture)
            })
            .collect();
        // Largest first, then by key with null last, as SQL's
        // `ORDER BY uncovered + covered DESC, key`.
        out.sort_by(|(ka, a), (kb, b)| {
            b.on_demand_equivalent_cost
                .total_cmp(&a.on_demand_equivalent_cost)
                .then_with(|| match (ka, kb) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (a, b) => b.is_some().cmp(&a.is_some()),
                })
        });
        Ok(out.into_iter().map(|(_, p)| p).collect())
    }

    /// Uncovered eligible on-demand spend per (class, region, family, and
    /// for RDS operation), hour by hour.
    pub fn uncovered_series(&self, window: &Window) -> Result<Vec<UsageSeries>, CurError> {
        let summary = self.summary()?;
        let facts = facts(summary);
        // Each combination's series key, when its lines are uncovered
        // eligible usage of a known class.
        let series_of = |c: u32| -> Option<SeriesKey> {
            if facts[c as usize] != (LineType::Usage, true) {
                return None;
            }
            let class = summary
                .text(c, Key::Class)
                .and_then(CommitmentClass::parse)?;
            let text = |k: Key| summary.text(c, k).unwrap_or_default().to_owned();
            Some((
                class,
                text(Key::Region),
                text(Key::Family),
                text(Key::Operation),
            ))
        };
        let mut series: Vec<UsageSeries> = hourly_by_key(summary, window, series_of, |row| {
            row.value(Measure::Unblended)
        })
        .into_iter()
        .map(usage_series)
        .collect();
        series.sort_by(|a, b| a.key().cmp(&b.key()));
        Ok(series)
    }
}

/// Per key, the hourly sums of `value` over the summary's rows in `window`
/// (indexed as [`hour_index`]), each row counting under its combination's
/// key (`key_of`; `None`: the row counts nowhere). Keys come in the order
/// of their first combination; a key no row in the window adds to is left
/// out.
fn hourly_by_key<K: std::hash::Hash + Eq + Clone>(
    summary: &Summary,
    window: &Window,
    key_of: impl Fn(u32) -> Option<K>,
    value: impl Fn(&Row<'_>) -> f64,
) -> Vec<(K, Vec<f64>)> {
    let (keys, slot_of) = slots((0..summary.combinations() as u32).map(key_of));
    let mut hourly: Vec<Option<Vec<f64>>> = vec![None; keys.len()];
    for (row, h) in rows_by_hour(summary, window) {
        let Some(slot) = slot_of[row.combination() as usize] else {
            continue;
        };
        let values = hourly[slot].get_or_insert_with(|| vec![0.0; window.hours as usize]);
        if let Some(v) = values.get_mut(h) {
            *v += value(&row);
        }
    }
    keys.into_iter()
        .zip(hourly)
        .filter_map(|(key, hourly)| Some((key, hourly?)))
        .collect()
}

/// What tells a [`UsageSeries`] from another (see [`UsageSeries::key`]).
type SeriesKey = (CommitmentClass, String, String, String);

/// A series of its key.
fn usage_series(
    ((class, region, family, operation), hourly): (SeriesKey, Vec<f64>),
) -> UsageSeries {
    UsageSeries {
        class,
        region,
        family,
        operation,
        hourly,
    }
}

/// The summary's rows in `window`, each with its hour's place in it.
fn rows_by_hour<'a>(
    summary: &'a Summary,
    window: &'a Window,
) -> impl Iterator<Item = (Row<'a>, usize)> + 'a {
    summary.rows().filter_map(move |row| {
        let h = hour_index(window, row.hour_ns()?.div_euclid(HOUR_NS))?;
        Some((row, h))
    })
}

/// The place in `window`'s hourly series of the hour `hour` (hours since
/// the epoch), when that hour starts in the window: every hourly series the
/// questions answer is indexed by it.
fn hour_index(window: &Window, hour: i64) -> Option<usize> {
    let at = hour.checked_mul(3600)?;
    let start = window.start.timestamp();
    if !(start..window.end.timestamp()).contains(&at) {
        return None;
    }
    usize::try_from((at - start) / 3600).ok()
}

/// Which of [`IdleCommitment`]'s series a fee line's unused commitment goes to.
#[derive(Clone, Copy)]
enum IdleKind {
    ComputeSp,
    SagemakerSp,
    Ec2InstanceSp,
    UnknownSp,
    Reservation,
}

impl BillingData {
    /// Commitment paid for but unused in each hour of `window`: per Savings
    /// Plan fee line its total commitment less its used commitment, by the
    /// plan's offering type; per RI fee line its unused recurring fee, spread
    /// over the hours of its month (see `spread_over_month`). What a
    /// pooled what-if could give to more usage. The EC2 Instance Savings
    /// Plans' part is also split by the family and region their fee lines
    /// name ([`IdleCommitment::ec2_instance_sp_scoped`]).
    pub fn idle_commitment(&self, window: &Window) -> Result<IdleCommitment, CurError> {
        let mut idle = self.idle_by_kind(window)?;
        if idle.ec2_instance_sp.iter().any(|&v| v > 0.0) {
            idle.ec2_instance_sp_scoped = self.idle_instance_sps(window)?;
        }
        Ok(idle)
    }

    /// Idle EC2 Instance Savings Plans per (family, region) over `window`, in
    /// (family, region) order; fee lines without either are left out. The
    /// summary gives such a plan's fee the family and region of its scope
    /// (see `crate::summary`).
    fn idle_instance_sps(&self, window: &Window) -> Result<Vec<IdleInstanceSp>, CurError> {
        let summary = self.summary()?;
        let facts = facts(summary);
        let scope_of = |c: u32| -> Option<(String, String)> {
            let instance_sp = summary.text(c, Key::SpOfferingType).and_then(plan_of)
                == Some(PlanKind::Ec2InstanceSp);
            if facts[c as usize].0 != LineType::SpFee || !instance_sp {
                return None;
            }
            let text = |k: Key| summary.text(c, k).map(str::to_owned);
            text(Key::Family).zip(text(Key::Region))
        };
        let unused = |row: &Row<'_>| row.value(Measure::SpTotal) - row.value(Measure::SpUsed);
        let mut out: Vec<IdleInstanceSp> = hourly_by_key(summary, window, scope_of, unused)
            .into_iter()
            .filter_map(|((family, region), mut hourly)| {
                // Total less used leaves rounding dust where a plan was used whole.
                for v in &mut hourly {
                    if *v <= 1e-9 {
                        *v = 0.0;
                    }
                }
                hourly.iter().any(|&v| v > 0.0).then_some(IdleInstanceSp {
                    family,
                    region,
                    hourly,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.family, &a.region).cmp(&(&b.family, &b.region)));
        Ok(out)
    }

    /// [`BillingData::idle_commitment`] from the summary: per plan kind.
    fn idle_by_kind(&self, window: &Window) -> Result<IdleCommitment, CurError> {
        let summary = self.summary()?;
        let facts = facts(summary);
        let kind_of: Vec<Option<IdleKind>> = (0..summary.combinations() as u32)
            .map(|c| match facts[c as usize].0 {
                LineType::SpFee => Some(
                    match summary.text(c, Key::SpOfferingType).and_then(plan_of) {
                        Some(PlanKind::ComputeSp) => IdleKind::ComputeSp,
                        Some(PlanKind::SagemakerSp) => IdleKind::SagemakerSp,
                        Some(PlanKind::Ec2InstanceSp) => IdleKind::Ec2InstanceSp,
                        _ => IdleKind::UnknownSp,
                    },
                ),
                LineType::RiFee => Some(IdleKind::Reservation),
                _ => None,
            })
            .collect();
        let mut idle = IdleCommitment::zero(window.hours as usize);
        for (row, h) in rows_by_hour(summary, window) {
            let series = match kind_of[row.combination() as usize] {
                None | Some(IdleKind::Reservation) => continue,
                Some(IdleKind::ComputeSp) => &mut idle.compute_sp,
                Some(IdleKind::SagemakerSp) => &mut idle.sagemaker_sp,
                Some(IdleKind::Ec2InstanceSp) => &mut idle.ec2_instance_sp,
                Some(IdleKind::UnknownSp) => &mut idle.unknown_sp,
            };
            let unused = row.value(Measure::SpTotal) - row.value(Measure::SpUsed);
            // Total less used leaves rounding dust where a plan was used whole.
            if unused > 1e-9
                && let Some(v) = series.get_mut(h)
            {
                *v += unused;
            }
        }
        let reservations = summary.rows().filter(|row| {
            matches!(
                kind_of[row.combination() as usize],
                Some(IdleKind::Reservation)
            )
        });
        for row in reservations {
            let unused = row.value(Measure::RiUnused);
            if let Some(start) = row.hour_ns()
                && unused > 1e-9
            {
                spread_over_month(&mut idle.reserved_instances, window, start, unused);
            }
        }
        Ok(idle)
    }
}

/// The hours an RI fee line covers, as hours since the epoch `[start, end)`:
/// from the line's start, `start_ns`, to the end of its month. An `RIFee`
/// line is one per reservation and billing period, and its fees are the
/// period's (AWS Data Exports, "Reservation columns": the `RIFee` line's
/// amortized upfront fee is "for the billing period", "amortized over this
/// month"; a billing period is a calendar month, UTC). It starts at the
/// period's start, or at the purchase for an RI bought in the period (the
/// 2018 workshop bill's RI of 9 October 21:00). So the part of those hours a
/// window holds gets that part of the fee, not all of it or none.
fn ri_fee_hours(start_ns: i64) -> Option<std::ops::Range<i64>> {
    use chrono::Datelike;
    let start_hour = start_ns.div_euclid(HOUR_NS);
    let start = DateTime::<Utc>::from_timestamp(start_hour * 3600, 0)?;
    let (year, month) = match start.month() {
        12 => (start.year() + 1, 1),
        m => (start.year(), m + 1),
    };
    let end = chrono::NaiveDate::from_ymd_opt(year, month, 1)?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp()
        / 3600;
    Some(start_hour..end.max(start_hour + 1))
}

/// The hours (since the epoch) that start in `window`, as every other
/// question counts them: a row's hour is in the window when it starts in it.
fn window_hours(window: &Window) -> std::ops::Range<i64> {
    let ceil_hour = |t: DateTime<Utc>| (t.timestamp() + 3599).div_euclid(3600);
    ceil_hour(window.start)..ceil_hour(window.end)
}

/// The share of an RI fee line starting at `start_ns` that falls in
/// `window` (see [`ri_fee_hours`]).
fn ri_fee_share(start_ns: i64, window: &Window) -> f64 {
    let Some(hours) = ri_fee_hours(start_ns) else {
        return 0.0;
    };
    let w = window_hours(window);
    let inside = w.end.min(hours.end) - w.start.max(hours.start);
    inside.max(0) as f64 / (hours.end - hours.start) as f64
}

/// Adds `amount`, an RI fee line's unused recurring fee, to `hourly` (over
/// `window`, an entry per hour that starts in it) spread evenly over the
/// hours the line covers ([`ri_fee_hours`]).
fn spread_over_month(hourly: &mut [f64], window: &Window, start_ns: i64, amount: f64) {
    let Some(hours) = ri_fee_hours(start_ns) else {
        return;
    };
    let per_hour = amount / (hours.end - hours.start) as f64;
    let w = window_hours(window);
    for hour in hours.start.max(w.start)..hours.end.min(w.end) {
        if let Some(v) = hour_index(window, hour).and_then(|h| hourly.get_mut(h)) {
            *v += per_hour;
        }
    }
}

/// The distinct keys of `keys` (one per combination, `None` for a
/// combination without one), in the order first seen, and each
/// combination's place among them: a row then finds its key by its
/// combination's number, with no hashing per row.
fn slots<K: std::hash::Hash + Eq + Clone>(
    keys: impl Iterator<Item = Option<K>>,
) -> (Vec<K>, Vec<Option<usize>>) {
    let mut distinct: Vec<K> = Vec::new();
    let mut index: std::collections::HashMap<K, usize> = Default::default();
    let slot_of = keys
        .map(|key| {
            let key = key?;
            Some(*index.entry(key.clone()).or_insert_with(|| {
                distinct.push(key);
                distinct.len() - 1
            }))
        })
        .collect();
    (distinct, slot_of)
}

/// A discount seen on covered lines: what a held commitment actually charged.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRate {
    /// The plan kind.
    pub plan: PlanKind,
    /// Its term.
    pub term: Term,
    /// Its payment option.
    pub payment: Payment,
    /// Region of the covered usage.
    pub region: String,
    /// Family of the covered usage.
    pub family: String,
    /// 1 − effective cost ÷ public on-demand cost.
    pub discount: f64,
}

impl BillingData {
    /// Discounts observed on Savings-Plan-covered and RI-covered lines in `window`.
    ///
    /// Source: CUR 2.0 `savings_plan_savings_plan_effective_cost` is what the
    /// plan charged for the line and `pricing_public_on_demand_cost` what it would
    /// have cost on demand (table dictionary, savings plan and pricing pages).
    pub fn observed_rates(&self, window: &Window) -> Result<Vec<ObservedRate>, CurError> {
        let summary = self.summary()?;
        let facts = facts(summary);
        let in_window = in_window(window);
        // Each covered combination's rate key: plan, term, payment, region
        // and family, the RI's lease and purchase option standing in for an
        // SP's term and payment.
        let key_of = |c: u32| -> Option<[String; 5]> {
            let (line_type, eligible) = facts[c as usize];
            if !eligible || !matches!(line_type, LineType::SpCovered | LineType::RiCovered) {
                return None;
            }
            let text = |k: Key| summary.text(c, k);
            let either = |a: Key, b: Key| text(a).or(text(b)).unwrap_or_default().to_owned();
            Some([
                text(Key::SpOfferingType).unwrap_or("RDS").to_owned(),
                either(Key::SpPurchaseTerm, Key::LeaseContractLength),
                either(Key::SpPaymentOption, Key::PurchaseOption),
                text(Key::Region).unwrap_or_default().to_owned(),
                text(Key::Family).unwrap_or_default().to_owned(),
            ])
        };
        let (keys, slot_of) = slots((0..summary.combinations() as u32).map(key_of));
        // Per key: sum(observed_effective) and sum(observed_public), the
        // latter null until some row has one; `None` until a row adds.
        let mut sums: Vec<Option<(f64, Option<f64>)>> = vec![None; keys.len()];
        for row in summary.rows().filter(|r| in_window(r.hour_ns())) {
            let Some(slot) = slot_of[row.combination() as usize] else {
                continue;
            };
            let (effective, public) = sums[slot].get_or_insert((0.0, None));
            *effective += row.value(Measure::ObservedEffective);
            if let Some(p) = row.get(Measure::ObservedPublic) {
                *public = Some(public.unwrap_or(0.0) + p);
            }
        }
        let sums = keys
            .iter()
            .zip(sums)
            .filter_map(|(key, s)| s.map(|(effective, public)| (key, effective, public)));
        Ok(sums
            .filter_map(|(key, effective, public)| {
                let public = public.filter(|p| *p > 0.0)?;
                Some(ObservedRate {
                    plan: plan_of(&key[0])?,
                    term: term_of(&key[1])?,
                    payment: payment_of(&key[2])?,
                    region: key[3].clone(),
                    family: key[4].clone(),
                    discount: 1.0 - effective / public,
                })
            })
            .collect())
    }
}

/// `savings_plan_offering_type` (or `RDS` for an RDS RI) as a plan kind.
fn plan_of(text: &str) -> Option<PlanKind> {
    match text {
        "ComputeSavingsPlans" => Some(PlanKind::ComputeSp),
        "EC2InstanceSavingsPlans" => Some(PlanKind::Ec2InstanceSp),
        "SageMakerSavingsPlans" => Some(PlanKind::SagemakerSp),
        "RDS" => Some(PlanKind::RdsRi),
        _ => None,
    }
}

/// `savings_plan_purchase_term` / `pricing_lease_contract_length` (`1yr`, `3yr`).
fn term_of(text: &str) -> Option<Term> {
    match text.trim().to_ascii_lowercase().replace(' ', "").as_str() {
        "1yr" | "1y" | "1year" => Some(Term::OneYear),
        "3yr" | "3y" | "3year" => Some(Term::ThreeYears),
        _ => None,
    }
}

/// `savings_plan_payment_option` / `pricing_purchase_option` (`No Upfront`, …).
fn payment_of(text: &str) -> Option<Payment> {
    match text.trim().to_ascii_lowercase().as_str() {
        "no upfront" => Some(Payment::NoUpfront),
        "partial upfront" => Some(Payment::PartialUpfront),
        "all upfront" => Some(Payment::AllUpfront),
        _ => None,
    }
}

fn time_at(b: &RecordBatch, column: usize, row: usize) -> Option<DateTime<Utc>> {
    if row >= b.num_rows() {
        return None;
    }
    Columns::read(b)
        .ok()?
        .micros(column, row)
        .and_then(DateTime::from_timestamp_micros)
}

/// Line item types that are usage; everything else (tax, fees, credits,
/// refunds, commitment fees and negations) is not usage spend. Covered usage
/// counts at its effective cost (CUR 2.0 table dictionary, line item page:
/// `line_item_line_item_type`; savings plan page: `savings_plan_savings_plan_effective_cost`;
/// reservation page: `reservation_effective_cost`).
const USAGE_SPEND: &str = "CASE line_item_type \
       WHEN 'Usage' THEN unblended_cost \
       WHEN 'SavingsPlanCoveredUsage' THEN COALESCE(sp_effective_cost, unblended_cost) \
       WHEN 'DiscountedUsage' THEN COALESCE(ri_effective_cost, unblended_cost) END";

impl BillingData {
    /// The first and last hour of usage of any product (not only what a
    /// commitment may cover), if any: one pass over the export's lines.
    pub fn usage_range(&self) -> Result<Option<HourRange>, CurError> {
        let range = self.query(&format!(
            "SELECT min(usage_hour), max(usage_hour) FROM line_items WHERE {}",
            crate::canonical::usage_lines()
        ))?;
        Ok(range
            .first()
            .and_then(|b| time_at(b, 0, 0).zip(time_at(b, 1, 0))))
    }

    /// How much of the commitments held was used over `window`, from FOCUS
    /// data's own rows, for the whole bill and per owner; or `None` when the
    /// data cannot say: unless every file is FOCUS with a
    /// `CommitmentDiscountStatus` column.
    ///
    /// The rule (FOCUS specification 1.0, `CommitmentDiscountStatus`: "Used"
    /// marks charges that consumed a commitment discount, "Unused" the unused
    /// portion of the committed amount; `EffectiveCost` is each row's
    /// amortized cost): used is the `EffectiveCost` of the usage a
    /// commitment covered, unused that of the `Unused` rows. A CUR says the
    /// same in other columns (`savings_plan_used_commitment`,
    /// `reservation_unused_recurring_fee`), which the posture reads. A row of
    /// several hours counts by the share of its span inside the window.
    ///
    /// A commitment's use counts for its owner, as a CUR's fee line does: the
    /// account and service of its purchase rows (its `Unused` rows' where
    /// the data hold no purchase), by its `CommitmentDiscountId`.
    pub fn focus_commitment_use(
        &self,
        window: &Window,
    ) -> Result<Option<FocusCommitmentUse>, CurError> {
        let says = |f: &crate::SourceFile| {
            f.format.is_focus() && f.columns.iter().any(|c| c == "CommitmentDiscountStatus")
        };
        if self.files.is_empty() || !self.files.iter().all(says) {
            return Ok(None);
        }
        let mut out = FocusCommitmentUse::default();
        for b in self.query(&focus_commitment_use_sql(window))? {
            let c = Columns::read(&b)?;
            for row in 0..b.num_rows() {
                let (account, service) = (c.str(0, row), c.str(1, row));
                let used = CommitmentUse {
                    used: c.number(2, row),
                    unused: c.number(3, row),
                };
                out.whole.add(used);
                let key = |k: Option<&str>| k.unwrap_or("?").to_owned();
                out.by_account.entry(key(account)).or_default().add(used);
                out.by_service.entry(key(service)).or_default().add(used);
            }
        }
        Ok(Some(out))
    }

    /// Usage spend per account over the last `days` days of the data (ending
    /// at the end of the last hour with usage), or `None` without usage lines.
    pub fn account_usage(&self, days: u32) -> Result<Option<AccountUsage>, CurError> {
        let Some((_, last)) = self.usage_range()? else {
            return Ok(None);
        };
        let end = last + chrono::Duration::hours(1);
        let start = end - chrono::Duration::days(i64::from(days));
        let sql = format!(
            "SELECT usage_account_id, sum({USAGE_SPEND}) FROM line_items \
             WHERE {} AND usage_hour >= {} AND usage_hour < {} GROUP BY 1",
            crate::canonical::usage_lines(),
            ts(start),
            ts(end)
        );
        let mut cost_by_account = std::collections::BTreeMap::new();
        for b in self.query(&sql)? {
            let c = Columns::read(&b)?;
            for row in 0..b.num_rows() {
                *cost_by_account.entry(c.text(0, row)).or_insert(0.0) += c.number(1, row);
            }
        }
        Ok(Some(AccountUsage {
            start,
            end,
            cost_by_account,
        }))
    }
}

#[cfg(test)]
mod tests {
    //! The answers from the summary in memory against the SQL statements
    //! they replace, run over the same summary as the table `hourly`.

    use super::*;

    fn eligible_range_sql(data: &BillingData) -> Option<HourRange> {
        let batches = data
            .query("SELECT min(usage_hour), max(usage_hour) FROM hourly WHERE commitment_class IS NOT NULL")
            .unwrap();
        let b = batches.first()?;
        time_at(b, 0, 0).zip(time_at(b, 1, 0))
    }

    fn posture_sql(data: &BillingData, window: &Window, dimension: Dimension) -> Vec<Posture> {
        // An RI fee line's share of the window: of the hours from its start
        // to its month's end, those the window holds.
        let epoch = |t: &str| format!("date_part('epoch', {t})");
        let (month_end, start) = (
            epoch("date_trunc('month', usage_hour) + INTERVAL '1 month'"),
            epoch("usage_hour"),
        );
        let share = format!(
            "(greatest(0, least({month_end}, {end}) - greatest({start}, {begin})) / ({month_end} - {start}))",
            begin = window_hours(window).start * 3600,
            end = window_hours(window).end * 3600,
        );
        let mut filter = format!(
            "(((line_item_type IS DISTINCT FROM 'RIFee') AND {}) OR (line_item_type = 'RIFee' AND {share} > 0))",
            window_filter(window)
        );
        if matches!(dimension, Dimension::FamilyRegion) {
            filter += " AND (commitment_class IS NOT NULL \
                       OR (line_item_type IN ('RIFee', 'SavingsPlanRecurringFee') AND family IS NOT NULL))";
        }
        let sql = format!(
            "SELECT {key} AS key, \
               sum(CASE WHEN line_item_type = 'Usage' AND commitment_class IS NOT NULL THEN unblended ELSE 0 END) AS uncovered, \
               sum(CASE WHEN line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') AND commitment_class IS NOT NULL \
                        THEN od_or_billed ELSE 0 END) AS covered, \
               sum(CASE WHEN line_item_type = 'SavingsPlanCoveredUsage' AND commitment_class IS NOT NULL THEN sp_effective \
                        WHEN line_item_type = 'DiscountedUsage' AND commitment_class IS NOT NULL THEN ri_effective ELSE 0 END) AS effective, \
               sum(CASE WHEN line_item_type = 'SavingsPlanRecurringFee' THEN unblended \
                        WHEN line_item_type = 'RIFee' THEN {share} * unblended ELSE 0 END) AS fees, \
               sum(CASE WHEN line_item_type = 'SavingsPlanRecurringFee' THEN sp_used \
                        WHEN line_item_type = 'RIFee' THEN {share} * (unblended - ri_unused) ELSE 0 END) AS used, \
               sum(CASE WHEN line_item_type = 'SavingsPlanRecurringFee' THEN sp_total \
                        WHEN line_item_type = 'RIFee' THEN {share} * unblended ELSE 0 END) AS total \
             FROM hourly WHERE {filter} \
             GROUP BY 1 \
             ORDER BY uncovered + covered DESC, key",
            key = dimension.expr()
        );
        let mut out = Vec::new();
        for b in data.query(&sql).unwrap() {
            let c = Columns::read(&b).unwrap();
            let num = |i: usize, row: usize| c.number(i, row);
            for row in 0..b.num_rows() {
                let (uncovered, covered) = (num(1, row), num(2, row));
                out.push(Posture {
                    key: c.str(0, row).unwrap_or("?").to_owned(),
                    on_demand_equivalent_cost: uncovered + covered,
                    covered_on_demand_equivalent_cost: covered,
                    uncovered_on_demand_cost: uncovered,
                    covered_effective_cost: num(3, row),
                    commitment_cost: num(4, row),
                    used_commitment: num(5, row),
                    total_commitment: num(6, row),
                });
            }
        }
        out
    }

    fn uncovered_series_sql(data: &BillingData, window: &Window) -> Vec<UsageSeries> {
        let sql = format!(
            "SELECT commitment_class, COALESCE(region, ''), COALESCE(family, ''), usage_hour, sum(unblended), \
                    COALESCE(operation, '') \
             FROM hourly WHERE line_item_type = 'Usage' AND commitment_class IS NOT NULL AND {} \
             GROUP BY 1, 2, 3, 4, 6",
            window_filter(window)
        );
        let mut series: std::collections::BTreeMap<super::SeriesKey, Vec<f64>> = Default::default();
        let start_us = window.start.timestamp_micros();
        for b in data.query(&sql).unwrap() {
            let c = Columns::read(&b).unwrap();
            for row in 0..b.num_rows() {
                let (Some(class), Some(hour)) = (
                    c.str(0, row).and_then(CommitmentClass::parse),
                    c.micros(3, row),
                ) else {
                    continue;
                };
                let h = ((hour - start_us) / 3_600_000_000) as usize;
                let values = series
                    .entry((class, c.text(1, row), c.text(2, row), c.text(5, row)))
                    .or_insert_with(|| vec![0.0; window.hours as usize]);
                if let Some(v) = values.get_mut(h) {
                    *v += c.number(4, row);
                }
            }
        }
        series.into_iter().map(usage_series).collect()
    }

    fn observed_rates_sql(data: &BillingData, window: &Window) -> Vec<ObservedRate> {
        let sql = format!(
            "SELECT COALESCE(sp_offering_type, 'RDS'), COALESCE(sp_purchase_term, lease_contract_length), \
                    COALESCE(sp_payment_option, purchase_option), COALESCE(region, ''), COALESCE(family, ''), \
                    1 - sum(observed_effective) / sum(observed_public) \
             FROM hourly \
             WHERE line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') AND commitment_class IS NOT NULL AND {} \
             GROUP BY 1, 2, 3, 4, 5 HAVING sum(observed_public) > 0",
            window_filter(window)
        );
        let mut out = Vec::new();
        for b in data.query(&sql).unwrap() {
            let c = Columns::read(&b).unwrap();
            for row in 0..b.num_rows() {
                let t = |i: usize| c.text(i, row);
                let (Some(plan), Some(term), Some(payment)) =
                    (plan_of(&t(0)), term_of(&t(1)), payment_of(&t(2)))
                else {
                    continue;
                };
                out.push(ObservedRate {
                    plan,
                    term,
                    payment,
                    region: t(3),
                    family: t(4),
                    discount: c.number(5, row),
                });
            }
        }
        out
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    fn same_postures(ours: &[Posture], sql: &[Posture], what: &str) {
        assert_eq!(ours.len(), sql.len(), "{what}: how many keys");
        for (a, b) in ours.iter().zip(sql) {
            let (ka, kb) = (&a.key, &b.key);
            assert_eq!(ka, kb, "{what}: keys in order");
            for (x, y) in [
                (a.on_demand_equivalent_cost, b.on_demand_equivalent_cost),
                (
                    a.covered_on_demand_equivalent_cost,
                    b.covered_on_demand_equivalent_cost,
                ),
                (a.uncovered_on_demand_cost, b.uncovered_on_demand_cost),
                (a.covered_effective_cost, b.covered_effective_cost),
                (a.commitment_cost, b.commitment_cost),
                (a.used_commitment, b.used_commitment),
                (a.total_commitment, b.total_commitment),
            ] {
                assert!(close(x, y), "{what} {ka}: ours {x}, SQL {y}");
            }
        }
    }

    /// Every question, over the whole range and over a window inside it,
    /// answered from the summary and by its SQL statement. Returns how
    /// many series the whole range has.
    fn same_answers_as_sql(inputs: &[String]) -> usize {
        let data = BillingData::open(inputs, None).unwrap();
        data.register_summary().unwrap();
        let range = data.eligible_range().unwrap();
        assert_eq!(range, eligible_range_sql(&data), "{inputs:?}: range");
        let Some((first, last)) = range else {
            return 0;
        };
        let end = last + chrono::Duration::hours(1);
        let whole = Window::new(first, end);
        let mid = first + (end - first) / 3;
        let part = Window::new(
            mid - chrono::Duration::minutes(30),
            end - chrono::Duration::hours(5),
        );
        let mut series_count = 0;
        for window in [whole, part] {
            let what = format!("{inputs:?} from {} to {}", window.start, window.end);
            for d in [
                Dimension::Total,
                Dimension::Account,
                Dimension::Service,
                Dimension::FamilyRegion,
            ] {
                same_postures(
                    &data.posture(&window, d).unwrap(),
                    &posture_sql(&data, &window, d),
                    &format!("{what} {d:?}"),
                );
            }
            let ours = data.uncovered_series(&window).unwrap();
            let sql = uncovered_series_sql(&data, &window);
            assert_eq!(ours.len(), sql.len(), "{what}: series");
            for (a, b) in ours.iter().zip(&sql) {
                assert_eq!(a.key(), b.key(), "{what}");
                // An RDS series is one engine's; no other has an operation.
                assert_eq!(
                    a.class == CommitmentClass::Rds,
                    !a.operation.is_empty(),
                    "{what}: {:?}",
                    a.key()
                );
                assert!(
                    a.hourly.iter().zip(&b.hourly).all(|(x, y)| close(*x, *y)),
                    "{what}"
                );
                assert_eq!(a.hourly.len(), b.hourly.len());
            }
            series_count = series_count.max(ours.len());
            let key = |r: &ObservedRate| {
                format!(
                    "{:?} {:?} {:?} {} {}",
                    r.plan, r.term, r.payment, r.region, r.family
                )
            };
            let mut ours = data.observed_rates(&window).unwrap();
            let mut sql = observed_rates_sql(&data, &window);
            ours.sort_by_key(key);
            sql.sort_by_key(key);
            assert_eq!(ours.len(), sql.len(), "{what}: observed rates");
            for (a, b) in ours.iter().zip(&sql) {
                assert_eq!(key(a), key(b));
                assert!(close(a.discount, b.discount), "{what}: {}", key(a));
            }
        }
        series_count
    }

    /// A window that starts and ends mid-hour holds the hours that start in
    /// it, each at one place, whichever question asks.
    #[test]
    fn an_hour_has_one_place_in_a_window_that_starts_mid_hour() {
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        let hour = |t: &str| at(t).timestamp() / 3600;
        let w = Window::new(at("2024-01-01T10:30:00Z"), at("2024-01-01T13:30:00Z"));
        assert_eq!(w.hours, 3);
        assert_eq!(hour_index(&w, hour("2024-01-01T10:00:00Z")), None);
        assert_eq!(hour_index(&w, hour("2024-01-01T11:00:00Z")), Some(0));
        assert_eq!(hour_index(&w, hour("2024-01-01T13:00:00Z")), Some(2));
        assert_eq!(hour_index(&w, hour("2024-01-01T14:00:00Z")), None);
        assert_eq!(hour_index(&w, i64::MAX), None);
        assert_eq!(
            window_hours(&w),
            hour("2024-01-01T11:00:00Z")..hour("2024-01-01T14:00:00Z")
        );
    }

    #[test]
    fn the_demo_exports_answers_equal_their_sql_statements() {
        let dir = tempfile::tempdir().unwrap();
        let cur = crate::test_support::demo_cur(dir.path(), 8, 2);
        assert!(same_answers_as_sql(&[cur]) > 3);
    }

    #[test]
    fn every_public_files_answers_equal_their_sql_statements() {
        use orgpool_testkit::real_data as real;
        let workshop = same_answers_as_sql(&crate::test_support::workshop_months());
        assert!(workshop > 0);
        assert_eq!(
            same_answers_as_sql(&[real("legacy-cur-anonymized-2023-11.csv")]),
            0
        );
        assert!(same_answers_as_sql(&[real("focus-1.0-sample.csv")]) > 0);
    }

    /// The workshop bill runs Aurora MySQL (`CreateDBInstance:0016`, r4)
    /// and MariaDB (`CreateDBInstance:0018`, Multi-AZ m4) DB instances on
    /// demand (DuckDB over the three files lists those two operations on
    /// RDS instance-hour lines): each engine is a series of its own, since
    /// a reserved DB instance covers one engine only.
    #[test]
    fn rds_usage_is_a_series_per_database_engine() {
        let data = BillingData::open(&crate::test_support::workshop_months(), None).unwrap();
        let (first, last) = data.eligible_range().unwrap().unwrap();
        let window = Window::new(first, last + chrono::Duration::hours(1));
        let rds: Vec<(String, String)> = data
            .uncovered_series(&window)
            .unwrap()
            .into_iter()
            .filter(|s| s.class == CommitmentClass::Rds)
            .map(|s| (s.family, s.operation))
            .collect();
        assert_eq!(
            rds,
            [
                ("m4".to_owned(), "CreateDBInstance:0018".to_owned()),
                ("r4".to_owned(), "CreateDBInstance:0016".to_owned()),
            ],
            "{rds:?}"
        );
    }
}
