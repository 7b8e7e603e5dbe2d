//! Compresses each published snapshot in the background, so an edit is served the moment it is
//! rendered and compressing megabytes of feeds never holds up the next rebuild.
//!
//! Only the newest snapshot is worth compressing: a burst of rebuilds coalesces into one job,
//! and a compressed snapshot is published only if no newer one appeared meanwhile. Until it is
//! published, clients that accept gzip or brotli get the identity encoding, which is always valid.
//!
//! Compressing runs on threads of its own, half the cores. It starts the moment an edit is
//! published, which is when the next edit may come and readers fetch the edited feeds. On the
//! shared pool it took every core, and the next rebuild's parallel work queued behind it: at
//! 10,000 posts, with readers polling, edit-to-served p50 was 78–130 ms, and 43–44 ms since
//! (`bench/edits-under-load --conditions serving`). The price is that on two cores the gzip and
//! brotli copies come about twice as late.

use std::sync::Arc;

use rayon::ThreadPool;
use tokio::sync::watch;

use crate::snapshot::{Publisher, Snapshot};

/// A [`Publisher`] whose every published snapshot is then compressed in the background.
pub struct CompressingPublisher {
    publisher: Publisher,
    latest: watch::Sender<Option<Arc<Snapshot>>>,
}

impl CompressingPublisher {
    /// Starts the background task; it ends when this is dropped.
    pub fn spawn(publisher: Publisher) -> CompressingPublisher {
        let background = publisher.clone();
        let (latest, mut wanted) = watch::channel(None::<Arc<Snapshot>>);
        let pool = compressing_threads().map(Arc::new);
        tokio::spawn(async move {
            while wanted.changed().await.is_ok() {
                let Some(snapshot) = wanted.borrow_and_update().clone() else {
                    continue;
                };
                let job = snapshot.clone();
                let pool = pool.clone();
                let compress = move || match &pool {
                    Some(pool) => pool.install(|| job.compressed()),
                    None => job.compressed(),
                };
                match tokio::task::spawn_blocking(compress).await {
                    Ok(Some(compressed)) => {
                        if !background.replace(&snapshot, compressed) {
                            tracing::debug!("a newer snapshot was published; compression dropped");
                        }
                    }
                    Ok(None) => {}
                    Err(err) => tracing::error!("compressing documents failed: {err}"),
                }
            }
        });
        CompressingPublisher { publisher, latest }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.publisher.current()
    }

    /// Serves `next` from now on, and asks for it to be compressed (replacing any request not
    /// yet started).
    pub fn publish(&self, next: Snapshot) {
        self.publisher.publish(next);
        self.latest.send_replace(Some(self.publisher.current()));
    }
}

/// Half the cores, at least one thread; `None`, with a warning, when no thread could be started,
/// and compressing shares the global pool as it did before.
fn compressing_threads() -> Option<ThreadPool> {
    let threads = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("feedd-compress-{i}"))
        .build();
    match built {
        Ok(pool) => Some(pool),
        Err(err) => {
            tracing::warn!("cannot start the compressing threads ({err}); using the shared ones");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    #[test]
    fn compressing_leaves_the_rebuilds_threads_free() {
        let pool = compressing_threads().expect("the compressing threads start");
        let name = pool.install(|| std::thread::current().name().map(str::to_owned));
        assert!(name.is_some_and(|n| n.starts_with("feedd-compress-")));
        // Every compressing thread busy until told otherwise, as during a long recompression.
        let (release, held) = mpsc::channel::<()>();
        let held = Arc::new(Mutex::new(held));
        let (started, running) = mpsc::channel();
        for _ in 0..pool.current_num_threads() {
            let (held, started) = (Arc::clone(&held), started.clone());
            pool.spawn(move || {
                let _ = started.send(());
                let _ = held.lock().map(|h| h.recv());
            });
        }
        for _ in 0..pool.current_num_threads() {
            running
                .recv_timeout(Duration::from_secs(10))
                .expect("a compressing thread picked up its job");
        }
        // A rebuild's parallel work, on the global pool, runs all the same.
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || done.send(rayon::join(|| 1, || 2)));
        let joined = finished.recv_timeout(Duration::from_secs(10));
        drop(release);
        assert_eq!(joined.expect("the global pool was free"), (1, 2));
    }
}
