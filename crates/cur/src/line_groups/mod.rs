//! The estimate's one scan of the export, grouped in our own code.
//!
//! DataFusion reads and maps the lines (the view `line_items`, so every
//! format is read the same way); this module keeps those that may matter to
//! a commitment and sums them by 15 text and time keys. A general group-by
//! hashes and compares each line's keys as values. Here:
//! - each key column is turned into small integer ids. A string view that
//!   repeats is looked up once, not once per line: the Parquet reader points
//!   every copy of a dictionary value at the same bytes, so equal values in a
//!   batch have equal views;
//! - a line is kept or dropped by its line type's and product's ids, each
//!   tested once;
//! - the 14 text ids of a line name a combination (an account's product and
//!   usage type…: few of them), and a group is a (time, combination) pair.
//!
//! At 5 million lines this halves the summary's time against DataFusion's
//! `GROUP BY` of the same columns (see `bench/README.md`).
//!
//! `queries::summary_scan_sql` (built for tests only) states the same
//! grouping in SQL; the tests hold this code to it.

mod combinations;
mod ids;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch};
#[cfg(test)]
use arrow::array::{BooleanArray, StringViewArray, StringViewBuilder, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Float64Type, TimeUnit};
#[cfg(test)]
use arrow::datatypes::{Field, Schema, SchemaRef};
use rustc_hash::FxHashMap;

pub(crate) use combinations::Combination;
use combinations::Combinations;
pub(crate) use ids::MAX_SPAN_HOURS;
use ids::{BatchIds, IdTest, SpanIds, TextIds, TimeIds};

use crate::CurError;
// Usage lines: kept when their product is one a commitment may cover.
use crate::canonical::USAGE_TYPES;

/// A condition on a line's inputs.
pub(crate) type LineTest = fn(&Line) -> bool;

/// At most this many inputs and outputs in a layout.
const MAX_NUMBERS: usize = 32;

/// One line's inputs, as the scan read them.
pub(crate) struct Line {
    /// Each input's value; anything where it is null.
    values: [f64; MAX_NUMBERS],
    /// A bit per input that is not null.
    valid: u32,
}

impl Line {
    /// Input `i`, `None` where it is null.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<f64> {
        (self.valid & (1 << i) != 0).then(|| self.values[i])
    }

    /// The first `N` inputs.
    #[inline]
    pub(crate) fn inputs<const N: usize>(&self) -> [Option<f64>; N] {
        std::array::from_fn(|i| self.get(i))
    }
}

/// What one line adds to each output: a value (0 where it adds nothing) and
/// a bit per output it adds to, so that adding it up takes no branch.
pub(crate) struct Terms {
    values: [f64; MAX_NUMBERS],
    added: u32,
}

impl Terms {
    /// Sets output `i`'s term (`None`: the line adds nothing to it, as SQL's
    /// `sum` skips a null or a line its `FILTER` leaves out).
    #[inline]
    pub(crate) fn put(&mut self, i: usize, term: Option<f64>) {
        self.values[i] = term.unwrap_or(0.0);
        let bit = 1 << i;
        self.added = if term.is_some() {
            self.added | bit
        } else {
            self.added & !bit
        };
    }

    /// Sets the first `N` outputs' terms.
    #[inline]
    pub(crate) fn set<const N: usize>(&mut self, terms: [Option<f64>; N]) {
        for (i, term) in terms.into_iter().enumerate() {
            self.put(i, term);
        }
    }
}

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
    /// The time each line ends, when the groups keep apart lines of several
    /// hours: a key after the texts, each line's hours from the first
    /// time's hour to this one, rounded up, when more than one (see
    /// [`SpanIds`]); read after the texts.
    pub span_end: Option<&'static str>,
    /// A true/false key worked out from a line's inputs, with its name.
    pub flag: Option<(&'static str, LineTest)>,
    /// The numbers read from each line.
    pub inputs: &'static [&'static str],
    /// What each group keeps: a sum, or with [`Layout::max_outputs`] a maximum.
    pub outputs: &'static [&'static str],
    /// A bit per output that is a maximum rather than a sum.
    pub max_outputs: u32,
    /// What one line adds to each output.
    pub terms: fn(&Line, &mut Terms),
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

