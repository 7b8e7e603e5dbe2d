//! A [`PostPlan`] → the text of its source file, as a person would have written it.
//!
//! Markdown gets TOML or YAML front matter and a body with headings, lists, quotes, emphasis,
//! links to other posts (`../slug/`) and images (`images/p1.png`), all relative so feedd's URL
//! rewriting is exercised. The first paragraph is always left without markup: it is the expected
//! summary when the front matter gives none. Plain-text posts get the byline form.

use std::borrow::Cow;

use chrono::{FixedOffset, SecondsFormat};
use rand::Rng;

use crate::plan::{DateForm, Kind, PostPlan};
use crate::prose;

/// The file text of `plan`; `slugs` are all posts' slugs, for links between posts.
pub fn render<R: Rng>(rng: &mut R, plan: &PostPlan, slugs: &[&str]) -> String {
    match plan.kind {
        Kind::Text => plain_text(rng, plan),
        Kind::Toml | Kind::Yaml => {
            let mut text = front_matter(plan);
            text.push('\n');
            markdown_body(rng, plan, slugs, &mut text);
            text
        }
    }
}

fn plain_text<R: Rng>(rng: &mut R, plan: &PostPlan) -> String {
    let date = match plan.date_form {
        DateForm::Byline(format) => plan.published.format(format).to_string(),
        _ => plan.published.format("%Y-%m-%d").to_string(),
    };
    let author = plan
        .authors
        .first()
        .expect("plain-text plans have one author");
    let mut text = format!("{}\n\nPosted on {date} by {author}\n", plan.title);
    let wrapped = rng.random_bool(0.5);
    for paragraph in &plan.paragraphs {
        text.push('\n');
        if wrapped {
            push_wrapped(&mut text, paragraph, 72);
        } else {
            text.push_str(paragraph);
            text.push('\n');
        }
    }
    text
}

/// A string as a double-quoted scalar. JSON's escapes are valid in both TOML basic strings and
/// YAML double-quoted scalars, so one quoting serves both front matter syntaxes.
fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn quote_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The date as the front matter writes it, or `None` when only the file name carries it.
fn date_value(plan: &PostPlan) -> Option<String> {
    let utc = plan.published;
    let yaml = plan.kind == Kind::Yaml;
    match plan.date_form {
        DateForm::PrefixOnly | DateForm::Byline(_) => None,
        // A TOML native date-time / a YAML plain scalar.
        DateForm::Utc => Some(utc.to_rfc3339_opts(SecondsFormat::Secs, true)),
        DateForm::Offset(seconds) => {
            let zone =
                FixedOffset::east_opt(seconds).expect("plan offsets are whole hours within ±12h");
            let text = utc
                .with_timezone(&zone)
                .to_rfc3339_opts(SecondsFormat::Secs, false);
            Some(if yaml { text } else { quote(&text) })
        }
        DateForm::Local => Some(quote(&utc.format("%Y-%m-%d %H:%M").to_string())),
        DateForm::DateOnly => Some(utc.format("%Y-%m-%d").to_string()),
    }
}

fn front_matter(plan: &PostPlan) -> String {
    let (fence, sep) = match plan.kind {
        Kind::Yaml => ("---", ": "),
        _ => ("+++", " = "),
    };
    let mut out = format!("{fence}\ntitle{sep}{}\n", quote(&plan.title));
    let mut field = |key: &str, value: String| {
        out.push_str(key);
        out.push_str(sep);
        out.push_str(&value);
        out.push('\n');
    };
    if let Some(date) = date_value(plan) {
        field("date", date);
    }
    if plan.slug_in_front_matter {
        field("slug", quote(&plan.slug));
    }
    match plan.authors.as_slice() {
        [] => {}
        [one] => field("author", quote(one)),
        many => field("authors", quote_list(many)),
    }
    if let Some(summary) = &plan.summary {
        field("summary", quote(summary));
    }
    if !plan.tags.is_empty() {
        if plan.kind == Kind::Yaml {
            out.push_str("tags:\n");
            for tag in &plan.tags {
                out.push_str(&format!("  - {tag}\n"));
            }
        } else {
            out.push_str(&format!("tags = {}\n", quote_list(&plan.tags)));
        }
    }
    out.push_str(fence);
    out.push('\n');
    out
}

fn markdown_body<R: Rng>(rng: &mut R, plan: &PostPlan, slugs: &[&str], out: &mut String) {
    let mut images = 0;
    for (i, paragraph) in plan.paragraphs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            extra_block(rng, &mut images, out);
        }
        if i == 0 {
            push_wrapped(out, paragraph, 80);
        } else {
            push_wrapped(out, &decorate(rng, paragraph, slugs), 80);
        }
    }
}

