//! Proposing HS codes for a product description: which nomenclature entries share its
//! words, with words the nomenclature negates ("Coffee; not roasted") kept apart from the
//! ones it asserts, so "roasted coffee" is not answered with "not roasted".

use super::matching::terms;
use serde::Serialize;
use std::collections::BTreeSet;

/// One proposed code and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HsSuggestion {
    pub code: String,
    pub description: String,
    /// Higher is better; comparable within one request only.
    pub score: f64,
    /// The request's words the entry agrees with (negated ones as "not WORD").
    pub matched_words: Vec<String>,
}

/// Words a text excludes: those after "not" (or "other than") up to the next punctuation,
/// for example "roasted" and "decaffeinated" in "Coffee; not roasted or decaffeinated".
pub fn negated_terms(text: &str) -> BTreeSet<String> {
    let lower = text.to_lowercase();
    let mut out = BTreeSet::new();
    for clause in lower.split([',', ';', '(', ')']) {
        let mut rest = clause;
        while let Some(i) = rest.find("not ").or_else(|| rest.find("other than ")) {
            let tail = &rest[i..];
            let after = tail.strip_prefix("not ").or_else(|| tail.strip_prefix("other than ")).unwrap_or("");
            out.extend(terms(after));
            rest = after;
            if rest.is_empty() {
                break;
            }
        }
    }
    out.remove("not");
    out
}

/// The words to look candidates up by (at most eight).
pub fn search_words(text: &str) -> Vec<String> {
    terms(text).into_iter().filter(|w| w != "not").take(8).collect()
}

/// Ranks nomenclature entries `(code, description, is_subheading)` for `text`, best first,
/// keeping at most `limit` that agree with at least one word.
pub fn rank(text: &str, entries: impl IntoIterator<Item = (String, String, bool)>, limit: usize) -> Vec<HsSuggestion> {
    let words = terms(text);
    let query_neg = negated_terms(text);
    let query_pos: BTreeSet<String> = words.difference(&query_neg).filter(|w| *w != "not").cloned().collect();
    let asked = (query_pos.len() + query_neg.len()).max(1) as f64;
    let mut scored: Vec<HsSuggestion> = entries
        .into_iter()
        .filter_map(|(code, description, is_subheading)| {
            let desc_neg = negated_terms(&description);
            let desc_pos: BTreeSet<String> =
                terms(&description).difference(&desc_neg).filter(|w| *w != "not").cloned().collect();
            let mut hit: Vec<String> = query_pos.intersection(&desc_pos).cloned().collect();
            hit.extend(query_neg.intersection(&desc_neg).map(|w| format!("not {w}")));
            if hit.is_empty() {
                return None;
            }
            let contradicted = query_pos.intersection(&desc_neg).count() + query_neg.intersection(&desc_pos).count();
            // Claims the entry makes that the request did not ask for count a little against it.
            let unasked = desc_pos.difference(&query_pos).count();
            let share = (hit.len() as f64 - contradicted as f64) / asked;
            // Subheadings are what a declaration needs.
            let level = if is_subheading { 1.0 } else { 0.8 };
            let score = ((share * level - 0.01 * unasked as f64) * 1000.0).round() / 1000.0;
            Some(HsSuggestion { code, description, score, matched_words: hit })
        })
        .collect();
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.code.cmp(&b.code)));
    scored.truncate(limit);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coffee() -> Vec<(String, String, bool)> {
        [
            ("0901", "Coffee, whether or not roasted or decaffeinated", false),
            ("090111", "Coffee; not roasted or decaffeinated", true),
            ("090112", "Coffee; decaffeinated, not roasted", true),
            ("090121", "Coffee; roasted, not decaffeinated", true),
            ("090122", "Coffee; roasted, decaffeinated", true),
            ("180100", "Cocoa beans; whole or broken, raw or roasted", true),
        ]
        .into_iter()
        .map(|(c, d, s)| (c.to_string(), d.to_string(), s))
        .collect()
    }

    fn first(text: &str) -> Option<String> {
        rank(text, coffee(), 10).first().map(|s| s.code.clone())
    }

    #[test]
    fn negated_words_are_kept_apart() {
        assert_eq!(first("Arabica coffee, roasted").as_deref(), Some("090121"));
        assert_eq!(first("green coffee not roasted").as_deref(), Some("090111"));
        assert_eq!(first("roasted decaffeinated coffee").as_deref(), Some("090122"));
        let n = negated_terms("Coffee; roasted, not decaffeinated");
        assert!(n.contains("decaffeinated") && !n.contains("roasted"));
    }

    #[test]
    fn unrelated_entries_and_limits() {
        assert!(rank("solar panels", coffee(), 10).is_empty());
        assert_eq!(rank("coffee", coffee(), 2).len(), 2);
        assert_eq!(search_words("not roasted coffee"), vec!["coffee".to_string(), "roasted".to_string()]);
    }
}
