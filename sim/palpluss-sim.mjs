#!/usr/bin/env node
// A local PalPluss simulator: the STK push API with no account, key or internet.
//
//   node sim/palpluss-sim.mjs [--port 8788] [--host 127.0.0.1]
//   npx palpluss-stk-sim [--port 8788]        (the same file, as the npm package ships it)
//
// Serves {base}/v1/payments/stk (and its /initiate alias) and {base}/v1/transactions/{id} with
// PalPluss's envelopes, checks Basic auth against SIM_API_KEY (default "sim_test_key"), applies
// PalPluss's own input rules, answers PENDING, and SIM_WEBHOOK_DELAY_MS later (default 3000) posts
// a `transaction.updated` webhook to the callbackUrl. Outcomes are chosen by test phone numbers,
// like card test numbers (see OUTCOMES); how the webhook is delivered too (DELIVERIES: twice, never,
// late, lying, or after PENDING -> PROCESSING -> final on GET). Like PalPluss, it allows
// SIM_RATE_PER_MINUTE (default 60, 0 = no limit) requests a minute per key and says so in
// x-ratelimit-* headers. Sinks: {base}/dev/webhooks records webhooks sent to it, {base}/dev/merchant
// verifies the proxy's signed merchant events (SIM_MERCHANT_SECRET) and lists what arrived.
// The key's ban, as a model (PalPluss does not publish its thresholds): when, of the pushes of the
// last SIM_BAN_WINDOW_MINUTES (default 10) whose result is known, there are at least
// SIM_BAN_MIN_PUSHES (default 20) with a paid share under SIM_BAN_MIN_SUCCESS_RATE (default 0.25),
// every push answers 429 STK_TEMP_BANNED with details.retryAfterSeconds for SIM_BAN_SECONDS (default
// 3600); SIM_BAN_MIN_PUSHES=0 never bans. Numbers 0799 9xx xxx cancel and 0799 8xx xxx time out
// (EXPIRED), for attacks from many phones.
// Turnstile stand-ins for offline checkouts: {base}/turnstile/v0/api.js (the widget) and
// {base}/turnstile/v0/siteverify (answers like Cloudflare's test secret keys).
import { createServer } from "node:http";
import { createHmac, randomUUID, randomInt, timingSafeEqual } from "node:crypto";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Test numbers (normalised) and what the simulator does with them. Any other number succeeds. */
export const OUTCOMES = {
  "254700000001": { kind: "result", status: "FAILED", resultCode: "1", resultDesc: "The balance is insufficient for the transaction.", event: "transaction.failed" },
  "254700001032": { kind: "result", status: "CANCELLED", resultCode: "1032", resultDesc: "Request cancelled by user.", event: "transaction.cancelled" },
  "254700001037": { kind: "result", status: "FAILED", resultCode: "1037", resultDesc: "DS timeout user cannot be reached.", event: "transaction.failed" },
  "254700002001": { kind: "result", status: "FAILED", resultCode: "2001", resultDesc: "The initiator information is invalid.", event: "transaction.failed" },
  // A short ban: the Worker's breaker holds every push for it, so an hour would stop `make dev`.
  "254700000429": { kind: "http", status: 429, code: "STK_TEMP_BANNED", message: "Too many failed STK pushes. Try again later.", details: { retryAfterSeconds: 5 } },
  "254700000430": { kind: "http", status: 429, code: "RATE_LIMIT_EXCEEDED", message: "Rate limit exceeded: 60 requests per minute.", retryAfterHeader: "30" },
  "254700000401": { kind: "http", status: 401, code: "INVALID_API_KEY", message: "API key not found or revoked." },
  "254700000500": { kind: "http", status: 500, code: "INTERNAL_ERROR", message: "Something went wrong on our side." },
  "254700000502": { kind: "html" },
  "254700000504": { kind: "slow" },
};

/** Ranges of numbers with one outcome each (an attacker's many phones): by their first digits. */
export const OUTCOME_RANGES = {
  "2547999": { kind: "result", status: "CANCELLED", resultCode: "1032", resultDesc: "Request cancelled by user.", event: "transaction.cancelled" },
  "2547998": { kind: "result", status: "EXPIRED", resultCode: "1037", resultDesc: "DS timeout user cannot be reached.", event: "transaction.expired" },
};
const outcomeOf = (phone) => OUTCOMES[phone] ?? Object.entries(OUTCOME_RANGES).find(([prefix]) => phone.startsWith(prefix))?.[1];
const FINAL = new Set(["SUCCESS", "FAILED", "CANCELLED", "EXPIRED", "REVERSED"]);

