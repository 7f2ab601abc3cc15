//! The PDF: A4 pages laid out top to bottom (headline, score, charts, action plan,
//! measured score, history), drawn with krilla.

use crate::chart::{self, Anchor, Color, Drawing, Shape};
use crate::fonts::Fonts;
use crate::{ReportError, ReportInput};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::TextDirection;
use tradewind_domain::assessment::{Coverage, FeatureStatus};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN: f32 = 48.0;
pub(crate) const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
pub(crate) const BOTTOM: f32 = PAGE_H - 56.0;

/// What goes on a page: shapes in page coordinates, or a chart placed and scaled.
pub(crate) enum Item {
    Shape(Shape),
    Chart { drawing: Drawing, x: f32, y: f32, scale: f32 },
}

/// Flows blocks down the pages, starting a new page when one does not fit.
pub(crate) struct Layout<'f> {
    pub(crate) fonts: &'f Fonts,
    pub(crate) pages: Vec<Vec<Item>>,
    pub(crate) y: f32,
}

impl<'f> Layout<'f> {
    pub(crate) fn new(fonts: &'f Fonts) -> Self {
        Layout { fonts, pages: vec![Vec::new()], y: MARGIN }
    }

    pub(crate) fn page(&mut self) -> &mut Vec<Item> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub(crate) fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, text: &str, bold: bool, fill: Color) {
        self.page().push(Item::Shape(Shape::Text {
            x,
            y,
            size,
            text: text.to_string(),
            anchor: Anchor::Start,
            bold,
            fill,
        }));
    }

    /// Wrapped text at `indent` from the margin; moves the cursor below it.
    pub(crate) fn para(&mut self, indent: f32, size: f32, bold: bool, fill: Color, text: &str) {
        let fonts = self.fonts;
        let lines = chart::wrap(text, WIDTH - indent, |t| fonts.width(t, size, bold));
        let lead = size * 1.35;
        for line in lines {
            self.ensure(lead);
            self.y += size;
            let y = self.y;
            self.text(MARGIN + indent, y, size, &line, bold, fill);
            self.y += lead - size;
        }
    }

    pub(crate) fn heading(&mut self, text: &str) {
        self.ensure(60.0);
        self.y += 14.0;
        self.para(0.0, 13.0, true, chart::INK, text);
        self.y += 4.0;
    }

    pub(crate) fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn chart(&mut self, drawing: Drawing) {
        let scale = (WIDTH / drawing.width).min(1.0);
        let h = drawing.height * scale;
        self.ensure(h);
        let (x, y) = (MARGIN, self.y);
        self.y += h + 6.0;
        self.page().push(Item::Chart { drawing, x, y, scale });
    }
}