/// Now and then a heading, an image, a list or a quote before a paragraph.
fn extra_block<R: Rng>(rng: &mut R, images: &mut u32, out: &mut String) {
    match rng.random_range(0..100) {
        0..8 => out.push_str(&format!("## {}\n\n", prose::title(rng))),
        8..18 => {
            *images += 1;
            out.push_str(&format!(
                "![{}](images/p{images}.png)\n\n",
                prose::phrase(rng)
            ));
        }
        18..24 => {
            for _ in 0..rng.random_range(3..=5) {
                out.push_str(&format!("- {}\n", prose::phrase(rng)));
            }
            out.push('\n');
        }
        24..29 => out.push_str(&format!("> {}\n\n", prose::sentence(rng))),
        _ => {}
    }
}

/// Adds a link to another post, emphasis or code to some words of `paragraph`.
///
/// Edits are collected as (word, opening, closing) and spliced in one pass over the paragraph:
/// this runs for most of the corpus's paragraphs, and splitting each into owned words was the
/// generator's main cost.
fn decorate<'a, R: Rng>(rng: &mut R, paragraph: &'a str, slugs: &[&str]) -> Cow<'a, str> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(space_offsets(paragraph).map(|i| i + 1))
        .collect();
    let count = starts.len();
    if count < 8 {
        return Cow::Borrowed(paragraph);
    }
    let span = |i: usize| {
        (
            starts[i],
            starts.get(i + 1).map_or(paragraph.len(), |next| next - 1),
        )
    };
    let mut marks: Vec<(usize, &str, String)> = Vec::new();
    if rng.random_bool(0.35) && !slugs.is_empty() {
        let start = rng.random_range(1..count - 4);
        let end = start + rng.random_range(1..=3);
        let target = prose::pick(rng, slugs);
        marks.push((start, "[", String::new()));
        marks.push((end, "", format!("](../{target}/)")));
    }
    for (marker, chance) in [("*", 0.3), ("**", 0.15), ("`", 0.1)] {
        if rng.random_bool(chance) {
            let i = rng.random_range(1..count - 1);
            let (from, to) = span(i);
            // Only whole plain words, so markers never meet brackets or punctuation.
            if !marks.iter().any(|m| m.0 == i)
                && paragraph[from..to].chars().all(char::is_alphabetic)
            {
                marks.push((i, marker, marker.to_string()));
            }
        }
    }
    if marks.is_empty() {
        return Cow::Borrowed(paragraph);
    }
    marks.sort_by_key(|m| m.0);
    let mut out = String::with_capacity(paragraph.len() + 64);
    let mut copied = 0;
    for (i, open, close) in &marks {
        let (from, to) = span(*i);
        out.push_str(&paragraph[copied..from]);
        out.push_str(open);
        out.push_str(&paragraph[from..to]);
        out.push_str(close);
        copied = to;
    }
    out.push_str(&paragraph[copied..]);
    Cow::Owned(out)
}

/// Appends `text` broken at spaces into lines of at most `width` bytes (longer words stay whole),
/// then a newline. Bytes, not characters: a line with accents ends a little early, which no
/// reader notices, and counting characters per word showed up in profiles.
fn push_wrapped(out: &mut String, text: &str, width: usize) {
    let mut line_len = 0;
    let mut from = 0;
    for to in space_offsets(text).chain(std::iter::once(text.len())) {
        let word = &text[from..to];
        from = to + 1;
        if line_len > 0 && line_len + 1 + word.len() > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.len();
    }
    out.push('\n');
}

