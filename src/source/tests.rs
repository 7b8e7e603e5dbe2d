//! Unit tests of the scanner and reader on temporary folders.

use super::*;

const POLICY: Policy = Policy {
    follow_symlinks_outside: false,
    max_post_bytes: 100,
};

fn source(root: &Path) -> Source {
    Source::new(root, POLICY)
}

#[test]
fn scan_reads_subfolders_skips_hidden_and_survives_symlink_loops() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("2019/deep")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    for f in [
        "a.md",
        "2019/b.txt",
        "2019/deep/c.markdown",
        ".git/d.md",
        "e.md.swp",
        "f.png",
    ] {
        std::fs::write(root.join(f), "x").unwrap();
    }
    std::os::unix::fs::symlink(root, root.join("2019/loop")).unwrap();
    let scan = source(root).scan().unwrap();
    let mut found: Vec<_> = scan
        .files
        .iter()
        .map(|f| f.relative.to_str().unwrap())
        .collect();
    found.sort();
    assert_eq!(found, ["2019/b.txt", "2019/deep/c.markdown", "a.md"]);
    assert!(scan.problems.is_empty(), "{:?}", scan.problems);
}

#[test]
fn links_out_of_the_folder_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (root, outside) = (dir.path().join("src"), dir.path().join("out"));
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("o.md"), "x").unwrap();
    std::fs::write(root.join(".hidden/h.md"), "x").unwrap();
    std::os::unix::fs::symlink(outside.join("o.md"), root.join("file.md")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("folder")).unwrap();
    std::os::unix::fs::symlink(".hidden", root.join("inside")).unwrap();
    let scan = source(&root).scan().unwrap();
    let found: Vec<_> = scan.files.iter().map(|f| f.relative.clone()).collect();
    assert_eq!(found, [PathBuf::from("inside/h.md")]);
    let mut refused: Vec<_> = scan.problems.iter().map(|p| p.path().to_owned()).collect();
    refused.sort();
    assert_eq!(refused, [root.join("file.md"), root.join("folder")]);
    assert!(matches!(
        source(&root).inspect(&root.join("file.md")),
        Entry::Problem(_)
    ));
    assert!(matches!(
        source(&root).inspect(&root.join("inside/h.md")),
        Entry::Post
    ));
    let allowed = Source::new(
        &root,
        Policy {
            follow_symlinks_outside: true,
            ..POLICY
        },
    );
    assert_eq!(allowed.scan().unwrap().files.len(), 3);
}

#[test]
fn missing_source_folder_is_an_error_naming_it() {
    let err = source(Path::new("/nonexistent/feed-src"))
        .scan()
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/feed-src"), "{err}");
    assert!(err.contains("source_dir"), "{err}");
}

#[test]
fn non_utf8_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, b"title\n\nbad \xff byte").unwrap();
    let d = Diagnostic::from(source(dir.path()).read(&path).unwrap_err());
    assert_eq!(d.line, Some(3));
    assert!(d.message.starts_with("not valid UTF-8"), "{d}");
}

#[test]
fn a_reused_buffer_holds_only_the_file_just_read() {
    let dir = tempfile::tempdir().unwrap();
    let (long, short) = (dir.path().join("long.txt"), dir.path().join("short.txt"));
    std::fs::write(&long, "a longer post\n").unwrap();
    std::fs::write(&short, "short\n").unwrap();
    let source = source(dir.path());
    let mut buffer = Vec::new();
    let (text, metadata) = source.read_into(&long, &mut buffer).unwrap();
    assert_eq!((text, metadata.len()), ("a longer post\n", 14));
    let (text, metadata) = source.read_into(&short, &mut buffer).unwrap();
    assert_eq!((text, metadata.len()), ("short\n", 6));
    std::fs::write(&short, b"bad \xff").unwrap();
    let problem = source.read_into(&short, &mut buffer).unwrap_err();
    assert!(
        matches!(
            problem,
            SourceProblem::NotUtf8 {
                line: 1,
                offset: 4,
                ..
            }
        ),
        "{problem}"
    );
}

#[test]
fn a_file_over_the_limit_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, "x".repeat(101)).unwrap();
    let d = Diagnostic::from(source(dir.path()).read(&path).unwrap_err());
    assert_eq!(
        d.to_string(),
        format!(
            "{}: 101 bytes is over `max_post_bytes = 100`; split the post or raise the limit in the config",
            path.display()
        )
    );
    std::fs::write(&path, "x".repeat(100)).unwrap();
    assert!(source(dir.path()).read(&path).is_ok());
}

#[test]
fn only_a_missing_path_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    assert!(matches!(
        source.inspect(&dir.path().join("no.md")),
        Entry::Gone
    ));
    assert!(matches!(
        source.inspect(&dir.path().join("no/x.md")),
        Entry::Gone
    ));
    std::fs::write(dir.path().join("a.md"), "x").unwrap();
    assert!(matches!(
        source.inspect(&dir.path().join("a.md")),
        Entry::Post
    ));
    assert!(matches!(
        source.inspect(&dir.path().join("a.md/x.md")),
        Entry::Gone
    ));
}

#[test]
fn ignores_hidden_temp_and_foreign_files() {
    for ignored in [
        ".hidden.md",
        ".git/x.md",
        "drafts/.post.md.swp",
        "post.md~",
        ".#post.md",
        "#post.md#",
        "4913",
        "post.md.tmp",
        "image.png",
        "notes",
        "sub/.cache/x.txt",
    ] {
        assert!(
            is_ignored(Path::new(ignored)),
            "{ignored} should be ignored"
        );
    }
    for read in ["post.md", "2019-07-05-a.txt", "sub/dir/post.markdown"] {
        assert!(!is_ignored(Path::new(read)), "{read} should be read");
    }
}
