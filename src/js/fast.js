// ---- palpluss-stk: the fast paths (src/js/fast.js, added to the glue by scripts/build-pkg.sh) ----
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
  if (typeof input !== "string" || input.length >= FAST_SLOT) return false;
  view[at] = input.length;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c > 127) return false;
    view[at + 1 + i] = c;
  }
  return true;
}

function fastNumber(view, at) {
  // "254" and the 9 digits as one string (a concatenation would make two).
  return String.fromCharCode(50, 53, 52, view[at + 1], view[at + 2], view[at + 3], view[at + 4], view[at + 5],
    view[at + 6], view[at + 7], view[at + 8], view[at + 9]);
}

function normalizePhone(input, options) {
  const view = fastIo(1);
  if (view !== null && fastPut(view, 0, input) && wasm.palpluss_phone_normalize(1, 0)) {
    const out = fastIo(1); // parsing may have grown memory
    if (out[0] === 0) return fastNumber(out, 0);
  }
  return slowNormalizePhone(input, options);
}

// checkPhone's answer apart from the number itself depends only on the network, whether the range
// is known and the language: the ordinary path answers the first number of each kind, and its
// texts serve the next ones. Only the languages' own tags are kept (a bounded cache); a region tag
// ("sw-KE") takes the ordinary path every time.
const fastChecks = new Map();

function checkPhone(input, options) {
  let locale;
  if (options !== undefined && options !== null) {
    try { locale = options.locale; } catch { return slowCheckPhone(input, options); }
  }
  if (locale === undefined || locale === "en" || locale === "sw") {
    const view = fastIo(1);
    if (view !== null && fastPut(view, 0, input) && wasm.palpluss_phone_normalize(1, 1)) {
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
  return slowCheckPhone(input, options);
}

function normalizePhones(inputs) {
  if (!Array.isArray(inputs)) throw new TypeError("normalizePhones takes an array");
  const n = inputs.length;
  const phones = Array(n).fill(null);
  const codes = Array(n).fill(null);
  for (let start = 0; start < n; start += FAST_CHUNK) {
    const count = Math.min(FAST_CHUNK, n - start);
    const view = fastIo(count);
    const values = [];
    for (let i = 0; i < count; i++) {
      let input;
      try { input = inputs[start + i]; } catch {} // a throwing getter: not a string
      values.push(input);
      // An input the fast path cannot take gets a length it never writes: the answer is 255.
      if (view !== null && !fastPut(view, i * FAST_SLOT, input)) view[i * FAST_SLOT] = 255;
    }
    // One call for the whole chunk.
    const done = view !== null && wasm.palpluss_phone_normalize(count, 0) === count;
    let out = done ? fastIo(count) : null;
    for (let i = 0; i < count; i++) {
      if (out !== null && out[i * FAST_SLOT] === 0) phones[start + i] = fastNumber(out, i * FAST_SLOT);
      else {
        // An error (checkPhone asks the ordinary path once per kind of error), or an input the
        // fast path did not take. Slots before this one are read, so checkPhone may use slot 0.
        const checked = checkPhone(values[i]);
        if (checked.ok) phones[start + i] = checked.phone;
        else codes[start + i] = checked.code;
        if (done) out = fastIo(count); // the ordinary path may have grown memory
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

// validateCheckout's fast path: a checkout of a number and three short ASCII texts with nothing
// to trim and none of the other fields, as a browser sends it, with no options or only a language
// of ours (a valid checkout has no message to translate). Everything is read once, in the ordinary
// path's order (the options' locale, their amountMax, the fields); when the fast path cannot
// answer (other options, any other checkout, every invalid one), the ordinary path is given copies
// of what was read, so its answer is about these values.
const CHECKOUT_FIELDS = ["amount", "phone", "accountReference", "transactionDesc", "callbackUrl", "channelId", "credential_id", "intent", "turnstileToken"];

/** Reads `source[key]` into `copy` once; a getter that throws leaves a value the ordinary path
 * cannot use either (an object, where text or a number belongs). */
function fastRead(source, key, copy) {
  try {
    copy[key] = source[key];
  } catch {
    copy[key] = copy;
  }
  return copy[key];
}

function validateCheckout(input, options) {
  let checkout = false;
  try {
    checkout = typeof input === "object" && input !== null && !Array.isArray(input);
  } catch {} // Array.isArray throws on a revoked proxy
  if (!checkout || (options != null && typeof options !== "object")) return slowValidateCheckout(input, options);
  let settings = options;
  if (options != null) {
    settings = {};
    const locale = fastRead(options, "locale", settings);
    if (!(locale === undefined || locale === "en" || locale === "sw")) {
      // The ordinary path decides (a region tag, or not a language), and reads amountMax from the
      // options only if it goes on to.
      Object.defineProperty(settings, "amountMax", { get: () => options.amountMax });
      return slowValidateCheckout(input, settings);
    }
    if (fastRead(options, "amountMax", settings) !== undefined) return slowValidateCheckout(input, settings);
  }
  const copy = {};
  const [amount, phone, accountReference, transactionDesc, ...others] = CHECKOUT_FIELDS.map((key) => fastRead(input, key, copy));
  const view = fastIo(4);
  return view !== null && typeof amount === "number" && others.every((value) => value === undefined)
    && fastPut(view, FAST_SLOT, phone) && fastPut(view, 2 * FAST_SLOT, accountReference) && fastPut(view, 3 * FAST_SLOT, transactionDesc)
    && wasm.palpluss_checkout_check(amount)
    ? { ok: true, errors: [], value: { amount, phone: fastNumber(fastIo(4), FAST_SLOT), accountReference, transactionDesc } }
    : slowValidateCheckout(copy, settings);
}
