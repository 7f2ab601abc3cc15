//! A declaration's life after submission: risk selection puts it in a lane, the lane decides
//! which checks are awaited (none, a document check, or a physical inspection), duty is
//! assessed once the checks pass, then paid, other government agencies decide, and the goods
//! are released. Every step is an event applied by a named actor; anything else is refused
//! with a message that says what has to happen first.
//!
//! Release is its own act: once nothing is outstanding the declaration rests in
//! `AwaitingRelease`, and the system records `Released { at }` with the time it issues the
//! release note. `Released` is refused while anything is still outstanding.

use crate::customs::risk::Selection;
use crate::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;

/// The channel risk selection assigns; ordered from least to most scrutiny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// Released on the data alone, after automatic assessment.
    Green,
    /// The documents are checked by an officer.
    Yellow,
    /// The goods are physically inspected.
    Red,
}

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Green => "green",
            Lane::Yellow => "yellow",
            Lane::Red => "red",
        }
    }
    pub fn all() -> [Lane; 3] {
        [Lane::Green, Lane::Yellow, Lane::Red]
    }
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lane name that is not green, yellow or red.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a lane; use green, yellow or red")]
pub struct UnknownLane(pub String);

impl FromStr for Lane {
    type Err = UnknownLane;
    fn from_str(s: &str) -> Result<Self, UnknownLane> {
        match s.trim().to_ascii_lowercase().as_str() {
            "green" => Ok(Lane::Green),
            "yellow" => Ok(Lane::Yellow),
            "red" => Ok(Lane::Red),
            _ => Err(UnknownLane(s.to_string())),
        }
    }
}

/// Who acts on a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The trader or the broker who lodged the declaration.
    Declarant,
    /// A customs officer.
    Officer,
    /// Another government agency, by its code (e.g. `quarantine`).
    Agency(String),
    /// The inspection service, which books and records physical examinations.
    Inspector,
    /// The customs system itself: selection, automatic assessment, payments posted, release.
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Declarant => f.write_str("the declarant"),
            Actor::Officer => f.write_str("a customs officer"),
            Actor::Agency(a) => write!(f, "the {a} agency"),
            Actor::Inspector => f.write_str("the inspection service"),
            Actor::System => f.write_str("the customs system"),
        }
    }
}

/// Where a declaration stands. Selection is not a resting state: it moves the declaration
/// straight to what its lane awaits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ClearanceStatus {
    /// Lodged (or amended) and waiting for risk selection.
    Submitted,
    /// Yellow lane: an officer has to accept the documents.
    AwaitingDocumentCheck,
    /// Red lane: an inspection has to be booked.
    AwaitingInspection,
    /// Red lane: the inspection is booked.
    InspectionBooked {
        #[serde(with = "time::serde::rfc3339")]
        slot: OffsetDateTime,
        inspector: String,
    },
    /// The inspection found the goods not as declared: an officer reassesses or rejects.
    AwaitingReassessment { findings: String },
    /// Duty is assessed and not yet paid.
    AwaitingPayment { duty: Money },
    /// Checks passed and duty settled; agencies still have to decide.
    AwaitingApprovals { agencies: Vec<String> },
    /// Nothing is outstanding; the system issues the release.
    AwaitingRelease,
    /// The goods are released.
    Released {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// A required agency refused the goods.
    Refused { agency: String, reason: String },
    /// Customs rejected the declaration.
    Rejected { reason: String },
    /// The declarant withdrew the declaration.
    Cancelled { reason: String },
}

impl ClearanceStatus {
    pub fn name(&self) -> &'static str {
        match self {
            ClearanceStatus::Submitted => "submitted",
            ClearanceStatus::AwaitingDocumentCheck => "awaiting document check",
            ClearanceStatus::AwaitingInspection => "awaiting inspection",
            ClearanceStatus::InspectionBooked { .. } => "inspection booked",
            ClearanceStatus::AwaitingReassessment { .. } => "awaiting reassessment",
            ClearanceStatus::AwaitingPayment { .. } => "awaiting payment",
            ClearanceStatus::AwaitingApprovals { .. } => "awaiting agency approvals",
            ClearanceStatus::AwaitingRelease => "awaiting release",
            ClearanceStatus::Released { .. } => "released",
            ClearanceStatus::Refused { .. } => "refused",
            ClearanceStatus::Rejected { .. } => "rejected",
            ClearanceStatus::Cancelled { .. } => "cancelled",
        }
    }
}

/// One agency whose approval the goods need, and its decision once made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyApproval {
    pub agency: String,
    pub decision: Option<AgencyVerdict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyVerdict {
    pub approved: bool,
    pub note: String,
}

/// What a physical inspection found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionRecord {
    pub compliant: bool,
    pub findings: String,
    /// Blob ids of the photographs taken.
    pub photos: Vec<String>,
}

