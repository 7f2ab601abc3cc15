//! The byte-level pieces of OpenAttestation v2 hashing: Keccak-256, the JSON text of a
//! leaf exactly as JavaScript's `JSON.stringify` writes it, JavaScript number formatting,
//! and strict parsing of the hex hashes a document carries.

use serde_json::Number;

const RATE: usize = 136;

/// Keccak-256 (original padding, as js-sha3 and Ethereum). One absorb loop over whole
/// blocks with no intermediate buffer: nearly every leaf is shorter than one block.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut state = [0u64; 25];
    let mut blocks = data.chunks_exact(RATE);
    for block in &mut blocks {
        absorb(&mut state, block);
        keccak::f1600(&mut state);
    }
    let rest = blocks.remainder();
    let mut last = [0u8; RATE];
    last[..rest.len()].copy_from_slice(rest);
    last[rest.len()] ^= 0x01;
    last[RATE - 1] ^= 0x80;
    absorb(&mut state, &last);
    keccak::f1600(&mut state);
    let mut out = [0u8; 32];
    for (chunk, lane) in out.chunks_exact_mut(8).zip(state.iter()) {
        chunk.copy_from_slice(&lane.to_le_bytes());
    }
    out
}

fn absorb(state: &mut [u64; 25], block: &[u8]) {
    for (lane, bytes) in state.iter_mut().zip(block.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        *lane ^= u64::from_le_bytes(b);
    }
}

/// `keccak256(a ‖ b)` with the pair sorted bytewise: OpenAttestation's Merkle step.
pub fn combine(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut buf = [0u8; 64];
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    buf[..32].copy_from_slice(lo);
    buf[32..].copy_from_slice(hi);
    keccak256(&buf)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
}

pub fn hex32(h: &[u8; 32]) -> String {
    let mut out = Vec::with_capacity(64);
    write_hex(&mut out, h);
    // Only ASCII hex digits were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `s` as the body of a JSON string (without the quotes), escaped as ECMAScript's
/// `JSON.stringify` does: `"` `\` and the C0 controls; everything else raw UTF-8.
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// JavaScript numbers are doubles: integers beyond 2^53 are what JavaScript would have read.
const JS_SAFE: u64 = 1 << 53;

/// Appends JavaScript's `String(n)` (equal to `JSON.stringify(n)` for finite numbers):
/// shortest round-trip digits, `1e+21` from 10^21 up, `-0` as `0`.
pub fn js_number_into(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64().filter(|u| *u <= JS_SAFE) {
        out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
        return;
    }
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= JS_SAFE) {
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
        return;
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    js_f64_into(out, f);
}

pub fn js_f64_into(out: &mut Vec<u8>, f: f64) {
    if f == 0.0 {
        out.push(b'0');
    } else {
        out.extend_from_slice(ryu_js::Buffer::new().format(f).as_bytes());
    }
}

/// Why a hash written in a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashFormat {
    Prefixed,
    WrongLength(usize),
    UpperCase,
    NotHex,
}

impl HashFormat {
    pub fn explain(&self, what: &str) -> String {
        let tail = "OpenAttestation writes each hash as 64 lower-case hexadecimal characters";
        match self {
            HashFormat::Prefixed => format!("{what} starts with \"0x\"; {tail}, without a prefix"),
            HashFormat::WrongLength(n) => format!("{what} has {n} characters; {tail}"),
            HashFormat::UpperCase => format!("{what} contains upper-case letters; {tail}"),
            HashFormat::NotHex => format!("{what} is not hexadecimal; {tail}"),
        }
    }
}

/// Parses a hash as documents write it: exactly 64 lower-case hex digits, no `0x`.
/// Stricter than the official library, which also takes upper case in `merkleRoot` and
/// `proof`: no wrapper writes upper case, so it only ever comes from an edit by hand.
pub fn parse_hash(s: &str) -> Result<[u8; 32], HashFormat> {
    if s.starts_with("0x") || s.starts_with("0X") {
        return Err(HashFormat::Prefixed);
    }
    if s.len() != 64 {
        return Err(HashFormat::WrongLength(s.chars().count()));
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Ok(out)
}

fn nibble(c: u8) -> Result<u8, HashFormat> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Err(HashFormat::UpperCase),
        _ => Err(HashFormat::NotHex),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha3::Digest;

    #[test]
    fn keccak_of_nothing_is_the_known_value() {
        assert_eq!(hex32(&keccak256(b"")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    }

    proptest! {
        #[test]
        fn keccak_matches_the_sha3_crate(data in prop::collection::vec(any::<u8>(), 0..600)) {
            let expected: [u8; 32] = sha3::Keccak256::digest(&data).into();
            prop_assert_eq!(keccak256(&data), expected);
        }

        #[test]
        fn escaping_matches_serde_json(s in "\\PC*|[\\x00-\\x1f\"\\\\/\u{7f}\u{2028}]{0,8}") {
            let mut out = Vec::new();
            escape_into(&mut out, &s);
            let expected = serde_json::to_string(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(format!("\"{}\"", String::from_utf8_lossy(&out)), expected);
        }
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let cases: [(serde_json::Value, &str); 14] = [
            (serde_json::json!(5), "5"),
            (serde_json::json!(-7), "-7"),
            (serde_json::json!(1.5), "1.5"),
            (serde_json::json!(1.0), "1"),
            (serde_json::json!(-0.0), "0"),
            (serde_json::json!(0.1), "0.1"),
            (serde_json::json!(450.0), "450"),
            (serde_json::json!(1e21), "1e+21"),
            (serde_json::json!(1e20), "100000000000000000000"),
            (serde_json::json!(1.5e-7), "1.5e-7"),
            (serde_json::json!(0.000001), "0.000001"),
            (serde_json::json!(9007199254740993u64), "9007199254740992"),
            (serde_json::json!(u64::MAX), "18446744073709552000"),
            (serde_json::json!(i64::MIN), "-9223372036854776000"),
        ];
        for (v, js) in cases {
            let mut out = Vec::new();
            if let serde_json::Value::Number(n) = &v {
                js_number_into(&mut out, n);
            }
            assert_eq!(String::from_utf8_lossy(&out), js, "{v}");
        }
    }

    #[test]
    fn hashes_must_be_64_lower_case_hex() {
        let good = "3826fcc2b0122a3555051a29b09b8cf5a6a8c776abf5da4e966ab92dbdbd518c";
        assert!(parse_hash(good).is_ok());
        assert_eq!(parse_hash(&format!("0x{good}")), Err(HashFormat::Prefixed));
        assert_eq!(parse_hash(&good[1..]), Err(HashFormat::WrongLength(63)));
        assert_eq!(parse_hash(&good.to_uppercase()), Err(HashFormat::UpperCase));
        assert_eq!(parse_hash(&good.replace('c', "g")), Err(HashFormat::NotHex));
    }
}
