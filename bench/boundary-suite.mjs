// The call-boundary suite of `make bench` (bench/boundary.mjs), the same code in Node and in
// Chromium: what one call of each export costs beside its plain-JS or library equivalent. `pkg` is
// whichever entry the environment loads; `alt` is bench/alternatives.mjs. Figures only.
import { seededRandom } from "./random.mjs";

/**
 * Median ns per call of each implementation over `rounds` interleaved rounds (the order changes
 * every round), each calling it on every input for at least `ms` milliseconds.
 */
export function medianRace(impls, inputs, { rounds, ms, rand }) {
  const names = Object.keys(impls);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (const x of inputs) impls[n](x); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const name of [...names].sort(() => rand(3) - 1)) {
      const f = impls[name];
      let calls = 0;
      const start = performance.now();
      do {
        for (const x of inputs) f(x);
        calls += inputs.length;
      } while (performance.now() - start < ms);
      samples[name].push(((performance.now() - start) * 1e6) / calls);
    }
  }
  return Object.fromEntries(names.map((n) => [n, samples[n].sort((a, b) => a - b)[samples[n].length >> 1]]));
}

export function runSuite(pkg, alt, { quick = false } = {}) {
  const rand = seededRandom(7);
  const spellings = [(n) => `0${n}`, (n) => `+254${n}`, (n) => `254${n}`, (n) => `0${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`, (n) => `+254 ${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`];
  const valid = Array.from({ length: 1000 }, () => {
    const national = (["7", "11", "10", "74", "79", "72"][rand(6)] + String(rand(1e9)).padStart(9, "0")).slice(0, 9);
    return spellings[rand(spellings.length)](national);
  });
  const checkouts = valid.map((phone, i) => ({ amount: i % 11 === 0 ? 0 : 100 + (i % 5000), phone, accountReference: `INV-${i}`, transactionDesc: "Order" }));
  const swallow = (f) => (x) => { try { return f(x); } catch { return null; } };

  const race = (impls, inputs) => medianRace(impls, inputs, { rounds: quick ? 5 : 15, ms: quick ? 10 : 40, rand });

  const normalize = race({ ours: swallow(pkg.normalizePhone), regex: swallow(alt.regexNormalize), libphonenumber: swallow(alt.lpnNormalize) }, valid);
  const check = race({ ours: (x) => pkg.checkPhone(x), plain: (x) => alt.regexCheckPhone(x) }, valid);
  const limits = race({ ours: () => pkg.limits() }, valid.slice(0, 100));
  const validate = race({ ours: (x) => pkg.validateCheckout(x), zod: (x) => alt.zodValidateCheckout(x) }, checkouts);

  // 100,000 numbers: one normalizePhones call against the regex normaliser in a loop.
  const list = Array.from({ length: 100_000 }, (_, i) => valid[i % valid.length]);
  const batch = { ours: [], regex: [] };
  for (let r = 0; r < (quick ? 2 : 7); r++) {
    let start = performance.now();
    pkg.normalizePhones(list);
    batch.ours.push(((performance.now() - start) * 1e6) / list.length);
    start = performance.now();
    for (const x of list) swallow(alt.regexNormalize)(x);
    batch.regex.push(((performance.now() - start) * 1e6) / list.length);
  }
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  return { normalize, check, limits, validate, batch: { ours: median(batch.ours), regex: median(batch.regex) } };
}

/** The budgets of the boundary issue, in plain words, from one environment's figures. */
export function verdicts(r) {
  const x = (a, b) => (a / b).toFixed(2);
  const say = (ok, text) => `${ok ? "met   " : "MISSED"}  ${text}`;
  return [
    say(r.normalize.ours <= 2 * r.normalize.regex, `normalizePhone (valid) takes ${x(r.normalize.ours, r.normalize.regex)}x the plain-JS normaliser's time (budget: at most 2x)`),
    say(r.normalize.libphonenumber >= 10 * r.normalize.ours, `normalizePhone is ${x(r.normalize.libphonenumber, r.normalize.ours)}x faster than libphonenumber-js (budget: at least 10x)`),
    say(r.check.ours <= 3 * r.check.plain, `checkPhone takes ${x(r.check.ours, r.check.plain)}x the plain-JS equivalent's time (budget: at most 3x)`),
    say(true, `limits() ${r.limits.ours.toFixed(0)} ns: asks the module once, then copies (budget: one crossing per module)`),
    say(r.validate.zod >= 2 * r.validate.ours, `validateCheckout is ${x(r.validate.zod, r.validate.ours)}x faster than zod + libphonenumber-js (budget: at least 2x)`),
    say(r.batch.ours < r.batch.regex, `normalizePhones: ${r.batch.ours.toFixed(0)} ns a number on 100,000, the plain-JS normaliser ${r.batch.regex.toFixed(0)} ns (budget: faster)`),
  ];
}
