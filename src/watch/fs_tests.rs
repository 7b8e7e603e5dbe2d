//! Watching real temporary folders: each common way of saving a file, folder moves, the source
//! folder vanishing, bursts, polling and the fallback to it. Waits are bounded and end as soon
//! as the expected batch has arrived.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;
use tokio::time::{Instant, timeout, timeout_at};

use super::watcher::{self, Backend as Boxed, Msg};
use super::*;

const DEBOUNCE: Duration = Duration::from_millis(80);
const POLL: Duration = Duration::from_millis(50);
const PATIENCE: Duration = Duration::from_secs(10);

/// `root/` holds `config.toml`, the source folder `feed-src/` and room for things moved out.
struct Site {
    _dir: TempDir,
    root: PathBuf,
    src: PathBuf,
    config: PathBuf,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let src = root.join("feed-src");
        fs::create_dir(&src).unwrap();
        let config = root.join("config.toml");
        fs::write(&config, "title = \"t\"\n").unwrap();
        Site {
            _dir: dir,
            root,
            src,
            config,
        }
    }

    fn post(&self, relative: &str) -> PathBuf {
        self.src.join(relative)
    }

    fn settings(&self, mode: WatchMode) -> WatchSettings {
        WatchSettings {
            source_dir: self.src.clone(),
            config_file: self.config.clone(),
            debounce: DEBOUNCE,
            mode,
            poll_interval: POLL,
        }
    }

    fn watch(&self) -> Watching {
        let watching = start(self.settings(WatchMode::Native)).unwrap();
        assert_eq!(watching.backend(), Backend::Native);
        watching
    }
}

fn merge(into: &mut Batch, batch: Batch) {
    into.paths.extend(batch.paths);
    into.rescan |= batch.rescan;
    into.config |= batch.config;
}

/// Merges batches until `done` holds, then takes whatever follows within a few quiet periods
/// (so that assertions about what must *not* be there see stragglers). Returns the merged batch
/// and how many batches made it.
async fn collect(watching: &mut Watching, done: impl Fn(&Batch) -> bool) -> (Batch, usize) {
    let deadline = Instant::now() + PATIENCE;
    let mut all = Batch::default();
    let mut count = 0;
    while !done(&all) {
        match timeout_at(deadline, watching.batches.recv()).await {
            Ok(Some(batch)) => {
                merge(&mut all, batch);
                count += 1;
            }
            Ok(None) => panic!("watching stopped; got {all:?}"),
            Err(_) => panic!("timed out waiting; got {all:?}"),
        }
    }
    while let Ok(Some(batch)) = timeout(DEBOUNCE * 3, watching.batches.recv()).await {
        merge(&mut all, batch);
        count += 1;
    }
    (all, count)
}

async fn collect_paths(watching: &mut Watching, want: &[&Path]) -> Batch {
    collect(watching, |b| want.iter().all(|p| b.paths.contains(*p)))
        .await
        .0
}

fn paths(list: &[&Path]) -> BTreeSet<PathBuf> {
    list.iter().map(|p| p.to_path_buf()).collect()
}

#[tokio::test]
async fn write_in_place_reports_the_post() {
    let site = Site::new();
    let post = site.post("a.md");
    fs::write(&post, "one").unwrap();
    let mut watching = site.watch();
    fs::write(&post, "two").unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
    assert!(!batch.rescan && !batch.config);
}

#[tokio::test]
async fn write_temp_then_rename_over_reports_only_the_destination() {
    let site = Site::new();
    let post = site.post("a.md");
    fs::write(&post, "one").unwrap();
    let mut watching = site.watch();
    let temp = site.post("a.md.tmp");
    fs::write(&temp, "two").unwrap();
    fs::rename(&temp, &post).unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
    assert!(!batch.rescan);
}

/// Saves `post` the way `sed -i` and "atomic save" libraries do: a new file under `temp` in the
/// same folder, renamed over the post.
fn save_through(post: &Path, temp: &Path, text: &str) {
    fs::write(temp, text).unwrap();
    fs::rename(temp, post).unwrap();
}

#[tokio::test]
async fn saving_through_a_temp_file_of_any_name_reports_the_post_without_a_rescan() {
    let site = Site::new();
    let post = site.post("2024/a.md");
    fs::create_dir(site.post("2024")).unwrap();
    fs::write(&post, "one").unwrap();
    let mut watching = site.watch();
    // sed's `sedXXXXXX`, a library's random suffix, rsync's hidden `.name.XXXXXX`.
    for temp in ["2024/sedAb12Cd", "2024/a.md.k3x9q1", "2024/.a.md.Qw3rTy"] {
        save_through(&post, &site.post(temp), temp);
        let batch = collect_paths(&mut watching, &[&post]).await;
        assert_eq!(batch.paths, paths(&[&post]), "{temp}");
        assert!(!batch.rescan, "saving through {temp} asked for a rescan");
    }
}

