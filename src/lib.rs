//! liblts: the native core of the CTyun Cloud Log Service (LTS) SDK.
//!
//! The Rust API here is what the C ABI in [`ffi`] exposes; the C header (`include/lts.h`) is
//! the primary documentation for users.

pub mod auth;
pub mod bounded_file;
pub mod client;
pub mod config;
pub mod encode;
pub mod endpoint;
pub mod error;
#[macro_use]
pub mod ffi;
pub mod integer;
pub mod journal;
pub mod log;
pub mod log_item;
pub mod options;
pub mod packed;
pub mod producer;
pub mod profile;
pub mod response;
pub mod rules;
pub mod sign;
pub mod transport;
pub mod util;

/// The OTLP logs messages of `proto/logs.proto`, generated at build time.
#[allow(clippy::all)]
pub mod otlp {
    include!(concat!(env!("OUT_DIR"), "/opentelemetry.proto.logs.v1.rs"));
}

/// This library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use client::{Client, Delivery, RetryLimits};
pub use config::{AuthMode, ClientConfig};
pub use encode::{Compression, EncodedBatch};
pub use error::{Error, ErrorKind, Result};
pub use log_item::{Fields, LogItem, Value, ValueRef};
pub use response::Response;

/// Runs `f` inside the FFI panic boundary; lets tests prove a panic turns into
/// `LTS_ERR_INTERNAL` (or NULL) instead of unwinding.
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub fn ffi_boundary_for_tests<R: ffi::boundary::PanicValue>(f: impl FnOnce() -> R) -> R {
    ffi_boundary! { f() }
}
