//! The hub endpoint's answer to a subscription request (WebSub §5.1–§5.2): 202 Accepted when
//! the request is well formed, its topic is one of feedd's feeds, its callback may be called
//! and no limit is reached, after which the intent is verified in the background; otherwise a
//! 4xx (or 503 when too many verifications are under way in all) whose plain-text body says why.
//!
//! Reading the request off the socket (method, size, deadline) is `http`'s; this starts from
//! the body's bytes.

use std::sync::Arc;

use hyper::StatusCode;
use percent_encoding::percent_decode_str;
use url::Url;

use super::Shared;
use super::pending::Busy;
use super::request::{self, Mode};
use super::store::Limits;
use super::verify::{self, Intent, Verdict};
use crate::format::DocumentKind;
use crate::snapshot::Snapshot;
use crate::websub::topic::topic_url;

/// The status and plain-text reason the endpoint answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub text: String,
}

impl Answer {
    fn new(status: StatusCode, text: impl Into<String>) -> Answer {
        let mut text = text.into();
        text.push('\n');
        Answer { status, text }
    }
}

/// Answers one request whose body is `body`, sent with `content_type`, against the feeds of
/// `snapshot`.
pub async fn receive(
    shared: &Arc<Shared>,
    snapshot: &Snapshot,
    content_type: Option<&str>,
    body: &[u8],
) -> Answer {
    if !content_type.is_some_and(request::is_form) {
        return Answer::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send the request as {}", request::FORM),
        );
    }
    let intent = match intent(shared, snapshot, body) {
        Ok(intent) => intent,
        Err(answer) => return answer,
    };
    if let Err(refused) = shared.policy.check_url(&intent.callback).await {
        return Answer::new(StatusCode::BAD_REQUEST, refused.to_string());
    }
    if intent.mode == Mode::Subscribe {
        let limits = shared.limits();
        let checked = shared
            .store
            .read(|subs| subs.check_limits(&intent.topic, &intent.callback, limits));
        if let Err(limit) = checked {
            return Answer::new(StatusCode::TOO_MANY_REQUESTS, limit.to_string());
        }
    }
    let host = intent.callback.host_str().unwrap_or_default();
    let permit = match shared.verifications.take(host) {
        Ok(permit) => permit,
        Err(busy @ Busy::All) => {
            return Answer::new(StatusCode::SERVICE_UNAVAILABLE, busy.to_string());
        }
        Err(busy @ Busy::Host { .. }) => {
            return Answer::new(StatusCode::TOO_MANY_REQUESTS, busy.to_string());
        }
    };
    let task = Arc::clone(shared);
    tokio::spawn(async move {
        let verdict = verify::verify(&task.client, &intent).await;
        drop(permit);
        settle(&task, intent, verdict);
    });
    Answer::new(
        StatusCode::ACCEPTED,
        "accepted; the callback will be asked to confirm",
    )
}

/// The request in `body` as an intent to verify, or the 4xx that refuses it.
fn intent(shared: &Shared, snapshot: &Snapshot, body: &[u8]) -> Result<Intent, Answer> {
    let parsed = request::parse(body)
        .map_err(|error| Answer::new(StatusCode::BAD_REQUEST, error.to_string()))?;
    let subscribed = |topic: &str| shared.store.read(|subs| subs.has_topic(topic));
    let topic = match parsed.mode {
        Mode::Subscribe => own_topic(snapshot, &shared.base_url, &parsed.topic),
        // A feed that is gone (a tag no post has any more) can still be left.
        Mode::Unsubscribe => own_topic(snapshot, &shared.base_url, &parsed.topic)
            .or_else(|| subscribed_topic(&parsed.topic, subscribed)),
    };
    let topic = topic.ok_or_else(|| {
        Answer::new(
            StatusCode::NOT_FOUND,
            format!(
                "hub.topic `{}` is not one of this site's feeds; this hub serves only \
                     the feeds below {}",
                parsed.topic, shared.base_url
            ),
        )
    })?;
    Ok(Intent {
        mode: parsed.mode,
        topic,
        topic_as_sent: parsed.topic,
        callback: parsed.callback,
        lease_seconds: request::granted_lease(parsed.lease_seconds, &shared.settings),
        secret: parsed.secret,
    })
}

/// `raw`'s canonical URL when it names a feed document of `snapshot` (pages and unknown paths
/// are not topics).
pub fn own_topic(snapshot: &Snapshot, base_url: &Url, raw: &str) -> Option<String> {
    let parsed = Url::parse(raw).ok()?;
    let relative = parsed.as_str().strip_prefix(base_url.as_str())?;
    let path = percent_decode_str(relative).decode_utf8().ok()?;
    let document = snapshot.get(&path)?;
    if !matches!(document.kind(), DocumentKind::Feed(_)) {
        return None;
    }
    let canonical = topic_url(base_url, document.path())?;
    (canonical == parsed).then(|| canonical.to_string())
}

