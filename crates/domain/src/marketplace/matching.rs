//! Buyer-seller matching: how well a supplier's product fits a buy request, as a score
//! with an explanation of every factor and its weight.

use crate::codes::{CountryCode, HsCode};
use crate::incoterm::Incoterm;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::BTreeSet;

/// What the buyer asks for.
#[derive(Debug, Clone)]
pub struct RfqProfile {
    pub hs_code: Option<HsCode>,
    pub text: String,
    pub quantity: Decimal,
    /// Target unit price, in the same currency as candidates' prices (the caller converts).
    pub target_unit_price: Option<Decimal>,
    pub incoterm: Option<Incoterm>,
    pub destination: CountryCode,
}

/// What a supplier offers, as the platform knows it.
#[derive(Debug, Clone)]
pub struct SupplierOffer {
    pub hs_code: HsCode,
    pub text: String,
    pub moq: Decimal,
    /// Monthly capacity.
    pub capacity: Decimal,
    /// The unit price for the requested quantity, converted to the RFQ's currency.
    pub unit_price: Option<Decimal>,
    /// Incoterms the supplier has quoted or sold under before.
    pub incoterms: Vec<Incoterm>,
    pub exports_to_destination: bool,
    pub verified: bool,
    /// Share of inquiries and RFQs the supplier answered (None when it has had none).
    pub response_rate: Option<f64>,
}

/// The weight of each factor; they sum to 100 so a score reads as a percentage.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Weights {
    pub hs_closeness: f64,
    pub text_similarity: f64,
    pub exports_to_destination: f64,
    pub quantity_fit: f64,
    pub price_fit: f64,
    pub incoterm_fit: f64,
    pub verified: f64,
    pub response_history: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            hs_closeness: 30.0,
            text_similarity: 20.0,
            exports_to_destination: 10.0,
            quantity_fit: 15.0,
            price_fit: 10.0,
            incoterm_fit: 5.0,
            verified: 5.0,
            response_history: 5.0,
        }
    }
}

/// One factor's part in a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub name: &'static str,
    pub weight: f64,
    /// How well this factor fits, 0 to 1.
    pub fit: f64,
    /// `weight × fit`: the points it adds.
    pub points: f64,
    /// Why, in words.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchScore {
    /// 0 to 100.
    pub score: f64,
    pub factors: Vec<Factor>,
}

/// Same subheading 1, same heading 0.6, same chapter 0.3, else 0. With no HS code on the
/// RFQ, the text carries the match and this factor is neutral (0.5).
pub fn hs_closeness(rfq: Option<&HsCode>, offer: &HsCode) -> (f64, String) {
    let Some(r) = rfq else { return (0.5, "the request names no HS code".into()) };
    let (a, b) = (r.as_str(), offer.as_str());
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let level = common.min(a.len()).min(b.len());
    if a == b || (level >= 6) {
        (1.0, format!("same HS subheading {b}"))
    } else if level >= 4 {
        (0.6, format!("same HS heading {}", &b[..4]))
    } else if level >= 2 {
        (0.3, format!("same HS chapter {}", &b[..2]))
    } else {
        (0.0, format!("different HS chapter ({} vs {})", &a[..2], &b[..2]))
    }
}

