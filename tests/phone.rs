//! Phone parsing, normalisation, formatting and the network hint (native).
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use palpluss_stk::{
    format_phone_as_you_type, normalize_phone, Network, PhoneError, PhoneNumber, KE_MOBILE_PATTERN, PHONE_DATA_VERSION,
};
use regex::Regex;

/// The KE mobile pattern of the generated data, anchored, in a real regex engine.
fn ke_mobile() -> Regex {
    Regex::new(&format!("^(?:{KE_MOBILE_PATTERN})$")).unwrap()
}

/// The newest pattern DESIGN.md quotes (libphonenumber-js 1.13.16, November 2026): the generated
/// data must be at least as new.
const KE_MOBILE_NOVEMBER_2026: &str = r"(?:1(?:0[0-8]|[18]\d|2[014]|3[05-9]|4[0-6])|7\d\d)\d{6}";

fn parse(input: &str) -> Result<String, PhoneError> {
    normalize_phone(input)
}

#[test]
fn every_accepted_spelling_normalises_to_254() {
    let cases = [
        "0712345678",
        "0712 345 678",
        "0712-345-678",
        "  0712345678\t",
        "+254712345678",
        "+254 712 345 678",
        "+254-712-345-678",
        "254712345678",
        "254 712 345678",
        "00254712345678",
        "+254 0712 345 678",
        "2540712345678",
        "0712\u{00A0}345\u{00A0}678",
        "\u{3000}0712345678\u{3000}",
    ];
    for input in cases {
        assert_eq!(parse(input).as_deref(), Ok("254712345678"), "input {input:?}");
    }
}

#[test]
fn the_01_ranges_normalise() {
    assert_eq!(parse("0110 123 456").as_deref(), Ok("254110123456"));
    assert_eq!(parse("+254 101 234 567").as_deref(), Ok("254101234567"));
}

#[test]
fn each_error_has_its_cause() {
    let cases: &[(&str, PhoneError)] = &[
        ("", PhoneError::Empty),
        ("   \t\n", PhoneError::Empty),
        ("0712 345 67a", PhoneError::InvalidCharacters),
        ("(0712) 345 678", PhoneError::InvalidCharacters),
        ("0712.345.678", PhoneError::InvalidCharacters),
        ("07+12345678", PhoneError::InvalidCharacters),
        ("++254712345678", PhoneError::InvalidCharacters),
        ("\u{FF10}\u{FF17}12345678", PhoneError::InvalidCharacters),
        ("\u{0660}\u{0667}12345678", PhoneError::InvalidCharacters),
        ("\u{200F}0712345678", PhoneError::InvalidCharacters),
        ("0712345678\u{0000}", PhoneError::InvalidCharacters),
        ("07123456\u{1F600}", PhoneError::InvalidCharacters),
        ("0", PhoneError::TooShort),
        ("07", PhoneError::TooShort),
        ("071234567", PhoneError::TooShort),
        ("+", PhoneError::TooShort),
        ("+25", PhoneError::TooShort),
        ("+254", PhoneError::TooShort),
        ("25471234567", PhoneError::TooShort),
        ("07123456789", PhoneError::TooLong),
        ("2547123456789", PhoneError::TooLong),
        ("07123456789012345678", PhoneError::TooLong),
        ("712345678", PhoneError::MissingPrefix),
        ("12345", PhoneError::MissingPrefix),
        ("+44 20 7946 0958", PhoneError::NotKenyan),
        ("+255 712 345 678", PhoneError::NotKenyan),
        ("0044 20 7946 0958", PhoneError::NotKenyan),
        ("+1", PhoneError::NotKenyan),
        ("020 123 4567", PhoneError::Landline),
        ("041 222 3333", PhoneError::Landline),
        ("+254 20 123 4567", PhoneError::Landline),
        ("057 123", PhoneError::Landline),
        ("0800 720 000", PhoneError::TollFree),
        ("0800 123 45", PhoneError::TollFree),
        ("0900 123 456", PhoneError::NotMobile),
        ("0812 345 678", PhoneError::NotMobile),
        ("0912 345 678", PhoneError::NotMobile),
        ("+254 00 712 345", PhoneError::NotMobile),
        ("08", PhoneError::TooShort),
    ];
    for (input, expected) in cases {
        assert_eq!(PhoneNumber::parse(input), Err(*expected), "input {input:?}");
    }
}

