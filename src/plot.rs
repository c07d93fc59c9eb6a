//! Charts as SVG text (feature `plot`): a grouped bar chart of channels × models and a
//! transition-matrix heatmap.
//!
//! Both functions return a complete, standalone SVG document as a `String` (write it to a
//! `.svg` file, embed it in HTML or Markdown). They use [plotters](https://docs.rs/plotters)'
//! SVG backend only: no system fonts, no image codecs. Text is left to the viewer's
//! `sans-serif` font, so label widths are estimates; layouts leave room for that.
//!
//! Colours: the bars use the colour-blind-safe Okabe–Ito palette, continued with four colours
//! of Paul Tol's palettes (12 distinct colours, then repeated); the heatmap uses a white-to-navy
//! sequential scale with a colour bar.
//!
//! ```
//! use touchpoint::plot::{grouped_bars_svg, heatmap_svg, Metric};
//! use touchpoint::{AttributionModel, FirstTouch, LastTouch, Outcome, PathTable};
//! let mut t = PathTable::new();
//! t.add(["Search", "Email"], Outcome::new(3.0, 30.0, 1.0))?;
//! t.add(["Display"], Outcome::new(1.0, 5.0, 4.0))?;
//! let results = [FirstTouch.attribute(&t)?, LastTouch.attribute(&t)?];
//! let svg = grouped_bars_svg(&results, Metric::Conversions)?;
//! assert!(svg.starts_with("<svg") && svg.contains("Email") && svg.contains("last_touch"));
//!
//! let matrix = [
//!     ("(start)".to_string(), "Search".to_string(), 0.75),
//!     ("(start)".to_string(), "Display".to_string(), 0.25),
//!     ("Search".to_string(), "(conversion)".to_string(), 1.0),
//! ];
//! let svg = heatmap_svg(&matrix)?;
//! assert!(svg.contains("0.75"));
//! # Ok::<(), touchpoint::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use crate::attribution::{Attribution, ChannelCredit};
use crate::error::{Error, PlotProblem, Result};

/// Which number of each [`ChannelCredit`] a bar chart shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Metric {
    /// Attributed conversions.
    #[default]
    Conversions,
    /// Attributed conversion value.
    Value,
    /// Share of the conversions (a fraction, shown in %).
    Share,
}

impl Metric {
    /// Every metric, by the name [`Metric::from_str`] accepts.
    pub const NAMES: &'static [&'static str] = &["conversions", "value", "share"];

    fn of(self, c: &ChannelCredit) -> f64 {
        match self {
            Metric::Conversions => c.conversions,
            Metric::Value => c.value,
            Metric::Share => c.share,
        }
    }

    fn axis_label(self) -> &'static str {
        match self {
            Metric::Conversions => "Attributed conversions",
            Metric::Value => "Attributed value",
            Metric::Share => "Share of conversions",
        }
    }

    fn tick(self, v: f64) -> String {
        match self {
            Metric::Share => format!("{}%", trim_number(100.0 * v)),
            _ => trim_number(v),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Metric::Conversions => "conversions",
            Metric::Value => "value",
            Metric::Share => "share",
        })
    }
}

impl FromStr for Metric {
    type Err = Error;

    fn from_str(s: &str) -> Result<Metric> {
        match s {
            "conversions" => Ok(Metric::Conversions),
            "value" => Ok(Metric::Value),
            "share" => Ok(Metric::Share),
            _ => Err(Error::Unknown {
                what: "metric",
                name: s.to_string(),
                valid: Metric::NAMES.join(", "),
            }),
        }
    }
}

fn draw_error<E: std::error::Error + Send + Sync + 'static>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::Io(std::io::Error::other(e))
}

/// Okabe–Ito (without its yellow, weak on white), then Tol's muted/bright extras.
const PALETTE: [RGBColor; 12] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x66, 0x66, 0x66), // grey
    RGBColor(0x88, 0x22, 0x55), // wine
    RGBColor(0x44, 0xAA, 0x99), // teal
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0xDD, 0xCC, 0x77), // sand
    RGBColor(0x99, 0x99, 0x33), // olive
];

const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

/// A sans-serif text style of `px` pixels (plotters' SVG backend divides sizes by 1.24).
fn font(px: f64) -> TextStyle<'static> {
    (FontFamily::SansSerif, px * 1.24).into_font().color(&INK)
}

/// Estimated width in pixels of `text` at `px` pixels (sans-serif averages ~0.56 em).
fn text_width(text: &str, px: f64) -> i32 {
    (text.chars().count() as f64 * px * 0.56).ceil() as i32
}

