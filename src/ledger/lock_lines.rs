//! A quick reader for the lock file exactly as feedd writes it: one record per line, every
//! string plain. A general TOML parser spent 50–75 ms on the lock file of a 10,000-post site,
//! as long as the rest of `feedd --once` took to parse every post on two cores.
//!
//! It reads only what it is sure of and answers `None` for anything else (a hand edit with a
//! bare key, an escape, a comment after a record, a duplicate key, a date that does not parse),
//! so that `lock_format` reads that text with the full parser, which is also the one that
//! explains what is wrong. Whatever it does accept, the full parser reads the same way.

use imbl::OrdMap;

use chrono::{DateTime, FixedOffset};

use super::matching::Record;

/// The version and records of a lock file in feedd's own layout; `None` when the text is laid
/// out any other way.
pub(super) fn read(text: &str) -> Option<(u32, OrdMap<String, Record>)> {
    let mut lines = text.lines();
    let mut version = None;
    for line in lines.by_ref() {
        match line {
            "[posts]" => break,
            "" => {}
            _ if line.starts_with('#') => {}
            _ => {
                let number = line.strip_prefix("version = ")?;
                if version.is_some() || !is_plain_number(number) {
                    return None;
                }
                version = Some(number.parse().ok()?);
            }
        }
    }
    let mut posts = OrdMap::new();
    for line in lines {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, record) = record(line)?;
        if posts.insert(key, record).is_some() {
            return None;
        }
    }
    Some((version?, posts))
}

/// TOML reads `007` as an error and `+7` as 7; neither is what feedd writes.
fn is_plain_number(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

/// `"KEY" = { id = "…", date = "…", title = "…", content = "…" }`
fn record(line: &str) -> Option<(String, Record)> {
    let (key, rest) = string(line)?;
    let rest = rest.strip_prefix(" = { id = ")?;
    let (id, rest) = string(rest)?;
    let (date, rest) = string(rest.strip_prefix(", date = ")?)?;
    let (title, rest) = string(rest.strip_prefix(", title = ")?)?;
    let (content, rest) = string(rest.strip_prefix(", content = ")?)?;
    if rest != " }" {
        return None;
    }
    let date: DateTime<FixedOffset> = date.parse().ok()?;
    let record = Record {
        id: id.to_string(),
        date,
        title: title.to_string(),
        content: content.to_string(),
    };
    Some((key.to_string(), record))
}

/// A basic string at the start of `text` with nothing in it that TOML would unescape or refuse
/// (no backslash, no control character), and the text after it.
fn string(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('"')?;
    let end = inner.find('"')?;
    let value = &inner[..end];
    let plain = value
        .chars()
        .all(|c| c != '\\' && (c == '\t' || !c.is_control()));
    plain.then(|| (value, &inner[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#""a/b.md" = { id = "tag:x,2019-07-05:b", date = "2019-07-05T00:00:00+09:00", title = "Ünïcode	tab", content = "00000000000000ff" }"#;

    #[test]
    fn reads_feedds_own_layout() {
        let text = format!("# header\n# more\nversion = 2\n\n[posts]\n{LINE}\n");
        let (version, posts) = read(&text).unwrap();
        assert_eq!(version, 2);
        let record = &posts["a/b.md"];
        assert_eq!(record.id, "tag:x,2019-07-05:b");
        assert_eq!(record.date.to_rfc3339(), "2019-07-05T00:00:00+09:00");
        assert_eq!(record.title, "Ünïcode\ttab");
        assert_eq!(record.content, "00000000000000ff");
    }

    #[test]
    fn leaves_anything_else_to_the_full_parser() {
        let with = |line: &str| format!("version = 2\n\n[posts]\n{line}\n");
        let others = [
            with(&LINE.replace("\"a/b.md\"", "bare")),
            with(&LINE.replace("Ünïcode", "say \\\"hi\\\"")),
            with(&LINE.replace("Ünïcode", "bell\u{7}")),
            with(&LINE.replace(" }", " } # note")),
            with(&LINE.replace("2019-07-05T00", "2019-13-05T00")),
            with(&LINE.replace("id = \"tag:x,2019-07-05:b\"", "id = 3")),
            with(&format!("{LINE}\n{LINE}")),
            with("[other]"),
            format!("version = 02\n[posts]\n{LINE}\n"),
            format!("version = 2\nversion = 2\n[posts]\n{LINE}\n"),
            format!("[posts]\n{LINE}\n"),
            "{\"version\": 2, \"posts\": {}}".to_string(),
        ];
        for text in others {
            assert!(read(&text).is_none(), "{text}");
        }
    }
}
