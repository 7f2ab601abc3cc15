//! Fonts for the PDF, found among the fonts installed on the system (Debian puts them
//! under `/usr/share/fonts`). tradewind ships none: install `fonts-dejavu-core` (or
//! `fonts-liberation`) for Latin text and `fonts-noto-cjk` for Chinese.

use crate::ReportError;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Sans-serif families for Latin text, preferred first.
const LATIN: &[&str] = &["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"];
/// Families with Chinese characters, preferred first.
const CJK: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
];

/// One loaded face: its bytes for krilla and for measuring.
#[derive(Clone)]
pub(crate) struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    pub(crate) pdf: krilla::text::Font,
}

impl Face {
    fn load(db: &fontdb::Database, id: fontdb::ID) -> Option<Face> {
        let (data, index) = db.with_face_data(id, |data, index| (data.to_vec(), index))?;
        let data = Arc::new(data);
        let pdf = krilla::text::Font::new(krilla::Data::from(data.clone()), index)?;
        Some(Face { data, index, pdf })
    }

    fn parsed(&self) -> Option<ttf_parser::Face<'_>> {
        ttf_parser::Face::parse(&self.data, self.index).ok()
    }

    /// True when the face has a glyph for every character (spaces aside).
    pub(crate) fn covers(&self, text: &str) -> bool {
        let Some(f) = self.parsed() else { return false };
        text.chars().filter(|c| !c.is_whitespace()).all(|c| f.glyph_index(c).is_some())
    }

    /// The width of `text` at `size`, from the glyphs' advances.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let Some(f) = self.parsed() else { return crate::chart::approx_width(text, size) };
        let units = f.units_per_em().max(1) as f32;
        let advance: u32 = text
            .chars()
            .map(|c| f.glyph_index(c).and_then(|g| f.glyph_hor_advance(g)).unwrap_or(f.units_per_em() / 2) as u32)
            .sum();
        advance as f32 / units * size
    }
}

/// The faces a report is drawn with.
#[derive(Clone)]
pub struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
    pub(crate) cjk: Option<Face>,
    searched: String,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("cjk", &self.cjk.is_some()).field("searched", &self.searched).finish()
    }
}

impl Fonts {
    /// The system's fonts, looked up once per process.
    pub fn system() -> Result<Fonts, ReportError> {
        static SYSTEM: OnceLock<Fonts> = OnceLock::new();
        if let Some(f) = SYSTEM.get() {
            return Ok(f.clone());
        }
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let fonts = Fonts::from_database(&db, "the system font folders (/usr/share/fonts, …)")?;
        Ok(SYSTEM.get_or_init(|| fonts).clone())
    }

    /// Fonts from the given folders only (for tests and unusual installations).
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<Fonts, ReportError> {
        let mut db = fontdb::Database::new();
        for d in dirs {
            db.load_fonts_dir(d);
        }
        let searched = dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ");
        Fonts::from_database(&db, &searched)
    }

    fn from_database(db: &fontdb::Database, searched: &str) -> Result<Fonts, ReportError> {
        let find = |families: &[&str], weight: u16| {
            families.iter().find_map(|name| {
                let query = fontdb::Query {
                    families: &[fontdb::Family::Name(name)],
                    weight: fontdb::Weight(weight),
                    ..fontdb::Query::default()
                };
                db.query(&query).and_then(|id| Face::load(db, id))
            })
        };
        let missing = || ReportError::MissingFont {
            what: "Latin text (a sans-serif such as DejaVu Sans)",
            package: "fonts-dejavu-core",
            searched: searched.to_string(),
        };
        let regular = find(LATIN, 400).ok_or_else(missing)?;
        let bold = find(LATIN, 700).unwrap_or_else(|| regular.clone());
        Ok(Fonts { regular, bold, cjk: find(CJK, 400), searched: searched.to_string() })
    }

    /// The face to draw `text` with: the Latin one when it has every glyph, else the CJK
    /// one, else an error naming the package to install.
    pub(crate) fn face_for(&self, text: &str, bold: bool) -> Result<&Face, ReportError> {
        let latin = if bold { &self.bold } else { &self.regular };
        if latin.covers(text) {
            return Ok(latin);
        }
        match &self.cjk {
            Some(cjk) if cjk.covers(text) => Ok(cjk),
            _ => Err(ReportError::MissingFont {
                what: "Chinese text",
                package: "fonts-noto-cjk",
                searched: self.searched.clone(),
            }),
        }
    }

    /// The width of `text` as it will be drawn.
    pub(crate) fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        match self.face_for(text, bold) {
            Ok(face) => face.width(text, size),
            Err(_) => crate::chart::approx_width(text, size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_font_folder_names_the_package_to_install() {
        let dir = std::env::temp_dir().join(format!("tw-no-fonts-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let Err(e) = Fonts::from_dirs(std::slice::from_ref(&dir)) else { panic!("no fonts there") };
        let message = e.to_string();
        assert!(message.contains("apt-get install fonts-dejavu-core"), "{message}");
        assert!(message.contains(&dir.display().to_string()), "{message}");
        let _ = std::fs::remove_dir(&dir);
    }

    #[test]
    fn system_fonts_measure_text() {
        let Ok(fonts) = Fonts::system() else {
            println!("skipping: no system sans-serif font (install fonts-dejavu-core)");
            return;
        };
        let narrow = fonts.width("iiii", 10.0, false);
        let wide = fonts.width("WWWW", 10.0, false);
        assert!(narrow > 0.0 && wide > narrow);
        assert!(fonts.width("Score", 10.0, true) >= fonts.width("Score", 10.0, false));
    }
}
