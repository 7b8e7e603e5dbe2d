use super::*;

fn site(posts: &[(&str, &str)]) -> (tempfile::TempDir, Config, PostCache) {
    site_with("", posts)
}

fn site_with(extra: &str, posts: &[(&str, &str)]) -> (tempfile::TempDir, Config, PostCache) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("feed-src")).unwrap();
    for (name, text) in posts {
        std::fs::write(dir.path().join("feed-src").join(name), text).unwrap();
    }
    let config_path = dir.path().join("config.toml");
    std::fs::write(
        &config_path,
        format!("title = \"T\"\nbase_url = \"https://example.org/\"\nid_authority = \"example.org\"\n{extra}"),
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let mut cache = PostCache::new(config.source(), parse_options(&config));
    cache.refresh_all().unwrap();
    (dir, config, cache)
}

fn post(title: &str, tags: &str) -> String {
    format!("+++\ntitle = \"{title}\"\ndate = 2020-01-01\ntags = [{tags}]\n+++\nBody.\n")
}

#[test]
fn an_edit_rerenders_only_the_feeds_it_touches() {
    let (dir, config, mut cache) =
        site(&[("a.md", &post("A", "\"x\"")), ("b.md", &post("B", "\"y\""))]);
    let now = Utc::now();
    let mut pipeline = Pipeline::open(IdLedger::default());
    let first = pipeline.run_all(&config, &cache, now);
    let path = dir.path().join("feed-src/a.md");
    std::fs::write(&path, post("A edited", "\"x\"")).unwrap();
    let refresh = cache.refresh_paths([&path]);
    let second = pipeline.run_changed(&config, &cache, &refresh.changed, now);
    let fresh = Pipeline::open(pipeline.ledger().clone()).run_all(&config, &cache, now);
    assert_eq!(
        second.documents, fresh.documents,
        "reuse never changes the output"
    );
    let same_buffer = |path: &str| {
        let find = |b: &Build| {
            b.documents
                .iter()
                .find(|d| d.path == path)
                .unwrap()
                .body
                .as_ptr()
        };
        find(&first) == find(&second)
    };
    assert!(
        same_buffer("tags/y/atom.xml"),
        "the untouched tag feed is reused"
    );
    assert!(!same_buffer("tags/x/atom.xml"));
    assert!(!same_buffer("atom.xml"));
    let atom = |b: &Build| {
        let document = b.documents.iter().find(|d| d.path == "atom.xml").unwrap();
        String::from_utf8(document.body.to_vec()).unwrap()
    };
    assert!(!atom(&first).contains("A edited"));
    assert!(atom(&second).contains("<title>A edited</title>"));
    assert!(
        atom(&second).contains("<title>B</title>"),
        "the other post stays"
    );
    assert_eq!((second.published, second.diagnostics.len()), (2, 0));
}

#[test]
fn pages_follow_the_feeds_they_show() {
    let (dir, config, mut cache) =
        site(&[("a.md", &post("A", "\"x\"")), ("b.md", &post("B", "\"y\""))]);
    let now = Utc::now();
    let once = Pipeline::open(IdLedger::default()).run_all(&config, &cache, now);
    assert!(
        once.views.is_empty(),
        "a pipeline that is not served makes no feed pages"
    );
    let index = |b: &Build| {
        let page = b.documents.iter().find(|d| d.path == INDEX_PATH).unwrap();
        assert_eq!(page.kind, crate::format::DocumentKind::Page);
        String::from_utf8(page.body.to_vec()).unwrap()
    };
    assert!(index(&once).contains(">A</a>"));

    let mut served = Pipeline::open(IdLedger::default()).with_feed_pages();
    let first = served.run_all(&config, &cache, now);
    let feeds: Vec<&str> = first.documents.iter().map(|d| d.path.as_str()).collect();
    let views: Vec<&str> = first.views.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        feeds.len(),
        views.len() + 1,
        "one page per feed, and the index"
    );
    assert!(
        views.iter().all(|v| feeds.contains(v)),
        "{views:?} {feeds:?}"
    );
    assert_eq!(index(&first), index(&once), "the same index either way");

    let path = dir.path().join("feed-src/a.md");
    std::fs::write(&path, post("A edited", "\"x\"")).unwrap();
    let refresh = cache.refresh_paths([&path]);
    let second = served.run_changed(&config, &cache, &refresh.changed, now);
    assert!(
        index(&second).contains(">A edited</a>"),
        "the index follows an edit"
    );
    let view = |b: &Build, path: &str| {
        let view = b.views.iter().find(|d| d.path == path).unwrap();
        (
            view.body.as_ptr(),
            String::from_utf8(view.body.to_vec()).unwrap(),
        )
    };
    assert_eq!(
        view(&first, "tags/y/atom.xml").0,
        view(&second, "tags/y/atom.xml").0
    );
    assert!(view(&second, "tags/x/atom.xml").1.contains("A edited"));
    assert!(!view(&first, "tags/x/atom.xml").1.contains("A edited"));
}

