//! Behaviour of the index: text in several languages, typos, filters, facets, ranking,
//! expiry and the write operations.

use super::*;
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;

fn doc(id: &str, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        kind: DocKind::Product,
        id: id.into(),
        organization_id: format!("org-{id}"),
        title: title.into(),
        body: body.into(),
        country: "SG".into(),
        hs_code: None,
        verified: false,
        certifications: Vec::new(),
        incoterm: None,
        lead_side: None,
        price_usd_micros: None,
        moq: None,
        created_at: NOW - 1_000,
        expires_at: None,
    }
}

fn query(text: &str) -> SearchQuery {
    SearchQuery { text: text.into(), now: NOW, ..SearchQuery::default() }
}

fn index(docs: &[SearchDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory().expect("in-memory index");
    index.upsert(docs).expect("upsert");
    index
}

fn ids(index: &SearchIndex, q: &SearchQuery) -> Vec<String> {
    index.search(q).expect("search").hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn english_words_match_title_or_description_all_required() {
    let idx = index(&[
        doc("a", "Arabica coffee beans", "Washed, grade 1, from Sidamo"),
        doc("b", "Robusta coffee", "Natural process"),
        doc("c", "Green tea", "Sencha leaves, grade 1"),
    ]);
    assert_eq!(ids(&idx, &query("coffee")).len(), 2);
    assert_eq!(ids(&idx, &query("COFFEE grade")), vec!["a"]);
    assert_eq!(ids(&idx, &query("tea sidamo")), Vec::<String>::new());
    // Stemming: a plural finds the singular.
    assert_eq!(ids(&idx, &query("leaf")), vec!["c"]);
}

#[test]
fn title_matches_rank_above_description_matches() {
    let idx = index(&[doc("body", "Spices", "we also sell pepper"), doc("title", "Black pepper", "from Kerala")]);
    assert_eq!(ids(&idx, &query("pepper")), vec!["title", "body"]);
}

#[test]
fn chinese_query_finds_chinese_description() {
    let idx = index(&[
        doc("zh", "Yunnan coffee", "云南小粒咖啡豆，大量出口，质量保证"),
        doc("zh2", "Green tea", "浙江龙井绿茶，春季新茶"),
        doc("en", "Coffee beans", "Arabica from Brazil"),
    ]);
    assert_eq!(ids(&idx, &query("咖啡豆")), vec!["zh"]);
    assert_eq!(ids(&idx, &query("咖啡 出口")), vec!["zh"]);
    assert_eq!(ids(&idx, &query("绿茶")), vec!["zh2"]);
    // A single character finds the words that contain it.
    assert_eq!(ids(&idx, &query("茶")), vec!["zh2"]);
}

#[test]
fn japanese_and_korean_text_is_findable() {
    let idx = index(&[
        doc("ja", "Coffee", "ブラジル産のコーヒー豆を輸出します"),
        doc("ko", "Coffee", "브라질 커피를 수출합니다"),
    ]);
    assert_eq!(ids(&idx, &query("コーヒー")), vec!["ja"]);
    assert_eq!(ids(&idx, &query("커피")), vec!["ko"]);
}

#[test]
fn misspelt_word_still_finds_the_document_below_exact_matches() {
    let idx = index(&[
        doc("right", "Arabica coffee", "Washed beans"),
        doc("typo", "Arabica cofee", "Washed beans"),
        doc("other", "Black tea", "Assam"),
    ]);
    // "cofee" occurs once, so it may be a typo: the exact match first, the correction after.
    assert_eq!(ids(&idx, &query("cofee")), vec!["typo", "right"]);
    // An unknown word of 4-7 letters is corrected by one edit.
    assert_eq!(ids(&idx, &query("arabika")), vec!["right", "typo"]);
    // Two edits for a long word.
    let long = index(&[doc("g", "Diesel generator", "50 kVA")]);
    assert_eq!(ids(&long, &query("genrator")), vec!["g"]);
    assert_eq!(ids(&long, &query("generatro")), vec!["g"]);
    // Short words are never corrected, and neither are numbers.
    assert!(ids(&idx, &query("tee")).is_empty());
    let numbers = index(&[doc("iso", "Valves", "ISO 9001")]);
    assert!(ids(&numbers, &query("9002")).is_empty());
}

#[test]
fn common_words_are_not_corrected() {
    // "rice" is one edit from "price", but it is known: only rice is found.
    let docs: Vec<SearchDoc> = (0..6)
        .map(|i| doc(&format!("p{i}"), "Cashew nuts", "competitive price"))
        .chain([doc("r", "Rice", "jasmine")])
        .collect();
    let idx = index(&docs);
    let rice: Vec<SearchDoc> = (0..5).map(|i| doc(&format!("r{i}"), "Rice", "jasmine")).collect();
    idx.upsert(&rice).expect("upsert");
    assert_eq!(idx.search(&query("rice")).expect("search").total, 6);
}

#[test]
fn facets_count_every_match_not_just_the_page() {
    let mut docs = Vec::new();
    for i in 0..30 {
        let mut d = doc(&format!("d{i}"), "Frozen shrimp", "vannamei");
        d.country = ["VN", "TH", "EC"][i % 3].into();
        d.hs_code = Some(if i % 2 == 0 { "030617" } else { "0306.16" }.into());
        d.verified = i < 10;
        d.certifications = if i % 5 == 0 { vec!["haccp".into(), "BRC".into()] } else { vec!["HACCP".into()] };
        d.incoterm = Some(if i % 3 == 0 { "fob" } else { "CFR" }.into());
        docs.push(d);
    }
    docs.push(doc("x", "Frozen tuna", "loins"));
    let idx = index(&docs);
    let r = idx.search(&SearchQuery { limit: 5, ..query("shrimp") }).expect("search");
    assert_eq!(r.total, 30);
    assert_eq!(r.hits.len(), 5);
    let f = r.facets;
    assert_eq!(f.country, vec![("EC".into(), 10), ("TH".into(), 10), ("VN".into(), 10)]);
    assert_eq!(f.hs_chapter, vec![("03".into(), 30)]);
    assert_eq!(f.hs_heading, vec![("0306".into(), 30)]);
    assert_eq!(f.certification, vec![("HACCP".into(), 30), ("BRC".into(), 6)]);
    assert_eq!(f.incoterm, vec![("CFR".into(), 20), ("FOB".into(), 10)]);
    assert_eq!(f.verified, vec![("false".into(), 20), ("true".into(), 10)]);
    // Facets follow the filters.
    let vn = idx.search(&SearchQuery { countries: vec!["vn".into()], ..query("shrimp") }).expect("search");
    assert_eq!(vn.total, 10);
    assert_eq!(vn.facets.country, vec![("VN".into(), 10)]);
    // Without facets: same total, no counts.
    let bare = idx.search_without_facets(&query("shrimp")).expect("search");
    assert_eq!((bare.total, bare.facets), (30, Facets::default()));
}

fn catalogue() -> Vec<SearchDoc> {
    let mut a = doc("a", "Coffee beans", "arabica");
    a.country = "BR".into();
    a.hs_code = Some("090111".into());
    a.verified = true;
    a.certifications = vec!["Organic".into()];
    a.incoterm = Some("FOB".into());
    a.price_usd_micros = Some(4_500_000);
    a.moq = Some(1_000);
    a.created_at = NOW - 300;
    let mut b = doc("b", "Coffee roasted", "robusta");
    b.country = "VN".into();
    b.hs_code = Some("090121".into());
    b.incoterm = Some("CIF".into());
    b.price_usd_micros = Some(2_000_000);
    b.moq = Some(20_000);
    b.created_at = NOW - 100;
    let mut c = doc("c", "Coffee wanted", "any origin");
    c.kind = DocKind::Lead;
    c.lead_side = Some(LeadSide::Buy);
    c.country = "DE".into();
    c.hs_code = Some("0901".into());
    c.created_at = NOW - 200;
    c.expires_at = Some(NOW + 86_400);
    let mut d = doc("d", "Coffee supplier", "Vietnamese exporter of coffee");
    d.kind = DocKind::Company;
    d.country = "VN".into();
    d.verified = true;
    d.certifications = vec!["ISO 9001".into()];
    d.created_at = NOW - 400;
    let mut e = doc("e", "Tea", "black tea");
    e.hs_code = Some("0902".into());
    e.price_usd_micros = Some(9_000_000);
    vec![a, b, c, d, e]
}

#[test]
fn filters_combine() {
    let idx = index(&catalogue());
    let q = |f: &dyn Fn(&mut SearchQuery)| {
        let mut q = query("coffee");
        f(&mut q);
        let mut v = ids(&idx, &q);
        v.sort();
        v
    };
    assert_eq!(q(&|_| {}), vec!["a", "b", "c", "d"]);
    assert_eq!(q(&|q| q.kinds = vec![DocKind::Product]), vec!["a", "b"]);
    assert_eq!(q(&|q| q.kinds = vec![DocKind::Lead, DocKind::Company]), vec!["c", "d"]);
    assert_eq!(q(&|q| q.countries = vec!["VN".into(), "de".into()]), vec!["b", "c", "d"]);
    assert_eq!(q(&|q| q.hs_prefix = Some("09".into())), vec!["a", "b", "c"]);
    assert_eq!(q(&|q| q.hs_prefix = Some("0901".into())), vec!["a", "b", "c"]);
    assert_eq!(q(&|q| q.hs_prefix = Some("0901.11".into())), vec!["a"]);
    assert_eq!(q(&|q| q.verified_only = true), vec!["a", "d"]);
    assert_eq!(q(&|q| q.certification = Some("iso9001".into())), vec!["d"]);
    assert_eq!(q(&|q| q.price_usd_micros_max = Some(3_000_000)), vec!["b"]);
    assert_eq!(q(&|q| q.price_usd_micros_min = Some(3_000_000)), vec!["a"]);
    assert_eq!(q(&|q| q.moq_max = Some(5_000)), vec!["a"]);
    assert_eq!(q(&|q| q.incoterm = Some("fob".into())), vec!["a"]);
    assert_eq!(q(&|q| q.lead_side = Some(LeadSide::Buy)), vec!["c"]);
    assert_eq!(
        q(&|q| {
            q.countries = vec!["VN".into(), "BR".into()];
            q.verified_only = true;
            q.kinds = vec![DocKind::Product];
        }),
        vec!["a"]
    );
    // No text: the filters alone.
    let mut all = SearchQuery { verified_only: true, ..query("") };
    assert_eq!(idx.search(&all).expect("search").total, 2);
    all.text = "  ".into();
    assert_eq!(idx.search(&all).expect("search").total, 2);
}

#[test]
fn sort_orders() {
    let idx = index(&catalogue());
    let sorted = |sort| ids(&idx, &SearchQuery { sort, ..query("") });
    assert_eq!(sorted(SortBy::PriceAsc)[..3], ["b", "a", "e"]);
    assert_eq!(sorted(SortBy::PriceDesc)[..3], ["e", "a", "b"]);
    // Documents without a price come last either way.
    let mut tail = sorted(SortBy::PriceAsc)[3..].to_vec();
    tail.sort();
    assert_eq!(tail, ["c", "d"]);
    assert_eq!(sorted(SortBy::Recent), ["b", "c", "a", "d", "e"]);
}

#[test]
fn verified_companies_win_ties() {
    let mut docs = Vec::new();
    for (i, verified) in [false, true, false, true].into_iter().enumerate() {
        let mut d = doc(&format!("d{i}"), "Cotton yarn", "30s combed");
        d.verified = verified;
        d.created_at = NOW - i as i64;
        docs.push(d);
    }
    let idx = index(&docs);
    // Equal text scores: verified first, then newer first.
    assert_eq!(ids(&idx, &query("cotton yarn")), vec!["d1", "d3", "d0", "d2"]);
    let r = idx.search(&query("cotton")).expect("search");
    assert!(r.hits.windows(2).all(|w| w[0].score == w[1].score));
}

#[test]
fn pages_follow_the_ranking() {
    let docs: Vec<SearchDoc> = (0..25)
        .map(|i| {
            let mut d = doc(&format!("d{i:02}"), "Steel rebar", "B500");
            d.created_at = NOW - i;
            d
        })
        .collect();
    let idx = index(&docs);
    let all = ids(&idx, &SearchQuery { limit: 25, ..query("rebar") });
    let page2 = ids(&idx, &SearchQuery { offset: 10, limit: 10, ..query("rebar") });
    assert_eq!(page2, all[10..20]);
    let counted = idx.search(&SearchQuery { limit: 0, ..query("rebar") }).expect("search");
    assert_eq!((counted.total, counted.hits.len()), (25, 0));
}

#[test]
fn expired_leads_never_match() {
    let mut live = doc("live", "Buying cashew", "W320");
    live.kind = DocKind::Lead;
    live.expires_at = Some(NOW + 1);
    let mut gone = doc("gone", "Buying cashew", "W240");
    gone.kind = DocKind::Lead;
    gone.expires_at = Some(NOW);
    let idx = index(&[live, gone, doc("product", "Cashew", "W320")]);
    let mut q = query("cashew");
    let mut found = ids(&idx, &q);
    found.sort();
    assert_eq!(found, vec!["live", "product"]);
    q.now = NOW + 1;
    assert_eq!(ids(&idx, &q), vec!["product"]);
    q.text.clear();
    assert_eq!(idx.search(&q).expect("search").facets.country, vec![("SG".into(), 1)]);
}

#[test]
fn upsert_replaces_by_id_and_delete_removes() {
    let idx = index(&[doc("a", "Cement", "OPC 42.5"), doc("b", "Cement", "PPC")]);
    assert_eq!(idx.doc_count(), 2);
    idx.upsert(&[doc("a", "Clinker", "for cement plants")]).expect("upsert");
    assert_eq!(idx.doc_count(), 2);
    assert_eq!(ids(&idx, &query("clinker")), vec!["a"]);
    assert!(ids(&idx, &query("opc")).is_empty());
    // The same id twice in one batch: the last one stands.
    idx.upsert(&[doc("c", "Gypsum", ""), doc("c", "Fly ash", "")]).expect("upsert");
    assert!(ids(&idx, &query("gypsum")).is_empty());
    assert_eq!(ids(&idx, &query("ash")), vec!["c"]);
    idx.delete(&["b".into(), "unknown".into()]).expect("delete");
    assert_eq!(ids(&idx, &query("cement")), vec!["a"]);
    idx.clear().expect("clear");
    assert_eq!(idx.doc_count(), 0);
    assert_eq!(idx.load(vec![doc("z", "Cement", "")]).expect("load"), 1);
    assert_eq!(ids(&idx, &query("cement")), vec!["z"]);
    // Clones share the index.
    let clone = idx.clone();
    clone.delete(&["z".into()]).expect("delete");
    assert_eq!(idx.doc_count(), 0);
}

#[test]
fn on_disk_index_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let idx = SearchIndex::open(dir.path()).expect("open");
        idx.upsert(&[doc("a", "Granite slabs", "polished")]).expect("upsert");
    }
    let idx = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(ids(&idx, &query("granite")), vec!["a"]);
}

