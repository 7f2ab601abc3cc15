//! A deterministic synthetic marketplace: companies in 100 countries, and trade leads and
//! products over the HS nomenclature, described in English or Chinese.

use crate::{DocKind, LeadSide, SearchDoc, SearchQuery, SortBy};
use std::collections::HashMap;
use std::path::Path;

/// SplitMix64: small, fast and reproducible; statistical quality is beside the point here.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const COUNTRIES: [&str; 100] = [
    "AE", "AR", "AT", "AU", "BD", "BE", "BG", "BR", "CA", "CH", "CI", "CL", "CN", "CO", "CZ", "DE", "DK", "DZ", "EC",
    "EG", "ES", "ET", "FI", "FR", "GB", "GH", "GR", "GT", "HK", "HU", "ID", "IE", "IL", "IN", "IQ", "IR", "IT", "JO",
    "JP", "KE", "KH", "KR", "KW", "KZ", "LB", "LK", "MA", "MM", "MX", "MY", "NG", "NL", "NO", "NP", "NZ", "OM", "PA",
    "PE", "PH", "PK", "PL", "PT", "PY", "QA", "RO", "RS", "RU", "SA", "SE", "SG", "SK", "SN", "SV", "TH", "TN", "TR",
    "TW", "TZ", "UA", "UG", "US", "UY", "UZ", "VE", "VN", "ZA", "ZM", "ZW", "AO", "AZ", "BH", "BO", "BY", "CM", "CR",
    "CU", "CY", "DO", "EE", "GE",
];
const CERTIFICATIONS: [&str; 10] =
    ["ISO 9001", "ISO 14001", "CE", "FDA", "Halal", "HACCP", "Organic", "RoHS", "BSCI", "Kosher"];
const INCOTERMS: [&str; 6] = ["FOB", "CIF", "EXW", "DDP", "CFR", "FCA"];
const TRADE_WORDS: [&str; 40] = [
    "quality",
    "supplier",
    "manufacturer",
    "export",
    "import",
    "bulk",
    "wholesale",
    "competitive",
    "price",
    "certified",
    "delivery",
    "shipment",
    "container",
    "sample",
    "available",
    "monthly",
    "capacity",
    "tons",
    "pieces",
    "grade",
    "premium",
    "standard",
    "stock",
    "packaging",
    "custom",
    "oem",
    "factory",
    "direct",
    "partner",
    "contract",
    "payment",
    "inspection",
    "warranty",
    "origin",
    "fresh",
    "durable",
    "industrial",
    "retail",
    "brand",
    "new",
];
const MODIFIERS: [&str; 5] = ["bulk", "wholesale", "premium", "grade A", "OEM"];
const CHINESE_PHRASES: [&str; 16] = [
    "优质",
    "供应",
    "出口",
    "工厂直销",
    "批发",
    "大量现货",
    "价格优惠",
    "质量保证",
    "欢迎询价",
    "可定制",
    "包装精美",
    "交货及时",
    "提供样品",
    "通过认证",
    "长期合作",
    "诚信经营",
];
/// Chinese product words by HS chapter; other chapters say 产品 (product).
const CHINESE_PRODUCTS: [(&str, &str); 32] = [
    ("03", "冷冻海鲜"),
    ("07", "新鲜蔬菜"),
    ("08", "坚果"),
    ("09", "咖啡"),
    ("10", "大米"),
    ("15", "棕榈油"),
    ("16", "罐头"),
    ("17", "白糖"),
    ("20", "果汁"),
    ("22", "饮料"),
    ("25", "水泥"),
    ("27", "煤炭"),
    ("28", "化工原料"),
    ("30", "药品"),
    ("33", "化妆品"),
    ("39", "塑料颗粒"),
    ("40", "轮胎"),
    ("42", "箱包"),
    ("44", "木材"),
    ("48", "纸张"),
    ("52", "棉纱"),
    ("61", "针织服装"),
    ("62", "服装"),
    ("64", "鞋子"),
    ("69", "瓷砖"),
    ("70", "玻璃"),
    ("72", "钢材"),
    ("73", "钢管"),
    ("76", "铝材"),
    ("84", "机械设备"),
    ("85", "电子产品"),
    ("87", "汽车配件"),
];
/// Used when the official nomenclature file is absent.
const BUILT_IN_HS: [(&str, &str); 12] = [
    ("090111", "Coffee; not roasted or decaffeinated"),
    ("100630", "Rice; semi-milled or wholly milled, whether or not polished or glazed"),
    ("030617", "Crustaceans; frozen, shrimps and prawns"),
    ("520512", "Cotton yarn; single, of uncombed fibres"),
    ("720838", "Iron or non-alloy steel; flat-rolled, hot-rolled, in coils"),
    ("401110", "Rubber; new pneumatic tyres, of a kind used on motor cars"),
    ("850760", "Electric accumulators; lithium-ion"),
    ("847130", "Automatic data processing machines; portable, laptop computers"),
    ("841370", "Pumps; centrifugal pumps for liquids"),
    ("252329", "Cement; portland cement, other than white"),
    ("390110", "Polymers of ethylene; polyethylene granules"),
    ("940360", "Furniture; wooden, other than for offices, kitchens or bedrooms"),
];
const STOP_WORDS: [&str; 24] = [
    "and",
    "the",
    "for",
    "other",
    "than",
    "not",
    "with",
    "whether",
    "including",
    "excluding",
    "nes",
    "its",
    "their",
    "kind",
    "used",
    "but",
    "from",
    "or",
    "of",
    "in",
    "on",
    "by",
    "any",
    "such",
];

