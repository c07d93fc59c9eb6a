//! Test fixtures shared by the unit tests of the crate (the crate root declares this module
//! under #[cfg(test)]).

use crate::outcome::Outcome;
use crate::table::PathTable;

/// Table T2 of the model reference (§Worked tables): repeats, a 2-touch path, single touches,
/// nulls.
pub(crate) fn t2() -> PathTable {
    let mut t = PathTable::new();
    for (p, c, v, u) in [
        ("A>B>C", 2.0, 20.0, 1.0),
        ("A>A>B", 1.0, 15.0, 2.0),
        ("B", 1.0, 5.0, 3.0),
        ("C>A", 1.0, 10.0, 1.0),
        ("B>C>B>A", 1.0, 12.0, 0.0),
        ("C", 1.0, 8.0, 1.0),
    ] {
        t.add(p.split('>'), Outcome::new(c, v, u))
            .expect("T2 is a valid table");
    }
    t
}