/// Renders the report as a PDF.
pub fn render_pdf(input: &ReportInput, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    let l = input.labels();
    let lang = input.lang.as_str();
    let r = &input.result;
    let mut out = Layout::new(fonts);

    // Who and when.
    out.para(0.0, 20.0, true, chart::INK, l.title);
    out.gap(2.0);
    out.para(0.0, 13.0, true, chart::INK, &input.subject);
    let meta = format!(
        "{} · {} · {} {} · {} / {} {}",
        input.kind_title, input.date, l.questionnaire, r.questionnaire_version, r.answered, r.questions, l.answered
    );
    out.para(0.0, 9.5, false, chart::MUTED, &meta);
    out.gap(10.0);

    // The score, its level and stage.
    out.ensure(70.0);
    let top = out.y;
    let big = r.score.to_string();
    out.text(MARGIN, top + 40.0, 44.0, &big, true, chart::ACCENT);
    let number_w = fonts.width(&big, 44.0, true);
    out.text(MARGIN + number_w + 6.0, top + 40.0, 12.0, l.score_of, false, chart::MUTED);
    let indent = number_w + fonts.width(l.score_of, 12.0, false) + 24.0;
    out.y = top + 4.0;
    out.para(indent, 15.0, true, chart::INK, r.band.level.get(lang));
    out.para(indent, 11.0, false, chart::MUTED, &format!("{} {}", r.band.stage.get(lang), l.stage));
    out.para(indent, 10.0, false, chart::INK, r.band.summary.get(lang));
    out.y = out.y.max(top + 52.0);
    if let Some(m) = &r.measured {
        out.gap(6.0);
        out.para(
            0.0,
            11.0,
            true,
            chart::MEASURED,
            &format!("{}: {} {} · {}", l.measured_title, m.score, l.score_of, m.band.level.get(lang)),
        );
        let note = match m.coverage {
            Coverage::RegistrationOnly => l.registration_only.to_string(),
            Coverage::Trades => l.fill(l.measured_on, m.trades),
        };
        out.para(0.0, 9.5, false, chart::MUTED, &note);
    }

    out.heading(l.pathway);
    out.chart(input.staircase());
    out.heading(l.dimensions);
    out.chart(input.dimension_bars());

    // The action plan, biggest step first.
    out.heading(l.action_plan);
    if r.action_plan.is_empty() {
        out.para(0.0, 10.0, false, chart::INK, l.no_gaps);
    } else {
        out.para(0.0, 9.5, false, chart::MUTED, l.action_lead);
        out.gap(4.0);
    }
    for (i, item) in r.action_plan.iter().enumerate() {
        out.ensure(48.0);
        let number = format!("{}.", i + 1);
        let y = out.y + 10.5;
        out.text(MARGIN, y, 10.5, &number, true, chart::ACCENT);
        out.para(22.0, 10.5, true, chart::INK, item.step.get(lang));
        let meta = format!(
            "{} · {}: {} → {}: {} · {}",
            item.dimension.get(lang),
            l.from,
            item.current.get(lang),
            l.to,
            item.next.get(lang),
            l.fill(l.gain, format!("{:.1}", item.gain)),
        );
        out.para(22.0, 9.0, false, chart::MUTED, &meta);
        if let Some(f) = &item.feature {
            let label = match f.status {
                FeatureStatus::Available => l.feature_available,
                FeatureStatus::Planned => l.feature_planned,
            };
            out.para(22.0, 9.0, false, chart::ACCENT, &format!("{label}: {}", f.name.get(lang)));
        }
        out.gap(5.0);
    }

    // What the measured score counted.
    if let Some(m) = &r.measured {
        out.heading(l.measured_title);
        for ind in &m.indicators {
            let value = match ind.percent {
                Some(p) => format!("{p}%"),
                None => l.not_measured.to_string(),
            };
            out.para(0.0, 9.5, false, chart::INK, &format!("{} ({}/100): {value}", ind.name.get(lang), ind.weight));
        }
    }

    if let Some(h) = input.history_chart() {
        out.heading(l.history);
        out.chart(h);
    }

    draw(out, input, fonts)
}

fn draw(layout: Layout<'_>, input: &ReportInput, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    let l = input.labels();
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} · {}", l.title, input.subject))
            .creator("tradewind".to_string())
            .language(input.lang.clone()),
    );
    draw_pages(&mut doc, layout, fonts, |n, total| format!("tradewind · {} · {} {n}/{total}", input.subject, l.page))?;
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

/// Draws the laid-out pages into `doc`, each with its footer line.
pub(crate) fn draw_pages(
    doc: &mut Document,
    layout: Layout<'_>,
    fonts: &Fonts,
    footer: impl Fn(usize, usize) -> String,
) -> Result<(), ReportError> {
    let total = layout.pages.len();
    for (n, items) in layout.pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| ReportError::Pdf("bad page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for item in &items {
            match item {
                Item::Shape(s) => shape(&mut surface, s, fonts)?,
                Item::Chart { drawing, x, y, scale } => {
                    surface.push_transform(&Transform::from_row(*scale, 0.0, 0.0, *scale, *x, *y));
                    for s in &drawing.shapes {
                        shape(&mut surface, s, fonts)?;
                    }
                    surface.pop();
                }
            }
        }
        let text = footer(n + 1, total);
        shape(
            &mut surface,
            &Shape::Text {
                x: MARGIN,
                y: PAGE_H - 28.0,
                size: 8.0,
                text,
                anchor: Anchor::Start,
                bold: false,
                fill: chart::MUTED,
            },
            fonts,
        )?;
        surface.finish();
        page.finish();
    }
    Ok(())
}

