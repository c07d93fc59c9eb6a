//! Exact removal effects of an absorbing chain (the model reference, §Markov chains).
//!
//! Three solvers, chosen by [`solve`] from their estimated cost:
//!
//! * **Dense, order 1** (`dense::order1`, at most [`DENSE_PREFERRED`] transient states and
//!   `max_work` multiply-adds): one
//!   blocked LU factorisation of I − Q and the diagonal of G = (I − Q)⁻¹; one formula then gives
//!   every channel's removal effect without refactorising. n³ multiply-adds, 8n² bytes.
//! * **Sparse elimination, order 1** (`elim::order1`, the other order-1 chains): the same formula from
//!   one sparse factorisation (low-degree states eliminated first, a dense core) and the
//!   selected inverse of its pattern.
//! * **Sparse Gauss–Seidel** (any order, `gauss_seidel::sparse`): for every channel c, the
//!   expected visits of the chain in which the states containing c are absorbing, [`LANES`]
//!   chains per pass over the transposed transitions, sweeps only inside the cyclic strongly
//!   connected components. O(E·LANES) per sweep of a block, O(S + E) memory plus O(S·LANES) per
//!   block being solved.
//! * **Dense per removed chain** (`dense::direct`): the fallback when Gauss–Seidel converges too
//!   slowly on a chain of at most [`DIRECT_MAX`] states.

use crate::error::{Error, Result};

use super::counts::Chain;
use super::dense;
use super::elim;
use super::gauss_seidel::{LANES, MAX_SWEEPS, TOLERANCE, Updates, sparse};
use super::max_work_error;
use super::symbolic;

/// Largest chain of the dense order-1 solver (8n² bytes: 1 GiB), and largest dense core of the
/// order-1 elimination (16m² bytes).
pub(crate) const DENSE_MAX: usize = 11_585;

/// Largest order-1 chain given to the dense solver (n³ multiply-adds, 10⁹ here). Beyond, the
/// elimination is faster even when it eliminates nothing: its dense core is inverted with
/// matrix products.
pub(crate) const DENSE_PREFERRED: usize = 1000;

/// Largest chain solved with one dense LU per removed chain when Gauss–Seidel is too slow.
pub(crate) const DIRECT_MAX: usize = 1000;

/// Sweeps assumed by the cost estimate of Gauss–Seidel (it needs about 30 on synthetic web
/// paths for a relative error of 1e-13; chains with long cycles need more).
pub(crate) const SWEEPS_ESTIMATE: f64 = 30.0;

/// Time of one lane update of Gauss–Seidel (a transition of one removed chain in one sweep) in
/// multiply-adds of the dense core, for the cost limit. Measured on 100k paths over 1,000
/// channels at order 2: the solver of round 2 took 6.4 ns of CPU an update against the core's
/// 0.27 ns (24); with the states renumbered by visit order it takes 0.58 of that time (the two
/// run side by side: 23.9 ns against 41 ns on a slower machine), so 14.
pub(crate) const GS_COST: f64 = 14.0;

/// What the attribution needs from the chain.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Solution {
    /// P(conv) from `(start)`.
    pub p_conv: f64,
    /// Expected conversion value absorbed per journey, Σ_s g(s)·value_end(s)/N(s).
    pub p_value: f64,
    /// RE(c) by channel id.
    pub re: Vec<f64>,
    /// RE_V(c) by channel id (0 everywhere when the table has no value).
    pub re_value: Vec<f64>,
}

/// Which method [`solve`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// Dense M5 at order 1 when small enough, else Gauss–Seidel, falling back to one dense
    /// solve per channel when Gauss–Seidel would be too slow and the chain is small enough.
    Auto,
    /// Gauss–Seidel only (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Sparse,
    /// One dense LU per removed chain (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Direct,
    /// The blocked order-1 solver whatever the estimates (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Dense,
    /// Sparse elimination at order 1 whatever the size (tests compare the methods).
    #[cfg_attr(not(test), allow(dead_code))]
    Elimination,
}

/// The solver [`solve`] picks for a chain, and its estimated cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Plan {
    /// Which solver.
    pub kind: Kind,
    /// Estimated multiply-adds (for [`Kind::Elimination`] a lower bound, the elimination
    /// checks its running estimate against the limit as it goes).
    pub work: f64,
    /// Estimated bytes of the solver's largest allocations.
    pub bytes: f64,
}

