// palpluss-stk/worker: the payment proxy as a Cloudflare Worker module (see the README, "Deploy").

/** A Durable Object namespace binding (wrangler.toml `[[durable_objects.bindings]]`). */
export interface DurableObjectNamespaceBinding {
  idFromName(name: string): unknown;
  get(id: any): { fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> };
}

/** A Rate Limiting binding (wrangler.toml `[[ratelimits]]`). */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** A D1 database binding (wrangler.toml `[[d1_databases]]`). */
export interface D1DatabaseBinding {
  prepare(query: string): unknown;
}

/** The Worker's execution context (what workerd passes as `ctx`). */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

/**
 * What the proxy reads from its environment: variables (wrangler.toml `[vars]`), secrets
 * (`wrangler secret put`, `.dev.vars` locally) and bindings. Values are strings; empty counts as
 * unset. A malformed value makes every route but `/health` answer 500 `CONFIG_INVALID_{NAME}`.
 */
export interface Env {
  /** Secret, required: the PalPluss API key. Never in `[vars]`. */
  PALPLUSS_API_KEY: string;
  /** Where PalPluss lives (default `https://api.palpluss.com/v1`; http only on loopback, for the simulator). */
  PALPLUSS_BASE_URL?: string;
  /** The https URL PalPluss posts results to; may be empty when `WEBHOOK_SECRET` is set (then derived from the Worker's host). */
  CALLBACK_URL?: string;
  /** Browser origins allowed to call the proxy, comma-separated, exact match (e.g. `https://shop.example`). */
  ALLOWED_ORIGINS?: string;
  /** UUID of a PalPluss payment channel to route pushes through. */
  PALPLUSS_CHANNEL_ID?: string;
  /** UUID of a BYOC credential profile to route pushes through. */
  PALPLUSS_CREDENTIAL_ID?: string;
  /** Largest amount accepted, whole shillings (default 250000). */
  AMOUNT_MAX?: string;
  /** How long to wait for PalPluss, milliseconds (default 15000; 100 to 120000). */
  UPSTREAM_TIMEOUT_MS?: string;
  /** Secret: enables `POST {BASE_PATH}/webhooks/palpluss/{WEBHOOK_SECRET}`, PalPluss's webhook. */
  WEBHOOK_SECRET?: string;
  /** The https URL of your backend that receives signed payment and key events. */
  MERCHANT_WEBHOOK_URL?: string;
  /** Secret, with `MERCHANT_WEBHOOK_URL`: the key the events are signed with. */
  MERCHANT_WEBHOOK_SECRET?: string;
  /** The most calls made with the key in any 60 s (default 60, PalPluss's limit per key). */
  UPSTREAM_RATE_PER_MINUTE?: string;
  /** How long payment records are kept, days (default 7). */
  RETENTION_DAYS?: string;
  /** Secret: pushes must carry an intent your server signed with it (`signCheckoutIntent`). */
  INTENT_SECRET?: string;
  /** Secret: pushes must carry a Turnstile token that siteverify accepts. */
  TURNSTILE_SECRET?: string;
  /** Where Turnstile tokens are checked (default Cloudflare's siteverify). */
  TURNSTILE_VERIFY_URL?: string;
  /** While a push to a phone is not final, no other push to it for this long, seconds (default 60; 0: none). */
  PHONE_COOLDOWN_SECONDS?: string;
  /** The most pushes to one phone in any hour (default 5). */
  PHONE_MAX_PER_HOUR?: string;
  /** The key's health counts this many of the most recent push outcomes (default 20). */
  HEALTH_WINDOW?: string;
  /** ...within this many minutes (default 30). */
  HEALTH_WINDOW_MINUTES?: string;
  /** Fewer counted outcomes than this say nothing about the key (default 10). */
  HEALTH_MIN_OUTCOMES?: string;
  /** Below this paid share the key is at risk (default 0.3; 0 switches the window off, never the breaker). */
  HEALTH_MIN_SUCCESS_RATE?: string;
  /** A phone that paid here within this many days goes first while the key is at risk (default 30). */
  HEALTH_KNOWN_PAYER_DAYS?: string;
  /** The path the proxy is mounted under, e.g. `/pay` (default: the root). */
  BASE_PATH?: string;
  /** Secret: enables the admin API at `/admin/...` (`Authorization: Bearer {ADMIN_TOKEN}`). */
  ADMIN_TOKEN?: string;
  /** Durable Object binding, class `Payment`: one object per payment (record, status stream, events). */
  PAYMENTS: DurableObjectNamespaceBinding;
  /** Durable Object binding, class `Budget`: one object per key (calls made with it, its health, key events). */
  BUDGET: DurableObjectNamespaceBinding;
  /** Durable Object binding, class `Guard`: one object per Idempotency-Key and one per phone. */
  GUARD: DurableObjectNamespaceBinding;
  /** D1 binding (optional): the payment index, payments and event deliveries (without it all else works). */
  DB?: D1DatabaseBinding;
  /** Static assets binding: the operator page (`public/admin/`), served at `/admin/` once `ADMIN_TOKEN` is set. */
  ASSETS?: { fetch(input: Request | string | URL, init?: RequestInit): Promise<Response> };
  /** Rate Limiting binding: pushes per client IP (without it there is no per-IP limit). */
  IP_RATE_LIMITER?: RateLimitBinding;
}

/**
 * The proxy's answer to one request, exactly as the proxy Worker would give it: for a JavaScript
 * Worker that serves the proxy beside its own routes. Mounted under a path (`/pay/...`), set
 * `BASE_PATH` to it so the routes and the derived webhook URL are under it too.
 */
export function handle(request: Request, env: Env, ctx: WorkerContext): Promise<Response>;

/**
 * Signs what a checkout may charge, for `INTENT_SECRET`: the same token as the Node entry's
 * `signCheckoutIntent`, with Web Crypto (so it returns a promise).
 */
export function signCheckoutIntent(
  intent: { amount: number; accountReference: string; transactionDesc?: string; expiresInSeconds?: number },
  secret: string,
  options?: { now?: number },
): Promise<string>;

/** The proxy Worker's entrypoint (what `export default` gives wrangler). */
declare class PaymentProxy {
  constructor(ctx: WorkerContext, env: Env);
  fetch(request: Request): Promise<Response>;
}
export default PaymentProxy;

/** Durable Object class for the `PAYMENTS` binding (added in 0.1.0, migration tag v1). */
export declare class Payment {
  constructor(state: unknown, env: Env);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}
/** Durable Object class for the `BUDGET` binding (added in 0.1.0, migration tag v1). */
export declare class Budget {
  constructor(state: unknown, env: Env);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}
/** Durable Object class for the `GUARD` binding (added in 0.2.0, migration tag v2). */
export declare class Guard {
  constructor(state: unknown, env: Env);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}