/// Everything that can happen to a declaration after submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ClearanceEvent {
    /// System: risk selection, with the declared duty (assessed at once in the green lane) and
    /// the agencies whose approval the goods need.
    Selected { selection: Selection, duty: Money, required_agencies: Vec<String> },
    /// Officer: the documents of a yellow-lane declaration are in order; duty is assessed.
    DocumentsAccepted,
    /// Inspection service: an examination is booked.
    InspectionBooked {
        #[serde(with = "time::serde::rfc3339")]
        slot: OffsetDateTime,
        inspector: String,
    },
    /// Inspection service: the examination's outcome. Compliant goods are assessed at the
    /// declared duty; otherwise an officer must reassess or reject.
    InspectionRecorded { compliant: bool, findings: String, photos: Vec<String> },
    /// Officer: a new duty, with the reason, while the duty is not yet paid.
    Reassessed { duty: Money, reason: String },
    /// Officer: the declaration is rejected.
    Rejected { reason: String },
    /// System: the payment of the assessed duty is posted.
    DutyPaid { ledger_entry: String },
    /// Agency: its decision on the goods.
    AgencyDecision { agency: String, approved: bool, note: String },
    /// Declarant: the declaration is withdrawn.
    Cancelled { reason: String },
    /// Declarant: the declaration is changed; it goes back through risk selection.
    Amended { changes: String },
    /// System: the release note is issued.
    Released {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl ClearanceEvent {
    fn name(&self) -> &'static str {
        match self {
            ClearanceEvent::Selected { .. } => "risk selection",
            ClearanceEvent::DocumentsAccepted => "accepting the documents",
            ClearanceEvent::InspectionBooked { .. } => "booking an inspection",
            ClearanceEvent::InspectionRecorded { .. } => "recording an inspection",
            ClearanceEvent::Reassessed { .. } => "reassessing duty",
            ClearanceEvent::Rejected { .. } => "rejecting the declaration",
            ClearanceEvent::DutyPaid { .. } => "posting the duty payment",
            ClearanceEvent::AgencyDecision { .. } => "an agency decision",
            ClearanceEvent::Cancelled { .. } => "cancelling",
            ClearanceEvent::Amended { .. } => "amending",
            ClearanceEvent::Released { .. } => "releasing the goods",
        }
    }

    /// Whether `actor` may bring this event about.
    fn permits(&self, actor: &Actor) -> bool {
        match self {
            ClearanceEvent::Selected { .. } | ClearanceEvent::DutyPaid { .. } | ClearanceEvent::Released { .. } => {
                *actor == Actor::System
            }
            ClearanceEvent::DocumentsAccepted | ClearanceEvent::Reassessed { .. } | ClearanceEvent::Rejected { .. } => {
                *actor == Actor::Officer
            }
            ClearanceEvent::InspectionBooked { .. } | ClearanceEvent::InspectionRecorded { .. } => {
                *actor == Actor::Inspector
            }
            ClearanceEvent::AgencyDecision { agency, .. } => *actor == Actor::Agency(agency.clone()),
            ClearanceEvent::Cancelled { .. } | ClearanceEvent::Amended { .. } => *actor == Actor::Declarant,
        }
    }

    fn who(&self) -> &'static str {
        match self {
            ClearanceEvent::Selected { .. } | ClearanceEvent::DutyPaid { .. } | ClearanceEvent::Released { .. } => {
                "the customs system"
            }
            ClearanceEvent::DocumentsAccepted | ClearanceEvent::Reassessed { .. } | ClearanceEvent::Rejected { .. } => {
                "a customs officer"
            }
            ClearanceEvent::InspectionBooked { .. } | ClearanceEvent::InspectionRecorded { .. } => {
                "the inspection service"
            }
            ClearanceEvent::AgencyDecision { .. } => "the agency named in the decision",
            ClearanceEvent::Cancelled { .. } | ClearanceEvent::Amended { .. } => "the declarant",
        }
    }
}

/// Why an event cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClearanceError {
    #[error("only {allowed} may do {event}; {actor} cannot")]
    NotPermitted { event: &'static str, actor: String, allowed: &'static str },
    #[error("the declaration is {status}; nothing more can happen to it")]
    Finished { status: &'static str },
    #[error("the declaration awaits risk selection; {event} comes after it")]
    NotSelected { event: &'static str },
    #[error("the declaration is already selected ({lane} lane); amend it to send it back through selection")]
    AlreadySelected { lane: Lane },
    #[error("the declaration is in the {lane} lane: no document check is awaited")]
    NoDocumentCheck { lane: Lane },
    #[error("the declaration is in the {lane} lane: no inspection is awaited")]
    NoInspection { lane: Lane },
    #[error("the declaration is in the red lane: an inspection must be booked first")]
    InspectionNotBooked,
    #[error("an inspection is already booked for {slot} with {inspector}; record its outcome")]
    InspectionAlreadyBooked { slot: OffsetDateTime, inspector: String },
    #[error("the inspection is already recorded")]
    InspectionAlreadyRecorded,
    #[error("the {what} needs a reason a person can read; give one")]
    MissingReason { what: &'static str },
    #[error("duty cannot be negative ({duty}); a refund is a separate claim")]
    NegativeDuty { duty: Money },
    #[error("duty is not assessed yet; it is assessed once the {lane} lane's checks pass")]
    NotAssessed { lane: Lane },
    #[error(
        "the duty is already paid (ledger entry {ledger_entry}); a change now is a post-clearance demand or refund"
    )]
    AlreadyPaid { ledger_entry: String },
    #[error("the assessed duty is zero; no payment is due")]
    NothingToPay,
    #[error("a payment must name the ledger entry it was posted under")]
    MissingLedgerEntry,
    #[error("the {agency} agency is not required for this declaration; its decision is not needed")]
    AgencyNotRequired { agency: String },
    #[error("the {agency} agency has already decided; a change needs a new declaration or an amendment")]
    AgencyAlreadyDecided { agency: String },
    #[error("duty is already assessed: ask an officer for a reassessment instead of amending")]
    AmendAfterAssessment,
    #[error("the goods cannot be released yet: {}", .awaiting.join("; "))]
    NotReadyForRelease { awaiting: Vec<String> },
}

