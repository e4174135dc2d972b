//! The endpoint grammar: the one parser every way of giving an endpoint goes through
//! (`lts_client_config_new`, the `endpoint` option by name, and so every binding), so a
//! malformed endpoint is refused when it is given, naming what is wrong, instead of failing
//! every request later as a network error.
//!
//! ```text
//! endpoint = [scheme "://"] host [":" port] [prefix]
//! scheme   = "http" | "https"              (any case; none given means https)
//! host     = name | IPv4 | "[" IPv6 "]"
//! port     = 1..=65535, in the integer grammar (digits only, no leading zeros)
//! prefix   = ("/" segment)* ["/"]          (trailing slashes are dropped)
//! ```
//!
//! A name is labels of letters, digits, `-` and `_` joined by dots (each label 1-63
//! characters, not starting or ending with `-`; 253 at most in all), compared without case.
//! A name with non-ASCII letters is converted to its ASCII form by IDNA (UTS #46, the rules
//! browsers and the URL standard apply, through the `idna` crate the HTTP stack already
//! uses): the HTTP stack would convert it anyway, so the converted form is what is stored,
//! read back and sent. A host whose last label is numeric must be a plain dotted-quad IPv4
//! address: `127.1`, `0x7f.0.0.1` and `010.0.0.1` mean different addresses to different
//! parsers and are refused. IPv6 only in brackets, without a zone (`%eth0`). No
//! credentials (`user:password@`), no query (`?`), no fragment (`#`), no spaces or control
//! characters anywhere, no `\`. A prefix segment holds letters, digits, `-._~!$&'()*+,;=:@`
//! and `%` followed by two hex digits; not empty, not `.` or `..` (which would be resolved
//! away). An endpoint is at most [`MAX_ENDPOINT_BYTES`] long.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Error, Result};

/// The longest endpoint accepted (far past any real one; it bounds the error message too).
pub const MAX_ENDPOINT_BYTES: usize = 2048;

/// How much of a refused endpoint its error message repeats.
const SHOWN_CHARS: usize = 120;

/// A scheme, host, optional port and optional path prefix, without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port][/prefix]`, in the normal form: scheme and name in lower case,
    /// IP addresses as the standard library writes them.
    base: String,
    /// The host without brackets.
    host: String,
}

impl Endpoint {
    /// Parses `text` by the grammar of this module's doc; `InvalidArgument` naming what is
    /// wrong otherwise.
    pub fn parse(text: &str) -> Result<Endpoint> {
        parse(text).map_err(|why| {
            Error::invalid_argument(format!("invalid endpoint {}: {why}", shown(text)))
        })
    }

    /// An endpoint taken as it is, past the parser: for the project's tests of what the
    /// parser would refuse (a name the system resolver refuses before sending a query).
    /// `base` is `scheme://host[:port]`, its host without brackets.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn unchecked_for_tests(base: &str) -> Endpoint {
        let authority = base.split_once("://").map_or(base, |(_, rest)| rest);
        let host = authority.split(':').next().unwrap_or("").to_owned();
        Endpoint {
            base: base.to_owned(),
            host,
        }
    }

    /// The URL of a path (which starts with `/`) under this endpoint.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The host, without brackets or port.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_plain_http(&self) -> bool {
        self.base.starts_with("http://")
    }

    /// The host is `localhost`, a 127.0.0.0/8 address or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// The endpoint as an error message repeats it: credentials blanked out (they are secrets
/// even in a refused endpoint), at most [`SHOWN_CHARS`] characters, quoted and escaped.
fn shown(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => text.split_at(i + 3),
        None => ("", text),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let redacted = match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => text.to_owned(),
    };
    let mut out: String = redacted.chars().take(SHOWN_CHARS).collect();
    if out.len() < redacted.len() {
        out.push_str("...");
    }
    format!("{out:?}")
}

