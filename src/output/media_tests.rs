use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::media::MediaFile;

struct Scratch {
    root: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("src/episodes")).unwrap();
        Scratch { root }
    }
    fn src(&self, relative: &str) -> PathBuf {
        self.root.path().join("src").join(relative)
    }
    fn out(&self, relative: &str) -> PathBuf {
        self.root.path().join("out").join(relative)
    }
    fn folder(&self) -> OutputFolder {
        let root = self.root.path();
        OutputFolder::open(&root.join("out"), &root.join("src"), &root.join("state")).unwrap()
    }
    /// A media file at `relative` in the sources holding `bytes`, published at the same path.
    fn media(&self, relative: &str, bytes: &[u8]) -> MediaFile {
        let source = self.src(relative);
        std::fs::write(&source, bytes).unwrap();
        // An old time, so a copy made now could not get it by chance.
        let modified = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        std::fs::File::options()
            .write(true)
            .open(&source)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        MediaFile {
            path: relative.into(),
            source,
            mime: "audio/mpeg".into(),
            length: bytes.len() as u64,
            modified,
        }
    }
}

#[test]
fn media_are_copied_then_left_alone_while_unchanged() {
    let scratch = Scratch::new();
    let one = scratch.media("episodes/one.mp3", &[1; 300_000]);
    let two = scratch.media("two.png", b"png");
    let report = scratch
        .folder()
        .publish(&[], &[one.clone(), two.clone()])
        .unwrap();
    assert_eq!(report.written, ["episodes/one.mp3", "two.png"]);
    assert_eq!(
        std::fs::read(scratch.out("episodes/one.mp3")).unwrap(),
        [1; 300_000]
    );
    assert_eq!(
        stamp(&scratch.out("two.png")).unwrap(),
        stamp(&two.source).unwrap(),
        "the copy has the source's length and modification time"
    );
    let again = scratch.folder().publish(&[], &[one, two]).unwrap();
    assert!(again.written.is_empty(), "{again:?}");
    assert_eq!(again.unchanged, 2);
}

#[test]
fn a_changed_source_is_copied_again_and_the_source_is_never_touched() {
    let scratch = Scratch::new();
    let one = scratch.media("episodes/one.mp3", b"first version");
    scratch.folder().publish(&[], &[one]).unwrap();
    let one = scratch.media("episodes/one.mp3", b"second version");
    let source_stamp = stamp(&one.source).unwrap();
    let report = scratch
        .folder()
        .publish(&[], std::slice::from_ref(&one))
        .unwrap();
    assert_eq!(report.written, ["episodes/one.mp3"]);
    assert_eq!(
        std::fs::read(scratch.out("episodes/one.mp3")).unwrap(),
        b"second version"
    );
    assert_eq!(stamp(&one.source).unwrap(), source_stamp);
    // Same length, other bytes, a copy's time: compared byte for byte.
    std::fs::write(scratch.out("episodes/one.mp3"), b"SECOND VERSION").unwrap();
    std::fs::File::options()
        .write(true)
        .open(scratch.out("episodes/one.mp3"))
        .unwrap()
        .set_modified(UNIX_EPOCH)
        .unwrap();
    let report = scratch.folder().publish(&[], &[one]).unwrap();
    assert_eq!(report.written, ["episodes/one.mp3"]);
}

#[test]
fn media_no_document_links_to_are_removed_but_foreign_files_stay() {
    let scratch = Scratch::new();
    let one = scratch.media("episodes/one.mp3", b"1");
    let two = scratch.media("episodes/two.mp3", b"2");
    scratch.folder().publish(&[], &[one.clone(), two]).unwrap();
    std::fs::write(scratch.out("episodes/notes.txt"), "mine").unwrap();
    let report = scratch.folder().publish(&[], &[one]).unwrap();
    assert_eq!(report.removed, ["episodes/two.mp3"]);
    assert!(!scratch.out("episodes/two.mp3").exists());
    assert!(scratch.out("episodes/notes.txt").exists());
    assert!(scratch.src("episodes/two.mp3").exists(), "the source stays");
    let report = scratch.folder().publish(&[], &[]).unwrap();
    assert_eq!(report.removed, ["episodes/one.mp3"]);
}

#[test]
fn a_missing_source_fails_the_run_and_changes_nothing() {
    let scratch = Scratch::new();
    let one = scratch.media("episodes/one.mp3", b"1");
    scratch
        .folder()
        .publish(&[], std::slice::from_ref(&one))
        .unwrap();
    let mut gone = scratch.media("episodes/gone.mp3", b"2");
    std::fs::remove_file(&gone.source).unwrap();
    gone.path = "episodes/gone.mp3".into();
    let changed = scratch.media("episodes/one.mp3", b"one, changed");
    let err = scratch.folder().publish(&[], &[changed, gone]).unwrap_err();
    assert!(err.to_string().contains("gone.mp3"), "{err}");
    assert_eq!(
        std::fs::read(scratch.out("episodes/one.mp3")).unwrap(),
        b"1"
    );
    let names: Vec<_> = std::fs::read_dir(scratch.out("episodes"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["one.mp3"], "no temporary file is left");
}
