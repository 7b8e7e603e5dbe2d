//! Media in posts: enclosures and images read back by independent parsers (feed-rs, Python's
//! feedparser), broken media reported at its line, and the daemon re-probing a post when the
//! file it attaches is replaced.

use crate::running::Daemon;
use crate::support::*;

/// An episode with a local MP3 and WAV and a remote OGG, an image, and a text post whose
/// image is the first of its content.
fn media_site() -> Site {
    let site = Site::with_config(&format!(
        "{BASE_CONFIG}icon = \"icon.png\"\nlogo = \"art/logo.png\"\n"
    ));
    site.write(
        "episodes/2024-01-02-one.md",
        "+++\ntitle = \"Episode one\"\nmedia = [\n  \"one.mp3\",\n  { src = \"one.wav\", title = \"In WAV\" },\n  \
         { src = \"https://cdn.example.net/one.ogg\", length = 1234, duration = \"00:01:00\" },\n]\n\
         image = \"../art/cover.png\"\n+++\n\nListen.\n",
    );
    site.write(
        "2024-01-01-text.md",
        &md("Text", "2024-01-01", "", "![a picture](pic.jpg)"),
    );
    std::fs::write(site.src().join("episodes/one.mp3"), mp3(77)).unwrap();
    std::fs::write(site.src().join("episodes/one.wav"), wav(3)).unwrap();
    for image in ["art/cover.png", "art/logo.png", "icon.png"] {
        site.write(image, "not really a PNG");
    }
    site
}

fn enclosures(feed: &feed_rs::model::Feed, title: &str) -> Vec<(String, Option<u64>, String)> {
    let entry = (feed.entries.iter())
        .find(|e| e.title.as_ref().is_some_and(|t| t.content == title))
        .unwrap_or_else(|| panic!("no entry {title}"));
    // feed-rs reads RSS enclosures as media, Atom's and JSON Feed's as links with a length.
    let media = (entry.media.iter().flat_map(|m| &m.content)).filter_map(|c| {
        let url = c.url.as_ref()?.to_string();
        Some((url, c.size, c.content_type.as_ref()?.to_string()))
    });
    let links = (entry.links.iter().filter(|l| l.length.is_some())).map(|l| {
        (
            l.href.clone(),
            l.length,
            l.media_type.clone().unwrap_or_default(),
        )
    });
    media.chain(links).collect()
}

