//! Inline SVG charts, written by hand: horizontal bars with error bars, stacked bars, a
//! histogram and a heatmap. Every label is escaped; sizes depend only on the data.

use std::fmt::Write as _;

use super::text::esc;

/// Series colours (Tableau 10: distinguishable, and readable when printed in grey).
pub(crate) const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Roughly the width of `s` in pixels at 12 px (proportional fonts average ~0.58 em).
fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * 7.0
}

/// `s` cut to `max` characters with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Tick positions covering `[lo, hi]`: steps of 1, 2 or 5 × 10^k, about five of them.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return vec![lo];
    }
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let mut out = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi + step * 1e-9 && out.len() < 20 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

/// A linear scale from data `[lo, hi]` to pixels `[a, b]`.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    a: f64,
    b: f64,
}

impl Scale {
    /// The domain `[min(0, lo), max(0, hi)]`, widened when empty.
    fn new(lo: f64, hi: f64, a: f64, b: f64) -> Scale {
        let (lo, hi) = (lo.min(0.0), hi.max(0.0));
        let hi = if hi > lo { hi } else { lo + 1.0 };
        Scale { lo, hi, a, b }
    }

    fn at(&self, x: f64) -> f64 {
        self.a + (x - self.lo) / (self.hi - self.lo) * (self.b - self.a)
    }
}

fn open(w: f64, h: f64, label: &str) -> String {
    format!(
        r#"<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}">"#,
        esc(label)
    )
}

fn legend(svg: &mut String, items: &[(String, usize)], x: f64, y: f64) {
    let mut x = x;
    for (name, c) in items {
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{y:.1}" class="lg">{}</text>"#,
            y - 9.0,
            color(*c),
            x + 14.0,
            esc(name)
        );
        x += 24.0 + text_width(name);
    }
}

/// A row's label, right-aligned at `x`: clipped to 28 characters, the full name as its tooltip.
fn row_label(svg: &mut String, name: &str, x: f64, y: f64) {
    let _ = write!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" class="lbl" text-anchor="end"><title>{}</title>{}</text>"#,
        esc(name),
        esc(&clip(name, 28))
    );
}

/// Vertical grid lines at the round ticks of `x`, from `top` to `bottom`, labelled below with
/// `fmt`.
fn grid(svg: &mut String, x: &Scale, top: f64, bottom: f64, fmt: fn(f64) -> String) {
    for t in ticks(x.lo, x.hi) {
        let px = x.at(t);
        let _ = write!(
            svg,
            r#"<line x1="{px:.1}" y1="{top:.1}" x2="{px:.1}" y2="{bottom:.1}" class="grid"/><text x="{px:.1}" y="{:.1}" class="tick" text-anchor="middle">{}</text>"#,
            bottom + 14.0,
            esc(&fmt(t))
        );
    }
}

/// One bar of [`hbars`].
pub(crate) struct HBar {
    /// The value drawn.
    pub value: f64,
    /// An interval drawn as an error bar.
    pub ci: Option<[f64; 2]>,
    /// Colour index.
    pub color: usize,
    /// Which slot of the row it occupies (bars sharing a slot overlap: show one at a time).
    pub slot: usize,
    /// Extra attributes of the bar's `<g>` (already escaped), e.g. `data-model="…"`.
    pub attrs: String,
}

/// One row (a channel) of [`hbars`].
pub(crate) struct HRow {
    pub label: String,
    pub bars: Vec<HBar>,
}

