//! Every `[profile]` value of the wire protocol: the details no public source settles.
//!
//! They live here and nowhere else, so that a user can match a real endpoint at run time
//! (`lts_client_config_set_profile`) without a rebuild, and so that `lts-local` uses exactly
//! the defaults the client does.

use crate::error::{Error, Result};

/// Raw (uncompressed) bytes one request may carry, and logs one request may carry.
pub const MAX_REQUEST_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_REQUEST_LOGS: usize = 40960;

/// The longest key the key rules allow.
pub const MAX_KEY_CHARS: usize = 64;

/// Request shapes and retry timings. Cloned into each client config.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub token_path: String,
    pub put_path: String,
    pub project_param: String,
    pub unit_param: String,
    pub token_header: String,
    pub compress_type_header: String,
    pub raw_size_header: String,
    pub batch_id_header: String,
    /// Renew the token once this share of its life (percent) has passed.
    pub token_renew_percent: u32,
    /// Full-jitter exponential backoff: sleep a random time in [0, min(cap, base * 2^n)].
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            token_path: "/v1/auth/token".into(),
            put_path: "/v1/lts/logs".into(),
            project_param: "logProject".into(),
            unit_param: "logUnit".into(),
            token_header: "x-lts-token".into(),
            compress_type_header: "x-lts-compresstype".into(),
            raw_size_header: "x-lts-bodyrawsize".into(),
            batch_id_header: "x-lts-batch-id".into(),
            token_renew_percent: 80,
            backoff_base_ms: 100,
            backoff_cap_ms: 10_000,
        }
    }
}

/// The names `set` accepts, in the order the docs list them.
pub const KEYS: &[&str] = &[
    "token_path",
    "put_path",
    "project_param",
    "unit_param",
    "token_header",
    "compress_type_header",
    "raw_size_header",
    "batch_id_header",
    "token_renew_percent",
    "backoff_base_ms",
    "backoff_cap_ms",
];

impl Profile {
    /// One value by name, as `set` takes it.
    pub fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "token_path" => self.token_path.clone(),
            "put_path" => self.put_path.clone(),
            "project_param" => self.project_param.clone(),
            "unit_param" => self.unit_param.clone(),
            "token_header" => self.token_header.clone(),
            "compress_type_header" => self.compress_type_header.clone(),
            "raw_size_header" => self.raw_size_header.clone(),
            "batch_id_header" => self.batch_id_header.clone(),
            "token_renew_percent" => self.token_renew_percent.to_string(),
            "backoff_base_ms" => self.backoff_base_ms.to_string(),
            "backoff_cap_ms" => self.backoff_cap_ms.to_string(),
            _ => return None,
        })
    }

    /// Changes one value by name. Unknown names and malformed values are refused and leave
    /// the profile unchanged.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let path = |v: &str| -> Result<String> {
            if !v.starts_with('/') || v.chars().any(|c| c.is_whitespace() || c == '?') {
                return Err(Error::invalid_argument(format!(
                    "profile value for \"{key}\" must be a path starting with '/', without spaces or '?'"
                )));
            }
            Ok(v.to_owned())
        };
        let token = |v: &str| -> Result<String> {
            if v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(Error::invalid_argument(format!(
                    "profile value for \"{key}\" must be a non-empty name of letters, digits, '-', '_' or '.'"
                )));
            }
            Ok(v.to_owned())
        };
        let number = |v: &str, lo: u64, hi: u64| -> Result<u64> {
            crate::integer::parse_in(v, lo, hi)
                .map_err(|e| Error::invalid_argument(format!("profile value for \"{key}\": {e}")))
        };
        match key {
            "token_path" => self.token_path = path(value)?,
            "put_path" => self.put_path = path(value)?,
            "project_param" => self.project_param = token(value)?,
            "unit_param" => self.unit_param = token(value)?,
            "token_header" => self.token_header = token(value)?,
            "compress_type_header" => self.compress_type_header = token(value)?,
            "raw_size_header" => self.raw_size_header = token(value)?,
            "batch_id_header" => self.batch_id_header = token(value)?,
            "token_renew_percent" => self.token_renew_percent = number(value, 1, 99)? as u32,
            "backoff_base_ms" => self.backoff_base_ms = number(value, 1, 60_000)?,
            "backoff_cap_ms" => self.backoff_cap_ms = number(value, 1, 600_000)?,
            _ => {
                return Err(Error::invalid_argument(format!(
                    "unknown profile key \"{key}\"; known keys: {}",
                    KEYS.join(", ")
                )))
            }
        }
        Ok(())
    }
}

