//! The HTTP test binary: the native API driven in-process through the real router, plus
//! end-to-end runs of the real `tenantry` binary. Each test gets a fresh database.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod helpers;
mod process;

mod accounts;
mod auth;
mod authorization;
mod cloud_elements;
mod compat_audit;
mod configuration;
mod controlbyweb;
mod crash;
mod devices_and_audit;
mod dump;
mod end_to_end;
mod errors;
mod hardening;
mod invitations;
mod ioto;
mod isolation;
mod lists;
mod many_instances;
mod openapi;
mod operations;
mod request_logs;
mod smtp;
mod users;
