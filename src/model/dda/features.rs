//! The features of a journey that the logistic conversion model reads, and the journey summary
//! that evaluates them on any subset of the journey's channels (the coalitions of `dda`).
//!
//! Feature layout (indices into the coefficient vector):
//!
//! ```text
//! 0                      intercept
//! 1 + c                  presence of channel c                 (1 when c is touched)
//! 1 + n + c              ln(touches of c)                      (counts on; 0 for one touch)
//! next n, next n         c is the first touch, c is the last touch    (position on)
//! next |pairs|           both c and d are touched (c < d)      (interactions Pairs or Ordered)
//! next |ordered|         some touch of c precedes some touch of d     (interactions Ordered)
//! ```
//!
//! Removing channels from a journey keeps the order of the others, so on a subset S of the
//! journey's distinct channels every feature is a function of per-channel statistics that do not
//! change (count, first and last position): the first touch of the restricted journey is the
//! channel of S with the smallest first position, and `c` precedes `d` in the restricted journey
//! exactly when it does in the whole one.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which pairwise interaction features the logistic model has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interactions {
    /// Main effects only.
    None,
    /// One feature per unordered pair of channels touched together (synergy).
    #[default]
    Pairs,
    /// [`Interactions::Pairs`] plus one feature per ordered pair `c → d` (some touch of `c`
    /// precedes some touch of `d`): order effects.
    Ordered,
}

/// The feature design of a fitted model: what each coefficient means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Design {
    /// Number of channels n of the fit's vocabulary.
    pub n: usize,
    pub counts: bool,
    pub position: bool,
    /// Unordered pairs `(c, d)`, `c < d`, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// Ordered pairs `(c, d)`: c precedes d; sorted.
    pub ordered: Vec<(u32, u32)>,
}

impl Design {
    fn counts_at(&self) -> usize {
        1 + self.n
    }
    fn first_at(&self) -> usize {
        1 + self.n * (1 + usize::from(self.counts))
    }
    fn last_at(&self) -> usize {
        self.first_at() + self.n
    }
    fn pairs_at(&self) -> usize {
        self.first_at() + if self.position { 2 * self.n } else { 0 }
    }
    fn ordered_at(&self) -> usize {
        self.pairs_at() + self.pairs.len()
    }

    /// Number of coefficients p.
    pub fn len(&self) -> usize {
        self.ordered_at() + self.ordered.len()
    }

    /// Readable name of feature `j` (`(intercept)`, `Email`, `ln count Email`, `first Email`,
    /// `last Email`, `Email & Search`, `Email → Search`).
    pub fn feature_name(&self, j: usize, names: &[String]) -> String {
        let nm = |c: usize| names.get(c).map_or("?", |s| s.as_str());
        if j == 0 {
            return "(intercept)".into();
        }
        if j < self.counts_at() {
            return nm(j - 1).to_string();
        }
        if self.counts && j < self.first_at() {
            return format!("ln count {}", nm(j - self.counts_at()));
        }
        if self.position && j < self.last_at() {
            return format!("first {}", nm(j - self.first_at()));
        }
        if self.position && j < self.pairs_at() {
            return format!("last {}", nm(j - self.last_at()));
        }
        if j < self.ordered_at() {
            let (c, d) = self.pairs[j - self.pairs_at()];
            return format!("{} & {}", nm(c as usize), nm(d as usize));
        }
        match self.ordered.get(j - self.ordered_at()) {
            Some(&(c, d)) => format!("{} → {}", nm(c as usize), nm(d as usize)),
            None => "?".into(),
        }
    }

    /// Checks that the coefficient vector fits the design and the pairs name known channels.
    pub fn check(&self, beta_len: usize, model: &'static str) -> Result<()> {
        let ok_pair = |&(c, d): &(u32, u32)| (c as usize) < self.n && (d as usize) < self.n;
        if beta_len != self.len()
            || !self.pairs.iter().all(ok_pair)
            || !self.ordered.iter().all(ok_pair)
        {
            return Err(Error::InvalidParameter {
                model,
                name: "fit",
                reason: format!(
                    "{beta_len} coefficients do not match the design's {} features",
                    self.len()
                ),
            });
        }
        Ok(())
    }

