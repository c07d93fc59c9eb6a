//! The outcome column of a path table: 12 bytes a row while every count is a whole number.

use std::sync::OnceLock;

use crate::outcome::{Compensated, Outcome};

/// One [`Outcome`] per row (see [`Form`]), with its column sums once they were asked for:
/// every model asks, some several times, and a float column is summed with compensation, one
/// row at a time. Any change of a row forgets the sums.
#[derive(Clone, Debug, Default)]
pub(super) struct Outcomes {
    form: Form,
    totals: OnceLock<Outcome>,
}

/// The rows' outcomes, stored as three `u32` while every count of every row is a whole number
/// below 2³² (aggregated files count journeys: they usually are), and as three `f64` from the
/// first row that is not (a fraction, `-0.0`, a count of 2³² or more). Both forms give back the
/// very `f64`s stored, so the choice is invisible but for memory (12 or 24 bytes a row).
#[derive(Clone, Debug)]
enum Form {
    /// Every count is `f64::from(u32)`.
    Whole(Vec<[u32; 3]>),
    /// Any counts.
    Float(Vec<Outcome>),
}

impl Default for Form {
    fn default() -> Self {
        Form::Whole(Vec::new())
    }
}

/// The three counts of `o` as `u32`, when each converts back to the same bits.
#[inline]
fn whole(o: &Outcome) -> Option<[u32; 3]> {
    let w = |x: f64| {
        let n = x as u32; // saturating: the round trip below refuses what does not fit
        (f64::from(n).to_bits() == x.to_bits()).then_some(n)
    };
    Some([w(o.conversions)?, w(o.value)?, w(o.nulls)?])
}

#[inline]
fn from_whole(w: [u32; 3]) -> Outcome {
    Outcome::new(f64::from(w[0]), f64::from(w[1]), f64::from(w[2]))
}

