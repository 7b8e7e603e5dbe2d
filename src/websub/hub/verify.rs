//! Verification of intent (WebSub §5.3): before a subscription is made or ended, the hub asks
//! the callback whether it really wants it, with a GET carrying `hub.mode`, `hub.topic`, a
//! random `hub.challenge` and, when subscribing, the granted `hub.lease_seconds`. Only a 2xx
//! answer whose body is exactly the challenge confirms; anything else (another status, another
//! body, a timeout, a refused address) leaves things as they were.

use bytes::Bytes;
use url::Url;

use super::client::{Client, Reply};
use super::request::Mode;

/// What a subscriber asked for, once the hub accepted to check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub mode: Mode,
    /// The topic's canonical URL, which the subscription is stored under.
    pub topic: String,
    /// `hub.topic` exactly as the subscriber sent it, which the verification names back
    /// (WebSub §5.3: "the topic URL given in the corresponding subscription request").
    pub topic_as_sent: String,
    pub callback: Url,
    /// The lease granted (subscribe only).
    pub lease_seconds: u64,
    pub secret: Option<String>,
}

/// The callback's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Confirmed,
    Refused(String),
}

/// Asks `intent.callback` to confirm `intent`.
pub async fn verify(client: &Client, intent: &Intent) -> Verdict {
    let challenge = match challenge() {
        Ok(challenge) => challenge,
        Err(error) => return Verdict::Refused(format!("no random challenge: {error}")),
    };
    let url = verification_url(intent, &challenge);
    let request = Client::request(&url, hyper::Method::GET, Bytes::new());
    // One byte more than the challenge, to tell a longer body from the challenge itself.
    match client.send(&url, request, challenge.len() + 1).await {
        Ok(reply) => judge(&reply, &challenge),
        Err(error) => Verdict::Refused(error.to_string()),
    }
}

/// The callback with the verification parameters appended to any query it already has.
pub fn verification_url(intent: &Intent, challenge: &str) -> Url {
    let mut url = intent.callback.clone();
    url.set_fragment(None);
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("hub.mode", intent.mode.as_str())
            .append_pair("hub.topic", &intent.topic_as_sent)
            .append_pair("hub.challenge", challenge);
        if intent.mode == Mode::Subscribe {
            query.append_pair("hub.lease_seconds", &intent.lease_seconds.to_string());
        }
    }
    url
}

fn judge(reply: &Reply, challenge: &str) -> Verdict {
    let echoed = reply.body.as_deref() == Some(challenge.as_bytes());
    match (reply.status.is_success(), echoed) {
        (true, true) => Verdict::Confirmed,
        (true, false) => Verdict::Refused(format!(
            "answered {} without echoing hub.challenge",
            reply.status
        )),
        (false, _) => Verdict::Refused(format!("answered {}", reply.status)),
    }
}

/// 160 random bits, in hex: unguessable, and safe in any query string.
fn challenge() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::StatusCode;

    fn intent(mode: Mode) -> Intent {
        Intent {
            mode,
            topic: "https://example.org/atom.xml".into(),
            topic_as_sent: "https://example.org:443/atom.xml".into(),
            callback: Url::parse("https://reader.example/cb?feed=7#x").unwrap(),
            lease_seconds: 600,
            secret: None,
        }
    }

    #[test]
    fn the_verification_request_keeps_the_callbacks_query_and_names_the_topic_as_sent() {
        let url = verification_url(&intent(Mode::Subscribe), "abc");
        assert_eq!(
            url.as_str(),
            "https://reader.example/cb?feed=7&hub.mode=subscribe\
&hub.topic=https%3A%2F%2Fexample.org%3A443%2Fatom.xml&hub.challenge=abc&hub.lease_seconds=600"
        );
        let url = verification_url(&intent(Mode::Unsubscribe), "abc");
        assert!(url.as_str().ends_with("hub.challenge=abc"), "{url}");
    }

    #[test]
    fn only_a_2xx_with_the_exact_challenge_confirms() {
        let reply = |status: u16, body: Option<&'static [u8]>| Reply {
            status: StatusCode::from_u16(status).unwrap(),
            body: body.map(Bytes::from_static),
        };
        assert_eq!(judge(&reply(200, Some(b"c1")), "c1"), Verdict::Confirmed);
        assert_eq!(judge(&reply(204, Some(b"c1")), "c1"), Verdict::Confirmed);
        for refused in [
            reply(200, Some(b"c1\n")),
            reply(200, Some(b"")),
            reply(200, None),
            reply(404, Some(b"c1")),
            reply(302, Some(b"c1")),
        ] {
            assert!(
                matches!(judge(&refused, "c1"), Verdict::Refused(_)),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn challenges_are_random() {
        let (a, b) = (challenge().unwrap(), challenge().unwrap());
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
    }
}
