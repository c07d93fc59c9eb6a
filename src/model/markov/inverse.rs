//! The dense inverse of an M-matrix by blocked Gauss–Jordan elimination, its work in matrix
//! products (ndarray's `general_mat_mul`, matrixmultiply's kernels): the dense core of the
//! order-1 elimination (the model reference, §Markov chain / Exact solve).
//!
//! Sweeping the diagonal block K (rows and columns `k0..k1`) with P = A[K,K]⁻¹ maps
//!
//! ```text
//! A[K,K] ← P      A[K,J] ← P·A[K,J]      A[I,K] ← −A[I,K]·P      A[I,J] ← A[I,J] − A[I,K]·P·A[K,J]
//! ```
//!
//! for I, J outside K; after every block is swept in turn, A holds A⁻¹. The pivot block of each
//! sweep is a Schur complement of the blocks swept before it, an M-matrix again, so no pivoting
//! is needed (a pivot that is not finite and positive is an error). Rows are updated in fixed
//! chunks of [`ROWS`] rows, in parallel with the `parallel` feature; a chunk's arithmetic does not
//! depend on the number of threads.

use ndarray::linalg::general_mat_mul;
use std::ops::Range;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Slice};

use crate::error::Result;

use super::solve::numerical;

/// Columns swept together (the inner dimension of the row updates).
const BLOCK: usize = 128;

/// Rows per parallel task of the update.
const ROWS: usize = 128;

/// Multiply-adds of [`sweep`] on `m` pivots with `kept` rows kept whole: the rows still to be
/// swept are updated in full (m³/2), the swept rows only on the columns still to be swept
/// (m³/6), and the kept rows, which come last, also on the swept columns (kept²·m/2 − kept³/6:
/// m³ in all when every row is kept).
pub(crate) fn work(m: usize, kept: usize) -> f64 {
    let (m, k) = (m as f64, kept.min(m) as f64);
    2.0 / 3.0 * m * m * m + k * k * m / 2.0 - k * k * k / 6.0
}

/// The inverse of a non-singular M-matrix `a` (row-major, `m × m`).
///
/// # Errors
/// As [`sweep`].
#[cfg(test)]
pub(crate) fn m_inverse(a: Vec<f64>, m: usize) -> Result<Vec<f64>> {
    sweep(a, m, m, m, &vec![true; m])
}