/**
 * Test numbers that change how the result is delivered (the payment itself succeeds, except where
 * said): `twice` sends the webhook twice; `none` sends no webhook (only GET knows); `late` sends it
 * after SIM_LATE_WEBHOOK_MS (20 s); `lying` says SUCCESS with a receipt while GET says FAILED;
 * `progress` shows PROCESSING on GET first, the final status one delay later, then the webhook.
 */
export const DELIVERIES = {
  "254700000002": "twice",
  "254700000003": "none",
  "254700000020": "late",
  "254700000666": "lying",
  "254700000100": "progress",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** PalPluss's own phone normalisation: 07/01, 254, +254. */
function normalisePhone(phone) {
  if (typeof phone !== "string") return null;
  const m = phone.replace(/[\s-]/g, "").match(/^(?:\+?254|0)([17]\d{8})$/);
  return m ? `254${m[1]}` : null;
}

const envelopeError = (code, message, details) => ({
  success: false,
  error: details ? { code, message, details } : { code, message },
  requestId: randomUUID(),
});

/** Checks an STK body with PalPluss's rules; returns [status, envelope] for the first problem. */
function checkBody(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return [400, envelopeError("VALIDATION_ERROR", "Body must be a JSON object.")];
  const { amount, phone, accountReference, transactionDesc, callbackUrl, channelId, credential_id } = body;
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 1) return [400, envelopeError("VALIDATION_ERROR", "amount must be a number >= 1.")];
  if (!normalisePhone(phone)) return [400, envelopeError("INVALID_PHONE", "Phone format not recognized.")];
  if (accountReference !== undefined && (typeof accountReference !== "string" || accountReference.length > 12)) return [400, envelopeError("VALIDATION_ERROR", "accountReference must be 12 characters or fewer.")];
  if (transactionDesc !== undefined && (typeof transactionDesc !== "string" || transactionDesc.length > 13)) return [400, envelopeError("VALIDATION_ERROR", "transactionDesc must be 13 characters or fewer.")];
  if (typeof callbackUrl !== "string" || !/^https?:\/\/[^\s/]+/.test(callbackUrl) || callbackUrl.length > 500) return [400, envelopeError("VALIDATION_ERROR", "callbackUrl must be a URL.")];
  if (channelId != null && !(typeof channelId === "string" && UUID.test(channelId))) return [400, envelopeError("CHANNEL_NOT_FOUND", "channelId not found for tenant.")];
  if (credential_id != null && !(typeof credential_id === "string" && UUID.test(credential_id))) return [404, envelopeError("CREDENTIAL_NOT_FOUND", "credential_id not found.")];
  return null;
}

const pad = (n, w = 2) => String(n).padStart(w, "0");
function checkoutId(now) {
  const d = new Date(now);
  return `ws_CO_${pad(d.getUTCDate())}${pad(d.getUTCMonth() + 1)}${d.getUTCFullYear()}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${pad(randomInt(1e6), 6)}`;
}
const receipt = () => Array.from({ length: 10 }, () => "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"[randomInt(34)]).join("");

/**
 * Starts the simulator. Resolves to { url, port, close(), transactions, webhooks, requests }:
 * `url` is the API base (…/v1), `webhooks` what the sink received, `requests` every STK call seen.
 */