/// The solvers [`Plan`] chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Dense order 1 (`dense::order1`).
    Dense,
    /// Sparse elimination at order 1 (`elim::order1`).
    Elimination,
    /// Gauss–Seidel per removed chain (any order).
    GaussSeidel,
}

impl Plan {
    /// The solver for `chain`, allocating at most O(S): at order 1 the dense solver up to
    /// [`DENSE_PREFERRED`] states (within `max_work`), else sparse elimination (whose plan is
    /// checked against `max_work` before its numeric work); Gauss–Seidel at higher orders,
    /// priced from the chain's strongly connected components ([`Updates`]: one pass over the
    /// states in no cycle, [`SWEEPS_ESTIMATE`] sweeps of the cyclic components).
    pub(crate) fn new(chain: &Chain, channels: usize, max_work: f64) -> Plan {
        let n = chain.transient();
        let present = chain
            .channels_present(channels)
            .iter()
            .filter(|&&p| p)
            .count();
        let edges = (chain.out_to.len() + n) as f64;
        let threads = current_threads() as f64;
        let dense = Plan {
            kind: Kind::Dense,
            work: dense::order1_work(n),
            bytes: 8.0 * (n as f64) * (n as f64),
        };
        let elimination = Plan {
            kind: Kind::Elimination,
            work: symbolic::FILL_COST * edges,
            bytes: symbolic::FILL_BYTES * edges,
        };
        let dense_fits = n <= DENSE_PREFERRED && dense.work <= max_work.max(elimination.work);
        if chain.order == 1 && dense_fits {
            dense
        } else if chain.order == 1 {
            elimination
        } else {
            let updates = Updates::of(chain);
            Plan {
                kind: Kind::GaussSeidel,
                work: (present + 1) as f64 * updates.at(SWEEPS_ESTIMATE) * GS_COST,
                bytes: 16.0 * edges + threads * (LANES * 8 * n) as f64,
            }
        }
    }

    /// What the plan does, in words (for cost errors).
    pub(crate) fn describe(&self, chain: &Chain) -> String {
        let n = chain.transient();
        let method = match self.kind {
            Kind::Dense => format!("one dense factorisation of {n} transient states"),
            Kind::Elimination => format!(
                "one sparse elimination of {n} transient states and {} transitions",
                chain.out_to.len()
            ),
            Kind::GaussSeidel => format!(
                "Gauss–Seidel over {} transitions of {n} transient states for every removed \
                 channel: one pass over the states in no cycle, about {SWEEPS_ESTIMATE} sweeps \
                 of the {} in cyclic components",
                chain.out_to.len(),
                Updates::of(chain).cyclic_states
            ),
        };
        format!(
            "the exact solve ({method}) needs about {:.1e} multiply-adds and {:.0} MB",
            self.work,
            self.bytes / 1e6
        )
    }
}

/// Threads the solver's parallel passes use.
fn current_threads() -> usize {
    crate::par::threads()
}

/// Conversion probability and removal effects of every channel `0..channels`; `max_work` caps
/// the multiply-adds of a dense fallback (the first choice is checked by the caller with
/// [`Plan`]).
///
/// # Errors
/// [`Error::Numerical`] for a non-positive pivot (impossible for a chain built by
/// [`Chain::build`]), a non-finite result, or Gauss–Seidel not converging within
/// [`MAX_SWEEPS`]; [`Error::CostLimit`] if the dense fallback would exceed `max_work`.
pub(crate) fn solve(
    chain: &Chain,
    channels: usize,
    method: Method,
    max_work: f64,
) -> Result<Solution> {
    let n = chain.transient();
    // Gauss–Seidel prices itself after its first block of chains (the methods forced by tests
    // run whatever the cost).
    let limit = if method == Method::Auto {
        max_work
    } else {
        f64::INFINITY
    };
    match method {
        Method::Auto if chain.order == 1 => match Plan::new(chain, channels, max_work).kind {
            Kind::Dense => dense::order1(chain, channels),
            _ => elim::order1(chain, channels, max_work),
        },
        Method::Direct => dense::direct(chain, channels),
        Method::Dense if chain.order == 1 => dense::order1(chain, channels),
        Method::Elimination if chain.order == 1 => elim::order1(chain, channels, max_work),
        _ => match sparse(chain, channels, limit)? {
            Some(solution) => Ok(solution),
            None if method == Method::Auto && n <= DIRECT_MAX => {
                let present = chain
                    .channels_present(channels)
                    .iter()
                    .filter(|&&p| p)
                    .count();
                let work = (present + 1) as f64 * (n as f64).powi(3) / 3.0;
                if work > max_work {
                    return Err(max_work_error(
                        max_work,
                        work,
                        format!(
                            "Gauss–Seidel converges too slowly on this chain, and its dense \
                             fallback ({} factorisations of {n} states) needs about {work:.1e} \
                             multiply-adds",
                            present + 1
                        ),
                    ));
                }
                dense::direct(chain, channels)
            }
            None => Err(numerical(format!(
                "Gauss–Seidel would need more than {MAX_SWEEPS} sweeps to reach a relative error \
                 of {TOLERANCE:e}: the chain has cycles that walks leave very rarely (very long \
                 repetitive paths), and its {n} states are too many for the dense solver"
            ))),
        },
    }
}

