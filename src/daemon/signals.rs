//! SIGHUP, SIGTERM and SIGINT as one stream of what the daemon should do.
//!
//! A signal never exits the process from here: stopping is the event loop's decision, so
//! in-flight requests can finish.

use tokio::signal::unix::{Signal as UnixSignal, SignalKind, signal};

/// What a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP: read the config again.
    Reload,
    /// SIGTERM or SIGINT, by name.
    Stop(&'static str),
}

pub struct Signals {
    hangup: UnixSignal,
    terminate: UnixSignal,
    interrupt: UnixSignal,
}

impl Signals {
    pub fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            hangup: signal(SignalKind::hangup())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    pub async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.hangup.recv() => Signal::Reload,
            _ = self.terminate.recv() => Signal::Stop("SIGTERM"),
            _ = self.interrupt.recv() => Signal::Stop("SIGINT"),
        }
    }
}
