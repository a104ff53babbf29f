//! Properties over generated inputs (native): formatting round-trips, no input panics, and the
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies
//! validators agree with the phone parser.

use palpluss_stk::{
    format_phone_as_you_type, CheckoutForm, ErrorCode, Limits, PhoneNumber, RawStkRequest, RawValue, StkPushRequest,
};
use proptest::prelude::*;

/// A valid national number: a prefix of the 01x or 07x mobile blocks (assigned or not) then digits.
fn national() -> impl Strategy<Value = String> {
    let prefix =
        prop_oneof![(0u32..100).prop_map(|n| format!("7{n:02}")), (0u32..100).prop_map(|n| format!("1{n:02}"))];
    (prefix, 0u32..1_000_000).prop_map(|(p, rest)| format!("{p}{rest:06}"))
}

/// One of the accepted spellings of a national number, with separators sprinkled in (the no-break
/// spaces and hyphens a copy from a web page or a phone's contacts brings too).
fn spelling() -> impl Strategy<Value = (String, String)> {
    let separator = prop_oneof![4 => Just(""), 2 => Just(" "), 2 => Just("-"), 1 => Just("\u{a0}"), 1 => Just("\u{202f}"), 1 => Just("\u{2011}")];
    (national(), 0usize..5, proptest::collection::vec(separator, 14)).prop_map(|(n, form, seps)| {
        let digits = match form {
            0 => format!("0{n}"),
            1 => format!("+254{n}"),
            2 => format!("254{n}"),
            3 => format!("00254{n}"),
            _ => format!("+2540{n}"),
        };
        let mut spelled = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && c != '+' {
                spelled.push_str(seps.get(i).copied().unwrap_or(""));
            }
            spelled.push(c);
        }
        (format!(" {spelled}\t"), format!("254{n}"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn every_spelling_normalises(( input, expected ) in spelling()) {
        prop_assert_eq!(PhoneNumber::parse(&input).map(|p| p.as_str().to_owned()), Ok(expected));
    }

    #[test]
    fn formats_parse_back_to_the_same_number(n in national()) {
        let phone = PhoneNumber::parse(&format!("0{n}")).unwrap();
        for formatted in [phone.national(), phone.international(), phone.e164(), phone.to_string()] {
            prop_assert_eq!(PhoneNumber::parse(&formatted), Ok(phone));
        }
    }

    #[test]
    fn formatting_as_you_type_keeps_the_number((input, _) in spelling(), cut in 0usize..20) {
        // Whole inputs keep their meaning...
        let formatted = format_phone_as_you_type(&input);
        prop_assert_eq!(PhoneNumber::parse(&formatted), PhoneNumber::parse(&input));
        // ...and so does every prefix a customer passes through while typing.
        let partial: String = input.chars().take(cut).collect();
        let formatted = format_phone_as_you_type(&partial);
        prop_assert_eq!(PhoneNumber::parse(&formatted), PhoneNumber::parse(&partial), "{:?}", partial);
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        prop_assert_eq!(digits(&formatted), digits(&partial));
    }

    #[test]
    fn no_string_panics(input in any::<String>()) {
        let parsed = PhoneNumber::parse(&input);
        let _ = format_phone_as_you_type(&input);
        if let Ok(phone) = parsed {
            prop_assert_eq!(phone.as_str().len(), 12);
        }
    }

    #[test]
    fn no_phone_like_string_panics(input in "[+0-9 \\-\u{a0}a\u{660}]{0,24}") {
        let _ = PhoneNumber::parse(&input);
        let _ = format_phone_as_you_type(&input);
    }

    #[test]
    fn no_json_body_panics(body in any::<Vec<u8>>()) {
        if let Ok(raw) = serde_json::from_slice::<RawStkRequest>(&body) {
            let _ = StkPushRequest::validate(&raw, &Limits::default());
            let _ = CheckoutForm::validate(&raw, &Limits::default());
        }
    }

    #[test]
    fn no_field_values_panic(
        amount in raw_value(), phone in raw_value(), reference in raw_value(), desc in raw_value(),
        url in raw_value(), channel in raw_value(), intent in raw_value(), turnstile in raw_value(),
        max in 1u64..1_000_000,
    ) {
        let raw = RawStkRequest {
            amount, phone, account_reference: reference, transaction_desc: desc,
            callback_url: url, channel_id: channel, credential_id: RawValue::Missing,
            intent, turnstile_token: turnstile,
        };
        let limits = Limits::with_amount_max(max).unwrap();
        match StkPushRequest::validate(&raw, &limits) {
            Ok(request) => prop_assert!(request.amount() >= 1 && request.amount() <= max),
            Err(errors) => prop_assert!(errors.len() >= 1 && errors.len() <= 7),
        }
        match CheckoutForm::validate(&raw, &limits) {
            Ok(form) => {
                prop_assert!(form.intent().is_none_or(|t| !t.is_empty() && t.len() <= 2048));
                prop_assert!(form.turnstile_token().is_none_or(|t| !t.is_empty() && t.len() <= 2048));
            }
            Err(errors) => prop_assert!(errors.len() >= 1 && errors.len() <= 9),
        }
    }

    #[test]
    fn the_validator_agrees_with_the_phone_parser(input in any::<String>()) {
        let raw = RawStkRequest { phone: RawValue::String(input.clone()), ..RawStkRequest::default() };
        let errors = CheckoutForm::validate(&raw, &Limits::default()).unwrap_err();
        let phone_error = errors.as_slice().iter().find(|e| e.field().as_str() == "phone").map(|e| e.code());
        prop_assert_eq!(phone_error, PhoneNumber::parse(&input).err().map(ErrorCode::Phone));
    }
}

fn raw_value() -> impl Strategy<Value = RawValue> {
    prop_oneof![
        Just(RawValue::Missing),
        Just(RawValue::Null),
        Just(RawValue::Other),
        any::<f64>().prop_map(RawValue::Number),
        any::<String>().prop_map(RawValue::String),
        "[0-9+. -]{0,16}".prop_map(RawValue::String),
        "https://[a-z.:\\[\\]0-9@/]{0,30}".prop_map(RawValue::String),
    ]
}