#[tokio::test]
async fn jetbrains_safe_write_reports_the_post_without_a_rescan() {
    let site = Site::new();
    let post = site.post("a.md");
    fs::write(&post, "one").unwrap();
    let mut watching = site.watch();
    let (temp, old) = (site.post("a.md___jb_tmp___"), site.post("a.md___jb_old___"));
    fs::write(&temp, "two").unwrap();
    fs::rename(&post, &old).unwrap();
    fs::rename(&temp, &post).unwrap();
    fs::remove_file(&old).unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
    assert!(!batch.rescan);
}

#[tokio::test]
async fn renaming_a_foreign_file_is_no_change() {
    let site = Site::new();
    let (image, renamed) = (site.post("notes"), site.post("photo"));
    fs::write(&image, "text").unwrap();
    let mut watching = site.watch();
    fs::rename(&image, &renamed).unwrap();
    let quiet = timeout(DEBOUNCE * 4, watching.batches.recv()).await;
    assert!(quiet.is_err(), "renaming a foreign file gave {quiet:?}");
}

#[tokio::test]
async fn writing_or_removing_a_media_file_reports_it() {
    let site = Site::new();
    let audio = site.post("episode.mp3");
    fs::write(&audio, "one").unwrap();
    let mut watching = site.watch();
    fs::write(&audio, "two").unwrap();
    let batch = collect_paths(&mut watching, &[&audio]).await;
    assert_eq!(batch.paths, paths(&[&audio]));
    fs::remove_file(&audio).unwrap();
    let batch = collect_paths(&mut watching, &[&audio]).await;
    assert_eq!(batch.paths, paths(&[&audio]));
    assert!(!batch.rescan);
}

#[tokio::test]
async fn vim_style_backup_probe_and_rewrite_reports_only_the_post() {
    let site = Site::new();
    let post = site.post("a.md");
    fs::write(&post, "one").unwrap();
    let mut watching = site.watch();
    let probe = site.post("4913");
    fs::write(&probe, "").unwrap();
    fs::remove_file(&probe).unwrap();
    let backup = site.post("a.md~");
    fs::rename(&post, &backup).unwrap();
    fs::write(&post, "two").unwrap();
    fs::remove_file(&backup).unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
    assert!(!batch.rescan);
}

#[tokio::test]
async fn renaming_a_post_reports_both_names() {
    let site = Site::new();
    let (old, new) = (site.post("a.md"), site.post("b.txt"));
    fs::write(&old, "one").unwrap();
    let mut watching = site.watch();
    fs::rename(&old, &new).unwrap();
    let batch = collect_paths(&mut watching, &[&old, &new]).await;
    assert_eq!(batch.paths, paths(&[&old, &new]));
    assert!(!batch.rescan);
}

#[tokio::test]
async fn moving_a_post_into_and_out_of_a_subfolder_reports_both_places() {
    let site = Site::new();
    fs::create_dir(site.post("2024")).unwrap();
    let (top, nested) = (site.post("a.md"), site.post("2024/a.md"));
    fs::write(&top, "one").unwrap();
    let mut watching = site.watch();
    for (from, to) in [(&top, &nested), (&nested, &top)] {
        fs::rename(from, to).unwrap();
        let batch = collect_paths(&mut watching, &[&top, &nested]).await;
        assert_eq!(batch.paths, paths(&[&top, &nested]));
        assert!(!batch.rescan);
    }
}

#[tokio::test]
async fn deleting_a_post_reports_it() {
    let site = Site::new();
    let post = site.post("a.md");
    fs::write(&post, "one").unwrap();
    let mut watching = site.watch();
    fs::remove_file(&post).unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
}

#[tokio::test]
async fn touching_a_post_passes_its_path_and_reading_it_does_nothing() {
    let site = Site::new();
    let post = site.post("a.md");
    fs::write(&post, "one").unwrap();
    let mut watching = site.watch();
    assert_eq!(fs::read_to_string(&post).unwrap(), "one");
    let quiet = timeout(DEBOUNCE * 4, watching.batches.recv()).await;
    assert!(quiet.is_err(), "reading a post gave {quiet:?}");
    let mut permissions = fs::metadata(&post).unwrap().permissions();
    permissions.set_readonly(true);
    fs::set_permissions(&post, permissions).unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
    assert!(!batch.rescan);
}

