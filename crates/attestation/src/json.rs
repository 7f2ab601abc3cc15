//! Strict JSON input for documents that strangers hand in (a file dropped on the public
//! verifier, a document sent by another company).
//!
//! `serde_json::Value` silently keeps the last of two equal keys, so `{"total":1,"total":9}`
//! would show one amount to a person and hash another in a different tool. This parser
//! refuses duplicate keys, overly deep nesting and oversized input before anything is built,
//! and says where the problem is (JSON path, line and column, byte offset).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// What a strict parse accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Largest accepted input in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of objects and arrays (the top-level object is depth 1).
    /// serde_json itself stops at 128, so larger values act as 128.
    pub max_depth: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        JsonLimits { max_bytes: 16 * 1024 * 1024, max_depth: 64 }
    }
}

/// Why a document was refused, with where in the input when it is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    /// A sentence a person can act on, including the position when known.
    pub message: String,
    pub kind: JsonErrorKind,
    /// The JSON path of the offending value (`$.invoice.lines[2]`), when known.
    pub path: Option<String>,
    /// 1-based line and column of the error, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// 0-based byte offset of the error, when known.
    pub byte_offset: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    TooLarge,
    TooDeep,
    DuplicateKey,
    /// Not UTF-8, not JSON, or a lone surrogate in a string.
    Invalid,
    NotAnObject,
}

/// Parses `bytes` as one JSON object under `limits`.
pub fn parse_strict(bytes: &[u8], limits: JsonLimits) -> Result<Value, JsonError> {
    if bytes.len() > limits.max_bytes {
        return Err(JsonError {
            message: format!(
                "the document is {} bytes long, more than the {} bytes accepted",
                bytes.len(),
                limits.max_bytes
            ),
            kind: JsonErrorKind::TooLarge,
            path: None,
            line: None,
            column: None,
            byte_offset: Some(limits.max_bytes),
        });
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let at = e.valid_up_to();
        let (line, column) = line_column(bytes, at);
        return Err(JsonError {
            message: format!(
                "the document is not UTF-8 text: invalid byte at offset {at} (line {line}, column {column})"
            ),
            kind: JsonErrorKind::Invalid,
            path: None,
            line: Some(line),
            column: Some(column),
            byte_offset: Some(at),
        });
    }
    let state = State { limits, path: RefCell::new(Vec::new()), problem: RefCell::new(None) };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = StrictSeed { state: &state, depth: 0 }.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match parsed {
        Ok(Value::Object(map)) => Ok(Value::Object(map)),
        Ok(other) => Err(JsonError {
            message: format!("the document must be a JSON object ({{…}}), not {}", kind_of(&other)),
            kind: JsonErrorKind::NotAnObject,
            path: Some("$".into()),
            line: None,
            column: None,
            byte_offset: Some(0),
        }),
        Err(e) => {
            let (line, column) = (e.line(), e.column());
            let byte_offset = (line > 0).then(|| byte_offset(bytes, line, column));
            let position = if line > 0 { format!(" (line {line}, column {column})") } else { String::new() };
            Err(match state.problem.into_inner() {
                Some(p) => JsonError {
                    message: format!("{}{position}", p.message),
                    kind: p.kind,
                    path: Some(p.path),
                    line: (line > 0).then_some(line),
                    column: (line > 0).then_some(column),
                    byte_offset,
                },
                None => {
                    let path = state.path.borrow();
                    let at = render_path(&path);
                    JsonError {
                        message: format!("the document is not valid JSON at {at}: {e}"),
                        kind: JsonErrorKind::Invalid,
                        path: Some(at),
                        line: (line > 0).then_some(line),
                        column: (line > 0).then_some(column),
                        byte_offset,
                    }
                }
            })
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset - before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
    (line, column)
}

/// serde_json counts columns in bytes from 1; turn (line, column) back into an offset.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(p) => start += p + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(bytes.len())
}

#[derive(Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

fn render_path(path: &[Segment]) -> String {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            Segment::Key(k) if !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$') => {
                out.push('.');
                out.push_str(k);
            }
            Segment::Key(k) => {
                out.push('[');
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(']');
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

struct Problem {
    message: String,
    kind: JsonErrorKind,
    path: String,
}

struct State {
    limits: JsonLimits,
    path: RefCell<Vec<Segment>>,
    /// The refusal found by the visitor; serde's error type only carries a string.
    problem: RefCell<Option<Problem>>,
}

impl State {
    fn refuse<E: de::Error>(&self, kind: JsonErrorKind, message: String, path: String) -> E {
        let err = E::custom(&message);
        *self.problem.borrow_mut() = Some(Problem { message, kind, path });
        err
    }
}

struct StrictSeed<'s> {
    state: &'s State,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'s> StrictSeed<'s> {
    fn enter<E: de::Error>(&self) -> Result<StrictSeed<'s>, E> {
        let depth = self.depth + 1;
        if depth > self.state.limits.max_depth {
            let path = render_path(&self.state.path.borrow());
            return Err(self.state.refuse(
                JsonErrorKind::TooDeep,
                format!("the document nests deeper than {} levels at {path}", self.state.limits.max_depth),
                path,
            ));
        }
        Ok(StrictSeed { state: self.state, depth })
    }
}

