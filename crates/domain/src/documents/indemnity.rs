//! The letter of indemnity for delivery of cargo without the original bill of lading: when
//! the goods arrive before the original bills, the consignee asks the carrier to deliver
//! anyway and promises to hold it harmless, and its bank countersigns that promise up to a
//! limit. The carrier is the addressee; the bank is the document's named issuer.

use super::insurance::invoice_total;
use super::{
    DocumentKind, DocumentParty, DocumentSummary, DocumentView, Signatory, SummaryLine, TradeFacts, ViewTable,
};
use crate::codes::{HsCode, Locode};
use crate::marketplace::UnitOfMeasure;
use crate::money::Money;
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The bank's liability limit as a percentage of the invoice value. Carriers and P&I clubs
/// commonly ask for 200 % of the cargo's value, since a misdelivery claim can exceed the
/// value of the goods (costs, interest, the ship's arrest); it is market practice, not law.
pub const INDEMNITY_LIMIT_PERCENT: u32 = 200;

/// One goods line as the letter describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndemnityGoods {
    pub description: String,
    pub hs_code: HsCode,
    pub quantity: Decimal,
    pub unit: UnitOfMeasure,
}

/// A letter of indemnity for release of cargo without the original bill of lading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterOfIndemnity {
    pub number: String,
    pub issue_date: time::Date,
    /// The carrier, to whom the letter is addressed.
    pub addressee: DocumentParty,
    /// The consignee asking for delivery.
    pub requested_by: DocumentParty,
    pub requester_signatory: Signatory,
    pub requester_place: Option<String>,
    /// The bank that countersigns.
    pub bank: DocumentParty,
    pub bank_signatory: Signatory,
    pub guarantee_reference: String,
    pub shipper: DocumentParty,
    pub vessel_name: String,
    pub voyage_number: String,
    pub port_of_loading: Locode,
    pub port_of_discharge: Locode,
    /// The bill of lading the goods were shipped under. The platform numbers the carrier's
    /// bill as `facts.number("BL", 1)`: the first issue, which is the one whose originals
    /// are outstanding.
    pub bill_of_lading_number: String,
    pub goods: Vec<IndemnityGoods>,
    pub marks_and_numbers: Option<String>,
    pub invoice_value: Money,
    /// [`INDEMNITY_LIMIT_PERCENT`] of the invoice value.
    pub amount_limit: Money,
    /// The undertakings, one paragraph each.
    pub wording: Vec<String>,
    pub place_of_issue: Option<String>,
}

/// The undertakings of the letter, in plain words.
fn wording(l: &LetterOfIndemnity) -> Vec<String> {
    vec![
        format!(
            "The goods described above were shipped on {} voyage {} from {} to {} under bill of lading {}. \
             The original bills of lading have not arrived. We, {}, being entitled to possession of the goods, \
             ask you to deliver them at {} to us, or to whom we name in writing, without production of the original bills.",
            l.vessel_name,
            l.voyage_number,
            l.port_of_loading.as_str(),
            l.port_of_discharge.as_str(),
            l.bill_of_lading_number,
            l.requested_by.legal_name,
            l.port_of_discharge.as_str(),
        ),
        "In consideration of your doing so, we shall hold you, your servants and agents harmless against any \
         liability, loss, damage or expense of whatever nature that you may sustain by reason of delivering the \
         goods as we ask, and shall pay you on demand the amount needed to meet it."
            .to_string(),
        "If any proceedings are brought against you in connection with the delivery, we shall provide you with \
         sufficient funds to defend them. If the ship or other property of yours is arrested or threatened with \
         arrest, we shall provide the bail or security needed to prevent or release it."
            .to_string(),
        "As soon as all the original bills of lading come into our possession we shall hand them to you, \
         whereupon our liability under this letter ends."
            .to_string(),
        format!(
            "The liability of each of us under this letter is joint and several, and that of the bank under its \
             countersignature (guarantee {}) is limited to {}. This letter is governed by the law of the place of \
             delivery.",
            l.guarantee_reference, l.amount_limit
        ),
    ]
}

