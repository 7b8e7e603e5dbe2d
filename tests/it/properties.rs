//! Property tests of the parsers and renderers: whatever a post file holds (arbitrary bytes,
//! arbitrary values in TOML or YAML front matter, arbitrary Unicode in every text field, in the
//! config too), the real pipeline (`once::run`: source → post → feed → render) never panics, and
//! every document it produces is well-formed XML (roxmltree) or valid JSON (serde_json), and is
//! accepted by feed-rs.
//!
//! The number of cases is bounded for CI (`DEFAULT_CASES`); set `PROPTEST_CASES` for a longer
//! run. A failing case proptest finds is fixed where the bug is and kept as a named test here
//! (none so far: 10,000 cases found nothing the cleaning in `render::xml_text` does not handle).

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use feedd::config::Config;
use feedd::format::Format;
use feedd::once::{self, Outcome};
use feedd::render::Document;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};

/// Enough to run in a few seconds on a loaded 2-core machine.
const DEFAULT_CASES: u32 = 64;

fn proptest_config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // Found cases become named regression tests below instead of files beside the source.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

/// Characters that have broken feed generators before: XML specials, CDATA ends, characters
/// XML 1.0 forbids, non-characters, BOMs, line and paragraph separators, bidi controls, and
/// characters outside the BMP.
const TROUBLE: &[char] = &[
    '<',
    '>',
    '&',
    '"',
    '\'',
    ']',
    '\\',
    '\0',
    '\u{1}',
    '\u{8}',
    '\u{b}',
    '\u{c}',
    '\u{1b}',
    '\u{7f}',
    '\u{85}',
    '\u{a0}',
    '\u{ad}',
    '\u{200b}',
    '\u{200d}',
    '\u{2028}',
    '\u{2029}',
    '\u{202e}',
    '\u{d7ff}',
    '\u{e000}',
    '\u{feff}',
    '\u{fffd}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{1f600}',
    '\u{10ffff}',
    '\n',
    '\r',
    '\t',
    ' ',
    '+',
    '-',
    '#',
    '*',
    '_',
    '`',
    '[',
    '{',
    ':',
];

/// Arbitrary Unicode, biased towards `TROUBLE` and towards bits of markup.
fn text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        3 => proptest::sample::select(TROUBLE).prop_map(String::from),
        1 => proptest::sample::select(&[
            "]]>", "<![CDATA[", "</title>", "&amp;", "&#0;", "&#xD800;", "<p>", "-->", "\r\n",
            "+++", "---", "\n\n", "Posted on ", " by ", "2019-07-05", "http://", "javascript:",
        ][..])
        .prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat())
}

/// Arbitrary Unicode on one line, for the parts of a plain-text post that are one line.
fn line(max: usize) -> impl Strategy<Value = String> {
    text(max).prop_map(|t| t.replace(['\n', '\r'], " "))
}

/// A date field: usually one of the accepted forms, sometimes anything at all.
fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1i32..9999, 1u32..13, 1u32..29, 0u32..24, 0u32..60, -23i32..24).prop_map(
            |(y, mo, d, h, mi, off)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{off:+03}:00")
        ),
        3 => (1i32..9999, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => Just("July 5, 2019".to_owned()),
        1 => Just("Fri, 05 Jul 2019 10:00:00 +0000".to_owned()),
        1 => text(12),
    ]
}

/// One front matter field's value, as a JSON value both TOML and YAML can carry.
fn list(max: usize) -> impl Strategy<Value = serde_json::Value> {
    proptest::collection::vec(text(12), 0..max).prop_map(|v| serde_json::json!(v))
}

