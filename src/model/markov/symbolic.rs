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

use crate::error::{Error, Result};

use super::counts::Chain;
use super::max_work_error;

/// Time of a fill-in update of the numeric elimination and its product in the selected
/// inverse (a sorted merge and a binary search) in multiply-adds of the dense core, for
/// choosing when to switch to the core and for the cost limit. Measured on campaign tables
/// (1M rows, 10,000 keys): about 110 ns per update against 0.16 ns per multiply-add of the
/// core's matrix products on two busy cores.
pub(crate) const FILL_COST: f64 = 400.0;

/// Bytes per filled entry of the numeric elimination (its rows and the stored factors).
pub(crate) const FILL_BYTES: f64 = 48.0;

/// Multiply-adds of the dense core of `m` states (Gauss–Jordan inversion, m³).
pub(crate) fn core_work(m: usize) -> f64 {
    super::inverse::work(m, m)
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
    /// The predecessors of `order[p]` among the states remaining when it is eliminated
    /// (ascending): `lower[lower_ptr[p]..lower_ptr[p + 1]]`. The numeric phase takes them from
    /// here instead of keeping the pattern by columns.
    pub lower: Vec<u32>,
    pub lower_ptr: Vec<usize>,
}

impl Symbolic {
    /// The predecessors of the `p`-th eliminated state (see [`Symbolic::lower`]).
    pub(crate) fn lower_of(&self, p: usize) -> &[u32] {
        &self.lower[self.lower_ptr[p]..self.lower_ptr[p + 1]]
    }
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

/// Largest chain planned on bit rows (2·n²/8 bytes: 67 MB at this size); larger chains are
/// planned on sorted vectors (memory proportional to the fill) until this many states remain.
const BITS_MAX: usize = 16_384;

/// Plans the elimination of `chain`'s transient states: states are taken by fewest fill-in
/// updates (in-degree × out-degree among the remaining states) until the cheapest would cost
/// more than keeping it in the dense core (its marginal 3m² multiply-adds).
///
/// # Errors
/// [`Error::CostLimit`] as soon as the estimated work of the numeric phase passes `max_work`
/// (so the planning itself stops early on a chain that fills in).
///
/// # Complexity
/// Up to [`BITS_MAX`] states the pattern is two bit matrices (n²/4 bytes) and eliminating v
/// costs (in(v) + out(v))·n/64 word operations; beyond, sorted vectors (8 bytes per entry of
/// the pattern, both directions) and Σ_{i ∈ in(v)} (out(i) + out(v)) + Σ_{j ∈ out(v)}
/// (in(j) + in(v)) merged entries (a binary-search insertion instead when v has few
/// neighbours), until [`BITS_MAX`] states remain: the rest is planned on bit rows of the
/// remaining states, as a small chain is.
pub(crate) fn plan(chain: &Chain, max_work: f64) -> Result<Symbolic> {
    let n = chain.transient();
    if n <= BITS_MAX {
        run(Bits::new(n, rows(chain)), max_work)
    } else {
        run(Hybrid::new(Lists::new(n, rows(chain)), BITS_MAX), max_work)
    }
}

/// The transitions of I − Q off the diagonal, by row (those of the numeric phase).
fn rows(chain: &Chain) -> impl Iterator<Item = impl Iterator<Item = u32> + '_> + '_ {
    (0..chain.transient()).map(|s| {
        let r = chain.out_ptr[s]..chain.out_ptr[s + 1];
        let keep = chain.visits[s] > 0.0;
        chain.out_to[r]
            .iter()
            .copied()
            .filter(move |&t| keep && t as usize != s)
    })
}

/// The pattern of the remaining transitions.
trait Pattern {
    fn len(&self) -> usize;
    fn out_len(&self, s: usize) -> usize;
    fn in_len(&self, s: usize) -> usize;
    /// Entries of the pattern (transitions between remaining states).
    fn entries(&self) -> usize;
    /// Eliminates `v`: its successors into `upper` and predecessors into `lower` (ascending),
    /// and every path i → v → j becomes a transition i → j (i ≠ j).
    fn eliminate(&mut self, v: u32, upper: &mut Vec<u32>, lower: &mut Vec<u32>);
    /// Told after each elimination how many states remain (`done` marks the eliminated ones):
    /// a pattern may change its representation (never its content).
    fn shrunk(&mut self, _remaining: usize, _done: &[bool]) {}
}

fn run<P: Pattern>(mut p: P, max_work: f64) -> Result<Symbolic> {
    let n = p.len();
    let cost = |p: &P, s: usize| -> u64 { p.out_len(s) as u64 * p.in_len(s) as u64 };
    let mut queue = Queue::new((0..n).map(|s| cost(&p, s)).collect());
    let mut done = vec![false; n];
    let mut order = Vec::new();
    let mut updates = 0.0;
    let mut peak_entries = p.entries() as f64;
    let mut remaining = n;
    let (mut upper, mut lower) = (Vec::new(), Vec::new());
    let (mut lowers, mut lower_ptr) = (Vec::new(), vec![0]);
    while let Some((c, v)) = queue.peek() {
        let vi = v as usize;
        let m = remaining as f64;
        if FILL_COST * c as f64 > 3.0 * m * m {
            break;
        }
        queue.pop();
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
        p.eliminate(v, &mut upper, &mut lower);
        peak_entries = peak_entries.max(p.entries() as f64);
        done[vi] = true;
        remaining -= 1;
        order.push(v);
        lowers.extend_from_slice(&lower);
        lower_ptr.push(lowers.len());
        for &s in upper.iter().chain(&lower) {
            queue.update(s, cost(&p, s as usize));
        }
        p.shrunk(remaining, &done);
    }
    let core: Vec<u32> = (0..n as u32).filter(|&s| !done[s as usize]).collect();
    let plan = Symbolic {
        order,
        core,
        updates,
        peak_entries,
        lower: lowers,
        lower_ptr,
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

/// The remaining states by (cost, state), least first: a binary heap indexed by state, so an
/// update moves the state's one entry (a heap of stale entries grew to Σ (in + out) entries
/// and its pops were a fifth of a 100k-state plan).
struct Queue {
    heap: Vec<u32>,
    /// Position of each state in `heap` (`u32::MAX` once popped).
    at: Vec<u32>,
    cost: Vec<u64>,
}

impl Queue {
    fn new(cost: Vec<u64>) -> Queue {
        let n = cost.len() as u32;
        let mut q = Queue {
            heap: (0..n).collect(),
            at: (0..n).collect(),
            cost,
        };
        for i in (0..q.heap.len() / 2).rev() {
            q.down(i);
        }
        q
    }

    fn less(&self, a: u32, b: u32) -> bool {
        (self.cost[a as usize], a) < (self.cost[b as usize], b)
    }

    fn place(&mut self, i: usize, s: u32) {
        self.heap[i] = s;
        self.at[s as usize] = i as u32;
    }

    fn up(&mut self, mut i: usize) {
        let s = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            if !self.less(s, self.heap[parent]) {
                break;
            }
            self.place(i, self.heap[parent]);
            i = parent;
        }
        self.place(i, s);
    }

    fn down(&mut self, mut i: usize) {
        let s = self.heap[i];
        let len = self.heap.len();
        loop {
            let mut child = 2 * i + 1;
            if child >= len {
                break;
            }
            if child + 1 < len && self.less(self.heap[child + 1], self.heap[child]) {
                child += 1;
            }
            if !self.less(self.heap[child], s) {
                break;
            }
            self.place(i, self.heap[child]);
            i = child;
        }
        self.place(i, s);
    }

    /// The least (cost, state).
    fn peek(&self) -> Option<(u64, u32)> {
        self.heap.first().map(|&s| (self.cost[s as usize], s))
    }

    /// Removes the least state.
    fn pop(&mut self) {
        let Some(last) = self.heap.pop() else {
            return;
        };
        if let Some(&first) = self.heap.first() {
            self.at[first as usize] = u32::MAX;
            self.place(0, last);
            self.down(0);
        } else {
            self.at[last as usize] = u32::MAX;
        }
    }

    /// Sets the cost of `s` (a state already popped is left out).
    fn update(&mut self, s: u32, cost: u64) {
        let i = self.at[s as usize];
        if i == u32::MAX {
            return;
        }
        let old = std::mem::replace(&mut self.cost[s as usize], cost);
        if cost < old {
            self.up(i as usize);
        } else {
            self.down(i as usize);
        }
    }
}

/// The pattern as sets of state ids, both directions: sorted vectors, or bit rows for the few
/// states linked to a large share of the others (`(start)` and the popular keys), whose sorted
/// vectors would be merged and shifted at nearly every step.
struct Lists {
    out: Vec<Set>,
    inc: Vec<Set>,
    entries: usize,
    scratch: Vec<u32>,
    /// Sets longer than this are bit rows.
    big: usize,
    n: usize,
}

/// A set of state ids.
enum Set {
    Sorted(Vec<u32>),
    Bits { words: Vec<u64>, len: usize },
}

impl Set {
    fn len(&self) -> usize {
        match self {
            Set::Sorted(v) => v.len(),
            Set::Bits { len, .. } => *len,
        }
    }

    /// The ids, ascending, leaving the set empty.
    fn take(&mut self) -> Vec<u32> {
        match std::mem::replace(self, Set::Sorted(Vec::new())) {
            Set::Sorted(v) => v,
            Set::Bits { words, len } => {
                let mut ids = Vec::with_capacity(len);
                ones(&words, &mut ids);
                ids
            }
        }
    }

    /// `self = (self ∪ add) \ {skip, gone}` (see [`union_without`]); a sorted set longer than
    /// `big` becomes a bit row of `n` bits.
    fn union_without(
        &mut self,
        add: &[u32],
        skip: u32,
        gone: u32,
        big: usize,
        n: usize,
        scratch: &mut Vec<u32>,
    ) {
        match self {
            Set::Sorted(row) => {
                union_without(row, add, skip, gone, scratch);
                if row.len() > big {
                    let mut words = vec![0u64; n.div_ceil(64)];
                    for &x in row.iter() {
                        words[x as usize / 64] |= 1 << (x % 64);
                    }
                    *self = Set::Bits {
                        words,
                        len: row.len(),
                    };
                }
            }
            Set::Bits { words, len } => {
                let g = gone as usize;
                if words[g / 64] & (1 << (g % 64)) != 0 {
                    words[g / 64] &= !(1 << (g % 64));
                    *len -= 1;
                }
                for &x in add.iter().filter(|&&x| x != skip) {
                    let (w, b) = (x as usize / 64, 1u64 << (x % 64));
                    if words[w] & b == 0 {
                        words[w] |= b;
                        *len += 1;
                    }
                }
            }
        }
    }
}

impl Lists {
    fn new<R: Iterator<Item = u32>>(n: usize, rows: impl Iterator<Item = R>) -> Lists {
        let mut out: Vec<Vec<u32>> = Vec::with_capacity(n);
        let mut inc: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (s, row) in rows.enumerate() {
            let row: Vec<u32> = row.collect();
            for &t in &row {
                inc[t as usize].push(s as u32); // s ascending: every inc row stays sorted
            }
            out.push(row);
        }
        let entries = out.iter().map(Vec::len).sum();
        let big = (n / 32).max(256);
        let wrap = |v: Vec<Vec<u32>>| -> Vec<Set> {
            v.into_iter()
                .map(|row| {
                    let mut set = Set::Sorted(row);
                    // An empty union converts a long row (and removes nothing).
                    set.union_without(&[], u32::MAX, u32::MAX, big, n, &mut Vec::new());
                    set
                })
                .collect()
        };
        Lists {
            out: wrap(out),
            inc: wrap(inc),
            entries,
            scratch: Vec::new(),
            big,
            n,
        }
    }
}

impl Pattern for Lists {
    fn len(&self) -> usize {
        self.out.len()
    }
    fn out_len(&self, s: usize) -> usize {
        self.out[s].len()
    }
    fn in_len(&self, s: usize) -> usize {
        self.inc[s].len()
    }
    fn entries(&self) -> usize {
        self.entries
    }
    fn eliminate(&mut self, v: u32, upper: &mut Vec<u32>, lower: &mut Vec<u32>) {
        *upper = self.out[v as usize].take();
        *lower = self.inc[v as usize].take();
        self.entries -= upper.len();
        let (big, n) = (self.big, self.n);
        for &i in lower.iter() {
            let row = &mut self.out[i as usize];
            let before = row.len();
            row.union_without(upper, i, v, big, n, &mut self.scratch);
            self.entries = self.entries + row.len() - before;
        }
        for &j in upper.iter() {
            self.inc[j as usize].union_without(lower, j, v, big, n, &mut self.scratch);
        }
    }
}

/// Sorted vectors while many states remain, then bit rows over the remaining states (renumbered
/// in ascending order, so ties and every output are unchanged) once at most `at` remain, or at
/// most 2·`at` with the bit rows at most twice the vectors' memory: the last phase of a large
/// chain's plan, where the fill makes rows long, costs word operations instead of merges
/// (2·r²/8 bytes for the bit rows of r states: 268 MB at most).
enum Hybrid {
    Lists {
        lists: Lists,
        at: usize,
    },
    Bits {
        bits: Bits,
        id: Vec<u32>,
        of: Vec<u32>,
        n: usize,
    },
}

impl Hybrid {
    fn new(lists: Lists, at: usize) -> Hybrid {
        Hybrid::Lists { lists, at }
    }
}

impl Pattern for Hybrid {
    fn len(&self) -> usize {
        match self {
            Hybrid::Lists { lists, .. } => lists.len(),
            Hybrid::Bits { n, .. } => *n,
        }
    }
    fn out_len(&self, s: usize) -> usize {
        match self {
            Hybrid::Lists { lists, .. } => lists.out_len(s),
            Hybrid::Bits { bits, id, .. } => match id[s] {
                u32::MAX => 0,
                c => bits.out_len(c as usize),
            },
        }
    }
    fn in_len(&self, s: usize) -> usize {
        match self {
            Hybrid::Lists { lists, .. } => lists.in_len(s),
            Hybrid::Bits { bits, id, .. } => match id[s] {
                u32::MAX => 0,
                c => bits.in_len(c as usize),
            },
        }
    }
    fn entries(&self) -> usize {
        match self {
            Hybrid::Lists { lists, .. } => lists.entries(),
            Hybrid::Bits { bits, .. } => bits.entries(),
        }
    }
    fn eliminate(&mut self, v: u32, upper: &mut Vec<u32>, lower: &mut Vec<u32>) {
        match self {
            Hybrid::Lists { lists, .. } => lists.eliminate(v, upper, lower),
            Hybrid::Bits { bits, id, of, .. } => {
                bits.eliminate(id[v as usize], upper, lower);
                // The renumbering is increasing: the lists stay ascending.
                for x in upper.iter_mut().chain(lower.iter_mut()) {
                    *x = of[*x as usize];
                }
            }
        }
    }
    fn shrunk(&mut self, remaining: usize, done: &[bool]) {
        let Hybrid::Lists { lists, at } = self else {
            return;
        };
        // Bit rows of r states take r²/4 bytes, the sorted vectors 8 bytes an entry: switch at
        // `at` states, or up to twice as many once the bit rows are at most twice the vectors.
        let r = remaining as f64;
        let dense = remaining <= 2 * *at && r * r / 4.0 <= 16.0 * lists.entries() as f64;
        if remaining > *at && !dense {
            return;
        }
        let n = lists.len();
        let of: Vec<u32> = (0..n as u32).filter(|&s| !done[s as usize]).collect();
        let mut id = vec![u32::MAX; n];
        for (c, &s) in of.iter().enumerate() {
            id[s as usize] = c as u32;
        }
        let mut ids = Vec::new();
        let rows: Vec<Vec<u32>> = of
            .iter()
            .map(|&s| {
                match &lists.out[s as usize] {
                    Set::Sorted(v) => ids.clone_from(v),
                    Set::Bits { words, .. } => ones(words, &mut ids),
                }
                // Every successor of a remaining state remains (eliminated states leave the
                // rows of their predecessors).
                ids.iter().map(|&t| id[t as usize]).collect()
            })
            .collect();
        let bits = Bits::new(of.len(), rows.into_iter().map(Vec::into_iter));
        *self = Hybrid::Bits { bits, id, of, n };
    }
}

/// The pattern as two n × n bit matrices (rows: successors, and predecessors) with the
/// degrees.
struct Bits {
    n: usize,
    words: usize,
    out: Vec<u64>,
    inc: Vec<u64>,
    out_deg: Vec<u32>,
    in_deg: Vec<u32>,
    entries: usize,
    mask: Vec<u64>,
}

impl Bits {
    fn new<R: Iterator<Item = u32>>(n: usize, rows: impl Iterator<Item = R>) -> Bits {
        let words = n.div_ceil(64);
        let mut b = Bits {
            n,
            words,
            out: vec![0; n * words],
            inc: vec![0; n * words],
            out_deg: vec![0; n],
            in_deg: vec![0; n],
            entries: 0,
            mask: vec![0; words],
        };
        for (s, row) in rows.enumerate() {
            for t in row {
                let t = t as usize;
                b.out[s * words + t / 64] |= 1 << (t % 64);
                b.inc[t * words + s / 64] |= 1 << (s % 64);
                b.out_deg[s] += 1;
                b.in_deg[t] += 1;
                b.entries += 1;
            }
        }
        b
    }
}

/// The set bits of `row`, ascending, into `ids`.
fn ones(row: &[u64], ids: &mut Vec<u32>) {
    ids.clear();
    for (w, &x) in row.iter().enumerate() {
        let mut x = x;
        while x != 0 {
            ids.push((w * 64) as u32 + x.trailing_zeros());
            x &= x - 1;
        }
    }
}

/// `rows[r] = (rows[r] | mask) \ {r, gone}` for every r in `targets`, with its new degree.
fn or_rows(
    rows: &mut [u64],
    words: usize,
    targets: &[u32],
    mask: &[u64],
    gone: u32,
    deg: &mut [u32],
) {
    let clear = |row: &mut [u64], x: usize| row[x / 64] &= !(1 << (x % 64));
    for &r in targets {
        let ru = r as usize;
        let row = &mut rows[ru * words..(ru + 1) * words];
        let mut count = 0;
        for (x, &y) in row.iter_mut().zip(mask) {
            *x |= y;
        }
        clear(row, ru);
        clear(row, gone as usize);
        for x in row.iter() {
            count += x.count_ones();
        }
        deg[ru] = count;
    }
}

impl Pattern for Bits {
    fn len(&self) -> usize {
        self.n
    }
    fn out_len(&self, s: usize) -> usize {
        self.out_deg[s] as usize
    }
    fn in_len(&self, s: usize) -> usize {
        self.in_deg[s] as usize
    }
    fn entries(&self) -> usize {
        self.entries
    }
    fn eliminate(&mut self, v: u32, upper: &mut Vec<u32>, lower: &mut Vec<u32>) {
        let (w, vi) = (self.words, v as usize);
        let row = vi * w..(vi + 1) * w;
        ones(&self.out[row.clone()], upper);
        ones(&self.inc[row.clone()], lower);
        let before: usize = lower
            .iter()
            .map(|&i| self.out_deg[i as usize] as usize)
            .sum();
        self.entries -= upper.len() + before;
        // Successors of v join the successors of each predecessor.
        self.mask.copy_from_slice(&self.out[row.clone()]);
        or_rows(&mut self.out, w, lower, &self.mask, v, &mut self.out_deg);
        // Predecessors of v join the predecessors of each successor.
        self.mask.copy_from_slice(&self.inc[row.clone()]);
        or_rows(&mut self.inc, w, upper, &self.mask, v, &mut self.in_deg);
        self.out[row.clone()].fill(0);
        self.inc[row].fill(0);
        self.out_deg[vi] = 0;
        self.in_deg[vi] = 0;
        let after: usize = lower
            .iter()
            .map(|&i| self.out_deg[i as usize] as usize)
            .sum();
        self.entries += after;
    }
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
    max_work_error(
        max_work,
        work,
        format!(
            "the exact order-1 solve (sparse elimination of {eliminated} states, then a dense \
             core of {core} states, planned on the pattern before any numeric work) needs at \
             least {work:.1e} multiply-adds and {:.0} MB",
            bytes / 1e6
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit rows and sorted vectors plan the same elimination (order, updates, core, peak).
    #[test]
    fn both_patterns_plan_the_same_elimination() {
        for (paths, campaigns, seed) in [(3000, 400, 11), (20_000, 600, 3), (500, 40, 1)] {
            let (_, chain) =
                crate::model::markov::tests::campaign_chain(paths, 8, campaigns, 0.0, seed);
            let n = chain.transient();
            let a = run(Bits::new(n, rows(&chain)), f64::INFINITY).unwrap();
            let b = run(Lists::new(n, rows(&chain)), f64::INFINITY).unwrap();
            // Sorted vectors, then bit rows half-way between the start and the core.
            let at = (n + a.core.len()) / 2;
            assert!(
                a.order.len() < 2 || (at > a.core.len() && at < n),
                "{at} of {n}"
            );
            let c = run(Hybrid::new(Lists::new(n, rows(&chain)), at), f64::INFINITY).unwrap();
            for b in [b, c] {
                assert_eq!(a.order, b.order);
                assert_eq!(a.core, b.core);
                assert_eq!((a.updates, a.peak_entries), (b.updates, b.peak_entries));
                assert_eq!((&a.lower, &a.lower_ptr), (&b.lower, &b.lower_ptr));
            }
            assert!(!a.order.is_empty(), "{paths}");
        }
    }

    /// The indexed heap pops the least (cost, state) after any updates, as a scan finds it.
    #[test]
    fn the_queue_pops_the_least_cost_then_state() {
        let mut x = 7u64;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        let n = 200;
        let mut cost: Vec<u64> = (0..n).map(|_| next(50)).collect();
        let mut q = Queue::new(cost.clone());
        let mut left: Vec<bool> = vec![true; n];
        for _ in 0..n {
            for _ in 0..5 {
                let s = next(n as u64) as u32;
                let c = next(50);
                q.update(s, c);
                if left[s as usize] {
                    cost[s as usize] = c;
                }
            }
            let want = (0..n as u32)
                .filter(|&s| left[s as usize])
                .map(|s| (cost[s as usize], s))
                .min();
            assert_eq!(q.peek(), want);
            q.pop();
            if let Some((_, s)) = want {
                left[s as usize] = false;
            }
        }
        assert_eq!(q.peek(), None);
    }

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
