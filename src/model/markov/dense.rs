//! Dense solvers: order 1 from one blocked factorisation (§Exact solve), and one LU per removed
//! chain (any order, the fallback of Gauss–Seidel on small chains).

use crate::error::Result;

use super::counts::Chain;
use super::solve::{Solution, assemble, columns, finish, numerical, rates};
use super::states::START;

/// Columns per block of the order-1 factorisation (the trailing update reuses one block of U
/// for every row).
const BLOCK: usize = 64;

/// Columns of G's diagonal computed together (one pass over the factors per group).
const GROUP: usize = 32;

/// Multiply-adds of [`order1`] on `n` transient states: n³/3 for the factorisation and
/// 2n³/3 for the diagonal of the inverse.
pub(crate) fn order1_work(n: usize) -> f64 {
    (n as f64).powi(3)
}

/// Order 1, one factorisation (the model reference, §Markov chain / Exact solve): with G = (I − Q)⁻¹, h = G·r_conv and h_V = G·r_value,
///
/// ```text
/// RE(c)   = G[start,c]·h(c)   / (G[c,c]·h(start))
/// RE_V(c) = G[start,c]·h_V(c) / (G[c,c]·h_V(start))
/// ```
///
/// (the second because `g₋c = G[start,·] − (G[start,c]/G[c,c])·G[c,·]` at order 1).
///
/// I − Q is a non-singular M-matrix (Q is sub-stochastic and every state reaches an absorbing
/// one), so Gaussian elimination needs no pivoting: its pivots are positive and its Schur
/// complements M-matrices again. The factorisation A = L·U is blocked ([`BLOCK`] columns; the
/// trailing update runs over rows in parallel), and the diagonal of G = U⁻¹L⁻¹ is
/// `G[c,c] = Σ_{k≥c} U⁻¹[c,k]·L⁻¹[k,c]`, from a row of U⁻¹ and a column of L⁻¹ per state,
/// [`GROUP`] states per pass over the factors, groups in parallel. Every result is computed in
/// the same order whatever the number of threads.
///
/// # Complexity
/// n³/3 multiply-adds for the factorisation, 2n³/3 for the diagonal, 8n² bytes (n = S + 1).
pub(crate) fn order1(chain: &Chain, channels: usize) -> Result<Solution> {
    let n = chain.transient();
    let mut a = vec![0.0; n * n];
    for s in 0..n {
        a[s * n + s] = 1.0;
        let v = chain.visits[s];
        for (t, x) in chain.out(s) {
            a[s * n + t as usize] -= x / v;
        }
    }
    let lu = MLu::factor(a, n)?;
    let (r_conv, r_value) = rates(chain);
    let h = lu.solve(&r_conv);
    let hv = lu.solve(&r_value);
    let mut e = vec![0.0; n];
    e[START as usize] = 1.0;
    let g_start = lu.solve_transposed(&e);
    let g_diag = lu.inverse_diagonal();
    let (p, pv) = (h[0], hv[0]);
    let mut re = vec![0.0; channels];
    let mut re_value = vec![0.0; channels];
    for s in 1..n {
        let hit = g_start[s] / g_diag[s]; // P(the walk ever visits s)
        let c = chain.channels_of(s)[0].index();
        re[c] = hit * h[s] / p;
        re_value[c] = if pv > 0.0 { hit * hv[s] / pv } else { 0.0 };
    }
    finish(p, pv, re, re_value)
}

/// The inverse of an M-matrix (row-major, `n × n`), by one factorisation without pivoting and
/// a solve per column, columns in parallel with the `parallel` feature (each computed the same
/// way whatever the number of threads).
///
/// # Errors
/// [`Error::Numerical`](crate::Error::Numerical) for a pivot that is not finite and positive.
///
/// # Complexity
/// 4n³/3 multiply-adds, 16n² bytes.
#[cfg(test)]
pub(super) fn m_inverse(a: Vec<f64>, n: usize) -> Result<Vec<f64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let lu = MLu::factor(a, n)?;
    let starts: Vec<usize> = (0..n).step_by(GROUP).collect();
    let groups = crate::par::map_tasks(starts.len(), |i| lu.solve_unit_columns(starts[i]));
    let mut inverse = vec![0.0; n * n];
    for (&c0, x) in starts.iter().zip(&groups) {
        for (r, lanes) in x.iter().enumerate() {
            for (l, &v) in lanes.iter().enumerate().take(n - c0) {
                inverse[r * n + c0 + l] = v;
            }
        }
    }
    Ok(inverse)
}