#[test]
fn the_index_can_be_turned_off() {
    let (dir, _, cache) = site(&[("a.md", &post("A", ""))]);
    let path = dir.path().join("config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!("{text}[html]\nindex = false\nfeed_pages = false\n"),
    )
    .unwrap();
    let config = Config::load(&path).unwrap();
    let mut pipeline = Pipeline::open(IdLedger::default()).with_feed_pages();
    let build = pipeline.run_all(&config, &cache, Utc::now());
    assert!(build.documents.iter().all(|d| d.path != INDEX_PATH));
    assert!(build.views.is_empty());
}

#[test]
fn a_body_that_cannot_be_read_any_more_is_a_problem_not_just_a_warning() {
    let (dir, config, cache) = site(&[("a.md", &post("A", "\"x\""))]);
    // Parsed, then replaced by something that cannot be read as a post before rendering.
    let path = dir.path().join("feed-src/a.md");
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let build = Pipeline::open(IdLedger::default()).run_all(&config, &cache, Utc::now());
    assert_eq!(build.diagnostics.len(), 1, "{:?}", build.diagnostics);
    assert_eq!(build.diagnostics[0].path, path);
    let atom = build
        .documents
        .iter()
        .find(|d| d.path == "atom.xml")
        .unwrap();
    let atom = String::from_utf8(atom.body.to_vec()).unwrap();
    assert!(atom.contains("<title>A</title>"), "the post stays: {atom}");
    assert_eq!(build.published, 1);
}

#[test]
fn a_post_that_cannot_be_read_any_more_keeps_the_body_it_was_shown_with() {
    let text = "+++\ntitle = \"A\"\ndate = 2020-01-01\n+++\nFirst.\n\nSecond.\n";
    let (dir, config, cache) = site(&[("a.md", text)]);
    let mut pipeline = Pipeline::open(IdLedger::default());
    let atom = |build: &Build| {
        let document = build.documents.iter().find(|d| d.path == "atom.xml");
        String::from_utf8(document.unwrap().body.to_vec()).unwrap()
    };
    let shown = atom(&pipeline.run_all(&config, &cache, Utc::now()));
    assert!(shown.contains("Second."), "{shown}");
    let path = dir.path().join("feed-src/a.md");
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    // A rescan (or a config change) starts again from the ids and renders every post.
    pipeline.reopen();
    let build = pipeline.run_all(&config, &cache, Utc::now());
    assert_eq!(build.diagnostics.len(), 1, "{:?}", build.diagnostics);
    assert_eq!(atom(&build), shown);
}

/// A post on the 10th of `month` 2020.
fn dated(title: &str, month: u32) -> String {
    format!("+++\ntitle = \"{title}\"\ndate = 2020-{month:02}-10\n+++\nBody.\n")
}

#[test]
fn an_edit_to_an_old_post_renders_only_its_archive_page() {
    let names: Vec<String> = (1..=6).map(|m| format!("m{m}.md")).collect();
    let texts: Vec<String> = (1..=6).map(|m| dated(&format!("M{m}"), m)).collect();
    let posts: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(texts.iter().map(String::as_str))
        .collect();
    let (dir, config, mut cache) =
        site_with("max_entries = 2\n[archives]\nenabled = true\n", &posts);
    let now = Utc::now();
    let mut pipeline = Pipeline::open(IdLedger::default());
    let first = pipeline.run_all(&config, &cache, now);
    assert_eq!(
        first.work.feeds, 5,
        "the subscription document and four monthly pages"
    );
    let path = dir.path().join("feed-src/m2.md");
    std::fs::write(&path, dated("M2 edited", 2)).unwrap();
    let refresh = cache.refresh_paths([&path]);
    let second = pipeline.run_changed(&config, &cache, &refresh.changed, now);
    assert_eq!((second.work.bodies, second.work.feeds), (1, 1));
    let fresh = Pipeline::open(pipeline.ledger().clone()).run_all(&config, &cache, now);
    assert_eq!(
        second.documents, fresh.documents,
        "reuse never changes the output"
    );
    let moved: Vec<&str> = second
        .documents
        .iter()
        .zip(&first.documents)
        .filter(|(a, b)| a.body.as_ptr() != b.body.as_ptr())
        .map(|(a, _)| a.path.as_str())
        .collect();
    assert_eq!(
        moved,
        [
            "archive/2020-02/rss.xml",
            "archive/2020-02/atom.xml",
            "archive/2020-02/feed.json"
        ]
    );
    let page = &second
        .documents
        .iter()
        .find(|d| d.path == "archive/2020-02/atom.xml")
        .unwrap();
    assert_eq!(page.lifetime, crate::render::Lifetime::Archived);
}

