//! What the daemon could not write, by place: the documents are served, but the disk is behind.
//! The log says each failure when it appears and says when every write works again; the status
//! line and `/healthz` show the failures in between.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;

/// The places the daemon writes besides its media copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Lock,
    OutputFolder,
    ChangeTimes,
}

#[derive(Debug, Default)]
pub struct DiskProblems {
    by_place: BTreeMap<Place, Diagnostic>,
    /// `by_place`'s problems in order, for callers that want a slice.
    list: Vec<Diagnostic>,
}

impl DiskProblems {
    /// Records how the last write to `place` went; returns whether the problems changed.
    pub fn set(&mut self, place: Place, problem: Option<Diagnostic>) -> bool {
        let changed = match problem {
            Some(problem) => {
                if self.by_place.get(&place) == Some(&problem) {
                    return false;
                }
                tracing::error!("{problem}; the served documents are unaffected");
                self.by_place.insert(place, problem);
                true
            }
            None => self.by_place.remove(&place).is_some(),
        };
        if changed {
            self.list = self.by_place.values().cloned().collect();
            if self.list.is_empty() {
                tracing::info!("writing to disk works again");
            }
        }
        changed
    }

    pub fn list(&self) -> &[Diagnostic] {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Option<Diagnostic> {
        Some(Diagnostic::for_file("/state/file", text))
    }

    #[test]
    fn a_problem_counts_as_a_change_once_and_its_fix_too() {
        let mut problems = DiskProblems::default();
        assert!(problems.set(Place::Lock, problem("full")));
        assert!(!problems.set(Place::Lock, problem("full")), "already known");
        assert!(problems.set(Place::ChangeTimes, problem("full")));
        assert_eq!(problems.list().len(), 2);
        assert!(
            problems.set(Place::Lock, problem("read-only")),
            "a new reason"
        );
        assert!(problems.set(Place::Lock, None));
        assert!(!problems.set(Place::Lock, None), "nothing to fix");
        assert_eq!(problems.list(), [problem("full").unwrap()]);
    }
}
