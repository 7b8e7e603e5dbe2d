//! A document cut into what comes before its entries, between two of them, and after them, so
//! that it can be put together from entries rendered once and kept ([`super::fragments`]).
//!
//! The cut is found, not assumed: each format renders its document whole around one sentinel
//! entry, and the sentinel's own bytes are looked for in it. The writers are the crates' own, so
//! a new crate version that writes differently still splices to what it would have written
//! whole; the tests in `fragments` compare the two for every fixture.

/// The bytes of a document around its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Frame {
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    separator: &'static [u8],
}

impl Frame {
    /// The frame of `shell`, a whole document whose only entry is `sentinel` (the entry's bytes
    /// as they appear in it); `None` when `sentinel` is not found exactly once, which the caller
    /// answers by rendering the document whole.
    pub(super) fn around(shell: &[u8], sentinel: &[u8], separator: &'static [u8]) -> Option<Frame> {
        let at = find(shell, sentinel)?;
        let end = at + sentinel.len();
        if find(&shell[end..], sentinel).is_some() {
            return None;
        }
        Some(Frame {
            prefix: shell[..at].to_vec(),
            suffix: shell[end..].to_vec(),
            separator,
        })
    }

    /// The document with `entries` in order, in one allocation of the exact size; with the range
    /// of each entry inside it, so the caller can keep slices of the document instead of copies.
    pub(super) fn join<'a>(
        &self,
        entries: impl ExactSizeIterator<Item = &'a [u8]> + Clone,
    ) -> (Vec<u8>, Vec<std::ops::Range<usize>>) {
        let count = entries.len();
        let size = self.prefix.len()
            + self.suffix.len()
            + entries.clone().map(<[u8]>::len).sum::<usize>()
            + self.separator.len() * count.saturating_sub(1);
        let mut body = Vec::with_capacity(size);
        let mut ranges = Vec::with_capacity(count);
        body.extend_from_slice(&self.prefix);
        for (i, entry) in entries.enumerate() {
            if i > 0 {
                body.extend_from_slice(self.separator);
            }
            let start = body.len();
            body.extend_from_slice(entry);
            ranges.push(start..body.len());
        }
        body.extend_from_slice(&self.suffix);
        (body, ranges)
    }
}

/// The element of `document` from the first `open` to the last `close`, both included: an
/// entry's bytes cut out of a document that holds nothing else with those names. Text inside the
/// entry may contain either (CDATA is not escaped), which is why the first and last are taken.
pub(super) fn element(document: &[u8], open: &[u8], close: &[u8]) -> Vec<u8> {
    let start = find(document, open).unwrap_or(0);
    let end = rfind(document, close).map_or(document.len(), |at| at + close.len());
    document.get(start..end).unwrap_or_default().to_vec()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_joins_entries_with_its_separator_and_reports_where_each_went() {
        let frame = Frame::around(b"[<x>]", b"<x>", b", ").expect("sentinel found once");
        let (body, ranges) = frame.join([&b"a"[..], b"bc", b"d"].into_iter());
        assert_eq!(body, b"[a, bc, d]");
        assert_eq!(body.capacity(), body.len(), "allocated once, exactly");
        let parts: Vec<&[u8]> = ranges.iter().map(|r| &body[r.clone()]).collect();
        assert_eq!(parts, [&b"a"[..], b"bc", b"d"]);
        let (empty, none) = frame.join(std::iter::empty::<&[u8]>());
        assert_eq!((empty, none), (b"[]".to_vec(), vec![]));
    }

    #[test]
    fn a_sentinel_found_twice_or_not_at_all_gives_no_frame() {
        assert_eq!(Frame::around(b"<x><x>", b"<x>", b""), None);
        assert_eq!(Frame::around(b"<y>", b"<x>", b""), None);
        assert_eq!(Frame::around(b"<y>", b"", b""), None);
    }

    #[test]
    fn an_element_spans_the_first_open_to_the_last_close() {
        let document = b"<rss><item><![CDATA[<item></item>]]></item></rss>";
        assert_eq!(
            element(document, b"<item>", b"</item>"),
            b"<item><![CDATA[<item></item>]]></item>"
        );
    }
}
