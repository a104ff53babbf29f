// The npm contract of DESIGN.md, checked against whichever entry point the caller loaded.
// Run inside a consumer project that installed the packed tarball; throws on the first breach.
import assert from "node:assert/strict";

const hostile = () => {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return [
    undefined, null, 0, NaN, "", "0712345678", true, Symbol("s"), 10n, () => 1, [], [1, 2],
    new Date(), Object.create(null), new Proxy({}, { get() { throw new Error("trap"); } }), revocable.proxy,
    { get amount() { throw new Error("getter"); } },
    { amount: "7".repeat(1 << 20), phone: "\u0000".repeat(1 << 20), accountReference: "😀".repeat(1000) },
    { amount: 1, phone: "\uD800", accountReference: "\u202EABC", transactionDesc: "٠١٢", callbackUrl: {} },
    { phone: "０７１２３４５６７８", amount: Infinity, transactionDesc: ["x"], channelId: 5 },
  ];
};

export function checkContract(api) {
  const { normalizePhone, validateStkRequest } = api;
  assert.equal(typeof normalizePhone, "function");
  assert.equal(typeof validateStkRequest, "function");

  for (const input of ["0712345678", "0712 345 678", "+254712345678", "254712345678", " 0712-345-678 "]) {
    assert.equal(normalizePhone(input), "254712345678", input);
  }
  assert.equal(normalizePhone("0110123456"), "254110123456");

  for (const input of ["", "abc", "0712", "+44 20 7946 0958", "020 123 4567", "0800 720 000", "\u0000", "😀"]) {
    assert.throws(() => normalizePhone(input), (e) => e instanceof Error && typeof e.code === "string" && e.code.length > 0, input);
  }

  const good = {
    amount: 1000, phone: "0712 345 678", accountReference: "INV-2024-001", transactionDesc: "Invoice 2024",
    callbackUrl: "https://shop.example/webhooks/mpesa",
  };
  const ok = validateStkRequest(good);
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.value.phone, "254712345678");
  assert.equal(ok.value.amount, 1000);
  assert.equal(typeof ok.value.amount, "number");
  assert.equal(validateStkRequest({ ...good, amount: "1000" }).value.amount, 1000);

  const bad = validateStkRequest({ ...good, amount: 0, phone: "0712", callbackUrl: "http://x" });
  assert.equal(bad.ok, false);
  assert.equal(bad.value, undefined);
  assert.deepEqual(bad.errors.map((e) => e.field), ["amount", "phone", "callbackUrl"]);

  for (const input of hostile()) {
    let result;
    assert.doesNotThrow(() => { result = validateStkRequest(input); }, String(typeof input));
    assert.equal(typeof result.ok, "boolean");
    assert.ok(Array.isArray(result.errors));
    assert.equal(result.ok, false);
    for (const e of result.errors) {
      assert.equal(typeof e.field, "string");
      assert.equal(typeof e.code, "string");
      assert.equal(typeof e.message, "string");
    }
  }
  // Bad input never breaks later calls.
  assert.equal(validateStkRequest(good).ok, true);
  assert.equal(normalizePhone("0712345678"), "254712345678");

  // Hostile options (the language included) never make a validator throw, nor a phone function
  // throw anything but its PhoneError.
  for (const options of hostile().concat(hostile().map((locale) => ({ locale })))) {
    let result;
    assert.doesNotThrow(() => { result = validateStkRequest(good, options); });
    assert.equal(typeof result.ok, "boolean");
    assert.throws(() => normalizePhone("0712", options), (e) => e.code === "PHONE_TOO_SHORT");
    if (api.checkPhone) {
      assert.doesNotThrow(() => api.checkPhone("0712", options));
      assert.doesNotThrow(() => api.validateCheckout(good, options));
    }
  }
  assert.match(validateStkRequest({}, { locale: "sw" }).errors[0].message, /^Weka kiasi/);
  assert.equal(validateStkRequest({}, { locale: "xx" }).errors[0].field, "options.locale");
  assert.throws(() => normalizePhone("", { locale: "sw-KE" }), (e) => e.message.startsWith("Weka namba"));
  assert.equal(validateStkRequest(good).ok, true);

  if (api.checkPhone) {
    assert.equal(api.checkPhone("0712345678").network, "safaricom");
    assert.equal(api.formatPhoneAsYouType("07123456"), "0712 345 6");
    assert.equal(api.validateCheckout({ ...good }).errors[0].code, "FIELD_NOT_ALLOWED");
    assert.equal(api.limits().transactionDescMaxLength, 13);
  }
  return "contract ok";
}
