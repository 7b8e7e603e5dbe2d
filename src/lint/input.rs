//! What `feedd lint` is given besides the site: feed files, `-` for standard input, and http(s)
//! URLs, fetched with ureq (rustls, the webpki roots) as a reader would: redirects followed,
//! within a time limit, and a document's self link is expected to be the URL asked for.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::{Context, Finding, lint_document};

/// One document to lint, as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
    Url(Url),
}

/// How long a fetch may take, in all, as a reader's patience.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// The most a fetch reads: past the size the linter calls an error (so that still shows), and
/// short of what would exhaust memory.
const FETCH_LIMIT: u64 = 64 * 1024 * 1024;

/// An input that cannot be read (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}: cannot read: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: cannot fetch: {1}")]
    Fetch(String, String),
}

impl Input {
    /// `-` is standard input; an http(s) URL is fetched; anything else is a file.
    pub fn parse(arg: &str) -> Result<Input, InputError> {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Url::parse(arg)
                .map(Input::Url)
                .map_err(|e| InputError::Fetch(arg.to_string(), e.to_string()))
        } else if arg == "-" {
            Ok(Input::Stdin)
        } else {
            Ok(Input::File(PathBuf::from(arg)))
        }
    }

    /// The name findings carry as their document and file.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(path) => path.display().to_string(),
            Input::Url(url) => url.to_string(),
        }
    }

    /// Where the document is published, when that is known: the URL it was fetched from.
    pub fn address(&self) -> Option<&Url> {
        match self {
            Input::Url(url) => Some(url),
            Input::Stdin | Input::File(_) => None,
        }
    }

    pub fn read(&self) -> Result<Vec<u8>, InputError> {
        let mut bytes = Vec::new();
        let result = match self {
            Input::Stdin => std::io::stdin().lock().read_to_end(&mut bytes).map(drop),
            Input::File(path) => std::fs::read(path).map(|read| bytes = read),
            Input::Url(url) => return fetch(url),
        };
        result.map_err(|e| InputError::Read(self.name(), e))?;
        Ok(bytes)
    }
}

/// The body of `url`, as a feed reader would get it.
fn fetch(url: &Url) -> Result<Vec<u8>, InputError> {
    let failed = |e: ureq::Error| InputError::Fetch(url.to_string(), e.to_string());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(FETCH_TIMEOUT))
        .user_agent(concat!("feedd-lint/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent.get(url.as_str()).call().map_err(failed)?;
    response
        .body_mut()
        .with_config()
        .limit(FETCH_LIMIT)
        .read_to_vec()
        .map_err(failed)
}

/// Every finding in each input, in the order given; the first input that cannot be read stops.
pub fn lint_all(inputs: &[Input], now: DateTime<Utc>) -> Result<Vec<Finding>, InputError> {
    let mut findings = Vec::new();
    for input in inputs {
        let bytes = input.read()?;
        let name = input.name();
        let cx = Context {
            document: &name,
            address: input.address(),
            base_url: None,
            now,
        };
        findings.extend(lint_document(&bytes, &cx));
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_from_arguments() {
        assert_eq!(Input::parse("-").unwrap(), Input::Stdin);
        assert_eq!(
            Input::parse("a/rss.xml").unwrap(),
            Input::File("a/rss.xml".into())
        );
        let url = Input::parse("HTTPS://X.org/feed").unwrap();
        assert_eq!(url.address().map(Url::as_str), Some("https://x.org/feed"));
        assert!(Input::parse("http://[::1").is_err());
    }
}
