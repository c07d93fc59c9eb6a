//! One self-contained HTML report for people: the model comparison, path analytics, the Markov
//! transition heatmap and return on ad spend, in a single file with inline SVG charts, inline
//! CSS and a small inline script (no network access, no external file).
//!
//! * **Model comparison**: credit per channel under every model (conversions, value or share,
//!   shaded by share), and a reference model against a comparison model (chosen with two
//!   selects) with the differences in conversions, value and share; bars with the bootstrap
//!   intervals as error bars when the results carry them.
//! * **Path analytics** ([`PathStats`]): top conversion paths, path length and time lag
//!   histograms, assisted and last-touch conversions and the first/middle/last roles.
//! * **Markov transitions**: the transition matrix as a heatmap.
//! * **Spend**: cost, CPA and ROAS per channel for a chosen model, with intervals.
//!
//! Tables sort by clicking a header. Numbers are formatted for reading (`1,234.5`, `18.3%`);
//! every number cell also carries its exact value (`data-v`, Rust's shortest round-trip form, as
//! in the JSON output) and what it is (`data-t` table, `data-m` model, `data-row` channel, path
//! or bin, `data-f` field), so scripts and tests can read the page. Every name is escaped. The
//! page prints (print CSS: no navigation, no shadows, sections kept whole).
//!
//! ```
//! use touchpoint::html::{HtmlReport, write_html};
//! use touchpoint::{AttributionModel, LastTouch, Linear, Outcome, PathTable};
//! let mut t = PathTable::new();
//! t.add(["Search", "<Email>"], Outcome::new(2.0, 20.0, 1.0))?;
//! let results = vec![LastTouch.attribute(&t)?, Linear::default().attribute(&t)?];
//! let mut page = Vec::new();
//! write_html(&mut page, &HtmlReport::new("Attribution", &results))?;
//! let page = String::from_utf8(page).unwrap();
//! assert!(page.starts_with("<!DOCTYPE html>") && page.contains("&lt;Email&gt;"));
//! assert!(!page.contains("<Email>") && !page.contains("http://") && !page.contains("https://"));
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::io::Write;

use crate::analytics::PathStats;
use crate::attribution::Attribution;
use crate::error::Result;
use crate::model::Transition;
use crate::spend::Spend;

mod credit;
mod paths;
mod svg;
mod text;

use text::{esc, raw};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// What goes into the page ([`write_html`]); sections without their data are left out.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct HtmlReport<'a> {
    /// The page title.
    pub title: String,
    /// A line under the title (e.g. the input file and what was read).
    pub subtitle: Option<String>,
    /// The attributions, one per model, in display order.
    pub results: &'a [Attribution],
    /// Path analytics of the same table.
    pub path_stats: Option<&'a PathStats>,
    /// The Markov transition matrix (`(start)`, `(conversion)` and `(null)` states included).
    pub transitions: Option<&'a [Transition]>,
    /// The spend, when the results carry CPA and ROAS ([`Spend::annotate`]).
    pub spend: Option<&'a Spend>,
    /// Warnings shown at the top of the page.
    pub notes: Vec<String>,
    /// The reference model shown first (default `last_touch` when present, else the first).
    pub reference: Option<String>,
    /// The comparison model shown first (default `markov` when present, else the next one).
    pub comparison: Option<String>,
}

impl<'a> HtmlReport<'a> {
    /// A report of `results` alone, titled `title`.
    pub fn new(title: impl Into<String>, results: &'a [Attribution]) -> HtmlReport<'a> {
        HtmlReport {
            title: title.into(),
            subtitle: None,
            results,
            path_stats: None,
            transitions: None,
            spend: None,
            notes: Vec::new(),
            reference: None,
            comparison: None,
        }
    }

    /// The (reference, comparison) pair shown when the page opens.
    fn default_pair(&self) -> (String, String) {
        let names: Vec<&str> = self.results.iter().map(|a| a.model.as_str()).collect();
        let has = |n: &str| names.contains(&n);
        let first = names.first().copied().unwrap_or_default();
        let r = match &self.reference {
            Some(r) if has(r) => r.clone(),
            _ if has("last_touch") => "last_touch".into(),
            _ => first.into(),
        };
        let other = names.iter().find(|n| **n != r).copied().unwrap_or(first);
        let c = match &self.comparison {
            Some(c) if has(c) => c.clone(),
            _ if has("markov") && r != "markov" => "markov".into(),
            _ => other.into(),
        };
        (r, c)
    }
}

/// A number cell: the formatted text, the raw value and what it is.
pub(crate) struct Num<'a> {
    /// Table kind (`credit`, `cmp`, `path`, `len`, `lag`, `role`, `roas`, …).
    pub t: &'a str,
    /// Model, if the table has one per model.
    pub m: Option<&'a str>,
    /// Row: channel, path or bin label.
    pub row: &'a str,
    /// Field name (as in the JSON output).
    pub f: &'a str,
}

