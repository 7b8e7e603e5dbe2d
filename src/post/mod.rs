//! A parsed post, and the dispatch from a file's extension to its parser.
//!
//! Parsers are pure: they take the file's path (for messages, the date prefix and the slug) and
//! its text, and return a [`Post`] or a [`Diagnostic`]. Reading files is `source`'s job; turning
//! posts into feed entries (ids, links, order) is `feed`'s.
//!
//! Each format's parser (`markdown`, `plain_text`) reads what its file says into shared fields;
//! `fields` then applies the rules common to both (date and slug from the file name, cleaned
//! lists). `date` and `slug` are the small pure readers they share.

mod date;
mod fields;
mod front_matter;
mod markdown;
mod plain_text;
mod slug;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

use crate::diagnostic::Diagnostic;
use crate::media::{Declared, Probed};

/// The kinds of source file feedd reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostFormat {
    Markdown,
    PlainText,
}

impl PostFormat {
    /// The format a file is read as, from its extension; `None` for files feedd ignores.
    pub fn of(path: &Path) -> Option<PostFormat> {
        match path.extension()?.to_str()? {
            "md" | "markdown" => Some(PostFormat::Markdown),
            "txt" => Some(PostFormat::PlainText),
            _ => None,
        }
    }
}

/// A post's body, made only for the posts a document shows: parsing every post reads just what
/// ordering and selecting need, so a site of 10,000 posts keeps no text of the ones no feed holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    pub html: String,
    /// The first paragraph as plain text: the entry's summary when the author gave none.
    pub excerpt: String,
}

/// One post as its author wrote it, before feed-level decisions (id, permalink, order).
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// The file's path as it was read (absolute for posts read from the source folder); used
    /// in messages, as the cache key, and, relative to the source folder, as the lock file's key.
    pub path: PathBuf,
    pub title: String,
    /// When the post was first published.
    pub date: DateTime<FixedOffset>,
    /// When it was last meaningfully changed, if the author said so.
    pub updated: Option<DateTime<FixedOffset>>,
    pub authors: Vec<String>,
    /// The author's own summary (front matter `summary`).
    pub summary: Option<String>,
    pub tags: Vec<String>,
    /// An explicit id from front matter; overrides the minted one.
    pub id: Option<String>,
    /// From front matter `slug`, else the file name without date prefix and extension.
    pub slug: String,
    pub draft: bool,
    /// An external URL the entry points to instead of its permalink.
    pub link: Option<String>,
    pub lang: Option<String>,
    /// Podcast episode keys (`episode`, `season`, `episode_type`, `explicit`), used when the
    /// site is a podcast.
    pub episode: crate::podcast::EpisodeKeys,
    /// A fingerprint of the body as written (not of the title or front matter), so a renamed
    /// file whose title was also edited can still be recognised.
    pub body_hash: u64,
    /// Front matter `media`, as declared (Markdown posts only).
    pub media: Vec<Declared>,
    /// Front matter `image`, as declared.
    pub image: Option<Declared>,
    /// What the files and URLs of `media` and `image` turned out to be: filled by the cache's
    /// probe (I/O) after the pure parse; empty until then.
    pub probed: Probed,
    /// Transcripts and chapters found beside the first media file, when it is local; filled
    /// in with `probed`.
    pub episode_files: crate::podcast::companions::EpisodeFiles,
}

/// Everything a parser needs besides the file itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParseOptions {
    /// The zone for dates written without an offset.
    pub timezone: Tz,
}

/// Removes what editors on Windows add (a BOM, CRLF endings); neither changes line numbers.
fn normalise(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    }
}

/// The stable fingerprint of a post's body (xxh3, the same on every host and build).
fn fingerprint(body: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(body.as_bytes())
}

/// Renders the body of a post file as HTML (relative URLs left as written).
///
/// Kept apart from [`Post::parse`] because a feed shows the full content of only its newest
/// entries: parsing every post reads front matter, dates and the first paragraph, and only the
/// few posts that make it into a document pay for rendering.
pub fn render_content(path: &Path, text: &str) -> Result<Content, Diagnostic> {
    let text = normalise(text);
    match PostFormat::of(path) {
        Some(PostFormat::Markdown) => markdown::render_body(path, &text),
        Some(PostFormat::PlainText) => Ok(plain_text::render_body(&text)),
        None => Err(Diagnostic::for_file(path, "not a post")),
    }
}

