//! Documents too large for readers. The limits are those of real readers: goread refuses a feed
//! over 2 MiB (`1 << 21`), CommaFeed one over 5 MiB, Miniflux one over 15 MiB; theoldreader
//! turned away a 7 MB feed as "way too large".

use super::Context;
use super::finding::{Code, Finding};

/// Above this a document is a warning.
pub const LARGE: usize = 2 * 1024 * 1024;
/// Above this a document is an error.
pub const TOO_LARGE: usize = 5 * 1024 * 1024;

pub fn check(bytes: usize, cx: &Context<'_>) -> Option<Finding> {
    let (code, limit) = if bytes > TOO_LARGE {
        (Code::TooLarge, TOO_LARGE)
    } else if bytes > LARGE {
        (Code::Large, LARGE)
    } else {
        return None;
    };
    let mib = |n: usize| n as f64 / (1024.0 * 1024.0);
    Some(Finding::new(
        code,
        cx.document,
        None,
        format!(
            "the document is {:.1} MiB, over {:.0} MiB",
            mib(bytes),
            mib(limit)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::tests::context;

    #[test]
    fn size_limits() {
        for (bytes, wanted) in [
            (0, None),
            (LARGE, None),
            (LARGE + 1, Some(Code::Large)),
            (TOO_LARGE, Some(Code::Large)),
            (TOO_LARGE + 1, Some(Code::TooLarge)),
        ] {
            assert_eq!(check(bytes, &context()).map(|f| f.code), wanted, "{bytes}");
        }
    }
}
