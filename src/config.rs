//! `config.toml` → a validated [`Config`].
//!
//! [`Config::from_str`] is pure (text in, value or error out) so every rule is unit-tested without
//! files; [`Config::load`] adds the one read from disk and resolves folders against the config
//! file's own folder, so feedd behaves the same whatever directory it is started from.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

use crate::media::Src;

use crate::format::Format;

/// Why a config could not be used. Each message names the file, the key and what to write instead.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // `error`, not `source`: the message includes it, and a source would be printed twice.
    #[error("cannot read config {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl ConfigError {
    /// The error as a diagnostic on the config file, for `/healthz` while an edited config is
    /// refused and the previous one stays in force.
    pub fn diagnostic(&self) -> crate::diagnostic::Diagnostic {
        use crate::diagnostic::Diagnostic;
        let kept = "config not reloaded, the previous one stays in force";
        match self {
            ConfigError::Read { path, error } => {
                Diagnostic::for_file(path, format!("cannot read ({error}); {kept}"))
            }
            ConfigError::Syntax {
                path,
                line,
                message,
            } => Diagnostic::at_line(path, *line, format!("{message}; {kept}")),
            ConfigError::Invalid { path, message } => {
                Diagnostic::for_file(path, format!("{message}; {kept}"))
            }
        }
    }
}

/// The validated site configuration. Folders are absolute or relative to the working directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// Always ends with `/`, so relative paths join below it.
    pub base_url: Url,
    /// The `tag:` URI authority (a domain or e-mail address) that entry ids are minted under.
    pub id_authority: String,
    pub language: Option<String>,
    pub author: Option<String>,
    pub timezone: Tz,
    pub max_entries: usize,
    pub source_dir: PathBuf,
    pub output_dir: PathBuf,
    /// The lock file that remembers every post's id (`feedd.lock` beside the config file).
    pub lock_file: PathBuf,
    /// The ledger file of an earlier version (`id_ledger`), read once and moved into the lock.
    pub legacy_ledger: Option<PathBuf>,
    /// Where feedd keeps what it needs between runs that is neither source nor published: the
    /// list of documents it wrote to each output folder. systemd's `StateDirectory=` when set,
    /// else `.feedd` beside the config file.
    pub state_dir: PathBuf,
    /// Permalink pattern below `base_url`, with `{slug}`, `{year}`, `{month}`, `{day}`.
    pub post_path: String,
    pub formats: Vec<Format>,
    pub paths: Paths,
    pub html: Html,
    pub archives: Archives,
    pub websub: WebSub,
    pub server: Server,
    /// `[deploy]`: where changed documents are published after each rebuild, when configured.
    pub deploy: Option<Deploy>,
    /// `[podcast]`: the site is a podcast, and its RSS feeds say so, when configured.
    pub podcast: Option<Podcast>,
    /// Whether symlinks below `source_dir` may lead to files and folders outside it.
    pub follow_symlinks_outside: bool,
    /// Post files larger than this are errors, refused before they are read.
    pub max_post_bytes: u64,
    /// The feed's small square icon (Atom `<icon>`, JSON Feed `favicon`): a path relative to
    /// `source_dir`, published like posts' media, or an absolute URL.
    pub icon: Option<Src>,
    /// The feed's larger image (Atom `<logo>`, RSS `<image>`, JSON Feed `icon`).
    pub logo: Option<Src>,
}

mod archives;
pub mod defaults;
mod deploy;
mod html;
mod podcast;
mod server;
mod websub;

use html::RawHtml;
pub use html::{Html, INDEX_PATH};

pub use archives::{Archives, PeriodLength};
pub use deploy::{Deploy, DeployTarget, S3Target};
pub use podcast::{Artwork, Podcast};
pub use server::{Limits, Server, TlsFiles, WatchMode};
use server::{RawServer, build_server};
pub use websub::{BuiltinHub, WebSub};

