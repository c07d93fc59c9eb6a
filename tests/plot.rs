//! SVG charts (feature `plot`): well-formed documents naming every channel, model and state;
//! bad input is an error, never a panic; the README chart is current.
#![cfg(feature = "plot")]

mod common;

use touchpoint::plot::{Metric, grouped_bars_svg, heatmap_svg};
use touchpoint::{
    Attribution, AttributionModel, Error, FirstTouch, LastTouch, Linear, PositionBased, Shapley,
};

use common::table;

/// T2 of the model reference (§Worked tables).
fn t2_results() -> Vec<Attribution> {
    let t = table(&[
        ("A > B > C", 2.0, 20.0, 1.0),
        ("A > A > B", 1.0, 15.0, 2.0),
        ("B", 1.0, 5.0, 3.0),
        ("C > A", 1.0, 10.0, 1.0),
        ("B > C > B > A", 1.0, 12.0, 0.0),
        ("C", 1.0, 8.0, 1.0),
    ]);
    let models: [&dyn AttributionModel; 5] = [
        &FirstTouch,
        &LastTouch,
        &Linear::default(),
        &PositionBased::u_shaped(),
        &Shapley,
    ];
    models.iter().map(|m| m.attribute(&t).unwrap()).collect()
}

/// Checks that `svg` is one `<svg>` element with balanced tags (plotters writes one element
/// per line, attributes quoted, text escaped).
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg "), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unclosed tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap());
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
    assert_eq!(svg.matches("<svg").count(), 1);
}

/// The text content of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.trim().to_string()
        })
        .collect()
}

#[test]
fn grouped_bars_name_every_channel_and_model() {
    let results = t2_results();
    for metric in [Metric::Conversions, Metric::Value, Metric::Share] {
        let svg = grouped_bars_svg(&results, metric).unwrap();
        assert_well_formed(&svg);
        let texts = texts(&svg);
        for ch in ["A", "B", "C"] {
            assert!(texts.iter().any(|t| t == ch), "channel {ch} in {metric}");
        }
        for a in &results {
            assert!(texts.contains(&a.model), "model {} in {metric}", a.model);
        }
        // One bar per (channel, model): 3 × 5 rectangles in the palette's first colour group
        // and the rest; count the filled bars by their colours.
        let bars = svg
            .lines()
            .filter(|l| l.starts_with("<rect") && !l.contains("#FFFFFF"))
            .count();
        // 15 bars + 5 legend swatches.
        assert_eq!(bars, 20, "{metric}");
    }
    let share = grouped_bars_svg(&results, Metric::Share).unwrap();
    assert!(texts(&share).iter().any(|t| t.ends_with('%')));
}

#[test]
fn names_are_escaped_and_negative_credit_is_drawn_below_zero() {
    let mut results = t2_results();
    results[0].model = "first <touch> & co".into();
    results[1].channels[0].conversions = -1.5;
    let svg = grouped_bars_svg(&results, Metric::Conversions).unwrap();
    assert_well_formed(&svg);
    assert!(svg.contains("first &lt;touch&gt; &amp; co"));
    assert!(!svg.contains("<touch>"));
    // Every rectangle has a non-negative width and height.
    for l in svg.lines().filter(|l| l.starts_with("<rect")) {
        for key in ["width=\"", "height=\""] {
            let v = &l[l.find(key).unwrap() + key.len()..];
            let v: i64 = v[..v.find('"').unwrap()].parse().unwrap();
            assert!(v >= 0, "{l}");
        }
    }
}

#[test]
fn heatmap_labels_every_state_and_annotates_values() {
    // T1-like transition rows (probabilities are illustrative; the chart only draws them).
    let s = |x: &str| x.to_string();
    let rows = vec![
        (s("(start)"), s("Search"), 2.0 / 3.0),
        (s("(start)"), s("Email"), 1.0 / 3.0),
        (s("Search"), s("Email"), 0.5),
        (s("Search"), s("(conversion)"), 0.25),
        (s("Search"), s("(null)"), 0.25),
        (s("Email"), s("(conversion)"), 0.004),
        (s("Email"), s("(null)"), 0.996),
    ];
    let svg = heatmap_svg(&rows).unwrap();
    assert_well_formed(&svg);
    let texts = texts(&svg);
    for state in ["(start)", "Search", "Email", "(conversion)", "(null)"] {
        assert!(texts.iter().any(|t| t == state), "state {state}");
    }
    for value in ["0.67", "0.33", "0.50", "0.25", "<0.01", "1.00"] {
        let escaped = value.replace('<', "&lt;");
        assert!(texts.contains(&escaped), "value {value}");
    }
    // Rows (from) are (start), Email, Search; columns (to) Email, Search, (conversion),
    // (null): row labels appear in that order.
    let order: Vec<&String> = texts
        .iter()
        .filter(|t| ["(start)", "Email", "Search"].contains(&t.as_str()))
        .collect();
    // Column labels come first (Email, Search), then row labels.
    assert_eq!(order, ["Email", "Search", "(start)", "Email", "Search"]);
}

#[test]
fn empty_or_bad_input_is_an_error_not_a_panic() {
    assert!(matches!(
        grouped_bars_svg(&[], Metric::Value),
        Err(Error::InvalidParameter {
            name: "attributions",
            ..
        })
    ));
    let mut results = t2_results();
    for a in &mut results {
        a.channels.clear();
    }
    assert!(grouped_bars_svg(&results, Metric::Value).is_err());
    let mut results = t2_results();
    results[2].channels[1].value = f64::NAN;
    let err = grouped_bars_svg(&results, Metric::Value).unwrap_err();
    assert!(err.to_string().contains("NaN"), "{err}");
    // NaN in a metric not drawn is not looked at.
    assert!(grouped_bars_svg(&results, Metric::Conversions).is_ok());

    assert!(matches!(
        heatmap_svg(&[]),
        Err(Error::InvalidParameter { name: "rows", .. })
    ));
    let s = |x: &str| x.to_string();
    let twice = [(s("A"), s("B"), 0.5), (s("A"), s("B"), 0.5)];
    assert!(
        heatmap_svg(&twice)
            .unwrap_err()
            .to_string()
            .contains("twice")
    );
    let inf = [(s("A"), s("B"), f64::INFINITY)];
    assert!(heatmap_svg(&inf).is_err());
    // All-zero values and a single cell still draw.
    assert!(heatmap_svg(&[(s("A"), s("B"), 0.0)]).is_ok());
}

/// The chart in the README (`examples/data/attribution_chart.svg`): T2 under five models.
/// Regenerate with `TOUCHPOINT_BLESS=1 cargo test --features plot --test plot`.
#[test]
fn readme_chart_is_current() {
    let path = "examples/data/attribution_chart.svg";
    let svg = grouped_bars_svg(&t2_results(), Metric::Conversions).unwrap();
    if std::env::var_os("TOUCHPOINT_BLESS").is_some() {
        std::fs::write(path, &svg).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == svg,
        "{path} is stale: regenerate it with TOUCHPOINT_BLESS=1 cargo test --features plot --test plot"
    );
}