#[test]
fn bad_queries_name_the_field() {
    let idx = index(&[]);
    let field = |q: SearchQuery| match idx.search(&q) {
        Err(SearchError::InvalidQuery { field, .. }) => field,
        other => panic!("expected an invalid query, got {other:?}"),
    };
    assert_eq!(field(query(&"a".repeat(1_001))), "q");
    assert_eq!(field(query("coffee\u{0}")), "q");
    assert_eq!(field(query("coffee\nbeans")), "q");
    assert_eq!(field(SearchQuery { hs_prefix: Some("090".into()), ..query("") }), "hs_prefix");
    assert_eq!(field(SearchQuery { hs_prefix: Some("coffee".into()), ..query("") }), "hs_prefix");
    assert_eq!(field(SearchQuery { limit: LIMIT_MAX + 1, ..query("") }), "limit");
    assert_eq!(field(SearchQuery { offset: OFFSET_MAX + 1, ..query("") }), "offset");
    assert!(idx.search(&query(&"é".repeat(1_000))).is_ok());
    assert!(idx.search(&query("!!! ???")).is_ok());
    let err = idx.search(&query("\u{7}")).expect_err("bell");
    assert_eq!(err.code(), "invalid_search_query");
}

#[test]
fn documents_need_an_id() {
    let idx = index(&[]);
    assert!(matches!(idx.upsert(&[doc(" ", "x", "y")]), Err(SearchError::InvalidDocument { .. })));
}

