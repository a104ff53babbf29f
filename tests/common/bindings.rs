//! The JS bindings exercised from wasm, shared by the Node and the browser test files.
//! Every validator call here must return an answer object and never throw, whatever it is given,
//! and the module must keep answering correctly afterwards.

use js_sys::{Array, Function, Reflect};
use palpluss_stk::js::{
    check_phone, format_phone_as_you_type, limits, normalize_phone, validate_checkout, validate_stk_request,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(source: &str) -> JsValue {
    Function::new_no_args(&format!("return ({source});")).call0(&JsValue::UNDEFINED).expect(source)
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).expect(key)
}

fn text(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_else(|| panic!("{key} is not a string"))
}

/// Checks the answer's shape and returns `(ok, [(field, code)])`.
fn answer(result: &JsValue) -> (bool, Vec<(String, String)>) {
    let ok = get(result, "ok").as_bool().expect("ok is a boolean");
    let errors: Array = get(result, "errors").dyn_into().expect("errors is an array");
    let pairs: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            assert!(text(&e, "message").len() > 10, "every error has a message");
            (text(&e, "field"), text(&e, "code"))
        })
        .collect();
    assert_eq!(ok, pairs.is_empty(), "ok exactly when there are no errors");
    assert_eq!(get(result, "value").is_object(), ok, "value exactly when ok");
    (ok, pairs)
}

fn valid_checkout() -> JsValue {
    js(r#"{ amount: "1500", phone: "0712 345 678", accountReference: " INV-1 ", transactionDesc: "Tea" }"#)
}

/// Lets the event loop run (a macrotask, not a microtask): a long test that yields between steps
/// keeps the page responsive to the test runner's webdriver calls, however slow the machine.
async fn yield_to_event_loop() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: Function = get(&js_sys::global(), "setTimeout").dyn_into().expect("setTimeout");
        set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(0)).expect("setTimeout call");
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.expect("timer");
}

fn assert_still_working() {
    assert_eq!(normalize_phone(JsValue::from_str("+254 712-345-678"), None).unwrap(), "254712345678");
    let (ok, errors) = answer(&validate_checkout(valid_checkout(), None));
    assert!(ok, "{errors:?}");
}

#[wasm_bindgen_test]
fn normalize_phone_returns_or_throws_a_coded_error() {
    assert_eq!(normalize_phone(JsValue::from_str("0110 123 456"), None).unwrap(), "254110123456");
    for (input, code) in [
        (JsValue::from_str(""), "PHONE_EMPTY"),
        (JsValue::from_str("020 123 4567"), "PHONE_LANDLINE"),
        (JsValue::from_str("\u{FF10}\u{FF17}12345678"), "PHONE_INVALID_CHARACTERS"),
        (JsValue::from_f64(712345678.0), "INVALID_TYPE"),
        (JsValue::UNDEFINED, "INVALID_TYPE"),
    ] {
        let error = normalize_phone(input, None).unwrap_err();
        let error: js_sys::Error = error.dyn_into().expect("an Error instance");
        assert_eq!(String::from(error.name()), "PhoneError");
        assert_eq!(text(&error, "code"), code);
        assert!(String::from(error.message()).len() > 10);
    }
    assert_still_working();
}