/// The name of the hours a line spans, in [`Layout::output_schema`] (and
/// the canonical view's `usage_hours`).
#[cfg(test)]
const SPAN_COLUMN: &str = "usage_hours";

/// Commitment fee lines: every one is kept.
const FEE_TYPES: [&str; 2] = ["SavingsPlanRecurringFee", "RIFee"];

impl Layout {
    /// The SQL whose result [`Grouper`] groups: every line of `table` (a view
    /// with the canonical columns), with the keys then the inputs. It has no
    /// `WHERE`: the grouper drops the lines it does not keep by their ids,
    /// which costs less than having the engine copy those it keeps.
    pub(crate) fn scan_sql(&self, table: &str) -> String {
        let span: &[&str] = self.span_end.as_slice();
        let columns: Vec<&str> = [self.times, self.texts, span, self.inputs].concat();
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

    /// How many key columns the scan returns: times, texts, the span's end.
    fn key_columns(&self) -> usize {
        self.times.len() + self.texts.len() + usize::from(self.span_end.is_some())
    }

    /// The schema of [`Grouper::finish`]'s batches: the span, if any, as
    /// the hours in text after the texts (`usage_hours`, as the view has it).
    #[cfg(test)]
    pub(crate) fn output_schema(&self) -> SchemaRef {
        let times = self.times.iter().map(|n| Field::new(*n, time_type(), true));
        let span = self.span_end.map(|_| SPAN_COLUMN);
        let texts = self
            .texts
            .iter()
            .chain(span.iter())
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

impl KeepTest {
    fn new(layout: &Layout) -> Self {
        let line_type = layout.text_index("line_item_type");
        match layout.keep {
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
        }
    }

    /// Works the tests out for the texts numbered since the last update.
    fn update(&mut self, texts: &[TextIds]) {
        self.always.update(&texts[self.line_type]);
        if let Some(p) = &mut self.by_product {
            p.line_types.update(&texts[self.line_type]);
            p.products.update(&texts[p.product]);
        }
    }

    /// The rows that count, into `kept`, their text keys' ids being
    /// `texts` (`ids` holds the line types' and products' written out).
    fn select(&self, texts: &[BatchIds<'_>], ids: &mut [Vec<u32>; 2], kept: &mut Vec<u32>) {
        let [line_types, products] = ids;
        texts[self.line_type].write_into(line_types);
        kept.clear();
        kept.resize(line_types.len(), 0);
        let mut n = 0;
        let mut keep = |row: usize, yes: bool| {
            kept[n] = row as u32;
            n += usize::from(yes);
        };
        match &self.by_product {
            None => {
                for (row, &t) in line_types.iter().enumerate() {
                    keep(row, self.always.holds(t));
                }
            }
            Some(p) => {
                texts[p.product].write_into(products);
                for (row, (&t, &product)) in line_types.iter().zip(products.iter()).enumerate() {
                    let by_product = p.line_types.holds(t) & p.products.holds(product);
                    keep(row, self.always.holds(t) | by_product);
                }
            }
        }
        kept.truncate(n);
    }
}

/// The key columns' numbering, kept across batches.
struct Numbering {
    times: Vec<TimeIds>,
    texts: Vec<TextIds>,
    span: Option<SpanIds>,
    keep: KeepTest,
    /// This batch's ids of the keys written out row by row: a column per
    /// time key, then per text key (a dictionary-encoded one's stay empty).
    rows: Vec<Vec<u32>>,
}

impl Numbering {
    /// Numbers the keys of `batch`, whose first columns they are.
    fn number(&mut self, batch: &RecordBatch) -> Result<(), CurError> {
        let times = self.times.len();
        let mut start = None;
        for (c, ids) in self.times.iter_mut().enumerate() {
            let column = cast(batch.column(c), &time_type())?;
            ids.number(column.as_primitive(), &mut self.rows[c]);
            start.get_or_insert(column);
        }
        for (c, ids) in self.texts.iter_mut().enumerate() {
            ids.number(batch.column(times + c), &mut self.rows[times + c])?;
        }
        if let (Some(span), Some(start)) = (&mut self.span, &start) {
            let c = times + self.texts.len();
            let end = cast(batch.column(c), &time_type())?;
            span.number(start.as_primitive(), end.as_primitive(), &mut self.rows[c]);
        }
        self.keep.update(&self.texts);
        Ok(())
    }

    /// The ids of `batch`'s key columns, once numbered.
    fn view<'a>(&'a self, batch: &'a RecordBatch) -> Vec<BatchIds<'a>> {
        let times = self.times.len();
        let time_ids = self.rows[..times].iter().map(|r| BatchIds::Rows(r));
        let text_ids = self
            .texts
            .iter()
            .enumerate()
            .map(|(c, ids)| ids.view(batch.column(times + c), &self.rows[times + c]));
        let span_ids = self
            .span
            .as_ref()
            .map(|_| BatchIds::Rows(&self.rows[times + self.texts.len()]));
        time_ids.chain(text_ids).chain(span_ids).collect()
    }

    /// How many ids each key but the first time has so far (null included),
    /// then 2 for a flag.
    fn counts(&self, flag: bool) -> Vec<usize> {
        let times = self.times.iter().skip(1).map(|t| t.values.len() + 1);
        let texts = self.texts.iter().map(|t| t.values.len() + 1);
        let span = self.span.iter().map(|s| s.values.len() + 1);
        times
            .chain(texts)
            .chain(span)
            .chain(flag.then_some(2))
            .collect()
    }
}

/// The groups so far: their keys and sums.
struct Groups {
    width: usize,
    /// How many outputs are sums: the first ones, the maxima after them.
    sum_outputs: usize,
    max_outputs: u32,
    combinations: Combinations,
    index: FxHashMap<u64, u32>,
    /// Per combination, the time id and group of its last line.
    last_group: Vec<(u32, u32)>,
    keys: Vec<(u32, u32)>,
    /// `width` values per group.
    sums: Vec<f64>,
    /// Per group, a bit per output: whether any line added to it (a sum of
    /// nothing is null, as in SQL).
    seen: Vec<u32>,
}

impl Groups {
    /// The group of (time id, combination number).
    #[inline]
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
        let group = *self.index.entry(key).or_insert(next);
        if group == next {
            self.keys.push((time, combination));
            self.sums.extend(std::iter::repeat_n(0.0, self.width));
            self.seen.push(0);
        }
        self.last_group[slot] = (time, group);
        group as usize
    }

    /// Adds a line's terms to `group`.
    #[inline]
    fn accumulate(&mut self, group: usize, terms: &Terms) {
        let sums = &mut self.sums[group * self.width..(group + 1) * self.width];
        let seen = &mut self.seen[group];
        // The sums come first (see `Grouper::new`): a term that adds nothing
        // is 0.
        let (sums, maxima) = sums.split_at_mut(self.sum_outputs);
        for (sum, term) in sums.iter_mut().zip(terms.values.iter()) {
            *sum += term;
        }
        if self.max_outputs & terms.added != 0 {
            let values = &terms.values[self.sum_outputs..];
            for (i, (max, &x)) in maxima.iter_mut().zip(values).enumerate() {
                let bit = 1 << (self.sum_outputs + i);
                if terms.added & bit != 0 && (*seen & bit == 0 || x > *max) {
                    *max = x;
                }
            }
        }
        *seen |= terms.added;
    }
}

/// Sums per group, for the lines of one stream of batches. A group is a
/// time and a combination of the other keys; the combinations are few (an
/// account's products and usage types…), so each is numbered once and a
/// group is found by (time id, combination id).
pub(crate) struct Grouper {
    layout: &'static Layout,
    numbering: Numbering,
    /// This batch's rows' combinations packed without the flag, in two
    /// halves (see [`Combinations::pack`]).
    codes: [Vec<u64>; 2],
    /// This batch's kept rows: a bit per input that is not null.
    valid: Vec<u32>,
    /// This batch's rows kept, and the ids [`KeepTest::select`] reads.
    kept: Vec<u32>,
    kept_ids: [Vec<u32>; 2],
    groups: Groups,
}

/// For each row of `rows`, a bit per input of `inputs` that is not null
/// there, into `out`.
fn valid_inputs<'a>(inputs: &[&Float64Array], rows: &[u32], out: &'a mut Vec<u32>) -> &'a [u32] {
    out.clear();
    out.resize(rows.len(), (1u32 << inputs.len()) - 1);
    for (i, a) in inputs.iter().enumerate() {
        let Some(nulls) = a.nulls() else { continue };
        let valid = nulls.inner();
        for (v, &row) in out.iter_mut().zip(rows) {
            let null = u32::from(!valid.value(row as usize));
            *v &= !(null << i);
        }
    }
    out
}

impl Grouper {
    pub(crate) fn new(layout: &'static Layout) -> Self {
        let keys = layout.key_columns() - 1 + usize::from(layout.flag.is_some());
        assert!(
            keys <= MAX_KEYS,
            "a layout has at most {MAX_KEYS} keys besides its time"
        );
        assert!(
            layout.outputs.len() <= MAX_NUMBERS && layout.inputs.len() < MAX_NUMBERS,
            "a layout has at most {MAX_NUMBERS} outputs and fewer inputs"
        );
        let sum_outputs = layout.outputs.len() - layout.max_outputs.count_ones() as usize;
        assert_eq!(
            layout.max_outputs,
            ((1u64 << layout.outputs.len()) - (1u64 << sum_outputs)) as u32,
            "a layout's maxima come after its sums"
        );
        Grouper {
            layout,
            numbering: Numbering {
                times: std::iter::repeat_with(TimeIds::default)
                    .take(layout.times.len())
                    .collect(),
                texts: std::iter::repeat_with(TextIds::default)
                    .take(layout.texts.len())
                    .collect(),
                span: layout.span_end.map(|_| SpanIds::default()),
                keep: KeepTest::new(layout),
                rows: vec![Vec::new(); layout.key_columns()],
            },
            codes: [Vec::new(), Vec::new()],
            valid: Vec::new(),
            kept: Vec::new(),
            kept_ids: [Vec::new(), Vec::new()],
            groups: Groups {
                width: layout.outputs.len(),
                sum_outputs,
                max_outputs: layout.max_outputs,
                combinations: Combinations::new(keys),
                index: FxHashMap::default(),
                last_group: Vec::new(),
                keys: Vec::new(),
                sums: Vec::new(),
                seen: Vec::new(),
            },
        }
    }

