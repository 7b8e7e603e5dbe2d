//! `--once` never leaves a mixed or half-written set of documents, and refuses output folders
//! that cannot be right before writing anything.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// Every file below `dir` with a hash of its bytes, so that "exactly as it was" can be compared
/// (and a failure prints names, not megabytes).
fn snapshot(dir: &Path) -> Vec<(String, u64)> {
    let mut files: Vec<(String, u64)> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(dir).unwrap().display().to_string();
            (
                name,
                xxhash_rust::xxh3::xxh3_64(&std::fs::read(e.path()).unwrap()),
            )
        })
        .collect();
    files.sort();
    files
}

/// `feedd --once` unable to write files larger than `limit` bytes, as on a disk that fills up
/// part-way through: the kernel fails the write (EFBIG) instead of delivering SIGXFSZ.
fn once_with_file_size_limit(site: &Site, limit: u64) -> std::process::Output {
    let mut command = Command::new(BIN);
    command
        .arg("--config")
        .arg(site.config())
        .arg("--once")
        .env_remove("RUST_LOG");
    // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    command.output().expect("run feedd")
}

#[test]
fn a_write_that_fails_part_way_leaves_the_previous_set_exactly_as_it_was() {
    let site = Site::sample();
    assert_success(&site.once());
    let before = snapshot(&site.out());

    // A new post makes every document larger. Measure the new sizes on a scratch copy, then
    // allow files just large enough for the new rss.xml, which is written first: the larger
    // atom.xml then fails, as on a disk that filled up after the first document.
    site.write(
        "2019-08-01-long.md",
        &md("A long post", "2019-08-01", "", &"Long text. ".repeat(400)),
    );
    let scratch = tempfile::tempdir().unwrap();
    let measured = site.run(&["--once", "--out", scratch.path().to_str().unwrap()]);
    assert_success(&measured);
    let size = |name: &str| std::fs::metadata(scratch.path().join(name)).unwrap().len();
    let (rss, atom) = (size("rss.xml"), size("atom.xml"));
    assert!(
        atom > rss,
        "the test needs atom.xml ({atom}) larger than rss.xml ({rss})"
    );

    let failed = once_with_file_size_limit(&site, rss);
    assert_eq!(
        snapshot(&site.out()),
        before,
        "every document is the old one, and no temporary file is left"
    );
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    let message = stderr(&failed);
    assert!(
        message.contains("atom.xml") && message.contains("left as they were"),
        "{message}"
    );

    assert_success(&site.once());
    let after = snapshot(&site.out());
    assert_ne!(after, before, "with room to write, the new set goes in");
    assert!(after.iter().all(|(name, _)| !name.contains(".tmp")));
}

#[test]
fn an_output_path_that_is_a_file_is_named_as_such() {
    let site = Site::sample();
    let file = site.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let output = site.run(&["--once", "--out", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("not-a-folder") && message.contains("is a file, not a folder"),
        "{message}"
    );
    assert!(!message.contains("ledger"), "{message}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn an_output_folder_in_the_source_folder_is_refused_before_anything_is_written() {
    let site = Site::sample();
    let sources = snapshot(&site.src());
    let src = site.src();
    for out in [
        src.clone(),
        src.join("public"),
        site.path().join("feed-src/../feed-src/x"),
    ] {
        let output = site.run(&["--once", "--out", out.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {}",
            out.display(),
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("inside the source folder"),
            "{}",
            stderr(&output)
        );
        assert_eq!(snapshot(&site.src()), sources, "the sources are untouched");
    }
    assert!(
        !site.path().join("feedd.lock").exists(),
        "nothing at all was written"
    );
}
