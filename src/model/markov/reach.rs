//! Reachability of the removed chains at order ≥ 2 (a measurement, test builds only): the states
//! whose conversion probability changes when a channel is removed are the ancestors of the
//! states containing it. `sizes_of_removed_chains` prints their sizes on the 1,000-channel
//! tables (issue 12, point 3).

use super::counts::Chain;
use super::gauss_seidel::Incoming;

/// Sizes of channel `c`'s removed chain: (states containing c, those of them with a predecessor
/// outside them (the entry states), their ancestors outside them, transitions out of those
/// ancestors). `mark` is scratch of length `chain.transient()`, all
/// `u32::MAX` on entry and on return.
pub(crate) fn affected(
    chain: &Chain,
    pred: &Incoming,
    members: &[u32],
    mark: &mut [u32],
    c: u32,
) -> (usize, usize, usize, usize) {
    let mut stack: Vec<u32> = Vec::new();
    for &s in members {
        mark[s as usize] = c;
    }
    let entries = members
        .iter()
        .filter(|&&s| {
            pred.sources(s as usize)
                .into_iter()
                .any(|p| mark[p as usize] != c)
        })
        .count();
    let mut ancestors = Vec::new();
    for &s in members {
        for p in pred.sources(s as usize) {
            if mark[p as usize] != c {
                mark[p as usize] = c;
                stack.push(p);
            }
        }
    }
    while let Some(s) = stack.pop() {
        ancestors.push(s);
        for p in pred.sources(s as usize) {
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
    (members.len(), entries, ancestors.len(), edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::t2;
    use crate::model::markov::solve::{Method, rates, solve};
    use crate::model::markov::states::StateRule;
    use crate::synth::{SynthConfig, SynthSize, generate};
    use crate::table::PathTable;

    /// Solves `a·x = b` (row-major n×n, partial pivoting) in place; `b` holds m right-hand
    /// columns row-major (n×m).
    fn dense_solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize, m: usize) -> Vec<f64> {
        for k in 0..n {
            let p = (k..n)
                .max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))
                .unwrap();
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
            for j in 0..m {
                b.swap(k * m + j, p * m + j);
            }
            for i in k + 1..n {
                let f = a[i * n + k] / a[k * n + k];
                for j in k..n {
                    a[i * n + j] -= f * a[k * n + j];
                }
                for j in 0..m {
                    b[i * m + j] -= f * b[k * m + j];
                }
            }
        }
        for k in (0..n).rev() {
            for j in 0..m {
                let mut x = b[k * m + j];
                for i in k + 1..n {
                    x -= a[k * n + i] * b[i * m + j];
                }
                b[k * m + j] = x / a[k * n + k];
            }
        }
        b
    }

    /// RE(c) and RE_V(c) from the full chain only, by the first entry into the states S_c
    /// containing c: with G = (I − Q)⁻¹, g = G[start, ·], h = G·r_conv, h_V = G·r_value and E_c
    /// the states of S_c with a predecessor outside S_c, the first-entry distribution F solves
    /// g[E_c] = G[E_c, E_c]ᵀ F, and RE(c) = Σ_b F(b)·h(b) / h(start) (RE_V with h_V).
    fn entry_formula(chain: &Chain, channels: usize) -> (Vec<f64>, Vec<f64>) {
        let n = chain.transient();
        let mut m = vec![0.0; n * n];
        for s in 0..n {
            m[s * n + s] = 1.0;
            for (t, x) in chain.out(s) {
                m[s * n + t as usize] -= x / chain.visits[s];
            }
        }
        let mut eye = vec![0.0; n * n];
        (0..n).for_each(|i| eye[i * n + i] = 1.0);
        let g_all = dense_solve(m, eye, n, n);
        let (rc, rv) = rates(chain);
        let h = |r: &[f64]| -> Vec<f64> {
            (0..n)
                .map(|s| (0..n).map(|t| g_all[s * n + t] * r[t]).sum())
                .collect()
        };
        let (h, hv) = (h(&rc), h(&rv));
        let mut re = vec![0.0; channels];
        let mut re_v = vec![0.0; channels];
        let has = |s: usize, c: usize| s > 0 && chain.channels_of(s).iter().any(|x| x.index() == c);
        for c in 0..channels {
            let entries: Vec<usize> = (1..n)
                .filter(|&t| has(t, c))
                .filter(|&t| {
                    (0..n).any(|s| !has(s, c) && chain.out(s).any(|(u, _)| u as usize == t))
                })
                .collect();
            let k = entries.len();
            if k == 0 {
                continue;
            }
            // G[E, E]ᵀ F = g[E].
            let mut a = vec![0.0; k * k];
            for (i, &bi) in entries.iter().enumerate() {
                for (j, &bj) in entries.iter().enumerate() {
                    a[j * k + i] = g_all[bi * n + bj];
                }
            }
            let rhs = entries.iter().map(|&b| g_all[b]).collect();
            let f = dense_solve(a, rhs, k, 1);
            let d: f64 = entries.iter().zip(&f).map(|(&b, x)| x * h[b]).sum();
            let dv: f64 = entries.iter().zip(&f).map(|(&b, x)| x * hv[b]).sum();
            re[c] = d / h[0];
            re_v[c] = if hv[0] > 0.0 { dv / hv[0] } else { 0.0 };
        }
        (re, re_v)
    }

    /// The first-entry formula (the candidate for a one-factorisation solver at order ≥ 2)
    /// against Gauss–Seidel per removed chain, on T2 and on generated tables at orders 2 and 3.
    #[test]
    fn first_entry_formula_matches_gauss_seidel() {
        let mut tables = vec![(t2(), 3)];
        for seed in 0..6 {
            let t = generate(&SynthConfig {
                size: SynthSize::DistinctPaths(60),
                channels: 5,
                seed,
                ..SynthConfig::default()
            })
            .unwrap();
            tables.push((t, 5));
        }
        let mut checked = 0;
        for (t, channels) in &tables {
            for order in [2, 3] {
                let rule = StateRule {
                    order,
                    collapse: false,
                };
                let chain = Chain::build(t, rule, false).unwrap();
                let Ok(want) = solve(&chain, *channels, Method::Sparse, f64::INFINITY) else {
                    continue;
                };
                let (re, re_v) = entry_formula(&chain, *channels);
                checked += 1;
                for c in 0..*channels {
                    assert!(
                        (re[c] - want.re[c]).abs() < 1e-9,
                        "order {order} RE({c}) {} vs {}",
                        re[c],
                        want.re[c]
                    );
                    assert!(
                        (re_v[c] - want.re_value[c]).abs() < 1e-9,
                        "order {order} RE_V({c})"
                    );
                }
            }
        }
        assert_eq!(checked, 2 * tables.len());
    }

    /// The table of `generate --rows ROWS --channels 1000 --seed 7`.
    fn campaign_table(rows: usize) -> PathTable {
        generate(&SynthConfig {
            size: SynthSize::DistinctPaths(rows),
            channels: 1000,
            seed: 7,
            ..SynthConfig::default()
        })
        .unwrap()
    }

    /// Prints the sizes of the removed chains of the generated 1,000-channel tables
    /// (`cargo test --release sizes -- --ignored --nocapture`; a measurement, not a check).
    #[test]
    #[ignore]
    fn sizes_of_removed_chains() {
        for rows in [100_000, 1_000_000] {
            let t = campaign_table(rows);
            for order in [2, 3] {
                let rule = StateRule {
                    order,
                    collapse: false,
                };
                let chain = Chain::build(&t, rule, false).unwrap();
                let n = chain.transient();
                let pred = Incoming::new(&chain);
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
                let (mut sum_e1, mut sum_e2, mut sum_e3, mut max_e1) = (0usize, 0.0, 0.0, 0);
                let mut with_start = 0;
                for (c, m) in members.iter().enumerate() {
                    if m.is_empty() {
                        continue;
                    }
                    let (s, k, a, e) = affected(&chain, &pred, m, &mut mark, c as u32);
                    sum_e1 += k;
                    max_e1 = max_e1.max(k);
                    sum_e2 += (k * k) as f64;
                    sum_e3 += (k as f64).powi(3);
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
                     {sum_e} = {:.1} × all transitions; channels with nonempty A_c {with_start}; \
                     Σ|E_c| {sum_e1} (max {max_e1}), Σ|E_c|² {sum_e2:.2e}, Σ|E_c|³ {sum_e3:.2e}",
                    chain.out_to.len(),
                    sum_a as f64 / 1000.0,
                    sum_e as f64 / chain.out_to.len() as f64
                );
            }
        }
    }

    /// The sparse elimination's plan on the whole order-2 chain (the fill a shared elimination
    /// order would start from): its dense core and fill-in updates
    /// (`cargo test --release --lib elimination_plan_of_order_2 -- --ignored --nocapture`; a
    /// measurement, not a check).
    #[test]
    #[ignore]
    fn elimination_plan_of_order_2_chains() {
        for rows in [100_000, 1_000_000] {
            let t = campaign_table(rows);
            let rule = StateRule {
                order: 2,
                collapse: false,
            };
            let chain = Chain::build(&t, rule, false).unwrap();
            let plan = crate::model::markov::symbolic::plan(&chain, f64::INFINITY).unwrap();
            println!(
                "rows {rows} order 2: {} states, {} transitions; eliminated {}, dense core {}, \
                 fill-in updates {:.2e}, peak entries {:.2e}, estimated work {:.2e}",
                chain.transient(),
                chain.out_to.len(),
                plan.order.len(),
                plan.core.len(),
                plan.updates,
                plan.peak_entries,
                plan.work()
            );
        }
    }
}
