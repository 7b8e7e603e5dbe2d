//! Which problems were already logged, so that each is logged once when it appears and once
//! when it is resolved ("fixed: path"), not again on every rebuild while it lasts.
//!
//! The problems themselves come from each build (`Build::diagnostics`); `/healthz` reads them
//! from the snapshot. This module only keeps the log quiet.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

#[derive(Debug, Default)]
pub struct Reported {
    known: BTreeSet<Diagnostic>,
}

/// What changed between two builds' problems.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub appeared: Vec<Diagnostic>,
    /// Files and folders that had problems and have none now.
    pub fixed: Vec<PathBuf>,
}

impl Reported {
    /// Logs the problems in `current` that were not logged yet, and the paths whose problems
    /// are all gone.
    pub fn log(&mut self, current: &[Diagnostic]) {
        let changes = self.update(current);
        for diagnostic in &changes.appeared {
            tracing::warn!("{diagnostic}");
        }
        for path in &changes.fixed {
            tracing::info!("fixed: {}", path.display());
        }
    }

    fn update(&mut self, current: &[Diagnostic]) -> Changes {
        let current: BTreeSet<Diagnostic> = current.iter().cloned().collect();
        let appeared = current.difference(&self.known).cloned().collect();
        let troubled: BTreeSet<&PathBuf> = current.iter().map(|d| &d.path).collect();
        let fixed: BTreeSet<PathBuf> = self
            .known
            .iter()
            .map(|d| &d.path)
            .filter(|path| !troubled.contains(path))
            .cloned()
            .collect();
        self.known = current;
        Changes {
            appeared,
            fixed: fixed.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_is_reported_when_it_appears_and_when_its_file_is_fixed() {
        let mut reported = Reported::default();
        let a = Diagnostic::at_line("src/a.md", 1, "missing `title`");
        let b = Diagnostic::for_file("src/b.md", "cannot read");
        let first = reported.update(&[a.clone(), b.clone()]);
        assert_eq!(first.appeared, [a.clone(), b.clone()]);
        assert_eq!(reported.update(&[a.clone(), b.clone()]), Changes::default());
        let moved = Diagnostic::at_line("src/a.md", 2, "missing `title`");
        let next = reported.update(std::slice::from_ref(&moved));
        assert_eq!(next.appeared, [moved]);
        assert_eq!(
            next.fixed,
            [PathBuf::from("src/b.md")],
            "a.md still has one"
        );
        assert_eq!(reported.update(&[]).fixed, [PathBuf::from("src/a.md")]);
    }
}
