//! Selective disclosure: hiding fields of a wrapped document so that it still verifies.
//!
//! The leaf hashes of each hidden field go to `privacy.obfuscatedData` and the field leaves
//! `data`. Unlike the official library, a container that hiding leaves empty is removed
//! too (recursively): v2 would otherwise hash the new empty `{}`/`[]` as an extra leaf and
//! the document would no longer verify (OpenAttestation's own `obfuscated-wrapped.json`
//! fixture is broken in exactly this way).

use super::OaError;
use super::hash::hex32;
use super::leaves::LeafWalker;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Hides the fields at `paths` (dotted, e.g. `invoice.lines.0.price`, or a whole subtree
/// such as `billTo`) and returns the new document; `doc` is left as it was.
pub fn obfuscate(doc: &Value, paths: &[&str]) -> Result<Value, OaError> {
    let Value::Object(doc_map) = doc else {
        return Err(OaError::NotAnObject("the document"));
    };
    let Some(Value::Object(data)) = doc_map.get("data") else {
        return Err(OaError::NoData);
    };
    let mut wanted: Vec<Vec<&str>> = Vec::new();
    for path in paths {
        let segs: Vec<&str> = path.split('.').collect();
        if lookup(data, &segs).is_none() {
            return Err(OaError::UnknownPath((*path).to_string()));
        }
        wanted.push(segs);
    }
    // Deepest and last first, so that list elements leave from the end; a path inside
    // another hidden path is covered by it.
    wanted.sort_by(|a, b| compare_paths(b, a));
    wanted.dedup();
    let wanted: Vec<Vec<&str>> =
        wanted.iter().filter(|p| !wanted.iter().any(|q| q.len() < p.len() && p.starts_with(q))).cloned().collect();

    let mut hidden = Vec::new();
    let mut walker = LeafWalker::new(None);
    for segs in &wanted {
        if let Some(v) = lookup(data, segs) {
            walker.subtree(&segs.join("."), v)?;
        }
    }
    hidden.append(&mut walker.hashes);

    let mut new_data = data.clone();
    for segs in &wanted {
        remove(&mut new_data, segs, segs)?;
    }

    let mut out = doc_map.clone();
    out.insert("data".into(), Value::Object(new_data));
    let privacy = out.entry("privacy").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(privacy) = privacy else {
        return Err(OaError::Malformed("the document's `privacy` block is not an object".into()));
    };
    let list = privacy.entry("obfuscatedData").or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = list else {
        return Err(OaError::Malformed("the list of hidden fields is not a list".into()));
    };
    list.extend(hidden.iter().map(|h| Value::String(hex32(h))));
    Ok(Value::Object(out))
}

fn child<'v>(v: &'v Value, seg: &str) -> Option<&'v Value> {
    match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().filter(|_| is_index(seg)).and_then(|i| a.get(i)),
        _ => None,
    }
}

/// A list position as flatten writes it: decimal digits, no sign, no leading zero.
fn is_index(seg: &str) -> bool {
    !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) && (seg == "0" || !seg.starts_with('0'))
}

fn lookup<'v>(data: &'v Map<String, Value>, segs: &[&str]) -> Option<&'v Value> {
    let (first, rest) = segs.split_first()?;
    rest.iter().try_fold(data.get(*first)?, |v, seg| child(v, seg))
}

fn compare_paths(a: &[&str], b: &[&str]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x.parse::<usize>(), y.parse::<usize>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            _ => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// Removes `segs` below `map`; true when that left `map` empty.
fn remove(map: &mut Map<String, Value>, segs: &[&str], full: &[&str]) -> Result<bool, OaError> {
    let Some((first, rest)) = segs.split_first() else { return Ok(false) };
    if rest.is_empty() {
        map.remove(*first);
    } else if let Some(next) = map.get_mut(*first)
        && remove_in(next, rest, full, full.len() - rest.len())?
    {
        map.remove(*first);
    }
    Ok(map.is_empty())
}

/// Removes `segs` below `v` (found at `full[..depth]`); true when that left `v` empty.
fn remove_in(v: &mut Value, segs: &[&str], full: &[&str], depth: usize) -> Result<bool, OaError> {
    match v {
        Value::Object(m) => remove(m, segs, full),
        Value::Array(a) => {
            let Some((first, rest)) = segs.split_first() else { return Ok(false) };
            let Some(i) = first.parse::<usize>().ok().filter(|i| *i < a.len()) else { return Ok(false) };
            let emptied = if rest.is_empty() {
                true
            } else {
                a.get_mut(i).map(|c| remove_in(c, rest, full, depth + 1)).transpose()?.unwrap_or(false)
            };
            if emptied {
                if i + 1 != a.len() {
                    return Err(OaError::MiddleOfList(full[..=depth].join(".")));
                }
                a.pop();
            }
            Ok(a.is_empty())
        }
        _ => Ok(false),
    }
}