/// `A = L·U` without pivoting (row-major, L unit lower below the diagonal, U on and above it),
/// for M-matrices.
#[derive(Debug)]
struct MLu {
    n: usize,
    a: Vec<f64>,
}

impl MLu {
    /// # Errors
    /// [`Error::Numerical`](crate::Error::Numerical) for a pivot that is not finite and
    /// positive (impossible for the I − Q of a chain built from a table).
    fn factor(mut a: Vec<f64>, n: usize) -> Result<MLu> {
        let mut kb = 0;
        while kb < n {
            let e = (kb + BLOCK).min(n);
            // The panel: columns kb..e of rows kb..n.
            for k in kb..e {
                let pivot = a[k * n + k];
                if !(pivot.is_finite() && pivot > 0.0) {
                    return Err(numerical(format!("pivot {pivot} in column {k}")));
                }
                let (top, bottom) = a.split_at_mut((k + 1) * n);
                let row_k = &top[k * n + k + 1..k * n + e];
                for row in bottom.chunks_exact_mut(n) {
                    let l = row[k] / pivot;
                    row[k] = l;
                    if l != 0.0 {
                        row[k + 1..e]
                            .iter_mut()
                            .zip(row_k)
                            .for_each(|(x, u)| *x -= l * u);
                    }
                }
            }
            if e < n {
                // U12 (rows kb..e, columns e..n) by the unit lower L11.
                for k in kb..e {
                    let (top, bottom) = a.split_at_mut((k + 1) * n);
                    let row_k = &top[k * n + e..(k + 1) * n];
                    for row in bottom[..(e - k - 1) * n].chunks_exact_mut(n) {
                        let l = row[k];
                        if l != 0.0 {
                            row[e..]
                                .iter_mut()
                                .zip(row_k)
                                .for_each(|(x, u)| *x -= l * u);
                        }
                    }
                }
                // A22 −= L21·U12, row by row.
                let (top, bottom) = a.split_at_mut(e * n);
                let u12 = &top[kb * n..];
                crate::par::for_each_chunk_mut(bottom, n, |row| {
                    trailing_update(row, u12, n, kb, e);
                });
            }
            kb = e;
        }
        Ok(MLu { n, a })
    }