#[test]
fn serde_names_are_snake_case() {
    assert_eq!(serde_json::to_string(&DocKind::Company).expect("json"), "\"company\"");
    assert_eq!(serde_json::to_string(&LeadSide::Buy).expect("json"), "\"buy\"");
    assert_eq!(serde_json::to_string(&SortBy::PriceAsc).expect("json"), "\"price_asc\"");
}

fn arb_doc() -> impl Strategy<Value = SearchDoc> {
    (
        0..3u8,
        0..3usize,
        proptest::option::of(0..4usize),
        any::<bool>(),
        proptest::option::of(0..3usize),
        proptest::option::of(0u64..10_000_000),
        proptest::option::of(1u64..50_000),
        proptest::option::of(-5i64..5),
        proptest::collection::vec(0..4usize, 0..3),
    )
        .prop_map(|(kind, country, hs, verified, incoterm, price, moq, expires, certs)| SearchDoc {
            kind: [DocKind::Product, DocKind::Lead, DocKind::Company][kind as usize],
            id: String::new(),
            organization_id: "org".into(),
            title: "Cocoa beans".into(),
            body: ["fermented", "dried", "premium grade"][country].into(),
            country: ["GH", "CI", "EC"][country].into(),
            hs_code: hs.map(|h| ["18", "1801", "180100", "0901"][h].into()),
            verified,
            certifications: certs.into_iter().map(|c| ["Fairtrade", "Organic", "HACCP", "UTZ"][c].into()).collect(),
            incoterm: incoterm.map(|i| ["FOB", "CIF", "EXW"][i].into()),
            lead_side: (kind == 1).then_some(if verified { LeadSide::Sell } else { LeadSide::Buy }),
            price_usd_micros: price,
            moq,
            created_at: NOW,
            expires_at: expires.map(|e| NOW + e),
        })
}

