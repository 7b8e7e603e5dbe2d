//! The default of every `config.toml` key, in one place.
//!
//! `Config::from_str` applies them; `--help` (`cli`'s config key list) and the README's
//! Configuration table show them, and tests hold both to these constants ([`documented`]), so a
//! default changed here and not there fails the build's tests rather than misleading a reader.

use super::WatchMode;
use crate::format::Format;

pub const TIMEZONE: &str = "UTC";
pub const MAX_ENTRIES: usize = 50;
pub const SOURCE_DIR: &str = "feed-src";
pub const OUTPUT_DIR: &str = "public";
/// Beside `config.toml`, like `Cargo.lock` beside `Cargo.toml`.
pub const LOCK_FILE: &str = "feedd.lock";
/// Used when systemd sets no `$STATE_DIRECTORY`.
pub const STATE_DIR: &str = ".feedd";
pub const POST_PATH: &str = "posts/{slug}/";
pub const FORMATS: [Format; 3] = Format::ALL;
pub const FOLLOW_SYMLINKS_OUTSIDE: bool = false;
/// Far above any real post, far below what would hurt the daemon's memory.
pub const MAX_POST_BYTES: u64 = 4 << 20;

/// `[paths]`: where each document is published.
pub mod paths {
    use crate::format::Format;

    pub const RSS: &str = Format::Rss.default_path();
    pub const ATOM: &str = Format::Atom.default_path();
    pub const JSON: &str = Format::Json.default_path();
    pub const TAGS: &str = "tags/{tag}/";
    pub const TAG_FEEDS: bool = true;
}

/// `[html]`: the pages for people.
pub mod html {
    pub const INDEX: bool = true;
    pub const FEED_PAGES: bool = true;
}

/// `[archives]`: RFC 5005 pages of the posts older than each feed's newest `max_entries`.
pub mod archives {
    use crate::config::PeriodLength;

    /// Off: archives publish every post in full, once per format and feed (see the README).
    pub const ENABLED: bool = false;
    pub const PERIOD: PeriodLength = PeriodLength::Month;
    pub const FOLDER: &str = "archive/";
}

/// `[websub]`: hubs to announce changes to, and feedd's own hub.
pub mod websub {
    pub const HUB_PATH: &str = "websub";
    /// Ten days, as the public hubs grant.
    pub const LEASE_SECONDS: u64 = 10 * 24 * 60 * 60;
    pub const MAX_LEASE_SECONDS: u64 = 30 * 24 * 60 * 60;
    pub const MAX_SUBSCRIPTIONS_PER_TOPIC: usize = 1000;
    pub const MAX_SUBSCRIPTIONS_PER_HOST: usize = 100;
    pub const ALLOW_PRIVATE_CALLBACKS: bool = false;
}

/// `[deploy]`: publishing changed documents to object storage or through a command.
pub mod deploy {
    /// What AWS's own tools assume; S3-compatible stores mostly ignore it.
    pub const REGION: &str = "us-east-1";
    pub const PREFIX: &str = "";
    /// Long enough for an rsync of a large site over a slow link; a hung one is killed after it.
    pub const TIMEOUT_SECS: u64 = 60;
    /// With the pauses of `websub::Retry` (1, 2, 4, 8 s): a store restarting still gets the round.
    pub const ATTEMPTS: u32 = 5;
}

/// `[podcast]`: what a podcast site says of itself when the key is left out.
pub mod podcast {
    use crate::podcast::ShowType;

    pub const EXPLICIT: bool = false;
    pub const TYPE: ShowType = ShowType::Episodic;
    pub const LOCKED: bool = false;
}

/// `[server]`: the daemon. The per-client bounds follow nginx's defaults (`send_timeout`,
/// `keepalive_requests`, `limit_conn`, `large_client_header_buffers`).
pub mod server {
    use super::WatchMode;

    pub const LISTEN: &str = "127.0.0.1:8080";
    pub const MAX_AGE: u32 = 300;
    /// Thirty days: caches keep archive pages as fixed, yet a correction to an old post reaches
    /// every reader within a month.
    pub const ARCHIVE_MAX_AGE: u32 = 30 * 24 * 60 * 60;
    pub const DEBOUNCE_MS: u64 = 25;
    pub const WATCH: WatchMode = WatchMode::Native;
    pub const POLL_INTERVAL_MS: u64 = 1000;
    pub const MAX_CONNECTIONS: usize = 1024;
    pub const WRITE_OUTPUT: bool = false;
    pub const SEND_TIMEOUT_SECS: u64 = 10;
    pub const CONNECTION_LIFETIME_SECS: u64 = 300;
    pub const MAX_REQUESTS_PER_CONNECTION: u64 = 1000;
    pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
    pub const MAX_HEADER_BYTES: usize = 32 * 1024;
    pub const LISTEN_BACKLOG: u32 = 4096;
    /// Off: what is requested, and by which user agents, is the operator's business only.
    pub const METRICS: bool = false;
    /// Off: `max_age` is advice, and most readers follow it.
    pub const RATE_LIMIT: u32 = 0;
}

