//! Kenyan mobile numbers: parsing, normalisation, formatting and the network hint.
//!
//! Pure logic with no platform dependency. The accepted spellings are those PalPluss documents for
//! `POST /payments/stk` (`07XXXXXXXX`, `01XXXXXXXX`, `+254XXXXXXXXX`, `254XXXXXXXXX`), with spaces and
//! hyphens between digits and whitespace around the number tolerated. Two common slips are also
//! accepted because their meaning is unambiguous: the international dialling prefix `00` in place of
//! `+`, and a trunk `0` kept after the country code (`+254 0712 345 678`).
//!
//! A number is accepted when its nine-digit national number lies in Kenya's mobile blocks: it starts
//! with `1` or `7` (the 01x and 07x blocks of the national plan), as PalPluss itself accepts.
//! Landline, toll-free, premium-rate and foreign numbers are refused, each with its own error.
//!
//! Within those blocks, libphonenumber's metadata says which ranges are assigned today
//! ([`PHONE_DATA_VERSION`](crate::PHONE_DATA_VERSION)). A number outside them is still accepted,
//! with [`PhoneNumber::range_known`] `false` and a soft warning: the metadata ages (the KE pattern
//! grew several times in 2026) and a refused customer cannot pay at all.
//!
//! ```
//! use palpluss_stk::{PhoneNumber, Network};
//!
//! let phone: PhoneNumber = " +254 712-345-678 ".parse()?;
//! assert_eq!(phone.as_str(), "254712345678");
//! assert_eq!(phone.national(), "0712 345 678");
//! assert_eq!(phone.network(), Network::Safaricom);
//! # Ok::<(), palpluss_stk::PhoneError>(())
//! ```

#[allow(unused_imports)]
use crate::prelude::*;
use core::fmt;
use core::str::FromStr;

use crate::rules::locale::Locale;
/// The network hint lives in [`super::network`]; kept here too, where 0.1 had it.
pub use crate::rules::network::Network;
use crate::rules::phone_data::{ASSIGNED_MOBILE, NETWORK_RANGES, PREFIX_DIGITS};
use crate::rules::text::ascii_text;

/// Digits in a Kenyan national significant number (without the trunk `0`).
pub const NATIONAL_DIGITS: usize = 9;

/// The most digits a caller can type before we stop collecting them: enough for `00254` + a trunk
/// `0` + nine digits, with room to say "too long" rather than "too short".
const MAX_COLLECTED_DIGITS: usize = 16;

/// A valid Kenyan mobile number, stored in the normalised form `254XXXXXXXXX`.
///
/// The only way to get one is to parse it, so holding a `PhoneNumber` proves the number passed
/// every rule.
///
/// ```
/// use palpluss_stk::PhoneNumber;
///
/// let phone = PhoneNumber::parse("0110 123 456")?;
/// assert_eq!(phone.to_string(), "254110123456");
/// assert_eq!(phone.international(), "+254 110 123 456");
/// # Ok::<(), palpluss_stk::PhoneError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    /// ASCII digits `254` followed by the nine national digits.
    digits: [u8; 12],
}

/// Why a string is not a Kenyan mobile number.
///
/// Each variant has a stable machine code ([`PhoneError::code`]) and a message that tells the
/// customer what to type instead ([`PhoneError::message`]).
///
/// ```
/// use palpluss_stk::{PhoneNumber, PhoneError};
///
/// assert_eq!(PhoneNumber::parse("020 123 4567"), Err(PhoneError::Landline));
/// assert_eq!(PhoneError::Landline.code(), "PHONE_LANDLINE");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing but whitespace was given.
    Empty,
    /// A character other than digits, spaces, hyphens and one leading `+`.
    InvalidCharacters,
    /// Fewer digits than a Kenyan mobile number has.
    TooShort,
    /// More digits than a Kenyan mobile number has.
    TooLong,
    /// The digits start with neither `0`, `254`, `+254` nor `00254`.
    MissingPrefix,
    /// An international number with a country code other than Kenya's `254`.
    NotKenyan,
    /// A Kenyan fixed-line (landline) number, such as `020 ...` in Nairobi.
    Landline,
    /// A Kenyan toll-free number (`0800 ...`).
    TollFree,
    /// A Kenyan number outside the 01x and 07x mobile blocks (premium rate, ...).
    NotMobile,
}

