use std::io::Read;

use chrono::{TimeZone, Utc};
use sha2::{Digest, Sha256};

use chrono::DateTime;

use super::*;
use crate::diagnostic::Diagnostic;
use crate::etag::ETag;
use crate::format::{DocumentKind, Format};
use crate::render::Document;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .expect("valid test timestamp")
}

fn document(path: &str, body: &str) -> Document {
    Document {
        path: path.into(),
        kind: DocumentKind::Feed(Format::Atom),
        body: body.as_bytes().to_vec().into(),
        etag: ETag::from_opaque(&format!("{:x}", Sha256::digest(body.as_bytes()))),
        last_modified: at(1_700_000_000),
        lifetime: crate::render::Lifetime::Current,
    }
}

fn contents(documents: Vec<Document>, entry_count: usize, built_at: DateTime<Utc>) -> Contents {
    Contents {
        documents,
        views: Vec::new(),
        diagnostics: vec![],
        entry_count,
        built_at,
        discovery: None,
    }
}

/// The snapshot after `previous` with every encoding, as the daemon serves it once the
/// background compression is published.
fn compressed(contents: Contents, previous: Option<&Snapshot>) -> Snapshot {
    let snapshot = Snapshot::from_build(contents, previous);
    snapshot.compressed().unwrap_or(snapshot)
}