#[wasm_bindgen_test]
fn the_phone_functions_speak_the_locale_asked_for() {
    let sw = || Some(js(r#"{ locale: "sw" }"#).unchecked_into());
    let airtel = check_phone(JsValue::from_str("0733 123 456"), sw());
    assert!(text(&airtel, "mpesaWarning").starts_with("Hii inaonekana kuwa namba ya Airtel"));
    let new_range = check_phone(JsValue::from_str("0150 123 456"), sw());
    assert!(text(&new_range, "rangeWarning").starts_with("Bado hatutambui"));
    let short = check_phone(JsValue::from_str("0712"), sw());
    assert_eq!(text(&short, "code"), "PHONE_TOO_SHORT");
    assert!(text(&short, "message").starts_with("Namba hii ni fupi mno"));
    assert!(text(&check_phone(js("5"), sw()), "message").starts_with("Weka namba ya simu kama maandishi"));
    let error = normalize_phone(JsValue::from_str("020 123 4567"), sw()).unwrap_err();
    assert_eq!(text(&error, "code"), "PHONE_LANDLINE");
    assert!(text(&error, "message").starts_with("Hii ni namba ya simu ya mezani"));
    // English for no locale, a region tag of ours counts, anything else is English.
    for (options, start) in
        [("{}", "This number"), (r#"{ locale: "sw-TZ" }"#, "Namba"), (r#"{ locale: 7 }"#, "This number")]
    {
        let checked = check_phone(JsValue::from_str("0712"), Some(js(options).unchecked_into()));
        assert!(text(&checked, "message").starts_with(start), "{options}");
    }
    assert_still_working();
}

#[wasm_bindgen_test]
fn check_phone_answers_every_value() {
    let ok = check_phone(JsValue::from_str("0733 123 456"), None);
    assert_eq!(get(&ok, "ok"), JsValue::TRUE);
    assert_eq!(text(&ok, "phone"), "254733123456");
    assert_eq!(text(&ok, "national"), "0733 123 456");
    assert_eq!(text(&ok, "international"), "+254 733 123 456");
    assert_eq!(text(&ok, "network"), "airtel");
    assert!(text(&ok, "mpesaWarning").contains("Airtel"));
    assert_eq!(get(&ok, "rangeKnown"), JsValue::TRUE);
    assert!(get(&ok, "rangeWarning").is_null());
    let safaricom = check_phone(JsValue::from_str("0712 345 678"), None);
    assert!(get(&safaricom, "mpesaWarning").is_null());
    // Outside the assigned ranges: accepted, with a soft warning.
    let new_range = check_phone(JsValue::from_str("0150 123 456"), None);
    assert_eq!(get(&new_range, "ok"), JsValue::TRUE);
    assert_eq!(text(&new_range, "phone"), "254150123456");
    assert_eq!(get(&new_range, "rangeKnown"), JsValue::FALSE);
    assert!(text(&new_range, "rangeWarning").contains("M-Pesa"));
    for value in [js("Symbol('x')"), js("10n"), js("null"), js("[]"), JsValue::from_str("+44 20 7946 0958")] {
        let bad = check_phone(value, None);
        assert_eq!(get(&bad, "ok"), JsValue::FALSE);
        assert!(text(&bad, "code").starts_with("PHONE_") || text(&bad, "code") == "INVALID_TYPE");
    }
}

#[wasm_bindgen_test]
fn formats_as_you_type() {
    assert_eq!(format_phone_as_you_type(JsValue::from_str("07123456")), "0712 345 6");
    assert_eq!(format_phone_as_you_type(JsValue::from_str("+254712")), "+254 712");
    assert_eq!(format_phone_as_you_type(JsValue::from_str("0712a")), "0712a");
    assert_eq!(format_phone_as_you_type(JsValue::NULL), "");
}

#[wasm_bindgen_test]
fn validates_the_full_request_and_normalises_it() {
    let input = js(r#"{ amount: 1000, phone: "+254712345678", accountReference: "INV-2024-001",
        transactionDesc: "Invoice 2024", callbackUrl: "https://shop.example/cb",
        channelId: "3F2B9C1E-8D4A-4C6B-9E2F-1A2B3C4D5E6F", credential_id: null, extra: 1 }"#);
    let result = validate_stk_request(input, None);
    assert!(answer(&result).0);
    let value = get(&result, "value");
    assert_eq!(get(&value, "amount").as_f64(), Some(1000.0));
    assert_eq!(text(&value, "phone"), "254712345678");
    assert_eq!(text(&value, "channelId"), "3f2b9c1e-8d4a-4c6b-9e2f-1a2b3c4d5e6f");
    let keys: Vec<String> =
        js_sys::Object::keys(value.unchecked_ref::<js_sys::Object>()).iter().filter_map(|k| k.as_string()).collect();
    assert_eq!(keys, ["amount", "phone", "accountReference", "transactionDesc", "callbackUrl", "channelId"]);
}

#[wasm_bindgen_test]
fn reports_every_field_error_at_once() {
    let input = js(r#"{ amount: 1.5, phone: "0800 720 000", accountReference: "", transactionDesc: "x".repeat(14),
        callbackUrl: "http://shop.example" }"#);
    let (ok, errors) = answer(&validate_checkout(input, None));
    assert!(!ok);
    let expected = [
        ("amount", "AMOUNT_NOT_WHOLE"),
        ("phone", "PHONE_TOLL_FREE"),
        ("accountReference", "REQUIRED"),
        ("transactionDesc", "TOO_LONG"),
        ("callbackUrl", "FIELD_NOT_ALLOWED"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect();
    assert_eq!(errors, expected);
}

#[wasm_bindgen_test]
fn the_amount_maximum_is_an_option() {
    let input = js(r#"{ amount: 5001, phone: "0712345678", accountReference: "A", transactionDesc: "B" }"#);
    let (_, errors) = answer(&validate_checkout(input.clone(), Some(js("{ amountMax: 5000 }").unchecked_into())));
    assert_eq!(errors, [("amount".to_string(), "AMOUNT_TOO_LARGE".to_string())]);
    assert!(answer(&validate_checkout(input.clone(), Some(js("{ amountMax: 5001 }").unchecked_into()))).0);
    for bad in
        ["{ amountMax: 0 }", "{ amountMax: 1.5 }", "{ amountMax: '100' }", "42", "{ get amountMax() { throw 1 } }"]
    {
        let (ok, errors) = answer(&validate_checkout(input.clone(), Some(js(bad).unchecked_into())));
        assert!(!ok);
        assert_eq!(errors, [("options.amountMax".to_string(), "INVALID_OPTION".to_string())], "{bad}");
    }
    assert_eq!(get(&limits(), "amountMaxDefault").as_f64(), Some(250000.0));
    assert_eq!(get(&limits(), "accountReferenceMaxLength").as_f64(), Some(12.0));
}

/// Hostile values in place of the request and of each field: an answer every time, never a throw.
/// Async and yielding between values: megabyte strings take a while on a busy machine.
#[wasm_bindgen_test]
async fn hostile_inputs_get_answers_and_break_nothing() {
    let hostile = [
        "undefined",
        "null",
        "0",
        "NaN",
        "-Infinity",
        "'a string'",
        "true",
        "Symbol('s')",
        "10n",
        "function () {}",
        "[]",
        "[1, 2, 3]",
        "new Date()",
        "new String('x')",
        "Object.create(null)",
        "new Proxy({}, { get() { throw new Error('trap') } })",
        "(() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy })()",
        "{ get amount() { throw new Error('getter') }, get phone() { throw 'string thrown' } }",
        "Object.freeze({ amount: 1 })",
    ];
    let field_values = [
        "undefined",
        "null",
        "NaN",
        "Infinity",
        "-0",
        "1e308",
        "Number.MAX_SAFE_INTEGER + 2",
        "Symbol('s')",
        "10n",
        "{}",
        "[]",
        "() => 1",
        "'\\u0000'",
        "'\\uD800'",
        "'\\u202E12'",
        "'٠٧١٢٣٤٥٦٧٨'",
        "'０７１２３４５６７８'",
        "'😀'.repeat(20)",
        "'\\u200F0712345678'",
        "'7'.repeat(1 << 20)",
        "' '.repeat(1 << 20)",
        "'\\u0000'.repeat(1 << 20)",
        "new Proxy({}, { get() { throw 1 } })",
    ];
    for source in hostile {
        for validate in [validate_stk_request, validate_checkout] {
            let (ok, errors) = answer(&validate(js(source), None));
            assert!(!ok, "{source}");
            assert!(!errors.is_empty(), "{source}");
        }
    }
    for field in ["amount", "phone", "accountReference", "transactionDesc", "callbackUrl", "channelId", "credential_id"]
    {
        for value in field_values {
            let input = js(&format!(
                "{{ amount: 1, phone: '0712345678', accountReference: 'A', transactionDesc: 'B', {field}: {value} }}"
            ));
            let (_, errors) = answer(&validate_stk_request(input.clone(), None));
            assert!(errors.len() <= 7, "{field}: {value}");
            answer(&validate_checkout(input, None));
            let phone = js(value);
            let checked = check_phone(phone.clone(), None);
            assert!(get(&checked, "ok").as_bool().is_some(), "{value}");
            let _ = format_phone_as_you_type(phone.clone());
            let _ = normalize_phone(phone, None);
            yield_to_event_loop().await;
        }
    }
    assert_still_working();
}

/// Memory is reused: 200 calls with two megabyte fields each (400 MB through the allocator) do not
/// grow the wasm heap by more than 8 MB.
#[wasm_bindgen_test]
async fn big_inputs_do_not_leak() {
    let big =
        js("{ amount: 1, phone: '7'.repeat(1 << 20), accountReference: 'x'.repeat(1 << 20), transactionDesc: 'B' }");
    let heap = || {
        wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length()
    };
    answer(&validate_checkout(big.clone(), None));
    let after_first = heap();
    for _ in 0..200 {
        let (_, errors) = answer(&validate_checkout(big.clone(), None));
        assert_eq!(errors.len(), 2);
        yield_to_event_loop().await;
    }
    assert!(heap() <= after_first + (8 << 20), "heap grew from {after_first} to {}", heap());
    assert_still_working();
}