/// A declaration's clearance, as the events so far have left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearanceState {
    pub status: ClearanceStatus,
    /// `None` until risk selection (and again after an amendment).
    pub lane: Option<Lane>,
    /// The duty as declared, assessed once the checks pass unless reassessed.
    pub declared_duty: Option<Money>,
    /// The assessed duty; `None` until assessment.
    pub assessed_duty: Option<Money>,
    /// The ledger entry the duty payment was posted under.
    pub paid: Option<String>,
    /// Agencies whose approval is required, with their decisions.
    pub agencies: Vec<AgencyApproval>,
    /// Whether the lane's checks (none, documents, inspection) have passed.
    pub checks_done: bool,
    pub inspection: Option<InspectionRecord>,
    /// Every amendment made, oldest first.
    pub amendments: Vec<String>,
}

impl ClearanceState {
    /// A lodged declaration, waiting for risk selection.
    pub fn submitted() -> ClearanceState {
        ClearanceState {
            status: ClearanceStatus::Submitted,
            lane: None,
            declared_duty: None,
            assessed_duty: None,
            paid: None,
            agencies: Vec::new(),
            checks_done: false,
            inspection: None,
            amendments: Vec::new(),
        }
    }

    /// The state right after risk selection: green is assessed at once at `duty` and waits for
    /// payment, approvals or the release; yellow waits for a document check; red for an
    /// inspection. A duty of zero or less is not owed, so payment is skipped.
    pub fn after_selection(selection: &Selection, duty: Money, required_agencies: Vec<String>) -> ClearanceState {
        ClearanceState::submitted().selected(selection.lane, duty, required_agencies)
    }

    fn selected(mut self, lane: Lane, duty: Money, required_agencies: Vec<String>) -> ClearanceState {
        let mut agencies: Vec<AgencyApproval> = Vec::new();
        for a in required_agencies {
            let a = a.trim().to_string();
            if !a.is_empty() && !agencies.iter().any(|x| x.agency == a) {
                agencies.push(AgencyApproval { agency: a, decision: None });
            }
        }
        self.lane = Some(lane);
        self.declared_duty = Some(duty);
        self.agencies = agencies;
        self.assessed_duty = None;
        self.paid = None;
        self.inspection = None;
        self.checks_done = false;
        match lane {
            Lane::Green => self.assessed(duty),
            Lane::Yellow => {
                self.status = ClearanceStatus::AwaitingDocumentCheck;
                self
            }
            Lane::Red => {
                self.status = ClearanceStatus::AwaitingInspection;
                self
            }
        }
    }

    /// Checks passed and duty assessed at `duty`: settle what is still outstanding.
    fn assessed(mut self, duty: Money) -> ClearanceState {
        self.checks_done = true;
        self.assessed_duty = Some(duty);
        self.settle()
    }

    /// After checks: payment, then approvals, then the release.
    fn settle(mut self) -> ClearanceState {
        if !self.checks_done {
            return self;
        }
        if let Some(duty) = self.duty_owed() {
            self.status = ClearanceStatus::AwaitingPayment { duty };
        } else if !self.pending_agencies().is_empty() {
            self.status = ClearanceStatus::AwaitingApprovals { agencies: self.pending_agencies() };
        } else {
            self.status = ClearanceStatus::AwaitingRelease;
        }
        self
    }

    /// The assessed duty while it is above zero and unpaid.
    fn duty_owed(&self) -> Option<Money> {
        match (self.assessed_duty, &self.paid) {
            (Some(d), None) if d.amount() > Decimal::ZERO => Some(d),
            _ => None,
        }
    }

    fn pending_agencies(&self) -> Vec<String> {
        self.agencies.iter().filter(|a| a.decision.is_none()).map(|a| a.agency.clone()).collect()
    }

    pub fn is_terminal(&self) -> bool {
        matches!(
            self.status,
            ClearanceStatus::Released { .. }
                | ClearanceStatus::Refused { .. }
                | ClearanceStatus::Rejected { .. }
                | ClearanceStatus::Cancelled { .. }
        )
    }

    /// What the declaration is waiting for, in words for the screens; empty once terminal.
    pub fn next_steps(&self) -> Vec<String> {
        let mut steps = Vec::new();
        match &self.status {
            ClearanceStatus::Submitted => steps.push("risk selection by the customs system".to_string()),
            ClearanceStatus::AwaitingDocumentCheck => steps.push("a customs officer checks the documents".to_string()),
            ClearanceStatus::AwaitingInspection => {
                steps.push("the inspection service books a physical inspection".to_string())
            }
            ClearanceStatus::InspectionBooked { slot, inspector } => {
                steps.push(format!("inspection by {inspector} at {slot}, then its outcome recorded"))
            }
            ClearanceStatus::AwaitingReassessment { .. } => steps.push(
                "a customs officer reassesses the duty on the inspection findings, or rejects the declaration"
                    .to_string(),
            ),
            ClearanceStatus::AwaitingPayment { duty } => steps.push(format!("payment of {duty} duty")),
            ClearanceStatus::AwaitingApprovals { .. } => {}
            ClearanceStatus::AwaitingRelease => {
                steps.push("the release note, issued by the customs system".to_string())
            }
            ClearanceStatus::Released { .. }
            | ClearanceStatus::Refused { .. }
            | ClearanceStatus::Rejected { .. }
            | ClearanceStatus::Cancelled { .. } => return steps,
        }
        for agency in self.pending_agencies() {
            steps.push(format!("a decision from the {agency} agency"));
        }
        steps
    }