/// Horizontal bars, `slots` per row, with error bars and value labels.
pub(crate) fn hbars(
    rows: &[HRow],
    slots: usize,
    items: &[(String, usize)],
    fmt: fn(f64) -> String,
    label: &str,
) -> String {
    let bar_h = 14.0;
    let row_h = slots.max(1) as f64 * (bar_h + 2.0) + 10.0;
    let label_w = rows
        .iter()
        .map(|r| text_width(&clip(&r.label, 28)))
        .fold(60.0, f64::max)
        + 12.0;
    let plot_w = 520.0;
    let value_w = 70.0;
    let top = 28.0;
    let (w, h) = (
        label_w + plot_w + value_w,
        top + rows.len() as f64 * row_h + 24.0,
    );
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for b in rows.iter().flat_map(|r| &r.bars) {
        let [l, u] = b.ci.unwrap_or([b.value, b.value]);
        lo = lo.min(b.value).min(l);
        hi = hi.max(b.value).max(u);
    }
    let x = Scale::new(lo, hi, label_w, label_w + plot_w);
    let mut svg = open(w, h, label);
    legend(&mut svg, items, label_w, 14.0);
    grid(&mut svg, &x, top, top + rows.len() as f64 * row_h, fmt);
    for (i, r) in rows.iter().enumerate() {
        let y0 = top + i as f64 * row_h + 5.0;
        row_label(&mut svg, &r.label, label_w - 8.0, y0 + row_h / 2.0 - 3.0);
        for b in &r.bars {
            let y = y0 + b.slot as f64 * (bar_h + 2.0);
            let (x0, x1) = (x.at(0.0), x.at(b.value));
            let _ = write!(
                svg,
                r#"<g {}><rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{bar_h}" fill="{}"><title>{}: {}</title></rect>"#,
                b.attrs,
                x0.min(x1),
                (x1 - x0).abs().max(0.5),
                color(b.color),
                esc(&r.label),
                esc(&fmt(b.value))
            );
            if let Some([l, u]) = b.ci {
                let (xl, xu, ym) = (x.at(l), x.at(u), y + bar_h / 2.0);
                let _ = write!(
                    svg,
                    r#"<path class="err" d="M{xl:.1},{ym:.1}H{xu:.1}M{xl:.1},{:.1}V{:.1}M{xu:.1},{:.1}V{:.1}"/>"#,
                    ym - 4.0,
                    ym + 4.0,
                    ym - 4.0,
                    ym + 4.0
                );
            }
            let right = b.ci.map_or(x1, |[_, u]| x.at(u)).max(x1);
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" class="val">{}</text></g>"#,
                right + 4.0,
                y + bar_h - 3.0,
                esc(&fmt(b.value))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Stacked horizontal bars: per row, one segment per series.
pub(crate) fn stacked(
    rows: &[(String, Vec<f64>)],
    items: &[(String, usize)],
    fmt: fn(f64) -> String,
    label: &str,
) -> String {
    let bar_h = 18.0;
    let row_h = bar_h + 10.0;
    let label_w = rows
        .iter()
        .map(|r| text_width(&clip(&r.0, 28)))
        .fold(60.0, f64::max)
        + 12.0;
    let plot_w = 520.0;
    let top = 28.0;
    let (w, h) = (
        label_w + plot_w + 70.0,
        top + rows.len() as f64 * row_h + 24.0,
    );
    let hi = rows
        .iter()
        .map(|r| r.1.iter().map(|v| v.max(0.0)).sum::<f64>())
        .fold(0.0, f64::max);
    let x = Scale::new(0.0, hi, label_w, label_w + plot_w);
    let mut svg = open(w, h, label);
    legend(&mut svg, items, label_w, 14.0);
    grid(&mut svg, &x, top, top + rows.len() as f64 * row_h, fmt);
    for (i, (name, values)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h + 5.0;
        row_label(&mut svg, name, label_w - 8.0, y + bar_h - 5.0);
        let mut at = 0.0;
        for (s, &v) in values.iter().enumerate() {
            let v = v.max(0.0);
            let (x0, x1) = (x.at(at), x.at(at + v));
            let series = items.get(s).map_or("", |it| it.0.as_str());
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{bar_h}" fill="{}"><title>{}, {}: {}</title></rect>"#,
                (x1 - x0).max(0.0),
                color(items.get(s).map_or(s, |it| it.1)),
                esc(name),
                esc(series),
                esc(&fmt(v))
            );
            at += v;
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="val">{}</text>"#,
            x.at(at) + 4.0,
            y + bar_h - 5.0,
            esc(&fmt(at))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical bars (a histogram of fixed bins), each labelled with its value.
pub(crate) fn columns(
    bins: &[(String, f64)],
    c: usize,
    fmt: fn(f64) -> String,
    label: &str,
) -> String {
    // Wide enough for the longest bin label at 11 px.
    let col_w = bins
        .iter()
        .map(|b| b.0.chars().count() as f64 * 6.2 + 12.0)
        .fold(52.0, f64::max);
    let (left, top, plot_h) = (44.0, 16.0, 180.0);
    let w = left + bins.len() as f64 * col_w + 10.0;
    let h = top + plot_h + 40.0;
    let hi = bins.iter().map(|b| b.1).fold(0.0, f64::max);
    let y = Scale::new(0.0, hi, top + plot_h, top);
    let mut svg = open(w, h, label);
    for t in ticks(y.lo, y.hi) {
        let py = y.at(t);
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" class="grid"/><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{}</text>"#,
            w - 10.0,
            left - 4.0,
            py + 4.0,
            esc(&fmt(t))
        );
    }
    for (i, (name, v)) in bins.iter().enumerate() {
        let x0 = left + i as f64 * col_w + 6.0;
        let (y0, y1) = (y.at(0.0), y.at(*v));
        let _ = write!(
            svg,
            r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" class="val" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" class="tick" text-anchor="middle">{}</text>"#,
            y1.min(y0),
            col_w - 12.0,
            (y0 - y1).abs().max(0.5),
            color(c),
            esc(name),
            esc(&fmt(*v)),
            x0 + (col_w - 12.0) / 2.0,
            y1.min(y0) - 4.0,
            esc(&fmt(*v)),
            x0 + (col_w - 12.0) / 2.0,
            top + plot_h + 16.0,
            esc(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A sequential blue scale: `t` in [0, 1] from near-white through #6baed6 to #08306b.
fn blues(t: f64) -> String {
    const STOPS: [(f64, [f64; 3]); 3] = [
        (0.0, [247.0, 251.0, 255.0]),
        (0.5, [107.0, 174.0, 214.0]),
        (1.0, [8.0, 48.0, 107.0]),
    ];
    let t = t.clamp(0.0, 1.0);
    let (a, b) = if t <= 0.5 {
        (STOPS[0], STOPS[1])
    } else {
        (STOPS[1], STOPS[2])
    };
    let u = (t - a.0) / (b.0 - a.0);
    let c: Vec<u8> = (0..3)
        .map(|i| (a.1[i] + (b.1[i] - a.1[i]) * u).round() as u8)
        .collect();
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// A heatmap of `cells[r][c]` in [0, 1] (white to dark blue), rows and columns labelled.
pub(crate) fn heatmap(
    rows: &[String],
    cols: &[String],
    cells: &[Vec<f64>],
    fmt: fn(f64) -> String,
    label: &str,
) -> String {
    let n = rows.len().max(cols.len()).max(1) as f64;
    let cell = (640.0 / n).clamp(10.0, 44.0);
    let left = rows
        .iter()
        .map(|r| text_width(&clip(r, 24)))
        .fold(40.0, f64::max)
        + 10.0;
    let top = cols
        .iter()
        .map(|c| text_width(&clip(c, 24)))
        .fold(40.0, f64::max)
        * 0.72
        + 14.0;
    let (w, h) = (
        left + cols.len() as f64 * cell + 10.0,
        top + rows.len() as f64 * cell + 10.0,
    );
    let mut svg = open(w, h, label);
    for (j, c) in cols.iter().enumerate() {
        let x = left + (j as f64 + 0.5) * cell;
        let _ = write!(
            svg,
            r#"<text transform="translate({x:.1},{:.1}) rotate(-45)" class="tick"><title>{}</title>{}</text>"#,
            top - 6.0,
            esc(c),
            esc(&clip(c, 24))
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as f64 * cell;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="tick" text-anchor="end"><title>{}</title>{}</text>"#,
            left - 6.0,
            y + cell / 2.0 + 4.0,
            esc(r),
            esc(&clip(r, 24))
        );
        for (j, &p) in cells[i].iter().enumerate() {
            let x = left + j as f64 * cell;
            let p = p.clamp(0.0, 1.0);
            let fill = blues(p.sqrt());
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{cell:.1}" height="{cell:.1}" fill="{fill}" class="hm"><title>{} → {}: {}</title></rect>"#,
                esc(r),
                esc(&cols[j]),
                esc(&fmt(p))
            );
            if cell >= 30.0 && p > 0.0 {
                let _ = write!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" class="hmv{}" text-anchor="middle">{}</text>"#,
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0,
                    if p.sqrt() > 0.6 { " dark" } else { "" },
                    esc(&fmt(p))
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 10.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.0, 7.0), [0.0, 2.0, 4.0, 6.0]);
        assert_eq!(ticks(-1.0, 1.0), [-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(ticks(0.0, 0.0), [0.0]);
    }

    #[test]
    fn labels_are_escaped_and_clipped() {
        let name = "<script>alert(1)</script>".to_string();
        let svg = hbars(
            &[HRow {
                label: name.clone(),
                bars: vec![HBar {
                    value: 1.0,
                    ci: Some([0.5, 1.5]),
                    color: 0,
                    slot: 0,
                    attrs: String::new(),
                }],
            }],
            1,
            &[(name, 0)],
            |x| x.to_string(),
            "t",
        );
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
