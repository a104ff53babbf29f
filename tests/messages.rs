//! Every customer message, in English and Kiswahili: each exists in both, the two say the same
//! numbers and examples, the Kiswahili is not English left untranslated, and the table in
//! pkg/README.md is exactly this list (`UPDATE_MESSAGE_TABLE=1 cargo test --test messages`
//! rewrites it after a change).

use palpluss_stk::lifecycle::customer_message;
use palpluss_stk::notice::{too_many_attempts, Notice};
use palpluss_stk::palpluss::TransactionStatus;
use palpluss_stk::{ErrorCode, Field, FieldError, Limits, Locale, Network, PhoneError, PhoneNumber};

/// One message: where it shows, when, and its two texts.
struct Row {
    group: &'static str,
    when: String,
    en: String,
    sw: String,
}

fn both(group: &'static str, when: impl Into<String>, text: impl Fn(Locale) -> String) -> Row {
    Row { group, when: when.into(), en: text(Locale::En), sw: text(Locale::Sw) }
}

fn all_messages() -> Vec<Row> {
    let mut rows = Vec::new();
    for e in PhoneError::ALL {
        rows.push(both("phone", format!("`{}`", e.code()), |l| e.message_in(l).to_owned()));
    }
    for network in [Network::Airtel, Network::Telkom, Network::Equitel, Network::Other] {
        let when = format!("`mpesaWarning`, {}", network.as_str());
        rows.push(both("phone", when, |l| network.mpesa_warning_in(l).unwrap_or_default().to_owned()));
    }
    let unknown_range = PhoneNumber::parse("0150 123 456").unwrap();
    rows.push(both("phone", "`rangeWarning`", |l| unknown_range.range_warning_in(l).unwrap_or_default().to_owned()));
    // The pairs the rules produce (the phone's own codes are above).
    use ErrorCode::*;
    let text = [Required, InvalidType, TooLong, ControlCharacters];
    let uuid = [InvalidType, UuidInvalid, FieldNotAllowed];
    let pairs: [(Field, &[ErrorCode]); 10] = [
        (Field::Request, &[NotAnObject]),
        (Field::Amount, &[Required, InvalidType, AmountNotANumber, AmountNotWhole, AmountTooSmall, AmountTooLarge]),
        (Field::Phone, &[Required, InvalidType]),
        (Field::AccountReference, &text),
        (Field::TransactionDesc, &text),
        (Field::CallbackUrl, &[Required, InvalidType, TooLong, UrlInvalid, UrlNotHttps, FieldNotAllowed]),
        (Field::ChannelId, &uuid),
        (Field::CredentialId, &uuid),
        (Field::Intent, &[InvalidType, TooLong]),
        (Field::TurnstileToken, &[InvalidType, TooLong]),
    ];
    for (field, codes) in pairs {
        for &code in codes {
            let when = format!("`{}` {}", field.as_str(), code.as_str());
            rows.push(both("field", when, |l| {
                FieldError::new(field, code, &Limits::default().in_locale(l)).message().to_owned()
            }));
        }
    }
    use TransactionStatus::*;
    let outcomes: [(TransactionStatus, Option<&str>, &str); 12] = [
        (Success, None, "success"),
        (Pending, None, "pending, processing"),
        (Reversed, None, "reversed"),
        (Failed, Some("1"), "result code 1"),
        (Cancelled, Some("1032"), "result code 1032"),
        (Failed, Some("1037"), "result code 1037"),
        (Failed, Some("2001"), "result code 2001"),
        (Failed, Some("1019"), "result code 1019"),
        (Expired, None, "expired"),
        (Failed, Some("17"), "result code 17"),
        (Cancelled, None, "cancelled"),
        (Failed, None, "failed"),
    ];
    for (status, code, when) in outcomes {
        rows.push(both("payment", when, |l| customer_message(status, code, l).to_owned()));
    }
    for notice in Notice::ALL {
        rows.push(both("notice", format!("{notice:?}"), |l| notice.message(l).to_owned()));
    }
    for seconds in [30, 120, 7200] {
        rows.push(both("notice", format!("429, wait {seconds} s"), |l| too_many_attempts(seconds, l)));
    }
    rows
}

