//! `/metrics` on the HTTP server: the endpoint, and how each request is classified for the
//! counters (`crate::metrics` keeps them).
//!
//! Served only with `[server] metrics = true`, and then only to loopback clients: the counts
//! name the user agents of the site's subscribers and how often they come, which is the
//! operator's business, and the listener usually faces the internet. A scraper on another host
//! reaches it through a tunnel or a proxy on this one (which must not pass `/metrics` on from
//! outside). To anyone else the address does not exist (404).
//!
//! Labels stay bounded whatever clients ask for: a request for one of the snapshot's documents
//! or media files is counted under its path, `/healthz` and `/metrics` under theirs, and anything
//! else under `other`.

use std::borrow::Cow;
use std::net::IpAddr;

use bytes::Bytes;
use hyper::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, USER_AGENT,
};
use hyper::{Method, Request, Response, StatusCode};

use super::body::Payload;
use super::service::{HEALTH_PATH, lookup, lookup_media};
use crate::deploy::DeployStatus;
use crate::feed::polling;
use crate::metrics::{self, DeliveryFacts, SiteFacts};
use crate::snapshot::Snapshot;
use crate::websub::PublishStatus;

/// Where Prometheus scrapes.
pub const METRICS_PATH: &str = "/metrics";

/// The `/metrics` response for `peer`, or `None` when `request` is not one it may have.
pub(super) fn endpoint(
    snapshot: &Snapshot,
    (hubs, deploy): (&PublishStatus, &DeployStatus),
    request: &Request<()>,
    peer: IpAddr,
) -> Option<Response<Bytes>> {
    let read = request.method() == Method::GET || request.method() == Method::HEAD;
    if request.uri().path() != METRICS_PATH || !read || !peer.to_canonical().is_loopback() {
        return None;
    }
    let facts = SiteFacts {
        posts: snapshot.entry_count(),
        problems: snapshot.diagnostics().len(),
        documents: snapshot.documents().len(),
        generation: snapshot.generation(),
        hubs: hub_facts(hubs),
        deploy: deploy_facts(deploy),
    };
    let body = Bytes::from(metrics::global().render(facts));
    let length = HeaderValue::from(body.len());
    let body = if request.method() == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, length);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(polling::NO_STORE));
    Some(response)
}

/// What `/healthz` says of each outside hub, as numbers.
fn hub_facts(hubs: &PublishStatus) -> Vec<DeliveryFacts> {
    hubs.hubs()
        .into_iter()
        .map(|(hub, state)| {
            let failure = state.last_error.map(|(_, at)| at);
            DeliveryFacts::new(hub.to_string(), state.pending, state.last_success, failure)
        })
        .collect()
}

/// What `/healthz` says of the deploy target, as numbers; `None` without one.
fn deploy_facts(deploy: &DeployStatus) -> Option<DeliveryFacts> {
    let state = deploy.state();
    let failure = state.last_error.map(|(_, at)| at);
    let target = state.target?;
    Some(DeliveryFacts::new(
        target,
        state.pending,
        state.last_success,
        failure,
    ))
}

/// Counts `response`, the answer to `request`.
pub(super) fn record(snapshot: &Snapshot, request: &Request<()>, response: &Response<Payload>) {
    let path = request.uri().path();
    let document = match path {
        HEALTH_PATH | METRICS_PATH => None,
        _ => lookup(snapshot, path),
    };
    // A media file is counted under its path too: the snapshot bounds those as well.
    let media = (document.is_none() && path != HEALTH_PATH && path != METRICS_PATH)
        .then(|| lookup_media(snapshot, path))
        .flatten();
    let label = match (path, document, media) {
        (HEALTH_PATH, _, _) => Cow::Borrowed(HEALTH_PATH),
        (METRICS_PATH, _, _) => Cow::Borrowed(METRICS_PATH),
        (_, Some(document), _) => Cow::Owned(format!("/{}", document.path())),
        (_, None, Some(media)) => Cow::Owned(format!("/{}", media.path())),
        (_, None, None) => Cow::Borrowed("other"),
    };
    let status = response.status();
    let encoding = (document.is_some() && status == StatusCode::OK).then(|| {
        match response
            .headers()
            .get(CONTENT_ENCODING)
            .map(HeaderValue::as_bytes)
        {
            Some(b"gzip") => "gzip",
            Some(b"br") => "br",
            Some(_) => "other",
            None => "identity",
        }
    });
    let read = request.method() == Method::GET || request.method() == Method::HEAD;
    let headers = request.headers();
    let polling = (document.is_some() && read).then(|| {
        let validated =
            headers.contains_key(IF_NONE_MATCH) || headers.contains_key(IF_MODIFIED_SINCE);
        let agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
        (validated, agent.unwrap_or(""))
    });
    metrics::global().request(metrics::Request {
        document: label,
        status: status_class(status),
        bytes: response.body().len(),
        encoding,
        polling,
    });
}

