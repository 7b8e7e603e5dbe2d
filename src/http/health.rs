//! `/healthz`: what the current snapshot says about the last build, for monitors and for a
//! person asking why a post is missing. Reads only the snapshot; routing and methods are
//! `service`'s.
//!
//! 200 when the last published build had no diagnostics, 503 otherwise, so a monitor can alert on
//! the status alone while the body lists each problem as `path:line: message`. Never cached.

use bytes::Bytes;
use chrono::SecondsFormat;
use hyper::StatusCode;

use crate::snapshot::Snapshot;

/// The status and JSON body describing `snapshot`.
pub fn report(snapshot: &Snapshot) -> (StatusCode, Bytes) {
    let healthy = snapshot.diagnostics().is_empty();
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "error" },
        "generation": snapshot.generation(),
        "built_at": snapshot.built_at().to_rfc3339_opts(SecondsFormat::Secs, true),
        "entries": snapshot.entry_count(),
        "documents": snapshot.documents().len(),
        "diagnostics": snapshot
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Bytes::from(format!("{body}\n")))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::snapshot::Contents;

    #[test]
    fn reports_counts_and_diagnostics() {
        let built_at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let diagnostics = vec![
            Diagnostic::at_line("feed-src/a.md", 3, "missing `title`"),
            Diagnostic::for_file("feed-src/b.txt", "empty file"),
        ];
        let contents = Contents {
            diagnostics,
            entry_count: 12,
            built_at,
            ..Contents::default()
        };
        let (status, body) = report(&Snapshot::from_build(contents.clone(), None));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "status": "error",
                "generation": 1,
                "built_at": "2024-05-01T12:00:00Z",
                "entries": 12,
                "documents": 0,
                "diagnostics": ["feed-src/a.md:3: missing `title`", "feed-src/b.txt: empty file"],
            })
        );
        let fixed = Contents {
            diagnostics: vec![],
            ..contents
        };
        let (status, body) = report(&Snapshot::from_build(fixed, None));
        assert_eq!(status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], "ok");
        assert_eq!(json["diagnostics"], serde_json::json!([]));
    }
}
