//! JSON Lines event logs: one JSON object per line, fields read as their exact text.

use std::borrow::Cow;
use std::io::BufRead;

use serde_json::value::RawValue;

use super::{
    COLUMNS, EventFormat, EventOptions, EventReadReport, Fields, PreparedChunk, RowParser,
    column_names, pipeline,
};
use crate::error::{Location, ParseProblem, Result};
use crate::events::log::EventLog;
use crate::formats::blocks;

mod fast;

/// Reads the objects of `input` block by block: the lines of a block are parsed and checked in
/// parallel chunks, then stored in input order, so the log, the report and every error are
/// those of reading line by line (blank lines are not records).
///
/// `fast`: lines of the usual shape are read by a byte scanner (`fast`) that answers exactly as
/// serde does; false reads every line through serde (the reference the scanner is tested
/// against).
pub(super) fn read_jsonl<R: BufRead>(
    mut input: R,
    opts: &EventOptions,
    log: &mut EventLog,
    fast: bool,
) -> Result<EventReadReport> {
    let names = column_names(opts);
    let scanner = fast.then(|| fast::Scanner::new(&names)).flatten();
    let mut report = EventReadReport::new(EventFormat::JsonLines, None);
    let mut at = Location { line: 1, record: 0 };
    // Every line can be cut: the pipeline reads to the end.
    pipeline(
        &mut input,
        &mut at,
        (opts, log, &mut report),
        |_| true,
        |c, out| prepare_chunk(c, &names, opts, scanner.as_ref(), out),
    )?;
    Ok(report)
}

/// The objects of one chunk, parsed and checked (blank lines left out); through the `scanner`
/// (made for `names`) where it can.
fn prepare_chunk(
    chunk: &blocks::Chunk<'_>,
    names: &[(Option<&str>, bool); COLUMNS],
    opts: &EventOptions,
    scanner: Option<&fast::Scanner<'_>>,
    out: &mut PreparedChunk,
) {
    let mut parser = RowParser::new(opts);
    let mut hints = fast::Hints::default();
    out.reuse(chunk.line_count(), 0);
    for (line, bytes) in chunk.raw_lines() {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let scanned = scanner.and_then(|s| s.scan(bytes, &mut hints)).map(fields);
        let row = match scanned {
            Some(f) => parser.prepare(&f, &mut out.text),
            None => json_row(bytes, names).and_then(|f| parser.prepare(&f, &mut out.text)),
        };
        out.rows.push((line, Some(row.map_err(Box::new))));
    }
}

fn json(e: serde_json::Error) -> ParseProblem {
    ParseProblem::Json(e.to_string())
}

/// Parses one JSON object and extracts the fields. A name starting with `/` is a JSON pointer
/// into nested objects (`/context/campaign/source`). Values are taken as their exact JSON text
/// (a number is never rounded through `f64`: the ids 98765432109876543210 and
/// 98765432109876543211 stay two users), strings without escapes are borrowed, and a key that
/// appears twice in an object that is read is [`ParseProblem::DuplicateKey`].
pub(super) fn json_row<'l>(
    line: &'l [u8],
    names: &[(Option<&str>, bool); COLUMNS],
) -> Result<Fields<'l>, ParseProblem> {
    let pointers = names
        .iter()
        .any(|(n, _)| n.is_some_and(|n| n.starts_with('/')));
    let out = if pointers {
        let root: &RawValue = serde_json::from_slice(line).map_err(json)?;
        let top = entries(root)?
            .ok_or_else(|| ParseProblem::Json("the line is not a JSON object".into()))?;
        let mut out: [Cow<'l, str>; COLUMNS] = Default::default();
        for (slot, (name, _)) in out.iter_mut().zip(names) {
            let Some(name) = name else { continue };
            let found = match name.strip_prefix('/') {
                Some(pointer) => lookup(&top, pointer)?,
                None => find(&top, name),
            };
            *slot = match found {
                None => Cow::Borrowed(""),
                Some(raw) => scalar_text(raw, name)?,
            };
        }
        out
    } else {
        let mut de = serde_json::Deserializer::from_slice(line);
        let (out, duplicate) =
            serde::de::DeserializeSeed::deserialize(scan::Wanted(names), &mut de).map_err(json)?;
        de.end().map_err(json)?;
        if let Some(key) = duplicate {
            return Err(ParseProblem::DuplicateKey { key });
        }
        out
    };
    Ok(fields(out))
}

