//! Compresses each published snapshot in the background, so an edit is served the moment it is
//! rendered and compressing megabytes of feeds never holds up the next rebuild.
//!
//! Only the newest snapshot is worth compressing: a burst of rebuilds coalesces into one job,
//! and a compressed snapshot is published only if no newer one appeared meanwhile. Until it is
//! published, clients that accept gzip or brotli get the identity encoding, which is always valid.

use std::sync::Arc;

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
        tokio::spawn(async move {
            while wanted.changed().await.is_ok() {
                let Some(snapshot) = wanted.borrow_and_update().clone() else {
                    continue;
                };
                let job = snapshot.clone();
                match tokio::task::spawn_blocking(move || job.compressed()).await {
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
