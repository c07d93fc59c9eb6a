//! ChannelAttribution's removal effects by simulation (the model reference, §Markov chain /
//! Simulation), for users who compare with it. The exact solver is the default.
//!
//! Walks start at `(start)` and draw each next state from the transition counts; a walk ends at
//! `(conversion)`, at `(null)`, or, as a non-conversion, when it would enter more than
//! `max_steps` channel states. For each converting walk, every channel contained in a state it
//! visited counts once, and a value per conversion is drawn from the rows that end in the walk's
//! last state (weighted by their conversions). Then
//!
//! ```text
//! RE(c)   = (converting walks that visited c) / (converting walks)
//! RE_V(c) = (drawn values of converting walks that visited c) / (all drawn values)
//! ```
//!
//! Unlike ChannelAttribution there is one batch of exactly `walks` walks (no convergence loop
//! over folds). Walks are cut into blocks of [`BLOCK`]; block `b` draws from
//! `ChaCha8Rng::seed_from_u64(seed)` on stream `b`, and block results are added in block order,
//! so the numbers depend on `(seed, walks, max_steps)` only, never on the thread count.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::error::{Error, Result};

use super::counts::Chain;
use super::states::START;

/// Walks per block of the simulation (one RNG stream each).
pub(crate) const BLOCK: u64 = 1 << 13;

/// Marks the absorbing targets in the cumulative tables.
const CONV: u32 = u32::MAX - 1;
const NULL: u32 = u32::MAX;

/// What the simulation measured.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Simulation {
    /// Converting walks.
    pub conversions: u64,
    /// RE(c) by channel id.
    pub re: Vec<f64>,
    /// RE_V(c) by channel id.
    pub re_value: Vec<f64>,
}

/// Per block: converting walks, walks through each channel, their drawn value, all drawn value.
struct Tally {
    conversions: u64,
    hits: Vec<u64>,
    value: Vec<f64>,
    value_sum: f64,
}

/// Cumulative transition counts per transient state, absorbing targets last.
struct Sampler {
    ptr: Vec<usize>,
    to: Vec<u32>,
    cum: Vec<f64>,
}

impl Sampler {
    fn new(chain: &Chain) -> Sampler {
        let n = chain.transient();
        let mut s = Sampler {
            ptr: Vec::with_capacity(n + 1),
            to: Vec::new(),
            cum: Vec::new(),
        };
        s.ptr.push(0);
        for st in 0..n {
            let mut acc = 0.0;
            let exits = [(CONV, chain.n_conv[st]), (NULL, chain.n_null[st])];
            for (t, x) in chain.out(st).chain(exits) {
                if x > 0.0 {
                    acc += x;
                    s.to.push(t);
                    s.cum.push(acc);
                }
            }
            s.ptr.push(s.to.len());
        }
        s
    }

    /// The target drawn by `u` uniform in [0, 1) from state `s`.
    #[inline]
    fn next(&self, s: usize, u: f64) -> u32 {
        let r = self.ptr[s]..self.ptr[s + 1];
        let cum = &self.cum[r.clone()];
        // Every transient state has an outgoing transition (the model reference, §Markov chain /
        // Transition probabilities), so `cum` is not empty.
        let total = cum[cum.len() - 1];
        let i = cum.partition_point(|&c| c <= u * total).min(cum.len() - 1);
        self.to[r.start + i]
    }
}

/// Runs `walks` walks of at most `max_steps` channel states.
///
/// # Errors
/// [`Error::Numerical`] if no walk converts (too few walks for the conversion rate).
///
/// # Complexity
/// O(walks · (steps · log d + k)) time for d out-transitions per state; O(S + E) for the
/// sampling tables plus O(n) per block.
pub(crate) fn simulate(
    chain: &Chain,
    channels: usize,
    walks: u64,
    max_steps: usize,
    seed: u64,
) -> Result<Simulation> {
    let sampler = Sampler::new(chain);
    let pool = chain.pool.as_ref();
    let blocks = walks.div_ceil(BLOCK);
    let run = |b: u64| -> Tally {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(b);
        let mut t = Tally {
            conversions: 0,
            hits: vec![0; channels],
            value: vec![0.0; channels],
            value_sum: 0.0,
        };
        let mut stamp = vec![0u64; channels];
        let mut seen: Vec<usize> = Vec::new();
        let first = b * BLOCK;
        for w in first..walks.min(first + BLOCK) {
            let mark = w + 1; // unique per walk, never 0
            seen.clear();
            let mut s = START as usize;
            let mut steps = 0usize;
            loop {
                let next = sampler.next(s, rng.random::<f64>());
                if next == CONV {
                    let v = pool.map_or(0.0, |p| p.draw(s, rng.random::<f64>()));
                    t.conversions += 1;
                    t.value_sum += v;
                    for &c in &seen {
                        t.hits[c] += 1;
                        t.value[c] += v;
                    }
                    break;
                }
                steps += 1;
                if next == NULL || steps > max_steps {
                    break;
                }
                s = next as usize;
                for c in chain.channels_of(s) {
                    let c = c.index();
                    if stamp[c] != mark {
                        stamp[c] = mark;
                        seen.push(c);
                    }
                }
            }
        }
        t
    };
    let parts: Vec<Tally> = crate::par::map_tasks(blocks as usize, |b| run(b as u64));
    let mut total = Tally {
        conversions: 0,
        hits: vec![0; channels],
        value: vec![0.0; channels],
        value_sum: 0.0,
    };
    for p in parts {
        total.conversions += p.conversions;
        total.value_sum += p.value_sum;
        total.hits.iter_mut().zip(p.hits).for_each(|(a, b)| *a += b);
        total
            .value
            .iter_mut()
            .zip(p.value)
            .for_each(|(a, b)| *a += b);
    }
    if total.conversions == 0 {
        return Err(Error::Numerical {
            model: "markov",
            reason: format!("none of {walks} simulated walks converted: simulate more walks"),
        });
    }
    let nconv = total.conversions as f64;
    Ok(Simulation {
        conversions: total.conversions,
        re: total.hits.iter().map(|&h| h as f64 / nconv).collect(),
        re_value: total
            .value
            .iter()
            .map(|&v| {
                if total.value_sum > 0.0 {
                    v / total.value_sum
                } else {
                    0.0
                }
            })
            .collect(),
    })
}