/// Every key as `--help` and the README name it (`server.listen` for `[server] listen`), with
/// its default as TOML writes it; `None` for a key without one (required, or empty when unset).
#[cfg(test)]
pub(crate) fn documented() -> Vec<(&'static str, Option<String>)> {
    let text = |s: &str| Some(format!("\"{s}\""));
    let value = |v: &dyn std::fmt::Display| Some(v.to_string());
    let formats: Vec<String> = FORMATS
        .iter()
        .map(|f| format!("\"{}\"", f.name()))
        .collect();
    vec![
        ("title", None),
        ("base_url", None),
        ("id_authority", None),
        ("description", None),
        ("language", None),
        ("author", None),
        ("timezone", text(TIMEZONE)),
        ("max_entries", value(&MAX_ENTRIES)),
        ("source_dir", text(SOURCE_DIR)),
        ("output_dir", text(OUTPUT_DIR)),
        ("lock_file", text(LOCK_FILE)),
        ("state_dir", text(STATE_DIR)),
        ("post_path", text(POST_PATH)),
        ("follow_symlinks_outside", value(&FOLLOW_SYMLINKS_OUTSIDE)),
        ("max_post_bytes", value(&MAX_POST_BYTES)),
        ("formats", Some(format!("[{}]", formats.join(", ")))),
        ("paths.rss", text(paths::RSS)),
        ("paths.atom", text(paths::ATOM)),
        ("paths.json", text(paths::JSON)),
        ("paths.tags", text(paths::TAGS)),
        ("paths.tag_feeds", value(&paths::TAG_FEEDS)),
        ("html.index", value(&html::INDEX)),
        ("html.feed_pages", value(&html::FEED_PAGES)),
        ("archives.enabled", value(&archives::ENABLED)),
        ("archives.period", text(archives::PERIOD.name())),
        ("archives.folder", text(archives::FOLDER)),
        ("websub.hubs", Some("[]".into())),
        ("websub.hub", None),
        ("websub.hub_path", text(websub::HUB_PATH)),
        ("websub.lease_seconds", value(&websub::LEASE_SECONDS)),
        (
            "websub.max_lease_seconds",
            value(&websub::MAX_LEASE_SECONDS),
        ),
        (
            "websub.max_subscriptions_per_topic",
            value(&websub::MAX_SUBSCRIPTIONS_PER_TOPIC),
        ),
        (
            "websub.max_subscriptions_per_host",
            value(&websub::MAX_SUBSCRIPTIONS_PER_HOST),
        ),
        (
            "websub.allow_private_callbacks",
            value(&websub::ALLOW_PRIVATE_CALLBACKS),
        ),
    ]
    .into_iter()
    .chain(sections_documented())
    .collect()
}

/// [`documented`]'s rows of `[server]`, `[deploy]` and `[podcast]`.
#[cfg(test)]
fn sections_documented() -> impl Iterator<Item = (&'static str, Option<String>)> {
    (server_documented().into_iter())
        .chain(deploy_documented())
        .chain(podcast_documented())
}

/// [`documented`]'s `[podcast]` rows.
#[cfg(test)]
fn podcast_documented() -> Vec<(&'static str, Option<String>)> {
    let value = |v: &dyn std::fmt::Display| Some(v.to_string());
    vec![
        ("podcast.author", None),
        ("podcast.owner", None),
        ("podcast.image", None),
        ("podcast.category", None),
        ("podcast.explicit", value(&podcast::EXPLICIT)),
        (
            "podcast.type",
            Some(format!("\"{}\"", podcast::TYPE.name())),
        ),
        ("podcast.locked", value(&podcast::LOCKED)),
    ]
}

