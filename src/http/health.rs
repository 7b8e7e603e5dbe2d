//! `/healthz`: what the current snapshot says about the last build, for monitors and for a
//! person asking why a post is missing, (with WebSub hubs) what each hub last answered, and
//! (with `[deploy]`) what the last deploy did.
//! Reads only the snapshot and the notifier's status; routing and methods are `service`'s.
//!
//! 200 when the last published build had no diagnostics, 503 otherwise, so a monitor can alert on
//! the status alone while the body lists each problem as `path:line: message`. A hub that cannot
//! be reached is shown under `websub` but never makes it a 503: the feeds are fine, and readers
//! still poll them. Never cached.

use bytes::Bytes;
use chrono::SecondsFormat;
use hyper::StatusCode;

use crate::deploy::DeployStatus;
use crate::snapshot::Snapshot;
use crate::websub::PublishStatus;

/// The status and JSON body describing `snapshot`.
pub fn report(
    snapshot: &Snapshot,
    hubs: &PublishStatus,
    deploy: &DeployStatus,
) -> (StatusCode, Bytes) {
    let healthy = snapshot.diagnostics().is_empty();
    let mut body = serde_json::json!({
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
    if let (Some(websub), Some(object)) = (hubs.report(), body.as_object_mut()) {
        object.insert("websub".to_owned(), websub);
    }
    if let (Some(deployed), Some(object)) = (deploy.report(), body.as_object_mut()) {
        object.insert("deploy".to_owned(), deployed);
    }
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
        let (status, body) = report(
            &Snapshot::from_build(contents.clone(), None),
            &PublishStatus::default(),
            &DeployStatus::default(),
        );
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
        let (status, body) = report(
            &Snapshot::from_build(fixed, None),
            &PublishStatus::default(),
            &DeployStatus::default(),
        );
        assert_eq!(status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], "ok");
        assert_eq!(json["diagnostics"], serde_json::json!([]));
        assert_eq!(json.get("websub"), None, "no hub, no websub member");
    }

    #[test]
    fn a_hub_that_fails_is_reported_without_making_the_site_unhealthy() {
        let hubs = PublishStatus::default();
        let hub = url::Url::parse("https://hub.example/").unwrap();
        hubs.set_hubs(std::slice::from_ref(&hub));
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        hubs.failed(&hub, "the hub answered 500".into(), at);
        let (status, body) = report(
            &Snapshot::from_build(Contents::default(), None),
            &hubs,
            &DeployStatus::default(),
        );
        assert_eq!(status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["status"], "ok");
        let reported = &json["websub"]["hubs"][0];
        assert_eq!(reported["url"], "https://hub.example/");
        assert_eq!(reported["last_error"]["message"], "the hub answered 500");
        assert_eq!(reported["last_success"], serde_json::Value::Null);
    }

    #[test]
    fn a_failed_deploy_is_reported_without_making_the_site_unhealthy() {
        let deploy = DeployStatus::default();
        deploy.set_target(Some("s3://feeds/".into()));
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        deploy.failed("connection refused".into(), at);
        let snapshot = Snapshot::from_build(Contents::default(), None);
        let (status, body) = report(&snapshot, &PublishStatus::default(), &deploy);
        assert_eq!(status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["deploy"]["target"], "s3://feeds/");
        assert_eq!(
            json["deploy"]["last_error"]["message"],
            "connection refused"
        );
    }
}
