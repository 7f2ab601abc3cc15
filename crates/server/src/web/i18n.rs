//! Languages of the web UI: which one a visitor gets, and the message catalogues.
//!
//! The language comes from `?lang=en|zh` (remembered in the [`LANG_COOKIE`] cookie), else
//! from that cookie, else from the `Accept-Language` header, else English. Every text the
//! pages show is looked up by key in [`catalogue`]; a key missing in Chinese falls back to
//! English, and a key missing everywhere shows itself so that the gap is visible.

use std::collections::HashMap;
use std::sync::LazyLock;

mod catalogue;

/// The cookie that remembers a language picked with `?lang=`.
pub const LANG_COOKIE: &str = "tw_lang";

/// A language the pages are translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The value used in `?lang=` and in the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The BCP 47 tag for `<html lang>` and `hreflang`.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    /// The language's name in itself, for the switcher.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// The language the switcher offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// `en` or `zh` exactly, as sent in `?lang=` or the cookie.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code.trim())
    }

    /// A language tag from `Accept-Language` (`zh-CN`, `en-GB`, `ZH`…) by its primary subtag.
    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or("").trim().to_ascii_lowercase();
        Lang::from_code(&primary)
    }
}

/// Picks the language: an explicit `?lang=`, then the remembered cookie, then the browser's
/// preference, then English. Unknown values are ignored at each step.
pub fn negotiate(query: Option<&str>, cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    query
        .and_then(Lang::from_code)
        .or_else(|| cookie.and_then(Lang::from_code))
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or_default()
}

/// The supported language the `Accept-Language` header likes best: highest quality first,
/// the header's order among equals; `q=0` means "not this one".
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let quality = parts.filter_map(|p| p.trim().strip_prefix("q=").map(parse_quality)).next().unwrap_or(Some(1000));
        let (Some(lang), Some(q)) = (Lang::from_tag(tag), quality) else { continue };
        if q > 0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((lang, q));
        }
    }
    best.map(|(l, _)| l)
}

/// A quality value `0` to `1` with up to three decimals, in thousandths.
fn parse_quality(text: &str) -> Option<u16> {
    let value: f32 = text.trim().parse().ok()?;
    if (0.0..=1.0).contains(&value) { Some((value * 1000.0).round() as u16) } else { None }
}

/// The `lang` value of a query string, if it names a language.
pub fn query_lang(query: Option<&str>) -> Option<Lang> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs.iter().find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::from_code(v))
}

fn table(entries: &'static [(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
    entries.iter().copied().collect()
}

static EN: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| table(catalogue::EN));
static ZH: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| table(catalogue::ZH));

