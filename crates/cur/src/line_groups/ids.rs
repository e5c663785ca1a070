//! A key column's values as small integer ids, numbered from 1 in the order
//! first seen (0 is null), and one batch's ids of a column ([`BatchIds`]);
//! times and texts as they are, a line's span of hours worked out from its
//! start and end ([`SpanIds`]).
//!
//! Text comes dictionary-encoded from Parquet (see `dictionary_text`): a
//! batch's ids are then its keys, each standing for the id of its
//! dictionary value, worked out once per column chunk. Text of any other
//! kind (CSV, a FOCUS mapping's `CASE`) comes as string views: a view that
//! repeats is looked up once, not once per line, since a reader points every
//! copy of a value at the same bytes.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, DictionaryArray, StringViewArray, TimestampNanosecondArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Int32Type};
use rustc_hash::FxHashMap;

use super::cast;
use crate::{CurError, HOUR_NS};

/// Distinct values of one text key column, numbered from 1 (0 is null).
#[derive(Default)]
pub(super) struct TextIds {
    ids: FxHashMap<Box<str>, u32>,
    pub(super) values: Vec<Box<str>>,
    /// This batch's views already seen: a view names its bytes within one
    /// batch only, so this is cleared for each batch.
    by_view: FxHashMap<u128, u32>,
    /// The last dictionary's values, and the id of each. The Parquet reader
    /// gives every batch of a column chunk the same values, so this is
    /// worked out once per chunk. (Holding the array keeps its buffers'
    /// addresses from being reused by another.)
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

    /// Numbers the new values of `column`, text of any kind: a dictionary's
    /// values (kept for [`TextIds::view`]), or each row into `rows`.
    pub(super) fn number(
        &mut self,
        column: &ArrayRef,
        rows: &mut Vec<u32>,
    ) -> Result<(), CurError> {
        if let Some(dictionary) = column.as_dictionary_opt::<Int32Type>() {
            return self.number_dictionary(dictionary);
        }
        let column = cast(column, &DataType::Utf8View)?;
        self.number_views(column.as_string_view(), rows);
        Ok(())
    }