/// Words (latin, lowercased, 3+ letters) and character pairs (CJK) of a text.
pub fn terms(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush = |cjk: &mut Vec<char>, out: &mut BTreeSet<String>| {
        if cjk.len() == 1 {
            out.insert(cjk[0].to_string());
        }
        for w in cjk.windows(2) {
            out.insert(w.iter().collect());
        }
        cjk.clear();
    };
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let mut latin = String::new();
        for c in word.chars() {
            if is_cjk(c) {
                if latin.chars().count() >= 3 {
                    out.insert(latin.to_lowercase());
                }
                latin.clear();
                cjk.push(c);
            } else {
                flush(&mut cjk, &mut out);
                latin.push(c);
            }
        }
        flush(&mut cjk, &mut out);
        if latin.chars().count() >= 3 {
            out.insert(latin.to_lowercase());
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Share of the request's terms that the offer mentions.
pub fn text_similarity(rfq: &str, offer: &str) -> f64 {
    let a = terms(rfq);
    if a.is_empty() {
        return 0.0;
    }
    let b = terms(offer);
    a.intersection(&b).count() as f64 / a.len() as f64
}

/// Scores one offer against one request.
pub fn score(rfq: &RfqProfile, offer: &SupplierOffer, w: &Weights) -> MatchScore {
    let mut factors = Vec::with_capacity(8);
    let mut add = |name: &'static str, weight: f64, fit: f64, reason: String| {
        let fit = fit.clamp(0.0, 1.0);
        factors.push(Factor { name, weight, fit, points: weight * fit, reason });
    };
    let (hs, why) = hs_closeness(rfq.hs_code.as_ref(), &offer.hs_code);
    add("hs_closeness", w.hs_closeness, hs, why);
    let t = text_similarity(&rfq.text, &offer.text);
    add(
        "text_similarity",
        w.text_similarity,
        t,
        format!("{:.0}% of the request's words appear in the offer", t * 100.0),
    );
    add(
        "exports_to_destination",
        w.exports_to_destination,
        if offer.exports_to_destination { 1.0 } else { 0.0 },
        if offer.exports_to_destination {
            format!("already exports to {}", rfq.destination)
        } else {
            format!("no exports to {} on record", rfq.destination)
        },
    );
    let (q, why) = if rfq.quantity < offer.moq {
        let share = (rfq.quantity / offer.moq).to_f64().unwrap_or(0.0);
        (share * 0.5, format!("the request ({}) is below the MOQ ({})", rfq.quantity, offer.moq))
    } else if rfq.quantity > offer.capacity {
        let share = (offer.capacity / rfq.quantity).to_f64().unwrap_or(0.0);
        (share, format!("monthly capacity ({}) covers {:.0}% of the request", offer.capacity, share * 100.0))
    } else {
        (1.0, "the quantity is within MOQ and capacity".into())
    };
    add("quantity_fit", w.quantity_fit, q, why);
    let (p, why) = match (rfq.target_unit_price, offer.unit_price) {
        (Some(target), Some(price)) if price <= target => {
            (1.0, format!("price {price} is at or below the target {target}"))
        }
        (Some(target), Some(price)) => {
            // Full marks at the target, none at twice the target.
            let over = ((price - target) / target).to_f64().unwrap_or(1.0);
            ((1.0 - over).max(0.0), format!("price {price} is {:.0}% above the target {target}", over * 100.0))
        }
        (None, Some(_)) => (0.5, "the request has no target price".into()),
        (_, None) => (0.3, "the offer has no price for this quantity".into()),
    };
    add("price_fit", w.price_fit, p, why);
    let (i, why) = match rfq.incoterm {
        None => (0.5, "the request names no Incoterm".into()),
        Some(i) if offer.incoterms.contains(&i) => (1.0, format!("trades under {}", i.code())),
        Some(i) => (0.0, format!("no record of trading under {}", i.code())),
    };
    add("incoterm_fit", w.incoterm_fit, i, why);
    add(
        "verified",
        w.verified,
        if offer.verified { 1.0 } else { 0.0 },
        if offer.verified { "verified company".into() } else { "not verified".into() },
    );
    let (r, why) = match offer.response_rate {
        Some(rate) => (rate, format!("answers {:.0}% of requests", rate * 100.0)),
        None => (0.5, "no response history yet".into()),
    };
    add("response_history", w.response_history, r, why);
    let score = factors.iter().map(|f| f.points).sum::<f64>();
    MatchScore { score: (score * 100.0).round() / 100.0, factors }
}

/// Ranks offers best first; ties keep the input order.
pub fn rank<T>(rfq: &RfqProfile, offers: Vec<(T, SupplierOffer)>, w: &Weights) -> Vec<(T, MatchScore)> {
    let mut scored: Vec<(T, MatchScore)> = offers.into_iter().map(|(k, o)| (k, score(rfq, &o, w))).collect();
    scored.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hs(s: &str) -> HsCode {
        s.parse().expect("hs")
    }

    fn rfq() -> RfqProfile {
        RfqProfile {
            hs_code: Some(hs("090111")),
            text: "robusta green coffee beans".into(),
            quantity: Decimal::from(19_200),
            target_unit_price: Some(Decimal::new(210, 2)),
            incoterm: Some(Incoterm::Cif),
            destination: "DE".parse().expect("DE"),
        }
    }

    fn offer(code: &str) -> SupplierOffer {
        SupplierOffer {
            hs_code: hs(code),
            text: "Robusta green coffee, grade 1".into(),
            moq: Decimal::from(1000),
            capacity: Decimal::from(100_000),
            unit_price: Some(Decimal::new(205, 2)),
            incoterms: vec![Incoterm::Cif, Incoterm::Fob],
            exports_to_destination: true,
            verified: true,
            response_rate: Some(0.9),
        }
    }

    #[test]
    fn an_exact_match_explains_itself() {
        let s = score(&rfq(), &offer("090111"), &Weights::default());
        assert_eq!(s.factors.len(), 8);
        assert!(s.score > 90.0, "{s:?}");
        let total: f64 = Weights::default().hs_closeness
            + Weights::default().text_similarity
            + Weights::default().exports_to_destination
            + Weights::default().quantity_fit
            + Weights::default().price_fit
            + Weights::default().incoterm_fit
            + Weights::default().verified
            + Weights::default().response_history;
        assert_eq!(total, 100.0);
        assert_eq!(s.factors[0].reason, "same HS subheading 090111");
    }

    #[test]
    fn quantity_below_moq_and_over_capacity_lower_the_fit() {
        let mut o = offer("090111");
        o.moq = Decimal::from(40_000);
        let low = score(&rfq(), &o, &Weights::default());
        let q = low.factors.iter().find(|f| f.name == "quantity_fit").map(|f| f.fit).unwrap_or(1.0);
        assert!(q < 0.5);
        let mut o = offer("090111");
        o.capacity = Decimal::from(9_600);
        let s = score(&rfq(), &o, &Weights::default());
        let q = s.factors.iter().find(|f| f.name == "quantity_fit").map(|f| f.fit).unwrap_or(1.0);
        assert!((q - 0.5).abs() < 1e-9);
    }

    #[test]
    fn chinese_text_matches_chinese_text() {
        assert!(text_similarity("单晶硅太阳能电池", "450W 单晶硅太阳能电池组件") > 0.9);
        assert_eq!(text_similarity("solar panels", "coffee beans"), 0.0);
    }

    proptest! {
        /// Other factors equal, the exact subheading outranks the same heading, which
        /// outranks the same chapter, which outranks another chapter.
        #[test]
        fn hs_closeness_orders_suppliers(
            text in "[a-z ]{0,30}", verified in any::<bool>(), exports in any::<bool>(),
            rate in proptest::option::of(0.0f64..1.0), moq in 1u32..50_000, price in 1u32..500,
        ) {
            let mk = |code: &str| {
                let mut o = offer(code);
                o.text = text.clone();
                o.verified = verified;
                o.exports_to_destination = exports;
                o.response_rate = rate;
                o.moq = Decimal::from(moq);
                o.unit_price = Some(Decimal::new(i64::from(price), 2));
                o
            };
            let w = Weights::default();
            let r = rfq();
            let exact = score(&r, &mk("090111"), &w).score;
            let heading = score(&r, &mk("090121"), &w).score;
            let chapter = score(&r, &mk("090411"), &w).score;
            let other = score(&r, &mk("851713"), &w).score;
            prop_assert!(exact > heading && heading > chapter && chapter > other);
        }

        #[test]
        fn scores_stay_within_0_and_100(q in 1u32..1_000_000, moq in 1u32..1_000_000, cap in 1u32..1_000_000, price in 1u32..100_000, target in 1u32..100_000) {
            let mut r = rfq();
            r.quantity = Decimal::from(q);
            r.target_unit_price = Some(Decimal::from(target));
            let mut o = offer("090111");
            o.moq = Decimal::from(moq);
            o.capacity = Decimal::from(cap);
            o.unit_price = Some(Decimal::from(price));
            let s = score(&r, &o, &Weights::default());
            prop_assert!((0.0..=100.0).contains(&s.score));
            for f in &s.factors {
                prop_assert!((0.0..=1.0).contains(&f.fit));
            }
        }
    }
}
