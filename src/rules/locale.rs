//! The languages of the customer messages: English and Kiswahili.
//!
//! Every message the rules, the proxy and the payment lifecycle show a customer exists in both
//! languages; machine codes never change with the language. Messages meant for the developer
//! (server configuration, route and header mistakes) stay in English.
//!
//! ```
//! use palpluss_stk::Locale;
//!
//! assert_eq!("sw".parse::<Locale>(), Ok(Locale::Sw));
//! assert_eq!("en-KE".parse::<Locale>(), Ok(Locale::En));
//! assert!("fr".parse::<Locale>().is_err());
//! assert_eq!(Locale::from_accept_language("sw-KE,sw;q=0.9,en;q=0.8"), Locale::Sw);
//! assert_eq!(Locale::from_accept_language("fr-FR"), Locale::En);
//! ```

use core::fmt;
use core::str::FromStr;

/// A language of the customer messages. English is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Locale {
    /// English (`en`).
    #[default]
    En,
    /// Kiswahili (`sw`), as a shopper in Nairobi writes it.
    Sw,
}

/// Accept-Language entries looked at; a longer header is someone's experiment, not a browser.
const MAX_LANGUAGE_RANGES: usize = 32;

impl Locale {
    /// The language tag: `"en"` or `"sw"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Sw => "sw",
        }
    }

    /// The message of the two for this language. Messages are written side by side with it, so a
    /// reviewer reads each pair together.
    #[inline(always)]
    pub(crate) const fn pick(self, en: &'static str, sw: &'static str) -> &'static str {
        match self {
            Locale::En => en,
            Locale::Sw => sw,
        }
    }

    /// The language a BCP 47 tag names by its primary subtag (`sw`, `sw-KE`, `EN-gb`), if it is
    /// one of ours.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        // Bytes, not a pattern split: this runs in the browser entry, where every generic string
        // searcher costs wasm.
        let tag = tag.trim().as_bytes();
        let (Some(&[a, b]), rest) = (tag.get(..2), tag.get(2..).unwrap_or_default()) else { return None };
        if !matches!(rest.first(), None | Some(b'-' | b'_')) {
            return None;
        }
        match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
            [b'e', b'n'] => Some(Locale::En),
            [b's', b'w'] => Some(Locale::Sw),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers among ours: the one with the highest
    /// weight (`q`), the first listed on a tie; English when it names neither (or is not a valid
    /// header). A weight of 0 means "not this one".
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(u16, Locale)> = None;
        for range in header.split(',').take(MAX_LANGUAGE_RANGES) {
            let mut parts = range.split(';');
            let Some(locale) = parts.next().and_then(Locale::from_tag) else { continue };
            let weight = parts.find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")));
            let Some(weight) = weight.map_or(Some(1000), parse_weight) else { continue };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map_or(Locale::En, |(_, locale)| locale)
    }
}

/// An RFC 9110 weight (`0`, `0.5`, `1.000`) in thousandths; `None` when it is not one.
fn parse_weight(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths =
        fraction.bytes().chain(core::iter::repeat(b'0')).take(3).fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Why a text is not one of our languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownLocale;

impl fmt::Display for UnknownLocale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown locale: use \"en\" or \"sw\"")
    }
}

impl core::error::Error for UnknownLocale {}

impl FromStr for Locale {
    type Err = UnknownLocale;

    /// A BCP 47 tag whose primary subtag is `en` or `sw`.
    fn from_str(tag: &str) -> Result<Locale, UnknownLocale> {
        Locale::from_tag(tag).ok_or(UnknownLocale)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
