//! Answers, their checks, and the score: overall, per dimension, and the action plan.

use super::questionnaire::{FeatureStatus, Question, Questionnaire, Text};
use super::{Kind, MAX_SCORE, MIN_SCORE, measured::MeasuredScore};
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Answers by question id: the index of the chosen level (0 = the scale's first level).
/// A question without an answer earns nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(pub BTreeMap<String, u32>);

impl Answers {
    pub fn get(&self, question: &str) -> Option<u32> {
        self.0.get(question).copied()
    }
}

/// The band a score falls in, as stored with a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandResult {
    /// 0 for the lowest band.
    pub index: usize,
    pub min: u32,
    pub max: u32,
    pub level: Text,
    pub stage: Text,
    pub summary: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    pub id: String,
    pub name: Text,
    /// The dimension's part of the overall score (the weights sum to 100).
    pub weight: u32,
    /// How much of the dimension is in place, 0 to 100.
    pub percent: u32,
    /// The dimension on the pathway's own 11-100 scale.
    pub score: u32,
    pub level: Text,
}

/// A tradewind feature an action points to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureRef {
    pub id: String,
    pub name: Text,
    pub status: FeatureStatus,
    pub path: Option<String>,
}

/// One gap and the next step to close it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    pub question_id: String,
    pub dimension_id: String,
    pub dimension: Text,
    pub question: Text,
    /// The level answered (the first level when unanswered).
    pub current: Text,
    /// The level one step up.
    pub next: Text,
    /// The step to take.
    pub step: Text,
    /// Score points gained by closing the gap completely, to one decimal.
    pub gain: f64,
    pub feature: Option<FeatureRef>,
}

/// A scored assessment. It carries its own texts, so that it reads the same after the
/// questionnaire file changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentResult {
    pub questionnaire_version: String,
    pub kind: Kind,
    /// 11 to 100.
    pub score: u32,
    pub band: BandResult,
    pub dimensions: Vec<DimensionScore>,
    /// Gaps, the one that moves the score most first.
    pub action_plan: Vec<ActionItem>,
    pub answered: usize,
    pub questions: usize,
    /// For a company on tradewind: the score measured from what it does on the platform.
    #[serde(default)]
    pub measured: Option<MeasuredScore>,
}

/// Maps the weighted share of what is in place (0 to 1) onto the pathway's 11 to 100,
/// rounding to the nearest whole score. Never decreases as the share grows.
pub fn score_of_share(share: f64) -> u32 {
    let share = if share.is_nan() { 0.0 } else { share.clamp(0.0, 1.0) };
    MIN_SCORE + ((MAX_SCORE - MIN_SCORE) as f64 * share).round() as u32
}

/// How much of a question is in place: 0 for the first level, 1 for the last.
fn credit(q: &Question, answer: Option<u32>) -> f64 {
    let max = q.max_level();
    match answer {
        Some(a) if max > 0 => f64::from(a.min(max)) / f64::from(max),
        _ => 0.0,
    }
}

