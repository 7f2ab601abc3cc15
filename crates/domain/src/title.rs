//! Transferable records (electronic bill of lading, warehouse receipt, promissory note) as
//! the UNCITRAL Model Law on Electronic Transferable Records (MLETR) frames them: exactly one
//! holder at any time, only the holder controls the record, and every step is kept in a
//! hash-linked chain of title so its integrity can be checked.
//!
//! Two roles, as in TradeTrust: the **holder** (possession, the one who may pass the record
//! on or surrender it) and the **beneficiary** (the owner, the one entitled to the goods or
//! the money). A change of beneficiary takes two companies: the beneficiary *nominates* a new
//! one and the holder *endorses* the nomination. When one company is both, it does both.
//!
//! Surrender (for delivery) and return to issuer differ: a surrender asks the issuer to
//! deliver and ends the record once the issuer accepts (or comes back to the surrendering
//! holder if it rejects); a return hands the record back to the issuer at once, as holder
//! and beneficiary, for example to amend it or to switch it to paper, and the issuer may
//! issue it on again. The platform operator may reassign holder and beneficiary after a lost
//! key or a dispute, always with a reason.
//!
//! Pure: [`TitleState::apply`] decides; the store records; [`step_hash`] and
//! [`verify_links`] keep the chain honest.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of a record's first step.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What kind of document of title the record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// An electronic bill of lading, issued by the carrier.
    ElectronicBillOfLading,
    /// A warehouse receipt, issued by the warehouse keeper.
    WarehouseReceipt,
    /// A promissory note, issued by the maker.
    PromissoryNote,
}

impl RecordKind {
    pub const ALL: [RecordKind; 3] =
        [RecordKind::ElectronicBillOfLading, RecordKind::WarehouseReceipt, RecordKind::PromissoryNote];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::ElectronicBillOfLading => "electronic_bill_of_lading",
            RecordKind::WarehouseReceipt => "warehouse_receipt",
            RecordKind::PromissoryNote => "promissory_note",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            RecordKind::ElectronicBillOfLading => "Electronic bill of lading",
            RecordKind::WarehouseReceipt => "Warehouse receipt",
            RecordKind::PromissoryNote => "Promissory note",
        }
    }
}

impl std::str::FromStr for RecordKind {
    type Err = TitleError;
    fn from_str(s: &str) -> Result<Self, TitleError> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| TitleError::UnknownKind(s.to_string()))
    }
}

/// Where the record is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TitleStatus {
    /// In circulation; `nominee` is a beneficiary named by the beneficiary and waiting for
    /// the holder's endorsement.
    Active { nominee: Option<String> },
    /// Surrendered for delivery: the issuer holds it and decides; a rejection gives it back
    /// to `surrendered_by`.
    SurrenderPending { surrendered_by: String },
    /// The issuer accepted the surrender and delivered: the record can never change again.
    Accomplished,
}

impl TitleStatus {
    pub fn label(&self) -> &'static str {
        match self {
            TitleStatus::Active { .. } => "active",
            TitleStatus::SurrenderPending { .. } => "surrender_pending",
            TitleStatus::Accomplished => "accomplished",
        }
    }
}

/// The state of a record. There is always exactly one holder: the field is not optional and
/// every transition names who holds next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleState {
    pub issuer: String,
    pub holder: String,
    pub beneficiary: String,
    #[serde(flatten)]
    pub status: TitleStatus,
}

/// Who acts on a record: a company (by its id) or the platform operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TitleActor {
    Company(String),
    Operator,
}

impl TitleActor {
    fn is(&self, company: &str) -> bool {
        matches!(self, TitleActor::Company(c) if c == company)
    }
}

