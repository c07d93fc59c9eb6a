//! Reachability of the removed chains at order ≥ 2 (a measurement, test builds only): the states
//! whose conversion probability changes when a channel is removed are the ancestors of the
//! states containing it. `sizes_of_removed_chains` prints their sizes on the 1,000-channel
//! tables (issue 12, point 3).

use super::counts::Chain;

/// Predecessors by state (the transpose of the chain's transient transitions, pattern only).
#[derive(Debug)]
pub(crate) struct Predecessors {
    ptr: Vec<usize>,
    from: Vec<u32>,
}

impl Predecessors {
    /// The transpose of `chain`'s transient transitions.
    pub(crate) fn new(chain: &Chain) -> Predecessors {
        let n = chain.transient();
        let mut ptr = vec![0usize; n + 1];
        for &t in &chain.out_to {
            ptr[t as usize + 1] += 1;
        }
        for s in 0..n {
            ptr[s + 1] += ptr[s];
        }
        let mut fill = ptr.clone();
        let mut from = vec![0u32; chain.out_to.len()];
        for s in 0..n {
            for (t, _) in chain.out(s) {
                from[fill[t as usize]] = s as u32;
                fill[t as usize] += 1;
            }
        }
        Predecessors { ptr, from }
    }

    /// The predecessors of `t`.
    pub(crate) fn of(&self, t: usize) -> &[u32] {
        &self.from[self.ptr[t]..self.ptr[t + 1]]
    }
}

/// Sizes of channel `c`'s removed chain: (states containing c, their ancestors outside them,
/// transitions out of those ancestors). `mark` is scratch of length `chain.transient()`, all
/// `u32::MAX` on entry and on return.
pub(crate) fn affected(
    chain: &Chain,
    pred: &Predecessors,
    members: &[u32],
    mark: &mut [u32],
    c: u32,
) -> (usize, usize, usize) {
    let mut stack: Vec<u32> = Vec::new();
    for &s in members {
        mark[s as usize] = c;
    }
    let mut ancestors = Vec::new();
    for &s in members {
        for &p in pred.of(s as usize) {
            if mark[p as usize] != c {
                mark[p as usize] = c;
                stack.push(p);
            }
        }
    }
    while let Some(s) = stack.pop() {
        ancestors.push(s);
        for &p in pred.of(s as usize) {
            if mark[p as usize] != c {
                mark[p as usize] = c;
                stack.push(p);
            }
        }
    }
    let edges = ancestors
        .iter()
        .map(|&s| chain.out_ptr[s as usize + 1] - chain.out_ptr[s as usize])
        .sum();
    for &s in members.iter().chain(&ancestors) {
        mark[s as usize] = u32::MAX;
    }
    (members.len(), ancestors.len(), edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::markov::states::StateRule;
    use crate::synth::{SynthConfig, SynthSize, generate};

    /// Prints the sizes of the removed chains of the generated 1,000-channel tables
    /// (`cargo test --release sizes -- --ignored --nocapture`; a measurement, not a check).
    #[test]
    #[ignore]
    fn sizes_of_removed_chains() {
        for rows in [100_000, 1_000_000] {
            let t = generate(&SynthConfig {
                size: SynthSize::DistinctPaths(rows),
                channels: 1000,
                seed: 7,
                ..SynthConfig::default()
            })
            .unwrap();
            for order in [2, 3] {
                let rule = StateRule {
                    order,
                    collapse: false,
                };
                let chain = Chain::build(&t, rule, false).unwrap();
                let n = chain.transient();
                let pred = Predecessors::new(&chain);
                let mut members: Vec<Vec<u32>> = vec![Vec::new(); 1000];
                for s in 1..n {
                    let mut cs: Vec<usize> =
                        chain.channels_of(s).iter().map(|c| c.index()).collect();
                    cs.sort_unstable();
                    cs.dedup();
                    for c in cs {
                        members[c].push(s as u32);
                    }
                }
                let mut mark = vec![u32::MAX; n];
                let (mut sum_a, mut sum_e, mut max_a, mut min_a) = (0usize, 0usize, 0, usize::MAX);
                let mut sum_s = 0;
                let mut with_start = 0;
                for (c, m) in members.iter().enumerate() {
                    if m.is_empty() {
                        continue;
                    }
                    let (s, a, e) = affected(&chain, &pred, m, &mut mark, c as u32);
                    sum_s += s;
                    sum_a += a;
                    sum_e += e;
                    max_a = max_a.max(a);
                    min_a = min_a.min(a);
                    with_start += usize::from(a > 0);
                }
                println!(
                    "rows {rows} order {order}: {n} states, {} transitions; Σ|S_c| {sum_s}, \
                     Σ|A_c| {sum_a} (min {min_a}, max {max_a}, mean {:.0}), Σ edges(A_c) \
                     {sum_e} = {:.1} × all transitions; channels with nonempty A_c {with_start}",
                    chain.out_to.len(),
                    sum_a as f64 / 1000.0,
                    sum_e as f64 / chain.out_to.len() as f64
                );
            }
        }
    }
}