/// Where each document is published, relative to `base_url` and the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub rss: String,
    pub atom: String,
    pub json: String,
    /// Folder pattern with `{tag}` under which each tag gets the same set of documents;
    /// `None` turns per-tag feeds off.
    pub tags: Option<String>,
}

impl Paths {
    /// The file name (or path) of `format`'s document.
    pub fn file(&self, format: Format) -> &str {
        match format {
            Format::Rss => &self.rss,
            Format::Atom => &self.atom,
            Format::Json => &self.json,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    base_url: String,
    id_authority: String,
    #[serde(default)]
    description: String,
    language: Option<String>,
    author: Option<String>,
    timezone: Option<String>,
    max_entries: Option<usize>,
    source_dir: Option<PathBuf>,
    output_dir: Option<PathBuf>,
    lock_file: Option<PathBuf>,
    /// The name of `lock_file` before it became a lock file; still read, so old configs work.
    id_ledger: Option<PathBuf>,
    state_dir: Option<PathBuf>,
    post_path: Option<String>,
    formats: Option<Vec<Format>>,
    follow_symlinks_outside: Option<bool>,
    max_post_bytes: Option<u64>,
    icon: Option<String>,
    logo: Option<String>,
    #[serde(default)]
    paths: RawPaths,
    #[serde(default)]
    html: RawHtml,
    #[serde(default)]
    archives: archives::RawArchives,
    #[serde(default)]
    websub: websub::RawWebSub,
    #[serde(default)]
    server: RawServer,
    deploy: Option<deploy::RawDeploy>,
    podcast: Option<podcast::RawPodcast>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    rss: Option<String>,
    atom: Option<String>,
    json: Option<String>,
    tags: Option<String>,
    tag_feeds: Option<bool>,
}

impl Config {
    /// Reads and validates `path`; relative folders in it are taken from the config file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let mut config = Config::from_str(&text, path)?;
        // Absolute, because the watcher reports absolute paths and they must match the cache's.
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        let base = std::path::absolute(folder.unwrap_or(Path::new("."))).map_err(|error| {
            ConfigError::Read {
                path: path.to_path_buf(),
                error,
            }
        })?;
        config.source_dir = base.join(&config.source_dir);
        config.output_dir = base.join(&config.output_dir);
        config.lock_file = base.join(&config.lock_file);
        config.legacy_ledger = config.legacy_ledger.map(|p| base.join(p));
        config.state_dir = base.join(&config.state_dir);
        if let Some(tls) = &mut config.server.tls {
            tls.cert = base.join(&tls.cert);
            tls.key = base.join(&tls.key);
        }
        if let Some(deploy) = config.deploy.as_mut() {
            deploy.resolve(&base);
        }
        Ok(config)
    }

    /// Parses and validates config text; `path` is used only in messages.
    pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: e.message().trim().to_string(),
        })?;
        raw.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }
}

impl RawConfig {
    /// The config these keys describe, defaults filled in, or what is wrong with them (the first
    /// problem, in the order of the checks below).
    fn validate(self) -> Result<Config, String> {
        let base_url = parse_base_url(&self.base_url)?;
        let id_authority = validate_authority(&self.id_authority)?;
        let timezone = parse_timezone(self.timezone.as_deref())?;
        let max_entries = check_max_entries(self.max_entries)?;
        check_title(&self.title)?;
        let lock_file = lock_file_of(self.lock_file, self.id_ledger.as_deref());
        let paths = build_paths(self.paths)?;
        let server = build_server(self.server)?;
        let deploy = build_deploy(self.deploy, &server)?;
        let formats = check_formats(self.formats)?;
        let podcast = build_podcast(self.podcast, self.author.as_deref(), &formats)?;
        Ok(Config {
            icon: site_src("icon", self.icon)?,
            logo: site_src("logo", self.logo)?,
            post_path: check_post_path(self.post_path)?,
            formats,
            podcast,
            max_post_bytes: check_max_post_bytes(self.max_post_bytes)?,
            html: self.html.build(
                [&paths.rss, &paths.atom, &paths.json]
                    .map(String::as_str)
                    .into_iter(),
            )?,
            paths,
            archives: self.archives.validate()?,
            websub: self.websub.validate()?,
            server,
            deploy,
            title: self.title,
            description: self.description,
            base_url,
            id_authority,
            language: self.language,
            author: self.author,
            timezone,
            max_entries,
            source_dir: self
                .source_dir
                .unwrap_or_else(|| defaults::SOURCE_DIR.into()),
            output_dir: self
                .output_dir
                .unwrap_or_else(|| defaults::OUTPUT_DIR.into()),
            lock_file,
            legacy_ledger: self.id_ledger,
            state_dir: self
                .state_dir
                .or_else(systemd_state_directory)
                .unwrap_or_else(|| defaults::STATE_DIR.into()),
            follow_symlinks_outside: self
                .follow_symlinks_outside
                .unwrap_or(defaults::FOLLOW_SYMLINKS_OUTSIDE),
        })
    }
}

