//! Charts as plain shapes, drawn twice from one description: as inline SVG for the web
//! page and as vector paths in the PDF. Coordinates are points, y grows downwards.

use std::fmt::Write;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

pub const INK: Color = Color(0x1f, 0x29, 0x37);
pub const MUTED: Color = Color(0x5b, 0x65, 0x73);
pub const GRID: Color = Color(0xd5, 0xdb, 0xe3);
pub const ACCENT: Color = Color(0x0b, 0x5c, 0xad);
pub const MEASURED: Color = Color(0xb4, 0x53, 0x09);
/// The six steps of the pathway, lightest first.
pub const STEPS: [Color; 6] = [
    Color(0xe3, 0xee, 0xf9),
    Color(0xc8, 0xdd, 0xf2),
    Color(0xa6, 0xc8, 0xea),
    Color(0x80, 0xb0, 0xde),
    Color(0x57, 0x94, 0xcf),
    Color(0x2f, 0x77, 0xbd),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Color,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        stroke: Color,
        width: f32,
        dashed: bool,
    },
    /// A closed, filled polygon.
    Polygon {
        points: Vec<(f32, f32)>,
        fill: Color,
    },
    /// An open line through points.
    Polyline {
        points: Vec<(f32, f32)>,
        stroke: Color,
        width: f32,
    },
    /// One line of text; `y` is its baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        anchor: Anchor,
        bold: bool,
        fill: Color,
    },
}

/// A chart: its size, what it shows in words (for screen readers and the PDF's text), and
/// its shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawing {
    pub width: f32,
    pub height: f32,
    pub description: String,
    pub shapes: Vec<Shape>,
}

/// Roughly how wide a text is, for wrapping labels the same way in SVG and PDF: wide
/// (CJK) characters take a full em, others a little over half.
pub fn approx_width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| if is_wide(c) { 1.0 } else { 0.56 }).sum::<f32>() * size
}

pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6)
}

