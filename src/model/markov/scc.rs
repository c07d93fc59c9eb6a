//! Strongly connected components of a chain's transient states, and the order in which
//! Gauss–Seidel visits them (`gauss_seidel::Incoming`).
//!
//! Visiting the components from sources to sinks makes every state outside a cycle exact in
//! one pass (all its predecessors are final before it), so sweeps are needed only inside the
//! components with a cycle. On the 1,000-channel tables of issue 12 most states are outside
//! every cycle: at order 3 and 100k rows, 203,908 of 252,958 states, and the one large
//! component holds 80,085 of the 325,512 transitions.
//!
//! Tarjan's algorithm, iterative (no recursion on deep chains). O(S + E) time, O(S) memory.

use super::counts::Chain;

/// A run of [`visit_order`]'s states: one pass suffices (`cyclic == false`: states in no
/// cycle, each after its predecessors), or sweeps until convergence (one component with a
/// cycle, a self-loop included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Start of the run in the visit order.
    pub start: usize,
    /// End of the run (exclusive).
    pub end: usize,
    /// Whether the run is one component with a cycle.
    pub cyclic: bool,
}

/// The transient states but `(start)` in topological order of their components (sources
/// first; inside a cyclic component by tuple, so that states sharing their predecessors are
/// consecutive; elsewhere by id), and the runs of that order (consecutive acyclic states
/// merged into one run).
pub(crate) fn visit_order(chain: &Chain) -> (Vec<u32>, Vec<Segment>) {
    let n = chain.transient();
    let comp = components(n, |v| &chain.out_to[chain.out_ptr[v]..chain.out_ptr[v + 1]]);
    // Tarjan numbers components sinks first: visit them from the highest number down.
    // `(start)` has no incoming transition, so it is in no cycle; it is left out (g = 1 there).
    let mut order: Vec<u32> = (1..n as u32).collect();
    order.sort_unstable_by_key(|&s| (std::cmp::Reverse(comp[s as usize]), s));
    let self_loop = |s: usize| {
        chain.out_to[chain.out_ptr[s]..chain.out_ptr[s + 1]]
            .binary_search(&(s as u32))
            .is_ok()
    };
    // Inside a cyclic component, by tuple: the states that share a prefix, consecutive, have
    // the same predecessors (those whose tuple ends with it), so each predecessor's row is
    // read from memory once for the whole run instead of once per state.
    let mut i = 0;
    while i < order.len() {
        let c = comp[order[i] as usize];
        let end = i + order[i..].partition_point(|&s| comp[s as usize] == c);
        if end - i > 1 {
            order[i..end].sort_unstable_by(|&a, &b| {
                chain
                    .channels_of(a as usize)
                    .cmp(chain.channels_of(b as usize))
                    .then(a.cmp(&b))
            });
        }
        i = end;
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let c = comp[order[i] as usize];
        let end = i + order[i..].partition_point(|&s| comp[s as usize] == c);
        let cyclic = end - i > 1 || self_loop(order[i] as usize);
        match segments.last_mut() {
            Some(last) if !cyclic && !last.cyclic => last.end = end,
            _ => segments.push(Segment {
                start: i,
                end,
                cyclic,
            }),
        }
        i = end;
    }
    (order, segments)
}

/// The component of every vertex `0..n` of the graph whose successors `out(v)` gives,
/// numbered in reverse topological order (a component's successors have smaller numbers).
pub(crate) fn components<'a>(n: usize, out: impl Fn(usize) -> &'a [u32]) -> Vec<u32> {
    let mut t = Tarjan {
        index: vec![NONE; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        comp: vec![NONE; n],
        stack: Vec::new(),
        call: Vec::new(),
        next: 0,
    };
    let mut comps = 0u32;
    for root in 0..n {
        if t.index[root] != NONE {
            continue;
        }
        t.enter(root);
        while let Some(&(v, e)) = t.call.last() {
            let v = v as usize;
            if let Some(&w) = out(v).get(e) {
                if let Some(top) = t.call.last_mut() {
                    top.1 += 1;
                }
                let w = w as usize;
                if t.index[w] == NONE {
                    t.enter(w);
                } else if t.on_stack[w] {
                    t.low[v] = t.low[v].min(t.index[w]);
                }
                continue;
            }
            t.call.pop();
            if let Some(&(u, _)) = t.call.last() {
                t.low[u as usize] = t.low[u as usize].min(t.low[v]);
            }
            if t.low[v] == t.index[v] {
                while let Some(w) = t.stack.pop() {
                    t.on_stack[w as usize] = false;
                    t.comp[w as usize] = comps;
                    if w as usize == v {
                        break;
                    }
                }
                comps += 1;
            }
        }
    }
    t.comp
}

const NONE: u32 = u32::MAX;

/// The state of Tarjan's depth-first search.
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    comp: Vec<u32>,
    stack: Vec<u32>,
    /// (vertex, position in its successors) of the search's path.
    call: Vec<(u32, usize)>,
    next: u32,
}

impl Tarjan {
    fn enter(&mut self, v: usize) {
        self.index[v] = self.next;
        self.low[v] = self.next;
        self.next += 1;
        self.stack.push(v as u32);
        self.on_stack[v] = true;
        self.call.push((v as u32, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Whether `b` is reachable from `a` (breadth-first, for the property test).
    fn reaches(adj: &[Vec<u32>], a: usize, b: usize) -> bool {
        let mut seen = vec![false; adj.len()];
        let mut todo = vec![a];
        seen[a] = true;
        while let Some(v) = todo.pop() {
            if v == b {
                return true;
            }
            for &w in &adj[v] {
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    todo.push(w as usize);
                }
            }
        }
        false
    }

    #[test]
    fn a_cycle_with_a_tail_has_three_components() {
        // 0 → 1 → 2 → 1, 2 → 3.
        let adj: Vec<Vec<u32>> = vec![vec![1], vec![2], vec![1, 3], vec![]];
        let comp = components(4, |v| &adj[v]);
        assert_eq!(comp[1], comp[2]);
        assert!(comp[0] > comp[1] && comp[1] > comp[3]);
    }

    proptest! {
        /// Same component exactly when each reaches the other; an edge between components
        /// goes from a higher number to a lower one.
        #[test]
        fn components_are_mutual_reachability(
            edges in proptest::collection::vec((0u32..12, 0u32..12), 0..40)
        ) {
            let n = 12;
            let mut adj = vec![Vec::new(); n];
            for (a, b) in edges {
                adj[a as usize].push(b);
            }
            let comp = components(n, |v| &adj[v]);
            for a in 0..n {
                for b in 0..n {
                    let same = reaches(&adj, a, b) && reaches(&adj, b, a);
                    prop_assert_eq!(comp[a] == comp[b], same);
                }
                for &b in &adj[a] {
                    prop_assert!(comp[a] >= comp[b as usize]);
                }
            }
        }
    }
}