/// Sweeps the first `m` rows and columns of the bordered matrix `a` = [[S, Y], [B, C]]
/// (row-major, `rows × cols`, S an `m × m` non-singular M-matrix) and returns
/// [[S⁻¹, S⁻¹·Y], [−B·S⁻¹, C − B·S⁻¹·Y]], except that a row i < m of S⁻¹ with `keep[i]` false
/// holds only its diagonal entry (and its S⁻¹·Y part): once swept, such a row is updated only
/// on the columns still to be swept, its diagonal and Y, which is a third less work than the
/// whole inverse when no row is kept.
///
/// Every row's arithmetic is the same whatever the number of threads: rows are updated in
/// fixed chunks of [`ROWS`] rows.
///
/// # Errors
/// [`Error::Numerical`](crate::Error::Numerical) for a pivot that is not finite and positive
/// (impossible for the Schur complement of I − Q of a chain built from a table).
///
/// # Complexity
/// [`work`] multiply-adds in matrix products, 8·rows·cols bytes plus 16·(rows + cols)·[`BLOCK`]
/// for the panels.
pub(crate) fn sweep(
    mut a: Vec<f64>,
    m: usize,
    rows: usize,
    cols: usize,
    keep: &[bool],
) -> Result<Vec<f64>> {
    if rows < m || cols < m || keep.len() != m || a.len() != rows * cols {
        return Err(numerical(format!(
            "dense core: a {rows} × {cols} matrix of {} entries cannot border {m} pivots",
            a.len()
        )));
    }
    let mut k0 = 0;
    while k0 < m {
        let k1 = (k0 + BLOCK).min(m);
        let w = k1 - k0;
        let full = ArrayView2::from_shape((rows, cols), &a).map_err(shape)?;
        let p = small_inverse(block(full, k0..k1, k0..k1).to_owned(), k0)?;
        // The swept rows of K: P·A[K,·], with P on K's columns.
        let mut swept = Array2::zeros((w, cols));
        general_mat_mul(1.0, &p, &block(full, k0..k1, 0..cols), 0.0, &mut swept);
        swept
            .slice_axis_mut(Axis(1), Slice::from(k0..k1))
            .assign(&p);
        // The column panel A[·,K] (zero on K's rows, which take `swept` instead) and −A[·,K]·P.
        let mut col = block(full, 0..rows, k0..k1).to_owned();
        col.slice_axis_mut(Axis(0), Slice::from(k0..k1)).fill(0.0);
        let mut col_p = Array2::zeros((rows, w));
        general_mat_mul(-1.0, &col, &p, 0.0, &mut col_p);
        let later = swept.slice_axis(Axis(1), Slice::from(k1..cols));
        let earlier = swept.slice_axis(Axis(1), Slice::from(0..k0));
        let mut tasks: Vec<(usize, &mut [f64])> = a.chunks_mut(ROWS * cols).enumerate().collect();
        crate::par::for_each_chunk_mut(&mut tasks, 1, |task| {
            for (t, chunk) in task.iter_mut() {
                let r0 = *t * ROWS;
                let h = chunk.len() / cols;
                // `chunk` is h whole rows of the rows × cols matrix.
                let Ok(mut view) = ArrayViewMut2::from_shape((h, cols), chunk) else {
                    continue;
                };
                let col_rows = col.slice_axis(Axis(0), Slice::from(r0..r0 + h));
                // A[I,J] −= A[I,K]·P·A[K,J] on the columns after K, for every row.
                let mut right = view.slice_axis_mut(Axis(1), Slice::from(k1..cols));
                general_mat_mul(-1.0, &col_rows, &later, 1.0, &mut right);
                // Rows updated on every column: K's rows (overwritten below), the rows still to
                // be swept, the border rows and the kept ones.
                let whole = |r: usize| r >= k0 || keep[r];
                if (r0..r0 + h).all(whole) {
                    let mut left = view.slice_axis_mut(Axis(1), Slice::from(0..k0));
                    general_mat_mul(-1.0, &col_rows, &earlier, 1.0, &mut left);
                } else {
                    for (i, mut row) in view.rows_mut().into_iter().enumerate() {
                        let r = r0 + i;
                        let c = col_rows.row(i);
                        if whole(r) {
                            let mut left = row.slice_axis_mut(Axis(0), Slice::from(0..k0));
                            left.scaled_add(-1.0, &earlier.t().dot(&c));
                        } else {
                            row[r] -= c.dot(&swept.column(r));
                        }
                    }
                }
                for (i, mut row) in view.rows_mut().into_iter().enumerate() {
                    let r = r0 + i;
                    if (k0..k1).contains(&r) {
                        row.assign(&swept.row(r - k0));
                    } else {
                        row.slice_axis_mut(Axis(0), Slice::from(k0..k1))
                            .assign(&col_p.row(r));
                    }
                }
            }
        });
        k0 = k1;
    }
    Ok(a)
}