impl Post {
    /// Parses one source file. `path` appears in messages as given, and its file name gives the
    /// `YYYY-MM-DD-` date prefix and the default slug.
    pub fn parse(path: &Path, text: &str, options: &ParseOptions) -> Result<Post, Diagnostic> {
        let format = PostFormat::of(path).ok_or_else(|| {
            Diagnostic::for_file(
                path,
                "not a post: feedd reads Markdown (.md, .markdown) and plain-text (.txt) files",
            )
        })?;
        let text = normalise(text);
        let fields = match format {
            PostFormat::Markdown => markdown::parse(path, &text, options)?,
            PostFormat::PlainText => plain_text::parse(path, &text, options)?,
        };
        fields.finish(path, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ParseOptions {
        ParseOptions {
            timezone: "Europe/Berlin".parse().unwrap(),
        }
    }

    fn parse(path: &str, text: &str) -> Result<Post, String> {
        Post::parse(Path::new(path), text, &options()).map_err(|d| d.to_string())
    }

    #[test]
    fn parses_a_markdown_post_with_toml_front_matter() {
        let post = parse(
            "2019/hello.md",
            "\u{feff}+++\r\ntitle = \" Hello \"\r\ndate = 2019-07-05T10:00:00\r\nauthor = \"Jane\"\r\n\
             tags = [\"rust\", \" \", \"rust\", \"web\"]\r\n+++\r\n\r\nFirst *para*.\r\n\r\nSecond.\r\n",
        )
        .unwrap();
        assert_eq!(post.title, "Hello");
        assert_eq!(post.date.to_rfc3339(), "2019-07-05T10:00:00+02:00");
        assert_eq!(post.authors, ["Jane"]);
        assert_eq!(post.tags, ["rust", "web"]);
        assert_eq!(post.slug, "hello");
        let content = render_content(
            Path::new("2019/hello.md"),
            "\u{feff}+++\r\ntitle = \"T\"\r\n+++\r\n\r\nFirst *para*.\r\n\r\nSecond.\r\n",
        )
        .unwrap();
        assert_eq!(
            content.html,
            "<p>First <em>para</em>.</p>\n<p>Second.</p>\n"
        );
        assert_eq!(content.excerpt, "First para.");
        assert_eq!(post.path, Path::new("2019/hello.md"));
        assert!(!post.draft);
    }

    #[test]
    fn parses_a_markdown_post_with_yaml_front_matter_and_date_prefix() {
        let post = parse(
            "2019-07-05-yaml-post.markdown",
            "---\ntitle: YAML\nsummary: \"  Short.  \"\ndraft: true\n---\nBody.\n",
        )
        .unwrap();
        assert_eq!(post.date.to_rfc3339(), "2019-07-05T00:00:00+02:00");
        assert_eq!(post.slug, "yaml-post");
        assert_eq!(post.summary.as_deref(), Some("Short."));
        assert!(post.draft);
    }

    #[test]
    fn parses_a_plain_text_post() {
        let post = parse(
            "old/2001-01-01-ignored-date.txt",
            "A Title\r\nPosted on 5 July 2019 by Joe\r\n\r\nOne <p>.\r\n",
        )
        .unwrap();
        assert_eq!(post.title, "A Title");
        assert_eq!(post.date.to_rfc3339(), "2019-07-05T00:00:00+02:00");
        assert_eq!(post.authors, ["Joe"]);
        assert_eq!(post.slug, "ignored-date");
        let content = render_content(
            Path::new("x.txt"),
            "A Title\r\nPosted on 5 July 2019 by Joe\r\n\r\nOne <p>.\r\n",
        )
        .unwrap();
        assert_eq!(content.html, "<p>One &lt;p&gt;.</p>\n");
        assert_eq!(content.excerpt, "One <p>.");
    }

    #[test]
    fn plain_text_byline_without_date_falls_back_to_the_prefix() {
        let post = parse(
            "2019-07-05-x.txt",
            "Title\nPosted on  by Jane Doe\n\nBody\n",
        )
        .unwrap();
        assert_eq!(post.date.to_rfc3339(), "2019-07-05T00:00:00+02:00");
        assert_eq!(post.authors, ["Jane Doe"]);
        let err = parse("x.txt", "Title\nPosted on by\n").unwrap_err();
        assert!(err.starts_with("x.txt:1: missing `date`"), "{err}");
    }

    #[test]
    fn body_fingerprint_ignores_title_and_front_matter_but_not_the_body() {
        let a = parse(
            "a.md",
            "+++\ntitle = \"A\"\ndate = 2019-01-01\n+++\nBody.\n",
        )
        .unwrap();
        let b = parse(
            "b.md",
            "+++\ntitle = \"B\"\ndate = 2019-01-01\n+++\nBody.\n",
        )
        .unwrap();
        let c = parse(
            "c.md",
            "+++\ntitle = \"A\"\ndate = 2019-01-01\n+++\nOther.\n",
        )
        .unwrap();
        assert_eq!(a.body_hash, b.body_hash);
        assert_ne!(a.body_hash, c.body_hash);
        let t = parse("t.txt", "Title one\nPosted on 2019-01-01\n\nBody.\n").unwrap();
        let u = parse("u.txt", "Title two\n\nPosted on 2019-01-01 by X\n\nBody.\n").unwrap();
        assert_eq!(t.body_hash, u.body_hash);
    }

    #[test]
    fn moving_a_file_between_folders_keeps_its_slug() {
        let text = "+++\ntitle = \"T\"\n+++\n";
        let a = parse("2019-07-05-same.md", text).unwrap();
        let b = parse("archive/2019/2019-07-05-same.md", text).unwrap();
        assert_eq!(a.slug, b.slug);
        assert_eq!(a.date, b.date);
    }

    #[test]
    fn unknown_extension_is_a_diagnostic() {
        for path in ["image.png", "README", "x.MD.bak"] {
            let err = parse(path, "anything").unwrap_err();
            assert!(err.contains("not a post"), "{err}");
        }
    }

    #[test]
    fn toml_error_line_counts_from_the_top_of_the_file() {
        let err = parse("posts/a.md", "+++\ntitle = \"T\"\n\ndraft = 1\n+++\n").unwrap_err();
        assert!(
            err.starts_with("posts/a.md:4: draft: invalid type"),
            "{err}"
        );
        let err = parse(
            "posts/a.md",
            "\u{feff}+++\r\ntitle = \"T\"\r\n\r\ndraft = 1\r\n+++\r\n",
        )
        .unwrap_err();
        assert!(
            err.starts_with("posts/a.md:4: draft: invalid type"),
            "{err}"
        );
    }

    /// Guards against panics on hostile input: every outcome must be a post or a diagnostic.
    #[test]
    fn hostile_input_never_panics() {
        let long_line = "x".repeat(200_000);
        let deep_quote = ">".repeat(5_000);
        let mut inputs: Vec<String> = [
            "",
            "\u{feff}",
            "\u{feff}\u{feff}",
            "+++",
            "+++\n",
            "+++\n+++",
            "---\n---\n",
            "---\n- a\n- b\n---\n",
            "---\n\"unterminated\n---\n",
            "---\n&a [*a, *a]\n---\n",
            "+++\ntitle = \"]]>\"\ndate = 2019-07-05\n+++\n]]><![CDATA[\n",
            "+++\ntitle = \"T\"\ndate = 9999-12-31T23:59:59-23:59\n+++\n",
            "+++\ntitle = \"T\"\ndate = 0000-01-01T00:00:00+00:00\n+++\n",
            "\0\x01\x02\x1b[31m\x7f",
            "Title\nPosted on \u{202e}2019-07-05 by \u{5d0}\u{5d1}\u{5d2}\n\n\u{627}\u{644}\u{639}\u{631}\u{628}\u{64a}\u{629}\n",
            "\u{1f600}\u{1f469}\u{200d}\u{1f4bb}\nPosted on \u{1f600} by \u{1f600}\n",
            "\r\r\r\n\r",
            "Posted on\nPosted on 2019-07-05 by\n",
            "[^1]: [^1]\n\n[^1]",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.push(long_line.clone());
        inputs.push(format!(
            "+++\ntitle = \"{long_line}\"\n+++\n{deep_quote} x\n"
        ));
        inputs.push(format!("Title\nPosted on {long_line} by {long_line}\n"));
        // A fixed-seed generator over a palette of troublesome characters.
        let palette: Vec<char> =
            "+-=:\n\r\t \"'[]{}<>&#*_`|\\~!0123456789TZa\u{feff}\u{0}\u{7}\u{202e}\u{1f600}é日"
                .chars()
                .collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let len = (state % 120) as usize;
            let text: String = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    palette[(state >> 33) as usize % palette.len()]
                })
                .collect();
            inputs.push(format!("+++\n{text}"));
            inputs.push(format!("---\n{text}"));
            inputs.push(text);
        }
        let mut rendered = 0;
        for text in &inputs {
            for path in [
                "a.md",
                "2019-07-05-a.txt",
                "2019-07-05-.md",
                "\u{1f600}.txt",
            ] {
                if let Ok(post) = Post::parse(Path::new(path), text, &options()) {
                    assert_renders_well_formed(post, text);
                    rendered += 1;
                }
            }
        }
        assert!(
            rendered > 100,
            "only {rendered} inputs parsed; the check saw little"
        );
    }

    /// Every document the post ends up in (its text as its body) is well-formed XML or JSON.
    fn assert_renders_well_formed(post: Post, text: &str) {
        let config = crate::config::Config::from_str(
            "title = \"T\"\nbase_url = \"https://example.org/\"\nid_authority = \"example.org\"\n",
            Path::new("config.toml"),
        )
        .unwrap();
        let path = post.path.clone();
        let content = |_: &Post, _: &url::Url| render_content(&path, text).unwrap_or_default();
        let far_future = chrono::DateTime::<chrono::Utc>::MAX_UTC;
        let posts = [std::sync::Arc::new(post)];
        let ledger = crate::ledger::IdLedger::default();
        let built = crate::feed::build(&config, &posts, &ledger, &content, far_future);
        for document in crate::render::render_all(&built.feeds) {
            let body = std::str::from_utf8(&document.body).unwrap();
            let checked = match document.format() {
                Some(crate::format::Format::Json) => {
                    serde_json::from_str::<serde_json::Value>(body)
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
                _ => roxmltree::Document::parse(body)
                    .map(drop)
                    .map_err(|e| e.to_string()),
            };
            if let Err(e) = checked {
                panic!("{} of {text:?}: {e}\n{body}", document.path);
            }
        }
    }
}