#[tokio::test]
async fn moving_a_subfolder_out_or_in_asks_for_a_rescan_and_watches_what_came_in() {
    let site = Site::new();
    fs::create_dir(site.post("2024")).unwrap();
    fs::write(site.post("2024/a.md"), "one").unwrap();
    let mut watching = site.watch();
    let outside = site.root.join("elsewhere");
    fs::rename(site.post("2024"), &outside).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);

    fs::rename(&outside, site.post("2025")).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);
    let inside = site.post("2025/b.md");
    fs::write(&inside, "two").unwrap();
    let batch = collect_paths(&mut watching, &[&inside]).await;
    assert_eq!(batch.paths, paths(&[&inside]));
}

#[tokio::test]
async fn renaming_a_subfolder_within_the_tree_asks_for_a_rescan() {
    let site = Site::new();
    fs::create_dir(site.post("2024")).unwrap();
    fs::write(site.post("2024/a.md"), "one").unwrap();
    let mut watching = site.watch();
    fs::rename(site.post("2024"), site.post("archive")).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);
    // The same for a folder whose new name looks like a post file's.
    fs::rename(site.post("archive"), site.post("archive.md")).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);
}

#[tokio::test]
async fn removing_a_subfolder_asks_for_a_rescan() {
    let site = Site::new();
    fs::create_dir_all(site.post("2024/05")).unwrap();
    fs::write(site.post("2024/05/a.md"), "one").unwrap();
    let mut watching = site.watch();
    fs::remove_dir_all(site.post("2024")).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);
}

#[tokio::test]
async fn a_burst_of_300_writes_gives_few_batches_with_every_path() {
    let site = Site::new();
    let mut watching = site.watch();
    let written: Vec<PathBuf> = (0..300)
        .map(|i| site.post(&format!("p{i:03}.md")))
        .collect();
    for path in &written {
        fs::write(path, "body").unwrap();
    }
    let (batch, count) = collect(&mut watching, |b| {
        written.iter().all(|p| b.paths.contains(p))
    })
    .await;
    assert_eq!(batch.paths, written.iter().cloned().collect());
    assert!(!batch.rescan);
    assert!(count <= 10, "300 writes gave {count} batches");
}

#[tokio::test]
async fn config_file_replaced_by_an_editor_is_reported_every_time() {
    let site = Site::new();
    let mut watching = site.watch();
    fs::write(&site.config, "title = \"two\"\n").unwrap();
    let batch = collect(&mut watching, |b| b.config).await.0;
    assert!(batch.paths.is_empty() && !batch.rescan);
    // Replaced by rename twice: a watch on the file itself would have been lost after the first.
    for text in ["title = \"three\"\n", "title = \"four\"\n"] {
        let temp = site.root.join(".config.toml.swp");
        fs::write(&temp, text).unwrap();
        fs::rename(&temp, &site.config).unwrap();
        let batch = collect(&mut watching, |b| b.config).await.0;
        assert!(batch.paths.is_empty() && !batch.rescan, "{batch:?}");
    }
}

#[tokio::test]
async fn source_folder_deleted_and_recreated_is_rescanned_and_watched_again() {
    for mode in [WatchMode::Native, WatchMode::Poll] {
        deleted_and_recreated(mode).await;
    }
}

async fn deleted_and_recreated(mode: WatchMode) {
    let site = Site::new();
    fs::write(site.post("a.md"), "one").unwrap();
    let mut watching = start(site.settings(mode)).unwrap();
    fs::remove_dir_all(&site.src).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);

    fs::create_dir(&site.src).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);
    let post = site.post("b.md");
    fs::write(&post, "two").unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
}

#[tokio::test]
async fn source_folder_renamed_away_is_not_watched_under_its_old_name() {
    let site = Site::new();
    let mut watching = site.watch();
    let old = site.root.join("feed-src.old");
    fs::rename(&site.src, &old).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);
    fs::create_dir(&site.src).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);

    fs::write(old.join("stale.md"), "x").unwrap();
    let post = site.post("fresh.md");
    fs::write(&post, "y").unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(
        batch.paths,
        paths(&[&post]),
        "the old folder's write leaked in"
    );
}

