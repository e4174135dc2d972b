//! The EOP request signature (protocol §1), as pure functions so both the client and
//! `lts-local` use exactly one implementation, tested against CTyun's own vectors.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const REQUEST_ID_HEADER: &str = "ctyun-eop-request-id";
pub const DATE_HEADER: &str = "Eop-date";
pub const AUTHORIZATION_HEADER: &str = "Eop-Authorization";
/// The signed-headers list that appears in every authorization value.
pub const SIGNED_HEADERS: &str = "ctyun-eop-request-id;eop-date";

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex SHA-256 of the body.
pub fn body_hash(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Escapes like Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, the rest `%XX`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The canonical query: parameters sorted by key then value, escaped, joined by `&`.
/// It is both what is signed and exactly what is sent.
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params.to_vec();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `yyyyMMddTHHmmssZ` for a time in seconds since the Unix epoch (UTC).
pub fn eop_date(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Parses an `Eop-date` back into seconds since the epoch; `None` if malformed.
pub fn parse_eop_date(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = date.get(r)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from civil (inverse of the above).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if mo > 2 { mo - 3 } else { mo + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// The base64 signature of one request.
pub fn signature(
    access_key: &str,
    secret_key: &str,
    request_id: &str,
    eop_date: &str,
    canonical_query: &str,
    body: &[u8],
) -> String {
    let string_to_sign = format!(
        "{REQUEST_ID_HEADER}:{request_id}\neop-date:{eop_date}\n\n{canonical_query}\n{}",
        body_hash(body)
    );
    let k1 = hmac(secret_key.as_bytes(), eop_date.as_bytes());
    let k2 = hmac(&k1, access_key.as_bytes());
    let k3 = hmac(&k2, eop_date.get(..8).unwrap_or(eop_date).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(hmac(&k3, string_to_sign.as_bytes()))
}

/// The `Eop-Authorization` header value.
pub fn authorization(access_key: &str, signature: &str) -> String {
    format!("{access_key} Headers={SIGNED_HEADERS} Signature={signature}")
}

/// Splits an `Eop-Authorization` value into (access key, signature).
pub fn parse_authorization(value: &str) -> Option<(&str, &str)> {
    let mut parts = value.split(' ').filter(|p| !p.is_empty());
    let ak = parts.next()?;
    let headers = parts.next()?.strip_prefix("Headers=")?;
    let sig = parts.next()?.strip_prefix("Signature=")?;
    if headers != SIGNED_HEADERS || parts.next().is_some() {
        return None;
    }
    Some((ak, sig))
}

/// The three EOP headers of one request.
#[derive(Debug, Clone)]
pub struct EopHeaders {
    pub request_id: String,
    pub date: String,
    pub authorization: String,
}

/// Signs a request now, with a fresh request id.
pub fn sign_now(
    access_key: &str,
    secret_key: &str,
    canonical_query: &str,
    body: &[u8],
) -> EopHeaders {
    let request_id = crate::util::uuid_v4();
    let date = eop_date(crate::util::now_ms().div_euclid(1000));
    let sig = signature(
        access_key,
        secret_key,
        &request_id,
        &date,
        canonical_query,
        body,
    );
    EopHeaders {
        authorization: authorization(access_key, &sig),
        request_id,
        date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(eop_date(0), "19700101T000000Z");
        assert_eq!(eop_date(1_795_512_600), "20261124T093000Z");
        assert_eq!(eop_date(951_782_400), "20000229T000000Z");
        for t in [0, 951_782_400, 1_795_512_600, 4_102_444_799] {
            assert_eq!(parse_eop_date(&eop_date(t)), Some(t));
        }
        assert_eq!(parse_eop_date("2026-11-24T09:30"), None);
        assert_eq!(parse_eop_date("20261324T093000Z"), None);
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(query_escape("a b&c=d~_.-"), "a+b%26c%3Dd~_.-");
        assert_eq!(query_escape("中"), "%E4%B8%AD");
        assert_eq!(
            canonical_query(&[("b", "2"), ("a", "y"), ("a", "x")]),
            "a=x&a=y&b=2"
        );
    }

    #[test]
    fn authorization_parses_back() {
        let v = authorization("ak", "c2ln+/=");
        assert_eq!(parse_authorization(&v), Some(("ak", "c2ln+/=")));
        assert_eq!(parse_authorization("ak Headers=x Signature=y"), None);
    }
}
