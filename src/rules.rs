//! The documented key and value rules, checked the same way wherever a log comes from (a
//! `LogItem` as each field is pushed; a record in the caller's memory or the packed layout as
//! it is sent). Errors name the key and say which rule it broke.

use crate::error::{Error, ErrorKind, Result};
use crate::profile::MAX_KEY_CHARS;

/// Which list a key belongs to; only used to word error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Content,
    Label,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Content => "content",
            Field::Label => "label",
        }
    }
}

/// A value as the rules see it.
#[derive(Debug, Clone, Copy)]
pub enum ValueKind<'a> {
    Str(&'a [u8]),
    Int,
    Double(f64),
}

/// Bytes allowed in a key after its first: ASCII letters, digits, `_`, `-`, `.`.
const KEY_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
        c += 1;
    }
    t
};

/// The bytes of `b` (1 to 16 of them) as two words that together hold every byte (the two
/// may overlap: a byte checked twice is still checked once correctly). Never reads past `b`.
#[inline(always)]
pub(crate) fn two_words(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    let p = b.as_ptr();
    // SAFETY: every read stays within `b` (n is 1..=16 here).
    unsafe {
        if n >= 8 {
            (
                p.cast::<u64>().read_unaligned(),
                p.add(n - 8).cast::<u64>().read_unaligned(),
            )
        } else if n >= 4 {
            let lo = u64::from(p.cast::<u32>().read_unaligned());
            let hi = u64::from(p.add(n - 4).cast::<u32>().read_unaligned());
            let w = lo | hi << 32;
            (w, w)
        } else {
            let (a, m, z) = (
                u64::from(*p),
                u64::from(*p.add(n / 2)),
                u64::from(*p.add(n - 1)),
            );
            let w = a | m << 8 | z << 16;
            let w = w | w << 24 | w << 48; // every byte one of b's
            (w, w)
        }
    }
}

const HIGH: u64 = 0x8080_8080_8080_8080;

/// True if `key` follows the rules (1 to 64 characters, only ASCII letters, digits, `_`,
/// `-` and `.`, the first a letter): one table look-up per byte (measured cheaper than
/// checking words at a time for the short keys of a log).
#[inline(always)]
pub fn key_is_valid(key: &[u8]) -> bool {
    match key.first() {
        Some(first) if first.is_ascii_alphabetic() && key.len() <= MAX_KEY_CHARS => {
            key.iter().all(|&b| KEY_BYTE[b as usize])
        }
        _ => false,
    }
}

/// True if every byte of `b` is ASCII, a word at a time.
#[inline(always)]
pub fn is_ascii(b: &[u8]) -> bool {
    let n = b.len();
    if n == 0 {
        return true;
    }
    if n <= 16 {
        let (x, y) = two_words(b);
        return (x | y) & HIGH == 0;
    }
    let p = b.as_ptr();
    let mut acc = 0u128;
    let mut i = 0;
    // SAFETY: each 16-byte read starts at or before n - 16 (n > 16 here).
    unsafe {
        while i + 16 < n {
            acc |= p.add(i).cast::<u128>().read_unaligned();
            i += 16;
        }
        acc |= p.add(n - 16).cast::<u128>().read_unaligned();
    }
    acc & (u128::from(HIGH) << 64 | u128::from(HIGH)) == 0
}

/// Keys already found valid, by their bytes: a program sends the same few keys again and
/// again, so a key of up to 16 bytes seen before is known valid after two loads and a
/// compare. Entries are keyed by content (never by address), so memory reused for another
/// key simply misses. It also finds a key given twice in one list: each entry remembers the
/// list it was last seen in, and meeting it again in that list means the same key.
#[derive(Debug, Clone)]
pub struct KeyMemo {
    slots: [Slot; 64],
    /// Numbers the lists checked, so an entry's mark says "seen in this list".
    list: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    a: u64,
    b: u64,
    /// 0: empty (keys are not empty).
    len: u8,
    list: u64,
}

