//! The rules every post format shares, applied once a format's parser has read its file.
//!
//! A parser fills [`Fields`] with what the file says; [`Fields::finish`] falls back to the file
//! name for the date and slug, cleans the lists, checks what no format may break, and builds the
//! [`Post`]. Messages show the fix in the syntax of the file at hand ([`Hints`]).

use std::path::Path;

use chrono::{DateTime, FixedOffset};

use super::front_matter::Syntax;
use super::slug::{self, FileName};
use super::{ParseOptions, Post, date};
use crate::diagnostic::Diagnostic;
use crate::media::{Declared, Probed};
use crate::podcast::EpisodeKeys;

/// How the author of this file can supply what is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hints {
    /// A Markdown file; fields go in front matter of this syntax.
    FrontMatter(Syntax),
    /// A plain-text file; the date goes in the `Posted on` byline.
    Byline,
}

/// What one file says about its post, before the shared rules.
#[derive(Debug, Clone)]
pub(super) struct Fields {
    pub hints: Hints,
    pub title: String,
    pub title_line: usize,
    pub date: Option<DateTime<FixedOffset>>,
    /// With the line it was given on, to report it when it precedes `date`.
    pub updated: Option<(DateTime<FixedOffset>, usize)>,
    pub authors: Vec<String>,
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub id: Option<String>,
    /// As written, with its line; normalised here.
    pub slug: Option<(String, usize)>,
    pub draft: bool,
    pub link: Option<String>,
    pub lang: Option<String>,
    pub episode: EpisodeKeys,
    /// Fingerprint of the body (everything after the front matter or byline).
    pub body_hash: u64,
    pub media: Vec<Declared>,
    pub image: Option<Declared>,
}

impl Fields {
    pub fn new(hints: Hints, title: String, title_line: usize) -> Fields {
        Fields {
            hints,
            title,
            title_line,
            date: None,
            updated: None,
            authors: Vec::new(),
            summary: None,
            tags: Vec::new(),
            id: None,
            slug: None,
            draft: false,
            link: None,
            lang: None,
            episode: EpisodeKeys::default(),
            body_hash: 0,
            media: Vec::new(),
            image: None,
        }
    }

    pub fn finish(self, path: &Path, options: &ParseOptions) -> Result<Post, Diagnostic> {
        let title = self.title.trim().to_string();
        if title.is_empty() {
            return Err(Diagnostic::at_line(
                path,
                self.title_line,
                "`title` is empty: give the post a title",
            ));
        }
        let file_name = FileName::of(path);
        let date = match self.date {
            Some(date) => date,
            None => self.date_from_file_name(path, &file_name, options)?,
        };
        if let Some((updated, line)) = self.updated.filter(|(updated, _)| *updated < date) {
            return Err(Diagnostic::at_line(
                path,
                line,
                format!(
                    "`updated` ({}) is before `date` ({}): a post cannot change before it is published; fix one of them",
                    updated.to_rfc3339(),
                    date.to_rfc3339()
                ),
            ));
        }
        let slug = self.slug(path, &file_name)?;
        Ok(Post {
            path: path.to_path_buf(),
            title,
            date,
            updated: self.updated.map(|(updated, _)| updated),
            authors: clean_list(self.authors),
            summary: non_empty(self.summary),
            tags: clean_list(self.tags),
            id: self.id,
            slug,
            draft: self.draft,
            link: self.link,
            lang: non_empty(self.lang),
            episode: self.episode,
            body_hash: self.body_hash,
            media: self.media,
            image: self.image,
            probed: Probed::default(),
            episode_files: Default::default(),
        })
    }

    fn date_from_file_name(
        &self,
        path: &Path,
        file_name: &FileName,
        options: &ParseOptions,
    ) -> Result<DateTime<FixedOffset>, Diagnostic> {
        let Some(prefix) = file_name.date_prefix else {
            let (line, how) = match self.hints {
                Hints::FrontMatter(syntax) => (
                    1,
                    format!(
                        "add {} to the front matter",
                        syntax.example("date", "2024-05-01")
                    ),
                ),
                Hints::Byline => (
                    self.title_line,
                    "add a byline `Posted on 2024-05-01 by ...` on the line after the title"
                        .to_string(),
                ),
            };
            return Err(Diagnostic::at_line(
                path,
                line,
                format!("missing `date`: {how}, or prefix the file name with 2024-05-01-"),
            ));
        };
        date::parse(prefix, options.timezone).map_err(|_| {
            Diagnostic::for_file(
                path,
                format!(
                    "the file name prefix `{prefix}-` is not a real date: rename the file with a date such as 2024-05-01-"
                ),
            )
        })
    }