#[test]
fn media_goes_on_entries_and_only_linked_files_are_published() {
    let wav = crate::media::probe::tests::wav(2);
    let episode = "+++\ntitle = \"E\"\ndate = 2020-01-02\nmedia = [\"ep 1.wav\", \
        { src = \"https://cdn.example.org/b.mp3\", length = 99, title = \"B\" }]\nimage = \"cover.png\"\n+++\nBody.\n";
    let (dir, config, mut cache) = site_with(
        "icon = \"icon.png\"\nlogo = \"https://cdn.example.org/logo.png\"\nmax_entries = 1\n",
        &[
            (
                "old.md",
                "+++\ntitle = \"Old\"\ndate = 2019-01-01\nmedia = \"old.wav\"\n+++\n<img src=\"a.png\">\n",
            ),
            (
                "text.md",
                "+++\ntitle = \"T\"\ndate = 2018-01-01\n+++\n![x](pic.jpg?a=1&b=2)\n",
            ),
        ],
    );
    let src = dir.path().join("feed-src");
    for (name, bytes) in [
        ("ep 1.wav", &wav[..]),
        ("old.wav", &wav),
        ("cover.png", b"png"),
        ("icon.png", b"png"),
    ] {
        std::fs::write(src.join(name), bytes).unwrap();
    }
    std::fs::write(src.join("ep.md"), episode).unwrap();
    cache.refresh_all().unwrap();
    let build = Pipeline::open(IdLedger::default()).run_all(&config, &cache, Utc::now());
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let paths: Vec<&str> = build.media.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        paths,
        ["cover.png", "ep 1.wav", "icon.png"],
        "old.wav is on no document"
    );
    let pipeline_feed = |b: &Build| {
        b.documents
            .iter()
            .find(|d| d.path == "feed.json")
            .unwrap()
            .body
            .clone()
    };
    let json: serde_json::Value = serde_json::from_slice(&pipeline_feed(&build)).unwrap();
    let item = &json["items"][0];
    assert_eq!(
        item["attachments"][0]["url"],
        "https://example.org/ep%201.wav"
    );
    assert_eq!(item["attachments"][0]["size_in_bytes"], 16_044);
    assert_eq!(item["attachments"][0]["duration_in_seconds"], 2);
    assert_eq!(item["attachments"][1]["mime_type"], "audio/mpeg");
    assert_eq!(item["image"], "https://example.org/cover.png");
    assert_eq!(json["favicon"], "https://example.org/icon.png");
    assert_eq!(json["icon"], "https://cdn.example.org/logo.png");
}

#[test]
fn a_missing_icon_is_reported() {
    let (_dir, config, cache) = site_with("icon = \"nope.png\"\n", &[("a.md", &post("A", ""))]);
    let build = Pipeline::open(IdLedger::default()).run_all(&config, &cache, Utc::now());
    assert_eq!(build.diagnostics.len(), 1);
    assert!(
        build.diagnostics[0]
            .message
            .contains("`icon = \"nope.png\"`"),
        "{:?}",
        build.diagnostics
    );
}

#[test]
fn a_podcasts_cover_transcripts_and_chapters_are_published_with_its_episodes() {
    let wav = crate::media::probe::tests::wav(2);
    let podcast = "[podcast]\nowner = { name = \"O\", email = \"o@example.org\" }\n\
        category = \"News\"\nimage = \"art/cover.png\"\n";
    let (dir, config, mut cache) = site_with(podcast, &[]);
    let src = dir.path().join("feed-src");
    std::fs::create_dir_all(src.join("art")).unwrap();
    std::fs::create_dir_all(src.join("shows")).unwrap();
    for (name, bytes) in [
        ("art/cover.png", &b"\x89PNG\r\n\x1a\n"[..]),
        ("shows/ep1.wav", &wav[..]),
        ("shows/ep1.vtt", b"WEBVTT\n"),
        ("shows/ep1.chapters.json", b"{}"),
        ("shows/ep2.vtt", b"WEBVTT\n"),
        (
            "shows/ep1.md",
            b"+++\ntitle = \"E\"\ndate = 2020-01-02\nmedia = \"ep1.wav\"\n+++\nBody.\n",
        ),
    ] {
        std::fs::write(src.join(name), bytes).unwrap();
    }
    cache.refresh_all().unwrap();
    let build = Pipeline::open(IdLedger::default()).run_all(&config, &cache, Utc::now());
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let published: Vec<(&str, &str)> = (build.media.iter())
        .map(|m| (m.path.as_str(), m.mime.as_str()))
        .collect();
    assert_eq!(
        published,
        [
            ("art/cover.png", "image/png"),
            ("shows/ep1.chapters.json", "application/json"),
            ("shows/ep1.vtt", "text/vtt"),
            ("shows/ep1.wav", "audio/wav"),
        ]
    );
    let rss = build
        .documents
        .iter()
        .find(|d| d.path == "rss.xml")
        .unwrap();
    let rss = String::from_utf8_lossy(&rss.body);
    assert!(
        rss.contains(
            r#"<podcast:transcript type="text/vtt" url="https://example.org/shows/ep1.vtt">"#
        ),
        "{rss}"
    );
    assert!(
        rss.contains(r#"<itunes:image href="https://example.org/art/cover.png"/>"#),
        "{rss}"
    );
}
