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
