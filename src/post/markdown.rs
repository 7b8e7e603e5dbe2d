//! Markdown posts: front matter fields checked for meaning, the body rendered to HTML.
//!
//! Splitting and deserialising the front matter is `front_matter`'s job, the rules shared with
//! plain-text posts (date fallback, slug, list cleaning) are `fields`'. Relative URLs in the body
//! are left as written; `feed` makes them absolute.

use std::path::Path;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use url::Url;

use super::fields::{Fields, Hints};
use super::front_matter::{self, Block, DateText, FrontMatter, Syntax};
use super::{Content, ParseOptions, date};
use crate::diagnostic::Diagnostic;
use crate::media::{self, Declared};
use crate::podcast::{EpisodeKeys, EpisodeType};

/// Reads a Markdown post (BOM removed, `\n` line endings).
pub(super) fn parse(path: &Path, text: &str, options: &ParseOptions) -> Result<Fields, Diagnostic> {
    let (block, body) = front_matter::split(path, text)?;
    let front = match &block {
        Some(block) => front_matter::parse(path, block)?,
        None => FrontMatter::default(),
    };
    let syntax = block.as_ref().map_or(Syntax::Toml, |b| b.syntax);
    let line_of = |key: &str| block.as_ref().map_or(1, |b: &Block| b.key_line(key));

    let episode = episode_keys(&front, syntax)
        .map_err(|(key, m)| Diagnostic::at_line(path, line_of(key), m))?;
    let Some(title) = front.title else {
        return Err(missing_title(path, block.is_some(), syntax));
    };
    let mut fields = Fields::new(Hints::FrontMatter(syntax), title, line_of("title"));
    let read_date = |key: &str, text: DateText| {
        let line = line_of(key);
        date::parse(&text.0, options.timezone)
            .map(|date| (date, line))
            .map_err(|e| Diagnostic::at_line(path, line, format!("`{key}`: {e}")))
    };
    fields.date = front
        .date
        .map(|d| read_date("date", d))
        .transpose()?
        .map(|(d, _)| d);
    fields.updated = front.updated.map(|d| read_date("updated", d)).transpose()?;
    fields.authors = authors(front.author, front.authors)
        .map_err(|m| Diagnostic::at_line(path, line_of("authors"), m))?;
    fields.id = post_id(front.id).map_err(|m| Diagnostic::at_line(path, line_of("id"), m))?;
    fields.link = front
        .link
        .map(|link| check_link(&link).map_err(|m| Diagnostic::at_line(path, line_of("link"), m)))
        .transpose()?;
    fields.summary = front.summary;
    fields.tags = front.tags;
    fields.slug = front.slug.map(|slug| (slug, line_of("slug")));
    fields.draft = front.draft;
    fields.lang = front.lang;
    fields.episode = episode;
    fields.body_hash = super::fingerprint(body);
    read_media(path, block.as_ref(), front.media, front.image, &mut fields)?;
    Ok(fields)
}

/// The podcast episode keys, each checked; an error names its key, for its line.
fn episode_keys(
    front: &FrontMatter,
    syntax: Syntax,
) -> Result<EpisodeKeys, (&'static str, String)> {
    let count = |key: &'static str, value: Option<i64>| match value {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| {
                (
                    key,
                    format!(
                        "`{key}` is {n}: number from 1, e.g. {}",
                        syntax.example(key, "1")
                    ),
                )
            }),
    };
    let kind = match front.episode_type.as_deref() {
        None => None,
        Some(text) => Some(EpisodeType::parse(text.trim()).ok_or_else(|| {
            let names = EpisodeType::NAMES.map(|n| format!("\"{n}\"")).join(", ");
            (
                "episode_type",
                format!("`episode_type` is \"{text}\": write one of {names}"),
            )
        })?),
    };
    Ok(EpisodeKeys {
        number: count("episode", front.episode)?,
        season: count("season", front.season)?,
        kind,
        explicit: front.explicit,
    })
}

/// `media` and `image`, each item with the line it is written on.
fn read_media(
    path: &Path,
    block: Option<&Block>,
    media: Option<serde_json::Value>,
    image: Option<String>,
    fields: &mut Fields,
) -> Result<(), Diagnostic> {
    let Some(block) = block else {
        return Ok(());
    };
    let at = |(line, message): media::LineError| Diagnostic::at_line(path, line, message);
    if let Some(value) = media {
        let key = block.key_line("media");
        let line_of = |text: &str| block.line_containing(key, text);
        fields.media = media::read_media(&value, line_of).map_err(at)?;
    }
    if let Some(image) = image {
        let line = block.key_line("image");
        let src = media::read_image(&image, line).map_err(at)?;
        fields.image = Some(Declared::new(src, line));
    }
    Ok(())
}

