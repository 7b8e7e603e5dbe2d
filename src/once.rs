//! `feedd --once` and `feedd check`: build everything a single time, then write it or not.
//!
//! All or nothing: when any post has a problem, nothing is written, so a CI job never publishes a
//! feed that silently lost a post.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::build::{Build, build, parse_options};
use crate::config::Config;
use crate::output::{
    LedgerError, OutputError, WriteReport, read_ledger, write_documents, write_ledger,
};
use crate::post_cache::PostCache;
use crate::source::SourceError;

/// Failures that stop a one-shot run before it can judge the posts (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum OnceError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// How a one-shot run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Every post parsed; the documents were written when an output folder was given.
    Built {
        build: Build,
        written: Option<WriteReport>,
    },
    /// Some posts have problems; nothing was written.
    Rejected(Build),
}

/// Builds the site; writes it to `out` only when no post has a problem. `check` passes no `out`
/// and still reads the ledger of the configured output folder, to judge ids as `--once` would.
pub fn run(config: &Config, out: Option<&Path>, now: DateTime<Utc>) -> Result<Outcome, OnceError> {
    let mut cache = PostCache::new(config.source(), parse_options(config));
    cache.refresh_all()?;
    let ledger_path = config.ledger_path(out.unwrap_or(&config.output_dir));
    let ledger = read_ledger(&ledger_path)?;
    let build = build(config, &cache, &ledger, None, now);
    if !build.diagnostics.is_empty() {
        return Ok(Outcome::Rejected(build));
    }
    let Some(dir) = out else {
        return Ok(Outcome::Built {
            build,
            written: None,
        });
    };
    let written = write_documents(dir, &build.documents)?;
    write_ledger(&ledger_path, &build.ledger)?;
    Ok(Outcome::Built {
        build,
        written: Some(written),
    })
}
