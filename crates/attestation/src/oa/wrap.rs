//! Wrapping: salting every field, hashing the leaves, one Merkle tree per batch.
//!
//! The hot path writes the salted `data` straight into JSON text while hashing each leaf
//! from the very bytes it wrote (the salted string is escaped once and reused as the
//! leaf's value), so a document costs its Keccak work plus little else. Batches are split
//! over threads, each with its own CSPRNG for the salts.

use super::hash::{escape_into, hex32, js_number_into, keccak256, write_hex};
use super::leaves::digest_sorted;
use super::merkle::MerkleTree;
use super::{OA_V2_VERSION, OaError};
use crate::keys::CompanyKeys;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::{Map, Value};

/// How a batch is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WrapOptions {
    /// Worker threads for salting and hashing; 0 = one per available core.
    pub threads: usize,
}

impl WrapOptions {
    fn thread_count(&self, docs: usize) -> usize {
        let wanted =
            if self.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { self.threads };
        // A thread per at least 64 documents: below that, starting threads costs more.
        wanted.clamp(1, docs.div_ceil(64).max(1))
    }
}

/// One raw document salted: the start of its JSON text (up to and including `data`) and
/// its target hash; the signature block is appended once the batch's tree is known.
struct Salted {
    text: Vec<u8>,
    target: [u8; 32],
}

/// The signature block needs at most this much beyond its proof entries.
const SIGNATURE_BYTES: usize = 256;

/// Salts and hashes documents, reusing its buffers from one document to the next.
struct Salter {
    rng: StdRng,
    path: Vec<u8>,
    leaf: Vec<u8>,
    hashes: Vec<[u8; 32]>,
    list: Vec<u8>,
}

impl Salter {
    fn new() -> Salter {
        Salter {
            rng: StdRng::from_entropy(),
            path: Vec::with_capacity(128),
            leaf: Vec::with_capacity(256),
            hashes: Vec::with_capacity(64),
            list: Vec::with_capacity(4096),
        }
    }

    fn document(&mut self, raw: &Value, size_hint: usize) -> Result<Salted, OaError> {
        let Value::Object(map) = raw else {
            return Err(OaError::NotAnObject("the raw document"));
        };
        self.hashes.clear();
        self.path.clear();
        let mut out = Vec::with_capacity(size_hint);
        out.extend_from_slice(b"{\"version\":\"");
        out.extend_from_slice(OA_V2_VERSION.as_bytes());
        out.extend_from_slice(b"\",\"data\":");
        self.object(&mut out, map)?;
        self.hashes.sort_unstable();
        let target = digest_sorted(&self.hashes, &mut self.list);
        Ok(Salted { text: out, target })
    }

    fn object(&mut self, out: &mut Vec<u8>, map: &Map<String, Value>) -> Result<(), OaError> {
        out.push(b'{');
        for (i, (k, v)) in map.iter().enumerate() {
            if k.contains('.') {
                let mut at = String::from_utf8_lossy(&self.path).into_owned();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(k);
                return Err(OaError::KeyWithDot(at));
            }
            if i > 0 {
                out.push(b',');
            }
            let mark = self.path.len();
            if mark > 0 {
                self.path.push(b'.');
            }
            let key_at = self.path.len();
            escape_into(&mut self.path, k);
            out.push(b'"');
            out.extend_from_slice(&self.path[key_at..]);
            out.extend_from_slice(b"\":");
            self.value(out, v)?;
            self.path.truncate(mark);
        }
        out.push(b'}');
        Ok(())
    }

