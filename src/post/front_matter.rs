//! The front matter block of a Markdown post: finding it, and reading it as TOML or YAML.
//!
//! This module only splits the file and deserialises the block into [`FrontMatter`], reporting
//! syntax errors and unknown fields at their line in the file. What the values mean (dates,
//! links, the required title) is checked by `markdown`.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use crate::diagnostic::Diagnostic;

/// The language a front matter block is written in, from its delimiter line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Between `+++` lines.
    Toml,
    /// Between `---` lines.
    Yaml,
}

impl Syntax {
    fn delimiter(self) -> &'static str {
        match self {
            Syntax::Toml => "+++",
            Syntax::Yaml => "---",
        }
    }

    /// How `key` is written with `value` in this syntax, for messages that show the fix.
    pub fn example(self, key: &str, value: &str) -> String {
        match self {
            Syntax::Toml => format!("`{key} = {value}`"),
            Syntax::Yaml => format!("`{key}: {value}`"),
        }
    }
}

/// A front matter block, with where it sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    pub syntax: Syntax,
    /// The lines between the delimiters.
    pub text: &'a str,
    /// The file line of the block's first line (the one after the opening delimiter).
    pub first_line: usize,
}

impl Block<'_> {
    /// The file line where `key` is set, for messages about its value; the opening delimiter's
    /// line when it cannot be found (a quoted or inline-table key).
    pub fn key_line(&self, key: &str) -> usize {
        self.text
            .lines()
            .position(|line| {
                line.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(['=', ':']))
            })
            .map_or(self.first_line - 1, |i| self.first_line + i)
    }
}

impl Block<'_> {
    /// The first file line from `from` on that holds `text` (an item of a list, found by its
    /// value); `from` itself when no later line does or `text` is empty.
    pub fn line_containing(&self, from: usize, text: &str) -> usize {
        if text.is_empty() {
            return from;
        }
        let skip = from.saturating_sub(self.first_line);
        self.text
            .lines()
            .enumerate()
            .skip(skip)
            .find(|(_, line)| line.contains(text))
            .map_or(from, |(i, _)| self.first_line + i)
    }
}

