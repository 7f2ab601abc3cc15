//! PDFs for people: the assessment report, the commercial invoice ([`invoice_pdf`],
//! PDF/A-3 with the machine-readable invoice attached) and every other trade document from
//! its view ([`document_pdf`], with its renditions attached).
//!
//! The assessment report: the pathway staircase, the per-dimension bars and the history as
//! charts ([`chart`]), shared by the web page (inline SVG) and the PDF ([`render_pdf`]).
//!
//! The PDF is drawn with krilla using a sans-serif font found on the system at run time
//! ([`Fonts::system`]); tradewind ships no font file. Texts come resolved in one language
//! ([`Labels`] for the report's own words, the questionnaire's texts for the rest).

pub mod chart;
mod document;
mod fonts;
mod invoice;
mod labels;
mod pdf;

pub use document::{Attachment, document_pdf, verifiable_document_pdf};
pub use fonts::Fonts;
pub use invoice::{EmbeddedInvoice, invoice_pdf};
pub use labels::Labels;
pub use pdf::render_pdf;

use chart::{Bar, Drawing, Marker, Point, Step};
use tradewind_domain::assessment::{AssessmentResult, Band};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "no font for {what} was found in {searched}: install the Debian package {package} (apt-get install {package})"
    )]
    MissingFont { what: &'static str, package: &'static str, searched: String },
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// Everything a report shows, in one language.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// `en` or `zh`: picks the questionnaire's texts and the [`Labels`].
    pub lang: String,
    /// Who was assessed, for example the company's name or "Singapore (SG)".
    pub subject: String,
    /// "Company self-assessment" or "Economy assessment", in the report's language.
    pub kind_title: String,
    /// When it was submitted (or drafted), as a date.
    pub date: String,
    pub result: AssessmentResult,
    /// The pathway's bands, lowest first.
    pub bands: Vec<Band>,
    /// Earlier submitted scores of the same subject, oldest first, this one last.
    pub history: Vec<(String, u32)>,
}

impl ReportInput {
    pub fn labels(&self) -> Labels {
        Labels::of(&self.lang)
    }

    /// The staircase with the self-assessed score and, for a company, the measured one.
    pub fn staircase(&self) -> Drawing {
        let l = self.labels();
        let steps: Vec<Step> = self
            .bands
            .iter()
            .map(|b| Step {
                min: b.min,
                max: b.max,
                level: b.level.get(&self.lang).to_string(),
                stage: b.stage.get(&self.lang).to_string(),
            })
            .collect();
        let r = &self.result;
        let mine = Marker { score: r.score, label: l.fill(l.marker_self, r.score) };
        let measured =
            r.measured.as_ref().map(|m| Marker { score: m.score, label: l.fill(l.marker_measured, m.score) });
        let mut description = format!("{}: {} {}", l.pathway, mine.label, r.band.level.get(&self.lang));
        if let Some(m) = &measured {
            description.push_str(&format!("; {}", m.label));
        }
        chart::staircase(&steps, &mine, measured.as_ref(), description)
    }

    /// One bar per dimension.
    pub fn dimension_bars(&self) -> Drawing {
        let l = self.labels();
        let bars: Vec<Bar> = self
            .result
            .dimensions
            .iter()
            .map(|d| Bar {
                label: d.name.get(&self.lang).to_string(),
                percent: d.percent,
                value: format!("{}% · {}", d.percent, d.level.get(&self.lang)),
            })
            .collect();
        let description = format!(
            "{}: {}",
            l.dimensions,
            bars.iter().map(|b| format!("{} {}%", b.label, b.percent)).collect::<Vec<_>>().join(", ")
        );
        chart::bars(&bars, description)
    }

    /// Scores over time, when there is more than one.
    pub fn history_chart(&self) -> Option<Drawing> {
        if self.history.len() < 2 {
            return None;
        }
        let l = self.labels();
        let points: Vec<Point> =
            self.history.iter().map(|(label, score)| Point { label: label.clone(), score: *score }).collect();
        let boundaries: Vec<u32> = self.bands.iter().skip(1).map(|b| b.min).collect();
        let description = format!(
            "{}: {}",
            l.history,
            points.iter().map(|p| format!("{} {}", p.label, p.score)).collect::<Vec<_>>().join(", ")
        );
        Some(chart::history(&points, &boundaries, description))
    }
}
