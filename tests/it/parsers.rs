//! Every document feedd writes is accepted by independent parsers: `feed-rs`, the `rss` crate's
//! validator and Python's `feedparser` (with JSON Feed checked against its schema), on the
//! bundled sample site and on a generated 1,000-post corpus whose every field is compared with
//! the generator's manifest.

use std::path::{Path, PathBuf};
use std::process::Command;

use rss::validation::Validate;

use crate::support::*;

fn check_feeds(args: &[&std::ffi::OsStr]) {
    run_python_checker("check_feeds.py", args);
}

/// The feed documents below `dir` (pages, `*.html`, are checked by `pages.rs`).
fn documents(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if !name.starts_with('.') && !name.ends_with(".html") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// feed-rs reads every document; every RSS document passes the `rss` crate's validation.
fn check_with_rust_parsers(out: &Path) -> usize {
    let docs = documents(out);
    for doc in &docs {
        let bytes = std::fs::read(doc).unwrap();
        let feed =
            feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        assert!(!feed.entries.is_empty(), "{}", doc.display());
        if doc.extension().is_some_and(|e| e == "xml")
            && doc.file_name().is_some_and(|n| n == "rss.xml")
        {
            let channel = rss::Channel::read_from(&bytes[..]).unwrap();
            channel
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        }
    }
    docs.len()
}

#[test]
fn sample_site_is_accepted_by_every_parser() {
    let site = Site::sample();
    assert_success(&site.once());
    assert_eq!(check_with_rust_parsers(&site.out()), 3);
    check_feeds(&[
        site.out().as_os_str(),
        "--sample-src".as_ref(),
        site.src().as_os_str(),
        "--config".as_ref(),
        site.config().as_os_str(),
    ]);
}

#[test]
fn generated_corpus_is_accepted_and_every_field_matches_the_source() {
    let dir = tempfile::tempdir().unwrap();
    feedd_gen::generate(&feedd_gen::Options::new(1000, dir.path())).expect("generate a site");
    // With archives, so that every archive page is read by both parsers and checked against the
    // manifest too.
    let config = dir.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[archives]\nenabled = true\n");
    std::fs::write(&config, text).unwrap();
    let output = Command::new(BIN)
        .arg("--once")
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .output()
        .unwrap();
    assert_success(&output);
    let out = dir.path().join("public");
    let count = check_with_rust_parsers(&out);
    assert!(count > 3 * 5, "per-tag feeds are built too: {count}");
    check_feeds(&[
        out.as_os_str(),
        "--manifest".as_ref(),
        dir.path().join("manifest.json").as_os_str(),
    ]);
}
