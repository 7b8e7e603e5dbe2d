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
//! - A rename or removal of something that is neither a post nor an editor leftover may be a
//!   folder full of posts. Only inotify's create/remove say "folder"; renames never do, and the
//!   old path is gone by then, so such events ask for a [`Change::Rescan`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use notify::Event;
use notify::event::{CreateKind, EventKind, ModifyKind, RemoveKind};

use super::Change;
use crate::source;

/// Where the watched things are, in the form notify reports paths (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scope {
    pub source_dir: PathBuf,
    pub config_file: PathBuf,
}

/// What one path of an event means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Post,
    Config,
    Rescan,
    Ignore,
}

/// The changes one event stands for, at most one of each kind.
pub(super) fn classify(event: &Event, scope: &Scope) -> Vec<Change> {
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
    for path in &event.paths {
        match verdict(event.kind, path, scope) {
            Verdict::Post => {
                posts.insert(path.clone());
            }
            Verdict::Config => config = true,
            Verdict::Rescan => rescan = true,
            Verdict::Ignore => {}
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
        // Renames and events of unknown kind on something that may be a folder.
        _ => Verdict::Rescan,
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
            assert_eq!(&classify(&event(*kind, paths), &scope()), want, "{name}");
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
                assert_eq!(
                    classify(&event(kind, &[path]), &scope()),
                    vec![],
                    "{kind:?} {path}"
                );
            }
        }
        for kind in [EventKind::Create(CreateKind::File), DATA, TOUCH] {
            let image = event(kind, &["/site/feed-src/image.png"]);
            assert_eq!(
                classify(&image, &scope()),
                vec![],
                "{kind:?} on a foreign file"
            );
        }
    }

    #[test]
    fn rename_from_temp_over_post_counts_for_the_destination() {
        let p = "/site/feed-src/post.md";
        for temp in ["/site/feed-src/.post.md.tmp", "/site/feed-src/post.md~"] {
            assert_eq!(
                classify(&event(NAME_BOTH, &[temp, p]), &scope()),
                posts(&[p])
            );
        }
        // And the backup side of vim's rename-away is no change at all.
        let backup = event(NAME_BOTH, &[p, "/site/feed-src/post.md~"]);
        assert_eq!(classify(&backup, &scope()), posts(&[p]));
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
                classify(&event(*kind, paths), &scope()),
                vec![Change::Rescan],
                "{name}"
            );
        }
        // A folder's own modification time changes with every entry; that alone is nothing.
        let mtime = event(POLLED_WRITE, &["/site/feed-src/2024"]);
        assert_eq!(classify(&mtime, &scope()), vec![]);
    }

    #[test]
    fn overflow_asks_for_a_rescan() {
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert_eq!(classify(&overflow, &scope()), vec![Change::Rescan]);
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
            assert_eq!(classify(&e, &scope()), vec![Change::Rescan], "{kind:?}");
            assert!(touches_source_root(&e, &scope()), "{kind:?}");
        }
        let mtime = event(POLLED_WRITE, &[SRC]);
        assert_eq!(classify(&mtime, &scope()), vec![]);
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
            assert_eq!(
                classify(&event(kind, &[config]), &scope()),
                vec![Change::Config]
            );
        }
        let replaced = event(NAME_BOTH, &["/site/.config.toml.swp", config]);
        assert_eq!(classify(&replaced, &scope()), vec![Change::Config]);
        for sibling in [
            "/site/README.md",
            "/site/feed-src-old/a.md",
            "/site/out/feed.xml",
        ] {
            assert_eq!(
                classify(&event(DATA, &[sibling]), &scope()),
                vec![],
                "{sibling}"
            );
        }
    }

    #[test]
    fn one_event_can_carry_several_kinds_of_change() {
        let moved = event(NAME_BOTH, &["/site/config.toml", "/site/feed-src/x.md"]);
        let got = classify(&moved, &scope());
        assert_eq!(
            got,
            [posts(&["/site/feed-src/x.md"]), vec![Change::Config]].concat()
        );
    }
}