/// Looks texts up in one language's catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text for `key`, if either catalogue has it (Chinese falls back to English).
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        let own = match self.lang {
            Lang::En => None,
            Lang::Zh => ZH.get(key).copied(),
        };
        own.or_else(|| EN.get(key).copied())
    }

    /// The text for `key`; the key itself when no catalogue has it.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lookup(key).unwrap_or(key)
    }

    /// The text for `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        args.iter().fold(self.t(key).to_string(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }

    /// A field's label: the `field.<input>` key.
    pub fn field_label(&self, input: &str) -> Option<&'static str> {
        self.lookup(&format!("field.{input}"))
    }

    /// What went wrong with an input, in this language: `err.<input>.<code>`, then
    /// `err.<code>`, then the English message the validation gave.
    pub fn error(&self, input: &str, code: &str, message: &str) -> String {
        self.lookup(&format!("err.{input}.{code}"))
            .or_else(|| self.lookup(&format!("err.{code}")))
            .map(str::to_string)
            .unwrap_or_else(|| message.to_string())
    }

    pub fn html_lang(&self) -> &'static str {
        self.lang.html_lang()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn an_explicit_choice_beats_the_cookie_and_the_header() {
        assert_eq!(negotiate(Some("zh"), Some("en"), Some("en")), Lang::Zh);
        assert_eq!(negotiate(Some("en"), Some("zh"), Some("zh-CN")), Lang::En);
        assert_eq!(negotiate(None, Some("zh"), Some("en-GB")), Lang::Zh);
        assert_eq!(negotiate(None, None, Some("zh-CN,zh;q=0.9")), Lang::Zh);
        assert_eq!(negotiate(None, None, None), Lang::En);
    }

    #[test]
    fn unknown_values_are_ignored() {
        assert_eq!(negotiate(Some("fr"), Some("zh"), None), Lang::Zh);
        assert_eq!(negotiate(Some(""), Some("klingon"), Some("de-DE")), Lang::En);
        assert_eq!(negotiate(Some("ZH-cn"), None, None), Lang::En, "?lang= takes exact codes only");
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(from_accept_language("fr-FR, zh-Hans;q=0.7, en;q=0.3"), Some(Lang::Zh));
        assert_eq!(from_accept_language("en;q=0.2, zh;q=0.8"), Some(Lang::Zh));
        assert_eq!(from_accept_language("zh-TW"), Some(Lang::Zh));
        assert_eq!(from_accept_language("zh;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(from_accept_language("zh;q=0"), None);
        assert_eq!(from_accept_language("de, fr;q=0.5, *;q=0.1"), None);
        assert_eq!(from_accept_language("zh;q=abc, en"), Some(Lang::En));
        assert_eq!(from_accept_language(""), None);
    }

    #[test]
    fn equal_quality_keeps_the_header_order() {
        assert_eq!(from_accept_language("zh, en"), Some(Lang::Zh));
        assert_eq!(from_accept_language("en;q=0.5, zh;q=0.5"), Some(Lang::En));
    }

    #[test]
    fn the_query_parameter_is_found_among_others() {
        assert_eq!(query_lang(Some("token=abc&lang=zh")), Some(Lang::Zh));
        assert_eq!(query_lang(Some("lang=xx")), None);
        assert_eq!(query_lang(None), None);
    }

    #[test]
    fn every_english_key_has_a_chinese_translation() {
        let zh: HashSet<&str> = catalogue::ZH.iter().map(|(k, _)| *k).collect();
        let missing: Vec<&str> = catalogue::EN.iter().map(|(k, _)| *k).filter(|k| !zh.contains(k)).collect();
        assert!(missing.is_empty(), "keys without a Chinese text: {missing:?}");
    }

    #[test]
    fn every_chinese_key_exists_in_english() {
        let en: HashSet<&str> = catalogue::EN.iter().map(|(k, _)| *k).collect();
        let stale: Vec<&str> = catalogue::ZH.iter().map(|(k, _)| *k).filter(|k| !en.contains(k)).collect();
        assert!(stale.is_empty(), "Chinese keys that English does not have: {stale:?}");
    }

    #[test]
    fn no_key_is_listed_twice() {
        for (name, entries) in [("en", catalogue::EN), ("zh", catalogue::ZH)] {
            let mut seen = HashSet::new();
            for (k, _) in entries {
                assert!(seen.insert(*k), "{name}: key {k} is listed twice");
            }
        }
    }

    fn placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> =
            text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn translations_keep_the_placeholders() {
        for (key, en) in catalogue::EN {
            let zh = Tr::new(Lang::Zh).t(key);
            assert_eq!(placeholders(en), placeholders(zh), "placeholders differ for {key}");
        }
    }

    #[test]
    fn chinese_falls_back_to_english_and_unknown_keys_show_themselves() {
        let zh = Tr::new(Lang::Zh);
        assert_eq!(zh.t("no.such.key"), "no.such.key");
        assert_eq!(Tr::new(Lang::En).t("app.name"), "tradewind");
        assert_ne!(zh.t("nav.login"), Tr::new(Lang::En).t("nav.login"));
    }

    #[test]
    fn errors_prefer_the_most_specific_text() {
        let en = Tr::new(Lang::En);
        assert_eq!(en.error("legal_name", "no_such_code", "the original"), "the original");
        assert_eq!(en.error("legal_name", "required", "x"), en.t("err.required"));
        assert_eq!(en.error("admin_email", "already_exists", "x"), en.t("err.admin_email.already_exists"));
    }

    #[test]
    fn fill_replaces_named_values() {
        let en = Tr::new(Lang::En);
        assert!(en.fill("accept.intro", &[("company", "Acme & Co")]).contains("Acme & Co"));
    }

    /// Every `t("…")` key written in a template or in the web code exists in English.
    #[test]
    fn every_key_used_in_the_pages_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in ["templates", "templates/partials", "src/web"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() && !path.ends_with("i18n.rs") {
                    sources.push(std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        assert!(sources.len() > 5, "templates not found under {}", root.display());
        let en: HashSet<&str> = catalogue::EN.iter().map(|(k, _)| *k).collect();
        let mut unknown = Vec::new();
        let mut used = 0;
        for text in &sources {
            for marker in [".t(\"", ".fill(\""] {
                for rest in text.split(marker).skip(1) {
                    let key = rest.split('"').next().unwrap_or("");
                    used += 1;
                    if !en.contains(key) {
                        unknown.push(key.to_string());
                    }
                }
            }
        }
        assert!(used > 100, "only {used} keys found: is the scan still matching the templates?");
        assert!(unknown.is_empty(), "keys used but not in the English catalogue: {unknown:?}");
    }
}
