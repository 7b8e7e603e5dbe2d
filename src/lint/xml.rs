//! RSS 2.0 and Atom 1.0 documents → [`RawFeed`], with roxmltree (which keeps every node's
//! position, so each detail has its line).

use roxmltree::{Document, Node, ParsingOptions};

use super::model::{Lines, Located, RawEnclosure, RawEntry, RawFeed, ReadError};
use crate::format::Format;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";

/// Reads an RSS or Atom document; the error says why it is not one.
pub fn read(text: &str) -> Result<RawFeed, ReadError> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| ReadError {
        message: e.to_string(),
        line: e.pos().row as usize,
    })?;
    let root = doc.root_element();
    let lines = Lines::new(text);
    let line = |node: Node<'_, '_>| lines.line(node.range().start);
    match (root.tag_name().namespace(), root.tag_name().name()) {
        (None, "rss") => {
            let channel = child(root, None, "channel")
                .ok_or_else(|| ReadError::at_start("<rss> has no <channel>".into()))?;
            Ok(rss(channel, &line))
        }
        (Some(ATOM), "feed") => Ok(atom(root, &line)),
        (ns, name) => Err(ReadError::at_start(format!(
            "the root element is <{name}>{}, neither RSS 2.0 <rss> nor Atom <feed>",
            ns.map(|ns| format!(" in {ns}")).unwrap_or_default()
        ))),
    }
}

type LineOf<'a> = dyn Fn(Node<'_, '_>) -> usize + 'a;

fn child<'a, 'i>(
    node: Node<'a, 'i>,
    ns: Option<&'static str>,
    name: &'static str,
) -> Option<Node<'a, 'i>> {
    children(node, ns, name).next()
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    ns: Option<&'static str>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |n| {
        n.is_element() && n.tag_name().namespace() == ns && n.tag_name().name() == name
    })
}

fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<String>()
        .trim()
        .to_string()
}

fn located(node: Node<'_, '_>, line: &LineOf<'_>) -> Located<String> {
    Located::new(text_of(node), line(node))
}

/// The `self` links among `node`'s Atom `<link>` children.
fn self_links(node: Node<'_, '_>, line: &LineOf<'_>) -> Vec<Located<String>> {
    children(node, Some(ATOM), "link")
        .filter(|l| l.attribute("rel") == Some("self"))
        .map(|l| Located::new(l.attribute("href").unwrap_or_default().to_string(), line(l)))
        .collect()
}

fn rss(channel: Node<'_, '_>, line: &LineOf<'_>) -> RawFeed {
    let entries = children(channel, None, "item")
        .map(|item| {
            let id = child(item, None, "guid").map(|g| located(g, line));
            let updated = child(item, None, "pubDate").map(|d| located(d, line));
            let html: Vec<Located<String>> = child(item, None, "description")
                .into_iter()
                .chain(child(item, Some(CONTENT), "encoded"))
                .map(|n| located(n, line))
                .collect();
            RawEntry {
                line: line(item),
                id,
                updated,
                dates: Vec::new(),
                has_summary: child(item, None, "description")
                    .is_some_and(|d| !text_of(d).is_empty()),
                html,
                enclosures: children(item, None, "enclosure")
                    .map(|e| enclosure(e, "url", line))
                    .collect(),
            }
        })
        .collect();
    RawFeed {
        format: Some(Format::Rss),
        self_links: self_links(channel, line),
        site_link: child(channel, None, "link").map(text_of),
        updated: None,
        entries,
    }
}

