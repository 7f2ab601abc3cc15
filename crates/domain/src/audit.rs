//! The audit trail: an append-only list of state-changing actions in which each entry
//! carries the hash of the one before, so a changed, deleted or reordered entry breaks the
//! chain where it happened.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What is recorded about one action, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339 time in UTC.
    pub at: String,
    pub actor_user_id: Option<String>,
    /// The organisation whose data the action touched; its members can read the entry.
    pub organization_id: Option<String>,
    /// Stable verb, for example `organization.registered`.
    pub action: String,
    /// What was acted on, for example `organization:7f3c…`.
    pub subject: String,
    /// JSON text of further detail. Never a password, token or session id.
    pub details: String,
}

/// An entry as stored: the record, its place in the chain and the hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(flatten)]
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

fn field(h: &mut Sha256, s: &str) {
    // Length-prefixed so that moving text between fields changes the hash.
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

/// The hash of a record chained after `prev_hash`. The sequence number is deliberately not
/// hashed: order is carried by the links, so a reorder shows up as a broken link.
pub fn entry_hash(prev_hash: &str, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    field(&mut h, prev_hash);
    field(&mut h, &r.at);
    field(&mut h, r.actor_user_id.as_deref().unwrap_or(""));
    field(&mut h, r.organization_id.as_deref().unwrap_or(""));
    field(&mut h, &r.action);
    field(&mut h, &r.subject);
    field(&mut h, &r.details);
    hex::encode(h.finalize())
}

/// Chains a record after the current head.
pub fn chain(seq: i64, prev_hash: &str, record: AuditRecord) -> AuditEntry {
    let hash = entry_hash(prev_hash, &record);
    AuditEntry { seq, record, prev_hash: prev_hash.to_string(), hash }
}

/// What is wrong with the first broken entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainFault {
    /// The entry's content no longer matches its hash.
    Altered { seq: i64 },
    /// Entries are missing before this one.
    Deleted { seq: i64, missing_from: i64, missing_to: i64 },
    /// The entry is not where the chain puts it.
    Reordered { seq: i64, belongs_after: Option<i64> },
    /// The trail ends before the head recorded by the store: entries were cut off the end.
    Truncated { last_seq: i64, head_seq: i64 },
}

impl std::fmt::Display for ChainFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainFault::Altered { seq } => {
                write!(f, "entry #{seq} was altered: its content no longer matches its hash")
            }
            ChainFault::Deleted { seq, missing_from, missing_to } if missing_from == missing_to => {
                write!(f, "entry #{missing_from} was deleted (the chain jumps to #{seq})")
            }
            ChainFault::Deleted { seq, missing_from, missing_to } => {
                write!(f, "entries #{missing_from} to #{missing_to} were deleted (the chain jumps to #{seq})")
            }
            ChainFault::Reordered { seq, belongs_after: Some(p) } => {
                write!(f, "entry #{seq} was reordered or an entry before it deleted: it was chained after #{p}")
            }
            ChainFault::Reordered { seq, belongs_after: None } => write!(
                f,
                "entry #{seq} does not link to the entry before it: entries were reordered or deleted and renumbered"
            ),
            ChainFault::Truncated { last_seq, head_seq } => {
                write!(f, "entries after #{last_seq} were deleted: the trail's head says it holds #{head_seq}")
            }
        }
    }
}

/// The verdict over a whole trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub entries_checked: u64,
    pub head_hash: String,
    pub fault: Option<ChainFault>,
}

