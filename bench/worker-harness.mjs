// What the Worker benches share (per-request.mjs, crossings.mjs, profile.mjs): a PalPluss that
// answers at once, a caller over loopback HTTP (with a Content-Length, as browsers send bodies:
// Miniflare's dispatchFetch sends them chunked, which the Worker reads another way), and the
// requests of the three paths measured.
import { createServer, request as httpRequest } from "node:http";
import { randomUUID } from "node:crypto";

export const ORIGIN = "https://shop.example";

/** PalPluss answering every push PENDING and every status check SUCCESS, at once (so that the
 * payments settle and stop asking: a long run would otherwise spend the key's budget on them). */
export async function startUpstream() {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const push = req.method === "POST";
      const { amount, phone } = push ? JSON.parse(body || "{}") : {};
      const data = push ? { transactionId: randomUUID(), status: "PENDING", amount, phone } : { transaction_id: req.url.split("/").pop(), status: "SUCCESS", amount: 100, result_code: "0", result_desc: "ok", mpesa_receipt: "BENCH00001" };
      const answer = JSON.stringify({ success: true, data, requestId: randomUUID() });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) }).end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, close: () => server.close() };
}

/** The Worker's variables for a bench against `palpluss` (wide limits: every push is accepted). */
export const benchBindings = (palpluss) => ({
  PALPLUSS_API_KEY: "bench_key",
  PALPLUSS_BASE_URL: `${palpluss}/v1`,
  CALLBACK_URL: `${palpluss}/cb`,
  ALLOWED_ORIGINS: ORIGIN,
  UPSTREAM_RATE_PER_MINUTE: "10000",
  PHONE_COOLDOWN_SECONDS: "0",
  PHONE_MAX_PER_HOUR: "10000",
  // The key's health would take a flood of strangers' pending pushes for a risk (BUSY): off.
  HEALTH_MIN_SUCCESS_RATE: "0",
});
/** The Rust build's Durable Object bindings, served by the Worker named "objects" (the Rust build
 * again, serving no requests): every Worker of a bench binds the same objects, reached the same way. */
export const objectsWorkerBindings = (durableObjects) =>
  Object.fromEntries(Object.entries(durableObjects).map(([name, o]) => [name, { ...o, scriptName: "objects" }]));

/** The median of a list of figures. */
export const median = (list) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const wideRateLimit = { IP_RATE_LIMITER: { simple: { limit: 1_000_000, period: 60 } } };

/**
 * One request over loopback HTTP to `base`: `{ status, body, ms }`. A kept-alive connection that
 * the server closed just as it was reused is retried on a new one (the request never reached the
 * Worker), as Node's documentation advises.
 */
export function send(base, method, path, { headers = {}, body, agent } = {}) {
  return new Promise((done, fail) => {
    const start = performance.now();
    const req = httpRequest(new URL(path, base), { method, agent, headers: { origin: ORIGIN, ...headers } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => done({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: performance.now() - start }));
    });
    req.on("error", (e) => (req.reusedSocket && e.code === "ECONNRESET" ? send(base, method, path, { headers, body, agent }).then(done, fail) : fail(e)));
    req.end(body);
  });
}

const json = { "content-type": "application/json" };
/** A checkout that fails validation (400 before any object). */
export const invalidCheckout = () => ["POST", "/payments/stk", { headers: json, body: '{"amount":0,"phone":"020 123 4567","accountReference":"INV-1","transactionDesc":"Tea"}' }];
let n = 0;
/** A checkout that is accepted: its own phone and client IP each time. */
export const acceptedCheckout = () => {
  n++;
  const body = { amount: 100 + (n % 900), phone: `0712${String(n % 1e6).padStart(6, "0")}`, accountReference: `B-${n % 1e6}`, transactionDesc: "Bench" };
  return ["POST", "/payments/stk", { headers: { ...json, "cf-connecting-ip": `2001:db8:b::${(n % 65535).toString(16)}` }, body: JSON.stringify(body) }];
};
/** A status read of `payment` ({ transactionId, statusToken }). */
export const statusRead = (payment) => ["GET", `/payments/${payment.transactionId}`, { headers: { authorization: `Bearer ${payment.statusToken}` } }];
