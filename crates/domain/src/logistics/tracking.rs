//! Tracking events in the vocabulary of the DCSA Track and Trace standard, and the ETA they
//! give.
//!
//! An event is an EQUIPMENT event (something happened to a container: loaded, discharged,
//! gated in or out, stuffed, stripped, picked up, dropped off), a TRANSPORT event (the
//! means of transport arrived or departed) or a SHIPMENT event (something happened to the
//! shipment's documents: received, drafted, approved, issued, released …). Each is PLaNned,
//! ESTimated or ACTual. The JSON names follow DCSA (`eventID`, `eventType`,
//! `eventClassifierCode`, `eventDateTime`, `equipmentEventTypeCode`, …); DCSA's location
//! object is flattened to its `UNLocationCode`.
//!
//! **ETA rule.** The ETA is taken from TRANSPORT ARRI events at the shipment's destination:
//! the ACTual arrival once there is one; before that the latest ESTimated one received, or
//! failing that the latest PLaNned one. "Latest" is the order the carrier sent them in, not
//! the time they name: a new estimate replaces the old even when it is earlier.

use super::ContainerNumber;
use crate::codes::Locode;
use crate::validation::{CodedError, ValidationErrors, required_text};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A code from one of the DCSA code lists that was not on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not a DCSA {list}; use one of {choices}")]
pub struct UnknownDcsaCode {
    pub list: &'static str,
    pub given: String,
    pub choices: String,
}

impl CodedError for UnknownDcsaCode {
    fn code(&self) -> &'static str {
        "unknown_dcsa_code"
    }
}

