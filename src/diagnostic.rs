//! A problem with one source file, reported as `path:line: message`.
//!
//! A bad post never stops a build on its own: parsers return a [`Diagnostic`], the build collects
//! them beside the good output, and each driver (`--once`, `check`, the daemon) decides what they
//! mean for its exit code or health status.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in one file, with the line where there is one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based line number, when the problem has a place in the file.
    pub line: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(path: impl AsRef<Path>, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.as_ref().to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub fn at_line(path: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        Self::new(path, Some(line), message)
    }

    pub fn for_file(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self::new(path, None, message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_path_line_message() {
        let d = Diagnostic::at_line("feed-src/a.md", 3, "missing `title`");
        assert_eq!(d.to_string(), "feed-src/a.md:3: missing `title`");
        let d = Diagnostic::for_file("feed-src/b.txt", "empty file");
        assert_eq!(d.to_string(), "feed-src/b.txt: empty file");
    }
}