impl PhoneError {
    /// Every variant, in declaration order (for tables, docs and exhaustive tests).
    pub const ALL: [PhoneError; 9] = [
        PhoneError::Empty,
        PhoneError::InvalidCharacters,
        PhoneError::TooShort,
        PhoneError::TooLong,
        PhoneError::MissingPrefix,
        PhoneError::NotKenyan,
        PhoneError::Landline,
        PhoneError::TollFree,
        PhoneError::NotMobile,
    ];

    /// The stable machine code, e.g. `"PHONE_TOO_SHORT"`.
    ///
    /// ```
    /// assert_eq!(palpluss_stk::PhoneError::TooShort.code(), "PHONE_TOO_SHORT");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            PhoneError::Empty => "PHONE_EMPTY",
            PhoneError::InvalidCharacters => "PHONE_INVALID_CHARACTERS",
            PhoneError::TooShort => "PHONE_TOO_SHORT",
            PhoneError::TooLong => "PHONE_TOO_LONG",
            PhoneError::MissingPrefix => "PHONE_MISSING_PREFIX",
            PhoneError::NotKenyan => "PHONE_NOT_KENYAN",
            PhoneError::Landline => "PHONE_LANDLINE",
            PhoneError::TollFree => "PHONE_TOLL_FREE",
            PhoneError::NotMobile => "PHONE_NOT_MOBILE",
        }
    }

    /// A message fit to show a customer, saying what to type instead (in English; see
    /// [`PhoneError::message_in`]).
    ///
    /// ```
    /// let message = palpluss_stk::PhoneError::NotKenyan.message();
    /// assert!(message.contains("Kenyan"));
    /// ```
    pub const fn message(self) -> &'static str {
        self.message_in(Locale::En)
    }

    /// The message in `locale`.
    ///
    /// ```
    /// use palpluss_stk::{Locale, PhoneError};
    ///
    /// assert!(PhoneError::TooShort.message_in(Locale::Sw).starts_with("Namba hii ni fupi"));
    /// ```
    pub const fn message_in(self, locale: Locale) -> &'static str {
        match self {
            PhoneError::Empty => locale.pick(
                "Enter your M-Pesa phone number, e.g. 0712 345 678.",
                "Weka namba yako ya simu ya M-Pesa, mfano 0712 345 678.",
            ),
            PhoneError::InvalidCharacters => locale.pick(
                "Use only the digits 0-9, spaces and hyphens, with + only at the start, e.g. 0712 345 678.",
                "Tumia tarakimu 0-9, nafasi na vistari tu, na + mwanzoni pekee, mfano 0712 345 678.",
            ),
            PhoneError::TooShort => locale.pick(
                "This number is too short: a Kenyan mobile number has 10 digits, e.g. 0712 345 678.",
                "Namba hii ni fupi mno: namba ya simu ya Kenya ina tarakimu 10, mfano 0712 345 678.",
            ),
            PhoneError::TooLong => locale.pick(
                "This number is too long: a Kenyan mobile number has 10 digits, e.g. 0712 345 678.",
                "Namba hii ni ndefu mno: namba ya simu ya Kenya ina tarakimu 10, mfano 0712 345 678.",
            ),
            PhoneError::MissingPrefix => locale.pick(
                "Start the number with 07, 01 or +254, e.g. 0712 345 678.",
                "Anza namba na 07, 01 au +254, mfano 0712 345 678.",
            ),
            PhoneError::NotKenyan => locale.pick(
                "Enter a Kenyan mobile number (+254): M-Pesa prompts go to Kenyan lines only.",
                "Weka namba ya simu ya Kenya (+254): ombi la M-Pesa hufika kwa laini za Kenya pekee.",
            ),
            PhoneError::Landline => locale.pick(
                "This is a landline number. Enter a mobile number that can receive M-Pesa, e.g. 0712 345 678.",
                "Hii ni namba ya simu ya mezani. Weka namba ya simu ya mkononi inayopokea M-Pesa, mfano 0712 345 678.",
            ),
            PhoneError::TollFree => locale.pick(
                "This is a toll-free number. Enter a mobile number that can receive M-Pesa, e.g. 0712 345 678.",
                "Hii ni namba ya huduma ya bure. Weka namba ya simu ya mkononi inayopokea M-Pesa, mfano 0712 345 678.",
            ),
            PhoneError::NotMobile => locale.pick(
                "This is not a Kenyan mobile number. Check it, or enter one starting with 07 or 01.",
                "Hii si namba ya simu ya mkononi ya Kenya. Iangalie, au weka inayoanza na 07 au 01.",
            ),
        }
    }
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for PhoneError {}

