// The Worker's per-request work in plain JavaScript, for `make bench` (bench/per-request.mjs):
// the same contract as the Rust Worker on the three paths measured there, with the same Durable
// Objects (the Rust Worker's own classes, bound across Workers by Miniflare) and the same Rate
// Limiting binding, so that what differs is only the Worker's per-request code.
//
//   POST /payments/stk      routes, CORS, JSON only, 16 KiB, the checkout rules (every field error
//                           at once), the per-IP limit, the phone's Guard object, the Budget
//                           object, PalPluss once, the Payment object's record, statusUrl and
//                           statusToken added, one log line;
//   GET /payments/{id}      the status token (Bearer or ?token=), the Payment object's view;
//   OPTIONS                 the preflight.
// Not shipped; kept honest so that the comparison is fair (what it leaves out, Idempotency-Key,
// intents and Turnstile, the bench does not send).
import { validate } from "./index.mjs";

const MAX_BODY = 16 * 1024;
const PAYMENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

const baseHeaders = (requestId, origin) => {
  const headers = { "x-request-id": requestId, "cache-control": "no-store", "x-content-type-options": "nosniff", vary: "Origin, Accept-Language" };
  if (origin) Object.assign(headers, { "access-control-allow-origin": origin, "access-control-expose-headers": "X-Request-Id, Retry-After, Idempotent-Replayed" });
  return headers;
};
const json = (status, body, headers) => new Response(JSON.stringify(body), { status, headers: { ...headers, "content-type": "application/json; charset=utf-8" } });
const refusal = (status, code, message, headers, details, retryAfter) => {
  const error = details ? { code, message, details } : { code, message };
  const extra = retryAfter ? { "retry-after": String(retryAfter) } : {};
  return json(status, { success: false, error, requestId: headers["x-request-id"] }, { ...headers, ...extra });
};

/** Basic base64url of bytes, no padding (the status token). */
const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function push(request, env, headers, log) {
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get("content-type") ?? "")) return refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Send the checkout as JSON.", headers);
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) return refusal(413, "BODY_TOO_LARGE", "The request is too large.", headers);
  const text = await request.text();
  if (text.length > MAX_BODY) return refusal(413, "BODY_TOO_LARGE", "The request is too large.", headers);
  let body;
  try { body = JSON.parse(text); } catch { return refusal(400, "INVALID_JSON", "The request is not valid JSON.", headers); }
  // 1: per client IP.
  const ip = request.headers.get("cf-connecting-ip") ?? "unknown";
  if (env.IP_RATE_LIMITER && !(await env.IP_RATE_LIMITER.limit({ key: ip })).success) {
    return refusal(429, "RATE_LIMITED", "Too many payment attempts.", headers, { retryAfterSeconds: 60 }, 60);
  }
  // 3: the fields.
  const { errors, value } = validate(body, Number(env.AMOUNT_MAX ?? 250000));
  if (errors) return refusal(400, "VALIDATION_FAILED", "Check the highlighted fields.", headers, { fields: errors });
  log.phone = `${value.phone.slice(0, 4)}******${value.phone.slice(10)}`;
  log.amount = value.amount;
  const url = new URL(request.url);
  const callbackUrl = env.CALLBACK_URL || `${url.protocol}//${url.host}/webhooks/palpluss/${env.WEBHOOK_SECRET}`;
  // 6: the phone.
  const cooldown = Number(env.PHONE_COOLDOWN_SECONDS ?? 60);
  const max = Number(env.PHONE_MAX_PER_HOUR ?? 5);
  const guard = env.GUARD.get(env.GUARD.idFromName(`phone:${value.phone}`));
  const verdict = await guard.fetch(`https://guard/reserve?cooldown=${cooldown}&max=${max}`, { method: "POST", body: "" });
  const [kind, n] = (verdict.headers.get("x-verdict") ?? "").split(" ");
  const times = (await verdict.text()).split(" ");
  if (kind !== "reserved") return refusal(429, "PHONE_BUSY", "A payment prompt was just sent to this phone.", headers, { retryAfterSeconds: Number(n) }, n);
  // 7: the key's health and the budget.
  const budget = env.BUDGET.get(env.BUDGET.idFromName("global"));
  const take = await (await budget.fetch(`https://budget/take?push=1&paid=${times[0] || 0}&failed=${times[1] || 0}`, { method: "POST" })).text();
  const [taken, slot] = take.split(" ");
  if (taken !== "ok") return refusal(503, "BUSY", "The payment service is busy.", headers, undefined, 1);
  // PalPluss, once.
  const started = Date.now();
  const upstream = await fetch(`${env.PALPLUSS_BASE_URL}/payments/stk`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa(`${env.PALPLUSS_API_KEY}:`)}`, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ ...value, callbackUrl }),
    signal: AbortSignal.timeout(Number(env.UPSTREAM_TIMEOUT_MS ?? 15000)),
  });
  let answer = (await upstream.text()).replaceAll(env.PALPLUSS_API_KEY, "[redacted]");
  log.upstreamStatus = upstream.status;
  log.upstreamMs = Date.now() - started;
  if (upstream.ok) {
    const parsed = JSON.parse(answer);
    const id = parsed?.data?.transactionId;
    if (typeof id === "string" && PAYMENT_ID.test(id)) {
      const token = base64url(crypto.getRandomValues(new Uint8Array(16)));
      const now = Date.now();
      const record = {
        transactionId: id, status: "PENDING", confirmed: false, resultCode: null, resultDesc: null, mpesaReceipt: null, hintedReceipt: null,
        amount: value.amount, phone: value.phone, accountReference: value.accountReference, pushedAt: now, updatedAt: now,
        tokenSha256: hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))), events: [], phonePush: Number(n), healthPush: Number(slot),
      };
      const payment = env.PAYMENTS.get(env.PAYMENTS.idFromName(id));
      const stored = await payment.fetch("https://payment/init", { method: "POST", body: JSON.stringify(record) });
      if (stored.ok) {
        parsed.data.statusUrl = `/payments/${id}`;
        parsed.data.statusToken = token;
        answer = JSON.stringify(parsed);
      }
    }
  }
  return new Response(answer, { status: upstream.status, headers: { ...headers, "content-type": "application/json; charset=utf-8" } });
}

async function status(request, env, id, headers) {
  const url = new URL(request.url);
  const bearer = request.headers.get("authorization")?.match(/^Bearer (.+)$/)?.[1]?.trim();
  const token = bearer || url.searchParams.get("token");
  const lang = url.searchParams.get("lang") ?? (/^sw\b/i.test(request.headers.get("accept-language") ?? "") ? "sw" : "en");
  if (!token || token.length > 256 || !PAYMENT_ID.test(id)) return refusal(404, "PAYMENT_NOT_FOUND", "No such payment.", headers);
  const payment = env.PAYMENTS.get(env.PAYMENTS.idFromName(id));
  const answer = await payment.fetch(`https://payment/status/${lang === "sw" ? "sw" : "en"}`, { method: "POST", body: token });
  if (answer.status !== 200) return refusal(404, "PAYMENT_NOT_FOUND", "No such payment.", headers);
  return json(200, { success: true, data: await answer.json(), requestId: headers["x-request-id"] }, headers);
}