fn long_body(seed: &str) -> String {
    (0..200)
        .map(|i| format!("<entry><title>{seed} post {i}</title></entry>\n"))
        .collect()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn encodings_are_built_once_and_decode_to_the_body() {
    let body = long_body("a");
    let snap = compressed(
        contents(vec![document("atom.xml", &body)], 3, at(1_800_000_000)),
        None,
    );
    let doc = snap.get("atom.xml").unwrap();
    let gz = doc.variant(Encoding::Gzip).unwrap();
    let br = doc.variant(Encoding::Brotli).unwrap();
    assert!(gz.body().len() < body.len() && br.body().len() < body.len());
    assert_eq!(gunzip(gz.body()), body.as_bytes());
    assert_eq!(unbrotli(br.body()), body.as_bytes());
    assert_eq!(doc.identity().body(), body.as_bytes());
    assert_eq!(doc.content_type(), Format::Atom.content_type());
}

#[test]
fn encoding_that_does_not_shrink_the_body_is_dropped() {
    let snap = compressed(
        contents(vec![document("feed.json", "x")], 0, at(1_800_000_000)),
        None,
    );
    let doc = snap.get("feed.json").unwrap();
    assert!(doc.variant(Encoding::Gzip).is_none());
    assert!(doc.variant(Encoding::Brotli).is_none());
    assert_eq!(doc.variant(Encoding::Identity), Some(doc.identity()));
}

#[test]
fn each_representation_has_its_own_etag() {
    let d = document("atom.xml", &long_body("a"));
    let hash = d.etag.opaque().to_string();
    let snap = compressed(contents(vec![d], 0, at(1_800_000_000)), None);
    let doc = snap.get("atom.xml").unwrap();
    let etag = |e: Encoding| doc.variant(e).unwrap().etag().as_str();
    assert_eq!(etag(Encoding::Identity), format!("\"{hash}\""));
    assert_eq!(etag(Encoding::Gzip), format!("\"{hash}-gz\""));
    assert_eq!(etag(Encoding::Brotli), format!("\"{hash}-br\""));
}

#[test]
fn next_reuses_compressed_bytes_of_unchanged_documents() {
    let first = compressed(
        contents(
            vec![
                document("atom.xml", &long_body("a")),
                document("rss.xml", &long_body("r")),
            ],
            2,
            at(1_800_000_000),
        ),
        None,
    );
    let atom = document("atom.xml", &long_body("a"));
    let build_copy = atom.body.as_ptr();
    let second = compressed(
        contents(
            vec![atom, document("rss.xml", &long_body("changed"))],
            2,
            at(1_800_000_100),
        ),
        Some(&first),
    );
    assert_eq!((first.generation(), second.generation()), (1, 2));
    let shared = |s: &Snapshot, path: &str, e: Encoding| {
        s.get(path).unwrap().variant(e).unwrap().body().as_ptr()
    };
    assert_eq!(
        shared(&second, "atom.xml", Encoding::Identity),
        build_copy,
        "the body is the build's copy, so the same bytes are not held twice"
    );
    for e in [Encoding::Gzip, Encoding::Brotli] {
        assert_eq!(
            shared(&first, "atom.xml", e),
            shared(&second, "atom.xml", e),
            "{e:?}"
        );
        assert_ne!(
            shared(&first, "rss.xml", e),
            shared(&second, "rss.xml", e),
            "{e:?}"
        );
    }
    let rss = second.get("rss.xml").unwrap();
    assert_eq!(
        unbrotli(rss.variant(Encoding::Brotli).unwrap().body()),
        long_body("changed").as_bytes()
    );
}

#[test]
fn reuse_follows_a_document_that_moved() {
    let first = compressed(
        contents(
            vec![document("old.xml", &long_body("a"))],
            0,
            at(1_800_000_000),
        ),
        None,
    );
    let second = compressed(
        contents(
            vec![document("new.xml", &long_body("a"))],
            0,
            at(1_800_000_000),
        ),
        Some(&first),
    );
    assert!(second.get("old.xml").is_none());
    let moved = second.get("new.xml").unwrap();
    assert_eq!(moved.path(), "new.xml");
    assert_eq!(
        moved.variant(Encoding::Gzip).unwrap().body().as_ptr(),
        first
            .get("old.xml")
            .unwrap()
            .variant(Encoding::Gzip)
            .unwrap()
            .body()
            .as_ptr()
    );
}

#[test]
fn reuse_requires_equal_bytes_not_just_an_equal_etag() {
    let first = compressed(
        contents(
            vec![document("atom.xml", &long_body("a"))],
            0,
            at(1_800_000_000),
        ),
        None,
    );
    let mut lying = document("atom.xml", &long_body("b"));
    lying.etag = first.get("atom.xml").unwrap().identity().etag().clone();
    let second = compressed(contents(vec![lying], 0, at(1_800_000_000)), Some(&first));
    let gz = second
        .get("atom.xml")
        .unwrap()
        .variant(Encoding::Gzip)
        .unwrap();
    assert_eq!(gunzip(gz.body()), long_body("b").as_bytes());
}

#[test]
fn last_modified_is_clamped_to_build_time_and_the_epoch() {
    let mut future = document("a.xml", "a");
    future.last_modified = at(1_900_000_000);
    let mut ancient = document("b.xml", "b");
    ancient.last_modified = at(-5_000);
    let built_at = at(1_800_000_000);
    let snap = compressed(contents(vec![future, ancient], 0, built_at), None);
    assert_eq!(snap.get("a.xml").unwrap().last_modified(), built_at);
    assert_eq!(
        snap.get("b.xml").unwrap().last_modified(),
        DateTime::UNIX_EPOCH
    );
}

#[test]
fn documents_are_listed_by_path_with_counts_and_diagnostics() {
    let diag = Diagnostic::at_line("feed-src/x.md", 2, "missing `title`");
    let snap = compressed(
        Contents {
            diagnostics: vec![diag.clone()],
            ..contents(
                vec![
                    document("rss.xml", "r"),
                    document("atom.xml", "a"),
                    document("rss.xml", "r2"),
                ],
                9,
                at(1_800_000_000),
            )
        },
        None,
    );
    let paths: Vec<&str> = snap.documents().map(|d| d.path()).collect();
    assert_eq!(paths, ["atom.xml", "rss.xml"]);
    assert_eq!(
        snap.get("rss.xml").unwrap().identity().body(),
        "r2".as_bytes()
    );
    assert_eq!(snap.entry_count(), 9);
    assert_eq!(snap.generation(), 1);
    assert_eq!(snap.built_at(), at(1_800_000_000));
    assert_eq!(snap.diagnostics(), [diag]);
}

#[test]
fn with_diagnostics_keeps_the_documents_under_the_next_generation() {
    let first = compressed(contents(vec![document("a.xml", "a")], 4, at(0)), None);
    let diag = Diagnostic::for_file("public", "output folder not updated");
    let next = first.with_diagnostics(vec![diag.clone()]);
    assert_eq!(next.generation(), 2);
    assert_eq!(next.diagnostics(), [diag]);
    assert_eq!(next.entry_count(), 4);
    assert_eq!(next.get("a.xml"), first.get("a.xml"));
}

#[test]
fn publish_swaps_whole_and_old_readers_keep_their_snapshot() {
    let publisher = Publisher::new(compressed(
        contents(vec![document("a.xml", "a")], 0, at(0)),
        None,
    ));
    let held = publisher.current();
    let other_handle = publisher.clone();
    other_handle.publish(compressed(
        contents(vec![document("b.xml", "b")], 0, at(1)),
        Some(&held),
    ));
    assert_eq!(held.generation(), 1);
    assert!(held.get("a.xml").is_some());
    let now = publisher.load();
    assert_eq!(now.generation(), 2);
    assert!(now.get("a.xml").is_none() && now.get("b.xml").is_some());
}

#[test]
fn uncompressed_snapshots_gain_their_encodings_later_under_the_same_generation() {
    let body = long_body("x");
    let first = Snapshot::from_build(contents(vec![document("a.xml", &body)], 1, at(0)), None);
    assert_eq!(first.generation(), 1);
    assert!(
        first
            .get("a.xml")
            .unwrap()
            .variant(Encoding::Gzip)
            .is_none()
    );
    let compressed = first.compressed().expect("something to compress");
    assert_eq!(compressed.generation(), 1);
    let gz = compressed
        .get("a.xml")
        .unwrap()
        .variant(Encoding::Gzip)
        .unwrap();
    assert_eq!(gunzip(gz.body()), body.as_bytes());
    assert!(
        compressed.compressed().is_none(),
        "nothing left to compress"
    );
    let next = Snapshot::from_build(
        contents(vec![document("a.xml", &body)], 1, at(1)),
        Some(&compressed),
    );
    assert_eq!(next.generation(), 2);
    assert!(
        next.get("a.xml")
            .unwrap()
            .variant(Encoding::Brotli)
            .is_some(),
        "unchanged documents keep the encodings they had"
    );
}

#[test]
fn replace_never_overwrites_a_newer_snapshot() {
    let first = || compressed(contents(vec![document("a.xml", "a")], 0, at(0)), None);
    let publisher = Publisher::new(first());
    let held = publisher.current();
    assert!(publisher.replace(&held, first()));
    let stale = held;
    let current = publisher.current();
    publisher.publish(compressed(
        contents(vec![document("b.xml", "b")], 0, at(1)),
        Some(&current),
    ));
    assert!(!publisher.replace(&stale, compressed(Contents::default(), None)));
    assert_eq!(publisher.current().generation(), 2);
}

#[test]
fn views_are_kept_apart_from_documents_compressed_and_reused() {
    let page = |path: &str, body: &str| Document {
        kind: DocumentKind::Page,
        ..document(path, body)
    };
    let with_views = |feed: &str, view: &str| Contents {
        views: vec![page("atom.xml", view)],
        ..contents(vec![document("atom.xml", feed)], 1, at(1_800_000_000))
    };
    let first = compressed(with_views(&long_body("feed"), &long_body("page")), None);
    assert_eq!(
        first.documents().len(),
        1,
        "a view is not a document of its own"
    );
    let feed = first.get("atom.xml").unwrap();
    let view = first.view("atom.xml").unwrap();
    assert_eq!(feed.kind(), DocumentKind::Feed(Format::Atom));
    assert_eq!(view.kind(), DocumentKind::Page);
    assert_eq!(view.content_type(), "text/html; charset=utf-8");
    assert_eq!(
        gunzip(view.variant(Encoding::Gzip).unwrap().body()),
        long_body("page").as_bytes()
    );
    assert_eq!(first.view("rss.xml"), None);
    let second = compressed(
        with_views(&long_body("feed 2"), &long_body("page")),
        Some(&first),
    );
    let body = |s: &Snapshot| {
        s.view("atom.xml")
            .unwrap()
            .variant(Encoding::Brotli)
            .unwrap()
            .body()
            .as_ptr()
    };
    assert_eq!(
        body(&first),
        body(&second),
        "an unchanged page keeps its encodings"
    );
    let moved = second.with_diagnostics(vec![]);
    assert!(
        moved.view("atom.xml").is_some(),
        "new diagnostics keep the views"
    );
}

#[test]
fn archive_pages_are_served_as_they_are_and_never_wait_for_compression() {
    let mut archived = document("archive/2024-05/atom.xml", &long_body("old"));
    archived.lifetime = crate::render::Lifetime::Archived;
    let only_archives = Snapshot::from_build(contents(vec![archived.clone()], 1, at(1)), None);
    assert!(
        only_archives.compressed().is_none(),
        "nothing to compress, so no background job"
    );
    let both = vec![archived, document("atom.xml", &long_body("new"))];
    let snapshot = compressed(contents(both, 2, at(1)), None);
    let page = snapshot.get("archive/2024-05/atom.xml").unwrap();
    assert_eq!(page.variant(Encoding::Gzip), None);
    assert_eq!(page.variant(Encoding::Brotli), None);
    let current = snapshot.get("atom.xml").unwrap();
    assert!(current.variant(Encoding::Gzip).is_some());
}
