//! Test fixtures shared by the unit tests of the crate (the crate root declares this module
//! under #[cfg(test)]).

use crate::table::PathTable;

/// Table T2 of the model reference (§Worked tables): repeats, a 2-touch path, single touches,
/// nulls.
pub(crate) fn t2() -> PathTable {
    crate::reference::T2.table()
}
