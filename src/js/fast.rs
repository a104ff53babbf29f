//! The fast paths' side in Rust: a buffer JS writes short ASCII inputs into and reads answers
//! from, so that normalising a number costs two integer calls instead of a string copied in through
//! `TextEncoder` and a string copied out through `TextDecoder` (bench/run.mjs measured the copies,
//! not the parsing, as the cost of a call).
//!
//! The JS half is `src/js/fast.js`, added to the generated glue by scripts/build-pkg.sh. Anything
//! the fast path does not take (non-ASCII, longer than [`SLOT_INPUT`] bytes, not a string, any
//! error) goes to the ordinary export, so every answer and every thrown error is the one the
//! ordinary path gives: the same [`PhoneNumber::parse`] reads the same bytes.
//!
//! Layout, one [`SLOT`]-byte slot per input: JS writes `[len, bytes...]`; Rust answers `[0, the 9
//! national digits, the network, whether the range is known]` for a number (the last two only
//! when asked for), `[1 + the error's discriminant]` for an error (JS learns each one's code from
//! the ordinary path once), or `[255]` where the ordinary path must decide (not ASCII, or a length
//! byte over [`SLOT_INPUT`], which is how `normalizePhones` marks a list item it does not take).
//!
//! `validateCheckout` uses slots 1 to 3 the same way (see [`palpluss_checkout_check`]): a
//! checkout of a number and three short ASCII texts, with no other field, is checked by the same
//! [`CheckoutForm::validate`] with the default limits; any other checkout, and every invalid one,
//! goes to the ordinary export, which gives the errors.

use core::cell::RefCell;

#[allow(unused_imports)]
use crate::prelude::*;

use super::values::OneThread;
use crate::rules::phone::{PhoneError, PhoneNumber};
use crate::rules::stk::{CheckoutForm, Limits, RawStkRequest, RawValue};
use crate::rules::text::ascii_text;

/// Bytes per slot.
const SLOT: usize = 64;
/// The longest input a slot holds (its first byte is the length).
const SLOT_INPUT: usize = SLOT - 1;
/// The most slots one call takes (8 MiB of buffer): JS sends a longer list in chunks.
const MAX_SLOTS: u32 = 1 << 17;

static IO: OneThread<RefCell<Vec<u8>>> = OneThread(RefCell::new(Vec::new()));

/// Makes room for `slots` slots and returns where they start. The address changes when the buffer
/// grows (and the JS view of memory is replaced when memory grows), so JS asks before each use.
#[no_mangle]
pub extern "C" fn palpluss_phone_io(slots: u32) -> *mut u8 {
    let Ok(mut io) = IO.0.try_borrow_mut() else { return core::ptr::null_mut() };
    let len = slots.min(MAX_SLOTS) as usize * SLOT;
    if io.len() < len {
        io.resize(len, 0);
    }
    io.as_mut_ptr()
}

/// Normalises the first `count` slots in place; returns how many it read (0 when the buffer is
/// smaller than asked: JS then takes the ordinary path). With `details` (checkPhone), a number's
/// answer also carries its network and whether its range is known; without (normalizePhone, a
/// list), those bytes are left as they are: working them out was a third of the time of a number.
#[no_mangle]
pub extern "C" fn palpluss_phone_normalize(count: u32, details: u32) -> u32 {
    let Ok(mut io) = IO.0.try_borrow_mut() else { return 0 };
    let Some(slots) = io.get_mut(..count as usize * SLOT) else { return 0 };
    for slot in slots.chunks_exact_mut(SLOT) {
        answer(slot, details != 0);
    }
    count
}

/// Checks a checkout of `amount` and the phone, the account reference and the description in slots
/// 1 to 3 as `[len, bytes...]`. Returns 1 when it is valid and the validator returns the two texts
/// as they are (JS keeps its strings), with the phone's 9 national digits after slot 1's first
/// byte (where [`palpluss_phone_normalize`] writes them); 0 otherwise: JS then asks the ordinary
/// path, which reads the same values and gives the errors or the trimmed texts.
#[no_mangle]
pub extern "C" fn palpluss_checkout_check(amount: f64) -> u32 {
    let Ok(mut io) = IO.0.try_borrow_mut() else { return 0 };
    let Some(slots) = io.get_mut(..4 * SLOT) else { return 0 };
    let raw = RawStkRequest {
        amount: RawValue::Number(amount),
        phone: slot_text(slots, 1),
        account_reference: slot_text(slots, 2),
        transaction_desc: slot_text(slots, 3),
        ..RawStkRequest::default()
    };
    let Ok(form) = CheckoutForm::validate(&raw, &Limits::default()) else { return 0 };
    let kept = |sent: &RawValue, kept: &str| matches!(sent, RawValue::String(text) if text == kept);
    if !kept(&raw.account_reference, form.account_reference()) || !kept(&raw.transaction_desc, form.transaction_desc())
    {
        return 0;
    }
    match (slots.get_mut(SLOT + 1..SLOT + 10), form.phone().as_str().as_bytes().get(3..12)) {
        (Some(out), Some(digits)) => out.copy_from_slice(digits),
        _ => return 0,
    }
    1
}

/// The text in slot `at`, or a value that is not text (the validator then refuses it and JS takes
/// the ordinary path) for a length JS never writes or bytes that are not ASCII.
fn slot_text(slots: &[u8], at: usize) -> RawValue {
    let text = slots.get(at * SLOT..).and_then(|slot| {
        let len = usize::from(*slot.first()?);
        if len > SLOT_INPUT {
            return None;
        }
        ascii_text(slot.get(1..1 + len)?)
    });
    text.map_or(RawValue::Other, |text| RawValue::String(text.to_owned()))
}

/// Reads one slot and writes its answer over it.
fn answer(slot: &mut [u8], details: bool) {
    let len = slot.first().map_or(0, |&n| usize::from(n));
    let parsed = match slot.get(1..1 + len.min(SLOT_INPUT)) {
        Some(bytes) if len <= SLOT_INPUT => ascii_text(bytes).map(PhoneNumber::parse),
        // A longer length: JS marks an input it does not take so (the ordinary path decides).
        _ => None,
    };
    match parsed {
        Some(Ok(phone)) => {
            // `254` and 9 digits: JS adds the country code back.
            if let (Some([status, out @ .., network, range_known]), Some(digits)) =
                (slot.get_mut(..12), phone.as_str().as_bytes().get(3..12))
            {
                *status = 0;
                out.copy_from_slice(digits);
                if details {
                    // What checkPhone's other fields depend on (with the language): JS keeps them per key.
                    *network = phone.network() as u8;
                    *range_known = u8::from(phone.range_known());
                }
            }
        }
        Some(Err(e)) => set_status(slot, error_index(e)),
        // Not ASCII (JS writes ASCII only), or marked: the ordinary path decides.
        None => set_status(slot, u8::MAX),
    }
}

fn set_status(slot: &mut [u8], status: u8) {
    if let Some(first) = slot.first_mut() {
        *first = status;
    }
}

/// `1 +` the error's discriminant: one byte per kind of error.
fn error_index(e: PhoneError) -> u8 {
    e as u8 + 1
}
