//! Faults a test switches on through `/_lts/faults`. They apply to put-logs requests, except
//! `token_expire_time`, which changes token answers.

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Answer the next N put requests with `fail_status`.
    pub fail_next: u64,
    pub fail_status: u16,
    /// `true`: a JSON `LTS_8000` answer; `false`: a non-JSON body.
    pub fail_json: bool,
    /// Wait this long before answering each put request.
    pub delay_ms: u64,
    /// Close the connection without an answer, before storing, for the next N requests.
    pub drop_before_store: u64,
    /// Store, then close the connection without an answer, for the next N requests.
    pub drop_after_store: u64,
    /// Store, then send half an answer and close the connection, for the next N requests.
    pub reset_mid_answer: u64,
    /// Answer the next N put requests with `throttle_code` (429).
    pub throttle_next: u64,
    pub throttle_code: String,
    /// Hold every put request unanswered until this is switched off.
    pub stall: bool,
    /// The `expireTime` token answers advertise (unix ms) instead of the real expiry; the
    /// token itself stays valid for the server's token life. `null` switches it off.
    pub token_expire_time: Option<i64>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            fail_next: 0,
            fail_status: 503,
            fail_json: true,
            delay_ms: 0,
            drop_before_store: 0,
            drop_after_store: 0,
            reset_mid_answer: 0,
            throttle_next: 0,
            throttle_code: "LTS_8016".into(),
            stall: false,
            token_expire_time: None,
        }
    }
}

impl Faults {
    /// Applies the fields present in `patch`; unknown fields or bad values are refused and
    /// nothing changes.
    pub fn apply(&mut self, patch: &Value) -> Result<(), String> {
        let obj = patch.as_object().ok_or("faults must be a JSON object")?;
        let mut next = self.clone();
        for (k, v) in obj {
            let n = || {
                v.as_u64()
                    .ok_or(format!("{k} must be a non-negative integer"))
            };
            let b = || v.as_bool().ok_or(format!("{k} must be true or false"));
            match k.as_str() {
                "fail_next" => next.fail_next = n()?,
                "fail_status" => {
                    let s = n()?;
                    if !(400..=599).contains(&s) {
                        return Err("fail_status must be in 400..=599".into());
                    }
                    next.fail_status = s as u16;
                }
                "fail_json" => next.fail_json = b()?,
                "delay_ms" => next.delay_ms = n()?,
                "drop_before_store" => next.drop_before_store = n()?,
                "drop_after_store" => next.drop_after_store = n()?,
                "reset_mid_answer" => next.reset_mid_answer = n()?,
                "throttle_next" => next.throttle_next = n()?,
                "throttle_code" => {
                    let c = v.as_str().unwrap_or_default();
                    if !["LTS_8013", "LTS_8014", "LTS_8015", "LTS_8016"].contains(&c) {
                        return Err("throttle_code must be one of LTS_8013..LTS_8016".into());
                    }
                    next.throttle_code = c.to_owned();
                }
                "stall" => next.stall = b()?,
                "token_expire_time" => {
                    next.token_expire_time = match v {
                        Value::Null => None,
                        _ => Some(
                            v.as_i64()
                                .ok_or("token_expire_time must be an integer or null")?,
                        ),
                    }
                }
                other => return Err(format!("unknown fault {other:?}")),
            }
        }
        *self = next;
        Ok(())
    }

    pub fn to_json(&self) -> Value {
        json!({
            "fail_next": self.fail_next,
            "fail_status": self.fail_status,
            "fail_json": self.fail_json,
            "delay_ms": self.delay_ms,
            "drop_before_store": self.drop_before_store,
            "drop_after_store": self.drop_after_store,
            "reset_mid_answer": self.reset_mid_answer,
            "throttle_next": self.throttle_next,
            "throttle_code": self.throttle_code,
            "stall": self.stall,
            "token_expire_time": self.token_expire_time,
        })
    }
}

/// Takes one from a countdown; true if it was positive.
pub fn take(counter: &mut u64) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}