    /// Appends the sparse features of a whole journey (without the intercept) to `out`.
    pub fn features(&self, s: &Summary, out: &mut Vec<(u32, f64)>) {
        let k = s.ch.len();
        for i in 0..k {
            let c = s.ch[i] as usize;
            out.push(((1 + c) as u32, 1.0));
            if self.counts && s.count[i] > 1 {
                out.push(((self.counts_at() + c) as u32, f64::from(s.count[i]).ln()));
            }
        }
        if self.position && k > 0 {
            let (f, l) = (s.first_channel(), s.last_channel());
            out.push(((self.first_at() + s.ch[f] as usize) as u32, 1.0));
            out.push(((self.last_at() + s.ch[l] as usize) as u32, 1.0));
        }
        for i in 0..k {
            for j in 0..k {
                if i == j {
                    continue;
                }
                let (c, d) = (s.ch[i], s.ch[j]);
                if c < d
                    && let Ok(q) = self.pairs.binary_search(&(c, d))
                {
                    out.push(((self.pairs_at() + q) as u32, 1.0));
                }
                if s.first[i] < s.last[j]
                    && let Ok(q) = self.ordered.binary_search(&(c, d))
                {
                    out.push(((self.ordered_at() + q) as u32, 1.0));
                }
            }
        }
    }

    /// The linear predictor of a journey restricted to its distinct channels with
    /// `members[i]`, from the per-journey tables of [`Design::prepare`]. O(k²).
    pub fn eta_prepared(&self, prep: &Prepared, members: &[bool]) -> f64 {
        let k = prep.own.len();
        let mut eta = prep.intercept;
        let mut any = false;
        for i in 0..k {
            if members[i] {
                any = true;
                eta += prep.own[i];
                if !prep.pair.is_empty() {
                    for (j, &m) in members.iter().enumerate().take(k).skip(i + 1) {
                        if m {
                            eta += prep.pair[i * k + j];
                        }
                    }
                }
            }
        }
        if self.position && any {
            let f = arg_best(&prep.first_pos, members, |a, b| a < b);
            let l = arg_best(&prep.last_pos, members, |a, b| a > b);
            eta += prep.first[f] + prep.last[l];
        }
        eta
    }

    /// Per-journey tables that make the linear predictor of any subset cheap: each distinct
    /// channel's own effect and, for every pair of distinct channels, their joint effect.
    pub fn prepare(&self, beta: &[f64], s: &Summary, prep: &mut Prepared) {
        let k = s.ch.len();
        prep.intercept = beta[0];
        prep.own.clear();
        prep.first.clear();
        prep.last.clear();
        prep.first_pos.clear();
        prep.last_pos.clear();
        for i in 0..k {
            let c = s.ch[i] as usize;
            let mut u = beta[1 + c];
            if self.counts && s.count[i] > 1 {
                u += beta[self.counts_at() + c] * f64::from(s.count[i]).ln();
            }
            prep.own.push(u);
            if self.position {
                prep.first.push(beta[self.first_at() + c]);
                prep.last.push(beta[self.last_at() + c]);
            }
        }
        prep.first_pos.extend_from_slice(&s.first);
        prep.last_pos.extend_from_slice(&s.last);
        prep.pair.clear();
        if self.pairs.is_empty() && self.ordered.is_empty() {
            return;
        }
        prep.pair.resize(k * k, 0.0);
        for i in 0..k {
            for j in 0..k {
                if i == j {
                    continue;
                }
                let (c, d) = (s.ch[i], s.ch[j]);
                let (lo, hi) = (i.min(j), i.max(j));
                if c < d
                    && let Ok(q) = self.pairs.binary_search(&(c, d))
                {
                    prep.pair[lo * k + hi] += beta[self.pairs_at() + q];
                }
                if s.first[i] < s.last[j]
                    && let Ok(q) = self.ordered.binary_search(&(c, d))
                {
                    prep.pair[lo * k + hi] += beta[self.ordered_at() + q];
                }
            }
        }
    }
}

/// Per-journey coefficient tables (see [`Design::prepare`]); reused across journeys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared {
    pub intercept: f64,
    pub own: Vec<f64>,
    /// `pair[i·k + j]`, i < j: the joint effect of distinct channels i and j.
    pub pair: Vec<f64>,
    pub first: Vec<f64>,
    pub last: Vec<f64>,
    first_pos: Vec<u32>,
    last_pos: Vec<u32>,
}

/// Bit `i` of a coalition mask (coalitions have at most 64 players).
#[inline]
pub(crate) fn has(mask: u64, i: usize) -> bool {
    i < 64 && (mask >> i) & 1 == 1
}

