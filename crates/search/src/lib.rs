//! Marketplace search: the full-text and faceted index over products, trade leads (sell offers
//! and buy requests) and companies.
//!
//! This crate owns the search index and nothing else: it depends on no other tradewind crate.
//! The store is the source of truth; callers turn their records into [`SearchDoc`]s (prices
//! already converted to USD micros) and feed them to [`SearchIndex::upsert`] and
//! [`SearchIndex::delete`] from the store's search outbox, or rebuild everything with
//! [`SearchIndex::clear`] and [`SearchIndex::load`]. [`SearchIndex::search`] answers a
//! [`SearchQuery`] with [`SearchResults`]: one page of [`Hit`]s, the total, and [`Facets`]
//! counted over every match.
//!
//! What it does with text, in short (the module docs and `docs/ARCHITECTURE.md` say more):
//! one analyzer for every language (module `analysis`: words for alphabetic
//! scripts, jieba for Chinese, character pairs for Japanese kana and Korean hangul); every
//! query word must match the title or the description; a word found in fewer than
//! [`RARE_WORD_DOCS`] documents is taken as a possible typo and also matches words one or two
//! edits away, ranked below exact matches. Methods block (tantivy is synchronous): call them
//! from `spawn_blocking` in async code.

mod analysis;
pub mod bench;
mod facets;

use analysis::{QueryWord, Script, TRADE_TEXT};
use serde::{Deserialize, Serialize};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, OwnedValue, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

pub use facets::FACET_VALUES_MAX;

/// Longest query text accepted, in characters.
pub const QUERY_TEXT_MAX_CHARS: usize = 1_000;
/// Largest page.
pub const LIMIT_MAX: usize = 1_000;
/// Deepest page start: past it, narrow the query instead.
pub const OFFSET_MAX: usize = 10_000;
/// A query word that occurs in fewer documents than this is treated as a possible typo.
pub const RARE_WORD_DOCS: u64 = 5;
/// Title matches weigh this much more than description matches.
pub const TITLE_BOOST: f32 = 2.0;
/// Added for each possibly-misspelt word that matched as typed, so that such documents rank
/// above those found only through a correction.
const EXACT_MATCH_BONUS: f32 = 1_000.0;
/// Bumped whenever the schema or the analysis changes: a new version starts an empty index in
/// a folder of its own, which the caller fills again from the store.
const SCHEMA_VERSION: u32 = 1;

/// What a search document describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Product,
    Lead,
    Company,
}

impl DocKind {
    /// The snake_case name, as stored in the index and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Product => "product",
            DocKind::Lead => "lead",
            DocKind::Company => "company",
        }
    }

    fn parse(s: &str) -> Option<DocKind> {
        [DocKind::Product, DocKind::Lead, DocKind::Company].into_iter().find(|k| k.as_str() == s)
    }
}

/// Which way a trade lead points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSide {
    /// A sell offer.
    Sell,
    /// A buy request (RFQ).
    Buy,
}

impl LeadSide {
    /// The snake_case name, as stored in the index and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LeadSide::Sell => "sell",
            LeadSide::Buy => "buy",
        }
    }
}

/// One product, trade lead or company as the index sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub kind: DocKind,
    /// Unique across kinds (UUIDs).
    pub id: String,
    pub organization_id: String,
    pub title: String,
    /// The description, in any language.
    pub body: String,
    /// ISO 3166-1 alpha-2: origin for products and sell offers, destination for buy requests,
    /// the company's country for companies.
    pub country: String,
    /// HS code of 2, 4 or 6 digits (dots and spaces ignored; national digits past 6 dropped).
    pub hs_code: Option<String>,
    /// The company's verified badge.
    pub verified: bool,
    /// For example "ISO 9001", "CE", "FDA", "Halal", or free text.
    pub certifications: Vec<String>,
    /// For example "FOB".
    pub incoterm: Option<String>,
    pub lead_side: Option<LeadSide>,
    /// Lowest unit price converted to USD by the caller, in millionths: an index field for
    /// filtering and sorting, not money arithmetic.
    pub price_usd_micros: Option<u64>,
    /// Minimum order quantity, whole units.
    pub moq: Option<u64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; a lead at or past its expiry never matches a query.
    pub expires_at: Option<i64>,
}

/// Result order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    /// Best text match first; see [`SearchIndex::search`] for the exact rule.
    #[default]
    Relevance,
    /// Cheapest first; documents without a price last.
    PriceAsc,
    /// Dearest first; documents without a price last.
    PriceDesc,
    /// Newest first.
    Recent,
}

