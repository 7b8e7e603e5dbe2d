//! Folding a stream of [`Change`]s into [`Batch`]es: a trailing debounce (a batch goes out once
//! no change arrived for `quiet`), capped so that a never-ending stream of writes still yields a
//! batch every `max_wait`. It only reads the clock through tokio, so tests run it on paused
//! time; where the changes come from is `watcher`'s business.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};

use super::{Batch, Change};

/// Runs until `changes` closes (the last batch is still sent) or `batches` is dropped.
///
/// A slow consumer holds the next send back; changes arriving meanwhile wait in `changes` and
/// go into the following batch, so nothing is lost and batches do not pile up.
pub async fn debounce(
    mut changes: mpsc::Receiver<Change>,
    batches: mpsc::Sender<Batch>,
    quiet: Duration,
    max_wait: Duration,
) {
    loop {
        let Some(first) = changes.recv().await else {
            return;
        };
        let mut batch = Batch::default();
        batch.add(first);
        let deadline = Instant::now() + max_wait.max(quiet);
        let mut open = true;
        while open {
            let until = (Instant::now() + quiet).min(deadline);
            match timeout_at(until, changes.recv()).await {
                Ok(Some(change)) => batch.add(change),
                Ok(None) => open = false,
                Err(_elapsed) => break,
            }
        }
        if !batch.is_empty() && batches.send(batch).await.is_err() {
            return;
        }
        if !open {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use tokio::sync::mpsc::error::TryRecvError;
    use tokio::time::advance;

    use super::*;

    const QUIET: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_millis(1000);

    fn post(name: &str) -> Change {
        Change::Paths(BTreeSet::from([PathBuf::from(name)]))
    }

    fn spawn_debouncer() -> (mpsc::Sender<Change>, mpsc::Receiver<Batch>) {
        let (change_tx, change_rx) = mpsc::channel(64);
        let (batch_tx, batch_rx) = mpsc::channel(4);
        tokio::spawn(debounce(change_rx, batch_tx, QUIET, MAX));
        (change_tx, batch_rx)
    }

    /// Lets the debouncer task run up to its next wait without moving the clock.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_saves_gives_one_batch_after_the_quiet_period() {
        let (tx, mut rx) = spawn_debouncer();
        for name in ["a.md", "b.md", "a.md"] {
            tx.send(post(name)).await.unwrap();
            settle().await;
            advance(Duration::from_millis(60)).await;
        }
        settle().await;
        assert_eq!(
            rx.try_recv(),
            Err(TryRecvError::Empty),
            "sent before the quiet period"
        );
        advance(Duration::from_millis(41)).await;
        settle().await;
        let batch = rx.try_recv().unwrap();
        let want: BTreeSet<PathBuf> = ["a.md", "b.md"].iter().map(PathBuf::from).collect();
        assert_eq!(batch.paths, want);
        assert!(!batch.rescan && !batch.config);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[tokio::test(start_paused = true)]
    async fn a_never_ending_stream_still_yields_a_batch_every_max_wait() {
        let (tx, mut rx) = spawn_debouncer();
        let mut batches = Vec::new();
        // One change every 50 ms for 2.5 s: never quiet for 100 ms.
        for i in 0..50 {
            tx.send(post(&format!("{i}.md"))).await.unwrap();
            settle().await;
            advance(Duration::from_millis(50)).await;
            settle().await;
            while let Ok(batch) = rx.try_recv() {
                batches.push((i, batch));
            }
        }
        let at: Vec<_> = batches.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, [19, 39], "a batch each time the 1 s cap passes");
        assert_eq!(batches[0].1.paths.len(), 20);
    }

    #[tokio::test(start_paused = true)]
    async fn rescan_and_config_are_merged_into_the_batch() {
        let (tx, mut rx) = spawn_debouncer();
        tx.send(post("a.md")).await.unwrap();
        tx.send(Change::Rescan).await.unwrap();
        tx.send(Change::Config).await.unwrap();
        settle().await;
        advance(QUIET).await;
        settle().await;
        let batch = rx.try_recv().unwrap();
        assert!(batch.rescan && batch.config);
        assert_eq!(batch.paths.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn changes_during_a_slow_consumer_go_into_the_next_batch() {
        let (change_tx, change_rx) = mpsc::channel(64);
        let (batch_tx, mut rx) = mpsc::channel(1);
        tokio::spawn(debounce(change_rx, batch_tx, QUIET, MAX));
        for name in ["a.md", "b.md", "c.md"] {
            change_tx.send(post(name)).await.unwrap();
            settle().await;
            advance(QUIET * 2).await;
            settle().await;
        }
        // The channel holds one batch (a.md); b.md's batch waits for room and c.md waits in
        // the change channel: nothing is dropped, nothing piles up.
        let sizes: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|b| b.paths.len())
            .collect();
        assert_eq!(sizes, [1]);
        settle().await;
        advance(QUIET * 2).await;
        settle().await;
        let rest: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok())
            .flat_map(|b| b.paths)
            .collect();
        assert_eq!(rest, [PathBuf::from("b.md")]);
        settle().await;
        advance(QUIET * 2).await;
        settle().await;
        assert_eq!(rx.try_recv().unwrap().paths.len(), 1, "c.md");
    }

    #[tokio::test(start_paused = true)]
    async fn closing_the_source_flushes_the_pending_batch_and_ends() {
        let (change_tx, change_rx) = mpsc::channel(64);
        let (batch_tx, mut rx) = mpsc::channel(4);
        let task = tokio::spawn(debounce(change_rx, batch_tx, QUIET, MAX));
        change_tx.send(post("a.md")).await.unwrap();
        drop(change_tx);
        task.await.unwrap();
        assert_eq!(rx.recv().await.unwrap().paths.len(), 1);
        assert_eq!(rx.recv().await, None);
    }
}
