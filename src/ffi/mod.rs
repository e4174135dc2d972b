//! The C ABI. Nothing here decides behaviour: each export checks its arguments, calls the
//! core, and maps the outcome onto `lts_result` and the thread's last error.
//!
//! Every export's body is wrapped in `ffi_boundary!` (a test scans this directory for it).
#![allow(non_camel_case_types)]
// The exports' safety contract (pointers are NULL or live handles of this library, strings
// NUL-terminated) is stated once in the header's conventions and checked at run time.
#![allow(clippy::missing_safety_doc)]

#[macro_use]
pub mod boundary;
pub mod client;
pub mod config;
pub mod error;
pub mod log;
pub mod log_item;
pub mod on_failure;
pub mod options;
pub mod producer;
pub mod producer_config;
pub mod record;
pub mod response;
pub mod send_result;
pub mod string;
pub mod version;