/// Rows `r` and columns `c` of `v`.
fn block(v: ArrayView2<'_, f64>, r: Range<usize>, c: Range<usize>) -> ArrayView2<'_, f64> {
    v.slice_axis_move(Axis(0), Slice::from(r))
        .slice_axis_move(Axis(1), Slice::from(c))
}

fn shape(e: ndarray::ShapeError) -> crate::Error {
    numerical(format!("dense core: {e}"))
}

/// The inverse of a small M-matrix block by unblocked Gauss–Jordan (the same sweep, one column
/// at a time); `offset` names its first state in errors.
fn small_inverse(mut b: Array2<f64>, offset: usize) -> Result<Array2<f64>> {
    let w = b.nrows();
    for k in 0..w {
        let pivot = b[[k, k]];
        if !(pivot.is_finite() && pivot > 0.0) {
            return Err(numerical(format!(
                "pivot {pivot} of the dense core at {}",
                offset + k
            )));
        }
        let inv = 1.0 / pivot;
        let row: Vec<f64> = b.row(k).iter().map(|x| x * inv).collect();
        for i in (0..w).filter(|&i| i != k) {
            let f = b[[i, k]];
            if f != 0.0 {
                let mut r = b.row_mut(i);
                r.iter_mut().zip(&row).for_each(|(x, y)| *x -= f * y);
                r[k] = -f * inv;
            }
        }
        b.row_mut(k).assign(&ndarray::ArrayView1::from(&row));
        b[[k, k]] = inv;
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random diagonally dominant M-matrix of size m (I − Q of a random sub-stochastic Q).
    fn m_matrix(m: usize, seed: u64) -> Vec<f64> {
        let mut x = seed;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut a = vec![0.0; m * m];
        for i in 0..m {
            let row: Vec<f64> = (0..m)
                .map(|_| if next() < 0.3 { next() } else { 0.0 })
                .collect();
            let sum: f64 = row.iter().sum::<f64>() + 0.05 + next();
            for j in 0..m {
                a[i * m + j] = -row[j] / sum;
            }
            a[i * m + i] += 1.0;
        }
        a
    }

    /// A·A⁻¹ = I to 1e-12, on sizes around the block and chunk sizes, and the inverse of an
    /// M-matrix is non-negative.
    #[test]
    fn the_sweeps_invert_m_matrices() {
        for (m, seed) in [(1, 1), (5, 2), (127, 3), (128, 4), (129, 5), (300, 6)] {
            let a = m_matrix(m, seed);
            let g = m_inverse(a.clone(), m).unwrap();
            for i in 0..m {
                for j in 0..m {
                    let x: f64 = (0..m).map(|k| a[i * m + k] * g[k * m + j]).sum();
                    let want = f64::from(i == j);
                    assert!((x - want).abs() < 1e-12, "m {m}: ({i}, {j}) {x}");
                    assert!(g[i * m + j] >= -1e-15);
                }
            }
            // The LU and column solves of the dense solver, independently.
            let lu = super::super::dense::m_inverse(a, m).unwrap();
            for (x, y) in g.iter().zip(&lu) {
                assert!(
                    (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                    "m {m}: {x} vs {y}"
                );
            }
        }
        assert!(m_inverse(Vec::new(), 0).unwrap().is_empty());
    }

    /// A bordered sweep with some rows kept gives the kept rows, the whole diagonal and the
    /// borders of the full inverse (to 1e-12), on sizes around the block size.
    #[test]
    fn a_bordered_sweep_keeps_what_was_asked() {
        for (m, seed) in [(1, 7), (130, 8), (300, 9)] {
            let s = m_matrix(m, seed);
            let g = m_inverse(s.clone(), m).unwrap();
            let (rows, cols) = (m + 1, m + 2);
            let mut a = vec![0.0; rows * cols];
            let y = |i: usize, c: usize| ((i * 7 + c * 3) % 11) as f64 / 11.0;
            let b = |j: usize| ((j * 5) % 13) as f64 / 13.0;
            for i in 0..m {
                a[i * cols..i * cols + m].copy_from_slice(&s[i * m..(i + 1) * m]);
                a[i * cols + m] = y(i, 0);
                a[i * cols + m + 1] = y(i, 1);
                a[m * cols + i] = b(i);
            }
            a[m * cols + m] = 2.0;
            // Every third row, and the last 40, kept whole.
            let keep: Vec<bool> = (0..m).map(|i| i % 3 == 0 || i + 40 >= m).collect();
            let out = sweep(a, m, rows, cols, &keep).unwrap();
            let close = |x: f64, w: f64| (x - w).abs() <= 1e-12 * w.abs().max(1.0);
            for i in 0..m {
                for j in 0..m {
                    if keep[i] || i == j {
                        assert!(close(out[i * cols + j], g[i * m + j]), "{m}: ({i}, {j})");
                    }
                }
                for c in 0..2 {
                    let want: f64 = (0..m).map(|j| g[i * m + j] * y(j, c)).sum();
                    assert!(close(out[i * cols + m + c], want), "{m}: {i} Y{c}");
                }
                let want: f64 = -(0..m).map(|j| b(j) * g[j * m + i]).sum::<f64>();
                assert!(close(out[m * cols + i], want), "{m}: B {i}");
            }
            let corner: f64 = (0..m)
                .map(|i| b(i) * (0..m).map(|j| g[i * m + j] * y(j, 0)).sum::<f64>())
                .sum();
            assert!(close(out[m * cols + m], 2.0 - corner));
        }
    }

    /// The sweep's result is bit-identical on one thread and on three (fixed row chunks).
    #[cfg(feature = "parallel")]
    #[test]
    fn the_sweep_does_not_depend_on_the_thread_count() {
        let m = 300;
        let keep: Vec<bool> = (0..m).map(|i| i % 2 == 0).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| sweep(m_matrix(m, 12), m, m, m, &keep).unwrap())
        };
        let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(bits(run(1)), bits(run(3)));
    }

    #[test]
    fn a_non_positive_pivot_is_an_error() {
        let a = vec![1.0, 2.0, 2.0, 1.0]; // not an M-matrix: the second pivot is −3
        assert!(m_inverse(a, 2).is_err());
    }
}
