//! `cargo bench --bench pipeline`: the inner stages of the pipeline, timed one at a time on
//! in-memory input, so a change to one stage shows up here without the disk, the watcher or the
//! network in the way. What whole runs cost against other tools is `bench/compare`'s job.
//!
//! Stages: parsing one post of each source form, rendering one post's body, building the feed model
//! and rendering every document of a 1,000-post site, compressing one feed document for the
//! snapshot, and answering a request for it (200 and 304). Posts are made up here,
//! deterministically, in the shapes `feedd-gen` writes (about 600 words, tags, front matter).
//! Sample counts are kept small so `cargo bench --bench pipeline -- --quick` takes seconds.

use std::collections::HashMap;
use std::hint::black_box;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hyper::Request;

use feedd::config::Config;
use feedd::feed;
use feedd::http::{Front, Settings, respond};
use feedd::ledger::IdLedger;
use feedd::post::{Content, ParseOptions, Post, render_content};
use feedd::render::{self, Document};
use feedd::snapshot::{Contents, Snapshot};

const POSTS: usize = 1_000;
/// Prose is drawn from these with a fixed pseudo-random sequence, so that documents compress
/// about as well as real text does (a short cycle of words would compress far better).
const WORDS: &str = "harbour lantern compiler orchard festival keyboard museum ferry bridge river \
    mountain village kitchen library station theatre garden winter season morning storm market \
    bicycle engine island window archive server protocol letter teacher neighbour council choir \
    notebook recipe baker workshop border train quiet stubborn careful ancient patient curious \
    honest gentle narrow restless familiar hidden bright distant crowded simple local strange \
    steady tired generous early late brief cold warm open small busy empty rough modest measured \
    visited crossed described praised questioned remembered surprised replaced repaired followed \
    watched welcomed carried explained changed protected ignored shaped the every their one that \
    our this a across beyond before behind beside under near through after Zürich Αθήνα São";

const TAGS: &[&str] = &[
    "travel", "food", "rust", "books", "music", "climate", "history",
];

const CONFIG: &str = "title = \"bench\"\nbase_url = \"https://bench.example.org/\"\n\
                      id_authority = \"bench.example.org\"\nmax_entries = 50\n";

/// A sentence of `words` words, different for each `seed` (xorshift: deterministic, no crate).
fn sentence(seed: usize, words: usize) -> String {
    let vocabulary: Vec<&str> = WORDS.split_whitespace().collect();
    let mut state = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut text: String = (0..words)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            vocabulary[(state % vocabulary.len() as u64) as usize]
        })
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

/// Six paragraphs of about a hundred words, the later ones with some Markdown in them.
fn body(seed: usize, markdown: bool) -> String {
    let mut out = String::new();
    for p in 0..6 {
        let sentences: Vec<String> = (0..7).map(|s| sentence(seed + p * 31 + s, 14)).collect();
        let mut paragraph = sentences.join(" ");
        if markdown && p > 0 {
            paragraph = format!(
                "*{}* and [a link](../post-{}/) {paragraph}",
                sentence(p, 2),
                seed + p
            );
            if p == 3 {
                out.push_str("## A heading\n\n- one item\n- another item\n\n");
            }
        }
        out.push_str(&paragraph);
        out.push_str("\n\n");
    }
    out
}

fn date(i: usize) -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + chrono::Duration::days(16_000) + chrono::Duration::hours(i as i64 * 7)
}

/// Post `i` as (file name, file text): TOML, YAML and plain text in turn.
fn post_file(i: usize) -> (String, String) {
    let title = sentence(i, 5);
    let date = date(i);
    let tags = [TAGS[i % TAGS.len()], TAGS[(i / 3) % TAGS.len()]];
    match i % 3 {
        0 => (
            format!("post-{i}.md"),
            format!(
                "+++\ntitle = \"{title}\"\ndate = {}\nauthor = \"Jane Doe\"\ntags = [\"{}\", \"{}\"]\n+++\n\n{}",
                date.to_rfc3339(),
                tags[0],
                tags[1],
                body(i, true)
            ),
        ),
        1 => (
            format!("post-{i}.md"),
            format!(
                "---\ntitle: \"{title}\"\ndate: {}\nauthors: [\"Mei Lin\", \"Yuki Tanaka\"]\ntags:\n  - {}\n  - {}\n---\n\n{}",
                date.to_rfc3339(),
                tags[0],
                tags[1],
                body(i, true)
            ),
        ),
        _ => (
            format!("{}-post-{i}.txt", date.format("%Y-%m-%d")),
            format!(
                "{title}\n\nPosted on {} by Søren Berg\n\n{}",
                date.format("%B %-d, %Y"),
                body(i, false)
            ),
        ),
    }
}

fn options() -> ParseOptions {
    ParseOptions {
        timezone: chrono_tz::Tz::UTC,
    }
}

/// A parsed 1,000-post site: config, posts, and each post's body as HTML.
struct Site {
    config: Config,
    posts: Vec<Arc<Post>>,
    content: HashMap<PathBuf, Content>,
}

