//! The questionnaire file: its model, parsing (TOML or JSON) and the checks that make a
//! file safe to score with.

use super::measured::Indicator;
use super::{Kind, MAX_SCORE, MIN_SCORE};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The file format this code reads (`format = 1`).
pub const FORMAT: u32 = 1;

/// A text in one or more languages, keyed by language code (`en`, `zh`). English is
/// required; other languages fall back to it. In the file a plain string means English.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(BTreeMap<String, String>);

impl Text {
    /// An English-only text.
    pub fn en(text: &str) -> Text {
        Text(BTreeMap::from([("en".to_string(), text.to_string())]))
    }

    /// The text in `lang`, or in English when it has no such translation.
    pub fn get(&self, lang: &str) -> &str {
        self.0.get(lang).or_else(|| self.0.get("en")).map(String::as_str).unwrap_or("")
    }

    fn has_english(&self) -> bool {
        self.0.get("en").is_some_and(|t| !t.trim().is_empty())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Plain(String),
            Languages(BTreeMap<String, String>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Plain(s) => Text::en(&s),
            Raw::Languages(m) => Text(m),
        })
    }
}

/// A questionnaire: answer scales, the pathway's bands, the tradewind features actions can
/// point to, one section per [`Kind`], and the weights of the measured score.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// The file format, [`FORMAT`].
    pub format: u32,
    /// The questionnaire's own version, stored with every assessment scored with it.
    pub version: String,
    pub title: Text,
    /// Named answer scales: the labels of levels 0, 1, 2…
    pub scales: BTreeMap<String, Vec<Text>>,
    /// The pathway, lowest band first; together the bands cover 11 to 100 exactly once.
    pub bands: Vec<Band>,
    #[serde(default)]
    pub features: BTreeMap<String, Feature>,
    pub economy: KindSection,
    pub company: KindSection,
    pub measured: MeasuredSection,
}

/// One step of the pathway.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min: u32,
    pub max: u32,
    pub level: Text,
    pub stage: Text,
    pub summary: Text,
}

/// A tradewind feature that closes a gap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    pub name: Text,
    pub status: FeatureStatus,
    /// The page that offers it, if any (a path on this tradewind, starting with `/`).
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureStatus {
    /// In this release.
    Available,
    /// Announced, not yet shipped.
    Planned,
}

/// The questions for one kind of assessment, by dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindSection {
    pub title: Text,
    pub intro: Text,
    pub dimensions: Vec<Dimension>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub name: Text,
    /// The dimension's part of the score; a kind's dimension weights sum to 100.
    pub weight: u32,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Unique in the whole file, for example `legal.e_signatures`.
    pub id: String,
    pub text: Text,
    #[serde(default)]
    pub help: Option<Text>,
    /// The name of a scale in [`Questionnaire::scales`].
    pub scale: String,
    /// The question's weight relative to the others in its dimension (at least 1).
    #[serde(default = "one")]
    pub weight: u32,
    /// The next step when the answer is below the top level.
    pub action: Text,
    /// The tradewind feature that closes the gap, if one does.
    #[serde(default)]
    pub feature: Option<String>,
    /// The scale's level labels, filled in by [`Questionnaire::parse`].
    #[serde(default, skip_deserializing)]
    pub levels: Vec<Text>,
}

fn one() -> u32 {
    1
}

impl Question {
    /// The highest answer: the index of the top level.
    pub fn max_level(&self) -> u32 {
        self.levels.len().saturating_sub(1) as u32
    }
}

/// How the measured score weighs what a company does on tradewind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuredSection {
    pub indicators: Vec<IndicatorDef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    pub id: Indicator,
    pub name: Text,
    /// Its part of the measured score; the weights sum to 100.
    pub weight: u32,
}

/// The syntax of a questionnaire file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Toml,
    Json,
}

impl FileFormat {
    /// JSON for a name ending in `.json`, TOML otherwise.
    pub fn of_path(name: &str) -> FileFormat {
        if name.to_ascii_lowercase().ends_with(".json") { FileFormat::Json } else { FileFormat::Toml }
    }
}

/// Why a questionnaire file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionnaireError {
    #[error("the questionnaire file cannot be read: {0}")]
    Syntax(String),
    #[error("the questionnaire file is not valid:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

impl Questionnaire {
    /// The built-in questionnaire. It is checked by the tests, so failing to parse it here
    /// is a build defect, not a run-time condition.
    pub fn builtin() -> Questionnaire {
        match Questionnaire::parse(super::BUILTIN_QUESTIONNAIRE, FileFormat::Toml) {
            Ok(q) => q,
            Err(e) => panic!("the built-in questionnaire is broken: {e}"),
        }
    }