/// The digits of an input, and whether it started with `+`, read without allocating.
struct Scanned {
    digits: [u8; MAX_COLLECTED_DIGITS],
    len: usize,
    /// More digits than `MAX_COLLECTED_DIGITS` were seen.
    overflow: bool,
    plus: bool,
}

impl Scanned {
    fn digits(&self) -> &[u8] {
        self.digits.get(..self.len).unwrap_or(&[])
    }
}

/// Separators tolerated between digits: spaces (including the no-break spaces a copy from a web
/// page or a phone's contact card brings) and hyphens.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '-' | '\u{00A0}' | '\u{202F}' | '\u{2007}' | '\u{2010}' | '\u{2011}')
}

fn scan(input: &str) -> Result<Scanned, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let mut scanned = Scanned { digits: [0; MAX_COLLECTED_DIGITS], len: 0, overflow: false, plus: false };
    // By byte index, as `char_indices` would go, but an ASCII byte is its own char: numbers are
    // ASCII, and a decoder call per char was a third of the time of a parse.
    let mut i = 0;
    while let Some(&byte) = trimmed.as_bytes().get(i) {
        let c = match byte {
            0..=0x7f => char::from(byte),
            _ => trimmed.get(i..).and_then(|rest| rest.chars().next()).unwrap_or(char::REPLACEMENT_CHARACTER),
        };
        i += c.len_utf8();
        match c {
            '0'..='9' => {
                if let Some(slot) = scanned.digits.get_mut(scanned.len) {
                    *slot = c as u8;
                    scanned.len += 1;
                } else {
                    scanned.overflow = true;
                }
            }
            '+' if i == 1 => scanned.plus = true,
            c if is_separator(c) => {}
            _ => return Err(PhoneError::InvalidCharacters),
        }
    }
    Ok(scanned)
}

/// Splits the collected digits into the national number, or says why there is none.
fn national_digits(s: &Scanned) -> Result<&[u8], PhoneError> {
    if s.overflow {
        return Err(PhoneError::TooLong);
    }
    let d = s.digits();
    let international = if s.plus { Some(d) } else { d.strip_prefix(b"00".as_slice()) };
    let national = match international {
        Some(rest) => match rest.strip_prefix(b"254".as_slice()) {
            Some(national) => national,
            // A partly typed country code ("+2", "+25") is short, not foreign.
            None if b"254".starts_with(rest) => return Err(PhoneError::TooShort),
            None => return Err(PhoneError::NotKenyan),
        },
        None => {
            if let Some(national) = d.strip_prefix(b"0".as_slice()) {
                national
            } else if let Some(national) = d.strip_prefix(b"254".as_slice()) {
                national
            } else {
                return Err(PhoneError::MissingPrefix);
            }
        }
    };
    // A trunk 0 kept after the country code ("+254 0712 ...") is a common and harmless slip.
    // (After a national "0" prefix the next digit cannot be 0: "00" is read as international.)
    Ok(national.strip_prefix(b"0".as_slice()).unwrap_or(national))
}

/// Classifies a national number by its leading digits before its length is checked, so that a
/// landline or toll-free number gets its own message even when it has fewer digits than a mobile.
fn check_range(national: &[u8]) -> Result<(), PhoneError> {
    match national.first() {
        None => Err(PhoneError::TooShort),
        Some(b'2'..=b'6') => Err(PhoneError::Landline),
        Some(b'8') => range_by_prefix(national, b"800", PhoneError::TollFree),
        Some(b'9') => range_by_prefix(national, b"900", PhoneError::NotMobile),
        Some(b'0') => Err(PhoneError::NotMobile),
        Some(_) => match national.len() {
            n if n < NATIONAL_DIGITS => Err(PhoneError::TooShort),
            n if n > NATIONAL_DIGITS => Err(PhoneError::TooLong),
            _ if national.starts_with(b"1") || national.starts_with(b"7") => Ok(()),
            _ => Err(PhoneError::NotMobile),
        },
    }
}

fn range_by_prefix(national: &[u8], prefix: &[u8], error: PhoneError) -> Result<(), PhoneError> {
    if national.starts_with(prefix) {
        Err(error)
    } else if prefix.starts_with(national) {
        Err(PhoneError::TooShort)
    } else {
        Err(PhoneError::NotMobile)
    }
}

/// The national number's first [`PREFIX_DIGITS`] digits as a number, the key of the generated
/// tables; `None` unless they are ASCII digits.
fn prefix_key(national: &[u8]) -> Option<u32> {
    let prefix = national.get(..PREFIX_DIGITS)?;
    prefix.iter().try_fold(0u32, |key, d| d.is_ascii_digit().then(|| key * 10 + u32::from(d - b'0')))
}