/// The rows with one English text merged (many field and code pairs share a message).
fn distinct_messages() -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for row in all_messages() {
        match out.iter_mut().find(|r| r.en == row.en) {
            Some(seen) => {
                assert_eq!(seen.sw, row.sw, "one English message, one Kiswahili message: {}", row.en);
                seen.when = format!("{}, {}", seen.when, row.when);
            }
            None => out.push(row),
        }
    }
    out
}

fn digit_runs(text: &str) -> Vec<String> {
    let mut runs: Vec<String> =
        text.split(|c: char| !c.is_ascii_digit()).filter(|r| !r.is_empty()).map(str::to_owned).collect();
    runs.sort();
    runs
}

#[test]
fn every_message_exists_in_both_languages_and_says_the_same_numbers() {
    for row in all_messages() {
        let Row { when, en, sw, .. } = &row;
        assert!(en.len() > 10 && sw.len() > 10, "{when}: {en:?} / {sw:?}");
        assert_ne!(en, sw, "{when}: not translated");
        for text in [en, sw] {
            assert!(text.ends_with('.') || text.ends_with('!'), "{when}: a sentence: {text:?}");
        }
        // Examples, limits and result codes are the same in both languages.
        assert_eq!(digit_runs(en), digit_runs(sw), "{when}: {en:?} / {sw:?}");
    }
}

#[test]
fn the_kiswahili_is_not_english_left_behind() {
    // Words that appear in the English messages and never in Kiswahili ones.
    let english = ["the ", "The ", "Enter ", "Please", "Try ", " and ", " your ", " is ", " not "];
    for row in all_messages() {
        for word in english {
            assert!(!row.sw.contains(word), "{}: {word:?} in {:?}", row.when, row.sw);
        }
    }
}

#[test]
fn a_message_never_depends_on_anything_but_its_language() {
    // The same field error in another language comes back to the same English.
    let limits = Limits::with_amount_max(5_000).unwrap();
    let sw = FieldError::new(Field::Amount, ErrorCode::AmountTooLarge, &limits.in_locale(Locale::Sw));
    assert_eq!(sw.message(), "Kiasi kisizidi KES 5,000.");
    assert_eq!(sw.static_message(), None, "built from parts");
    let en = FieldError::new(Field::Amount, ErrorCode::AmountTooLarge, &limits);
    assert_eq!(en.message(), "The amount can be at most KES 5,000.");
    let required = FieldError::new(Field::Amount, ErrorCode::Required, &Limits::default().in_locale(Locale::Sw));
    assert_eq!(required.static_message(), Some("Weka kiasi cha kulipa."));
    assert_eq!(serde_json::to_value(&required).unwrap()["message"], "Weka kiasi cha kulipa.");
}

fn table() -> String {
    let mut out = String::from("| Where | When | English | Kiswahili |\n|---|---|---|---|\n");
    for row in distinct_messages() {
        out.push_str(&format!("| {} | {} | {} | {} |\n", row.group, row.when, row.en, row.sw));
    }
    out
}

const START: &str = "<!-- messages:start (generated by tests/messages.rs) -->\n";
const END: &str = "<!-- messages:end -->";

#[test]
fn the_message_table_in_pkg_readme_is_every_message() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/README.md");
    let Ok(readme) = std::fs::read_to_string(path) else {
        // The published crate has no pkg/ (the npm package's README lives in the repository).
        return;
    };
    let (before, rest) = readme.split_once(START).expect("pkg/README.md has the messages:start marker");
    let (current, after) = rest.split_once(END).expect("pkg/README.md has the messages:end marker");
    let expected = table();
    if std::env::var_os("UPDATE_MESSAGE_TABLE").is_some() {
        std::fs::write(path, format!("{before}{START}{expected}{END}{after}")).unwrap();
        return;
    }
    assert!(
        current == expected,
        "pkg/README.md's message table is out of date: UPDATE_MESSAGE_TABLE=1 cargo test --test messages"
    );
}
