//! The event classification tables: every way of saving, renaming and removing that the
//! watcher meets, against a made-up disk that says which new names are files and folders.

use notify::event::{AccessKind, DataChange, Flag, MetadataKind, RenameMode};

use super::*;

const SRC: &str = "/site/feed-src";

fn scope() -> Scope {
    Scope {
        source_dir: PathBuf::from(SRC),
        config_file: PathBuf::from("/site/config.toml"),
    }
}

fn event(kind: EventKind, paths: &[&str]) -> Event {
    paths
        .iter()
        .fold(Event::new(kind), |e, p| e.add_path(PathBuf::from(p)))
}

/// The folders the tests' disk holds below the source folder.
const FOLDERS: &[&str] = &[
    "/site/feed-src/2024",
    "/site/feed-src/a",
    "/site/feed-src/b",
    "/site/feed-src/v1.2",
    "/site/feed-src/archive.md",
    "/site/elsewhere",
];
/// The files it holds that are not posts.
const FILES: &[&str] = &[
    "/site/feed-src/photo",
    "/site/feed-src/image.png",
    "/site/feed-src/post.md___jb_old___",
    "/site/moved-out",
];

/// The tests' disk: what is listed above, posts where their names say, nothing else.
fn on_disk(path: &Path) -> OnDisk {
    let listed = |list: &[&str]| list.iter().any(|p| Path::new(p) == path);
    if listed(FOLDERS) {
        OnDisk::Folder
    } else if listed(FILES) || path.extension().is_some_and(|e| e == "md") {
        OnDisk::File
    } else {
        OnDisk::Gone
    }
}

fn changes(event: &Event) -> Vec<Change> {
    classify(event, &scope(), on_disk)
}

fn posts(paths: &[&str]) -> Vec<Change> {
    vec![Change::Paths(paths.iter().map(PathBuf::from).collect())]
}

const NAME_ANY: EventKind = EventKind::Modify(ModifyKind::Name(RenameMode::Any));
const NAME_FROM: EventKind = EventKind::Modify(ModifyKind::Name(RenameMode::From));
const NAME_TO: EventKind = EventKind::Modify(ModifyKind::Name(RenameMode::To));
const NAME_BOTH: EventKind = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
const TOUCH: EventKind = EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any));
const POLLED_WRITE: EventKind = EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime));
const DATA: EventKind = EventKind::Modify(ModifyKind::Data(DataChange::Any));

#[test]
fn classifies_events_on_post_files() {
    let p = "/site/feed-src/post.md";
    let cases: &[(&str, EventKind, &[&str], Vec<Change>)] = &[
        (
            "create",
            EventKind::Create(CreateKind::File),
            &[p],
            posts(&[p]),
        ),
        (
            "polled create",
            EventKind::Create(CreateKind::Any),
            &[p],
            posts(&[p]),
        ),
        ("write", DATA, &[p], posts(&[p])),
        (
            "modify any",
            EventKind::Modify(ModifyKind::Any),
            &[p],
            posts(&[p]),
        ),
        (
            "remove",
            EventKind::Remove(RemoveKind::File),
            &[p],
            posts(&[p]),
        ),
        (
            "polled remove",
            EventKind::Remove(RemoveKind::Any),
            &[p],
            posts(&[p]),
        ),
        ("rename from", NAME_FROM, &[p], posts(&[p])),
        ("rename to", NAME_TO, &[p], posts(&[p])),
        ("rename any", NAME_ANY, &[p], posts(&[p])),
        (
            "rename both",
            NAME_BOTH,
            &[p, "/site/feed-src/sub/new.txt"],
            posts(&[p, "/site/feed-src/sub/new.txt"]),
        ),
        ("touch passes the path", TOUCH, &[p], posts(&[p])),
        (
            "polled write passes the path",
            POLLED_WRITE,
            &[p],
            posts(&[p]),
        ),
        ("open", EventKind::Access(AccessKind::Any), &[p], vec![]),
        (
            "close after write",
            EventKind::Access(AccessKind::Close(notify::event::AccessMode::Write)),
            &[p],
            vec![],
        ),
    ];
    for (name, kind, paths, want) in cases {
        assert_eq!(&changes(&event(*kind, paths)), want, "{name}");
    }
}

