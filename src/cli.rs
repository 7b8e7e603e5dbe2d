//! The command line, as clap-derive definitions: their doc comments are the `--help` text.
//!
//! Only shape and syntax are checked here; what the values mean is decided in `config` and the
//! drivers, so `--help` and `--version` exit before any file is read.
//!
//! The man page and the shell completions are generated from these same definitions by two
//! hidden commands, `feedd man` and `feedd completions SHELL`, so an installer takes them from the
//! binary it installs and they cannot drift from `--help`.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

/// The parts of `--help` after the options, each also a section of the man page:
/// (man page section, `--help` heading, text). Each text starts with `\x20\x20` because a string
/// continuation (`\` at the end of a line) swallows the first line's literal indent.
const SECTIONS: [(&str, &str, &str); 4] = [
    (
        "CONFIGURATION",
        "Config keys (config.toml; unknown keys are errors):",
        CONFIG_KEYS,
    ),
    ("EXIT STATUS", "Exit codes:", EXIT_CODES),
    ("SIGNALS", "Signals (daemon):", SIGNALS),
    ("ENVIRONMENT", "Environment:", ENVIRONMENT),
];

/// Each default shown here is the one `config::defaults` defines (a test holds them together).
const CONFIG_KEYS: &str = "\
\x20\x20title = \"...\"              feed title (required)
  base_url = \"https://...\"   absolute address the feeds are published under (required)
  id_authority = \"example.org\"  domain or e-mail pinned into every entry id (required;
                             set once, never change)
  description, language, author   feed description, language code, default author
  timezone = \"UTC\"           IANA zone for dates written without an offset
  max_entries = 50           entries per document
  source_dir = \"feed-src\"    posts folder, relative to the config file
  output_dir = \"public\"      where --once writes, relative to the config file
  lock_file = \"feedd.lock\"   where every post's id is remembered, so renamed posts keep
                             theirs; commit it with the posts (relative to the config file)
  state_dir = \".feedd\"       feedd's own bookkeeping (default: $STATE_DIRECTORY, else .feedd
                             beside the config file)
  post_path = \"posts/{slug}/\"  permalink pattern: {slug} {year} {month} {day}
  follow_symlinks_outside = false  publish files that symlinks in source_dir lead to
                             outside it
  max_post_bytes = 4194304   larger post files (4 MiB) are problems, refused unread
  formats = [\"rss\", \"atom\", \"json\"]
  [paths]  rss = \"rss.xml\", atom = \"atom.xml\", json = \"feed.json\",
           tags = \"tags/{tag}/\", tag_feeds = true
  [html]   index = true, feed_pages = true   index.html (served at /); a browser that
           opens a feed URL is shown it as a page
  [archives] enabled = false, period = \"month\" | \"week\" | \"year\",
           folder = \"archive/\"
  [websub] hubs = [], hub = \"builtin\", hub_path = \"websub\",
           lease_seconds = 864000, max_lease_seconds = 2592000,
           max_subscriptions_per_topic = 1000, max_subscriptions_per_host = 100,
           allow_private_callbacks = false
  [server] listen = \"127.0.0.1:8080\", max_age = 300, archive_max_age = 2592000,
           debounce_ms = 25,
           watch = \"native\" | \"poll\", poll_interval_ms = 1000,
           max_connections = 1024, write_output = false,
           max_connections_per_address = 64, send_timeout_secs = 10,
           connection_lifetime_secs = 300, max_requests_per_connection = 1000,
           max_header_bytes = 32768, listen_backlog = 4096,
           metrics = false   serve /metrics (Prometheus) to loopback clients
           rate_limit = 0    requests a minute per client address; 304s are free; 0: off,
           tls_cert, tls_key   PEM certificate chain and private key: serve HTTPS
           (HTTP/2 and HTTP/1.1 by ALPN) instead of plain HTTP; re-read on SIGHUP
  [deploy] bucket = \"...\", region = \"us-east-1\", endpoint = \"https://...\",
           prefix = \"\", access_key_id_file = \"...\", secret_access_key_file = \"...\"
           (S3-compatible storage; keys default to AWS_ACCESS_KEY_ID and
           AWS_SECRET_ACCESS_KEY), or command = [\"rsync\", ...] run in output_dir with the
           changed paths appended; timeout_secs = 60, attempts = 5
  [podcast] author = \"...\", owner = { name, email } (email required),
           image = \"cover.png\" (below source_dir, 1400-3000 px square; or a URL),
           category = \"Technology\" or [\"Arts > Books\", ...] from Apple's list,
           explicit = false, type = \"episodic\" | \"serial\", locked = false
           (the section makes the site a podcast: itunes: and podcast: tags in RSS)";

const EXIT_CODES: &str = "\
\x20\x200   success
  1   some posts have problems (each printed as path:line: message), or with --locked the
      lock file is out of date; nothing was written. `check` and `lint`: lint errors found
      (`lint --strict`: warnings too)
  2   the config, the source folder, the output folder or a `lint` input could not be used
  3   with --once --ping: the documents were written, but a WebSub hub could not be told
      of them after every retry (each such hub is named on stderr)
  4   with --once --deploy: the documents were written, but the deploy failed after every
      attempt (the reason is on stderr)
  64  the command line is wrong (an unknown option, a missing value)";

/// The exit code of a command line that cannot be parsed: `EX_USAGE` from sysexits(3), so CI
/// can tell a typo in a workflow from a broken config (2).
pub const USAGE_ERROR: u8 = 64;

const SIGNALS: &str = "\
\x20\x20SIGHUP           read the config, and the TLS certificate and key, again; an invalid one
                   is reported and the old one stays
  SIGTERM, SIGINT  finish in-flight requests, then exit 0";

const ENVIRONMENT: &str = "\
\x20\x20FEEDD_CONFIG, FEEDD_LISTEN  defaults for --config and --listen
  RUST_LOG         log filter when --log is not given
  NOTIFY_SOCKET    systemd Type=notify: readiness, reload, status, stopping, watchdog
  WATCHDOG_USEC    systemd WatchdogSec=: ping at half the period
  LISTEN_FDS       systemd socket activation: serve on the socket passed in, bind nothing
  JOURNAL_STREAM   log to the journal: no colours, no timestamps (the journal adds them)";

fn after_help() -> String {
    SECTIONS
        .map(|(_, heading, text)| format!("{heading}\n{text}"))
        .join("\n\n")
}

/// Turns a folder of posts into RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents.
///
/// Without a mode, feedd runs as a daemon: it builds the feeds, serves them over HTTP and
/// rebuilds them whenever the source folder or the config changes.
#[derive(Debug, Parser)]
#[command(name = "feedd", version, after_long_help = after_help())]
pub struct Cli {
    /// The site's config file.
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "config.toml",
        env = "FEEDD_CONFIG",
        global = true
    )]
    pub config: PathBuf,

    /// Build every document into the output folder once, then exit.
    #[arg(long)]
    pub once: bool,

    /// Output folder for --once (default: `output_dir` from the config).
    #[arg(long, value_name = "DIR", requires = "once")]
    pub out: Option<PathBuf>,

    /// With --once: never write the lock file, and fail (exit 1) when it is missing or does not
    /// record every post's id as the sources give it. For CI.
    #[arg(long, requires = "once")]
    pub locked: bool,

    /// With --once: after writing, tell each hub in `[websub] hubs` of every feed document this
    /// run wrote (changed bytes only; a run that changes nothing tells nobody). Failed
    /// notifications are retried; exit 3 when a hub still could not be told.
    #[arg(long, requires = "once")]
    pub ping: bool,

    /// With --once: after writing, publish every changed document to the `[deploy]` target
    /// (object storage or a command), before any --ping. Exit 4 when it still fails after
    /// every attempt.
    #[arg(long, requires = "once")]
    pub deploy: bool,

    /// Address to serve on, overriding `[server] listen`.
    #[arg(
        long,
        value_name = "ADDR",
        env = "FEEDD_LISTEN",
        conflicts_with = "once"
    )]
    pub listen: Option<SocketAddr>,

    /// Log filter, e.g. `info` or `feedd=debug` (default: $RUST_LOG, else `info`).
    #[arg(long, value_name = "FILTER", global = true)]
    pub log: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and validate the config and every post; write nothing.
    ///
    /// Exit codes:
    ///   0   all is well
    ///   1   some posts have problems (each printed as path:line: message),
    ///       or with --locked the lock file is out of date
    ///   2   the config or the source folder could not be used
    ///   64  the command line is wrong
    #[command(verbatim_doc_comment)]
    Check {
        /// Also fail (exit 1) when the lock file is missing or does not record every post's id
        /// as the sources give it.
        #[arg(long)]
        locked: bool,
    },
    /// Lint the feeds feedd would publish, or the feeds given, for what validators and readers
    /// trip over.
    ///
    /// Without arguments, builds the site's documents in memory (writing nothing) and traces
    /// each finding about an entry to its post's file and line. Given files or http(s) URLs
    /// (RSS, Atom or JSON Feed; `-` reads standard input), lints those instead. Each finding
    /// has a code (FD001…), a severity and a one-line fix; the README lists the rules.
    ///
    /// Exit codes:
    ///   0   no errors (with --strict: no warnings either)
    ///   1   errors found (with --strict: or warnings)
    ///   2   the config, the source folder or an input could not be used
    ///   64  the command line is wrong
    #[command(verbatim_doc_comment)]
    Lint {
        /// How findings are printed: `text`, or `json` (an array of {code, severity, message,
        /// file, line, fix, document}).
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
        /// Also fail (exit 1) on warnings.
        #[arg(long)]
        strict: bool,
        /// Feed files or http(s) URLs to lint instead of the site; `-` is standard input.
        #[arg(value_name = "FILE|URL")]
        inputs: Vec<String>,
    },
}