fn atom(feed: Node<'_, '_>, line: &LineOf<'_>) -> RawFeed {
    let entries = children(feed, Some(ATOM), "entry")
        .map(|entry| {
            let html = ["content", "summary"]
                .into_iter()
                .filter_map(|name| child(entry, Some(ATOM), name))
                .filter(|n| matches!(n.attribute("type"), Some("html" | "xhtml")))
                .map(|n| atom_html(n, line))
                .collect();
            RawEntry {
                line: line(entry),
                id: child(entry, Some(ATOM), "id").map(|n| located(n, line)),
                updated: child(entry, Some(ATOM), "updated").map(|n| located(n, line)),
                dates: child(entry, Some(ATOM), "published")
                    .map(|n| located(n, line))
                    .into_iter()
                    .collect(),
                has_summary: child(entry, Some(ATOM), "summary")
                    .is_some_and(|s| !text_of(s).is_empty()),
                html,
                enclosures: children(entry, Some(ATOM), "link")
                    .filter(|l| l.attribute("rel") == Some("enclosure"))
                    .map(|l| enclosure(l, "href", line))
                    .collect(),
            }
        })
        .collect();
    let site_link = children(feed, Some(ATOM), "link")
        .find(|l| matches!(l.attribute("rel"), None | Some("alternate")))
        .and_then(|l| l.attribute("href"))
        .map(str::to_string);
    RawFeed {
        format: Some(Format::Atom),
        self_links: self_links(feed, line),
        site_link,
        updated: child(feed, Some(ATOM), "updated").map(|n| located(n, line)),
        entries,
    }
}

/// An RSS `<enclosure>` or Atom enclosure link; `url` names the attribute holding the address.
fn enclosure(node: Node<'_, '_>, url: &str, line: &LineOf<'_>) -> Located<RawEnclosure> {
    let attribute = |name: &str| node.attribute(name).map(str::to_string);
    let raw = RawEnclosure {
        url: attribute(url).unwrap_or_default(),
        length: attribute("length"),
        mime: attribute("type"),
    };
    Located::new(raw, line(node))
}

/// The HTML of an Atom text construct: escaped for `type="html"`, the markup itself (as the
/// document's source text) for `type="xhtml"`.
fn atom_html(node: Node<'_, '_>, line: &LineOf<'_>) -> Located<String> {
    if node.attribute("type") == Some("xhtml") {
        let source = node.document().input_text();
        let inner = node
            .first_child()
            .zip(node.last_child())
            .map(|(first, last)| &source[first.range().start..last.range().end])
            .unwrap_or_default();
        Located::new(inner.to_string(), line(node))
    } else {
        located(node, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_items_with_their_lines() {
        let feed = read(
            "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>\n\
             <atom:link rel=\"self\" href=\"https://x.org/rss.xml\"/>\n\
             <item><guid>a</guid><pubDate>Fri, 5 Jul 2019 00:00:00 +0900</pubDate>\n\
             <description>&lt;p&gt;hi&lt;/p&gt;</description></item>\n\
             </channel></rss>",
        )
        .unwrap();
        assert_eq!(
            feed.self_links,
            [Located::new("https://x.org/rss.xml".into(), 2)]
        );
        let item = &feed.entries[0];
        assert_eq!(item.line, 3);
        assert_eq!(item.id.as_ref().unwrap().value, "a");
        assert_eq!(item.html[0], Located::new("<p>hi</p>".into(), 4));
        assert!(item.has_summary);
    }

    #[test]
    fn reads_atom_xhtml_content_as_markup() {
        let feed = read(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>x</id>\
             <content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><script>1</script></div></content>\
             </entry></feed>",
        )
        .unwrap();
        assert!(feed.self_links.is_empty());
        assert!(
            feed.entries[0].html[0].value.contains("<script>"),
            "{:?}",
            feed.entries[0].html
        );
        assert!(!feed.entries[0].has_summary);
    }

    #[test]
    fn refuses_what_is_not_a_feed() {
        for (text, wanted) in [
            ("<html/>", "<html>"),
            ("<rss>", "never closed"),
            ("<rss version=\"2.0\"/>", "no <channel>"),
        ] {
            let err = read(text).unwrap_err().message;
            assert!(err.contains(wanted), "{text}: {err}");
        }
    }
}
