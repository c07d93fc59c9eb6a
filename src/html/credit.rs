//! The model comparison and spend sections, and the data the page's script reads.

use serde::Serialize;

use super::svg::{HBar, HRow, hbars};
use super::text::{self, esc, script_json};
use super::{HtmlReport, Num, header};
use crate::attribution::{Attribution, ChannelCredit, channel_names};
use crate::error::{Error, Result};

fn options(results: &[Attribution], selected: &str) -> String {
    results
        .iter()
        .map(|a| {
            let sel = if a.model == selected { " selected" } else { "" };
            format!(
                r#"<option value="{m}"{sel}>{m}</option>"#,
                m = esc(&a.model)
            )
        })
        .collect()
}

const ZERO: (f64, f64, f64) = (0.0, 0.0, 0.0);

fn credit_of(a: &Attribution, channel: &str) -> (f64, f64, f64) {
    a.get(channel)
        .map_or(ZERO, |c| (c.conversions, c.value, c.share))
}

/// The comparison table's rows for `(r, c)` (the page's script writes the same on change):
/// each number column with one number of decimals.
fn comparison_rows(r: &Attribution, c: &Attribution, names: &[&str]) -> String {
    let pairs: Vec<_> = names
        .iter()
        .map(|&ch| (credit_of(r, ch), credit_of(c, ch)))
        .collect();
    let conv = text::column(pairs.iter().flat_map(|(a, b)| [a.0, b.0]));
    let value = text::column(pairs.iter().flat_map(|(a, b)| [a.1, b.1]));
    let d_conv = text::signed_column(pairs.iter().map(|(a, b)| b.0 - a.0));
    let d_value = text::signed_column(pairs.iter().map(|(a, b)| b.1 - a.1));
    let mut s = String::new();
    for (&ch, (a, b)) in names.iter().zip(&pairs) {
        let n = |f| Num {
            t: "cmp",
            m: None,
            row: ch,
            f,
        };
        let change = |x: f64, y: f64| (x != 0.0).then(|| 100.0 * (y - x) / x);
        s.push_str(&format!("<tr><td>{}</td>", esc(ch)));
        s.push_str(&n("reference_conversions").td(Some(a.0), &conv, ""));
        s.push_str(&n("comparison_conversions").td(Some(b.0), &conv, ""));
        s.push_str(&n("delta_conversions").td_signed(Some(b.0 - a.0), &d_conv));
        s.push_str(&n("pct_change_conversions").td_signed(change(a.0, b.0), &text::change));
        s.push_str(&n("reference_value").td(Some(a.1), &value, ""));
        s.push_str(&n("comparison_value").td(Some(b.1), &value, ""));
        s.push_str(&n("delta_value").td_signed(Some(b.1 - a.1), &d_value));
        s.push_str(&n("reference_share").td(Some(a.2), &text::pct, ""));
        s.push_str(&n("comparison_share").td(Some(b.2), &text::pct, ""));
        s.push_str(&n("delta_share").td_signed(Some(b.2 - a.2), &text::pp));
        s.push_str("</tr>");
    }
    s
}

/// Bars of every model in two slots (reference, comparison); the script shows the chosen two.
fn comparison_chart(results: &[Attribution], names: &[&str], r: &str, c: &str) -> String {
    let rows: Vec<HRow> = names
        .iter()
        .map(|&ch| HRow {
            label: ch.to_string(),
            bars: results
                .iter()
                .flat_map(|a| {
                    let credit = a.get(ch);
                    let value = credit.map_or(0.0, |x| x.conversions);
                    let ci = credit.and_then(|x| x.ci.as_ref()).map(|ci| ci.conversions);
                    [(0, r), (1, c)].map(|(slot, shown)| HBar {
                        value,
                        ci,
                        color: slot,
                        slot,
                        attrs: format!(
                            r#"data-slot="{slot}" data-model="{}"{}"#,
                            esc(&a.model),
                            if a.model == shown {
                                ""
                            } else {
                                r#" style="display:none""#
                            }
                        ),
                    })
                })
                .collect(),
        })
        .collect();
    hbars(
        &rows,
        2,
        &[("reference".into(), 0), ("comparison".into(), 1)],
        text::num,
        "Attributed conversions per channel: reference and comparison model",
    )
}

