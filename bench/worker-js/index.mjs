// The same proxy as the Rust Worker, in plain JavaScript, for the benchmark: routes, CORS, JSON
// only, 16 KiB body limit, the checkout rules (every field error at once), forwarding with Basic
// auth and a timeout, 429 Retry-After, the error envelope. Not shipped; kept honest so the
// comparison is fair.
const KE_MOBILE = /^(?:1(?:0[0-8]|[18]\d|2[014]|30|4[0-5])|7\d\d)\d{6}$/;
const SPELLING = /^(?:\+254|00254|254|0)0?(\d{9})$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const MAX_BODY = 16 * 1024;

export function normalizePhone(input) {
  const match = SPELLING.exec(input.trim().replace(/[ \t\u00a0\u202f\u2007\u2010\u2011-]/g, ""));
  return match && KE_MOBILE.test(match[1]) ? `254${match[1]}` : null;
}

export function validate(body, amountMax) {
  const errors = [];
  const out = {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { errors: [{ field: "request", code: "NOT_AN_OBJECT", message: "The request must be a JSON object." }] };
  }
  let amount = body.amount;
  if (typeof amount === "string" && /^\s*\+?\d+(\.0+)?\s*$/.test(amount)) amount = Number(amount);
  if (amount == null || amount === "") errors.push({ field: "amount", code: "REQUIRED", message: "Enter the amount to pay." });
  else if (typeof amount !== "number" || !Number.isFinite(amount)) errors.push({ field: "amount", code: "AMOUNT_NOT_A_NUMBER", message: "Enter the amount as a number." });
  else if (!Number.isInteger(amount)) errors.push({ field: "amount", code: "AMOUNT_NOT_WHOLE", message: "Whole shillings only." });
  else if (amount < 1) errors.push({ field: "amount", code: "AMOUNT_TOO_SMALL", message: "At least KES 1." });
  else if (amount > amountMax) errors.push({ field: "amount", code: "AMOUNT_TOO_LARGE", message: `At most KES ${amountMax}.` });
  else out.amount = amount;
  const phone = typeof body.phone === "string" ? normalizePhone(body.phone) : null;
  if (phone) out.phone = phone;
  else errors.push({ field: "phone", code: body.phone == null ? "REQUIRED" : "PHONE_INVALID", message: "Enter a Kenyan mobile number." });
  for (const [field, max] of [["accountReference", 12], ["transactionDesc", 13]]) {
    const value = body[field];
    const trimmed = typeof value === "string" ? value.trim() : null;
    if (trimmed === null || trimmed === "") errors.push({ field, code: value == null || trimmed === "" ? "REQUIRED" : "INVALID_TYPE", message: "Required text." });
    else if (CONTROL.test(trimmed)) errors.push({ field, code: "CONTROL_CHARACTERS", message: "No control characters." });
    else if ([...trimmed].length > max) errors.push({ field, code: "TOO_LONG", message: `At most ${max} characters.` });
    else out[field] = trimmed;
  }
  for (const field of ["callbackUrl", "channelId", "credential_id"]) {
    if (field in body) errors.push({ field, code: "FIELD_NOT_ALLOWED", message: `${field} is set by the server.` });
  }
  return errors.length ? { errors } : { value: out };
}

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
const fail = (status, code, message, requestId, details, headers) =>
  json(status, { success: false, error: details ? { code, message, details } : { code, message }, requestId }, { "x-request-id": requestId, ...headers });

export default {
  async fetch(request, env) {
    const requestId = crypto.randomUUID();
    const url = new URL(request.url);
    if (url.pathname !== "/payments/stk") return fail(404, "NOT_FOUND", "No such route.", requestId);
    const origins = (env.ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
    const origin = request.headers.get("origin");
    const cors = origin && origins.includes(origin) ? { "access-control-allow-origin": origin, vary: "Origin" } : {};
    if (origin && !cors["access-control-allow-origin"]) return fail(403, "ORIGIN_NOT_ALLOWED", "Origin not allowed.", requestId);
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: { ...cors, "access-control-allow-methods": "POST, OPTIONS", "access-control-allow-headers": "Content-Type" } });
    if (request.method !== "POST") return fail(405, "METHOD_NOT_ALLOWED", "POST only.", requestId, undefined, { allow: "POST, OPTIONS" });
    if (!/^application\/json\s*(;|$)/i.test(request.headers.get("content-type") ?? "")) return fail(415, "UNSUPPORTED_MEDIA_TYPE", "JSON only.", requestId);
    if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) return fail(413, "BODY_TOO_LARGE", "Too large.", requestId);
    const text = await request.text();
    if (text.length > MAX_BODY) return fail(413, "BODY_TOO_LARGE", "Too large.", requestId);
    let body;
    try { body = JSON.parse(text); } catch { return fail(400, "INVALID_JSON", "Not JSON.", requestId); }
    const { errors, value } = validate(body, Number(env.AMOUNT_MAX ?? 250000));
    if (errors) return fail(400, "VALIDATION_FAILED", "Check the fields.", requestId, { fields: errors });
    const upstreamBody = JSON.stringify({ ...value, callbackUrl: env.CALLBACK_URL });
    let upstream;
    try {
      upstream = await fetch(`${env.PALPLUSS_BASE_URL}/payments/stk`, {
        method: "POST",
        headers: { authorization: `Basic ${btoa(`${env.PALPLUSS_API_KEY}:`)}`, "content-type": "application/json" },
        body: upstreamBody,
        signal: AbortSignal.timeout(Number(env.UPSTREAM_TIMEOUT_MS ?? 15000)),
      });
    } catch (e) {
      return e.name === "TimeoutError" ? fail(504, "UPSTREAM_TIMEOUT", "Timed out.", requestId) : fail(502, "UPSTREAM_UNAVAILABLE", "Unreachable.", requestId);
    }
    const answer = (await upstream.text()).replaceAll(env.PALPLUSS_API_KEY, "[redacted]");
    try { JSON.parse(answer); } catch { return fail(502, "UPSTREAM_UNAVAILABLE", "Not JSON.", requestId); }
    const headers = { "content-type": "application/json; charset=utf-8", "x-request-id": requestId, ...cors };
    if (upstream.status === 429) headers["retry-after"] = upstream.headers.get("retry-after") ?? "60";
    console.log(JSON.stringify({ requestId, status: upstream.status, phone: `${value.phone.slice(0, 4)}******${value.phone.slice(10)}` }));
    return new Response(answer, { status: upstream.status, headers });
  },
};
