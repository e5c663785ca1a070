//! The estimate's one scan of the export, grouped in our own code.
//!
//! DataFusion reads and maps the lines (the view `line_items`, so every
//! format is read the same way); this module keeps those that may matter to
//! a commitment and sums them by 13 text and time keys. A general group-by
//! hashes and compares each line's keys as values. Here:
//! - each key column is turned into small integer ids. A string view that
//!   repeats is looked up once, not once per line: the Parquet reader points
//!   every copy of a dictionary value at the same bytes, so equal values in a
//!   batch have equal views;
//! - a line is kept or dropped by its line type's and product's ids, each
//!   tested once;
//! - the 12 text ids of a line name a combination (an account's product and
//!   usage type…: few of them), and a group is a (time, combination) pair.
//!
//! At 5 million lines this halves the summary's time against DataFusion's
//! `GROUP BY` of the same columns (see `bench/README.md`).
//!
//! `queries::summary_scan_sql` (built for tests only) states the same
//! grouping in SQL; the tests hold this code to it.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, Float64Array, RecordBatch,
    StringViewArray, StringViewBuilder, TimestampNanosecondArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, Float64Type, Int32Type, Schema, SchemaRef, TimeUnit};
use rustc_hash::FxHashMap;

use crate::CurError;

/// A condition on a line's inputs.
pub(crate) type LineTest = fn(&[Option<f64>]) -> bool;

/// At most this many keys besides the group's time.
const MAX_KEYS: usize = 16;

/// What a grouping reads, keeps and sums. Its scan ([`Layout::scan_sql`])
/// returns `times`, `texts`, then `inputs`; its groups ([`Grouper::finish`])
/// have `times`, `texts`, the flag if any, then `outputs`.
pub(crate) struct Layout {
    /// Time keys; the first is each group's own time.
    pub times: &'static [&'static str],
    /// Text keys.
    pub texts: &'static [&'static str],
    /// A true/false key worked out from a line's inputs, with its name.
    pub flag: Option<(&'static str, LineTest)>,
    /// The numbers read from each line.
    pub inputs: &'static [&'static str],
    /// What each group keeps: a sum, or with [`Layout::max_outputs`] a maximum.
    pub outputs: &'static [&'static str],
    /// A bit per output that is a maximum rather than a sum.
    pub max_outputs: u32,
    /// What one line adds to each output (`None`: nothing, as SQL's `sum`
    /// skips a null or a line its `FILTER` leaves out).
    pub terms: fn(&[Option<f64>], &mut [Option<f64>]),
    /// Which lines count.
    pub keep: Keep,
}

/// Which lines a grouping keeps.
pub(crate) enum Keep {
    /// Commitment fee lines, and usage lines of a product a commitment may
    /// cover.
    CommitmentRelevant,
    /// Every line whose `line_item_type` is not this (null is kept).
    AllBut(&'static str),
}

/// Commitment fee lines: every one is kept.
const FEE_TYPES: [&str; 2] = ["SavingsPlanRecurringFee", "RIFee"];
/// Usage lines: kept when their product is one a commitment may cover.
const USAGE_TYPES: [&str; 3] = ["Usage", "SavingsPlanCoveredUsage", "DiscountedUsage"];

impl Layout {
    /// The SQL whose result [`Grouper`] groups: every line of `table` (a view
    /// with the canonical columns), with the keys then the inputs. It has no
    /// `WHERE`: the grouper drops the lines it does not keep by their ids,
    /// which costs less than having the engine copy those it keeps.
    pub(crate) fn scan_sql(&self, table: &str) -> String {
        let columns: Vec<&str> = [self.times, self.texts, self.inputs].concat();
        format!("SELECT {} FROM {table}", columns.join(", "))
    }

    /// The lines [`Layout::keep`] keeps, as SQL.
    #[cfg(test)]
    pub(crate) fn kept_lines_sql(&self) -> String {
        let list = crate::canonical::sql_list;
        match self.keep {
            Keep::CommitmentRelevant => format!(
                "line_item_type IN ({}) OR (line_item_type IN ({}) AND {})",
                list(&FEE_TYPES),
                list(&USAGE_TYPES),
                crate::canonical::may_be_eligible()
            ),
            Keep::AllBut(t) => format!("line_item_type IS DISTINCT FROM '{t}'"),
        }
    }

