//! Integration tests: the real `feedd` binary on temporary sites, checked with independent parsers.

mod running;
mod support;

mod bad_input;
mod daemon;
mod hostile;
mod identity;
mod newsboat;
mod once;
mod parsers;
mod serving;
mod systemd;