/// What the memo says of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Valid, and not yet in this list.
    Valid,
    /// Valid, and already in this list: given twice.
    Twice,
    /// Breaks the rules.
    Invalid,
    /// Valid, but too long to be remembered (over 16 bytes): the caller checks duplicates.
    Unremembered,
}

impl Default for KeyMemo {
    fn default() -> Self {
        KeyMemo {
            slots: [Slot::default(); 64],
            list: 0,
        }
    }
}

impl KeyMemo {
    /// Starts a new list of keys (one log's contents, or its labels).
    #[inline(always)]
    pub fn next_list(&mut self) {
        self.list += 1;
    }

    /// Checks `key`, and marks it seen in the current list.
    #[inline(always)]
    pub fn check(&mut self, key: &[u8]) -> Seen {
        let n = key.len();
        if n == 0 || n > 16 {
            return if key_is_valid(key) {
                Seen::Unremembered
            } else {
                Seen::Invalid
            };
        }
        let (a, b) = two_words(key);
        let mut x = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (n as u64) << 59;
        x ^= x >> 31;
        let h = (x.wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 58) as usize;
        let list = self.list;
        // Two ways: the key's slot or its neighbour, so two keys of one slot both stay.
        for s in [h, h ^ 1] {
            let slot = &mut self.slots[s];
            if slot.a == a && slot.b == b && slot.len == n as u8 {
                return if std::mem::replace(&mut slot.list, list) == list {
                    Seen::Twice
                } else {
                    Seen::Valid
                };
            }
        }
        if !key_is_valid(key) {
            return Seen::Invalid;
        }
        let fresh = Slot {
            a,
            b,
            len: n as u8,
            list,
        };
        // Into an empty way, else into the key's own slot, moving its entry to the other way
        // (unless that holds a key of this list, which must stay to be found).
        if self.slots[h].len == 0 {
            self.slots[h] = fresh;
        } else if self.slots[h ^ 1].len == 0 || self.slots[h ^ 1].list != list {
            self.slots[h ^ 1] = std::mem::replace(&mut self.slots[h], fresh);
        } else if self.slots[h].list != list {
            self.slots[h] = fresh;
        } else {
            // Both ways hold other keys of this list: this key goes unremembered.
            return Seen::Unremembered;
        }
        Seen::Valid
    }
}

/// Checks a key against the documented rules. The error names the key.
pub fn check_key(field: Field, key: &str) -> Result<()> {
    if key_is_valid(key.as_bytes()) {
        return Ok(());
    }
    let why = if key.is_empty() {
        "it is empty".to_owned()
    } else if key.chars().count() > MAX_KEY_CHARS {
        format!("it is longer than {MAX_KEY_CHARS} characters")
    } else if !key.as_bytes()[0].is_ascii_alphabetic() {
        "it must start with a letter".to_owned()
    } else {
        let c = key
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or('?');
        format!("{c:?} is not allowed (only letters, digits, '_', '-' and '.')")
    };
    Err(Error::new(
        ErrorKind::InvalidKey,
        format!("invalid {} key {key:?}: {why}", field.name()),
    ))
}

/// As [`check_key`] for a key given as bytes (from the caller's memory).
pub fn check_key_bytes(field: Field, key: &[u8]) -> Result<()> {
    if key_is_valid(key) {
        return Ok(());
    }
    check_key(field, &String::from_utf8_lossy(key))
}

/// True if `b` is UTF-8; ASCII (the usual log text) is checked a word at a time.
#[inline(always)]
pub fn is_utf8(b: &[u8]) -> bool {
    is_ascii(b) || std::str::from_utf8(b).is_ok()
}

