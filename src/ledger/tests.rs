use super::*;
use chrono::DateTime;

fn record(id: &str, title: &str) -> Record {
    Record {
        id: id.into(),
        date: DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z").unwrap(),
        title: title.into(),
        content: "0000000000000001".into(),
    }
}

fn ledger(posts: &[(&str, &str)]) -> IdLedger {
    IdLedger {
        version: IdLedger::VERSION,
        posts: posts
            .iter()
            .map(|(key, id)| (key.to_string(), record(id, key)))
            .collect(),
    }
}

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(extra: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!(
                "title = \"T\"\nbase_url = \"https://example.org/\"\nid_authority = \"example.org\"\n{extra}"
            ),
        )
        .unwrap();
        Scratch { dir }
    }
    fn config(&self) -> Config {
        Config::load(&self.dir.path().join("config.toml")).unwrap()
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

#[test]
fn the_lock_file_lives_beside_the_config_by_default() {
    let scratch = Scratch::new("");
    let lock = LockFile::open(&scratch.config(), &[]).unwrap();
    assert_eq!(lock.path(), scratch.path(LOCK_FILE));
    assert_eq!(lock.ledger().unwrap(), IdLedger::default());
}

#[test]
fn save_writes_only_what_changed_and_says_what() {
    let scratch = Scratch::new("");
    let mut lock = LockFile::open(&scratch.config(), &[]).unwrap();
    let first = ledger(&[("a.md", "id:a"), ("b.md", "id:b")]);
    let changes = lock.save(&first).unwrap().unwrap();
    assert_eq!(changes.added, ["a.md", "b.md"]);
    assert_eq!(changes.to_string(), "recorded 2 new ids");
    assert!(
        lock.save(&first).unwrap().is_none(),
        "same ledger, no write"
    );

    let renamed = ledger(&[("a2.md", "id:a"), ("b.md", "id:b"), ("c.md", "id:c")]);
    let changes = lock.save(&renamed).unwrap().unwrap();
    assert_eq!(changes.renamed, [("a.md".to_string(), "a2.md".to_string())]);
    assert_eq!(changes.added, ["c.md"]);
    assert!(changes.removed.is_empty());
    assert_eq!(changes.to_string(), "recorded 1 new id, 1 rename");
    let reopened = LockFile::open(&scratch.config(), &[]).unwrap();
    assert_eq!(reopened.ledger().unwrap(), renamed);

    let mut edited = renamed.clone();
    edited.posts.get_mut("c.md").unwrap().title = "C, edited".into();
    edited.posts.remove("b.md");
    let changes = lock.save(&edited).unwrap().unwrap();
    assert_eq!(changes.removed, ["b.md"]);
    assert_eq!(changes.edited, 1);
    assert!(changes.is_notable());
}

#[test]
fn an_earlier_versions_ledger_in_the_output_folder_is_moved_into_the_lock() {
    let scratch = Scratch::new("");
    let public = scratch.path("public");
    std::fs::create_dir(&public).unwrap();
    let old = ledger(&[("a.md", "id:a")]);
    std::fs::write(
        public.join(LEGACY_LEDGER),
        serde_json::to_vec_pretty(&old).unwrap(),
    )
    .unwrap();
    let mut lock = LockFile::open(&scratch.config(), &[&public]).unwrap();
    assert_eq!(lock.ledger().unwrap(), old);
    let changes = lock.save(&old).unwrap().unwrap();
    assert_eq!(
        changes.moved_from.as_deref(),
        Some(&*public.join(LEGACY_LEDGER))
    );
    assert!(!public.join(LEGACY_LEDGER).exists());
    assert!(scratch.path(LOCK_FILE).exists());
}

#[test]
fn an_old_id_ledger_key_is_read_and_the_lock_goes_beside_it() {
    let scratch = Scratch::new("id_ledger = \"state/ids.json\"\n");
    std::fs::create_dir(scratch.path("state")).unwrap();
    let old = ledger(&[("a.md", "id:a")]);
    std::fs::write(
        scratch.path("state/ids.json"),
        serde_json::to_vec(&old).unwrap(),
    )
    .unwrap();
    let config = scratch.config();
    assert_eq!(config.lock_file, scratch.path("state/feedd.lock"));
    let mut lock = LockFile::open(&config, &[]).unwrap();
    assert_eq!(lock.ledger().unwrap(), old);
    lock.save(&old).unwrap();
    assert!(!scratch.path("state/ids.json").exists());
}

#[test]
fn a_corrupt_lock_file_is_named_with_its_line() {
    let scratch = Scratch::new("");
    std::fs::write(
        scratch.path(LOCK_FILE),
        "version = 2\n[posts]\n\"a.md\" = { id = \n",
    )
    .unwrap();
    let err = LockFile::open(&scratch.config(), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("feedd.lock:3:"), "{err}");
    assert!(err.contains("version control"), "{err}");
}

#[test]
fn locked_problems_name_each_post_and_the_fix() {
    let scratch = Scratch::new("");
    let src = scratch.path("feed-src");
    let lock = LockFile::open(&scratch.config(), &[]).unwrap();
    let missing = lock.locked_problems(&ledger(&[("a.md", "id:a")]), &src);
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0]
            .message
            .starts_with("missing: run `feedd --once`"),
        "{missing:?}"
    );

    let mut lock = lock;
    lock.save(&ledger(&[("a.md", "id:a"), ("gone.md", "id:g")]))
        .unwrap();
    let next = ledger(&[("a2.md", "id:a"), ("new.md", "id:n")]);
    let problems: Vec<String> = lock
        .locked_problems(&next, &src)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(
        problems.iter().any(|p| p.contains("new.md: this post is not in feedd.lock: run `feedd --once` locally and commit feedd.lock")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("a2.md: this post is a.md renamed")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("feedd.lock: names gone.md, which is gone")),
        "{problems:#?}"
    );
    assert!(
        lock.locked_problems(&ledger(&[("a.md", "id:a"), ("gone.md", "id:g")]), &src)
            .is_empty()
    );
}
