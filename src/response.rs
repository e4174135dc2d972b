//! The service's JSON answer (`statusCode`, `message`, `error`) and its parsing.

/// What the service answered to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// 0 on success, -1 (or another non-zero value) on failure.
    pub status_code: i32,
    pub message: String,
    /// "" on success, otherwise a code such as `LTS_8011`.
    pub error: String,
}

impl Response {
    /// Parses an answer body. `None` when the body is not a JSON object with a `statusCode`
    /// (a number, or a string holding one: some gateways quote it).
    pub fn parse(body: &[u8]) -> Option<Response> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let obj = value.as_object()?;
        let status_code = match obj.get("statusCode")? {
            serde_json::Value::Number(n) => i32::try_from(n.as_i64()?).ok()?,
            serde_json::Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        let text = |k: &str| {
            obj.get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or_default()
        };
        Some(Response {
            status_code,
            message: text("message"),
            error: text("error"),
        })
    }

    pub fn is_success(&self) -> bool {
        self.status_code == 0
    }

    /// The answer as the service's JSON text (what the seed SDK's `log_print_body` prints).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "statusCode": self.status_code,
            "message": self.message,
            "error": self.error,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numeric_and_string_status_codes() {
        let r = Response::parse(br#"{"statusCode":0,"message":"SUCCESS","error":""}"#).unwrap();
        assert!(r.is_success());
        let r =
            Response::parse(br#"{"statusCode":"-1","message":"m","error":"LTS_8011"}"#).unwrap();
        assert_eq!((r.status_code, r.error.as_str()), (-1, "LTS_8011"));
    }

    #[test]
    fn refuses_garbage() {
        assert!(Response::parse(b"<html>bad gateway</html>").is_none());
        assert!(Response::parse(br#"{"message":"no status"}"#).is_none());
        assert!(Response::parse(br#"[1,2]"#).is_none());
        assert!(Response::parse(br#"{"statusCode":"x"}"#).is_none());
    }
}
