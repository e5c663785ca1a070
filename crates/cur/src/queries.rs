//! The aggregations the engines need, as SQL over the view `line_items`.
//!
//! Commitment-eligible usage is `commitment_class IS NOT NULL` (see
//! [`crate::canonical::enrich`]). Uncovered usage is `Usage` lines at their
//! billed cost; covered usage is `SavingsPlanCoveredUsage` and `DiscountedUsage`
//! at the public on-demand cost, which is what it would have cost uncovered.

use arrow::array::RecordBatch;
use chrono::{DateTime, Utc};
use orgpool_model::{
    AccountUsage, CommitmentClass, Payment, PlanKind, Posture, Term, UsageSeries, Window,
};

use crate::batch::Columns;
use crate::{BillingData, CurError};

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
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13",
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
/// charged on covered lines that have a public cost.
#[cfg(test)]
pub(crate) fn summary_sql() -> String {
    format!(
        "SELECT date_trunc('hour', usage_start) AS usage_hour, usage_account_id, product_code, commitment_class, region, family, \
            line_item_type, sp_offering_type, sp_purchase_term, sp_payment_option, lease_contract_length, purchase_option, \
            sum(unblended) AS unblended, \
            sum(COALESCE(public_cost, 0) + COALESCE(unblended_without_public, 0)) AS od_or_billed, \
            sum(COALESCE(sp_effective, 0)) AS sp_effective, \
            sum(COALESCE(ri_effective, 0)) AS ri_effective, \
            sum(COALESCE(sp_used, 0)) AS sp_used, \
            sum(COALESCE(sp_total, 0) + COALESCE(unblended_without_total, 0)) AS sp_total, \
            sum(COALESCE(ri_unused, 0)) AS ri_unused, \
            sum(observed_public) AS observed_public, \
            sum(COALESCE(observed_sp_effective, 0) + COALESCE(observed_ri_effective, 0)) AS observed_effective \
          FROM ({}) AS h \
          WHERE commitment_class IS NOT NULL OR line_item_type IN ('SavingsPlanRecurringFee', 'RIFee') \
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
        crate::canonical::classify("SELECT * FROM hourly_lines")
    )
}

/// First and last hour of some usage.
pub type HourRange = (DateTime<Utc>, DateTime<Utc>);

impl BillingData {
    /// The first and last hour of commitment-eligible usage, if any.
    pub fn eligible_range(&self) -> Result<Option<HourRange>, CurError> {
        self.ensure_summary()?;
        let batches = self.query("SELECT min(usage_hour), max(usage_hour) FROM hourly WHERE commitment_class IS NOT NULL")?;
        let Some(b) = batches.first() else {
            return Ok(None);
        };
        let lo = time_at(b, 0, 0);
        let hi = time_at(b, 1, 0);
        Ok(lo.zip(hi))
    }

    /// The posture over `window`, broken down by `dimension`, largest first.
    pub fn posture(&self, window: &Window, dimension: Dimension) -> Result<Vec<Posture>, CurError> {
        let mut filter = window_filter(window);
        if matches!(dimension, Dimension::FamilyRegion) {
            // Fees carry no family: this slice is about usage only.
            filter += " AND commitment_class IS NOT NULL";
        }
        self.ensure_summary()?;
        let sql = format!(
            "SELECT {key} AS key, \
               sum(CASE WHEN line_item_type = 'Usage' AND commitment_class IS NOT NULL THEN unblended ELSE 0 END) AS uncovered, \
               sum(CASE WHEN line_item_type IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') AND commitment_class IS NOT NULL \
                        THEN od_or_billed ELSE 0 END) AS covered, \
               sum(CASE WHEN line_item_type = 'SavingsPlanCoveredUsage' AND commitment_class IS NOT NULL THEN sp_effective \
                        WHEN line_item_type = 'DiscountedUsage' AND commitment_class IS NOT NULL THEN ri_effective ELSE 0 END) AS effective, \
               sum(CASE WHEN line_item_type IN ('SavingsPlanRecurringFee', 'RIFee') THEN unblended ELSE 0 END) AS fees, \
               sum(CASE WHEN line_item_type = 'SavingsPlanRecurringFee' THEN sp_used \
                        WHEN line_item_type = 'RIFee' THEN unblended - ri_unused ELSE 0 END) AS used, \
               sum(CASE WHEN line_item_type = 'SavingsPlanRecurringFee' THEN sp_total \
                        WHEN line_item_type = 'RIFee' THEN unblended ELSE 0 END) AS total \
             FROM hourly WHERE {filter} \
             GROUP BY 1 \
             ORDER BY 2 + 3 DESC, 1",
            key = dimension.expr()
        );
        let mut out = Vec::new();
        for b in self.query(&sql)? {
            let c = Columns::read(&b)?;
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
        Ok(out)
    }

    /// Uncovered eligible on-demand spend per (class, region, family), hour by hour.
    pub fn uncovered_series(&self, window: &Window) -> Result<Vec<UsageSeries>, CurError> {
        self.ensure_summary()?;
        let sql = format!(
            "SELECT commitment_class, COALESCE(region, ''), COALESCE(family, ''), usage_hour, sum(unblended) \
             FROM hourly WHERE line_item_type = 'Usage' AND commitment_class IS NOT NULL AND {} \
             GROUP BY 1, 2, 3, 4",
            window_filter(window)
        );
        let mut series: std::collections::BTreeMap<(CommitmentClass, String, String), Vec<f64>> =
            Default::default();
        let start_us = window.start.timestamp_micros();
        for b in self.query(&sql)? {
            let c = Columns::read(&b)?;
            for row in 0..b.num_rows() {
                let (Some(class), Some(hour)) = (
                    c.str(0, row).and_then(CommitmentClass::parse),
                    c.micros(3, row),
                ) else {
                    continue;
                };
                let h = ((hour - start_us) / 3_600_000_000) as usize;
                let values = series
                    .entry((class, c.text(1, row), c.text(2, row)))
                    .or_insert_with(|| vec![0.0; window.hours as usize]);
                if let Some(v) = values.get_mut(h) {
                    *v += c.number(4, row);
                }
            }
        }
        Ok(series
            .into_iter()
            .map(|((class, region, family), hourly)| UsageSeries {
                class,
                region,
                family,
                hourly,
            })
            .collect())
    }
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
        self.ensure_summary()?;
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
        for b in self.query(&sql)? {
            let c = Columns::read(&b)?;
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
        Ok(out)
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
    /// Usage spend per account over the last `days` days of the data (ending
    /// at the end of the last hour with usage), or `None` without usage lines.
    pub fn account_usage(&self, days: u32) -> Result<Option<AccountUsage>, CurError> {
        const USAGE_TYPES: &str =
            "line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')";
        let last = self.query(&format!(
            "SELECT max(usage_hour) FROM line_items WHERE {USAGE_TYPES}"
        ))?;
        let Some(last) = last.first().and_then(|b| time_at(b, 0, 0)) else {
            return Ok(None);
        };
        let end = last + chrono::Duration::hours(1);
        let start = end - chrono::Duration::days(i64::from(days));
        let sql = format!(
            "SELECT usage_account_id, sum({USAGE_SPEND}) FROM line_items \
             WHERE {USAGE_TYPES} AND usage_hour >= {} AND usage_hour < {} GROUP BY 1",
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
