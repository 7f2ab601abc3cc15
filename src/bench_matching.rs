//! `tradewind bench matching`: how long ranking suppliers for a new RFQ takes against a large
//! synthetic catalogue, with the same algorithm the API runs (closest HS codes first, at most
//! `MATCH_CANDIDATES` listings, scored and ranked by the domain's matching rules). Candidates
//! come from the search index here; the API reads them from the database, whose cost the
//! store's own benchmarks measure.

use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use tradewind_domain::Incoterm;
use tradewind_domain::marketplace::matching::{self, RfqProfile, SupplierOffer, Weights};
use tradewind_search::bench::corpus::{Marketplace, hs_lines};
use tradewind_search::{DocKind, IndexOptions, SearchDoc, SearchIndex, SearchQuery};
use tradewind_server::api::marketplace::MATCH_CANDIDATES;

fn offer_of(doc: &SearchDoc) -> Option<SupplierOffer> {
    let hs = doc.hs_code.as_deref()?.parse().ok()?;
    let moq = Decimal::from(doc.moq.unwrap_or(1));
    Some(SupplierOffer {
        hs_code: hs,
        text: format!("{} {}", doc.title, doc.body),
        moq,
        capacity: moq * Decimal::from(40),
        unit_price: doc.price_usd_micros.map(|m| Decimal::new(m as i64, 6)),
        incoterms: vec![Incoterm::Fob],
        exports_to_destination: doc.country.as_bytes().first().is_some_and(|b| b % 2 == 0),
        verified: doc.verified,
        response_rate: Some(0.5),
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn run(docs: usize, rfqs: usize, hs_file: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let hs = hs_lines(hs_file, &mut |note| {
        let _ = writeln!(out, "# {note}");
    });
    let market = Marketplace::new(hs, 11);
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open_with(dir.path(), IndexOptions { writer_threads: 2, ..IndexOptions::default() })?;
    let mut offers: HashMap<String, SupplierOffer> = HashMap::new();
    let mut samples: Vec<SearchDoc> = Vec::new();
    // About a quarter of the synthetic documents are products; sample RFQs across them.
    let every = (docs / (rfqs.max(1) * 4)).max(1);
    let started = Instant::now();
    let mut seen = 0usize;
    let all = market.docs(docs, 11).inspect(|d| {
        if d.kind == DocKind::Product
            && let Some(o) = offer_of(d)
        {
            offers.insert(d.id.clone(), o);
            seen += 1;
            if seen.is_multiple_of(every) && samples.len() < rfqs {
                samples.push(d.clone());
            }
        }
    });
    let n = index.load(all)?;
    writeln!(out, "# indexed {n} documents ({} products) in {:.1} s", offers.len(), started.elapsed().as_secs_f64())?;
    let weights = Weights::default();
    let mut times = Vec::with_capacity(samples.len());
    let mut scored_total = 0usize;
    for (i, s) in samples.iter().enumerate() {
        let Some(code) = s.hs_code.clone() else { continue };
        let rfq = RfqProfile {
            hs_code: code.parse().ok(),
            text: s.title.clone(),
            quantity: Decimal::from(s.moq.unwrap_or(1) * 5),
            target_unit_price: s.price_usd_micros.map(|m| Decimal::new(m as i64, 6) * Decimal::new(11, 1)),
            incoterm: Some(Incoterm::Fob),
            destination: "DE".parse()?,
        };
        let t = Instant::now();
        let mut candidates: Vec<(String, SupplierOffer)> = Vec::new();
        let mut taken = std::collections::HashSet::new();
        for len in [6usize, 4, 2] {
            if candidates.len() >= MATCH_CANDIDATES || len > code.len() {
                continue;
            }
            let q = SearchQuery {
                kinds: vec![DocKind::Product],
                hs_prefix: Some(code[..len].to_string()),
                limit: MATCH_CANDIDATES,
                now: 0,
                ..SearchQuery::default()
            };
            for hit in index.search_without_facets(&q)?.hits {
                if candidates.len() < MATCH_CANDIDATES
                    && taken.insert(hit.id.clone())
                    && let Some(o) = offers.get(&hit.id)
                {
                    candidates.push((hit.id, o.clone()));
                }
            }
        }
        scored_total += candidates.len();
        let ranked = matching::rank(&rfq, candidates, &weights);
        std::hint::black_box(ranked.first().map(|r| r.1.score));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if i == 0 {
            writeln!(out, "# first RFQ {code}: {} candidates scored", ranked.len())?;
        }
    }
    times.sort_by(f64::total_cmp);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    writeln!(
        out,
        "OURS matching docs={n} rfqs={} candidates_mean={:.0} p50_ms={:.2} p95_ms={:.2} p99_ms={:.2} peak_rss_mib={} load1={}",
        times.len(),
        scored_total as f64 / times.len().max(1) as f64,
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        tradewind_search::bench::peak_rss_mib(),
        load.split_whitespace().next().unwrap_or("?"),
    )?;
    Ok(())
}