/// A search: free text plus filters; every filter given must hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// Words to find (all of them, in the title or the description); empty lists everything
    /// that passes the filters.
    pub text: String,
    /// Empty means every kind.
    pub kinds: Vec<DocKind>,
    /// ISO 3166-1 alpha-2 codes; empty means every country.
    pub countries: Vec<String>,
    /// "09" (chapter), "0901" (heading) or "090111" (subheading).
    pub hs_prefix: Option<String>,
    pub verified_only: bool,
    pub certification: Option<String>,
    pub price_usd_micros_min: Option<u64>,
    pub price_usd_micros_max: Option<u64>,
    pub moq_max: Option<u64>,
    pub incoterm: Option<String>,
    pub lead_side: Option<LeadSide>,
    pub sort: SortBy,
    pub offset: usize,
    /// Page size, at most [`LIMIT_MAX`]; 0 returns only the total and the facets.
    pub limit: usize,
    /// Unix seconds, for lead expiry.
    pub now: i64,
}

impl Default for SearchQuery {
    fn default() -> SearchQuery {
        SearchQuery {
            text: String::new(),
            kinds: Vec::new(),
            countries: Vec::new(),
            hs_prefix: None,
            verified_only: false,
            certification: None,
            price_usd_micros_min: None,
            price_usd_micros_max: None,
            moq_max: None,
            incoterm: None,
            lead_side: None,
            sort: SortBy::Relevance,
            offset: 0,
            limit: 20,
            now: 0,
        }
    }
}

/// One result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    pub kind: DocKind,
    pub organization_id: String,
    /// Text relevance (BM25, rounded to 0.01); 0 when the query has no text.
    pub score: f32,
    pub title: String,
}

/// Counts per value over every matching document, the most frequent first (ties by value),
/// at most [`FACET_VALUES_MAX`] values per facet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub country: Vec<(String, u64)>,
    /// Two-digit HS chapters.
    pub hs_chapter: Vec<(String, u64)>,
    /// Four-digit HS headings.
    pub hs_heading: Vec<(String, u64)>,
    pub certification: Vec<(String, u64)>,
    pub incoterm: Vec<(String, u64)>,
    /// `"true"` and `"false"`.
    pub verified: Vec<(String, u64)>,
}

/// One page of results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// How many documents match in all.
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// Why the index refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is malformed; `field` names the query parameter (`q` for the text).
    #[error("{field}: {message}")]
    InvalidQuery { field: &'static str, message: String },
    /// A document cannot be indexed.
    #[error("search document {id:?}: {message}")]
    InvalidDocument { id: String, message: String },
    #[error("search index folder {}: {source}", path.display())]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl SearchError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SearchError::InvalidQuery { .. } => "invalid_search_query",
            SearchError::InvalidDocument { .. } => "invalid_search_document",
            SearchError::Folder { .. } | SearchError::Index(_) => "search_index_failure",
        }
    }

    fn query(field: &'static str, message: impl Into<String>) -> SearchError {
        SearchError::InvalidQuery { field, message: message.into() }
    }
}

/// How the index writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexOptions {
    /// Indexing threads (each a segment of its own); 1 by default.
    pub writer_threads: usize,
    /// Memory the writer fills before it flushes a segment, shared by the threads.
    pub writer_memory_bytes: usize,
}

impl Default for IndexOptions {
    fn default() -> IndexOptions {
        IndexOptions { writer_threads: 1, writer_memory_bytes: 128 * 1024 * 1024 }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    organization_id: Field,
    title: Field,
    body: Field,
    country: Field,
    hs_chapter: Field,
    hs_heading: Field,
    hs_subheading: Field,
    verified: Field,
    certification: Field,
    incoterm: Field,
    lead_side: Field,
    price: Field,
    moq: Field,
    created_at: Field,
    expires_at: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Term frequencies but no positions: there are no phrase queries, and positions would
    // roughly double the postings to write.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TRADE_TEXT).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        organization_id: b.add_text_field("organization_id", STRING | STORED),
        title: b.add_text_field("title", text.clone() | STORED),
        body: b.add_text_field("body", text),
        country: b.add_text_field("country", STRING | FAST),
        hs_chapter: b.add_text_field("hs_chapter", STRING | FAST),
        hs_heading: b.add_text_field("hs_heading", STRING | FAST),
        hs_subheading: b.add_text_field("hs_subheading", STRING),
        verified: b.add_bool_field("verified", INDEXED | FAST),
        certification: b.add_text_field("certification", STRING | FAST),
        incoterm: b.add_text_field("incoterm", STRING | FAST),
        lead_side: b.add_text_field("lead_side", STRING),
        price: b.add_u64_field("price_usd_micros", INDEXED | FAST),
        moq: b.add_u64_field("moq", INDEXED | FAST),
        created_at: b.add_i64_field("created_at", INDEXED | FAST),
        expires_at: b.add_i64_field("expires_at", INDEXED | FAST),
    };
    (b.build(), fields)
}