    /// The schema of [`Grouper::finish`]'s batches.
    pub(crate) fn output_schema(&self) -> SchemaRef {
        let times = self.times.iter().map(|n| Field::new(*n, time_type(), true));
        let texts = self
            .texts
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8View, true));
        let flag = self
            .flag
            .iter()
            .map(|(n, _)| Field::new(*n, DataType::Boolean, false));
        let outputs = self
            .outputs
            .iter()
            .map(|n| Field::new(*n, DataType::Float64, true));
        let fields: Vec<Field> = times.chain(texts).chain(flag).chain(outputs).collect();
        Arc::new(Schema::new(fields))
    }

    fn text_index(&self, name: &str) -> usize {
        self.texts
            .iter()
            .position(|t| *t == name)
            .unwrap_or_else(|| panic!("a layout that keeps lines by {name} must group by it"))
    }
}

/// Distinct values of one key column, numbered from 1 (0 is null).
#[derive(Default)]
struct TextIds {
    ids: FxHashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
    /// This batch's views already seen: a view names its bytes within one
    /// batch only, so this is cleared for each batch.
    by_view: FxHashMap<u128, u32>,
    /// The last dictionary's values, and the id of each. The Parquet reader
    /// gives every batch of a column chunk the same values array, so this
    /// is worked out once per chunk. (Holding the array keeps its address
    /// from being reused by another.)
    dictionary: Option<(ArrayRef, Vec<u32>)>,
}

impl TextIds {
    fn id_of(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        self.values.push(text.into());
        let id = self.values.len() as u32;
        self.ids.insert(text.into(), id);
        id
    }

    /// The id of each row of `column`, text of any kind, written into `out`.
    fn ids_of_text(&mut self, column: &ArrayRef, out: &mut Vec<u32>) -> Result<(), CurError> {
        if let Some(dictionary) = column.as_dictionary_opt::<Int32Type>() {
            return self.ids_of_dictionary(dictionary, out);
        }
        let column = cast(column, &DataType::Utf8View)?;
        self.ids_of(column.as_string_view(), out);
        Ok(())
    }

    /// The id of each row of a dictionary-encoded `column`: its key's.
    fn ids_of_dictionary(
        &mut self,
        column: &DictionaryArray<Int32Type>,
        out: &mut Vec<u32>,
    ) -> Result<(), CurError> {
        let values = column.values();
        let known =
            matches!(&self.dictionary, Some((v, _)) if v.to_data().ptr_eq(&values.to_data()));
        if !known {
            let texts = cast(values, &DataType::Utf8)?;
            let texts = texts.as_string::<i32>();
            let ids = (0..texts.len())
                .map(|i| {
                    if texts.is_valid(i) {
                        self.id_of(texts.value(i))
                    } else {
                        0
                    }
                })
                .collect();
            self.dictionary = Some((Arc::clone(values), ids));
        }
        let Some((_, ids)) = &self.dictionary else {
            unreachable!("set above")
        };
        // A null line's key may be anything: it reads as null (0).
        let id = |key: &i32| usize::try_from(*key).ok().and_then(|k| ids.get(k)).copied();
        out.clear();
        match column.nulls() {
            None => out.extend(column.keys().values().iter().map(|k| id(k).unwrap_or(0))),
            Some(nulls) => out.extend(column.keys().values().iter().enumerate().map(|(row, k)| {
                if nulls.is_null(row) {
                    0
                } else {
                    id(k).unwrap_or(0)
                }
            })),
        }
        Ok(())
    }

    /// The id of each row of `column`, written into `out`.
    fn ids_of(&mut self, column: &StringViewArray, out: &mut Vec<u32>) {
        if column.null_count() == column.len() {
            out.clear();
            out.resize(column.len(), 0);
            return;
        }
        self.by_view.clear();
        number_rows(column.views(), column.nulls(), out, |row, view| {
            if let Some(&id) = self.by_view.get(&view) {
                return id;
            }
            let id = self.id_of(column.value(row));
            self.by_view.insert(view, id);
            id
        });
    }
}

/// Writes into `out` an id for each row of a column, whose keys are `keys`:
/// 0 for a null, the last row's id when its key repeats, else `lookup(row, key)`.
fn number_rows<K: Copy + PartialEq>(
    keys: &[K],
    nulls: Option<&NullBuffer>,
    out: &mut Vec<u32>,
    mut lookup: impl FnMut(usize, K) -> u32,
) {
    out.clear();
    let mut last: Option<(K, u32)> = None;
    for (row, &key) in keys.iter().enumerate() {
        if nulls.is_some_and(|n| n.is_null(row)) {
            out.push(0);
            continue;
        }
        let id = match last {
            Some((k, id)) if k == key => id,
            _ => {
                let id = lookup(row, key);
                last = Some((key, id));
                id
            }
        };
        out.push(id);
    }
}

/// Whether each id of a [`TextIds`] is one of some values, worked out once
/// per id.
struct IdTest {
    values: Vec<&'static str>,
    /// Whether the test is "not one of them" (a null is then not one of them).
    negated: bool,
    /// By id; index 0 is null.
    known: Vec<bool>,
}

