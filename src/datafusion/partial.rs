//! The partial state of `touchpoint_paths` and `touchpoint_merge`: a path table whose untimed
//! rows keep compensated sums, shipped between phases as an encoded table plus the rounding
//! residues of its rows.

use rustc_hash::FxHashMap;

use crate::channel::{ChannelId, Channels};
use crate::codec;
use crate::error::{Error, ParseProblem, Result};
use crate::outcome::{Compensated, Outcome};
use crate::table::{DEFAULT_MAX_PATH_LEN, PathTable};

/// The accumulator state of `touchpoint_paths` / `touchpoint_merge`: untimed rows with
/// compensated sums, timed rows (from merged journey tables) kept as they are.
#[derive(Debug)]
pub(super) struct Partial {
    channels: Channels,
    max_path_len: usize,
    rows: FxHashMap<Box<[ChannelId]>, [Compensated; 3]>,
    timed: PathTable,
    /// Touches in `rows` (for `size`).
    touches: usize,
    /// The path being added, in `channels` ids.
    ids: Vec<ChannelId>,
}

impl Default for Partial {
    fn default() -> Self {
        Partial {
            channels: Channels::new(),
            max_path_len: DEFAULT_MAX_PATH_LEN,
            rows: FxHashMap::default(),
            timed: PathTable::new(),
            touches: 0,
            ids: Vec::new(),
        }
    }
}

impl Partial {
    /// Adds the untimed path in `self.ids`.
    fn add_row(&mut self, outcome: Outcome, residue: [f64; 3]) -> Result<()> {
        let len = self.ids.len();
        crate::table::check_path_len(len, self.max_path_len)?;
        outcome.validate()?;
        let nums = [outcome.conversions, outcome.value, outcome.nulls];
        let sums = match self.rows.get_mut(self.ids.as_slice()) {
            Some(sums) => sums,
            None => {
                self.touches += len;
                self.rows
                    .entry(self.ids.as_slice().into())
                    .or_insert([Compensated::default(); 3])
            }
        };
        for ((s, x), r) in sums.iter_mut().zip(nums).zip(residue) {
            s.add_parts(x, r);
        }
        Ok(())
    }

    /// Adds a path given as channel names.
    pub(super) fn add_names<'a>(
        &mut self,
        names: impl Iterator<Item = &'a str>,
        outcome: Outcome,
    ) -> Result<()> {
        self.ids.clear();
        for (i, name) in names.enumerate() {
            if name.is_empty() {
                return Err(Error::InvalidPath(ParseProblem::EmptyToken {
                    position: i + 1,
                }));
            }
            let id = self.channels.intern(name)?;
            self.ids.push(id);
        }
        self.add_row(outcome, [0.0; 3])
    }

    /// Adds every row of `table`; `residues` are the bytes [`Partial::to_table`] wrote with it
    /// (one entry per row), `None` for a table from elsewhere.
    pub(super) fn merge_table(&mut self, table: &PathTable, residues: Option<&[u8]>) -> Result<()> {
        let remap: Vec<ChannelId> = table
            .channels()
            .iter()
            .map(|(_, name)| self.channels.intern(name))
            .collect::<Result<_>>()?;
        let mut residues = residues.map(|bytes| Residues {
            bytes,
            pos: 0,
            row: 0,
        });
        for row in table.rows() {
            let residue = match residues.as_mut() {
                Some(r) => r.next()?,
                None => [0.0; 3],
            };
            match row.times {
                None => {
                    self.ids.clear();
                    self.ids.extend(row.path.iter().map(|id| remap[id.index()]));
                    self.add_row(row.outcome, residue)?;
                }
                Some(times) => {
                    let names = row.path.iter().map(|&id| table.channels().name(id));
                    self.timed.set_max_path_len(self.max_path_len);
                    self.timed
                        .add_timed(names, times, row.converted_at, row.outcome)?;
                }
            }
        }
        match residues {
            Some(r) if r.pos != r.bytes.len() => Err(Error::Decode {
                offset: r.pos,
                problem: codec::DecodeProblem::TrailingBytes {
                    count: r.bytes.len() - r.pos,
                },
            }),
            _ => Ok(()),
        }
    }

    /// The partial table (rounded sums) and the residues of its rows: per row a mask byte (bit
    /// i: a residue for count i follows) and the residues as f64 little-endian.
    pub(super) fn to_table(&self) -> Result<(PathTable, Vec<u8>)> {
        let mut t = PathTable::new();
        t.set_max_path_len(self.max_path_len);
        for (_, name) in self.channels.iter() {
            // Same names in the same order: the same ids as in `self.rows`.
            t.intern(name)?;
        }
        let mut residues = Vec::with_capacity(self.rows.len());
        for (path, sums) in &self.rows {
            let parts = sums.map(|s| s.parts());
            t.add_ids(path, Outcome::new(parts[0].0, parts[1].0, parts[2].0))?;
            let mask = parts
                .iter()
                .enumerate()
                .filter(|(_, p)| p.1 != 0.0)
                .fold(0u8, |m, (i, _)| m | 1 << i);
            residues.push(mask);
            for (_, r) in parts.iter().filter(|p| p.1 != 0.0) {
                residues.extend_from_slice(&r.to_le_bytes());
            }
        }
        t.merge(&self.timed)?;
        residues.resize(residues.len() + self.timed.len(), 0);
        Ok((t, residues))
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.rows.capacity() * (size_of::<Box<[ChannelId]>>() + size_of::<[Compensated; 3]>() + 1)
            + self.touches * size_of::<ChannelId>()
            + self.timed.heap_bytes()
            + self.channels.len() * 48
    }
}

