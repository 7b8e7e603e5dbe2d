//! Log output through `tracing`, shaped for where it ends up.
//!
//! When stderr is the journal's stream (`JOURNAL_STREAM` names it), each line carries its
//! priority and no timestamp or colours (`journal`); elsewhere lines are timestamped, with colours
//! on a terminal.

mod journal;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `filter` (from `--log`) wins over `RUST_LOG`; default `info`,
/// except the media reader's notes on files it reads by estimate (an MP3 without a Xing
/// header), which are no problem of the site.
pub fn init(filter: Option<&str>) {
    let filter = filter
        .map(EnvFilter::new)
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,lofty=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests running in one process) keeps the first subscriber; that is harmless.
    let _ = if journal::stderr_is_journal() {
        builder.event_format(journal::JournalLines).try_init()
    } else {
        builder
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}
