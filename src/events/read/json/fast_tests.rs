//! The scanner against the serde path: what it reads (and that it reads it as serde does), and
//! each kind of line it hands over.

use proptest::prelude::*;

use super::super::{fields, json_row};
use super::*;

/// The default names: user_id, timestamp, channel, conversion, value, order_id.
fn names() -> Names<'static> {
    let mut n: Names<'static> = [(None, false); COLUMNS];
    for (i, name) in [
        (0, "user_id"),
        (1, "timestamp"),
        (2, "channel"),
        (5, "conversion"),
        (6, "value"),
        (7, "order_id"),
    ] {
        n[i] = (Some(name), true);
    }
    n
}

/// The fields by role as texts, and whether each is borrowed from the line.
fn view(f: &super::super::Fields<'_>) -> Vec<(String, bool)> {
    let mut all = vec![&f.user, &f.time];
    all.extend(&f.channel);
    all.extend([&f.conversion, &f.value, &f.order]);
    all.extend(&f.levels);
    all.iter()
        .map(|c| (c.to_string(), matches!(c, Cow::Borrowed(_))))
        .collect()
}

/// The scanner's answer for `line` (`None`: handed over).
fn scan<'l>(line: &'l [u8], names: &Names<'_>) -> Option<[Cow<'l, str>; COLUMNS]> {
    Scanner::new(names)?.scan(line, &mut Hints::default())
}

/// The scanner's answer for `line`, after checking it is serde's (`None`: handed over).
fn scanned(line: &[u8], names: &Names<'_>) -> Option<Vec<String>> {
    scanned_with(line, names, &mut Hints::default())
}

fn scanned_with(line: &[u8], names: &Names<'_>, hints: &mut Hints) -> Option<Vec<String>> {
    let serde = json_row(line, names);
    let fast = Scanner::new(names)?.scan(line, hints).map(fields)?;
    let serde = serde.unwrap_or_else(|e| panic!("scanner read a line serde refuses ({e:?})"));
    assert_eq!(
        view(&fast),
        view(&serde),
        "{}",
        String::from_utf8_lossy(line)
    );
    Some(view(&fast).into_iter().map(|v| v.0).collect())
}

#[test]
fn reads_the_usual_line_as_serde_does() {
    let n = names();
    let line = br#"{"user_id":"u0","timestamp":"2024-02-16T08:29:46.915Z","channel":"Display","conversion":0,"value":null}
"#;
    let f = scanned(line, &n).unwrap();
    assert_eq!(
        f[..8],
        [
            "u0",
            "2024-02-16T08:29:46.915Z",
            "Display",
            "",
            "",
            "0",
            "",
            ""
        ]
    );
    // Blanks of every kind serde skips, a \r\n end, other key orders, booleans, numbers kept
    // as written (a big integer id stays exact), absent and unwanted keys.
    let line = b" {\t\"value\" :12.50e+1 ,\r\n\"user_id\": 98765432109876543211, \"x\": [] }";
    assert_eq!(scanned(line, &n), None); // an array, even unwanted: handed over
    let line = b" {\t\"value\" :12.50e+1 ,\"user_id\": 98765432109876543211, \"x\": -0, \
                 \"conversion\": true, \"channel\": \"\xc3\xa9t\xc3\xa9\"}\r\n";
    let f = scanned(line, &n).unwrap();
    assert_eq!(f[0], "98765432109876543211");
    assert_eq!(f[6], "12.50e+1");
    assert_eq!(f[5], "true");
    assert_eq!(f[2], "été");
    let f = scanned(
        br#"{"conversion": false, "order_id": "o\"1\\\/\b\f\n\r\t"}"#,
        &n,
    )
    .unwrap();
    assert_eq!(f[5], "false");
    assert_eq!(f[7], "o\"1\\/\u{8}\u{c}\n\r\t");
    assert_eq!(scanned(b"{}", &n).unwrap(), vec![String::new(); COLUMNS]);
    assert_eq!(scanned(b"{ }\n", &n).unwrap(), vec![String::new(); COLUMNS]);
}