/// The fields by role, in [`column_names`] order.
fn fields(out: [Cow<'_, str>; COLUMNS]) -> Fields<'_> {
    let [user, time, c0, c1, c2, conversion, value, order, l0, l1, l2] = out;
    Fields {
        user,
        time,
        time_micros: None,
        channel: [c0, c1, c2],
        conversion,
        value,
        order,
        levels: [l0, l1, l2],
    }
}

type Entries<'l> = Vec<(Cow<'l, str>, &'l RawValue)>;

/// The members of a JSON object (`None` if `raw` is not an object); a duplicate key is an error.
fn entries(raw: &RawValue) -> Result<Option<Entries<'_>>, ParseProblem> {
    if !raw.get().starts_with('{') {
        return Ok(None);
    }
    let (members, duplicate) = serde_json::from_str::<scan::Members<'_>>(raw.get())
        .map_err(json)?
        .0;
    match duplicate {
        Some(key) => Err(ParseProblem::DuplicateKey { key }),
        None => Ok(Some(members)),
    }
}

fn find<'l>(members: &Entries<'l>, key: &str) -> Option<&'l RawValue> {
    members.iter().find(|(k, _)| k == key).map(|&(_, v)| v)
}

/// Follows a JSON pointer (RFC 6901, without the leading `/`) from the members of an object.
fn lookup<'l>(top: &Entries<'l>, pointer: &str) -> Result<Option<&'l RawValue>, ParseProblem> {
    let mut tokens = pointer
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"));
    let Some(first) = tokens.next() else {
        return Ok(None);
    };
    let mut cur = match find(top, &first) {
        Some(v) => v,
        None => return Ok(None),
    };
    for token in tokens {
        let text = cur.get();
        let next = if text.starts_with('{') {
            entries(cur)?.and_then(|m| find(&m, &token))
        } else if text.starts_with('[') {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(json)?;
            token
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).copied())
        } else {
            None
        };
        match next {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// A string, number or boolean as text (`null` → empty): numbers as written.
fn scalar_text<'l>(raw: &'l RawValue, name: &str) -> Result<Cow<'l, str>, ParseProblem> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => Ok(serde_json::from_str::<scan::Text<'l>>(text)
            .map_err(json)?
            .0),
        Some(b't') => Ok(Cow::Borrowed("true")),
        Some(b'f') => Ok(Cow::Borrowed("false")),
        Some(b'n') => Ok(Cow::Borrowed("")),
        Some(b'[' | b'{') => Err(ParseProblem::Json(format!(
            "field `{name}` is an array or object, expected a string, number or boolean"
        ))),
        _ => Ok(Cow::Borrowed(text)),
    }
}

/// One-pass extractors over a JSON object (serde visitors).
mod scan {
    use std::borrow::Cow;
    use std::fmt;

    use rustc_hash::FxHashSet;
    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde_json::value::RawValue;

