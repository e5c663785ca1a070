//! Step 2 of the estimate's summary, in our code: from the line groups of
//! [`crate::line_groups::ESTIMATE`] to the [`Summary`], the table `hourly`
//! (see [`schema`]) every question of the estimate reads.
//!
//! A group's commitment class and family are functions of its product,
//! usage type, operation and instance type. Those combinations are few, so
//! the rules ([`crate::canonical::classify`], the one statement of them) run
//! in SQL over the distinct combinations only. A commitment's fee takes the
//! family (and region) of what it covers: an RI's, the family its usage type
//! names; an EC2 Instance Savings Plan's, the family and region its fee line
//! names (`savings_plan_instance_type_family`, `savings_plan_region`).
//! Compute and SageMaker plans span every family, so their fees have none.
//! The groups are then summed
//! again by hour, account, product, class, region, family, line type and
//! commitment terms, here rather than by a second `GROUP BY`:
//! - it takes about half the time of the engine's `GROUP BY` of 12 text
//!   columns (about 0.05 s against 0.1 s at 5 million lines);
//! - it reads the groups as the grouper left them, ids into each key's
//!   distinct values: a text is looked up once per partition, not once per
//!   group;
//! - the sums are taken in one fixed order (the scan's partitions in turn,
//!   each in its own order; the session keeps the partitions as planned, see
//!   `session` in the crate root) and the rows come out in the order their
//!   keys are first seen. So the same export gives the same summary, and the
//!   same estimate, bit for bit, run after run.
//!
//! `queries::summary_sql` (built for tests only) states the same step in SQL;
//! the tests hold this code to it.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Float64Builder, RecordBatch, StringViewArray,
    TimestampNanosecondArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef, TimeUnit};
use rustc_hash::FxHashMap;

use orgpool_model::CommitmentClass;

use crate::line_groups::LineGroups;
use crate::{BillingData, CurError};

/// The summary's text keys, in its column order: the group's own column, or
/// `None` for the two this step derives (class and family).
const TEXT_KEYS: [(&str, Option<&str>); 12] = [
    ("usage_account_id", Some("usage_account_id")),
    ("product_code", Some("product_code")),
    ("commitment_class", None),
    ("region", Some("region")),
    ("family", None),
    ("line_item_type", Some("line_item_type")),
    ("sp_offering_type", Some("sp_offering_type")),
    ("sp_purchase_term", Some("sp_purchase_term")),
    ("sp_payment_option", Some("sp_payment_option")),
    ("lease_contract_length", Some("lease_contract_length")),
    ("purchase_option", Some("purchase_option")),
    ("operation", None),
];

/// Where class, region, family, line type and offering sit in [`TEXT_KEYS`].
const CLASS: usize = 2;
const REGION: usize = 3;
const FAMILY: usize = 4;
const LINE_TYPE: usize = 5;
const SP_OFFERING_TYPE: usize = 6;
/// Where the operation of an RDS line sits in [`TEXT_KEYS`]: the engine and
/// licence a reserved DB instance must match (see
/// [`orgpool_model::size_flexible`]). Null for every other class, whose
/// commitments cover any operation, so their rows stay as few as they were.
const OPERATION: usize = 11;
/// The operation's place in [`RULE_INPUTS`].
const RULE_OPERATION: usize = 2;

/// The columns that name an EC2 Instance Savings Plan's scope, its family
/// then its region, on its fee lines: not keys of the summary, they give an
/// EC2 Instance plan's fee its family and region (see [`summarize`]).
const SCOPE_KEYS: [&str; 2] = ["sp_instance_family", "sp_region"];
/// The offering type of a plan scoped to one family in one region.
const EC2_INSTANCE_SP: &str = "EC2InstanceSavingsPlans";

/// The columns the rules read, in the order of a [`Rule`]'s key.
pub(crate) const RULE_INPUTS: [&str; 4] =
    ["product_code", "usage_type", "operation", "instance_type"];

/// Usage lines: the line types a commitment may cover.
const USAGE_TYPES: [&str; 3] = crate::canonical::USAGE_TYPES;

/// Fee lines are kept whatever their class.
const FEE_TYPES: [&str; 2] = [SP_FEE, RI_FEE];
/// A Savings Plan's hourly fee line.
const SP_FEE: &str = "SavingsPlanRecurringFee";
/// An RI's monthly fee line.
const RI_FEE: &str = "RIFee";

/// Each measure of the summary: its name, and the group sums it adds up.
/// With one part, a null part leaves the sum as it is (null when no group
/// added to it, as SQL's `sum`); with several, a null part counts as 0 and
/// the sum is never null (SQL's `sum(COALESCE(a, 0) + COALESCE(b, 0))`).
const MEASURES: [(&str, &[&str]); 9] = [
    ("unblended", &["unblended"]),
    ("od_or_billed", &["public_cost", "unblended_without_public"]),
    ("sp_effective", &["sp_effective", ""]),
    ("ri_effective", &["ri_effective", ""]),
    ("sp_used", &["sp_used", ""]),
    ("sp_total", &["sp_total", "unblended_without_total"]),
    ("ri_unused", &["ri_unused", ""]),
    ("observed_public", &["observed_public"]),
    (
        "observed_effective",
        &["observed_sp_effective", "observed_ri_effective"],
    ),
];