pub use crate::lint::report::Format as LintFormat;

/// What the process was asked to do, with the flags that only make sense for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Check {
        locked: bool,
    },
    Lint {
        format: LintFormat,
        strict: bool,
        inputs: Vec<String>,
    },
    Once {
        out: Option<PathBuf>,
        locked: bool,
        ping: bool,
        deploy: bool,
    },
    Daemon {
        listen: Option<SocketAddr>,
    },
}

// The hidden commands that print what an installer puts beside the binary. They are added to
// the parser, not to `Cli`, so the man page and completions generated from `Cli` leave them out
// (`clap_complete` lists hidden commands too). Plain comments, not doc comments: clap would take
// a doc comment here as feedd's own description.
#[derive(Debug, Subcommand)]
enum Generate {
    /// Print the man page, feedd(1), as roff.
    #[command(hide = true)]
    Man,
    /// Print the completion script for SHELL.
    #[command(hide = true)]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// What the process was started for.
#[derive(Debug)]
pub enum Invocation {
    Run(Cli),
    Man,
    Completions(Shell),
}

/// Parses the process's arguments; on `--help`, `--version` or an error, prints and exits as
/// clap does.
pub fn parse() -> Invocation {
    parse_from(std::env::args_os()).unwrap_or_else(|err| {
        if err.use_stderr() {
            // Printing can only fail on a closed stderr, and there is nobody to tell then.
            let _ = err.print();
            std::process::exit(i32::from(USAGE_ERROR));
        }
        err.exit()
    })
}

fn parse_from<I, T>(args: I) -> Result<Invocation, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut command = Generate::augment_subcommands(Cli::command());
    let matches = command.try_get_matches_from_mut(args)?;
    if matches
        .subcommand_name()
        .is_some_and(Generate::has_subcommand)
    {
        return Ok(match Generate::from_arg_matches(&matches)? {
            Generate::Man => Invocation::Man,
            Generate::Completions { shell } => Invocation::Completions(shell),
        });
    }
    Cli::from_arg_matches(&matches)
        .map(Invocation::Run)
        .map_err(|err| err.format(&mut command))
}