export async function startSimulator({
  port = 0,
  host = "127.0.0.1",
  apiKey = process.env.SIM_API_KEY || "sim_test_key",
  webhookDelayMs = Number(process.env.SIM_WEBHOOK_DELAY_MS ?? 3000),
  slowMs = Number(process.env.SIM_SLOW_MS ?? 30000),
  lateWebhookMs = Number(process.env.SIM_LATE_WEBHOOK_MS ?? 20000),
  ratePerMinute = Number(process.env.SIM_RATE_PER_MINUTE ?? 60),
  merchantSecret = process.env.SIM_MERCHANT_SECRET || "msec_dev_simulator_0123456789",
  banWindowMs = Number(process.env.SIM_BAN_WINDOW_MINUTES ?? 10) * 60_000,
  banMinPushes = Number(process.env.SIM_BAN_MIN_PUSHES ?? 20),
  banMinSuccessRate = Number(process.env.SIM_BAN_MIN_SUCCESS_RATE ?? 0.25),
  banSeconds = Number(process.env.SIM_BAN_SECONDS ?? 3600),
  log = () => {},
} = {}) {
  const transactions = new Map();
  const webhooks = [];
  const requests = [];
  /** Every webhook sent: { id, status, at }. */
  const deliveries = [];
  /** Signed events received at /dev/merchant: { verified, event, at }. */
  const merchantEvents = [];
  /** API calls in the last minute (for the rate limit), and how many were refused. */
  const window = [];
  // pushesIntoBan: pushes that arrived while a ban ran (the one that starts a ban is not counted).
  const stats = { rateLimited: 0, apiCalls: 0, gets: 0, bans: 0, pushesIntoBan: 0 };
  /** The key's pushes (for the ban model): { at, tx }; and the bans: { at, until }. */
  const pushes = [];
  const bans = [];
  let bannedUntil = 0;
  /** The ban model: the seconds left of the ban this push meets (0: none). */
  const banned = (now) => {
    if (bannedUntil > now) {
      stats.pushesIntoBan++;
      bans.at(-1)?.into.push(now - bans.at(-1).at);
      return Math.ceil((bannedUntil - now) / 1000);
    }
    if (banMinPushes <= 0) return 0;
    while (pushes.length && pushes[0].at <= now - banWindowMs) pushes.shift();
    const known = pushes.filter((p) => FINAL.has(p.tx.status));
    const paid = known.filter((p) => p.tx.status === "SUCCESS").length;
    if (known.length >= banMinPushes && paid < banMinSuccessRate * known.length) {
      bannedUntil = now + banSeconds * 1000;
      stats.bans++;
      // `into`: when pushes met the ban, ms after it began.
      bans.push({ at: now, until: bannedUntil, known: known.length, paid, into: [] });
      log(`key BANNED for ${banSeconds} s: ${paid} of ${known.length} recent pushes paid`);
      return banSeconds;
    }
    return 0;
  };
  const timers = new Set();
  const later = (fn, ms) => {
    const timer = setTimeout(() => { timers.delete(timer); fn(); }, ms);
    timers.add(timer);
  };

  /** PalPluss's 60 requests a minute per key: null when allowed, else the 429 to send. */
  const rateLimit = () => {
    const now = Date.now();
    while (window.length && window[0] <= now - 60_000) window.shift();
    const headers = ratePerMinute > 0 ? {
      "x-ratelimit-limit": String(ratePerMinute),
      "x-ratelimit-remaining": String(Math.max(0, ratePerMinute - window.length - 1)),
      "x-ratelimit-reset": String(window.length ? Math.ceil((window[0] + 60_000 - now) / 1000) : 60),
    } : {};
    if (ratePerMinute > 0 && window.length >= ratePerMinute) {
      stats.rateLimited++;
      return { refused: true, headers: { ...headers, "x-ratelimit-remaining": "0", "retry-after": headers["x-ratelimit-reset"] } };
    }
    window.push(now);
    stats.apiCalls++;
    return { refused: false, headers };
  };
  const authorised = (header) => {
    const match = /^Basic ([^\s]+)$/.exec(header || "");
    if (!match) return "AUTH_HEADER_INVALID";
    const decoded = Buffer.from(match[1], "base64").toString("utf8");
    const given = decoded.endsWith(":") ? decoded.slice(0, -1) : match[1];
    return given === apiKey ? null : "INVALID_API_KEY";
  };

  const send = (res, status, body, headers = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const readBody = (req) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on("data", (c) => {
        size += c.length;
        if (size > 1 << 20) req.destroy(new Error("body too large"));
        else chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  /** The final state of a transaction, as GET will show it. */
  function settle(tx, outcome) {
    if (outcome) {
      Object.assign(tx, { status: outcome.status, result_code: outcome.resultCode, result_desc: outcome.resultDesc });
    } else {
      Object.assign(tx, { status: "SUCCESS", result_code: "0", result_desc: "The service request is processed successfully.", mpesa_receipt: receipt() });
    }
    tx.updated_at = new Date().toISOString();
  }

  /** Posts a webhook for the transaction as it stands (or with `claim` in place of its state). */
  function notify(tx, claim = {}) {
    const now = new Date().toISOString();
    const status = claim.status ?? tx.status;
    const payload = {
      event: "transaction.updated",
      event_type: `transaction.${status === "SUCCESS" ? "success" : status.toLowerCase()}`,
      transaction: {
        id: tx.transaction_id, tenant_id: tx.tenant_id, type: "STK", status: tx.status, amount: tx.amount,
        currency: "KES", phone_number: tx.phone_number, external_reference: tx.external_reference,
        provider: "MPESA", provider_request_id: tx.provider_request_id, provider_checkout_id: tx.provider_checkout_id,
        result_code: tx.result_code, result_desc: tx.result_desc, mpesa_receipt: tx.mpesa_receipt ?? null,
        created_at: tx.created_at, updated_at: now, ...claim,
      },
    };
    deliveries.push({ id: tx.transaction_id, status, at: Date.now() });
    fetch(tx.callback_url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) })
      .then((r) => log(`webhook ${payload.event_type} -> ${tx.callback_url}: ${r.status}`))
      .catch((e) => log(`webhook ${payload.event_type} -> ${tx.callback_url} failed: ${e.message}`));
  }

  /** Plays out a transaction: its states on GET over time, and its webhooks. */
  function playOut(tx, outcome, delivery) {
    const result = outcome?.kind === "result" ? outcome : null;
    switch (delivery) {
      case "twice":
        later(() => { settle(tx, result); notify(tx); later(() => notify(tx), 300); }, webhookDelayMs);
        break;
      case "none":
        later(() => settle(tx, result), webhookDelayMs);
        break;
      case "late":
        later(() => settle(tx, result), webhookDelayMs);
        later(() => notify(tx), lateWebhookMs);
        break;
      case "lying":
        later(() => {
          settle(tx, { status: "FAILED", resultCode: "2001", resultDesc: "The initiator information is invalid." });
          notify(tx, { status: "SUCCESS", result_code: "0", mpesa_receipt: receipt() });
        }, webhookDelayMs);
        break;
      case "progress":
        later(() => { tx.status = "PROCESSING"; tx.updated_at = new Date().toISOString(); }, webhookDelayMs);
        later(() => { settle(tx, result); notify(tx); }, 2 * webhookDelayMs);
        break;
      default:
        later(() => { settle(tx, result); notify(tx); }, webhookDelayMs);
    }
  }

  async function stk(req, res) {
    const auth = authorised(req.headers.authorization);
    if (auth) return send(res, 401, envelopeError(auth, auth === "INVALID_API_KEY" ? "API key not found or revoked." : "Authorization header missing or malformed."));
    const limit = rateLimit();
    if (limit.refused) return send(res, 429, envelopeError("RATE_LIMIT_EXCEEDED", `Rate limit exceeded: ${ratePerMinute} requests per minute.`), limit.headers);
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, envelopeError("VALIDATION_ERROR", "Body must be valid JSON."));
    }
    requests.push({ body, headers: req.headers });
    const problem = checkBody(body);
    if (problem) return send(res, ...problem);
    const phone = normalisePhone(body.phone);
    const ban = banned(Date.now());
    if (ban > 0) {
      return send(res, 429, envelopeError("STK_TEMP_BANNED", "Too many failed STK pushes. Try again later.", { retryAfterSeconds: ban }), limit.headers);
    }
    const outcome = outcomeOf(phone);
    if (outcome?.kind === "http") {
      const headers = outcome.retryAfterHeader ? { "retry-after": outcome.retryAfterHeader } : {};
      return send(res, outcome.status, envelopeError(outcome.code, outcome.message, outcome.details), headers);
    }
    if (outcome?.kind === "html") {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    }
    if (outcome?.kind === "slow") {
      const timer = setTimeout(() => { timers.delete(timer); if (!res.writableEnded) send(res, 504, envelopeError("GATEWAY_TIMEOUT", "Upstream timed out.")); }, slowMs);
      timers.add(timer);
      return;
    }
    const now = new Date().toISOString();
    const tx = {
      transaction_id: randomUUID(), tenant_id: "b6fbe75f-ce87-4d44-b318-6cfdb8b7de4d", type: "STK", status: "PENDING",
      amount: body.amount, currency: "KES", phone_number: phone, channel_id: body.channelId ?? null,
      external_reference: body.accountReference ?? null, customer_name: null, callback_url: body.callbackUrl,
      provider: "MPESA", provider_request_id: `${randomInt(10000, 99999)}-${randomInt(1e7, 1e8)}-1`,
      provider_checkout_id: checkoutId(Date.now()), result_code: "0",
      result_desc: "Success. Request accepted for processing", created_at: now, updated_at: now,
    };
    transactions.set(tx.transaction_id, tx);
    pushes.push({ at: Date.now(), tx });
    playOut(tx, outcome, DELIVERIES[phone]);
    log(`STK ${tx.transaction_id} ${phone.slice(0, 4)}******${phone.slice(10)} KES ${body.amount}: PENDING`);
    send(res, 200, {
      success: true,
      data: {
        transactionId: tx.transaction_id, tenantId: tx.tenant_id, channelId: tx.channel_id, type: "STK", status: "PENDING",
        amount: tx.amount, currency: "KES", phone, accountReference: body.accountReference,
        transactionDesc: body.transactionDesc, providerRequestId: tx.provider_request_id,
        providerCheckoutId: tx.provider_checkout_id, transactionFee: 0, resultCode: "0",
        resultDescription: "Success. Request accepted for processing", createdAt: now, updatedAt: now,
      },
      requestId: randomUUID(),
    }, limit.headers);
  }

  function transaction(req, res, id) {
    const auth = authorised(req.headers.authorization);
    if (auth) return send(res, 401, envelopeError(auth, "Authorization failed."));
    const limit = rateLimit();
    if (limit.refused) return send(res, 429, envelopeError("RATE_LIMIT_EXCEEDED", `Rate limit exceeded: ${ratePerMinute} requests per minute.`), limit.headers);
    stats.gets++;
    if (!UUID.test(id)) return send(res, 400, envelopeError("INVALID_UUID", "Transaction ID is not a valid UUID."));
    const tx = transactions.get(id.toLowerCase());
    if (!tx) return send(res, 404, envelopeError("TRANSACTION_NOT_FOUND", "Transaction not found."));
    send(res, 200, { success: true, data: tx, requestId: randomUUID() }, limit.headers);
  }

  /**
   * The merchant sink: verifies the proxy's signatures like a merchant's server would, both the
   * Palpluss-Stk-Signature (keyed with the secret's text) and Standard Webhooks' headers (keyed
   * with a whsec_ secret's decoded bytes, else its text). Any one of several signatures may match.
   */
  function merchantEvent(text, headers) {
    const fresh = (t) => /^\d{1,12}$/.test(t ?? "") && Math.abs(Date.now() / 1000 - Number(t)) <= 300;
    const matches = (expected, given) => given.length === expected.length && timingSafeEqual(expected, given);
    const parts = String(headers["palpluss-stk-signature"] ?? "").split(",").map((p) => p.trim().split("=", 2));
    const t = parts.find(([k]) => k === "t")?.[1];
    const ours = createHmac("sha256", merchantSecret).update(`${t}.${text}`).digest();
    const verified = fresh(t) && parts.some(([k, v]) => k === "v1" && /^[0-9a-f]{64}$/.test(v ?? "") && matches(ours, Buffer.from(v, "hex")));
    const key = merchantSecret.startsWith("whsec_") ? Buffer.from(merchantSecret.slice(6), "base64") : Buffer.from(merchantSecret);
    const [id, ts] = [headers["webhook-id"], headers["webhook-timestamp"]];
    const standard = createHmac("sha256", key).update(`${id}.${ts}.${text}`).digest();
    const standardVerified = Boolean(id) && fresh(ts) &&
      String(headers["webhook-signature"] ?? "").split(" ").some((s) => s.startsWith("v1,") && matches(standard, Buffer.from(s.slice(3), "base64")));
    let event;
    try { event = JSON.parse(text); } catch { event = { invalid: text.slice(0, 200) }; }
    merchantEvents.push({ verified, standardVerified, webhookId: id, event, at: Date.now() });
    log(`merchant event ${event.type ?? "?"} ${event.id ?? ""}: ${verified ? "signature verified" : "SIGNATURE INVALID"}, Standard Webhooks ${standardVerified ? "verified" : "INVALID"}`);
    return verified && standardVerified;
  }

  /**
   * Cloudflare Turnstile's siteverify as it answers for its published test secret keys: 1x... always
   * passes, 2x... always fails, 3x... says the token was already spent. Any other secret is invalid.
   */
  function siteverify(text) {
    const form = new URLSearchParams(text);
    const secret = form.get("secret") ?? "";
    stats.siteverify = (stats.siteverify ?? 0) + 1;
    if (!form.get("response")) return { success: false, "error-codes": ["missing-input-response"] };
    if (secret.startsWith("1x")) return { success: true, "error-codes": [], hostname: "localhost", action: "", cdata: "" };
    if (secret.startsWith("2x")) return { success: false, "error-codes": ["invalid-input-response"] };
    if (secret.startsWith("3x")) return { success: false, "error-codes": ["timeout-or-duplicate"] };
    return { success: false, "error-codes": ["invalid-input-secret"] };
  }

  /**
   * A stand-in for Turnstile's api.js (no internet under `make dev`): renders each `.cf-turnstile`
   * as a visible "verified" box and puts the dummy token Cloudflare's test site keys give in a
   * hidden `cf-turnstile-response` input, as the real widget does; `turnstile.reset()` gives a new one.
   */
  function turnstileWidget(res) {
    res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store", "access-control-allow-origin": "*" });
    res.end(`(() => {
  const render = (el) => {
    if (el.dataset.rendered) return;
    el.dataset.rendered = "1";
    const box = document.createElement("p");
    box.className = "turnstile-standin";
    box.textContent = "\u2713 " + (document.documentElement.lang === "sw" ? "Ukaguzi wa usalama umekamilika (Turnstile ya majaribio)" : "Security check passed (test Turnstile)");
    const input = Object.assign(document.createElement("input"), { type: "hidden", name: "cf-turnstile-response", value: "XXXX.DUMMY.TOKEN.XXXX" });
    el.append(box, input);
  };
  window.turnstile = {
    render: (target) => { const el = typeof target === "string" ? document.querySelector(target) : target; render(el); return "standin"; },
    reset: () => { for (const input of document.querySelectorAll("input[name=cf-turnstile-response]")) input.value = "XXXX.DUMMY.TOKEN.XXXX"; },
    getResponse: () => document.querySelector("input[name=cf-turnstile-response]")?.value,
    remove: () => {},
  };
  for (const el of document.querySelectorAll(".cf-turnstile")) render(el);
})();
`);
  }

  const server = createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url, "http://sim");
      if (req.method === "POST" && (pathname === "/v1/payments/stk" || pathname === "/v1/payments/stk/initiate")) return await stk(req, res);
      const tx = /^\/v1\/transactions\/([^/]+)$/.exec(pathname);
      if (req.method === "GET" && tx) return transaction(req, res, decodeURIComponent(tx[1]));
      if (pathname === "/dev/webhooks" && req.method === "POST") {
        const text = await readBody(req);
        try { webhooks.push(JSON.parse(text)); } catch { webhooks.push({ invalid: text }); }
        return send(res, 200, { received: true });
      }
      if (pathname === "/dev/webhooks" && req.method === "GET") return send(res, 200, webhooks);
      if (pathname === "/dev/merchant" && req.method === "POST") {
        const ok = merchantEvent(await readBody(req), req.headers);
        return send(res, ok ? 200 : 400, { received: true, verified: ok });
      }
      if (pathname === "/dev/merchant" && req.method === "GET") return send(res, 200, merchantEvents);
      if (pathname === "/dev/deliveries" && req.method === "GET") return send(res, 200, deliveries);
      if (pathname === "/dev/stats" && req.method === "GET") return send(res, 200, stats);
      if (pathname === "/turnstile/v0/api.js") return turnstileWidget(res);
      if (pathname === "/turnstile/v0/siteverify" && req.method === "POST") return send(res, 200, siteverify(await readBody(req)));
      if (pathname === "/health") return send(res, 200, { ok: true, simulator: true });
      send(res, 404, envelopeError("NOT_FOUND", "No such route on the simulator."));
    } catch (e) {
      if (!res.headersSent) send(res, 500, envelopeError("INTERNAL_ERROR", e.message));
    }
  });
  // Keep idle connections open longer than any client keeps them: a server that closes a kept-alive
  // socket just as the client reuses it makes the client's request fail (seen as 502 under load).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise((resolve) => server.listen(port, host, resolve));
  const actual = server.address().port;
  return {
    url: `http://${host}:${actual}/v1`,
    origin: `http://${host}:${actual}`,
    port: actual,
    apiKey,
    transactions,
    webhooks,
    requests,
    deliveries,
    merchantEvents,
    stats,
    bans,
    merchantSecret,
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// Run as a program (also through a bin link, which process.argv[1] names instead of this file).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const sim = await startSimulator({
    port: Number(arg("port", 8788)),
    host: arg("host", "127.0.0.1"),
    log: (line) => console.log(`[simulator] ${line}`),
  });
  console.log(`[simulator] PalPluss simulator on ${sim.url} (API key "${sim.apiKey}")`);
  const stop = () => sim.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
