//! Picking the customer's language: tags, `Accept-Language` weights, hostile headers.
#![cfg(not(target_arch = "wasm32"))] // uses native-only dev-dependencies

use palpluss_stk::{Locale, UnknownLocale};
use proptest::prelude::*;

#[test]
fn tags_name_a_language_by_their_primary_subtag() {
    for (tag, locale) in [
        ("en", Some(Locale::En)),
        ("EN-gb", Some(Locale::En)),
        ("sw", Some(Locale::Sw)),
        ("sw-KE", Some(Locale::Sw)),
        ("sw_TZ", Some(Locale::Sw)),
        (" sw ", Some(Locale::Sw)),
        ("swa", None),
        ("fr", None),
        ("", None),
        ("*", None),
        ("s", None),
    ] {
        assert_eq!(Locale::from_tag(tag), locale, "{tag:?}");
        assert_eq!(tag.parse::<Locale>().ok(), locale, "{tag:?}");
    }
    assert_eq!("de".parse::<Locale>(), Err(UnknownLocale));
    assert_eq!(Locale::Sw.to_string(), "sw");
    assert_eq!(Locale::default(), Locale::En);
}

#[test]
fn accept_language_picks_the_highest_weight_among_ours() {
    for (header, expected) in [
        ("sw", Locale::Sw),
        ("sw-KE,sw;q=0.9,en-US;q=0.8,en;q=0.7", Locale::Sw),
        ("en-KE,en;q=0.9,sw;q=0.8", Locale::En),
        ("en;q=0.5, sw;q=0.6", Locale::Sw),
        ("fr-FR,fr;q=0.9,sw;q=0.5", Locale::Sw),
        ("fr-FR,de", Locale::En),
        ("sw;q=0", Locale::En),
        ("sw;q=0.000, en;q=0.001", Locale::En),
        // A tie goes to the first listed.
        ("sw;q=0.8,en;q=0.8", Locale::Sw),
        ("en,sw", Locale::En),
        ("SW-ke;Q=1", Locale::Sw),
        ("sw;q=1.0", Locale::Sw),
        // Invalid weights make the entry unusable, not the header.
        ("sw;q=2, en;q=0.1", Locale::En),
        ("sw;q=0.5555, en;q=0.1", Locale::En),
        ("sw;q=abc", Locale::En),
        ("sw;q=", Locale::En),
        ("", Locale::En),
        ("*", Locale::En),
        (",,,;;;", Locale::En),
    ] {
        assert_eq!(Locale::from_accept_language(header), expected, "{header:?}");
    }
}

#[test]
fn a_huge_header_is_read_only_so_far() {
    // Kiswahili after 10,000 other languages is not a browser's header: the first 32 decide.
    let header = format!("{}sw", "fr;q=0.1,".repeat(10_000));
    assert_eq!(Locale::from_accept_language(&header), Locale::En);
    let header = format!("{}sw", "fr;q=0.1,".repeat(20));
    assert_eq!(Locale::from_accept_language(&header), Locale::Sw);
}

proptest! {
    #[test]
    fn any_header_gets_an_answer(header in "\\PC{0,200}") {
        let _ = Locale::from_accept_language(&header);
        let _ = Locale::from_tag(&header);
    }

    #[test]
    fn a_lone_weighted_language_is_chosen_unless_its_weight_is_zero(q in 0u16..=1000, sw in any::<bool>()) {
        let tag = if sw { "sw" } else { "en" };
        let header = format!("fr;q=1, {tag};q={}.{:03}", q / 1000, q % 1000);
        let expected = if sw && q > 0 { Locale::Sw } else { Locale::En };
        prop_assert_eq!(Locale::from_accept_language(&header), expected);
    }
}
