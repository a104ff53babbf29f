
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
): PaymentEvent;

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
