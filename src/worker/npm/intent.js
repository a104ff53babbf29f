// signCheckoutIntent for Workers and browsers-free edge code: the same token as the Node entry's
// signCheckoutIntent and the Rust `edge::guard::sign_intent` ({payload}.{signature}, base64url,
// HMAC-SHA256), with Web Crypto, so it is asynchronous and needs no nodejs_compat flag.
const encoder = new TextEncoder();

function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function signCheckoutIntent({ amount, accountReference, transactionDesc, expiresInSeconds = 900 } = {}, secret, { now = Date.now() / 1000 } = {}) {
  if (typeof secret !== "string" || secret.length === 0) throw new TypeError("signCheckoutIntent needs the INTENT_SECRET.");
  if (!Number.isSafeInteger(amount) || amount < 1) throw new TypeError("amount must be a whole number of shillings, at least 1.");
  if (typeof accountReference !== "string" || accountReference.trim() === "") throw new TypeError("accountReference must be a non-empty string.");
  if (transactionDesc !== undefined && typeof transactionDesc !== "string") throw new TypeError("transactionDesc must be a string when given.");
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1) throw new TypeError("expiresInSeconds must be a whole number of seconds.");
  // The field order of the other two signers, so all three give the same token.
  const intent = { amount, accountReference: accountReference.trim(), ...(transactionDesc !== undefined && { transactionDesc: transactionDesc.trim() }), exp: Math.floor(now) + expiresInSeconds };
  const payload = base64url(encoder.encode(JSON.stringify(intent)));
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(payload));
  return `${payload}.${base64url(new Uint8Array(signature))}`;
}