impl IdTest {
    /// One of `values`.
    fn any_of(values: Vec<&'static str>) -> Self {
        IdTest {
            values,
            negated: false,
            known: vec![false],
        }
    }

    /// Not one of `values`, null included, as SQL's `IS DISTINCT FROM`.
    fn none_of(values: Vec<&'static str>) -> Self {
        IdTest {
            values,
            negated: true,
            known: vec![true],
        }
    }

    fn update(&mut self, ids: &TextIds) {
        for v in &ids.values[self.known.len() - 1..] {
            self.known.push(self.values.contains(&&**v) != self.negated);
        }
    }

    fn holds(&self, id: u32) -> bool {
        self.known[id as usize]
    }
}

/// Distinct times, numbered from 1 (0 is null).
#[derive(Default)]
struct TimeIds {
    ids: FxHashMap<i64, u32>,
    values: Vec<i64>,
}

impl TimeIds {
    fn ids_of(&mut self, column: &TimestampNanosecondArray, out: &mut Vec<u32>) {
        number_rows(column.values(), column.nulls(), out, |_, t| {
            *self.ids.entry(t).or_insert_with(|| {
                self.values.push(t);
                self.values.len() as u32
            })
        });
    }
}

/// The ids of a line's keys but its own time: further times, texts, flag.
pub(crate) type Combination = [u32; MAX_KEYS];

/// Combinations of key ids, numbered from 0 in the order first seen.
///
/// A line's combination is looked up packed into one `u128`, each key's id in
/// as many bits as that key's ids need so far: one integer to compare and
/// hash instead of 16 ids. When a key gets more ids than its bits hold, the
/// widths grow and the packed index is rebuilt from the combinations kept;
/// when all the widths together outgrow 128 bits, the ids themselves are
/// looked up from then on.
struct Combinations {
    /// By number.
    keys: Vec<Combination>,
    /// Each key's bits and where they start; `None` once they outgrow 128.
    packing: Option<Packing>,
    packed_ids: FxHashMap<u128, u32>,
    ids: FxHashMap<Combination, u32>,
    /// The bits of the packed index: 128, or fewer in tests.
    capacity: u32,
}

#[derive(Clone, Copy, Default)]
struct Packing {
    widths: [u32; MAX_KEYS],
    shifts: [u32; MAX_KEYS],
}

impl Combinations {
    fn new(keys: usize) -> Self {
        Self::with_capacity(keys, u128::BITS)
    }

    fn with_capacity(keys: usize, capacity: u32) -> Self {
        let mut packing = Packing::default();
        packing.widths[..keys].fill(1);
        let mut combinations = Combinations {
            keys: Vec::new(),
            packing: None,
            packed_ids: FxHashMap::default(),
            ids: FxHashMap::default(),
            capacity,
        };
        combinations.repack(packing);
        combinations
    }

    /// Widens the packing, if need be, for keys with `counts` ids each.
    fn fit(&mut self, counts: &[usize]) {
        let Some(packing) = self.packing else { return };
        let fits = |k: usize, count: usize| (count as u128) <= (1u128 << packing.widths[k]);
        if counts.iter().enumerate().all(|(k, &c)| fits(k, c)) {
            return;
        }
        let mut wider = packing;
        for (k, &count) in counts.iter().enumerate() {
            if !fits(k, count) {
                // One bit to spare, so a key that keeps growing is repacked
                // once per doubling at most.
                wider.widths[k] = (usize::BITS - count.leading_zeros()) + 1;
            }
        }
        self.repack(wider);
    }

    /// Packs the combinations kept with `packing`, or gives up packing when
    /// its widths outgrow the capacity.
    fn repack(&mut self, mut packing: Packing) {
        let mut shift = 0;
        for k in 0..MAX_KEYS {
            // A key lies in one 64-bit half: each half is packed on its own.
            if shift < 64 && shift + packing.widths[k] > 64 {
                shift = 64;
            }
            packing.shifts[k] = shift;
            shift += packing.widths[k];
        }
        if shift > self.capacity {
            self.packing = None;
            self.packed_ids = FxHashMap::default();
            self.ids = (0..).zip(&self.keys).map(|(id, c)| (*c, id)).collect();
            return;
        }
        self.packing = Some(packing);
        self.packed_ids = (0..)
            .zip(&self.keys)
            .map(|(id, c)| (Self::pack_one(&packing, c), id))
            .collect();
    }

    fn pack_one(packing: &Packing, combination: &Combination) -> u128 {
        combination
            .iter()
            .zip(&packing.shifts)
            .fold(0, |code, (&id, &shift)| code | (u128::from(id) << shift))
    }