    fn slug(&self, path: &Path, file_name: &FileName) -> Result<String, Diagnostic> {
        if let Some((raw, line)) = &self.slug {
            let slug = slug::normalise(raw);
            if slug.is_empty() {
                return Err(Diagnostic::at_line(
                    path,
                    *line,
                    "`slug` has no letters or digits to make a link from: set it to words such as \"my-first-post\"",
                ));
            }
            return Ok(slug);
        }
        let slug = slug::normalise(file_name.stem);
        if !slug.is_empty() {
            return Ok(slug);
        }
        let fix = match self.hints {
            Hints::FrontMatter(syntax) => format!(
                "set {} in the front matter, or rename the file",
                syntax.example("slug", "\"my-first-post\"")
            ),
            Hints::Byline => {
                "rename the file so its name has letters or digits after any date prefix"
                    .to_string()
            }
        };
        Err(Diagnostic::for_file(
            path,
            format!("the file name gives an empty `slug`: {fix}"),
        ))
    }
}

/// Trimmed, without empty entries or repeats; the first of each kept in place.
fn clean_list(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|seen| seen == item) {
            out.push(item.to_string());
        }
    }
    out
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    const OPTIONS: ParseOptions = ParseOptions { timezone: Tz::UTC };

    fn fields() -> Fields {
        Fields::new(Hints::FrontMatter(Syntax::Toml), "  Title ".into(), 2)
    }

    fn finish(fields: Fields, path: &str) -> Result<Post, String> {
        fields
            .finish(Path::new(path), &OPTIONS)
            .map_err(|d| d.to_string())
    }

    fn at(text: &str) -> DateTime<FixedOffset> {
        date::parse(text, Tz::UTC).unwrap()
    }

    #[test]
    fn own_date_wins_over_the_file_name_prefix() {
        let mut f = fields();
        f.date = Some(at("2020-01-02"));
        let post = finish(f, "2019-07-05-hello.md").unwrap();
        assert_eq!(post.date, at("2020-01-02"));
        assert_eq!(post.title, "Title");
        let post = finish(fields(), "sub/2019-07-05-hello.md").unwrap();
        assert_eq!(post.date, at("2019-07-05"));
        assert_eq!(post.slug, "hello");
    }

    #[test]
    fn missing_date_names_each_way_to_give_one() {
        let err = finish(fields(), "2019/hello.md").unwrap_err();
        assert_eq!(
            err,
            "2019/hello.md:1: missing `date`: add `date = 2024-05-01` to the front matter, \
             or prefix the file name with 2024-05-01-"
        );
        let err = finish(Fields::new(Hints::Byline, "T".into(), 3), "hello.txt").unwrap_err();
        assert!(err.starts_with("hello.txt:3: missing `date`"), "{err}");
        assert!(err.contains("Posted on 2024-05-01 by"), "{err}");
        assert!(
            err.contains("prefix the file name with 2024-05-01-"),
            "{err}"
        );
        let err = finish(fields(), "2019-13-45-x.md").unwrap_err();
        assert!(err.contains("2019-13-45-"), "{err}");
    }

    #[test]
    fn updated_before_date_is_reported_at_its_line() {
        let mut f = fields();
        f.updated = Some((at("2019-07-04"), 5));
        let err = finish(f, "2019-07-05-x.md").unwrap_err();
        assert!(err.starts_with("2019-07-05-x.md:5: `updated`"), "{err}");
        let mut f = fields();
        f.updated = Some((at("2019-07-05"), 5));
        assert_eq!(
            finish(f, "2019-07-05-x.md").unwrap().updated,
            Some(at("2019-07-05"))
        );
    }

    #[test]
    fn slug_comes_from_front_matter_else_the_file_name_and_is_normalised() {
        let mut f = fields();
        f.slug = Some(("My Post!".into(), 4));
        assert_eq!(finish(f, "2019-07-05-other.md").unwrap().slug, "my-post");
        assert_eq!(
            finish(fields(), "a/b/2019-07-05-Ünïcode Name.md")
                .unwrap()
                .slug,
            "unicode-name"
        );
        let mut f = fields();
        f.slug = Some(("!!!".into(), 4));
        let err = finish(f, "2019-07-05-x.md").unwrap_err();
        assert!(err.starts_with("2019-07-05-x.md:4: `slug`"), "{err}");
        let err = finish(fields(), "2019-07-05-.md").unwrap_err();
        assert!(err.contains("set `slug = \"my-first-post\"`"), "{err}");
    }

    #[test]
    fn lists_are_trimmed_emptied_and_deduplicated_in_order() {
        let mut f = fields();
        f.tags = vec![
            " rust ".into(),
            "".into(),
            "web".into(),
            "rust".into(),
            "  ".into(),
        ];
        f.authors = vec![" Jane ".into(), "".into()];
        f.summary = Some("  ".into());
        f.lang = Some(" fr ".into());
        let post = finish(f, "2019-07-05-x.md").unwrap();
        assert_eq!(post.tags, ["rust", "web"]);
        assert_eq!(post.authors, ["Jane"]);
        assert_eq!(post.summary, None);
        assert_eq!(post.lang.as_deref(), Some("fr"));
    }

    #[test]
    fn empty_title_is_reported() {
        let f = Fields::new(Hints::FrontMatter(Syntax::Yaml), " \t".into(), 3);
        let err = finish(f, "2019-07-05-x.md").unwrap_err();
        assert!(
            err.starts_with("2019-07-05-x.md:3: `title` is empty"),
            "{err}"
        );
    }
}
