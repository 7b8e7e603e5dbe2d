//! SIGHUP as a stream of reload requests; SIGTERM and SIGINT as one cancellation.
//!
//! A signal never exits the process from here: stopping is `run`'s decision, so in-flight
//! requests can finish. The stop signals are watched by a task of their own, so a stop is seen
//! at once even while the event loop is busy rebuilding.

use tokio::signal::unix::{Signal as UnixSignal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// SIGHUP: read the config again.
pub struct Reloads {
    hangup: UnixSignal,
}

impl Reloads {
    pub fn new() -> std::io::Result<Reloads> {
        Ok(Reloads {
            hangup: signal(SignalKind::hangup())?,
        })
    }

    pub async fn recv(&mut self) {
        // `None` only when the signal driver is gone, i.e. the runtime is shutting down.
        if self.hangup.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}

/// Cancels `stop` on the first SIGTERM or SIGINT. Must be called from inside a tokio runtime.
pub fn stop_on_signals(stop: CancellationToken) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::info!("{name}: finishing in-flight requests, then stopping");
        stop.cancel();
    });
    Ok(())
}