    /// The packed combination of each of `rows` rows whose key ids are
    /// `columns`, into `halves` (low, high); false when not packing.
    fn pack(&self, columns: &[Vec<u32>], rows: usize, halves: &mut [Vec<u64>; 2]) -> bool {
        let Some(packing) = &self.packing else {
            return false;
        };
        for half in halves.iter_mut() {
            half.clear();
            half.resize(rows, 0);
        }
        for (ids, &shift) in columns.iter().zip(&packing.shifts) {
            let (half, shift) = if shift < 64 {
                (&mut halves[0], shift)
            } else {
                (&mut halves[1], shift - 64)
            };
            for (code, &id) in half.iter_mut().zip(ids) {
                *code |= u64::from(id) << shift;
            }
        }
        true
    }

    /// Key `k`'s id `id`, packed (0 when not packing).
    fn packed(&self, k: usize, id: u32) -> u128 {
        self.packing
            .as_ref()
            .map_or(0, |p| u128::from(id) << p.shifts[k])
    }

    /// The number of the combination packed as `code`, whose ids `ids` gives.
    fn id_of_packed(&mut self, code: u128, ids: impl FnOnce() -> Combination) -> u32 {
        let next = self.keys.len() as u32;
        let id = *self.packed_ids.entry(code).or_insert(next);
        if id == next {
            self.keys.push(ids());
        }
        id
    }

    /// The number of the combination `combination` (when not packing).
    fn id_of(&mut self, combination: Combination) -> u32 {
        let next = self.keys.len() as u32;
        let id = *self.ids.entry(combination).or_insert(next);
        if id == next {
            self.keys.push(combination);
        }
        id
    }
}

/// How a [`Grouper`] tells kept lines, by text ids.
/// A line is kept when its line type passes `always`, or passes `by_product`'s
/// line type test and its product that test's product test.
struct KeepTest {
    line_type: usize,
    always: IdTest,
    by_product: Option<ByProduct>,
}

struct ByProduct {
    product: usize,
    line_types: IdTest,
    products: IdTest,
}

/// Sums per group, for the lines of one stream of batches. A group is a
/// time and a combination of the other keys; the combinations are few (an
/// account's products and usage types…), so each is numbered once and a
/// group is found by (time id, combination id).
pub(crate) struct Grouper {
    layout: &'static Layout,
    times: Vec<TimeIds>,
    texts: Vec<TextIds>,
    keep: KeepTest,
    combinations: Combinations,
    /// This batch's combinations packed without the flag, in two halves
    /// (see [`Combinations::pack`]).
    codes: [Vec<u64>; 2],
    groups: FxHashMap<u64, u32>,
    /// Per combination, the time id and group of its last line.
    last_group: Vec<(u32, u32)>,
    keys: Vec<(u32, u32)>,
    /// `outputs.len()` values per group.
    sums: Vec<f64>,
    /// Per group, a bit per output: whether any line added to it (a sum of
    /// nothing is null, as in SQL).
    seen: Vec<u32>,
    /// This batch's ids: a column per time key, then per text key.
    column_ids: Vec<Vec<u32>>,
}

impl Grouper {
    pub(crate) fn new(layout: &'static Layout) -> Self {
        let keys = layout.times.len() - 1 + layout.texts.len() + usize::from(layout.flag.is_some());
        assert!(
            keys <= MAX_KEYS,
            "a layout has at most {MAX_KEYS} keys besides its time"
        );
        assert!(
            layout.outputs.len() <= 32,
            "a layout has at most 32 outputs"
        );
        let line_type = layout.text_index("line_item_type");
        let keep = match layout.keep {
            Keep::CommitmentRelevant => KeepTest {
                line_type,
                always: IdTest::any_of(FEE_TYPES.to_vec()),
                by_product: Some(ByProduct {
                    product: layout.text_index("product_code"),
                    line_types: IdTest::any_of(USAGE_TYPES.to_vec()),
                    products: IdTest::any_of(crate::canonical::eligible_products()),
                }),
            },
            Keep::AllBut(t) => KeepTest {
                line_type,
                always: IdTest::none_of(vec![t]),
                by_product: None,
            },
        };
        Grouper {
            layout,
            times: std::iter::repeat_with(TimeIds::default)
                .take(layout.times.len())
                .collect(),
            texts: std::iter::repeat_with(TextIds::default)
                .take(layout.texts.len())
                .collect(),
            keep,
            combinations: Combinations::new(keys),
            codes: [Vec::new(), Vec::new()],
            groups: FxHashMap::default(),
            last_group: Vec::new(),
            keys: Vec::new(),
            sums: Vec::new(),
            seen: Vec::new(),
            column_ids: vec![Vec::new(); layout.times.len() + layout.texts.len()],
        }
    }