fn arb_query() -> impl Strategy<Value = SearchQuery> {
    (
        proptest::sample::subsequence(vec![DocKind::Product, DocKind::Lead, DocKind::Company], 0..=3),
        proptest::sample::subsequence(vec!["GH", "CI", "EC"], 0..=2),
        proptest::option::of(proptest::sample::select(vec!["18", "1801", "180100"])),
        any::<bool>(),
        proptest::option::of(proptest::sample::select(vec!["Fairtrade", "organic", "HACCP"])),
        proptest::option::of(0u64..10_000_000),
        proptest::option::of(1u64..50_000),
        proptest::option::of(proptest::sample::select(vec!["FOB", "cif"])),
        proptest::sample::select(vec![SortBy::Relevance, SortBy::PriceAsc, SortBy::PriceDesc, SortBy::Recent]),
        proptest::sample::select(vec!["", "cocoa", "beans premium"]),
    )
        .prop_map(|(kinds, countries, hs, verified_only, cert, price_max, moq_max, incoterm, sort, text)| {
            SearchQuery {
                text: text.into(),
                kinds,
                countries: countries.into_iter().map(String::from).collect(),
                hs_prefix: hs.map(String::from),
                verified_only,
                certification: cert.map(String::from),
                price_usd_micros_max: price_max,
                moq_max,
                incoterm: incoterm.map(String::from),
                sort,
                limit: 1_000,
                now: NOW,
                ..SearchQuery::default()
            }
        })
}