    /// Applies one event by one actor, or says why it cannot happen now.
    pub fn apply(&self, event: &ClearanceEvent, actor: Actor) -> Result<ClearanceState, ClearanceError> {
        if !event.permits(&actor) {
            return Err(ClearanceError::NotPermitted {
                event: event.name(),
                actor: actor.to_string(),
                allowed: event.who(),
            });
        }
        if self.is_terminal() {
            return Err(ClearanceError::Finished { status: self.status.name() });
        }
        let lane = match (self.lane, event) {
            (Some(l), _) => l,
            (None, ClearanceEvent::Selected { .. })
            | (None, ClearanceEvent::Cancelled { .. })
            | (None, ClearanceEvent::Amended { .. })
            | (None, ClearanceEvent::AgencyDecision { .. }) => Lane::Green,
            (None, e) => return Err(ClearanceError::NotSelected { event: e.name() }),
        };
        let next = self.clone();
        match event {
            ClearanceEvent::Selected { selection, duty, required_agencies } => {
                if let Some(lane) = self.lane {
                    return Err(ClearanceError::AlreadySelected { lane });
                }
                non_negative(duty)?;
                Ok(next.selected(selection.lane, *duty, required_agencies.clone()))
            }
            ClearanceEvent::DocumentsAccepted => match self.status {
                ClearanceStatus::AwaitingDocumentCheck => Ok(self.assess_declared(next)),
                _ => Err(ClearanceError::NoDocumentCheck { lane }),
            },
            ClearanceEvent::InspectionBooked { slot, inspector } => match &self.status {
                ClearanceStatus::AwaitingInspection => {
                    let mut next = next;
                    next.status = ClearanceStatus::InspectionBooked { slot: *slot, inspector: inspector.clone() };
                    Ok(next)
                }
                ClearanceStatus::InspectionBooked { slot, inspector } => {
                    Err(ClearanceError::InspectionAlreadyBooked { slot: *slot, inspector: inspector.clone() })
                }
                _ if lane == Lane::Red => Err(ClearanceError::InspectionAlreadyRecorded),
                _ => Err(ClearanceError::NoInspection { lane }),
            },
            ClearanceEvent::InspectionRecorded { compliant, findings, photos } => match &self.status {
                ClearanceStatus::InspectionBooked { .. } => {
                    if !compliant && findings.trim().is_empty() {
                        return Err(ClearanceError::MissingReason { what: "non-compliant inspection's findings" });
                    }
                    let mut next = next;
                    next.inspection = Some(InspectionRecord {
                        compliant: *compliant,
                        findings: findings.clone(),
                        photos: photos.clone(),
                    });
                    if *compliant {
                        Ok(self.assess_declared(next))
                    } else {
                        next.status = ClearanceStatus::AwaitingReassessment { findings: findings.clone() };
                        Ok(next)
                    }
                }
                ClearanceStatus::AwaitingInspection => Err(ClearanceError::InspectionNotBooked),
                _ if lane == Lane::Red => Err(ClearanceError::InspectionAlreadyRecorded),
                _ => Err(ClearanceError::NoInspection { lane }),
            },
            ClearanceEvent::Reassessed { duty, reason } => {
                if reason.trim().is_empty() {
                    return Err(ClearanceError::MissingReason { what: "reassessment" });
                }
                non_negative(duty)?;
                if let Some(entry) = &self.paid {
                    return Err(ClearanceError::AlreadyPaid { ledger_entry: entry.clone() });
                }
                match self.status {
                    ClearanceStatus::AwaitingReassessment { .. } => Ok(next.assessed(*duty)),
                    _ if self.assessed_duty.is_some() => Ok(next.assessed(*duty)),
                    ClearanceStatus::AwaitingInspection => Err(ClearanceError::InspectionNotBooked),
                    _ => Err(ClearanceError::NotAssessed { lane }),
                }
            }
            ClearanceEvent::Rejected { reason } => {
                if reason.trim().is_empty() {
                    return Err(ClearanceError::MissingReason { what: "rejection" });
                }
                let mut next = next;
                next.status = ClearanceStatus::Rejected { reason: reason.clone() };
                Ok(next)
            }
            ClearanceEvent::DutyPaid { ledger_entry } => {
                if ledger_entry.trim().is_empty() {
                    return Err(ClearanceError::MissingLedgerEntry);
                }
                if let Some(entry) = &self.paid {
                    return Err(ClearanceError::AlreadyPaid { ledger_entry: entry.clone() });
                }
                match self.assessed_duty {
                    None if self.status == ClearanceStatus::AwaitingInspection => {
                        Err(ClearanceError::InspectionNotBooked)
                    }
                    None => Err(ClearanceError::NotAssessed { lane }),
                    Some(d) if d.amount() <= Decimal::ZERO => Err(ClearanceError::NothingToPay),
                    Some(_) => {
                        let mut next = next;
                        next.paid = Some(ledger_entry.clone());
                        Ok(next.settle())
                    }
                }
            }
            ClearanceEvent::AgencyDecision { agency, approved, note } => {
                let Some(idx) = self.agencies.iter().position(|a| &a.agency == agency) else {
                    return Err(ClearanceError::AgencyNotRequired { agency: agency.clone() });
                };
                if self.agencies[idx].decision.is_some() {
                    return Err(ClearanceError::AgencyAlreadyDecided { agency: agency.clone() });
                }
                if !approved && note.trim().is_empty() {
                    return Err(ClearanceError::MissingReason { what: "agency refusal" });
                }
                let mut next = next;
                next.agencies[idx].decision = Some(AgencyVerdict { approved: *approved, note: note.clone() });
                if *approved {
                    Ok(next.settle())
                } else {
                    next.status = ClearanceStatus::Refused { agency: agency.clone(), reason: note.clone() };
                    Ok(next)
                }
            }
            ClearanceEvent::Cancelled { reason } => {
                if reason.trim().is_empty() {
                    return Err(ClearanceError::MissingReason { what: "cancellation" });
                }
                let mut next = next;
                next.status = ClearanceStatus::Cancelled { reason: reason.clone() };
                Ok(next)
            }
            ClearanceEvent::Amended { changes } => {
                if changes.trim().is_empty() {
                    return Err(ClearanceError::MissingReason { what: "amendment" });
                }
                if let Some(entry) = &self.paid {
                    return Err(ClearanceError::AlreadyPaid { ledger_entry: entry.clone() });
                }
                if self.assessed_duty.is_some() {
                    return Err(ClearanceError::AmendAfterAssessment);
                }
                // The goods may have changed, so the lane, checks and agency decisions are
                // all redone: the declaration goes back through risk selection.
                let mut next = ClearanceState::submitted();
                next.amendments = self.amendments.clone();
                next.amendments.push(changes.clone());
                Ok(next)
            }
            ClearanceEvent::Released { at } => {
                if self.status == ClearanceStatus::AwaitingRelease {
                    let mut next = next;
                    next.status = ClearanceStatus::Released { at: *at };
                    Ok(next)
                } else {
                    Err(ClearanceError::NotReadyForRelease { awaiting: self.next_steps() })
                }
            }
        }
    }