/// The search index. Cheap to clone; clones share one index, one writer and one reader.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    /// `None` only while [`SearchIndex::load`] waits for merges and starts a fresh writer.
    writer: Mutex<Option<IndexWriter>>,
    options: IndexOptions,
    fields: Fields,
}

impl SearchIndex {
    /// Opens the index in `dir` (in a subfolder per schema version), creating it if missing.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        SearchIndex::open_with(dir, IndexOptions::default())
    }

    /// [`SearchIndex::open`] with writer options.
    pub fn open_with(dir: &Path, options: IndexOptions) -> Result<SearchIndex, SearchError> {
        let path = dir.join(format!("schema-v{SCHEMA_VERSION}"));
        std::fs::create_dir_all(&path).map_err(|source| SearchError::Folder { path: path.clone(), source })?;
        let directory = tantivy::directory::MmapDirectory::open(&path)
            .map_err(|e| SearchError::Index(tantivy::TantivyError::from(e)))?;
        SearchIndex::build(Index::open_or_create(directory, schema().0)?, options)
    }

    /// An index held in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        SearchIndex::in_memory_with(IndexOptions::default())
    }

    /// [`SearchIndex::in_memory`] with writer options.
    pub fn in_memory_with(options: IndexOptions) -> Result<SearchIndex, SearchError> {
        SearchIndex::build(Index::create_in_ram(schema().0), options)
    }

    fn build(index: Index, options: IndexOptions) -> Result<SearchIndex, SearchError> {
        index.tokenizers().register(TRADE_TEXT, analysis::document_analyzer());
        let (_, fields) = schema();
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = SearchIndex::new_writer(&index, options)?;
        Ok(SearchIndex { inner: Arc::new(Inner { index, reader, writer: Mutex::new(Some(writer)), options, fields }) })
    }

    fn new_writer(index: &Index, options: IndexOptions) -> Result<IndexWriter, SearchError> {
        Ok(index.writer_with_num_threads(options.writer_threads.max(1), options.writer_memory_bytes)?)
    }

    /// Adds or replaces (by id) documents, then commits: they are searchable on return.
    pub fn upsert(&self, docs: &[SearchDoc]) -> Result<(), SearchError> {
        let prepared = docs.iter().map(|d| self.to_document(d)).collect::<Result<Vec<_>, _>>()?;
        self.write(|w, f| {
            for (doc, prepared) in docs.iter().zip(prepared) {
                w.delete_term(Term::from_field_text(f.id, &doc.id));
                w.add_document(prepared)?;
            }
            Ok(())
        })
    }

    /// Removes documents by id (unknown ids are ignored), then commits.
    pub fn delete(&self, ids: &[String]) -> Result<(), SearchError> {
        self.write(|w, f| {
            for id in ids {
                w.delete_term(Term::from_field_text(f.id, id));
            }
            Ok(())
        })
    }

    /// Removes every document, then commits; for a rebuild from the store.
    pub fn clear(&self) -> Result<(), SearchError> {
        self.write(|w, _| {
            w.delete_all_documents()?;
            Ok(())
        })
    }

    /// Bulk load for a rebuild after [`SearchIndex::clear`] (and for the benchmark): adds
    /// documents without looking for earlier versions of their ids, commits once, and waits
    /// for segment merges to finish. Returns how many documents were added.
    pub fn load(&self, docs: impl IntoIterator<Item = SearchDoc>) -> Result<u64, SearchError> {
        let mut guard = self.writer()?;
        let writer = guard.as_mut().ok_or_else(writer_gone)?;
        let mut n = 0;
        for doc in docs {
            writer.add_document(self.to_document(&doc)?)?;
            n += 1;
        }
        writer.commit()?;
        let writer = guard.take().ok_or_else(writer_gone)?;
        writer.wait_merging_threads()?;
        *guard = Some(SearchIndex::new_writer(&self.inner.index, self.inner.options)?);
        drop(guard);
        self.inner.reader.reload()?;
        Ok(n)
    }

    /// Documents in the index.
    pub fn doc_count(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter>>, SearchError> {
        // A panic while holding the lock leaves uncommitted operations at worst: the next
        // commit or rollback settles them, so the lock is usable again.
        Ok(self.inner.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    fn write(&self, ops: impl FnOnce(&mut IndexWriter, &Fields) -> Result<(), SearchError>) -> Result<(), SearchError> {
        let mut guard = self.writer()?;
        let writer = guard.as_mut().ok_or_else(writer_gone)?;
        if let Err(e) = ops(writer, &self.inner.fields) {
            writer.rollback()?;
            return Err(e);
        }
        writer.commit()?;
        drop(guard);
        self.inner.reader.reload()?;
        Ok(())
    }

    fn to_document(&self, doc: &SearchDoc) -> Result<TantivyDocument, SearchError> {
        let f = &self.inner.fields;
        if doc.id.trim().is_empty() {
            return Err(SearchError::InvalidDocument { id: doc.id.clone(), message: "empty id".into() });
        }
        let mut d = TantivyDocument::default();
        d.add_text(f.id, &doc.id);
        d.add_text(f.kind, doc.kind.as_str());
        d.add_text(f.organization_id, &doc.organization_id);
        d.add_text(f.title, &doc.title);
        d.add_text(f.body, &doc.body);
        d.add_text(f.country, normalize_code(&doc.country));
        if let Some(hs) = doc.hs_code.as_deref().and_then(hs_digits) {
            for (field, len) in [(f.hs_chapter, 2), (f.hs_heading, 4), (f.hs_subheading, 6)] {
                if hs.len() >= len {
                    d.add_text(field, &hs[..len]);
                }
            }
        }
        d.add_bool(f.verified, doc.verified);
        for c in &doc.certifications {
            let c = canonical_certification(c);
            if !c.is_empty() {
                d.add_text(f.certification, c);
            }
        }
        if let Some(i) = &doc.incoterm {
            d.add_text(f.incoterm, normalize_code(i));
        }
        if let Some(side) = doc.lead_side {
            d.add_text(f.lead_side, side.as_str());
        }
        if let Some(p) = doc.price_usd_micros {
            d.add_u64(f.price, p);
        }
        if let Some(m) = doc.moq {
            d.add_u64(f.moq, m);
        }
        d.add_i64(f.created_at, doc.created_at);
        if let Some(e) = doc.expires_at {
            d.add_i64(f.expires_at, e);
        }
        Ok(d)
    }

    /// Runs a query: the page of hits, the total and the facets.
    ///
    /// Ranking for [`SortBy::Relevance`]: documents sort by their text score (BM25 over the
    /// title, weighted [`TITLE_BOOST`], and the description, summed over the query words, plus
    /// a large bonus per possibly-misspelt word matched as typed), rounded to 0.01; equal
    /// scores put verified companies first, then the newer document. The other orders sort by
    /// their key first and use that same rule to break ties.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.run(q, true)
    }

    /// [`SearchIndex::search`] without counting facets (the returned facets are empty).
    pub fn search_without_facets(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.run(q, false)
    }

    fn run(&self, q: &SearchQuery, with_facets: bool) -> Result<SearchResults, SearchError> {
        validate(q)?;
        let searcher = self.inner.reader.searcher();
        let query = self.build_query(&searcher, q)?;
        let top = (q.limit > 0).then(|| {
            TopDocs::with_limit(q.limit).and_offset(q.offset).tweak_score(rank_key(q.sort, q.text.trim().is_empty()))
        });
        let facet_collector = with_facets.then_some(facets::FacetCollector);
        let (total, top, tally) = searcher.search(&query, &(Count, top, facet_collector))?;
        let mut hits = Vec::new();
        for ((_, score, _, _), address) in top.unwrap_or_default() {
            hits.push(self.hit(&searcher, address, score)?);
        }
        let facets = tally
            .map(|t| {
                let [country, hs_chapter, hs_heading, certification, incoterm, verified] = t.map(facets::ranked);
                Facets { country, hs_chapter, hs_heading, certification, incoterm, verified }
            })
            .unwrap_or_default();
        Ok(SearchResults { total: total as u64, hits, facets })
    }

    fn hit(&self, searcher: &Searcher, address: DocAddress, score: f32) -> Result<Hit, SearchError> {
        let f = &self.inner.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| match doc.get_first(field).map(OwnedValue::from) {
            Some(OwnedValue::Str(s)) => s,
            _ => String::new(),
        };
        let kind = text(f.kind);
        let kind = DocKind::parse(&kind)
            .ok_or_else(|| SearchError::Index(tantivy::TantivyError::InternalError(format!("stored kind {kind:?}"))))?;
        Ok(Hit { id: text(f.id), kind, organization_id: text(f.organization_id), score, title: text(f.title) })
    }

    fn build_query(&self, searcher: &Searcher, q: &SearchQuery) -> Result<BooleanQuery, SearchError> {
        let f = &self.inner.fields;
        let words = analysis::query_words(&q.text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &words {
            clauses.push((Occur::Must, self.word_query(searcher, w)?));
        }
        if words.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let mut filter =
            |query: Box<dyn Query>| clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0))));
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        if !q.kinds.is_empty() {
            filter(Box::new(TermSetQuery::new(q.kinds.iter().map(|k| Term::from_field_text(f.kind, k.as_str())))));
        }
        if !q.countries.is_empty() {
            let terms = q.countries.iter().map(|c| Term::from_field_text(f.country, &normalize_code(c)));
            filter(Box::new(TermSetQuery::new(terms)));
        }
        if let Some(prefix) = &q.hs_prefix {
            let digits = hs_digits(prefix).filter(|d| d.len() % 2 == 0).ok_or_else(|| {
                SearchError::query("hs_prefix", "an HS chapter, heading or subheading: 2, 4 or 6 digits")
            })?;
            let field = match digits.len() {
                2 => f.hs_chapter,
                4 => f.hs_heading,
                _ => f.hs_subheading,
            };
            filter(term(field, &digits));
        }
        if q.verified_only {
            filter(Box::new(TermQuery::new(Term::from_field_bool(f.verified, true), IndexRecordOption::Basic)));
        }
        if let Some(c) = &q.certification {
            filter(term(f.certification, &canonical_certification(c)));
        }
        if q.price_usd_micros_min.is_some() || q.price_usd_micros_max.is_some() {
            let bound =
                |v: Option<u64>| v.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_u64(f.price, v)));
            filter(Box::new(RangeQuery::new(bound(q.price_usd_micros_min), bound(q.price_usd_micros_max))));
        }
        if let Some(m) = q.moq_max {
            filter(Box::new(RangeQuery::new(Bound::Unbounded, Bound::Included(Term::from_field_u64(f.moq, m)))));
        }
        if let Some(i) = &q.incoterm {
            filter(term(f.incoterm, &normalize_code(i)));
        }
        if let Some(side) = q.lead_side {
            filter(term(f.lead_side, side.as_str()));
        }
        let expired = RangeQuery::new(Bound::Unbounded, Bound::Included(Term::from_field_i64(f.expires_at, q.now)));
        clauses.push((Occur::MustNot, Box::new(expired)));
        Ok(BooleanQuery::new(clauses))
    }

    /// The clause one query word adds: the word in the title or the description, and for a
    /// rare word (a likely typo) also its near spellings.
    fn word_query(&self, searcher: &Searcher, w: &QueryWord) -> Result<Box<dyn Query>, SearchError> {
        let f = &self.inner.fields;
        let exact = |word: &str| -> Box<dyn Query> {
            let in_field = |field| TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, Box::new(BoostQuery::new(Box::new(in_field(f.title)), TITLE_BOOST))),
                (Occur::Should, Box::new(in_field(f.body))),
            ]))
        };
        let doc_freq = searcher.doc_freq(&Term::from_field_text(f.title, &w.term))?
            + searcher.doc_freq(&Term::from_field_text(f.body, &w.term))?;
        if doc_freq >= RARE_WORD_DOCS {
            return Ok(exact(&w.term));
        }
        let near: Box<dyn Query> = match (w.script, analysis::typo_allowance(w)) {
            (Script::Alphabetic, distance) if distance > 0 => Box::new(BooleanQuery::new(
                [f.title, f.body]
                    .into_iter()
                    .map(|field| -> (Occur, Box<dyn Query>) {
                        (
                            Occur::Should,
                            Box::new(FuzzyTermQuery::new(Term::from_field_text(field, &w.term), distance, true)),
                        )
                    })
                    .collect(),
            )),
            // A Chinese word that jieba cut differently in the documents: all its characters.
            (Script::Han, _) if w.term.chars().nth(1).is_some() => Box::new(BooleanQuery::new(
                w.term.char_indices().map(|(i, c)| (Occur::Must, exact(&w.term[i..i + c.len_utf8()]))).collect(),
            )),
            _ => return Ok(exact(&w.term)),
        };
        Ok(Box::new(BooleanQuery::new(vec![
            (Occur::Should, exact(&w.term)),
            (Occur::Should, Box::new(ConstScoreQuery::new(exact(&w.term), EXACT_MATCH_BONUS))),
            (Occur::Should, Box::new(ConstScoreQuery::new(near, 0.0))),
        ])))
    }
}

