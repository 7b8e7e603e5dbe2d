use std::io::Read;
use std::os::unix::fs::MetadataExt;

use chrono::Utc;

use super::*;
use crate::snapshot::Contents;

struct Scratch {
    root: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("src")).unwrap();
        Scratch { root }
    }
    fn state(&self) -> PathBuf {
        self.root.path().join("state")
    }
    fn media(&self, name: &str, bytes: &[u8]) -> MediaFile {
        let source = self.root.path().join("src").join(name);
        std::fs::write(&source, bytes).unwrap();
        let (length, modified) = stamp(&source).unwrap();
        MediaFile {
            path: format!("episodes/{name}"),
            source,
            mime: "audio/mpeg".into(),
            length,
            modified,
        }
    }
    fn copies(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.state().join("media"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| is_copy_name(n))
            .collect();
        names.sort();
        names
    }
}

fn snapshot(media: Vec<ServedMedia>) -> Snapshot {
    let contents = Contents {
        built_at: Utc::now(),
        ..Contents::default()
    };
    Snapshot::from_build(contents, None).with_media(media)
}

#[test]
fn a_file_is_served_from_a_copy_named_by_its_hash() {
    let scratch = Scratch::new();
    let one = scratch.media("one.mp3", b"episode one");
    let mut store = MediaStore::open(&scratch.state());
    let served = store.publish(std::slice::from_ref(&one), None);
    assert_eq!(served.len(), 1);
    let copy = &served[0];
    assert_eq!(copy.path(), "episodes/one.mp3");
    assert_eq!(copy.etag(), &ETag::of(b"episode one"));
    assert_eq!(copy.length(), 11);
    assert_eq!(copy.mime(), "audio/mpeg");
    assert_eq!(std::fs::read(copy.file()).unwrap(), b"episode one");
    assert_eq!(copy.file().file_name().unwrap(), copy.etag().opaque());
    assert!(store.problems().is_empty());
}

#[test]
fn an_unchanged_file_is_not_copied_again_even_after_a_restart() {
    let scratch = Scratch::new();
    let one = scratch.media("one.mp3", b"episode one");
    let first = MediaStore::open(&scratch.state()).publish(std::slice::from_ref(&one), None);
    let inode = std::fs::metadata(first[0].file()).unwrap().ino();
    // A restart: the index tells the file is the one copied, without reading it.
    let mut store = MediaStore::open(&scratch.state());
    let again = store.publish(std::slice::from_ref(&one), None);
    assert_eq!(again, first);
    assert_eq!(std::fs::metadata(again[0].file()).unwrap().ino(), inode);
    // Two files with the same bytes share a copy.
    let twin = scratch.media("twin.mp3", b"episode one");
    let both = store.publish(&[one, twin], None);
    assert_eq!(both[0].file(), both[1].file());
    assert_eq!(scratch.copies().len(), 1);
}

#[test]
fn a_replaced_file_gets_a_new_copy_and_a_download_of_the_old_one_is_unaffected() {
    let scratch = Scratch::new();
    let mut store = MediaStore::open(&scratch.state());
    let old = store.publish(&[scratch.media("one.mp3", b"old bytes")], None);
    let mut download = std::fs::File::open(old[0].file()).unwrap();
    let previous = snapshot(old.clone());
    // Rewritten in place, same length.
    let new = store.publish(&[scratch.media("one.mp3", b"new bytes")], Some(&previous));
    assert_ne!(new[0].etag(), old[0].etag());
    assert_eq!(std::fs::read(new[0].file()).unwrap(), b"new bytes");
    assert_eq!(scratch.copies().len(), 2);
    store.tidy(&snapshot(new.clone()));
    assert_eq!(scratch.copies(), [new[0].etag().opaque()]);
    let mut read = Vec::new();
    download.read_to_end(&mut read).unwrap();
    assert_eq!(read, b"old bytes", "an open copy keeps its bytes");
}

#[test]
fn a_file_that_cannot_be_copied_is_reported_and_keeps_its_previous_copy() {
    let scratch = Scratch::new();
    let mut store = MediaStore::open(&scratch.state());
    let one = scratch.media("one.mp3", b"episode one");
    let served = store.publish(std::slice::from_ref(&one), None);
    let previous = snapshot(served.clone());
    std::fs::remove_file(&one.source).unwrap();
    let kept = store.publish(std::slice::from_ref(&one), Some(&previous));
    assert_eq!(kept, served);
    assert_eq!(store.problems().len(), 1);
    assert!(
        store.problems()[0].message.contains("one.mp3"),
        "{:?}",
        store.problems()
    );
    // Without a previous copy it is not served at all.
    let mut fresh = MediaStore::open(&scratch.root.path().join("other-state"));
    assert!(fresh.publish(&[one], None).is_empty());
}

#[test]
fn temporary_files_left_by_a_crash_are_removed_at_start() {
    let scratch = Scratch::new();
    let dir = scratch.state().join("media");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{TEMP_PREFIX}abc.tmp")), "half").unwrap();
    MediaStore::open(&scratch.state());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