    /// The ids of `column`'s rows, once [`TextIds::number`]ed: its keys'
    /// for a dictionary, else `rows`.
    pub(super) fn view<'a>(&'a self, column: &'a ArrayRef, rows: &'a [u32]) -> BatchIds<'a> {
        match (column.as_dictionary_opt::<Int32Type>(), &self.dictionary) {
            (Some(dictionary), Some((_, ids))) => BatchIds::Keys {
                keys: dictionary.keys().values(),
                nulls: dictionary.nulls(),
                ids,
            },
            _ => BatchIds::Rows(rows),
        }
    }

    fn number_dictionary(&mut self, column: &DictionaryArray<Int32Type>) -> Result<(), CurError> {
        let values = column.values();
        let known =
            matches!(&self.dictionary, Some((v, _)) if v.to_data().ptr_eq(&values.to_data()));
        if known {
            return Ok(());
        }
        let texts = cast(values, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let mut ids: Vec<u32> = (0..texts.len())
            .map(|i| {
                if texts.is_valid(i) {
                    self.id_of(texts.value(i))
                } else {
                    0
                }
            })
            .collect();
        // Keys out of range (on null rows only) read this null's.
        ids.push(0);
        self.dictionary = Some((Arc::clone(values), ids));
        Ok(())
    }

    /// The id of each row of `column`, written into `out`.
    fn number_views(&mut self, column: &StringViewArray, out: &mut Vec<u32>) {
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

/// Distinct times, numbered from 1 (0 is null).
#[derive(Default)]
pub(super) struct TimeIds {
    ids: FxHashMap<i64, u32>,
    pub(super) values: Vec<i64>,
}

impl TimeIds {
    /// The id of each row of `column`, written into `out`.
    pub(super) fn number(&mut self, column: &TimestampNanosecondArray, out: &mut Vec<u32>) {
        number_rows(column.values(), column.nulls(), out, |_, t| {
            *self.ids.entry(t).or_insert_with(|| {
                self.values.push(t);
                self.values.len() as u32
            })
        });
    }
}

/// The most hours a line is spread over: a month's. No CUR or FOCUS line
/// spans more than its billing period; one whose end says otherwise (a
/// damaged date) is spread over its first month, so its cost is kept and
/// the work stays bounded.
pub(crate) const MAX_SPAN_HOURS: u32 = 31 * 24;

/// The hours each line spans, when more than one, numbered from 1 (0: a
/// line of an hour or less, or whose start or end is null), at most
/// [`MAX_SPAN_HOURS`].
#[derive(Default)]
pub(super) struct SpanIds {
    ids: FxHashMap<u32, u32>,
    /// By id - 1, the hours.
    pub(super) values: Vec<u32>,
}

impl SpanIds {
    /// The id of each row's span, into `out`: its hours from its start's
    /// hour to its end, rounded up, when its end is past an hour after its
    /// start (a line of a daily or monthly export).
    pub(super) fn number(
        &mut self,
        start: &TimestampNanosecondArray,
        end: &TimestampNanosecondArray,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        out.resize(start.len(), 0);
        let long = |(&s, &e): (&i64, &i64)| e.saturating_sub(s) > HOUR_NS;
        if !start.values().iter().zip(end.values()).any(long) {
            return;
        }
        for (row, (s, e)) in start.values().iter().zip(end.values()).enumerate() {
            if !long((s, e)) || start.is_null(row) || end.is_null(row) {
                continue;
            }
            let from = s.saturating_sub(s.rem_euclid(HOUR_NS));
            let ns = e.saturating_sub(from);
            let hours = u32::try_from(ns / HOUR_NS + i64::from(ns % HOUR_NS != 0))
                .unwrap_or(u32::MAX)
                .min(MAX_SPAN_HOURS);
            out[row] = *self.ids.entry(hours).or_insert_with(|| {
                self.values.push(hours);
                self.values.len() as u32
            });
        }
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

/// One batch's ids of a key column.
pub(super) enum BatchIds<'a> {
    /// One id per row.
    Rows(&'a [u32]),
    /// A dictionary's keys, and the id of each key; a null row's id is 0
    /// (its key may be anything).
    Keys {
        keys: &'a [i32],
        nulls: Option<&'a NullBuffer>,
        ids: &'a [u32],
    },
}

impl BatchIds<'_> {
    /// The id of `row`.
    #[inline]
    pub(super) fn get(&self, row: usize) -> u32 {
        match self {
            BatchIds::Rows(ids) => ids[row],
            BatchIds::Keys { keys, nulls, ids } => {
                if nulls.is_some_and(|n| n.is_null(row)) {
                    0
                } else {
                    key_id(ids, keys[row])
                }
            }
        }
    }

    /// ORs the id of each row, shifted left by `shift`, into `codes` (one
    /// per row). A null row adds nothing (its id is 0), so a column mostly
    /// null is walked by its valid rows alone.
    pub(super) fn pack_into(&self, codes: &mut [u64], shift: u32) {
        match self {
            BatchIds::Rows(ids) => {
                for (code, &id) in codes.iter_mut().zip(ids.iter()) {
                    *code |= u64::from(id) << shift;
                }
            }
            BatchIds::Keys { keys, nulls, ids } => match nulls {
                None => {
                    for (code, &key) in codes.iter_mut().zip(keys.iter()) {
                        *code |= u64::from(key_id(ids, key)) << shift;
                    }
                }
                Some(nulls) if nulls.null_count() * 4 >= nulls.len() * 3 => {
                    for row in nulls.valid_indices() {
                        codes[row] |= u64::from(key_id(ids, keys[row])) << shift;
                    }
                }
                Some(nulls) => validity_chunks(Some(nulls), keys.len(), |rows, bits| {
                    let codes = &mut codes[rows.clone()];
                    for (j, (code, &key)) in codes.iter_mut().zip(&keys[rows]).enumerate() {
                        let valid = (bits >> j) & 1;
                        *code |= (u64::from(key_id(ids, key)) * valid) << shift;
                    }
                }),
            },
        }
    }

    /// Each row's id, into `out`.
    pub(super) fn write_into(&self, out: &mut Vec<u32>) {
        out.clear();
        match self {
            BatchIds::Rows(ids) => out.extend_from_slice(ids),
            BatchIds::Keys { keys, nulls, ids } => {
                out.resize(keys.len(), 0);
                validity_chunks(*nulls, keys.len(), |rows, bits| {
                    let out = &mut out[rows.clone()];
                    for (j, (id, &key)) in out.iter_mut().zip(&keys[rows]).enumerate() {
                        let valid = ((bits >> j) & 1) as u32;
                        *id = key_id(ids, key) * valid;
                    }
                });
            }
        }
    }
}

/// Runs `each(rows, bits)` over `len` rows, up to 64 at a time: bit `j` of
/// `bits` says whether the `j`th of `rows` is not null. Testing a bit in a
/// register costs no branch, where walking the runs of valid rows costs one
/// per run: bills interleave null and valid lines.
pub(super) fn validity_chunks(
    nulls: Option<&NullBuffer>,
    len: usize,
    mut each: impl FnMut(Range<usize>, u64),
) {
    let rows = |first: usize| first..(first + 64).min(len);
    match nulls {
        None => (0..len)
            .step_by(64)
            .for_each(|first| each(rows(first), u64::MAX)),
        Some(nulls) => nulls
            .inner()
            .bit_chunks()
            .iter_padded()
            .zip((0..len).step_by(64))
            .for_each(|(bits, first)| each(rows(first), bits)),
    }
}

/// The id of dictionary key `key`, `ids` ending with a 0 that a key out of
/// range reads (a valid array holds one only on a null row).
#[inline]
fn key_id(ids: &[u32], key: i32) -> u32 {
    let last = ids.len().saturating_sub(1);
    ids.get((key as u32 as usize).min(last))
        .copied()
        .unwrap_or(0)
}

/// Whether each id of a [`TextIds`] is one of some values, worked out once
/// per id.
pub(super) struct IdTest {
    values: Vec<&'static str>,
    /// Whether the test is "not one of them" (a null is then not one of them).
    negated: bool,
    /// By id; index 0 is null.
    known: Vec<bool>,
}

impl IdTest {
    /// One of `values`.
    pub(super) fn any_of(values: Vec<&'static str>) -> Self {
        IdTest {
            values,
            negated: false,
            known: vec![false],
        }
    }

    /// Not one of `values`, null included, as SQL's `IS DISTINCT FROM`.
    pub(super) fn none_of(values: Vec<&'static str>) -> Self {
        IdTest {
            values,
            negated: true,
            known: vec![true],
        }
    }

    /// Works the test out for the ids `ids` numbered since the last update.
    pub(super) fn update(&mut self, ids: &TextIds) {
        for v in &ids.values[self.known.len() - 1..] {
            self.known.push(self.values.contains(&&**v) != self.negated);
        }
    }

    #[inline]
    pub(super) fn holds(&self, id: u32) -> bool {
        self.known[id as usize]
    }
}