    /// Solves `A x = b`.
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let (n, a) = (self.n, &self.a);
        let mut x = b.to_vec();
        for i in 0..n {
            let s: f64 = a[i * n..i * n + i]
                .iter()
                .zip(&x[..i])
                .map(|(l, y)| l * y)
                .sum();
            x[i] -= s;
        }
        for i in (0..n).rev() {
            let s: f64 = a[i * n + i + 1..(i + 1) * n]
                .iter()
                .zip(&x[i + 1..])
                .map(|(u, y)| u * y)
                .sum();
            x[i] = (x[i] - s) / a[i * n + i];
        }
        x
    }

    /// Columns `c0..c0 + GROUP` of A⁻¹ (fewer at the end), solved together: one pass over
    /// each factor for [`GROUP`] right-hand sides `e_c`.
    #[cfg(test)]
    fn solve_unit_columns(&self, c0: usize) -> Vec<[f64; GROUP]> {
        let (n, a) = (self.n, &self.a);
        let mut x = vec![[0.0f64; GROUP]; n];
        for l in 0..GROUP.min(n - c0) {
            x[c0 + l][l] = 1.0;
        }
        // L y = e (unit lower; rows before c0 stay zero).
        for i in c0 + 1..n {
            let mut acc = [0.0f64; GROUP];
            for (xj, &lij) in x[c0..i].iter().zip(&a[i * n + c0..i * n + i]) {
                for l in 0..GROUP {
                    acc[l] += lij * xj[l];
                }
            }
            for l in 0..GROUP {
                x[i][l] -= acc[l];
            }
        }
        // U x = y.
        for i in (0..n).rev() {
            let mut acc = [0.0f64; GROUP];
            for (xj, &uij) in x[i + 1..].iter().zip(&a[i * n + i + 1..(i + 1) * n]) {
                for l in 0..GROUP {
                    acc[l] += uij * xj[l];
                }
            }
            let d = a[i * n + i];
            for l in 0..GROUP {
                x[i][l] = (x[i][l] - acc[l]) / d;
            }
        }
        x
    }

    /// Solves `Aᵀ x = b` (`Uᵀ z = b`, then `Lᵀ x = z`), by rows of the factors.
    fn solve_transposed(&self, b: &[f64]) -> Vec<f64> {
        let (n, a) = (self.n, &self.a);
        let mut z = b.to_vec();
        for j in 0..n {
            z[j] /= a[j * n + j];
            let zj = z[j];
            if zj != 0.0 {
                let row = &a[j * n + j + 1..(j + 1) * n];
                z[j + 1..]
                    .iter_mut()
                    .zip(row)
                    .for_each(|(x, u)| *x -= zj * u);
            }
        }
        for j in (0..n).rev() {
            let xj = z[j];
            if xj != 0.0 {
                let row = &a[j * n..j * n + j];
                z[..j].iter_mut().zip(row).for_each(|(x, l)| *x -= xj * l);
            }
        }
        z
    }

    /// The diagonal of A⁻¹ = U⁻¹L⁻¹: `Σ_{k≥c} U⁻¹[c,k]·L⁻¹[k,c]` for every c, [`GROUP`]
    /// values of c per pass over the factors (row c of U⁻¹ from `zᵀU = e_cᵀ`, column c of L⁻¹
    /// from `L y = e_c`, both zero before c).
    fn inverse_diagonal(&self) -> Vec<f64> {
        let n = self.n;
        let group = |c0: usize| -> [f64; GROUP] {
            let a = &self.a;
            let m = n - c0;
            let lanes = GROUP.min(m);
            // z[k − c0][l] = U⁻¹[c0 + l, k].
            let mut z = vec![[0.0f64; GROUP]; m];
            for (l, row) in z.iter_mut().enumerate().take(lanes) {
                row[l] = 1.0;
            }
            for j in c0..n {
                let d = a[j * n + j];
                let zj = {
                    let r = &mut z[j - c0];
                    r.iter_mut().for_each(|x| *x /= d);
                    *r
                };
                let row = &a[j * n + j + 1..(j + 1) * n];
                for (zk, &u) in z[j - c0 + 1..].iter_mut().zip(row) {
                    for l in 0..GROUP {
                        zk[l] -= zj[l] * u;
                    }
                }
            }
            // y[i − c0][l] = L⁻¹[i, c0 + l].
            let mut y = vec![[0.0f64; GROUP]; m];
            for i in c0..n {
                let mut acc = [0.0f64; GROUP];
                let row = &a[i * n + c0..i * n + i];
                for (yj, &lij) in y[..i - c0].iter().zip(row) {
                    for l in 0..GROUP {
                        acc[l] += lij * yj[l];
                    }
                }
                let yi = &mut y[i - c0];
                for l in 0..GROUP {
                    yi[l] = if i - c0 == l { 1.0 } else { 0.0 } - acc[l];
                }
            }
            let mut d = [0.0f64; GROUP];
            for (zk, yk) in z.iter().zip(&y) {
                for l in 0..GROUP {
                    d[l] += zk[l] * yk[l];
                }
            }
            d
        };
        let starts: Vec<usize> = (0..n).step_by(GROUP).collect();
        let groups: Vec<[f64; GROUP]> = crate::par::map_tasks(starts.len(), |i| group(starts[i]));
        groups.into_iter().flatten().take(n).collect()
    }
}

