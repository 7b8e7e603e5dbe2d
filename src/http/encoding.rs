//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3): which of a document's stored encodings to
//! send. Only chooses; the encodings themselves are made when the snapshot is built.
//!
//! Among the codings the client accepts with the highest q-value the server prefers br, then
//! gzip, then identity. `q=0` excludes a coding, `*` sets the q of every coding not named, and
//! identity is acceptable unless excluded. When nothing stored is acceptable (say
//! `identity;q=0` alone) identity is sent anyway: RFC 9110 §12.1 lets a server disregard the
//! header rather than answer 406, and a feed in plain bytes helps a reader more than an error.

use hyper::header::{ACCEPT_ENCODING, HeaderMap};

use crate::snapshot::Encoding;

/// Server preference, best first; ties in q are broken by this order.
const PREFERENCE: [Encoding; 3] = [Encoding::Brotli, Encoding::Gzip, Encoding::Identity];

/// q-values in thousandths, so `q=0.001` and `q=1` compare exactly.
type Quality = u16;

/// Picks the encoding to send; `available` says which encodings the document has.
///
/// Without an `Accept-Encoding` header RFC 9110 would allow any coding, but clients that send
/// none (curl, scripts) usually cannot decode one, so they get identity.
pub fn negotiate(headers: &HeaderMap, available: impl Fn(Encoding) -> bool) -> Encoding {
    let mut values = headers.get_all(ACCEPT_ENCODING).iter().peekable();
    if values.peek().is_none() {
        return Encoding::Identity;
    }
    let mut explicit: [Option<Quality>; 3] = [None; 3];
    let mut star: Option<Quality> = None;
    for item in values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let Some((coding, q)) = parse_item(item) else {
            continue;
        };
        let slot = match coding.to_ascii_lowercase().as_str() {
            "*" => &mut star,
            "br" => &mut explicit[index(Encoding::Brotli)],
            "gzip" | "x-gzip" => &mut explicit[index(Encoding::Gzip)],
            "identity" => &mut explicit[index(Encoding::Identity)],
            _ => continue,
        };
        // The first mention of a coding counts; repeats are malformed and ignored.
        slot.get_or_insert(q);
    }
    let quality = |encoding: Encoding| -> Quality {
        match (explicit[index(encoding)], star, encoding) {
            (Some(q), _, _) => q,
            (None, Some(q), _) => q,
            // Identity is implicitly acceptable, but last: a client that lists gzip wants it.
            (None, None, Encoding::Identity) => 1,
            (None, None, _) => 0,
        }
    };
    let mut best = Encoding::Identity;
    let mut best_q = 0;
    for encoding in PREFERENCE {
        let q = quality(encoding);
        if q > best_q && available(encoding) {
            best = encoding;
            best_q = q;
        }
    }
    best
}

fn index(encoding: Encoding) -> usize {
    match encoding {
        Encoding::Brotli => 0,
        Encoding::Gzip => 1,
        Encoding::Identity => 2,
    }
}

/// `coding *( OWS ";" OWS weight )`; `None` for an empty or malformed item, which is skipped.
fn parse_item(item: &str) -> Option<(&str, Quality)> {
    let mut parts = item.split(';');
    let coding = parts.next()?.trim();
    if coding.is_empty() {
        return None;
    }
    let mut q = 1000;
    for param in parts {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_qvalue(value.trim())?;
        }
    }
    Some((coding, q))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths; the same
/// grammar in `Accept` (see `negotiation`).
pub(super) fn parse_qvalue(text: &str) -> Option<Quality> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: Quality = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;
    use Encoding::{Brotli as Br, Gzip as Gz, Identity as Id};

    fn pick(header: Option<&str>, available: &[Encoding]) -> Encoding {
        let mut headers = HeaderMap::new();
        if let Some(h) = header {
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(h).unwrap());
        }
        negotiate(&headers, |e| available.contains(&e))
    }

    const ALL: &[Encoding] = &[Id, Gz, Br];

    #[test]
    fn negotiation_table() {
        let table: &[(Option<&str>, &[Encoding], Encoding)] = &[
            (None, ALL, Id),
            (Some(""), ALL, Id),
            (Some("gzip, deflate, br"), ALL, Br),
            (Some("gzip, deflate"), ALL, Gz),
            (Some("br;q=0.5, gzip"), ALL, Gz),
            (Some("br;q=1.0, gzip;q=1.0"), ALL, Br),
            (Some("gzip;q=0.5"), ALL, Gz),
            (Some("gzip;q=0.5, identity"), ALL, Id),
            (Some("gzip;q=0, br;q=0"), ALL, Id),
            (Some("*"), ALL, Br),
            (Some("*;q=0.2, br;q=0.1"), ALL, Gz),
            (Some("*;q=0.2, br;q=0.1"), &[Id, Br], Id),
            (Some("*;q=0"), ALL, Id),
            (Some("identity;q=0"), ALL, Id),
            (Some("br"), &[Id, Gz], Id),
            (Some("br, gzip;q=0.9"), &[Id, Gz], Gz),
            (Some("GZIP; Q=0.8"), ALL, Gz),
            (Some("x-gzip"), ALL, Gz),
            (Some("deflate, compress"), ALL, Id),
            (Some("gzip;q=0.001, identity;q=0"), ALL, Gz),
            (Some("gzip;q=0.0001"), ALL, Id),
            (Some("br;q=2, gzip"), ALL, Gz),
            (Some("br;q=abc, gzip"), ALL, Gz),
            (Some("gzip;q=0, gzip"), ALL, Id),
            (Some(" , ,br ; q=0.7 , "), ALL, Br),
        ];
        for (header, available, want) in table {
            assert_eq!(
                pick(*header, available),
                *want,
                "Accept-Encoding: {header:?}, available {available:?}"
            );
        }
    }

    #[test]
    fn several_header_lines_are_one_list() {
        let mut headers = HeaderMap::new();
        headers.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0.5"));
        headers.append(ACCEPT_ENCODING, HeaderValue::from_static("br;q=0.8"));
        assert_eq!(negotiate(&headers, |_| true), Br);
    }

    #[test]
    fn qvalue_grammar() {
        for (text, want) in [
            ("1", Some(1000)),
            ("1.000", Some(1000)),
            ("0", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.125", Some(125)),
            ("1.5", None),
            ("0.1234", None),
            ("-0.5", None),
            ("", None),
        ] {
            assert_eq!(parse_qvalue(text), want, "{text:?}");
        }
    }
}
