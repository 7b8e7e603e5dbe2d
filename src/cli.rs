//! The command line, as clap-derive definitions: their doc comments are the `--help` text.
//!
//! Only shape and syntax are checked here; what the values mean is decided in `config` and the
//! drivers, so `--help` and `--version` exit before any file is read.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Config keys (config.toml; unknown keys are errors):
  title = \"...\"              feed title (required)
  base_url = \"https://...\"   absolute address the feeds are published under (required)
  id_authority = \"example.org\"  domain or e-mail pinned into every entry id (required;
                             set once, never change)
  description, language, author   feed description, language code, default author
  timezone = \"UTC\"           IANA zone for dates written without an offset
  max_entries = 50           entries per document
  source_dir = \"feed-src\"    posts folder, relative to the config file
  output_dir = \"public\"      where --once writes, relative to the config file
  id_ledger = \"FILE\"         where ids are remembered across renames
                             (default: .feedd-ids.json in the output folder)
  post_path = \"posts/{slug}/\"  permalink pattern: {slug} {year} {month} {day}
  formats = [\"rss\", \"atom\", \"json\"]
  [paths]  rss = \"rss.xml\", atom = \"atom.xml\", json = \"feed.json\",
           tags = \"tags/{tag}/\", tag_feeds = true
  [server] listen = \"127.0.0.1:8080\", max_age = 300, debounce_ms = 100,
           watch = \"native\" | \"poll\", poll_interval_ms = 1000,
           max_connections = 1024, write_output = false

Exit codes:
  0  success
  1  some posts have problems (each printed as path:line: message); nothing was written
  2  the config, the source folder or the output folder could not be used";

/// Turns a folder of posts into RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents.
///
/// Without a mode, feedd runs as a daemon: it builds the feeds, serves them over HTTP and
/// rebuilds them whenever the source folder or the config changes.
#[derive(Debug, Parser)]
#[command(name = "feedd", version, after_long_help = AFTER_HELP)]
pub struct Cli {
    /// The site's config file.
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "config.toml",
        env = "FEEDD_CONFIG"
    )]
    pub config: PathBuf,

    /// Build every document into the output folder once, then exit.
    #[arg(long)]
    pub once: bool,

    /// Output folder for --once (default: `output_dir` from the config).
    #[arg(long, value_name = "DIR", requires = "once")]
    pub out: Option<PathBuf>,

    /// Address to serve on, overriding `[server] listen`.
    #[arg(
        long,
        value_name = "ADDR",
        env = "FEEDD_LISTEN",
        conflicts_with = "once"
    )]
    pub listen: Option<SocketAddr>,

    /// Log filter, e.g. `info` or `feedd=debug` (default: $RUST_LOG, else `info`).
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and validate the config and every post; write nothing. Exit codes as above.
    Check,
}

/// What the process was asked to do, with the flags that only make sense for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Check,
    Once { out: Option<PathBuf> },
    Daemon { listen: Option<SocketAddr> },
}

impl Cli {
    pub fn mode(&self) -> Mode {
        match (&self.command, self.once) {
            (Some(Command::Check), _) => Mode::Check,
            (None, true) => Mode::Once {
                out: self.out.clone(),
            },
            (None, false) => Mode::Daemon {
                listen: self.listen,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn modes_from_arguments() {
        let mode = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.mode());
        assert_eq!(mode(&["feedd"]).unwrap(), Mode::Daemon { listen: None });
        assert_eq!(
            mode(&["feedd", "--once", "--out", "x"]).unwrap(),
            Mode::Once {
                out: Some("x".into())
            }
        );
        assert_eq!(mode(&["feedd", "check"]).unwrap(), Mode::Check);
        assert!(
            mode(&["feedd", "--out", "x"]).is_err(),
            "--out needs --once"
        );
        assert!(mode(&["feedd", "--once", "--listen", "127.0.0.1:1"]).is_err());
    }
}
