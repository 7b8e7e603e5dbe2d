//! What `feedd lint` is given besides the site: feed files and `-` for standard input.
//!
//! http(s) URLs are refused with a way around it (`curl -sf URL | feedd lint -`): fetching needs
//! an HTTP client with TLS, which feedd does not otherwise carry.

use std::io::Read;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{Context, Finding, lint_document};

/// One document to lint, as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// An input that cannot be read (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}: cannot read: {1}")]
    Read(String, std::io::Error),
    #[error(
        "{0}: fetching URLs is not built in; run `curl -sfL '{0}' | feedd lint -` (or save it and lint the file)"
    )]
    Url(String),
}

impl Input {
    /// `-` is standard input; an http(s) URL is refused; anything else is a file.
    pub fn parse(arg: &str) -> Result<Input, InputError> {
        let lower = arg.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Err(InputError::Url(arg.to_string()))
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
        }
    }

    pub fn read(&self) -> Result<Vec<u8>, InputError> {
        let mut bytes = Vec::new();
        let result = match self {
            Input::Stdin => std::io::stdin().lock().read_to_end(&mut bytes).map(drop),
            Input::File(path) => std::fs::read(path).map(|read| bytes = read),
        };
        result.map_err(|e| InputError::Read(self.name(), e))?;
        Ok(bytes)
    }
}

/// Every finding in each input, in the order given; the first input that cannot be read stops.
pub fn lint_all(inputs: &[Input], now: DateTime<Utc>) -> Result<Vec<Finding>, InputError> {
    let mut findings = Vec::new();
    for input in inputs {
        let bytes = input.read()?;
        let name = input.name();
        let cx = Context {
            document: &name,
            address: None,
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
        let err = Input::parse("HTTPS://x.org/feed").unwrap_err().to_string();
        assert!(err.contains("| feedd lint -"), "{err}");
    }
}
