//! `examples/podcast/`, built by the real binary, as podcast apps and directories read it:
//! feedparser and gPodder's podcastparser (tests/python/check_podcast.py) and feed-rs read every
//! episode's enclosure and iTunes fields, and `feedd check` and `feedd lint` report what Apple
//! Podcasts would refuse, naming the fix.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::running::Daemon;
use crate::support::{Site, assert_success, md, run_python_checker, stderr};

const BASE: &str = "https://podcast.example.org/";

/// A copy of `examples/podcast/` (without anything a build wrote into it).
fn example() -> Site {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/podcast");
    let config = std::fs::read_to_string(root.join("config.toml")).expect("example config");
    let site = Site::with_config(&config);
    copy_tree(&root.join("feed-src"), &site.src());
    site
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("example folder") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

fn size(site: &Site, relative: &str) -> u64 {
    std::fs::metadata(site.src().join(relative))
        .expect("example file")
        .len()
}

/// What the example's feed must say, from its source files (newest episode first).
fn expected(site: &Site) -> Value {
    let episode = |title: &str, file: &str, secs: u64, number: Option<u32>, kind: Option<&str>| {
        json!({
            "title": title,
            "url": format!("{BASE}episodes/{file}"),
            "length": size(site, &format!("episodes/{file}")),
            "type": "audio/mpeg",
            "duration": secs,
            "number": number,
            "season": 1,
            "episode_type": kind,
            "transcripts": [],
            "chapters": null,
        })
    };
    let mut first = episode(
        "Welcome to the Silent Podcast",
        "ep1.mp3",
        3,
        Some(1),
        Some("full"),
    );
    first["transcripts"] = json!([
        [format!("{BASE}episodes/ep1.vtt"), "text/vtt"],
        [format!("{BASE}episodes/ep1.srt"), "application/x-subrip"],
    ]);
    first["chapters"] = json!(format!("{BASE}episodes/ep1.chapters.json"));
    json!({
        "feed_url": format!("{BASE}rss.xml"),
        "title": "The Silent Podcast",
        "author": "Sam Example",
        "owner": {"name": "Sam Example", "email": "sam@podcast.example.org"},
        "image": format!("{BASE}cover.png"),
        "categories": [["Technology", null], ["Society & Culture", "Documentary"]],
        "type": "episodic",
        "explicit": false,
        "locked": true,
        // UUIDv5 of "podcast.example.org/rss.xml" in the podcast namespace's namespace.
        "guid": "e626a5fb-6a4e-5ae5-8347-24732b1f5ea7",
        "episodes": [
            episode("Bonus: Hush", "ep3.mp3", 4, None, Some("bonus")),
            episode("Quiet, Please", "ep2.mp3", 2, Some(2), None),
            first,
        ],
    })
}

#[test]
fn the_example_podcast_is_read_by_feedparser_podcastparser_and_feed_rs() {
    let site = example();
    assert_success(&site.once());
    let expected = expected(&site);
    let expectations = site.path().join("expected.json");
    std::fs::write(&expectations, expected.to_string()).expect("write expectations");
    let rss: PathBuf = site.out().join("rss.xml");
    run_python_checker(
        "check_podcast.py",
        [rss.as_os_str(), expectations.as_os_str()],
    );
    let channel = rss::Channel::read_from(site.read_out("rss.xml").as_bytes()).expect("RSS");
    rss::validation::Validate::validate(&channel).expect("the rss crate's validation passes");

    let episodes = expected["episodes"].as_array().expect("episodes");
    for document in ["rss.xml", "atom.xml", "feed.json"] {
        let feed = crate::support::parse_feed(site.read_out(document).as_bytes());
        assert_eq!(feed.entries.len(), episodes.len(), "{document}");
        for (entry, episode) in feed.entries.iter().zip(episodes) {
            // feed-rs reads an RSS enclosure as a media object, Atom's `rel="enclosure"` links
            // and JSON Feed's attachments as links.
            let content: Vec<_> = if document == "rss.xml" {
                (entry.media.iter().flat_map(|m| &m.content))
                    .map(|c| {
                        let url = c.url.as_ref().map(|u| u.to_string());
                        let mime = c.content_type.as_ref().map(|m| m.to_string());
                        (url, c.size, mime)
                    })
                    .collect()
            } else {
                (entry.links.iter())
                    .filter(|l| {
                        l.media_type
                            .as_deref()
                            .is_some_and(|t| t.starts_with("audio/"))
                    })
                    .map(|l| (Some(l.href.clone()), l.length, l.media_type.clone()))
                    .collect()
            };
            let want = (
                episode["url"].as_str().map(str::to_owned),
                episode["length"].as_u64(),
                Some("audio/mpeg".to_owned()),
            );
            assert_eq!(content, [want], "{document}: {:?}", entry.title);
        }
    }
}

#[test]
fn the_example_podcast_passes_check_and_lints_without_podcast_findings() {
    let site = example();
    assert_success(&site.run(&["check"]));
    let lint = site.run(&["lint", "--format", "json"]);
    let findings: Vec<Value> = serde_json::from_slice(&lint.stdout).expect("JSON findings");
    let podcast: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with("FD09")))
        .collect();
    assert!(podcast.is_empty(), "{podcast:#?}\n{}", stderr(&lint));
}