/// Recomputes the chain over entries in stored order (by `seq`) and names the first fault.
/// `head` is the (seq, hash) the store recorded for its latest entry, to catch cut-off tails.
pub fn verify_chain(entries: &[AuditEntry], head: Option<(i64, &str)>) -> ChainReport {
    let by_hash: HashMap<&str, i64> = entries.iter().map(|e| (e.hash.as_str(), e.seq)).collect();
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    let mut checked = 0;
    let fault = 'check: {
        for e in entries {
            if entry_hash(&e.prev_hash, &e.record) != e.hash {
                break 'check Some(ChainFault::Altered { seq: e.seq });
            }
            if e.prev_hash != prev_hash {
                let belongs_after = by_hash.get(e.prev_hash.as_str()).copied();
                if e.seq > expected_seq && belongs_after.is_none() {
                    break 'check Some(ChainFault::Deleted {
                        seq: e.seq,
                        missing_from: expected_seq,
                        missing_to: e.seq - 1,
                    });
                }
                break 'check Some(ChainFault::Reordered { seq: e.seq, belongs_after });
            }
            if e.seq != expected_seq {
                // Links are intact but numbering is not: rows were renumbered.
                break 'check Some(ChainFault::Reordered { seq: e.seq, belongs_after: Some(expected_seq - 1) });
            }
            prev_hash = e.hash.clone();
            expected_seq += 1;
            checked += 1;
        }
        match head {
            Some((head_seq, head_hash)) if head_seq != expected_seq - 1 || head_hash != prev_hash => {
                Some(ChainFault::Truncated { last_seq: expected_seq - 1, head_seq })
            }
            _ => None,
        }
    };
    ChainReport { entries_checked: checked, head_hash: prev_hash, fault }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map(|e| e.hash.clone()).unwrap_or_else(|| GENESIS_HASH.into());
            out.push(chain(
                seq,
                &prev,
                AuditRecord {
                    at: format!("2026-11-26T00:00:{seq:02}Z"),
                    actor_user_id: Some("u1".into()),
                    organization_id: Some("o1".into()),
                    action: "thing.done".into(),
                    subject: format!("thing:{seq}"),
                    details: "{}".into(),
                },
            ));
        }
        out
    }

    fn head(t: &[AuditEntry]) -> Option<(i64, &str)> {
        t.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn an_intact_trail_verifies() {
        let t = trail(5);
        let r = verify_chain(&t, head(&t));
        assert_eq!(r.fault, None);
        assert_eq!(r.entries_checked, 5);
        assert_eq!(verify_chain(&[], None).fault, None);
    }

    #[test]
    fn an_altered_entry_is_named() {
        let mut t = trail(5);
        let h = head(&t).map(|(s, h)| (s, h.to_string()));
        t[2].record.details = r#"{"amount":"1000000"}"#.into();
        let r = verify_chain(&t, h.as_ref().map(|(s, h)| (*s, h.as_str())));
        assert_eq!(r.fault, Some(ChainFault::Altered { seq: 3 }));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut t = trail(5);
        let h = t[4].hash.clone();
        t.remove(1);
        let r = verify_chain(&t, Some((5, &h)));
        assert_eq!(r.fault, Some(ChainFault::Deleted { seq: 3, missing_from: 2, missing_to: 2 }));
        assert!(r.fault.map(|f| f.to_string()).unwrap_or_default().contains("#2 was deleted"));
    }

    #[test]
    fn a_reorder_is_named() {
        let mut t = trail(5);
        let h = t[4].hash.clone();
        // Swap the sequence numbers of #2 and #3, as a direct UPDATE would.
        t.swap(1, 2);
        t[1].seq = 2;
        t[2].seq = 3;
        let r = verify_chain(&t, Some((5, &h)));
        // The entry now numbered 2 was chained after the one now numbered 3.
        assert_eq!(r.fault, Some(ChainFault::Reordered { seq: 2, belongs_after: Some(3) }));
    }

    proptest::proptest! {
        /// Changing any field of any entry, or dropping any entry, is always detected.
        #[test]
        fn any_single_tampering_is_detected(n in 1i64..12, victim in 0usize..12, what in 0u8..7, text in "[a-z0-9]{1,8}") {
            let mut t = trail(n);
            let victim = victim % t.len();
            let h = t.last().map(|e| (e.seq, e.hash.clone())).unwrap_or_default();
            let e = &mut t[victim];
            match what {
                0 => e.record.at.push_str(&text),
                1 => e.record.actor_user_id = Some(text.clone()),
                2 => e.record.organization_id = None,
                3 => e.record.action.push_str(&text),
                4 => e.record.subject.push_str(&text),
                5 => e.record.details = format!("{{\"x\":\"{text}\"}}"),
                _ => { t.remove(victim); }
            }
            let r = verify_chain(&t, Some((h.0, &h.1)));
            proptest::prop_assert!(r.fault.is_some());
        }
    }

    #[test]
    fn a_cut_tail_is_named() {
        let mut t = trail(5);
        let h = t[4].hash.clone();
        t.truncate(3);
        let r = verify_chain(&t, Some((5, &h)));
        assert_eq!(r.fault, Some(ChainFault::Truncated { last_seq: 3, head_seq: 5 }));
    }
}