fn missing_title(path: &Path, has_front_matter: bool, syntax: Syntax) -> Diagnostic {
    let where_ = if has_front_matter {
        "to the front matter"
    } else {
        "to a front matter block (between `+++` lines) at the top of the file"
    };
    Diagnostic::at_line(
        path,
        1,
        format!(
            "missing `title`: add {} {where_}",
            syntax.example("title", "\"...\"")
        ),
    )
}

/// `author` is a shorthand for a list of one; giving both is a mistake worth naming.
fn authors(author: Option<String>, authors: Option<Vec<String>>) -> Result<Vec<String>, String> {
    match (author, authors) {
        (Some(_), Some(_)) => {
            Err("both `author` and `authors` are set: keep one (`authors` takes a list)".into())
        }
        (Some(author), None) => Ok(vec![author]),
        (None, authors) => Ok(authors.unwrap_or_default()),
    }
}

/// An `id` overrides the minted one for good, so an empty one is refused rather than ignored.
fn post_id(id: Option<String>) -> Result<Option<String>, String> {
    match id {
        Some(id) if id.trim().is_empty() => {
            Err("`id` is empty: remove it, or give the post an id that will never change".into())
        }
        id => Ok(id.map(|id| id.trim().to_string())),
    }
}

/// The body of a Markdown post as HTML.
pub(super) fn render_body(path: &Path, text: &str) -> Result<Content, Diagnostic> {
    let (_, body) = front_matter::split(path, text)?;
    let mut html = String::with_capacity(body.len() + body.len() / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(body, cmark_options()));
    Ok(Content {
        html,
        excerpt: excerpt(body),
    })
}

/// `link` replaces the permalink in every feed, so it must work from anywhere: absolute http(s).
fn check_link(raw: &str) -> Result<String, String> {
    let fix = "write an absolute http(s) address such as \"https://example.org/post\"";
    match Url::parse(raw.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(url.into())
        }
        Ok(_) => Err(format!(
            "`link = \"{raw}\"` is not an http(s) address: {fix}"
        )),
        Err(e) => Err(format!(
            "`link = \"{raw}\"` is not an absolute URL ({e}): {fix}"
        )),
    }
}

/// The first paragraph as plain text.
///
/// Most posts open with a plain paragraph, and finding it should not cost a parse of the whole
/// body (pulldown-cmark's first pass reads every block before the first event). So the text up
/// to the first blank line is tried alone; its answer is taken only when that text starts like a
/// plain paragraph and has no `[` (a link or footnote reference could be defined further down);
/// when it cannot hold any markup at all, it is not even parsed ([`plain_paragraph`]).
/// Anything else gets the full parse.
fn excerpt(body: &str) -> String {
    let start = body.len() - body.trim_start_matches(['\n', ' ']).len();
    if let Some(end) = body[start..].find("\n\n").map(|i| start + i) {
        let head = &body[..end];
        let first = &head[start..];
        let plain_start = !first
            .starts_with(['#', '>', '-', '*', '+', '`', '~', '<', '|', '[', '_', '='])
            && !first.starts_with(|c: char| c.is_ascii_digit())
            && !head.starts_with("    ")
            && !head.contains(['[', '\t']);
        if plain_start {
            if let Some(text) = plain_paragraph(first) {
                return text;
            }
            let text = first_paragraph_text(Parser::new_ext(head, cmark_options()));
            if !text.is_empty() {
                return text;
            }
        }
    }
    first_paragraph_text(Parser::new_ext(body, cmark_options()))
}