impl<'de> Visitor<'de> for StrictSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("a number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Vec::new();
        loop {
            self.state.path.borrow_mut().push(Segment::Index(out.len()));
            let next = seq.next_element_seed(StrictSeed { state: inner.state, depth: inner.depth })?;
            self.state.path.borrow_mut().pop();
            match next {
                Some(v) => out.push(v),
                None => break,
            }
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                let mut path = self.state.path.borrow().clone();
                path.push(Segment::Key(key.clone()));
                let at = render_path(&path);
                return Err(self.state.refuse(
                    JsonErrorKind::DuplicateKey,
                    format!("the key \"{key}\" appears twice in the same object at {at}; a document must name each field once"),
                    at,
                ));
            }
            self.state.path.borrow_mut().push(Segment::Key(key.clone()));
            let value = map.next_value_seed(StrictSeed { state: inner.state, depth: inner.depth })?;
            self.state.path.borrow_mut().pop();
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strict(s: &str) -> Result<Value, JsonError> {
        parse_strict(s.as_bytes(), JsonLimits::default())
    }

    #[test]
    fn accepts_a_plain_object() -> Result<(), JsonError> {
        let v = strict(r#"{"a":1,"b":[true,null,"x",{"c":-2.5}],"d":{}}"#)?;
        assert_eq!(v["b"][3]["c"], serde_json::json!(-2.5));
        Ok(())
    }

    #[test]
    fn duplicate_keys_are_named_with_their_path() {
        let e = strict("{\"invoice\":{\"lines\":[{\"price\":1,\n\"price\":9}]}}").err();
        let e = e.as_ref();
        assert_eq!(e.map(|e| e.kind), Some(JsonErrorKind::DuplicateKey));
        assert_eq!(e.and_then(|e| e.path.clone()).as_deref(), Some("$.invoice.lines[0].price"));
        assert!(e.is_some_and(|e| e.message.contains("\"price\" appears twice") && e.line == Some(2)));
        // The same key in two different objects is fine.
        assert!(strict(r#"{"a":{"k":1},"b":{"k":2}}"#).is_ok());
    }

    #[test]
    fn nesting_too_deep_is_refused() {
        let limits = JsonLimits { max_depth: 3, ..JsonLimits::default() };
        assert!(parse_strict(br#"{"a":{"b":[1]}}"#, limits).is_ok());
        let e = parse_strict(br#"{"a":{"b":[[1]]}}"#, limits).err();
        assert_eq!(e.as_ref().map(|e| e.kind), Some(JsonErrorKind::TooDeep));
        assert_eq!(e.and_then(|e| e.path).as_deref(), Some("$.a.b[0]"));
        // Far deeper than serde_json's own limit is refused, not a stack overflow.
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(strict(&deep).err().map(|e| e.kind), Some(JsonErrorKind::TooDeep));
    }

    #[test]
    fn too_large_is_refused_before_parsing() {
        let limits = JsonLimits { max_bytes: 10, ..JsonLimits::default() };
        let e = parse_strict(br#"{"a":"0123456789"}"#, limits).err();
        assert_eq!(e.map(|e| e.kind), Some(JsonErrorKind::TooLarge));
    }

    #[test]
    fn invalid_input_is_refused_with_a_position() {
        let e = parse_strict(b"{\"a\":\"\xff\"}", JsonLimits::default()).err();
        assert_eq!(e.as_ref().map(|e| e.kind), Some(JsonErrorKind::Invalid));
        assert_eq!(e.and_then(|e| e.byte_offset), Some(6));
        let e = strict("{\"a\":1,\n  \"b\": tru}").err();
        assert!(e.as_ref().is_some_and(|e| e.line == Some(2) && e.message.contains("$.b")), "{e:?}");
        assert!(strict(r#"{"a":"\ud800"}"#).is_err(), "lone surrogate");
        assert!(strict(r#"{"a":1} {"b":2}"#).is_err(), "trailing content");
    }

    #[test]
    fn top_level_must_be_an_object() {
        for s in ["[1,2]", "\"x\"", "3", "null"] {
            assert_eq!(strict(s).err().map(|e| e.kind), Some(JsonErrorKind::NotAnObject), "{s}");
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("\\PC{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever serde_json writes (it never writes duplicate keys) parses back the same.
        #[test]
        fn round_trips_what_serde_json_writes(map in prop::collection::btree_map("\\PC{0,6}", json_value(), 0..5)) {
            let v = Value::Object(map.into_iter().collect());
            let text = serde_json::to_vec(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(parse_strict(&text, JsonLimits::default()).ok(), Some(v));
        }

        /// Repeating any key of an object is always caught.
        #[test]
        fn any_repeated_key_is_refused(key in "[a-z]{1,6}", a in any::<i64>(), b in any::<i64>(), depth in 0usize..5) {
            let inner = format!("{{\"{key}\":{a},\"other\":true,\"{key}\":{b}}}");
            let mut text = inner;
            for _ in 0..depth { text = format!("{{\"x\":[{text}]}}"); }
            let e = parse_strict(text.as_bytes(), JsonLimits::default()).err();
            prop_assert_eq!(e.map(|e| e.kind), Some(JsonErrorKind::DuplicateKey));
        }
    }
}