fn parse(text: &str) -> std::result::Result<Endpoint, String> {
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    if text.len() > MAX_ENDPOINT_BYTES {
        return Err(format!(
            "it is {} bytes long; the longest accepted is {MAX_ENDPOINT_BYTES}",
            text.len()
        ));
    }
    if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "it contains {c:?}: spaces and control characters are not allowed"
        ));
    }
    if text.contains('\\') {
        return Err("it contains '\\': use '/'".to_owned());
    }
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => {
            let before_colon = text.split(':').next().unwrap_or("");
            if text.contains(':')
                && (before_colon.eq_ignore_ascii_case("http")
                    || before_colon.eq_ignore_ascii_case("https"))
            {
                return Err(format!(
                    "the scheme {before_colon:?} must be followed by \"://\""
                ));
            }
            ("https".to_owned(), text)
        }
    };
    match scheme.as_str() {
        "http" | "https" => {}
        "" => return Err("it has no scheme before \"://\"".to_owned()),
        other => return Err(format!("the scheme {other:?} is not http or https")),
    }
    if rest.contains('#') {
        return Err("a fragment ('#') is not allowed".to_owned());
    }
    if rest.contains('?') {
        return Err("a query ('?') is not allowed".to_owned());
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(
            "credentials (user:password@) are not allowed in an endpoint: give the keys \
             as access_key and secret_key"
                .to_owned(),
        );
    }
    let (host, port) = split_host_port(authority)?;
    let port = match port {
        None => String::new(),
        Some("") => return Err("the port after ':' is empty".to_owned()),
        Some(p) => {
            let n =
                crate::integer::parse_in(p, 1, 65535).map_err(|e| format!("port {p:?}: {e}"))?;
            format!(":{n}")
        }
    };
    let prefix = prefix(path)?;
    let authority_host = match &host {
        Host::V6(a) => format!("[{a}]"),
        Host::V4(a) => a.to_string(),
        Host::Name(n) => n.clone(),
    };
    Ok(Endpoint {
        base: format!("{scheme}://{authority_host}{port}{prefix}"),
        host: match host {
            Host::V6(a) => a.to_string(),
            Host::V4(a) => a.to_string(),
            Host::Name(n) => n,
        },
    })
}

enum Host {
    Name(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

/// The host and the port text (after its ':', if there is one).
fn split_host_port(authority: &str) -> std::result::Result<(Host, Option<&str>), String> {
    if authority.is_empty() {
        return Err("it has no host".to_owned());
    }
    if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((inner, after)) = bracketed.split_once(']') else {
            return Err("the IPv6 address has no closing ']'".to_owned());
        };
        if inner.contains('%') {
            return Err(format!(
                "[{inner}]: IPv6 zones ('%' and an interface) are not supported"
            ));
        }
        let addr: Ipv6Addr = inner
            .parse()
            .map_err(|_| format!("[{inner}] is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| {
                format!("{after:?} follows the IPv6 address where only ':port' may")
            })?),
        };
        return Ok((Host::V6(addr), port));
    }
    let (host, port) = match authority.matches(':').count() {
        0 => (authority, None),
        1 => {
            let (h, p) = authority.split_once(':').unwrap_or((authority, ""));
            (h, Some(p))
        }
        _ => return Err("an IPv6 address must be in brackets, as in http://[::1]:8080".to_owned()),
    };
    if host.is_empty() {
        return Err("it has no host".to_owned());
    }
    Ok((name_or_ipv4(host)?, port))
}

fn name_or_ipv4(host: &str) -> std::result::Result<Host, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ascii = if host.is_ascii() {
        if let Some(c) = host.chars().find(|&c| !allowed(c)) {
            return Err(format!(
                "the host {host:?} contains {c:?}: a host name holds letters, digits, '-', '_' \
                 and '.' only (an IPv6 address goes in brackets)"
            ));
        }
        // Lower case, and a label in the "xn--" form must be valid Punycode.
        idna::domain_to_ascii(host)
            .map_err(|_| format!("the host {host:?} is not a valid domain name"))?
    } else {
        let ascii = idna::domain_to_ascii(host).map_err(|_| {
            format!("the host {host:?} is not a valid internationalized domain name (IDNA)")
        })?;
        if let Some(c) = ascii.chars().find(|&c| !allowed(c)) {
            return Err(format!(
                "the host {host:?} becomes {ascii:?} by IDNA, which contains {c:?}"
            ));
        }
        ascii
    };
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return Err(format!(
            "the host {host:?} has an empty label (a dot at its start or end, or two in a row)"
        ));
    }
    if let Some(l) = labels.iter().find(|l| l.len() > 63) {
        return Err(format!(
            "the host's label {l:?} is {} characters long; the most is 63",
            l.len()
        ));
    }
    if ascii.len() > 253 {
        return Err(format!(
            "the host is {} characters long; the most is 253",
            ascii.len()
        ));
    }
    if let Some(l) = labels
        .iter()
        .find(|l| l.starts_with('-') || l.ends_with('-'))
    {
        return Err(format!("the host's label {l:?} starts or ends with '-'"));
    }
    let last = labels.last().copied().unwrap_or("");
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || (last.len() > 1 && last[..2].eq_ignore_ascii_case("0x"));
    if numeric {
        // The URL standard reads such a host as an IPv4 address in several notations
        // (127.1, 0x7f.1, octal 010.0.0.1); only the one everybody agrees on is taken.
        return ascii.parse::<Ipv4Addr>().map(Host::V4).map_err(|_| {
            format!(
                "the host {host:?} is not an IPv4 address: four numbers 0-255 without \
                 leading zeros, as in 127.0.0.1"
            )
        });
    }
    Ok(Host::Name(ascii))
}