fn site() -> Site {
    let config = Config::from_str(CONFIG, Path::new("config.toml")).expect("the config is valid");
    let mut posts = Vec::with_capacity(POSTS);
    let mut content = HashMap::with_capacity(POSTS);
    for i in 0..POSTS {
        let (name, text) = post_file(i);
        let path = PathBuf::from(name);
        let post = Post::parse(&path, &text, &options()).expect("generated posts parse");
        let html = render_content(&path, &text).expect("generated posts render");
        content.insert(path, html);
        posts.push(Arc::new(post));
    }
    Site {
        config,
        posts,
        content,
    }
}

fn build_documents(site: &Site) -> Vec<Document> {
    let content = |post: &Post, page: &url::Url| {
        let content = &site.content[&post.path];
        Content {
            html: feed::absolutize_html(&content.html, page),
            excerpt: content.excerpt.clone(),
        }
    };
    let built = feed::build(
        &site.config,
        &site.posts,
        &IdLedger::default(),
        &content,
        date(POSTS + 1),
    );
    render::render_all(&built.feeds)
}

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, i) in [
        ("markdown_toml", 0),
        ("markdown_yaml", 1),
        ("plain_text", 2),
    ] {
        let (file, text) = post_file(i);
        let path = PathBuf::from(file);
        group.bench_function(name, |b| {
            b.iter(|| Post::parse(black_box(&path), black_box(&text), &options()))
        });
    }
    let (file, text) = post_file(0);
    let path = PathBuf::from(file);
    group.bench_function("render_content_markdown", |b| {
        b.iter(|| render_content(black_box(&path), black_box(&text)))
    });
    group.finish();
}

fn building(c: &mut Criterion) {
    let site = site();
    let mut group = c.benchmark_group("build");
    group.bench_function("feed_model_and_render_all_1000_posts", |b| {
        b.iter(|| build_documents(black_box(&site)))
    });
    group.finish();

    // Compressing is what a snapshot costs per changed document (gzip and brotli).
    let main_atom: Vec<Document> = build_documents(&site)
        .into_iter()
        .filter(|d| d.path == "atom.xml")
        .collect();
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("compress_main_atom", |b| {
        b.iter_batched(
            || main_atom.clone(),
            compressed_snapshot,
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// A snapshot of `documents` with their encodings, as the daemon serves it.
fn compressed_snapshot(documents: Vec<Document>) -> Snapshot {
    let contents = Contents {
        documents,
        views: Vec::new(),
        diagnostics: Vec::new(),
        entry_count: POSTS,
        built_at: date(POSTS + 1),
        discovery: None,
    };
    let snapshot = Snapshot::from_build(contents, None);
    snapshot.compressed().unwrap_or(snapshot)
}

fn responding(c: &mut Criterion) {
    let site = site();
    let documents = build_documents(&site);
    let snapshot = compressed_snapshot(documents);
    let settings = Settings::from_server(&site.config.server);
    let etag = snapshot
        .get("atom.xml")
        .expect("the main Atom feed is built")
        .identity()
        .etag()
        .to_string();
    let request = |header: Option<(&str, &str)>| {
        // An HTTP/1.1 request without a Host is a 400 (RFC 9112 §3.2).
        let mut builder = Request::get("/atom.xml").header("host", "example.org");
        if let Some((name, value)) = header {
            builder = builder.header(name, value);
        }
        builder.body(()).expect("a valid request")
    };
    let cases = [
        ("200_identity", request(None)),
        ("200_brotli", request(Some(("accept-encoding", "gzip, br")))),
        ("304_if_none_match", request(Some(("if-none-match", &etag)))),
    ];
    // A bench of the wrong answer would be worthless: check each case's status and coding once.
    for ((_, request), (status, coding)) in
        cases
            .iter()
            .zip([(200, None), (200, Some("br")), (304, None)])
    {
        let response = respond(&snapshot, &settings, request);
        assert_eq!(response.status().as_u16(), status);
        let got = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().ok());
        assert_eq!(got.flatten(), coding);
    }
    let mut group = c.benchmark_group("respond");
    for (name, request) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| respond(black_box(&snapshot), &settings, black_box(request)))
        });
    }
    group.finish();
    fronted(c, &snapshot, &settings, &cases);
}

/// The same requests through [`Front`], which adds `/metrics` counting and the rate limit to
/// `respond`: its cost per request with each off and on. A user agent is set, so a request
/// without validators takes the user-agent table's lock as it would in service.
fn fronted(
    c: &mut Criterion,
    snapshot: &Snapshot,
    settings: &Settings,
    cases: &[(&str, Request<()>)],
) {
    let peer = IpAddr::from([192, 0, 2, 1]);
    let configs = [
        ("front_off", settings.clone()),
        (
            "front_metrics",
            Settings {
                metrics: true,
                ..settings.clone()
            },
        ),
        (
            "front_metrics_rate_limit",
            Settings {
                metrics: true,
                rate_limit: u32::MAX,
                ..settings.clone()
            },
        ),
    ];
    let mut group = c.benchmark_group("front");
    for (config, settings) in &configs {
        let front = Front::new(settings);
        for (name, request) in cases {
            let mut request = request.clone();
            request
                .headers_mut()
                .insert("user-agent", "bench/1.0".parse().expect("a valid header"));
            group.bench_function(format!("{config}/{name}"), |b| {
                b.iter(|| front.answer(black_box(snapshot), settings, black_box(&request), peer))
            });
        }
    }
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = pipeline;
    config = quick();
    targets = parsing, building, responding
}
criterion_main!(pipeline);
