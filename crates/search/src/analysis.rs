//! Text analysis: one tokenizer for every language a listing may be written in.
//!
//! Text is cut into runs by script, and each run is tokenized the way its script needs:
//!
//! | run | indexed as | queried as |
//! |---|---|---|
//! | letters and digits of alphabetic scripts (Latin, Cyrillic, …) | the word | the word |
//! | Han (Chinese characters, also Japanese kanji) | jieba search-mode words of 2+ characters, and each character | jieba words |
//! | Kana and Hangul | every character and every pair of neighbouring characters | the pairs (a lone character as itself) |
//!
//! Alphabetic words are then normalised the same way on both sides: words over 40 bytes are
//! dropped, the rest lower-cased, folded to ASCII where a Latin letter has an accent, and
//! reduced to an English stem. Indexing single Han, Kana and Hangul characters costs some index
//! space and makes one-character queries (茶, tea) and the fallback for an unusual segmentation
//! work.

use jieba_rs::Jieba;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::LazyLock;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

/// Name under which the index-side analyzer is registered with tantivy.
pub(crate) const TRADE_TEXT: &str = "trade_text";

/// Longest token kept, in bytes.
const MAX_TOKEN_BYTES: usize = 40;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// The writing system of a run of characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Script {
    /// Letters and digits of scripts that separate words with spaces.
    Alphabetic,
    /// Chinese characters (hanzi, kanji).
    Han,
    /// Japanese kana and Korean hangul: no dictionary here, so character pairs.
    KanaHangul,
}

fn script_of(c: char) -> Option<Script> {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric().then_some(Script::Alphabetic);
    }
    let u = c as u32;
    let han = matches!(u, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF | 0x3007);
    let kana_hangul = matches!(
        u,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F | 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF
    );
    if han {
        Some(Script::Han)
    } else if kana_hangul {
        Some(Script::KanaHangul)
    } else if c.is_alphanumeric() {
        Some(Script::Alphabetic)
    } else {
        None
    }
}

/// Splits text into maximal runs of one script, with their byte offsets.
fn script_runs(text: &str) -> impl Iterator<Item = (Script, usize, &str)> {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, script) = loop {
            let (i, c) = chars.next()?;
            if let Some(s) = script_of(c) {
                break (i, s);
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if script_of(c) != Some(script) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((script, start, &text[start..end]))
    })
}

/// Whether tokens are produced for a stored document or for what a user typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Document,
    Query,
}

/// Cuts text into raw tokens for one side: `emit(text, script, byte offset)`.
pub(crate) fn raw_tokens<'t>(text: &'t str, side: Side, mut emit: impl FnMut(&'t str, Script, usize)) {
    for (script, base, run) in script_runs(text) {
        let mut push = |offset: usize, s: &'t str| emit(s, script, base + offset);
        match (script, side) {
            (Script::Alphabetic, _) => push(0, run),
            (Script::Han, Side::Document) => {
                for w in JIEBA.cut_for_search(run, true) {
                    if w.word.chars().nth(1).is_some() {
                        push(w.word.as_ptr() as usize - run.as_ptr() as usize, w.word);
                    }
                }
                for (i, c) in run.char_indices() {
                    push(i, &run[i..i + c.len_utf8()]);
                }
            }
            (Script::Han, Side::Query) => {
                for w in JIEBA.cut(run, true) {
                    push(w.word.as_ptr() as usize - run.as_ptr() as usize, w.word);
                }
            }
            (Script::KanaHangul, side) => {
                let chars: Vec<(usize, char)> = run.char_indices().collect();
                if side == Side::Document || chars.len() == 1 {
                    for &(i, c) in &chars {
                        push(i, &run[i..i + c.len_utf8()]);
                    }
                }
                for pair in chars.windows(2) {
                    let (i, _) = pair[0];
                    let (j, c) = pair[1];
                    push(i, &run[i..j + c.len_utf8()]);
                }
            }
        }
    }
}

/// Distinct words remembered by one tokenizer before it forgets them all.
const STEM_CACHE_MAX: usize = 100_000;

/// The index-side tokenizer: raw tokens, normalised.
///
/// Normalising (lower case, ASCII folding, English stem) goes through [`normalizer`], the very
/// analyzer queries use, but each tokenizer remembers the result per distinct word: stemming
/// is most of the cost of analysis, and trade text repeats a small vocabulary.
#[derive(Clone)]
pub(crate) struct TradeTokenizer {
    tokens: Vec<Token>,
    normalizer: TextAnalyzer,
    cache: HashMap<String, Option<String>, BuildHasherDefault<FxHasher>>,
}

impl TradeTokenizer {
    fn new() -> TradeTokenizer {
        TradeTokenizer { tokens: Vec::new(), normalizer: normalizer(), cache: HashMap::default() }
    }
}