/// The schema of the table `hourly`.
pub(crate) fn schema() -> SchemaRef {
    let hour = Field::new(
        "usage_hour",
        DataType::Timestamp(TimeUnit::Nanosecond, None),
        true,
    );
    let texts = TEXT_KEYS
        .iter()
        .map(|(name, _)| Field::new(*name, DataType::Utf8View, true));
    let measures = MEASURES
        .iter()
        .map(|(name, parts)| Field::new(*name, DataType::Float64, parts.len() == 1));
    let fields: Vec<Field> = std::iter::once(hour).chain(texts).chain(measures).collect();
    Arc::new(Schema::new(fields))
}

/// Rows per output batch.
const BATCH_ROWS: usize = 8192;

use crate::HOUR_NS;

/// The estimate's hourly summary, in memory: rows of an hour, a
/// combination of [`TEXT_KEYS`]' ids and [`MEASURES`]' values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    /// Per text key, its distinct texts: id `i` is `[i - 1]`, 0 is null.
    texts: Vec<Vec<Box<str>>>,
    /// The rows' combinations of text ids, by number.
    combinations: Vec<Combination>,
    /// Per row, its hour (hours since the epoch, `i64::MIN` when null) and
    /// its combination's number.
    rows: Vec<(i64, u32)>,
    /// `MEASURES.len()` per row.
    measures: Vec<Option<f64>>,
    /// The eligible usage that came in lines of several hours, spread.
    pub(crate) long_lines: LongLines,
}

/// Eligible usage that came in lines of more than an hour (a daily or
/// monthly export's), each spread evenly over its hours by [`summarize`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LongLines {
    /// Its on-demand-equivalent cost (the public cost, else the billed).
    pub on_demand_cost: f64,
    /// The most hours one such line spans (0 when there is none).
    pub longest_hours: u32,
}

/// The schema metadata keys that hold [`LongLines`] in a cached summary.
const LONG_LINES_COST: &str = "long_lines_on_demand_cost";
const LONG_LINES_HOURS: &str = "long_lines_longest_hours";

impl LongLines {
    /// Counts a line (or a group of lines) of `hours` hours, worth
    /// `on_demand_cost` (none: nothing), spread over them.
    pub(crate) fn count(&mut self, hours: u32, on_demand_cost: Option<f64>) {
        self.on_demand_cost += on_demand_cost.unwrap_or(0.0);
        self.longest_hours = self.longest_hours.max(hours);
    }

    /// As schema metadata, for the cache.
    pub(crate) fn to_metadata(self) -> std::collections::HashMap<String, String> {
        std::collections::HashMap::from([
            (LONG_LINES_COST.to_owned(), self.on_demand_cost.to_string()),
            (LONG_LINES_HOURS.to_owned(), self.longest_hours.to_string()),
        ])
    }

    /// The inverse of [`LongLines::to_metadata`].
    pub(crate) fn from_metadata(
        metadata: &std::collections::HashMap<String, String>,
    ) -> Result<Self, String> {
        let get = |k: &str| metadata.get(k).ok_or_else(|| format!("no {k}"));
        Ok(LongLines {
            on_demand_cost: get(LONG_LINES_COST)?.parse().map_err(|e| format!("{e}"))?,
            longest_hours: get(LONG_LINES_HOURS)?.parse().map_err(|e| format!("{e}"))?,
        })
    }
}

/// A summary row's text key, by its place in [`TEXT_KEYS`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key {
    /// `usage_account_id`.
    Account = 0,
    /// `product_code`.
    Product = 1,
    /// `commitment_class`.
    Class = 2,
    /// `region`.
    Region = 3,
    /// `family`.
    Family = 4,
    /// `line_item_type`.
    LineType = 5,
    /// `sp_offering_type`.
    SpOfferingType = 6,
    /// `sp_purchase_term`.
    SpPurchaseTerm = 7,
    /// `sp_payment_option`.
    SpPaymentOption = 8,
    /// `lease_contract_length`.
    LeaseContractLength = 9,
    /// `purchase_option`.
    PurchaseOption = 10,
    /// `operation` (RDS lines only).
    Operation = 11,
}

/// A summary row's measure, by its place in [`MEASURES`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Measure {
    /// `unblended`.
    Unblended = 0,
    /// `od_or_billed`.
    OdOrBilled = 1,
    /// `sp_effective`.
    SpEffective = 2,
    /// `ri_effective`.
    RiEffective = 3,
    /// `sp_used`.
    SpUsed = 4,
    /// `sp_total`.
    SpTotal = 5,
    /// `ri_unused`.
    RiUnused = 6,
    /// `observed_public`.
    ObservedPublic = 7,
    /// `observed_effective`.
    ObservedEffective = 8,
}

/// One row of a [`Summary`].
#[derive(Clone, Copy)]
pub(crate) struct Row<'a> {
    summary: &'a Summary,
    row: usize,
}

