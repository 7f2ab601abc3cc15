//! `tradewind bench search`: indexing throughput and query latency of [`SearchIndex`], on the
//! peers' reference workload (the leads file of `bench-peers/search/gen_leads.py` and the
//! same 300 queries as its `bench_tantivy.py`) or on a synthetic marketplace.
//!
//! Results are printed as `OURS search.<measure> key=value …` lines shaped like the peers'
//! `PEER` lines, so the two can be set side by side; with `--peer-lines` the ratios too.

pub mod corpus;
mod pyrandom;

use crate::{IndexOptions, SearchDoc, SearchIndex, SearchQuery};
use corpus::{Marketplace, hs_lines};
use pyrandom::PyRandom;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Synthetic listings (leads and products) besides the 50,000 companies.
    pub docs: usize,
    /// The peers' leads file; when given, the reference workload runs instead of the synthetic one.
    pub leads_file: Option<PathBuf>,
    /// Queries per pass (the reference workload always runs the peers' 300).
    pub queries: usize,
    /// Indexing threads.
    pub writer_threads: usize,
    /// The HS nomenclature CSV for the synthetic corpus.
    pub hs_file: PathBuf,
    /// A file of the peers' `PEER` lines (run.sh's `.peers` log) to compute ratios against.
    pub peer_lines: Option<PathBuf>,
    /// Where to build the index; a temporary folder, removed afterwards, when absent.
    pub index_dir: Option<PathBuf>,
}

/// Runs the benchmark and prints its lines to `out`.
pub fn run(options: &BenchOptions, out: &mut dyn Write) -> BenchResult<()> {
    let scratch = options
        .index_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("tradewind-bench-search-{}", std::process::id())));
    writeln!(out, "# machine: {} cores, load average {}", cores(), load_average())?;
    let ours = match &options.leads_file {
        Some(file) => reference_workload(options, file, &scratch, out),
        None => synthetic_workload(options, &scratch, out),
    };
    if options.index_dir.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let ours = ours?;
    if let Some(peers) = &options.peer_lines {
        ratios(&ours, &std::fs::read_to_string(peers)?, out)?;
    }
    Ok(())
}

/// One measurement line: name and key=value pairs.
struct Line {
    measure: String,
    fields: Vec<(String, String)>,
}

impl Line {
    fn new(measure: &str) -> Line {
        Line { measure: measure.to_owned(), fields: Vec::new() }
    }

    fn with(mut self, key: &str, value: impl ToString) -> Line {
        self.fields.push((key.to_owned(), value.to_string()));
        self
    }

    fn get(&self, key: &str) -> Option<f64> {
        self.fields.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.parse().ok())
    }

    fn print(&self, prefix: &str, out: &mut dyn Write) -> std::io::Result<()> {
        let fields: Vec<String> = self.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "{prefix} search.{} {} load1={}", self.measure, fields.join(" "), load1())
    }
}

fn index_options(options: &BenchOptions) -> IndexOptions {
    // The peers' writer heap, 256 MB; one thread unless asked.
    IndexOptions { writer_threads: options.writer_threads.max(1), writer_memory_bytes: 256_000_000 }
}

/// Builds a fresh index in `dir` from `docs`: the index and documents per second.
fn build(
    dir: &Path,
    options: IndexOptions,
    docs: impl IntoIterator<Item = SearchDoc>,
) -> BenchResult<(SearchIndex, f64)> {
    let _ = std::fs::remove_dir_all(dir);
    let index = SearchIndex::open_with(dir, options)?;
    let started = Instant::now();
    let n = index.load(docs)?;
    Ok((index, n as f64 / started.elapsed().as_secs_f64()))
}

/// HS chapters standing in for the peers' eight categories: the category filter becomes an HS
/// chapter filter and the category facet the chapter facet, with the same selectivity.
const CATEGORY_CHAPTERS: [(&str, &str); 8] = [
    ("Electronics", "85"),
    ("Agriculture", "09"),
    ("Textiles", "52"),
    ("Machinery", "84"),
    ("Chemicals", "39"),
    ("Food", "16"),
    ("Construction", "68"),
    ("Automotive", "87"),
];