#[test]
fn drops_editor_leftovers_hidden_and_foreign_files() {
    for path in [
        "/site/feed-src/.post.md.swp",
        "/site/feed-src/post.md~",
        "/site/feed-src/4913",
        "/site/feed-src/.hidden.md",
        "/site/feed-src/.git/objects/ab",
        "/site/feed-src/#post.md#",
        "/site/feed-src/post.md.tmp",
    ] {
        for kind in [
            EventKind::Create(CreateKind::File),
            DATA,
            TOUCH,
            EventKind::Remove(RemoveKind::File),
            NAME_FROM,
            NAME_TO,
        ] {
            assert_eq!(changes(&event(kind, &[path])), vec![], "{kind:?} {path}");
        }
    }
    for kind in [
        EventKind::Create(CreateKind::File),
        DATA,
        TOUCH,
        EventKind::Remove(RemoveKind::File),
    ] {
        let image = event(kind, &["/site/feed-src/image.png"]);
        assert_eq!(
            changes(&image),
            posts(&["/site/feed-src/image.png"]),
            "{kind:?} on a media file: the posts that attach it are probed again"
        );
        let other = event(kind, &["/site/feed-src/photo"]);
        assert_eq!(changes(&other), vec![], "{kind:?} on a foreign file");
    }
}

#[test]
fn rename_from_temp_over_post_counts_for_the_destination() {
    let p = "/site/feed-src/post.md";
    for temp in ["/site/feed-src/.post.md.tmp", "/site/feed-src/post.md~"] {
        assert_eq!(changes(&event(NAME_BOTH, &[temp, p])), posts(&[p]));
    }
    // And the backup side of vim's rename-away is no change at all.
    let backup = event(NAME_BOTH, &[p, "/site/feed-src/post.md~"]);
    assert_eq!(changes(&backup), posts(&[p]));
}

#[test]
fn renames_of_files_that_are_not_posts_are_settled_by_the_new_name() {
    let p = "/site/feed-src/post.md";
    let cases: &[(&str, EventKind, &[&str], Vec<Change>)] = &[
        (
            "sed -i",
            NAME_BOTH,
            &["/site/feed-src/sedAb12Cd", p],
            posts(&[p]),
        ),
        (
            "random suffix",
            NAME_BOTH,
            &["/site/feed-src/post.md.k3x9q1", p],
            posts(&[p]),
        ),
        (
            "JetBrains moves the post aside",
            NAME_BOTH,
            &[p, "/site/feed-src/post.md___jb_old___"],
            posts(&[p]),
        ),
        (
            "JetBrains' old copy already deleted",
            NAME_BOTH,
            &[p, "/site/feed-src/post.md___jb_gone___"],
            posts(&[p]),
        ),
        (
            "JetBrains moves the new text in",
            NAME_BOTH,
            &["/site/feed-src/post.md___jb_tmp___", p],
            posts(&[p]),
        ),
        (
            "media file renamed",
            NAME_BOTH,
            &["/site/feed-src/image.png", "/site/feed-src/photo"],
            posts(&["/site/feed-src/image.png"]),
        ),
        (
            "file moved out of the tree",
            NAME_BOTH,
            &["/site/feed-src/notes", "/site/moved-out"],
            vec![],
        ),
        (
            "file moved into the tree",
            NAME_BOTH,
            &["/site/moved-in", "/site/feed-src/photo"],
            vec![],
        ),
        ("file moved in", NAME_TO, &["/site/feed-src/photo"], vec![]),
        (
            "moved in and gone again",
            NAME_TO,
            &["/site/feed-src/sedAb12Cd"],
            vec![],
        ),
    ];
    for (name, kind, paths, want) in cases {
        assert_eq!(&changes(&event(*kind, paths)), want, "{name}");
    }
}

#[test]
fn renames_that_may_have_moved_a_folder_ask_for_a_rescan() {
    let cases: &[(&str, EventKind, &[&str])] = &[
        (
            "folder renamed to a post's name",
            NAME_BOTH,
            &["/site/feed-src/archive", "/site/feed-src/archive.md"],
        ),
        (
            "folder moved out of the tree",
            NAME_BOTH,
            &["/site/feed-src/2023", "/site/elsewhere"],
        ),
        (
            "moved on before anyone looked",
            NAME_BOTH,
            &["/site/feed-src/x", "/site/feed-src/y"],
        ),
        (
            "a rename not saying which name is which",
            NAME_ANY,
            &["/site/feed-src/photo"],
        ),
        (
            "lone old name of a file",
            NAME_FROM,
            &["/site/feed-src/sedAb12Cd"],
        ),
    ];
    for (name, kind, paths) in cases {
        let got = changes(&event(*kind, paths));
        assert!(got.contains(&Change::Rescan), "{name}: {got:?}");
    }
}

