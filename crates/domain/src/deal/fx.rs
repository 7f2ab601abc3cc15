//! Foreign exchange for the deal: reading rate tables (the European Central Bank's
//! `eurofxref` XML, and a plain `currency,rate` CSV against a named base), and the rate
//! lock an order takes when both sides agree.
//!
//! # Rounding
//! A converted amount is computed exactly in decimal (amount × target rate ÷ source rate,
//! both against the table's base), then rounded once, half to even ("banker's rounding"),
//! to the target currency's ISO 4217 minor unit: 2 decimals for USD and EUR, 0 for JPY and
//! KRW, 3 for KWD, BHD and JOD. The rate shown is rounded to 8 decimals for people; the
//! amount never goes through that rounded rate. Rounding once, at the end, keeps a
//! conversion within half a minor unit of the exact value.

use crate::codes::CurrencyCode;
use crate::marketplace::FxRates;
use crate::money::Money;
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

fn positive_rate(code: &str, value: &str) -> Result<(CurrencyCode, Decimal), String> {
    let c: CurrencyCode = code.trim().parse().map_err(|e: crate::codes::CodeError| format!("{code}: {e}"))?;
    let r = Decimal::from_str(value.trim()).map_err(|_| format!("{code}: '{value}' is not a number"))?;
    if r <= Decimal::ZERO {
        return Err(format!("{code}: rates must be above zero"));
    }
    Ok((c, r))
}

/// Parses the ECB's daily reference rates XML (`eurofxref-daily.xml`): the first dated
/// `<Cube time="…">` and its `<Cube currency="USD" rate="1.05"/>` children, per euro. A
/// file with several days (the 90-day or historical files) gives the newest day, which
/// the ECB lists first.
pub fn parse_ecb_xml(xml: &str, source: &str) -> Result<FxRates, String> {
    let mut reader = Reader::from_str(xml);
    let mut as_of: Option<String> = None;
    let mut rates = Vec::new();
    loop {
        match reader.read_event().map_err(|e| format!("the XML cannot be read: {e}"))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().into_inner() == "Cube" => {
                let (mut time, mut currency, mut rate) = (None, None, None);
                for a in e.attributes() {
                    let a = a.map_err(|e| format!("an attribute cannot be read: {e}"))?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| format!("an attribute cannot be read: {e}"))?
                        .into_owned();
                    match a.key.local_name().into_inner() {
                        "time" => time = Some(v),
                        "currency" => currency = Some(v),
                        "rate" => rate = Some(v),
                        _ => {}
                    }
                }
                if let Some(t) = time {
                    if as_of.is_some() {
                        break; // an older day: keep the newest only
                    }
                    as_of = Some(t);
                }
                if let (Some(c), Some(r), Some(_)) = (currency, rate, &as_of) {
                    rates.push(positive_rate(&c, &r)?);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let as_of = as_of.ok_or("no <Cube time=\"…\"> with rates found: is this the ECB eurofxref XML?")?;
    if rates.is_empty() {
        return Err("no rates found".into());
    }
    let base: CurrencyCode = "EUR".parse().map_err(|e: crate::codes::CodeError| e.to_string())?;
    Ok(FxRates { base, rates, as_of, source: source.to_string() })
}

/// Parses a plain CSV of `currency,rate` rows (an optional header row), each rate the units
/// of that currency per one unit of `base`.
pub fn parse_plain_csv(text: &str, base: CurrencyCode, as_of: &str, source: &str) -> Result<FxRates, String> {
    let mut rates = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split(',');
        let (Some(code), Some(value), None) = (cols.next(), cols.next(), cols.next()) else {
            return Err(format!("line {}: expected two columns, currency,rate", i + 1));
        };
        if i == 0 && code.trim().eq_ignore_ascii_case("currency") {
            continue;
        }
        let (c, r) = positive_rate(code, value).map_err(|e| format!("line {}: {e}", i + 1))?;
        if c == base {
            continue;
        }
        rates.push((c, r));
    }
    if rates.is_empty() {
        return Err("no rates found".into());
    }
    Ok(FxRates { base, rates, as_of: as_of.to_string(), source: source.to_string() })
}

/// The rates an order keeps from the moment both sides agreed: the order total converted
/// into each currency a party accounts in, with the rate, the table's source and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxLock {
    pub source: String,
    pub as_of: String,
    pub locked_at: String,
    pub conversions: Vec<LockedConversion>,
}

/// One locked conversion of the order total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedConversion {
    /// Units of the target currency per one unit of the order currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub amount: Money,
}