fn chapter_of(category: &str) -> BenchResult<&'static str> {
    CATEGORY_CHAPTERS
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(_, ch)| *ch)
        .ok_or_else(|| format!("unknown category {category:?} in the leads file").into())
}

#[derive(serde::Deserialize)]
struct PeerLead {
    id: u64,
    title: String,
    description: String,
    category: String,
    country: String,
    kind: String,
    hs_code: String,
    quantity: u64,
    price: f64,
    incoterm: String,
    posted: i64,
}

fn peer_lead(line: &str) -> BenchResult<SearchDoc> {
    let l: PeerLead = serde_json::from_str(line)?;
    let chapter = chapter_of(&l.category)?;
    Ok(SearchDoc {
        kind: crate::DocKind::Lead,
        id: format!("lead-{}", l.id),
        organization_id: format!("org-{}", l.id % 50_000),
        title: l.title,
        body: l.description,
        country: l.country,
        hs_code: Some(format!("{chapter}{}", l.hs_code.get(2..).unwrap_or_default())),
        verified: false,
        certifications: Vec::new(),
        incoterm: Some(l.incoterm),
        lead_side: Some(if l.kind == "BUY" { crate::LeadSide::Buy } else { crate::LeadSide::Sell }),
        price_usd_micros: Some((l.price * 1e6).round() as u64),
        moq: Some(l.quantity),
        created_at: l.posted,
        expires_at: None,
    })
}

/// The peers' 300 queries, drawn with CPython's generator and seed exactly as
/// `bench_tantivy.py` draws them: words to AND, and an optional category.
fn peer_queries() -> Vec<(String, Option<&'static str>)> {
    let vocab: Vec<&str> = "laptop monitor rice coffee cotton yarn pump valve resin shrimp cement steel tyres brake battery led frozen granite polymer generator".split(' ').collect();
    let mods = ["bulk", "wholesale", "premium", "oem", "certified"];
    let cats: Vec<&str> = CATEGORY_CHAPTERS.iter().map(|(c, _)| *c).collect();
    let mut r = PyRandom::seed(1);
    (0..300)
        .map(|_| {
            let k = *r.choice(&[1, 2, 2, 3]);
            let mut q = r.sample(&vocab, k).join(" ");
            if r.random() < 0.5 {
                q = format!("{q} {}", r.choice(&mods));
            }
            let cat = if r.random() < 0.5 { Some(*r.choice(&cats)) } else { None };
            (q, cat)
        })
        .collect()
}

fn reference_workload(options: &BenchOptions, file: &Path, dir: &Path, out: &mut dyn Write) -> BenchResult<Vec<Line>> {
    let mut docs = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(file)?).lines() {
        let line = line?;
        if !line.trim().is_empty() {
            docs.push(peer_lead(&line)?);
        }
    }
    let n = docs.len();
    writeln!(out, "# reference workload: {n} leads from {}", file.display())?;
    let mut rates = Vec::new();
    let mut index = None;
    for _ in 0..3 {
        let (built, rate) = build(dir, index_options(options), docs.iter().cloned())?;
        rates.push(rate);
        index = Some(built);
    }
    let index = index.ok_or("no index built")?;
    rates.sort_by(f64::total_cmp);
    let mut lines = vec![
        Line::new("index")
            .with("docs", n)
            .with("threads", options.writer_threads.max(1))
            .with("docs_per_s", format!("{:.0}", rates[1]))
            .with("runs", rates.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(",")),
    ];
    lines[0].print("OURS", out)?;
    let queries: Vec<SearchQuery> = peer_queries()
        .into_iter()
        .map(|(text, cat)| SearchQuery {
            text,
            hs_prefix: cat.and_then(|c| chapter_of(c).ok()).map(str::to_owned),
            limit: 10,
            now: 1_800_000_000,
            ..SearchQuery::default()
        })
        .collect();
    for facets in [false, true] {
        let line = latencies(&index, &queries, facets, 3, out)?.with("docs", n);
        line.print("OURS", out)?;
        lines.push(line);
    }
    Ok(lines)
}

