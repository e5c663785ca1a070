//! Combinations of a line's key ids, numbered in the order first seen.
//!
//! A line's combination is looked up packed into one `u128`, each key's id
//! in as many bits as that key's ids need so far: one integer to compare and
//! hash instead of 16 ids. When a key gets more ids than its bits hold, the
//! widths grow and the index is rebuilt from the combinations kept; when the
//! widths together outgrow 128 bits, the ids themselves are looked up from
//! then on.

use rustc_hash::FxHashMap;

use super::MAX_KEYS;
use super::ids::BatchIds;

/// The ids of a line's keys but its own time: further times, texts, flag.
pub(crate) type Combination = [u32; MAX_KEYS];

/// Combinations of key ids, numbered from 0 in the order first seen.
pub(super) struct Combinations {
    /// By number.
    pub(super) keys: Vec<Combination>,
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
    pub(super) fn new(keys: usize) -> Self {
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
    pub(super) fn fit(&mut self, counts: &[usize]) {
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

    /// The packed combination of each row of a batch of `rows` rows, whose
    /// key ids are `columns`, into `halves` (low, high), one per row; false
    /// when not packing. Every row is packed, kept or not: a column read in order,
    /// with no index to follow, costs less per row than the kept rows alone.
    pub(super) fn pack(
        &self,
        columns: &[BatchIds<'_>],
        rows: usize,
        halves: &mut [Vec<u64>; 2],
    ) -> bool {
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
            ids.pack_into(half, shift);
        }
        true
    }

    /// The ids `code` packs.
    fn unpack(packing: &Packing, code: u128) -> Combination {
        let mut combination: Combination = [0; MAX_KEYS];
        for (k, id) in combination.iter_mut().enumerate() {
            let mask = (1u128 << packing.widths[k]) - 1;
            *id = ((code >> packing.shifts[k]) & mask) as u32;
        }
        combination
    }

    /// Key `k`'s id `id`, packed (0 when not packing).
    #[inline]
    pub(super) fn packed(&self, k: usize, id: u32) -> u128 {
        self.packing
            .as_ref()
            .map_or(0, |p| u128::from(id) << p.shifts[k])
    }

    /// The number of the combination packed as `code` (when packing).
    #[inline]
    pub(super) fn id_of_packed(&mut self, code: u128) -> u32 {
        let next = self.keys.len() as u32;
        let id = *self.packed_ids.entry(code).or_insert(next);
        if id == next
            && let Some(packing) = &self.packing
        {
            self.keys.push(Self::unpack(packing, code));
        }
        id
    }

    /// The number of the combination `combination` (when not packing).
    pub(super) fn id_of(&mut self, combination: Combination) -> u32 {
        let next = self.keys.len() as u32;
        let id = *self.ids.entry(combination).or_insert(next);
        if id == next {
            self.keys.push(combination);
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number of `c` through whichever index is in use.
    fn number(index: &mut Combinations, c: Combination) -> u32 {
        match &index.packing {
            Some(p) => {
                let code = Combinations::pack_one(p, &c);
                index.id_of_packed(code)
            }
            None => index.id_of(c),
        }
    }

    /// Growing ids widen the packing, then outgrow it; whichever index is in
    /// use, a combination keeps its number and its ids, and distinct ones
    /// get distinct numbers.
    #[test]
    fn numbers_hold_across_repacking_and_giving_up_packing() {
        for capacity in [128, 24] {
            let mut index = Combinations::with_capacity(3, capacity);
            let mut seen: Vec<Combination> = Vec::new();
            for round in 0..300u32 {
                let c: Combination = {
                    let mut c = [0; MAX_KEYS];
                    c[0] = round % 7;
                    c[1] = round;
                    c[2] = (round * 37) % 1000;
                    c
                };
                let counts = [8, round as usize + 1, 1001];
                index.fit(&counts);
                let id = number(&mut index, c);
                assert_eq!(id as usize, seen.len(), "capacity {capacity}: a new number");
                seen.push(c);
                // Every combination seen keeps its number.
                for (old, c) in seen.iter().enumerate().step_by(17) {
                    assert_eq!(number(&mut index, *c) as usize, old);
                }
            }
            assert_eq!(index.keys, seen, "capacity {capacity}: the ids kept");
            // 5 + 10 + 11 bits fit 128 but not 24.
            assert_eq!(index.packing.is_some(), capacity == 128);
        }
    }
}