#[test]
fn every_error_code_is_distinct_stable_and_explained() {
    let codes: Vec<&str> = PhoneError::ALL.iter().map(|e| e.code()).collect();
    assert_eq!(
        codes,
        [
            "PHONE_EMPTY",
            "PHONE_INVALID_CHARACTERS",
            "PHONE_TOO_SHORT",
            "PHONE_TOO_LONG",
            "PHONE_MISSING_PREFIX",
            "PHONE_NOT_KENYAN",
            "PHONE_LANDLINE",
            "PHONE_TOLL_FREE",
            "PHONE_NOT_MOBILE",
        ]
    );
    for e in PhoneError::ALL {
        assert!(e.message().ends_with('.'), "{e:?} message ends a sentence");
        assert_eq!(e.to_string(), e.message());
    }
}

/// Every three-digit national prefix, at the start, middle and end of its block: the 01x and 07x
/// blocks are accepted, and `range_known` says exactly what libphonenumber's pattern says.
#[test]
fn mobile_blocks_are_accepted_and_ranges_match_libphonenumber() {
    let pattern = ke_mobile();
    let mut unknown = 0;
    for prefix in 100..1000 {
        for suffix in ["000000", "499999", "999999"] {
            let national = format!("{prefix}{suffix}");
            let result = PhoneNumber::parse(&format!("0{national}"));
            match national.as_bytes()[0] {
                b'1' | b'7' => {
                    let phone = result.unwrap_or_else(|e| panic!("0{national} refused: {e:?}"));
                    assert_eq!(phone.as_str(), format!("254{national}"));
                    assert_eq!(phone.range_known(), pattern.is_match(&national), "0{national}");
                    assert_eq!(phone.range_warning().is_some(), !phone.range_known(), "0{national}");
                    unknown += usize::from(!phone.range_known());
                }
                first => {
                    let expected = match first {
                        b'2'..=b'6' => PhoneError::Landline,
                        _ if national.starts_with("800") => PhoneError::TollFree,
                        _ => PhoneError::NotMobile,
                    };
                    assert_eq!(result, Err(expected), "0{national}");
                }
            }
        }
    }
    // The 01x block has unassigned prefixes today (109, 15x, ...): the warning path is exercised.
    assert!(unknown > 0);
}

#[test]
fn numbers_outside_the_known_ranges_are_accepted_with_a_warning() {
    for input in ["0150 123 456", "0125 123 456", "0131 123 456", "0109 123 456", "+254 199 999 999"] {
        let phone = PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input} refused: {e:?}"));
        assert!(!phone.range_known(), "{input}");
        assert!(phone.range_warning().is_some_and(|w| w.contains("M-Pesa")), "{input}");
    }
    // The ranges that were refused until November 2026 are known now.
    for input in ["0135 123 456", "0139 999 999", "0146 000 000", "+254 146 123 456"] {
        let phone = PhoneNumber::parse(input).unwrap();
        assert!(phone.range_known(), "{input}");
        assert_eq!(phone.range_warning(), None, "{input}");
    }
}

/// The generated data is at least as new as the newest pattern DESIGN.md quotes: every number
/// that pattern calls mobile is in a known range.
#[test]
fn generated_data_is_not_older_than_november_2026() {
    let november = Regex::new(&format!("^(?:{KE_MOBILE_NOVEMBER_2026})$")).unwrap();
    for prefix in 10_000..100_000 {
        let national = format!("{prefix}7531");
        if november.is_match(&national) {
            assert!(PhoneNumber::parse(&format!("0{national}")).unwrap().range_known(), "0{national}");
        }
    }
    assert!(PHONE_DATA_VERSION.contains("9.0."), "{PHONE_DATA_VERSION}");
}

/// The network hint against the raw carrier map the generator read (tests/data/ke-carriers.tsv):
/// for every three- and four-digit prefix of the mobile blocks, the longest matching prefix's
/// carrier, mapped to the networks we name (Finserve runs Equitel; other carriers are "other").
#[test]
fn network_hint_follows_the_carrier_map() {
    let raw = include_str!("data/ke-carriers.tsv");
    let map: Vec<(&str, &str)> =
        raw.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('\t')).collect();
    assert!(map.len() > 20, "the carrier map has {} KE entries", map.len());
    let network = |carrier: &str| match carrier {
        "Safaricom" => Network::Safaricom,
        "Airtel" => Network::Airtel,
        "Telkom" => Network::Telkom,
        "Finserve" | "Equitel" => Network::Equitel,
        _ => Network::Other,
    };
    for prefix in (1000..2000).chain(7000..8000) {
        let national = format!("{prefix}12345");
        let expected = map
            .iter()
            .filter(|(p, _)| national.starts_with(p))
            .max_by_key(|(p, _)| p.len())
            .map_or(Network::Other, |(_, carrier)| network(carrier));
        let phone = PhoneNumber::parse(&format!("0{national}")).unwrap();
        assert_eq!(phone.network(), expected, "0{national}");
    }
}

