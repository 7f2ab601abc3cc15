//! Facet counts over every matching document (not only the page shown), read from fast fields.
//!
//! Each segment buffers matching documents and counts their term ordinals a block at a time
//! (document ids to column rows to ordinals, in bulk) into plain vectors; ordinals become
//! labels only once per segment, at harvest, and only for those that were seen.

use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// How many values each facet reports at most, the most frequent first.
pub const FACET_VALUES_MAX: usize = 100;

/// The text facets, in the order of [`crate::Facets`]' text fields.
pub(crate) const TEXT_FACETS: [&str; 5] = ["country", "hs_chapter", "hs_heading", "certification", "incoterm"];

/// Counts per value of each facet field: the text facets, then `verified`.
pub(crate) type FacetTally = [HashMap<String, u64>; 6];

pub(crate) struct FacetCollector;

/// Documents counted per block.
const BLOCK: usize = 1_024;

pub(crate) struct SegmentFacets {
    columns: Vec<Option<(StrColumn, Vec<u64>)>>,
    verified: Option<Column<bool>>,
    verified_counts: [u64; 2],
    pending: Vec<DocId>,
    docs_out: Vec<DocId>,
    rows: Vec<u32>,
    ords: Vec<u64>,
    flags: Vec<bool>,
}

impl SegmentFacets {
    fn flush(&mut self) {
        for (column, counts) in self.columns.iter_mut().flatten() {
            let ords = column.ords();
            self.docs_out.clear();
            self.rows.clear();
            ords.row_ids_for_docs(&self.pending, &mut self.docs_out, &mut self.rows);
            self.ords.resize(self.rows.len(), 0);
            ords.values.get_vals(&self.rows, &mut self.ords);
            for &ord in &self.ords {
                if let Some(n) = counts.get_mut(ord as usize) {
                    *n += 1;
                }
            }
        }
        if let Some(verified) = &self.verified {
            self.docs_out.clear();
            self.rows.clear();
            verified.row_ids_for_docs(&self.pending, &mut self.docs_out, &mut self.rows);
            self.flags.resize(self.rows.len(), false);
            verified.values.get_vals(&self.rows, &mut self.flags);
            let yes = self.flags.iter().filter(|v| **v).count();
            self.verified_counts[1] += yes as u64;
            self.verified_counts[0] += (self.pending.len() - yes) as u64;
        }
        self.pending.clear();
    }
}

impl Collector for FacetCollector {
    type Fruit = FacetTally;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let fast = segment.fast_fields();
        let mut columns = Vec::with_capacity(TEXT_FACETS.len());
        for name in TEXT_FACETS {
            columns.push(fast.str(name)?.map(|c| {
                let n = c.num_terms();
                (c, vec![0; n])
            }));
        }
        let verified = fast.column_opt::<bool>("verified")?;
        Ok(SegmentFacets {
            columns,
            verified,
            verified_counts: [0; 2],
            pending: Vec::with_capacity(BLOCK),
            docs_out: Vec::new(),
            rows: Vec::new(),
            ords: Vec::new(),
            flags: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<FacetTally>) -> tantivy::Result<FacetTally> {
        let mut total = FacetTally::default();
        for segment in segments {
            for (into, from) in total.iter_mut().zip(segment) {
                for (label, n) in from {
                    *into.entry(label).or_default() += n;
                }
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = FacetTally;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.pending.push(doc);
        if self.pending.len() == BLOCK {
            self.flush();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.collect(doc, 0.0);
        }
    }

    fn harvest(mut self) -> FacetTally {
        self.flush();
        let mut tally = FacetTally::default();
        for (slot, column) in tally.iter_mut().zip(self.columns) {
            let Some((column, counts)) = column else { continue };
            // One sequential pass over the sorted ordinals seen: far cheaper than a dictionary
            // lookup per ordinal, which decodes a block each time.
            let seen: Vec<u64> = (0..counts.len() as u64).filter(|ord| counts[*ord as usize] > 0).collect();
            let mut at = seen.iter();
            let _ = column.dictionary().sorted_ords_to_term_cb(&seen, |term| {
                if let Some(&ord) = at.next() {
                    slot.insert(String::from_utf8_lossy(term).into_owned(), counts[ord as usize]);
                }
            });
        }
        for (value, n) in [("false", self.verified_counts[0]), ("true", self.verified_counts[1])] {
            if n > 0 {
                tally[5].insert(value.to_owned(), n);
            }
        }
        tally
    }
}

/// The most frequent values first (ties by label), at most [`FACET_VALUES_MAX`].
pub(crate) fn ranked(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(FACET_VALUES_MAX);
    v
}