impl Row<'_> {
    /// The row's hour, in nanoseconds since the epoch.
    pub(crate) fn hour_ns(&self) -> Option<i64> {
        let hour = self.summary.rows[self.row].0;
        (hour != i64::MIN).then(|| hour * HOUR_NS)
    }

    /// The number of the row's combination of texts.
    pub(crate) fn combination(&self) -> u32 {
        self.summary.rows[self.row].1
    }

    /// A measure, `None` where SQL's would be null.
    pub(crate) fn get(&self, m: Measure) -> Option<f64> {
        self.summary.measures[self.row * MEASURES.len() + m as usize]
    }

    /// A measure, 0 where it is null.
    pub(crate) fn value(&self, m: Measure) -> f64 {
        self.get(m).unwrap_or(0.0)
    }
}

impl Summary {
    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The rows, in order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.rows.len()).map(|row| Row { summary: self, row })
    }

    /// How many distinct combinations of texts the rows have.
    pub(crate) fn combinations(&self) -> usize {
        self.combinations.len()
    }

    /// Text key `key` of combination `combination` (`None` when null).
    pub(crate) fn text(&self, combination: u32, key: Key) -> Option<&str> {
        let id = self.combinations[combination as usize][key as usize];
        (id > 0).then(|| &*self.texts[key as usize][id as usize - 1])
    }

    /// The summary as batches of [`schema`].
    pub(crate) fn to_batches(&self) -> Result<Vec<RecordBatch>, CurError> {
        let engine = |e: arrow::error::ArrowError| CurError::Engine(e.to_string());
        // Each key's distinct texts once; a row takes its text's view.
        let distinct: Vec<StringViewArray> = self
            .texts
            .iter()
            .map(|t| t.iter().map(|v| Some(&**v)).collect())
            .collect();
        let width = MEASURES.len();
        let mut batches = Vec::new();
        for (chunk, first) in self.rows.chunks(BATCH_ROWS).zip((0..).step_by(BATCH_ROWS)) {
            let hours: TimestampNanosecondArray = chunk
                .iter()
                .map(|(h, _)| (*h != i64::MIN).then(|| h * HOUR_NS))
                .collect();
            let mut columns: Vec<ArrayRef> = vec![Arc::new(hours)];
            for (k, values) in distinct.iter().enumerate() {
                let rows: UInt32Array = chunk
                    .iter()
                    .map(|&(_, c)| self.combinations[c as usize][k].checked_sub(1))
                    .collect();
                columns.push(arrow::compute::take(values, &rows, None).map_err(engine)?);
            }
            for m in 0..width {
                let mut b = Float64Builder::with_capacity(chunk.len());
                for row in first..first + chunk.len() {
                    b.append_option(self.measures[row * width + m]);
                }
                columns.push(Arc::new(b.finish()));
            }
            batches.push(RecordBatch::try_new(schema(), columns).map_err(engine)?);
        }
        Ok(batches)
    }

    /// The summary held in `batches` of [`schema`] (as [`Summary::to_batches`]
    /// writes them).
    pub(crate) fn from_batches(batches: &[RecordBatch]) -> Result<Self, CurError> {
        let mut texts: Vec<Texts> = std::iter::repeat_with(Texts::default)
            .take(TEXT_KEYS.len())
            .collect();
        let mut combinations: Numbered<Combination> = Numbered::default();
        let mut rows = Vec::new();
        let mut measures = Vec::new();
        let expected = schema();
        for b in batches {
            if b.schema().fields() != expected.fields() {
                return Err(CurError::Engine(
                    "a stored summary does not have the summary's columns".into(),
                ));
            }
            let hours = b
                .column(0)
                .as_primitive::<arrow::datatypes::TimestampNanosecondType>();
            let columns: Vec<&StringViewArray> = (1..=TEXT_KEYS.len())
                .map(|i| b.column(i).as_string_view())
                .collect();
            let values: Vec<&Float64Array> = (0..MEASURES.len())
                .map(|m| {
                    b.column(1 + TEXT_KEYS.len() + m)
                        .as_primitive::<Float64Type>()
                })
                .collect();
            for row in 0..b.num_rows() {
                let mut combination: Combination = [0; TEXT_KEYS.len()];
                for (k, column) in columns.iter().enumerate() {
                    combination[k] = if column.is_valid(row) {
                        texts[k].intern(column.value(row))
                    } else {
                        0
                    };
                }
                let hour = if hours.is_valid(row) {
                    hours.value(row).div_euclid(HOUR_NS)
                } else {
                    i64::MIN
                };
                rows.push((hour, combinations.id(combination)));
                measures.extend(values.iter().map(|v| v.is_valid(row).then(|| v.value(row))));
            }
        }
        Ok(Summary {
            texts: texts.into_iter().map(|t| t.values).collect(),
            combinations: combinations.keys,
            rows,
            measures,
            long_lines: LongLines::default(),
        })
    }
}

/// Distinct texts of one key, numbered from 1 (0 is null).
#[derive(Default)]
pub(crate) struct Texts {
    ids: FxHashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
}

impl Texts {
    pub(crate) fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        self.values.push(text.into());
        let id = self.values.len() as u32;
        self.ids.insert(text.into(), id);
        id
    }

    /// The ids, in this key's numbering, of `values` numbered from 1 in
    /// another's: `[0]` is null's.
    pub(crate) fn ids_of(&mut self, values: &[Box<str>]) -> Vec<u32> {
        std::iter::once(0)
            .chain(values.iter().map(|v| self.intern(v)))
            .collect()
    }

    pub(crate) fn value(&self, id: u32) -> Option<&str> {
        (id > 0).then(|| &*self.values[id as usize - 1])
    }
}