/// A few hints checked by hand against libphonenumber's carrier files, so a broken generator
/// cannot agree with itself.
#[test]
fn network_hint_spot_checks() {
    let cases = [
        ("0712 345 678", Network::Safaricom),
        ("0110 123 456", Network::Safaricom),
        ("0146 123 456", Network::Safaricom),
        ("0757 000 000", Network::Safaricom),
        ("0769 000 000", Network::Safaricom),
        ("0733 123 456", Network::Airtel),
        ("0100 000 000", Network::Airtel),
        ("0135 123 456", Network::Airtel),
        ("0750 000 000", Network::Airtel),
        ("0777 000 000", Network::Telkom),
        ("0120 000 000", Network::Telkom),
        ("0124 000 000", Network::Equitel),
        ("0744 000 000", Network::Other),
        ("0150 000 000", Network::Other),
    ];
    for (input, expected) in cases {
        assert_eq!(PhoneNumber::parse(input).unwrap().network(), expected, "{input}");
    }
}

#[test]
fn only_safaricom_has_no_mpesa_warning() {
    for network in [Network::Safaricom, Network::Airtel, Network::Telkom, Network::Equitel, Network::Other] {
        assert_eq!(network.mpesa_warning().is_none(), network.supports_mpesa(), "{network:?}");
        assert_eq!(network.to_string(), network.name());
    }
}

#[test]
fn formats() {
    let phone = PhoneNumber::parse("+254 110-123-456").unwrap();
    assert_eq!(phone.as_str(), "254110123456");
    assert_eq!(phone.national_number(), "110123456");
    assert_eq!(phone.national(), "0110 123 456");
    assert_eq!(phone.international(), "+254 110 123 456");
    assert_eq!(phone.e164(), "+254110123456");
    assert_eq!(phone.to_string(), "254110123456");
    assert_eq!(format!("{phone:?}"), "PhoneNumber(\"254110123456\")");
    assert_eq!("0110123456".parse::<PhoneNumber>(), Ok(phone));
    assert_eq!(PhoneNumber::try_from("0110123456"), Ok(phone));
}

#[test]
fn formats_as_you_type() {
    let cases = [
        ("", ""),
        ("0", "0"),
        ("07", "07"),
        ("071", "071"),
        ("0712", "0712"),
        ("07123", "0712 3"),
        ("071234", "0712 34"),
        ("0712345", "0712 345"),
        ("07123456", "0712 345 6"),
        ("0712345678", "0712 345 678"),
        ("0712 34-5678", "0712 345 678"),
        ("+", "+"),
        ("+2", "+2"),
        ("+25", "+25"),
        ("+254", "+254"),
        ("+2547", "+254 7"),
        ("+254712345678", "+254 712 345 678"),
        ("254", "254"),
        ("2547123", "254 712 3"),
        ("254712345678", "254 712 345 678"),
        // Nothing the customer typed disappears when it cannot be formatted.
        ("07123456789", "07123456789"),
        ("0712a", "0712a"),
        ("+44 20", "+44 20"),
        ("712", "712"),
        ("+254 0712", "+254 0712"),
        ("020 123 4567", "020 123 4567"),
        ("0800720000", "0800720000"),
    ];
    for (input, expected) in cases {
        assert_eq!(format_phone_as_you_type(input), expected, "input {input:?}");
    }
}

#[test]
fn serde_round_trip_and_rejects_invalid() {
    let phone: PhoneNumber = serde_json::from_str("\"0712 345 678\"").unwrap();
    assert_eq!(serde_json::to_string(&phone).unwrap(), "\"254712345678\"");
    let err = serde_json::from_str::<PhoneNumber>("\"0201234567\"").unwrap_err();
    assert!(err.to_string().contains("PHONE_LANDLINE"), "{err}");
    assert!(serde_json::from_str::<PhoneNumber>("712345678").is_err());
}

#[test]
fn a_megabyte_of_input_is_answered() {
    let long = "7".repeat(1 << 20);
    assert_eq!(parse(&long), Err(PhoneError::TooLong));
    let long_bad = format!("{long}x");
    assert_eq!(parse(&long_bad), Err(PhoneError::InvalidCharacters));
    assert_eq!(format_phone_as_you_type(&long).len(), long.len());
}