/// How a client reacts to an `LTS_xxxx` error code of the service (protocol §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    /// Transient on the service's side: retry with backoff.
    Retry,
    /// A quota (8013–8016): retry with backoff.
    Throttled,
    /// The token is invalid or expired (also a bad EOP signature).
    TokenInvalid,
    /// Final: the request itself is wrong or its target missing.
    Fail,
}

/// The documented codes with the HTTP status the local server answers them with
/// (the status is `[profile]`; the codes and meanings are the service's).
pub const ERROR_CODES: &[(&str, u16, CodeClass, &str)] = &[
    (
        "LTS_8000",
        503,
        CodeClass::Retry,
        "request failed, try again later",
    ),
    (
        "LTS_8001",
        400,
        CodeClass::Fail,
        "content invalid, cannot be parsed",
    ),
    (
        "LTS_8004",
        413,
        CodeClass::Fail,
        "too many bytes or logs in one request",
    ),
    (
        "LTS_8006",
        400,
        CodeClass::Fail,
        "body cannot be decompressed",
    ),
    (
        "LTS_8007",
        401,
        CodeClass::TokenInvalid,
        "token invalid or expired",
    ),
    (
        "LTS_8009",
        403,
        CodeClass::Fail,
        "no LTS instance: open the service first",
    ),
    (
        "LTS_8010",
        404,
        CodeClass::Fail,
        "log project does not exist",
    ),
    ("LTS_8011", 404, CodeClass::Fail, "log unit does not exist"),
    (
        "LTS_8013",
        429,
        CodeClass::Throttled,
        "project write bandwidth quota exceeded",
    ),
    (
        "LTS_8014",
        429,
        CodeClass::Throttled,
        "project write request-rate quota exceeded",
    ),
    (
        "LTS_8015",
        429,
        CodeClass::Throttled,
        "unit write bandwidth quota exceeded",
    ),
    (
        "LTS_8016",
        429,
        CodeClass::Throttled,
        "unit write request-rate quota exceeded",
    ),
    (
        "LTS_18000",
        502,
        CodeClass::Retry,
        "call to the IAM service failed",
    ),
];

/// The class of a documented code; `None` for a code the table does not know.
pub fn classify_code(code: &str) -> Option<CodeClass> {
    ERROR_CODES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|&(_, _, class, _)| class)
}

/// The HTTP status the local server answers a code with.
pub fn http_status_of(code: &str) -> u16 {
    ERROR_CODES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|&(_, s, ..)| s)
        .unwrap_or(400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_can_be_set_and_unknown_keys_are_refused() {
        let mut p = Profile::default();
        for k in KEYS {
            let v = match *k {
                "token_path" | "put_path" => "/x/y",
                "token_renew_percent" => "50",
                "backoff_base_ms" | "backoff_cap_ms" => "20",
                _ => "x-name",
            };
            p.set(k, v).unwrap();
        }
        assert_eq!(p.put_path, "/x/y");
        assert_eq!(p.token_renew_percent, 50);
        let before = p.clone();
        assert!(p.set("nope", "1").is_err());
        assert!(p.set("put_path", "no-slash").is_err());
        assert!(p.set("token_header", "bad header").is_err());
        assert!(p.set("token_renew_percent", "100").is_err());
        assert_eq!(p, before);
    }

    #[test]
    fn codes_classify() {
        assert_eq!(classify_code("LTS_8000"), Some(CodeClass::Retry));
        assert_eq!(classify_code("LTS_8015"), Some(CodeClass::Throttled));
        assert_eq!(classify_code("LTS_8011"), Some(CodeClass::Fail));
        assert_eq!(classify_code("LTS_9999"), None);
        assert_eq!(http_status_of("LTS_8007"), 401);
    }
}