    /// Reads and checks a questionnaire file.
    pub fn parse(text: &str, format: FileFormat) -> Result<Questionnaire, QuestionnaireError> {
        let mut q: Questionnaire = match format {
            FileFormat::Toml => toml::from_str(text).map_err(|e| QuestionnaireError::Syntax(e.to_string()))?,
            FileFormat::Json => serde_json::from_str(text).map_err(|e| QuestionnaireError::Syntax(e.to_string()))?,
        };
        let problems = q.problems();
        if !problems.is_empty() {
            return Err(QuestionnaireError::Invalid(problems));
        }
        let scales = q.scales.clone();
        for kind in Kind::ALL {
            for d in &mut q.section_mut(kind).dimensions {
                for question in &mut d.questions {
                    question.levels = scales.get(&question.scale).cloned().unwrap_or_default();
                }
            }
        }
        Ok(q)
    }

    pub fn section(&self, kind: Kind) -> &KindSection {
        match kind {
            Kind::Economy => &self.economy,
            Kind::Company => &self.company,
        }
    }

    fn section_mut(&mut self, kind: Kind) -> &mut KindSection {
        match kind {
            Kind::Economy => &mut self.economy,
            Kind::Company => &mut self.company,
        }
    }

    /// Every question of a kind with its dimension, in file order.
    pub fn questions(&self, kind: Kind) -> impl Iterator<Item = (&Dimension, &Question)> {
        self.section(kind).dimensions.iter().flat_map(|d| d.questions.iter().map(move |q| (d, q)))
    }

    pub fn question(&self, kind: Kind, id: &str) -> Option<(&Dimension, &Question)> {
        self.questions(kind).find(|(_, q)| q.id == id)
    }

    /// The band a score falls in (scores outside 11..=100 are clamped into it).
    pub fn band(&self, score: u32) -> (usize, &Band) {
        let score = score.clamp(MIN_SCORE, MAX_SCORE);
        self.bands
            .iter()
            .enumerate()
            .find(|(_, b)| (b.min..=b.max).contains(&score))
            .or_else(|| self.bands.iter().enumerate().next_back())
            .unwrap_or_else(|| unreachable!("a checked questionnaire has bands"))
    }

