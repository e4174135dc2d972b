//! The core's error type. The C layer maps [`ErrorKind`] onto the stable `lts_result` numbers.

use std::fmt;

use crate::response::Response;

/// Why an operation failed, in the classes the C API reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidArgument,
    InvalidKey,
    InvalidValue,
    TooLarge,
    InvalidState,
    Auth,
    Network,
    Timeout,
    Server,
    BufferFull,
    Closed,
    Reentrant,
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidKey,
        ErrorKind::InvalidValue,
        ErrorKind::TooLarge,
        ErrorKind::InvalidState,
        ErrorKind::Auth,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Server,
        ErrorKind::BufferFull,
        ErrorKind::Closed,
        ErrorKind::Reentrant,
        ErrorKind::Internal,
    ];

    /// The C API's name of this kind's result code ("LTS_OK" for `None`: no error).
    /// The `LTS_ERR_*` name, as text (what every binding reports beside the number).
    pub fn name(self) -> &'static str {
        // Every name is ASCII, so the conversion cannot fail.
        Self::c_name(Some(self))
            .to_str()
            .unwrap_or("LTS_ERR_INTERNAL")
    }

    pub fn c_name(kind: Option<ErrorKind>) -> &'static std::ffi::CStr {
        match kind {
            None => c"LTS_OK",
            Some(ErrorKind::InvalidArgument) => c"LTS_ERR_INVALID_ARGUMENT",
            Some(ErrorKind::InvalidKey) => c"LTS_ERR_INVALID_KEY",
            Some(ErrorKind::InvalidValue) => c"LTS_ERR_INVALID_VALUE",
            Some(ErrorKind::TooLarge) => c"LTS_ERR_TOO_LARGE",
            Some(ErrorKind::InvalidState) => c"LTS_ERR_INVALID_STATE",
            Some(ErrorKind::Auth) => c"LTS_ERR_AUTH",
            Some(ErrorKind::Network) => c"LTS_ERR_NETWORK",
            Some(ErrorKind::Timeout) => c"LTS_ERR_TIMEOUT",
            Some(ErrorKind::Server) => c"LTS_ERR_SERVER",
            Some(ErrorKind::BufferFull) => c"LTS_ERR_BUFFER_FULL",
            Some(ErrorKind::Closed) => c"LTS_ERR_CLOSED",
            Some(ErrorKind::Reentrant) => c"LTS_ERR_REENTRANT",
            Some(ErrorKind::Internal) => c"LTS_ERR_INTERNAL",
        }
    }
}

/// An error with a human-readable detail and, when the service answered, its answer.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The service's answer when it gave one (`LTS_ERR_SERVER` after a JSON error answer).
    pub response: Option<Response>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            response: None,
        }
    }

    pub fn with_response(mut self, response: Response) -> Self {
        self.response = Some(response);
        self
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
