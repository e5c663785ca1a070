//! The bill as the pro forma engine needs it: every line summed per (hour,
//! account, service, usage type, operation, region, kind), and the
//! commitments held, reconstructed from their fee lines and the usage they
//! covered.
//!
//! Amortized actual cost per line type (AWS CUR 2.0 data dictionary, line
//! item, savings plan and reservation pages): `Usage` at its unblended cost;
//! `SavingsPlanCoveredUsage` at `savings_plan_savings_plan_effective_cost`;
//! `DiscountedUsage` at `reservation_effective_cost`; `SavingsPlanNegation`
//! at zero (it only cancels the covered line's on-demand cost);
//! `SavingsPlanRecurringFee` at the commitment left unused
//! (`total_commitment_to_date - used_commitment`); `RIFee` at its unused
//! recurring fee plus its unused amortized upfront fee; anything else (tax, credits, refunds, fees) at its
//! unblended cost.
//!
//! A line's public cost is what it would cost with no commitment: its billed
//! cost (Spot prices and volume tiers included), or the public on-demand cost
//! for RI-covered usage, billed at zero.
//!
//! A Savings Plan's commitment per hour is its recurring fee line's total
//! commitment; its discount on a usage key is observed from the lines it
//! covered. A Reserved Instance's cost per hour is its `RIFee` line's
//! recurring fee plus its amortized upfront fee over the hours it was held in
//! the period; its units per hour are its reserved hours (normalized units
//! for a size-flexible one: an EC2 Linux RI, or an RDS RI of most engines,
//! see `orgpool_model::size_flexible`) over the same hours; its key the
//! usage it covered most (`usage_type|operation|region`), or its family,
//! region and operation when size-flexible.

use std::collections::BTreeMap;

#[cfg(test)]
use orgpool_model::ChargeKind;
use orgpool_model::{ChargeRow, CommitmentClass, CommitmentRow, HeldKind};

use crate::batch::Columns;
use crate::line_groups::{Keep, Layout, Line, Terms};
use crate::{BillingData, CurError, LongLines};

/// The bill's lines grouped by their raw columns, negations left out (they
/// carry no amortized cost), in the table `raw_groups`. Every measure is a
/// plain sum, some over the lines that meet a condition only, so no string
/// function and no `CASE` runs per line; [`line_costs`] then applies each
/// line type's rule to these far fewer grouped rows. A `COALESCE(a, b)` per
/// line is `sum(a)` plus the sum of `b` where `a` is null.
/// [`RAW_GROUPS`] says the same in SQL; the tests hold the grouper to it.
pub(crate) static CHARGES: Layout = Layout {
    times: &["usage_start", "billing_period_start"],
    texts: &[
        "usage_account_id",
        "payer_account_id",
        "product_code",
        "billing_entity",
        "usage_type",
        "operation",
        "region",
        "instance_type",
        "line_item_type",
        "sp_arn",
        "ri_arn",
    ],
    span_end: Some("usage_end"),
    flag: Some(("zero_billed_with_list_price", zero_billed_with_list_price)),
    inputs: &[
        "usage_amount",
        "unblended_cost",
        "public_on_demand_cost",
        "sp_effective_cost",
        "ri_effective_cost",
        "sp_total_commitment",
        "sp_used_commitment",
        "ri_unused_recurring_fee",
        "ri_unused_amortized_upfront",
        "normalization_factor",
    ],
    outputs: &[
        "usage_amount",
        "unblended",
        "list_cost",
        "unblended_without_list_cost",
        "sp_effective",
        "unblended_without_sp_effective",
        "ri_effective",
        "unblended_without_ri_effective",
        "sp_unused",
        "unblended_without_sp_unused",
        "ri_unused_fee",
        "ri_unused_upfront",
        "nf",
    ],
    max_outputs: 1 << 12,
    terms: charge_terms,
    keep: Keep::AllBut("SavingsPlanNegation"),
};

/// Billed at zero though it has a public on-demand cost (the free tier's
/// doing, for usage).
fn zero_billed_with_list_price(line: &Line) -> bool {
    line.get(1) == Some(0.0) && line.get(2).is_some_and(|p| p > 0.0)
}

