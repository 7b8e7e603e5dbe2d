//! Integration tests: the real `feedd` binary on temporary sites, checked with independent parsers.

mod support;

mod bad_input;
mod identity;
mod once;
mod running;
mod systemd;