#[test]
fn only_an_old_name_that_may_be_a_folder_awaits_its_pair() {
    let from = |path: &str, tracker: Option<usize>| {
        let e = event(NAME_FROM, &[path]);
        match tracker {
            Some(t) => e.set_tracker(t),
            None => e,
        }
    };
    let sed = from("/site/feed-src/sedAb12Cd", Some(7));
    assert!(awaits_pair(&sed, &scope()));
    assert!(awaits_pair(&from("/site/feed-src/2024", Some(7)), &scope()));
    for (name, e) in [
        ("no tracker", from("/site/feed-src/sedAb12Cd", None)),
        ("post", from("/site/feed-src/post.md", Some(7))),
        ("leftover", from("/site/feed-src/post.md~", Some(7))),
        ("source folder", from(SRC, Some(7))),
        ("sibling", from("/site/other", Some(7))),
        ("config", from("/site/config.toml", Some(7))),
        (
            "new name",
            event(NAME_TO, &["/site/feed-src/sedAb12Cd"]).set_tracker(7),
        ),
    ] {
        assert!(!awaits_pair(&e, &scope()), "{name}");
    }
    let both = |t| {
        event(
            NAME_BOTH,
            &["/site/feed-src/sedAb12Cd", "/site/feed-src/post.md"],
        )
        .set_tracker(t)
    };
    assert!(completes(&both(7), &sed));
    assert!(!completes(&both(8), &sed));
    let to = event(NAME_TO, &["/site/feed-src/post.md"]).set_tracker(7);
    assert!(!completes(&to, &sed));
    let untracked = from("/site/feed-src/sedAb12Cd", None);
    let both_untracked = event(NAME_BOTH, &["/site/feed-src/a", "/site/feed-src/b"]);
    assert!(!completes(&both_untracked, &untracked));
}

#[test]
fn folder_moves_and_removals_ask_for_a_rescan() {
    let cases: &[(&str, EventKind, &[&str])] = &[
        ("folder moved out", NAME_FROM, &["/site/feed-src/2024"]),
        ("folder moved in", NAME_TO, &["/site/feed-src/2024"]),
        (
            "folder renamed",
            NAME_BOTH,
            &["/site/feed-src/a", "/site/feed-src/b"],
        ),
        ("dotted folder", NAME_FROM, &["/site/feed-src/v1.2"]),
        (
            "folder removed",
            EventKind::Remove(RemoveKind::Folder),
            &["/site/feed-src/a"],
        ),
        (
            "folder created",
            EventKind::Create(CreateKind::Folder),
            &["/site/feed-src/a"],
        ),
        (
            "unknown removal",
            EventKind::Remove(RemoveKind::Any),
            &["/site/feed-src/a"],
        ),
        ("unknown kind", EventKind::Other, &["/site/feed-src/a"]),
        ("no paths", EventKind::Any, &[]),
    ];
    for (name, kind, paths) in cases {
        assert_eq!(
            changes(&event(*kind, paths)),
            vec![Change::Rescan],
            "{name}"
        );
    }
    // A folder's own modification time changes with every entry; that alone is nothing.
    let mtime = event(POLLED_WRITE, &["/site/feed-src/2024"]);
    assert_eq!(changes(&mtime), vec![]);
}

#[test]
fn overflow_asks_for_a_rescan() {
    let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
    assert_eq!(changes(&overflow), vec![Change::Rescan]);
    assert!(touches_source_root(&overflow, &scope()));
}

#[test]
fn source_folder_vanishing_or_coming_back_asks_for_a_rescan() {
    for kind in [
        EventKind::Remove(RemoveKind::Folder),
        EventKind::Remove(RemoveKind::Any),
        EventKind::Create(CreateKind::Folder),
        NAME_FROM,
        NAME_TO,
    ] {
        let e = event(kind, &[SRC]);
        assert_eq!(changes(&e), vec![Change::Rescan], "{kind:?}");
        assert!(touches_source_root(&e, &scope()), "{kind:?}");
    }
    let mtime = event(POLLED_WRITE, &[SRC]);
    assert_eq!(changes(&mtime), vec![]);
    assert!(!touches_source_root(&mtime, &scope()));
    let listing = event(EventKind::Access(AccessKind::Any), &[SRC]);
    assert!(!touches_source_root(&listing, &scope()));
    let post = event(
        EventKind::Create(CreateKind::File),
        &["/site/feed-src/a.md"],
    );
    assert!(!touches_source_root(&post, &scope()));
}

#[test]
fn config_file_events_are_config_changes_and_siblings_are_ignored() {
    let config = "/site/config.toml";
    for kind in [DATA, NAME_TO, EventKind::Remove(RemoveKind::File), TOUCH] {
        assert_eq!(changes(&event(kind, &[config])), vec![Change::Config]);
    }
    let replaced = event(NAME_BOTH, &["/site/.config.toml.swp", config]);
    assert_eq!(changes(&replaced), vec![Change::Config]);
    for sibling in [
        "/site/README.md",
        "/site/feed-src-old/a.md",
        "/site/out/feed.xml",
    ] {
        assert_eq!(changes(&event(DATA, &[sibling])), vec![], "{sibling}");
    }
}

#[test]
fn one_event_can_carry_several_kinds_of_change() {
    let moved = event(NAME_BOTH, &["/site/config.toml", "/site/feed-src/x.md"]);
    let got = changes(&moved);
    assert_eq!(
        got,
        [posts(&["/site/feed-src/x.md"]), vec![Change::Config]].concat()
    );
}