/// What one line adds to each of [`CHARGES`]'s outputs.
fn charge_terms(line: &Line, out: &mut Terms) {
    let [
        amount,
        unblended,
        list,
        sp_effective,
        ri_effective,
        sp_total,
        sp_used,
        ri_fee,
        ri_upfront,
        nf,
    ] = line.inputs();
    let unless = |x: Option<f64>| unblended.filter(|_| x.is_none());
    let sp_unused = sp_total.zip(sp_used).map(|(t, u)| t - u);
    out.set([
        amount,
        unblended,
        list,
        unless(list),
        sp_effective,
        unless(sp_effective),
        ri_effective,
        unless(ri_effective),
        sp_unused,
        unless(sp_unused),
        ri_fee,
        ri_upfront,
        nf,
    ]);
}

/// [`CHARGES`] in SQL, for the tests.
#[cfg(test)]
pub(crate) const RAW_GROUPS: &str = "SELECT usage_start, billing_period_start, usage_account_id, payer_account_id, product_code, \
        billing_entity, usage_type, operation, region, instance_type, line_item_type, sp_arn, ri_arn, usage_hours, \
        COALESCE(unblended_cost = 0 AND public_on_demand_cost > 0, false) AS zero_billed_with_list_price, \
        sum(usage_amount) AS usage_amount, \
        sum(unblended_cost) AS unblended, \
        sum(public_on_demand_cost) AS list_cost, \
        sum(unblended_cost) FILTER (WHERE public_on_demand_cost IS NULL) AS unblended_without_list_cost, \
        sum(sp_effective_cost) AS sp_effective, \
        sum(unblended_cost) FILTER (WHERE sp_effective_cost IS NULL) AS unblended_without_sp_effective, \
        sum(ri_effective_cost) AS ri_effective, \
        sum(unblended_cost) FILTER (WHERE ri_effective_cost IS NULL) AS unblended_without_ri_effective, \
        sum(sp_total_commitment - sp_used_commitment) AS sp_unused, \
        sum(unblended_cost) FILTER (WHERE sp_total_commitment IS NULL OR sp_used_commitment IS NULL) AS unblended_without_sp_unused, \
        sum(ri_unused_recurring_fee) AS ri_unused_fee, \
        sum(ri_unused_amortized_upfront) AS ri_unused_upfront, \
        max(normalization_factor) AS nf \
    FROM line_items \
    WHERE line_item_type IS DISTINCT FROM 'SavingsPlanNegation' \
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15";

/// Each group of [`CHARGES`] at its amortized actual cost, by line type
/// (see the module doc).
#[cfg(test)]
const ACTUAL: &str = "CASE line_item_type \
    WHEN 'SavingsPlanCoveredUsage' THEN COALESCE(sp_effective, 0) + COALESCE(unblended_without_sp_effective, 0) \
    WHEN 'DiscountedUsage' THEN COALESCE(ri_effective, 0) + COALESCE(unblended_without_ri_effective, 0) \
    WHEN 'SavingsPlanRecurringFee' THEN COALESCE(sp_unused, 0) + COALESCE(unblended_without_sp_unused, 0) \
    WHEN 'RIFee' THEN COALESCE(ri_unused_fee, 0) + COALESCE(ri_unused_upfront, 0) \
    ELSE unblended END";

#[cfg(test)]
const KIND: &str = "CASE \
    WHEN line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage') THEN 'usage' \
    WHEN line_item_type IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee') THEN 'commitment_fee' \
    ELSE 'other' END";

/// What a group costs at the rates a billing family without commitments
/// pays: the billed (unblended) cost, which already carries Spot prices and
/// volume tiers; for RI-covered usage, billed at zero, the public on-demand
/// cost. (A Savings Plan covered line is billed at on-demand and cancelled
/// by its negation.)
#[cfg(test)]
const PUBLIC: &str = "CASE WHEN line_item_type = 'DiscountedUsage' \
    THEN COALESCE(list_cost, 0) + COALESCE(unblended_without_list_cost, 0) ELSE unblended END";

/// Usage the free tier made free: billed at zero though its public
/// on-demand cost is not. (A line the free tier made partly free stays
/// with the paid usage.)
#[cfg(test)]
const FREE: &str = "(line_item_type = 'Usage' AND zero_billed_with_list_price)";

