//! Integration tests: the real `feedd` binary on temporary sites, checked with independent parsers.

mod running;
mod support;

mod bad_input;
mod daemon;
mod identity;
mod newsboat;
mod once;
mod parsers;
mod properties;
mod serving;
mod systemd;
