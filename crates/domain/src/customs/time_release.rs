//! Time Release Study figures in the manner of the WCO method: how long goods take from
//! arrival (or lodgement, when arrival is not known) to release, per lane, how long each
//! agency takes from lodgement to its approval, and how long each step takes after the one
//! before it. Only released declarations count towards the arrival-to-release totals, since an
//! unfinished one has no release time; its completed steps still count per step and agency.

use crate::customs::clearance::Lane;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A point in a declaration's processing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Arrival,
    Lodged,
    Selected,
    DocumentsChecked,
    InspectionBooked,
    InspectionDone,
    /// The named agency approved the goods.
    AgencyApproved(String),
    Assessed,
    DutyPaid,
    Released,
}

impl Step {
    /// The label a step is reported under, e.g. `documents_checked`, `agency_approved:health`.
    pub fn label(&self) -> String {
        match self {
            Step::Arrival => "arrival".into(),
            Step::Lodged => "lodged".into(),
            Step::Selected => "selected".into(),
            Step::DocumentsChecked => "documents_checked".into(),
            Step::InspectionBooked => "inspection_booked".into(),
            Step::InspectionDone => "inspection_done".into(),
            Step::AgencyApproved(a) => format!("agency_approved:{a}"),
            Step::Assessed => "assessed".into(),
            Step::DutyPaid => "duty_paid".into(),
            Step::Released => "released".into(),
        }
    }
}

/// When a declaration reached a step, and the lane it was in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub declaration: String,
    pub lane: Lane,
    pub step: Step,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Durations of one group, in minutes rounded to two places. The 90th percentile is the
/// nearest-rank value: the smallest duration at or above 90 % of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub label: String,
    /// How many durations the figures are over (one per declaration).
    pub declarations: u32,
    pub mean_minutes: Decimal,
    pub median_minutes: Decimal,
    pub p90_minutes: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeReleaseReport {
    /// Arrival (or lodgement) to release, per final lane, green to red; lanes with no released
    /// declaration are left out.
    pub per_lane: Vec<Figures>,
    /// Lodgement to each agency's approval, by agency code.
    pub per_agency: Vec<Figures>,
    /// The previous milestone to this one, in step order.
    pub per_step: Vec<Figures>,
    /// Arrival (or lodgement) to release over every released declaration; `None` when none is.
    pub overall: Option<Figures>,
}

fn figures(label: String, mut seconds: Vec<i64>) -> Option<Figures> {
    if seconds.is_empty() {
        return None;
    }
    seconds.sort_unstable();
    let n = seconds.len();
    let minutes = |s: Decimal| (s / Decimal::from(60)).round_dp(2);
    let sum: i128 = seconds.iter().map(|s| i128::from(*s)).sum();
    let mean = Decimal::try_from_i128_with_scale(sum, 0).unwrap_or(Decimal::MAX) / Decimal::from(n);
    let median = if n % 2 == 1 {
        Decimal::from(seconds[n / 2])
    } else {
        (Decimal::from(seconds[n / 2 - 1]) + Decimal::from(seconds[n / 2])) / Decimal::TWO
    };
    // Nearest rank: ceil(0.9 n), 1-based.
    let rank = (9 * n).div_ceil(10).max(1);
    Some(Figures {
        label,
        declarations: u32::try_from(n).unwrap_or(u32::MAX),
        mean_minutes: minutes(mean),
        median_minutes: minutes(median),
        p90_minutes: minutes(Decimal::from(seconds[rank - 1])),
    })
}

fn seconds_between(from: OffsetDateTime, to: OffsetDateTime) -> Option<i64> {
    let s = (to - from).whole_seconds();
    // A milestone recorded before the one it follows is bad data, not a negative wait.
    (s >= 0).then_some(s)
}

