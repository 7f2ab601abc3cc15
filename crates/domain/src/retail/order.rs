//! A consumer order's life cycle and its returns window.
//!
//! placed → shipped → delivered → (return_requested → returned) or completed; placed →
//! cancelled. The seller ships, marks delivered and confirms a return's arrival; the
//! consumer requests a return while the window is open (delivery date + the store's
//! returns window, inclusive); an order completes once that window has closed with no
//! return requested. Either side may cancel before shipping.
//!
//! Payment is a seam: every order starts [`PaymentState::AwaitingPayment`] for its total;
//! the escrow and payment-provider work moves it on.

use crate::money::Money;
use serde::{Deserialize, Serialize};

/// The two sides of a consumer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetailParty {
    Consumer,
    Seller,
}

impl RetailParty {
    pub fn as_str(self) -> &'static str {
        match self {
            RetailParty::Consumer => "consumer",
            RetailParty::Seller => "seller",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerOrderStatus {
    Placed,
    Shipped,
    Delivered,
    ReturnRequested,
    Returned,
    Completed,
    Cancelled,
}

impl ConsumerOrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::ReturnRequested => "return_requested",
            Self::Returned => "returned",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Placed,
            Self::Shipped,
            Self::Delivered,
            Self::ReturnRequested,
            Self::Returned,
            Self::Completed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// The events this status allows, whoever sends them.
    pub fn allowed(self) -> &'static [ConsumerOrderEvent] {
        use ConsumerOrderEvent as E;
        match self {
            Self::Placed => &[E::Ship, E::Cancel],
            Self::Shipped => &[E::Deliver],
            Self::Delivered => &[E::RequestReturn, E::Complete],
            Self::ReturnRequested => &[E::ConfirmReturn],
            Self::Returned | Self::Completed | Self::Cancelled => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerOrderEvent {
    Ship,
    Deliver,
    RequestReturn,
    ConfirmReturn,
    Complete,
    Cancel,
}

impl ConsumerOrderEvent {
    pub const ALL: [ConsumerOrderEvent; 6] =
        [Self::Ship, Self::Deliver, Self::RequestReturn, Self::ConfirmReturn, Self::Complete, Self::Cancel];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ship => "ship",
            Self::Deliver => "deliver",
            Self::RequestReturn => "request_return",
            Self::ConfirmReturn => "confirm_return",
            Self::Complete => "complete",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// Who may send it.
    pub fn senders(self) -> &'static [RetailParty] {
        use RetailParty as P;
        match self {
            Self::Ship | Self::Deliver | Self::ConfirmReturn => &[P::Seller],
            Self::RequestReturn => &[P::Consumer],
            Self::Complete | Self::Cancel => &[P::Consumer, P::Seller],
        }
    }
}

/// The last day goods delivered on `delivered_on` may be returned.
pub fn returns_deadline(delivered_on: time::Date, window_days: u32) -> time::Date {
    delivered_on.saturating_add(time::Duration::days(i64::from(window_days)))
}

/// What a transition needs to know besides the status.
#[derive(Debug, Clone, Copy)]
pub struct Circumstances {
    pub today: time::Date,
    pub delivered_on: Option<time::Date>,
    pub returns_window_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsumerOrderError {
    #[error("an order that is {status} cannot take '{event}'{}", allowed_hint(.allowed))]
    NotAllowed { status: &'static str, event: &'static str, allowed: Vec<&'static str> },
    #[error("only the {} may send '{event}'", .allowed.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" or "))]
    WrongParty { event: &'static str, allowed: Vec<RetailParty> },
    #[error(
        "the returns window closed on {deadline} ({days} days after delivery); a return can no longer be requested"
    )]
    ReturnWindowClosed { deadline: time::Date, days: u32 },
    #[error("the returns window is open until {deadline}; the order completes after that date")]
    ReturnWindowOpen { deadline: time::Date },
}

fn allowed_hint(allowed: &[&str]) -> String {
    if allowed.is_empty() { "; it is final".into() } else { format!("; it allows {}", allowed.join(", ")) }
}

impl ConsumerOrderStatus {
    pub fn apply(
        self,
        event: ConsumerOrderEvent,
        by: RetailParty,
        c: Circumstances,
    ) -> Result<ConsumerOrderStatus, ConsumerOrderError> {
        use ConsumerOrderEvent as E;
        use ConsumerOrderStatus as S;
        if !event.senders().contains(&by) {
            return Err(ConsumerOrderError::WrongParty { event: event.as_str(), allowed: event.senders().to_vec() });
        }
        let deadline = c.delivered_on.map(|d| returns_deadline(d, c.returns_window_days));
        match (self, event) {
            (S::Placed, E::Ship) => Ok(S::Shipped),
            (S::Placed, E::Cancel) => Ok(S::Cancelled),
            (S::Shipped, E::Deliver) => Ok(S::Delivered),
            (S::Delivered, E::RequestReturn) => match deadline {
                Some(d) if c.today > d => {
                    Err(ConsumerOrderError::ReturnWindowClosed { deadline: d, days: c.returns_window_days })
                }
                _ => Ok(S::ReturnRequested),
            },
            (S::Delivered, E::Complete) => match deadline {
                Some(d) if c.today <= d => Err(ConsumerOrderError::ReturnWindowOpen { deadline: d }),
                _ => Ok(S::Completed),
            },
            (S::ReturnRequested, E::ConfirmReturn) => Ok(S::Returned),
            (status, event) => Err(ConsumerOrderError::NotAllowed {
                status: status.as_str(),
                event: event.as_str(),
                allowed: status.allowed().iter().map(|e| e.as_str()).collect(),
            }),
        }
    }
}

/// Where the consumer's payment stands. The payment and escrow work adds the states after
/// "awaiting payment"; until then every order waits for its total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    AwaitingPayment,
}

/// The payment seam on an order: what is due and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentDue {
    pub state: PaymentState,
    pub amount: Money,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsumerOrderEvent as E;
    use ConsumerOrderStatus as S;
    use RetailParty as P;

    fn day(d: u8) -> time::Date {
        time::Date::from_calendar_date(2026, time::Month::March, d).expect("date")
    }

    fn at(today: time::Date, delivered: Option<time::Date>) -> Circumstances {
        Circumstances { today, delivered_on: delivered, returns_window_days: 14 }
    }

    #[test]
    fn the_happy_paths() {
        let c = at(day(1), None);
        let s = S::Placed.apply(E::Ship, P::Seller, c).expect("ship");
        let s = s.apply(E::Deliver, P::Seller, c).expect("deliver");
        assert_eq!(s, S::Delivered);
        let delivered = at(day(15), Some(day(1)));
        let r = s.apply(E::RequestReturn, P::Consumer, delivered).expect("return on the last day");
        assert_eq!(r.apply(E::ConfirmReturn, P::Seller, delivered), Ok(S::Returned));
        assert_eq!(s.apply(E::Complete, P::Seller, at(day(16), Some(day(1)))), Ok(S::Completed));
        assert_eq!(S::Placed.apply(E::Cancel, P::Consumer, c), Ok(S::Cancelled));
    }

    #[test]
    fn a_return_after_the_window_is_refused_naming_the_deadline() {
        let e = S::Delivered.apply(E::RequestReturn, P::Consumer, at(day(16), Some(day(1)))).expect_err("late");
        assert_eq!(e, ConsumerOrderError::ReturnWindowClosed { deadline: day(15), days: 14 });
        assert!(e.to_string().contains("2026-03-15"), "{e}");
        let e = S::Delivered.apply(E::Complete, P::Consumer, at(day(15), Some(day(1)))).expect_err("early");
        assert!(e.to_string().contains("2026-03-15"), "{e}");
    }

    #[test]
    fn each_side_sends_only_its_events_and_final_states_stay_final() {
        let c = at(day(1), None);
        assert!(matches!(S::Placed.apply(E::Ship, P::Consumer, c), Err(ConsumerOrderError::WrongParty { .. })));
        assert!(matches!(
            S::Delivered.apply(E::RequestReturn, P::Seller, c),
            Err(ConsumerOrderError::WrongParty { .. })
        ));
        let e = S::Shipped.apply(E::Cancel, P::Consumer, c).expect_err("too late to cancel");
        assert_eq!(e.to_string(), "an order that is shipped cannot take 'cancel'; it allows deliver");
        for s in [S::Returned, S::Completed, S::Cancelled] {
            for ev in E::ALL {
                for p in ev.senders() {
                    assert!(s.apply(ev, *p, c).is_err(), "{s:?} {ev:?}");
                }
            }
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
    }
}
