// What users would pick instead of palpluss-stk, written for the benchmark: each does the same job
// as the package's function it is compared with, as well as that library allows.
import { parsePhoneNumberFromString } from "libphonenumber-js/min";
import { z } from "zod";

// ---- libphonenumber-js: parse + isValid, restricted to Kenya ----
export function lpnNormalize(input) {
  const phone = parsePhoneNumberFromString(input, "KE");
  // The min metadata has no number types, so landlines pass isValid(): that is what users get.
  if (!phone || !phone.isValid() || phone.countryCallingCode !== "254") {
    const error = new Error("Not a Kenyan mobile number");
    error.code = "INVALID_PHONE";
    throw error;
  }
  return `254${phone.nationalNumber}`;
}

// ---- a plain-JS regex normaliser: the smallest thing that follows the same rules ----
const KE_MOBILE = /^(?:1(?:0[0-8]|[18]\d|2[014]|30|4[0-5])|7\d\d)\d{6}$/;
const SPELLING = /^(?:\+254|00254|254|0)0?(\d{9})$/;
export function regexNormalize(input) {
  const compact = String(input).trim().replace(/[ \t\u00a0\u202f\u2007\u2010\u2011-]/g, "");
  const match = SPELLING.exec(compact);
  if (!match || !KE_MOBILE.test(match[1])) {
    const error = new Error("Not a Kenyan mobile number");
    error.code = "INVALID_PHONE";
    throw error;
  }
  return `254${match[1]}`;
}

// ---- zod + libphonenumber-js: the STK request rules as a schema ----
const text = (max) =>
  z.string().trim().min(1).max(max).refine((s) => !/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/.test(s), "control characters");
const amount = z.union([z.number(), z.string().trim().regex(/^\+?\d+(\.0+)?$/).transform(Number)])
  .pipe(z.number().int().min(1).max(250000));
const phone = z.string().transform((s, ctx) => {
  try {
    return lpnNormalize(s);
  } catch {
    ctx.addIssue({ code: "custom", message: "Not a Kenyan mobile number" });
    return z.NEVER;
  }
});
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i).nullable().optional();
const stkSchema = z.object({
  amount,
  phone,
  accountReference: text(12),
  transactionDesc: text(13),
  callbackUrl: z.string().trim().max(500).url().refine((u) => u.startsWith("https://"), "https only"),
  channelId: uuid,
  credential_id: uuid,
});
export function zodValidateStkRequest(input) {
  const result = stkSchema.safeParse(input);
  return result.success
    ? { ok: true, errors: [], value: result.data }
    : { ok: false, errors: result.error.issues.map((i) => ({ field: String(i.path[0] ?? "request"), code: i.code, message: i.message })) };
}

// ---- a plain-JS checkPhone: the regex normaliser plus the same answer object ----
const NETWORKS = [
  [/^(?:7(?:[0-2]\d|4[0-6]|5[7-9]|6[89]|9\d)|1(?:1\d|[0-2]\d))/, "safaricom", "Safaricom"],
  [/^(?:7(?:3\d|5[0-6]|8\d)|10[0-2])/, "airtel", "Airtel"],
  [/^77\d/, "telkom", "Telkom"],
  [/^76[0-7]/, "equitel", "Equitel"],
];
export function regexCheckPhone(input) {
  let phone;
  try {
    phone = regexNormalize(input);
  } catch (e) {
    return { ok: false, code: e.code, message: e.message };
  }
  const n = phone.slice(3);
  const [, network, networkName] = NETWORKS.find(([re]) => re.test(n)) ?? [null, "other", "another network"];
  return {
    ok: true, phone,
    national: `0${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
    international: `+254 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
    network, networkName,
    mpesaWarning: network === "safaricom" ? null : "M-Pesa prompts reach Safaricom lines only.",
    rangeKnown: true, rangeWarning: null,
  };
}

// ---- zod + libphonenumber-js: the checkout a browser sends (no server fields) ----
const checkoutSchema = stkSchema.pick({ amount: true, phone: true, accountReference: true, transactionDesc: true }).strict();
export function zodValidateCheckout(input) {
  const result = checkoutSchema.safeParse(input);
  return result.success
    ? { ok: true, errors: [], value: result.data }
    : { ok: false, errors: result.error.issues.map((i) => ({ field: String(i.path[0] ?? "request"), code: i.code, message: i.message })) };
}