/// Splits `text` (BOM removed, `\n` line endings) into its front matter block and the body.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<(Option<Block<'a>>, &'a str), Diagnostic> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let syntax = match first.trim_end() {
        "+++" => Syntax::Toml,
        "---" => Syntax::Yaml,
        _ => return Ok((None, text)),
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == syntax.delimiter() {
            let block = Block {
                syntax,
                text: &rest[..offset],
                first_line: 2,
            };
            return Ok((Some(block), &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    let delimiter = syntax.delimiter();
    Err(Diagnostic::at_line(
        path,
        1,
        format!(
            "front matter opened with `{delimiter}` on line 1 is never closed: add a `{delimiter}` line after its last field"
        ),
    ))
}

/// The fields a Markdown post may set. Unknown fields are refused so a typo (`tilte`) is reported
/// instead of silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "front matter fields such as `title`")]
pub struct FrontMatter {
    pub title: Option<String>,
    pub date: Option<DateText>,
    pub updated: Option<DateText>,
    pub author: Option<String>,
    pub authors: Option<Vec<String>>,
    pub summary: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub id: Option<String>,
    pub slug: Option<String>,
    #[serde(default)]
    pub draft: bool,
    pub link: Option<String>,
    pub lang: Option<String>,
    /// Podcast episode keys; meaningful on a site with `[podcast]`.
    pub episode: Option<i64>,
    pub season: Option<i64>,
    pub episode_type: Option<String>,
    pub explicit: Option<bool>,
    /// One item or a list; read by `media::read_media`, which names its own errors.
    pub media: Option<serde_json::Value>,
    pub image: Option<String>,
}

/// A date as written: a string, or a native TOML date-time turned back into its RFC 3339 text,
/// so both go through the one date reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateText(pub String);

impl<'de> Deserialize<'de> for DateText {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl<'de> Visitor<'de> for DateVisitor {
            type Value = DateText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date such as 2024-05-01 or \"2024-05-01T10:00:00+02:00\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DateText, E> {
                Ok(DateText(v.to_string()))
            }
            /// The TOML deserializer hands native date-times over as a one-entry map.
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DateText, A::Error> {
                let dt =
                    toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(DateText(dt.to_string()))
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

/// Deserialises `block`; errors name their line in the file, not in the block.
pub fn parse(path: &Path, block: &Block) -> Result<FrontMatter, Diagnostic> {
    let at = |line_in_block: usize, message: String| {
        Diagnostic::at_line(path, block.first_line + line_in_block.max(1) - 1, message)
    };
    match block.syntax {
        Syntax::Toml => toml::from_str(block.text).map_err(|e| {
            let start = e.span().map(|span| span.start);
            let message = e.message().trim();
            // Name the field like the YAML reader does (`draft: invalid type: ...`).
            let message = match start.and_then(|start| toml_key_before(block.text, start)) {
                Some(key) if !message.contains(&format!("`{key}`")) => format!("{key}: {message}"),
                _ => message.to_string(),
            };
            at(start.map_or(0, |start| line_of(block.text, start)), message)
        }),
        Syntax::Yaml => match serde_yaml_ng::from_str::<Option<FrontMatter>>(block.text) {
            Ok(front) => Ok(front.unwrap_or_default()),
            Err(e) => {
                let mut message = e.to_string();
                let mut line = match e.location() {
                    Some(loc) => {
                        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
                        message = message.replacen(&suffix, "", 1);
                        loc.line()
                    }
                    None => 0,
                };
                if let Some((start, digits)) = yaml_context_line(&message) {
                    let in_file = block.first_line + start.max(1) - 1;
                    message.replace_range(digits, &in_file.to_string());
                    line = start;
                }
                Err(at(line, message))
            }
        },
    }
}

/// The block line where the construct a YAML syntax error is about starts ("…, while parsing a
/// flow sequence at line 3 column 7"), and where that number is in the message. An unclosed
/// bracket or quote is only noticed at the end of the block, so that start is the line to name.
fn yaml_context_line(message: &str) -> Option<(usize, std::ops::Range<usize>)> {
    const AT: &str = " at line ";
    let context = message.find("while parsing")?;
    let start = context + message[context..].find(AT)? + AT.len();
    let len = message[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(message.len() - start);
    let line = message[start..start + len].parse().ok()?;
    Some((line, start..start + len))
}

/// The bare key of a `key = value` line when `offset` falls in its value.
fn toml_key_before(text: &str, offset: usize) -> Option<&str> {
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let (key, _) = text.get(line_start..offset)?.split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    bare.then_some(key)
}

/// The 1-based line of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("posts/a.md")
    }

    fn read(text: &str) -> Result<FrontMatter, String> {
        let (block, _) = split(path(), text).map_err(|d| d.to_string())?;
        parse(path(), &block.expect("test input has front matter")).map_err(|d| d.to_string())
    }

    #[test]
    fn splits_toml_and_yaml_blocks_from_the_body() {
        let (block, body) = split(path(), "+++\ntitle = \"T\"\n+++\nBody\n").unwrap();
        let block = block.unwrap();
        assert_eq!(
            (block.syntax, block.text, block.first_line),
            (Syntax::Toml, "title = \"T\"\n", 2)
        );
        assert_eq!(body, "Body\n");
        let (block, body) = split(path(), "--- \ntitle: T\n---").unwrap();
        assert_eq!(block.unwrap().syntax, Syntax::Yaml);
        assert_eq!(body, "");
        let (block, body) = split(path(), "# Heading\n+++\n").unwrap();
        assert!(block.is_none());
        assert_eq!(body, "# Heading\n+++\n");
    }

    #[test]
    fn unclosed_front_matter_names_its_opening_line() {
        let err = split(path(), "+++\ntitle = \"T\"\nbody\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("posts/a.md:1: "), "{err}");
        assert!(err.contains("never closed"), "{err}");
        assert!(split(path(), "---").is_err());
    }

    #[test]
    fn toml_dates_may_be_native_or_strings() {
        let table = [
            ("date = 2024-05-01", "2024-05-01"),
            (
                "date = 2024-05-01T10:00:00+02:00",
                "2024-05-01T10:00:00+02:00",
            ),
            ("date = 2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
            ("date = 2024-05-01T10:00:00", "2024-05-01T10:00:00"),
            ("date = 2024-05-01 10:00:00", "2024-05-01T10:00:00"),
            ("date = \"July 5, 2019\"", "July 5, 2019"),
        ];
        for (line, want) in table {
            let front = read(&format!("+++\n{line}\n+++\n")).unwrap();
            assert_eq!(front.date, Some(DateText(want.into())), "{line}");
        }
        let front = read("---\ndate: 2024-05-01\nupdated: 2024-05-02 10:00\n---\n").unwrap();
        assert_eq!(front.date, Some(DateText("2024-05-01".into())));
        assert_eq!(front.updated, Some(DateText("2024-05-02 10:00".into())));
    }

    #[test]
    fn reads_every_field() {
        let front = read(
            "+++\ntitle = \"T\"\nauthors = [\"A\", \"B\"]\nsummary = \"S\"\ntags = [\"x\"]\n\
             id = \"i\"\nslug = \"s\"\ndraft = true\nlink = \"https://e.org/\"\nlang = \"fr\"\n+++\n",
        )
        .unwrap();
        assert_eq!(front.title.as_deref(), Some("T"));
        assert_eq!(front.authors, Some(vec!["A".to_string(), "B".to_string()]));
        assert_eq!(front.tags, vec!["x".to_string()]);
        assert!(front.draft);
        assert_eq!(front.lang.as_deref(), Some("fr"));
        let front = read("---\n# only a comment\n---\n").unwrap();
        assert!(front.title.is_none() && !front.draft);
        assert!(read("+++\n+++\n").unwrap().title.is_none());
    }

    #[test]
    fn errors_report_the_line_in_the_file() {
        let err = read("+++\ntitle = \"T\"\n\ndraft = \"yes\"\n+++\n").unwrap_err();
        assert!(
            err.starts_with("posts/a.md:4: draft: invalid type"),
            "{err}"
        );
        let err = read("---\n- a list\n---\n").unwrap_err();
        assert!(err.contains("expected front matter fields"), "{err}");
        let err = read("+++\ntitle = \"T\"\ntitle = \"again\"\n+++\n").unwrap_err();
        assert!(err.starts_with("posts/a.md:3: "), "{err}");
        let err = read("---\ntitle: T\ndraft: [\n---\n").unwrap_err();
        assert!(err.starts_with("posts/a.md:3: "), "the unclosed `[`: {err}");
        assert!(
            !err.contains("at line 2"),
            "block lines are file lines: {err}"
        );
        let err = read("---\ntitle: T\n\ndraft: maybe\n---\n").unwrap_err();
        assert!(err.starts_with("posts/a.md:4: "), "{err}");
        assert!(!err.contains("column"), "{err}");
    }

    #[test]
    fn unknown_fields_are_named_with_their_line() {
        let err = read("+++\ntitle = \"T\"\ntilte = \"T\"\n+++\n").unwrap_err();
        assert!(err.starts_with("posts/a.md:3: "), "{err}");
        assert!(err.contains("tilte"), "{err}");
        let err = read("---\ntitle: T\ncolour: red\n---\n").unwrap_err();
        assert!(err.starts_with("posts/a.md:3: "), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn key_line_finds_the_field() {
        let (block, _) = split(path(), "---\ntitle: T\n\ndate:   x\n---\n").unwrap();
        let block = block.unwrap();
        assert_eq!(block.key_line("date"), 4);
        assert_eq!(block.key_line("title"), 2);
        assert_eq!(block.key_line("link"), 1);
    }
}
