#![doc = include_str!("../docs/models.md")]

use crate::outcome::Outcome;
use crate::table::PathTable;

#[doc = include_str!("../docs/data-driven.md")]
pub mod data_driven {}

/// One worked table of the model reference (§Worked tables): the rows every worked example of
/// the reference is computed on, so that its numbers can be recomputed with the crate.
///
/// ```
/// use touchpoint::{AttributionModel, Linear, reference};
///
/// let t2 = reference::T2.table();
/// assert_eq!((t2.totals().conversions, t2.totals().value), (7.0, 70.0));
/// let linear = Linear::default().attribute(&t2)?;
/// assert_eq!(linear.channels.len(), 3);
/// # Ok::<(), touchpoint::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkedTable {
    /// The table's name in the reference: `T1` … `T8`, `T4b`.
    pub name: &'static str,
    /// Its rows, `(path, conversions, value, nulls)`, paths written `A > B > C`.
    pub rows: &'static [(&'static str, f64, f64, f64)],
}

impl WorkedTable {
    /// The rows as a path table.
    pub fn table(&self) -> PathTable {
        let mut t = PathTable::new();
        for &(path, c, v, u) in self.rows {
            // Invariant: the rows above are constants with finite, non-negative outcomes and
            // non-empty paths, which `PathTable::add` accepts (a test adds every table).
            t.add(path.split('>').map(str::trim), Outcome::new(c, v, u))
                .expect("worked tables are valid path tables");
        }
        t
    }
}

/// T1, the Markov tutorial of S. Bryl (2016).
pub const T1: WorkedTable = WorkedTable {
    name: "T1",
    rows: &[
        ("C1 > C2 > C3", 1.0, 1000.0, 0.0),
        ("C1", 0.0, 0.0, 1.0),
        ("C2 > C3", 0.0, 0.0, 1.0),
    ],
};

/// T2, the main example: six paths over A, B, C with repeats, a 2-touch path, single touches
/// and nulls; C = 7, V = 70, U = 8.
pub const T2: WorkedTable = WorkedTable {
    name: "T2",
    rows: &[
        ("A > B > C", 2.0, 20.0, 1.0),
        ("A > A > B", 1.0, 15.0, 2.0),
        ("B", 1.0, 5.0, 3.0),
        ("C > A", 1.0, 10.0, 1.0),
        ("B > C > B > A", 1.0, 12.0, 0.0),
        ("C", 1.0, 8.0, 1.0),
    ],
};

/// T3, direct traffic.
pub const T3: WorkedTable = WorkedTable {
    name: "T3",
    rows: &[
        ("Search > Direct", 3.0, 30.0, 0.0),
        ("Direct", 2.0, 10.0, 0.0),
        ("Email > Direct > Direct", 1.0, 5.0, 0.0),
        ("Direct > Search", 1.0, 7.0, 0.0),
        ("Email", 0.0, 0.0, 4.0),
    ],
};

/// T4, a channel (D) only on null paths.
pub const T4: WorkedTable = WorkedTable {
    name: "T4",
    rows: &[
        ("A > B", 2.0, 20.0, 2.0),
        ("A > D", 0.0, 0.0, 3.0),
        ("B > A > B", 1.0, 10.0, 1.0),
        ("D > A", 0.0, 0.0, 1.0),
    ],
};

/// T4b, T4 without `D > A`.
pub const T4B: WorkedTable = WorkedTable {
    name: "T4b",
    rows: &[
        ("A > B", 2.0, 20.0, 2.0),
        ("A > D", 0.0, 0.0, 3.0),
        ("B > A > B", 1.0, 10.0, 1.0),
    ],
};

/// T5, single touches.
pub const T5: WorkedTable = WorkedTable {
    name: "T5",
    rows: &[
        ("A", 3.0, 30.0, 7.0),
        ("B", 1.0, 25.0, 4.0),
        ("C", 2.0, 5.0, 0.0),
    ],
};

/// T6, the bootstrap example.
pub const T6: WorkedTable = WorkedTable {
    name: "T6",
    rows: &[("A", 1.0, 10.0, 0.0), ("B", 1.0, 30.0, 0.0)],
};

/// T7, repeats at order 2.
pub const T7: WorkedTable = WorkedTable {
    name: "T7",
    rows: &[
        ("X > A > A > X", 1.0, 10.0, 0.0),
        ("Z > A > A > Z", 0.0, 0.0, 1.0),
        ("Z > A > X", 1.0, 10.0, 1.0),
        ("X > A > Z", 0.0, 0.0, 1.0),
    ],
};

/// T8, one channel.
pub const T8: WorkedTable = WorkedTable {
    name: "T8",
    rows: &[("A", 2.0, 20.0, 3.0), ("A > A", 1.0, 5.0, 0.0)],
};

/// Every worked table, in the reference's order.
pub const WORKED_TABLES: [WorkedTable; 9] = [T1, T2, T3, T4, T4B, T5, T6, T7, T8];

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables by name, each with its rows.
    type Tables = Vec<(String, Vec<(String, f64, f64, f64)>)>;

    /// The constants are the tables the reference prints (§Worked tables), row for row.
    #[test]
    fn worked_tables_match_the_reference() {
        let doc = include_str!("../docs/models.md");
        let section = doc
            .split("### Worked tables")
            .nth(1)
            .and_then(|s| s.split("\n### ").next())
            .expect("the reference has §Worked tables");
        let mut printed: Tables = Vec::new();
        for line in section.lines().filter(|l| l.starts_with("| ")) {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            if cells.len() != 5 || cells[0] == "table" {
                continue;
            }
            if !cells[0].is_empty() {
                let name = cells[0].split_whitespace().next().unwrap_or_default();
                printed.push((name.to_owned(), Vec::new()));
            }
            if cells[1].starts_with('`') {
                let num = |s: &str| s.parse::<f64>().expect("a number");
                let row = (
                    cells[1].trim_matches('`').to_owned(),
                    num(cells[2]),
                    num(cells[3]),
                    num(cells[4]),
                );
                printed.last_mut().expect("a table name first").1.push(row);
            }
        }
        // T4b is printed as "T4 without `D > A`".
        let t4 = printed
            .iter()
            .find(|(n, _)| n == "T4")
            .expect("T4")
            .1
            .clone();
        let t4b = printed.iter_mut().find(|(n, _)| n == "T4b").expect("T4b");
        t4b.1 = t4.into_iter().filter(|r| r.0 != "D > A").collect();
        let ours: Tables = WORKED_TABLES
            .iter()
            .map(|w| {
                let rows = w.rows.iter().map(|&(p, c, v, u)| (p.to_owned(), c, v, u));
                (w.name.to_owned(), rows.collect())
            })
            .collect();
        assert_eq!(ours, printed);
        for w in WORKED_TABLES {
            assert_eq!(w.table().len(), w.rows.len(), "{}", w.name);
        }
    }
}
