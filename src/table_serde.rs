//! Serde for [`PathTable`]: a table saved by one process loads, row for row, in another.
//!
//! The document: `channels` (names, in id order), `max_path_len`, and `rows`, each with `path`
//! (channel ids, indices into `channels`), `conversions`, `value`, `nulls` and, for timestamped
//! rows, `times` (µs since the epoch, one per touch) and `converted_at`. Loading re-validates
//! everything [`PathTable::add`] checks, refuses ids outside `channels`, duplicate channel names
//! and duplicate untimed paths (a saved table has none), so row numbers survive the round trip.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::channel::ChannelId;
use crate::outcome::Outcome;
use crate::table::{PathTable, Row};

#[derive(Serialize, Deserialize)]
struct TableRepr {
    channels: Vec<String>,
    max_path_len: usize,
    rows: Vec<RowRepr>,
}

#[derive(Serialize, Deserialize)]
struct RowRepr {
    path: Vec<u32>,
    conversions: f64,
    value: f64,
    nulls: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    converted_at: Option<i64>,
}

impl Serialize for PathTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let repr = TableRepr {
            channels: self.channels().iter().map(|(_, n)| n.to_string()).collect(),
            max_path_len: self.max_path_len(),
            rows: self
                .rows()
                .map(|r| RowRepr {
                    path: r.path.iter().map(|id| id.index() as u32).collect(),
                    conversions: r.outcome.conversions,
                    value: r.outcome.value,
                    nulls: r.outcome.nulls,
                    times: r.times.map(<[i64]>::to_vec),
                    converted_at: r.converted_at,
                })
                .collect(),
        };
        repr.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PathTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = TableRepr::deserialize(d)?;
        let mut t = PathTable::new();
        t.set_max_path_len(repr.max_path_len);
        for (i, name) in repr.channels.iter().enumerate() {
            let id = t.intern(name).map_err(D::Error::custom)?;
            if id.index() != i {
                return Err(D::Error::custom(format!("channel `{name}` appears twice")));
            }
        }
        let n = repr.channels.len();
        let mut ids = Vec::new();
        for (r, row) in repr.rows.iter().enumerate() {
            let row_err = |e: &dyn std::fmt::Display| D::Error::custom(format!("row {r}: {e}"));
            ids.clear();
            for &id in &row.path {
                if id as usize >= n {
                    return Err(row_err(&format!("channel id {id} is not below {n}")));
                }
                ids.push(ChannelId(id));
            }
            let before = t.len();
            let outcome = Outcome::new(row.conversions, row.value, row.nulls);
            let view = Row {
                path: &ids,
                outcome,
                times: row.times.as_deref(),
                converted_at: row.converted_at,
            };
            if row.converted_at.is_some() && row.times.is_none() {
                return Err(row_err(&"a conversion time without touch times"));
            }
            if ids.is_empty() {
                return Err(row_err(&"empty path"));
            }
            t.add_row_with(view, outcome).map_err(|e| row_err(&e))?;
            if t.len() == before {
                return Err(row_err(&"duplicate untimed path"));
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_row_for_row_with_times() {
        let mut t = PathTable::new();
        t.add(["B", "A"], Outcome::new(2.0, 0.1 + 0.2, 1.0))
            .unwrap();
        t.add_timed(["A"], &[5], Some(9), Outcome::converted(1.0, 3.0))
            .unwrap();
        t.add(["C"], Outcome::null(4.0)).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let u: PathTable = serde_json::from_str(&json).unwrap();
        assert_eq!(u, t);
        assert_eq!(u.len(), 3);
        assert_eq!(u.row(1).times, Some(&[5i64][..]));
        assert_eq!(u.row(1).converted_at, Some(9));
        assert_eq!(u.row(0).outcome.value.to_bits(), (0.1f64 + 0.2).to_bits());
        assert_eq!(u.channels().name(u.row(0).path[0]), "B");
    }

    #[test]
    fn loading_refuses_bad_ids_duplicates_and_invalid_counts() {
        let bad = [
            r#"{"channels":["A"],"max_path_len":10,"rows":[{"path":[1],"conversions":1,"value":0,"nulls":0}]}"#,
            r#"{"channels":["A","A"],"max_path_len":10,"rows":[]}"#,
            r#"{"channels":["A"],"max_path_len":10,"rows":[{"path":[0],"conversions":1,"value":0,"nulls":0},{"path":[0],"conversions":1,"value":0,"nulls":0}]}"#,
            r#"{"channels":["A"],"max_path_len":10,"rows":[{"path":[0],"conversions":-1,"value":0,"nulls":0}]}"#,
            r#"{"channels":["A"],"max_path_len":10,"rows":[{"path":[],"conversions":1,"value":0,"nulls":0}]}"#,
            r#"{"channels":["(start)"],"max_path_len":10,"rows":[]}"#,
            r#"{"channels":["A"],"max_path_len":1,"rows":[{"path":[0,0],"conversions":1,"value":0,"nulls":0}]}"#,
            r#"{"channels":["A"],"max_path_len":10,"rows":[{"path":[0,0],"conversions":1,"value":0,"nulls":0,"times":[3,1]}]}"#,
        ];
        for json in bad {
            assert!(serde_json::from_str::<PathTable>(json).is_err(), "{json}");
        }
    }
}