/// The path prefix, without trailing slashes ("" for none).
fn prefix(path: &str) -> std::result::Result<&str, String> {
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Ok("");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c);
    for segment in path[1..].split('/') {
        if segment.is_empty() {
            return Err(format!("the path {path:?} has an empty segment ('//')"));
        }
        if let Some(c) = segment.chars().find(|&c| !allowed(c)) {
            return Err(format!(
                "the path {path:?} contains {c:?}: percent-encode it"
            ));
        }
        let bytes = segment.as_bytes();
        for (i, _) in segment.match_indices('%') {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Err(format!(
                    "the path {path:?} has a '%' not followed by two hex digits"
                ));
            }
        }
        let dots = segment.to_ascii_lowercase().replace("%2e", ".");
        if dots == "." || dots == ".." {
            return Err(format!(
                "the path {path:?} holds a '.' or '..' segment, which would be resolved away"
            ));
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        match Endpoint::parse(text) {
            Ok(e) => e.as_str().to_owned(),
            Err(e) => panic!("{text:?} refused: {}", e.message),
        }
    }

    fn refused(text: &str) -> String {
        match Endpoint::parse(text) {
            Ok(e) => panic!("{text:?} accepted as {:?}", e.as_str()),
            Err(e) => {
                assert_eq!(e.kind, crate::ErrorKind::InvalidArgument);
                e.message
            }
        }
    }

    #[test]
    fn accepted_endpoints_read_back_in_their_normal_form() {
        for (text, normal) in [
            ("lts.example.com", "https://lts.example.com"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("HTTPS://H:1/pre/fix/", "https://h:1/pre/fix"),
            ("http://[::1]:8080/x", "http://[::1]:8080/x"),
            ("http://[0:0:0:0:0:0:0:1]", "http://[::1]"),
            ("https://[2001:DB8::1]:443", "https://[2001:db8::1]:443"),
            ("localhost:9000", "https://localhost:9000"),
            ("http://my_service:80", "http://my_service:80"),
            ("http://h:1", "http://h:1"),
            ("http://h:65535", "http://h:65535"),
            ("https://münchen.example", "https://xn--mnchen-3ya.example"),
            (
                "https://xn--mnchen-3ya.example",
                "https://xn--mnchen-3ya.example",
            ),
            ("http://h/a%20b/c-d_e.f~g", "http://h/a%20b/c-d_e.f~g"),
            ("http://h//", "http://h"),
            ("https://1.2.3.4", "https://1.2.3.4"),
            ("https://a1.b2", "https://a1.b2"),
            // IDNA maps a zero-width space to nothing, as browsers do.
            ("http://exa\u{200b}mple.com", "http://example.com"),
        ] {
            assert_eq!(ok(text), normal, "{text:?}");
        }
        let e = Endpoint::parse("http://[::1]:80/p").unwrap();
        assert_eq!((e.host(), e.is_loopback()), ("::1", true));
        let e = Endpoint::parse("LocalHost").unwrap();
        assert_eq!((e.host(), e.is_loopback()), ("localhost", true));
        assert!(Endpoint::parse("http://127.8.9.10").unwrap().is_loopback());
        assert_eq!(ok(&format!("http://{}.com", "a".repeat(63))).len(), 74);
    }

    #[test]
    fn malformed_endpoints_are_refused_naming_what_is_wrong() {
        for (text, needle) in [
            // The issue's cases.
            (
                "http://127.0.0.1:99999",
                "port \"99999\": out of range 1..=65535",
            ),
            ("https://[zz]:5", "[zz] is not an IPv6 address"),
            ("%s%s%s%n", "contains '%'"),
            // Ports.
            ("http://127.0.0.1:0", "port \"0\": out of range 1..=65535"),
            ("http://127.0.0.1:-1", "port \"-1\": negative"),
            ("http://127.0.0.1:", "the port after ':' is empty"),
            ("http://127.0.0.1:80x", "'x' is not a digit"),
            ("http://h:+80", "'+'"),
            ("http://h:0080", "leading zeros"),
            ("http://h:８０", "'８' is not a digit"),
            ("http://h:80:90", "IPv6 address must be in brackets"),
            // IPv6.
            ("http://::1:8080", "IPv6 address must be in brackets"),
            ("http://[::1", "no closing ']'"),
            ("http://[fe80::1%eth0]:80", "zones"),
            ("http://[::1]x", "only ':port'"),
            ("http://[1.2.3.4]", "is not an IPv6 address"),
            // Credentials, query, fragment.
            ("http://user:pass@h", "credentials"),
            ("http://h#frag", "fragment"),
            ("http://h?q=1", "query"),
            // Spaces, control characters, backslashes.
            ("http://h/a b", "spaces"),
            (" http://h", "spaces"),
            ("http://h\n", "control"),
            ("http://h\0", "control"),
            ("http://h\\x", "'\\'"),
            // Hosts.
            ("", "empty"),
            ("http://", "no host"),
            ("http://:80", "no host"),
            ("http:///x", "no host"),
            ("http://a..b", "empty label"),
            ("http://a.b.", "empty label"),
            ("http://-a.com", "starts or ends with '-'"),
            ("http://h%2fevil.com", "contains '%'"),
            ("http://h!", "contains '!'"),
            ("http://256.1.1.1", "not an IPv4 address"),
            ("http://127.1", "not an IPv4 address"),
            ("http://0x7f.0.0.1", "not an IPv4 address"),
            ("http://010.0.0.1", "not an IPv4 address"),
            ("http://xn--zz--.com", "not a valid domain name"),
            ("http://ex\u{2100}ample.com", "contains '/'"),
            // Schemes.
            ("ftp://h", "the scheme \"ftp\" is not http or https"),
            ("://h", "no scheme"),
            ("http:h", "must be followed by \"://\""),
            ("HTTPS:/h", "must be followed by \"://\""),
            // Paths.
            ("http://h/../x", "'..'"),
            ("http://h/a/%2E%2e/x", "'..'"),
            ("http://h/./x", "'.'"),
            ("http://h/%zz", "two hex digits"),
            ("http://h/a%2", "two hex digits"),
            ("http://h/a//b", "empty segment"),
            ("http://h/é", "percent-encode"),
            ("http://h/a\"b", "percent-encode"),
        ] {
            let message = refused(text);
            assert!(message.contains(needle), "{text:?}: {message}");
            assert!(message.starts_with("invalid endpoint \""), "{message}");
        }
    }

    #[test]
    fn lengths_are_bounded() {
        let label = "a".repeat(64);
        assert!(refused(&format!("http://{label}.com")).contains("63"));
        let long_name = vec!["abcdefgh"; 30].join(".");
        assert!(refused(&format!("http://{long_name}")).contains("253"));
        let huge = format!("http://h/{}", "p".repeat(5000));
        let message = refused(&huge);
        assert!(
            message.contains("the longest accepted is 2048"),
            "{message}"
        );
        assert!(
            message.len() < 300,
            "the message repeats only the start: {message}"
        );
    }

    #[test]
    fn a_refused_endpoint_never_repeats_its_credentials() {
        for text in [
            "http://user:s3cr3t@h",
            "https://user:s3cr3t@h:99999/x",
            "s3cr3t@h",
        ] {
            let message = refused(text);
            assert!(!message.contains("s3cr3t"), "{message}");
            assert!(message.contains("***@h"), "{message}");
        }
    }
}
