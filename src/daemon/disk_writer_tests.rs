use std::path::Path;

use chrono::DateTime;

use super::super::change_times::ChangeTimes;
use super::*;
use crate::etag::ETag;
use crate::format::{DocumentKind, Format};
use crate::render::{Document, Lifetime};

const FILE: &str = "last-modified.json";

/// The stamps of one document with `etag`, as the file in `dir` is to hold them.
fn stamps(dir: &Path, etag: &str) -> Write {
    let mut times = ChangeTimes::load(dir);
    let mut documents = [Document {
        path: "atom.xml".into(),
        kind: DocumentKind::Feed(Format::Atom),
        body: bytes::Bytes::new(),
        etag: ETag::from_opaque(etag),
        last_modified: DateTime::UNIX_EPOCH,
        lifetime: Lifetime::Current,
    }];
    times.stamp(&mut documents, DateTime::UNIX_EPOCH);
    Write::ChangeTimes(times.take_unsaved().expect("new stamps"))
}

fn written(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(FILE)).unwrap_or_default()
}

#[test]
fn a_failed_write_is_reported_kept_and_done_with_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file goes: the rename over it fails, as on a read-only disk.
    std::fs::create_dir_all(dir.path().join(FILE).join("in-the-way")).unwrap();
    let (mut writer, _finisher) = DiskWriter::spawn().unwrap();
    writer.queue(stamps(dir.path(), "first"));
    let failed = writer.outcomes.blocking_recv().unwrap();
    assert_eq!(failed.place, Place::ChangeTimes);
    let problem = failed.problem.expect("the write failed").to_string();
    assert!(
        problem.contains(FILE) && problem.contains("cannot keep the Last-Modified times"),
        "{problem}"
    );

    std::fs::remove_dir_all(dir.path().join(FILE)).unwrap();
    writer.retry(vec![dir.path().join(FILE)]);
    let fixed = writer.outcomes.blocking_recv().unwrap();
    assert!(fixed.problem.is_none(), "{:?}", fixed.problem);
    assert!(written(dir.path()).contains("first"));
}

#[test]
fn a_retry_forgets_writes_to_files_the_config_no_longer_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(FILE).join("in-the-way")).unwrap();
    let (mut writer, _finisher) = DiskWriter::spawn().unwrap();
    writer.queue(stamps(dir.path(), "old place"));
    assert!(writer.outcomes.blocking_recv().unwrap().problem.is_some());
    writer.retry(vec![dir.path().join("elsewhere.json")]);
    let dropped = writer.outcomes.blocking_recv().unwrap();
    assert!(dropped.problem.is_none(), "no longer a problem");
    assert!(dir.path().join(FILE).is_dir(), "and not tried again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_writes_the_newest_of_what_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, finisher) = DiskWriter::spawn().unwrap();
    for n in 0..50 {
        writer.queue(stamps(dir.path(), &format!("version {n}")));
    }
    finisher.finish().await;
    assert!(
        written(dir.path()).contains("version 49"),
        "{}",
        written(dir.path())
    );
    drop(writer);
}

#[test]
fn writes_queued_behind_a_slow_one_collapse_into_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, _finisher) = DiskWriter::spawn().unwrap();
    let versions: Vec<Write> = (0..200)
        .map(|n| stamps(dir.path(), &format!("version {n}")))
        .collect();
    // Queued in microseconds, while the first write waits for the disk.
    for version in versions {
        writer.queue(version);
    }
    let mut attempts = 0;
    while !written(dir.path()).contains("version 199") {
        writer.outcomes.blocking_recv().unwrap();
        attempts += 1;
    }
    // Each attempt takes what was queued while the one before it waited for the disk.
    assert!(attempts < 100, "{attempts} writes for 200 versions");
}