/// Byte offsets of the spaces in `text`. A plain byte scan: words are a few bytes long, so a
/// `memchr` call per word (what `split(' ')` does) costs more than it saves.
fn space_offsets(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b' ')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan_posts;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rendered(n: usize) -> Vec<(PostPlan, String)> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let plans = plan_posts(&mut rng, n);
        let slugs: Vec<&str> = plans.iter().map(|p| p.slug.as_str()).collect();
        let texts: Vec<String> = plans.iter().map(|p| render(&mut rng, p, &slugs)).collect();
        plans.into_iter().zip(texts).collect()
    }

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Front {
        title: String,
        date: Option<serde_json::Value>,
        slug: Option<String>,
        author: Option<String>,
        authors: Option<Vec<String>>,
        summary: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn parse_front(plan: &PostPlan, text: &str) -> (Front, String) {
        let fence = if plan.kind == Kind::Yaml {
            "---\n"
        } else {
            "+++\n"
        };
        let rest = text.strip_prefix(fence).unwrap();
        let (block, body) = rest.split_once(fence).unwrap();
        let front = if plan.kind == Kind::Yaml {
            serde_yaml_ng::from_str(block).unwrap()
        } else {
            let value: toml::Value = toml::from_str(block).unwrap();
            let json = serde_json::to_value(value).unwrap();
            serde_json::from_value(json).unwrap()
        };
        (front, body.to_string())
    }

    #[test]
    fn front_matter_round_trips_through_toml_and_yaml() {
        for (plan, text) in rendered(400).iter().filter(|(p, _)| p.kind != Kind::Text) {
            let (front, _) = parse_front(plan, text);
            assert_eq!(front.title, plan.title);
            assert_eq!(front.summary, plan.summary);
            assert_eq!(front.slug.is_some(), plan.slug_in_front_matter);
            let authors: Vec<String> = front
                .author
                .into_iter()
                .chain(front.authors.into_iter().flatten())
                .collect();
            assert_eq!(authors, plan.authors);
            assert_eq!(front.tags, plan.tags);
            assert_eq!(
                front.date.is_none(),
                plan.date_form == DateForm::PrefixOnly,
                "{}",
                plan.path
            );
        }
    }

    #[test]
    fn first_markdown_paragraph_is_plain_and_later_ones_link_relatively() {
        let all = rendered(300);
        let mut links = 0;
        let mut images = 0;
        for (plan, text) in all.iter().filter(|(p, _)| p.kind != Kind::Text) {
            let (_, body) = parse_front(plan, text);
            let first = body.trim_start().split("\n\n").next().unwrap();
            assert_eq!(
                first.split_whitespace().collect::<Vec<_>>().join(" "),
                plan.paragraphs[0]
            );
            links += body.matches("](../").count();
            images += body.matches("](images/p").count();
            assert!(!body.contains("](http"), "{}", plan.path);
        }
        assert!(links > 50 && images > 50, "{links} links, {images} images");
    }

    /// The first paragraph's text and every link/image destination, as CommonMark reads them.
    fn read_markdown(body: &str) -> (String, Vec<String>) {
        use pulldown_cmark::{Event, Parser, Tag, TagEnd};
        let (mut first, mut in_first, mut seen_first, mut dests) =
            (String::new(), false, false, vec![]);
        for event in Parser::new(body) {
            match event {
                Event::Start(Tag::Paragraph) if !seen_first => {
                    (in_first, seen_first) = (true, true)
                }
                Event::End(TagEnd::Paragraph) => in_first = false,
                Event::Text(text) if in_first => first.push_str(&text),
                Event::SoftBreak if in_first => first.push(' '),
                Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                    dests.push(dest_url.to_string())
                }
                _ => {}
            }
        }
        (first, dests)
    }

    #[test]
    fn commonmark_reads_a_plain_first_paragraph_and_relative_urls() {
        for (plan, text) in rendered(150).iter().filter(|(p, _)| p.kind != Kind::Text) {
            let (_, body) = parse_front(plan, text);
            let (first, dests) = read_markdown(&body);
            assert_eq!(first, plan.paragraphs[0], "{}", plan.path);
            for dest in dests {
                assert!(
                    dest.starts_with("../") || dest.starts_with("images/"),
                    "{}: {dest}",
                    plan.path
                );
            }
        }
    }

    #[test]
    fn plain_text_posts_have_title_byline_and_paragraphs() {
        for (plan, text) in rendered(300).iter().filter(|(p, _)| p.kind == Kind::Text) {
            let mut blocks = text.split("\n\n");
            assert_eq!(blocks.next(), Some(plan.title.as_str()));
            let byline = blocks.next().unwrap();
            assert!(
                byline.starts_with("Posted on ") && byline.ends_with(plan.authors[0]),
                "{byline}"
            );
            assert_eq!(blocks.count(), plan.paragraphs.len());
            assert!(text.ends_with(".\n") || text.ends_with("?\n"));
        }
    }

    #[test]
    fn decorating_only_adds_markup() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (paragraph, _) = prose::paragraph(&mut rng, 80);
        let mut changed = 0;
        for _ in 0..100 {
            let text = decorate(&mut rng, &paragraph, &["other-post"]);
            let stripped = text
                .replace("](../other-post/)", "")
                .replace(['[', '*', '`'], "");
            assert_eq!(stripped, paragraph);
            assert_eq!(
                text.matches('[').count(),
                text.matches("](../other-post/)").count()
            );
            changed += usize::from(text != paragraph);
        }
        assert!(changed > 30, "{changed}");
    }

    #[test]
    fn wrapping_keeps_words_and_width() {
        let mut out = String::new();
        push_wrapped(&mut out, "aa bb cc dd ee ff", 5);
        assert_eq!(out, "aa bb\ncc dd\nee ff\n");
    }
}