/// inotify keeps a watch on the folder, not the name: after a swap, the old folder's events
/// would come in under the source folder's path, and the new folder would go unwatched.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn source_folder_swapped_in_one_step_is_watched_anew() {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    let site = Site::new();
    let next = site.root.join("feed-src.next");
    fs::create_dir(&next).unwrap();
    let mut watching = site.watch();
    renameat_with(CWD, &site.src, CWD, &next, RenameFlags::EXCHANGE).unwrap();
    assert!(collect(&mut watching, |b| b.rescan).await.0.rescan);

    fs::write(next.join("stale.md"), "x").unwrap();
    let post = site.post("fresh.md");
    fs::write(&post, "y").unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(
        batch.paths,
        paths(&[&post]),
        "the old folder's write leaked in"
    );
}

#[tokio::test]
async fn poll_mode_picks_up_new_and_rewritten_posts() {
    let site = Site::new();
    let existing = site.post("a.md");
    fs::write(&existing, "one").unwrap();
    let mut watching = start(site.settings(WatchMode::Poll)).unwrap();
    assert_eq!(watching.backend(), Backend::Poll);
    assert!(watching.fallback.is_none());

    let new = site.post("b.md");
    fs::write(&new, "two").unwrap();
    let batch = collect_paths(&mut watching, &[&new]).await;
    assert_eq!(batch.paths, paths(&[&new]));

    // Polling compares whole-second modification times; move it on instead of sleeping.
    let file = fs::File::options().write(true).open(&existing).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(file);
    let batch = collect_paths(&mut watching, &[&existing]).await;
    assert_eq!(batch.paths, paths(&[&existing]));
}

/// A native backend that accepts no watches, like inotify past `max_user_watches`.
struct Exhausted;

impl notify::Watcher for Exhausted {
    fn new<F: notify::EventHandler>(_: F, _: notify::Config) -> notify::Result<Self> {
        Ok(Exhausted)
    }
    fn watch(&mut self, path: &Path, _: notify::RecursiveMode) -> notify::Result<()> {
        Err(notify::Error::new(notify::ErrorKind::MaxFilesWatch).add_path(path.to_path_buf()))
    }
    fn unwatch(&mut self, _: &Path) -> notify::Result<()> {
        Ok(())
    }
    fn kind() -> notify::WatcherKind {
        notify::WatcherKind::NullWatcher
    }
}

#[tokio::test]
async fn inotify_out_of_watches_falls_back_to_polling_and_names_the_sysctl() {
    let site = Site::new();
    let exhausted: watcher::MakeNative =
        |_: std::sync::mpsc::Sender<Msg>| -> notify::Result<Boxed> { Ok(Box::new(Exhausted)) };
    let mut watching = watcher::start(site.settings(WatchMode::Native), exhausted).unwrap();
    assert_eq!(watching.backend(), Backend::Poll);
    let message = watching
        .fallback
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(message.contains("fs.inotify.max_user_watches"), "{message}");
    assert!(message.contains("watch = \"poll\""), "{message}");
    assert!(message.contains("inotify watch limit reached"), "{message}");

    let post = site.post("a.md");
    fs::write(&post, "one").unwrap();
    let batch = collect_paths(&mut watching, &[&post]).await;
    assert_eq!(batch.paths, paths(&[&post]));
}

#[tokio::test]
async fn inotify_that_cannot_start_falls_back_to_polling() {
    let site = Site::new();
    let broken: watcher::MakeNative = |_| {
        let io = std::io::Error::from_raw_os_error(24); // EMFILE: out of inotify instances
        Err(notify::Error::io(io))
    };
    let watching = watcher::start(site.settings(WatchMode::Native), broken).unwrap();
    assert_eq!(watching.backend(), Backend::Poll);
    let message = watching
        .fallback
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        message.contains(&site.src.display().to_string()),
        "{message}"
    );
    assert!(message.contains("fs.inotify.max_user_watches"), "{message}");
}

#[tokio::test]
async fn a_missing_parent_folder_is_an_error_naming_the_source_folder() {
    let site = Site::new();
    let mut settings = site.settings(WatchMode::Native);
    settings.source_dir = site.root.join("no/such/feed-src");
    let error = start(settings).unwrap_err().to_string();
    assert!(error.contains("no/such/feed-src"), "{error}");
}

#[test]
fn starting_outside_a_tokio_runtime_is_an_error() {
    let site = Site::new();
    let error = start(site.settings(WatchMode::Native)).unwrap_err();
    assert!(matches!(error, WatchError::NoRuntime), "{error}");
}