    /// Adds a batch of [`Layout::scan_sql`]'s result.
    pub(crate) fn add(&mut self, batch: &RecordBatch) -> Result<(), CurError> {
        let layout = self.layout;
        let times = layout.times.len();
        let keys = layout.key_columns();
        if batch.num_columns() != keys + layout.inputs.len() {
            return Err(CurError::Engine(format!(
                "the line scan returned {} columns, not {}",
                batch.num_columns(),
                keys + layout.inputs.len()
            )));
        }
        self.numbering.number(batch)?;
        let counts = self.numbering.counts(layout.flag.is_some());
        self.groups.combinations.fit(&counts);
        let inputs: Vec<ArrayRef> = (0..layout.inputs.len())
            .map(|i| cast(batch.column(keys + i), &DataType::Float64))
            .collect::<Result<_, _>>()?;
        let inputs: Vec<&Float64Array> = inputs
            .iter()
            .map(|a| a.as_primitive::<Float64Type>())
            .collect();
        let ids = self.numbering.view(batch);
        let keep = &self.numbering.keep;
        let groups = &mut self.groups;
        keep.select(&ids[times..], &mut self.kept_ids, &mut self.kept);
        let packed = groups
            .combinations
            .pack(&ids[1..], batch.num_rows(), &mut self.codes);
        let flag_key = keys - 1;
        let valid = valid_inputs(&inputs, &self.kept, &mut self.valid);
        let inputs: Vec<&[f64]> = inputs.iter().map(|a| a.values().as_ref()).collect();
        let mut line = Line {
            values: [0.0; MAX_NUMBERS],
            valid: 0,
        };
        let mut terms = Terms {
            values: [0.0; MAX_NUMBERS],
            added: 0,
        };
        let mut last: Option<(u128, u32)> = None;
        for (i, &row) in self.kept.iter().enumerate() {
            let row = row as usize;
            for (v, a) in line.values.iter_mut().zip(&inputs) {
                *v = a[row];
            }
            line.valid = valid[i];
            let flag = layout.flag.map(|(_, flag)| u32::from(flag(&line)));
            let combination = if packed {
                let mut code =
                    (u128::from(self.codes[1][row]) << 64) | u128::from(self.codes[0][row]);
                if let Some(flag) = flag {
                    code |= groups.combinations.packed(flag_key, flag);
                }
                match last {
                    Some((c, id)) if c == code => id,
                    _ => {
                        let id = groups.combinations.id_of_packed(code);
                        last = Some((code, id));
                        id
                    }
                }
            } else {
                let mut combination: Combination = [0; MAX_KEYS];
                for (k, ids) in combination.iter_mut().zip(&ids[1..]) {
                    *k = ids.get(row);
                }
                if let Some(flag) = flag {
                    combination[flag_key] = flag;
                }
                groups.combinations.id_of(combination)
            };
            let group = groups.group_of(ids[0].get(row), combination);
            (layout.terms)(&line, &mut terms);
            groups.accumulate(group, &terms);
        }
        Ok(())
    }