    /// Adds a batch of [`Layout::scan_sql`]'s result.
    pub(crate) fn add(&mut self, batch: &RecordBatch) -> Result<(), CurError> {
        let layout = self.layout;
        let (times, texts) = (layout.times.len(), layout.texts.len());
        let keys = times + texts;
        if batch.num_columns() != keys + layout.inputs.len() {
            return Err(CurError::Engine(format!(
                "the line scan returned {} columns, not {}",
                batch.num_columns(),
                keys + layout.inputs.len()
            )));
        }
        self.number_keys(batch)?;
        let inputs: Vec<ArrayRef> = (0..layout.inputs.len())
            .map(|i| cast(batch.column(keys + i), &DataType::Float64))
            .collect::<Result<_, _>>()?;
        let inputs: Vec<&Float64Array> = inputs
            .iter()
            .map(|a| a.as_primitive::<Float64Type>())
            .collect();
        let mut values = vec![None; inputs.len()];
        let mut terms = vec![None; layout.outputs.len()];
        let counts = self.key_counts();
        self.combinations.fit(&counts);
        let packed =
            self.combinations
                .pack(&self.column_ids[1..], batch.num_rows(), &mut self.codes);
        let flag_key = keys - 1;
        let mut last: Option<(u128, u32)> = None;
        for row in 0..batch.num_rows() {
            if !self.is_kept(row) {
                continue;
            }
            for (v, a) in values.iter_mut().zip(&inputs) {
                *v = a.is_valid(row).then(|| a.value(row));
            }
            let flag = layout.flag.map(|(_, flag)| u32::from(flag(&values)));
            let ids = || {
                let mut combination: Combination = [0; MAX_KEYS];
                for (k, ids) in combination.iter_mut().zip(&self.column_ids[1..]) {
                    *k = ids[row];
                }
                if let Some(flag) = flag {
                    combination[flag_key] = flag;
                }
                combination
            };
            let combination = if packed {
                let mut code =
                    (u128::from(self.codes[1][row]) << 64) | u128::from(self.codes[0][row]);
                if let Some(flag) = flag {
                    code |= self.combinations.packed(flag_key, flag);
                }
                match last {
                    Some((c, id)) if c == code => id,
                    _ => {
                        let id = self.combinations.id_of_packed(code, ids);
                        last = Some((code, id));
                        id
                    }
                }
            } else {
                self.combinations.id_of(ids())
            };
            let group = self.group_of(self.column_ids[0][row], combination);
            (layout.terms)(&values, &mut terms);
            self.accumulate(group, &terms);
        }
        Ok(())
    }

    /// How many ids each key of a combination has so far (null included).
    fn key_counts(&self) -> Vec<usize> {
        let times = self.times.iter().skip(1).map(|t| t.values.len() + 1);
        let texts = self.texts.iter().map(|t| t.values.len() + 1);
        let flag = self.layout.flag.iter().map(|_| 2);
        times.chain(texts).chain(flag).collect()
    }

    /// Fills `column_ids` with each key column's ids for `batch`.
    fn number_keys(&mut self, batch: &RecordBatch) -> Result<(), CurError> {
        let times = self.times.len();
        for (c, ids) in self.times.iter_mut().enumerate() {
            let column = cast(batch.column(c), &time_type())?;
            ids.ids_of(column.as_primitive(), &mut self.column_ids[c]);
        }
        for (c, ids) in self.texts.iter_mut().enumerate() {
            ids.ids_of_text(batch.column(times + c), &mut self.column_ids[times + c])?;
        }
        let keep = &mut self.keep;
        keep.always.update(&self.texts[keep.line_type]);
        if let Some(p) = &mut keep.by_product {
            p.line_types.update(&self.texts[keep.line_type]);
            p.products.update(&self.texts[p.product]);
        }
        Ok(())
    }

    /// Whether the line at `row` counts ([`Layout::keep`]).
    fn is_kept(&self, row: usize) -> bool {
        let times = self.times.len();
        let id = |text: usize| self.column_ids[times + text][row];
        let keep = &self.keep;
        let line_type = id(keep.line_type);
        keep.always.holds(line_type)
            || keep
                .by_product
                .as_ref()
                .is_some_and(|p| p.line_types.holds(line_type) && p.products.holds(id(p.product)))
    }