/// Front matter: each field present or not, with arbitrary values; keys as feedd knows them.
fn front_matter() -> impl Strategy<Value = serde_json::Map<String, serde_json::Value>> {
    let s = |max| text(max).prop_map(serde_json::Value::String);
    // `author` and `authors` together are an error, so one case in five sets both.
    let authors = prop_oneof![
        4 => proptest::option::of(list(3)).prop_map(|a| (a, None)),
        1 => (list(3), s(20)).prop_map(|(a, b)| (Some(a), Some(b))),
        4 => s(20).prop_map(|b| (None, Some(b))),
    ];
    let fields = (
        proptest::option::weighted(0.95, s(30)),
        proptest::option::weighted(0.9, date_text().prop_map(serde_json::Value::String)),
        proptest::option::weighted(0.2, date_text().prop_map(serde_json::Value::String)),
        authors,
        proptest::option::of(s(40)),
        proptest::option::of(list(4)),
        proptest::option::of(s(20)),
        proptest::option::of(s(20)),
        proptest::option::weighted(0.1, any::<bool>().prop_map(serde_json::Value::Bool)),
        proptest::option::weighted(
            0.3,
            prop_oneof![
                3 => text(20)
                    .prop_map(|t| serde_json::json!(format!("https://elsewhere.example/{t}"))),
                1 => s(20),
            ],
        ),
        proptest::option::of(s(8)),
    );
    fields.prop_map(|values| {
        let (title, date, updated, (authors, author), summary, tags, slug, id, draft, link, lang) =
            values;
        let named = [
            ("title", title),
            ("date", date),
            ("updated", updated),
            ("authors", authors),
            ("author", author),
            ("summary", summary),
            ("tags", tags),
            ("slug", slug),
            ("id", id),
            ("draft", draft),
            ("link", link),
            ("lang", lang),
        ];
        named
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value?)))
            .collect()
    })
}

/// Front matter written as TOML between `+++` lines.
fn toml_front_matter(fields: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    toml::to_string(fields)
        .ok()
        .map(|t| format!("+++\n{t}+++\n"))
}

/// Front matter written as YAML between `---` lines.
fn yaml_front_matter(fields: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    serde_yaml_ng::to_string(fields)
        .ok()
        .map(|y| format!("---\n{y}---\n"))
}

/// A config whose text fields are arbitrary too, written as valid TOML.
fn config_text(title: &str, description: &str, author: &str) -> String {
    let mut table = toml::Table::new();
    let title = if title.trim().is_empty() { "T" } else { title };
    table.insert("title".into(), title.into());
    table.insert("description".into(), description.into());
    table.insert("author".into(), author.into());
    table.insert("base_url".into(), "https://example.org/blog/".into());
    table.insert("id_authority".into(), "example.org".into());
    toml::to_string(&table).unwrap_or_else(|e| panic!("config for {table:?}: {e}"))
}

/// Runs the real pipeline on `files` (name, bytes) and checks every document it produced.
fn check_site(config: &str, files: &[(String, Vec<u8>)]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let src = dir.path().join("feed-src");
    std::fs::create_dir(&src).map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (name, bytes) in files {
        std::fs::write(src.join(name), bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, config).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let config = match Config::load(&config_path) {
        Ok(config) => config,
        // A config the generator made invalid (e.g. a title of spaces only) is a clean refusal.
        Err(_) => return Ok(()),
    };
    let outcome = once::run(
        &config,
        once::Options {
            out: None,
            locked: false,
        },
        now(),
    )
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let build = match outcome {
        Outcome::Built { build, .. } | Outcome::Rejected(build) => build,
    };
    for document in &build.documents {
        check_document(document)?;
    }
    Ok(())
}

/// Late enough that nearly every generated date is published rather than scheduled.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9990, 1, 1, 0, 0, 0).unwrap()
}