/// `raw`'s canonical URL when some callback is subscribed to it.
fn subscribed_topic(raw: &str, subscribed: impl Fn(&str) -> bool) -> Option<String> {
    let canonical = Url::parse(raw).ok()?.to_string();
    subscribed(&canonical).then_some(canonical)
}

/// Applies a verified intent; a refused one changes nothing.
fn settle(shared: &Arc<Shared>, intent: Intent, verdict: Verdict) {
    let Intent {
        mode,
        topic,
        callback,
        ..
    } = &intent;
    if let Verdict::Refused(reason) = verdict {
        tracing::info!(
            "websub hub: {callback} did not confirm {} of {topic}: {reason}",
            mode.as_str()
        );
        return;
    }
    match mode {
        Mode::Subscribe => subscribe(shared, intent),
        Mode::Unsubscribe => {
            let removed = shared.store.update(|subs| {
                let removed = subs.remove(topic, callback.as_str());
                (removed, removed)
            });
            tracing::info!(
                "websub hub: unsubscribed {callback} from {topic}{}",
                if removed {
                    ""
                } else {
                    " (it was not subscribed)"
                }
            );
        }
    }
}

fn subscribe(shared: &Arc<Shared>, intent: Intent) {
    let limits: Limits = shared.limits();
    let lease = intent.lease_seconds;
    let subscription = super::store::Subscription {
        topic: intent.topic.clone(),
        callback: intent.callback.to_string(),
        secret: intent.secret,
        expires_at: super::store::now().saturating_add(lease),
    };
    // The limits again: other subscriptions may have been verified meanwhile.
    let made = shared.store.update(|subs| {
        match subs.check_limits(&intent.topic, &intent.callback, limits) {
            Ok(()) => {
                subs.insert(subscription);
                (Ok(()), true)
            }
            Err(limit) => (Err(limit), false),
        }
    });
    match made {
        Ok(()) => tracing::info!(
            "websub hub: subscribed {} to {} for {lease} s",
            intent.callback,
            intent.topic
        ),
        Err(limit) => tracing::info!(
            "websub hub: {} confirmed a subscription to {}, but {limit}",
            intent.callback,
            intent.topic
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etag::ETag;
    use crate::format::Format;
    use crate::render::{Document, Lifetime};
    use crate::snapshot::Contents;
    use bytes::Bytes;

    fn document(path: &str, kind: DocumentKind) -> Document {
        Document {
            path: path.into(),
            kind,
            body: Bytes::from_static(b"x"),
            etag: ETag::of(b"x"),
            last_modified: chrono::DateTime::UNIX_EPOCH,
            lifetime: Lifetime::Current,
        }
    }

    #[test]
    fn topics_are_this_sites_feeds_by_their_canonical_url() {
        let contents = Contents {
            documents: vec![
                document("atom.xml", DocumentKind::Feed(Format::Atom)),
                document("tags/rust lang/rss.xml", DocumentKind::Feed(Format::Rss)),
                document("index.html", DocumentKind::Page),
            ],
            ..Contents::default()
        };
        let snapshot = Snapshot::from_build(contents, None);
        let base = Url::parse("https://example.org/blog/").unwrap();
        let own = |raw: &str| own_topic(&snapshot, &base, raw);
        assert_eq!(
            own("https://example.org/blog/atom.xml").as_deref(),
            Some("https://example.org/blog/atom.xml")
        );
        assert_eq!(
            own("HTTPS://EXAMPLE.org/blog/atom.xml").as_deref(),
            Some("https://example.org/blog/atom.xml"),
            "compared as URLs, not as text"
        );
        assert_eq!(
            own("https://example.org/blog/tags/rust%20lang/rss.xml").as_deref(),
            Some("https://example.org/blog/tags/rust%20lang/rss.xml")
        );
        for foreign in [
            "https://example.org/atom.xml",
            "https://example.org/blog/index.html",
            "https://example.org/blog/missing.xml",
            "https://example.org/blog/atom.xml?x=1",
            "http://example.org/blog/atom.xml",
            "https://evil.example/blog/atom.xml",
            "atom.xml",
        ] {
            assert_eq!(own(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn a_topic_that_is_gone_is_known_while_someone_is_subscribed() {
        let subscribed = |topic: &str| topic == "https://example.org/tags/old/atom.xml";
        assert_eq!(
            subscribed_topic("HTTPS://example.org/tags/old/atom.xml", subscribed).as_deref(),
            Some("https://example.org/tags/old/atom.xml")
        );
        assert_eq!(
            subscribed_topic("https://example.org/other.xml", subscribed),
            None
        );
    }
}
