//! A realistic shipment's facts: Vietnamese pepper and cashews sold FOB Ho Chi Minh City to a
//! Hamburg importer, by sea in one 20-foot container. Tests, the benchmark and the docs build
//! documents from it; nothing in the platform's own flow uses it.

use super::{DocumentParty, LineFields, PartyFields, ShipmentFacts, Signatory, TradeFacts};
use crate::deal::order::OrderLine;
use crate::logistics::{Package, TransportMode};
use crate::money::Money;
use rust_decimal::Decimal;
use time::macros::date;

fn d(text: &str) -> Decimal {
    text.parse().expect("sample decimal")
}

fn party(name: &str, reg: &str, street: &str, city: &str, postal: &str, country: &str, email: &str) -> DocumentParty {
    DocumentParty {
        legal_name: name.into(),
        registration_number: reg.into(),
        street: street.into(),
        city: city.into(),
        postal_code: postal.into(),
        country: country.parse().expect("sample country"),
        lei: None,
        email: email.into(),
        vat_id: None,
    }
}

/// The sample facts, every field filled, with `lines` order lines (2 when `lines` is 0).
pub fn sample_trade_facts(lines: usize) -> TradeFacts {
    let usd = "USD".parse().expect("sample literal");
    let catalogue: [(&str, &str, &str, &str, &str, &str, &str); 3] = [
        // description, HS, quantity, unit, price, net kg, gross kg
        ("Black pepper, whole, ASTA grade, 25 kg bags", "090411", "9600", "KGM", "4.25", "9600", "9792"),
        ("Cashew kernels W320, vacuum packed 22.68 kg cartons", "080132", "4536", "KGM", "7.10", "4536", "4860"),
        ("Ground cinnamon, 10 kg cartons", "090620", "1000", "KGM", "3.05", "1000", "1080"),
    ];
    let count = if lines == 0 { 2 } else { lines };
    let mut order_lines = Vec::with_capacity(count);
    let mut line_fields = Vec::with_capacity(count);
    for i in 0..count {
        let (desc, hs, qty, unit, price, net, gross) = catalogue[i % catalogue.len()];
        order_lines.push(OrderLine {
            description: desc.into(),
            hs_code: hs.parse().expect("sample literal"),
            quantity: d(qty),
            unit: unit.parse().expect("sample literal"),
            unit_price: Money::new(d(price), usd).expect("sample literal"),
        });
        let packages = (d(qty) / if i % 3 == 0 { d("25") } else { d("22.68") }).round();
        line_fields.push(LineFields {
            packages: u32::try_from(packages.mantissa()).ok().filter(|_| packages.scale() == 0),
            package_type: Some(if i % 3 == 0 { "BG" } else { "CT" }.into()),
            net_kg: Some(d(net)),
            gross_kg: Some(d(gross)),
            origin_country: Some("VN".parse().expect("sample literal")),
            origin_criterion: Some("WO".into()),
        });
    }
    let total_gross: Decimal = line_fields.iter().filter_map(|l| l.gross_kg).sum();
    TradeFacts {
        order_id: "01JD8W4M6Q0S2T4V6X8Z0B2D4F".into(),
        order_date: date!(2026 - 11 - 02),
        seller: party(
            "Saigon Spice Export JSC",
            "0312345678",
            "45 Nguyen Tat Thanh, District 4",
            "Ho Chi Minh City",
            "700000",
            "VN",
            "export@saigonspice.example",
        ),
        buyer: party(
            "Hanseatic Fine Foods GmbH",
            "HRB 123456",
            "Am Sandtorkai 50",
            "Hamburg",
            "20457",
            "DE",
            "einkauf@hanseatic-foods.example",
        ),
        currency: usd,
        lines: order_lines,
        incoterm: "FOB".parse().expect("sample literal"),
        named_place: "VNSGN".parse().expect("sample literal"),
        payment_note: "Paid into escrow on tradewind; released to the seller after delivery".into(),
        shipment: Some(ShipmentFacts {
            shipment_id: "01JD8W5A0000000000000SHIP1".into(),
            carrier: party(
                "Mekong Blue Freight Lines Pte Ltd",
                "201912345K",
                "1 Harbourfront Avenue",
                "Singapore",
                "098632",
                "SG",
                "docs@mekongblue.example",
            ),
            scac: "MBFF".parse().expect("sample literal"),
            mode: TransportMode::Sea,
            origin: "VNSGN".parse().expect("sample literal"),
            destination: "DEHAM".parse().expect("sample literal"),
            packages: vec![Package {
                gross_kg: total_gross,
                length_cm: d("590"),
                width_cm: d("235"),
                height_cm: d("239"),
                pieces: 1,
            }],
            containers: vec!["MSKU1234565".parse().expect("sample literal")],
            booked_on: date!(2026 - 11 - 10),
        }),
        seller_fields: PartyFields {
            marks_and_numbers: Some("HFF/HAM/2026-118\nMADE IN VIETNAM".into()),
            signatory: Some(Signatory { name: "Tran Thi Mai".into(), title: "Export Manager".into() }),
            place_of_issue: Some("Ho Chi Minh City".into()),
            lines: line_fields,
            customs_procedure: Some("1000".into()),
            ..PartyFields::default()
        },
        buyer_fields: PartyFields {
            signatory: Some(Signatory { name: "Jonas Petersen".into(), title: "Head of Purchasing".into() }),
            place_of_issue: Some("Hamburg".into()),
            customs_procedure: Some("4000".into()),
            ..PartyFields::default()
        },
        carrier_fields: PartyFields {
            signatory: Some(Signatory { name: "Lim Wei Jie".into(), title: "Documentation Officer".into() }),
            place_of_issue: Some("Ho Chi Minh City".into()),
            vessel_name: Some("MEKONG STAR".into()),
            voyage_number: Some("118W".into()),
            shipped_on_board: Some(date!(2026 - 11 - 20)),
            seal_numbers: vec!["MB2026118".into()],
            planned_arrival: Some(date!(2026 - 12 - 24)),
            ..PartyFields::default()
        },
        named_issuer: Some(party(
            "Vietnam Chamber of Commerce and Industry, HCMC Branch",
            "VCCI-HCM",
            "171 Vo Thi Sau, District 3",
            "Ho Chi Minh City",
            "700000",
            "VN",
            "co@vcci-hcm.example",
        )),
        named_fields: PartyFields {
            signatory: Some(Signatory { name: "Nguyen Van An".into(), title: "Certifying Officer".into() }),
            place_of_issue: Some("Ho Chi Minh City".into()),
            policy_number: Some("OC-2026-7781".into()),
            cover: Some("Institute Cargo Clauses (A)".into()),
            guarantee_reference: Some("LOI-HH-2026-042".into()),
            ..PartyFields::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_complete_and_valid() {
        let f = sample_trade_facts(0);
        assert_eq!(f.lines.len(), 2);
        assert_eq!(f.seller_fields.lines.len(), 2);
        assert!(f.seller_fields.validate().is_ok());
        let s = f.shipment.as_ref().expect("shipment");
        assert_eq!(s.booked_gross_kg(), d("14652"));
        assert_eq!(f.seller_fields.lines[0].packages, Some(384));
        assert_eq!(sample_trade_facts(7).lines.len(), 7);
        assert_eq!(f.number("PL", 3), "PL-01JD8W4M6Q0S-3");
    }
}