/// `row[e..] −= Σ_{k ∈ kb..e} row[k]·U[k, e..]` (`u12` starts at row kb), four rows of U at a
/// time.
fn trailing_update(row: &mut [f64], u12: &[f64], n: usize, kb: usize, e: usize) {
    let u = |k: usize| &u12[(k - kb) * n + e..(k - kb + 1) * n];
    let mut k = kb;
    while k + 4 <= e {
        let l = [row[k], row[k + 1], row[k + 2], row[k + 3]];
        if l != [0.0; 4] {
            let (u0, u1, u2, u3) = (u(k), u(k + 1), u(k + 2), u(k + 3));
            for (j, x) in row[e..].iter_mut().enumerate() {
                *x -= l[0] * u0[j] + l[1] * u1[j] + l[2] * u2[j] + l[3] * u3[j];
            }
        }
        k += 4;
    }
    for k in k..e {
        let l = row[k];
        if l != 0.0 {
            row[e..].iter_mut().zip(u(k)).for_each(|(x, u)| *x -= l * u);
        }
    }
}

/// Dense LU factorisation with partial pivoting, `P·A = L·U` (row-major, L unit lower).
#[derive(Debug)]
struct Lu {
    n: usize,
    a: Vec<f64>,
    /// Row `i` of `P·A` is row `perm[i]` of `A`.
    perm: Vec<usize>,
}

impl Lu {
    /// # Complexity
    /// n³/3 multiply-adds, n² memory.
    fn factor(mut a: Vec<f64>, n: usize) -> Result<Lu> {
        let mut perm: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let (mut p, mut best) = (k, a[k * n + k].abs());
            for i in k + 1..n {
                let v = a[i * n + k].abs();
                if v > best {
                    (p, best) = (i, v);
                }
            }
            if !(best.is_finite() && best > 0.0) {
                return Err(numerical(format!("singular pivot {best} in column {k}")));
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
                perm.swap(k, p);
            }
            let pivot = a[k * n + k];
            let (top, rest) = a.split_at_mut((k + 1) * n);
            let row_k = &top[k * n..];
            for row in rest.chunks_exact_mut(n) {
                let l = row[k] / pivot;
                row[k] = l;
                if l != 0.0 {
                    for j in k + 1..n {
                        row[j] -= l * row_k[j];
                    }
                }
            }
        }
        Ok(Lu { n, a, perm })
    }

    /// Solves `A x = b`.
    #[cfg(test)]
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut x: Vec<f64> = self.perm.iter().map(|&i| b[i]).collect();
        for i in 0..n {
            let s: f64 = (0..i).map(|j| self.a[i * n + j] * x[j]).sum();
            x[i] -= s;
        }
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| self.a[i * n + j] * x[j]).sum();
            x[i] = (x[i] - s) / self.a[i * n + i];
        }
        x
    }

    /// Solves `Aᵀ x = b` (`Aᵀ = Uᵀ Lᵀ P`).
    fn solve_transposed(&self, b: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut z = b.to_vec();
        for i in 0..n {
            let s: f64 = (0..i).map(|j| self.a[j * n + i] * z[j]).sum();
            z[i] = (z[i] - s) / self.a[i * n + i];
        }
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| self.a[j * n + i] * z[j]).sum();
            z[i] -= s;
        }
        let mut x = vec![0.0; n];
        for (i, &p) in self.perm.iter().enumerate() {
            x[p] = z[i];
        }
        x
    }
}