pub(crate) struct TradeTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl Tokenizer for TradeTokenizer {
    type TokenStream<'a> = TradeTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TradeTokenStream<'a> {
        let TradeTokenizer { tokens, normalizer, cache } = self;
        let mut len = 0;
        let mut emit = |normalized: &str, offset: usize, raw_len: usize| {
            if len == tokens.len() {
                tokens.push(Token::default());
            }
            let t = &mut tokens[len];
            t.text.clear();
            t.text.push_str(normalized);
            (t.offset_from, t.offset_to, t.position, t.position_length) = (offset, offset + raw_len, len, 1);
            len += 1;
        };
        raw_tokens(text, Side::Document, |raw, script, offset| {
            if script != Script::Alphabetic {
                if raw.len() <= MAX_TOKEN_BYTES {
                    emit(raw, offset, raw.len());
                }
            } else if let Some(known) = cache.get(raw) {
                if let Some(n) = known {
                    emit(n, offset, raw.len());
                }
            } else {
                let n = normalize(normalizer, raw);
                if let Some(n) = &n {
                    emit(n, offset, raw.len());
                }
                if cache.len() >= STEM_CACHE_MAX {
                    cache.clear();
                }
                cache.insert(raw.to_owned(), n);
            }
        });
        TradeTokenStream { tokens: &mut tokens[..len], next: 0 }
    }
}

/// FxHash (from rustc): the stem cache's keys are short words that users do not choose, so
/// a fast hash beats SipHash's flooding resistance here.
#[derive(Clone, Copy, Default)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl TokenStream for TradeTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The analyzer registered for the `title` and `body` fields.
pub(crate) fn document_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(TradeTokenizer::new())
}

/// Lower case, ASCII folding and English stem for one alphabetic word; words over 40 bytes
/// are dropped.
fn normalizer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn normalize(normalizer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut out = None;
    normalizer.token_stream(word).process(&mut |t| out = Some(t.text.clone()));
    out
}

/// A query word: what was typed and the form to look up in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryWord {
    /// Lower-cased and ASCII-folded, not stemmed: its length decides the typo allowance.
    pub typed: String,
    /// The indexed form (stemmed for alphabetic words).
    pub term: String,
    pub script: Script,
}

/// Cuts a user's query into distinct words, each normalised as the index was.
pub(crate) fn query_words(text: &str) -> Vec<QueryWord> {
    let mut normalizer = normalizer();
    let mut fold = TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build();
    let mut words: Vec<QueryWord> = Vec::new();
    raw_tokens(text, Side::Query, |raw, script, _| {
        let (term, typed) = if script == Script::Alphabetic {
            let Some(term) = normalize(&mut normalizer, raw) else { return };
            (term, normalize(&mut fold, raw).unwrap_or_default())
        } else if raw.len() > MAX_TOKEN_BYTES {
            return;
        } else {
            (raw.to_owned(), raw.to_owned())
        };
        if !words.iter().any(|w| w.term == term) {
            words.push(QueryWord { typed, term, script });
        }
    });
    words
}

/// Edit distance a query word may be away from an indexed word and still match: none for
/// short words, digits and non-alphabetic scripts, one for 4–7 letters, two from 8 letters.
pub(crate) fn typo_allowance(word: &QueryWord) -> u8 {
    if word.script != Script::Alphabetic || !word.typed.chars().all(char::is_alphabetic) {
        return 0;
    }
    match word.typed.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_tokens(text: &str) -> Vec<String> {
        let mut a = document_analyzer();
        let mut out = Vec::new();
        a.token_stream(text).process(&mut |t| out.push(t.text.clone()));
        out
    }

    #[test]
    fn english_is_lowercased_folded_and_stemmed() {
        assert_eq!(doc_tokens("Premium Café BATTERIES, 20ft"), vec!["premium", "cafe", "batteri", "20ft"]);
    }

    #[test]
    fn chinese_gets_words_and_characters() {
        let t = doc_tokens("云南咖啡豆");
        for want in ["云南", "咖啡", "咖啡豆", "云", "豆"] {
            assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
        }
    }

    #[test]
    fn japanese_and_korean_get_character_pairs() {
        let t = doc_tokens("コーヒー豆 커피를");
        for want in ["コー", "ーヒ", "ヒー", "豆", "커피", "피를", "커"] {
            assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
        }
        let q: Vec<String> = query_words("コーヒー").into_iter().map(|w| w.term).collect();
        assert_eq!(q, vec!["コー", "ーヒ", "ヒー"]);
    }

    #[test]
    fn mixed_scripts_split_into_runs() {
        let q = query_words("ISO9001认证 coffee");
        let terms: Vec<&str> = q.iter().map(|w| w.term.as_str()).collect();
        assert_eq!(terms, vec!["iso9001", "认证", "coffe"]);
        assert_eq!(q[2].typed, "coffee");
    }

    #[test]
    fn typo_allowance_follows_word_length() {
        let allowance = |s: &str| typo_allowance(&query_words(s)[0]);
        assert_eq!(allowance("tea"), 0);
        assert_eq!(allowance("rice"), 1);
        assert_eq!(allowance("coffees"), 1);
        assert_eq!(allowance("generator"), 2);
        assert_eq!(allowance("9001"), 0);
        assert_eq!(allowance("咖啡"), 0);
    }
}