/// The text of `head` (a post's text up to its first blank line) with whitespace collapsed, when
/// that text can only be one paragraph without markup, as most opening paragraphs are: no
/// character that starts inline markup, escapes or entities, and no line that could start a
/// block, underline a heading or be blank. `None` when unsure; the parser decides then.
fn plain_paragraph(head: &str) -> Option<String> {
    const MARKUP: [char; 11] = ['\\', '`', '*', '_', '<', '&', '~', '|', '[', '\t', '\0'];
    let plain_line = |line: &str| {
        let text = line.trim_start_matches(' ');
        !text.is_empty()
            && !text.starts_with(['#', '>', '-', '+', '='])
            && !text.starts_with(|c: char| c.is_ascii_digit())
    };
    if head.contains(MARKUP) || !head.lines().all(plain_line) {
        return None;
    }
    let text = head.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// CommonMark with the usual extensions.
fn cmark_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// The text and code of the first paragraph that has any, outside footnotes and image alt
/// text; entities are already decoded by the parser, and whitespace is collapsed. Stops at the
/// end of that paragraph, so the rest of the body is never inline-parsed.
fn first_paragraph_text<'a>(events: impl Iterator<Item = Event<'a>>) -> String {
    let mut in_paragraph = false;
    let mut images = 0usize;
    let mut footnotes = 0usize;
    let mut text = String::new();
    for event in events {
        match event {
            Event::Start(Tag::FootnoteDefinition(_)) => footnotes += 1,
            Event::End(TagEnd::FootnoteDefinition) => footnotes = footnotes.saturating_sub(1),
            Event::Start(Tag::Image { .. }) => images += 1,
            Event::End(TagEnd::Image) => images = images.saturating_sub(1),
            Event::Start(Tag::Paragraph) if footnotes == 0 => {
                in_paragraph = true;
                text.clear();
            }
            Event::End(TagEnd::Paragraph) if in_paragraph => {
                in_paragraph = false;
                let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !collapsed.is_empty() {
                    return collapsed;
                }
            }
            Event::Text(t) | Event::Code(t) if in_paragraph && images == 0 => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            _ => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn read(text: &str) -> Result<Fields, String> {
        let options = ParseOptions { timezone: Tz::UTC };
        parse(Path::new("posts/a.md"), text, &options).map_err(|d| d.to_string())
    }

    #[test]
    fn reads_the_podcast_episode_keys() {
        let fields = read(
            "+++\ntitle = \"T\"\nepisode = 3\nseason = 1\nepisode_type = \"trailer\"\nexplicit = true\n+++\n",
        )
        .unwrap();
        let want = EpisodeKeys {
            number: Some(3),
            season: Some(1),
            kind: Some(EpisodeType::Trailer),
            explicit: Some(true),
        };
        assert_eq!(fields.episode, want);
        let fields = read("---\ntitle: T\nepisode: 12\nepisode_type: bonus\n---\n").unwrap();
        assert_eq!(fields.episode.number, Some(12));
        assert_eq!(fields.episode.kind, Some(EpisodeType::Bonus));
        assert!(!read("+++\ntitle = \"T\"\n+++\n").unwrap().episode.is_set());
    }

    #[test]
    fn a_wrong_episode_key_is_reported_at_its_line() {
        for (text, line, wanted) in [
            (
                "+++\ntitle = \"T\"\n\nepisode = 0\n+++\n",
                4,
                "`episode` is 0: number from 1, e.g. `episode = 1`",
            ),
            (
                "---\ntitle: T\nseason: -2\n---\n",
                3,
                "`season` is -2: number from 1, e.g. `season: 1`",
            ),
            (
                "+++\ntitle = \"T\"\nepisode_type = \"extra\"\n+++\n",
                3,
                "write one of \"full\", \"trailer\", \"bonus\"",
            ),
            (
                "+++\ntitle = \"T\"\nexplicit = \"yes\"\n+++\n",
                3,
                "explicit",
            ),
            (
                "+++\ntitle = \"T\"\nepisode = \"three\"\n+++\n",
                3,
                "episode",
            ),
        ] {
            let err = read(text).unwrap_err();
            assert!(err.starts_with(&format!("posts/a.md:{line}: ")), "{err}");
            assert!(err.contains(wanted), "{err}");
        }
    }

    #[test]
    fn media_in_every_form_keeps_the_line_of_each_item() {
        let one =
            read("+++\ntitle = \"T\"\nmedia = \"ep1.mp3\"\nimage = \"cover.jpg\"\n+++\n").unwrap();
        assert_eq!(one.media.len(), 1);
        assert_eq!(one.media[0].src, media::Src::Local("ep1.mp3".into()));
        assert_eq!(one.media[0].line, 3);
        let image = one.image.unwrap();
        assert_eq!(
            (image.src, image.line),
            (media::Src::Local("cover.jpg".into()), 4)
        );
        let toml = read(
            "+++\ntitle = \"T\"\nmedia = [\n  \"a.mp3\",\n  { src = \"b.ogg\", type = \"audio/ogg\", length = 3, duration = \"00:01:02\", title = \"B\" },\n]\n+++\n",
        )
        .unwrap();
        let lines: Vec<usize> = toml.media.iter().map(|m| m.line).collect();
        assert_eq!(lines, [4, 5]);
        assert_eq!(toml.media[1].duration_secs, Some(62));
        let yaml = read(
            "---\ntitle: T\nmedia:\n  - a.mp3\n  - src: https://cdn.example.org/b.mp3\n    length: 1000\n    duration: 61\nimage: https://e.org/c.png\n---\n",
        )
        .unwrap();
        let lines: Vec<usize> = yaml.media.iter().map(|m| m.line).collect();
        assert_eq!(lines, [4, 5]);
        assert_eq!(yaml.media[1].mime.as_deref(), Some("audio/mpeg"));
        assert_eq!(
            yaml.image.unwrap().src,
            media::Src::Url("https://e.org/c.png".into())
        );
        let table =
            read("+++\ntitle = \"T\"\n[media]\nsrc = \"a.mp3\"\ntitle = \"A\"\n+++\n").unwrap();
        assert_eq!(table.media[0].title.as_deref(), Some("A"));
        assert_eq!(table.media[0].line, 4);
    }

    #[test]
    fn media_errors_name_the_file_and_line() {
        let cases = [
            (
                "+++\ntitle = \"T\"\n\nmedia = [\"a.mp3\", \"https://e.org/b.mp3\"]\n+++\n",
                "posts/a.md:4: `media` https://e.org/b.mp3 is a URL",
            ),
            (
                "---\ntitle: T\nmedia:\n  - a.mp3\n  - src: b.mp3\n    lenght: 3\n---\n",
                "posts/a.md:5: `media` has no key `lenght`",
            ),
            (
                "---\ntitle: T\nmedia:\n  - type: audio/mpeg\n---\n",
                "posts/a.md:3: a `media` table has no `src`",
            ),
            (
                "+++\ntitle = \"T\"\nmedia = { src = \"a.mp3\", duration = \"soon\" }\n+++\n",
                "posts/a.md:3: `media` `duration` \"soon\" is not a duration",
            ),
            (
                "+++\ntitle = \"T\"\nimage = \"/etc/c.png\"\n+++\n",
                "posts/a.md:3: `image` \"/etc/c.png\" is an absolute path",
            ),
            (
                "+++\ntitle = \"T\"\nimage = 3\n+++\n",
                "posts/a.md:3: image: invalid type",
            ),
        ];
        for (text, want) in cases {
            let err = read(text).unwrap_err();
            assert!(err.starts_with(want), "{err}\nwanted {want}");
        }
    }

    #[test]
    fn renders_commonmark_with_extensions_and_keeps_relative_urls() {
        let text = "+++\ntitle = \"T\"\n+++\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ [x](../img.png)\n\n\
             - [x] done\n\nNote[^1].\n\n[^1]: The note.\n";
        read(text).unwrap();
        let html = &render_body(Path::new("posts/a.md"), text).unwrap().html;
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(html.contains("href=\"../img.png\""), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains("footnote-definition"), "{html}");
    }

    #[test]
    fn excerpt_is_the_first_paragraph_as_plain_text() {
        let excerpt = |text: &str| render_body(Path::new("t.md"), text).unwrap().excerpt;
        assert_eq!(
            excerpt(
                "+++\ntitle = \"T\"\n+++\n# Heading\n\n![alt text](p.png)\n\n\
                 Fish &amp; *chips*,   `code`\nand <b>more</b>.\n\nSecond.\n"
            ),
            "Fish & chips, code and more."
        );
        assert_eq!(excerpt("+++\ntitle = \"T\"\n+++\n# Only a heading\n"), "");
        assert_eq!(
            excerpt("+++\ntitle = \"T\"\n+++\nText[^n]\n\n[^n]: Note.\n"),
            "Text"
        );
    }

    #[test]
    fn the_short_excerpt_path_agrees_with_a_full_parse() {
        let full = |body: &str| first_paragraph_text(Parser::new_ext(body, cmark_options()));
        for body in [
            "Plain *first* paragraph\nwith two lines.\n\nSecond.\n",
            "\n\nLeading blank lines.\n\nMore.\n",
            "A [link][r] here.\n\n[r]: https://example.org/\n",
            "- a list\n\n  loose item\n\nAfter.\n",
            "```\ncode\n\nstill code\n```\n\nText.\n",
            "Setext\n======\n\nBody.\n",
            "    indented code\n\nText.\n",
            "<div>\nhtml\n\n</div>\n\nText.\n",
            "1. one\n\n2. two\n",
            "Only one paragraph, no blank line after it",
            "Tab\tinside\n\nx\n",
        ] {
            assert_eq!(excerpt(body), full(body), "{body:?}");
        }
    }

    #[test]
    fn a_paragraph_taken_without_parsing_is_what_the_parser_reads() {
        let parsed = |head: &str| first_paragraph_text(Parser::new_ext(head, cmark_options()));
        let plain = [
            "Plain words,  spaced\noddly   over lines.  ",
            "Ünïcode — “quotes” and\u{a0}no-break spaces! Really?",
            "Two lines\n   indented continuation\n        and a lazy one",
            "Numbers inside 1. are fine, as are - dashes and a > sign.",
        ];
        for head in plain {
            assert_eq!(plain_paragraph(head), Some(parsed(head)), "{head:?}");
        }
        let unsure = [
            "Setext\n===",
            "Setext\n---",
            "Para\n# heading",
            "Para\n> quote",
            "Para\n- item",
            "Para\n+ item",
            "Para\n1. item",
            "Para\n   \nafter a blank line",
            "Escaped \\* star",
            "Fish &amp; chips",
            "*emphasis*",
            "snake_case",
            "`code`",
            "<b>html</b>",
            "~~gone~~",
            "a | table",
            "Tab\tinside",
            "a [link](x)",
            "nul \0 char",
            "  ",
        ];
        for head in unsure {
            assert_eq!(plain_paragraph(head), None, "{head:?}");
        }
    }

    #[test]
    fn missing_title_points_to_the_front_matter() {
        let err = read("+++\ndate = 2024-05-01\n+++\nBody\n").unwrap_err();
        assert_eq!(
            err,
            "posts/a.md:1: missing `title`: add `title = \"...\"` to the front matter"
        );
        let err = read("Just a body\n").unwrap_err();
        assert!(
            err.starts_with("posts/a.md:1: missing `title`: add `title = \"...\"`"),
            "{err}"
        );
        let err = read("---\ndate: 2024-05-01\n---\n").unwrap_err();
        assert!(err.contains("`title: \"...\"`"), "{err}");
    }

    #[test]
    fn dates_are_read_and_bad_ones_reported_at_their_line() {
        let f = read(
            "+++\ntitle = \"T\"\ndate = 2024-05-01T10:00:00+02:00\nupdated = \"2024-05-02\"\n+++\n",
        )
        .unwrap();
        assert_eq!(f.date.unwrap().to_rfc3339(), "2024-05-01T10:00:00+02:00");
        assert_eq!(f.updated.unwrap().1, 4);
        let err = read("---\ntitle: T\n\ndate: next tuesday\n---\n").unwrap_err();
        assert!(
            err.starts_with("posts/a.md:4: `date`: `next tuesday` is not a date"),
            "{err}"
        );
        assert!(err.contains("July 5, 2019"), "{err}");
        let err = read("+++\ntitle = \"T\"\ndate = 10:00:00\n+++\n").unwrap_err();
        assert!(err.starts_with("posts/a.md:3: `date`"), "{err}");
    }

    #[test]
    fn author_and_authors_are_exclusive() {
        let f = read("---\ntitle: T\nauthor: Jane\n---\n").unwrap();
        assert_eq!(f.authors, ["Jane"]);
        let err = read("---\ntitle: T\nauthor: Jane\nauthors: [Joe]\n---\n").unwrap_err();
        assert!(
            err.starts_with("posts/a.md:4: both `author` and `authors`"),
            "{err}"
        );
    }

    #[test]
    fn link_must_be_absolute_http() {
        let f = read("+++\ntitle = \"T\"\nlink = \"https://example.org/x\"\n+++\n").unwrap();
        assert_eq!(f.link.as_deref(), Some("https://example.org/x"));
        for bad in [
            "/relative",
            "mailto:a@b.c",
            "ftp://example.org/",
            "https://",
            "not a url",
        ] {
            let err = read(&format!("+++\ntitle = \"T\"\nlink = \"{bad}\"\n+++\n")).unwrap_err();
            assert!(err.starts_with("posts/a.md:3: `link"), "{bad}: {err}");
        }
    }

    #[test]
    fn id_must_not_be_empty() {
        let err = read("+++\ntitle = \"T\"\nid = \" \"\n+++\n").unwrap_err();
        assert!(err.starts_with("posts/a.md:3: `id` is empty"), "{err}");
        let f = read("+++\ntitle = \"T\"\nid = \"urn:x\"\n+++\n").unwrap();
        assert_eq!(f.id.as_deref(), Some("urn:x"));
    }

    #[test]
    fn keeps_the_remaining_fields() {
        let f = read(
            "---\ntitle: T\nsummary: ' S '\ntags: [a, b]\nslug: My Slug\ndraft: true\nlang: de\n---\n",
        )
        .unwrap();
        assert_eq!(f.summary.as_deref(), Some(" S "));
        assert_eq!(f.tags, ["a", "b"]);
        assert_eq!(f.slug, Some(("My Slug".to_string(), 5)));
        assert!(f.draft);
        assert_eq!(f.lang.as_deref(), Some("de"));
    }
}
