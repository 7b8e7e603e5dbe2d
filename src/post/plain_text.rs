//! Plain-text posts: a title line, an optional `Posted on DATE by AUTHOR` byline, and
//! blank-line-separated paragraphs that become escaped `<p>` elements.
//!
//! The byline is recognised by its `Posted on` opening alone, so a first paragraph that starts
//! with those words must not follow the title directly. Falling back to the file name for the
//! date, and the slug, are `fields`' job.

use std::path::Path;

use super::fields::{Fields, Hints};
use super::{Content, ParseOptions, date};
use crate::diagnostic::Diagnostic;

/// Reads a plain-text post (BOM removed, `\n` line endings).
pub(super) fn parse(path: &Path, text: &str, options: &ParseOptions) -> Result<Fields, Diagnostic> {
    let Some(parts) = Parts::of(text) else {
        return Err(Diagnostic::at_line(
            path,
            1,
            "empty post: the first non-blank line is the title",
        ));
    };
    let (title_line, title) = parts.title;
    let mut fields = Fields::new(Hints::Byline, title.trim().to_string(), title_line);
    if let Some((line, Byline { date, author })) = parts.byline {
        if let Some(text) = date {
            let date = date::parse(&text, options.timezone).map_err(|e| {
                Diagnostic::at_line(
                    path,
                    line,
                    format!("the date in the `Posted on` byline: {e}"),
                )
            })?;
            fields.date = Some(date);
        }
        fields.authors = author.into_iter().collect();
    }
    fields.body_hash = super::fingerprint(&parts.body.join("\n"));
    Ok(fields)
}

/// The body of a plain-text post as HTML: one escaped `<p>` per paragraph.
pub(super) fn render_body(text: &str) -> Content {
    let body = Parts::of(text).map(|p| p.body).unwrap_or_default();
    let paragraphs = paragraphs(body.into_iter());
    Content {
        html: paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>\n", escape_html(p)))
            .collect(),
        excerpt: paragraphs
            .first()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    }
}

/// A plain-text post cut into its title, byline and body lines.
struct Parts<'a> {
    /// Line number and text.
    title: (usize, &'a str),
    byline: Option<(usize, Byline)>,
    body: Vec<&'a str>,
}

impl<'a> Parts<'a> {
    /// `None` for a post without any non-blank line.
    fn of(text: &'a str) -> Option<Parts<'a>> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, line)| (i + 1, line.trim_end()));
        let title = lines.by_ref().find(|(_, line)| !line.trim().is_empty())?;
        let mut rest = lines
            .skip_while(|(_, line)| line.trim().is_empty())
            .peekable();
        let byline = rest
            .peek()
            .and_then(|(line, text)| Byline::parse(text).map(|b| (*line, b)));
        if byline.is_some() {
            rest.next();
        }
        Some(Parts {
            title,
            byline,
            body: rest.map(|(_, line)| line).collect(),
        })
    }
}

/// `Posted on <date> by <author>`, either part possibly empty.
#[derive(Debug, PartialEq, Eq)]
struct Byline {
    date: Option<String>,
    author: Option<String>,
}

impl Byline {
    /// Words are rejoined with single spaces, so stray double spaces do not matter.
    fn parse(line: &str) -> Option<Byline> {
        let line = line.trim();
        let opening = line.get(..9)?;
        let rest = &line[9..];
        if !opening.eq_ignore_ascii_case("posted on")
            || rest.starts_with(|c: char| !c.is_whitespace())
        {
            return None;
        }
        // No accepted date form contains the word "by", so its first occurrence starts the author.
        let words: Vec<&str> = rest.split_whitespace().collect();
        let by = words.iter().position(|w| w.eq_ignore_ascii_case("by"));
        let (date_words, author_words) = match by {
            Some(i) => (&words[..i], &words[i + 1..]),
            None => (&words[..], &[][..]),
        };
        let date = (!date_words.is_empty()).then(|| date_words.join(" "));
        let author = (!author_words.is_empty()).then(|| author_words.join(" "));
        Some(Byline { date, author })
    }
}

/// Runs of non-blank lines, each joined with `\n`.
fn paragraphs<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in lines {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n"));
    }
    out
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn read(text: &str) -> Result<Fields, String> {
        let options = ParseOptions { timezone: Tz::UTC };
        parse(Path::new("notes/a.txt"), text, &options).map_err(|d| d.to_string())
    }

    #[test]
    fn reads_title_byline_and_paragraphs() {
        let text = "\n  Hello <World>  \n\nPosted on July 5, 2019 by Jane Doe\n\nFirst line\nsecond & \"third\"\n\n\n\nLast.  \n";
        let f = read(text).unwrap();
        assert_eq!((f.title.as_str(), f.title_line), ("Hello <World>", 2));
        assert_eq!(f.date.unwrap().to_rfc3339(), "2019-07-05T00:00:00+00:00");
        assert_eq!(f.authors, ["Jane Doe"]);
        let content = render_body(text);
        assert_eq!(
            content.html,
            "<p>First line\nsecond &amp; &quot;third&quot;</p>\n<p>Last.</p>\n"
        );
        assert_eq!(content.excerpt, "First line second & \"third\"");
    }

    /// What `feedd lint` (FD030) tells authors of posts that share a day to write.
    #[test]
    fn a_byline_date_may_carry_a_time_of_day() {
        let f = read("Title\n\nPosted on 2019-06-30 14:00 by Jane\n\nText.\n").unwrap();
        assert_eq!(f.date.unwrap().to_rfc3339(), "2019-06-30T14:00:00+00:00");
    }

    #[test]
    fn byline_parts_may_be_empty() {
        let table = [
            ("Posted on by", None, None),
            ("Posted on  by Jane Doe", None, Some("Jane Doe")),
            ("Posted on July 5, 2019 by", Some("July 5, 2019"), None),
            ("Posted on 2019-07-05", Some("2019-07-05"), None),
            (
                "posted ON 2019-07-05 BY  Jane   Doe ",
                Some("2019-07-05"),
                Some("Jane Doe"),
            ),
            ("Posted on", None, None),
        ];
        for (line, date, author) in table {
            let want = Byline {
                date: date.map(String::from),
                author: author.map(String::from),
            };
            assert_eq!(Byline::parse(line), Some(want), "{line}");
        }
        for not_a_byline in ["Posted only", "Posted onwards by x", "A post", "Posted"] {
            assert_eq!(Byline::parse(not_a_byline), None, "{not_a_byline}");
        }
    }

    #[test]
    fn no_byline_means_the_body_starts_after_the_title() {
        let f = read("Title\nBody text.\n").unwrap();
        assert_eq!(f.date, None);
        assert!(f.authors.is_empty());
        assert_eq!(
            render_body("Title\nBody text.\n").html,
            "<p>Body text.</p>\n"
        );
        assert_eq!(render_body("Title\nPosted on by\n"), Content::default());
    }

    #[test]
    fn bad_byline_date_is_reported_on_its_line() {
        let err = read("Title\n\nPosted on someday by Jane\n").unwrap_err();
        assert!(
            err.starts_with("notes/a.txt:3: the date in the `Posted on` byline: `someday`"),
            "{err}"
        );
    }

    #[test]
    fn blank_file_is_an_empty_post() {
        for text in ["", "\n\n", "  \t \n"] {
            let err = read(text).unwrap_err();
            assert_eq!(
                err,
                "notes/a.txt:1: empty post: the first non-blank line is the title"
            );
        }
    }
}