/// [`documented`]'s `[deploy]` rows.
#[cfg(test)]
fn deploy_documented() -> Vec<(&'static str, Option<String>)> {
    let text = |s: &str| Some(format!("\"{s}\""));
    let value = |v: &dyn std::fmt::Display| Some(v.to_string());
    vec![
        ("deploy.bucket", None),
        ("deploy.region", text(deploy::REGION)),
        ("deploy.endpoint", None),
        ("deploy.prefix", text(deploy::PREFIX)),
        ("deploy.access_key_id_file", None),
        ("deploy.secret_access_key_file", None),
        ("deploy.command", None),
        ("deploy.timeout_secs", value(&deploy::TIMEOUT_SECS)),
        ("deploy.attempts", value(&deploy::ATTEMPTS)),
    ]
}

/// [`documented`]'s `[server]` rows.
#[cfg(test)]
fn server_documented() -> Vec<(&'static str, Option<String>)> {
    let text = |s: &str| Some(format!("\"{s}\""));
    let value = |v: &dyn std::fmt::Display| Some(v.to_string());
    vec![
        ("server.listen", text(server::LISTEN)),
        ("server.max_age", value(&server::MAX_AGE)),
        ("server.archive_max_age", value(&server::ARCHIVE_MAX_AGE)),
        ("server.debounce_ms", value(&server::DEBOUNCE_MS)),
        ("server.watch", text(watch_name(server::WATCH))),
        ("server.poll_interval_ms", value(&server::POLL_INTERVAL_MS)),
        ("server.max_connections", value(&server::MAX_CONNECTIONS)),
        ("server.write_output", value(&server::WRITE_OUTPUT)),
        (
            "server.send_timeout_secs",
            value(&server::SEND_TIMEOUT_SECS),
        ),
        (
            "server.connection_lifetime_secs",
            value(&server::CONNECTION_LIFETIME_SECS),
        ),
        (
            "server.max_requests_per_connection",
            value(&server::MAX_REQUESTS_PER_CONNECTION),
        ),
        (
            "server.max_connections_per_address",
            value(&server::MAX_CONNECTIONS_PER_ADDRESS),
        ),
        ("server.max_header_bytes", value(&server::MAX_HEADER_BYTES)),
        ("server.listen_backlog", value(&server::LISTEN_BACKLOG)),
        ("server.metrics", value(&server::METRICS)),
        ("server.rate_limit", value(&server::RATE_LIMIT)),
        ("server.tls_cert", None),
        ("server.tls_key", None),
    ]
}

#[cfg(test)]
fn watch_name(mode: WatchMode) -> &'static str {
    match mode {
        WatchMode::Native => "native",
        WatchMode::Poll => "poll",
    }
}

#[cfg(test)]
mod tests {
    use super::documented;

    /// Each row of the README's Configuration table as (`section.key` names, the default cell's
    /// backticked values). A row may name several keys (`watch`, `poll_interval_ms`) with one
    /// value each.
    fn readme_rows() -> Vec<(Vec<String>, Vec<String>)> {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("\n## Configuration\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("the README has a Configuration section");
        let ticked = |cell: &str| -> Vec<String> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        };
        table
            .lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| {
                let cells: Vec<&str> = line.split(" | ").collect();
                let mut names = ticked(cells[0]);
                let section = names
                    .first()
                    .and_then(|n| n.strip_prefix('[')?.strip_suffix(']'))
                    .map(str::to_owned);
                if let Some(section) = section {
                    names.remove(0);
                    names = names.iter().map(|n| format!("{section}.{n}")).collect();
                }
                (names, ticked(cells[1]))
            })
            .collect()
    }

    #[test]
    fn the_readme_table_shows_each_default_as_config_defines_it() {
        let documented = documented();
        let rows = readme_rows();
        for (names, values) in &rows {
            for (i, name) in names.iter().enumerate() {
                let Some((_, default)) = documented.iter().find(|(k, _)| k == name) else {
                    panic!("the README documents `{name}`, which config does not define");
                };
                match (default, values.len()) {
                    (None, 0) => {}
                    (Some(default), n) if n == names.len() => {
                        assert_eq!(&values[i], default, "README on `{name}`");
                    }
                    // One key with a default that depends on its surroundings: `state_dir`.
                    (Some(default), _) if names.len() == 1 => {
                        assert!(values.contains(default), "README on `{name}`: {values:?}");
                    }
                    _ => panic!("README on `{name}`: {values:?}, config: {default:?}"),
                }
            }
        }
        for (key, _) in &documented {
            assert!(
                rows.iter()
                    .any(|(names, _)| names.contains(&key.to_string())),
                "the README's Configuration table does not list `{key}`"
            );
        }
    }
}