    /// Checks passed without findings: the declared duty is assessed.
    fn assess_declared(&self, next: ClearanceState) -> ClearanceState {
        match self.declared_duty {
            Some(d) => next.assessed(d),
            None => next,
        }
    }
}

fn non_negative(duty: &Money) -> Result<(), ClearanceError> {
    if duty.amount() < Decimal::ZERO { Err(ClearanceError::NegativeDuty { duty: *duty }) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd(amount: &str) -> Money {
        Money::new(amount.parse().expect("decimal"), "USD".parse().expect("currency")).expect("money")
    }

    fn selection(lane: Lane) -> Selection {
        Selection { lane, fired: Vec::new(), sampled: None }
    }

    fn at() -> OffsetDateTime {
        time::macros::datetime!(2025-03-04 10:30 UTC)
    }

    fn agencies(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn step(state: &ClearanceState, event: ClearanceEvent, actor: Actor) -> ClearanceState {
        state.apply(&event, actor).expect("event applies")
    }

    fn paid(entry: &str) -> ClearanceEvent {
        ClearanceEvent::DutyPaid { ledger_entry: entry.to_string() }
    }

    fn release() -> ClearanceEvent {
        ClearanceEvent::Released { at: at() }
    }

    #[test]
    fn green_with_no_duty_and_no_agencies_only_awaits_the_release() {
        let s = ClearanceState::after_selection(&selection(Lane::Green), usd("0"), vec![]);
        assert_eq!(s.status, ClearanceStatus::AwaitingRelease);
        assert!(s.checks_done);
        assert_eq!(s.assessed_duty, Some(usd("0")));
        // Zero duty skips payment: a payment is refused.
        assert_eq!(s.apply(&paid("L-1"), Actor::System), Err(ClearanceError::NothingToPay));
        let r = step(&s, release(), Actor::System);
        assert_eq!(r.status, ClearanceStatus::Released { at: at() });
        assert!(r.is_terminal());
        assert!(r.next_steps().is_empty());
    }

    #[test]
    fn green_with_duty_waits_for_payment_then_release() {
        let s = ClearanceState::after_selection(&selection(Lane::Green), usd("125.40"), vec![]);
        assert_eq!(s.status, ClearanceStatus::AwaitingPayment { duty: usd("125.40") });
        assert_eq!(s.next_steps(), vec!["payment of USD 125.40 duty".to_string()]);
        let err = s.apply(&release(), Actor::System).expect_err("not paid");
        assert_eq!(err, ClearanceError::NotReadyForRelease { awaiting: vec!["payment of USD 125.40 duty".into()] });
        assert!(err.to_string().contains("cannot be released yet: payment of USD 125.40 duty"));
        assert!(matches!(s.apply(&paid(" "), Actor::System), Err(ClearanceError::MissingLedgerEntry)));
        let p = step(&s, paid("L-77"), Actor::System);
        assert_eq!(p.status, ClearanceStatus::AwaitingRelease);
        assert_eq!(p.paid.as_deref(), Some("L-77"));
        assert_eq!(
            p.apply(&paid("L-78"), Actor::System),
            Err(ClearanceError::AlreadyPaid { ledger_entry: "L-77".into() })
        );
        assert!(step(&p, release(), Actor::System).is_terminal());
    }

    #[test]
    fn only_the_system_posts_payments_and_releases() {
        let s = ClearanceState::after_selection(&selection(Lane::Green), usd("10"), vec![]);
        let err = s.apply(&paid("L-1"), Actor::Declarant).expect_err("declarant cannot post");
        assert!(matches!(err, ClearanceError::NotPermitted { allowed: "the customs system", .. }));
        assert_eq!(err.to_string(), "only the customs system may do posting the duty payment; the declarant cannot");
        let s = step(&s, paid("L-1"), Actor::System);
        assert!(matches!(s.apply(&release(), Actor::Officer), Err(ClearanceError::NotPermitted { .. })));
    }

    #[test]
    fn yellow_lane_needs_an_officer_to_accept_the_documents() {
        let s = ClearanceState::after_selection(&selection(Lane::Yellow), usd("40"), vec![]);
        assert_eq!(s.status, ClearanceStatus::AwaitingDocumentCheck);
        assert_eq!(s.apply(&paid("L-1"), Actor::System), Err(ClearanceError::NotAssessed { lane: Lane::Yellow }));
        assert!(matches!(
            s.apply(&ClearanceEvent::DocumentsAccepted, Actor::Declarant),
            Err(ClearanceError::NotPermitted { .. })
        ));
        let booked = ClearanceEvent::InspectionBooked { slot: at(), inspector: "J. Okafor".into() };
        assert_eq!(s.apply(&booked, Actor::Inspector), Err(ClearanceError::NoInspection { lane: Lane::Yellow }));
        let a = step(&s, ClearanceEvent::DocumentsAccepted, Actor::Officer);
        assert_eq!(a.status, ClearanceStatus::AwaitingPayment { duty: usd("40") });
        assert_eq!(
            a.apply(&ClearanceEvent::DocumentsAccepted, Actor::Officer),
            Err(ClearanceError::NoDocumentCheck { lane: Lane::Yellow })
        );
    }

    #[test]
    fn red_lane_inspection_must_be_booked_before_it_is_recorded() {
        let s = ClearanceState::after_selection(&selection(Lane::Red), usd("40"), vec![]);
        assert_eq!(s.status, ClearanceStatus::AwaitingInspection);
        let record = ClearanceEvent::InspectionRecorded { compliant: true, findings: String::new(), photos: vec![] };
        let err = s.apply(&record, Actor::Inspector).expect_err("not booked");
        assert_eq!(err.to_string(), "the declaration is in the red lane: an inspection must be booked first");
        assert_eq!(
            s.apply(&ClearanceEvent::DocumentsAccepted, Actor::Officer),
            Err(ClearanceError::NoDocumentCheck { lane: Lane::Red })
        );
        let booked = ClearanceEvent::InspectionBooked { slot: at(), inspector: "J. Okafor".into() };
        assert!(matches!(s.apply(&booked, Actor::Officer), Err(ClearanceError::NotPermitted { .. })));
        let b = step(&s, booked.clone(), Actor::Inspector);
        assert_eq!(b.status, ClearanceStatus::InspectionBooked { slot: at(), inspector: "J. Okafor".into() });
        assert!(matches!(b.apply(&booked, Actor::Inspector), Err(ClearanceError::InspectionAlreadyBooked { .. })));
        let r = step(&b, record.clone(), Actor::Inspector);
        assert_eq!(r.status, ClearanceStatus::AwaitingPayment { duty: usd("40") });
        assert!(r.inspection.as_ref().is_some_and(|i| i.compliant));
        assert_eq!(r.apply(&record, Actor::Inspector), Err(ClearanceError::InspectionAlreadyRecorded));
    }

    #[test]
    fn non_compliant_findings_need_a_reassessment_or_a_rejection() {
        let s = ClearanceState::after_selection(&selection(Lane::Red), usd("40"), vec![]);
        let b = step(&s, ClearanceEvent::InspectionBooked { slot: at(), inspector: "A".into() }, Actor::Inspector);
        let silent = ClearanceEvent::InspectionRecorded { compliant: false, findings: " ".into(), photos: vec![] };
        assert!(matches!(b.apply(&silent, Actor::Inspector), Err(ClearanceError::MissingReason { .. })));
        let finding = ClearanceEvent::InspectionRecorded {
            compliant: false,
            findings: "120 cartons found, 100 declared".into(),
            photos: vec!["blob-1".into(), "blob-2".into()],
        };
        let f = step(&b, finding, Actor::Inspector);
        assert_eq!(
            f.status,
            ClearanceStatus::AwaitingReassessment { findings: "120 cartons found, 100 declared".into() }
        );
        assert!(!f.checks_done);
        assert_eq!(f.apply(&paid("L-1"), Actor::System), Err(ClearanceError::NotAssessed { lane: Lane::Red }));
        assert!(matches!(f.apply(&release(), Actor::System), Err(ClearanceError::NotReadyForRelease { .. })));
        let no_reason = ClearanceEvent::Reassessed { duty: usd("48"), reason: "".into() };
        assert_eq!(f.apply(&no_reason, Actor::Officer), Err(ClearanceError::MissingReason { what: "reassessment" }));
        let negative = ClearanceEvent::Reassessed { duty: usd("-1"), reason: "x".into() };
        assert!(matches!(f.apply(&negative, Actor::Officer), Err(ClearanceError::NegativeDuty { .. })));
        // 40 declared for 100 cartons; 120 found: 40 × 120 / 100 = 48.
        let re = ClearanceEvent::Reassessed { duty: usd("48"), reason: "quantity found 120 cartons".into() };
        let r = step(&f, re, Actor::Officer);
        assert_eq!(r.status, ClearanceStatus::AwaitingPayment { duty: usd("48") });
        let rejected = step(&f, ClearanceEvent::Rejected { reason: "misdeclared goods".into() }, Actor::Officer);
        assert!(rejected.is_terminal());
        assert_eq!(rejected.apply(&paid("L"), Actor::System), Err(ClearanceError::Finished { status: "rejected" }));
    }

    #[test]
    fn reassessment_is_allowed_until_payment_only() {
        let s = ClearanceState::after_selection(&selection(Lane::Yellow), usd("40"), vec![]);
        let re = ClearanceEvent::Reassessed { duty: usd("0"), reason: "preferential origin proven".into() };
        assert_eq!(s.apply(&re, Actor::Officer), Err(ClearanceError::NotAssessed { lane: Lane::Yellow }));
        let a = step(&s, ClearanceEvent::DocumentsAccepted, Actor::Officer);
        let z = step(&a, re.clone(), Actor::Officer);
        assert_eq!(z.status, ClearanceStatus::AwaitingRelease, "zero duty skips payment");
        let p = step(&a, paid("L-9"), Actor::System);
        assert_eq!(p.apply(&re, Actor::Officer), Err(ClearanceError::AlreadyPaid { ledger_entry: "L-9".into() }));
    }

    #[test]
    fn agencies_decide_for_themselves_and_a_refusal_ends_it() {
        let s = ClearanceState::after_selection(
            &selection(Lane::Yellow),
            usd("0"),
            agencies(&["quarantine", "health", "quarantine", " "]),
        );
        assert_eq!(s.agencies.len(), 2, "duplicates and blanks dropped");
        let approve = |agency: &str| ClearanceEvent::AgencyDecision {
            agency: agency.into(),
            approved: true,
            note: String::new(),
        };
        assert!(matches!(
            s.apply(&approve("health"), Actor::Agency("quarantine".into())),
            Err(ClearanceError::NotPermitted { .. })
        ));
        assert_eq!(
            s.apply(&approve("standards"), Actor::Agency("standards".into())),
            Err(ClearanceError::AgencyNotRequired { agency: "standards".into() })
        );
        // Decisions may come before the checks; the status still awaits the documents.
        let h = step(&s, approve("health"), Actor::Agency("health".into()));
        assert_eq!(h.status, ClearanceStatus::AwaitingDocumentCheck);
        assert_eq!(
            h.next_steps(),
            vec!["a customs officer checks the documents".to_string(), "a decision from the quarantine agency".into()]
        );
        assert_eq!(
            h.apply(&approve("health"), Actor::Agency("health".into())),
            Err(ClearanceError::AgencyAlreadyDecided { agency: "health".into() })
        );
        let d = step(&h, ClearanceEvent::DocumentsAccepted, Actor::Officer);
        assert_eq!(d.status, ClearanceStatus::AwaitingApprovals { agencies: agencies(&["quarantine"]) });
        let q = step(&d, approve("quarantine"), Actor::Agency("quarantine".into()));
        assert_eq!(q.status, ClearanceStatus::AwaitingRelease);

        let bare = ClearanceEvent::AgencyDecision { agency: "quarantine".into(), approved: false, note: "".into() };
        assert!(matches!(
            d.apply(&bare, Actor::Agency("quarantine".into())),
            Err(ClearanceError::MissingReason { .. })
        ));
        let refuse =
            ClearanceEvent::AgencyDecision { agency: "quarantine".into(), approved: false, note: "live pests".into() };
        let r = step(&d, refuse, Actor::Agency("quarantine".into()));
        assert_eq!(r.status, ClearanceStatus::Refused { agency: "quarantine".into(), reason: "live pests".into() });
        assert!(r.is_terminal());
        assert!(matches!(r.apply(&release(), Actor::System), Err(ClearanceError::Finished { .. })));
    }

    #[test]
    fn amendment_before_assessment_goes_back_through_selection() {
        let s = ClearanceState::after_selection(&selection(Lane::Yellow), usd("40"), agencies(&["health"]));
        let amend = ClearanceEvent::Amended { changes: "item 2 quantity 12 → 10".into() };
        assert!(matches!(s.apply(&amend, Actor::Officer), Err(ClearanceError::NotPermitted { .. })));
        let a = step(&s, amend.clone(), Actor::Declarant);
        assert_eq!(a.status, ClearanceStatus::Submitted);
        assert_eq!(a.lane, None);
        assert!(a.agencies.is_empty());
        assert_eq!(a.amendments, vec!["item 2 quantity 12 → 10".to_string()]);
        assert_eq!(
            a.apply(&ClearanceEvent::DocumentsAccepted, Actor::Officer),
            Err(ClearanceError::NotSelected { event: "accepting the documents" })
        );
        let again =
            ClearanceEvent::Selected { selection: selection(Lane::Green), duty: usd("30"), required_agencies: vec![] };
        let g = step(&a, again.clone(), Actor::System);
        assert_eq!(g.status, ClearanceStatus::AwaitingPayment { duty: usd("30") });
        assert_eq!(g.apply(&again, Actor::System), Err(ClearanceError::AlreadySelected { lane: Lane::Green }));
        // Green is assessed at selection, so amending is too late.
        assert_eq!(g.apply(&amend, Actor::Declarant), Err(ClearanceError::AmendAfterAssessment));
        let empty = ClearanceEvent::Amended { changes: " ".into() };
        assert!(matches!(s.apply(&empty, Actor::Declarant), Err(ClearanceError::MissingReason { .. })));
    }

    #[test]
    fn the_declarant_may_cancel_before_release_only() {
        let s = ClearanceState::after_selection(&selection(Lane::Green), usd("0"), vec![]);
        let cancel = ClearanceEvent::Cancelled { reason: "shipment returned".into() };
        assert!(matches!(s.apply(&cancel, Actor::Officer), Err(ClearanceError::NotPermitted { .. })));
        let blank = ClearanceEvent::Cancelled { reason: "".into() };
        assert!(matches!(s.apply(&blank, Actor::Declarant), Err(ClearanceError::MissingReason { .. })));
        let c = step(&s, cancel.clone(), Actor::Declarant);
        assert_eq!(c.status, ClearanceStatus::Cancelled { reason: "shipment returned".into() });
        let r = step(&s, release(), Actor::System);
        assert_eq!(r.apply(&cancel, Actor::Declarant), Err(ClearanceError::Finished { status: "released" }));
    }

    #[test]
    fn selection_refuses_a_negative_duty() {
        let e =
            ClearanceEvent::Selected { selection: selection(Lane::Green), duty: usd("-5"), required_agencies: vec![] };
        assert!(matches!(
            ClearanceState::submitted().apply(&e, Actor::System),
            Err(ClearanceError::NegativeDuty { .. })
        ));
        assert!(matches!(
            ClearanceState::submitted().apply(&paid("L"), Actor::System),
            Err(ClearanceError::NotSelected { .. })
        ));
    }

    #[test]
    fn lanes_read_and_order() {
        assert_eq!("RED".parse::<Lane>(), Ok(Lane::Red));
        assert_eq!(" yellow ".parse::<Lane>(), Ok(Lane::Yellow));
        assert!("blue".parse::<Lane>().is_err());
        assert!(Lane::Green < Lane::Yellow && Lane::Yellow < Lane::Red);
        assert_eq!(Lane::Yellow.as_str(), "yellow");
    }

    #[test]
    fn states_and_events_round_trip_as_json() {
        let s = ClearanceState::after_selection(&selection(Lane::Red), usd("12.50"), agencies(&["health"]));
        let s = step(&s, ClearanceEvent::InspectionBooked { slot: at(), inspector: "A".into() }, Actor::Inspector);
        let json = serde_json::to_string(&s).expect("serialize");
        assert!(json.contains("\"type\":\"inspection_booked\""), "{json}");
        assert_eq!(serde_json::from_str::<ClearanceState>(&json).expect("parse"), s);
        let e = ClearanceEvent::AgencyDecision { agency: "health".into(), approved: true, note: "ok".into() };
        let json = serde_json::to_string(&e).expect("serialize");
        assert!(json.contains("\"type\":\"agency_decision\""));
        assert_eq!(serde_json::from_str::<ClearanceEvent>(&json).expect("parse"), e);
        let actor = serde_json::to_string(&Actor::Agency("health".into())).expect("serialize");
        assert_eq!(actor, r#"{"agency":"health"}"#);
    }

    fn any_event() -> impl Strategy<Value = (ClearanceEvent, Actor)> {
        let agency = prop_oneof![Just("health".to_string()), Just("quarantine".to_string())];
        prop_oneof![
            (0u8..3, 0i64..3).prop_map(|(l, d)| {
                let lane = Lane::all()[usize::from(l)];
                (
                    ClearanceEvent::Selected {
                        selection: Selection { lane, fired: vec![], sampled: None },
                        duty: Money::from_minor_units(d * 1000, "USD".parse().expect("usd")),
                        required_agencies: vec!["health".into(), "quarantine".into()],
                    },
                    Actor::System,
                )
            }),
            Just((ClearanceEvent::DocumentsAccepted, Actor::Officer)),
            Just((ClearanceEvent::InspectionBooked { slot: at(), inspector: "A".into() }, Actor::Inspector)),
            any::<bool>().prop_map(|c| (
                ClearanceEvent::InspectionRecorded { compliant: c, findings: "seen".into(), photos: vec![] },
                Actor::Inspector
            )),
            (0i64..3).prop_map(|d| (
                ClearanceEvent::Reassessed {
                    duty: Money::from_minor_units(d * 500, "USD".parse().expect("usd")),
                    reason: "r".into()
                },
                Actor::Officer
            )),
            Just((paid("L-1"), Actor::System)),
            (agency, any::<bool>()).prop_map(|(a, ok)| (
                ClearanceEvent::AgencyDecision { agency: a.clone(), approved: ok, note: "n".into() },
                Actor::Agency(a)
            )),
            Just((ClearanceEvent::Amended { changes: "c".into() }, Actor::Declarant)),
            Just((release(), Actor::System)),
        ]
    }

    proptest! {
        #[test]
        fn release_only_when_checks_payment_and_approvals_are_done(
            events in proptest::collection::vec(any_event(), 0..30)
        ) {
            let mut s = ClearanceState::submitted();
            for (event, actor) in &events {
                if let Ok(next) = s.apply(event, actor.clone()) {
                    s = next;
                }
                if let ClearanceStatus::Released { .. } = s.status {
                    prop_assert!(s.checks_done);
                    let duty = s.assessed_duty.expect("assessed before release");
                    prop_assert!(duty.amount() == Decimal::ZERO || s.paid.is_some());
                    prop_assert!(s.agencies.iter().all(|a| a.decision.as_ref().is_some_and(|d| d.approved)));
                }
                if s.paid.is_some() {
                    prop_assert!(s.assessed_duty.is_some_and(|d| d.amount() > Decimal::ZERO));
                }
            }
        }
    }
}
