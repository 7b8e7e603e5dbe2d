//! The translation of one notify event into [`Change`]s: a pure function of the event and of
//! where the source folder and config file are. It decides which paths are posts, which are
//! editor leftovers (via `source::is_ignored`), and when only a full rescan is safe. Acting on
//! the changes (re-watching, batching) is left to `watcher` and `debounce`.
//!
//! Two choices worth knowing:
//! - Metadata-only events (`touch`, `chmod`) pass the post's path on. The rebuild reads contents,
//!   so a bare touch re-reads one file and yields the same bytes; but a `chmod` can make an
//!   unreadable post readable, and the polling backend reports every write as a modification
//!   time change, so dropping them would lose real edits.
//! - A removal of something that is neither a post nor an editor leftover may be a folder full of
//!   posts; only inotify's create/remove say "folder", so other removals ask for a
//!   [`Change::Rescan`].
//! - Renames never say "folder" (notify drops inotify's `IN_ISDIR` on moves), and the old path
//!   is gone when the event is read. Yet most renames of a non-post name are a save through a
//!   temporary file (`sedXXXXXX`, `name___jb_tmp___`, random suffixes), and a rescan for each
//!   costs hundreds of milliseconds on a large site. So the *new* name decides: what is there now
//!   is looked at through an [`OnDisk`] answer passed in. A regular file there means the old name
//!   was a file too and needs nothing; a folder asks for a rescan; nothing there means it moved
//!   or went away again, which reports itself. The old name alone (a lone `From`) cannot tell and
//!   asks for a rescan, unless it is followed by its pair: notify's inotify backend sends `From`
//!   at once and, when the matching `To` comes (same cookie, as the event's tracker), `To` and
//!   then `Both` with both names. [`awaits_pair`] tells the watcher which `From` is worth holding
//!   until its `Both`, which is classified instead. Keeping a set of known folders instead would
//!   need a walk at start and would miss folders made before notify's recursive watch reached
//!   them (`mkdir -p`), turning a folder move into a silent loss.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use notify::Event;
use notify::event::{CreateKind, EventKind, ModifyKind, RemoveKind, RenameMode};

use super::Change;
use crate::source;

/// Where the watched things are, in the form notify reports paths (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scope {
    pub source_dir: PathBuf,
    pub config_file: PathBuf,
}

/// What a path names now, for renames, whose events do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnDisk {
    File,
    Folder,
    Gone,
}

/// What one path of an event means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Post,
    Config,
    Rescan,
    Ignore,
    /// A rename of a name below the source folder that is not a post: a file or a folder.
    Renamed,
}

/// The changes one event stands for, at most one of each kind. `look` tells what a path names
/// now; it is asked only about the new names of renames.
pub(super) fn classify(
    event: &Event,
    scope: &Scope,
    look: impl Fn(&Path) -> OnDisk,
) -> Vec<Change> {
    if event.need_rescan() {
        return vec![Change::Rescan];
    }
    if matches!(event.kind, EventKind::Access(_)) {
        return Vec::new();
    }
    if event.paths.is_empty() {
        // An event about nothing in particular: nothing says which posts are affected.
        return vec![Change::Rescan];
    }
    let mut posts = BTreeSet::new();
    let (mut rescan, mut config) = (false, false);
    for (index, path) in event.paths.iter().enumerate() {
        let verdict = match verdict(event.kind, path, scope) {
            Verdict::Renamed => settle_rename(event, index, &look),
            verdict => verdict,
        };
        match verdict {
            Verdict::Post => {
                posts.insert(path.clone());
            }
            Verdict::Config => config = true,
            Verdict::Rescan => rescan = true,
            Verdict::Ignore | Verdict::Renamed => {}
        }
    }
    let mut changes = Vec::new();
    if !posts.is_empty() {
        changes.push(Change::Paths(posts));
    }
    if rescan {
        changes.push(Change::Rescan);
    }
    if config {
        changes.push(Change::Config);
    }
    changes
}

/// Whether `event` is the old name of a rename that may have been a folder, and notify will
/// follow it with a `Both` event (same tracker) that [`classify`] can settle from the new name.
/// The watcher holds such an event until its pair comes, or classifies it alone if none does.
pub(super) fn awaits_pair(event: &Event, scope: &Scope) -> bool {
    let [path] = event.paths.as_slice() else {
        return false;
    };
    event.kind == EventKind::Modify(ModifyKind::Name(RenameMode::From))
        && event.tracker().is_some()
        && !event.need_rescan()
        && verdict(event.kind, path, scope) == Verdict::Renamed
}