pub(super) fn numerical(reason: String) -> Error {
    Error::Numerical {
        model: "markov",
        reason,
    }
}

/// Per-state absorption rates r_conv(s) = N(s, conv)/N(s) and value rates
/// r_value(s) = value_end(s)/N(s) (= m(s)·R(s, conv) of §Conversion value).
pub(super) fn rates(chain: &Chain) -> (Vec<f64>, Vec<f64>) {
    let rate = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .zip(&chain.visits)
            .map(|(&a, &n)| if n > 0.0 { a / n } else { 0.0 })
            .collect()
    };
    (rate(&chain.n_conv), rate(&chain.value_end))
}

/// Rejects non-finite results and rounds removal effects that are outside [0, 1] by
/// floating-point noise only; anything further out is a numerical failure (M4 says RE ∈ [0, 1]).
pub(super) fn finish(
    p_conv: f64,
    p_value: f64,
    mut re: Vec<f64>,
    mut re_value: Vec<f64>,
) -> Result<Solution> {
    if !(p_conv.is_finite() && p_conv > 0.0 && p_value.is_finite()) {
        return Err(numerical(format!(
            "conversion probability {p_conv} (value {p_value})"
        )));
    }
    for x in re.iter_mut().chain(re_value.iter_mut()) {
        if !(x.is_finite() && *x > -1e-9 && *x < 1.0 + 1e-9) {
            return Err(numerical(format!("removal effect {x} outside [0, 1]")));
        }
        *x = x.clamp(0.0, 1.0);
    }
    Ok(Solution {
        p_conv,
        p_value,
        re,
        re_value,
    })
}

/// The chains every solver solves: the whole chain first, then each channel that some state
/// contains (the others have RE = 0).
pub(super) fn columns(chain: &Chain, channels: usize) -> Vec<Option<usize>> {
    let present = chain.channels_present(channels);
    std::iter::once(None)
        .chain((0..channels).filter(|&c| present[c]).map(Some))
        .collect()
}

/// Removal effects from the absorbed conversion probability and value of every column:
/// RE(c) = 1 − P₋c/P, RE_V(c) = 1 − V₋c/V (0 when the chain absorbs no value).
pub(super) fn assemble(
    columns: &[Option<usize>],
    absorbed: &[(f64, f64)],
    channels: usize,
) -> Result<Solution> {
    let (p, pv) = absorbed[0];
    let mut re = vec![0.0; channels];
    let mut re_value = vec![0.0; channels];
    for (col, &(pc, pvc)) in columns.iter().zip(absorbed).skip(1) {
        if let Some(c) = *col {
            re[c] = 1.0 - pc / p;
            re_value[c] = if pv > 0.0 { 1.0 - pvc / pv } else { 0.0 };
        }
    }
    finish(p, pv, re, re_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_removal_effects_are_refused() {
        assert!(finish(0.5, 1.0, vec![-1e-12, 1.0 + 1e-12], vec![]).is_ok());
        assert!(finish(0.5, 1.0, vec![-0.1], vec![]).is_err());
        assert!(finish(0.5, 1.0, vec![f64::NAN], vec![]).is_err());
        assert!(finish(0.0, 1.0, vec![], vec![]).is_err());
    }
}
