use std::time::Instant;
use tradewind_search::*;
fn main() {
    let idx = SearchIndex::open(std::path::Path::new("/tmp/tw-1m")).unwrap();
    println!("docs {}", idx.doc_count());
    for (name, q) in [
        ("pieces rel", SearchQuery { text: "pieces".into(), now: 1_790_000_000, limit: 20, ..Default::default() }),
        ("pieces rel l0", SearchQuery { text: "pieces".into(), now: 1_790_000_000, limit: 0, ..Default::default() }),
        ("pieces price", SearchQuery { text: "pieces".into(), now: 1_790_000_000, limit: 20, sort: SortBy::PriceAsc, ..Default::default() }),
    ] {
        for facets in [false, true] {
            let mut best = f64::MAX; let mut total = 0;
            for _ in 0..7 {
                let t = Instant::now();
                let r = if facets { idx.search(&q).unwrap() } else { idx.search_without_facets(&q).unwrap() };
                best = best.min(t.elapsed().as_secs_f64() * 1e3); total = r.total;
            }
            println!("{name} facets={facets}: best {best:.2} ms, {total} hits");
        }
    }
}
