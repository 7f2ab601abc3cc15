//! Flattening a document's `data` into leaves and hashing each one (flatley's `flatten` and
//! OpenAttestation's `digestDocument`): keys joined with `.`, array positions as keys,
//! every primitive and every empty `{}` / `[]` a leaf, `keccak256('{"<path>":<value>}')`.

use super::OaError;
use super::hash::{escape_into, js_number_into, keccak256};
use serde_json::{Map, Value};

/// Walks a `data` object, hashing each visible leaf; also collects the leaves' dotted
/// paths when `names` is given (only for explaining a failure).
pub(crate) struct LeafWalker<'n> {
    /// The path so far, already escaped for the inside of a JSON string.
    path: Vec<u8>,
    /// The same path unescaped, kept only when names are wanted.
    raw: Option<(String, &'n mut Vec<String>)>,
    buf: Vec<u8>,
    pub hashes: Vec<[u8; 32]>,
}

impl<'n> LeafWalker<'n> {
    pub fn new(names: Option<&'n mut Vec<String>>) -> Self {
        LeafWalker {
            path: Vec::with_capacity(128),
            raw: names.map(|n| (String::new(), n)),
            buf: Vec::with_capacity(256),
            hashes: Vec::with_capacity(64),
        }
    }

    /// All leaves of a `data` object (which is never a leaf itself, even when empty).
    pub fn data(&mut self, data: &Map<String, Value>) -> Result<(), OaError> {
        for (k, v) in data {
            let mark = self.push_key(k)?;
            self.value(v)?;
            self.pop(mark);
        }
        Ok(())
    }

    /// The leaves of `v` found under `prefix` (a dotted path already checked for `.` in keys).
    pub fn subtree(&mut self, prefix: &str, v: &Value) -> Result<(), OaError> {
        self.path.clear();
        escape_into(&mut self.path, prefix);
        if let Some((raw, _)) = self.raw.as_mut() {
            raw.clear();
            raw.push_str(prefix);
        }
        self.value(v)
    }

    fn push_key(&mut self, key: &str) -> Result<(usize, usize), OaError> {
        if key.contains('.') {
            let mut at = self.raw_path();
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(key);
            return Err(OaError::KeyWithDot(at));
        }
        let mark = (self.path.len(), self.raw.as_ref().map_or(0, |(r, _)| r.len()));
        if !self.path.is_empty() {
            self.path.push(b'.');
        }
        escape_into(&mut self.path, key);
        if let Some((raw, _)) = self.raw.as_mut() {
            if !raw.is_empty() {
                raw.push('.');
            }
            raw.push_str(key);
        }
        Ok(mark)
    }

    fn push_index(&mut self, i: usize) -> (usize, usize) {
        let mark = (self.path.len(), self.raw.as_ref().map_or(0, |(r, _)| r.len()));
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(i);
        if !self.path.is_empty() {
            self.path.push(b'.');
        }
        self.path.extend_from_slice(digits.as_bytes());
        if let Some((raw, _)) = self.raw.as_mut() {
            if !raw.is_empty() {
                raw.push('.');
            }
            raw.push_str(digits);
        }
        mark
    }

    fn pop(&mut self, (path, raw_len): (usize, usize)) {
        self.path.truncate(path);
        if let Some((raw, _)) = self.raw.as_mut() {
            raw.truncate(raw_len);
        }
    }

    fn raw_path(&self) -> String {
        match &self.raw {
            Some((raw, _)) => raw.clone(),
            None => String::from_utf8_lossy(&self.path).into_owned(),
        }
    }

    fn value(&mut self, v: &Value) -> Result<(), OaError> {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    let mark = self.push_key(k)?;
                    self.value(child)?;
                    self.pop(mark);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for (i, child) in a.iter().enumerate() {
                    let mark = self.push_index(i);
                    self.value(child)?;
                    self.pop(mark);
                }
            }
            leaf => self.leaf(leaf),
        }
        Ok(())
    }

    fn leaf(&mut self, v: &Value) {
        self.buf.clear();
        self.buf.extend_from_slice(b"{\"");
        self.buf.extend_from_slice(&self.path);
        self.buf.extend_from_slice(b"\":");
        write_leaf_value(&mut self.buf, v);
        self.buf.push(b'}');
        self.hashes.push(keccak256(&self.buf));
        if let Some((raw, names)) = self.raw.as_mut() {
            names.push(raw.clone());
        }
    }
}

/// `JSON.stringify` of a leaf value: a primitive, `{}` or `[]`.
fn write_leaf_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => {
            buf.push(b'"');
            escape_into(buf, s);
            buf.push(b'"');
        }
        Value::Number(n) => js_number_into(buf, n),
        Value::Bool(true) => buf.extend_from_slice(b"true"),
        Value::Bool(false) => buf.extend_from_slice(b"false"),
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Object(_) => buf.extend_from_slice(b"{}"),
        Value::Array(_) => buf.extend_from_slice(b"[]"),
    }
}

/// `keccak256(JSON.stringify(sorted hex list))`: the target hash over every leaf hash,
/// visible and hidden, sorted (duplicates kept, as OpenAttestation keeps them).
pub(crate) fn digest(mut hashes: Vec<[u8; 32]>) -> [u8; 32] {
    hashes.sort_unstable();
    digest_sorted(&hashes, &mut Vec::new())
}

pub(crate) fn digest_sorted(sorted: &[[u8; 32]], buf: &mut Vec<u8>) -> [u8; 32] {
    buf.clear();
    buf.reserve(sorted.len() * 67 + 2);
    buf.push(b'[');
    for (i, h) in sorted.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'"');
        super::hash::write_hex(buf, h);
        buf.push(b'"');
    }
    buf.push(b']');
    keccak256(buf)
}
