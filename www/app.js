// The demo checkout: the npm package's web entry, one call to attachCheckoutForm, three screens
// (pay, check your phone, paid), a language switch and, when configured, a Turnstile widget.
// Everything else (validation, messages in both languages, formatting, submission, following the
// payment to its end) is the package's.
import init, { attachCheckoutForm, StkClient, checkPhone } from "/pkg/checkout/web/palpluss_stk.js";
import { proxyUrl, turnstileSiteKey, turnstileScriptUrl } from "/config.js";

/** The page's own texts; every message about the payment comes from the package. */
const TEXTS = {
  en: {
    title: "Checkout · Duka la Mama",
    checkout: "Checkout",
    order: "Your order",
    towels: "Kikoi beach towel × 2",
    delivery: "Delivery, Nairobi",
    total: "Total",
    payWith: "Pay with M-Pesa",
    phone: "M-Pesa phone number",
    phoneHint: "You will get a prompt on this phone to enter your M-Pesa PIN.",
    reference: "Order reference",
    referenceHint: "Shown on your M-Pesa statement (12 characters at most).",
    pay: "Pay KES 1,500",
    checkPhone: "Check your phone",
    sentTo: "We sent an M-Pesa prompt to",
    enterPin: "Enter your PIN to pay",
    transaction: "Transaction",
    another: "Use another number",
    paid: "Paid",
    receipt: "M-Pesa receipt",
    loading: "Loading the secure checkout…",
  },
  sw: {
    title: "Malipo · Duka la Mama",
    checkout: "Malipo",
    order: "Oda yako",
    towels: "Taulo ya kikoi ya ufukweni × 2",
    delivery: "Usafirishaji, Nairobi",
    total: "Jumla",
    payWith: "Lipa kwa M-Pesa",
    phone: "Namba ya simu ya M-Pesa",
    phoneHint: "Utapokea ombi kwenye simu hii la kuweka PIN yako ya M-Pesa.",
    reference: "Namba ya oda",
    referenceHint: "Inaonekana kwenye taarifa yako ya M-Pesa (herufi 12 au chache).",
    pay: "Lipa KES 1,500",
    checkPhone: "Angalia simu yako",
    sentTo: "Tumetuma ombi la M-Pesa kwa",
    enterPin: "Weka PIN yako ili kulipa",
    transaction: "Muamala",
    another: "Tumia namba nyingine",
    paid: "Umelipa",
    receipt: "Risiti ya M-Pesa",
    loading: "Inapakia malipo salama…",
  },
};

/** `?lang=sw`, else the browser's first preference among ours, else English. */
function initialLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked in TEXTS) return asked;
  const preferred = (navigator.languages ?? [navigator.language]).map((l) => l.slice(0, 2).toLowerCase());
  return preferred.find((l) => l in TEXTS) ?? "en";
}

await init();

const form = document.getElementById("checkout");
const paySection = document.getElementById("pay-section");
const pending = document.getElementById("pending");
const paid = document.getElementById("paid");
let language = initialLanguage();
let detach = () => {};

/** Binds the form in the current language (the client's messages, the proxy's and the payment's follow it). */
function attach() {
  detach();
  const client = new StkClient({ baseUrl: proxyUrl, timeoutMs: 20000, locale: language });
  detach = attachCheckoutForm(form, { client });
}

function setLanguage(lang) {
  language = lang;
  document.documentElement.lang = lang;
  document.title = TEXTS[lang].title;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = TEXTS[lang][el.dataset.text];
  for (const button of document.querySelectorAll("[data-lang]")) button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  const url = new URL(location.href);
  url.searchParams.set("lang", lang);
  history.replaceState(null, "", url);
  // Only between payments: a payment being followed keeps the language it started in.
  if (!form.querySelector("button[type=submit]").disabled) attach();
}

for (const button of document.querySelectorAll("[data-lang]")) {
  button.addEventListener("click", () => setLanguage(button.dataset.lang));
}
setLanguage(language);
document.getElementById("loading").remove();

// Turnstile, when the proxy requires it: the widget puts its token in the form as
// `cf-turnstile-response`, which the form helper sends as `turnstileToken`.
if (turnstileSiteKey) {
  const slot = document.getElementById("turnstile");
  slot.hidden = false;
  slot.className = "cf-turnstile-slot cf-turnstile";
  slot.dataset.sitekey = turnstileSiteKey;
  const script = Object.assign(document.createElement("script"), { src: turnstileScriptUrl, async: true, defer: true });
  document.head.append(script);
}
/** A Turnstile token is good for one try: the next try needs a fresh one. */
const freshTurnstile = () => window.turnstile?.reset?.();

const show = (section) => {
  for (const s of [paySection, pending, paid]) s.hidden = s !== section;
  section.focus();
};

form.addEventListener("stk:pending", (event) => {
  const { transaction } = event.detail;
  const phone = checkPhone(transaction.phone);
  document.getElementById("pending-phone").textContent = phone.ok ? phone.national : transaction.phone;
  document.getElementById("pending-id").textContent = transaction.transactionId;
  show(pending);
});

// The form follows the payment by itself: paid, or back to the form, which shows why not.
form.addEventListener("stk:success", (event) => {
  const { payment } = event.detail;
  document.getElementById("paid-message").textContent = payment.message;
  document.getElementById("paid-receipt").textContent = payment.mpesaReceipt ?? "";
  show(paid);
});
form.addEventListener("stk:failed", () => {
  freshTurnstile();
  show(paySection);
});

form.addEventListener("stk:error", (event) => {
  // The form shows the message in place; the console keeps what support needs.
  const { error } = event.detail;
  console.info("checkout error", error.kind, error.code, error.requestId ?? "");
  if (error.kind !== "validation") freshTurnstile();
  if (!pending.hidden) show(paySection);
});

// Another number while a prompt is open: start afresh (the old payment is no longer followed).
document.getElementById("again").addEventListener("click", () => {
  attach();
  freshTurnstile();
  show(paySection);
  form.elements.phone.focus();
});