/// Splits a text into lines no wider than `width` by `measure`: at spaces, or between any
/// two wide characters (Chinese has no spaces).
pub fn wrap(text: &str, width: f32, measure: impl Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for token in tokens(text) {
        let candidate = if line.is_empty() { token.trim_start().to_string() } else { format!("{line}{token}") };
        if !line.is_empty() && measure(candidate.trim_end()) > width {
            lines.push(line.trim_end().to_string());
            line = token.trim_start().to_string();
        } else {
            line = candidate;
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Words with their leading space, and wide characters one by one.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c == ' ' || is_wide(c) {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            if is_wide(c) {
                out.push(c.to_string());
                continue;
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

impl Drawing {
    fn new(width: f32, height: f32, description: String) -> Drawing {
        Drawing { width, height, description, shapes: Vec::new() }
    }

    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str, anchor: Anchor, bold: bool, fill: Color) {
        self.shapes.push(Shape::Text { x, y, size, text: text.to_string(), anchor, bold, fill });
    }

    fn line(&mut self, (x1, y1): (f32, f32), (x2, y2): (f32, f32), stroke: Color, width: f32, dashed: bool) {
        self.shapes.push(Shape::Line { x1, y1, x2, y2, stroke, width, dashed });
    }

    /// Wrapped text, one line under the other from baseline `y`; returns the lines drawn.
    #[allow(clippy::too_many_arguments)]
    fn paragraph(&mut self, x: f32, y: f32, width: f32, size: f32, text: &str, anchor: Anchor, fill: Color) -> usize {
        let lines = wrap(text, width, |t| approx_width(t, size));
        for (i, l) in lines.iter().enumerate() {
            self.text(x, y + i as f32 * size * 1.2, size, l, anchor, false, fill);
        }
        lines.len()
    }

    /// The drawing as an inline SVG element, with its description as its accessible name.
    pub fn to_svg(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">"#,
            self.width,
            self.height,
            escape(&self.description)
        );
        for shape in &self.shapes {
            let _ = match shape {
                Shape::Rect { x, y, w, h, fill } => {
                    write!(s, r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}"/>"#, fill.hex())
                }
                Shape::Line { x1, y1, x2, y2, stroke, width, dashed } => write!(
                    s,
                    r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="{width}"{}/>"#,
                    stroke.hex(),
                    if *dashed { r#" stroke-dasharray="4 3""# } else { "" }
                ),
                Shape::Polygon { points, fill } => {
                    write!(s, r#"<polygon points="{}" fill="{}"/>"#, svg_points(points), fill.hex())
                }
                Shape::Polyline { points, stroke, width } => write!(
                    s,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{width}"/>"#,
                    svg_points(points),
                    stroke.hex()
                ),
                Shape::Text { x, y, size, text, anchor, bold, fill } => write!(
                    s,
                    r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{}"{} fill="{}">{}</text>"#,
                    match anchor {
                        Anchor::Start => "start",
                        Anchor::Middle => "middle",
                        Anchor::End => "end",
                    },
                    if *bold { r#" font-weight="bold""# } else { "" },
                    fill.hex(),
                    escape(text)
                ),
            };
        }
        s.push_str("</svg>");
        s
    }
}

fn svg_points(points: &[(f32, f32)]) -> String {
    points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")
}

/// Escapes text for SVG/HTML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One step of the pathway as the staircase draws it.
#[derive(Debug, Clone)]
pub struct Step {
    pub min: u32,
    pub max: u32,
    pub level: String,
    pub stage: String,
}

/// A marker on the staircase: a score and what to call it.
#[derive(Debug, Clone)]
pub struct Marker {
    pub score: u32,
    pub label: String,
}

const STAIR_W: f32 = 640.0;
const STAIR_H: f32 = 300.0;

/// Where a score sits along the staircase's width.
fn stair_x(steps: &[Step], score: u32, left: f32, step_w: f32) -> f32 {
    let i = steps.iter().position(|s| (s.min..=s.max).contains(&score)).unwrap_or(0);
    let s = &steps[i.min(steps.len().saturating_sub(1))];
    let span = (s.max + 1).saturating_sub(s.min).max(1) as f32;
    left + i as f32 * step_w + (score.saturating_sub(s.min) as f32 + 0.5) / span * step_w
}

/// The pathway as a staircase, one step per band rising to the right, with the stages
/// bracketed underneath and the self-assessed (and measured) score marked.
pub fn staircase(steps: &[Step], marker: &Marker, measured: Option<&Marker>, description: String) -> Drawing {
    let mut d = Drawing::new(STAIR_W, STAIR_H, description);
    if steps.is_empty() {
        return d;
    }
    let (left, right, base) = (8.0, STAIR_W - 8.0, 228.0);
    let top = 70.0;
    let step_w = (right - left) / steps.len() as f32;
    let rise = (base - top) / steps.len() as f32;
    for (i, s) in steps.iter().enumerate() {
        let x = left + i as f32 * step_w;
        let h = rise * (i as f32 + 1.0);
        let fill = STEPS[i.min(STEPS.len() - 1)];
        d.shapes.push(Shape::Rect { x, y: base - h, w: step_w - 2.0, h, fill });
        let ink = if i >= 4 { Color(0xff, 0xff, 0xff) } else { INK };
        d.paragraph(x + step_w / 2.0 - 1.0, base - h + 14.0, step_w - 10.0, 10.0, &s.level, Anchor::Middle, ink);
        d.text(x + step_w / 2.0 - 1.0, base + 13.0, 9.0, &format!("{}–{}", s.min, s.max), Anchor::Middle, false, MUTED);
    }
    // Stages: consecutive steps with the same stage share a bracket.
    let mut i = 0;
    while i < steps.len() {
        let mut j = i;
        while j + 1 < steps.len() && steps[j + 1].stage == steps[i].stage {
            j += 1;
        }
        let (x1, x2) = (left + i as f32 * step_w + 4.0, left + (j + 1) as f32 * step_w - 6.0);
        d.line((x1, base + 22.0), (x2, base + 22.0), MUTED, 1.0, false);
        d.line((x1, base + 18.0), (x1, base + 22.0), MUTED, 1.0, false);
        d.line((x2, base + 18.0), (x2, base + 22.0), MUTED, 1.0, false);
        d.text((x1 + x2) / 2.0, base + 36.0, 10.0, &steps[i].stage, Anchor::Middle, true, MUTED);
        i = j + 1;
    }
    let mut draw_marker = |m: &Marker, colour: Color, label_y: f32| {
        let x = stair_x(steps, m.score, left, step_w);
        let i = steps.iter().position(|s| (s.min..=s.max).contains(&m.score)).unwrap_or(0);
        let step_top = base - rise * (i as f32 + 1.0);
        d.line((x, label_y + 4.0), (x, step_top - 9.0), colour, 1.2, true);
        d.shapes.push(Shape::Polygon {
            points: vec![(x - 6.0, step_top - 10.0), (x + 6.0, step_top - 10.0), (x, step_top - 1.0)],
            fill: colour,
        });
        let anchor = if x < 90.0 {
            Anchor::Start
        } else if x > STAIR_W - 90.0 {
            Anchor::End
        } else {
            Anchor::Middle
        };
        let tx = match anchor {
            Anchor::Start => (x - 6.0).max(2.0),
            Anchor::End => (x + 6.0).min(STAIR_W - 2.0),
            Anchor::Middle => x,
        };
        d.text(tx, label_y, 12.0, &m.label, anchor, true, colour);
    };
    draw_marker(marker, ACCENT, 18.0);
    if let Some(m) = measured {
        draw_marker(m, MEASURED, 38.0);
    }
    d
}

/// One bar: a dimension and how much of it is in place.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub percent: u32,
    /// What to print after the bar, for example "64% · local integration".
    pub value: String,
}

/// Horizontal bars, one per dimension, 0 to 100 %, with light grid lines every 25 %.
pub fn bars(items: &[Bar], description: String) -> Drawing {
    let label_w = 190.0;
    let (bar_x, bar_w) = (label_w + 10.0, 250.0);
    let row = 34.0;
    let mut d = Drawing::new(STAIR_W, 20.0 + row * items.len() as f32, description);
    for pct in [0, 25, 50, 75, 100] {
        let x = bar_x + bar_w * pct as f32 / 100.0;
        d.line((x, 6.0), (x, d.height - 4.0), GRID, 1.0, pct != 0);
        d.text(x, d.height, 8.0, &format!("{pct}%"), Anchor::Middle, false, MUTED);
    }
    for (i, b) in items.iter().enumerate() {
        let y = 8.0 + i as f32 * row;
        let lines = wrap(&b.label, label_w, |t| approx_width(t, 10.0));
        let first = y + row / 2.0 + 3.5 - (lines.len().min(2) as f32 - 1.0) * 6.0;
        for (k, l) in lines.iter().take(2).enumerate() {
            d.text(label_w, first + k as f32 * 12.0, 10.0, l, Anchor::End, false, INK);
        }
        d.shapes.push(Shape::Rect { x: bar_x, y: y + 7.0, w: bar_w, h: row - 16.0, fill: STEPS[0] });
        let w = bar_w * b.percent.min(100) as f32 / 100.0;
        if w > 0.0 {
            d.shapes.push(Shape::Rect { x: bar_x, y: y + 7.0, w, h: row - 16.0, fill: ACCENT });
        }
        d.text(bar_x + bar_w + 8.0, y + row / 2.0 + 3.5, 10.0, &b.value, Anchor::Start, true, INK);
    }
    d
}

/// One submitted assessment in the history chart.
#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub score: u32,
}

/// Scores over time on the 11-100 scale, with the band boundaries as light lines.
pub fn history(points: &[Point], boundaries: &[u32], description: String) -> Drawing {
    let mut d = Drawing::new(STAIR_W, 200.0, description);
    let (left, right, top, bottom) = (34.0, STAIR_W - 20.0, 12.0, 170.0);
    let y_of = |score: u32| bottom - (score.clamp(11, 100) - 11) as f32 / 89.0 * (bottom - top);
    for &b in boundaries.iter().chain([11, 100].iter()) {
        d.line((left, y_of(b)), (right, y_of(b)), GRID, 1.0, b != 11);
        d.text(left - 4.0, y_of(b) + 3.0, 8.0, &b.to_string(), Anchor::End, false, MUTED);
    }
    let n = points.len().max(1);
    let x_of = |i: usize| {
        if n == 1 { (left + right) / 2.0 } else { left + 20.0 + (right - left - 40.0) * i as f32 / (n - 1) as f32 }
    };
    let line: Vec<(f32, f32)> = points.iter().enumerate().map(|(i, p)| (x_of(i), y_of(p.score))).collect();
    if line.len() > 1 {
        d.shapes.push(Shape::Polyline { points: line.clone(), stroke: ACCENT, width: 2.0 });
    }
    for (i, p) in points.iter().enumerate() {
        let (x, y) = (x_of(i), y_of(p.score));
        d.shapes.push(Shape::Polygon {
            points: vec![(x, y - 5.0), (x + 5.0, y), (x, y + 5.0), (x - 5.0, y)],
            fill: ACCENT,
        });
        d.text(x, y - 9.0, 10.0, &p.score.to_string(), Anchor::Middle, true, INK);
        d.text(x, bottom + 18.0, 9.0, &p.label, Anchor::Middle, false, MUTED);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps() -> Vec<Step> {
        [
            (11, 20, "start-up", "preliminary"),
            (21, 35, "internal application", "preliminary"),
            (36, 50, "external application", "developing"),
            (51, 65, "local integration", "developing"),
            (66, 85, "cross-border integration", "mature"),
            (86, 100, "global integration", "mature"),
        ]
        .into_iter()
        .map(|(min, max, level, stage)| Step { min, max, level: level.into(), stage: stage.into() })
        .collect()
    }

    #[test]
    fn the_marker_sits_on_the_step_of_its_score() {
        let s = steps();
        let step_w = 100.0;
        for (score, step) in [(11, 0), (20, 0), (21, 1), (50, 2), (51, 3), (86, 5), (100, 5)] {
            let x = stair_x(&s, score, 0.0, step_w);
            assert!(x > step as f32 * step_w && x < (step + 1) as f32 * step_w, "score {score} at {x}");
        }
    }

    #[test]
    fn the_staircase_names_every_level_stage_and_the_score() {
        let d = staircase(
            &steps(),
            &Marker { score: 42, label: "Score 42".into() },
            Some(&Marker { score: 24, label: "Measured 24".into() }),
            "staircase".into(),
        );
        let svg = d.to_svg();
        for needle in ["Score 42", "Measured 24", "start-up", "global", "preliminary", "developing", "mature", "36–50"]
        {
            assert!(svg.contains(needle), "{needle} missing");
        }
        assert_eq!(d.shapes.iter().filter(|s| matches!(s, Shape::Rect { .. })).count(), 6);
    }

    #[test]
    fn svg_text_is_escaped() {
        let d = bars(&[Bar { label: "<script>&".into(), percent: 40, value: "40%".into() }], "a \"b\"".into());
        let svg = d.to_svg();
        assert!(svg.contains("&lt;script&gt;&amp;"));
        assert!(svg.contains("aria-label=\"a &quot;b&quot;\""));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn wrapping_keeps_words_and_breaks_chinese_anywhere() {
        let measure = |t: &str| approx_width(t, 10.0);
        assert_eq!(wrap("cross-border integration", 80.0, measure), vec!["cross-border", "integration"]);
        assert_eq!(wrap("short", 80.0, measure), vec!["short"]);
        let zh = wrap("跨境整合全球整合", 40.0, measure);
        assert_eq!(zh, vec!["跨境整合", "全球整合"]);
        assert!(wrap("", 10.0, measure).is_empty());
    }

    #[test]
    fn history_draws_a_point_per_assessment() {
        let d = history(
            &[Point { label: "2025-01".into(), score: 30 }, Point { label: "2025-06".into(), score: 44 }],
            &[20, 35],
            "h".into(),
        );
        assert_eq!(d.shapes.iter().filter(|s| matches!(s, Shape::Polyline { .. })).count(), 1);
        assert!(d.to_svg().contains(">44<"));
    }
}
