//! The one parallel/serial switch: these helpers run on rayon's pool with the `parallel`
//! feature and serially without it, with the same results in the same order either way
//! (callers fold the parts in order, so output never depends on the thread count).

/// `(0..n).map(f)` in order; in parallel when `n > 1` (with the `parallel` feature).
pub(crate) fn map_range<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync + Send,
{
    #[cfg(feature = "parallel")]
    if n > 1 {
        return par_map_range(n, &f);
    }
    (0..n).map(f).collect()
}

/// The parallel half of [`map_range`], behind a `dyn Fn`: rayon's iterator machinery (some
/// 600 functions) is compiled once per output type instead of once per caller's closure, which
/// took a third of the crate's build. One indirect call per item costs nothing measurable next
/// to the item's work.
#[cfg(feature = "parallel")]
fn par_map_range<T: Send>(n: usize, f: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
    use rayon::prelude::*;
    (0..n).into_par_iter().map(f).collect()
}

/// `(0..n).map(f)` in order, for a few coarse tasks (chunks of rows, bootstrap replicates,
/// blocks of sampled games); in parallel when `n > 1` (with the `parallel` feature).
///
/// Unlike [`map_range`], every caller shares one compiled copy of rayon's machinery whatever
/// `T` is (results go through one lock-guarded slot per task), so use it where `n` is at most
/// a few thousand and each task is much larger than a lock.
pub(crate) fn map_tasks<T, F>(n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    #[cfg(feature = "parallel")]
    if n > 1 {
        use std::sync::{Mutex, PoisonError};
        let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
        for_each_index(n, &|i| {
            let out = f(i);
            *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(out);
        });
        return slots
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .unwrap_or_else(PoisonError::into_inner)
                    // Invariant: `for_each_index` ran `f` for every index (a panic in `f`
                    // propagates before this line), and each index filled its own slot.
                    .expect("every task fills its slot")
            })
            .collect();
    }
    (0..n).map(f).collect()
}

/// [`map_tasks`] for tasks that need a large scratch (a solver's work arrays): each task
/// borrows one from a shared stack, made by `init` only when every scratch made so far is in
/// use (at most one per task running at once), and returns it when done. This reuses the
/// memory instead of allocating and freeing it per task, which fragments the heap. `f` must
/// not depend on what an earlier task left in its scratch.
pub(crate) fn map_tasks_with<S, T, I, F>(n: usize, init: I, f: F) -> Vec<T>
where
    S: Send,
    T: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize) -> T + Sync,
{
    use std::sync::{Mutex, PoisonError};
    let spare: Mutex<Vec<S>> = Mutex::new(Vec::new());
    let take = || spare.lock().unwrap_or_else(PoisonError::into_inner).pop();
    map_tasks(n, |i| {
        let mut scratch = take().unwrap_or_else(&init);
        let out = f(&mut scratch, i);
        spare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(scratch);
        out
    })
}

/// Runs `f(i)` for every `i` in `0..n` on rayon's pool: the one rayon instantiation behind
/// [`map_tasks`].
#[cfg(feature = "parallel")]
fn for_each_index(n: usize, f: &(dyn Fn(usize) + Sync)) {
    use rayon::prelude::*;
    (0..n).into_par_iter().for_each(f);
}

/// `items.map(f)` in order, in parallel with the `parallel` feature, for coarse items (chunks
/// of a file, blocks of columns): [`map_tasks`] over the indices.
pub(crate) fn map_ordered<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync,
{
    map_tasks(items.len(), |i| f(&items[i]))
}

/// Runs `here` on the calling thread while `pool` runs on rayon's pool (with the `parallel`
/// feature; one after the other without), and returns both results. `here` need not be `Send`: it is the serial stage of a pipeline that holds what cannot cross threads
/// (a caller's reader), overlapped with a parallel stage on the pool's threads. Called from a
/// pool thread, `here` runs there and `pool` waits for a free thread (the calling one, at the
/// latest, once `here` is done), so it never deadlocks.
pub(crate) fn overlap<A, B, RA, RB>(here: A, pool: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    #[cfg(feature = "parallel")]
    {
        let mut out = None;
        let first = rayon::in_place_scope(|s| {
            s.spawn(|_| out = Some(pool()));
            here()
        });
        // Invariant: a scope returns after its spawned task has run (a panic in the task
        // propagates out of the scope before this line).
        (first, out.expect("the scope ran its task"))
    }
    #[cfg(not(feature = "parallel"))]
    {
        let first = here();
        (first, pool())
    }
}

/// `v.sort_unstable_by_key(key)`, in parallel with the `parallel` feature. Callers use keys
/// that tell every element apart (or do not care about the order of equal ones), so serial and
/// parallel orders agree.
pub(crate) fn sort_unstable_by_key<T, K, F>(v: &mut [T], key: F)
where
    T: Send,
    K: Ord,
    F: Fn(&T) -> K + Sync,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::slice::ParallelSliceMut;
        v.par_sort_unstable_by_key(key);
    }
    #[cfg(not(feature = "parallel"))]
    v.sort_unstable_by_key(key);
}

/// `v.sort_unstable_by(compare)`, in parallel with the `parallel` feature (callers' orders tell
/// every element apart, as for [`sort_unstable_by_key`]).
pub(crate) fn sort_unstable_by<T, F>(v: &mut [T], compare: F)
where
    T: Send,
    F: Fn(&T, &T) -> std::cmp::Ordering + Sync,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::slice::ParallelSliceMut;
        v.par_sort_unstable_by(compare);
    }
    #[cfg(not(feature = "parallel"))]
    v.sort_unstable_by(compare);
}

/// `data.chunks_mut(size).for_each(f)`, chunks in parallel with the `parallel` feature.
pub(crate) fn for_each_chunk_mut<T, F>(data: &mut [T], size: usize, f: F)
where
    T: Send,
    F: Fn(&mut [T]) + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(size).for_each(f);
    }
    #[cfg(not(feature = "parallel"))]
    data.chunks_mut(size).for_each(f);
}

/// Threads the helpers above use (1 without the `parallel` feature).
pub(crate) fn threads() -> usize {
    #[cfg(feature = "parallel")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "parallel"))]
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "parallel")]
    #[test]
    fn overlap_finishes_on_a_pool_of_one_thread_from_inside_and_outside() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool");
        let work = || overlap(|| 1, || map_range(100, |i| i).len());
        assert_eq!(pool.install(work), (1, 100));
        assert_eq!(pool.install(|| pool.install(work)), (1, 100));
        assert_eq!(work(), (1, 100));
    }

    #[test]
    fn helpers_keep_order() {
        assert_eq!(map_range(5, |i| i * i), [0, 1, 4, 9, 16]);
        assert_eq!(map_range(0, |i| i), Vec::<usize>::new());
        assert_eq!(map_tasks(5, |i| i * i), [0, 1, 4, 9, 16]);
        assert_eq!(map_tasks(0, |i| i), Vec::<usize>::new());
        assert_eq!(map_tasks(1, |i| i + 7), [7]);
        assert_eq!(map_ordered(&[3, 1, 2], |x| x + 1), [4, 2, 3]);
        let local = std::rc::Rc::new(5); // not `Send`: only `here` may hold it
        assert_eq!(
            overlap(|| *local + 1, || map_range(3, |i| i)),
            (6, vec![0, 1, 2])
        );
        let mut v = vec![(3, 'c'), (1, 'a'), (2, 'b')];
        sort_unstable_by_key(&mut v, |x| x.0);
        assert_eq!(v, [(1, 'a'), (2, 'b'), (3, 'c')]);
    }
}