/// `v` with at most 2 decimals and no trailing zeros (`2`, `2.5`, `0.33`).
fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A grouped bar chart: one group of bars per channel (sorted by name, the union of all
/// attributions' channels), one bar per model (in the given order, coloured as in the legend),
/// height = `metric`. Negative credits (possible for some Shapley variants) go below a zero
/// line.
///
/// The width grows with the number of bars; channel labels turn vertical when they do not fit
/// under their group.
///
/// # Errors
/// [`Error::Plot`] when `attributions` is empty, has no channel, or holds a value that is not
/// finite.
pub fn grouped_bars_svg(attributions: &[Attribution], metric: Metric) -> Result<String> {
    if attributions.is_empty() {
        return Err(Error::Plot(PlotProblem::Empty {
            what: "attribution",
        }));
    }
    let channels: Vec<&str> = attributions
        .iter()
        .flat_map(|a| a.channels.iter().map(|c| c.channel.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if channels.is_empty() {
        return Err(Error::Plot(PlotProblem::Empty { what: "channel" }));
    }
    // values[i][j]: channel i, model j.
    let mut values = vec![vec![None; attributions.len()]; channels.len()];
    for (j, a) in attributions.iter().enumerate() {
        for c in &a.channels {
            let v = metric.of(c);
            if !v.is_finite() {
                return Err(Error::Plot(PlotProblem::NotFinite {
                    what: format!("{} of `{}` in `{}`", metric, c.channel, a.model),
                    value: v,
                }));
            }
            if let Ok(i) = channels.binary_search(&c.channel.as_str()) {
                values[i][j] = Some(v);
            }
        }
    }
    let all = values.iter().flatten().flatten().copied();
    let (lo, hi) = all.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (lo, hi) = (
        if lo < 0.0 { lo - 0.06 * span } else { 0.0 },
        if hi > lo { hi + 0.08 * span } else { 1.0 },
    );

    // Layout in pixels.
    let models = attributions.len();
    let bar = if models <= 4 { 22 } else { 16 };
    let group = (models as i32 * bar + 28).max(64);
    let label_px = 13.0;
    let widest = channels
        .iter()
        .map(|c| text_width(c, label_px))
        .max()
        .unwrap_or(0);
    let vertical = widest > group - 8;
    let x_area = if vertical { widest + 36 } else { 46 };
    let legend_w = attributions
        .iter()
        .map(|a| text_width(&a.model, label_px))
        .max()
        .unwrap_or(0)
        + 56;
    let y_area = 78;
    let plot_w = channels.len() as i32 * group + 24;
    let width = (y_area + plot_w + legend_w).max(560) as u32;
    let height = (360 + x_area) as u32;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let (plot, legend) = root.split_horizontally(width as i32 - legend_w);
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(40)
            .margin_right(12)
            .margin_left(8)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(0f64..channels.len() as f64, lo..hi)
            .map_err(draw_error)?;
        let tick = |v: &f64| metric.tick(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .y_label_formatter(&tick)
            .y_desc(metric.axis_label())
            .x_desc("Channel")
            .label_style(font(12.0))
            .axis_desc_style(font(14.0))
            .bold_line_style(GRID)
            .max_light_lines(0)
            .axis_style(INK)
            .draw()
            .map_err(draw_error)?;
        // Bars: group i spans [i, i + 1); bars are centred in it.
        let unit = 1.0 / group as f64; // one pixel in x units
        let left = 0.5 - (models as f64 * bar as f64) * unit / 2.0;
        let rects = values.iter().enumerate().flat_map(|(i, row)| {
            row.iter().enumerate().filter_map(move |(j, v)| {
                let v = (*v)?;
                let x0 = i as f64 + left + (j as i32 * bar) as f64 * unit;
                let x1 = x0 + (bar - 3) as f64 * unit;
                let color = PALETTE[j % PALETTE.len()];
                Some(Rectangle::new(
                    [(x0, v.max(0.0)), (x1, v.min(0.0))],
                    color.filled(),
                ))
            })
        });
        chart.draw_series(rects).map_err(draw_error)?;
        if lo < 0.0 {
            let zero = PathElement::new(
                vec![(0.0, 0.0), (channels.len() as f64, 0.0)],
                INK.stroke_width(1),
            );
            chart.draw_series([zero]).map_err(draw_error)?;
        }
        // Channel labels, centred under their group (or vertical, ending at the axis).
        for (i, name) in channels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, lo));
            let style = if vertical {
                font(label_px)
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Right, VPos::Center))
            } else {
                font(label_px).pos(Pos::new(HPos::Center, VPos::Top))
            };
            root.draw(&Text::new(name.to_string(), (x, y + 8), style))
                .map_err(draw_error)?;
        }
        draw_title(
            &root,
            &format!("{} by channel and model", metric.axis_label()),
            width,
        )?;
        // Legend: a swatch and the model name per model.
        legend
            .draw(&Text::new("Model", (8, 44), font(14.0)))
            .map_err(draw_error)?;
        for (j, a) in attributions.iter().enumerate() {
            let y = 70 + 22 * j as i32;
            let color = PALETTE[j % PALETTE.len()];
            legend
                .draw(&Rectangle::new([(8, y - 6), (22, y + 8)], color.filled()))
                .map_err(draw_error)?;
            let style = font(label_px).pos(Pos::new(HPos::Left, VPos::Center));
            legend
                .draw(&Text::new(a.model.clone(), (30, y + 1), style))
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

fn draw_title(root: &DrawingArea<SVGBackend<'_>, Shift>, title: &str, width: u32) -> Result<()> {
    let style = font(16.0).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw(&Text::new(title.to_string(), (width as i32 / 2, 12), style))
        .map_err(draw_error)
}

/// Sorting key of a Markov state: `(start)` first, channels by name, then `(conversion)` and
/// `(null)`.
fn state_key(s: &str) -> (u8, &str) {
    match s {
        "(start)" => (0, s),
        "(conversion)" => (2, s),
        "(null)" => (3, s),
        _ => (1, s),
    }
}

/// The heatmap colour of `t` in [0, 1]: white → steel blue → navy.
fn scale(t: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 3] = [
        (0.0, [0xF7 as f64, 0xFB as f64, 0xFF as f64]),
        (0.5, [0x6B as f64, 0xAE as f64, 0xD6 as f64]),
        (1.0, [0x08 as f64, 0x30 as f64, 0x6B as f64]),
    ];
    let t = t.clamp(0.0, 1.0);
    let k = if t <= 0.5 { 0 } else { 1 };
    let (t0, a) = STOPS[k];
    let (t1, b) = STOPS[k + 1];
    let u = (t - t0) / (t1 - t0);
    let mix = |i: usize| (a[i] + u * (b[i] - a[i])).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

/// A cell's annotation: 2 decimals; small positive values as `<0.01` (never a misleading 0).
fn cell_text(v: f64) -> String {
    if v > 0.0 && v < 0.005 {
        "<0.01".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A heatmap of a matrix given as `(row, column, value)` triples, made for a Markov transition
/// matrix: from-states as rows, to-states as columns, each cell coloured by its value and
/// annotated with it (2 decimals), empty cells in grey. States are ordered `(start)` first, then
/// channels by name, then `(conversion)` and `(null)` (ChannelAttribution's state names).
/// The colour scale runs from min(0, smallest value) to the largest value.
///
/// # Errors
/// [`Error::Plot`] when `rows` is empty, a value is not finite, or a (row, column) pair appears
/// twice.
pub fn heatmap_svg(rows: &[(String, String, f64)]) -> Result<String> {
    if rows.is_empty() {
        return Err(Error::Plot(PlotProblem::Empty { what: "cell" }));
    }
    let mut cells = BTreeMap::new();
    for (from, to, v) in rows {
        if !v.is_finite() {
            return Err(Error::Plot(PlotProblem::NotFinite {
                what: format!("value of {from} → {to}"),
                value: *v,
            }));
        }
        if cells.insert((from.as_str(), to.as_str()), *v).is_some() {
            return Err(Error::Plot(PlotProblem::DuplicateCell {
                from: from.clone(),
                to: to.clone(),
            }));
        }
    }
    let states = |pick: fn(&(String, String, f64)) -> &str| {
        let mut s: Vec<&str> = rows
            .iter()
            .map(pick)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        s.sort_by_key(|s| state_key(s));
        s
    };
    let froms = states(|r| r.0.as_str());
    let tos = states(|r| r.1.as_str());
    let lo = cells.values().fold(0.0f64, |a, &v| a.min(v));
    let hi = cells.values().fold(lo, |a, &v| a.max(v));
    let t_of = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };

    // Layout in pixels.
    let label_px = 13.0;
    let cell_h = 34;
    let widest_from = froms
        .iter()
        .map(|s| text_width(s, label_px))
        .max()
        .unwrap_or(0);
    let widest_to = tos
        .iter()
        .map(|s| text_width(s, label_px))
        .max()
        .unwrap_or(0);
    // Columns widen to fit their labels up to 120 px; longer labels turn vertical.
    let vertical = widest_to + 14 > 120;
    let cell_w = if vertical {
        66
    } else {
        (widest_to + 14).max(66)
    };
    let left = widest_from + 48;
    let top = 56 + if vertical { widest_to + 12 } else { 22 };
    let grid_w = tos.len() as i32 * cell_w;
    let grid_h = froms.len() as i32 * cell_h;
    let bar_x = left + grid_w + 24;
    let width = (bar_x + 90).max(360) as u32;
    let height = (top + grid_h.max(160) + 30) as u32;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        draw_title(
            &root,
            "Transition probabilities (row: from, column: to)",
            width,
        )?;
        // Axis titles.
        let axis = font(14.0);
        root.draw(&Text::new(
            "to",
            (
                left + grid_w / 2,
                top - if vertical { widest_to + 30 } else { 40 },
            ),
            axis.pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_error)?;
        root.draw(&Text::new(
            "from",
            (14, top + grid_h / 2),
            axis.transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_error)?;
        // Column and row labels.
        for (c, to) in tos.iter().enumerate() {
            let x = left + c as i32 * cell_w + cell_w / 2;
            let style = if vertical {
                font(label_px)
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Left, VPos::Center))
            } else {
                font(label_px).pos(Pos::new(HPos::Center, VPos::Bottom))
            };
            root.draw(&Text::new(to.to_string(), (x, top - 6), style.clone()))
                .map_err(draw_error)?;
        }
        for (r, from) in froms.iter().enumerate() {
            let y = top + r as i32 * cell_h + cell_h / 2;
            let style = font(label_px).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(from.to_string(), (left - 8, y), style.clone()))
                .map_err(draw_error)?;
        }
        // Cells.
        for (r, from) in froms.iter().enumerate() {
            for (c, to) in tos.iter().enumerate() {
                let (x0, y0) = (left + c as i32 * cell_w, top + r as i32 * cell_h);
                let corners = [(x0, y0), (x0 + cell_w, y0 + cell_h)];
                match cells.get(&(*from, *to)) {
                    Some(&v) => {
                        let t = t_of(v);
                        root.draw(&Rectangle::new(corners, scale(t).filled()))
                            .map_err(draw_error)?;
                        let ink = if t > 0.55 { WHITE } else { INK };
                        let style = font(12.0)
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center));
                        let at = (x0 + cell_w / 2, y0 + cell_h / 2);
                        root.draw(&Text::new(cell_text(v), at, style.clone()))
                            .map_err(draw_error)?;
                    }
                    None => {
                        let grey = RGBColor(0xF0, 0xF0, 0xF0);
                        root.draw(&Rectangle::new(corners, grey.filled()))
                            .map_err(draw_error)?;
                    }
                }
                root.draw(&Rectangle::new(corners, WHITE.stroke_width(1)))
                    .map_err(draw_error)?;
            }
        }
        // Colour bar: 40 steps from lo (bottom) to hi (top), labelled at both ends.
        let bar_h = grid_h.max(160);
        let steps = 40;
        for k in 0..steps {
            let y1 = top + bar_h - k * bar_h / steps;
            let y0 = top + bar_h - (k + 1) * bar_h / steps;
            let t = (k as f64 + 0.5) / steps as f64;
            root.draw(&Rectangle::new(
                [(bar_x, y0), (bar_x + 16, y1)],
                scale(t).filled(),
            ))
            .map_err(draw_error)?;
        }
        root.draw(&Rectangle::new(
            [(bar_x, top), (bar_x + 16, top + bar_h)],
            GRID.stroke_width(1),
        ))
        .map_err(draw_error)?;
        let end = font(12.0).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(cell_text(hi), (bar_x + 22, top), end.clone()))
            .map_err(draw_error)?;
        root.draw(&Text::new(
            cell_text(lo),
            (bar_x + 22, top + bar_h),
            end.clone(),
        ))
        .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_scale() {
        assert_eq!(trim_number(2.0), "2");
        assert_eq!(trim_number(2.5), "2.5");
        assert_eq!(trim_number(1.0 / 3.0), "0.33");
        assert_eq!(trim_number(-0.001), "0");
        assert_eq!(Metric::Share.tick(0.25), "25%");
        assert_eq!(cell_text(0.004), "<0.01");
        assert_eq!(cell_text(0.0), "0.00");
        assert_eq!(cell_text(1.0 / 3.0), "0.33");
        assert_eq!(scale(0.0), RGBColor(0xF7, 0xFB, 0xFF));
        assert_eq!(scale(1.0), RGBColor(0x08, 0x30, 0x6B));
        assert_eq!(scale(0.5), RGBColor(0x6B, 0xAE, 0xD6));
    }

    #[test]
    fn metric_names_round_trip() {
        for name in Metric::NAMES {
            assert_eq!(name.parse::<Metric>().unwrap().to_string(), *name);
        }
        assert!("credit".parse::<Metric>().is_err());
    }

    #[test]
    fn states_sort_start_first_and_absorbing_last() {
        let mut s = vec!["(null)", "B", "(conversion)", "(start)", "A"];
        s.sort_by_key(|s| state_key(s));
        assert_eq!(s, ["(start)", "A", "B", "(conversion)", "(null)"]);
    }
}
