//! Any body: JSON parsing and both validators never panic; a valid request serialises to a body
//! that validates to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palpluss_stk::{CheckoutForm, Limits, RawStkRequest, StkPushRequest};

fuzz_target!(|body: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<RawStkRequest>(body) else { return };
    let limits = Limits::default();
    let _ = CheckoutForm::validate(&raw, &limits);
    if let Ok(request) = StkPushRequest::validate(&raw, &limits) {
        let json = serde_json::to_vec(&request).expect("serialises");
        let again: RawStkRequest = serde_json::from_slice(&json).expect("parses");
        assert_eq!(StkPushRequest::validate(&again, &limits).ok(), Some(request));
    }
});
