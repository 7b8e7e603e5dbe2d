use super::*;

const GOOD: &str = "Title\n\nPosted on 2019-07-05 by Jane\n\nBody.\n";

fn cache(dir: &Path) -> PostCache {
    PostCache::new(
        Source::new(
            dir,
            crate::source::Policy {
                follow_symlinks_outside: false,
                max_post_bytes: 1 << 20,
            },
        ),
        ParseOptions {
            timezone: chrono_tz::Tz::UTC,
        },
    )
}

#[test]
fn unchanged_files_are_not_reparsed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), GOOD).unwrap();
    let mut cache = cache(dir.path());
    assert_eq!(cache.refresh_all().unwrap().parsed, 1);
    let again = cache.refresh_all().unwrap();
    assert_eq!((again.parsed, again.unchanged), (0, 1));
    assert_eq!((again.parsed, again.removed), (0, 0), "nothing changed");
}

#[test]
fn a_rescan_reads_only_files_whose_stamp_changed() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    std::fs::write(&a, GOOD).unwrap();
    std::fs::write(dir.path().join("b.txt"), GOOD).unwrap();
    let mut cache = cache(dir.path());
    assert_eq!(cache.refresh_all().unwrap().parsed, 2);
    std::fs::write(&a, GOOD.replace("Title", "Longer title")).unwrap();
    let again = cache.refresh_all().unwrap();
    assert_eq!((again.parsed, again.unchanged), (1, 1));
    assert_eq!(
        cache
            .posts()
            .iter()
            .filter(|p| p.title == "Longer title")
            .count(),
        1
    );
}

#[test]
fn a_broken_edit_keeps_the_last_good_post_until_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, GOOD).unwrap();
    let mut cache = cache(dir.path());
    cache.refresh_all().unwrap();
    std::fs::write(&path, "Title\n\nPosted on someday by Jane\n").unwrap();
    cache.refresh_paths([&path]);
    assert_eq!(cache.posts().len(), 1, "last good version stays");
    assert_eq!(cache.posts()[0].title, "Title");
    assert_eq!(cache.diagnostics().len(), 1);
    std::fs::write(&path, GOOD.replace("Title", "Fixed")).unwrap();
    cache.refresh_paths([&path]);
    assert!(cache.diagnostics().is_empty());
    assert_eq!(cache.posts()[0].title, "Fixed");
}

#[test]
fn a_post_replaced_by_a_link_out_of_the_folder_is_withdrawn_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("src");
    std::fs::create_dir(&root).unwrap();
    let path = root.join("a.txt");
    std::fs::write(&path, GOOD).unwrap();
    let mut cache = cache(&root);
    cache.refresh_all().unwrap();
    let outside = dir.path().join("secret.txt");
    std::fs::write(&outside, GOOD.replace("Title", "Secret")).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&outside, &path).unwrap();
    cache.refresh_paths([&path]);
    assert!(cache.posts().is_empty(), "a refusal is not a read error");
    let diagnostics = cache.diagnostics();
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0].message.contains("secret.txt"),
        "{diagnostics:?}"
    );
    cache.refresh_all().unwrap();
    assert!(cache.posts().is_empty());
    assert_eq!(cache.diagnostics().len(), 1, "the rescan refuses it too");
}

#[test]
fn removed_and_ignored_paths_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, GOOD).unwrap();
    let mut cache = cache(dir.path());
    cache.refresh_all().unwrap();
    std::fs::remove_file(&path).unwrap();
    let swap = dir.path().join(".a.txt.swp");
    std::fs::write(&swap, "junk").unwrap();
    let refresh = cache.refresh_paths([&path, &swap]);
    assert_eq!(refresh.removed, 1);
    assert!(cache.posts().is_empty());
    assert!(cache.diagnostics().is_empty());
}

fn episode(media: &str) -> String {
    format!("+++\ntitle = \"E\"\ndate = 2020-01-01\nmedia = \"{media}\"\n+++\nBody.\n")
}

fn wav(secs: u32) -> Vec<u8> {
    crate::media::probe::tests::wav(secs)
}

#[test]
fn a_changed_media_file_reprobes_exactly_the_posts_that_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("ep")).unwrap();
    std::fs::write(root.join("ep/a.wav"), wav(1)).unwrap();
    std::fs::write(root.join("ep/a.md"), episode("a.wav")).unwrap();
    std::fs::write(root.join("b.md"), episode("ep/a.wav")).unwrap();
    std::fs::write(root.join("c.txt"), GOOD).unwrap();
    let mut cache = cache(root);
    cache.refresh_all().unwrap();
    assert_eq!(cache.prober.reads(), 1);
    let length = |cache: &PostCache, post: &str| {
        cache.post(&root.join(post)).unwrap().probed.media[0].length
    };
    assert_eq!(length(&cache, "ep/a.md"), 8044);
    // An unrelated edit probes nothing.
    std::fs::write(root.join("c.txt"), GOOD.replace("Body", "Other")).unwrap();
    cache.refresh_paths([&root.join("c.txt")]);
    assert_eq!(cache.prober.reads(), 1);
    std::fs::write(root.join("ep/a.wav"), wav(2)).unwrap();
    let mut refresh = cache.refresh_paths([&root.join("ep/a.wav")]);
    refresh.changed.sort();
    assert_eq!(refresh.changed, [root.join("b.md"), root.join("ep/a.md")]);
    assert_eq!(cache.prober.reads(), 2, "two posts, one file read");
    assert_eq!(length(&cache, "b.md"), 16_044);
    // Removed: both posts fail at their `media` line and keep their last good version.
    std::fs::remove_file(root.join("ep/a.wav")).unwrap();
    cache.refresh_paths([&root.join("ep/a.wav")]);
    let diagnostics = cache.diagnostics();
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
    assert!(
        diagnostics
            .iter()
            .all(|d| d.line == Some(4) && d.message.contains("no such file"))
    );
    assert_eq!(length(&cache, "b.md"), 16_044);
    // Back, and a rescan (no event) notices.
    std::fs::write(root.join("ep/a.wav"), wav(3)).unwrap();
    let refresh = cache.refresh_all().unwrap();
    assert_eq!(refresh.parsed, 2);
    assert!(cache.diagnostics().is_empty());
    assert_eq!(length(&cache, "ep/a.md"), 24_044);
    let again = cache.refresh_all().unwrap();
    assert_eq!(again.parsed, 0, "nothing changed since");
}

#[test]
fn a_new_post_with_missing_media_is_reported_not_published() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), episode("gone.mp3")).unwrap();
    let mut cache = cache(dir.path());
    cache.refresh_all().unwrap();
    assert!(cache.posts().is_empty());
    let diagnostics = cache.diagnostics();
    assert_eq!(diagnostics[0].path, dir.path().join("a.md"));
    assert_eq!(diagnostics[0].line, Some(4));
}
