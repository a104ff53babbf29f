// The fast paths (src/js/fast.js + src/js/fast.rs) give exactly what the ordinary path gives.
// The phone oracle is `checkPhone` with a region tag for the language ("en-KE", "sw-KE"), which
// always takes the ordinary path (the fast paths keep only "en" and "sw"); validateCheckout's is
// the same call with a region tag for the language too (the fast path takes only "en" and "sw"). Random and hostile inputs
// (non-ASCII digits and spaces, lone surrogates, the 63-character boundary, megabyte strings,
// non-strings), in both Node entries, in both languages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as esm from "../../pkg/node/index.mjs";
import { seededRandom } from "../../bench/random.mjs";

const cjs = createRequire(import.meta.url)("../../pkg/node/index.cjs");

const rand = seededRandom(20261130);
const pick = (list) => list[rand(list.length)];
const ALPHABET = [
  ..."0123456789", "0", "7", "1", " ", "-", "+", "\t", "(", ")", ".", "a", "Z", "\u00a0", "\u202f", "\u2011",
  "\u0660", "\uff10", "\uff17", "😀", "\ud800", "é", "\n", "\u0000",
];
function randomInput() {
  switch (rand(6)) {
    case 0: return Array.from({ length: rand(80) }, () => pick(ALPHABET)).join("");
    case 1: { // a plausible number, maybe spoiled
      const national = pick(["7", "1", "2", "8", "9", "0"]) + String(rand(1e9)).padStart(9, "0").slice(0, 8 + rand(3));
      const spelled = pick(["0", "+254", "254", "00254", "+254 0", ""]) + national;
      const spaced = rand(2) ? spelled.replace(/(\d{3})(?=\d)/g, `$1${pick([" ", "-", "\u00a0"])}`) : spelled;
      return rand(8) === 0 ? spaced + pick(ALPHABET) : spaced;
    }
    case 2: return " ".repeat(rand(70)) + "0712345678" + " ".repeat(rand(10)); // around the 63-character slot
    case 3: return "7".repeat(55 + rand(15));
    default: return pick(["0712 345 678", "+254110123456", "254733123456", "0150 123 456", "020 123 4567", "0800 720 000", "", "  ", "+44 20 7946 0958"]);
  }
}

const show = (x) => (typeof x === "string" ? JSON.stringify(x.slice(0, 80)) : typeof x);

/** The ordinary path's answer, in the language `options` asks for. */
const ordinary = (api, input, options) => api.checkPhone(input, { locale: options?.locale === "sw" ? "sw-KE" : "en-KE" });

function expectSame(api, input, options) {
  const oracle = ordinary(api, input, options);
  assert.deepEqual(api.checkPhone(input, options), oracle, show(input));
  if (oracle.ok) {
    assert.equal(api.normalizePhone(input, options), oracle.phone, show(input));
  } else {
    assert.throws(() => api.normalizePhone(input, options), (e) => {
      assert.equal(e.name, "PhoneError");
      assert.equal(e.code, oracle.code, show(input));
      assert.equal(e.message, oracle.message);
      return true;
    });
  }
  return oracle;
}