    /// The groups, with the values their ids stand for.
    pub(crate) fn finish(self) -> LineGroups {
        LineGroups {
            layout: self.layout,
            times: self.numbering.times.into_iter().map(|t| t.values).collect(),
            texts: self.numbering.texts.into_iter().map(|t| t.values).collect(),
            spans: self.numbering.span.map(|s| s.values).unwrap_or_default(),
            combinations: self.groups.combinations.keys,
            keys: self.groups.keys,
            sums: self.groups.sums,
            seen: self.groups.seen,
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
    /// The distinct hours of lines of several (id `i` is `[i - 1]`, 0 is a
    /// line of one), when the layout has a span.
    spans: Vec<u32>,
    /// Combinations of the keys but the group's time (see [`Combination`]):
    /// further times, texts, the span, then the flag.
    pub(crate) combinations: Vec<Combination>,
    /// Per group, its time id and combination number.
    pub(crate) keys: Vec<(u32, u32)>,
    /// `layout.outputs.len()` values per group.
    sums: Vec<f64>,
    /// Per group, a bit per output: whether any line added to it.
    seen: Vec<u32>,
}

impl LineGroups {
    /// Whether every sum and maximum is a finite number: a NaN or an
    /// infinity among the lines' numbers makes its group's so.
    pub(crate) fn all_finite(&self) -> bool {
        self.sums.iter().all(|x| x.is_finite())
    }

    /// The time of time key `key`'s id `id`.
    pub(crate) fn time(&self, key: usize, id: u32) -> Option<i64> {
        (id > 0).then(|| self.times[key][id as usize - 1])
    }

    /// Output `output` of group `group` (`None`: no line added to it).
    pub(crate) fn output(&self, group: usize, output: usize) -> Option<f64> {
        let width = self.layout.outputs.len();
        (self.seen[group] & (1 << output) != 0).then(|| self.sums[group * width + output])
    }

    /// The span key, when the layout has one: its place in a
    /// [`Combination`], and the hours of each id but 0 (id `i` is `[i - 1]`;
    /// 0 is a line of an hour or less).
    pub(crate) fn span_key(&self) -> Option<(usize, &[u32])> {
        self.layout.span_end?;
        Some((self.layout.key_columns() - 2, &self.spans))
    }

    /// The flag's place in a [`Combination`], when the layout has one: the
    /// last, after the span if any.
    pub(crate) fn flag_key(&self) -> Option<usize> {
        self.layout.flag?;
        Some(self.layout.key_columns() - 1)
    }

    /// Text key `name`: its place in a [`Combination`], and its distinct
    /// texts (id `i` is `[i - 1]`, 0 is null).
    pub(crate) fn text_key(&self, name: &str) -> Option<(usize, &[Box<str>])> {
        let text = self.layout.texts.iter().position(|t| *t == name)?;
        Some((self.layout.times.len() - 1 + text, &self.texts[text]))
    }

    /// The groups as one batch of [`Layout::output_schema`].
    #[cfg(test)]
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
        if let Some((slot, hours)) = self.span_key() {
            let column: StringViewArray = self
                .keys
                .iter()
                .map(|&(_, c)| match combination_id(c, slot) {
                    0 => None,
                    id => Some(hours[id as usize - 1].to_string()),
                })
                .collect();
            columns.push(Arc::new(column));
        }
        if layout.flag.is_some() {
            let flag = layout.key_columns() - 1;
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
        "sp_instance_family",
        "sp_region",
    ],
    span_end: Some("usage_end"),
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
fn estimate_terms(line: &Line, out: &mut Terms) {
    let [
        unblended,
        public,
        sp_effective,
        ri_effective,
        sp_used,
        sp_total,
        ri_unused,
    ] = line.inputs();
    let public_positive = public.is_some_and(|p| p > 0.0);
    let only_if = |cond: bool, x: Option<f64>| x.filter(|_| cond);
    out.set([
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
    use super::{ESTIMATE, Layout, Line, Terms, estimate_terms};
    use crate::BillingData;
    use crate::batch::Columns;
    use crate::test_support::{Sums, assert_same_sums, demo_cur, workshop_months};

    /// Groups keyed by their key values as text; a key seen twice (in two
    /// partitions) has its outputs summed, or for a maximum the larger kept.
    fn by_key(layout: &Layout, batches: &[arrow::array::RecordBatch]) -> Sums {
        let keys = layout.times.len() + layout.texts.len() + usize::from(layout.flag.is_some());
        let mut out = Sums::new();
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
        assert_same_sums(&ours, &sql, |i| layout.outputs[i], &format!("{inputs:?}"));
    }

    #[test]
    fn the_demo_exports_lines_group_as_sql_groups_them() {
        let dir = tempfile::tempdir().unwrap();
        grouped_as_sql_groups(&[demo_cur(dir.path(), 8, 2)], true);
    }

    #[test]
    fn every_public_files_lines_group_as_sql_groups_them() {
        use orgpool_testkit::real_data as real;
        grouped_as_sql_groups(&workshop_months(), true);
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
            let mut line = Line {
                values: [f64::NAN; super::MAX_NUMBERS],
                valid: 0,
            };
            for (i, x) in v.iter().enumerate() {
                line.values[i] = x.unwrap_or(f64::NAN);
                line.valid |= u32::from(x.is_some()) << i;
            }
            let mut terms = Terms {
                values: [f64::NAN; super::MAX_NUMBERS],
                added: u32::MAX,
            };
            estimate_terms(&line, &mut terms);
            let out: [Option<f64>; 12] =
                std::array::from_fn(|i| (terms.added & (1 << i) != 0).then_some(terms.values[i]));
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