/// Index of the best position among the members (at least one member).
fn arg_best(pos: &[u32], members: &[bool], better: impl Fn(u32, u32) -> bool) -> usize {
    let mut best = usize::MAX;
    for (i, &p) in pos.iter().enumerate() {
        if members[i] && (best == usize::MAX || better(p, pos[best])) {
            best = i;
        }
    }
    best.min(pos.len().saturating_sub(1))
}

/// A journey by its distinct channels, in order of first touch: the count, first and last
/// position (0-based touch index) of each.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Summary {
    /// Channel index (of the fit's vocabulary) of distinct channel i.
    pub ch: Vec<u32>,
    pub count: Vec<u32>,
    pub first: Vec<u32>,
    pub last: Vec<u32>,
    /// For each touch of the journey that was kept, the distinct channel it belongs to
    /// (`u32::MAX` for dropped touches).
    pub touch_of: Vec<u32>,
}

impl Summary {
    /// Summarises a journey of channel indices; `None` entries (channels the fit does not know)
    /// are dropped. `slot` is a scratch vector of length ≥ n, all `u32::MAX` on entry and on
    /// return.
    pub fn build(&mut self, path: impl Iterator<Item = Option<u32>>, slot: &mut [u32]) {
        self.ch.clear();
        self.count.clear();
        self.first.clear();
        self.last.clear();
        self.touch_of.clear();
        for (t, c) in path.enumerate() {
            let Some(c) = c else {
                self.touch_of.push(u32::MAX);
                continue;
            };
            let t = t as u32;
            let s = &mut slot[c as usize];
            if *s == u32::MAX {
                *s = self.ch.len() as u32;
                self.ch.push(c);
                self.count.push(0);
                self.first.push(t);
                self.last.push(t);
            }
            let i = *s as usize;
            self.count[i] += 1;
            self.last[i] = t;
            self.touch_of.push(i as u32);
        }
        for &c in &self.ch {
            slot[c as usize] = u32::MAX;
        }
    }

    /// Distinct channel of the first touch (0 on an empty journey).
    pub fn first_channel(&self) -> usize {
        // Distinct channels are in order of first touch.
        0
    }

    /// Distinct channel of the last touch (0 on an empty journey).
    pub fn last_channel(&self) -> usize {
        self.touch_of
            .iter()
            .rev()
            .find(|&&i| i != u32::MAX)
            .map_or(0, |&i| i as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(path: &[u32], n: usize) -> Summary {
        let mut s = Summary::default();
        let mut slot = vec![u32::MAX; n];
        s.build(path.iter().map(|&c| Some(c)), &mut slot);
        assert!(slot.iter().all(|&x| x == u32::MAX));
        s
    }

    #[test]
    fn prepared_predictor_equals_the_features_of_the_restricted_journey() {
        // Channels 0..3; path 2 > 0 > 2 > 1 > 0; every feature kind on.
        let d = Design {
            n: 3,
            counts: true,
            position: true,
            pairs: vec![(0, 1), (0, 2), (1, 2)],
            ordered: vec![(0, 1), (1, 0), (1, 2), (2, 0), (2, 1)],
        };
        let beta: Vec<f64> = (0..d.len()).map(|j| 0.1 * j as f64 - 0.7).collect();
        let path = [2u32, 0, 2, 1, 0];
        let s = summary(&path, 3);
        assert_eq!(s.ch, [2, 0, 1]);
        assert_eq!(s.count, [2, 2, 1]);
        let mut prep = Prepared::default();
        d.prepare(&beta, &s, &mut prep);
        for mask in 0u64..8 {
            // Restrict the path to the distinct channels in mask, then compute its features.
            let keep: Vec<u32> = path
                .iter()
                .copied()
                .filter(|c| mask >> s.ch.iter().position(|x| x == c).unwrap() & 1 == 1)
                .collect();
            let mut f = Vec::new();
            if !keep.is_empty() {
                d.features(&summary(&keep, 3), &mut f);
            }
            let direct = beta[0] + f.iter().map(|&(j, x)| beta[j as usize] * x).sum::<f64>();
            let members: Vec<bool> = (0..3).map(|i| has(mask, i)).collect();
            let fast = d.eta_prepared(&prep, &members);
            assert!(
                (direct - fast).abs() < 1e-12,
                "mask {mask}: {direct} vs {fast}"
            );
        }
        assert_eq!(d.feature_name(0, &["a".into()]), "(intercept)");
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(d.feature_name(4, &names), "ln count a");
        assert_eq!(d.feature_name(d.pairs_at(), &names), "a & b");
        assert_eq!(d.feature_name(d.ordered_at() + 1, &names), "b → a");
    }
}
