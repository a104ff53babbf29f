// Differential test of the phone rules against libphonenumber-js (the pinned devDependency, "max"
// metadata), over every 5-digit national prefix in every length a KE number can have: every number
// it calls MOBILE is accepted with rangeKnown true; every FIXED_LINE, TOLL_FREE or PREMIUM_RATE
// number is refused. Bumping the devDependency shows any drift at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

const root = resolve(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);
const { normalizePhone, checkPhone } = require(resolve(root, "pkg/node/palpluss_stk.js"));
const libphonenumberVersion = require("libphonenumber-js/package.json").version;

/** A small seeded generator, so a failure names a number that fails again. */
function digits(seed) {
  let state = seed >>> 0;
  return (count) => {
    let out = "";
    for (let i = 0; i < count; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out += String(state % 10);
    }
    return out;
  };
}

test(`every MOBILE number of libphonenumber-js ${libphonenumberVersion} is accepted with rangeKnown; no fixed-line, toll-free or premium number is`, () => {
  const tail = digits(254);
  const counts = { MOBILE: 0, FIXED_LINE: 0, TOLL_FREE: 0, PREMIUM_RATE: 0, other: 0 };
  const failures = [];
  for (let prefix = 0; prefix < 100000; prefix++) {
    const head = String(prefix).padStart(5, "0");
    for (const length of [7, 8, 9, 10]) {
      const national = head + tail(length - 5);
      const parsed = parsePhoneNumberFromString(`+254${national}`);
      const type = parsed?.getType();
      // The string libphonenumber parsed, and the national spelling customers type (a national
      // number starting with 0 is a trunk 0 after the country code, which both sides drop).
      const inputs = national.startsWith("0") ? [`+254${national}`] : [`+254${national}`, `0${national}`];
      if (type === "MOBILE") {
        counts.MOBILE++;
        for (const input of inputs) {
          const check = checkPhone(input);
          if (!check.ok || check.phone !== `254${parsed.nationalNumber}` || check.rangeKnown !== true) {
            failures.push(`${input} is MOBILE: ${JSON.stringify(check)}`);
          }
        }
      } else if (type === "FIXED_LINE" || type === "TOLL_FREE" || type === "PREMIUM_RATE") {
        counts[type]++;
        for (const input of inputs) {
          let refused = false;
          try {
            normalizePhone(input);
          } catch (e) {
            refused = typeof e.code === "string";
          }
          if (!refused) failures.push(`${input} is ${type} and was accepted`);
        }
      } else {
        counts.other++;
      }
      if (failures.length >= 20) break;
    }
  }
  assert.deepEqual(failures, []);
  // The loop saw every kind it checks, so a broken generator or import cannot pass vacuously.
  for (const type of ["MOBILE", "FIXED_LINE", "TOLL_FREE", "PREMIUM_RATE"]) assert.ok(counts[type] > 50, `${type}: ${counts[type]}`);
});

test("numbers in the mobile blocks outside libphonenumber's ranges are accepted with a warning", () => {
  const tail = digits(7);
  let unknown = 0;
  for (let prefix = 100; prefix < 200; prefix++) {
    const national = String(prefix) + tail(6);
    const type = parsePhoneNumberFromString(`+254${national}`)?.getType();
    const check = checkPhone(`+254 ${national}`);
    assert.equal(check.ok, true, national);
    assert.equal(check.rangeKnown, type === "MOBILE", national);
    assert.equal(check.rangeWarning === null, type === "MOBILE", national);
    if (!check.rangeKnown) unknown++;
  }
  assert.ok(unknown > 0, "some 01x prefixes are unassigned today");
});