/// `raw_groups` ([`CHARGES`]) with what the pro forma needs of each: its hour, billing
/// period, kind, class and family (by the view's own
/// [`crate::canonical::classify`]), its costs, and the hours it is spread
/// over (`span`: those its lines span for usage a commitment may cover, else
/// 1; see [`crate::charge_rows`]).
#[cfg(test)]
fn line_costs() -> String {
    format!(
        "SELECT {hour} AS hour, \
                to_char(billing_period_start, '%Y-%m') AS billing_period, \
                COALESCE(usage_account_id, payer_account_id) AS usage_account_id, \
                COALESCE(product_code, '') AS product_code, COALESCE(billing_entity, 'AWS') AS billing_entity, \
                COALESCE(usage_type, '') AS usage_type, COALESCE(operation, '') AS operation, \
                COALESCE(region, '') AS region, COALESCE(family, '') AS family, commitment_class, {KIND} AS kind, \
                {FREE} AS free, \
                CASE WHEN line_item_type IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage') THEN usage_amount ELSE 0 END AS amount, \
                {PUBLIC} AS public_cost, COALESCE(list_cost, 0) AS list_cost, {ACTUAL} AS actual, nf, \
                CASE line_item_type WHEN 'SavingsPlanCoveredUsage' THEN sp_arn WHEN 'DiscountedUsage' THEN ri_arn END AS commitment, \
                CASE WHEN {KIND} = 'usage' AND commitment_class IS NOT NULL AND usage_hours IS NOT NULL \
                     THEN CAST(usage_hours AS BIGINT) ELSE 1 END AS span \
         FROM ({groups}) AS g",
        hour = epoch_hour("usage_start"),
        groups = crate::canonical::classify("SELECT * FROM raw_groups")
    )
}

/// The bill's charge rows and the commitments it holds.
pub type Charges = (Vec<ChargeRow>, Vec<CommitmentRow>);

/// The commitments' fee lines, as the table `commitment_fees` holds them.
pub(crate) const COMMITMENT_FEES_SQL: &str = "SELECT line_item_type, sp_arn, ri_arn, usage_account_id, payer_account_id, product_code, \
         usage_type, operation, region, usage_hour, usage_hours, billing_period, billing_period_start, \
         usage_amount, unblended_cost, sp_offering_type, sp_total_commitment, \
         sp_used_commitment, sp_instance_family, sp_region, \
         ri_amortized_upfront, ri_total_normalized_units, ri_start, ri_end \
     FROM line_items \
     WHERE line_item_type IN ('SavingsPlanRecurringFee', 'RIFee')";

/// SQL for the hour (since the epoch) that time `expr` falls in.
pub(crate) fn epoch_hour(expr: &str) -> String {
    format!("CAST(floor(date_part('epoch', {expr}) / 3600) AS BIGINT)")
}

impl BillingData {
    /// Every line of the bill, summed per hour, account, service, usage
    /// type, operation, region, kind and covering commitment (negations
    /// left out: they carry no amortized cost).
    pub fn charge_rows(&self) -> Result<Vec<ChargeRow>, CurError> {
        Ok(self.charges()?.0)
    }

    /// The bill's rows ([`Self::charge_rows`]) and its commitments
    /// ([`Self::held_commitments`]) from one scan of the usage (and one of
    /// the commitments' fee lines): what each commitment covered comes from
    /// the rows.
    ///
    /// With a [`crate::SummaryCache`], both are read from it when these
    /// files were read before (see [`crate::charges_cache`]), and stored in
    /// it otherwise.
    pub fn charges(&self) -> Result<Charges, CurError> {
        let cache = self
            .cache
            .as_ref()
            .map(|(cache, key)| (cache, crate::charges_cache::key(key)));
        let entry = crate::CacheEntry {
            found: "the export's charges were",
            hit: &self.charges_cached,
            decode: crate::charges_cache::decode,
            encode: |((rows, held), long): &(Charges, LongLines)| {
                let (schema, batch) = crate::charges_cache::encode(rows, held, *long)?;
                Ok((schema, vec![batch]))
            },
        };
        let (charges, long) = entry.through(cache, || self.scan_charges())?;
        // The same files give the same figure: a second read leaves the first.
        let _ = self.charges_long_lines.set(long);
        Ok(charges)
    }

    /// The usage a commitment may cover that came in lines of several
    /// hours (a daily or monthly export's), which the charge rows spread
    /// evenly over them (see [`crate::charge_rows`]): known once
    /// [`Self::charges`] has read the charges, from the export or the cache.
    pub fn charges_long_lines(&self) -> Option<LongLines> {
        self.charges_long_lines.get().copied()
    }

