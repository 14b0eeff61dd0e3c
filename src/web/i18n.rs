//! The web UI's languages: Dutch and English, texts by key from `locales/*.toml` (compiled in).
//! The language is the person's choice in their profile, else the browser's `Accept-Language`,
//! else Dutch.

use std::collections::BTreeMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

fn load(text: &str) -> BTreeMap<String, String> {
    let table: toml::Table = text.parse().unwrap_or_default();
    table.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect()
}

static NL: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| load(include_str!("../../locales/nl.toml")));
static EN: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| load(include_str!("../../locales/en.toml")));
/// The service's error messages in Dutch, by error code (the service's own are English).
static NL_ERRORS: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| load(include_str!("../../locales/errors.nl.toml")));

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// The person's chosen language, else the first of the browser's that Gilde speaks.
    pub fn choose(profile: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = profile.and_then(Lang::parse) {
            return lang;
        }
        let mut offered: Vec<(f32, Lang)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let lang = Lang::parse(pieces.next()?.trim())?;
                let q = pieces.find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok()).unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map_or(Lang::Nl, |(_, lang)| *lang)
    }

    fn parse(tag: &str) -> Option<Lang> {
        match tag.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The text for `key` (a visible marker if it is missing, which a test prevents).
    pub fn t(self, key: &str) -> &'static str {
        let texts: &'static BTreeMap<String, String> = match self {
            Lang::Nl => &NL,
            Lang::En => &EN,
        };
        texts.get(key).map_or("[?]", String::as_str)
    }

    /// An error's message for a person: the service's (English) message, or its Dutch
    /// translation by error code.
    pub fn error(self, e: &crate::error::Error) -> String {
        match self {
            Lang::En => e.message().to_string(),
            Lang::Nl => NL_ERRORS.get(e.code()).cloned().unwrap_or_else(|| e.message().to_string()),
        }
    }

    /// A moment as people of this language write it, e.g. "23 nov. 2026 18:20" or
    /// "23 Nov 2026, 18:20" (UTC; the page's script shows it in the reader's time zone).
    pub fn date_time(self, at: chrono::NaiveDateTime) -> String {
        use chrono::{Datelike, Timelike};
        let month = self.t("months").split(',').nth(at.month0() as usize).unwrap_or("").trim();
        match self {
            Lang::Nl => format!("{} {month} {} {:02}:{:02} UTC", at.day(), at.year(), at.hour(), at.minute()),
            Lang::En => format!("{} {month} {}, {:02}:{:02} UTC", at.day(), at.year(), at.hour(), at.minute()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_key_and_every_key_used_exists() {
        let nl: Vec<&String> = NL.keys().collect();
        let en: Vec<&String> = EN.keys().collect();
        assert!(!en.is_empty());
        assert_eq!(nl, en, "nl.toml and en.toml must have the same keys");
        // Every text key the templates and the web code ask for exists.
        let dir = crate::testing::manifest_dir();
        let mut sources = Vec::new();
        for folder in ["templates", "src/web"] {
            for entry in std::fs::read_dir(dir.join(folder)).expect("folder") {
                sources.push(std::fs::read_to_string(entry.expect("entry").path()).expect("read"));
            }
        }
        let used = regex::Regex::new(r#"\bt\("([a-z_]+)"\)"#).expect("regex");
        // Keys picked in code before `t` is called (navigation, roles, notification kinds...).
        let picked = regex::Regex::new(r#""((?:nav|role|notif|error_title|visibility|notice)_[a-z_]+)""#).expect("regex");
        let mut count = 0;
        for source in &sources {
            for key in used.captures_iter(source).chain(picked.captures_iter(source)) {
                count += 1;
                assert!(EN.contains_key(&key[1]), "missing text key {}", &key[1]);
            }
        }
        assert!(count > 5, "the check found the keys in use ({count})");
    }

    #[test]
    fn every_service_error_code_has_a_dutch_message() {
        let dir = crate::testing::manifest_dir();
        let code = regex::Regex::new(r#"Error::(?:invalid|malformed|forbidden|not_found|conflict|unauthenticated)\(\s*"([a-z_]+)""#)
            .expect("regex");
        let enum_code = regex::Regex::new(r#"\},\s*"([a-z_]+)",\s*"The "#).expect("regex");
        let mut missing = Vec::new();
        let mut count = 0;
        for folder in ["src/service", "src/db", "src/web"] {
            for entry in std::fs::read_dir(dir.join(folder)).expect("folder") {
                let source = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
                for found in code.captures_iter(&source).chain(enum_code.captures_iter(&source)) {
                    count += 1;
                    if !NL_ERRORS.contains_key(&found[1]) && !missing.contains(&found[1].to_string()) {
                        missing.push(found[1].to_string());
                    }
                }
            }
        }
        assert!(count > 40, "the check found the service's error codes ({count})");
        assert!(missing.is_empty(), "error codes without a Dutch message in locales/errors.nl.toml: {missing:?}");
    }

    #[test]
    fn dates_are_written_as_each_language_does() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 5).and_then(|d| d.and_hms_opt(9, 7, 0)).expect("date");
        assert_eq!(Lang::Nl.date_time(at), "5 mrt 2026 09:07 UTC");
        assert_eq!(Lang::En.date_time(at), "5 Mar 2026, 09:07 UTC");
    }

    #[test]
    fn the_profile_wins_then_the_browser_then_dutch() {
        assert_eq!(Lang::choose(Some("en"), Some("nl")), Lang::En);
        assert_eq!(Lang::choose(None, Some("de-DE,en-GB;q=0.8,nl;q=0.5")), Lang::En);
        assert_eq!(Lang::choose(None, Some("en;q=0.4, nl-BE")), Lang::Nl);
        assert_eq!(Lang::choose(None, Some("fr")), Lang::Nl);
        assert_eq!(Lang::choose(None, None), Lang::Nl);
    }
}
