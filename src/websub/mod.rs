//! WebSub (W3C Recommendation, 2018): feedd tells hubs when a feed changed, so readers that
//! subscribe through a hub get a new post within seconds instead of at their next poll.
//!
//! `topic` says which documents changed between two snapshots; the publisher side (telling
//! outside hubs) and the built-in hub (`hub`: telling subscribers) both start from it.

pub mod hub;
pub mod topic;