    /// Everything wrong with the file, each naming the band, dimension or question.
    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.format != FORMAT {
            p.push(format!("format is {}, but this tradewind reads format {FORMAT}", self.format));
        }
        if self.version.trim().is_empty() {
            p.push("version is empty: give the questionnaire a version, for example \"2025.1\"".into());
        }
        let mut texts: Vec<(String, &Text)> = vec![("title".into(), &self.title)];
        for (name, levels) in &self.scales {
            if levels.len() < 2 {
                p.push(format!("scale '{name}' has {} level(s); a scale needs at least two", levels.len()));
            }
            texts.extend(levels.iter().enumerate().map(|(i, t)| (format!("scales.{name}[{i}]"), t)));
        }
        self.band_problems(&mut p);
        for (i, b) in self.bands.iter().enumerate() {
            texts.push((format!("bands[{i}].level"), &b.level));
            texts.push((format!("bands[{i}].stage"), &b.stage));
            texts.push((format!("bands[{i}].summary"), &b.summary));
        }
        for (id, f) in &self.features {
            texts.push((format!("features.{id}.name"), &f.name));
            if f.path.as_deref().is_some_and(|path| !path.starts_with('/')) {
                p.push(format!("feature '{id}': path must start with '/'"));
            }
        }
        let mut seen_questions = BTreeSet::new();
        for kind in Kind::ALL {
            let section = self.section(kind);
            texts.push((format!("{kind}.title"), &section.title));
            texts.push((format!("{kind}.intro"), &section.intro));
            if section.dimensions.is_empty() {
                p.push(format!("{kind} has no dimensions"));
            }
            let total: u32 = section.dimensions.iter().map(|d| d.weight).sum();
            if total != 100 {
                p.push(format!("{kind} dimension weights sum to {total}; they must sum to 100"));
            }
            let mut seen_dimensions = BTreeSet::new();
            for d in &section.dimensions {
                texts.push((format!("{kind} dimension '{}' name", d.id), &d.name));
                if !seen_dimensions.insert(d.id.as_str()) {
                    p.push(format!("{kind} has two dimensions with the id '{}'", d.id));
                }
                if d.weight == 0 {
                    p.push(format!("{kind} dimension '{}' has weight 0; leave it out instead", d.id));
                }
                if d.questions.is_empty() {
                    p.push(format!("{kind} dimension '{}' has no questions", d.id));
                }
                for q in &d.questions {
                    self.question_problems(q, &mut p);
                    if !seen_questions.insert(q.id.as_str()) {
                        p.push(format!("question '{}' appears twice; question ids must be unique", q.id));
                    }
                    texts.push((format!("question '{}' text", q.id), &q.text));
                    texts.push((format!("question '{}' action", q.id), &q.action));
                    if let Some(help) = &q.help {
                        texts.push((format!("question '{}' help", q.id), help));
                    }
                }
            }
        }
        let total: u32 = self.measured.indicators.iter().map(|i| i.weight).sum();
        if total != 100 {
            p.push(format!("measured indicator weights sum to {total}; they must sum to 100"));
        }
        let mut seen_indicators = BTreeSet::new();
        for i in &self.measured.indicators {
            if !seen_indicators.insert(i.id) {
                p.push(format!("measured indicator '{}' appears twice", i.id.as_str()));
            }
            texts.push((format!("measured indicator '{}' name", i.id.as_str()), &i.name));
        }
        for (place, text) in texts {
            if !text.has_english() {
                p.push(format!("{place} has no English text (en)"));
            }
        }
        p
    }

    fn question_problems(&self, q: &Question, p: &mut Vec<String>) {
        if q.id.trim().is_empty() || q.id.chars().any(|c| c.is_whitespace()) {
            p.push(format!("question id '{}' must be non-empty and without spaces", q.id));
        }
        if !self.scales.contains_key(&q.scale) {
            let known = self.scales.keys().cloned().collect::<Vec<_>>().join(", ");
            p.push(format!("question '{}' uses scale '{}', which is not defined (defined: {known})", q.id, q.scale));
        }
        if q.weight == 0 {
            p.push(format!("question '{}' has weight 0; weights are at least 1", q.id));
        }
        if let Some(f) = &q.feature
            && !self.features.contains_key(f)
        {
            p.push(format!("question '{}' points to feature '{f}', which is not defined under [features]", q.id));
        }
    }

    /// The bands must run from 11 to 100 without gaps or overlaps, lowest first.
    fn band_problems(&self, p: &mut Vec<String>) {
        let Some(first) = self.bands.first() else {
            p.push(format!("there are no bands; they must cover {MIN_SCORE} to {MAX_SCORE}"));
            return;
        };
        if first.min != MIN_SCORE {
            p.push(format!("band 1 ({}-{}) must start at {MIN_SCORE}", first.min, first.max));
        }
        for (i, b) in self.bands.iter().enumerate() {
            if b.min > b.max {
                p.push(format!("band {} ({}-{}) ends before it starts", i + 1, b.min, b.max));
            }
            if b.max > MAX_SCORE {
                p.push(format!("band {} ({}-{}) goes beyond {MAX_SCORE}", i + 1, b.min, b.max));
            }
        }
        for (i, pair) in self.bands.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            let (na, nb) = (i + 1, i + 2);
            if b.min <= a.max {
                p.push(format!("band {nb} ({}-{}) overlaps band {na} ({}-{})", b.min, b.max, a.min, a.max));
            } else if b.min > a.max + 1 {
                p.push(format!(
                    "no band covers {}-{}: band {na} ends at {} and band {nb} starts at {}",
                    a.max + 1,
                    b.min - 1,
                    a.max,
                    b.min
                ));
            }
        }
        if let Some(last) = self.bands.last()
            && last.max < MAX_SCORE
        {
            p.push(format!("no band covers {}-{MAX_SCORE}: the last band ends at {}", last.max + 1, last.max));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_text() -> String {
        super::super::BUILTIN_QUESTIONNAIRE.to_string()
    }

    fn invalid(text: &str) -> Vec<String> {
        match Questionnaire::parse(text, FileFormat::Toml) {
            Err(QuestionnaireError::Invalid(p)) => p,
            other => panic!("expected an invalid file, got {other:?}"),
        }
    }

    #[test]
    fn the_builtin_questionnaire_is_valid_and_complete() {
        let q = Questionnaire::builtin();
        assert_eq!(q.bands.len(), 6);
        for kind in Kind::ALL {
            assert!(q.questions(kind).count() >= 10, "{kind} has enough questions");
            for (_, question) in q.questions(kind) {
                assert!(question.levels.len() >= 2, "levels filled in for {}", question.id);
                assert!(!question.text.get("zh").is_empty());
            }
        }
        assert_eq!(q.measured.indicators.len(), Indicator::ALL.len(), "every indicator is weighed");
    }

    #[test]
    fn texts_fall_back_to_english() {
        let q = Questionnaire::builtin();
        assert_eq!(q.bands[0].level.get("zh"), "起步");
        assert_eq!(q.bands[0].level.get("fr"), "start-up");
        assert_eq!(Text::en("x").get("zh"), "x");
    }

    #[test]
    fn overlapping_bands_are_named() {
        let text = builtin_text().replacen("min = 36\nmax = 50", "min = 34\nmax = 50", 1);
        let p = invalid(&text);
        assert!(p.iter().any(|m| m == "band 3 (34-50) overlaps band 2 (21-35)"), "{p:?}");
    }

    #[test]
    fn gaps_between_bands_are_named() {
        let text = builtin_text().replacen("min = 51\nmax = 65", "min = 53\nmax = 65", 1);
        let p = invalid(&text);
        assert!(p.iter().any(|m| m == "no band covers 51-52: band 3 ends at 50 and band 4 starts at 53"), "{p:?}");
    }

    #[test]
    fn missing_ends_are_named() {
        let text = builtin_text().replacen("min = 86\nmax = 100", "min = 86\nmax = 99", 1);
        assert!(invalid(&text).iter().any(|m| m.contains("no band covers 100-100")));
        let text = builtin_text().replacen("min = 11\nmax = 20", "min = 12\nmax = 20", 1);
        assert!(invalid(&text).iter().any(|m| m.contains("band 1 (12-20) must start at 11")));
    }

    #[test]
    fn dimension_weights_must_sum_to_100() {
        let text = builtin_text().replacen(
            "id = \"institutional\"\nname = { en = \"Institutional set-up\", zh = \"机构设置\" }\nweight = 10",
            "id = \"institutional\"\nname = \"Institutional set-up\"\nweight = 5",
            1,
        );
        let p = invalid(&text);
        assert!(p.iter().any(|m| m == "economy dimension weights sum to 95; they must sum to 100"), "{p:?}");
    }

    #[test]
    fn measured_weights_must_sum_to_100() {
        let text = builtin_text().replacen("weight = 6\n", "weight = 7\n", 1);
        let p = invalid(&text);
        assert!(p.iter().any(|m| m == "measured indicator weights sum to 101; they must sum to 100"), "{p:?}");
    }

    #[test]
    fn questions_must_use_known_scales_and_features_and_be_unique() {
        let text = builtin_text()
            .replacen("scale = \"yes_no\"\nweight = 2", "scale = \"stars\"\nweight = 2", 1)
            .replacen("feature = \"exchange\"", "feature = \"teleport\"", 1)
            .replacen("id = \"legal.e_signatures\"", "id = \"legal.e_transactions_law\"", 1);
        let p = invalid(&text);
        assert!(p.iter().any(|m| m.starts_with("question 'institutional.lead_agency' uses scale 'stars'")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("points to feature 'teleport'")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("question 'legal.e_transactions_law' appears twice")), "{p:?}");
    }

    #[test]
    fn syntax_errors_and_unknown_keys_are_reported() {
        assert!(matches!(Questionnaire::parse("format = ", FileFormat::Toml), Err(QuestionnaireError::Syntax(_))));
        let text = builtin_text().replacen("format = 1", "format = 1\ncolour = \"blue\"", 1);
        let Err(QuestionnaireError::Syntax(m)) = Questionnaire::parse(&text, FileFormat::Toml) else {
            panic!("unknown keys are refused")
        };
        assert!(m.contains("colour"), "{m}");
    }

    #[test]
    fn a_json_file_reads_the_same() {
        let q = Questionnaire::builtin();
        let json = serde_json::to_string(&q).expect("json");
        let back = Questionnaire::parse(&json, FileFormat::Json);
        // `levels` is derived, never read from the file.
        assert!(matches!(back, Err(QuestionnaireError::Syntax(ref m)) if m.contains("levels")), "{back:?}");
        let mut value: serde_json::Value = serde_json::from_str(&json).expect("value");
        for kind in ["economy", "company"] {
            for d in value[kind]["dimensions"].as_array_mut().expect("dimensions") {
                for question in d["questions"].as_array_mut().expect("questions") {
                    question.as_object_mut().expect("object").remove("levels");
                }
            }
        }
        let back = Questionnaire::parse(&value.to_string(), FileFormat::Json).expect("valid JSON questionnaire");
        assert_eq!(back.version, q.version);
        assert_eq!(FileFormat::of_path("x/Q.JSON"), FileFormat::Json);
        assert_eq!(FileFormat::of_path("q.toml"), FileFormat::Toml);
    }

    #[test]
    fn english_is_required() {
        let text =
            builtin_text().replacen("title = { en = \"Economy assessment\", zh", "title = { fr = \"Économie\", zh", 1);
        assert!(invalid(&text).iter().any(|m| m == "economy.title has no English text (en)"));
    }
}