/// Whether a document passes every filter of a query, written independently of the index.
fn passes(d: &SearchDoc, q: &SearchQuery) -> bool {
    let words_ok = q.text.split_whitespace().all(|w| {
        let hay = format!("{} {}", d.title, d.body).to_lowercase();
        hay.contains(w)
    });
    let hs_ok = q.hs_prefix.as_ref().is_none_or(|p| d.hs_code.as_ref().is_some_and(|h| h.starts_with(p.as_str())));
    words_ok
        && (q.kinds.is_empty() || q.kinds.contains(&d.kind))
        && (q.countries.is_empty() || q.countries.contains(&d.country))
        && hs_ok
        && (!q.verified_only || d.verified)
        && q.certification.as_ref().is_none_or(|c| d.certifications.iter().any(|dc| dc.eq_ignore_ascii_case(c)))
        && q.price_usd_micros_max.is_none_or(|m| d.price_usd_micros.is_some_and(|p| p <= m))
        && q.moq_max.is_none_or(|m| d.moq.is_some_and(|v| v <= m))
        && q.incoterm.as_ref().is_none_or(|i| d.incoterm.as_ref().is_some_and(|di| di.eq_ignore_ascii_case(i)))
        && d.expires_at.is_none_or(|e| e > q.now)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn results_are_exactly_the_documents_passing_the_filters(
        mut docs in proptest::collection::vec(arb_doc(), 1..40),
        queries in proptest::collection::vec(arb_query(), 1..6),
    ) {
        for (i, d) in docs.iter_mut().enumerate() {
            d.id = format!("d{i}");
        }
        let idx = index(&docs);
        for q in &queries {
            let r = idx.search(q).expect("search");
            let mut got: Vec<String> = r.hits.iter().map(|h| h.id.clone()).collect();
            got.sort();
            let mut want: Vec<String> = docs.iter().filter(|d| passes(d, q)).map(|d| d.id.clone()).collect();
            want.sort();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(r.total, want.len() as u64);
            // Facet counts add up to the total for single-valued facets.
            prop_assert_eq!(r.facets.country.iter().map(|(_, n)| n).sum::<u64>(), r.total);
            prop_assert_eq!(r.facets.verified.iter().map(|(_, n)| n).sum::<u64>(), r.total);
        }
    }

    #[test]
    fn sorted_results_are_in_order(
        mut docs in proptest::collection::vec(arb_doc(), 1..40),
        q in arb_query(),
    ) {
        for (i, d) in docs.iter_mut().enumerate() {
            d.id = format!("d{i}");
        }
        let idx = index(&docs);
        let hits = idx.search(&q).expect("search").hits;
        let by_id = |id: &str| docs.iter().find(|d| d.id == id).expect("known id");
        for w in hits.windows(2) {
            let (a, b) = (by_id(&w[0].id), by_id(&w[1].id));
            match q.sort {
                SortBy::PriceAsc => prop_assert!(b.price_usd_micros.is_none() || a.price_usd_micros.is_some_and(|p| Some(p) <= b.price_usd_micros)),
                SortBy::PriceDesc => prop_assert!(b.price_usd_micros.is_none() || a.price_usd_micros >= b.price_usd_micros),
                SortBy::Recent => prop_assert!(a.created_at >= b.created_at),
                SortBy::Relevance => prop_assert!(w[0].score > w[1].score || (w[0].score == w[1].score && (a.verified || !b.verified))),
            }
        }
    }

    #[test]
    fn any_query_text_is_answered_or_refused_cleanly(text in "\\PC{0,60}") {
        let idx = index(&catalogue());
        let r = idx.search(&query(&text));
        let clean = match r {
            Ok(_) => true,
            Err(SearchError::InvalidQuery { field, .. }) => field == "q",
            Err(_) => false,
        };
        prop_assert!(clean);
    }
}
