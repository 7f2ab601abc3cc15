//! A shipment's life cycle and its proof of delivery.
//!
//! requested (a party of the order booked it) → confirmed (the carrier accepted it, with
//! container numbers for sea) → in_transit (the carrier reported the goods departing or
//! loaded) → delivered (the carrier's proof of delivery). A requested or confirmed
//! shipment may be cancelled. A carrier that never reports departure may still deliver a
//! confirmed shipment (a truck that went straight to the door).

use crate::validation::{CodedError, ValidationErrors, required_text};
use serde::{Deserialize, Serialize};

/// Where a shipment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentStatus {
    Requested,
    Confirmed,
    InTransit,
    Delivered,
    Cancelled,
}

/// What happens to a shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipmentEvent {
    /// The carrier accepts the booking.
    Confirm,
    /// The goods left (an ACTual departure or load reported by the carrier).
    Depart,
    /// The carrier's proof of delivery.
    Deliver,
    Cancel,
}

impl ShipmentEvent {
    pub fn name(self) -> &'static str {
        match self {
            ShipmentEvent::Confirm => "confirm",
            ShipmentEvent::Depart => "depart",
            ShipmentEvent::Deliver => "deliver",
            ShipmentEvent::Cancel => "cancel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event} a shipment that is {from}; allowed now: {allowed}")]
pub struct ShipmentTransitionError {
    pub from: &'static str,
    pub event: &'static str,
    pub allowed: String,
}

impl CodedError for ShipmentTransitionError {
    fn code(&self) -> &'static str {
        "invalid_shipment_transition"
    }
}

impl ShipmentStatus {
    pub fn label(self) -> &'static str {
        match self {
            ShipmentStatus::Requested => "requested",
            ShipmentStatus::Confirmed => "confirmed",
            ShipmentStatus::InTransit => "in_transit",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ShipmentStatus> {
        use ShipmentStatus as S;
        [S::Requested, S::Confirmed, S::InTransit, S::Delivered, S::Cancelled].into_iter().find(|x| x.label() == s)
    }

    /// The events this status accepts, by name.
    pub fn allowed(self) -> &'static [&'static str] {
        match self {
            ShipmentStatus::Requested => &["confirm", "cancel"],
            ShipmentStatus::Confirmed => &["depart", "deliver", "cancel"],
            ShipmentStatus::InTransit => &["deliver"],
            ShipmentStatus::Delivered | ShipmentStatus::Cancelled => &[],
        }
    }

    /// Whether the carrier may report tracking events now: once it confirmed, and after
    /// delivery too (late events still belong on the timeline), never on a cancelled booking.
    pub fn takes_tracking_events(self) -> bool {
        matches!(self, ShipmentStatus::Confirmed | ShipmentStatus::InTransit | ShipmentStatus::Delivered)
    }

    pub fn apply(self, event: ShipmentEvent) -> Result<ShipmentStatus, ShipmentTransitionError> {
        use ShipmentEvent as E;
        use ShipmentStatus as S;
        match (self, event) {
            (S::Requested, E::Confirm) => Ok(S::Confirmed),
            (S::Confirmed, E::Depart) => Ok(S::InTransit),
            (S::Confirmed | S::InTransit, E::Deliver) => Ok(S::Delivered),
            (S::Requested | S::Confirmed, E::Cancel) => Ok(S::Cancelled),
            _ => {
                let allowed = self.allowed();
                Err(ShipmentTransitionError {
                    from: self.label(),
                    event: event.name(),
                    allowed: if allowed.is_empty() {
                        "nothing (the shipment is closed)".into()
                    } else {
                        allowed.join(", ")
                    },
                })
            }
        }
    }
}

/// Who signed for the goods, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofOfDelivery {
    pub signatory: String,
    #[serde(with = "time::serde::rfc3339")]
    pub delivered_at: time::OffsetDateTime,
    pub note: Option<String>,
}

/// A proof of delivery as typed; `delivered_at` is RFC 3339.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProofOfDeliveryForm {
    pub signatory: String,
    pub delivered_at: String,
    pub note: Option<String>,
}

/// How far ahead of the server's clock a reported time may be (clocks drift).
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