/// A combination of a summary row's text keys: [`TEXT_KEYS`]' ids. Until
/// class and family are known, the class's place holds the id of the
/// group's [`Rule`] and the family's is 0.
type Combination = [u32; TEXT_KEYS.len()];

/// The ids of a group's [`RULE_INPUTS`].
pub(crate) type Rule = [u32; 4];

/// The ids of a group's [`SCOPE_KEYS`].
type Scope = [u32; 2];

/// What the rules say of a rule key; any of it may be null.
#[derive(Clone, Default)]
pub(crate) struct ClassAndFamily {
    /// The commitment class that may cover its lines.
    pub class: Option<String>,
    /// Its instance family, when some commitment may cover its lines.
    pub family: Option<String>,
    /// The family its instance type names, whatever covers it: an RI fee
    /// line's (see [`crate::canonical::itype_family`]).
    pub named_family: Option<String>,
}

/// Distinct keys numbered from 0 in the order they are first seen.
pub(crate) struct Numbered<K> {
    ids: FxHashMap<K, u32>,
    pub(crate) keys: Vec<K>,
}

impl<K> Default for Numbered<K> {
    fn default() -> Self {
        Numbered {
            ids: FxHashMap::default(),
            keys: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Numbered<K> {
    /// The number of `key`, the next one when it is new.
    pub(crate) fn id(&mut self, key: K) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.ids.insert(key.clone(), id);
        self.keys.push(key);
        id
    }
}

/// Rows keyed by (hour, combination), numbered from 0 in the order they are
/// first seen: through a table indexed by both when the hours span few
/// enough, else by hashing. The groups come hour after hour, so the table
/// is written and read almost in order, where a hash map of 100,000s of rows
/// is read at random, a cache miss per group. The summary's rows (final
/// combinations) and the pro forma's charge rows (row keys) are numbered so.
pub(crate) enum RowIds {
    Table {
        first_hour: i64,
        combinations: usize,
        /// By (hour - first_hour) * combinations + combination; `u32::MAX`
        /// for a row not seen yet.
        ids: Vec<u32>,
        keys: Vec<(i64, u32)>,
    },
    Hashed(Numbered<(i64, u32)>),
}

/// The largest table [`RowIds`] makes (64 MiB of ids).
const MAX_TABLE: usize = 1 << 24;

impl RowIds {
    /// For rows in `hours` (those of every row to come; `i64::MIN` for
    /// none, which only hashing holds) and `combinations` combinations.
    pub(crate) fn spanning(hours: impl Iterator<Item = i64>, combinations: usize) -> Self {
        let (lo, hi) = hours.fold((i64::MAX, i64::MIN), |(lo, hi), h| (lo.min(h), hi.max(h)));
        Self::new(lo, hi, combinations)
    }

    /// For hours from `lo` to `hi` and `combinations` combinations.
    pub(crate) fn new(lo: i64, hi: i64, combinations: usize) -> Self {
        let size = hi
            .checked_sub(lo)
            .and_then(|span| usize::try_from(span).ok())
            .and_then(|span| (span + 1).checked_mul(combinations));
        match size {
            Some(size) if lo != i64::MIN && size <= MAX_TABLE => RowIds::Table {
                first_hour: lo,
                combinations,
                ids: vec![u32::MAX; size],
                keys: Vec::new(),
            },
            _ => RowIds::Hashed(Numbered::default()),
        }
    }

    pub(crate) fn id(&mut self, key: (i64, u32)) -> u32 {
        match self {
            RowIds::Table {
                first_hour,
                combinations,
                ids,
                keys,
            } => {
                let slot = (key.0 - *first_hour) as usize * *combinations + key.1 as usize;
                if ids[slot] == u32::MAX {
                    ids[slot] = keys.len() as u32;
                    keys.push(key);
                }
                ids[slot]
            }
            RowIds::Hashed(numbered) => numbered.id(key),
        }
    }

    pub(crate) fn into_keys(self) -> Vec<(i64, u32)> {
        match self {
            RowIds::Table { keys, .. } => keys,
            RowIds::Hashed(numbered) => numbered.keys,
        }
    }
}

/// The hour of a time in nanoseconds (`i64::MIN` when null), in hours since
/// the epoch.
fn hour_of(time: Option<i64>) -> i64 {
    time.map_or(i64::MIN, |t| t.div_euclid(HOUR_NS))
}

/// The hours a group at `hour` whose lines span `span` hours counts in: a
/// group of no hour (`i64::MIN`) in that one alone.
pub(crate) fn hours_of(hour: i64, span: u32) -> std::ops::Range<i64> {
    let span = if hour == i64::MIN { 1 } else { i64::from(span) };
    hour..hour.saturating_add(span)
}

/// Where a part of a measure comes from: the group output of that name.
fn part_outputs(groups: &LineGroups) -> Result<Vec<Vec<Option<usize>>>, CurError> {
    MEASURES
        .iter()
        .map(|(_, parts)| {
            parts
                .iter()
                .map(|p| {
                    if p.is_empty() {
                        return Ok(None);
                    }
                    groups
                        .layout
                        .outputs
                        .iter()
                        .position(|o| o == p)
                        .map(Some)
                        .ok_or_else(|| CurError::Engine(format!("the line groups have no {p}")))
                })
                .collect()
        })
        .collect()
}

/// The groups' combinations, numbered across partitions: each partition's
/// combinations' numbers, with the rules found.
struct Read {
    texts: Vec<Texts>,
    rule_texts: Vec<Texts>,
    scope_texts: Vec<Texts>,
    rules: Numbered<Rule>,
    /// A combination with the scope its fee lines name.
    combinations: Numbered<(Combination, Scope)>,
    /// Per partition, per combination of its groups, its number.
    numbers: Vec<Vec<u32>>,
    /// Per partition, per combination of its groups, the hours its lines
    /// span (1 for a line of an hour or less).
    spans: Vec<Vec<u32>>,
}

/// Numbers the partitions' combinations, in their order.
fn read(parts: &[LineGroups]) -> Result<Read, CurError> {
    let mut r = Read {
        texts: std::iter::repeat_with(Texts::default)
            .take(TEXT_KEYS.len())
            .collect(),
        rule_texts: std::iter::repeat_with(Texts::default).take(4).collect(),
        scope_texts: std::iter::repeat_with(Texts::default).take(2).collect(),
        rules: Numbered::default(),
        combinations: Numbered::default(),
        numbers: Vec::new(),
        spans: Vec::new(),
    };
    for part in parts {
        // Per key: its place in the part's combinations, and the part's ids
        // in the summary's numbering.
        let mut own = Vec::new();
        for (k, (_, from)) in TEXT_KEYS.iter().enumerate() {
            if let Some(name) = from {
                let (slot, values) = part.text_key(name).ok_or_else(|| missing_column(name))?;
                own.push((k, slot, r.texts[k].ids_of(values)));
            }
        }
        let rule_inputs = key_ids(part, &RULE_INPUTS, &mut r.rule_texts)?;
        let scope_keys = key_ids(part, &SCOPE_KEYS, &mut r.scope_texts)?;
        let numbers = part
            .combinations
            .iter()
            .map(|c| {
                let mut combination: Combination = [0; TEXT_KEYS.len()];
                for (k, slot, ids) in &own {
                    combination[*k] = ids[c[*slot] as usize];
                }
                combination[CLASS] = r.rules.id(ids_in(c, &rule_inputs));
                r.combinations.id((combination, ids_in(c, &scope_keys)))
            })
            .collect();
        r.numbers.push(numbers);
        r.spans.push(spans_of(part)?);
    }
    Ok(r)
}

/// Per combination of `part`'s groups, the hours its lines span (see
/// [`LineGroups::span_key`]): 1 for a line of an hour or less.
pub(crate) fn spans_of(part: &LineGroups) -> Result<Vec<u32>, CurError> {
    let (slot, hours) = part
        .span_key()
        .ok_or_else(|| CurError::Engine("the line groups keep no span".into()))?;
    Ok(part
        .combinations
        .iter()
        .map(|c| match c[slot] {
            0 => 1,
            id => hours[id as usize - 1].max(1),
        })
        .collect())
}

/// Per key of `names`: its place in `part`'s combinations, and `part`'s ids
/// of it in the numbering of `texts` (one per name).
fn key_ids(
    part: &LineGroups,
    names: &[&str],
    texts: &mut [Texts],
) -> Result<Vec<(usize, Vec<u32>)>, CurError> {
    names
        .iter()
        .zip(texts)
        .map(|(name, texts)| {
            let (slot, values) = part.text_key(name).ok_or_else(|| missing_column(name))?;
            Ok((slot, texts.ids_of(values)))
        })
        .collect()
}

/// The error for a key the line groups lack (a layout and this step disagree).
fn missing_column(name: &str) -> CurError {
    CurError::Engine(format!("the line groups have no column {name}"))
}

/// The ids a group's combination `c` has for `keys` (see [`key_ids`]).
fn ids_in<const N: usize>(
    c: &crate::line_groups::Combination,
    keys: &[(usize, Vec<u32>)],
) -> [u32; N] {
    std::array::from_fn(|i| keys[i].1[c[keys[i].0] as usize])
}

/// The [`Summary`] of the line groups of the scan's partitions, in their
/// order.
pub(crate) fn summarize(data: &BillingData, parts: &[LineGroups]) -> Result<Summary, CurError> {
    let Read {
        mut texts,
        rule_texts,
        scope_texts,
        rules,
        combinations,
        numbers,
        mut spans,
    } = read(parts)?;
    let classes = classify(data, &rules.keys, &rule_texts)?;
    // Each combination's final one, with class and family, or `None` for
    // lines no commitment covers that are no fee either.
    let fee_ids: Vec<u32> = FEE_TYPES
        .iter()
        .filter_map(|t| texts[LINE_TYPE].ids.get(*t).copied())
        .collect();
    let ri_fee_id = texts[LINE_TYPE].ids.get(RI_FEE).copied();
    let sp_fee_id = texts[LINE_TYPE].ids.get(SP_FEE).copied();
    let instance_sp_id = texts[SP_OFFERING_TYPE].ids.get(EC2_INSTANCE_SP).copied();
    let mut finals: Numbered<Combination> = Numbered::default();
    let final_of: Vec<Option<u32>> = combinations
        .keys
        .iter()
        .map(|&(c, scope)| {
            let rule = rules.keys[c[CLASS] as usize];
            let classified = &classes[c[CLASS] as usize];
            let class = &classified.class;
            if class.is_none() && !fee_ids.contains(&c[LINE_TYPE]) {
                return None;
            }
            let mut c = c;
            let mut id = |k: usize, t: Option<&str>| t.map_or(0, |t| texts[k].intern(t));
            c[CLASS] = id(CLASS, class.as_deref());
            if class.as_deref() == Some(CommitmentClass::Rds.as_str()) {
                c[OPERATION] = id(
                    OPERATION,
                    rule_texts[RULE_OPERATION].value(rule[RULE_OPERATION]),
                );
            }
            // An RI's fee line keeps the family its usage type names, and
            // an EC2 Instance Savings Plan's fee line the family and region
            // of the plan, so the posture can place each commitment's fee in
            // its family and region.
            let scoped_sp = Some(c[LINE_TYPE]) == sp_fee_id
                && instance_sp_id.is_some_and(|o| c[SP_OFFERING_TYPE] == o)
                && scope[0] > 0;
            c[FAMILY] = if scoped_sp {
                id(FAMILY, scope_texts[0].value(scope[0]))
            } else if Some(c[LINE_TYPE]) == ri_fee_id {
                id(FAMILY, classified.named_family.as_deref())
            } else {
                id(FAMILY, classified.family.as_deref())
            };
            if scoped_sp {
                c[REGION] = id(REGION, scope_texts[1].value(scope[1]));
            }
            Some(finals.id(c))
        })
        .collect();
    // An RI's fee line is its month's whatever it spans: the questions
    // take the share of it their window holds (`queries::ri_fee_share`).
    for (spans, numbers) in spans.iter_mut().zip(&numbers) {
        for (span, &n) in spans.iter_mut().zip(numbers) {
            if ri_fee_id.is_some_and(|id| combinations.keys[n as usize].0[LINE_TYPE] == id) {
                *span = 1;
            }
        }
    }
    // The hours the kept groups span, first and last.
    let kept_hours =
        parts
            .iter()
            .zip(numbers.iter().zip(&spans))
            .flat_map(|(part, (numbers, spans))| {
                part.keys
                    .iter()
                    .filter(|(_, c)| final_of[numbers[*c as usize] as usize].is_some())
                    .flat_map(|&(t, c)| {
                        let hours = hours_of(hour_of(part.time(0, t)), spans[c as usize]);
                        [hours.start, hours.end - 1]
                    })
            });
    // The summary's rows, in the order they are first seen, and their sums.
    let mut keys = RowIds::spanning(kept_hours, finals.keys.len());
    let mut sums: Vec<Option<f64>> = Vec::new();
    let mut long_lines = LongLines::default();
    let usage_ids: Vec<u32> = USAGE_TYPES
        .iter()
        .filter_map(|t| texts[LINE_TYPE].ids.get(*t).copied())
        .collect();
    for (part, (numbers, spans)) in parts.iter().zip(numbers.iter().zip(&spans)) {
        let outputs = part_outputs(part)?;
        for (group, &(time, c)) in part.keys.iter().enumerate() {
            let Some(combination) = final_of[numbers[c as usize] as usize] else {
                continue;
            };
            // A line of several hours counts evenly in each of them.
            let hours = hours_of(hour_of(part.time(0, time)), spans[c as usize]);
            let span = (hours.end - hours.start) as u32;
            let final_combination = &finals.keys[combination as usize];
            if span > 1
                && final_combination[CLASS] > 0
                && usage_ids.contains(&final_combination[LINE_TYPE])
            {
                let mut cost = None;
                add_parts(&mut cost, &outputs[Measure::OdOrBilled as usize], |o| {
                    part.output(group, o)
                });
                long_lines.count(span, cost);
            }
            for h in hours {
                let row = keys.id((h, combination)) as usize;
                if sums.len() <= row * MEASURES.len() {
                    sums.extend(
                        MEASURES
                            .iter()
                            .map(|(_, parts)| (parts.len() > 1).then_some(0.0)),
                    );
                }
                let sums = &mut sums[row * MEASURES.len()..][..MEASURES.len()];
                for (sum, parts) in sums.iter_mut().zip(&outputs) {
                    add_parts(sum, parts, |o| {
                        part.output(group, o).map(|x| x / f64::from(span))
                    });
                }
            }
        }
    }
    Ok(Summary {
        texts: texts.into_iter().map(|t| t.values).collect(),
        combinations: finals.keys,
        rows: keys.into_keys(),
        measures: sums,
        long_lines,
    })
}

/// Adds one group's parts of a measure to its sum: `output` gives the
/// group's outputs by place.
fn add_parts(
    sum: &mut Option<f64>,
    parts: &[Option<usize>],
    output: impl Fn(usize) -> Option<f64>,
) {
    if let [Some(only)] = parts {
        if let Some(x) = output(*only) {
            *sum = Some(sum.unwrap_or(0.0) + x);
        }
        return;
    }
    let total: f64 = parts
        .iter()
        .flatten()
        .map(|&p| output(p).unwrap_or(0.0))
        .sum();
    *sum = Some(sum.unwrap_or(0.0) + total);
}

/// Class and family of each rule key, by [`crate::canonical::classify`]
/// run over the distinct keys.
pub(crate) fn classify(
    data: &BillingData,
    rule_keys: &[Rule],
    texts: &[Texts],
) -> Result<Vec<ClassAndFamily>, CurError> {
    let mut out = vec![ClassAndFamily::default(); rule_keys.len()];
    if rule_keys.is_empty() {
        return Ok(out);
    }
    let index: UInt32Array = (0..rule_keys.len() as u32).collect();
    let mut columns: Vec<ArrayRef> = vec![Arc::new(index)];
    for (i, t) in texts.iter().enumerate() {
        let column: StringViewArray = rule_keys.iter().map(|k| t.value(k[i])).collect();
        columns.push(Arc::new(column));
    }
    let fields: Vec<Field> = std::iter::once(Field::new("i", DataType::UInt32, false))
        .chain(
            RULE_INPUTS
                .iter()
                .map(|n| Field::new(*n, DataType::Utf8View, true)),
        )
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| CurError::Engine(e.to_string()))?;
    let sql = format!(
        "SELECT i, commitment_class, family, {} FROM ({})",
        crate::canonical::itype_family("itype"),
        crate::canonical::classify("SELECT * FROM summary_rule_inputs")
    );
    let result = data.with_table("summary_rule_inputs", batch, || data.query(&sql))?;
    for b in result {
        let c = crate::batch::Columns::read(&b)?;
        for row in 0..b.num_rows() {
            let i = c.number(0, row) as usize;
            if let Some(slot) = out.get_mut(i) {
                let text = |i: usize| c.str(i, row).map(str::to_owned);
                *slot = ClassAndFamily {
                    class: text(1),
                    family: text(2),
                    named_family: text(3),
                };
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use arrow::array::RecordBatch;

    use super::{MAX_TABLE, MEASURES, RowIds, TEXT_KEYS, summarize};
    use crate::BillingData;
    use crate::batch::Columns;
    use crate::line_groups::ESTIMATE;
    use crate::test_support::{Sums, assert_same_sums, demo_cur, workshop_months};

    /// Summary rows keyed by their 12 keys as text. A key seen twice would be
    /// a defect of either side, so it fails the test.
    fn by_key(batches: &[RecordBatch]) -> Sums {
        let keys = 1 + TEXT_KEYS.len();
        let mut out = Sums::new();
        for b in batches {
            let c = Columns::read(b).unwrap();
            for row in 0..b.num_rows() {
                let mut key = vec![c.micros(0, row).map_or("null".into(), |t| t.to_string())];
                key.extend((1..keys).map(|i| c.str(i, row).unwrap_or("\u{0}null").to_owned()));
                let sums = (0..MEASURES.len())
                    .map(|m| c.is_valid(keys + m, row).then(|| c.number(keys + m, row)))
                    .collect();
                assert!(out.insert(key.join("|"), sums).is_none(), "a key twice");
            }
        }
        out
    }

    /// [`summarize`] over `inputs`' line groups equals `queries::summary_sql`
    /// over the same groups: the same rows, the same sums to rounding, null
    /// where SQL's is. Returns how many rows.
    fn same_as_sql(inputs: &[String]) -> usize {
        let data = BillingData::open(inputs, None).unwrap();
        let groups = data.line_groups_of(&ESTIMATE, "line_items").unwrap();
        let summary = summarize(&data, &groups).unwrap();
        let ours = summary.to_batches().unwrap();
        assert!(ours.iter().all(|b| b.schema() == super::schema()));
        // The batches read back as the same summary.
        assert_eq!(
            super::Summary::from_batches(&ours)
                .unwrap()
                .to_batches()
                .unwrap(),
            ours
        );
        let sql = data
            .with_groups(&ESTIMATE, "hourly_lines", || {
                data.query(&crate::queries::summary_sql())
            })
            .unwrap();
        let (ours, sql) = (by_key(&ours), by_key(&sql));
        assert_same_sums(&ours, &sql, |m| MEASURES[m].0, &format!("{inputs:?}"));
        ours.len()
    }

    #[test]
    fn the_demo_exports_summary_equals_its_sql_statement() {
        let dir = tempfile::tempdir().unwrap();
        assert!(same_as_sql(&[demo_cur(dir.path(), 8, 2)]) > 100);
    }

    #[test]
    fn every_public_files_summary_equals_its_sql_statement() {
        use orgpool_testkit::real_data as real;
        let workshop = same_as_sql(&workshop_months());
        assert!(workshop > 0);
        // No product a commitment covers, and no fee: an empty summary.
        assert_eq!(same_as_sql(&[real("legacy-cur-anonymized-2023-11.csv")]), 0);
        assert!(same_as_sql(&[real("focus-1.0-sample.csv")]) > 0);
    }

    /// The eligible usage's on-demand-equivalent cost in `summary`.
    fn eligible_usage_cost(summary: &super::Summary) -> f64 {
        use super::{Key, Measure};
        summary
            .rows()
            .filter(|r| {
                let c = r.combination();
                summary.text(c, Key::Class).is_some()
                    && summary
                        .text(c, Key::LineType)
                        .is_some_and(|t| super::USAGE_TYPES.contains(&t))
            })
            .map(|r| r.value(Measure::OdOrBilled))
            .sum()
    }

    /// An export at daily granularity (the workshop months, each line moved
    /// to its whole day, RI fee lines as they are): each line is spread
    /// evenly over its 24 hours as `queries::summary_sql` spreads it, the
    /// totals stay the hourly export's, and the summary says how much
    /// eligible usage it spread and over how many hours at most.
    #[test]
    fn a_daily_exports_summary_spreads_each_line_over_its_hours_as_its_sql_statement() {
        let dir = tempfile::tempdir().unwrap();
        let daily = dir.path().join("daily.parquet");
        let months = workshop_months()
            .iter()
            .map(|m| format!("'{m}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let months = format!("read_parquet([{months}], union_by_name = true)");
        orgpool_testkit::duckdb_execute(&format!(
            "COPY (SELECT * REPLACE (date_trunc('day', line_item_usage_start_date) AS line_item_usage_start_date, \
                     date_trunc('day', line_item_usage_start_date) + INTERVAL 1 DAY AS line_item_usage_end_date) \
                   FROM {months} WHERE line_item_line_item_type <> 'RIFee' \
                   UNION ALL BY NAME SELECT * FROM {months} WHERE line_item_line_item_type = 'RIFee') \
             TO '{}' (FORMAT parquet)",
            daily.display()
        ));
        let daily = daily.to_string_lossy().into_owned();
        assert!(same_as_sql(std::slice::from_ref(&daily)) > 0);

        let summary_of = |inputs: &[String]| {
            let data = BillingData::open(inputs, None).unwrap();
            let groups = data.line_groups_of(&ESTIMATE, "line_items").unwrap();
            summarize(&data, &groups).unwrap()
        };
        let (by_day, by_hour) = (summary_of(&[daily]), summary_of(&workshop_months()));
        let (spread, hourly) = (eligible_usage_cost(&by_day), eligible_usage_cost(&by_hour));
        assert!(
            hourly > 0.0 && (spread - hourly).abs() < 1e-6 * hourly,
            "{spread} against {hourly}"
        );
        assert_eq!(by_day.long_lines.longest_hours, 24);
        let told = by_day.long_lines.on_demand_cost;
        assert!(
            (told - hourly).abs() < 1e-6 * hourly,
            "{told} against {hourly}"
        );
        // The hourly export's eligible lines are all of an hour.
        assert_eq!(by_hour.long_lines, super::LongLines::default());
    }

    /// Two reads of the same export give the same summary, bit for bit and
    /// row for row: the scan's partitions read the files as planned (no
    /// work stealing) and the sums are taken in their order.
    #[test]
    fn the_same_export_gives_the_same_summary_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let input = [demo_cur(dir.path(), 12, 3)];
        let summary = || {
            let data = BillingData::open(&input, None).unwrap();
            // Files this small are not split between partitions, so work
            // stealing could not show here: the setting is checked itself.
            // (`bench/estimate_vs_duckdb.sh` compares whole estimates over
            // 5 million lines, whose files are split.)
            let options = data.ctx.state().config().options().clone();
            assert!(!options.execution.enable_file_stream_work_stealing);
            let groups = data.line_groups_of(&ESTIMATE, "line_items").unwrap();
            assert!(groups.len() > 1, "several partitions");
            summarize(&data, &groups).unwrap().to_batches().unwrap()
        };
        let first = summary();
        for _ in 0..4 {
            let again = summary();
            assert_eq!(again.len(), first.len());
            for (a, b) in again.iter().zip(&first) {
                assert_eq!(a, b);
            }
        }
    }

    /// The table and the hash number rows alike: from 0, in the order first
    /// seen, a repeated key its first number. A span of hours too wide for
    /// the table (a group without a time, in hour 0, beside 2026's) falls
    /// back to the hash.
    #[test]
    fn row_ids_by_table_and_by_hash_number_rows_alike() {
        let keys: Vec<(i64, u32)> = (0..500)
            .map(|i: i64| (1_000 + (i * 7) % 13, (i * 5 % 11) as u32))
            .collect();
        let number = |mut ids: RowIds| -> (Vec<u32>, Vec<(i64, u32)>) {
            let numbers = keys.iter().map(|&k| ids.id(k)).collect();
            (numbers, ids.into_keys())
        };
        let table = RowIds::new(1_000, 1_012, 11);
        assert!(matches!(table, RowIds::Table { .. }));
        let hashed = RowIds::new(i64::MIN, 1_012, 11);
        assert!(matches!(hashed, RowIds::Hashed(_)));
        let (by_table, table_keys) = number(table);
        let (by_hash, hash_keys) = number(hashed);
        assert_eq!(by_table, by_hash);
        assert_eq!(table_keys, hash_keys);
        let mut first_seen: Vec<(i64, u32)> = Vec::new();
        for k in &keys {
            if !first_seen.contains(k) {
                first_seen.push(*k);
            }
        }
        assert_eq!(table_keys, first_seen);
        for (k, n) in keys.iter().zip(&by_table) {
            assert_eq!(&table_keys[*n as usize], k);
        }
        let untimed = 2026 * 365 * 24 / 4;
        assert!((untimed as usize) * 11 > MAX_TABLE);
        assert!(matches!(RowIds::new(0, untimed, 11), RowIds::Hashed(_)));
    }
}
