//! The one grammar of an integer given as text: every integer option (client, producer and
//! profile keys, each item of an integer list) and an endpoint's port are read by it, so a
//! value means the same wherever it is given.
//!
//! The grammar is `0`, or a digit 1-9 followed by ASCII digits 0-9; nothing else. No option
//! takes a negative number, so there is no sign at all: `+5` and `-0` are refused rather
//! than read as 5 and 0. Spaces around the digits are refused (a value read from a file with
//! its newline is a mistake to report, not to guess at). Leading zeros are refused: `010` is
//! 8 to C's `strtol(.., 0)` and to shells, 10 to Rust, and the library will not pick one.
//! Digits other than ASCII (`１`, `٥`) and forms like `0x10`, `1e3`, `5_000` are refused. A
//! number past what the option takes is refused with the range, never wrapped or clamped.

/// Why a text is not an integer of the grammar, in words fit to follow "invalid value ...:".
fn why_not(text: &str) -> Option<String> {
    let first = text.chars().next()?;
    if text.chars().any(char::is_whitespace) {
        return Some("spaces are not accepted around or inside an integer".to_owned());
    }
    match first {
        '-' => return Some("negative numbers are not accepted".to_owned()),
        '+' => return Some("a '+' sign is not accepted: write the digits alone".to_owned()),
        _ => {}
    }
    if let Some(c) = text.chars().find(|c| !c.is_ascii_digit()) {
        return Some(format!(
            "{c:?} is not a digit: an integer is written with the digits 0-9 only"
        ));
    }
    if text.len() > 1 && first == '0' {
        let digits = text.trim_start_matches('0');
        let plain = if digits.is_empty() { "0" } else { digits };
        return Some(format!("leading zeros are not accepted (write {plain})"));
    }
    None
}

/// `text` as a number in `lo..=hi`, or why not (the grammar of this module's doc).
pub fn parse_in(text: &str, lo: u64, hi: u64) -> Result<u64, String> {
    if text.is_empty() {
        return Err("it is empty: expected an integer".to_owned());
    }
    if let Some(why) = why_not(text) {
        return Err(why);
    }
    // Only digits are left: the parse fails only on overflow, which is out of range too.
    match text.parse::<u64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("out of range {lo}..={hi}")),
    }
}

/// An unsigned integer type an option is stored in.
pub trait Unsigned: Sized {
    const MAX: u64;
    fn from_u64(n: u64) -> Self;
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Unsigned for $t {
            const MAX: u64 = <$t>::MAX as u64;
            fn from_u64(n: u64) -> Self {
                // parse_in checked n <= MAX.
                n as $t
            }
        }
    )*};
}
unsigned!(u16, u32, u64, usize);

/// `text` as any value of `T` (0 to `T`'s largest); the option checks its own range after.
pub fn parse<T: Unsigned>(text: &str) -> Result<T, String> {
    parse_in(text, 0, T::MAX).map(T::from_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ascii_digits_without_leading_zeros_are_integers() {
        for (text, n) in [("0", 0), ("5", 5), ("10", 10), ("4294967295", 4294967295)] {
            assert_eq!(parse::<u32>(text), Ok(n), "{text:?}");
        }
        for (text, needle) in [
            ("", "empty"),
            (" 5", "spaces"),
            ("5 ", "spaces"),
            ("\t5", "spaces"),
            ("5\n", "spaces"),
            ("5 0", "spaces"),
            ("+5", "'+'"),
            ("-0", "negative"),
            ("-1", "negative"),
            ("05", "leading zeros are not accepted (write 5)"),
            ("00", "leading zeros are not accepted (write 0)"),
            ("0x10", "'x' is not a digit"),
            ("1e3", "'e' is not a digit"),
            ("5_000", "'_' is not a digit"),
            ("5.0", "'.' is not a digit"),
            ("１", "'１' is not a digit"),
            ("٥", "'٥' is not a digit"),
            ("4294967296", "out of range 0..=4294967295"),
            ("99999999999999999999999", "out of range 0..=4294967295"),
        ] {
            let e = parse::<u32>(text).unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn each_type_takes_up_to_its_largest_value() {
        assert_eq!(parse::<u16>("65535"), Ok(u16::MAX));
        assert!(parse::<u16>("65536").unwrap_err().contains("0..=65535"));
        assert_eq!(parse::<u64>("18446744073709551615"), Ok(u64::MAX));
        assert!(parse::<u64>("18446744073709551616")
            .unwrap_err()
            .contains("out of range 0..=18446744073709551615"));
        assert_eq!(parse::<usize>(&usize::MAX.to_string()), Ok(usize::MAX));
        assert_eq!(parse_in("1", 1, 99), Ok(1));
        assert_eq!(parse_in("99", 1, 99), Ok(99));
        assert_eq!(parse_in("0", 1, 99), Err("out of range 1..=99".to_owned()));
        assert_eq!(
            parse_in("100", 1, 99),
            Err("out of range 1..=99".to_owned())
        );
    }
}