/// The start of a PNG of `side` × `side` px: all that the size is read from.
fn png_header(side: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(side.to_be_bytes());
    bytes.extend(side.to_be_bytes());
    bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[test]
fn check_names_a_small_cover_and_an_episode_without_audio_with_the_fix() {
    let site = example();
    std::fs::write(site.src().join("cover.png"), png_header(600)).expect("cover");
    site.write(
        "episodes/2024-05-22-lost.md",
        &md(
            "Lost",
            "2024-05-22T09:00:00Z",
            "summary = \"s\"\nepisode = 4\n",
            "No audio.",
        ),
    );
    let output = site.run(&["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("FD090"), "{err}");
    assert!(err.contains("cover.png"), "{err}");
    assert!(
        err.contains("it is 600 × 600 px; Apple Podcasts takes 1400 to 3000 px"),
        "{err}"
    );
    assert!(err.contains("FD092"), "{err}");
    assert!(
        err.contains("2024-05-22-lost.md:5"),
        "the `episode` line: {err}"
    );
    assert!(
        err.contains("media = \\\"episode.mp3\\\"") || err.contains("media = \"episode.mp3\""),
        "{err}"
    );
}

#[test]
fn a_mistaken_podcast_config_names_config_toml_and_the_fix() {
    let site = example();
    let config = std::fs::read_to_string(site.config()).expect("config");
    let cases = [
        (
            "\"Technology\", ",
            "\"Tecnology\", ",
            "did you mean \"Technology\"?",
        ),
        (
            "owner = { name = \"Sam Example\", email = \"sam@podcast.example.org\" }",
            "owner = { name = \"Sam Example\" }",
            "add `owner = { name = \"Jane Doe\", email = \"jane@example.org\" }`",
        ),
        (
            "type = \"episodic\"",
            "type = \"daily\"",
            "must be \"episodic\"",
        ),
    ];
    for (from, to, wanted) in cases {
        std::fs::write(site.config(), config.replace(from, to)).expect("config");
        let output = site.once();
        assert_eq!(output.status.code(), Some(2), "{to}: {}", stderr(&output));
        let err = stderr(&output);
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains(wanted), "{err}");
    }
}

#[test]
fn a_site_without_podcast_gains_no_itunes_or_podcast_tags() {
    let site = Site::new();
    site.write(
        "2024-05-01-a.md",
        &md("A", "2024-05-01", "episode = 1\n", "Text."),
    );
    assert_success(&site.once());
    let rss = site.read_out("rss.xml");
    assert!(!rss.contains("itunes") && !rss.contains("podcast"), "{rss}");
}

#[test]
fn a_transcript_added_beside_an_episode_is_named_by_the_running_daemon() {
    let site = example();
    let daemon = Daemon::start(&site.config());
    let transcript_of_ep2 = |rss: &str| rss.contains("episodes/ep2.vtt");
    assert!(!transcript_of_ep2(&daemon.get("/rss.xml").text()));
    std::fs::write(
        site.src().join("episodes/ep2.vtt"),
        "WEBVTT\n\n00:00.000 --> 00:02.000\n(silence)\n",
    )
    .expect("a transcript");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !transcript_of_ep2(&daemon.get("/rss.xml").text()) {
        assert!(
            Instant::now() < deadline,
            "the new transcript was not named"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let served = daemon.get("/episodes/ep2.vtt");
    assert_eq!(served.status, 200);
    assert!(served.text().starts_with("WEBVTT"));
}
