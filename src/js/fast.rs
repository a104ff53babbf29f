//! The phone fast paths' side in Rust: a buffer JS writes ASCII inputs into and reads answers from,
//! so that normalising a number costs two integer calls instead of a string copied in through
//! `TextEncoder` and a string copied out through `TextDecoder` (bench/run.mjs measured the copies,
//! not the parsing, as the cost of a call).
//!
//! The JS half is `src/js/fast.js`, added to the generated glue by scripts/build-pkg.sh. Anything
//! the fast path does not take (non-ASCII, longer than [`SLOT_INPUT`] bytes, not a string, any
//! error) goes to the ordinary export, so every answer and every thrown error is the one the
//! ordinary path gives: the same [`PhoneNumber::parse`] reads the same bytes.
//!
//! Layout, one [`SLOT`]-byte slot per input: JS writes `[len, bytes...]`; Rust answers `[0, the 9
//! national digits, the network, whether the range is known]` for a number, or `[1 + the error's
//! discriminant]` for an error (JS learns each one's code from the ordinary path once).

use core::cell::RefCell;

#[allow(unused_imports)]
use crate::prelude::*;

use super::OneThread;
use crate::phone::{PhoneError, PhoneNumber};

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
/// smaller than asked: JS then takes the ordinary path).
#[no_mangle]
pub extern "C" fn palpluss_phone_normalize(count: u32) -> u32 {
    let Ok(mut io) = IO.0.try_borrow_mut() else { return 0 };
    let Some(slots) = io.get_mut(..count as usize * SLOT) else { return 0 };
    for slot in slots.chunks_exact_mut(SLOT) {
        answer(slot);
    }
    count
}

/// Reads one slot and writes its answer over it.
fn answer(slot: &mut [u8]) {
    let len = slot.first().map_or(0, |&n| usize::from(n));
    let parsed = match slot.get(1..1 + len.min(SLOT_INPUT)) {
        Some(bytes) if len <= SLOT_INPUT => core::str::from_utf8(bytes).map(PhoneNumber::parse),
        // A length JS never writes: treated as text that is not a number.
        _ => Ok(Err(PhoneError::InvalidCharacters)),
    };
    match parsed {
        Ok(Ok(phone)) => {
            // `254` and 9 digits: JS adds the country code back.
            if let (Some([status, out @ .., network, range_known]), Some(digits)) =
                (slot.get_mut(..12), phone.as_str().as_bytes().get(3..12))
            {
                *status = 0;
                out.copy_from_slice(digits);
                // What checkPhone's other fields depend on (with the language): JS keeps them per key.
                *network = phone.network() as u8;
                *range_known = u8::from(phone.range_known());
            }
        }
        Ok(Err(e)) => set_status(slot, error_index(e)),
        // Not UTF-8 (JS writes ASCII only): the ordinary path decides.
        Err(_) => set_status(slot, u8::MAX),
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