/// Whether a national number lies in libphonenumber's assigned mobile ranges.
fn in_assigned_range(national: &[u8]) -> bool {
    national.len() == NATIONAL_DIGITS
        && prefix_key(national).is_some_and(|key| ASSIGNED_MOBILE.iter().any(|&(lo, hi)| (lo..=hi).contains(&key)))
}

impl PhoneNumber {
    /// Parses any accepted spelling of a Kenyan mobile number.
    ///
    /// ```
    /// use palpluss_stk::{PhoneNumber, PhoneError};
    ///
    /// for input in ["0712345678", "0712 345 678", "+254712345678", "254-712-345-678"] {
    ///     assert_eq!(PhoneNumber::parse(input)?.as_str(), "254712345678");
    /// }
    /// assert_eq!(PhoneNumber::parse("+44 20 7946 0958"), Err(PhoneError::NotKenyan));
    /// assert_eq!(PhoneNumber::parse("0712 345"), Err(PhoneError::TooShort));
    /// # Ok::<(), PhoneError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let scanned = scan(input)?;
        let national = national_digits(&scanned)?;
        check_range(national)?;
        let mut digits = *b"254000000000";
        for (slot, digit) in digits.iter_mut().skip(3).zip(national) {
            *slot = *digit;
        }
        Ok(PhoneNumber { digits })
    }

    /// The normalised form `254XXXXXXXXX`, as PalPluss expects it.
    pub fn as_str(&self) -> &str {
        // The digits are ASCII by construction; the fallback is never taken.
        ascii_text(&self.digits).unwrap_or("")
    }

    /// The nine-digit national significant number, e.g. `"712345678"`.
    pub fn national_number(&self) -> &str {
        self.as_str().get(3..).unwrap_or("")
    }

    /// The E.164 form, e.g. `"+254712345678"`.
    pub fn e164(&self) -> String {
        let mut out = String::with_capacity(13);
        out.push('+');
        out.push_str(self.as_str());
        out
    }

    /// The national form customers write, e.g. `"0712 345 678"`.
    ///
    /// ```
    /// let phone = palpluss_stk::PhoneNumber::parse("254712345678")?;
    /// assert_eq!(phone.national(), "0712 345 678");
    /// # Ok::<(), palpluss_stk::PhoneError>(())
    /// ```
    pub fn national(&self) -> String {
        grouped("0", self.national_number())
    }

    /// The international form, e.g. `"+254 712 345 678"`.
    ///
    /// ```
    /// let phone = palpluss_stk::PhoneNumber::parse("0712345678")?;
    /// assert_eq!(phone.international(), "+254 712 345 678");
    /// # Ok::<(), palpluss_stk::PhoneError>(())
    /// ```
    pub fn international(&self) -> String {
        grouped("+254 ", self.national_number())
    }

    /// The mobile network the number's range was assigned to (a hint: numbers are portable).
    ///
    /// ```
    /// use palpluss_stk::{PhoneNumber, Network};
    ///
    /// assert_eq!(PhoneNumber::parse("0768 000 000")?.network(), Network::Safaricom);
    /// assert_eq!(PhoneNumber::parse("0124 000 000")?.network(), Network::Equitel);
    /// # Ok::<(), palpluss_stk::PhoneError>(())
    /// ```
    pub fn network(&self) -> Network {
        network_of(self.national_number().as_bytes())
    }

    /// Whether the number lies in a range libphonenumber's metadata lists as assigned to mobile
    /// networks. `false` is a reason to let the customer double-check, never to refuse: new ranges
    /// open before any metadata knows them.
    ///
    /// ```
    /// use palpluss_stk::PhoneNumber;
    ///
    /// assert!(PhoneNumber::parse("0712 345 678")?.range_known());
    /// assert!(!PhoneNumber::parse("0150 123 456")?.range_known());
    /// # Ok::<(), palpluss_stk::PhoneError>(())
    /// ```
    pub fn range_known(&self) -> bool {
        in_assigned_range(self.national_number().as_bytes())
    }

    /// A soft warning for a number outside the known ranges ([`PhoneNumber::range_known`]), or
    /// `None`. Show it beside the field; never block on it.
    ///
    /// ```
    /// use palpluss_stk::PhoneNumber;
    ///
    /// assert_eq!(PhoneNumber::parse("0712 345 678")?.range_warning(), None);
    /// assert!(PhoneNumber::parse("0150 123 456")?.range_warning().is_some());
    /// # Ok::<(), palpluss_stk::PhoneError>(())
    /// ```
    pub fn range_warning(&self) -> Option<&'static str> {
        self.range_warning_in(Locale::En)
    }

    /// The range warning in `locale`.
    pub fn range_warning_in(&self, locale: Locale) -> Option<&'static str> {
        (!self.range_known()).then_some(locale.pick(
            "We don't recognise this number's range yet. If it is your M-Pesa number, please continue.",
            "Bado hatutambui mfululizo wa namba hii. Kama ni namba yako ya M-Pesa, endelea tu.",
        ))
    }
}

