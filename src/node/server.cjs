"use strict";
// Node-only helpers for merchants' servers (never in the browser entries), with node:crypto's
// HMAC-SHA256:
// - verifyWebhook checks the Palpluss-Stk-Signature of an event the payment proxy sent (compared in
//   constant time); the Rust twin is palpluss_stk::edge::events::verify_webhook.
// - signCheckoutIntent signs what the checkout may charge ({p}.{s}, base64url); the Rust twin is
//   palpluss_stk::edge::guard::sign_intent, and both give the same token for the same intent.
const { createHmac, timingSafeEqual } = require("node:crypto");

class WebhookVerificationError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "WebhookVerificationError";
    this.code = code;
  }
}

function fail(code, message) {
  throw new WebhookVerificationError(code, message);
}

function verifyWebhook(rawBody, header, secret, { toleranceSeconds = 300, now = Date.now() / 1000 } = {}) {
  if (typeof secret !== "string" || secret.length === 0) fail("SECRET_MISSING", "verifyWebhook needs the MERCHANT_WEBHOOK_SECRET.");
  let body;
  if (typeof rawBody === "string") body = Buffer.from(rawBody, "utf8");
  else if (rawBody instanceof Uint8Array) body = Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  else fail("BODY_NOT_RAW", "Pass the raw request body (a string or bytes), exactly as received, not parsed JSON.");
  if (typeof header !== "string" || header.length > 4096) fail("SIGNATURE_MALFORMED", "The Palpluss-Stk-Signature header is missing or malformed.");
  let t;
  const signatures = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && /^\d{1,12}$/.test(value ?? "")) t = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/i.test(value ?? "")) signatures.push(Buffer.from(value, "hex"));
  }
  if (t === undefined || signatures.length === 0) fail("SIGNATURE_MALFORMED", "The Palpluss-Stk-Signature header is missing or malformed.");
  const expected = createHmac("sha256", secret).update(`${t}.`).update(body).digest();
  if (!signatures.some((signature) => timingSafeEqual(signature, expected))) {
    fail("SIGNATURE_MISMATCH", "The signature does not match the body and the secret.");
  }
  if (Math.abs(now - t) > toleranceSeconds) fail("SIGNATURE_EXPIRED", "The signature's timestamp is outside the tolerance.");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    fail("BODY_NOT_JSON", "The signed body is not JSON.");
  }
}

function signCheckoutIntent({ amount, accountReference, transactionDesc, expiresInSeconds = 900 } = {}, secret, { now = Date.now() / 1000 } = {}) {
  if (typeof secret !== "string" || secret.length === 0) throw new TypeError("signCheckoutIntent needs the INTENT_SECRET.");
  if (!Number.isSafeInteger(amount) || amount < 1) throw new TypeError("amount must be a whole number of shillings, at least 1.");
  if (typeof accountReference !== "string" || accountReference.trim() === "") throw new TypeError("accountReference must be a non-empty string.");
  if (transactionDesc !== undefined && typeof transactionDesc !== "string") throw new TypeError("transactionDesc must be a string when given.");
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1) throw new TypeError("expiresInSeconds must be a whole number of seconds.");
  // The same field order as the Rust signer, so both produce the same token.
  const intent = { amount, accountReference: accountReference.trim(), ...(transactionDesc !== undefined && { transactionDesc: transactionDesc.trim() }), exp: Math.floor(now) + expiresInSeconds };
  const payload = Buffer.from(JSON.stringify(intent), "utf8").toString("base64url");
  const signature = createHmac("sha256", secret).update(payload).digest("base64url");
  return `${payload}.${signature}`;
}

exports.verifyWebhook = verifyWebhook;
exports.signCheckoutIntent = signCheckoutIntent;
exports.WebhookVerificationError = WebhookVerificationError;
