//! Reference data that is not a code list crate's job: the HS nomenclature and UN/LOCODE.
//! Both come with a small built-in set for the demo and parsers for the full public files.

use crate::codes::{CountryCode, HsCode, Locode};
use serde::Serialize;

/// One node of the HS nomenclature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HsEntry {
    pub code: HsCode,
    /// Roman numeral of the HS section, for example `II`.
    pub section: String,
    pub description: String,
    pub parent: Option<HsCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    pub line: u64,
    pub message: String,
}

/// Parses the public HS CSV layout `section,hscode,description,parent,level`.
/// Rows that are not HS 2/4/6-digit codes (such as the `TOTAL` root) are skipped.
pub fn parse_hs_csv(input: &[u8]) -> Result<Vec<HsEntry>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let headers = rdr.headers().map_err(|e| ImportError { line: 1, message: e.to_string() })?.clone();
    let expected = ["section", "hscode", "description", "parent", "level"];
    let got: Vec<&str> = headers.iter().map(|h| h.trim_start_matches('\u{feff}').trim()).collect();
    if got.len() < 5 || got[..5] != expected {
        return Err(ImportError {
            line: 1,
            message: format!("expected the header '{}', found '{}'", expected.join(","), got.join(",")),
        });
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| ImportError { line, message: e.to_string() })?;
        let (section, code, desc, parent) = (&rec[0], &rec[1], &rec[2], &rec[3]);
        let Ok(code) = code.parse::<HsCode>() else { continue };
        if desc.trim().is_empty() {
            return Err(ImportError { line, message: format!("HS code {code} has no description") });
        }
        out.push(HsEntry {
            code,
            section: section.trim().to_string(),
            description: desc.trim().to_string(),
            parent: parent.parse::<HsCode>().ok(),
        });
    }
    Ok(out)
}

/// A UN/LOCODE location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocodeEntry {
    pub code: Locode,
    pub country: CountryCode,
    pub name: String,
    pub subdivision: String,
    /// The UNECE function classifier, for example `1-3-----` (1 port, 2 rail, 3 road,
    /// 4 airport, 5 postal, 6 multimodal, 7 fixed transport, B border crossing).
    pub function: String,
    pub is_port: bool,
    pub is_airport: bool,
}

/// Parses the official UNECE UN/LOCODE CSV (no header; columns: change, country, location,
/// name, name without diacritics, subdivision, function, status, date, IATA, coordinates,
/// remarks). Country heading rows (empty location) and entries marked for removal (`X`)
/// are skipped.
pub fn parse_unlocode_csv(input: &[u8]) -> Result<Vec<LocodeEntry>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
    let mut out = Vec::new();
    for (i, rec) in rdr.byte_records().enumerate() {
        let line = i as u64 + 1;
        let rec = rec.map_err(|e| ImportError { line, message: e.to_string() })?;
        // UNECE publishes the file in Latin-1 as well as UTF-8; take either.
        let col = |n: usize| -> String {
            let b = rec.get(n).unwrap_or(b"");
            match std::str::from_utf8(b) {
                Ok(s) => s.trim().to_string(),
                Err(_) => b.iter().map(|&c| c as char).collect::<String>().trim().to_string(),
            }
        };
        if rec.len() < 7 {
            return Err(ImportError { line, message: format!("expected at least 7 columns, found {}", rec.len()) });
        }
        if col(0) == "X" || col(2).is_empty() {
            continue;
        }
        let code = format!("{}{}", col(1), col(2));
        let Ok(code) = code.parse::<Locode>() else {
            return Err(ImportError { line, message: format!("'{code}' is not a UN/LOCODE") });
        };
        let function = col(6);
        let name = if col(4).is_empty() { col(3) } else { col(4) };
        out.push(LocodeEntry {
            country: code.country(),
            code,
            name,
            subdivision: col(5),
            is_port: function.starts_with('1'),
            is_airport: function.chars().nth(3) == Some('4'),
            function,
        });
    }
    Ok(out)
}

/// The built-in HS subset: the chapters and headings the demo data and tests use.
pub const BUILTIN_HS_CSV: &str = include_str!("../data/hs-subset.csv");
/// The built-in UN/LOCODE subset: major seaports and airports.
pub const BUILTIN_LOCODE_CSV: &str = include_str!("../data/locode-subset.csv");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_sets_parse() {
        let hs = parse_hs_csv(BUILTIN_HS_CSV.as_bytes()).expect("hs");
        assert!(hs.len() > 50);
        assert!(hs.iter().any(|e| e.code.as_str() == "090111"));
        // Every parent in the subset is itself in the subset.
        for e in &hs {
            if let Some(p) = &e.parent {
                assert!(hs.iter().any(|x| &x.code == p), "parent {p} of {} missing", e.code);
            }
        }
        let lo = parse_unlocode_csv(BUILTIN_LOCODE_CSV.as_bytes()).expect("locode");
        let sin = lo.iter().find(|l| l.code.as_str() == "SGSIN").expect("SGSIN");
        assert!(sin.is_port && sin.is_airport);
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = parse_hs_csv(&bytes);
            let _ = parse_unlocode_csv(&bytes);
        }

        #[test]
        fn every_parsed_hs_row_has_a_valid_code(rows in proptest::collection::vec(("[0-9]{1,7}", "[a-z ]{0,12}"), 0..20)) {
            let mut csv = String::from("section,hscode,description,parent,level\n");
            for (code, desc) in &rows {
                csv.push_str(&format!("I,{code},{desc},TOTAL,2\n"));
            }
            if let Ok(parsed) = parse_hs_csv(csv.as_bytes()) {
                for e in parsed {
                    proptest::prop_assert!(matches!(e.code.as_str().len(), 2 | 4 | 6));
                    proptest::prop_assert!(!e.description.is_empty());
                }
            }
        }
    }

    #[test]
    fn bad_files_name_the_line() {
        let e = parse_hs_csv(b"code,desc\n01,x\n").expect_err("header");
        assert_eq!(e.line, 1);
        let e = parse_hs_csv(b"section,hscode,description,parent,level\nI,01,,TOTAL,2\n").expect_err("desc");
        assert_eq!(e.line, 2);
        let e = parse_unlocode_csv(b",\"SG\",\"S1N\",\"x\",\"x\",,\"1-------\",\"AI\",,,,\n").expect_err("code");
        assert_eq!(e.line, 1);
    }
}