fn writer_gone() -> SearchError {
    SearchError::Index(tantivy::TantivyError::InternalError("index writer unavailable after a failed reload".into()))
}

/// The ranking key of one document: order key, relevance, verified, creation time.
type RankKey = (u64, f32, bool, i64);

fn rank_key(
    sort: SortBy,
    no_text: bool,
) -> impl Fn(&tantivy::SegmentReader) -> Box<dyn Fn(tantivy::DocId, f32) -> RankKey> + Send + Sync + 'static {
    move |segment| {
        let fast = segment.fast_fields();
        let verified = fast.column_opt::<bool>("verified").ok().flatten();
        let created = fast.column_opt::<i64>("created_at").ok().flatten();
        let price = fast.column_opt::<u64>("price_usd_micros").ok().flatten();
        Box::new(move |doc, score| {
            let created_at = created.as_ref().and_then(|c| c.first(doc)).unwrap_or(i64::MIN);
            let price = price.as_ref().and_then(|c| c.first(doc));
            let order = match sort {
                SortBy::Relevance => 0,
                // Missing prices map to 0, the lowest key, so they come last either way.
                SortBy::PriceAsc => price.map_or(0, |p| u64::MAX - p),
                SortBy::PriceDesc => price.map_or(0, |p| p.saturating_add(1)),
                // Order-preserving map of i64 onto u64.
                SortBy::Recent => (created_at as u64) ^ (1 << 63),
            };
            let relevance = if no_text { 0.0 } else { (score * 100.0).round() / 100.0 };
            let verified = verified.as_ref().and_then(|c| c.first(doc)).unwrap_or(false);
            (order, relevance, verified, created_at)
        })
    }
}

