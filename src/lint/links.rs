//! The feed's own address: a `self` link that is missing, relative, not the address the
//! document is published at, or not canonical (http against an https site, an uppercase host, a
//! default port, an `index.xml` variant).

use url::Url;

use super::Context;
use super::finding::{Code, Finding};
use super::model::{Located, RawFeed};

pub fn check(feed: &RawFeed, cx: &Context<'_>) -> Vec<Finding> {
    let Some(link) = feed.self_links.first() else {
        return vec![Finding::new(
            Code::MissingSelf,
            cx.document,
            Some(1),
            "the feed has no self link".into(),
        )];
    };
    let Ok(url) = Url::parse(link.value.trim()) else {
        return vec![Finding::new(
            Code::RelativeSelf,
            cx.document,
            Some(link.line),
            format!("the self link {:?} is not an absolute URL", link.value),
        )];
    };
    let at = |code, message| Finding::new(code, cx.document, Some(link.line), message);
    let mut findings = Vec::new();
    if let Some(address) = cx.address
        && *address != url
    {
        findings.push(at(
            Code::SelfNotAddress,
            format!("the self link is {url}, but the document is published at {address}"),
        ));
    }
    let site = cx
        .base_url
        .cloned()
        .or_else(|| feed.site_link.as_deref().and_then(|l| Url::parse(l).ok()));
    if let Some(site) = site
        && matches!(
            (site.scheme(), url.scheme()),
            ("https", "http") | ("http", "https")
        )
    {
        findings.push(at(
            Code::SchemeMismatch,
            format!(
                "the self link uses {} but the site {site} uses {}",
                url.scheme(),
                site.scheme()
            ),
        ));
    }
    findings.extend(
        canonical(link, &url)
            .into_iter()
            .map(|(code, message)| at(code, message)),
    );
    findings
}

/// How the self link is written otherwise than its one canonical form.
fn canonical(link: &Located<String>, url: &Url) -> Vec<(Code, String)> {
    let mut found = Vec::new();
    if let Some(normal) = unnormalized(link) {
        found.push((
            Code::UnnormalizedUrl,
            format!("the self link {:?} is canonically {normal}", link.value),
        ));
    }
    let last = (url.path_segments())
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    if last.starts_with("index.") && last != "index.html" {
        found.push((
            Code::IndexVariant,
            format!("the self link ends in {last}; the feed is also reachable without it"),
        ));
    }
    found
}

/// The normal form of the link when it is written otherwise (the WHATWG URL parser lowercases
/// the host, drops default ports and dot segments, adds the root path).
fn unnormalized(link: &Located<String>) -> Option<String> {
    let written = link.value.trim();
    let normal = Url::parse(written).ok()?;
    (normal.as_str() != written).then(|| normal.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::tests::context;

    /// Self links, site link, address, base_url → codes.
    type Case = (
        &'static [&'static str],
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        &'static [Code],
    );

    fn codes(
        links: &[&str],
        site: Option<&str>,
        address: Option<&str>,
        base: Option<&str>,
    ) -> Vec<Code> {
        let feed = RawFeed {
            self_links: links
                .iter()
                .map(|l| Located::new(l.to_string(), 2))
                .collect(),
            site_link: site.map(str::to_string),
            ..RawFeed::default()
        };
        let address = address.map(|a| Url::parse(a).unwrap());
        let base = base.map(|a| Url::parse(a).unwrap());
        let mut cx = context();
        cx.address = address.as_ref();
        cx.base_url = base.as_ref();
        check(&feed, &cx).iter().map(|f| f.code).collect()
    }

    #[test]
    fn self_link_rules() {
        let cases: &[Case] = &[
            (
                &["https://x.org/atom.xml"],
                Some("https://x.org/"),
                None,
                None,
                &[],
            ),
            (&[], None, None, None, &[Code::MissingSelf]),
            (&["/atom.xml"], None, None, None, &[Code::RelativeSelf]),
            (
                &["http://x.org/atom.xml"],
                Some("https://x.org/"),
                None,
                None,
                &[Code::SchemeMismatch],
            ),
            (
                &["http://x.org/atom.xml"],
                None,
                None,
                Some("https://x.org/"),
                &[Code::SchemeMismatch],
            ),
            (
                &["https://X.org:443/atom.xml"],
                None,
                None,
                None,
                &[Code::UnnormalizedUrl],
            ),
            (
                &["https://x.org"],
                None,
                None,
                None,
                &[Code::UnnormalizedUrl],
            ),
            (
                &["https://x.org/feed/index.xml"],
                None,
                None,
                None,
                &[Code::IndexVariant],
            ),
            (
                &["https://x.org/a.xml"],
                None,
                Some("https://x.org/atom.xml"),
                None,
                &[Code::SelfNotAddress],
            ),
            (
                &["https://x.org/atom.xml"],
                None,
                Some("https://x.org/atom.xml"),
                None,
                &[],
            ),
        ];
        for (links, site, address, base, wanted) in cases {
            assert_eq!(
                &codes(links, *site, *address, *base),
                wanted,
                "{links:?} {site:?} {address:?}"
            );
        }
    }
}