#[test]
fn decodes_unicode_escapes_and_surrogate_pairs() {
    let n = names();
    let f = scanned(
        br#"{"channel": "caf\u00e9 \u00E9 \ud83d\ude00 \u0000"}"#,
        &n,
    )
    .unwrap();
    assert_eq!(f[2], "café é 😀 \u{0}");
    // Skipped values with escapes are checked too.
    assert!(scanned(br#"{"x": "\ud83d\ude00\n", "channel": "A"}"#, &n).is_some());
}

#[test]
fn a_name_for_two_roles_fills_both() {
    let mut n = names();
    n[8] = (Some("channel"), true);
    let f = scanned(br#"{"channel": "A"}"#, &n).unwrap();
    assert_eq!((f[2].as_str(), f[8].as_str()), ("A", "A"));
}

/// Lines the scanner hands to serde, each with what serde makes of it.
#[test]
fn hands_over_every_line_it_does_not_fully_understand() {
    use crate::error::ParseProblem;
    let n = names();
    let json_error = |p: &Result<_, ParseProblem>| matches!(p, Err(ParseProblem::Json(_)));
    let cases: &[(&[u8], bool)] = &[
        // nesting, wanted or not (serde reads the unwanted one, refuses the wanted one)
        (br#"{"x": {"a": 1}, "channel": "A"}"#, true),
        (br#"{"channel": ["A"]}"#, false),
        (br#"{"channel": {}}"#, false),
        // a key with an escape (serde compares it decoded)
        (br#"{"chan\u006eel": "A"}"#, true),
        (br#"{"a\"b": 1}"#, true),
        // duplicate keys, wanted or not
        (br#"{"channel": "A", "channel": "B"}"#, false),
        (br#"{"x": 1, "channel": "A", "x": 2}"#, false),
        // lone or reversed surrogates: refused in a wanted value, accepted in a skipped one
        (br#"{"channel": "\ud83d"}"#, false),
        (br#"{"channel": "\ude00\ud83d"}"#, false),
        (br#"{"channel": "\ud83d\u0041"}"#, false),
        (br#"{"x": "\ud83d", "channel": "A"}"#, true),
        // invalid UTF-8: refused in a wanted value, accepted in a skipped one
        (b"{\"channel\": \"\xff\"}", false),
        (b"{\"x\": \"\xc3\", \"channel\": \"A\"}", true),
        // syntax: control characters, bad escapes, numbers and literals, punctuation, trailing
        (b"{\"channel\": \"A\tB\"}", false),
        (br#"{"channel": "\x41"}"#, false),
        (br#"{"channel": "\u00g1"}"#, false),
        (br#"{"value": 01}"#, false),
        (br#"{"value": 1.}"#, false),
        (br#"{"value": .5}"#, false),
        (br#"{"value": -}"#, false),
        (br#"{"value": 1e}"#, false),
        (br#"{"value": +1}"#, false),
        (br#"{"value": 1x}"#, false),
        (br#"{"value": tru}"#, false),
        (br#"{"value": nulls}"#, false),
        (br#"{"value": NaN}"#, false),
        (br#"{"value" 1}"#, false),
        (br#"{"value": 1 "channel": "A"}"#, false),
        (br#"{"value": 1,}"#, false),
        (br#"{,}"#, false),
        (br#"{value: 1}"#, false),
        (br#"{"value": 1} x"#, false),
        (br#"{"value": 1}{}"#, false),
        (br#"{"value": 1"#, false),
        (br#"{"channel": "A"#, false),
        (b"{\"value\": 1}\x0c", false),
        (b"\x0c{\"value\": 1}", false),
        (br#"[1, 2]"#, false),
        (b"7", false),
        (b"\"s\"", false),
    ];
    for &(line, serde_reads) in cases {
        let text = String::from_utf8_lossy(line);
        assert!(scan(line, &n).is_none(), "scanned {text}");
        let serde = json_row(line, &n);
        assert_eq!(
            serde.is_ok(),
            serde_reads,
            "{text}: {:?}",
            serde.map(|_| ())
        );
        if !serde_reads && !json_error(&serde) {
            assert!(
                matches!(serde, Err(ParseProblem::DuplicateKey { .. })),
                "{text}"
            );
        }
    }
    // More keys than the scanner tracks.
    let many: String = (0..=MAX_KEYS).map(|i| format!("\"k{i}\": {i},")).collect();
    let line = format!("{{{many} \"channel\": \"A\"}}");
    assert!(scan(line.as_bytes(), &n).is_none());
    assert!(json_row(line.as_bytes(), &n).is_ok());
    let few: String = (1..MAX_KEYS).map(|i| format!("\"k{i}\": {i},")).collect();
    let line = format!("{{{few} \"channel\": \"A\"}}");
    assert_eq!(scanned(line.as_bytes(), &n).unwrap()[2], "A");
}

#[test]
fn pointers_are_for_serde_only() {
    let mut n = names();
    assert!(Scanner::new(&n).is_some());
    n[2] = (Some("/ctx/channel"), true);
    assert!(Scanner::new(&n).is_none());
}

/// The hints of one line's key order never change what the next line reads.
#[test]
fn key_order_may_change_from_line_to_line() {
    let mut n = names();
    n[3] = (Some("a\"b"), true); // a name no plain key equals
    let mut hints = Hints::default();
    let lines: &[&[u8]] = &[
        br#"{"user_id":"u1","timestamp":1,"channel":"A","conversion":0}"#,
        br#"{"channel":"B","user_id":"u2","timestamp":2}"#,
        br#"{"user":"u3","channel":"C","channel_id":"x","timestamp":3,"user_id":"u3"}"#,
        br#"{"user_id":"u4","user_id":"u4"}"#,
        br#"{"channelx":"D","channe":"E","channel":"F"}"#,
        br#"{"a"b":"G"}"#,
        br#"{"user_id":"u1","timestamp":1,"channel":"A","conversion":0}"#,
    ];
    let got: Vec<_> = lines
        .iter()
        .map(|l| scanned_with(l, &n, &mut hints).map(|f| f[..3].join(",")))
        .collect();
    let want = [
        Some("u1,1,A"),
        Some("u2,2,B"),
        Some("u3,3,C"),
        None,
        Some(",,F"),
        None,
        Some("u1,1,A"),
    ];
    assert_eq!(got, want.map(|w| w.map(str::to_string)));
}

#[test]
fn plain_len_finds_the_first_special_byte_in_every_position() {
    for len in 0..40 {
        for at in 0..=len {
            for special in [b'"', b'\\', 0, 0x1f, b'\n'] {
                let mut s: Vec<u8> = (0..len).map(|i| b"a~ !\x7f\xc3\xa9#"[i % 8]).collect();
                if at < len {
                    s[at] = special;
                    // Bytes after it must not matter, special or not.
                    if at + 1 < len {
                        s[at + 1] = 0;
                    }
                }
                assert_eq!(plain_len(&s), at, "{s:?}");
            }
        }
    }
}

/// Pieces of JSON Lines, valid and not, that a line is generated from.
fn piece() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "\"user_id\"",
        "\"timestamp\"",
        "\"channel\"",
        "\"conversion\"",
        "\"value\"",
        "\"order_id\"",
        "\"x\"",
        "\"\"",
        "\"chan\\u006eel\"",
    ]);
    let value = prop::sample::select(vec![
        "\"u1\"",
        "\"2024-01-01T00:00:00Z\"",
        "1704067200",
        "0",
        "-0",
        "1",
        "12.5",
        "1e3",
        "1E-2",
        "98765432109876543210",
        "true",
        "false",
        "null",
        "\"\"",
        "\"A\\\"B\"",
        "\"\\u00e9\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\u{e9}t\u{e9}\"",
        "{}",
        "[1]",
        "{\"a\": 1}",
    ]);
    let junk = prop::sample::select(vec![
        " ", "\t", "\r", ",", ":", "{", "}", "[", "]", "\"", "\\", "0", "-", ".", "e", "\u{1}",
        "\u{c}", "x", "nul", "\u{e9}",
    ]);
    prop_oneof![
        4 => (key, value).prop_map(|(k, v)| format!("{k}:{v}")),
        1 => junk.prop_map(str::to_string),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// On generated lines, the scanner either hands the line over or reads what serde reads.
    #[test]
    fn scanner_answers_as_serde_does(
        pieces in prop::collection::vec(piece(), 0..8),
        commas in prop::collection::vec(any::<bool>(), 8),
        close in any::<bool>(),
        cut in any::<u8>(),
        flip in any::<(u8, u8)>(),
    ) {
        let n = names();
        let mut line = String::from("{");
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 && commas[i] {
                line.push(',');
            } else if i > 0 {
                line.push(' ');
            }
            line.push_str(p);
        }
        if close {
            line.push('}');
        }
        let mut bytes = line.into_bytes();
        // Mutations: a cut, and one flipped bit.
        if cut % 4 == 0 && !bytes.is_empty() {
            bytes.truncate(usize::from(cut) % bytes.len());
        }
        if flip.0 % 3 == 0 && !bytes.is_empty() {
            let i = usize::from(flip.1) % bytes.len();
            bytes[i] ^= 1 << (flip.0 % 8);
        }
        scanned(&bytes, &n);
    }

    /// A flat object of distinct plain keys and scalar values, with any JSON blanks, is read
    /// by the scanner (and as serde reads it).
    #[test]
    fn scanner_reads_every_flat_object(
        members in prop::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..10),
        blanks in prop::collection::vec(prop::sample::select(vec!["", " ", "\t", "\r", " \r\n"]), 40),
    ) {
        let n = names();
        let mut used = vec![false; KEYS.len()];
        let mut line = format!("{}{{", blanks[0]);
        let mut first = true;
        for (j, &(k, v)) in members.iter().enumerate() {
            if std::mem::replace(&mut used[k], true) {
                continue;
            }
            if !first {
                line.push(',');
            }
            first = false;
            let b = |i: usize| blanks[(4 * j + i) % blanks.len()];
            line.push_str(&format!("{}{}{}:{}{}{}", b(1), KEYS[k], b(2), b(3), VALUES[v], b(4)));
        }
        line.push_str(&format!("}}{}\n", blanks[39]));
        prop_assert!(scanned(line.as_bytes(), &n).is_some(), "handed over: {}", line);
    }
}

const KEYS: &[&str] = &[
    "\"user_id\"",
    "\"timestamp\"",
    "\"channel\"",
    "\"conversion\"",
    "\"value\"",
    "\"order_id\"",
    "\"x\"",
    "\"\"",
    "\"\u{e9}\"",
];

const VALUES: &[&str] = &[
    "\"u1\"",
    "\"2024-01-01T00:00:00Z\"",
    "1704067200",
    "0",
    "-0",
    "12.5",
    "1e3",
    "-1.5E-2",
    "98765432109876543210",
    "true",
    "false",
    "null",
    "\"\"",
    "\"A\\\"B\"",
    "\"\\u00e9\\/\"",
    "\"\\ud83d\\ude00\"",
    "\"\u{e9}t\u{e9}\"",
];
