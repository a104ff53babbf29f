
/** A payment event the proxy posts to `MERCHANT_WEBHOOK_URL`. */
export interface PaymentEvent {
  /** `evt_...`, the same on every retry of this event: keep it to ignore repeats. */
  id: string;
  type: "payment.succeeded" | "payment.failed" | "payment.cancelled" | "payment.expired" | "payment.reversed";
  /** Unix seconds. */
  created: number;
  data: {
    payment: {
      transactionId: string;
      status: "SUCCESS" | "FAILED" | "CANCELLED" | "EXPIRED" | "REVERSED";
      final: boolean;
      confirmed: boolean;
      resultCode: string | null;
      resultDesc: string | null;
      message: string;
      mpesaReceipt: string | null;
      amount: number;
      /** The full number, `254XXXXXXXXX`. */
      phone: string;
      accountReference: string;
      updatedAt: string;
    };
  };
}

/** The key's health, as `GET /health` and the `key.*` events say it. */
export interface KeyHealth {
  state: "ok" | "at_risk" | "banned";
  /** While banned: when PalPluss's ban ends (ISO 8601). */
  until?: string;
  /** The paid share of the counted outcomes (0 to 1), or null when none count. */
  successRate: number | null;
  /** How many recent push outcomes count. */
  outcomes: number;
}

/** A change in the API key's health, posted once per change of state: `key.at_risk` (the paid
 * share of recent pushes fell below HEALTH_MIN_SUCCESS_RATE), `key.banned` (PalPluss banned the
 * key; no push goes until `data.key.until`), `key.restored` (ok again). */
export interface KeyEvent {
  /** `evt_...`, the same on every retry of this event. */
  id: string;
  type: "key.at_risk" | "key.banned" | "key.restored";
  /** Unix seconds. */
  created: number;
  data: { key: KeyHealth };
}

/** Every event the proxy posts; `type` tells which. */
export type StkEvent = PaymentEvent | KeyEvent;

/** Why `verifyWebhook` refused an event. */
export class WebhookVerificationError extends Error {
  name: "WebhookVerificationError";
  code: "SECRET_MISSING" | "BODY_NOT_RAW" | "SIGNATURE_MALFORMED" | "SIGNATURE_MISMATCH" | "SIGNATURE_EXPIRED" | "BODY_NOT_JSON";
}

/**
 * Verifies the `Palpluss-Stk-Signature` header (`t={unix s},v1={hex HMAC-SHA256(secret, "{t}.{raw body}")}`)
 * of an event and returns the parsed event; throws a `WebhookVerificationError` otherwise.
 * Node only (node:crypto). Pass the raw body exactly as received.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  header: string | undefined,
  secret: string,
  options?: { toleranceSeconds?: number; now?: number },
): StkEvent;

/**
 * Signs a checkout intent on the merchant's server: what the checkout may charge, until when. Put
 * the token in the checkout form (an `intent` field); the proxy refuses a push whose amount,
 * accountReference (or transactionDesc, when signed) differ. Node only (node:crypto).
 */
export function signCheckoutIntent(
  intent: { amount: number; accountReference: string; transactionDesc?: string; expiresInSeconds?: number },
  secret: string,
  options?: { now?: number },
): string;
