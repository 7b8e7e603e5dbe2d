use super::*;
use crate::feed::DocumentLink;
use crate::feed::test_config::config;
use std::path::{Path, PathBuf};

fn post(path: &str, date: &str, tags: &[&str]) -> Arc<Post> {
    let slug = Path::new(path)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    Arc::new(Post {
        path: PathBuf::from(path),
        title: format!("Title of {slug}"),
        date: DateTime::parse_from_rfc3339(date).unwrap(),
        updated: None,
        authors: vec![],
        summary: None,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        id: None,
        slug,
        draft: false,
        link: None,
        lang: None,
        episode: Default::default(),
        body_hash: 0,
        media: Vec::new(),
        image: None,
        probed: Default::default(),
        episode_files: Default::default(),
    })
}

fn html(_: &Post, page: &Url) -> Content {
    Content {
        html: crate::feed::absolutize_html("<p><img src=\"a.png\"></p>", page),
        excerpt: "First paragraph.".into(),
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn ids(feed: &Feed) -> Vec<&str> {
    feed.entries.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn newest_first_ties_broken_by_id() {
    let posts = vec![
        post("b.md", "2019-06-30T00:00:00Z", &[]),
        post("a.md", "2019-06-30T00:00:00Z", &[]),
        post("c.md", "2019-07-05T00:00:00Z", &[]),
    ];
    let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
    assert_eq!(
        ids(&built.feeds[0]),
        [
            "tag:example.org,2019-07-05:c",
            "tag:example.org,2019-06-30:a",
            "tag:example.org,2019-06-30:b"
        ]
    );
    assert_eq!(built.published, 3);
}

/// Post `p{n}` on the first of month `n` of 2019, for n in 1..=9, tagged `x`.
fn monthly() -> Vec<Arc<Post>> {
    (1..=9)
        .map(|n| {
            post(
                &format!("p{n}.md"),
                &format!("2019-0{n}-01T00:00:00Z"),
                &["x"],
            )
        })
        .collect()
}

#[test]
fn max_entries_limits_each_feed() {
    let built = build(
        &config("max_entries = 3\n[archives]\nenabled = false"),
        &monthly(),
        &IdLedger::default(),
        &html,
        now(),
    );
    assert_eq!(built.feeds[0].entries.len(), 3);
    assert_eq!(built.feeds[1].entries.len(), 3);
    assert_eq!(
        built.feeds[0].entries[0].id,
        "tag:example.org,2019-09-01:p9"
    );
    assert_eq!(built.feeds[0].history, History::Unpaged);
    assert_eq!(built.archives, [Vec::<Feed>::new(), Vec::new()]);
    assert_eq!(built.published, 9);
}

#[test]
fn older_posts_fall_on_one_archive_page_per_month_linked_both_ways() {
    let built = build(
        &config("max_entries = 3"),
        &monthly(),
        &IdLedger::default(),
        &html,
        now(),
    );
    let main = &built.feeds[0];
    assert_eq!(ids(main).len(), 3);
    let pages = &built.archives[0];
    let month_of = |feed: &Feed| feed.entries[0].published.format("%m").to_string();
    let months: Vec<String> = pages.iter().map(month_of).collect();
    assert_eq!(months, ["06", "05", "04", "03", "02", "01"], "newest first");
    let atom = |links: &[DocumentLink]| {
        crate::feed::link_for(links, crate::format::Format::Atom).map(|l| l.path.clone())
    };
    let History::Subscription { prev_archive } = &main.history else {
        panic!("{:?}", main.history);
    };
    assert_eq!(
        atom(prev_archive).as_deref(),
        Some("archive/2019-06/atom.xml")
    );
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.id, main.id, "pages are parts of one feed");
        assert_eq!(page.updated, page.entries[0].updated);
        let History::Archive {
            current,
            prev_archive,
            next_archive,
        } = &page.history
        else {
            panic!("{:?}", page.history);
        };
        assert_eq!(atom(current).as_deref(), Some("atom.xml"));
        let path = |j: usize| pages.get(j).and_then(|p| atom(&p.documents));
        assert_eq!(atom(prev_archive), path(i + 1));
        assert_eq!(atom(next_archive), i.checked_sub(1).and_then(path));
    }
    let tag_pages = &built.archives[1];
    assert_eq!(
        atom(&tag_pages[0].documents).as_deref(),
        Some("tags/x/archive/2019-06/atom.xml")
    );
    assert_eq!(tag_pages[0].title, "Site: x");
}

#[test]
fn a_feed_that_holds_every_post_says_it_is_complete() {
    let built = build(&config(""), &monthly(), &IdLedger::default(), &html, now());
    assert_eq!(built.feeds[0].entries.len(), 9);
    assert_eq!(built.feeds[0].history, History::Complete);
    assert!(built.archives[0].is_empty());
}

#[test]
fn drafts_and_future_posts_are_left_out_until_due() {
    let mut draft = (*post("d.md", "2019-01-01T00:00:00Z", &[])).clone();
    draft.draft = true;
    let posts = vec![
        Arc::new(draft),
        post("f.md", "2030-01-01T00:00:00Z", &[]),
        post("p.md", "2019-01-01T00:00:00Z", &[]),
    ];
    let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
    assert_eq!(ids(&built.feeds[0]), ["tag:example.org,2019-01-01:p"]);
    assert_eq!(
        built.next_due.map(|d| d.to_rfc3339()),
        Some("2030-01-01T00:00:00+00:00".into())
    );
    let later = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    assert_eq!(
        build(&config(""), &posts, &IdLedger::default(), &html, later).feeds[0]
            .entries
            .len(),
        2
    );
}

#[test]
fn duplicate_ids_name_both_files_and_keep_one() {
    let a = post("x/same.md", "2019-01-01T00:00:00Z", &[]);
    let b = post("y/same.md", "2019-01-01T00:00:00Z", &[]);
    let built = build(&config(""), &[b, a], &IdLedger::default(), &html, now());
    assert_eq!(built.feeds[0].entries.len(), 1);
    assert_eq!(built.diagnostics.len(), 1);
    let message = built.diagnostics[0].to_string();
    assert!(message.starts_with("y/same.md: duplicate id"), "{message}");
    assert!(message.contains("x/same.md"), "{message}");
}

#[test]
fn one_feed_per_tag_with_self_links() {
    let posts = vec![
        post("a.md", "2019-01-01T00:00:00Z", &["Rust", "web"]),
        post("b.md", "2019-01-02T00:00:00Z", &["rust"]),
    ];
    let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
    let tags: Vec<_> = built.feeds[1..]
        .iter()
        .map(|f| f.tag.clone().unwrap())
        .collect();
    assert_eq!(tags, ["rust", "web"], "named as the newest post writes it");
    assert_eq!(built.feeds[1].entries.len(), 2, "tags are grouped by slug");
    let atom = built.feeds[1]
        .document(crate::format::Format::Atom)
        .unwrap();
    assert_eq!(atom.path, "tags/rust/atom.xml");
    assert_eq!(atom.url, "https://example.org/tags/rust/atom.xml");
    assert_eq!(
        built.feeds[0]
            .document(crate::format::Format::Json)
            .unwrap()
            .url,
        "https://example.org/feed.json"
    );
}

#[test]
fn feed_updated_is_newest_entry_never_build_time() {
    let mut edited = (*post("a.md", "2019-01-01T00:00:00Z", &[])).clone();
    edited.updated = Some(DateTime::parse_from_rfc3339("2020-05-05T00:00:00Z").unwrap());
    let posts = vec![Arc::new(edited), post("b.md", "2019-06-01T00:00:00Z", &[])];
    let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
    assert_eq!(
        built.feeds[0].updated.to_rfc3339(),
        "2020-05-05T00:00:00+00:00"
    );
    let empty = build(&config(""), &[], &IdLedger::default(), &html, now());
    assert_eq!(empty.feeds[0].updated.timestamp(), 0);
}

#[test]
fn ids_survive_base_url_and_folder_changes_but_links_follow() {
    let a = build(
        &config(""),
        &[post("2019/a.md", "2019-01-01T00:00:00Z", &[])],
        &IdLedger::default(),
        &html,
        now(),
    );
    let mut moved = config("");
    moved.base_url = url::Url::parse("http://other.example.net/x/").unwrap();
    let b = build(
        &moved,
        &[post("elsewhere/a.md", "2019-01-01T00:00:00Z", &[])],
        &IdLedger::default(),
        &html,
        now(),
    );
    assert_eq!(ids(&a.feeds[0]), ids(&b.feeds[0]));
    assert_eq!(
        b.feeds[0].entries[0].link,
        "http://other.example.net/x/posts/a/"
    );
    assert_eq!(
        b.feeds[0].entries[0].content_html,
        "<p><img src=\"http://other.example.net/x/posts/a/a.png\"></p>"
    );
    assert!(!b.feeds[0].entries[0].id_is_link);
}
