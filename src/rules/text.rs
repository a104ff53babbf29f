//! Small text helpers, written out rather than taken from `core::str` where core's general
//! versions cost the browser module more than the rules need: the UTF-8 validator behind
//! `str::from_utf8` (0.7 KB), the char searcher behind `split_once(char)` and `contains(char)`
//! with `memchr` (0.9 KB), and `Iterator::nth` (0.4 KB). Each gives exactly what the core function
//! would (tested against it).

#[allow(unused_imports)]
use crate::prelude::*;

/// The bytes as text when they are all ASCII (the only bytes the callers have).
pub(crate) fn ascii_text(bytes: &[u8]) -> Option<&str> {
    // SAFETY: ASCII is UTF-8.
    bytes.iter().all(u8::is_ascii).then(|| unsafe { core::str::from_utf8_unchecked(bytes) })
}

/// How many chars `text` has (`text.chars().count()`): its bytes that do not continue a char.
pub(crate) fn char_count(text: &str) -> usize {
    text.bytes().filter(|&b| (b as i8) >= -0x40).count()
}

/// `text` split around the first `byte`, an ASCII byte (so both sides are whole chars):
/// `str::split_once` with a char.
pub(crate) fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let (before, from) = text.split_at_checked(text.bytes().position(|b| b == byte)?)?;
    Some((before, from.get(1..)?))
}

/// `["a", "b"]` -> `"ab"`: `[..].concat()` without its generic copy loop, which costs the browser
/// entry a kilobyte of wasm.
pub(crate) fn join(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `250000` -> `"250000"`, without pulling in the formatting machinery (it costs kilobytes of wasm).
pub(crate) fn decimal(mut n: u64) -> String {
    let mut reversed = Vec::with_capacity(20);
    loop {
        reversed.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    reversed.iter().rev().map(|&b| char::from(b)).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn char_count_is_chars_count(text in "\\PC{0,40}|.{0,40}") {
            prop_assert_eq!(char_count(&text), text.chars().count());
        }

        #[test]
        fn split_at_byte_is_split_once(text in "[:.\\]aé€😀]{0,12}", byte in prop::sample::select(vec![b':', b'.', b']'])) {
            prop_assert_eq!(split_at_byte(&text, byte), text.split_once(char::from(byte)));
        }

        #[test]
        fn ascii_text_is_from_utf8_on_ascii(bytes in prop::collection::vec(any::<u8>(), 0..12)) {
            let expected = core::str::from_utf8(&bytes).ok().filter(|t| t.is_ascii());
            prop_assert_eq!(ascii_text(&bytes), expected);
        }
    }
}
