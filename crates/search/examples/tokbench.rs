use std::time::Instant;
use tantivy::tokenizer::*;
fn main() {
    let text = std::fs::read_to_string("/root/.cache/tradewind-peers/data/search/leads_100000.jsonl").unwrap();
    let descs: Vec<&str> = text
        .lines()
        .map(|l| {
            let i = l.find("\"description\": \"").unwrap() + 16;
            let j = l[i..].find('"').unwrap();
            &l[i..i + j]
        })
        .collect();
    let variants: Vec<(&str, TextAnalyzer)> = vec![
        (
            "simple+lower",
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .build(),
        ),
        (
            "simple+lower+fold",
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        ),
        (
            "simple+lower+fold+stem",
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .filter(Stemmer::new(Language::English))
                .build(),
        ),
        ("trade", tradewind_search::bench_analyzer()),
    ];
    for (name, mut a) in variants {
        let t = Instant::now();
        let mut n = 0usize;
        for d in &descs {
            a.token_stream(d).process(&mut |_t| n += 1);
        }
        println!("{name}: {:.0} ms, {n} tokens", t.elapsed().as_secs_f64() * 1e3);
    }
}
