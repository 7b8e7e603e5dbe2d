//! JSON Feed 1.x documents → [`RawFeed`]. serde_json keeps no positions, so a value's line is
//! found by looking for it, as serialized, in the text (the first place after the item's start).

use serde_json::Value;

use super::model::{Lines, Located, RawEnclosure, RawEntry, RawFeed, ReadError};
use crate::format::Format;

/// Reads a JSON Feed; the error says why it is not one.
pub fn read(text: &str) -> Result<RawFeed, ReadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ReadError {
        message: e.to_string(),
        line: e.line(),
    })?;
    let version = value
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !version.starts_with("https://jsonfeed.org/version/") {
        return Err(ReadError::at_start(
            "no JSON Feed `version` (https://jsonfeed.org/version/1.1)".to_string(),
        ));
    }
    let finder = Finder {
        text,
        lines: Lines::new(text),
    };
    let string = |key: &str, from: usize| -> Option<Located<String>> {
        let found = value.get(key)?.as_str()?;
        Some(Located::new(
            found.to_string(),
            finder.line_of(key, found, from),
        ))
    };
    let items = value
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut from = 0;
    let mut entries = Vec::new();
    for item in &items {
        let (entry, start) = finder.item(item, from);
        entries.push(entry);
        from = start;
    }
    Ok(RawFeed {
        format: Some(Format::Json),
        self_links: string("feed_url", 0).into_iter().collect(),
        site_link: value
            .get("home_page_url")
            .and_then(Value::as_str)
            .map(str::to_string),
        updated: None,
        entries,
    })
}

/// Finds where a `"key": "value"` pair is written.
struct Finder<'a> {
    text: &'a str,
    lines: Lines,
}

impl Finder<'_> {
    /// The entry of one item, and where it starts (the next item is looked for after it).
    fn item(&self, item: &Value, from: usize) -> (RawEntry, usize) {
        let id = item.get("id").map(|id| match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let start = id
            .as_deref()
            .and_then(|id| self.offset_of("id", id, from))
            .unwrap_or(from);
        let get = |key: &str| -> Option<Located<String>> {
            let found = item.get(key)?.as_str()?;
            Some(Located::new(
                found.to_string(),
                self.line_of(key, found, start),
            ))
        };
        let modified = get("date_modified");
        let published = get("date_published");
        let (updated, dates) = match modified {
            Some(modified) => (Some(modified), published.into_iter().collect()),
            None => (published, Vec::new()),
        };
        let entry = RawEntry {
            line: self.line_at(start),
            id: id.map(|id| Located::new(id, self.line_at(start))),
            updated,
            dates,
            has_summary: item
                .get("summary")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.trim().is_empty()),
            html: get("content_html").into_iter().collect(),
            enclosures: self.attachments(item, start),
        };
        (entry, start)
    }

    /// An item's `attachments`, each at the line of its `url`.
    fn attachments(&self, item: &Value, start: usize) -> Vec<Located<RawEnclosure>> {
        let list = item.get("attachments").and_then(Value::as_array);
        (list.into_iter().flatten())
            .map(|attachment| {
                let text = |key: &str| match attachment.get(key)? {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                let url = text("url").unwrap_or_default();
                let line = self.line_of("url", &url, start);
                let raw = RawEnclosure {
                    url,
                    length: text("size_in_bytes"),
                    mime: text("mime_type"),
                };
                Located::new(raw, line)
            })
            .collect()
    }

    fn offset_of(&self, key: &str, value: &str, from: usize) -> Option<usize> {
        let value = serde_json::to_string(value).ok()?;
        let rest = self.text.get(from..)?;
        let at = rest.find(&value)?;
        // The key precedes the value; start the entry at the key when it is just before.
        let before = &rest[..at];
        let start = before.rfind(&format!("\"{key}\"")).unwrap_or(at);
        Some(from + start)
    }

    fn line_of(&self, key: &str, value: &str, from: usize) -> usize {
        self.line_at(self.offset_of(key, value, from).unwrap_or(from))
    }

    fn line_at(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_items_with_their_lines() {
        let text = "{\n \"version\": \"https://jsonfeed.org/version/1.1\",\n \"feed_url\": \"https://x.org/feed.json\",\n \
                    \"items\": [\n  {\"id\": \"a\",\n   \"content_html\": \"<p>a</p>\"},\n  {\"id\": \"b\", \"summary\": \"s\"}\n ]\n}";
        let feed = read(text).unwrap();
        assert_eq!(
            feed.self_links,
            [Located::new("https://x.org/feed.json".into(), 3)]
        );
        assert_eq!(feed.entries[0].line, 5);
        assert_eq!(feed.entries[0].html, [Located::new("<p>a</p>".into(), 6)]);
        assert_eq!(feed.entries[1].line, 7);
        assert!(feed.entries[1].has_summary && !feed.entries[0].has_summary);
    }

    #[test]
    fn refuses_json_that_is_not_a_feed() {
        assert!(
            read("{\"items\": []}")
                .unwrap_err()
                .message
                .contains("version")
        );
        assert!(read("{").is_err());
    }
}