/// What an actor asks to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TitleAction {
    /// The holder passes possession to another company; the beneficiary stays.
    TransferHoldership { to: String },
    /// The beneficiary names the next beneficiary; the holder still has to endorse it.
    Nominate { nominee: String },
    /// The holder endorses the pending nomination: the nominee becomes the beneficiary.
    Endorse,
    /// The holder (who must also be the beneficiary) gives the record back to its issuer.
    ReturnToIssuer,
    /// The holder (who must also be the beneficiary) surrenders it to the issuer for delivery.
    Surrender,
    /// The issuer accepts a surrender: goods released, record accomplished.
    AcceptSurrender,
    /// The issuer rejects a surrender: the record goes back to the surrendering holder.
    RejectSurrender { reason: String },
    /// The platform operator's decision after a lost key or a dispute.
    Reassign { holder: String, beneficiary: Option<String>, reason: String },
}

impl TitleAction {
    /// The stable name of the action, as recorded in the chain.
    pub fn name(&self) -> &'static str {
        match self {
            TitleAction::TransferHoldership { .. } => "transfer_holdership",
            TitleAction::Nominate { .. } => "nominate",
            TitleAction::Endorse => "endorse",
            TitleAction::ReturnToIssuer => "return_to_issuer",
            TitleAction::Surrender => "surrender",
            TitleAction::AcceptSurrender => "accept_surrender",
            TitleAction::RejectSurrender { .. } => "reject_surrender",
            TitleAction::Reassign { .. } => "reassign",
        }
    }

    /// The reason given, for the actions that carry one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            TitleAction::RejectSurrender { reason } | TitleAction::Reassign { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// Why an action is refused. Every message says what the actor can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TitleError {
    #[error(
        "unknown kind of transferable record '{0}': use electronic_bill_of_lading, warehouse_receipt or promissory_note"
    )]
    UnknownKind(String),
    #[error("only the current holder can {0}, and you do not hold this record")]
    NotHolder(&'static str),
    #[error("only the beneficiary can nominate the next beneficiary, and you are not the beneficiary")]
    NotBeneficiary,
    #[error("only the issuer can {0}")]
    NotIssuer(&'static str),
    #[error("only the platform operator can reassign a record")]
    NotOperator,
    #[error("the platform operator decides only on reassignment; the holder acts on the record")]
    OperatorCannotAct,
    #[error("to {0} you must be both holder and beneficiary: ask the beneficiary to nominate you and endorse it first")]
    NotHolderAndBeneficiary(&'static str),
    #[error("there is no nomination to endorse: the beneficiary nominates first")]
    NoNomination,
    #[error("{0} already holds this record")]
    AlreadyHolder(String),
    #[error("{0} is already the beneficiary")]
    AlreadyBeneficiary(String),
    #[error("the issuer already holds this record: it cannot {0} to itself")]
    IssuerHolds(&'static str),
    #[error("the record is surrendered and waits for the issuer to accept or reject it")]
    SurrenderPending,
    #[error("there is no surrender waiting for a decision")]
    NoSurrender,
    #[error("the record was surrendered and accomplished: it can no longer change")]
    Accomplished,
    #[error("give a reason")]
    ReasonRequired,
    #[error("name the company")]
    CompanyRequired,
}

impl TitleState {
    /// A newly issued record: the issuer names its first holder and beneficiary.
    pub fn issued(issuer: &str, holder: &str, beneficiary: &str) -> TitleState {
        TitleState {
            issuer: issuer.to_string(),
            holder: holder.to_string(),
            beneficiary: beneficiary.to_string(),
            status: TitleStatus::Active { nominee: None },
        }
    }

    pub fn nominee(&self) -> Option<&str> {
        match &self.status {
            TitleStatus::Active { nominee } => nominee.as_deref(),
            _ => None,
        }
    }

    /// The state after `actor` does `action`, or why it may not.
    pub fn apply(&self, actor: &TitleActor, action: &TitleAction) -> Result<TitleState, TitleError> {
        if let TitleAction::Reassign { holder, beneficiary, reason } = action {
            return self.reassign(actor, holder, beneficiary.as_deref(), reason);
        }
        if *actor == TitleActor::Operator {
            return Err(TitleError::OperatorCannotAct);
        }
        let mut next = self.clone();
        match (&self.status, action) {
            (TitleStatus::Accomplished, _) => return Err(TitleError::Accomplished),
            (TitleStatus::SurrenderPending { .. }, TitleAction::AcceptSurrender) => {
                if !actor.is(&self.issuer) {
                    return Err(TitleError::NotIssuer("accept a surrender"));
                }
                next.status = TitleStatus::Accomplished;
            }
            (TitleStatus::SurrenderPending { surrendered_by }, TitleAction::RejectSurrender { reason }) => {
                if !actor.is(&self.issuer) {
                    return Err(TitleError::NotIssuer("reject a surrender"));
                }
                if reason.trim().is_empty() {
                    return Err(TitleError::ReasonRequired);
                }
                next.holder = surrendered_by.clone();
                next.status = TitleStatus::Active { nominee: None };
            }
            (TitleStatus::SurrenderPending { .. }, _) => return Err(TitleError::SurrenderPending),
            (TitleStatus::Active { .. }, TitleAction::AcceptSurrender | TitleAction::RejectSurrender { .. }) => {
                return Err(TitleError::NoSurrender);
            }
            (TitleStatus::Active { .. }, TitleAction::TransferHoldership { to }) => {
                self.require_holder(actor, "transfer it")?;
                let to = to.trim();
                if to.is_empty() {
                    return Err(TitleError::CompanyRequired);
                }
                if to == self.holder {
                    return Err(TitleError::AlreadyHolder(to.to_string()));
                }
                next.holder = to.to_string();
            }
            (TitleStatus::Active { .. }, TitleAction::Nominate { nominee }) => {
                if !actor.is(&self.beneficiary) {
                    return Err(TitleError::NotBeneficiary);
                }
                let nominee = nominee.trim();
                if nominee.is_empty() {
                    return Err(TitleError::CompanyRequired);
                }
                if nominee == self.beneficiary {
                    return Err(TitleError::AlreadyBeneficiary(nominee.to_string()));
                }
                next.status = TitleStatus::Active { nominee: Some(nominee.to_string()) };
            }
            (TitleStatus::Active { nominee }, TitleAction::Endorse) => {
                self.require_holder(actor, "endorse a nomination")?;
                let nominee = nominee.clone().ok_or(TitleError::NoNomination)?;
                next.beneficiary = nominee;
                next.status = TitleStatus::Active { nominee: None };
            }
            (TitleStatus::Active { .. }, TitleAction::ReturnToIssuer) => {
                self.require_holder_and_beneficiary(actor, "return it to the issuer")?;
                if self.holder == self.issuer {
                    return Err(TitleError::IssuerHolds("return it"));
                }
                next.holder = self.issuer.clone();
                next.beneficiary = self.issuer.clone();
                next.status = TitleStatus::Active { nominee: None };
            }
            (TitleStatus::Active { .. }, TitleAction::Surrender) => {
                self.require_holder_and_beneficiary(actor, "surrender it")?;
                if self.holder == self.issuer {
                    return Err(TitleError::IssuerHolds("surrender it"));
                }
                next.holder = self.issuer.clone();
                next.status = TitleStatus::SurrenderPending { surrendered_by: self.holder.clone() };
            }
            (TitleStatus::Active { .. }, TitleAction::Reassign { .. }) => return Err(TitleError::NotOperator),
        }
        Ok(next)
    }

    fn require_holder(&self, actor: &TitleActor, what: &'static str) -> Result<(), TitleError> {
        if actor.is(&self.holder) { Ok(()) } else { Err(TitleError::NotHolder(what)) }
    }

    fn require_holder_and_beneficiary(&self, actor: &TitleActor, what: &'static str) -> Result<(), TitleError> {
        self.require_holder(actor, what)?;
        if self.holder == self.beneficiary { Ok(()) } else { Err(TitleError::NotHolderAndBeneficiary(what)) }
    }

    fn reassign(
        &self,
        actor: &TitleActor,
        holder: &str,
        beneficiary: Option<&str>,
        reason: &str,
    ) -> Result<TitleState, TitleError> {
        if *actor != TitleActor::Operator {
            return Err(TitleError::NotOperator);
        }
        if self.status == TitleStatus::Accomplished {
            return Err(TitleError::Accomplished);
        }
        if reason.trim().is_empty() {
            return Err(TitleError::ReasonRequired);
        }
        let holder = holder.trim();
        if holder.is_empty() || beneficiary.is_some_and(|b| b.trim().is_empty()) {
            return Err(TitleError::CompanyRequired);
        }
        Ok(TitleState {
            issuer: self.issuer.clone(),
            holder: holder.to_string(),
            beneficiary: beneficiary.map(|b| b.trim().to_string()).unwrap_or_else(|| self.beneficiary.clone()),
            status: TitleStatus::Active { nominee: None },
        })
    }
}

/// One step in a record's chain of title, as signed and hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleStep {
    pub record_id: String,
    /// 1 for the issue, then one more per step.
    pub seq: i64,
    /// `issue` or a [`TitleAction::name`].
    pub action: String,
    pub from_holder: Option<String>,
    pub to_holder: String,
    pub beneficiary: String,
    /// The nominee waiting for endorsement after this step, if any.
    pub nominee: Option<String>,
    /// The company that acted; none for the platform operator.
    pub actor_org: Option<String>,
    pub actor_user: Option<String>,
    pub reason: Option<String>,
    /// RFC 3339 UTC.
    pub at: String,
    pub prev_hash: String,
}

fn field(out: &mut Vec<u8>, s: &str) {
    // Length-prefixed so that moving text between fields changes the bytes.
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl TitleStep {
    /// The bytes the actor signs and the hash covers: every field, length-prefixed, in a
    /// fixed order, with a version tag so the layout can change later.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        field(&mut out, "tradewind-title-step-v1");
        field(&mut out, &self.record_id);
        field(&mut out, &self.seq.to_string());
        field(&mut out, &self.action);
        field(&mut out, self.from_holder.as_deref().unwrap_or(""));
        field(&mut out, &self.to_holder);
        field(&mut out, &self.beneficiary);
        field(&mut out, self.nominee.as_deref().unwrap_or(""));
        field(&mut out, self.actor_org.as_deref().unwrap_or(""));
        field(&mut out, self.actor_user.as_deref().unwrap_or(""));
        field(&mut out, self.reason.as_deref().unwrap_or(""));
        field(&mut out, &self.at);
        field(&mut out, &self.prev_hash);
        out
    }
}

/// SHA-256 of the step's canonical bytes, hex.
pub fn step_hash(step: &TitleStep) -> String {
    hex::encode(Sha256::digest(step.canonical_bytes()))
}

/// What is wrong with a chain of title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkFault {
    #[error("step {seq} was changed after it was recorded: its content no longer matches its hash")]
    Altered { seq: i64 },
    #[error("step {seq} does not follow the step before it (a step is missing or out of place)")]
    BrokenLink { seq: i64 },
    #[error("step {seq} is numbered out of order (expected {expected})")]
    OutOfSequence { seq: i64, expected: i64 },
}

/// Checks that each stored hash is the hash of its step and that each step points at the
/// one before. Signatures are checked by the caller, who has the keys.
pub fn verify_links<'a>(steps: impl IntoIterator<Item = (&'a TitleStep, &'a str)>) -> Result<(), LinkFault> {
    let mut prev = GENESIS_HASH.to_string();
    for (i, (step, hash)) in steps.into_iter().enumerate() {
        let expected = i as i64 + 1;
        if step.seq != expected {
            return Err(LinkFault::OutOfSequence { seq: step.seq, expected });
        }
        if step.prev_hash != prev {
            return Err(LinkFault::BrokenLink { seq: step.seq });
        }
        if step_hash(step) != hash {
            return Err(LinkFault::Altered { seq: step.seq });
        }
        prev = hash.to_string();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARRIER: &str = "carrier";
    const SHIPPER: &str = "shipper";
    const BANK: &str = "bank";
    const CONSIGNEE: &str = "consignee";

    fn co(id: &str) -> TitleActor {
        TitleActor::Company(id.to_string())
    }
    fn transfer(to: &str) -> TitleAction {
        TitleAction::TransferHoldership { to: to.into() }
    }
    fn nominate(n: &str) -> TitleAction {
        TitleAction::Nominate { nominee: n.into() }
    }
    fn issued() -> TitleState {
        TitleState::issued(CARRIER, SHIPPER, SHIPPER)
    }

    #[test]
    fn the_full_journey_carrier_shipper_bank_consignee_and_delivery() -> Result<(), TitleError> {
        let s = issued();
        let s = s.apply(&co(SHIPPER), &nominate(BANK))?;
        assert_eq!(s.nominee(), Some(BANK));
        let s = s.apply(&co(SHIPPER), &TitleAction::Endorse)?;
        assert_eq!((s.beneficiary.as_str(), s.nominee()), (BANK, None));
        let s = s.apply(&co(SHIPPER), &transfer(BANK))?;
        assert_eq!(s.holder, BANK);
        let s = s.apply(&co(BANK), &nominate(CONSIGNEE))?;
        let s = s.apply(&co(BANK), &TitleAction::Endorse)?;
        let s = s.apply(&co(BANK), &transfer(CONSIGNEE))?;
        assert_eq!((s.holder.as_str(), s.beneficiary.as_str()), (CONSIGNEE, CONSIGNEE));
        let s = s.apply(&co(CONSIGNEE), &TitleAction::Surrender)?;
        assert_eq!(s.holder, CARRIER, "the carrier holds it while it decides");
        assert_eq!(s.status, TitleStatus::SurrenderPending { surrendered_by: CONSIGNEE.into() });
        let s = s.apply(&co(CARRIER), &TitleAction::AcceptSurrender)?;
        assert_eq!(s.status, TitleStatus::Accomplished);
        Ok(())
    }

    #[test]
    fn transfer_holdership_is_the_holders_alone() -> Result<(), TitleError> {
        let s = issued();
        assert_eq!(s.apply(&co(BANK), &transfer(BANK)), Err(TitleError::NotHolder("transfer it")));
        assert_eq!(s.apply(&co(CARRIER), &transfer(BANK)), Err(TitleError::NotHolder("transfer it")));
        assert_eq!(s.apply(&co(SHIPPER), &transfer(SHIPPER)), Err(TitleError::AlreadyHolder(SHIPPER.into())));
        assert_eq!(s.apply(&co(SHIPPER), &transfer("  ")), Err(TitleError::CompanyRequired));
        let next = s.apply(&co(SHIPPER), &transfer(BANK))?;
        assert_eq!((next.holder.as_str(), next.beneficiary.as_str()), (BANK, SHIPPER));
        // The sender no longer holds it: a replay is refused.
        assert_eq!(next.apply(&co(SHIPPER), &transfer(BANK)), Err(TitleError::NotHolder("transfer it")));
        Ok(())
    }

    #[test]
    fn nomination_is_the_beneficiarys_and_endorsement_the_holders() -> Result<(), TitleError> {
        let s = issued().apply(&co(SHIPPER), &transfer(BANK))?;
        assert_eq!(s.apply(&co(BANK), &nominate(CONSIGNEE)), Err(TitleError::NotBeneficiary));
        assert_eq!(s.apply(&co(SHIPPER), &nominate(SHIPPER)), Err(TitleError::AlreadyBeneficiary(SHIPPER.into())));
        assert_eq!(s.apply(&co(SHIPPER), &nominate("")), Err(TitleError::CompanyRequired));
        assert_eq!(s.apply(&co(BANK), &TitleAction::Endorse), Err(TitleError::NoNomination));
        let n = s.apply(&co(SHIPPER), &nominate(CONSIGNEE))?;
        assert_eq!(
            n.apply(&co(SHIPPER), &TitleAction::Endorse),
            Err(TitleError::NotHolder("endorse a nomination")),
            "the beneficiary cannot endorse its own nomination unless it holds the record"
        );
        let e = n.apply(&co(BANK), &TitleAction::Endorse)?;
        assert_eq!((e.beneficiary.as_str(), e.nominee(), e.holder.as_str()), (CONSIGNEE, None, BANK));
        // A nomination survives a change of holder: the new holder may endorse it.
        let moved = n.apply(&co(BANK), &transfer(CONSIGNEE))?;
        assert_eq!(moved.nominee(), Some(CONSIGNEE));
        Ok(())
    }

    #[test]
    fn return_to_issuer_needs_holder_and_beneficiary_and_is_immediate() -> Result<(), TitleError> {
        let s = issued().apply(&co(SHIPPER), &transfer(BANK))?;
        assert_eq!(
            s.apply(&co(BANK), &TitleAction::ReturnToIssuer),
            Err(TitleError::NotHolderAndBeneficiary("return it to the issuer"))
        );
        assert_eq!(
            s.apply(&co(SHIPPER), &TitleAction::ReturnToIssuer),
            Err(TitleError::NotHolder("return it to the issuer"))
        );
        let r = issued().apply(&co(SHIPPER), &TitleAction::ReturnToIssuer)?;
        assert_eq!((r.holder.as_str(), r.beneficiary.as_str()), (CARRIER, CARRIER));
        assert_eq!(r.apply(&co(CARRIER), &TitleAction::ReturnToIssuer), Err(TitleError::IssuerHolds("return it")));
        assert_eq!(r.apply(&co(CARRIER), &TitleAction::Surrender), Err(TitleError::IssuerHolds("surrender it")));
        // The issuer may issue it on again.
        let again = r.apply(&co(CARRIER), &transfer(SHIPPER))?;
        assert_eq!(again.holder, SHIPPER);
        Ok(())
    }

    #[test]
    fn surrender_decisions_are_the_issuers_and_a_rejection_gives_it_back() -> Result<(), TitleError> {
        let s = issued().apply(&co(SHIPPER), &transfer(BANK))?;
        assert_eq!(
            s.apply(&co(BANK), &TitleAction::Surrender),
            Err(TitleError::NotHolderAndBeneficiary("surrender it"))
        );
        assert_eq!(issued().apply(&co(CARRIER), &TitleAction::AcceptSurrender), Err(TitleError::NoSurrender));
        let reject = TitleAction::RejectSurrender { reason: "signature block missing".into() };
        assert_eq!(issued().apply(&co(CARRIER), &reject), Err(TitleError::NoSurrender));
        let p = issued().apply(&co(SHIPPER), &TitleAction::Surrender)?;
        for a in
            [transfer(BANK), nominate(BANK), TitleAction::Endorse, TitleAction::Surrender, TitleAction::ReturnToIssuer]
        {
            assert_eq!(p.apply(&co(CARRIER), &a), Err(TitleError::SurrenderPending), "{a:?}");
        }
        assert_eq!(
            p.apply(&co(SHIPPER), &TitleAction::AcceptSurrender),
            Err(TitleError::NotIssuer("accept a surrender"))
        );
        assert_eq!(p.apply(&co(SHIPPER), &reject), Err(TitleError::NotIssuer("reject a surrender")));
        assert_eq!(
            p.apply(&co(CARRIER), &TitleAction::RejectSurrender { reason: " ".into() }),
            Err(TitleError::ReasonRequired)
        );
        let back = p.apply(&co(CARRIER), &reject)?;
        assert_eq!(back, issued());
        Ok(())
    }

    #[test]
    fn an_accomplished_record_never_changes() -> Result<(), TitleError> {
        let done = issued()
            .apply(&co(SHIPPER), &TitleAction::Surrender)?
            .apply(&co(CARRIER), &TitleAction::AcceptSurrender)?;
        for a in [transfer(BANK), TitleAction::AcceptSurrender, TitleAction::Surrender] {
            assert_eq!(done.apply(&co(CARRIER), &a), Err(TitleError::Accomplished));
        }
        let reassign = TitleAction::Reassign { holder: BANK.into(), beneficiary: None, reason: "dispute".into() };
        assert_eq!(done.apply(&TitleActor::Operator, &reassign), Err(TitleError::Accomplished));
        Ok(())
    }

    #[test]
    fn only_the_operator_reassigns_and_only_with_a_reason() -> Result<(), TitleError> {
        let s = issued().apply(&co(SHIPPER), &nominate(BANK))?;
        let reassign = |reason: &str| TitleAction::Reassign {
            holder: CONSIGNEE.into(),
            beneficiary: Some(CONSIGNEE.into()),
            reason: reason.into(),
        };
        assert_eq!(s.apply(&co(SHIPPER), &reassign("lost key")), Err(TitleError::NotOperator));
        assert_eq!(s.apply(&TitleActor::Operator, &reassign("  ")), Err(TitleError::ReasonRequired));
        assert_eq!(s.apply(&TitleActor::Operator, &transfer(BANK)), Err(TitleError::OperatorCannotAct));
        let r = s.apply(&TitleActor::Operator, &reassign("the shipper lost its key; court order 12/2026"))?;
        assert_eq!((r.holder.as_str(), r.beneficiary.as_str(), r.nominee()), (CONSIGNEE, CONSIGNEE, None));
        // A reassignment also settles a pending surrender.
        let p = issued().apply(&co(SHIPPER), &TitleAction::Surrender)?;
        let r = p.apply(&TitleActor::Operator, &reassign("dispute decided"))?;
        assert_eq!(r.status, TitleStatus::Active { nominee: None });
        // Keeping the beneficiary.
        let keep = TitleAction::Reassign { holder: BANK.into(), beneficiary: None, reason: "lost key".into() };
        assert_eq!(issued().apply(&TitleActor::Operator, &keep)?.beneficiary, SHIPPER);
        Ok(())
    }

    #[test]
    fn kinds_parse_from_their_names() {
        for k in RecordKind::ALL {
            assert_eq!(k.as_str().parse::<RecordKind>(), Ok(k));
        }
        assert!(matches!("bill".parse::<RecordKind>(), Err(TitleError::UnknownKind(_))));
    }

    fn step(seq: i64, prev: &str) -> TitleStep {
        TitleStep {
            record_id: "r1".into(),
            seq,
            action: "transfer_holdership".into(),
            from_holder: Some(SHIPPER.into()),
            to_holder: BANK.into(),
            beneficiary: SHIPPER.into(),
            nominee: None,
            actor_org: Some(SHIPPER.into()),
            actor_user: Some("u1".into()),
            reason: None,
            at: "2026-01-01T00:00:00.000000Z".into(),
            prev_hash: prev.into(),
        }
    }

    #[test]
    fn links_check_and_name_the_altered_or_missing_step() {
        let s1 = step(1, GENESIS_HASH);
        let h1 = step_hash(&s1);
        let s2 = step(2, &h1);
        let h2 = step_hash(&s2);
        let s3 = step(3, &h2);
        let h3 = step_hash(&s3);
        assert_eq!(verify_links([(&s1, h1.as_str()), (&s2, h2.as_str()), (&s3, h3.as_str())]), Ok(()));
        let mut t2 = s2.clone();
        t2.to_holder = "thief".into();
        assert_eq!(
            verify_links([(&s1, h1.as_str()), (&t2, h2.as_str()), (&s3, h3.as_str())]),
            Err(LinkFault::Altered { seq: 2 })
        );
        assert_eq!(
            verify_links([(&s1, h1.as_str()), (&s3, h3.as_str())]),
            Err(LinkFault::OutOfSequence { seq: 3, expected: 2 })
        );
        let mut r3 = s3.clone();
        r3.seq = 2;
        assert_eq!(verify_links([(&s1, h1.as_str()), (&r3, h3.as_str())]), Err(LinkFault::BrokenLink { seq: 2 }));
        // Moving text between fields changes the hash.
        let mut shifted = s1.clone();
        shifted.from_holder = Some(format!("{SHIPPER}{BANK}"));
        shifted.to_holder = String::new();
        assert_ne!(step_hash(&shifted), h1);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const COMPANIES: [&str; 5] = [CARRIER, SHIPPER, BANK, CONSIGNEE, "stranger"];

        fn company() -> impl Strategy<Value = String> {
            proptest::sample::select(COMPANIES.to_vec()).prop_map(str::to_string)
        }

        fn actor() -> impl Strategy<Value = TitleActor> {
            prop_oneof![9 => company().prop_map(TitleActor::Company), 1 => Just(TitleActor::Operator)]
        }

        fn action() -> impl Strategy<Value = TitleAction> {
            prop_oneof![
                company().prop_map(|to| TitleAction::TransferHoldership { to }),
                company().prop_map(|nominee| TitleAction::Nominate { nominee }),
                Just(TitleAction::Endorse),
                Just(TitleAction::ReturnToIssuer),
                Just(TitleAction::Surrender),
                Just(TitleAction::AcceptSurrender),
                Just(TitleAction::RejectSurrender { reason: "wrong party".into() }),
                (company(), proptest::option::of(company())).prop_map(|(holder, beneficiary)| TitleAction::Reassign {
                    holder,
                    beneficiary,
                    reason: "lost key".into()
                }),
            ]
        }

        proptest! {
            /// Whatever is attempted, in any order: a refused action changes nothing; an
            /// accepted one leaves exactly one holder, who is a named company and, unless the
            /// operator decided, either the previous holder, the one it was passed to, or the
            /// issuer; only the holder or the issuer or the operator ever moves possession.
            #[test]
            fn any_sequence_keeps_exactly_one_holder(steps in proptest::collection::vec((actor(), action()), 0..60)) {
                let mut state = TitleState::issued(CARRIER, SHIPPER, SHIPPER);
                for (who, what) in steps {
                    match state.apply(&who, &what) {
                        Err(_) => {}
                        Ok(next) => {
                            prop_assert!(COMPANIES.contains(&next.holder.as_str()));
                            if next.holder != state.holder {
                                let allowed = match (&who, &what) {
                                    (TitleActor::Operator, TitleAction::Reassign { holder, .. }) => next.holder == *holder,
                                    (TitleActor::Company(c), TitleAction::TransferHoldership { to }) => *c == state.holder && next.holder == *to,
                                    (TitleActor::Company(c), TitleAction::Surrender | TitleAction::ReturnToIssuer) => *c == state.holder && next.holder == state.issuer,
                                    (TitleActor::Company(c), TitleAction::RejectSurrender { .. }) => *c == state.issuer,
                                    _ => false,
                                };
                                prop_assert!(allowed, "{who:?} moved the record with {what:?}");
                            }
                            if let TitleStatus::SurrenderPending { .. } = next.status {
                                prop_assert_eq!(&next.holder, &next.issuer);
                            }
                            prop_assert_eq!(&next.issuer, CARRIER);
                            state = next;
                        }
                    }
                }
            }
        }
    }
}