export default {
  async fetch(request, env) {
    const started = Date.now();
    const requestId = crypto.randomUUID();
    const url = new URL(request.url);
    const origins = (env.ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
    const origin = request.headers.get("origin");
    const allowed = origin && origins.includes(origin) ? origin : null;
    const headers = baseHeaders(requestId, allowed);
    const log = {};
    let response;
    const statusMatch = /^\/payments\/([^/]+)$/.exec(url.pathname);
    if (url.pathname !== "/payments/stk" && !statusMatch) response = refusal(404, "NOT_FOUND", "No such route.", headers);
    else if (request.method === "OPTIONS") {
      response = allowed
        ? new Response(null, { status: 204, headers: { ...headers, "access-control-allow-methods": url.pathname === "/payments/stk" ? "POST, OPTIONS" : "GET, HEAD, OPTIONS", "access-control-allow-headers": "Content-Type, Authorization, Idempotency-Key", "access-control-max-age": "600" } })
        : refusal(403, "ORIGIN_NOT_ALLOWED", "This page may not take payments.", headers);
    } else if (url.pathname === "/payments/stk") {
      if (request.method !== "POST") response = refusal(405, "METHOD_NOT_ALLOWED", "POST only.", { ...headers, allow: "POST, OPTIONS" });
      else if (origin && !allowed) response = refusal(403, "ORIGIN_NOT_ALLOWED", "This page may not take payments.", headers);
      else response = await push(request, env, headers, log);
    } else if (request.method === "GET" || request.method === "HEAD") {
      response = await status(request, env, statusMatch[1], headers);
    } else response = refusal(405, "METHOD_NOT_ALLOWED", "GET only.", { ...headers, allow: "GET, HEAD, OPTIONS" });
    const level = response.status >= 500 ? "error" : response.status >= 400 ? "warn" : "info";
    console.log(JSON.stringify({ level, requestId, method: request.method, path: url.pathname.replace(/^(\/webhooks\/palpluss\/).+/, "$1***"), status: response.status, durationMs: Date.now() - started, ...log }));
    return response;
  },
};