    fn value(&mut self, out: &mut Vec<u8>, v: &Value) -> Result<(), OaError> {
        match v {
            Value::Object(m) if !m.is_empty() => self.object(out, m)?,
            Value::Array(a) if !a.is_empty() => {
                out.push(b'[');
                for (i, child) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let mark = self.path.len();
                    if mark > 0 {
                        self.path.push(b'.');
                    }
                    self.path.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
                    self.value(out, child)?;
                    self.path.truncate(mark);
                }
                out.push(b']');
            }
            // Empty objects and arrays are leaves, but are not salted.
            Value::Object(_) => self.leaf(out, b"{}"),
            Value::Array(_) => self.leaf(out, b"[]"),
            primitive => {
                let start = out.len();
                out.push(b'"');
                let mut salt = [0u8; 16];
                self.rng.fill_bytes(&mut salt);
                write_uuid_v4(out, salt);
                match primitive {
                    Value::String(s) => {
                        out.extend_from_slice(b":string:");
                        escape_into(out, s);
                    }
                    Value::Number(n) => {
                        out.extend_from_slice(b":number:");
                        js_number_into(out, n);
                    }
                    Value::Bool(b) => out.extend_from_slice(if *b { b":boolean:true" } else { b":boolean:false" }),
                    _ => out.extend_from_slice(b":null:null"),
                }
                out.push(b'"');
                // The salted string just written is the leaf's value, byte for byte.
                self.hash_leaf(&out[start..]);
            }
        }
        Ok(())
    }

    fn leaf(&mut self, out: &mut Vec<u8>, literal: &[u8]) {
        out.extend_from_slice(literal);
        self.hash_leaf(literal);
    }

    fn hash_leaf(&mut self, value_json: &[u8]) {
        self.leaf.clear();
        self.leaf.extend_from_slice(b"{\"");
        self.leaf.extend_from_slice(&self.path);
        self.leaf.extend_from_slice(b"\":");
        self.leaf.extend_from_slice(value_json);
        self.leaf.push(b'}');
        self.hashes.push(keccak256(&self.leaf));
    }
}

/// A random (version 4) UUID in lower case, as the `uuid` package writes it.
fn write_uuid_v4(out: &mut Vec<u8>, mut b: [u8; 16]) {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        write_hex(out, std::slice::from_ref(x));
    }
}

/// Runs `work` over `items` in `threads` contiguous chunks, results in input order.
fn in_chunks<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(usize, &[T]) -> Result<Vec<R>, OaError> + Sync,
) -> Result<Vec<R>, OaError> {
    if threads <= 1 {
        return work(0, items);
    }
    let chunk = items.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<R>, OaError>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                s.spawn({
                    let work = &work;
                    move || work(n * chunk, part)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(Err(OaError::WorkerFailed))).collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// One wrapped batch as JSON text (the form documents are stored and sent in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedBatch {
    /// The batch's merkle root (lower-case hex), what the issuer signs.
    pub merkle_root: String,
    /// The wrapped documents, in input order.
    pub documents: Vec<String>,
}

impl WrappedBatch {
    /// Adds one DID signature of the merkle root to every document (one signing for the
    /// whole batch), as [`super::sign_did_at`] does for one document.
    pub fn sign_did(&mut self, keys: &CompanyKeys, verification_method: &str, created: &str) -> Result<(), OaError> {
        let Some(root) = self.documents.first().map(|_| &self.merkle_root) else { return Ok(()) };
        let entry = super::did::proof_entry_for_root(root, keys, verification_method, created)?;
        let insert = format!(",\"proof\":[{entry}]}}");
        for doc in &mut self.documents {
            // Each text ends with the signature block's closing braces and has no proof yet.
            if doc.ends_with('}') {
                doc.pop();
                doc.push_str(&insert);
            }
        }
        Ok(())
    }
}

/// Wraps one batch into OpenAttestation v2 documents as JSON text, in input order, under
/// one Merkle root.
pub fn wrap_documents_json(raw: &[Value], options: WrapOptions) -> Result<WrappedBatch, OaError> {
    if raw.is_empty() {
        return Ok(WrappedBatch { merkle_root: String::new(), documents: Vec::new() });
    }
    let threads = options.thread_count(raw.len());
    let extra = signature_room(raw.len());
    let salted = in_chunks(raw, threads, |first, part| {
        let mut salter = Salter::new();
        let mut hint = 2048;
        part.iter()
            .enumerate()
            .map(|(i, doc)| {
                let s = salter.document(doc, hint).map_err(|e| e.in_batch(first + i))?;
                hint = s.text.len() + extra;
                Ok(s)
            })
            .collect()
    })?;
    finish_batch(salted, threads)
}

/// Room for the signature block, so that appending it never moves a document's text: the
/// fixed part and one proof entry per level of the tree.
fn signature_room(docs: usize) -> usize {
    let levels = usize::BITS - docs.saturating_sub(1).leading_zeros();
    SIGNATURE_BYTES + 67 * levels as usize
}

/// Wraps one batch whose documents come from `docs` (built or read as they are needed, so
/// that only the wrapped texts are held): for batches too large to hold twice in memory.
/// `expected` is the number of documents, for sizing (a guess is fine).
pub fn wrap_documents_from<I>(docs: I, expected: usize, options: WrapOptions) -> Result<WrappedBatch, OaError>
where
    I: Iterator<Item = Value> + Send,
{
    const TAKE: usize = 64;
    let threads = options.thread_count(expected.max(1));
    let extra = signature_room(expected);
    let source = std::sync::Mutex::new((docs, 0usize));
    let work = || -> Result<Vec<(usize, Salted)>, OaError> {
        let mut salter = Salter::new();
        let mut hint = 2048;
        let mut out = Vec::new();
        loop {
            let (first, taken): (usize, Vec<Value>) = {
                let mut guard = source.lock().map_err(|_| OaError::WorkerFailed)?;
                let (iter, next) = &mut *guard;
                let taken: Vec<Value> = iter.by_ref().take(TAKE).collect();
                let first = *next;
                *next += taken.len();
                (first, taken)
            };
            if taken.is_empty() {
                return Ok(out);
            }
            for (i, doc) in taken.iter().enumerate() {
                let s = salter.document(doc, hint).map_err(|e| e.in_batch(first + i))?;
                hint = s.text.len() + extra;
                out.push((first + i, s));
            }
        }
    };
    let mut parts: Vec<(usize, Salted)> = if threads <= 1 {
        work()?
    } else {
        let results: Vec<Result<Vec<(usize, Salted)>, OaError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles.into_iter().map(|h| h.join().unwrap_or(Err(OaError::WorkerFailed))).collect()
        });
        let mut all = Vec::with_capacity(expected);
        for r in results {
            all.extend(r?);
        }
        all
    };
    parts.sort_unstable_by_key(|(i, _)| *i);
    finish_batch(parts.into_iter().map(|(_, s)| s).collect(), threads)
}

