//! The index's one promise: whatever sequence of edits it is given, its feeds, problems and ids
//! are those of a build from scratch against the ids it had before the last batch.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::feed::{Assembler, Feed};
use crate::post::Content;

fn config() -> Config {
    let text = "title = \"Site\"\nbase_url = \"https://example.org/\"\nid_authority = \"example.org\"\nmax_entries = 3\n";
    Config::from_str(text, Path::new("/site/config.toml")).unwrap()
}

/// xorshift: enough randomness for a test, and the same sequence on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % sides as u64) as usize
    }
}

fn random_post(dice: &mut Dice, path: &Path, start: DateTime<Utc>) -> Option<Arc<Post>> {
    if dice.roll(5) == 0 {
        return None;
    }
    let days = [-3, -2, -2, -1, 1, 2][dice.roll(6)];
    let date = (start + Duration::days(days)).fixed_offset();
    let tags: &[&str] = [&[][..], &["a"], &["A", "b"], &["b"]][dice.roll(4)];
    let body = dice.roll(3);
    Some(Arc::new(Post {
        path: path.to_path_buf(),
        title: ["One", "Two", "Three"][dice.roll(3)].to_string(),
        date,
        updated: None,
        authors: vec![],
        summary: None,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        id: (dice.roll(8) == 0).then(|| format!("urn:x:{}", dice.roll(2))),
        slug: ["s", "t", "u"][dice.roll(3)].to_string(),
        draft: dice.roll(8) == 0,
        link: None,
        lang: None,
        episode: Default::default(),
        body_hash: body as u64,
        media: Vec::new(),
        image: None,
        probed: Default::default(),
        episode_files: Default::default(),
    }))
}

/// What a build shows: feeds, problems, counts and ids.
type Shown = (
    Vec<Feed>,
    Vec<Diagnostic>,
    usize,
    Option<DateTime<Utc>>,
    IdLedger,
);

fn shown(index: &mut FeedIndex, assembler: &mut Assembler, config: &Config) -> Shown {
    let selection = assembler.select(config, index);
    let rendered = selection
        .to_render
        .iter()
        .map(|(post, _)| {
            let excerpt = format!("body {}", post.body_hash);
            let html = format!("<p>{excerpt}</p>");
            (post.path.clone(), Content { html, excerpt })
        })
        .collect();
    assembler.assemble(config, index, selection, rendered);
    (
        assembler.feeds().cloned().collect(),
        index.diagnostics(),
        index.published(),
        index.next_due(),
        index.ledger().clone(),
    )
}

#[test]
fn any_sequence_of_edits_gives_what_a_build_from_scratch_gives() {
    for seed in [
        0x9e37_79b9_7f4a_7c15,
        0x2545_f491_4f6c_dd1d,
        7,
        12345,
        99991,
    ] {
        edits_match_scratch(seed);
    }
}

fn edits_match_scratch(seed: u64) {
    let config = config();
    let paths: Vec<PathBuf> = (0..10)
        .map(|i| PathBuf::from(format!("/site/feed-src/{}/p{i}.md", i % 2)))
        .collect();
    let mut dice = Dice(seed);
    let mut now = DateTime::parse_from_rfc3339("2024-01-10T00:00:00Z")
        .unwrap()
        .to_utc();
    let start = now;
    let mut current: Vec<Option<Arc<Post>>> = vec![None; paths.len()];
    let mut index = FeedIndex::new(IdLedger::default());
    let mut assembler = Assembler::default();
    for step in 0..400 {
        let before = index.ledger().clone();
        let mut changes = Vec::new();
        for _ in 0..=dice.roll(3) {
            let i = dice.roll(paths.len());
            current[i] = random_post(&mut dice, &paths[i], start);
            changes.push((paths[i].clone(), current[i].clone()));
        }
        if dice.roll(4) == 0 {
            now += Duration::hours(12);
        }
        index.apply(&config, changes, now);
        let incremental = shown(&mut index, &mut assembler, &config);
        let mut fresh = FeedIndex::new(before);
        let all = paths
            .iter()
            .zip(&current)
            .map(|(path, post)| (path.clone(), post.clone()))
            .collect();
        fresh.apply(&config, all, now);
        let scratch = shown(&mut fresh, &mut Assembler::default(), &config);
        assert_eq!(incremental, scratch, "seed {seed}, step {step}");
    }
}

#[test]
fn posts_are_sorted_by_path_as_path_orders_them() {
    let mut dice = Dice(7);
    let start = Utc::now();
    let names = [
        "/s/a-b.md",
        "/s/a/b.md",
        "/s/a.md",
        "/s/a b.md",
        "/s/A.md",
        "/s/a//c.md",
        "/s/é.md",
        "/s/a",
    ];
    let mut posts: Vec<Arc<Post>> = names
        .iter()
        .map(|name| {
            loop {
                if let Some(post) = random_post(&mut dice, Path::new(name), start) {
                    break post;
                }
            }
        })
        .collect();
    sort_by_path(&mut posts);
    let sorted: Vec<&Path> = posts.iter().map(|p| p.path.as_path()).collect();
    let mut expected: Vec<&Path> = names.iter().map(Path::new).collect();
    expected.sort();
    assert_eq!(sorted, expected);
    assert_ne!(
        expected.iter().map(|p| p.as_os_str()).collect::<Vec<_>>(),
        {
            let mut bytes: Vec<_> = names.iter().map(std::ffi::OsStr::new).collect();
            bytes.sort();
            bytes
        },
        "the names are ones whose byte order differs from the path order"
    );
}
