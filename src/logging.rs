//! Log output through `tracing`, shaped for where it ends up.
//!
//! Under systemd (`JOURNAL_STREAM` set) the journal adds its own timestamps and shows escape codes
//! literally, so both are left out there; on a terminal, colours are on.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `filter` (from `--log`) wins over `RUST_LOG`; default `info`.
pub fn init(filter: Option<&str>) {
    let filter = filter
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(!journal && std::io::stderr().is_terminal());
    // A second init (tests running in one process) keeps the first subscriber; that is harmless.
    let _ = if journal {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
}
