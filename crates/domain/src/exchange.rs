//! Document exchange between parties: the life of one document sent to one receiver.
//!
//! Sending a document to a company (a buyer, a bank, a customs authority) gives that
//! company an explicit access grant. The receiver answers once, per document, with a
//! business-level receipt: accepted (optionally with a note) or rejected (always with a
//! reason the sender can act on), as Peppol's Message Level / Invoice Response does. The
//! sender may revoke the grant at any time; the receiver then loses access at once, and a
//! revoked grant takes no answer. An answer given before the revocation stays on record.

use serde::{Deserialize, Serialize};

/// The longest reason or note, in characters.
pub const MAX_REASON_CHARS: usize = 1000;

/// The largest number of documents one send may carry.
pub const MAX_DOCUMENTS_PER_SEND: usize = 100;

/// Why a receiver rejected a document: never blank, at most [`MAX_REASON_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reason(String);

impl Reason {
    pub fn parse(text: &str) -> Result<Reason, ExchangeError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(ExchangeError::BlankReason);
        }
        if t.chars().count() > MAX_REASON_CHARS {
            return Err(ExchangeError::ReasonTooLong);
        }
        Ok(Reason(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Reason {
    type Error = ExchangeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Reason::parse(&s)
    }
}

impl From<Reason> for String {
    fn from(r: Reason) -> String {
        r.0
    }
}

/// The receiver's business-level answer to one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "answer")]
pub enum Answer {
    /// Taken as sent; the note is optional.
    Accepted { note: Option<Reason> },
    /// Refused; the reason is required.
    Rejected { reason: Reason },
}

impl Answer {
    /// An accept with an optional note (blank means none).
    pub fn accept(note: &str) -> Result<Answer, ExchangeError> {
        let note = if note.trim().is_empty() { None } else { Some(Reason::parse(note)?) };
        Ok(Answer::Accepted { note })
    }

    pub fn reject(reason: &str) -> Result<Answer, ExchangeError> {
        Ok(Answer::Rejected { reason: Reason::parse(reason)? })
    }

    /// `accepted` or `rejected`, as stored.
    pub fn label(&self) -> &'static str {
        match self {
            Answer::Accepted { .. } => "accepted",
            Answer::Rejected { .. } => "rejected",
        }
    }

    /// The note or reason given with the answer.
    pub fn text(&self) -> Option<&str> {
        match self {
            Answer::Accepted { note } => note.as_ref().map(Reason::as_str),
            Answer::Rejected { reason } => Some(reason.as_str()),
        }
    }

    /// Rebuilds a stored answer from its label and text.
    pub fn from_stored(label: &str, text: Option<&str>) -> Result<Answer, ExchangeError> {
        match label {
            "accepted" => Answer::accept(text.unwrap_or("")),
            "rejected" => Answer::reject(text.unwrap_or("")),
            _ => Err(ExchangeError::UnknownAnswer(label.to_string())),
        }
    }
}

/// Where one grant stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum GrantState {
    /// Sent; the receiver may read it and has not answered yet.
    Open,
    /// The receiver answered; it may still read it.
    Answered(Answer),
    /// The sender withdrew access; the answer given before, if any, stays on record.
    Revoked { answer: Option<Answer> },
}

/// What can happen to a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantEvent {
    Answer(Answer),
    Revoke,
}

/// Why a change to a grant, or an input, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    #[error("give a reason (1 to {MAX_REASON_CHARS} characters) so the sender can act on it")]
    BlankReason,
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    #[error("this document was already {0}; a document is answered once")]
    AlreadyAnswered(&'static str),
    #[error("the sender revoked access to this document; it can no longer be answered")]
    Revoked,
    #[error("access to this document was already revoked")]
    AlreadyRevoked,
    #[error("unknown stored answer '{0}'")]
    UnknownAnswer(String),
}

