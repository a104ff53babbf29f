// The demo checkout: the npm package's web entry, one call to attachCheckoutForm, and three
// screens (pay, check your phone, paid). Everything else (validation, messages, formatting,
// submission, following the payment to its end) is the package's.
import init, { attachCheckoutForm, StkClient, checkPhone } from "/pkg/checkout/web/palpluss_stk.js";
import { proxyUrl } from "/config.js";

await init();

const form = document.getElementById("checkout");
const paySection = document.getElementById("pay-section");
const pending = document.getElementById("pending");
const paid = document.getElementById("paid");
const client = new StkClient({ baseUrl: proxyUrl, timeoutMs: 20000 });

let detach = attachCheckoutForm(form, { client });
document.getElementById("loading").remove();

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
form.addEventListener("stk:failed", () => show(paySection));

form.addEventListener("stk:error", (event) => {
  // The form shows the message in place; the console keeps what support needs.
  const { error } = event.detail;
  console.info("checkout error", error.kind, error.code, error.requestId ?? "");
  if (!pending.hidden) show(paySection);
});

// Another number while a prompt is open: start afresh (the old payment is no longer followed).
document.getElementById("again").addEventListener("click", () => {
  detach();
  detach = attachCheckoutForm(form, { client });
  show(paySection);
  form.elements.phone.focus();
});
