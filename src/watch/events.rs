//! The translation of one notify event into [`Change`]s: a pure function of the event and of
//! where the source folder and config file are. It decides which paths are posts, which are
//! editor leftovers (via `source::is_ignored`), and when only a full rescan is safe. Acting on
//! the changes (re-watching, batching) is left to `watcher` and `debounce`.
//!
//! Two choices worth knowing:
//! - Media files (a name whose extension has a MIME type, such as `episode-1.mp3`) pass like
//!   posts, so the posts that attach one are probed again when it is written, added or removed.
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
use crate::media;
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
    // A media file: the posts that attach it are probed again (the cache knows which).
    let is_media = !is_post && media::is_media_name(relative);
    match kind {
        EventKind::Create(CreateKind::Folder) | EventKind::Remove(RemoveKind::Folder) => {
            // A new folder may have been filled before its watch was added; a removed one
            // took posts with it.
            Verdict::Rescan
        }
        _ if is_post || is_media => Verdict::Post,
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
#[path = "events_tests.rs"]
mod tests;