fn paint(c: Color) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Color) -> Fill {
    Fill { paint: paint(c), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn shape(surface: &mut Surface<'_>, s: &Shape, fonts: &Fonts) -> Result<(), ReportError> {
    match s {
        Shape::Rect { x, y, w, h, fill: c } => {
            let mut pb = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                pb.push_rect(rect);
            }
            if let Some(path) = pb.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(*c)));
                surface.draw_path(&path);
            }
        }
        Shape::Line { x1, y1, x2, y2, stroke, width, dashed } => {
            stroke_path(surface, &[(*x1, *y1), (*x2, *y2)], *stroke, *width, *dashed);
        }
        Shape::Polyline { points, stroke, width } => stroke_path(surface, points, *stroke, *width, false),
        Shape::Polygon { points, fill: c } => {
            let mut pb = PathBuilder::new();
            for (i, (x, y)) in points.iter().enumerate() {
                if i == 0 { pb.move_to(*x, *y) } else { pb.line_to(*x, *y) }
            }
            pb.close();
            if let Some(path) = pb.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(*c)));
                surface.draw_path(&path);
            }
        }
        Shape::Text { x, y, size, text, anchor, bold, fill: c } => {
            if text.trim().is_empty() {
                return Ok(());
            }
            let face = fonts.face_for(text, *bold)?;
            let w = face.width(text, *size);
            let x = match anchor {
                Anchor::Start => *x,
                Anchor::Middle => x - w / 2.0,
                Anchor::End => x - w,
            };
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*c)));
            surface.draw_text(Point::from_xy(x, *y), face.pdf.clone(), *size, text, false, TextDirection::Auto);
        }
    }
    Ok(())
}

fn stroke_path(surface: &mut Surface<'_>, points: &[(f32, f32)], c: Color, width: f32, dashed: bool) {
    let mut pb = PathBuilder::new();
    for (i, (x, y)) in points.iter().enumerate() {
        if i == 0 { pb.move_to(*x, *y) } else { pb.line_to(*x, *y) }
    }
    let Some(path) = pb.finish() else { return };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: paint(c),
        width,
        dash: dashed.then(|| StrokeDash { array: vec![4.0, 3.0], offset: 0.0 }),
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
}

/// Runs a command-line tool (poppler's `pdftotext`, `pdfdetach`) on a PDF in tests; `None`
/// when it is not installed or fails.
#[cfg(test)]
pub(crate) fn tool(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradewind_domain::assessment::{Answers, Kind, PlatformActivity, Questionnaire};

    #[test]
    fn a_company_report_is_a_pdf_with_its_pages() {
        let Ok(fonts) = Fonts::system() else {
            println!("skipping: no system sans-serif font (install fonts-dejavu-core)");
            return;
        };
        let q = Questionnaire::builtin();
        let mut answers = Answers::default();
        for (_, question) in q.questions(Kind::Company).take(5) {
            answers.0.insert(question.id.clone(), question.max_level());
        }
        let mut result = q.score(Kind::Company, &answers);
        result.measured = Some(q.measure(&PlatformActivity { registered: true, ..Default::default() }));
        for lang in ["en", "zh"] {
            let input = ReportInput {
                lang: lang.into(),
                subject: "Harbour Lights Shipping Ltd".into(),
                kind_title: q.company.title.get(lang).into(),
                date: "2025-11-26".into(),
                result: result.clone(),
                bands: q.bands.clone(),
                history: vec![("2025-01-02".into(), 20), ("2025-11-26".into(), result.score)],
            };
            match render_pdf(&input, &fonts) {
                Ok(pdf) => {
                    assert!(pdf.starts_with(b"%PDF-"));
                    assert!(pdf.len() > 5_000);
                }
                Err(ReportError::MissingFont { package, .. }) if lang == "zh" => {
                    assert_eq!(package, "fonts-noto-cjk");
                    println!("skipping the Chinese report: no CJK font installed");
                }
                Err(e) => panic!("{lang}: {e}"),
            }
        }
    }
}
