//! Any string: parsing and formatting never panic, and what parses survives formatting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palpluss_stk::{format_phone_as_you_type, PhoneNumber};

fuzz_target!(|input: &str| {
    let parsed = PhoneNumber::parse(input);
    let formatted = format_phone_as_you_type(input);
    assert_eq!(PhoneNumber::parse(&formatted), parsed, "formatting changed the meaning of {input:?}");
    if let Ok(phone) = parsed {
        assert_eq!(phone.as_str().len(), 12);
        assert!(phone.as_str().starts_with("254"));
        for again in [phone.national(), phone.international(), phone.e164()] {
            assert_eq!(PhoneNumber::parse(&again), Ok(phone));
        }
    }
});