/// The batch's tree, then each document's signature block.
fn finish_batch(mut salted: Vec<Salted>, threads: usize) -> Result<WrappedBatch, OaError> {
    if salted.is_empty() {
        return Ok(WrappedBatch { merkle_root: String::new(), documents: Vec::new() });
    }
    let tree = MerkleTree::new(salted.iter().map(|s| s.target).collect());
    let root = hex32(&tree.root());
    let finish = |part: &mut [Salted]| {
        for s in part {
            let text = &mut s.text;
            text.extend_from_slice(b",\"signature\":{\"type\":\"SHA3MerkleProof\",\"targetHash\":\"");
            write_hex(text, &s.target);
            text.extend_from_slice(b"\",\"proof\":[");
            for (i, p) in tree.proof(&s.target).iter().enumerate() {
                if i > 0 {
                    text.push(b',');
                }
                text.push(b'"');
                write_hex(text, p);
                text.push(b'"');
            }
            text.extend_from_slice(b"],\"merkleRoot\":\"");
            text.extend_from_slice(root.as_bytes());
            text.extend_from_slice(b"\"}}");
        }
    };
    if threads <= 1 || salted.len() < 64 {
        finish(&mut salted);
    } else {
        let chunk = salted.len().div_ceil(threads.max(1));
        std::thread::scope(|s| {
            for part in salted.chunks_mut(chunk) {
                s.spawn(|| finish(part));
            }
        });
    }
    let documents = salted
        .into_iter()
        .map(|s| String::from_utf8(s.text).map_err(|e| OaError::Internal(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(WrappedBatch { merkle_root: root, documents })
}

/// Wraps one batch (one Merkle root) using every core.
pub fn wrap_documents(raw: &[Value]) -> Result<Vec<Value>, OaError> {
    wrap_documents_with(raw, WrapOptions::default())
}

/// Wraps one batch with the given options.
pub fn wrap_documents_with(raw: &[Value], options: WrapOptions) -> Result<Vec<Value>, OaError> {
    let batch = wrap_documents_json(raw, options)?;
    batch.documents.iter().map(|t| serde_json::from_str(t).map_err(|e| OaError::Internal(e.to_string()))).collect()
}
