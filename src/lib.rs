//! feedd turns a folder of posts into RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents, keeps them
//! current while the folder changes, and serves them over HTTP.
//!
//! Data flows one way, one module per arrow:
//!
//! ```text
//! feed-src/ on disk ──source──▶ source files (path, text)
//!    ──post::Post::parse──▶ Post | Diagnostic          pure, one file at a time (post_cache)
//!    ──media::probe──▶ enclosures (length, type, time)  I/O: the files a post attaches, kept
//!                                                       by file stamp (post_cache)
//!    ──feed::FeedIndex──▶ ids, order, tags, schedule    pure, kept; an edit updates its post
//!    ──feed::Assembler::select──▶ posts shown           pure: subscription documents, and
//!                                                       the archive pages that changed
//!    ──post_cache::PostCache::content──▶ bodies         I/O: exactly the selected posts
//!    ──feed::Assembler::assemble──▶ Feed                pure: ordered, limited, ids
//!    ──render──▶ Document                               pure: bytes, content type, etag
//!    ──render::html──▶ Document (pages)                 pure: the index, each feed as a page
//!    ──snapshot──▶ Arc<Snapshot>                        immutable; swapped whole
//!    ──▶ http (serves the current snapshot)  ──▶ output (atomic writes to a folder)
//!    ──▶ deploy (the changed documents to object storage or a command, in the background)
//! media files a document links to (`build::Build::media`) are published beside it, never
//! read into memory: copied by `output`, served by `http` from `daemon::media_store`'s copies.
//! ```
//!
//! `once` (build, write, exit) and `daemon` (build, serve, watch, rebuild) are two drivers of the
//! same pipeline (`build::Pipeline`); the daemon keeps it between rebuilds.
//!
//! Below them all sits the shared vocabulary, which imports nothing from the crate: `format` (the
//! document kinds, their media types and default paths), `media` (`Enclosure`, `MediaFile`) and
//! `etag` (entity tags); `config` holds
//! every key's default in `config::defaults`. No module imports one that imports it back
//! (`tests/it/layering.rs` checks).

pub mod atomic_file;
pub mod build;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod deploy;
pub mod diagnostic;
pub mod etag;
pub mod feed;
pub mod format;
pub mod http;
pub mod ledger;
pub mod lint;
pub mod logging;
pub mod media;
pub mod metrics;
pub mod once;
pub mod output;
pub mod podcast;
pub mod post;
pub mod post_cache;
pub mod render;
pub mod snapshot;
pub mod source;
pub mod systemd;
pub mod watch;
pub mod websub;
pub mod wording;