impl Questionnaire {
    /// Checks that every answer names a question of this kind and a level of its scale.
    pub fn check_answers(&self, kind: Kind, answers: &Answers) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        for (id, value) in &answers.0 {
            let field = format!("answers.{id}");
            match self.question(kind, id) {
                None => e.push(
                    field,
                    "unknown_question",
                    format!("there is no question '{id}' in the {kind} questionnaire"),
                ),
                Some((_, q)) if *value > q.max_level() => e.push(
                    field,
                    "out_of_range",
                    format!(
                        "the answer to '{id}' must be between 0 and {} ({}), not {value}",
                        q.max_level(),
                        level_list(q)
                    ),
                ),
                Some(_) => {}
            }
        }
        e.into_result(())
    }

    /// Checks that every question of the kind has an answer, for submission.
    pub fn check_complete(&self, kind: Kind, answers: &Answers) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        for (_, q) in self.questions(kind) {
            if answers.get(&q.id).is_none() {
                e.push(format!("answers.{}", q.id), "unanswered", format!("answer '{}' before submitting", q.id));
            }
        }
        e.into_result(())
    }

    fn band_result(&self, score: u32) -> BandResult {
        let (index, b) = self.band(score);
        BandResult {
            index,
            min: b.min,
            max: b.max,
            level: b.level.clone(),
            stage: b.stage.clone(),
            summary: b.summary.clone(),
        }
    }

    /// Scores answers: the weighted share of what is in place, overall and per dimension,
    /// and the action plan. Unanswered questions earn nothing; answers above a scale's top
    /// count as the top (check them first with [`Questionnaire::check_answers`]).
    pub fn score(&self, kind: Kind, answers: &Answers) -> AssessmentResult {
        let section = self.section(kind);
        let total_weight: u32 = section.dimensions.iter().map(|d| d.weight).sum::<u32>().max(1);
        let span = f64::from(MAX_SCORE - MIN_SCORE);
        let mut share = 0.0;
        let mut dimensions = Vec::new();
        let mut plan: Vec<(usize, ActionItem)> = Vec::new();
        for d in &section.dimensions {
            let question_weight: u32 = d.questions.iter().map(|q| q.weight).sum::<u32>().max(1);
            let part = f64::from(d.weight) / f64::from(total_weight);
            let mut earned = 0.0;
            for q in &d.questions {
                let answer = answers.get(&q.id);
                let c = credit(q, answer);
                let q_part = f64::from(q.weight) / f64::from(question_weight);
                earned += q_part * c;
                if c < 1.0 {
                    let level = answer.unwrap_or(0).min(q.max_level()) as usize;
                    let gain = span * part * q_part * (1.0 - c);
                    plan.push((
                        plan.len(),
                        ActionItem {
                            question_id: q.id.clone(),
                            dimension_id: d.id.clone(),
                            dimension: d.name.clone(),
                            question: q.text.clone(),
                            current: q.levels.get(level).cloned().unwrap_or_default(),
                            next: q.levels.get(level + 1).cloned().unwrap_or_default(),
                            step: q.action.clone(),
                            gain: (gain * 10.0).round() / 10.0,
                            feature: q.feature.as_ref().and_then(|id| {
                                self.features.get(id).map(|f| FeatureRef {
                                    id: id.clone(),
                                    name: f.name.clone(),
                                    status: f.status,
                                    path: f.path.clone(),
                                })
                            }),
                        },
                    ));
                }
            }
            share += part * earned;
            let score = score_of_share(earned);
            dimensions.push(DimensionScore {
                id: d.id.clone(),
                name: d.name.clone(),
                weight: d.weight,
                percent: (earned.clamp(0.0, 1.0) * 100.0).round() as u32,
                score,
                level: self.band(score).1.level.clone(),
            });
        }
        // Largest gain first; among equals, the questionnaire's order.
        plan.sort_by(|(ia, a), (ib, b)| b.gain.total_cmp(&a.gain).then(ia.cmp(ib)));
        let score = score_of_share(share);
        let questions = self.questions(kind).count();
        AssessmentResult {
            questionnaire_version: self.version.clone(),
            kind,
            score,
            band: self.band_result(score),
            dimensions,
            action_plan: plan.into_iter().map(|(_, item)| item).collect(),
            answered: self.questions(kind).filter(|(_, q)| answers.get(&q.id).is_some()).count(),
            questions,
            measured: None,
        }
    }

    /// The band of a measured score, for [`MeasuredScore`].
    pub(super) fn band_of(&self, score: u32) -> BandResult {
        self.band_result(score)
    }
}

