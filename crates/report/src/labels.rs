//! The report's own words in English and Simplified Chinese. `{n}` marks a number filled
//! in at run time.

/// Fixed texts of the report in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels {
    pub title: &'static str,
    pub score_of: &'static str,
    pub stage: &'static str,
    pub marker_self: &'static str,
    pub marker_measured: &'static str,
    pub measured_title: &'static str,
    pub registration_only: &'static str,
    pub measured_on: &'static str,
    pub not_measured: &'static str,
    pub pathway: &'static str,
    pub dimensions: &'static str,
    pub action_plan: &'static str,
    pub action_lead: &'static str,
    pub no_gaps: &'static str,
    pub gain: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub feature_available: &'static str,
    pub feature_planned: &'static str,
    pub history: &'static str,
    pub answered: &'static str,
    pub questionnaire: &'static str,
    pub page: &'static str,
}

const EN: Labels = Labels {
    title: "Paperless trade readiness report",
    score_of: "of 100",
    stage: "stage",
    marker_self: "Self-assessed {n}",
    marker_measured: "Measured {n}",
    measured_title: "Measured on tradewind",
    registration_only: "No trades on tradewind yet: the measured score covers registration only.",
    measured_on: "Measured on {n} trade(s) on tradewind.",
    not_measured: "not measured yet",
    pathway: "Position on the pathway to paperless trade",
    dimensions: "Score by dimension",
    action_plan: "Action plan",
    action_lead: "Each gap and its next step, the one that raises the score most first.",
    no_gaps: "No gaps: every question is answered at its top level.",
    gain: "+{n} points",
    from: "now",
    to: "next",
    feature_available: "tradewind feature",
    feature_planned: "tradewind feature (planned)",
    history: "Progress over time",
    answered: "questions answered",
    questionnaire: "Questionnaire",
    page: "Page",
};

const ZH: Labels = Labels {
    title: "无纸化贸易准备度报告",
    score_of: "/ 100",
    stage: "阶段",
    marker_self: "自评 {n}",
    marker_measured: "实测 {n}",
    measured_title: "tradewind 实测得分",
    registration_only: "尚无在 tradewind 上的交易：实测得分仅反映注册情况。",
    measured_on: "依据在 tradewind 上的 {n} 笔交易测得。",
    not_measured: "尚未测得",
    pathway: "在无纸化贸易路径上的位置",
    dimensions: "各维度得分",
    action_plan: "行动计划",
    action_lead: "列出每项差距及下一步行动，按对得分的提升幅度从大到小排列。",
    no_gaps: "没有差距：所有问题均已达到最高水平。",
    gain: "+{n} 分",
    from: "现状",
    to: "下一步",
    feature_available: "tradewind 功能",
    feature_planned: "tradewind 功能（规划中）",
    history: "历次进展",
    answered: "已回答的问题",
    questionnaire: "问卷版本",
    page: "页",
};

impl Labels {
    /// The labels for a language code; English for anything but `zh`.
    pub fn of(lang: &str) -> Labels {
        if lang == "zh" { ZH } else { EN }
    }

    /// `template` with `{n}` replaced.
    pub fn fill(&self, template: &str, n: impl std::fmt::Display) -> String {
        template.replace("{n}", &n.to_string())
    }

    #[cfg(test)]
    fn all(&self) -> [&'static str; 23] {
        [
            self.title,
            self.score_of,
            self.stage,
            self.marker_self,
            self.marker_measured,
            self.measured_title,
            self.registration_only,
            self.measured_on,
            self.not_measured,
            self.pathway,
            self.dimensions,
            self.action_plan,
            self.action_lead,
            self.no_gaps,
            self.gain,
            self.from,
            self.to,
            self.feature_available,
            self.feature_planned,
            self.history,
            self.answered,
            self.questionnaire,
            self.page,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_say_everything_with_the_same_placeholders() {
        for (en, zh) in EN.all().into_iter().zip(ZH.all()) {
            assert!(!en.is_empty() && !zh.is_empty());
            assert_eq!(en.contains("{n}"), zh.contains("{n}"), "{en} / {zh}");
        }
        assert_eq!(Labels::of("fr"), EN);
        assert_eq!(EN.fill(EN.marker_self, 42), "Self-assessed 42");
    }

    #[test]
    fn the_english_note_matches_the_domain_note() {
        assert_eq!(EN.registration_only, tradewind_domain::assessment::REGISTRATION_ONLY_NOTE);
    }
}