/// Any order, exactly: one dense LU of I − Q₋c per removed chain (and one for the whole chain),
/// solving gᵀ(I − Q₋c) = e_startᵀ with the rows and columns of the removed states replaced by
/// the identity. In parallel over channels with the `parallel` feature.
///
/// # Complexity
/// O((n + 1)·N³) time, O(N²) memory per concurrent solve (N = S + 1): for small chains, and
/// for chains on which Gauss–Seidel converges too slowly.
pub(super) fn direct(chain: &Chain, channels: usize) -> Result<Solution> {
    let n = chain.transient();
    let (r_conv, r_value) = rates(chain);
    let one = |c: Option<usize>| -> Result<(f64, f64)> {
        let removed: Vec<bool> = (0..n)
            .map(|s| {
                s > 0 && c.is_some_and(|c| chain.channels_of(s).iter().any(|x| x.index() == c))
            })
            .collect();
        let mut a = vec![0.0; n * n];
        for s in 0..n {
            a[s * n + s] = 1.0;
            if removed[s] {
                continue;
            }
            let v = chain.visits[s];
            for (t, x) in chain.out(s).filter(|&(t, _)| !removed[t as usize]) {
                a[s * n + t as usize] -= x / v;
            }
        }
        let mut e = vec![0.0; n];
        e[START as usize] = 1.0;
        let g = Lu::factor(a, n)?.solve_transposed(&e);
        let dot = |r: &[f64]| -> f64 { g.iter().zip(r).map(|(a, b)| a * b).sum() };
        Ok((dot(&r_conv), dot(&r_value)))
    };
    let columns = columns(chain, channels);
    let per: Vec<Result<(f64, f64)>> = crate::par::map_tasks(columns.len(), |i| one(columns[i]));
    let absorbed = per.into_iter().collect::<Result<Vec<_>>>()?;
    assemble(&columns, &absorbed, channels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn lu_solves_both_ways_with_pivoting() {
        // A = [[0, 2, 1], [1, 1, 0], [3, 0, 1]] needs a row swap in the first column.
        let a = vec![0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0];
        let lu = Lu::factor(a.clone(), 3).unwrap();
        let b = [5.0, 3.0, 6.0];
        let x = lu.solve(&b);
        for i in 0..3 {
            let ax: f64 = (0..3).map(|j| a[i * 3 + j] * x[j]).sum();
            assert!((ax - b[i]).abs() < 1e-12, "{x:?}");
        }
        let y = lu.solve_transposed(&b);
        for i in 0..3 {
            let aty: f64 = (0..3).map(|j| a[j * 3 + i] * y[j]).sum();
            assert!((aty - b[i]).abs() < 1e-12, "{y:?}");
        }
    }

    #[test]
    fn singular_matrix_is_an_error_not_a_panic() {
        let a = vec![1.0, 2.0, 2.0, 4.0];
        assert!(matches!(Lu::factor(a, 2), Err(Error::Numerical { .. })));
        assert!(matches!(
            Lu::factor(vec![f64::NAN], 1),
            Err(Error::Numerical { .. })
        ));
    }

    /// A random M-matrix I − Q (rows of Q sum to 0.9 at most).
    fn m_matrix(n: usize, seed: u64) -> Vec<f64> {
        let mut x = seed | 1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            let w: Vec<f64> = (0..n)
                .map(|j| {
                    if j != i && next() % 3 == 0 {
                        (next() % 100) as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            let total: f64 = w.iter().sum::<f64>().max(1.0);
            let keep = 0.9 * (next() % 1000) as f64 / 1000.0;
            for j in 0..n {
                a[i * n + j] = -keep * w[j] / total;
            }
            a[i * n + i] += 1.0;
        }
        a
    }

    #[test]
    fn blocked_factorisation_matches_pivoted_lu_and_inverse() {
        // 150 states: three blocks, the last one partial.
        for (n, seed) in [(1, 3), (7, 5), (150, 11)] {
            let a = m_matrix(n, seed);
            let lu = MLu::factor(a.clone(), n).unwrap();
            let reference = Lu::factor(a.clone(), n).unwrap();
            let b: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
            let close = |x: &[f64], y: &[f64]| {
                x.iter()
                    .zip(y)
                    .all(|(p, q)| (p - q).abs() <= 1e-12 * q.abs().max(1.0))
            };
            assert!(close(&lu.solve(&b), &reference.solve(&b)));
            assert!(close(
                &lu.solve_transposed(&b),
                &reference.solve_transposed(&b)
            ));
            let diag: Vec<f64> = (0..n)
                .map(|c| {
                    let mut e = vec![0.0; n];
                    e[c] = 1.0;
                    reference.solve(&e)[c]
                })
                .collect();
            assert!(close(&lu.inverse_diagonal(), &diag), "n = {n}");
        }
    }

    #[test]
    fn a_non_positive_pivot_is_an_error() {
        let a = vec![1.0, 2.0, 2.0, 4.0];
        assert!(matches!(MLu::factor(a, 2), Err(Error::Numerical { .. })));
    }
}