/// Writes the man page, feedd(1): clap_mangen's sections for the options, then the commands and
/// the [`SECTIONS`] as written for `--help` (in no-fill mode, so their columns survive).
pub fn write_man(out: &mut dyn Write) -> io::Result<()> {
    let command = Cli::command();
    let man = Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let about = sub.get_long_about().or(sub.get_about());
        roff.control("TP", [])
            .text([bold(format!("feedd {}", sub.get_name()))])
            .text([roman(about.map(ToString::to_string).unwrap_or_default())]);
    }
    for (section, _, text) in SECTIONS {
        // The help indents every line by two; roff drops a first line's indent but keeps the rest.
        let text: Vec<&str> = text
            .lines()
            .map(|line| line.strip_prefix("  ").unwrap_or(line))
            .collect();
        roff.control("SH", [section])
            .control("nf", [])
            .text([roman(text.join("\n"))])
            .control("fi", []);
    }
    roff.to_writer(out)?;
    man.render_version_section(out)
}

/// Writes `shell`'s completion script for `feedd`. Generated into memory first: clap_complete
/// panics on a failed write, and a closed pipe (`| head`) is a normal end, not a crash.
pub fn write_completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "feedd", &mut script);
    out.write_all(&script)?;
    out.flush()
}

impl Cli {
    pub fn mode(&self) -> Mode {
        match (&self.command, self.once) {
            (Some(Command::Check { locked }), _) => Mode::Check { locked: *locked },
            (
                Some(Command::Lint {
                    format,
                    strict,
                    inputs,
                }),
                _,
            ) => Mode::Lint {
                format: *format,
                strict: *strict,
                inputs: inputs.clone(),
            },
            (None, true) => Mode::Once {
                out: self.out.clone(),
                locked: self.locked,
                ping: self.ping,
                deploy: self.deploy,
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
                out: Some("x".into()),
                locked: false,
                ping: false,
                deploy: false,
            }
        );
        assert_eq!(
            mode(&["feedd", "--once", "--locked"]).unwrap(),
            Mode::Once {
                out: None,
                locked: true,
                ping: false,
                deploy: false,
            }
        );
        assert_eq!(
            mode(&["feedd", "--once", "--ping"]).unwrap(),
            Mode::Once {
                out: None,
                locked: false,
                ping: true,
                deploy: false,
            }
        );
        assert!(mode(&["feedd", "--ping"]).is_err(), "--ping needs --once");
        assert_eq!(
            mode(&["feedd", "check"]).unwrap(),
            Mode::Check { locked: false }
        );
        assert_eq!(
            mode(&["feedd", "check", "--locked"]).unwrap(),
            Mode::Check { locked: true }
        );
        assert_eq!(
            mode(&[
                "feedd", "lint", "--format", "json", "--strict", "a.xml", "-"
            ])
            .unwrap(),
            Mode::Lint {
                format: LintFormat::Json,
                strict: true,
                inputs: vec!["a.xml".into(), "-".into()],
            }
        );
        assert_eq!(
            mode(&["feedd", "--config", "c.toml", "lint"]).unwrap(),
            Mode::Lint {
                format: LintFormat::Text,
                strict: false,
                inputs: vec![],
            }
        );
        assert!(mode(&["feedd", "lint", "--format", "xml"]).is_err());
        assert!(
            mode(&["feedd", "--locked"]).is_err(),
            "--locked needs --once"
        );
        assert!(
            mode(&["feedd", "--out", "x"]).is_err(),
            "--out needs --once"
        );
        assert!(mode(&["feedd", "--once", "--listen", "127.0.0.1:1"]).is_err());
    }