/// Computes the figures from milestones in any order. A declaration's lane is the lane of its
/// release (else of its latest milestone); where a step was reached twice the first time
/// counts for the totals and agency figures.
pub fn time_release(milestones: &[Milestone]) -> TimeReleaseReport {
    let mut by_declaration: BTreeMap<&str, Vec<&Milestone>> = BTreeMap::new();
    for m in milestones {
        by_declaration.entry(m.declaration.as_str()).or_default().push(m);
    }
    let mut per_lane: BTreeMap<Lane, Vec<i64>> = BTreeMap::new();
    let mut overall = Vec::new();
    let mut per_agency: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut per_step: BTreeMap<Step, Vec<i64>> = BTreeMap::new();
    for list in by_declaration.values_mut() {
        list.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.step.cmp(&b.step)));
        let first = |step: &Step| list.iter().find(|m| m.step == *step).map(|m| m.at);
        let released = list.iter().find(|m| m.step == Step::Released);
        let lodged = first(&Step::Lodged);
        let start = first(&Step::Arrival).or(lodged);
        if let (Some(r), Some(start)) = (released, start)
            && let Some(s) = seconds_between(start, r.at)
        {
            per_lane.entry(r.lane).or_default().push(s);
            overall.push(s);
        }
        if let Some(lodged) = lodged {
            let mut counted: Vec<&str> = Vec::new();
            for m in list.iter() {
                if let Step::AgencyApproved(agency) = &m.step
                    && !counted.contains(&agency.as_str())
                {
                    counted.push(agency);
                    if let Some(s) = seconds_between(lodged, m.at) {
                        per_agency.entry(agency.clone()).or_default().push(s);
                    }
                }
            }
        }
        for pair in list.windows(2) {
            if let Some(s) = seconds_between(pair[0].at, pair[1].at) {
                per_step.entry(pair[1].step.clone()).or_default().push(s);
            }
        }
    }
    TimeReleaseReport {
        per_lane: per_lane.into_iter().filter_map(|(lane, s)| figures(lane.as_str().to_string(), s)).collect(),
        per_agency: per_agency.into_iter().filter_map(|(agency, s)| figures(agency, s)).collect(),
        per_step: per_step.into_iter().filter_map(|(step, s)| figures(step.label(), s)).collect(),
        overall: figures("overall".to_string(), overall),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn m(declaration: &str, lane: Lane, step: Step, at: OffsetDateTime) -> Milestone {
        Milestone { declaration: declaration.into(), lane, step, at }
    }

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn row(f: &Figures) -> (&str, u32, Decimal, Decimal, Decimal) {
        (f.label.as_str(), f.declarations, f.mean_minutes, f.median_minutes, f.p90_minutes)
    }

    fn three_declarations() -> Vec<Milestone> {
        let health = || Step::AgencyApproved("health".into());
        vec![
            // D1 green: arrival 08:00 → release 09:10 = 70 min.
            m("D1", Lane::Green, Step::Released, datetime!(2025-05-06 09:10 UTC)),
            m("D1", Lane::Green, Step::Arrival, datetime!(2025-05-06 08:00 UTC)),
            m("D1", Lane::Green, Step::Lodged, datetime!(2025-05-06 08:30 UTC)),
            m("D1", Lane::Green, Step::Assessed, datetime!(2025-05-06 08:31 UTC)),
            m("D1", Lane::Green, Step::Selected, datetime!(2025-05-06 08:31 UTC)),
            m("D1", Lane::Green, Step::DutyPaid, datetime!(2025-05-06 09:00 UTC)),
            // D2 yellow, arrival unknown: lodged 10:00 → release 12:30 = 150 min.
            m("D2", Lane::Yellow, Step::Lodged, datetime!(2025-05-06 10:00 UTC)),
            m("D2", Lane::Yellow, Step::Selected, datetime!(2025-05-06 10:02 UTC)),
            m("D2", Lane::Yellow, Step::DocumentsChecked, datetime!(2025-05-06 11:00 UTC)),
            m("D2", Lane::Yellow, health(), datetime!(2025-05-06 12:00 UTC)),
            m("D2", Lane::Yellow, Step::Released, datetime!(2025-05-06 12:30 UTC)),
            // D3 red: arrival 07:00 → release 15:00 = 480 min.
            m("D3", Lane::Red, Step::Arrival, datetime!(2025-05-06 07:00 UTC)),
            m("D3", Lane::Red, Step::Lodged, datetime!(2025-05-06 09:00 UTC)),
            m("D3", Lane::Red, Step::Selected, datetime!(2025-05-06 09:05 UTC)),
            m("D3", Lane::Red, Step::InspectionBooked, datetime!(2025-05-06 10:00 UTC)),
            m("D3", Lane::Red, Step::InspectionDone, datetime!(2025-05-06 13:00 UTC)),
            m("D3", Lane::Red, health(), datetime!(2025-05-06 14:00 UTC)),
            m("D3", Lane::Red, Step::Released, datetime!(2025-05-06 15:00 UTC)),
        ]
    }

    #[test]
    fn three_declarations_worked_by_hand() {
        let r = time_release(&three_declarations());
        // Overall 70, 150, 480: mean 700 / 3 = 233.33, median 150, p90 rank ceil(2.7) = 3 → 480.
        let overall = r.overall.as_ref().expect("released declarations");
        assert_eq!(row(overall), ("overall", 3, d("233.33"), d("150"), d("480")));
        assert_eq!(
            r.per_lane.iter().map(row).collect::<Vec<_>>(),
            vec![
                ("green", 1, d("70"), d("70"), d("70")),
                ("yellow", 1, d("150"), d("150"), d("150")),
                ("red", 1, d("480"), d("480"), d("480")),
            ]
        );
        // Health: D2 lodged 10:00 → 12:00 = 120; D3 09:00 → 14:00 = 300.
        // Mean 210, median (120 + 300) / 2 = 210, p90 rank ceil(1.8) = 2 → 300.
        assert_eq!(r.per_agency.iter().map(row).collect::<Vec<_>>(), vec![("health", 2, d("210"), d("210"), d("300"))]);
        // Each step after the one before it:
        // lodged: D1 30, D3 120 (D2 has no arrival) | selected: 1, 2, 5 → mean 8 / 3 = 2.67
        // documents_checked: D2 58 | inspection_booked: D3 55 | inspection_done: D3 180
        // agency_approved:health: D2 60, D3 60 | assessed: D1 0 (same minute as selection)
        // duty_paid: D1 29 | released: D1 10, D2 30, D3 60 → mean 33.33.
        assert_eq!(
            r.per_step.iter().map(row).collect::<Vec<_>>(),
            vec![
                ("lodged", 2, d("75"), d("75"), d("120")),
                ("selected", 3, d("2.67"), d("2"), d("5")),
                ("documents_checked", 1, d("58"), d("58"), d("58")),
                ("inspection_booked", 1, d("55"), d("55"), d("55")),
                ("inspection_done", 1, d("180"), d("180"), d("180")),
                ("agency_approved:health", 2, d("60"), d("60"), d("60")),
                ("assessed", 1, d("0"), d("0"), d("0")),
                ("duty_paid", 1, d("29"), d("29"), d("29")),
                ("released", 3, d("33.33"), d("30"), d("60")),
            ]
        );
    }

    #[test]
    fn unreleased_declarations_count_for_steps_but_not_totals() {
        let mut ms = three_declarations();
        ms.push(m("D4", Lane::Red, Step::Lodged, datetime!(2025-05-06 08:00 UTC)));
        ms.push(m("D4", Lane::Red, Step::AgencyApproved("health".into()), datetime!(2025-05-06 08:30 UTC)));
        let r = time_release(&ms);
        assert_eq!(r.overall.as_ref().map(|f| f.declarations), Some(3));
        assert_eq!(r.per_lane.iter().find(|f| f.label == "red").map(|f| f.declarations), Some(1));
        // Health now 30, 120, 300: median 120, p90 rank ceil(2.7) = 3 → 300.
        assert_eq!(r.per_agency.iter().map(row).collect::<Vec<_>>(), vec![("health", 3, d("150"), d("120"), d("300"))]);
    }

    #[test]
    fn no_release_means_no_overall_figure() {
        let ms = vec![m("D1", Lane::Green, Step::Lodged, datetime!(2025-05-06 08:00 UTC))];
        let r = time_release(&ms);
        assert_eq!(r.overall, None);
        assert!(r.per_lane.is_empty() && r.per_step.is_empty() && r.per_agency.is_empty());
        assert_eq!(time_release(&[]).overall, None);
    }

    #[test]
    fn a_release_recorded_before_arrival_is_left_out() {
        let ms = vec![
            m("D1", Lane::Green, Step::Arrival, datetime!(2025-05-06 10:00 UTC)),
            m("D1", Lane::Green, Step::Released, datetime!(2025-05-06 09:00 UTC)),
        ];
        assert_eq!(time_release(&ms).overall, None);
    }

    #[test]
    fn milestones_read_as_json() {
        let json =
            r#"{"declaration":"D1","lane":"red","step":{"agency_approved":"health"},"at":"2025-05-06T10:00:00Z"}"#;
        let got: Milestone = serde_json::from_str(json).expect("milestone");
        assert_eq!(got, m("D1", Lane::Red, Step::AgencyApproved("health".into()), datetime!(2025-05-06 10:00 UTC)));
    }

    proptest! {
        #[test]
        fn figures_are_ordered_and_independent_of_input_order(
            minutes in proptest::collection::vec(0i64..10_000, 1..30),
            rotate in 0usize..30,
        ) {
            let start = datetime!(2025-01-01 00:00 UTC);
            let mut ms: Vec<Milestone> = minutes.iter().enumerate().flat_map(|(n, mins)| {
                let id = format!("D{n}");
                vec![
                    m(&id, Lane::Green, Step::Lodged, start),
                    m(&id, Lane::Green, Step::Released, start + time::Duration::minutes(*mins)),
                ]
            }).collect();
            let a = time_release(&ms);
            let k = rotate % ms.len();
            ms.rotate_left(k);
            prop_assert_eq!(&a, &time_release(&ms));
            let o = a.overall.expect("all released");
            let max = Decimal::from(*minutes.iter().max().expect("non-empty"));
            let min = Decimal::from(*minutes.iter().min().expect("non-empty"));
            prop_assert!(min <= o.median_minutes && o.median_minutes <= o.p90_minutes && o.p90_minutes <= max);
            prop_assert!(min <= o.mean_minutes && o.mean_minutes <= max);
        }
    }
}