/// `[deploy]`, checked against `[server]`: a command works on the files of the output folder.
fn build_deploy(raw: Option<deploy::RawDeploy>, server: &Server) -> Result<Option<Deploy>, String> {
    let deploy = raw.map(deploy::RawDeploy::validate).transpose()?;
    if let Some(Deploy {
        target: DeployTarget::Command(_),
        ..
    }) = &deploy
        && !server.write_output
    {
        return Err(
            "`[deploy] command` runs on the documents in `output_dir`, which the \
             daemon writes only with `[server] write_output = true`; set it"
                .into(),
        );
    }
    Ok(deploy)
}

fn check_max_entries(raw: Option<usize>) -> Result<usize, String> {
    match raw.unwrap_or(defaults::MAX_ENTRIES) {
        0 => Err("`max_entries` must be at least 1".into()),
        max_entries => Ok(max_entries),
    }
}

fn check_title(title: &str) -> Result<(), String> {
    if title.trim().is_empty() {
        return Err("`title` is empty; give the feed a name".into());
    }
    Ok(())
}

/// `[podcast]`, checked against `formats`: a podcast is an RSS feed.
fn build_podcast(
    raw: Option<podcast::RawPodcast>,
    author: Option<&str>,
    formats: &[Format],
) -> Result<Option<Podcast>, String> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if !formats.contains(&Format::Rss) {
        return Err(
            "`[podcast]` is written into the RSS feed, which `formats` leaves out; add \"rss\" to `formats`"
                .into(),
        );
    }
    raw.validate(author).map(Some)
}

fn parse_timezone(name: Option<&str>) -> Result<Tz, String> {
    let name = name.unwrap_or(defaults::TIMEZONE);
    name.parse::<Tz>().map_err(|_| {
        format!(
            "`timezone = \"{name}\"` is not an IANA time zone name; write e.g. \"UTC\" or \"Europe/Berlin\""
        )
    })
}

fn check_post_path(raw: Option<String>) -> Result<String, String> {
    let post_path = raw.unwrap_or_else(|| defaults::POST_PATH.into());
    if !post_path.contains("{slug}") {
        return Err(format!(
            "`post_path = \"{post_path}\"` has no `{{slug}}`, so every post would share one link"
        ));
    }
    Ok(post_path)
}

/// The formats to build, each once, in [`Format::ALL`]'s order.
fn check_formats(raw: Option<Vec<Format>>) -> Result<Vec<Format>, String> {
    let mut formats = raw.unwrap_or_else(|| defaults::FORMATS.to_vec());
    formats.sort();
    formats.dedup();
    if formats.is_empty() {
        return Err("`formats` is empty; list at least one of \"rss\", \"atom\", \"json\"".into());
    }
    Ok(formats)
}

fn check_max_post_bytes(raw: Option<u64>) -> Result<u64, String> {
    let max_post_bytes = raw.unwrap_or(defaults::MAX_POST_BYTES);
    if max_post_bytes == 0 {
        return Err(format!(
            "`max_post_bytes` must be at least 1; the default is {} ({} MiB)",
            defaults::MAX_POST_BYTES,
            defaults::MAX_POST_BYTES >> 20
        ));
    }
    Ok(max_post_bytes)
}

