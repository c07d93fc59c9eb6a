//! The path analytics sections and the Markov transition heatmap.

use std::collections::{BTreeMap, BTreeSet};

use super::svg::{HBar, HRow, columns, hbars, heatmap, stacked};
use super::text::{self, esc};
use super::{Num, header};
use crate::analytics::{PathRow, PathStats};
use crate::model::Transition;

fn tile(value: &str, what: &str) -> String {
    format!(
        r#"<div class="tile"><b>{}</b><span>{}</span></div>"#,
        esc(value),
        esc(what)
    )
}

/// A path as channel chips with arrows.
fn chips(path: &str) -> String {
    path.split(" > ")
        .map(|c| format!(r#"<span class="chip">{}</span>"#, esc(c)))
        .collect::<Vec<_>>()
        .join(r#"<span class="arrow">›</span>"#)
}

fn path_table(rows: &[PathRow]) -> String {
    let cols = [
        "#",
        "Path",
        "Touches",
        "Conversions",
        "Value",
        "Journeys",
        "Conv. rate",
        "Share",
    ];
    let mut s = format!(
        r#"<div class="scroll"><table class="sortable">{}<tbody>"#,
        header(&cols, 2)
    );
    let f_conv = text::column(rows.iter().map(|p| p.conversions));
    let f_value = text::column(rows.iter().map(|p| p.value));
    let f_journeys = text::column(rows.iter().map(|p| p.journeys));
    for (i, p) in rows.iter().enumerate() {
        let n = |f| Num {
            t: "path",
            m: None,
            row: &p.path,
            f,
        };
        s.push_str(&format!(
            r#"<tr><td class="n" data-v="{}">{}</td><td class="path">{}</td>"#,
            i + 1,
            i + 1,
            chips(&p.path)
        ));
        s.push_str(&n("length").td(Some(p.length as f64), &text::num, ""));
        s.push_str(&n("conversions").td(Some(p.conversions), &f_conv, ""));
        s.push_str(&n("value").td(Some(p.value), &f_value, ""));
        s.push_str(&n("journeys").td(Some(p.journeys), &f_journeys, ""));
        s.push_str(&n("conversion_rate").td(p.conversion_rate, &text::pct, ""));
        s.push_str(&n("share").td(Some(p.share), &text::pct, ""));
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

/// The (label, conversions) bars of distribution rows.
fn bars(rows: &[(&str, f64, f64, f64)]) -> Vec<(String, f64)> {
    rows.iter().map(|r| (r.0.to_string(), r.1)).collect()
}

/// A small bins table: label, conversions, value, share.
fn bins_table(t: &str, bins: &[(&str, f64, f64, f64)]) -> String {
    let mut s = format!(
        r#"<table class="sortable bins">{}<tbody>"#,
        header(&["Bin", "Conversions", "Value", "Share"], 1)
    );
    let f_conv = text::column(bins.iter().map(|b| b.1));
    let f_value = text::column(bins.iter().map(|b| b.2));
    for &(label, c, v, share) in bins {
        let n = |f| Num {
            t,
            m: None,
            row: label,
            f,
        };
        s.push_str(&format!("<tr><td>{}</td>", esc(label)));
        s.push_str(&n("conversions").td(Some(c), &f_conv, ""));
        s.push_str(&n("value").td(Some(v), &f_value, ""));
        s.push_str(&n("share").td(Some(share), &text::pct, ""));
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// Top paths, path length and time lag.
pub(crate) fn paths_section(stats: &PathStats) -> String {
    let mut s = String::from(r#"<section id="paths"><h2>Conversion paths</h2>"#);
    let rate = if stats.total_journeys > 0.0 {
        text::pct(stats.total_conversions / stats.total_journeys)
    } else {
        "–".into()
    };
    s.push_str(r#"<div class="tiles">"#);
    s.push_str(&tile(&text::num(stats.total_conversions), "conversions"));
    s.push_str(&tile(&text::num(stats.total_value), "conversion value"));
    s.push_str(&tile(&text::num(stats.total_journeys), "journeys"));
    s.push_str(&tile(&rate, "conversion rate"));
    s.push_str(&tile(
        &text::num(stats.converting_paths as f64),
        "distinct converting paths",
    ));
    s.push_str("</div>");
    s.push_str(&format!(
        r#"<h3>Top conversion paths</h3><div class="controls"><label>Rank by <select data-switch="top-paths"><option value="conversions" selected>conversions</option><option value="value">value</option><option value="rate">conversion rate</option></select></label><span class="empty">{} of {} converting paths</span></div>"#,
        stats.top_paths.len(),
        stats.converting_paths
    ));
    for (i, (view, rows)) in [
        ("conversions", &stats.top_paths),
        ("value", &stats.top_paths_by_value),
        ("rate", &stats.top_paths_by_rate),
    ]
    .into_iter()
    .enumerate()
    {
        s.push_str(&format!(
            r#"<div data-view-of="top-paths" data-view="{view}"{}>{}</div>"#,
            if i == 0 { "" } else { " hidden" },
            path_table(rows)
        ));
    }
    s.push_str(r#"<div class="charts">"#);
    let len_rows: Vec<(&str, f64, f64, f64)> = stats
        .path_length
        .iter()
        .map(|b| (b.label.as_str(), b.conversions, b.value, b.share))
        .collect();
    let len = bars(&len_rows);
    s.push_str(&format!(
        "<figure><figcaption>Path length: conversions by touches on the path</figcaption>{}{}</figure>",
        columns(&len, 0, text::num, "Conversions by path length"),
        bins_table("len", &len_rows)
    ));
    if stats.has_time_lag() {
        let lag_rows: Vec<(&str, f64, f64, f64)> = stats
            .time_lag
            .iter()
            .map(|b| (b.label.as_str(), b.conversions, b.value, b.share))
            .collect();
        let lag = bars(&lag_rows);
        let unknown = if stats.time_lag_unknown > 0.0 {
            format!(
                r#"<p class="empty">{} conversions without a conversion time are not shown.</p>"#,
                text::num(stats.time_lag_unknown)
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "<figure><figcaption>Time lag: first touch to conversion</figcaption>{}{}{unknown}</figure>",
            columns(&lag, 1, text::num, "Conversions by time lag"),
            bins_table("lag", &lag_rows)
        ));
    } else {
        s.push_str(r#"<figure><figcaption>Time lag: first touch to conversion</figcaption><p class="empty">The input has no timestamps (a path table), so there is no time lag to show. Event logs have them.</p></figure>"#);
    }
    s.push_str("</div>");
    s.push_str(r#"<details><summary>How to read this</summary>A conversion path is the sequence of channels a converting journey touched, first touch first. Conversion rate is the path's conversions over its journeys (converting or not); share is its part of all conversions. Path length counts touches, repeats included; time lag runs from the first touch to the conversion, in half-open bins ([1 h, 1 d) holds 1 h but not 1 d). Counts are weighted by conversions.</details></section>"#);
    s
}

/// Assisted and last-touch conversions and the roles of each channel.
pub(crate) fn roles_section(stats: &PathStats) -> String {
    let mut s = String::from(
        r#"<section id="channels"><h2>Channel roles</h2><p class="lead">Does a channel open, assist or close? Assisted conversions: the channel touched the path before its last touch. Last-touch conversions: it was the last touch. An assist ratio above 1 marks a channel that mostly assists.</p>"#,
    );
    let cols = [
        "Channel",
        "Assisted conv.",
        "Last-touch conv.",
        "Assist ratio",
        "Assisted value",
        "Last-touch value",
        "First",
        "Middle",
        "Last",
    ];
    s.push_str(&format!(
        r#"<div class="scroll"><table class="sortable">{}<tbody>"#,
        header(&cols, 1)
    ));
    let col = |get: fn(&crate::analytics::ChannelRoles) -> f64| {
        text::column(stats.channels.iter().map(get))
    };
    let f_assisted = col(|c| c.assisted_conversions);
    let f_last = col(|c| c.last_touch_conversions);
    let f_ratio = text::column(stats.channels.iter().filter_map(|c| c.assist_ratio));
    let f_av = col(|c| c.assisted_value);
    let f_lv = col(|c| c.last_touch_value);
    let f_roles = text::column(
        stats
            .channels
            .iter()
            .flat_map(|c| [c.first, c.middle, c.last]),
    );
    for c in &stats.channels {
        let n = |f| Num {
            t: "role",
            m: None,
            row: &c.channel,
            f,
        };
        s.push_str(&format!("<tr><td>{}</td>", esc(&c.channel)));
        s.push_str(&n("assisted_conversions").td(Some(c.assisted_conversions), &f_assisted, ""));
        s.push_str(&n("last_touch_conversions").td(Some(c.last_touch_conversions), &f_last, ""));
        s.push_str(&n("assist_ratio").td(c.assist_ratio, &f_ratio, ""));
        s.push_str(&n("assisted_value").td(Some(c.assisted_value), &f_av, ""));
        s.push_str(&n("last_touch_value").td(Some(c.last_touch_value), &f_lv, ""));
        s.push_str(&n("first").td(Some(c.first), &f_roles, ""));
        s.push_str(&n("middle").td(Some(c.middle), &f_roles, ""));
        s.push_str(&n("last").td(Some(c.last), &f_roles, ""));
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    let rows: Vec<HRow> = stats
        .channels
        .iter()
        .map(|c| HRow {
            label: c.channel.clone(),
            bars: [c.assisted_conversions, c.last_touch_conversions]
                .into_iter()
                .enumerate()
                .map(|(slot, value)| HBar {
                    value,
                    ci: None,
                    color: slot + 2,
                    slot,
                    attrs: String::new(),
                })
                .collect(),
        })
        .collect();
    let roles: Vec<(String, Vec<f64>)> = stats
        .channels
        .iter()
        .map(|c| (c.channel.clone(), vec![c.first, c.middle, c.last]))
        .collect();
    s.push_str(&format!(
        r#"<div class="charts"><figure><figcaption>Assisted and last-touch conversions</figcaption>{}</figure><figure><figcaption>Touches by position on converting paths</figcaption>{}</figure></div>"#,
        hbars(
            &rows,
            2,
            &[("assisted".into(), 2), ("last touch".into(), 3)],
            text::num,
            "Assisted and last-touch conversions per channel"
        ),
        stacked(
            &roles,
            &[("first".into(), 0), ("middle".into(), 6), ("last".into(), 1)],
            text::num,
            "Touches by position per channel"
        )
    ));
    s.push_str(r#"<details><summary>How to read this</summary>A conversion counts once as an assist for each channel touched before the last touch, even if that channel is also the last touch. First, middle and last count touches (weighted by conversions): a one-touch path's touch is both first and last, and every touch between the first and the last is a middle touch.</details></section>"#);
    s
}

/// The transition matrix as a heatmap: rows `(start)` then channel states, columns channel
/// states then `(conversion)` and `(null)`.
pub(crate) fn markov_section(transitions: &[Transition]) -> String {
    let special = |s: &str| s.starts_with('(') && s.ends_with(')');
    let mut from: BTreeSet<&str> = BTreeSet::new();
    let mut to: BTreeSet<&str> = BTreeSet::new();
    let mut p: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for t in transitions {
        from.insert(&t.from);
        to.insert(&t.to);
        p.insert((&t.from, &t.to), t.probability);
    }
    let order = |set: BTreeSet<&str>, first: &[&str], last: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = first
            .iter()
            .filter(|s| set.contains(*s))
            .map(|s| s.to_string())
            .collect();
        v.extend(set.iter().filter(|s| !special(s)).map(|s| s.to_string()));
        v.extend(
            last.iter()
                .filter(|s| set.contains(*s))
                .map(|s| s.to_string()),
        );
        v
    };
    let rows = order(from, &["(start)"], &[]);
    let cols = order(to, &[], &["(conversion)", "(null)"]);
    let cells: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| p.get(&(r.as_str(), c.as_str())).copied().unwrap_or(0.0))
                .collect()
        })
        .collect();
    let mut s = String::from(
        r#"<section id="markov"><h2>Markov transitions</h2><p class="lead">The probability that a journey in the row's state moves next to the column's state, estimated from the paths. Darker is likelier.</p>"#,
    );
    if rows.is_empty() {
        s.push_str(r#"<p class="empty">No transitions.</p>"#);
    } else {
        s.push_str(&format!(
            "<figure><figcaption>Transition probabilities (from row to column)</figcaption><div class=\"scroll\">{}</div></figure>",
            heatmap(
                &rows,
                &cols,
                &cells,
                |x| format!("{x:.2}"),
                "Markov transition matrix"
            )
        ));
    }
    s.push_str("</section>");
    s
}