/// One six-digit HS subheading and the words of its description.
pub struct HsLine {
    pub code: String,
    pub words: Vec<String>,
}

/// Subheadings from the nomenclature CSV (`section,hscode,description,parent,level`), or the
/// built-in dozen when the file cannot be read, with a note saying so.
pub fn hs_lines(file: &Path, note: &mut dyn FnMut(String)) -> Vec<HsLine> {
    let parsed = std::fs::read_to_string(file).ok().map(|text| {
        text.lines()
            .skip(1)
            .filter_map(|line| {
                let cells = csv_cells(line);
                (cells.len() >= 5 && cells[4] == "6" && cells[1].len() == 6).then(|| line_of(&cells[1], &cells[2]))
            })
            .filter(|l| !l.words.is_empty())
            .collect::<Vec<_>>()
    });
    match parsed {
        Some(lines) if !lines.is_empty() => {
            note(format!("HS nomenclature: {} subheadings from {}", lines.len(), file.display()));
            lines
        }
        _ => {
            note(format!(
                "note: {} not readable; using {} built-in HS subheadings instead",
                file.display(),
                BUILT_IN_HS.len()
            ));
            BUILT_IN_HS.iter().map(|(code, text)| line_of(code, text)).collect()
        }
    }
}

fn line_of(code: &str, description: &str) -> HsLine {
    let words = description
        .split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
        .filter(|w| w.len() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .collect();
    HsLine { code: code.to_owned(), words }
}

/// The cells of one CSV line (double quotes, doubled to escape).
fn csv_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

struct Company {
    country: &'static str,
    verified: bool,
    certifications: Vec<String>,
}

/// The marketplace: a fixed number of companies and the documents they post.
pub struct Marketplace {
    hs: Vec<HsLine>,
    /// Per subheading, the words of its description that name a product: those found in at
    /// most 1 % of descriptions ("coffee", "shrimps"), not the nomenclature's connecting words
    /// ("containing", "weight", "articles"). Buyers search with these.
    product_words: Vec<Vec<String>>,
    companies: Vec<Company>,
    /// Unix seconds the documents are dated up to, and the query time.
    pub now: i64,
}

pub const COMPANIES: usize = 50_000;

impl Marketplace {
    pub fn new(hs: Vec<HsLine>, seed: u64) -> Marketplace {
        let mut rng = Rng::new(seed);
        let companies = (0..COMPANIES)
            .map(|_| {
                let country = *rng.pick(&COUNTRIES);
                let verified = rng.chance(0.3);
                let certifications =
                    (0..rng.below(3)).map(|_| rng.pick(&CERTIFICATIONS).to_string()).collect::<Vec<_>>();
                Company { country, verified, certifications }
            })
            .collect();
        let mut spread: HashMap<&str, usize> = HashMap::new();
        for line in &hs {
            let mut seen: Vec<&str> = line.words.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            for w in seen {
                *spread.entry(w).or_default() += 1;
            }
        }
        let ceiling = (hs.len() / 100).max(1);
        let product_words = hs
            .iter()
            .map(|line| {
                let specific: Vec<String> = line
                    .words
                    .iter()
                    .filter(|w| spread.get(w.as_str()).is_some_and(|n| *n <= ceiling))
                    .cloned()
                    .collect();
                if specific.is_empty() { line.words.clone() } else { specific }
            })
            .collect();
        Marketplace { hs, product_words, companies, now: 1_790_000_000 }
    }

    fn chinese_product(code: &str) -> &'static str {
        CHINESE_PRODUCTS.iter().find(|(ch, _)| code.starts_with(ch)).map_or("产品", |(_, w)| w)
    }

    /// The company documents, then `n` leads (70 %) and products (30 %).
    pub fn docs(&self, n: usize, seed: u64) -> impl Iterator<Item = SearchDoc> + '_ {
        let company_docs = self.companies.iter().enumerate().map(|(i, c)| SearchDoc {
            kind: DocKind::Company,
            id: format!("company-{i}"),
            organization_id: format!("company-{i}"),
            title: format!("Trading company {i}"),
            body: format!("{} {} {}", TRADE_WORDS[i % 40], TRADE_WORDS[(i / 40) % 40], c.country),
            country: c.country.to_owned(),
            hs_code: None,
            verified: c.verified,
            certifications: c.certifications.clone(),
            incoterm: None,
            lead_side: None,
            price_usd_micros: None,
            moq: None,
            created_at: self.now - 400 * 86_400,
            expires_at: None,
        });
        let mut rng = Rng::new(seed);
        let listings = (0..n).map(move |i| self.listing(&mut rng, i));
        company_docs.chain(listings)
    }

    fn listing(&self, rng: &mut Rng, i: usize) -> SearchDoc {
        let company_index = rng.below(self.companies.len());
        let company = &self.companies[company_index];
        let hs = rng.pick(&self.hs);
        let lead = rng.chance(0.7);
        let side = if rng.chance(0.5) { LeadSide::Buy } else { LeadSide::Sell };
        let product: Vec<&str> = (0..2).map(|_| rng.pick(&hs.words).as_str()).collect();
        let chinese = rng.chance(0.25);
        let verb = match (lead, side) {
            (false, _) => "",
            (true, LeadSide::Buy) => "Buying ",
            (true, LeadSide::Sell) => "Selling ",
        };
        let zh_title = if chinese { format!("{} ", Self::chinese_product(&hs.code)) } else { String::new() };
        let title = format!("{zh_title}{verb}{} {} {}", product[0], product[1], rng.pick(&MODIFIERS));
        let body = if chinese {
            let noun = Self::chinese_product(&hs.code);
            (0..14)
                .map(|_| if rng.chance(0.3) { noun } else { rng.pick(&CHINESE_PHRASES) })
                .collect::<Vec<_>>()
                .join("，")
        } else {
            (0..40)
                .map(|_| if rng.chance(0.35) { rng.pick(&hs.words).as_str() } else { rng.pick(&TRADE_WORDS) })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let created_at = self.now - rng.below(365 * 86_400) as i64;
        // Log-uniform unit prices from 0.10 to 10,000 USD.
        let price = (0.1f64 * 100_000f64.powf(rng.below(1_000_000) as f64 / 1e6) * 1e6) as u64;
        SearchDoc {
            kind: if lead { DocKind::Lead } else { DocKind::Product },
            id: format!("{}-{i}", if lead { "lead" } else { "product" }),
            organization_id: format!("company-{company_index}"),
            title,
            body,
            country: company.country.to_owned(),
            hs_code: Some(hs.code.clone()),
            verified: company.verified,
            certifications: company.certifications.clone(),
            incoterm: Some(rng.pick(&INCOTERMS).to_string()),
            lead_side: lead.then_some(side),
            price_usd_micros: (!lead || side == LeadSide::Sell).then_some(price),
            moq: Some([1, 10, 100, 500, 1_000, 5_000][rng.below(6)]),
            created_at,
            // A lead runs for 90 days: those posted more than 90 days ago have expired.
            expires_at: lead.then_some(created_at + 90 * 86_400),
        }
    }

    /// A mix of buyer queries: product words of a subheading (10 % with one letter dropped, a typo), 10 % in
    /// Chinese, with country, HS, verified, price, kind and side filters, and all four orders.
    pub fn queries(&self, n: usize, seed: u64) -> Vec<SearchQuery> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let line = rng.below(self.hs.len());
                let (hs, words) = (&self.hs[line], &self.product_words[line]);
                let roll = rng.below(10);
                let text = match roll {
                    0 => Self::chinese_product(&hs.code).to_owned(),
                    1 => {
                        let w = rng.pick(words);
                        let cut = rng.below(w.len().saturating_sub(1)) + 1;
                        if w.len() >= 5 && w.is_ascii() { format!("{}{}", &w[..cut], &w[cut + 1..]) } else { w.clone() }
                    }
                    _ => (0..1 + rng.below(2)).map(|_| rng.pick(words).as_str()).collect::<Vec<_>>().join(" "),
                };
                SearchQuery {
                    text,
                    kinds: if rng.chance(0.3) { vec![DocKind::Lead] } else { Vec::new() },
                    countries: if rng.chance(0.4) { vec![rng.pick(&COUNTRIES).to_string()] } else { Vec::new() },
                    hs_prefix: rng.chance(0.3).then(|| hs.code[..2].to_owned()),
                    verified_only: rng.chance(0.2),
                    price_usd_micros_max: rng.chance(0.15).then_some(100_000_000),
                    lead_side: rng.chance(0.2).then_some(LeadSide::Sell),
                    sort: *rng.pick(&[
                        SortBy::Relevance,
                        SortBy::Relevance,
                        SortBy::Relevance,
                        SortBy::Relevance,
                        SortBy::Relevance,
                        SortBy::Relevance,
                        SortBy::Relevance,
                        SortBy::PriceAsc,
                        SortBy::PriceDesc,
                        SortBy::Recent,
                    ]),
                    limit: 20,
                    now: self.now,
                    ..SearchQuery::default()
                }
            })
            .collect()
    }
}