/// Checks a value: strings must not be empty (and must be UTF-8); doubles must be finite
/// (the service stores values as JSON numbers, which have no NaN or infinity).
pub fn check_value(field: Field, key: &[u8], value: ValueKind<'_>) -> Result<()> {
    let why = match value {
        ValueKind::Str([]) => "the value is empty",
        ValueKind::Str(s) if !is_utf8(s) => "the value is not valid UTF-8",
        ValueKind::Double(d) if !d.is_finite() => "the value is not a finite number",
        _ => return Ok(()),
    };
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!(
            "invalid {} {:?}: {why}",
            field.name(),
            String::from_utf8_lossy(key)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules() {
        for good in ["a", "level", "A.b-c_d9", &"k".repeat(64)] {
            check_key(Field::Content, good).unwrap();
            assert!(key_is_valid(good.as_bytes()));
        }
        for bad in [
            "",
            "9lives",
            "_x",
            "-x",
            ".x",
            "has space",
            "a:b",
            "ключ",
            "é",
            &"k".repeat(65),
        ] {
            let e = check_key(Field::Label, bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidKey, "{bad}");
            assert!(e.message.contains(&format!("{bad:?}")), "{}", e.message);
            assert!(!key_is_valid(bad.as_bytes()));
        }
        let e = check_key_bytes(Field::Content, b"a\xffb").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidKey);
    }

    #[test]
    fn the_word_at_a_time_ascii_check_agrees_with_the_standard_one() {
        let mut key = vec![b'a'];
        for len in 1..=17usize {
            key.resize(len, b'a');
            for pos in 0..len {
                for b in [b'z', b'\x7f', 0x80, 0xc3, 0xff] {
                    key[pos] = b;
                    assert_eq!(is_ascii(&key), key.is_ascii(), "{key:?}");
                }
                key[pos] = b'a';
            }
        }
        for len in 0..40 {
            let mut v = vec![b'x'; len];
            assert!(is_ascii(&v));
            for i in 0..len {
                v[i] = 0xc3;
                assert!(!is_ascii(&v), "{len} {i}");
                v[i] = b'x';
            }
        }
    }

    #[test]
    fn the_key_memo_agrees_with_the_rules_and_finds_keys_given_twice() {
        let mut memo = KeyMemo::default();
        for round in 0..3 {
            memo.next_list();
            for k in [
                "level",
                "host",
                "a",
                "latency_ms",
                "user_agent_long_x",
                "9bad",
                "a:b",
                "",
            ] {
                let seen = memo.check(k.as_bytes());
                assert_eq!(
                    seen != Seen::Invalid,
                    key_is_valid(k.as_bytes()),
                    "{k} in round {round}"
                );
                assert_ne!(seen, Seen::Twice, "{k} in round {round}");
            }
            assert_eq!(memo.check(b"host"), Seen::Twice);
        }
        // The same address holding another key misses the memo: content decides.
        let mut buf = *b"level";
        memo.next_list();
        assert_eq!(memo.check(&buf), Seen::Valid);
        buf[2] = b':';
        assert_eq!(memo.check(&buf), Seen::Invalid);
        // Many keys of one list (more than the memo holds): every repeat is still found,
        // or left to the caller as unremembered, never passed as new.
        memo.next_list();
        let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
        for k in &keys {
            assert_ne!(memo.check(k.as_bytes()), Seen::Twice, "{k}");
        }
        for k in &keys {
            assert!(
                matches!(memo.check(k.as_bytes()), Seen::Twice | Seen::Unremembered),
                "{k}"
            );
        }
    }

    #[test]
    fn value_rules() {
        let k = b"k";
        assert!(check_value(Field::Content, k, ValueKind::Str(b"v")).is_ok());
        assert!(check_value(Field::Content, k, ValueKind::Str("中".as_bytes())).is_ok());
        for bad in [
            ValueKind::Str(b""),
            ValueKind::Str(b"\xc3\x28"),
            ValueKind::Double(f64::NAN),
            ValueKind::Double(f64::INFINITY),
        ] {
            let e = check_value(Field::Label, k, bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidValue);
            assert!(e.message.contains("label \"k\""), "{}", e.message);
        }
    }
}