/// The first folder of systemd's `StateDirectory=` (`$STATE_DIRECTORY`), the one place the
/// service may write. Read here, not by each user of `state_dir`, so the rule sits in one place.
fn systemd_state_directory() -> Option<PathBuf> {
    let dirs = std::env::var_os("STATE_DIRECTORY")?;
    let first = std::env::split_paths(&dirs).next()?;
    first.is_absolute().then_some(first)
}

impl Config {
    /// The source folder with the rules it is read by.
    pub fn source(&self) -> crate::source::Source {
        crate::source::Source::new(
            &self.source_dir,
            crate::source::Policy {
                follow_symlinks_outside: self.follow_symlinks_outside,
                max_post_bytes: self.max_post_bytes,
            },
        )
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

fn parse_base_url(raw: &str) -> Result<Url, String> {
    let hint = "write the absolute address the feeds are published under, e.g. base_url = \"https://example.org/\"";
    let mut url = Url::parse(raw)
        .map_err(|e| format!("`base_url = \"{raw}\"` is not a URL ({e}); {hint}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "`base_url = \"{raw}\"` must be an http or https address; {hint}"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "`base_url = \"{raw}\"` must not have a query or fragment; {hint}"
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Where the lock file is: as configured, else beside the config file, or beside the ledger of an
/// old config, in the folder feedd was already allowed to write.
fn lock_file_of(lock_file: Option<PathBuf>, id_ledger: Option<&Path>) -> PathBuf {
    lock_file.unwrap_or_else(|| match id_ledger {
        Some(old) => crate::atomic_file::parent(old).join(defaults::LOCK_FILE),
        None => defaults::LOCK_FILE.into(),
    })
}

/// `icon` or `logo`: a path in the source folder or an http(s) URL.
fn site_src(key: &str, raw: Option<String>) -> Result<Option<Src>, String> {
    raw.map(|raw| crate::media::read_site_src(key, &raw))
        .transpose()
}

/// RFC 4151 allows a DNS name or an e-mail address as the tagging authority.
fn validate_authority(raw: &str) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '@'))
        && !raw.starts_with(['.', '-', '@'])
        && raw.matches('@').count() <= 1;
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(format!(
            "`id_authority = \"{raw}\"` must be a domain name or e-mail address you control, e.g. \"example.org\"; \
             it is pinned into every entry id, so set it once and never change it"
        ))
    }
}

fn clean_path(key: &str, raw: &str) -> Result<String, String> {
    let trimmed = raw.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.split('/').any(|seg| seg == ".." || seg == ".") {
        return Err(format!(
            "`paths.{key} = \"{raw}\"` must be a relative path below base_url without `.` or `..`"
        ));
    }
    Ok(trimmed.to_string())
}

fn build_paths(raw: RawPaths) -> Result<Paths, String> {
    let rss = clean_path("rss", raw.rss.as_deref().unwrap_or(defaults::paths::RSS))?;
    let atom = clean_path("atom", raw.atom.as_deref().unwrap_or(defaults::paths::ATOM))?;
    let json = clean_path("json", raw.json.as_deref().unwrap_or(defaults::paths::JSON))?;
    if rss == atom || rss == json || atom == json {
        return Err("`paths.rss`, `paths.atom` and `paths.json` must differ".into());
    }
    let tags = if raw.tag_feeds.unwrap_or(defaults::paths::TAG_FEEDS) {
        let pattern = clean_path("tags", raw.tags.as_deref().unwrap_or(defaults::paths::TAGS))?;
        if !pattern.contains("{tag}") {
            return Err(format!(
                "`paths.tags = \"{pattern}\"` needs a `{{tag}}` placeholder"
            ));
        }
        Some(if pattern.ends_with('/') {
            pattern
        } else {
            format!("{pattern}/")
        })
    } else {
        None
    };
    Ok(Paths {
        rss,
        atom,
        json,
        tags,
    })
}

#[cfg(test)]
mod tests;
