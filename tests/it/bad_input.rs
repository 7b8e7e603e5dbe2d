//! Every bad input gets a clear message naming the file (and line), and nothing is written.

use crate::support::*;

/// Runs `--once` on a site with one good post plus `files`, expects exit 1, no output folder, and
/// returns stderr.
fn rejected(files: &[(&str, &[u8])]) -> String {
    let site = Site::new();
    site.write("good.md", &md("Good", "2020-01-01", "", "Fine."));
    for (name, bytes) in files {
        let path = site.src().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let output = site.once();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "stderr: {err}");
    assert!(
        !site.out().join("atom.xml").exists(),
        "nothing may be written: {err}"
    );
    err
}

#[test]
fn missing_title_names_file_and_line() {
    let err = rejected(&[("a.md", b"+++\ndate = 2020-01-01\n+++\nBody\n")]);
    assert!(err.contains("feed-src/a.md:1:"), "{err}");
    assert!(err.contains("title"), "{err}");
}

#[test]
fn unknown_front_matter_field_is_named_with_its_line() {
    let err = rejected(&[(
        "a.md",
        b"+++\ntitle = \"A\"\ndate = 2020-01-01\ncolour = \"red\"\n+++\nBody\n",
    )]);
    assert!(err.contains("feed-src/a.md:4:"), "{err}");
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn yaml_front_matter_errors_name_the_line() {
    let err = rejected(&[(
        "a.md",
        b"---\ntitle: A\ndate: 2020-01-01\ntags: [unclosed\n---\nBody\n",
    )]);
    // The line of the unclosed `[`, not the closing `---` where the YAML parser gave up.
    assert!(err.contains("feed-src/a.md:4:"), "{err}");
    assert!(err.contains("at line 4 column 7"), "{err}");
}

#[test]
fn unclosed_front_matter_is_reported() {
    let err = rejected(&[("a.md", b"+++\ntitle = \"A\"\n\nBody without end\n")]);
    assert!(err.contains("feed-src/a.md:1:"), "{err}");
}

#[test]
fn unparseable_date_lists_what_is_accepted() {
    let err = rejected(&[(
        "a.txt",
        b"Title\n\nPosted on someday soon by Jane\n\nBody\n",
    )]);
    assert!(err.contains("feed-src/a.txt:3:"), "{err}");
    assert!(
        err.contains("2019-07-05") || err.contains("RFC 3339"),
        "{err}"
    );
}

#[test]
fn missing_date_names_the_three_ways_to_give_one() {
    let err = rejected(&[("a.txt", b"Title\n\nBody\n")]);
    assert!(err.contains("feed-src/a.txt"), "{err}");
    assert!(err.contains("Posted on"), "{err}");
    assert!(err.contains("prefix"), "{err}");
}

#[test]
fn duplicate_ids_name_both_files() {
    let post = md("Same", "2020-01-01", "id = \"urn:x:1\"\n", "x");
    let err = rejected(&[("a.md", post.as_bytes()), ("sub/b.md", post.as_bytes())]);
    assert!(err.contains("feed-src/a.md"), "{err}");
    assert!(err.contains("feed-src/sub/b.md"), "{err}");
    assert!(err.contains("duplicate id"), "{err}");
}

#[test]
fn non_utf8_file_is_reported() {
    let err = rejected(&[(
        "a.txt",
        b"Title\n\nPosted on 2020-01-01\n\n\xff\xfe bytes\n",
    )]);
    assert!(err.contains("feed-src/a.txt:5:"), "{err}");
    assert!(err.contains("UTF-8"), "{err}");
}

#[test]
fn bad_link_in_front_matter_is_reported() {
    let err = rejected(&[(
        "a.md",
        md("A", "2020-01-02", "link = \"not a url\"\n", "x").as_bytes(),
    )]);
    assert!(err.contains("feed-src/a.md:"), "{err}");
    assert!(err.contains("link"), "{err}");
}

#[test]
fn empty_post_is_reported() {
    let err = rejected(&[("2020-01-01-empty.txt", b"\n\n")]);
    assert!(err.contains("2020-01-01-empty.txt"), "{err}");
}

#[test]
fn config_problems_exit_2_and_name_the_key() {
    let cases = [
        (format!("{BASE_CONFIG}colour = \"red\"\n"), "colour"),
        (
            BASE_CONFIG.replace("https://example.org/", "example dot org"),
            "base_url",
        ),
        (
            format!("{BASE_CONFIG}[server]\nlisten = \"nowhere\"\n"),
            "listen",
        ),
    ];
    for (config, key) in cases {
        let site = Site::with_config(&config);
        let output = site.once();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{key}: {err}");
        assert!(err.contains(key), "{key}: {err}");
        assert!(err.contains("config.toml"), "{key}: {err}");
    }
}

#[test]
fn missing_config_or_source_folder_exits_2() {
    let site = Site::new();
    std::fs::remove_dir(site.src()).unwrap();
    let output = site.once();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("feed-src"), "{}", stderr(&output));
    std::fs::remove_file(site.config()).unwrap();
    let output = site.once();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("config.toml"),
        "{}",
        stderr(&output)
    );
}
