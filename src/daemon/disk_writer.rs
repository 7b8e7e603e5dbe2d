//! The lock file and the `Last-Modified` stamps, written on a thread of their own.
//!
//! Each write waits for the disk (`fsync`), and on a busy disk that wait runs to hundreds of
//! milliseconds, which the event loop would otherwise spend not reading the next change. Only
//! the newest contents of each file matter, so writes queued behind a slow one collapse into one
//! per file. A write that fails is kept and tried again with the next one (or at a reload), and
//! every attempt's outcome goes back to the event loop, which shows a failure in `/healthz` and
//! the status line until a write works.
//!
//! At a stop the thread writes what is queued and ends; the daemon waits for it, so ids recorded
//! by the last rebuild reach the lock file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::change_times::StagedTimes;
use super::disk_problems::Place;
use crate::diagnostic::Diagnostic;
use crate::ledger::StagedLock;

/// How long a stop waits for the queued writes before it gives up on them.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// The next contents of one state file.
#[derive(Debug)]
pub enum Write {
    Lock(StagedLock),
    ChangeTimes(StagedTimes),
}

impl Write {
    fn file(&self) -> Place {
        match self {
            Write::Lock(_) => Place::Lock,
            Write::ChangeTimes(_) => Place::ChangeTimes,
        }
    }

    fn path(&self) -> &std::path::Path {
        match self {
            Write::Lock(staged) => staged.path(),
            Write::ChangeTimes(staged) => staged.path(),
        }
    }

    /// `self` in place of `earlier`, which was never written. A lock file staged for the same
    /// path reports the changes of both; one for another path (the config moved it) replaces
    /// the earlier write outright.
    fn after(self, earlier: Write) -> Write {
        match (self, earlier) {
            (Write::Lock(next), Write::Lock(earlier)) if next.path() == earlier.path() => {
                Write::Lock(next.after(earlier))
            }
            (next, _) => next,
        }
    }

    /// Writes the file; on failure `self` is kept as it was, to be tried again.
    fn perform(&mut self) -> Result<(), Diagnostic> {
        match self {
            Write::Lock(staged) => {
                let changes = staged
                    .try_write()
                    .map_err(|e| Diagnostic::new(&e.path, e.line, e.message))?;
                let lock = staged.path().display();
                if changes.is_notable() {
                    tracing::info!("{changes} in {lock} — commit it");
                } else {
                    tracing::debug!("{changes} in {lock}");
                }
                Ok(())
            }
            Write::ChangeTimes(staged) => staged.write(),
        }
    }
}

/// What one attempt at a file came to: `None` when it is on disk.
#[derive(Debug)]
pub struct Outcome {
    pub place: Place,
    pub problem: Option<Diagnostic>,
}

enum Job {
    Write(Write),
    /// A reload: try again what failed, and forget writes to files the config no longer names.
    Retry {
        current: Vec<PathBuf>,
    },
    Stop,
}

/// The event loop's end: queues writes and hears how they went.
#[derive(Debug)]
pub struct DiskWriter {
    jobs: mpsc::Sender<Job>,
    pub outcomes: UnboundedReceiver<Outcome>,
    /// Set at a stop, after which the thread may have ended by design.
    stopping: Arc<AtomicBool>,
}

/// The daemon's end: waits for the queued writes at a stop.
pub struct Finisher {
    jobs: mpsc::Sender<Job>,
    thread: std::thread::JoinHandle<()>,
    stopping: Arc<AtomicBool>,
}

impl DiskWriter {
    /// Starts the thread.
    pub fn spawn() -> std::io::Result<(DiskWriter, Finisher)> {
        let (jobs, queue) = mpsc::channel();
        let (report, outcomes) = unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("feedd-disk".into())
            .spawn(move || run(&queue, &report))?;
        let stopping = Arc::new(AtomicBool::new(false));
        Ok((
            DiskWriter {
                jobs: jobs.clone(),
                outcomes,
                stopping: Arc::clone(&stopping),
            },
            Finisher {
                jobs,
                thread,
                stopping,
            },
        ))
    }

    /// Queues `write`; returns at once.
    pub fn queue(&self, write: Write) {
        // The thread ends at a stop, or if it panicked: then nothing is written any more.
        if self.jobs.send(Job::Write(write)).is_err() && !self.stopping.load(Ordering::Relaxed) {
            tracing::error!(
                "the thread that writes the lock file and Last-Modified times has stopped; restart feedd"
            );
        }
    }

    /// Tries again what failed, now that a reload may have fixed it; writes to files other than
    /// `current` (the config moved them) are dropped.
    pub fn retry(&self, current: Vec<PathBuf>) {
        let _ = self.jobs.send(Job::Retry { current });
    }
}

impl Finisher {
    /// Writes what is queued and ends the thread, waiting at most [`STOP_WAIT`].
    pub async fn finish(self) {
        self.stopping.store(true, Ordering::Relaxed);
        let _ = self.jobs.send(Job::Stop);
        let thread = self.thread;
        let joined = tokio::task::spawn_blocking(move || thread.join());
        if tokio::time::timeout(STOP_WAIT, joined).await.is_err() {
            tracing::warn!(
                "the lock file and Last-Modified times were not written within {STOP_WAIT:?}; stopping without them"
            );
        }
    }
}

/// The thread: waits for work, takes everything queued behind it, writes the newest contents
/// of each file, reports, and keeps what failed for the next round.
fn run(queue: &mpsc::Receiver<Job>, report: &UnboundedSender<Outcome>) {
    let mut pending: BTreeMap<Place, Write> = BTreeMap::new();
    let mut stopping = false;
    while !stopping {
        let Ok(first) = queue.recv() else { break };
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter());
        for job in jobs {
            match job {
                Job::Write(write) => {
                    let file = write.file();
                    let write = match pending.remove(&file) {
                        Some(earlier) => write.after(earlier),
                        None => write,
                    };
                    pending.insert(file, write);
                }
                Job::Retry { current } => {
                    pending.retain(|file, write| {
                        let kept = current.iter().any(|p| p == write.path());
                        if !kept {
                            let _ = report.send(Outcome {
                                place: *file,
                                problem: None,
                            });
                        }
                        kept
                    });
                }
                Job::Stop => stopping = true,
            }
        }
        pending.retain(|place, write| {
            let problem = write.perform().err();
            let failed = problem.is_some();
            // The event loop is gone at a stop; nobody needs the news then.
            let _ = report.send(Outcome {
                place: *place,
                problem,
            });
            failed
        });
    }
}

/// Writes now, on the calling thread: the first build's files, before anything is served, so a
/// disk that cannot be written shows in the first snapshot. What failed goes to the thread,
/// which tries it again with the next write.
pub fn write_now(writes: Vec<Write>, writer: &DiskWriter) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for mut write in writes {
        let place = write.file();
        let problem = write.perform().err();
        if problem.is_some() {
            writer.queue(write);
        }
        outcomes.push(Outcome { place, problem });
    }
    outcomes
}

#[cfg(test)]
#[path = "disk_writer_tests.rs"]
mod tests;
