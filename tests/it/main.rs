//! Integration tests: the real `feedd` binary on temporary sites, checked with independent parsers.

mod protocols;
mod running;
mod s3_server;
mod subscriber;
mod support;

mod archives;
mod bad_input;
mod broken_sources;
mod caching;
mod command_line;
mod daemon;
mod deploy;
mod golden;
mod gpodder;
mod hostile;
mod identity;
mod incremental;
mod layering;
mod lint;
mod lock_file;
mod media;
mod media_serving;
mod metrics;
mod newsboat;
mod once;
mod output_folder;
mod pages;
mod parsers;
mod podcast;
mod properties;
mod serving;
mod systemd;
mod tls;
mod websub_hub;
mod websub_publish;