fn synthetic_workload(options: &BenchOptions, dir: &Path, out: &mut dyn Write) -> BenchResult<Vec<Line>> {
    let hs = hs_lines(&options.hs_file, &mut |note| {
        let _ = writeln!(out, "# {note}");
    });
    let market = Marketplace::new(hs, 11);
    let total = options.docs + corpus::COMPANIES;
    writeln!(
        out,
        "# synthetic marketplace: {} companies in 100 countries, {} leads and products (seed 11)",
        corpus::COMPANIES,
        options.docs
    )?;
    let (index, rate) = build(dir, index_options(options), market.docs(options.docs, 11))?;
    let mut lines = vec![
        Line::new("synthetic_index")
            .with("docs", total)
            .with("threads", options.writer_threads.max(1))
            .with("docs_per_s", format!("{rate:.0}")),
    ];
    lines[0].print("OURS", out)?;
    let queries = market.queries(options.queries.max(1), 12);
    for facets in [false, true] {
        let line = latencies(&index, &queries, facets, 3, out)?.with("docs", total);
        let line = Line { measure: format!("synthetic_{}", line.measure), ..line };
        line.print("OURS", out)?;
        lines.push(line);
    }
    let memory = Line::new("synthetic_memory").with("docs", total).with("peak_rss_mib", peak_rss_mib());
    memory.print("OURS", out)?;
    lines.push(memory);
    Ok(lines)
}

/// Runs every query `passes` times after a warm-up of 30: p50, p95, p99, queries per second
/// and mean hits, computed as the peers compute them; notes the three slowest queries.
fn latencies(
    index: &SearchIndex,
    queries: &[SearchQuery],
    facets: bool,
    passes: usize,
    out: &mut dyn Write,
) -> BenchResult<Line> {
    let search = |q: &SearchQuery| if facets { index.search(q) } else { index.search_without_facets(q) };
    for q in queries.iter().take(30) {
        search(q)?;
    }
    let mut ms = Vec::with_capacity(queries.len() * passes);
    let mut slowest = vec![(0.0, 0); queries.len()];
    let mut hits = 0u64;
    for _ in 0..passes {
        for (i, q) in queries.iter().enumerate() {
            let started = Instant::now();
            let total = search(q)?.total;
            let elapsed = started.elapsed().as_secs_f64() * 1e3;
            hits += total;
            ms.push(elapsed);
            slowest[i] = (f64::max(slowest[i].0, elapsed), total);
        }
    }
    let mut order: Vec<usize> = (0..queries.len()).collect();
    order.sort_by(|a, b| slowest[*b].0.total_cmp(&slowest[*a].0));
    for &i in order.iter().take(3) {
        let q = &queries[i];
        writeln!(
            out,
            "# slow query (facets={}): {:.2} ms, {} hits: {:?} {:?} kinds={:?} countries={:?} hs={:?} verified_only={}",
            u8::from(facets),
            slowest[i].0,
            slowest[i].1,
            q.text,
            q.sort,
            q.kinds,
            q.countries,
            q.hs_prefix,
            q.verified_only
        )?;
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 * p) as usize).min(ms.len() - 1)];
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    Ok(Line::new("query")
        .with("facets", u8::from(facets))
        .with("p50_ms", format!("{:.2}", ms[ms.len() / 2]))
        .with("p95_ms", format!("{:.2}", at(0.95)))
        .with("p99_ms", format!("{:.2}", at(0.99)))
        .with("qps", format!("{:.0}", 1e3 / mean))
        .with("mean_hits", format!("{:.2}", hits as f64 / ms.len() as f64)))
}

