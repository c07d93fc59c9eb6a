//! The symbolic phase of the order-1 elimination: the elimination order, the size of the dense
//! core and the cost of both, from the pattern of I − Q alone, before any numeric work (the
//! model reference, §Markov chain / Exact solve).
//!
//! Every entry of the elimination is a sum of non-negative products, so no entry cancels and
//! the filled pattern of the numeric elimination is exactly the symbolic one: the order
//! chosen here (Markowitz's rule on the pattern, ties to the lower state) is the order the
//! numeric phase follows, and the estimate is its exact count of fill-in updates. The pattern is
//! kept as sorted vectors of state ids (4 bytes an entry, merged, not hashed), so this phase is
//! an order of magnitude cheaper than the numeric one and a chain that fills in is refused
//! after it, not after the work.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::{Error, Result};

use super::counts::Chain;

/// Time of a fill-in update of the numeric elimination and its product in the selected
/// inverse (two hash updates and a binary search) in dense multiply-adds, for choosing when to
/// switch to the dense core and for the cost limit (measured on campaign tables: about 25 ns
/// per update on a busy core, against 0.4–0.8 ns per dense multiply-add).
pub(crate) const FILL_COST: f64 = 32.0;

/// Bytes per filled entry of the numeric elimination (its hash maps and the stored factors).
pub(crate) const FILL_BYTES: f64 = 48.0;

/// Multiply-adds of the dense core of `m` states (LU m³/3, inverse m³).
pub(crate) fn core_work(m: usize) -> f64 {
    4.0 / 3.0 * (m as f64).powi(3)
}

/// The elimination planned on the pattern.
#[derive(Debug)]
pub(crate) struct Symbolic {
    /// States to eliminate, in order.
    pub order: Vec<u32>,
    /// The remaining states (ascending): the dense core.
    pub core: Vec<u32>,
    /// Σ in(v)·out(v) over the eliminated states: fill-in updates of the numeric phase.
    pub updates: f64,
    /// Most entries of the pattern at any time (the numeric phase's peak).
    pub peak_entries: f64,
}

impl Symbolic {
    /// Estimated multiply-adds of the numeric phase: the updates and the dense core.
    pub(crate) fn work(&self) -> f64 {
        FILL_COST * self.updates + core_work(self.core.len())
    }

    /// Estimated bytes of the numeric phase's largest allocations.
    pub(crate) fn bytes(&self) -> f64 {
        let m = self.core.len() as f64;
        FILL_BYTES * self.peak_entries + 16.0 * m * m
    }
}

/// Plans the elimination of `chain`'s transient states: states are taken by fewest fill-in
/// updates (in-degree × out-degree among the remaining states) until the cheapest would cost
/// more than keeping it in the dense core (its marginal 4m² multiply-adds).
///
/// # Errors
/// [`Error::CostLimit`] as soon as the estimated work of the numeric phase passes `max_work`
/// (so the planning itself stops early on a chain that fills in).
///
/// # Complexity
/// Per eliminated state v, Σ_{i ∈ in(v)} (out(i) + out(v)) + Σ_{j ∈ out(v)} (in(j) + in(v))
/// merged entries (a binary-search insertion instead when v has few neighbours); memory 8 bytes
/// per entry of the pattern (both directions).
pub(crate) fn plan(chain: &Chain, max_work: f64) -> Result<Symbolic> {
    let n = chain.transient();
    let mut out: Vec<Vec<u32>> = Vec::with_capacity(n);
    let mut inc: Vec<Vec<u32>> = vec![Vec::new(); n];
    for s in 0..n {
        let row: Vec<u32> = if chain.visits[s] > 0.0 {
            let r = chain.out_ptr[s]..chain.out_ptr[s + 1];
            chain.out_to[r]
                .iter()
                .copied()
                .filter(|&t| t as usize != s)
                .collect()
        } else {
            Vec::new()
        };
        for &t in &row {
            inc[t as usize].push(s as u32); // s ascending: every inc row stays sorted
        }
        out.push(row);
    }
    let mut entries: f64 = out.iter().map(|r| r.len() as f64).sum();
    let mut peak_entries = entries;
    let cost = |out: &[Vec<u32>], inc: &[Vec<u32>], s: usize| -> u64 {
        out[s].len() as u64 * inc[s].len() as u64
    };
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = (0..n)
        .map(|s| Reverse((cost(&out, &inc, s), s as u32)))
        .collect();
    let mut done = vec![false; n];
    let mut order = Vec::new();
    let mut updates = 0.0;
    let mut remaining = n;
    let mut scratch = Vec::new();
    while let Some(Reverse((c, v))) = heap.pop() {
        let vi = v as usize;
        if done[vi] || c != cost(&out, &inc, vi) {
            continue; // stale entry
        }
        let m = remaining as f64;
        if FILL_COST * c as f64 > 4.0 * m * m {
            break;
        }
        updates += c as f64;
        if FILL_COST * updates > max_work {
            // A lower bound: the elimination so far, without the core.
            return Err(limit(
                FILL_COST * updates,
                FILL_BYTES * peak_entries,
                max_work,
                order.len() + 1,
                remaining - 1,
            ));
        }
        let upper = std::mem::take(&mut out[vi]);
        let lower = std::mem::take(&mut inc[vi]);
        entries -= (upper.len() + lower.len()) as f64;
        for &i in &lower {
            let row = &mut out[i as usize];
            let before = row.len();
            union_without(row, &upper, i, v, &mut scratch);
            entries += row.len() as f64 - before as f64;
        }
        for &j in &upper {
            union_without(&mut inc[j as usize], &lower, j, v, &mut scratch);
        }
        peak_entries = peak_entries.max(entries);
        done[vi] = true;
        remaining -= 1;
        order.push(v);
        for &s in upper.iter().chain(&lower) {
            heap.push(Reverse((cost(&out, &inc, s as usize), s)));
        }
    }
    let core: Vec<u32> = (0..n as u32).filter(|&s| !done[s as usize]).collect();
    let plan = Symbolic {
        order,
        core,
        updates,
        peak_entries,
    };
    if plan.work() > max_work {
        return Err(limit(
            plan.work(),
            plan.bytes(),
            max_work,
            plan.order.len(),
            plan.core.len(),
        ));
    }
    Ok(plan)
}