impl Outcomes {
    pub(super) fn len(&self) -> usize {
        match &self.form {
            Form::Whole(v) => v.len(),
            Form::Float(v) => v.len(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The outcome of row `r`.
    ///
    /// # Panics
    /// If `r >= self.len()`.
    #[inline]
    pub(super) fn get(&self, r: usize) -> Outcome {
        match &self.form {
            Form::Whole(v) => from_whole(v[r]),
            Form::Float(v) => v[r],
        }
    }

    /// The float form, converted once (the whole numbers are kept exactly).
    fn floats(&mut self) -> &mut Vec<Outcome> {
        self.totals.take();
        if let Form::Whole(v) = &self.form {
            let mut f = Vec::with_capacity(v.capacity().max(v.len() + 1));
            f.extend(v.iter().map(|&w| from_whole(w)));
            self.form = Form::Float(f);
        }
        match &mut self.form {
            Form::Float(f) => f,
            // Unreachable: converted just above.
            Form::Whole(_) => unreachable!("outcomes converted to floats"),
        }
    }

    #[inline]
    pub(super) fn push(&mut self, o: Outcome) {
        self.totals.take();
        if let Form::Whole(v) = &mut self.form
            && let Some(w) = whole(&o)
        {
            v.push(w);
            return;
        }
        self.floats().push(o);
    }

    /// Sets row `r` (which exists) to `o`.
    #[inline]
    pub(super) fn set(&mut self, r: usize, o: Outcome) {
        self.totals.take();
        if let Form::Whole(v) = &mut self.form
            && let Some(w) = whole(&o)
        {
            v[r] = w;
            return;
        }
        self.floats()[r] = o;
    }

    pub(super) fn clear(&mut self) {
        self.totals.take();
        match &mut self.form {
            Form::Whole(v) => v.clear(),
            Form::Float(v) => v.clear(),
        }
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        match &mut self.form {
            Form::Whole(v) => v.reserve(additional),
            Form::Float(v) => v.reserve(additional),
        }
    }

    pub(super) fn shrink_to_fit(&mut self) {
        match &mut self.form {
            Form::Whole(v) => v.shrink_to_fit(),
            Form::Float(v) => v.shrink_to_fit(),
        }
    }

    /// Bytes of the buffer's capacity.
    pub(super) fn heap_bytes(&self) -> usize {
        match &self.form {
            Form::Whole(v) => v.capacity() * size_of::<[u32; 3]>(),
            Form::Float(v) => v.capacity() * size_of::<Outcome>(),
        }
    }

    /// Appends `other`'s rows (in the whole-number form while both are).
    pub(super) fn append(&mut self, other: Outcomes) {
        self.totals.take();
        match (&mut self.form, other.form) {
            (Form::Whole(v), Form::Whole(w)) => v.extend(w),
            (_, other) => {
                let mine = self.floats();
                match other {
                    Form::Whole(w) => mine.extend(w.into_iter().map(from_whole)),
                    Form::Float(f) => mine.extend(f),
                }
            }
        }
    }

    /// The outcomes of rows `idx` in that order, in the same form.
    pub(super) fn gather(&self, idx: &[u32]) -> Outcomes {
        let form = match &self.form {
            Form::Whole(v) => Form::Whole(idx.iter().map(|&r| v[r as usize]).collect()),
            Form::Float(v) => Form::Float(idx.iter().map(|&r| v[r as usize]).collect()),
        };
        Outcomes {
            form,
            totals: OnceLock::new(),
        }
    }

    /// The column sums (C, V, U): exact while every count is a whole number and each sum is
    /// below 2^53, compensated (Neumaier) otherwise; computed once until a row changes.
    pub(super) fn totals(&self) -> Outcome {
        *self.totals.get_or_init(|| {
            self.whole_totals().unwrap_or_else(|| {
                let mut sums = [Compensated::default(); 3];
                for o in self.iter() {
                    sums[0].add(o.conversions);
                    sums[1].add(o.value);
                    sums[2].add(o.nulls);
                }
                Outcome::new(sums[0].value(), sums[1].value(), sums[2].value())
            })
        })
    }

    /// The exact column sums of the whole-number form, when each is below 2^53 (so that it
    /// is an `f64` exactly, and equal to the compensated sum of the same rows, every partial
    /// sum of which is exact too); `None` for the float form or larger totals.
    pub(super) fn whole_totals(&self) -> Option<Outcome> {
        let Form::Whole(v) = &self.form else {
            return None;
        };
        // u64 sums of at most 2^32 - 1 rows (a table's limit) of counts below 2^32 cannot
        // overflow, and they vectorise, where u128 sums did not; the chunks' sums are added in
        // u128, so the 2^53 check below is exact for any length.
        let mut s = [0u128; 3];
        for chunk in v.chunks(u32::MAX as usize) {
            let mut c = [0u64; 3];
            for w in chunk {
                c[0] += u64::from(w[0]);
                c[1] += u64::from(w[1]);
                c[2] += u64::from(w[2]);
            }
            for (total, part) in s.iter_mut().zip(c) {
                *total += u128::from(part);
            }
        }
        const EXACT: u128 = 1 << 53;
        (s.iter().all(|&x| x <= EXACT)).then(|| Outcome::new(s[0] as f64, s[1] as f64, s[2] as f64))
    }

    /// Every outcome in row order.
    pub(super) fn iter(&self) -> impl Iterator<Item = Outcome> + '_ {
        (0..self.len()).map(|r| self.get(r))
    }
}

impl PartialEq for Outcomes {
    /// The same outcomes row by row (as `Vec<Outcome>` compares them), whatever their form.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_counts_stay_small_until_one_is_not() {
        let mut o = Outcomes::default();
        o.push(Outcome::new(2.0, 20.0, 1.0));
        o.push(Outcome::new(0.0, 0.0, 4_294_967_295.0));
        assert!(matches!(o.form, Form::Whole(_)));
        o.set(0, Outcome::new(3.0, 25.0, 1.0));
        assert!(matches!(o.form, Form::Whole(_)));
        for odd in [20.5, -0.0, 4_294_967_296.0, 1e300] {
            let mut p = o.clone();
            p.push(Outcome::new(1.0, odd, 0.0));
            assert!(matches!(p.form, Form::Float(_)), "{odd}");
            assert_eq!(p.get(2).value.to_bits(), odd.to_bits());
            assert_eq!(p.get(0), Outcome::new(3.0, 25.0, 1.0));
            assert_eq!(p.get(1), Outcome::new(0.0, 0.0, 4_294_967_295.0));
            let mut q = o.clone();
            q.set(1, Outcome::new(odd, 0.0, 0.0));
            assert_eq!(q.get(1).conversions.to_bits(), odd.to_bits());
            assert_eq!(q.gather(&[1, 0]).get(1), o.get(0));
        }
        let mut f = o.clone();
        f.floats();
        assert_eq!(f, o);
        assert_eq!(
            o.gather(&[1, 0]).iter().collect::<Vec<_>>(),
            [o.get(1), o.get(0)]
        );
    }

    /// The compensated sum, as `PathTable::totals` computes it for the float form.
    fn compensated(o: &Outcomes) -> [u64; 3] {
        let mut s = [crate::outcome::Compensated::default(); 3];
        for x in o.iter() {
            s[0].add(x.conversions);
            s[1].add(x.value);
            s[2].add(x.nulls);
        }
        [s[0].value(), s[1].value(), s[2].value()].map(f64::to_bits)
    }

    #[test]
    fn whole_totals_are_the_compensated_sums_to_the_bit_and_stop_at_2_pow_53() {
        let mut o = Outcomes::default();
        assert_eq!(o.whole_totals(), Some(Outcome::new(0.0, 0.0, 0.0)));
        for i in 0..1000u32 {
            o.push(Outcome::new(
                f64::from(i % 7),
                f64::from(i.wrapping_mul(2_654_435_761)),
                f64::from(u32::MAX - i),
            ));
        }
        let t = o.whole_totals().expect("below 2^53");
        assert_eq!(
            [t.conversions, t.value, t.nulls].map(f64::to_bits),
            compensated(&o)
        );
        // 2^21 rows of u32::MAX would pass 2^53: none is refused below it, the first above is.
        let mut big = Outcomes::default();
        let n = 1u64 << 21;
        for _ in 0..n {
            big.push(Outcome::new(0.0, 0.0, f64::from(u32::MAX)));
        }
        assert!(big.whole_totals().is_some(), "{n} x (2^32 - 1) < 2^53");
        big.push(Outcome::new(0.0, 0.0, f64::from(u32::MAX)));
        assert!(big.whole_totals().is_none());
        let mut f = o.clone();
        f.floats();
        assert_eq!(f.whole_totals(), None);
    }
}