macro_rules! dcsa_codes {
    ($(#[$doc:meta])* $name:ident, $list:literal, { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownDcsaCode;
            fn from_str(s: &str) -> Result<Self, UnknownDcsaCode> {
                let v = s.trim().to_ascii_uppercase();
                $name::ALL.iter().copied().find(|c| c.as_str() == v).ok_or_else(|| UnknownDcsaCode {
                    list: $list,
                    given: s.to_string(),
                    choices: $name::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

dcsa_codes!(
    /// DCSA `eventType`.
    EventType, "eventType", { Equipment = "EQUIPMENT", Transport = "TRANSPORT", Shipment = "SHIPMENT" }
);

dcsa_codes!(
    /// DCSA `eventClassifierCode`: planned, estimated or actual.
    EventClassifier, "eventClassifierCode", { Planned = "PLN", Estimated = "EST", Actual = "ACT" }
);

dcsa_codes!(
    /// DCSA `equipmentEventTypeCode`.
    EquipmentEventTypeCode, "equipmentEventTypeCode", {
        /// Loaded onto the means of transport.
        Load = "LOAD",
        /// Discharged from the means of transport.
        Disc = "DISC",
        /// Gated in at a terminal.
        Gtin = "GTIN",
        /// Gated out of a terminal.
        Gtot = "GTOT",
        /// Stuffed with cargo.
        Stuf = "STUF",
        /// Stripped of its cargo.
        Strp = "STRP",
        /// Picked up (empty) by the shipper or consignee.
        Pick = "PICK",
        /// Dropped off (empty).
        Drop = "DROP",
    }
);

dcsa_codes!(
    /// DCSA `transportEventTypeCode`.
    TransportEventTypeCode, "transportEventTypeCode", { Arri = "ARRI", Depa = "DEPA" }
);

dcsa_codes!(
    /// DCSA `shipmentEventTypeCode` (document status of the booking or transport document).
    ShipmentEventTypeCode, "shipmentEventTypeCode", {
        Rece = "RECE", Drft = "DRFT", Pena = "PENA", Penu = "PENU", Reje = "REJE", Appr = "APPR",
        Issu = "ISSU", Surr = "SURR", Subm = "SUBM", Void = "VOID", Conf = "CONF", Reqs = "REQS",
        Cmpl = "CMPL", Hold = "HOLD", Rels = "RELS",
    }
);

/// What kind of event, with the code from that kind's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "eventType")]
pub enum TrackingEventKind {
    #[serde(rename = "EQUIPMENT")]
    Equipment {
        #[serde(rename = "equipmentEventTypeCode")]
        code: EquipmentEventTypeCode,
        #[serde(rename = "equipmentReference", skip_serializing_if = "Option::is_none", default)]
        equipment_reference: Option<ContainerNumber>,
    },
    #[serde(rename = "TRANSPORT")]
    Transport {
        #[serde(rename = "transportEventTypeCode")]
        code: TransportEventTypeCode,
    },
    #[serde(rename = "SHIPMENT")]
    Shipment {
        #[serde(rename = "shipmentEventTypeCode")]
        code: ShipmentEventTypeCode,
    },
}

/// One tracking event as the carrier reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEvent {
    /// The carrier's own id for the event: the same id twice is the same event.
    #[serde(rename = "eventID")]
    pub event_id: String,
    #[serde(flatten)]
    pub kind: TrackingEventKind,
    #[serde(rename = "eventClassifierCode")]
    pub classifier: EventClassifier,
    #[serde(rename = "eventDateTime", with = "time::serde::rfc3339")]
    pub event_datetime: time::OffsetDateTime,
    #[serde(rename = "UNLocationCode", skip_serializing_if = "Option::is_none", default)]
    pub location: Option<Locode>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
}

impl TrackingEvent {
    /// An ACTual departure of the transport, or an ACTual load of a container onto it:
    /// the goods are on their way.
    pub fn starts_transit(&self) -> bool {
        self.classifier == EventClassifier::Actual
            && matches!(
                self.kind,
                TrackingEventKind::Transport { code: TransportEventTypeCode::Depa }
                    | TrackingEventKind::Equipment { code: EquipmentEventTypeCode::Load, .. }
            )
    }

    fn arrival_at(&self, destination: &Locode) -> bool {
        matches!(self.kind, TrackingEventKind::Transport { code: TransportEventTypeCode::Arri })
            && self.location.as_ref() == Some(destination)
    }

    /// The event's codes in words, for notifications: `ACT TRANSPORT DEPA`.
    pub fn summary(&self) -> String {
        let (t, c) = match &self.kind {
            TrackingEventKind::Equipment { code, .. } => (EventType::Equipment, code.as_str()),
            TrackingEventKind::Transport { code } => (EventType::Transport, code.as_str()),
            TrackingEventKind::Shipment { code } => (EventType::Shipment, code.as_str()),
        };
        format!("{} {t} {c}", self.classifier)
    }
}

/// The expected (or actual) arrival at the destination and the event it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eta {
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    pub classifier: EventClassifier,
    pub event_id: String,
}

/// The ETA at `destination` from events in the order they were received (see the module
/// documentation for the rule); none when no arrival there was reported.
pub fn eta(events_as_received: &[TrackingEvent], destination: &Locode) -> Option<Eta> {
    let latest =
        |c: EventClassifier| events_as_received.iter().rev().find(|e| e.classifier == c && e.arrival_at(destination));
    latest(EventClassifier::Actual)
        .or_else(|| latest(EventClassifier::Estimated))
        .or_else(|| latest(EventClassifier::Planned))
        .map(|e| Eta { at: e.event_datetime, classifier: e.classifier, event_id: e.event_id.clone() })
}

/// A tracking event as sent: DCSA names, codes as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TrackingEventForm {
    #[serde(rename = "eventID")]
    pub event_id: String,
    #[serde(rename = "eventType")]
    pub event_type: String,
    #[serde(rename = "eventClassifierCode")]
    pub event_classifier_code: String,
    #[serde(rename = "eventDateTime")]
    pub event_date_time: String,
    #[serde(rename = "equipmentEventTypeCode")]
    pub equipment_event_type_code: Option<String>,
    #[serde(rename = "transportEventTypeCode")]
    pub transport_event_type_code: Option<String>,
    #[serde(rename = "shipmentEventTypeCode")]
    pub shipment_event_type_code: Option<String>,
    #[serde(rename = "equipmentReference")]
    pub equipment_reference: Option<String>,
    #[serde(rename = "UNLocationCode")]
    pub un_location_code: Option<String>,
    pub description: Option<String>,
}

/// Most events one request may carry.
pub const MAX_EVENTS: usize = 100;

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl TrackingEventForm {
    /// Validates one event against `now` (an ACTual event cannot lie in the future);
    /// fields are named `{prefix}.eventType` and so on.
    pub fn validate(&self, e: &mut ValidationErrors, prefix: &str, now: time::OffsetDateTime) -> Option<TrackingEvent> {
        let f = |n: &str| format!("{prefix}.{n}");
        let before = e.0.len();
        let event_id = required_text(e, &f("eventID"), &self.event_id, 100);
        let event_type = e.check(&f("eventType"), self.event_type.parse::<EventType>());
        let classifier = e.check(&f("eventClassifierCode"), self.event_classifier_code.parse::<EventClassifier>());
        let at = match time::OffsetDateTime::parse(
            self.event_date_time.trim(),
            &time::format_description::well_known::Rfc3339,
        ) {
            Ok(t) => Some(t),
            Err(_) => {
                e.push(
                    f("eventDateTime"),
                    "invalid_datetime",
                    format!(
                        "'{}' is not a date and time; write RFC 3339, for example 2026-05-01T14:30:00Z",
                        self.event_date_time
                    ),
                );
                None
            }
        };
        if let (Some(EventClassifier::Actual), Some(t)) = (classifier, at)
            && t > now + super::shipment::CLOCK_SKEW
        {
            e.push(
                f("eventDateTime"),
                "in_the_future",
                "an ACTual event cannot happen later than now; send it as EST or PLN",
            );
        }
        let codes = [
            (EventType::Equipment, "equipmentEventTypeCode", &self.equipment_event_type_code),
            (EventType::Transport, "transportEventTypeCode", &self.transport_event_type_code),
            (EventType::Shipment, "shipmentEventTypeCode", &self.shipment_event_type_code),
        ];
        for (t, name, v) in codes {
            if event_type.is_some_and(|et| et != t) && given(v).is_some() {
                e.push(f(name), "not_for_event_type", format!("{name} belongs to {t} events only"));
            }
        }
        let code_of = |e: &mut ValidationErrors, name: &str, v: &Option<String>| match given(v) {
            Some(s) => Some(s.to_string()),
            None => {
                e.push(f(name), "required", format!("{name} is required for this eventType"));
                None
            }
        };
        let kind = match event_type {
            Some(EventType::Equipment) => {
                let code = code_of(e, "equipmentEventTypeCode", &self.equipment_event_type_code)
                    .and_then(|c| e.check(&f("equipmentEventTypeCode"), c.parse::<EquipmentEventTypeCode>()));
                let equipment_reference = match given(&self.equipment_reference) {
                    Some(c) => e.check(&f("equipmentReference"), c.parse::<ContainerNumber>()).map(Some),
                    None => Some(None),
                };
                code.zip(equipment_reference)
                    .map(|(code, equipment_reference)| TrackingEventKind::Equipment { code, equipment_reference })
            }
            Some(EventType::Transport) => code_of(e, "transportEventTypeCode", &self.transport_event_type_code)
                .and_then(|c| e.check(&f("transportEventTypeCode"), c.parse::<TransportEventTypeCode>()))
                .map(|code| TrackingEventKind::Transport { code }),
            Some(EventType::Shipment) => code_of(e, "shipmentEventTypeCode", &self.shipment_event_type_code)
                .and_then(|c| e.check(&f("shipmentEventTypeCode"), c.parse::<ShipmentEventTypeCode>()))
                .map(|code| TrackingEventKind::Shipment { code }),
            None => None,
        };
        if event_type.is_none_or(|t| t != EventType::Equipment) && given(&self.equipment_reference).is_some() {
            e.push(
                f("equipmentReference"),
                "not_for_event_type",
                "equipmentReference belongs to EQUIPMENT events only",
            );
        }
        let location = match given(&self.un_location_code) {
            Some(l) => e.check(&f("UNLocationCode"), l.parse::<Locode>()).map(Some),
            None => Some(None),
        };
        let description = match given(&self.description) {
            Some(d) if d.chars().count() > 500 => {
                e.push(f("description"), "too_long", "description must be at most 500 characters");
                None
            }
            other => Some(other.map(str::to_string)),
        };
        if e.0.len() > before {
            return None;
        }
        Some(TrackingEvent {
            event_id: event_id?,
            kind: kind?,
            classifier: classifier?,
            event_datetime: at?,
            location: location?,
            description: description?,
        })
    }
}

/// Validates a batch of events; fields are named `events[i].…`.
pub fn validate_events(
    forms: &[TrackingEventForm],
    now: time::OffsetDateTime,
) -> Result<Vec<TrackingEvent>, ValidationErrors> {
    let mut e = ValidationErrors::new();
    if forms.is_empty() {
        e.push("events", "required", "send at least one event");
    } else if forms.len() > MAX_EVENTS {
        e.push("events", "too_many", format!("send at most {MAX_EVENTS} events at a time"));
    }
    let events: Vec<Option<TrackingEvent>> = forms
        .iter()
        .take(MAX_EVENTS)
        .enumerate()
        .map(|(i, f)| f.validate(&mut e, &format!("events[{i}]"), now))
        .collect();
    let events: Option<Vec<TrackingEvent>> = events.into_iter().collect();
    match events {
        Some(v) if e.is_empty() => Ok(v),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> time::OffsetDateTime {
        time::macros::datetime!(2026-05-01 12:00 UTC)
    }

    fn form(id: &str, t: &str, classifier: &str, code: &str, at: &str, loc: &str) -> TrackingEventForm {
        let mut f = TrackingEventForm {
            event_id: id.into(),
            event_type: t.into(),
            event_classifier_code: classifier.into(),
            event_date_time: at.into(),
            un_location_code: Some(loc.into()),
            ..Default::default()
        };
        match t {
            "EQUIPMENT" => f.equipment_event_type_code = Some(code.into()),
            "TRANSPORT" => f.transport_event_type_code = Some(code.into()),
            _ => f.shipment_event_type_code = Some(code.into()),
        }
        f
    }

    fn event(id: &str, t: &str, classifier: &str, code: &str, at: &str, loc: &str) -> TrackingEvent {
        let mut e = ValidationErrors::new();
        form(id, t, classifier, code, at, loc).validate(&mut e, "e", now()).unwrap_or_else(|| panic!("{e:?}"))
    }

    #[test]
    fn events_speak_dcsa_json() {
        let mut f = form("ev-1", "EQUIPMENT", "ACT", "LOAD", "2026-04-30T08:00:00Z", "KEMBA");
        f.equipment_reference = Some("CSQU3054383".into());
        let mut e = ValidationErrors::new();
        let ev = f.validate(&mut e, "e", now()).expect("valid");
        assert!(ev.starts_transit());
        assert_eq!(ev.summary(), "ACT EQUIPMENT LOAD");
        let json = serde_json::to_value(&ev).expect("json");
        assert_eq!(json["eventType"], "EQUIPMENT");
        assert_eq!(json["equipmentEventTypeCode"], "LOAD");
        assert_eq!(json["eventClassifierCode"], "ACT");
        assert_eq!(json["equipmentReference"], "CSQU3054383");
        assert_eq!(json["UNLocationCode"], "KEMBA");
        let back: TrackingEvent = serde_json::from_value(json).expect("back");
        assert_eq!(back, ev);
        assert!(!event("ev-2", "TRANSPORT", "EST", "DEPA", "2026-05-02T08:00:00Z", "KEMBA").starts_transit());
        assert_eq!(ShipmentEventTypeCode::ALL.len(), 15);
        assert_eq!(EquipmentEventTypeCode::ALL.len(), 8);
    }

    #[test]
    fn bad_events_name_the_field() {
        let mut f = form("", "CONTAINER", "MAYBE", "LOAD", "soon", "XX123");
        f.transport_event_type_code = Some("ARRI".into());
        let mut e = ValidationErrors::new();
        assert!(f.validate(&mut e, "events[0]", now()).is_none());
        let got: Vec<(String, &str)> = e.0.into_iter().map(|f| (f.field, f.code)).collect();
        for want in [
            ("events[0].eventID", "required"),
            ("events[0].eventType", "unknown_dcsa_code"),
            ("events[0].eventClassifierCode", "unknown_dcsa_code"),
            ("events[0].eventDateTime", "invalid_datetime"),
            ("events[0].UNLocationCode", "invalid_locode"),
        ] {
            assert!(got.contains(&(want.0.into(), want.1)), "{want:?} in {got:?}");
        }
        let mut f = form("e", "TRANSPORT", "ACT", "ARRI", "2026-05-03T00:00:00Z", "DEHAM");
        f.shipment_event_type_code = Some("ISSU".into());
        f.equipment_reference = Some("CSQU3054384".into());
        let mut e = ValidationErrors::new();
        assert!(f.validate(&mut e, "e", now()).is_none());
        let got: Vec<(String, &str)> = e.0.into_iter().map(|f| (f.field, f.code)).collect();
        assert!(got.contains(&("e.eventDateTime".into(), "in_the_future")), "{got:?}");
        assert!(got.contains(&("e.shipmentEventTypeCode".into(), "not_for_event_type")), "{got:?}");
        assert!(got.contains(&("e.equipmentReference".into(), "not_for_event_type")), "{got:?}");
        let mut f = form("e", "EQUIPMENT", "ACT", "LOAD", "2026-05-01T00:00:00Z", "DEHAM");
        f.equipment_reference = Some("CSQU3054384".into());
        let mut e = ValidationErrors::new();
        assert!(f.validate(&mut e, "e", now()).is_none());
        assert_eq!(e.0[0].code, "invalid_container_check_digit");
        let err = validate_events(&[], now()).expect_err("empty");
        assert_eq!(err.0[0].field, "events");
    }

    #[test]
    fn eta_prefers_actual_then_the_latest_estimate_then_the_plan() {
        let ham: Locode = "DEHAM".parse().expect("locode");
        let plan = event("p", "TRANSPORT", "PLN", "ARRI", "2026-05-20T06:00:00Z", "DEHAM");
        let est1 = event("e1", "TRANSPORT", "EST", "ARRI", "2026-05-22T06:00:00Z", "DEHAM");
        let est2 = event("e2", "TRANSPORT", "EST", "ARRI", "2026-05-21T18:00:00Z", "DEHAM");
        let elsewhere = event("x", "TRANSPORT", "EST", "ARRI", "2026-05-10T06:00:00Z", "NLRTM");
        let departed = event("d", "TRANSPORT", "ACT", "DEPA", "2026-04-30T06:00:00Z", "KEMBA");
        assert_eq!(eta(&[departed.clone(), elsewhere.clone()], &ham), None);
        assert_eq!(eta(std::slice::from_ref(&plan), &ham).map(|e| e.event_id), Some("p".into()));
        // The newer estimate wins even though it names an earlier time.
        let got = eta(&[plan.clone(), est1.clone(), est2.clone(), elsewhere.clone()], &ham).expect("eta");
        assert_eq!((got.event_id.as_str(), got.classifier), ("e2", EventClassifier::Estimated));
        let arrived = event("a", "TRANSPORT", "ACT", "ARRI", "2026-04-30T23:00:00Z", "DEHAM");
        let got = eta(&[plan, arrived, est1, est2], &ham).expect("eta");
        assert_eq!((got.event_id.as_str(), got.classifier), ("a", EventClassifier::Actual));
    }
}
