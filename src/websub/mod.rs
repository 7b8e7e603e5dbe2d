//! WebSub (W3C Recommendation, 2018): feedd tells hubs when a feed changed, so readers that
//! subscribe through a hub get a new post within seconds instead of at their next poll.
//!
//! `topic` says which documents changed between two snapshots; the publisher side (telling
//! outside hubs) and the built-in hub (`hub`: telling subscribers) both start from it.
//!
//! The publisher side, one job per module: `notify` queues changed topics for each outside hub
//! in the background, `hub_queue` sends one hub's rounds with the schedule of `retry`, `ping`
//! makes one form-encoded `hub.mode=publish` request, and `status` keeps what `/healthz` shows
//! per hub. Advertising the hubs is done where documents are made (`feed`, `render`) and served
//! (`http`).

pub mod hub;
mod hub_queue;
pub mod notify;
pub mod ping;
pub mod retry;
pub mod status;
pub mod topic;

pub use hub_queue::Undelivered;
pub use notify::{Notifier, ping_all};
pub use retry::Retry;
pub use status::PublishStatus;