impl LetterOfIndemnity {
    /// The letter for `facts`' shipment, or every missing field named.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let shipment = facts.require_shipment(&mut errors);
        let carrier = &facts.carrier_fields;
        if carrier.vessel_name.is_none() {
            errors.push("carrier_fields.vessel_name", "missing", "the carrier names the vessel the goods sailed on");
        }
        if carrier.voyage_number.is_none() {
            errors.push("carrier_fields.voyage_number", "missing", "the carrier gives the voyage number");
        }
        if facts.buyer_fields.signatory.is_none() {
            errors.push("buyer_fields.signatory", "missing", "name who signs the letter for the consignee");
        }
        if facts.named_issuer.is_none() {
            errors.push("named_issuer", "missing", "name the bank that countersigns the letter");
        }
        if facts.named_fields.signatory.is_none() {
            errors.push("named_fields.signatory", "missing", "the bank names who countersigns");
        }
        if facts.named_fields.guarantee_reference.is_none() {
            errors.push("named_fields.guarantee_reference", "missing", "the bank gives its guarantee's reference");
        }
        let value = invoice_total(facts, &mut errors);
        let limit = value.and_then(|v| {
            let amount = v.amount().checked_mul(Decimal::from(INDEMNITY_LIMIT_PERCENT))? / Decimal::ONE_HUNDRED;
            Money::new(amount, v.currency()).ok()
        });
        if value.is_some() && limit.is_none() {
            errors.push("lines", "too_large", "the indemnity limit is too large to compute");
        }
        let (
            Some(shipment),
            Some(vessel_name),
            Some(voyage_number),
            Some(requester_signatory),
            Some(bank),
            Some(bank_signatory),
            Some(guarantee_reference),
            Some(invoice_value),
            Some(amount_limit),
            true,
        ) = (
            shipment,
            carrier.vessel_name.clone(),
            carrier.voyage_number.clone(),
            facts.buyer_fields.signatory.clone(),
            facts.named_issuer.clone(),
            facts.named_fields.signatory.clone(),
            facts.named_fields.guarantee_reference.clone(),
            value,
            limit,
            errors.is_empty(),
        )
        else {
            return Err(errors);
        };
        let mut letter = LetterOfIndemnity {
            number: facts.number("LOI", version),
            issue_date,
            addressee: shipment.carrier.clone(),
            requested_by: facts.buyer.clone(),
            requester_signatory,
            requester_place: facts.buyer_fields.place_of_issue.clone(),
            bank,
            bank_signatory,
            guarantee_reference,
            shipper: facts.seller.clone(),
            vessel_name,
            voyage_number,
            port_of_loading: shipment.origin.clone(),
            port_of_discharge: shipment.destination.clone(),
            bill_of_lading_number: facts.number("BL", 1),
            goods: facts
                .lines
                .iter()
                .map(|l| IndemnityGoods {
                    description: l.description.clone(),
                    hs_code: l.hs_code.clone(),
                    quantity: l.quantity,
                    unit: l.unit,
                })
                .collect(),
            marks_and_numbers: facts.seller_fields.marks_and_numbers.clone(),
            invoice_value,
            amount_limit,
            wording: Vec::new(),
            place_of_issue: facts.named_fields.place_of_issue.clone(),
        };
        letter.wording = wording(&letter);
        Ok(letter)
    }

    pub fn summary(&self) -> DocumentSummary {
        DocumentSummary {
            seller: Some(self.shipper.legal_name.clone()),
            buyer: Some(self.requested_by.legal_name.clone()),
            lines: self
                .goods
                .iter()
                .map(|g| SummaryLine::goods(&g.description, &g.hs_code, g.quantity, g.unit.code()))
                .collect(),
            port_of_loading: Some(self.port_of_loading.clone()),
            port_of_discharge: Some(self.port_of_discharge.clone()),
            ..DocumentSummary::new(DocumentKind::LetterOfIndemnity, &self.number)
        }
    }

    pub fn view(&self) -> DocumentView {
        let mut notes = self.wording.clone();
        notes.push(format!(
            "For and on behalf of {}: {}, {}{}.",
            self.requested_by.legal_name,
            self.requester_signatory.name,
            self.requester_signatory.title,
            self.requester_place.as_deref().map(|p| format!(", {p}")).unwrap_or_default()
        ));
        DocumentView {
            title: DocumentKind::LetterOfIndemnity.title().to_string(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![
                ("To (carrier)".to_string(), self.addressee.clone()),
                ("Requested by (consignee)".to_string(), self.requested_by.clone()),
                ("Countersigned by (bank)".to_string(), self.bank.clone()),
                ("Shipper".to_string(), self.shipper.clone()),
            ],
            fields: vec![
                ("Vessel".to_string(), self.vessel_name.clone()),
                ("Voyage".to_string(), self.voyage_number.clone()),
                ("Port of loading".to_string(), self.port_of_loading.as_str().to_string()),
                ("Port of discharge".to_string(), self.port_of_discharge.as_str().to_string()),
                ("Bill of lading".to_string(), self.bill_of_lading_number.clone()),
                ("Bank guarantee".to_string(), self.guarantee_reference.clone()),
                ("Marks and numbers".to_string(), self.marks_and_numbers.clone().unwrap_or_default()),
            ],
            table: ViewTable::goods(
                self.goods.iter().map(|g| (g.description.as_str(), &g.hs_code, g.quantity, g.unit.code())),
            ),
            totals: vec![
                ("Invoice value".to_string(), self.invoice_value.to_string()),
                (format!("Limit of liability ({INDEMNITY_LIMIT_PERCENT} %)"), self.amount_limit.to_string()),
            ],
            notes,
            signatory: Some(self.bank_signatory.clone()),
            place_of_issue: self.place_of_issue.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sample_trade_facts;
    use proptest::prelude::*;
    use time::macros::date;

    const DAY: time::Date = date!(2026 - 12 - 18);

    #[test]
    fn built_from_the_sample() {
        let l = LetterOfIndemnity::build(&sample_trade_facts(0), 1, DAY).expect("letter");
        assert_eq!(l.number, "LOI-01JD8W4M6Q0S-1");
        assert_eq!(l.bill_of_lading_number, "BL-01JD8W4M6Q0S-1");
        assert_eq!(l.addressee.legal_name, "Mekong Blue Freight Lines Pte Ltd");
        assert_eq!(l.requested_by.legal_name, "Hanseatic Fine Foods GmbH");
        assert_eq!(l.amount_limit.to_string(), "USD 146011.20");
        assert_eq!(l.wording.len(), 5);
        assert!(l.wording[0].contains("MEKONG STAR voyage 118W from VNSGN to DEHAM under bill of lading BL-"));
        assert!(l.wording[4].contains("LOI-HH-2026-042") && l.wording[4].contains("USD 146011.20"));
        assert_eq!(l.summary().port_of_discharge.map(|p| p.as_str().to_string()), Some("DEHAM".into()));
        assert_eq!(l.view().signatory.map(|s| s.name), Some("Nguyen Van An".into()));
    }

    #[test]
    fn names_every_missing_field() {
        let mut f = sample_trade_facts(0);
        f.shipment = None;
        f.carrier_fields.vessel_name = None;
        f.carrier_fields.voyage_number = None;
        f.buyer_fields.signatory = None;
        f.named_issuer = None;
        f.named_fields.signatory = None;
        f.named_fields.guarantee_reference = None;
        let e = LetterOfIndemnity::build(&f, 1, DAY).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shipment",
                "carrier_fields.vessel_name",
                "carrier_fields.voyage_number",
                "buyer_fields.signatory",
                "named_issuer",
                "named_fields.signatory",
                "named_fields.guarantee_reference",
            ]
        );
    }

    proptest! {
        #[test]
        fn the_limit_is_twice_the_invoice(qty in 1_i64..1_000_000, cents in 1_i64..100_000) {
            let mut f = sample_trade_facts(2);
            f.lines[0].quantity = Decimal::new(qty, 2);
            f.lines[1].unit_price = Money::new(Decimal::new(cents, 2), f.currency).expect("price");
            let l = LetterOfIndemnity::build(&f, 1, DAY).expect("letter");
            let sum: Decimal = f.lines.iter().map(|l| l.amount().expect("amount").amount()).sum();
            prop_assert_eq!(l.invoice_value.amount(), sum);
            prop_assert_eq!(l.amount_limit.amount(), sum * Decimal::TWO);
        }
    }
}
