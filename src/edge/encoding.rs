//! The encodings the edge's formats share: base64 (the Basic credentials), base64url (tokens and
//! intents), hex (signatures and digests), HMAC-SHA256 and SHA-256, constant-time equality, the
//! request id's UUID, percent-encoding and ISO 8601 times. Each written once, tested natively.

#[allow(unused_imports)]
use crate::prelude::*;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 over `parts` in order (shared by event signatures and checkout intents).
pub(crate) fn hmac(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length; the error branch cannot happen.
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    for part in parts {
        mac.update(part);
    }
    mac
}

/// RFC 4648 section 5 base64url, without `=` padding.
pub fn base64url(bytes: &[u8]) -> String {
    base64_encode(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false)
}

/// Base64 with the given alphabet, `=`-padded or not (the Basic credentials use the standard
/// alphabet with padding, tokens the URL alphabet without).
pub(crate) fn base64_encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (n >> (18 - 6 * i)) & 63;
                out.push(char::from(alphabet.get(index as usize).copied().unwrap_or(b'A')));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with padding (for the Basic credentials).
pub(crate) fn base64(input: &[u8]) -> String {
    base64_encode(input, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true)
}

/// Standard base64 (RFC 4648 section 4) as Standard Webhooks secrets spell it: `+` and `/`, with
/// its `=` padding or without; `None` for anything else.
///
/// ```
/// use palpluss_stk::edge::encoding::base64_decode;
///
/// assert_eq!(base64_decode("aGk+Pw==").as_deref(), Some(&b"hi>?"[..]));
/// assert_eq!(base64_decode("aGk+Pw").as_deref(), Some(&b"hi>?"[..]));
/// assert_eq!(base64_decode("aGk-Pw"), None, "base64url is another alphabet");
/// assert_eq!(base64_decode("aGk+P==="), None);
/// ```
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let unpadded = text.strip_suffix("==").or_else(|| text.strip_suffix('=')).unwrap_or(text);
    if unpadded.bytes().any(|b| b == b'-' || b == b'_') {
        return None;
    }
    base64url_decode(&unpadded.replace('+', "-").replace('/', "_"))
}

/// Strict RFC 4648 section 5 base64url without padding: `None` for padding, other characters, an
/// impossible length, or non-zero trailing bits (so each value has one spelling).
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        // Bits beyond the kept bytes must be zero.
        if bytes.iter().skip(keep).any(|&b| b != 0) {
            return None;
        }
        out.extend(bytes.iter().take(keep));
    }
    Some(out)
}

/// Lowercase hex of SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS.get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
        out.push(char::from(DIGITS.get(usize::from(b & 15)).copied().unwrap_or(b'0')));
    }
    out
}

pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    text.as_bytes().chunks(2).map(|pair| Some(digit(*pair.first()?)? << 4 | digit(*pair.get(1)?)?)).collect()
}

/// Equality whose time depends on the lengths only, not on where the bytes differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Formats 16 random bytes as a version 4 UUID (the request id).
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let digit = |n: u8| char::from(HEX.get(usize::from(n)).copied().unwrap_or(b'0'));
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// Percent-encodes everything but unreserved characters (for an id in a URL path).
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF".get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
            out.push(char::from(b"0123456789ABCDEF".get(usize::from(b & 15)).copied().unwrap_or(b'0')));
        }
    }
    out
}

/// Days from 1970-01-01 to a date of the Gregorian calendar (Howard Hinnant's
/// `days_from_civil`); `None` before 1970. The day is not checked against the month's length.
///
/// ```
/// use palpluss_stk::edge::encoding::unix_days;
///
/// assert_eq!(unix_days(1970, 1, 1), Some(0));
/// assert_eq!(unix_days(2026, 12, 2), Some(20_789));
/// assert_eq!(unix_days(1969, 12, 31), None);
/// ```
pub fn unix_days(year: u64, month: u64, day: u64) -> Option<u64> {
    let (y, m) = if month <= 2 { (year.checked_sub(1)?, month + 9) } else { (year, month.checked_sub(3)?) };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day.checked_sub(1)?;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

/// Unix milliseconds as ISO 8601 UTC, e.g. `2026-11-30T08:15:00.000Z`.
///
/// ```
/// assert_eq!(palpluss_stk::edge::encoding::iso8601(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(palpluss_stk::edge::encoding::iso8601(1_796_026_500_123), "2026-11-30T08:15:00.123Z");
/// ```
pub fn iso8601(unix_ms: u64) -> String {
    let days = unix_ms / 86_400_000;
    let ms_of_day = unix_ms % 86_400_000;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}
