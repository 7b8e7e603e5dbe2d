//! HTML in entry content that readers strip or cannot follow: `<script>`, `on…=` handlers,
//! `<iframe>` without an https `src`, `javascript:` URLs, and relative `href`/`src`.
//!
//! Scanned with lol_html, the streaming HTML parser feedd already uses to absolutize links, so
//! the linter sees elements and attributes the way a browser engine tokenizes them.

use std::cell::RefCell;

use lol_html::{RewriteStrSettings, element, rewrite_str};

use super::Context;
use super::finding::{Anchor, Code, Finding};
use super::model::RawFeed;

/// One thing in a piece of HTML that readers strip or cannot resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stripped {
    Script,
    /// The attribute's name (`onclick`).
    Handler(String),
    /// The iframe's `src`, if any.
    Iframe(Option<String>),
    JavascriptUrl(String),
    Relative(String),
}

/// Attributes that hold one URL.
const URL_ATTRIBUTES: [&str; 6] = ["href", "src", "poster", "action", "formaction", "cite"];

/// The URL attributes readers follow or load, and so must be absolute: the ones feedd makes
/// absolute in posts (`feed::absolutize_html`, with `srcset`). A relative `cite` or form
/// `action` breaks nothing a reader shows.
const FOLLOWED: [&str; 3] = ["href", "src", "poster"];

/// Everything in `html` that readers strip, in document order.
pub fn scan(html: &str) -> Vec<Stripped> {
    let found = RefCell::new(Vec::new());
    let settings = RewriteStrSettings {
        element_content_handlers: vec![element!("*", |el| {
            let mut found = found.borrow_mut();
            match el.tag_name().as_str() {
                "script" => found.push(Stripped::Script),
                "iframe" => {
                    let src = el.get_attribute("src");
                    if !src
                        .as_deref()
                        .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("https://"))
                    {
                        found.push(Stripped::Iframe(src));
                    }
                }
                _ => {}
            }
            for attribute in el.attributes() {
                let name = attribute.name();
                let value = attribute.value();
                if name.starts_with("on") && name.len() > 2 {
                    found.push(Stripped::Handler(name));
                } else if URL_ATTRIBUTES.contains(&name.as_str()) {
                    check_url(&value, FOLLOWED.contains(&name.as_str()), &mut found);
                } else if name == "srcset" {
                    for candidate in value.split(',') {
                        let url = candidate.split_whitespace().next().unwrap_or_default();
                        check_url(url, true, &mut found);
                    }
                }
            }
            Ok(())
        })],
        ..RewriteStrSettings::new()
    };
    // The rewriter fails only on memory limits a feed entry cannot reach; what was found up to
    // there is still reported.
    let _ = rewrite_str(html, settings);
    found.into_inner()
}

/// A `javascript:` URL in any URL attribute; a relative one where `followed`.
fn check_url(value: &str, followed: bool, found: &mut Vec<Stripped>) {
    // Browsers drop ASCII whitespace and control characters inside a scheme (`java\tscript:`).
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase();
    if squeezed.starts_with("javascript:") {
        found.push(Stripped::JavascriptUrl(value.trim().to_string()));
    } else if followed && !value.trim().is_empty() && url::Url::parse(value.trim()).is_err() {
        found.push(Stripped::Relative(value.trim().to_string()));
    }
}

/// The findings for every entry's HTML in `feed`.
pub fn check(feed: &RawFeed, cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for entry in &feed.entries {
        let id = entry.id.as_ref().map(|id| id.value.as_str());
        let mut seen = std::collections::HashSet::new();
        for html in &entry.html {
            for stripped in scan(&html.value) {
                // The same markup in `description` and `content:encoded` is one finding.
                if !seen.insert(stripped.clone()) {
                    continue;
                }
                let (code, message, needle) = describe(&stripped);
                findings.push(
                    Finding::new(code, cx.document, Some(html.line), message)
                        .about(id, Some(Anchor::Text(needle))),
                );
            }
        }
    }
    findings
}

fn describe(stripped: &Stripped) -> (Code, String, String) {
    match stripped {
        Stripped::Script => (
            Code::Script,
            "content has a <script> element".into(),
            "<script".into(),
        ),
        Stripped::Handler(name) => (
            Code::EventHandler,
            format!("content has an event handler attribute `{name}`"),
            name.clone(),
        ),
        Stripped::Iframe(Some(src)) => (
            Code::PlainIframe,
            format!("content has an <iframe> whose src is not https: {src}"),
            src.clone(),
        ),
        Stripped::Iframe(None) => (
            Code::PlainIframe,
            "content has an <iframe> without a src".into(),
            "<iframe".into(),
        ),
        Stripped::JavascriptUrl(url) => (
            Code::JavascriptUrl,
            format!("content has a javascript: URL: {url}"),
            url.clone(),
        ),
        Stripped::Relative(url) => (
            Code::RelativeUrl,
            format!("content has a relative URL: {url}"),
            url.clone(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stripped::*;

    #[test]
    fn finds_what_readers_strip() {
        let cases: &[(&str, &[Stripped])] = &[
            ("<p>plain <a href=\"https://x.org/\">link</a></p>", &[]),
            ("<p>a</p><script>alert(1)</script>", &[Script]),
            ("<SCRIPT src=\"https://x.org/a.js\"></SCRIPT>", &[Script]),
            (
                "<img src=\"https://x.org/a.png\" onerror=\"x()\">",
                &[Handler("onerror".into())],
            ),
            (
                "<iframe src=\"http://x.org/v\"></iframe>",
                &[Iframe(Some("http://x.org/v".into()))],
            ),
            ("<iframe></iframe>", &[Iframe(None)]),
            ("<iframe src=\"https://x.org/v\"></iframe>", &[]),
            (
                "<a href=\"javascript:go()\">x</a>",
                &[JavascriptUrl("javascript:go()".into())],
            ),
            (
                "<a href=\" JaVa\tScript:go()\">x</a>",
                &[JavascriptUrl("JaVa\tScript:go()".into())],
            ),
            (
                "<a href=\"/posts/a/\">x</a>",
                &[Relative("/posts/a/".into())],
            ),
            ("<a href=\"#fn-1\">1</a>", &[Relative("#fn-1".into())]),
            (
                "<img srcset=\"a.png 1x, https://x.org/b.png 2x\">",
                &[Relative("a.png".into())],
            ),
            (
                "<a href=\"mailto:a@x.org\">mail</a><a href=\"\">empty</a>",
                &[],
            ),
            ("<p onclick=\"x\" on=\"y\">", &[Handler("onclick".into())]),
            ("<blockquote cite=\"/source\">q</blockquote>", &[]),
            (
                "<form action=\"javascript:go()\"></form>",
                &[JavascriptUrl("javascript:go()".into())],
            ),
        ];
        for (html, wanted) in cases {
            assert_eq!(&scan(html), wanted, "{html}");
        }
    }
}
