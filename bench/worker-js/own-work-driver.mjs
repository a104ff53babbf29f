// The driver of bench/own-work.mjs: in one isolate, calls the Rust Worker's fetch handler (build/,
// entered the way workerd enters it: its entrypoint class, constructed per request) or the
// plain-JavaScript Worker's (payments.mjs) `n` times in a row on one path, each answer read
// whole. The caller times the one request that runs the loop: what is left is the Worker's own
// work per request, without HTTP, Miniflare's routing or the client (which the throughput bench
// includes for both). `?collect=1` returns each answer's `data` (the status reads' payments).
import Rust from "../../build/index.js";
import js from "./payments.mjs";

const ORIGIN = "https://shop.example";
const BASE = "https://proxy.example";
const INVALID = '{"amount":0,"phone":"020 123 4567","accountReference":"INV-1","transactionDesc":"Tea"}';
let pushes = 0;
const requests = {
  "no such route": () => new Request(`${BASE}/no-such-route`, { headers: { origin: ORIGIN } }),
  "invalid checkout": () =>
    new Request(`${BASE}/payments/stk`, { method: "POST", headers: { origin: ORIGIN, "content-type": "application/json", "content-length": String(INVALID.length) }, body: INVALID }),
  "status read": (i, payments) => {
    const p = payments[i % payments.length];
    return new Request(`${BASE}/payments/${p.transactionId}`, { headers: { origin: ORIGIN, authorization: `Bearer ${p.statusToken}` } });
  },
  "accepted push": () => {
    const n = ++pushes;
    const body = JSON.stringify({ amount: 100 + (n % 900), phone: `0713${String(n % 1e6).padStart(6, "0")}`, accountReference: `O-${n}`, transactionDesc: "Bench" });
    return new Request(`${BASE}/payments/stk`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json", "content-length": String(body.length), "cf-connecting-ip": `2001:db8:c::${(n % 65535).toString(16)}` },
      body,
    });
  },
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const path = url.searchParams.get("path");
    const n = Number(url.searchParams.get("n"));
    const payments = JSON.parse(url.searchParams.get("payments") ?? "[]");
    const handler = url.searchParams.get("worker") === "js" ? () => js : () => new Rust(ctx, env);
    const statuses = {};
    const data = [];
    for (let i = 0; i < n; i++) {
      const answer = await handler().fetch(requests[path](i, payments), env, ctx);
      const body = await answer.text();
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (url.searchParams.has("collect")) data.push(JSON.parse(body).data);
    }
    return Response.json({ statuses, data });
  },
};