/// The carrier libphonenumber's map gives the number's range (generated table, longest prefix).
fn network_of(national: &[u8]) -> Network {
    prefix_key(national)
        .and_then(|key| NETWORK_RANGES.iter().find(|&&(lo, hi, _)| (lo..=hi).contains(&key)))
        .map_or(Network::Other, |&(_, _, network)| network)
}

/// `prefix` then the national digits grouped 3-3-3 (the grouping libphonenumber uses for KE mobiles).
fn grouped(prefix: &str, national: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + national.len() + 2);
    out.push_str(prefix);
    for (i, group) in national.as_bytes().chunks(3).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Digits: ASCII.
        out.push_str(ascii_text(group).unwrap_or(""));
    }
    out
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = PhoneError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        PhoneNumber::parse(s)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.as_str()).finish()
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PhoneVisitor;
        impl serde::de::Visitor<'_> for PhoneVisitor {
            type Value = PhoneNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kenyan mobile number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PhoneNumber, E> {
                PhoneNumber::parse(v).map_err(|e| E::custom(e.code()))
            }
        }
        deserializer.deserialize_str(PhoneVisitor)
    }
}

/// Normalises any accepted spelling to `254XXXXXXXXX`.
///
/// ```
/// assert_eq!(palpluss_stk::normalize_phone("0712 345 678").as_deref(), Ok("254712345678"));
/// assert_eq!(
///     palpluss_stk::normalize_phone("0800 720 000").map_err(|e| e.code()),
///     Err("PHONE_TOLL_FREE"),
/// );
/// ```
pub fn normalize_phone(input: &str) -> Result<String, PhoneError> {
    PhoneNumber::parse(input).map(|phone| phone.as_str().to_owned())
}

/// Formats a partly typed number the way it will finally look, for a phone field that formats as
/// the customer types.
///
/// Digits are grouped as `0712 345 678`, `+254 712 345 678` or `254 712 345 678` depending on how the
/// customer started. Input that cannot become a Kenyan number in one of those spellings (letters,
/// a foreign country code, too many digits) is returned unchanged, so that nothing the customer
/// typed disappears and validation can explain what is wrong.
///
/// ```
/// use palpluss_stk::format_phone_as_you_type as fmt;
///
/// assert_eq!(fmt("07"), "07");
/// assert_eq!(fmt("07123"), "0712 3");
/// assert_eq!(fmt("0712345678"), "0712 345 678");
/// assert_eq!(fmt("+2547123"), "+254 712 3");
/// assert_eq!(fmt("0712a"), "0712a");
/// ```
pub fn format_phone_as_you_type(input: &str) -> String {
    let Ok(scanned) = scan(input) else {
        return input.to_owned();
    };
    if scanned.overflow {
        return input.to_owned();
    }
    let d = scanned.digits();
    let as_text = |bytes: &[u8]| ascii_text(bytes).unwrap_or("").to_owned();
    let (prefix, national): (&str, &[u8]) = if scanned.plus {
        match d.strip_prefix(b"254".as_slice()) {
            Some(rest) => ("+254 ", rest),
            None if b"254".starts_with(d) => return crate::rules::text::join(&["+", &as_text(d)]),
            None => return input.to_owned(),
        }
    } else if let Some(rest) = d.strip_prefix(b"0".as_slice()) {
        ("0", rest)
    } else if let Some(rest) = d.strip_prefix(b"254".as_slice()) {
        ("254 ", rest)
    } else {
        return input.to_owned();
    };
    // Only mobile ranges (1..., 7...) are grouped 3-3-3; anything else is left as typed.
    if national.len() > NATIONAL_DIGITS || national.first().is_some_and(|d| !matches!(d, b'1' | b'7')) {
        return input.to_owned();
    }
    let national = as_text(national);
    if national.is_empty() {
        return prefix.trim_end().to_owned();
    }
    grouped(prefix, &national)
}