    /// Remembers the keys of one object and reports the first that repeats. Small objects are
    /// checked by a linear scan, larger ones through a hash set.
    #[derive(Default)]
    struct Keys<'de> {
        seen: Vec<Cow<'de, str>>,
        set: FxHashSet<Cow<'de, str>>,
        duplicate: Option<String>,
    }

    impl<'de> Keys<'de> {
        fn see(&mut self, key: Cow<'de, str>) {
            if self.duplicate.is_some() {
                return;
            }
            let repeated = if self.set.is_empty() && self.seen.len() < 16 {
                let r = self.seen.contains(&key);
                self.seen.push(key.clone());
                r
            } else {
                if self.set.is_empty() {
                    self.set.extend(self.seen.drain(..));
                }
                !self.set.insert(key.clone())
            };
            if repeated {
                self.duplicate = Some(key.to_string());
            }
        }
    }

    /// Calls `member(key, map)` for each key of an object (which must read the key's value);
    /// returns the first key that repeats.
    fn each_member<'de, A: MapAccess<'de>>(
        map: &mut A,
        mut member: impl FnMut(Cow<'de, str>, &mut A) -> Result<(), A::Error>,
    ) -> Result<Option<String>, A::Error> {
        let mut keys = Keys::default();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            keys.see(key.clone());
            member(key, map)?;
        }
        Ok(keys.duplicate)
    }

    /// The names wanted, in [`Fields`](super::super::Fields) order.
    pub(super) struct Wanted<'n, 'a>(pub &'n [(Option<&'a str>, bool); super::super::COLUMNS]);

    /// The wanted fields and the first duplicated key, if any.
    type WantedOut<'de> = ([Cow<'de, str>; super::super::COLUMNS], Option<String>);

    impl<'de> DeserializeSeed<'de> for Wanted<'_, '_> {
        type Value = WantedOut<'de>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Wanted<'_, '_> {
        type Value = WantedOut<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out: [Cow<'de, str>; super::super::COLUMNS] = Default::default();
            let duplicate = each_member(&mut map, |key, map| {
                match self.0.iter().position(|(n, _)| *n == Some(key.as_ref())) {
                    Some(i) => {
                        let raw: &'de RawValue = map.next_value()?;
                        let v = super::scalar_text(raw, &key).map_err(de::Error::custom)?;
                        // A name may serve several roles (rare): fill them all.
                        for (slot, (n, _)) in out.iter_mut().zip(self.0).skip(i) {
                            if *n == Some(key.as_ref()) {
                                *slot = v.clone();
                            }
                        }
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(())
            })?;
            Ok((out, duplicate))
        }
    }

    /// Every member of an object as raw JSON, and the first duplicated key.
    pub(super) struct Members<'de>(pub (super::Entries<'de>, Option<String>));

    impl<'de> de::Deserialize<'de> for Members<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(MembersVisitor)
        }
    }

    struct MembersVisitor;

    impl<'de> Visitor<'de> for MembersVisitor {
        type Value = Members<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut members = Vec::new();
            let duplicate = each_member(&mut map, |key, map| {
                let raw: &'de RawValue = map.next_value()?;
                members.push((key, raw));
                Ok(())
            })?;
            Ok(Members((members, duplicate)))
        }
    }

    /// A JSON string (a key or a value), borrowed when it has no escapes.
    pub(super) struct Text<'de>(pub Cow<'de, str>);

    impl<'de> de::Deserialize<'de> for Text<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(TextVisitor)
        }
    }

    struct TextVisitor;

    impl<'de> Visitor<'de> for TextVisitor {
        type Value = Text<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
            Ok(Text(Cow::Borrowed(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
            Ok(Text(Cow::Owned(v.to_string())))
        }
        fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
            Ok(Text(Cow::Owned(v)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line-by-line reader the block reader replaced (the reference it must equal).
    fn by_lines(text: &[u8], opts: &EventOptions) -> Result<(EventLog, EventReadReport)> {
        use crate::error::Error;
        let (names, mut rows, mut log) =
            (column_names(opts), RowParser::new(opts), EventLog::new());
        let mut report = EventReadReport::new(EventFormat::JsonLines, None);
        let mut record = 0;
        for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let at = Location {
                line: i as u64 + 1,
                record,
            };
            record += 1;
            match json_row(line, &names).and_then(|f| rows.store(&f, &mut log)) {
                Ok((touch, conv)) => report.count(touch, conv),
                Err(problem) => report.skip_or_fail(Error::Parse { at, problem }, opts.bad_rows)?,
            }
        }
        Ok((log, report))
    }

    #[test]
    fn blocks_read_what_lines_read_with_their_line_numbers() {
        use crate::events::JourneyOptions;
        use crate::formats::BadRows;
        let mut text = String::new();
        for i in 0..300_000 {
            text.push_str(&format!(
                "{{\"user_id\":\"u{}\",\"timestamp\":{},\"channel\":\"C{}\"}}\n",
                i % 1000,
                1_700_000_000 + i,
                i % 7
            ));
            if i % 50_000 == 7 {
                text.push_str(
                    "  \r\n{\"user_id\":\"u1\",\"timestamp\":\"never\"}\n{\"user_id\":\n",
                );
            }
        }
        text.push_str("{\"user_id\":\"u2\",\"timestamp\":1700000001,\"channel\":\"C1\""); // no end
        assert!(text.len() > 2 * blocks::BLOCK_BYTES);
        for mode in [BadRows::Error, BadRows::Skip] {
            let opts = EventOptions {
                bad_rows: mode,
                ..EventOptions::default()
            };
            let a = crate::events::read_events(text.as_bytes(), &opts);
            let b = by_lines(text.as_bytes(), &opts);
            match (a, b) {
                (Ok((mut la, ra)), Ok((mut lb, rb))) => {
                    assert_eq!(ra, rb);
                    assert_eq!(ra.skipped, 13);
                    let j = JourneyOptions::default();
                    assert_eq!(la.build(&j).unwrap(), lb.build(&j).unwrap());
                }
                (Err(ea), Err(eb)) => {
                    assert_eq!(ea.to_string(), eb.to_string());
                    assert!(ea.to_string().contains("line 10"), "{ea}");
                }
                (a, b) => panic!("{:?} vs {:?}", a.map(|x| x.1), b.map(|x| x.1)),
            }
        }
    }

    #[test]
    fn json_fields_by_key_and_pointer() {
        let names = [
            (Some("uid"), true),
            (Some("ts"), true),
            (Some("/ctx/src"), true),
            (Some("/ctx/med"), true),
            (Some("/ctx/camp"), false),
            (Some("conv"), false),
            (Some("value"), false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
        ];
        let line = br#"{"uid": 42, "ts": 1710057600, "ctx": {"src": "google", "med": "cpc"}, "conv": true, "value": null}"#;
        let f = json_row(line, &names).unwrap();
        assert_eq!(
            [
                &f.user,
                &f.time,
                &f.channel[0],
                &f.channel[1],
                &f.channel[2],
                &f.conversion,
                &f.value
            ]
            .map(|c| c.as_ref()),
            ["42", "1710057600", "google", "cpc", "", "true", ""]
        );
        // the one-pass path (no pointers) reads the same, borrows plain strings, and refuses
        // nested values of wanted fields and trailing garbage
        let flat = [
            (Some("uid"), true),
            (Some("ts"), true),
            (Some("ch"), true),
            (None, false),
            (None, false),
            (Some("conv"), false),
            (Some("value"), false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
        ];
        let line = br#"{"skip": {"deep": [1, {"x": 2}]}, "uid": 42, "ts": 1710057600.25, "ch": "A\"B", "conv": true, "value": null}"#;
        let f = json_row(line, &flat).unwrap();
        assert_eq!(
            [&f.user, &f.time, &f.channel[0], &f.conversion, &f.value].map(|c| c.as_ref()),
            ["42", "1710057600.25", "A\"B", "true", ""]
        );
        let f = json_row(br#"{"uid": "u1", "ts": "2024-01-01T00:00:00Z"}"#, &flat).unwrap();
        assert!(matches!(f.user, Cow::Borrowed("u1")));
        for bad in [
            &b"[1, 2]"[..],
            b"{\"uid\": ",
            br#"{"uid": [1]}"#,
            br#"{"uid": 1} x"#,
            b"7",
        ] {
            assert!(matches!(json_row(bad, &flat), Err(ParseProblem::Json(_))));
        }
        assert!(matches!(
            json_row(b"[1, 2]", &names),
            Err(ParseProblem::Json(_))
        ));
        assert!(matches!(
            json_row(b"{\"uid\": ", &names),
            Err(ParseProblem::Json(_))
        ));
        assert!(matches!(
            json_row(br#"{"uid": [1]}"#, &names),
            Err(ParseProblem::Json(_))
        ));
    }

    #[test]
    fn big_integer_ids_stay_exact_and_duplicate_keys_are_refused() {
        let flat = [
            (Some("uid"), true),
            (Some("ts"), true),
            (Some("ch"), true),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
        ];
        let f = json_row(
            br#"{"uid": 98765432109876543211, "ts": 1, "ch": "A"}"#,
            &flat,
        )
        .unwrap();
        assert_eq!(f.user, "98765432109876543211");
        let e = json_row(br#"{"uid": 1, "ts": 1, "uid": 2}"#, &flat).unwrap_err();
        assert_eq!(e, ParseProblem::DuplicateKey { key: "uid".into() });
        // Also a key no field uses, and keys of the objects a pointer reads.
        let e = json_row(br#"{"x": 1, "uid": 1, "x": 2}"#, &flat).unwrap_err();
        assert_eq!(e, ParseProblem::DuplicateKey { key: "x".into() });
        let nested = [
            (Some("/u/id"), true),
            (Some("ts"), true),
            (Some("ch"), true),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
            (None, false),
        ];
        let f = json_row(br#"{"u": {"id": 98765432109876543210}, "ts": 1}"#, &nested).unwrap();
        assert_eq!(f.user, "98765432109876543210");
        let e = json_row(br#"{"u": {"id": 1, "id": 2}, "ts": 1}"#, &nested).unwrap_err();
        assert_eq!(e, ParseProblem::DuplicateKey { key: "id".into() });
    }
}