    fn run(args: &[&str]) -> Cli {
        match parse_from(args).unwrap() {
            Invocation::Run(cli) => cli,
            other => panic!("{args:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn generator_commands_parse_beside_the_real_ones() {
        assert!(matches!(parse_from(["feedd", "man"]), Ok(Invocation::Man)));
        assert!(matches!(
            parse_from(["feedd", "completions", "zsh"]),
            Ok(Invocation::Completions(Shell::Zsh))
        ));
        assert_eq!(
            run(&["feedd", "check"]).mode(),
            Mode::Check { locked: false }
        );
        assert_eq!(
            run(&["feedd", "--listen", "127.0.0.1:1"]).mode(),
            Mode::Daemon {
                listen: Some("127.0.0.1:1".parse().unwrap())
            }
        );
        assert!(parse_from(["feedd", "completions", "tcsh"]).is_err());
        assert!(parse_from(["feedd", "--once", "--listen", "127.0.0.1:1"]).is_err());
    }

    #[test]
    fn completions_offer_the_real_commands_and_options_only() {
        let mut bash = Vec::new();
        write_completions(Shell::Bash, &mut bash).unwrap();
        let bash = String::from_utf8(bash).unwrap();
        assert!(
            bash.contains("--config") && bash.contains("check"),
            "{bash}"
        );
        assert!(
            !bash.contains("completions") && !bash.contains(" man "),
            "{bash}"
        );
    }

    /// Each `key = value` the config key list shows, keyed as `section.key` below `[paths]`,
    /// `[html]`, `[archives]`, `[websub]`, `[server]`, `[deploy]` and `[podcast]`; a value is a quoted string, a `[…]` list or a bare
    /// word.
    fn shown_in_help() -> Vec<(String, String)> {
        let mut shown = Vec::new();
        let mut section = "";
        for line in CONFIG_KEYS.lines() {
            let mut rest = line.trim_start();
            if let Some(named) = [
                "paths", "html", "archives", "websub", "server", "deploy", "podcast",
            ]
            .into_iter()
            .find(|s| rest.starts_with(&format!("[{s}]")))
            {
                section = named;
                rest = &rest[named.len() + 2..];
            } else if line.len() - rest.len() == 2 {
                section = "";
            }
            while let Some((before, after)) = rest.split_once(" = ") {
                let key = before.rsplit([' ', ',']).next().unwrap_or(before);
                let end = match after.chars().next() {
                    Some('"') => after[1..].find('"').map_or(after.len(), |i| i + 2),
                    Some('[') => after.find(']').map_or(after.len(), |i| i + 1),
                    _ => after.find([',', ' ']).unwrap_or(after.len()),
                };
                let key = match section {
                    "" => key.to_owned(),
                    section => format!("{section}.{key}"),
                };
                shown.push((key, after[..end].to_owned()));
                rest = &after[end..];
            }
        }
        shown
    }

    #[test]
    fn help_shows_each_configs_default_as_config_defines_it() {
        let documented = crate::config::defaults::documented();
        let shown = shown_in_help();
        for (key, value) in &shown {
            let default = documented.iter().find(|(k, _)| k == key);
            match default {
                Some((_, Some(default))) => assert_eq!(value, default, "--help on `{key}`"),
                Some((_, None)) => {}
                None => panic!("--help shows `{key}`, which config does not define"),
            }
        }
        for (key, default) in &documented {
            if default.is_some() {
                assert!(
                    shown.iter().any(|(k, _)| k == key),
                    "--help does not show `{key}`"
                );
            }
        }
    }

    #[test]
    fn man_page_has_options_commands_and_help_sections() {
        let mut page = Vec::new();
        write_man(&mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        for wanted in [
            ".TH feedd 1",
            "\\fB\\-\\-config\\fR",
            "feedd check",
            "feedd lint",
            ".SH \"EXIT STATUS\"\n.nf\n0   success\n1   some posts",
            ".SH ENVIRONMENT",
            "NOTIFY_SOCKET",
            ".nf",
        ] {
            assert!(page.contains(wanted), "no {wanted:?} in:\n{page}");
        }
        assert!(!page.contains("feedd\\-check(1)"), "no page exists for it");
        assert!(!page.contains("completions"), "hidden commands stay hidden");
    }
}