impl GrantState {
    /// The one transition function: answer an open grant once; revoke any grant not yet
    /// revoked.
    pub fn apply(self, event: GrantEvent) -> Result<GrantState, ExchangeError> {
        match (self, event) {
            (GrantState::Open, GrantEvent::Answer(a)) => Ok(GrantState::Answered(a)),
            (GrantState::Answered(a), GrantEvent::Answer(_)) => Err(ExchangeError::AlreadyAnswered(a.label())),
            (GrantState::Revoked { .. }, GrantEvent::Answer(_)) => Err(ExchangeError::Revoked),
            (GrantState::Open, GrantEvent::Revoke) => Ok(GrantState::Revoked { answer: None }),
            (GrantState::Answered(a), GrantEvent::Revoke) => Ok(GrantState::Revoked { answer: Some(a) }),
            (GrantState::Revoked { .. }, GrantEvent::Revoke) => Err(ExchangeError::AlreadyRevoked),
        }
    }

    /// Whether the receiver may read the document now.
    pub fn gives_access(&self) -> bool {
        !matches!(self, GrantState::Revoked { .. })
    }

    /// The answer given, if any (also after a revocation).
    pub fn answer(&self) -> Option<&Answer> {
        match self {
            GrantState::Open => None,
            GrantState::Answered(a) => Some(a),
            GrantState::Revoked { answer } => answer.as_ref(),
        }
    }

    /// `sent`, `accepted`, `rejected` or `revoked`: what the sender's outbox shows.
    pub fn label(&self) -> &'static str {
        match self {
            GrantState::Open => "sent",
            GrantState::Answered(a) => a.label(),
            GrantState::Revoked { .. } => "revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected() -> Answer {
        Answer::reject("HS code on line 2 does not match the declaration").unwrap_or(Answer::Accepted { note: None })
    }

    #[test]
    fn an_open_grant_is_answered_once() {
        let answered = GrantState::Open.apply(GrantEvent::Answer(rejected()));
        assert_eq!(answered, Ok(GrantState::Answered(rejected())));
        let again = GrantState::Answered(rejected()).apply(GrantEvent::Answer(Answer::Accepted { note: None }));
        assert_eq!(again, Err(ExchangeError::AlreadyAnswered("rejected")));
    }

    #[test]
    fn a_revoked_grant_takes_no_answer_and_keeps_the_earlier_one() {
        let revoked = GrantState::Answered(rejected()).apply(GrantEvent::Revoke);
        assert_eq!(revoked, Ok(GrantState::Revoked { answer: Some(rejected()) }));
        let open_revoked = GrantState::Open.apply(GrantEvent::Revoke);
        assert_eq!(open_revoked, Ok(GrantState::Revoked { answer: None }));
        let s = GrantState::Revoked { answer: None };
        assert!(!s.gives_access());
        assert_eq!(s.clone().apply(GrantEvent::Answer(rejected())), Err(ExchangeError::Revoked));
        assert_eq!(s.apply(GrantEvent::Revoke), Err(ExchangeError::AlreadyRevoked));
    }

    #[test]
    fn a_rejection_needs_a_reason_and_an_accept_does_not() {
        assert_eq!(Answer::reject("   "), Err(ExchangeError::BlankReason));
        assert_eq!(Answer::reject(&"x".repeat(MAX_REASON_CHARS + 1)), Err(ExchangeError::ReasonTooLong));
        assert_eq!(Answer::accept(" "), Ok(Answer::Accepted { note: None }));
        assert_eq!(Answer::accept(" fine ").map(|a| a.text().map(str::to_string)), Ok(Some("fine".into())));
    }

    #[test]
    fn stored_answers_read_back() {
        let a = rejected();
        assert_eq!(Answer::from_stored(a.label(), a.text()), Ok(a));
        assert!(Answer::from_stored("maybe", None).is_err());
        assert_eq!(Answer::from_stored("rejected", None), Err(ExchangeError::BlankReason));
    }

    #[test]
    fn labels_are_what_the_outbox_shows() {
        assert_eq!(GrantState::Open.label(), "sent");
        assert_eq!(GrantState::Answered(rejected()).label(), "rejected");
        assert_eq!(GrantState::Revoked { answer: Some(rejected()) }.label(), "revoked");
        assert_eq!(GrantState::Revoked { answer: Some(rejected()) }.answer(), Some(&rejected()));
    }
}