/// Well-formed XML or valid JSON, and a feed feed-rs reads.
fn check_document(document: &Document) -> Result<(), TestCaseError> {
    let body = &document.body;
    let text = std::str::from_utf8(body)
        .map_err(|e| TestCaseError::fail(format!("{}: not UTF-8: {e}", document.path)))?;
    let Some(format) = document.format() else {
        // The index page: its own tests check it; here it only must be a page.
        return if text.starts_with("<!DOCTYPE html>") {
            Ok(())
        } else {
            Err(TestCaseError::fail(format!("{}: not HTML", document.path)))
        };
    };
    match format {
        Format::Rss | Format::Atom => {
            roxmltree::Document::parse(text).map_err(|e| {
                TestCaseError::fail(format!(
                    "{}: not well-formed XML: {e}\n{text}",
                    document.path
                ))
            })?;
        }
        Format::Json => {
            serde_json::from_str::<serde_json::Value>(text).map_err(|e| {
                TestCaseError::fail(format!("{}: not valid JSON: {e}\n{text}", document.path))
            })?;
        }
    }
    feed_rs::parser::parse(&body[..]).map_err(|e| {
        TestCaseError::fail(format!(
            "{}: feed-rs rejected it: {e}\n{text}",
            document.path
        ))
    })?;
    Ok(())
}

/// A plain-text post: title, optional byline, paragraphs, all arbitrary.
fn plain_text_post() -> impl Strategy<Value = String> {
    (
        line(30),
        proptest::option::weighted(0.8, (date_text(), line(15))),
        proptest::collection::vec(text(60), 0..4),
    )
        .prop_map(|(title, byline, paragraphs)| {
            let byline = byline
                .map(|(date, author)| format!("Posted on {date} by {author}\n"))
                .unwrap_or_default();
            format!("{title}\n{byline}\n{}\n", paragraphs.join("\n\n"))
        })
}

/// A Markdown post with arbitrary front matter values, in TOML or YAML, and an arbitrary body.
fn markdown_post() -> impl Strategy<Value = String> {
    (front_matter(), any::<bool>(), text(120)).prop_map(|(fields, yaml, body)| {
        let head = if yaml {
            yaml_front_matter(&fields)
        } else {
            toml_front_matter(&fields)
        };
        format!("{}\n{body}", head.unwrap_or_default())
    })
}

/// Bytes with no structure at all, sometimes after a front matter fence.
fn raw_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(&["", "+++\n", "---\n", "Title\nPosted on "][..]),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(prefix, bytes)| [prefix.as_bytes(), &bytes].concat())
}

/// A file name: dated or not, Markdown or plain text, with an arbitrary stem. `{n}` is left for
/// a number that keeps the names of one site apart.
fn file_name(ext: &'static str) -> impl Strategy<Value = String> {
    (proptest::bool::weighted(0.7), "[a-z0-9é日-]{0,12}").prop_map(move |(dated, stem)| {
        let prefix = if dated { "2019-07-05-" } else { "" };
        format!("{prefix}{stem}{{n}}.{ext}")
    })
}

/// Up to four posts of every kind, uniquely named.
fn site_files() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let one = prop_oneof![
        4 => (file_name("md"), markdown_post()).prop_map(|(n, t)| (n, t.into_bytes())),
        3 => (file_name("txt"), plain_text_post()).prop_map(|(n, t)| (n, t.into_bytes())),
        1 => (file_name("md"), text(200)).prop_map(|(n, t)| (n, t.into_bytes())),
        1 => (file_name("txt"), text(200)).prop_map(|(n, t)| (n, t.into_bytes())),
        1 => (file_name("md"), raw_bytes()),
        1 => (file_name("txt"), raw_bytes()),
    ];
    proptest::collection::vec(one, 1..5).prop_map(|files| {
        files
            .into_iter()
            .enumerate()
            .map(|(i, (name, bytes))| (name.replace("{n}", &i.to_string()), bytes))
            .collect()
    })
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn any_site_gives_well_formed_documents_or_diagnostics(
        files in site_files(),
        title in text(20),
        description in text(20),
        author in text(10),
    ) {
        check_site(&config_text(&title, &description, &author), &files)?;
    }
}

/// The checks themselves accept a real site with every kind of post.
#[test]
fn sample_site_passes_the_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(root.join("config.toml")).expect("sample config");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root.join("feed-src")).expect("sample feed-src") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        files.push((name, std::fs::read(entry.path()).expect("read")));
    }
    if let Err(e) = check_site(&config, &files) {
        panic!("{e}");
    }
}