/// Ours against the peers' lines of the same run: throughput ratios (ours / theirs) and
/// latency ratios (theirs / ours), so that above 1 means tradewind is faster.
fn ratios(ours: &[Line], peer_text: &str, out: &mut dyn Write) -> BenchResult<()> {
    let peers: Vec<Line> = peer_text
        .lines()
        .filter_map(|l| l.strip_prefix("PEER search."))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let measure = parts.next().unwrap_or_default().to_owned();
            let fields = parts.filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            Line { measure, fields }
        })
        .collect();
    let find = |list: &[Line], measure: &str, facets: Option<f64>| -> Option<usize> {
        list.iter().position(|l| l.measure == measure && (facets.is_none() || l.get("facets") == facets))
    };
    let pairs = [
        ("index", "tantivy_index", None, "docs_per_s"),
        ("index", "pgfts_load_index", None, "docs_per_s"),
        ("query", "tantivy_query", Some(0.0), "p99_ms"),
        ("query", "tantivy_query", Some(1.0), "p99_ms"),
        ("query", "pgfts_query", Some(0.0), "p99_ms"),
        ("query", "pgfts_query", Some(1.0), "p99_ms"),
        ("query", "tantivy_query", Some(0.0), "p50_ms"),
        ("query", "pgfts_query", Some(1.0), "p50_ms"),
    ];
    for (our_measure, peer_measure, facets, key) in pairs {
        let (Some(o), Some(p)) = (find(ours, our_measure, facets), find(&peers, peer_measure, facets)) else {
            continue;
        };
        let (Some(ov), Some(pv)) = (ours[o].get(key), peers[p].get(key)) else { continue };
        let ratio = if key.ends_with("_ms") { pv / ov } else { ov / pv };
        writeln!(
            out,
            "RATIO search.{our_measure} vs={peer_measure} facets={} key={key} ours={ov} peer={pv} faster_by={ratio:.2}",
            facets.map_or("-".to_owned(), |f| f.to_string())
        )?;
    }
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "unknown".into(), |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn load1() -> String {
    load_average().split_whitespace().next().unwrap_or("unknown").to_owned()
}

/// Peak resident memory of this process (VmHWM), in MiB; 0 where /proc is missing.
/// Peak resident memory of this process (VmHWM), MiB.
pub fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .map_or(0, |kb: u64| kb / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_queries_are_the_peers() {
        // The first three of bench_tantivy.py's list (python3, random.seed(1), its generator).
        let q = peer_queries();
        assert_eq!(q.len(), 300);
        let first: Vec<(String, Option<&str>)> = q.into_iter().take(3).collect();
        assert_eq!(first, PEER_FIRST_QUERIES.iter().map(|(q, c)| (q.to_string(), *c)).collect::<Vec<_>>());
        assert_eq!(peer_queries()[299], ("brake".to_string(), None));
    }

    const PEER_FIRST_QUERIES: [(&str, Option<&str>); 3] = [
        ("polymer rice oem", None),
        ("tyres pump coffee oem", Some("Electronics")),
        ("resin valve coffee", Some("Electronics")),
    ];

    #[test]
    fn small_synthetic_run_prints_every_measure() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = BenchOptions {
            docs: 2_000,
            leads_file: None,
            queries: 20,
            writer_threads: 1,
            hs_file: PathBuf::from("/nonexistent/hs.csv"),
            peer_lines: None,
            index_dir: Some(dir.path().join("idx")),
        };
        let mut out = Vec::new();
        run(&options, &mut out).expect("bench");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("built-in HS subheadings"), "{text}");
        for measure in ["synthetic_index", "synthetic_query facets=0", "synthetic_query facets=1", "synthetic_memory"] {
            assert!(text.contains(&format!("OURS search.{measure}")), "{measure} missing from {text}");
        }
    }

    #[test]
    fn peer_leads_map_category_to_chapter() {
        let doc = peer_lead(r#"{"id": 3, "title": "Selling rice tea bulk", "description": "rice", "category": "Agriculture", "country": "VN", "kind": "SELL", "hs_code": "123456", "quantity": 5, "price": 1.25, "incoterm": "FOB", "posted": 1700000000}"#).expect("lead");
        assert_eq!(doc.hs_code.as_deref(), Some("093456"));
        assert_eq!(doc.price_usd_micros, Some(1_250_000));
        assert_eq!(doc.lead_side, Some(crate::LeadSide::Sell));
    }

    #[test]
    fn ratios_pair_our_lines_with_the_peers() {
        let ours = vec![Line::new("query").with("facets", 0).with("p99_ms", "0.5")];
        let mut out = Vec::new();
        ratios(
            &ours,
            "PEER search.pgfts_query docs=100000 facets=0 p50_ms=1.3 p95_ms=21.1 p99_ms=25.5 qps=238 load1=1.5\n",
            &mut out,
        )
        .expect("ratios");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("vs=pgfts_query facets=0 key=p99_ms ours=0.5 peer=25.5 faster_by=51.00"), "{text}");
    }
}
