//! `[archives]`: whether older posts are published as RFC 5005 archive pages, and how long the
//! calendar period of one page is.
//!
//! Only the keys and their checks live here; what a period is and how pages are cut is
//! `feed::archive`'s job.

use serde::Deserialize;

use super::defaults;

/// How much of the calendar one archive page covers, in the site's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodLength {
    /// ISO 8601 weeks (Monday to Sunday), named like `2024-W19`.
    Week,
    /// Calendar months, named like `2024-05`.
    Month,
    /// Calendar years, named like `2024`.
    Year,
}

impl PeriodLength {
    /// The name `config.toml` uses for it.
    pub const fn name(self) -> &'static str {
        match self {
            PeriodLength::Week => "week",
            PeriodLength::Month => "month",
            PeriodLength::Year => "year",
        }
    }
}

/// The validated `[archives]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archives {
    /// Off: each feed holds its newest `max_entries` and nothing older is published.
    pub enabled: bool,
    pub period: PeriodLength,
    /// Folder below each feed's own folder that holds one folder per archive page.
    pub folder: String,
}

impl Default for Archives {
    fn default() -> Archives {
        Archives {
            enabled: defaults::archives::ENABLED,
            period: defaults::archives::PERIOD,
            folder: defaults::archives::FOLDER.to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArchives {
    enabled: Option<bool>,
    period: Option<PeriodLength>,
    folder: Option<String>,
}

impl RawArchives {
    pub(super) fn validate(self) -> Result<Archives, String> {
        let folder = self
            .folder
            .unwrap_or_else(|| defaults::archives::FOLDER.to_owned());
        let trimmed = folder.trim_matches('/');
        if trimmed.is_empty() || trimmed.split('/').any(|s| matches!(s, "" | "." | "..")) {
            return Err(format!(
                "`archives.folder = \"{folder}\"` must be a relative folder without `.` or `..`, e.g. \"archive/\""
            ));
        }
        Ok(Archives {
            enabled: self.enabled.unwrap_or(defaults::archives::ENABLED),
            period: self.period.unwrap_or(defaults::archives::PERIOD),
            folder: format!("{trimmed}/"),
        })
    }
}