    fn group_of(&mut self, time: u32, combination: u32) -> usize {
        // Lines come in time order: a combination's line is most often in
        // the group of its last one.
        let slot = combination as usize;
        if slot >= self.last_group.len() {
            self.last_group.resize(slot + 1, (u32::MAX, 0));
        }
        if self.last_group[slot].0 == time {
            return self.last_group[slot].1 as usize;
        }
        let next = self.keys.len() as u32;
        let key = (u64::from(time) << 32) | u64::from(combination);
        let group = *self.groups.entry(key).or_insert(next);
        if group == next {
            self.keys.push((time, combination));
            self.sums
                .extend(std::iter::repeat_n(0.0, self.layout.outputs.len()));
            self.seen.push(0);
        }
        self.last_group[slot] = (time, group);
        group as usize
    }

    fn accumulate(&mut self, group: usize, terms: &[Option<f64>]) {
        let width = terms.len();
        let sums = &mut self.sums[group * width..(group + 1) * width];
        let seen = &mut self.seen[group];
        for (i, term) in terms.iter().enumerate() {
            let Some(x) = *term else { continue };
            let bit = 1 << i;
            if self.layout.max_outputs & bit == 0 {
                sums[i] += x;
            } else if *seen & bit == 0 || x > sums[i] {
                sums[i] = x;
            }
            *seen |= bit;
        }
    }

    /// The groups, with the values their ids stand for.
    pub(crate) fn finish(self) -> LineGroups {
        LineGroups {
            layout: self.layout,
            times: self.times.into_iter().map(|t| t.values).collect(),
            texts: self.texts.into_iter().map(|t| t.values).collect(),
            combinations: self.combinations.keys,
            keys: self.keys,
            sums: self.sums,
            seen: self.seen,
        }
    }
}

/// One [`Grouper`]'s groups: each a time and a combination of the other
/// keys, both as ids into the distinct values of their keys.
pub(crate) struct LineGroups {
    pub(crate) layout: &'static Layout,
    /// Per time key, its distinct times (id `i` is `[i - 1]`, 0 is null).
    times: Vec<Vec<i64>>,
    /// Per text key, its distinct texts (id `i` is `[i - 1]`, 0 is null).
    texts: Vec<Vec<Box<str>>>,
    /// Combinations of the keys but the group's time (see [`Combination`]):
    /// further times, texts, then the flag.
    pub(crate) combinations: Vec<Combination>,
    /// Per group, its time id and combination number.
    pub(crate) keys: Vec<(u32, u32)>,
    /// `layout.outputs.len()` values per group.
    sums: Vec<f64>,
    /// Per group, a bit per output: whether any line added to it.
    seen: Vec<u32>,
}

impl LineGroups {
    /// The time of time key `key`'s id `id`.
    pub(crate) fn time(&self, key: usize, id: u32) -> Option<i64> {
        (id > 0).then(|| self.times[key][id as usize - 1])
    }

    /// Output `output` of group `group` (`None`: no line added to it).
    pub(crate) fn output(&self, group: usize, output: usize) -> Option<f64> {
        let width = self.layout.outputs.len();
        (self.seen[group] & (1 << output) != 0).then(|| self.sums[group * width + output])
    }

    /// Text key `name`: its place in a [`Combination`], and its distinct
    /// texts (id `i` is `[i - 1]`, 0 is null).
    pub(crate) fn text_key(&self, name: &str) -> Option<(usize, &[Box<str>])> {
        let text = self.layout.texts.iter().position(|t| *t == name)?;
        Some((self.layout.times.len() - 1 + text, &self.texts[text]))
    }

    /// The groups as one batch of [`Layout::output_schema`].
    pub(crate) fn to_batch(&self) -> Result<RecordBatch, CurError> {
        let layout = self.layout;
        let mut columns: Vec<ArrayRef> = Vec::new();
        let combination_id = |c: u32, k: usize| self.combinations[c as usize][k];
        for t in 0..self.times.len() {
            let times: TimestampNanosecondArray = self
                .keys
                .iter()
                .map(|&(time, c)| {
                    self.time(
                        t,
                        if t == 0 {
                            time
                        } else {
                            combination_id(c, t - 1)
                        },
                    )
                })
                .collect();
            columns.push(Arc::new(times));
        }
        let before_texts = self.times.len() - 1;
        for (i, values) in self.texts.iter().enumerate() {
            let mut column = StringViewBuilder::with_capacity(self.keys.len());
            for &(_, c) in &self.keys {
                let id = combination_id(c, before_texts + i);
                column.append_option((id > 0).then(|| &*values[id as usize - 1]));
            }
            columns.push(Arc::new(column.finish()));
        }
        if layout.flag.is_some() {
            let flag = before_texts + self.texts.len();
            let flags: BooleanArray = self
                .keys
                .iter()
                .map(|&(_, c)| Some(combination_id(c, flag) == 1))
                .collect();
            columns.push(Arc::new(flags));
        }
        for i in 0..layout.outputs.len() {
            let outputs: Float64Array = (0..self.keys.len()).map(|g| self.output(g, i)).collect();
            columns.push(Arc::new(outputs));
        }
        RecordBatch::try_new(layout.output_schema(), columns)
            .map_err(|e| CurError::Engine(e.to_string()))
    }
}

fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, None)
}

fn cast(column: &ArrayRef, to: &DataType) -> Result<ArrayRef, CurError> {
    if column.data_type() == to {
        return Ok(Arc::clone(column));
    }
    arrow::compute::cast(column, to).map_err(|e| CurError::Engine(e.to_string()))
}

/// The estimate's summary ([`crate::queries`]): commitment-relevant lines by
/// hour, account, product, usage, region, line type and commitment terms.
pub(crate) static ESTIMATE: Layout = Layout {
    times: &["usage_start"],
    texts: &[
        "usage_account_id",
        "product_code",
        "usage_type",
        "operation",
        "instance_type",
        "region",
        "line_item_type",
        "sp_offering_type",
        "sp_purchase_term",
        "sp_payment_option",
        "lease_contract_length",
        "purchase_option",
    ],
    flag: None,
    inputs: &[
        "unblended_cost",
        "public_on_demand_cost",
        "sp_effective_cost",
        "ri_effective_cost",
        "sp_used_commitment",
        "sp_total_commitment",
        "ri_unused_recurring_fee",
    ],
    outputs: &[
        "unblended",
        "public_cost",
        "unblended_without_public",
        "sp_effective",
        "ri_effective",
        "sp_used",
        "sp_total",
        "unblended_without_total",
        "ri_unused",
        "observed_public",
        "observed_sp_effective",
        "observed_ri_effective",
    ],
    max_outputs: 0,
    terms: estimate_terms,
    keep: Keep::CommitmentRelevant,
};

