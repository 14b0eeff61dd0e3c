//! Markdown source to sanitised HTML, with `@name` and `@name@domain` mentions turned into links.
//! Mentions inside code are left alone. The sanitiser is ammonia; nothing else emits HTML.

use std::collections::HashMap;
use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

/// A mention as written: the name (lower case) and the domain, if one was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionRef {
    pub name: String,
    pub domain: Option<String>,
}

fn mention_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"@([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?))?").expect("valid regex")
    })
}

/// Mentions in a piece of plain text: `@` must not follow a word character, `/` or `@`.
fn mentions_in(text: &str) -> Vec<(std::ops::Range<usize>, MentionRef)> {
    let mut found = Vec::new();
    for caps in mention_regex().captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        let before = text[..whole.start()].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '/' || c == '@') {
            continue;
        }
        let name = caps.get(1).map_or("", |m| m.as_str()).to_ascii_lowercase();
        let domain = caps.get(2).map(|m| m.as_str().to_ascii_lowercase());
        found.push((whole.range(), MentionRef { name, domain }));
    }
    found
}

fn parser(source: &str) -> Parser<'_> {
    Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES)
}

/// Every mention in the source, outside code and links, in order, without repeats.
pub fn mentions(source: &str) -> Vec<MentionRef> {
    let mut out: Vec<MentionRef> = Vec::new();
    let mut skip_depth = 0usize;
    for event in parser(source) {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Link { .. }) => skip_depth += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Link) => skip_depth = skip_depth.saturating_sub(1),
            Event::Text(text) if skip_depth == 0 => {
                for (_, m) in mentions_in(&text) {
                    if !out.contains(&m) {
                        out.push(m);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Renders markdown to sanitised HTML. Mentions found in `links` become links to their profile.
pub fn render(source: &str, links: &HashMap<MentionRef, String>) -> String {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut skip_depth = 0usize;
    for event in parser(source) {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Link { .. }) => {
                skip_depth += 1;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Link) => {
                skip_depth = skip_depth.saturating_sub(1);
                events.push(event);
            }
            Event::Text(text) if skip_depth == 0 => {
                let mut last = 0;
                for (range, m) in mentions_in(&text) {
                    let Some(url) = links.get(&m) else { continue };
                    if range.start > last {
                        events.push(Event::Text(CowStr::from(text[last..range.start].to_string())));
                    }
                    let label = escape_html(&text[range.start + 1..range.end]);
                    let html = format!(
                        r#"<span class="h-card"><a href="{}" class="u-url mention">@<span>{label}</span></a></span>"#,
                        escape_html(url)
                    );
                    events.push(Event::InlineHtml(CowStr::from(html)));
                    last = range.end;
                }
                if last < text.len() {
                    events.push(Event::Text(CowStr::from(text[last..].to_string())));
                }
            }
            // Raw HTML in the source is shown as text, not interpreted.
            Event::Html(html) | Event::InlineHtml(html) => events.push(Event::Text(html)),
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(source.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize(&html)
}

/// Text as HTML (for names put into markup).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The one HTML sanitiser for user content.
pub fn sanitize(html: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER
        .get_or_init(|| {
            let mut b = ammonia::Builder::empty();
            b.add_tags([
                "p",
                "br",
                "a",
                "span",
                "strong",
                "em",
                "del",
                "code",
                "pre",
                "blockquote",
                "ul",
                "ol",
                "li",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "hr",
                "table",
                "thead",
                "tbody",
                "tr",
                "th",
                "td",
            ])
            .add_tag_attributes("a", ["href"])
            .add_allowed_classes("a", ["u-url", "mention", "hashtag"])
            .add_allowed_classes("span", ["h-card"])
            .add_tag_attributes("ol", ["start"])
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .link_rel(Some("nofollow noopener noreferrer"));
            b
        })
        .clean(html)
        .to_string()
}

/// The plain text of HTML: tags dropped, the usual entities decoded (for search, editing and
/// profile fields of other servers).
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, domain: Option<&str>) -> MentionRef {
        MentionRef { name: name.into(), domain: domain.map(str::to_string) }
    }

    #[test]
    fn finds_mentions_but_not_in_code_or_emails() {
        let found =
            mentions("Hi @Anna and @bob@gemeente-b.nl, mail x@example.org\n\n```\n@notme\n```\n`@alsonot`? no: inline code is text");
        assert_eq!(found, vec![m("anna", None), m("bob", Some("gemeente-b.nl"))]);
    }

    #[test]
    fn renders_markdown_links_mentions_and_strips_scripts() {
        let mut links = HashMap::new();
        links.insert(m("anna", None), "http://localhost:8080/@anna".to_string());
        let html = render("**Hello** @anna <script>alert(1)</script> [x](javascript:alert(1)) @ghost", &links);
        assert!(html.contains("<strong>Hello</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="http://localhost:8080/@anna" class="u-url mention" rel="nofollow noopener noreferrer">@<span>anna</span></a>"#
            ),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("@ghost"), "unknown mentions stay text: {html}");
    }
}