/// `row = (row ∪ add) \ {skip, gone}` for sorted `row` and `add` (`gone` ∈ row, `skip` may be
/// in `add`): a merge through `scratch`, or binary-search insertions when `add` is short.
fn union_without(row: &mut Vec<u32>, add: &[u32], skip: u32, gone: u32, scratch: &mut Vec<u32>) {
    if let Ok(p) = row.binary_search(&gone) {
        row.remove(p);
    }
    if add.len() * 16 < row.len() {
        for &x in add {
            if x != skip
                && let Err(p) = row.binary_search(&x)
            {
                row.insert(p, x);
            }
        }
        return;
    }
    scratch.clear();
    scratch.reserve(row.len() + add.len());
    let (mut a, mut b) = (0, 0);
    while a < row.len() || b < add.len() {
        let x = match (row.get(a), add.get(b)) {
            (Some(&x), Some(&y)) if x < y => {
                a += 1;
                x
            }
            (Some(&x), Some(&y)) if x == y => {
                a += 1;
                b += 1;
                x
            }
            (_, Some(&y)) => {
                b += 1;
                y
            }
            (Some(&x), None) => {
                a += 1;
                x
            }
            (None, None) => unreachable!("the loop condition"),
        };
        if x != skip {
            scratch.push(x);
        }
    }
    std::mem::swap(row, scratch);
}

fn limit(work: f64, bytes: f64, max_work: f64, eliminated: usize, core: usize) -> Error {
    Error::CostLimit {
        model: "markov",
        limit: "max_work",
        allowed: max_work,
        cost: work,
        estimate: format!(
            "the exact order-1 solve (sparse elimination of {eliminated} states, then a dense \
             core of {core} states, planned on the pattern before any numeric work) needs at \
             least {work:.1e} multiply-adds and {:.0} MB",
            bytes / 1e6
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_without_merges_and_inserts() {
        let mut scratch = Vec::new();
        let mut row = vec![1, 3, 5, 7];
        union_without(&mut row, &[2, 3, 4, 9], 4, 5, &mut scratch);
        assert_eq!(row, [1, 2, 3, 7, 9]);
        // Short `add`: insertions.
        let mut row: Vec<u32> = (0..100).map(|x| 2 * x).collect();
        union_without(&mut row, &[3, 4, 7], 7, 10, &mut scratch);
        let mut want: Vec<u32> = (0..100).map(|x| 2 * x).filter(|&x| x != 10).collect();
        want.push(3);
        want.sort_unstable();
        assert_eq!(row, want);
    }
}