fn level_list(q: &Question) -> String {
    q.levels.iter().enumerate().map(|(i, l)| format!("{i} = {}", l.get("en"))).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q() -> Questionnaire {
        Questionnaire::builtin()
    }

    fn all_at(kind: Kind, pick: impl Fn(&Question) -> u32) -> Answers {
        let q = q();
        Answers(q.questions(kind).map(|(_, question)| (question.id.clone(), pick(question))).collect())
    }

    fn level_of(score: u32) -> String {
        q().band(score).1.level.get("en").to_string()
    }

    #[test]
    fn every_band_boundary_falls_on_the_right_side() {
        for (below, above, low, high) in [
            (20, 21, "start-up", "internal application"),
            (35, 36, "internal application", "external application"),
            (50, 51, "external application", "local integration"),
            (65, 66, "local integration", "cross-border integration"),
            (85, 86, "cross-border integration", "global integration"),
        ] {
            assert_eq!(level_of(below), low, "score {below}");
            assert_eq!(level_of(above), high, "score {above}");
        }
        assert_eq!(level_of(11), "start-up");
        assert_eq!(level_of(100), "global integration");
        assert_eq!(q().band(36).1.stage.get("en"), "developing");
        assert_eq!(q().band(66).1.stage.get("en"), "mature");
        assert_eq!(q().band(35).1.stage.get("en"), "preliminary");
    }

    #[test]
    fn shares_map_onto_11_to_100_at_the_boundaries() {
        assert_eq!(score_of_share(0.0), 11);
        assert_eq!(score_of_share(1.0), 100);
        // The share that lands exactly on each boundary score, and just past it.
        for boundary in [20u32, 21, 35, 36, 50, 51, 65, 66, 85, 86] {
            let share = f64::from(boundary - 11) / 89.0;
            assert_eq!(score_of_share(share), boundary);
            assert_eq!(score_of_share(share + 0.49 / 89.0), boundary, "rounds down below the half");
            assert_eq!(score_of_share(share + 0.51 / 89.0), boundary + 1, "rounds up past the half");
        }
        assert_eq!(score_of_share(-3.0), 11);
        assert_eq!(score_of_share(7.0), 100);
        assert_eq!(score_of_share(f64::NAN), 11);
    }

    #[test]
    fn nothing_in_place_is_start_up_and_everything_is_global_integration() {
        for kind in Kind::ALL {
            let none = q().score(kind, &all_at(kind, |_| 0));
            assert_eq!((none.score, none.band.index), (11, 0));
            assert_eq!(none.action_plan.len(), none.questions, "every question is a gap");
            let full = q().score(kind, &all_at(kind, Question::max_level));
            assert_eq!((full.score, full.band.index), (100, 5));
            assert!(full.action_plan.is_empty());
            assert!(full.dimensions.iter().all(|d| d.percent == 100 && d.score == 100));
            assert_eq!(full.answered, full.questions);
        }
    }

    #[test]
    fn a_worked_example_scores_as_documented() {
        // The company example in docs/ASSESSMENT.md: internal systems fully in place,
        // everything else at nothing. Internal systems weigh 20 of 100:
        // 11 + 89 × 0.20 = 28.8, which rounds to 29 (internal application).
        let q = q();
        let internal: Vec<String> =
            q.company.dimensions[0].questions.iter().map(|question| question.id.clone()).collect();
        let answers =
            all_at(Kind::Company, |question| if internal.contains(&question.id) { question.max_level() } else { 0 });
        let r = q.score(Kind::Company, &answers);
        assert_eq!(r.score, 29);
        assert_eq!(r.band.level.get("en"), "internal application");
        assert_eq!(r.dimensions[0].percent, 100);
        assert_eq!(r.dimensions[1].percent, 0);
        // e-documents weigh 30: closing the invoice gap (3 of its 9 question weight) is worth
        // 89 × 0.30 × 3/9 = 8.9 points, the largest single step.
        assert_eq!(r.action_plan[0].question_id, "e_documents.invoices");
        assert_eq!(r.action_plan[0].gain, 8.9);
        assert_eq!(r.action_plan[0].feature.as_ref().map(|f| f.id.as_str()), Some("invoices"));
        assert!(r.action_plan.windows(2).all(|w| w[0].gain >= w[1].gain), "ordered by gain");
    }

    #[test]
    fn the_action_plan_names_the_next_level_and_the_feature() {
        let q = q();
        let mut answers = Answers::default();
        answers.0.insert("b2g_services.certificate_of_origin".into(), 1);
        let r = q.score(Kind::Economy, &answers);
        let item = r
            .action_plan
            .iter()
            .find(|i| i.question_id == "b2g_services.certificate_of_origin")
            .expect("a gap for certificates of origin");
        assert_eq!(item.current.get("en"), "Planned or piloted");
        assert_eq!(item.next.get("en"), "Partly in place");
        assert!(item.step.get("en").contains("certificates of origin electronically"));
        assert_eq!(item.feature.as_ref().map(|f| f.id.as_str()), Some("documents"));
        assert_eq!(r.answered, 1);
    }

    #[test]
    fn unknown_questions_and_out_of_range_values_are_named() {
        let q = q();
        let mut answers = Answers::default();
        answers.0.insert("legal.teleportation".into(), 1);
        answers.0.insert("institutional.lead_agency".into(), 2);
        answers.0.insert("internal_systems.trade_data".into(), 1);
        answers.0.insert("legal.e_signatures".into(), 3);
        let e = q.check_answers(Kind::Economy, &answers).expect_err("invalid");
        let found: Vec<(&str, &str)> = e.0.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert!(found.contains(&("answers.legal.teleportation", "unknown_question")));
        assert!(found.contains(&("answers.institutional.lead_agency", "out_of_range")));
        assert!(found.contains(&("answers.internal_systems.trade_data", "unknown_question")), "company question");
        assert_eq!(found.len(), 3);
        let message = &e.0.iter().find(|f| f.code == "out_of_range").expect("range").message;
        assert!(message.contains("between 0 and 1 (0 = No, 1 = Yes), not 2"), "{message}");
    }

    #[test]
    fn submission_needs_every_answer() {
        let q = q();
        let mut answers = all_at(Kind::Company, |_| 1);
        assert!(q.check_complete(Kind::Company, &answers).is_ok());
        answers.0.remove("b2g.permits");
        let e = q.check_complete(Kind::Company, &answers).expect_err("incomplete");
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].field, "answers.b2g.permits");
    }

    fn answers_strategy(kind: Kind) -> impl Strategy<Value = Answers> {
        let q = q();
        let ids: Vec<(String, u32)> = q.questions(kind).map(|(_, qq)| (qq.id.clone(), qq.max_level())).collect();
        let per_question: Vec<_> = ids.iter().map(|(_, max)| proptest::option::of(0..=*max)).collect();
        per_question.prop_map(move |values| {
            Answers(ids.iter().zip(values).filter_map(|((id, _), v)| v.map(|v| (id.clone(), v))).collect())
        })
    }

    fn kind_strategy() -> impl Strategy<Value = Kind> {
        prop_oneof![Just(Kind::Economy), Just(Kind::Company)]
    }

    proptest! {
        #[test]
        fn the_score_stays_within_11_to_100(
            (kind, answers) in kind_strategy().prop_flat_map(|k| (Just(k), answers_strategy(k)))
        ) {
            let r = q().score(kind, &answers);
            prop_assert!((11..=100).contains(&r.score));
            prop_assert!((r.band.min..=r.band.max).contains(&r.score));
            for d in &r.dimensions {
                prop_assert!(d.percent <= 100);
                prop_assert!((11..=100).contains(&d.score));
            }
        }

        #[test]
        fn answering_one_more_question_yes_never_lowers_the_score(
            (kind, answers, pick) in kind_strategy().prop_flat_map(|k| (Just(k), answers_strategy(k), any::<prop::sample::Index>()))
        ) {
            let q = q();
            let questions: Vec<_> = q.questions(kind).map(|(_, qq)| qq.clone()).collect();
            let target = pick.get(&questions);
            let before = q.score(kind, &answers);
            // Raise the answer one level (an unanswered question becomes answered)…
            let mut up = answers.clone();
            let next = answers.get(&target.id).map_or(0, |a| (a + 1).min(target.max_level()));
            up.0.insert(target.id.clone(), next);
            prop_assert!(q.score(kind, &up).score >= before.score);
            // …or to the top ("yes").
            let mut yes = answers.clone();
            yes.0.insert(target.id.clone(), target.max_level());
            let after = q.score(kind, &yes);
            prop_assert!(after.score >= before.score);
            prop_assert!(after.action_plan.iter().all(|i| i.question_id != target.id));
        }
    }
}