/// Reader of the residue bytes of [`Partial::to_table`].
struct Residues<'a> {
    bytes: &'a [u8],
    pos: usize,
    row: u64,
}

impl Residues<'_> {
    fn next(&mut self) -> Result<[f64; 3]> {
        let truncated = |pos| Error::Decode {
            offset: pos,
            problem: codec::DecodeProblem::Truncated {
                what: "the residues",
            },
        };
        let &mask = self
            .bytes
            .get(self.pos)
            .ok_or_else(|| truncated(self.pos))?;
        if mask > 7 {
            return Err(Error::Decode {
                offset: self.pos,
                problem: codec::DecodeProblem::UnknownTag {
                    row: self.row,
                    what: "residue",
                    code: mask,
                },
            });
        }
        self.pos += 1;
        let mut out = [0.0; 3];
        for (i, r) in out
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| mask >> i & 1 == 1)
        {
            let b = self
                .bytes
                .get(self.pos..self.pos + 8)
                .ok_or_else(|| truncated(self.pos))?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            *r = f64::from_le_bytes(a);
            if !r.is_finite() {
                return Err(Error::InvalidCount {
                    field: ["conversions", "value", "nulls"][i],
                    value: *r,
                    reason: "rounding residue must be finite",
                });
            }
            self.pos += 8;
        }
        self.row += 1;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(rows: &[(&str, f64, f64, f64)]) -> Partial {
        let mut p = Partial::default();
        for &(path, c, v, u) in rows {
            p.add_names(path.split('>').map(str::trim), Outcome::new(c, v, u))
                .unwrap();
        }
        p
    }

    #[test]
    fn states_merge_with_their_residues() {
        // Five conversions worth fl(12.34) each: the exact sum, 5·fl(12.34), rounds to 61.7
        // (checked with exact rationals); summing the halves' rounded sums gives
        // 61.699999999999996.
        let rows = [("A > B", 1.0, 12.34, 0.0); 5];
        let whole = partial(&rows);
        let (left, right) = (partial(&rows[..2]), partial(&rows[2..]));
        let mut merged = Partial::default();
        for p in [&right, &left] {
            let (t, res) = p.to_table().unwrap();
            let t = codec::decode(&codec::encode(&t)).unwrap();
            merged.merge_table(&t, Some(&res)).unwrap();
        }
        let (a, _) = merged.to_table().unwrap();
        let (b, _) = whole.to_table().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.row(0).outcome, Outcome::new(5.0, 61.7, 0.0));
        // Without the residues the rounding errors of the halves are lost.
        let mut lossy = Partial::default();
        for p in [&right, &left] {
            lossy.merge_table(&p.to_table().unwrap().0, None).unwrap();
        }
        assert_eq!(
            lossy.to_table().unwrap().0.row(0).outcome.value,
            61.699999999999996
        );
    }

    #[test]
    fn bad_residues_are_decode_errors() {
        let p = partial(&[("A", 1.0, 0.1, 0.0), ("B", 3.0, 0.3, 0.0)]);
        let (t, res) = p.to_table().unwrap();
        let mut m = Partial::default();
        assert!(matches!(
            m.merge_table(&t, Some(&res[..res.len() - 1])),
            Err(Error::Decode { .. })
        ));
        let mut extra = res.clone();
        extra.push(0);
        assert!(matches!(
            Partial::default().merge_table(&t, Some(&extra)),
            Err(Error::Decode {
                problem: codec::DecodeProblem::TrailingBytes { count: 1 },
                ..
            })
        ));
        let mut bad = res.clone();
        bad[0] = 8;
        assert!(matches!(
            Partial::default().merge_table(&t, Some(&bad)),
            Err(Error::Decode {
                problem: codec::DecodeProblem::UnknownTag { row: 0, .. },
                ..
            })
        ));
    }

    #[test]
    fn paths_are_checked_like_the_csv_reader() {
        let mut p = Partial::default();
        let ok = Outcome::converted(1.0, 0.0);
        assert!(matches!(
            p.add_names(["A", ""].into_iter(), ok),
            Err(Error::InvalidPath(ParseProblem::EmptyToken { position: 2 }))
        ));
        assert!(matches!(
            p.add_names(std::iter::empty(), ok),
            Err(Error::InvalidPath(ParseProblem::EmptyPath))
        ));
        assert!(p.add_names(["(null)"].into_iter(), ok).is_err());
        assert!(
            p.add_names(["A"].into_iter(), Outcome::new(0.0, 1.0, 0.0))
                .is_err()
        );
        p.max_path_len = 2;
        assert!(matches!(
            p.add_names(["A"; 3].into_iter(), ok),
            Err(Error::InvalidPath(ParseProblem::PathTooLong {
                len: 3,
                limit: 2
            }))
        ));
        assert!(p.rows.is_empty());
    }
}
