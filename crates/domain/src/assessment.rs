//! The paperless-trade readiness assessment: APEC's pathway to paperless trade, scored
//! from 11 to 100.
//!
//! An economy (a customs authority, another border agency or the platform operator) or a
//! company answers a [`Questionnaire`] grouped by dimension; [`Questionnaire::score`] turns
//! the [`Answers`] into an [`AssessmentResult`]: a score, the level and stage of the band it
//! falls in, a score per dimension and an action plan ordered by how much each step moves
//! the score. For a company trading on tradewind, [`Questionnaire::measure`] computes a
//! measured score from its [`PlatformActivity`] to set beside the self-assessed one.
//!
//! The questionnaire, its weights and its bands are data (`data/questionnaire.toml`, the
//! built-in default), parsed and checked by [`Questionnaire::parse`]; the format and the
//! formula are documented in `docs/ASSESSMENT.md`.

mod measured;
mod questionnaire;
mod scoring;

pub use measured::{Coverage, Indicator, IndicatorResult, MeasuredScore, PlatformActivity, REGISTRATION_ONLY_NOTE};
pub use questionnaire::{
    Band, Dimension, Feature, FeatureStatus, FileFormat, IndicatorDef, KindSection, MeasuredSection, Question,
    Questionnaire, QuestionnaireError, Text,
};
pub use scoring::{ActionItem, Answers, AssessmentResult, BandResult, DimensionScore, FeatureRef, score_of_share};

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The lowest score: nothing is in place.
pub const MIN_SCORE: u32 = 11;
/// The highest score: everything is in place.
pub const MAX_SCORE: u32 = 100;

/// The built-in questionnaire, embedded in the binary.
pub const BUILTIN_QUESTIONNAIRE: &str = include_str!("../data/questionnaire.toml");

/// Who is assessed: an economy as a whole, or one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Economy,
    Company,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Economy, Kind::Company];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Economy => "economy",
            Kind::Company => "company",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| format!("'{s}' is not an assessment kind; use economy or company"))
    }
}

/// Where an assessment stands: answers may be saved and changed while it is a draft;
/// submitting scores it and freezes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
        }
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "draft" => Ok(Status::Draft),
            "submitted" => Ok(Status::Submitted),
            other => Err(format!("'{other}' is not an assessment status")),
        }
    }
}