for (const [name, api] of [["ESM", esm], ["CommonJS", cjs]]) {
  test(`${name}: normalizePhone's fast path answers as the ordinary path, random and hostile inputs`, () => {
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = randomInput();
      const oracle = expectSame(api, input, i % 7 === 0 ? { locale: "sw" } : undefined);
      if (oracle.ok && /^[\x00-\x7f]{0,63}$/.test(input)) fast++;
    }
    assert.ok(fast > 3_000, `the fast path was taken ${fast} times`);
    for (const input of ["7".repeat(1 << 20), "0712345678".padStart(1 << 20), "\ud800".repeat(100), undefined, null, 712345678, {}, [], Symbol("s"), 10n]) {
      expectSame(api, input);
    }
  });

  test(`${name}: normalizePhones gives each input normalizePhone's answer, in one call`, () => {
    const inputs = Array.from({ length: 5_000 }, (_, i) => (i % 50 === 0 ? pick([5, null, undefined, {}, 10n, "7".repeat(200)]) : randomInput()));
    const { phones, codes } = api.normalizePhones(inputs);
    assert.equal(phones.length, inputs.length);
    assert.equal(codes.length, inputs.length);
    inputs.forEach((input, i) => {
      const oracle = ordinary(api, input);
      assert.deepEqual([phones[i], codes[i]], oracle.ok ? [oracle.phone, null] : [null, oracle.code], show(input));
    });
    // Every kind of error gets its own code.
    const each = ["", "0712a", "0712", "07123456789", "712345678", "+44 20 7946 0958", "020 123 4567", "0800 720 000", "0900 123 456"];
    assert.deepEqual(api.normalizePhones(each).codes, each.map((x) => ordinary(api, x).code));
    assert.equal(new Set(api.normalizePhones(each).codes).size, 9, "all nine codes");
    assert.deepEqual(api.normalizePhones([]), { phones: [], codes: [] });
    assert.throws(() => api.normalizePhones("0712345678"), TypeError);
    const hostile = [];
    Object.defineProperty(hostile, 0, { get() { throw new Error("getter"); } });
    hostile.length = 2;
    assert.deepEqual(api.normalizePhones(hostile), { phones: [null, null], codes: ["INVALID_TYPE", "INVALID_TYPE"] });
  });

  test(`${name}: a list larger than one chunk, and the module's memory growing between calls`, () => {
    const many = Array.from({ length: 300_000 }, (_, i) => (i % 3 ? `07${String(i).padStart(8, "0")}` : `0712 ${i}`));
    const { phones, codes } = api.normalizePhones(many);
    for (const i of [0, 1, 2, 131_071, 131_072, 131_073, 262_144, 299_999]) {
      const oracle = ordinary(api, many[i]);
      assert.deepEqual([phones[i], codes[i]], oracle.ok ? [oracle.phone, null] : [null, oracle.code], many[i]);
    }
    // A megabyte validation grows memory; the next fast call must not read a stale view.
    api.validateCheckout({ amount: 1, phone: "7".repeat(1 << 21), accountReference: "A", transactionDesc: "B" });
    assert.equal(api.normalizePhone("0722 000 111"), "254722000111");
  });

  test(`${name}: checkPhone's fast answers are fresh objects, and hostile options take the ordinary path`, () => {
    const first = api.checkPhone("0733 123 456");
    first.networkName = "changed";
    assert.equal(api.checkPhone("0733 123 999").networkName, "Airtel", "a caller's change does not leak");
    assert.notEqual(api.checkPhone("0712 345 678"), api.checkPhone("0712 345 678"));
    const trap = new Proxy({}, { get() { throw new Error("trap"); } });
    assert.deepEqual(api.checkPhone("0712 345 678", trap), ordinary(api, "0712 345 678"));
    const sw = api.checkPhone("0733 123 456", { locale: "sw" });
    assert.match(sw.mpesaWarning, /^Hii inaonekana kuwa namba ya Airtel/);
    assert.deepEqual(api.checkPhone("0712", { locale: "sw" }), ordinary(api, "0712", { locale: "sw" }));
  });

  test(`${name}: validateCheckout's fast path answers as the ordinary path, random and hostile checkouts`, () => {
    const TEXT = [..."abcXYZ09-_ #/.", " ", "\t", "\n", "\u0000", "\u00a0", "é", "😀", "\u202e", "\u3000"];
    const text = () => (rand(20) === 0 ? "x".repeat(60 + rand(10)) : Array.from({ length: rand(16) }, () => pick(TEXT)).join(""));
    const amounts = [1, 100, 2500, 250000, 250001, 0, -0, -5, 1.5, 100.0, NaN, Infinity, 2 ** 32 + 100, Number.MAX_SAFE_INTEGER, "100", " 100 ", "1e3", null, undefined, {}, [], true, 10n];
    const others = { intent: "tok", turnstileToken: "t.k", callbackUrl: "https://x.example/cb", channelId: null, credential_id: "nope" };
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = {
        amount: rand(4) ? 1 + rand(260_000) : pick(amounts),
        phone: rand(2) ? pick(["0", "+254", "254"]) + (pick(["7", "11", "10"]) + String(rand(1e9)).padStart(9, "0")).slice(0, 9) : rand(4) ? randomInput() : pick([undefined, null, 712345678, {}]),
        accountReference: rand(4) ? `INV-${rand(1e6)}` : text(),
        transactionDesc: rand(4) ? pick(["Order", "Invoice 2024", "Pay"]) : text(),
      };
      if (rand(10) === 0) {
        const key = pick(Object.keys(others));
        input[key] = others[key];
      }
      if (rand(10) === 0) input.note = "an unknown field";
      if (rand(30) === 0) delete input[pick(["amount", "phone", "accountReference", "transactionDesc"])];
      const options = pick([undefined, null, {}, { locale: "en" }, { locale: "sw" }]);
      const oracle = api.validateCheckout(input, { locale: options?.locale === "sw" ? "sw-KE" : "en-KE" });
      const answer = api.validateCheckout(input, options);
      assert.deepEqual(answer, oracle, JSON.stringify(input, (_, v) => (typeof v === "bigint" ? `${v}n` : v)));
      assert.equal(JSON.stringify(answer), JSON.stringify(oracle), "the same keys in the same order");
      if (oracle.ok) fast++;
    }
    assert.ok(fast > 4_000, `${fast} valid checkouts`);
  });

  test(`${name}: validateCheckout reads each field once, in the ordinary path's order, whatever the input`, () => {
    const valid = { amount: 100, phone: "0712 345 678", accountReference: "INV-1", transactionDesc: "Order" };
    const reads = (input, options) => {
      const log = [];
      const proxy = new Proxy(input, { get(target, key) { log.push(key); return target[key]; } });
      return [api.validateCheckout(proxy, options), log];
    };
    const ordinary = { locale: "en-KE" }; // a region tag: always the ordinary path
    const huge = "x".repeat(1 << 20);
    for (const input of [valid, { ...valid, amount: 0 }, { ...valid, accountReference: " INV-1 " }, { ...valid, intent: "tok" }, {},
      { ...valid, transactionDesc: huge }, { ...valid, phone: `0712 345 678${" ".repeat(1 << 20)}` }, { ...valid, accountReference: "INV-1é" }]) {
      const [fastAnswer, fastLog] = reads(input);
      const [oracle, oracleLog] = reads(input, ordinary);
      assert.deepEqual(fastAnswer, oracle);
      assert.deepEqual(fastLog, oracleLog, "each field read once, in order");
    }
    // A getter that throws is a value that is not usable, however many fields come after it.
    const throwing = { ...valid };
    Object.defineProperty(throwing, "phone", { get() { throw new Error("getter"); }, enumerable: true });
    assert.deepEqual(api.validateCheckout(throwing), api.validateCheckout(throwing, ordinary));
    assert.equal(api.validateCheckout(throwing).errors[0].field, "phone");
    // Fields the ordinary path reads from the prototype chain count on the fast path too.
    const withIntent = Object.create({ intent: 42 });
    Object.assign(withIntent, valid);
    assert.deepEqual(api.validateCheckout(withIntent), api.validateCheckout(withIntent, ordinary));
    assert.equal(api.validateCheckout(withIntent).ok, false);
    // Not objects, arrays, proxies with throwing traps, a revoked proxy.
    const trap = new Proxy({}, { get() { throw new Error("trap"); } });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const array = Object.assign([], valid);
    for (const input of [undefined, null, 5, "x", Symbol("s"), 10n, () => {}, array, trap, revoked, Object.create(null)]) {
      assert.deepEqual(api.validateCheckout(input), api.validateCheckout(input, ordinary), typeof input);
    }
    // The options are read once too, before the fields, as the ordinary path reads them: a bad
    // locale stops there; an amountMax (or a region tag) sends the rest the ordinary way.
    const FIELDS = ["amount", "phone", "accountReference", "transactionDesc", "callbackUrl", "channelId", "credential_id", "intent", "turnstileToken"];
    for (const [options, optionReads, fieldReads] of [
      [{ locale: "sw" }, ["locale", "amountMax"], FIELDS],
      [{}, ["locale", "amountMax"], FIELDS],
      [{ locale: "fr" }, ["locale"], []],
      [{ locale: "sw-KE" }, ["locale", "amountMax"], FIELDS],
      [{ amountMax: 200 }, ["locale", "amountMax"], FIELDS],
      [{ amountMax: "x" }, ["locale", "amountMax"], []],
      [{ locale: "sw-KE", amountMax: 50 }, ["locale", "amountMax"], FIELDS],
    ]) {
      for (const input of [valid, { ...valid, amount: 0 }]) {
        const log = [];
        const logged = (target, tag) => new Proxy(target, { get(t, key) { log.push(`${tag}.${String(key)}`); return t[key]; } });
        const answer = api.validateCheckout(logged(input, "input"), logged(options, "options"));
        assert.deepEqual(log, [...optionReads.map((k) => `options.${k}`), ...fieldReads.map((k) => `input.${k}`)], JSON.stringify(options));
        const regional = options.locale === "sw" ? { ...options, locale: "sw-KE" } : options.locale === undefined ? { ...options, locale: "en-KE" } : options;
        assert.deepEqual(answer, api.validateCheckout(input, regional), JSON.stringify(options));
      }
    }
    const throwingOptions = { get locale() { throw new Error("getter"); } };
    assert.equal(api.validateCheckout(valid, throwingOptions).errors[0].field, "options.locale");
    assert.equal(api.validateCheckout(valid, { locale: "sw-KE", amountMax: 50 }).errors[0].code, "AMOUNT_TOO_LARGE", "a region tag keeps its amountMax");
    assert.equal(api.validateCheckout(valid, { locale: "sw-KE", get amountMax() { throw new Error("getter"); } }).errors[0].field, "options.amountMax");
    assert.equal(api.validateCheckout({ ...valid, amount: 0 }, { locale: "sw" }).errors[0].message, "Kiasi lazima kiwe angalau KES 1.");
    // Other options take the ordinary path; a bad one is still reported.
    assert.equal(api.validateCheckout(valid, { locale: "fr" }).errors[0].field, "options.locale");
    assert.equal(api.validateCheckout({ ...valid, amount: 300 }, { amountMax: 200 }).errors[0].code, "AMOUNT_TOO_LARGE");
    assert.deepEqual(api.validateCheckout(valid), { ok: true, errors: [], value: { ...valid, phone: "254712345678" } });
  });

  test(`${name}: limits() is the same every time, a fresh object each call`, () => {
    const a = api.limits();
    const b = api.limits();
    assert.deepEqual(a, { amountMin: 1, amountMaxDefault: 250000, accountReferenceMaxLength: 12, transactionDescMaxLength: 13, callbackUrlMaxLength: 500 });
    assert.notEqual(a, b);
    a.amountMin = 99;
    assert.equal(api.limits().amountMin, 1, "a caller's change does not leak");
  });
}