/// One channel × model table of `field`, shaded by share, with a column-sum footer.
fn pivot(results: &[Attribution], names: &[&str], field: &str) -> String {
    let get = |c: &ChannelCredit| match field {
        "value" => c.value,
        "share" => c.share,
        _ => c.conversions,
    };
    // One number of decimals for the whole table, so that models compare at a glance.
    let fmt: Box<dyn Fn(f64) -> String> = if field == "share" {
        Box::new(text::pct)
    } else {
        Box::new(text::column(
            results.iter().flat_map(|a| a.channels.iter().map(get)),
        ))
    };
    let mut cols = vec!["Channel"];
    cols.extend(results.iter().map(|a| a.model.as_str()));
    let mut s = format!(
        r#"<div class="scroll"><table class="sortable" data-metric="{field}">{}<tbody>"#,
        header(&cols, 1)
    );
    for &ch in names {
        s.push_str(&format!("<tr><td>{}</td>", esc(ch)));
        for a in results {
            let c = a.get(ch);
            let shade = c.map_or(0.0, |c| c.share.clamp(0.0, 1.0));
            let style = format!(r#" style="background:rgba(78,121,167,{:.3})""#, 0.6 * shade);
            let title = c
                .and_then(|c| c.ci.as_ref())
                .map(|ci| {
                    let [lo, hi] = match field {
                        "value" => ci.value,
                        "share" => ci.share,
                        _ => ci.conversions,
                    };
                    format!(r#" title="interval {} – {}""#, fmt(lo), fmt(hi))
                })
                .unwrap_or_default();
            let num = Num {
                t: "credit",
                m: Some(&a.model),
                row: ch,
                f: field,
            };
            s.push_str(&num.td(c.map(get), &fmt, &format!("{style}{title}")));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody><tfoot><tr><td>Sum over channels</td>");
    for a in results {
        let sum: f64 = a.channels.iter().map(get).sum();
        let num = Num {
            t: "credit-sum",
            m: Some(&a.model),
            row: "",
            f: field,
        };
        s.push_str(&num.td(Some(sum), &fmt, ""));
    }
    s.push_str("</tr></tfoot></table></div>");
    s
}

/// The model comparison section.
pub(crate) fn models_section(report: &HtmlReport<'_>) -> String {
    let results = report.results;
    let names = channel_names(results);
    let (r, c) = report.default_pair();
    let find = |m: &str| results.iter().find(|a| a.model == m).unwrap_or(&results[0]);
    let intervals = results
        .iter()
        .any(|a| a.channels.iter().any(|c| c.ci.is_some()));
    let mut s = String::from(r#"<section id="models"><h2>Model comparison</h2>"#);
    s.push_str(&format!(
        r#"<p class="lead">Conversions and value credited to each channel by {} model{}. Pick a reference and a comparison model to see where they disagree{}.</p>"#,
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        if intervals {
            "; error bars are the bootstrap confidence intervals"
        } else {
            ""
        }
    ));
    s.push_str(&format!(
        r#"<div class="controls"><label>Reference <select id="cmp-ref">{}</select></label><label>Comparison <select id="cmp-cmp">{}</select></label></div>"#,
        options(results, &r),
        options(results, &c)
    ));
    s.push_str(&format!(
        r#"<figure><figcaption>Attributed conversions: <span data-name-of="ref">{}</span> (blue) and <span data-name-of="cmp">{}</span> (orange)</figcaption><div id="cmp-chart">{}</div></figure>"#,
        esc(&r),
        esc(&c),
        comparison_chart(results, &names, &r, &c)
    ));
    let cols = [
        "Channel",
        "Ref. conv.",
        "Comp. conv.",
        "Δ conv.",
        "Δ %",
        "Ref. value",
        "Comp. value",
        "Δ value",
        "Ref. share",
        "Comp. share",
        "Δ share",
    ];
    s.push_str(&format!(
        r#"<div class="scroll"><table id="cmp-table" class="sortable" data-ref="{}" data-cmp="{}">{}<tbody>{}</tbody></table></div>"#,
        esc(&r),
        esc(&c),
        header(&cols, 1),
        comparison_rows(find(&r), find(&c), &names)
    ));
    s.push_str(r#"<h3>Every model</h3><div class="controls"><label>Show <select data-switch="credit-metric"><option value="conversions" selected>Conversions</option><option value="value">Value</option><option value="share">Share of conversions</option></select></label></div>"#);
    for (i, field) in ["conversions", "value", "share"].into_iter().enumerate() {
        s.push_str(&format!(
            r#"<div data-view-of="credit-metric" data-view="{field}"{}>{}</div>"#,
            if i == 0 { "" } else { " hidden" },
            pivot(results, &names, field)
        ));
    }
    s.push_str(r#"<details><summary>How to read this</summary>Each model splits the same conversions among the channels on their paths by a different rule; the model reference defines each one. Cells are shaded by the channel's share of conversions. Δ % is relative to the reference model (empty when the reference credits 0); Δ share is in percentage points. Click a column header to sort.</details></section>"#);
    s
}

/// The spend section: per model, cost, CPA and ROAS per channel.
pub(crate) fn spend_section(report: &HtmlReport<'_>) -> String {
    let results = report.results;
    let (_, shown) = report.default_pair();
    let intervals = results.iter().any(|a| {
        a.channels
            .iter()
            .any(|c| c.spend.as_ref().is_some_and(|s| s.cpa_ci.is_some()))
    });
    let mut s = String::from(
        r#"<section id="spend"><h2>Spend and return on ad spend</h2><p class="lead">CPA is the cost per attributed conversion, ROAS the attributed value per unit of cost, each under the chosen model. A dash: no spend row, no credited conversion (CPA) or no cost (ROAS).</p>"#,
    );
    s.push_str(&format!(
        r#"<div class="controls"><label>Model <select data-switch="roas-model">{}</select></label></div>"#,
        options(results, &shown)
    ));
    let mut cols = vec!["Channel", "Cost", "Conversions", "Value", "CPA"];
    if intervals {
        cols.extend(["CPA low", "CPA high"]);
    }
    cols.push("ROAS");
    if intervals {
        cols.extend(["ROAS low", "ROAS high"]);
    }
    for a in results {
        s.push_str(&format!(
            r#"<div data-view-of="roas-model" data-view="{}"{}><div class="scroll"><table class="sortable">{}<tbody>"#,
            esc(&a.model),
            if a.model == shown { "" } else { " hidden" },
            header(&cols, 1)
        ));
        let mut bars = Vec::new();
        let spends = || a.channels.iter().filter_map(|c| c.spend.as_ref());
        let f_cost = text::column(spends().filter_map(|s| s.cost));
        let f_conv = text::column(a.channels.iter().map(|c| c.conversions));
        let f_value = text::column(a.channels.iter().map(|c| c.value));
        let f_cpa = text::column(spends().flat_map(|s| {
            let [l, h] = s.cpa_ci.unwrap_or([None, None]);
            [s.cpa, l, h].into_iter().flatten()
        }));
        for c in &a.channels {
            let Some(sp) = &c.spend else { continue };
            let n = |f| Num {
                t: "roas",
                m: Some(&a.model),
                row: &c.channel,
                f,
            };
            s.push_str(&format!("<tr><td>{}</td>", esc(&c.channel)));
            s.push_str(&n("cost").td(sp.cost, &f_cost, ""));
            s.push_str(&n("conversions").td(Some(c.conversions), &f_conv, ""));
            s.push_str(&n("value").td(Some(c.value), &f_value, ""));
            s.push_str(&n("cpa").td(sp.cpa, &f_cpa, ""));
            let [cl, ch] = sp.cpa_ci.unwrap_or([None, None]);
            if intervals {
                s.push_str(&n("cpa_lo").td(cl, &f_cpa, ""));
                s.push_str(&n("cpa_hi").td(ch, &f_cpa, ""));
            }
            s.push_str(&n("roas").td(sp.roas, &text::times, ""));
            let [rl, rh] = sp.roas_ci.unwrap_or([None, None]);
            if intervals {
                s.push_str(&n("roas_lo").td(rl, &text::times, ""));
                s.push_str(&n("roas_hi").td(rh, &text::times, ""));
            }
            s.push_str("</tr>");
            if let Some(roas) = sp.roas {
                bars.push(HRow {
                    label: c.channel.clone(),
                    bars: vec![HBar {
                        value: roas,
                        ci: rl.zip(rh).map(|(l, h)| [l, h]),
                        color: 4,
                        slot: 0,
                        attrs: String::new(),
                    }],
                });
            }
        }
        let cost = report.spend.map_or_else(
            || {
                a.channels
                    .iter()
                    .filter_map(|c| c.spend.as_ref().and_then(|s| s.cost))
                    .sum()
            },
            |sp| sp.total_cost(),
        );
        let n = |f| Num {
            t: "roas-total",
            m: Some(&a.model),
            row: "",
            f,
        };
        let per = |x: f64, y: f64| (y > 0.0).then(|| x / y);
        s.push_str("</tbody><tfoot><tr><td>Total</td>");
        s.push_str(&n("cost").td(Some(cost), &text::num, ""));
        s.push_str(&n("conversions").td(Some(a.total_conversions), &text::num, ""));
        s.push_str(&n("value").td(Some(a.total_value), &text::num, ""));
        s.push_str(&n("cpa").td(per(cost, a.total_conversions), &text::num, ""));
        if intervals {
            s.push_str("<td></td><td></td>");
        }
        s.push_str(&n("roas").td(per(a.total_value, cost), &text::times, ""));
        if intervals {
            s.push_str("<td></td><td></td>");
        }
        s.push_str("</tr></tfoot></table></div>");
        if !bars.is_empty() {
            s.push_str(&format!(
                "<figure><figcaption>ROAS per channel under {}</figcaption>{}</figure>",
                esc(&a.model),
                hbars(
                    &bars,
                    1,
                    &[("ROAS".into(), 4)],
                    text::times,
                    "Return on ad spend per channel"
                )
            ));
        }
        s.push_str("</div>");
    }
    s.push_str(r#"<details><summary>How to read this</summary>Total CPA is the total cost over all conversions, total ROAS the total value over the total cost (the same under every model). With bootstrap intervals, the CPA interval is the cost over the conversion interval's ends and the ROAS interval the value interval over the cost.</details></section>"#);
    s
}

#[derive(Serialize)]
struct PageCredit<'a> {
    channel: &'a str,
    conversions: f64,
    value: f64,
    share: f64,
}

#[derive(Serialize)]
struct PageModel<'a> {
    model: &'a str,
    channels: Vec<PageCredit<'a>>,
}

#[derive(Serialize)]
struct PageData<'a> {
    channels: Vec<&'a str>,
    models: Vec<PageModel<'a>>,
}

/// The JSON the page's script reads (escaped for a `<script>` element).
pub(crate) fn page_data(report: &HtmlReport<'_>) -> Result<String> {
    let data = PageData {
        channels: channel_names(report.results),
        models: report
            .results
            .iter()
            .map(|a| PageModel {
                model: &a.model,
                channels: a
                    .channels
                    .iter()
                    .map(|c| PageCredit {
                        channel: &c.channel,
                        conversions: c.conversions,
                        value: c.value,
                        share: c.share,
                    })
                    .collect(),
            })
            .collect(),
    };
    let json = serde_json::to_string(&data).map_err(|source| Error::JsonWrite {
        what: "html report",
        source,
    })?;
    Ok(script_json(&json))
}
