//! The network hint: which carrier a number's range was first assigned to.

use core::fmt;

use crate::rules::locale::Locale;

/// The mobile network a number was first assigned to, from libphonenumber's carrier map.
///
/// A hint, not a rule: Kenyan numbers have been portable between networks since 2011. M-Pesa STK
/// prompts only reach Safaricom lines, so a form may warn about other networks but must not block.
///
/// ```
/// use palpluss_stk::{PhoneNumber, Network};
///
/// assert_eq!(PhoneNumber::parse("0733 123 456")?.network(), Network::Airtel);
/// assert_eq!(Network::Airtel.as_str(), "airtel");
/// # Ok::<(), palpluss_stk::PhoneError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Network {
    /// Safaricom, the M-Pesa network.
    Safaricom,
    /// Airtel Kenya.
    Airtel,
    /// Telkom Kenya.
    Telkom,
    /// Equitel (Finserve).
    Equitel,
    /// A range with no carrier in the map, or one of the smaller networks.
    Other,
}

impl Network {
    /// A stable lowercase identifier: `"safaricom"`, `"airtel"`, `"telkom"`, `"equitel"` or `"other"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Network::Safaricom => "safaricom",
            Network::Airtel => "airtel",
            Network::Telkom => "telkom",
            Network::Equitel => "equitel",
            Network::Other => "other",
        }
    }

    /// The network's name as customers know it, e.g. `"Safaricom"`.
    pub const fn name(self) -> &'static str {
        match self {
            Network::Safaricom => "Safaricom",
            Network::Airtel => "Airtel",
            Network::Telkom => "Telkom",
            Network::Equitel => "Equitel",
            Network::Other => "another network",
        }
    }

    /// A warning to show beside a number from this range, or `None` for Safaricom (in English;
    /// see [`Network::mpesa_warning_in`]). Never a reason to block: the number may have been
    /// ported to Safaricom.
    ///
    /// ```
    /// use palpluss_stk::Network;
    ///
    /// assert_eq!(Network::Safaricom.mpesa_warning(), None);
    /// assert!(Network::Airtel.mpesa_warning().is_some_and(|w| w.contains("Airtel")));
    /// ```
    pub const fn mpesa_warning(self) -> Option<&'static str> {
        self.mpesa_warning_in(Locale::En)
    }

    /// The warning in `locale`.
    ///
    /// ```
    /// use palpluss_stk::{Locale, Network};
    ///
    /// assert!(Network::Telkom.mpesa_warning_in(Locale::Sw).is_some_and(|w| w.contains("Telkom")));
    /// ```
    pub const fn mpesa_warning_in(self, locale: Locale) -> Option<&'static str> {
        Some(match self {
            Network::Safaricom => return None,
            Network::Airtel => locale.pick(
                "This looks like an Airtel number. M-Pesa prompts reach Safaricom lines only, unless the number has moved to Safaricom.",
                "Hii inaonekana kuwa namba ya Airtel. Ombi la M-Pesa hufika kwa laini za Safaricom pekee, isipokuwa kama namba imehamia Safaricom.",
            ),
            Network::Telkom => locale.pick(
                "This looks like a Telkom number. M-Pesa prompts reach Safaricom lines only, unless the number has moved to Safaricom.",
                "Hii inaonekana kuwa namba ya Telkom. Ombi la M-Pesa hufika kwa laini za Safaricom pekee, isipokuwa kama namba imehamia Safaricom.",
            ),
            Network::Equitel => locale.pick(
                "This looks like an Equitel number. M-Pesa prompts reach Safaricom lines only, unless the number has moved to Safaricom.",
                "Hii inaonekana kuwa namba ya Equitel. Ombi la M-Pesa hufika kwa laini za Safaricom pekee, isipokuwa kama namba imehamia Safaricom.",
            ),
            Network::Other => locale.pick(
                "M-Pesa prompts reach Safaricom lines only: check that this number is on Safaricom.",
                "Ombi la M-Pesa hufika kwa laini za Safaricom pekee: hakikisha namba hii iko Safaricom.",
            ),
        })
    }

    /// Whether M-Pesa STK prompts are expected to reach a line first assigned to this network.
    pub const fn supports_mpesa(self) -> bool {
        matches!(self, Network::Safaricom)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
