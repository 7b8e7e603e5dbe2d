//! Log lines for the systemd journal: each line carries its syslog priority as an sd-daemon(3)
//! `<N>` prefix, which journald strips and stores as `PRIORITY=`, so `journalctl -p warning`
//! shows warnings and errors and nothing else. No timestamp (the journal adds its own), no
//! colours, and the level word without padding.
//!
//! Used only when stderr really is the stream systemd connected to the journal; `logging` decides
//! that with [`stderr_is_journal`] and falls back to plain lines otherwise.

use std::fmt;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Whether stderr is the journal stream: systemd sets `JOURNAL_STREAM` to that stream's device
/// and inode (systemd.exec(5)). A child whose stderr was redirected (to a file, a pipe) inherits
/// the variable but not the stream, and must not write `<N>` prefixes into that file.
pub fn stderr_is_journal() -> bool {
    let Some(expected) = std::env::var("JOURNAL_STREAM")
        .ok()
        .as_deref()
        .and_then(parse_stream)
    else {
        return false;
    };
    stderr_identity() == Some(expected)
}

/// `"<device>:<inode>"`, both decimal, as systemd writes `JOURNAL_STREAM`.
fn parse_stream(value: &str) -> Option<(u64, u64)> {
    let (device, inode) = value.split_once(':')?;
    Some((device.parse().ok()?, inode.parse().ok()?))
}

fn stderr_identity() -> Option<(u64, u64)> {
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let metadata = std::fs::File::from(fd).metadata().ok()?;
    Some((metadata.dev(), metadata.ino()))
}

/// The syslog priority of a level (sd-daemon(3): `SD_ERR` is 3, `SD_WARNING` 4, `SD_INFO` 6,
/// `SD_DEBUG` 7); TRACE has no lower one to go to.
fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// The event format for the journal: `<3>ERROR message key=value`.
pub struct JournalLines;

impl<S, N> FormatEvent<S, N> for JournalLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut text = String::new();
        ctx.format_fields(Writer::new(&mut text), event)?;
        write_lines(&mut writer, *event.metadata().level(), &text)
    }
}

/// journald reads a stream line by line, so every line of a multi-line message gets the prefix;
/// without it the continuation lines would be stored at the default priority, info.
fn write_lines(out: &mut impl fmt::Write, level: Level, text: &str) -> fmt::Result {
    let priority = priority(level);
    let mut lines = text.lines();
    writeln!(
        out,
        "<{priority}>{level} {}",
        lines.next().unwrap_or_default()
    )?;
    for line in lines {
        writeln!(out, "<{priority}>{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(level: Level, text: &str) -> String {
        let mut out = String::new();
        write_lines(&mut out, level, text).unwrap();
        out
    }

    #[test]
    fn each_line_carries_its_priority_and_the_level_leads_unpadded() {
        assert_eq!(
            lines(Level::ERROR, "cannot write x"),
            "<3>ERROR cannot write x\n"
        );
        assert_eq!(lines(Level::WARN, "a.md:3: bad"), "<4>WARN a.md:3: bad\n");
        assert_eq!(lines(Level::INFO, "ready addr=1"), "<6>INFO ready addr=1\n");
        assert_eq!(lines(Level::DEBUG, "d"), "<7>DEBUG d\n");
        assert_eq!(lines(Level::TRACE, "t"), "<7>TRACE t\n");
        assert_eq!(
            lines(Level::ERROR, "first\nsecond"),
            "<3>ERROR first\n<3>second\n"
        );
    }

    #[test]
    fn journal_stream_is_device_and_inode() {
        assert_eq!(parse_stream("8:12345"), Some((8, 12345)));
        assert_eq!(parse_stream("8:"), None);
        assert_eq!(parse_stream("12345"), None);
        assert_eq!(parse_stream("a:1"), None);
    }
}
