//! Integrity straight from a document's JSON text: the leaves of `data` are hashed while the
//! text is read, without building a tree of values (keys and strings without escapes are
//! borrowed from the input). Any document that does not pass this way is checked again the
//! slow way, strictly parsed, so that the answer and its reason are always those of
//! [`super::verify_integrity`]; a document with a repeated key never passes here (the
//! repeated leaf is hashed twice, so its target hash cannot match).

use super::hash::{escape_into, js_f64_into, js_number_into, keccak256};
use super::leaves::digest_sorted;
use super::{IntegrityReport, OaError, hex32, intact_reason, merkle, signature_parts, verify_integrity};
use crate::json::{JsonLimits, parse_strict};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Checks a wrapped document given as JSON text, as [`super::verify_integrity`] does; the
/// text is also held to [`JsonLimits::default`] (no repeated keys, bounded size and depth).
pub fn verify_integrity_json(text: &[u8], original_leaves: Option<&[[u8; 32]]>) -> IntegrityReport {
    if text.len() <= JsonLimits::default().max_bytes
        && let Some(report) = fast(text)
    {
        return report;
    }
    match parse_strict(text, JsonLimits::default()) {
        Ok(doc) => verify_integrity(&doc, original_leaves),
        Err(e) => IntegrityReport::broken(e.message),
    }
}

/// The report when the document is intact, None for anything else.
fn fast(text: &[u8]) -> Option<IntegrityReport> {
    let mut walker = Walker {
        path: Vec::with_capacity(128),
        buf: Vec::with_capacity(256),
        hashes: Vec::with_capacity(64),
        depth: 0,
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let top = TopSeed { walker: &mut walker }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    if !top.had_data {
        return None;
    }
    let parts = signature_parts(top.signature.as_ref(), top.privacy.as_ref()).ok()?;
    let mut all = walker.hashes;
    all.extend_from_slice(&parts.hidden);
    all.sort_unstable();
    let mut buf = walker.buf;
    if digest_sorted(&all, &mut buf) != parts.target || !merkle::check_proof(&parts.target, &parts.proof, &parts.root) {
        return None;
    }
    Some(IntegrityReport {
        intact: true,
        reason: intact_reason(parts.hidden.len()),
        changed_fields: Vec::new(),
        missing_original_fields: 0,
        target_hash: Some(hex32(&parts.target)),
        merkle_root: Some(hex32(&parts.root)),
    })
}

struct Walker {
    path: Vec<u8>,
    buf: Vec<u8>,
    hashes: Vec<[u8; 32]>,
    depth: usize,
}

impl Walker {
    fn leaf(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.buf.clear();
        self.buf.extend_from_slice(b"{\"");
        self.buf.extend_from_slice(&self.path);
        self.buf.extend_from_slice(b"\":");
        write(&mut self.buf);
        self.buf.push(b'}');
        self.hashes.push(keccak256(&self.buf));
    }

    fn push_segment(&mut self) -> usize {
        let mark = self.path.len();
        if mark > 0 {
            self.path.push(b'.');
        }
        mark
    }
}

struct Top {
    had_data: bool,
    signature: Option<Value>,
    privacy: Option<Value>,
}

struct TopSeed<'w> {
    walker: &'w mut Walker,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Top;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Top;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a wrapped document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut top = Top { had_data: false, signature: None, privacy: None };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "data" if !top.had_data => {
                    top.had_data = true;
                    map.next_value_seed(Node { walker: self.walker, top: true })?;
                }
                "signature" if top.signature.is_none() => top.signature = Some(map.next_value()?),
                "privacy" if top.privacy.is_none() => top.privacy = Some(map.next_value()?),
                "data" | "signature" | "privacy" => return Err(de::Error::custom("repeated block")),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

/// One value inside `data`, hashed as it is read.
struct Node<'w> {
    walker: &'w mut Walker,
    /// `data` itself: an object, never a leaf even when empty.
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.top { d.deserialize_map(self) } else { d.deserialize_any(self) }
    }
}

/// A key of an object inside `data`, appended (escaped) to the walker's path.
struct Key<'w> {
    walker: &'w mut Walker,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> Result<(), E> {
        if k.contains('.') {
            return Err(E::custom(OaError::KeyWithDot(k.to_string())));
        }
        escape_into(&mut self.walker.path, k);
        Ok(())
    }
}

/// serde_json stops at 128 levels; stay well within it.
const MAX_DEPTH: usize = 100;

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.walker.leaf(|b| {
            b.push(b'"');
            escape_into(b, v);
            b.push(b'"');
        });
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.walker.leaf(|b| js_number_into(b, &v.into()));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.walker.leaf(|b| js_number_into(b, &v.into()));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.walker.leaf(|b| js_f64_into(b, v));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.walker.leaf(|b| b.extend_from_slice(if v { b"true" } else { b"false" }));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.walker.leaf(|b| b.extend_from_slice(b"null"));
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.walker;
        w.depth += 1;
        if w.depth > MAX_DEPTH {
            return Err(de::Error::custom("too deep"));
        }
        let mut any = false;
        loop {
            let mark = w.push_segment();
            if map.next_key_seed(Key { walker: w })?.is_none() {
                w.path.truncate(mark);
                break;
            }
            any = true;
            map.next_value_seed(Node { walker: w, top: false })?;
            w.path.truncate(mark);
        }
        w.depth -= 1;
        if !any && !self.top {
            w.leaf(|b| b.extend_from_slice(b"{}"));
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let w = self.walker;
        w.depth += 1;
        if w.depth > MAX_DEPTH {
            return Err(de::Error::custom("too deep"));
        }
        let mut i = 0usize;
        loop {
            let mark = w.push_segment();
            w.path.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
            let more = seq.next_element_seed(Node { walker: w, top: false })?.is_some();
            w.path.truncate(mark);
            if !more {
                break;
            }
            i += 1;
        }
        w.depth -= 1;
        if i == 0 {
            w.leaf(|b| b.extend_from_slice(b"[]"));
        }
        Ok(())
    }
}