/// Locks the conversion of `total` into each of `targets` (other than its own currency)
/// that the table quotes; targets it does not quote are left out.
pub fn lock(rates: &FxRates, total: &Money, targets: &[CurrencyCode], locked_at: &str) -> FxLock {
    let mut conversions: Vec<LockedConversion> = Vec::new();
    for t in targets {
        if *t == total.currency() || conversions.iter().any(|c| c.amount.currency() == *t) {
            continue;
        }
        if let Some(c) = rates.convert(total, *t) {
            conversions.push(LockedConversion { rate: c.rate, amount: c.amount });
        }
    }
    FxLock { source: rates.source.clone(), as_of: rates.as_of.clone(), locked_at: locked_at.to_string(), conversions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(s: &str) -> CurrencyCode {
        s.parse().expect("currency")
    }
    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }
    fn m(a: &str, cur: &str) -> Money {
        Money::new(d(a), c(cur)).expect("money")
    }

    const ECB: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="2026-11-25">
      <Cube currency="USD" rate="1.0512"/>
      <Cube currency="JPY" rate="161.37"/>
      <Cube currency="SGD" rate="1.4123"/>
      <Cube currency="CNY" rate="7.6120"/>
    </Cube>
    <Cube time="2026-11-24">
      <Cube currency="USD" rate="1.0400"/>
    </Cube>
  </Cube>
</gesmes:Envelope>"#;

    #[test]
    fn the_ecb_xml_gives_the_newest_day() {
        let r = parse_ecb_xml(ECB, "ECB").expect("parsed");
        assert_eq!(r.as_of, "2026-11-25");
        assert_eq!(r.base, c("EUR"));
        assert_eq!(r.rates.len(), 4);
        assert!(r.rates.contains(&(c("USD"), d("1.0512"))));
        assert!(parse_ecb_xml("<a/>", "x").is_err());
        assert!(parse_ecb_xml(&ECB.replace("1.0512", "-1"), "x").is_err());
        assert!(parse_ecb_xml(&ECB.replace("\"USD\"", "\"XYZ\""), "x").is_err());
    }

    #[test]
    fn plain_csv_rates_against_a_base() {
        let r =
            parse_plain_csv("currency,rate\nEUR,0.9513\nJPY,153.51\n\nKWD,0.3075\n", c("USD"), "2026-11-25", "bank")
                .expect("parsed");
        assert_eq!(r.base, c("USD"));
        assert_eq!(r.rates.len(), 3);
        assert!(parse_plain_csv("EUR;0.95", c("USD"), "d", "s").is_err());
        assert!(parse_plain_csv("EUR,zero", c("USD"), "d", "s").is_err());
        assert!(parse_plain_csv("", c("USD"), "d", "s").is_err());
    }

    #[test]
    fn cross_rates_round_once_to_each_currencys_minor_unit() {
        let r = parse_ecb_xml(ECB, "ECB").expect("parsed");
        // USD → JPY through EUR: 1000 × 161.37 / 1.0512 = 153510.27… → 153510 (no decimals).
        let jpy = r.convert(&m("1000", "USD"), c("JPY")).expect("converted");
        assert_eq!(jpy.amount, m("153510", "JPY"));
        // USD → SGD: 1000 × 1.4123 / 1.0512 = 1343.5122… → 1343.51.
        assert_eq!(r.convert(&m("1000", "USD"), c("SGD")).expect("sgd").amount, m("1343.51", "SGD"));
        // KWD keeps three decimals.
        let k = parse_plain_csv("KWD,0.3075", c("USD"), "d", "s").expect("k");
        assert_eq!(k.convert(&m("10.01", "USD"), c("KWD")).expect("kwd").amount, m("3.078", "KWD"));
        // Half to even at the last place: 0.3075 × 0.01 = 0.003075 → 0.003 (KWD), and a
        // tie such as 2.5 JPY goes to 2.
        let half = parse_plain_csv("JPY,250", c("USD"), "d", "s").expect("h");
        assert_eq!(half.convert(&m("0.01", "USD"), c("JPY")).expect("jpy").amount, m("2", "JPY"));
        assert_eq!(k.convert(&m("0.01", "USD"), c("KWD")).expect("kwd").amount, m("0.003", "KWD"));
    }

    #[test]
    fn a_lock_keeps_the_total_in_each_partys_currency() {
        let r = parse_ecb_xml(ECB, "ECB").expect("parsed");
        let l = lock(&r, &m("39936", "USD"), &[c("EUR"), c("SGD"), c("USD"), c("EUR"), c("KES")], "t");
        let currencies: Vec<&str> = l.conversions.iter().map(|x| x.amount.currency().as_str()).collect();
        assert_eq!(currencies, ["EUR", "SGD"], "its own currency, duplicates and unquoted ones are left out");
        assert_eq!(l.conversions[0].amount, m("37990.87", "EUR"));
        assert_eq!((l.source.as_str(), l.as_of.as_str()), ("ECB", "2026-11-25"));
    }

    #[test]
    fn national_currencies() {
        for (country, currency) in [
            ("DE", "EUR"),
            ("SG", "SGD"),
            ("CN", "CNY"),
            ("KE", "KES"),
            ("US", "USD"),
            ("JP", "JPY"),
            ("KW", "KWD"),
            ("CH", "CHF"),
        ] {
            let cc = country.parse().expect("country");
            assert_eq!(CurrencyCode::of_country(&cc), Some(c(currency)), "{country}");
        }
    }

    proptest! {
        #[test]
        fn a_conversion_is_within_half_a_minor_unit(cents in 1i64..10_000_000_000, rate in 1u32..2_000_000) {
            let rate = Decimal::new(i64::from(rate), 4);
            let table = FxRates { base: c("USD"), rates: vec![(c("JPY"), rate), (c("KWD"), rate)], as_of: "d".into(), source: "s".into() };
            let amount = Money::new(Decimal::new(cents, 2), c("USD")).expect("usd");
            for (cur, unit) in [("JPY", Decimal::ONE), ("KWD", Decimal::new(1, 3))] {
                let got = table.convert(&amount, c(cur)).expect("converted").amount.amount();
                let exact = amount.amount() * rate;
                prop_assert!((got - exact).abs() <= unit / Decimal::TWO, "{cur}: {got} vs {exact}");
            }
        }
    }
}