impl Num<'_> {
    /// `<td>` for `v` formatted by `fmt` (an en dash for `None`), with extra attributes (already
    /// escaped, each with a leading space).
    pub(crate) fn td(&self, v: Option<f64>, fmt: &dyn Fn(f64) -> String, attrs: &str) -> String {
        self.cell(v, fmt, "n", attrs)
    }

    /// [`Num::td`] for a difference: green when positive, red when negative.
    pub(crate) fn td_signed(&self, v: Option<f64>, fmt: &dyn Fn(f64) -> String) -> String {
        let class = match v {
            Some(x) if x > 0.0 => "n pos",
            Some(x) if x < 0.0 => "n neg",
            _ => "n",
        };
        self.cell(v, fmt, class, "")
    }

    fn cell(
        &self,
        v: Option<f64>,
        fmt: &dyn Fn(f64) -> String,
        class: &str,
        attrs: &str,
    ) -> String {
        let m = self
            .m
            .map_or(String::new(), |m| format!(r#" data-m="{}""#, esc(m)));
        format!(
            r#"<td class="{class}"{attrs} data-t="{}"{m} data-row="{}" data-f="{}" data-v="{}">{}</td>"#,
            self.t,
            esc(self.row),
            self.f,
            raw(v),
            text::opt(v, fmt)
        )
    }
}

/// `<th>` cells for `names`, right-aligned after the first `left` ones.
pub(crate) fn header(names: &[&str], left: usize) -> String {
    let mut s = String::from("<thead><tr>");
    for (i, n) in names.iter().enumerate() {
        let class = if i >= left { r#" class="n""# } else { "" };
        s.push_str(&format!("<th{class}>{}</th>", esc(n)));
    }
    s.push_str("</tr></thead>");
    s
}

/// Writes the report as one HTML file.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when writing fails; [`Error::Numerical`](crate::Error::Numerical)
/// when the embedded data cannot be serialized (never for finite results).
pub fn write_html<W: Write>(mut out: W, report: &HtmlReport<'_>) -> Result<()> {
    let mut body = String::new();
    let mut toc: Vec<(&str, &str)> = Vec::new();
    if !report.notes.is_empty() {
        body.push_str(r#"<div class="notes"><b>Notes</b><ul>"#);
        for n in &report.notes {
            body.push_str(&format!("<li>{}</li>", esc(n)));
        }
        body.push_str("</ul></div>");
    }
    if !report.results.is_empty() {
        toc.push(("models", "Model comparison"));
        body.push_str(&credit::models_section(report));
    }
    if let Some(stats) = report.path_stats {
        toc.push(("paths", "Conversion paths"));
        body.push_str(&paths::paths_section(stats));
        toc.push(("channels", "Channel roles"));
        body.push_str(&paths::roles_section(stats));
    }
    if let Some(tm) = report.transitions {
        toc.push(("markov", "Markov transitions"));
        body.push_str(&paths::markov_section(tm));
    }
    if report
        .results
        .iter()
        .any(|a| a.channels.iter().any(|c| c.spend.is_some()))
    {
        toc.push(("spend", "Spend and ROAS"));
        body.push_str(&credit::spend_section(report));
    }
    let data = credit::page_data(report)?;
    let nav: String = toc
        .iter()
        .map(|(id, name)| format!(r##"<a href="#{id}">{name}</a>"##))
        .collect();
    let subtitle = report
        .subtitle
        .as_ref()
        .map_or(String::new(), |s| format!("<p>{}</p>", esc(s)));
    write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="touchpoint {version}">
<title>{title}</title>
<style>{CSS}</style></head>
<body><header class="top"><h1>{title}</h1>{subtitle}</header>
<nav class="toc">{nav}</nav>
<main>{body}</main>
<footer>Written by touchpoint {version}. Definitions of every figure: the model reference, sections Path analytics and Spend.</footer>
<script type="application/json" id="tp-data">{data}</script>
<script>{JS}</script>
</body></html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        title = esc(&report.title),
    )?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::PathStatsOptions;
    use crate::{AttributionModel, LastTouch, Linear, Markov, Outcome, PathTable};

    fn page(names: [&str; 3]) -> String {
        let mut t = PathTable::new();
        t.add([names[0], names[1]], Outcome::new(2.0, 20.0, 1.0))
            .unwrap();
        t.add([names[2]], Outcome::new(1.0, 5.0, 3.0)).unwrap();
        let results = vec![
            LastTouch.attribute(&t).unwrap(),
            Linear::default().attribute(&t).unwrap(),
        ];
        let stats = PathStats::new(&t, &PathStatsOptions::default());
        let tm = Markov::default().fit(&t).unwrap().transitions();
        let mut r = HtmlReport::new("T", &results);
        r.path_stats = Some(&stats);
        r.transitions = Some(&tm);
        r.notes.push(format!("note about {}", names[0]));
        let mut out = Vec::new();
        write_html(&mut out, &r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_channel_name_is_escaped() {
        let evil = [
            "<script>alert(1)</script>",
            r#""><img src=x onerror=alert(2)>"#,
            "</script><b>&amp;'",
        ];
        let html = page(evil);
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("</script><b>"));
        // The only script elements are the page's two.
        assert_eq!(html.matches("<script").count(), 2);
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let html = page(["Search", "Email", "Display"]);
        for needle in ["http:", "https:", "src=", "@import", "url("] {
            assert!(!html.contains(needle), "{needle}");
        }
        assert!(html.contains(r#"id="cmp-table""#));
        assert!(html.contains(r#"id="markov""#));
    }
}