#[test]
fn every_parser_reads_each_enclosure_with_its_url_length_and_type() {
    let site = media_site();
    assert_success(&site.once());
    let mp3 = (
        "https://example.org/episodes/one.mp3".to_owned(),
        Some(77 * 417),
        "audio/mpeg".to_owned(),
    );
    let wav_type = {
        let json: serde_json::Value = serde_json::from_str(&site.read_out("feed.json")).unwrap();
        let item = &json["items"][0];
        assert_eq!(item["attachments"][0]["duration_in_seconds"], 3, "{item}");
        assert_eq!(item["attachments"][1]["duration_in_seconds"], 3);
        assert_eq!(item["attachments"][1]["title"], "In WAV");
        assert_eq!(item["attachments"][2]["duration_in_seconds"], 60);
        assert_eq!(item["image"], "https://example.org/art/cover.png");
        assert_eq!(
            json["items"][1]["image"],
            "https://example.org/posts/text/pic.jpg"
        );
        assert_eq!(json["icon"], "https://example.org/art/logo.png");
        assert_eq!(json["favicon"], "https://example.org/icon.png");
        item["attachments"][1]["mime_type"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let wav = (
        "https://example.org/episodes/one.wav".to_owned(),
        Some(24_044),
        wav_type.clone(),
    );
    let ogg = (
        "https://cdn.example.net/one.ogg".to_owned(),
        Some(1234),
        "audio/ogg".to_owned(),
    );
    for (document, want) in [
        ("rss.xml", vec![mp3.clone()]),
        ("atom.xml", vec![mp3.clone(), wav.clone(), ogg.clone()]),
        ("feed.json", vec![mp3.clone(), wav.clone(), ogg.clone()]),
    ] {
        let feed = parse_feed(site.read_out(document).as_bytes());
        assert_eq!(enclosures(&feed, "Episode one"), want, "{document}");
        assert_eq!(enclosures(&feed, "Text"), [], "{document}");
    }
    let expected = serde_json::json!({
        "Episode one": [
            [mp3.0, mp3.1, mp3.2],
            [wav.0, wav.1, wav.2],
            [ogg.0, ogg.1, ogg.2],
        ],
        "Text": [],
        "images": {
            "Episode one": "https://example.org/art/cover.png",
            "Text": "https://example.org/posts/text/pic.jpg",
        },
    });
    let expected_path = site.path().join("enclosures.json");
    std::fs::write(&expected_path, expected.to_string()).unwrap();
    run_python_checker(
        "check_feeds.py",
        [
            site.out().as_os_str(),
            "--enclosures".as_ref(),
            expected_path.as_os_str(),
        ],
    );
}

#[test]
fn broken_media_is_reported_at_its_line_and_nothing_is_published_without_it() {
    let site = Site::new();
    site.write(
        "2024-01-01-a.md",
        &md("A", "2024-01-01", "media = \"missing.mp3\"\n", "Body."),
    );
    site.write(
        "2024-01-02-b.md",
        &md(
            "B",
            "2024-01-02",
            "media = { src = \"b.mp3\", length = 5 }\n",
            "Body.",
        ),
    );
    std::fs::write(site.src().join("b.mp3"), mp3(2)).unwrap();
    site.write(
        "2024-01-03-c.md",
        &md("C", "2024-01-03", "media = \"../outside.mp3\"\n", "Body."),
    );
    site.write("2024-01-04-ok.md", &md("OK", "2024-01-04", "", "Body."));
    let output = site.run(&["check"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert!(!output.status.success(), "{text}");
    for want in [
        "2024-01-01-a.md:4: `media` \"missing.mp3\": no such file",
        "2024-01-02-b.md:4: `media` \"b.mp3\": `length` is 5 but the file has 834 bytes",
        "2024-01-03-c.md:4: `media` \"../outside.mp3\" leaves the source folder",
    ] {
        assert!(text.contains(want), "{want}\nnot in:\n{text}");
    }
    // `--once` publishes nothing rather than the posts without their media.
    let once = site.once();
    assert!(!once.status.success());
    assert!(stderr(&once).contains("missing.mp3"), "{}", stderr(&once));
    assert!(!site.out().join("atom.xml").exists());
}

#[test]
fn replacing_a_media_file_changes_the_served_enclosure() {
    let site = Site::new();
    site.write(
        "episodes/2024-01-01-ep.md",
        &md("Ep", "2024-01-01", "media = \"ep.mp3\"\n", "Listen."),
    );
    site.write(
        "2024-01-02-other.md",
        &md("Other", "2024-01-02", "", "Body."),
    );
    std::fs::write(site.src().join("episodes/ep.mp3"), mp3(40)).unwrap();
    let daemon = Daemon::start(&site.config());
    let length = |body: &[u8]| {
        let feed = parse_feed(body);
        enclosures(&feed, "Ep").first().and_then(|e| e.1)
    };
    assert_eq!(length(&daemon.get("/rss.xml").body), Some(40 * 417));
    // Replaced the way a podcast editor exports: written beside it, renamed over it.
    let temp = site.src().join("episodes/.ep.mp3.part");
    std::fs::write(&temp, mp3(80)).unwrap();
    std::fs::rename(&temp, site.src().join("episodes/ep.mp3")).unwrap();
    daemon.poll_until("/rss.xml", "the new length", |r| {
        length(&r.body) == Some(80 * 417)
    });
    daemon.poll_until("/feed.json", "the new duration", |r| {
        let json: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        json["items"][1]["attachments"][0]["duration_in_seconds"] == 3
    });
    // Removed: reported, and the last good version stays published.
    std::fs::remove_file(site.src().join("episodes/ep.mp3")).unwrap();
    daemon.poll_until("/healthz", "the missing file reported", |r| {
        String::from_utf8_lossy(&r.body).contains("no such file")
    });
}