    /// Whether the charges, once read, came from the cache rather than a
    /// scan.
    pub fn charges_were_cached(&self) -> bool {
        self.charges_cached
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// [`Self::charges`] from the export itself, with what was spread.
    fn scan_charges(&self) -> Result<(Charges, LongLines), CurError> {
        let clock = std::time::Instant::now();
        // The fee lines' scan needs nothing from the usage's: both run at once.
        let (rows, fees) = rayon::join(
            || self.rows_and_coverage(),
            || self.ensure_commitment_fees(),
        );
        let (rows, covered, long) = rows?;
        fees?;
        tracing::debug!(
            "charge rows and fee lines: {:.2} s",
            clock.elapsed().as_secs_f64()
        );
        let held = self.commitments_from(&covered)?;
        tracing::debug!("held commitments: {:.2} s", clock.elapsed().as_secs_f64());
        Ok(((rows, held), long))
    }

    /// The bill's rows, from its line groups (see [`crate::charge_rows`]),
    /// what each commitment covered in them, and what was spread.
    fn rows_and_coverage(
        &self,
    ) -> Result<(Vec<ChargeRow>, CoverageByCommitment, LongLines), CurError> {
        let clock = std::time::Instant::now();
        let parts = self.line_groups_of(&CHARGES, "line_items")?;
        tracing::debug!(
            "charge groups: {} groups, {:.3} s",
            parts.iter().map(|p| p.keys.len()).sum::<usize>(),
            clock.elapsed().as_secs_f64()
        );
        let (rows, covered, long) = crate::charge_rows::charge_rows(self, &parts)?;
        tracing::debug!(
            "charge rows: {} rows, {:.3} s",
            rows.len(),
            clock.elapsed().as_secs_f64()
        );
        Ok((rows, by_commitment(covered), long))
    }

    /// The Savings Plans and Reserved Instances the bill shows, oldest
    /// purchase first (then by ARN).
    ///
    /// AWS documents no order among several commitments of one kind that
    /// could cover the same usage. The 2018 workshop bill shows it: of
    /// six size-flexible t2 RIs of one owner, the older ones cover the
    /// owner's instances and the newest spill to the other account, hour
    /// after hour, so the simulator gets them in that order.
    pub fn held_commitments(&self) -> Result<Vec<CommitmentRow>, CurError> {
        Ok(self.charges()?.1)
    }

    fn commitments_from(
        &self,
        covered: &CoverageByCommitment,
    ) -> Result<Vec<CommitmentRow>, CurError> {
        self.ensure_commitment_fees()?;
        let mut out = self.savings_plans(covered)?;
        out.extend(self.reservations(covered)?);
        out.sort_by(|a, b| a.purchased.cmp(&b.purchased).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The commitments' fee lines (a few per commitment and hour), in memory:
    /// one scan for the two queries that read them.
    fn ensure_commitment_fees(&self) -> Result<(), CurError> {
        let sql = COMMITMENT_FEES_SQL;
        // Few lines match: with the filter pushed into the Parquet reader,
        // the other columns are decoded for those lines only.
        self.build_once(&self.commitment_fees, || {
            let clock = std::time::Instant::now();
            self.create_table_with_pushdown("commitment_fees", sql)?;
            tracing::debug!("fee lines scan: {:.2} s", clock.elapsed().as_secs_f64());
            Ok(())
        })
        .map(|_| ())
    }

    /// Savings Plans from their recurring fees; `covered` holds what each
    /// covered, by ARN.
    ///
    /// A plan's fee line of an hourly export is one hour's commitment; one
    /// of a daily or monthly export (Data Exports' `TIME_GRANULARITY`) sums
    /// its day's or month's hours, from `line_item_usage_start_date` to
    /// `line_item_usage_end_date`. So the commitment per hour is the fee
    /// lines' sum over the hours they span (`usage_hours`, see
    /// [`crate::canonical::usage_hours`]), and the plan is held to the last
    /// of those hours: for an hourly export, the average of its lines, as
    /// before.
    fn savings_plans(
        &self,
        covered: &CoverageByCommitment,
    ) -> Result<Vec<CommitmentRow>, CurError> {
        let hours = "COALESCE(CAST(usage_hours AS BIGINT), 1)";
        let per_hour =
            |x: &str| format!("sum({x}) / sum(CASE WHEN {x} IS NOT NULL THEN {hours} END)");
        let sql = format!(
            "SELECT sp_arn, COALESCE(usage_account_id, payer_account_id), COALESCE(sp_offering_type, ''), \
                    COALESCE(product_code, 'ComputeSavingsPlans'), \
                    {commitment}, {fee}, min({hour}), max({hour} + {hours} - 1), \
                    max(sp_instance_family), max(sp_region) \
             FROM commitment_fees WHERE line_item_type = 'SavingsPlanRecurringFee' AND sp_arn IS NOT NULL \
             GROUP BY 1, 2, 3, 4",
            commitment = per_hour("COALESCE(sp_total_commitment, unblended_cost)"),
            fee = per_hour("unblended_cost"),
            hour = epoch_hour("usage_hour")
        );
        let mut out = Vec::new();
        for b in self.query_in_order(&sql)? {
            let c = Columns::read(&b)?;
            for row in 0..b.num_rows() {
                let id = c.text(0, row);
                let covered = covered.get(&id).cloned().unwrap_or_default();
                let kind = match c.text(2, row).as_str() {
                    o if o.contains("EC2Instance") => {
                        let (family, region) = most_covered(&covered)
                            .unwrap_or_else(|| (c.text(8, row), c.text(9, row)));
                        HeldKind::Ec2InstanceSp { family, region }
                    }
                    o if o.contains("SageMaker") => HeldKind::SagemakerSp,
                    _ => HeldKind::ComputeSp,
                };
                let per_hour = c.number(4, row);
                let fee = c.number(5, row);
                out.push(CommitmentRow {
                    id,
                    owner: c.text(1, row),
                    kind,
                    service: c.text(3, row),
                    per_hour,
                    hourly_fee: if fee > 0.0 { fee } else { per_hour },
                    first_hour: c.integer(6, row),
                    last_hour: c.integer(7, row),
                    purchased: c.integer(6, row) * 3600,
                    discounts: covered
                        .iter()
                        .filter(|c| c.public > 0.0)
                        .map(|c| (c.key.clone(), observed_discount(c.effective, c.public)))
                        .collect(),
                });
            }
        }
        Ok(out)
    }

    /// Reserved Instances from their fees; `covered` holds what each covered,
    /// by ARN.
    fn reservations(&self, covered: &CoverageByCommitment) -> Result<Vec<CommitmentRow>, CurError> {
        // Per RI and billing period: its fee, its reserved units and
        // normalized units, and the hours it was held in the period.
        let sql = format!(
            "SELECT ri_arn, COALESCE(usage_account_id, payer_account_id), COALESCE(product_code, ''), billing_period, \
                    COALESCE(usage_type, ''), COALESCE(operation, ''), COALESCE(region, ''), \
                    sum(usage_amount), sum(unblended_cost + COALESCE(ri_amortized_upfront, 0)), sum(COALESCE(ri_total_normalized_units, 0)), \
                    {}, {}, \
                    CAST(ceil(date_part('epoch', max(ri_end)) / 3600) AS BIGINT), \
                    CAST(date_part('epoch', min(ri_start)) AS BIGINT) \
             FROM commitment_fees WHERE line_item_type = 'RIFee' AND ri_arn IS NOT NULL \
             GROUP BY 1, 2, 3, 4, 5, 6, 7",
            epoch_hour("min(billing_period_start)"),
            epoch_hour("min(ri_start)")
        );
        let mut out = Vec::new();
        for b in self.query_in_order(&sql)? {
            let c = Columns::read(&b)?;
            for row in 0..b.num_rows() {
                let id = c.text(0, row);
                let period_start = c.integer(10, row);
                let period_end = period_start + hours_in_period(&c.text(3, row)).max(1);
                // Held from its start (when in this period) to its end.
                let starts = c.is_valid(11, row).then(|| c.integer(11, row));
                let ends = c.is_valid(12, row).then(|| c.integer(12, row));
                let first_hour = starts.map_or(period_start, |s| s.clamp(period_start, period_end));
                let end_hour = ends.map_or(period_end, |e| e.clamp(first_hour, period_end));
                let hours = (end_hour - first_hour).max(1) as f64;
                let (usage_type, operation, region) =
                    (c.text(4, row), c.text(5, row), c.text(6, row));
                let normalized = c.number(9, row);
                let class = match c.text(2, row).as_str() {
                    "AmazonEC2" => Some(CommitmentClass::Ec2),
                    "AmazonRDS" => Some(CommitmentClass::Rds),
                    _ => None,
                };
                let flexible = normalized > 0.0
                    && class.is_some_and(|class| orgpool_model::size_flexible(class, &operation));
                let (key, units) = if flexible {
                    (
                        orgpool_model::flex_reservation_key(
                            family_of(&usage_type),
                            &region,
                            &operation,
                        ),
                        normalized,
                    )
                } else {
                    let key = covered
                        .get(&id)
                        .and_then(|c| c.iter().max_by(|a, b| a.amount.total_cmp(&b.amount)))
                        .map(|c| c.key.clone())
                        .unwrap_or_default();
                    (key, c.number(7, row))
                };
                out.push(CommitmentRow {
                    id,
                    owner: c.text(1, row),
                    kind: HeldKind::Reservation { key },
                    service: c.text(2, row),
                    per_hour: units / hours,
                    hourly_fee: c.number(8, row) / hours,
                    first_hour,
                    last_hour: end_hour - 1,
                    purchased: if c.is_valid(13, row) {
                        c.integer(13, row)
                    } else {
                        first_hour * 3600
                    },
                    discounts: Vec::new(),
                });
            }
        }
        Ok(out)
    }
}

/// What each commitment covered, by its ARN.
type CoverageByCommitment = BTreeMap<String, Vec<Covered>>;

/// [`CoverageByCommitment`] while it is summed: by ARN, then by usage type,
/// operation and region.
pub(crate) type CoverageByKey = BTreeMap<String, BTreeMap<(String, String, String), Covered>>;

/// [`CoverageByKey`] with each commitment's keys in their order.
fn by_commitment(covered: CoverageByKey) -> CoverageByCommitment {
    covered
        .into_iter()
        .map(|(arn, keys)| (arn, keys.into_values().collect()))
        .collect()
}

/// The charge rows of one batch of `tests::charge_rows_sql`'s query, and
/// what each commitment covered in them.
#[cfg(test)]
fn rows_of_batch(
    b: &arrow::array::RecordBatch,
) -> Result<(Vec<ChargeRow>, CoverageByKey), CurError> {
    let c = Columns::read(b)?;
    let mut out = Vec::with_capacity(b.num_rows());
    let mut covered = CoverageByKey::new();
    for row in 0..b.num_rows() {
        let t = |i: usize| c.text(i, row);
        out.push(ChargeRow {
            hour: c.integer(0, row),
            period: t(1).into(),
            account: t(2).into(),
            service: t(3).into(),
            billing_entity: t(4).into(),
            usage_type: t(5).into(),
            operation: t(6).into(),
            region: t(7).into(),
            family: t(8).into(),
            class: CommitmentClass::parse(&t(9)),
            kind: match t(10).as_str() {
                "usage" => ChargeKind::Usage,
                "commitment_fee" => ChargeKind::CommitmentFee,
                _ => ChargeKind::Other,
            },
            free_tier: c.boolean(11, row),
            amount: c.number(12, row),
            public_cost: c.number(13, row),
            actual_cost: c.number(14, row),
            normalization_factor: c.number(15, row),
            paid_tier_cost: c.number(16, row),
        });
        let Some(arn) = c.is_valid(17, row).then(|| c.text(17, row)) else {
            continue;
        };
        let r = out.last().expect("just pushed");
        add_coverage(
            &mut covered,
            &arn,
            [&r.usage_type, &r.operation, &r.region, &r.family],
            [r.actual_cost, c.number(18, row), r.amount],
        );
    }
    Ok((out, covered))
}

/// Adds to `covered` what commitment `arn` covered on one row: of its usage
/// type, operation, region and family, at `effective` cost, `public`
/// on-demand cost and `amount` units.
pub(crate) fn add_coverage(
    covered: &mut CoverageByKey,
    arn: &str,
    [usage_type, operation, region, family]: [&str; 4],
    [effective, public, amount]: [f64; 3],
) {
    let usage = (
        usage_type.to_owned(),
        operation.to_owned(),
        region.to_owned(),
    );
    let c = covered
        .entry(arn.to_owned())
        .or_default()
        .entry(usage)
        .or_insert_with(|| Covered {
            key: format!("{usage_type}|{operation}|{region}"),
            family: family.to_owned(),
            region: region.to_owned(),
            ..Covered::default()
        });
    c.effective += effective;
    c.public += public;
    c.amount += amount;
}

/// What one commitment covered of one usage key (`usage_type|operation|region`):
/// at its effective cost, at the public on-demand cost, in usage units.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Covered {
    key: String,
    effective: f64,
    public: f64,
    amount: f64,
    family: String,
    region: String,
}

#[cfg(test)]
impl Covered {
    /// Adds what `other` covered of the same key.
    fn add(&mut self, other: &Covered) {
        self.effective += other.effective;
        self.public += other.public;
        self.amount += other.amount;
    }
}

/// A discount observed from summed costs, rounded to six decimals: AWS
/// publishes Savings Plans rates to a few significant digits, and summing
/// thousands of lines leaves noise in the last bits that would otherwise
/// break the ties AWS's rules depend on (equal discounts, equal rates).
fn observed_discount(effective: f64, public: f64) -> f64 {
    ((1.0 - effective / public) * 1e6).round() / 1e6
}

/// The (family, region) an EC2 Instance Savings Plan covered most; `None`
/// when it covered nothing (its fee lines' `savings_plan_instance_type_family`
/// and `savings_plan_region` then say, where the data have them: the usage
/// it covered is preferred, as it names the region the way usage lines do).
fn most_covered(covered: &[Covered]) -> Option<(String, String)> {
    covered
        .iter()
        .max_by(|a, b| a.public.total_cmp(&b.public))
        .map(|c| (c.family.clone(), c.region.clone()))
}

/// The instance family of a usage type (`HeavyUsage:t2.micro` → `t2`).
fn family_of(usage_type: &str) -> &str {
    let itype = usage_type.rsplit(':').next().unwrap_or(usage_type);
    orgpool_model::instance_family(itype)
}

/// Hours in a `YYYY-MM` billing period (UTC).
fn hours_in_period(period: &str) -> i64 {
    let Some((y, m)) = period.split_once('-') else {
        return 0;
    };
    let (Ok(y), Ok(m)) = (y.parse::<i32>(), m.parse::<u32>()) else {
        return 0;
    };
    let start = chrono::NaiveDate::from_ymd_opt(y, m, 1);
    let end = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    match (start, end) {
        (Some(s), Some(e)) => (e - s).num_days() * 24,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use orgpool_model::ChargeRow;

    use super::{CHARGES, CoverageByKey, hours_in_period, line_costs, rows_of_batch};
    use crate::BillingData;
    use crate::test_support::{demo_cur, workshop_months};

    /// The SQL the charge rows were first computed by, over the groups in
    /// `raw_groups`: the oracle of [`crate::charge_rows`].
    /// Each group spread evenly over its `span` hours first.
    pub(super) fn charge_rows_sql() -> String {
        format!(
            "SELECT hour + k, billing_period, usage_account_id, product_code, billing_entity, usage_type, operation, \
                    region, family, commitment_class, kind, free, sum(amount / span), sum(public_cost / span), \
                    sum(actual / span), max(nf), \
                    sum(CASE WHEN free THEN list_cost ELSE public_cost END / span), commitment, sum(list_cost / span) \
             FROM (SELECT *, unnest(range(0, span)) AS k FROM ({}) AS c) AS l \
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18",
            line_costs()
        )
    }

    /// Rows by their keys, each key's numbers: a key seen twice fails.
    fn by_key(rows: &[ChargeRow]) -> BTreeMap<String, [f64; 5]> {
        let mut out = BTreeMap::new();
        for r in rows {
            let key = format!(
                "{} {} {} {} {} {} {} {} {} {:?} {:?} {}",
                r.hour,
                r.period,
                r.account,
                r.service,
                r.billing_entity,
                r.usage_type,
                r.operation,
                r.region,
                r.family,
                r.class,
                r.kind,
                r.free_tier
            );
            let numbers = [
                r.amount,
                r.public_cost,
                r.actual_cost,
                r.normalization_factor,
                r.paid_tier_cost,
            ];
            // Rows of one key covered by different commitments are apart.
            let slot: &mut [f64; 5] = out.entry(key).or_insert([0.0; 5]);
            for (s, x) in slot.iter_mut().zip(numbers) {
                *s += x;
            }
        }
        out
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    /// Our rows and coverage equal the SQL's over the same groups.
    fn rows_as_sql_computes_them(inputs: &[String]) {
        let data = BillingData::open(inputs, None).unwrap();
        let parts = data.line_groups_of(&CHARGES, "line_items").unwrap();
        let (ours, our_cover, _) = crate::charge_rows::charge_rows(&data, &parts).unwrap();
        let batches = data
            .with_groups(&CHARGES, "raw_groups", || data.query(&charge_rows_sql()))
            .unwrap();
        let mut sql = Vec::new();
        let mut sql_cover = CoverageByKey::new();
        for b in &batches {
            let (rows, cover) = rows_of_batch(b).unwrap();
            sql.extend(rows);
            for (arn, keys) in cover {
                let mine = sql_cover.entry(arn).or_default();
                for (key, c) in keys {
                    mine.entry(key).and_modify(|o| o.add(&c)).or_insert(c);
                }
            }
        }
        assert!(!ours.is_empty(), "{inputs:?}: rows");
        assert_eq!(ours.len(), sql.len(), "{inputs:?}: as many rows");
        let (ours, sql) = (by_key(&ours), by_key(&sql));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            sql.keys().collect::<Vec<_>>(),
            "{inputs:?}: the same keys"
        );
        for (key, numbers) in &ours {
            let theirs = &sql[key];
            assert!(
                numbers.iter().zip(theirs).all(|(a, b)| close(*a, *b)),
                "{inputs:?} {key}: {numbers:?} vs {theirs:?}"
            );
        }
        assert_eq!(
            our_cover.keys().collect::<Vec<_>>(),
            sql_cover.keys().collect::<Vec<_>>()
        );
        for (arn, keys) in &our_cover {
            for (key, c) in keys {
                let s = &sql_cover[arn][key];
                assert_eq!(
                    (&c.key, &c.family, &c.region),
                    (&s.key, &s.family, &s.region)
                );
                assert!(close(c.effective, s.effective) && close(c.public, s.public));
                assert!(close(c.amount, s.amount), "{arn} {key:?}");
            }
        }
    }

    #[test]
    fn the_demo_exports_charge_rows_are_the_sqls() {
        let dir = tempfile::tempdir().unwrap();
        rows_as_sql_computes_them(&[demo_cur(dir.path(), 8, 2)]);
    }

    #[test]
    fn every_public_files_charge_rows_are_the_sqls() {
        use orgpool_testkit::real_data as real;
        rows_as_sql_computes_them(&workshop_months());
        rows_as_sql_computes_them(&[real("legacy-cur-anonymized-2023-11.csv")]);
        rows_as_sql_computes_them(&[real("focus-1.0-sample.csv")]);
    }

    /// Rows and commitments, bit for bit the same from a fresh read: the
    /// engine's parallel sums must not leak their order into them.
    #[test]
    fn charges_come_out_the_same_run_after_run() {
        let dir = tempfile::tempdir().unwrap();
        // The demo holds Savings Plans; the workshop, Reserved Instances.
        for inputs in [vec![demo_cur(dir.path(), 8, 2)], workshop_months()] {
            let charges = || BillingData::open(&inputs, None).unwrap().charges().unwrap();
            let first = charges();
            assert!(!first.1.is_empty(), "{inputs:?}: commitments held");
            for _ in 0..3 {
                assert!(charges() == first, "{inputs:?}: the same charges");
            }
        }
    }

    #[test]
    fn observed_discounts_lose_summation_noise() {
        assert_eq!(super::observed_discount(0.73 * 1234.5678, 1234.5678), 0.27);
        assert_eq!(super::observed_discount(73.000000000001, 100.0), 0.27);
    }

    #[test]
    fn an_ri_fee_lines_usage_type_names_its_family_as_the_usage_rows_do() {
        for (usage_type, family) in [
            ("HeavyUsage:c4.large", "c4"),
            ("APS2-HeavyUsage:t2.micro", "t2"),
            ("HeavyUsage:db.r5.large", "r5"),
            ("Multi-AZUsage:db.m4.large", "m4"),
            ("HeavyUsage:ml.m5.xlarge", "m5"),
        ] {
            assert_eq!(super::family_of(usage_type), family, "{usage_type}");
        }
    }

    #[test]
    fn a_billing_period_has_its_months_hours() {
        assert_eq!(hours_in_period("2026-02"), 28 * 24);
        assert_eq!(hours_in_period("2024-02"), 29 * 24);
        assert_eq!(hours_in_period("2026-12"), 31 * 24);
        assert_eq!(hours_in_period("nope"), 0);
    }
}
