// ---- palpluss-stk: the phone fast paths (src/js/fast.js, added to the glue by scripts/build-pkg.sh) ----
// An ASCII input of at most 63 characters is written straight into a buffer the module owns
// (src/js/fast.rs) and parsed there; a number comes back as 9 digits. No TextEncoder, no
// TextDecoder, no malloc per call. Everything else (non-ASCII, long, not a string, and every error,
// so that the thrown error is exactly the ordinary one) takes the ordinary path.

const FAST_SLOT = 64;
const FAST_CHUNK = 1 << 17;
let fastView = null;
let fastPtr = 0;
let fastSlots = 0;

/** A view of at least `slots` slots, or null. Memory growth replaces the view, not the address. */
function fastIo(slots) {
  if (slots > fastSlots) {
    fastPtr = wasm.palpluss_phone_io(slots);
    fastSlots = fastPtr === 0 ? 0 : slots;
    fastView = null;
  }
  if (fastPtr === 0) return null;
  if (fastView === null || fastView.buffer !== wasm.memory.buffer) {
    fastView = new Uint8Array(wasm.memory.buffer, fastPtr, fastSlots * FAST_SLOT);
  }
  return fastView;
}

/** Writes `input` into the slot at `at`; false when the fast path cannot take it. */
function fastPut(view, at, input) {
  const n = input.length;
  if (n >= FAST_SLOT) return false;
  view[at] = n;
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c > 127) return false;
    view[at + 1 + i] = c;
  }
  return true;
}

function fastNumber(view, at) {
  return "254" + String.fromCharCode(view[at + 1], view[at + 2], view[at + 3], view[at + 4], view[at + 5],
    view[at + 6], view[at + 7], view[at + 8], view[at + 9]);
}

function normalizePhone(input, options) {
  if (typeof input === "string") {
    const view = fastIo(1);
    if (view !== null && fastPut(view, 0, input) && wasm.palpluss_phone_normalize(1) === 1) {
      const out = fastIo(1); // parsing may have grown memory
      if (out[0] === 0) return fastNumber(out, 0);
    }
  }
  return slowNormalizePhone(input, options);
}

// checkPhone's answer apart from the number itself depends only on the network, whether the range
// is known and the language: the ordinary path answers the first number of each kind, and its
// texts serve the next ones. Only the languages' own tags are kept (a bounded cache); a region tag
// ("sw-KE") takes the ordinary path every time.
const fastChecks = new Map();

function checkPhone(input, options) {
  if (typeof input === "string") {
    let locale;
    if (options !== undefined && options !== null) {
      try { locale = options.locale; } catch { return slowCheckPhone(input, options); }
    }
    if (locale === undefined || locale === "en" || locale === "sw") {
      const view = fastIo(1);
      if (view !== null && fastPut(view, 0, input) && wasm.palpluss_phone_normalize(1) === 1) {
        const out = fastIo(1);
        const status = out[0];
        const key = status === 0 ? `${out[10]}.${out[11]}.${locale}` : `${status}.${locale}`;
        const seen = fastChecks.get(key);
        if (seen === undefined) {
          const answer = slowCheckPhone(input, options);
          fastChecks.set(key, { ...answer });
          return answer;
        }
        if (status !== 0) return { ...seen };
        const phone = fastNumber(out, 0);
        const grouped = `${phone.slice(3, 6)} ${phone.slice(6, 9)} ${phone.slice(9)}`;
        // The seen answer's keys, in its order, with this number's values.
        return { ...seen, phone, national: `0${grouped}`, international: `+254 ${grouped}` };
      }
    }
  }
  return slowCheckPhone(input, options);
}

function normalizePhones(inputs) {
  if (!Array.isArray(inputs)) throw new TypeError("normalizePhones takes an array");
  const n = inputs.length;
  const phones = new Array(n).fill(null);
  const codes = new Array(n).fill(null);
  const errorCodes = [];
  const ordinary = (at, input) => {
    const checked = checkPhone(input);
    if (checked.ok) phones[at] = checked.phone;
    else codes[at] = checked.code;
  };
  for (let start = 0; start < n; start += FAST_CHUNK) {
    const count = Math.min(FAST_CHUNK, n - start);
    const view = fastIo(count);
    const values = new Array(count);
    const slow = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      let input;
      try { input = inputs[start + i]; } catch { input = undefined; } // a throwing getter: not a string
      values[i] = input;
      if (view === null || typeof input !== "string" || !fastPut(view, i * FAST_SLOT, input)) {
        if (view !== null) view[i * FAST_SLOT] = 0;
        slow[i] = 1;
      }
    }
    // One call for the whole chunk.
    const out = view !== null && wasm.palpluss_phone_normalize(count) === count ? fastIo(count) : null;
    for (let i = 0; i < count; i++) {
      const status = out === null || slow[i] ? -1 : out[i * FAST_SLOT];
      if (status === 0) phones[start + i] = fastNumber(out, i * FAST_SLOT);
      // An error: its code, as the ordinary path says it for the first input of its kind.
      else if (status > 0 && status < 255 && errorCodes[status] !== undefined) codes[start + i] = errorCodes[status];
      else {
        ordinary(start + i, values[i]);
        if (status > 0 && status < 255) errorCodes[status] = codes[start + i];
      }
    }
  }
  return { phones, codes };
}

let fastLimits = null;
function limits() {
  // Constant: asked once per module, copied for each caller.
  if (fastLimits === null) fastLimits = slowLimits();
  return { ...fastLimits };
}
