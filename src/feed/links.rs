//! Absolute links: each post's permalink, and relative `href`/`src` in content made absolute.
//!
//! Feed readers show content far from the site, where a relative URL points nowhere, so every
//! relative reference is resolved against the post's permalink, the page the content belongs to.

use chrono::{DateTime, Datelike, FixedOffset};
use chrono_tz::Tz;
use lol_html::{RewriteStrSettings, element, rewrite_str};
use url::Url;

/// The post's page: `base_url` joined with `post_path`, placeholders filled in.
pub fn permalink(
    base_url: &Url,
    post_path: &str,
    slug: &str,
    date: &DateTime<FixedOffset>,
    tz: Tz,
) -> Url {
    let local = date.with_timezone(&tz);
    let path = post_path
        .replace("{slug}", slug)
        .replace("{year}", &format!("{:04}", local.year()))
        .replace("{month}", &format!("{:02}", local.month()))
        .replace("{day}", &format!("{:02}", local.day()));
    // The slug is a plain ASCII slug and the pattern was checked at config load, so joining only
    // fails on patterns like "//host", which then fall back to the base itself.
    base_url
        .join(path.trim_start_matches('/'))
        .unwrap_or_else(|_| base_url.clone())
}

/// Rewrites relative URLs in `href`, `src`, `poster` and `srcset` attributes against `base`.
///
/// Returns the input unchanged if the rewriter rejects it (it only fails on memory limits, which
/// a post cannot reach with the default settings).
pub fn absolutize_html(html: &str, base: &Url) -> String {
    let resolve = |value: &str| -> Option<String> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return None;
        }
        base.join(trimmed).ok().map(String::from)
    };
    let settings = RewriteStrSettings {
        element_content_handlers: vec![element!("[href], [src], [poster], [srcset]", |el| {
            for name in ["href", "src", "poster"] {
                if let Some(value) = el.get_attribute(name)
                    && let Some(absolute) = resolve(&value)
                    && absolute != value
                {
                    el.set_attribute(name, &absolute)?;
                }
            }
            if let Some(srcset) = el.get_attribute("srcset") {
                let rewritten = rewrite_srcset(&srcset, &resolve);
                if rewritten != srcset {
                    el.set_attribute("srcset", &rewritten)?;
                }
            }
            Ok(())
        })],
        ..RewriteStrSettings::new()
    };
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// `srcset` is a comma-separated list of "URL [descriptor]" candidates.
fn rewrite_srcset(srcset: &str, resolve: &dyn Fn(&str) -> Option<String>) -> String {
    srcset
        .split(',')
        .map(|candidate| {
            let candidate = candidate.trim();
            let (url, descriptor) = candidate
                .split_once(char::is_whitespace)
                .map_or((candidate, ""), |(u, d)| (u, d.trim()));
            let url = resolve(url).unwrap_or_else(|| url.to_string());
            if descriptor.is_empty() {
                url
            } else {
                format!("{url} {descriptor}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.org/blog/posts/hello/").unwrap()
    }

    #[test]
    fn permalink_fills_placeholders_in_site_time_zone() {
        let base_url = Url::parse("https://example.org/blog/").unwrap();
        let date = DateTime::parse_from_rfc3339("2019-07-04T23:30:00Z").unwrap();
        let url = permalink(
            &base_url,
            "{year}/{month}/{day}/{slug}/",
            "x",
            &date,
            chrono_tz::Asia::Seoul,
        );
        assert_eq!(url.as_str(), "https://example.org/blog/2019/07/05/x/");
    }

    #[test]
    fn relative_urls_become_absolute() {
        let html = r##"<p><a href="../other/">o</a> <img src="images/p1.png" alt="x"> <a href="/root">r</a> <a href="https://else.org/">e</a> <a href="mailto:a@b.c">m</a> <a href="#fn1">1</a></p>"##;
        let out = absolutize_html(html, &base());
        assert!(
            out.contains(r#"href="https://example.org/blog/posts/other/""#),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://example.org/blog/posts/hello/images/p1.png""#),
            "{out}"
        );
        assert!(out.contains(r#"href="https://example.org/root""#), "{out}");
        assert!(out.contains(r#"href="https://else.org/""#), "{out}");
        assert!(out.contains(r#"href="mailto:a@b.c""#), "{out}");
        assert!(
            out.contains(r##"href="https://example.org/blog/posts/hello/#fn1""##),
            "{out}"
        );
    }

    #[test]
    fn srcset_candidates_are_rewritten() {
        let out = absolutize_html(r#"<img srcset="a.png 1x, b.png 2x">"#, &base());
        assert!(
            out.contains(r#"srcset="https://example.org/blog/posts/hello/a.png 1x, https://example.org/blog/posts/hello/b.png 2x""#),
            "{out}"
        );
    }

    #[test]
    fn text_and_escapes_are_left_alone() {
        let html = "<p>a &amp; b &lt;script&gt; src=\"x\"</p>";
        assert_eq!(absolutize_html(html, &base()), html);
    }
}