fn validate(q: &SearchQuery) -> Result<(), SearchError> {
    if q.text.chars().count() > QUERY_TEXT_MAX_CHARS {
        return Err(SearchError::query("q", format!("at most {QUERY_TEXT_MAX_CHARS} characters")));
    }
    if q.text.chars().any(char::is_control) {
        return Err(SearchError::query("q", "control characters are not allowed"));
    }
    if q.limit > LIMIT_MAX {
        return Err(SearchError::query("limit", format!("at most {LIMIT_MAX}")));
    }
    if q.offset > OFFSET_MAX {
        return Err(SearchError::query("offset", format!("at most {OFFSET_MAX}")));
    }
    Ok(())
}

/// Country and Incoterm codes: trimmed, upper case.
fn normalize_code(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// The digits of an HS code (dots, spaces and hyphens ignored), at most 6 (national tariff
/// digits dropped); `None` unless there are at least 2 digits and nothing else.
fn hs_digits(s: &str) -> Option<String> {
    let kept: String = s.chars().filter(|c| !matches!(c, '.' | ' ' | '-')).collect();
    if kept.len() < 2 || !kept.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(kept[..kept.len().min(6)].to_owned())
}

/// Well-known certification names, in their usual spelling.
const KNOWN_CERTIFICATIONS: [&str; 20] = [
    "ISO 9001",
    "ISO 14001",
    "ISO 22000",
    "ISO 45001",
    "HACCP",
    "BRC",
    "GMP",
    "CE",
    "FDA",
    "Halal",
    "Kosher",
    "Organic",
    "Fairtrade",
    "RoHS",
    "REACH",
    "UL",
    "FSC",
    "GOTS",
    "BSCI",
    "FSSC 22000",
];

/// A well-known certification in its usual spelling whatever the case, spaces or hyphens
/// ("iso-9001" is "ISO 9001"); anything else trimmed with single spaces, as written.
fn canonical_certification(s: &str) -> String {
    let key = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let k = key(s);
    if let Some(known) = KNOWN_CERTIFICATIONS.iter().find(|c| key(c) == k) {
        return (*known).to_owned();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
