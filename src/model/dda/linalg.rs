//! A small dense Cholesky factorisation for the Newton steps (p ≤ a few hundred features: the
//! O(p³/3) factorisation is far cheaper than the O(rows · nnz²) Hessian it solves).

use ndarray::{Array1, Array2};

/// Lower-triangular Cholesky factor L of a symmetric positive definite `a` (only the lower
/// triangle of `a` is read), or `None` when `a` is not numerically positive definite.
pub(crate) fn cholesky(a: &Array2<f64>) -> Option<Array2<f64>> {
    let p = a.nrows();
    let mut l = Array2::<f64>::zeros((p, p));
    for j in 0..p {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        // Relative to the diagonal entry: a pivot lost to rounding is a singular matrix.
        let pivot_ok = d > 1e-13 * a[[j, j]].abs().max(f64::MIN_POSITIVE);
        if !pivot_ok || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in (j + 1)..p {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Some(l)
}

/// Solves L Lᵀ x = b.
pub(crate) fn solve(l: &Array2<f64>, b: &Array1<f64>) -> Array1<f64> {
    let p = l.nrows();
    let mut y = b.clone();
    for i in 0..p {
        let mut s = y[i];
        for k in 0..i {
            s -= l[[i, k]] * y[k];
        }
        y[i] = s / l[[i, i]];
    }
    for i in (0..p).rev() {
        let mut s = y[i];
        for k in (i + 1)..p {
            s -= l[[k, i]] * y[k];
        }
        y[i] = s / l[[i, i]];
    }
    y
}

/// The diagonal of (L Lᵀ)⁻¹: the variances of the coefficients. O(p³).
pub(crate) fn inverse_diagonal(l: &Array2<f64>) -> Array1<f64> {
    let p = l.nrows();
    let mut out = Array1::zeros(p);
    let mut e = Array1::zeros(p);
    for j in 0..p {
        e.fill(0.0);
        e[j] = 1.0;
        out[j] = solve(l, &e)[j];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_hand_factored_system() {
        // A = [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]]; A x = (2, 1) → x = (1/2, 0).
        let a = ndarray::array![[4.0, 2.0], [2.0, 3.0]];
        let l = cholesky(&a).unwrap();
        assert!((l[[1, 1]] - 2f64.sqrt()).abs() < 1e-15);
        let x = solve(&l, &ndarray::array![2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15);
        // A⁻¹ = [[3, −2], [−2, 4]] / 8.
        let d = inverse_diagonal(&l);
        assert!((d[0] - 3.0 / 8.0).abs() < 1e-15 && (d[1] - 0.5).abs() < 1e-15);
        assert!(cholesky(&ndarray::array![[1.0, 2.0], [2.0, 1.0]]).is_none());
    }
}