/// Counts a response of the built-in WebSub hub's endpoint, under the hub's path (subscription
/// requests are neither reads of a document nor validated, so only status and bytes count).
pub(super) fn record_hub(hub_path: &str, response: &Response<Bytes>) {
    metrics::global().request(metrics::Request {
        document: Cow::Owned(hub_path.to_owned()),
        status: status_class(response.status()),
        bytes: u64::try_from(response.body().len()).unwrap_or(u64::MAX),
        encoding: None,
        polling: None,
    });
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200 => "200",
        304 => "304",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Contents;

    fn get(method: Method) -> Request<()> {
        Request::builder()
            .method(method)
            .uri(METRICS_PATH)
            .body(())
            .unwrap()
    }

    #[test]
    fn only_loopback_clients_get_metrics() {
        let snapshot = Snapshot::from_build(Contents::default(), None);
        for peer in ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"] {
            let response = endpoint(
                &snapshot,
                (&PublishStatus::default(), &DeployStatus::default()),
                &get(Method::GET),
                peer.parse().unwrap(),
            );
            assert!(response.is_some(), "{peer}");
        }
        for peer in ["192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"] {
            let response = endpoint(
                &snapshot,
                (&PublishStatus::default(), &DeployStatus::default()),
                &get(Method::GET),
                peer.parse().unwrap(),
            );
            assert!(response.is_none(), "{peer}");
        }
        let post = endpoint(
            &snapshot,
            (&PublishStatus::default(), &DeployStatus::default()),
            &get(Method::POST),
            "127.0.0.1".parse().unwrap(),
        );
        assert!(post.is_none());
    }

    #[test]
    fn head_has_the_length_of_get_and_no_body() {
        let snapshot = Snapshot::from_build(Contents::default(), None);
        let loopback = "127.0.0.1".parse().unwrap();
        let head = endpoint(
            &snapshot,
            (&PublishStatus::default(), &DeployStatus::default()),
            &get(Method::HEAD),
            loopback,
        )
        .unwrap();
        assert!(head.body().is_empty());
        assert!(head.headers()[CONTENT_LENGTH].to_str().unwrap() != "0");
    }

    #[test]
    fn a_hub_is_failing_while_its_last_attempt_failed() {
        use chrono::TimeZone;
        let at = |s| chrono::Utc.timestamp_opt(s, 0).unwrap();
        let status = PublishStatus::default();
        let (a, b): (url::Url, url::Url) = (
            "https://hub.example/".parse().unwrap(),
            "https://other.example/".parse().unwrap(),
        );
        status.set_hubs(&[a.clone(), b.clone()]);
        status.succeeded(&a, at(100));
        status.failed(&a, "503".into(), at(50));
        status.failed(&b, "refused".into(), at(60));
        status.set_pending(&b, 3);
        let facts = hub_facts(&status);
        let summary: Vec<_> = facts
            .iter()
            .map(|f| (f.to.as_str(), f.pending, f.last_success, f.failing))
            .collect();
        assert_eq!(
            summary,
            [
                ("https://hub.example/", 0, Some(100), false),
                ("https://other.example/", 3, None, true),
            ]
        );
        let text = crate::metrics::global().render(SiteFacts {
            hubs: facts,
            ..SiteFacts::default()
        });
        assert!(
            text.contains("feedd_websub_hub_failing{hub=\"https://other.example/\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn the_deploy_target_is_shown_only_when_there_is_one() {
        use chrono::TimeZone;
        let deploy = DeployStatus::default();
        assert!(deploy_facts(&deploy).is_none());
        deploy.set_target(Some("s3://feeds/site/".into()));
        deploy.succeeded(chrono::Utc.timestamp_opt(100, 0).unwrap());
        deploy.failed("503".into(), chrono::Utc.timestamp_opt(150, 0).unwrap());
        deploy.set_pending(4);
        let facts = deploy_facts(&deploy).unwrap();
        assert_eq!(
            (
                facts.to.as_str(),
                facts.pending,
                facts.last_success,
                facts.failing
            ),
            ("s3://feeds/site/", 4, Some(100), true)
        );
        let text = crate::metrics::global().render(SiteFacts {
            deploy: Some(facts),
            ..SiteFacts::default()
        });
        for line in [
            "feedd_deploy_pending_objects{target=\"s3://feeds/site/\"} 4",
            "feedd_deploy_last_success_timestamp_seconds{target=\"s3://feeds/site/\"} 100",
            "feedd_deploy_failing{target=\"s3://feeds/site/\"} 1",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }

    #[test]
    fn status_classes_are_few() {
        let classes: Vec<_> = [200, 304, 404, 429, 503, 301]
            .map(|code| status_class(StatusCode::from_u16(code).unwrap()))
            .into();
        assert_eq!(classes, ["200", "304", "4xx", "4xx", "5xx", "other"]);
    }
}
