//! Findings as text for people (`path:line: severity CODE: message`, the fix below) or as a
//! JSON array for tools (`--format json`: code, severity, message, file, line, fix, document).

use std::io::{self, Write};

use super::{Finding, Severity};

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

pub fn write(findings: &[Finding], format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, findings)?;
            writeln!(out)
        }
        Format::Text => {
            for finding in findings {
                writeln!(out, "{}", text(finding))?;
            }
            Ok(())
        }
    }
}

/// One finding as two lines: where, what, and in which document; then the fix.
pub fn text(f: &Finding) -> String {
    let place = match f.line {
        Some(line) => format!("{}:{line}", f.file),
        None => f.file.clone(),
    };
    let document = if f.document.is_empty() || f.document == f.file {
        String::new()
    } else {
        format!(" (in {})", f.document)
    };
    format!(
        "{place}: {} {}: {}{document}\n    fix: {}",
        f.severity.name(),
        f.code.as_str(),
        f.message,
        f.fix
    )
}

/// `2 errors, 1 warning, 0 infos`.
pub fn summary(findings: &[Finding]) -> String {
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    [Severity::Error, Severity::Warning, Severity::Info]
        .map(|s| crate::wording::count(count(s), s.name()))
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Code;

    #[test]
    fn text_and_json() {
        let mut f = Finding::new(
            Code::Script,
            "atom.xml",
            Some(7),
            "content has a <script> element".into(),
        );
        f.file = "feed-src/a.md".into();
        assert_eq!(
            text(&f),
            "feed-src/a.md:7: warning FD050: content has a <script> element (in atom.xml)\n    \
             fix: remove the script; link to a page that runs it instead"
        );
        let mut json = Vec::new();
        write(&[f], Format::Json, &mut json).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value[0]["code"], "FD050");
        assert_eq!(value[0]["severity"], "warning");
        assert_eq!(value[0]["line"], 7);
        assert_eq!(value[0]["document"], "atom.xml");
        assert_eq!(summary(&[]), "0 errors, 0 warnings, 0 infos");
    }
}
