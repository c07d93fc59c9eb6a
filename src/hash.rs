//! The crate's one stable hash: FNV-1a (64-bit), for keys and seeds that must not change
//! between releases, platforms or runs (bootstrap row keys, per-set sampling seeds). Hash maps
//! use rustc-hash instead (fast, but not promised stable).

/// FNV-1a offset basis.
const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An FNV-1a hasher: [`Fnv1a::write`] bytes, read [`Fnv1a::finish`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(OFFSET)
    }
}

impl Fnv1a {
    /// Hashes `bytes` into the state.
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(PRIME);
        }
    }

    /// The hash of everything written.
    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_vectors() {
        // The FNV reference vectors: "" and "a", "foobar".
        let h = |s: &str| {
            let mut f = Fnv1a::default();
            f.write(s.as_bytes());
            f.finish()
        };
        assert_eq!(h(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(h("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(h("foobar"), 0x8594_4171_f739_67e8);
        // Writes concatenate.
        let mut f = Fnv1a::default();
        f.write(b"foo");
        f.write(b"bar");
        assert_eq!(f.finish(), h("foobar"));
    }
}