/// What one line adds to each of [`ESTIMATE`]'s outputs.
fn estimate_terms(v: &[Option<f64>], out: &mut [Option<f64>]) {
    let &[
        unblended,
        public,
        sp_effective,
        ri_effective,
        sp_used,
        sp_total,
        ri_unused,
    ] = v
    else {
        unreachable!("the estimate layout reads seven numbers");
    };
    let public_positive = public.is_some_and(|p| p > 0.0);
    let only_if = |cond: bool, x: Option<f64>| x.filter(|_| cond);
    out.copy_from_slice(&[
        unblended,
        public,
        only_if(public.is_none(), unblended),
        sp_effective,
        ri_effective,
        sp_used,
        sp_total,
        only_if(sp_total.is_none(), unblended),
        ri_unused,
        only_if(
            public_positive && (sp_effective.is_some() || ri_effective.is_some()),
            public,
        ),
        only_if(public_positive, sp_effective),
        only_if(public_positive && sp_effective.is_none(), ri_effective),
    ]);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{ESTIMATE, Layout, estimate_terms};
    use crate::BillingData;
    use crate::batch::Columns;

    type Sums = Vec<Option<f64>>;

    /// Groups keyed by their key values as text; a key seen twice (in two
    /// partitions) has its outputs summed, or for a maximum the larger kept.
    fn by_key(layout: &Layout, batches: &[arrow::array::RecordBatch]) -> BTreeMap<String, Sums> {
        let keys = layout.times.len() + layout.texts.len() + usize::from(layout.flag.is_some());
        let mut out: BTreeMap<String, Sums> = BTreeMap::new();
        for b in batches {
            let c = Columns::read(b).unwrap();
            for row in 0..b.num_rows() {
                let key: Vec<String> = (0..keys)
                    .map(|i| match c.micros(i, row) {
                        Some(t) => t.to_string(),
                        None if i < layout.times.len() => "\u{0}null".to_owned(),
                        None if c.is_valid(i, row) && c.str(i, row).is_none() => {
                            c.boolean(i, row).to_string()
                        }
                        None => c.str(i, row).unwrap_or("\u{0}null").to_owned(),
                    })
                    .collect();
                let sums = out
                    .entry(key.join("|"))
                    .or_insert_with(|| vec![None; layout.outputs.len()]);
                for (i, sum) in sums.iter_mut().enumerate() {
                    let column = keys + i;
                    if c.is_valid(column, row) {
                        let x = c.number(column, row);
                        *sum = Some(match *sum {
                            Some(s) if layout.max_outputs & (1 << i) != 0 => s.max(x),
                            Some(s) => s + x,
                            None => x,
                        });
                    }
                }
            }
        }
        out
    }

    /// The grouper's groups equal DataFusion's `GROUP BY` of the same lines
    /// (`queries::summary_scan_sql` for the estimate, `charges::RAW_GROUPS`
    /// for the pro forma): the same keys, the same sums (to rounding), null
    /// where no line added to a sum. `some`: whether the inputs hold lines
    /// the estimate groups at all.
    fn grouped_as_sql_groups(inputs: &[String], some: bool) {
        let data = BillingData::open(inputs, None).unwrap();
        same_groups(
            &data,
            &ESTIMATE,
            &crate::queries::summary_scan_sql(),
            some,
            inputs,
        );
        same_groups(
            &data,
            &crate::charges::CHARGES,
            crate::charges::RAW_GROUPS,
            true,
            inputs,
        );
    }

    fn same_groups(
        data: &BillingData,
        layout: &'static Layout,
        sql: &str,
        some: bool,
        inputs: &[String],
    ) {
        let ours = by_key(layout, &data.group_lines_of(layout, "line_items").unwrap());
        let sql = by_key(layout, &data.query(sql).unwrap());
        assert_eq!(!sql.is_empty(), some, "{inputs:?}: lines to group");
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            sql.keys().collect::<Vec<_>>(),
            "{inputs:?}: the groups differ"
        );
        for (key, expected) in &sql {
            for (i, (a, b)) in ours[key].iter().zip(expected).enumerate() {
                let same = match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    (None, None) => true,
                    _ => false,
                };
                assert!(
                    same,
                    "{inputs:?} {key} {}: ours {a:?}, SQL {b:?}",
                    layout.outputs[i]
                );
            }
        }
    }

    /// A demo CUR 2.0 export in `dir`, as the input to open.
    fn demo_cur(dir: &std::path::Path, accounts: usize, months: u32) -> String {
        let config = orgpool_demo::DemoConfig {
            accounts,
            months,
            ..Default::default()
        };
        orgpool_demo::generate(&config, dir).unwrap();
        dir.join("cur").to_string_lossy().into_owned()
    }

    #[test]
    fn the_demo_exports_lines_group_as_sql_groups_them() {
        let dir = tempfile::tempdir().unwrap();
        grouped_as_sql_groups(&[demo_cur(dir.path(), 8, 2)], true);
    }

    #[test]
    fn every_public_files_lines_group_as_sql_groups_them() {
        use orgpool_testkit::real_data as real;
        grouped_as_sql_groups(
            &[
                real("workshop-cur-2018-10.snappy.parquet"),
                real("workshop-cur-2018-11.snappy.parquet"),
                real("workshop-cur-2018-12.snappy.parquet"),
            ],
            true,
        );
        // This month of a legacy CUR has no product a commitment covers.
        grouped_as_sql_groups(&[real("legacy-cur-anonymized-2023-11.csv")], false);
        grouped_as_sql_groups(&[real("focus-1.0-sample.csv")], true);
    }

    #[test]
    fn an_export_with_no_lines_to_group_gives_no_groups() {
        let dir = tempfile::tempdir().unwrap();
        let data = BillingData::open(&[demo_cur(dir.path(), 2, 1)], None).unwrap();
        data.query("CREATE VIEW nothing AS SELECT * FROM line_items WHERE false")
            .unwrap();
        let batches = data.group_lines_of(&ESTIMATE, "nothing").unwrap();
        assert!(batches.iter().all(|b| b.num_rows() == 0));
        assert!(!batches.is_empty());
    }

    #[test]
    fn a_line_adds_to_the_sums_its_nulls_and_filters_allow() {
        let line_terms = |v: &[Option<f64>]| {
            let mut out = [None; 12];
            estimate_terms(v, &mut out);
            out
        };
        let nan = |t: [Option<f64>; 12]| t.map(|x| x.map_or(-1.0, |v| v));
        // A covered Savings Plans line with a public cost: counts as observed.
        let covered = line_terms(&[Some(0.0), Some(10.0), Some(7.0), None, None, None, None]);
        assert_eq!(
            nan(covered),
            [
                0.0, 10.0, -1.0, 7.0, -1.0, -1.0, -1.0, 0.0, -1.0, 10.0, 7.0, -1.0
            ]
        );
        // An uncovered line without a public cost: its billed cost stands in.
        let usage = line_terms(&[Some(3.0), None, None, None, None, None, None]);
        assert_eq!(
            nan(usage),
            [
                3.0, -1.0, 3.0, -1.0, -1.0, -1.0, -1.0, 3.0, -1.0, -1.0, -1.0, -1.0
            ]
        );
        // An RI-covered line with a zero public cost is not an observation.
        let ri = line_terms(&[Some(0.0), Some(0.0), None, Some(2.0), None, None, None]);
        assert_eq!(
            nan(ri),
            [
                0.0, 0.0, -1.0, -1.0, 2.0, -1.0, -1.0, 0.0, -1.0, -1.0, -1.0, -1.0
            ]
        );
    }
}
