//! Buffers written as they are allocated.
//!
//! `vec![0; n]` asks the allocator for zeroed memory, which the kernel hands out as its shared
//! zero page until each page is first written. A buffer that is read before it is written (a
//! hash index probing its slots, counts incremented in place) then takes a copy-on-write fault
//! on every page, and each such fault flushes the page from the TLB of every core the process
//! runs on: with worker threads alive, an interrupt to each of them. Perf showed these flushes at
//! 9 % of the serial thread of the event reader, from the user index's growth alone.

/// `n` copies of `value`, every page written now (by the allocating thread), so that later reads
/// and writes take no copy-on-write fault. `value` passes through [`std::hint::black_box`] so
/// that the compiler cannot turn the fill back into a zeroed allocation.
pub(crate) fn filled<T: Clone>(n: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    v.resize(n, std::hint::black_box(value));
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn filled_holds_n_copies() {
        assert_eq!(super::filled(3, 7u32), [7, 7, 7]);
        assert!(super::filled(0, 0u64).is_empty());
    }
}