impl ProofOfDeliveryForm {
    /// Validates against `now`: goods cannot have been delivered in the future.
    pub fn validate(&self, now: time::OffsetDateTime) -> Result<ProofOfDelivery, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let signatory = required_text(&mut e, "signatory", &self.signatory, 200);
        let delivered_at =
            match time::OffsetDateTime::parse(self.delivered_at.trim(), &time::format_description::well_known::Rfc3339)
            {
                Ok(t) if t > now + CLOCK_SKEW => {
                    e.push("delivered_at", "in_the_future", "delivered_at is later than now");
                    None
                }
                Ok(t) => Some(t),
                Err(_) => {
                    e.push(
                        "delivered_at",
                        "invalid_datetime",
                        format!(
                            "'{}' is not a date and time; write RFC 3339, for example 2026-05-01T14:30:00Z",
                            self.delivered_at
                        ),
                    );
                    None
                }
            };
        let note = match self.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if n.chars().count() > 2000 => {
                e.push("note", "too_long", "note must be at most 2000 characters");
                None
            }
            other => other.map(str::to_string),
        };
        match (signatory, delivered_at) {
            (Some(signatory), Some(delivered_at)) if e.is_empty() => {
                Ok(ProofOfDelivery { signatory, delivered_at, note })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_and_refusals() {
        let s = ShipmentStatus::Requested.apply(ShipmentEvent::Confirm).expect("confirm");
        let s = s.apply(ShipmentEvent::Depart).expect("depart");
        let err = s.apply(ShipmentEvent::Cancel).expect_err("cancel in transit");
        assert_eq!(err.to_string(), "cannot cancel a shipment that is in_transit; allowed now: deliver");
        assert_eq!(err.code(), "invalid_shipment_transition");
        let s = s.apply(ShipmentEvent::Deliver).expect("deliver");
        assert_eq!(s.apply(ShipmentEvent::Deliver).expect_err("twice").allowed, "nothing (the shipment is closed)");
        assert_eq!(
            ShipmentStatus::Requested.apply(ShipmentEvent::Deliver).expect_err("unconfirmed").allowed,
            "confirm, cancel"
        );
        assert_eq!(ShipmentStatus::parse("in_transit"), Some(ShipmentStatus::InTransit));
        assert!(!ShipmentStatus::Requested.takes_tracking_events());
    }

    #[test]
    fn proof_of_delivery_is_checked() {
        let now = time::macros::datetime!(2026-05-01 12:00 UTC);
        let ok = ProofOfDeliveryForm {
            signatory: " J. Weber ".into(),
            delivered_at: "2026-05-01T11:30:00+02:00".into(),
            note: Some(" ".into()),
        };
        let pod = ok.validate(now).expect("valid");
        assert_eq!((pod.signatory.as_str(), pod.note), ("J. Weber", None));
        let bad = ProofOfDeliveryForm {
            signatory: "".into(),
            delivered_at: "2026-05-02T12:00:00Z".into(),
            note: Some("x".repeat(2001)),
        };
        let got: Vec<(String, &str)> =
            bad.validate(now).expect_err("bad").0.into_iter().map(|f| (f.field, f.code)).collect();
        assert_eq!(
            got,
            vec![
                ("signatory".into(), "required"),
                ("delivered_at".into(), "in_the_future"),
                ("note".into(), "too_long")
            ]
        );
        let bad = ProofOfDeliveryForm { signatory: "A".into(), delivered_at: "yesterday".into(), note: None };
        assert_eq!(bad.validate(now).expect_err("bad").0[0].code, "invalid_datetime");
    }

    fn any_event() -> impl Strategy<Value = ShipmentEvent> {
        prop::sample::select(vec![
            ShipmentEvent::Confirm,
            ShipmentEvent::Depart,
            ShipmentEvent::Deliver,
            ShipmentEvent::Cancel,
        ])
    }

    proptest! {
        #[test]
        fn allowed_names_exactly_the_events_that_apply(events in prop::collection::vec(any_event(), 0..12)) {
            let mut s = ShipmentStatus::Requested;
            for e in events {
                let listed = s.allowed().contains(&e.name());
                match s.apply(e) {
                    Ok(next) => { prop_assert!(listed); s = next; }
                    Err(err) => { prop_assert!(!listed); prop_assert_eq!(err.from, s.label()); }
                }
            }
        }
    }
}