/// Whether `event` is the `Both` event that completes the held `from`.
pub(super) fn completes(event: &Event, from: &Event) -> bool {
    event.kind == EventKind::Modify(ModifyKind::Name(RenameMode::Both))
        && event.tracker().is_some()
        && event.tracker() == from.tracker()
}

/// Whether `event` may mean the source folder itself was created, removed or replaced, so its
/// recursive watch has to be checked (inotify keeps watching a renamed folder under the old name).
pub(super) fn touches_source_root(event: &Event, scope: &Scope) -> bool {
    event.need_rescan() || (names_an_entry(event.kind) && event.paths.contains(&scope.source_dir))
}

fn verdict(kind: EventKind, path: &Path, scope: &Scope) -> Verdict {
    if path == scope.config_file {
        return Verdict::Config;
    }
    if path == scope.source_dir {
        // The folder's own modification time changes whenever an entry does; the entries
        // report themselves.
        return if names_an_entry(kind) {
            Verdict::Rescan
        } else {
            Verdict::Ignore
        };
    }
    let Ok(relative) = path.strip_prefix(&scope.source_dir) else {
        // A sibling seen by the non-recursive watch on a parent folder.
        return Verdict::Ignore;
    };
    if hidden_or_temp(relative) {
        return Verdict::Ignore;
    }
    let is_post = !source::is_ignored(relative);
    match kind {
        EventKind::Create(CreateKind::Folder) | EventKind::Remove(RemoveKind::Folder) => {
            // A new folder may have been filled before its watch was added; a removed one
            // took posts with it.
            Verdict::Rescan
        }
        _ if is_post => Verdict::Post,
        EventKind::Create(CreateKind::File) | EventKind::Remove(RemoveKind::File) => {
            Verdict::Ignore
        }
        EventKind::Modify(
            ModifyKind::Data(_) | ModifyKind::Metadata(_) | ModifyKind::Any | ModifyKind::Other,
        ) => Verdict::Ignore,
        EventKind::Modify(ModifyKind::Name(_)) => Verdict::Renamed,
        // Events of unknown kind on something that may be a folder.
        _ => Verdict::Rescan,
    }
}

/// Whether the rename of the non-post `event.paths[index]` can have moved posts: only when a
/// folder was renamed, which the new name tells.
fn settle_rename(event: &Event, index: usize, look: impl Fn(&Path) -> OnDisk) -> Verdict {
    let new_name = match event.kind {
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => event.paths.get(index),
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if event.paths.len() == 2 => {
            event.paths.get(1)
        }
        // A lone old name, or a rename that does not say which name is which.
        _ => None,
    };
    let Some(new_name) = new_name else {
        return Verdict::Rescan;
    };
    let is_old_name = index == 0 && event.paths.len() == 2;
    match look(new_name) {
        OnDisk::File => Verdict::Ignore,
        OnDisk::Folder => Verdict::Rescan,
        // Moved on or removed since: those events speak for the new name, but whether the old
        // one was a folder is lost.
        OnDisk::Gone if is_old_name => Verdict::Rescan,
        OnDisk::Gone => Verdict::Ignore,
    }
}

/// Events that create, remove or rename an entry, as opposed to changing what it holds.
fn names_an_entry(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Name(_))
            | EventKind::Any
            | EventKind::Other
    )
}

/// Whether any component of `relative` is hidden or an editor's temporary name.
fn hidden_or_temp(relative: &Path) -> bool {
    // `is_ignored` also rejects foreign extensions; asking about a post-named child keeps only
    // the hidden/temporary rule, so that this module and `source` agree on what a leftover is.
    source::is_ignored(&relative.join("probe.md"))
}

#[cfg(test)]
mod tests {
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
    const POLLED_WRITE: EventKind =
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime));
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
        for kind in [EventKind::Create(CreateKind::File), DATA, TOUCH] {
            let image = event(kind, &["/site/feed-src/image.png"]);
            assert_eq!(changes(&image), vec![], "{kind:?} on a foreign file");
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
                "foreign file renamed",
                NAME_BOTH,
                &["/site/feed-src/image.png", "/site/feed-src/photo"],
                vec![],
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
}
