// The demo checkout: the npm package's web entry, one call to attachCheckoutForm, and the
// pending state. Everything else (validation, messages, formatting, submission) is the package's.
import init, { attachCheckoutForm, StkClient, checkPhone } from "/pkg/checkout/web/palpluss_stk.js";
import { proxyUrl } from "/config.js";

await init();

const form = document.getElementById("checkout");
const paySection = document.getElementById("pay-section");
const pending = document.getElementById("pending");
const client = new StkClient({ baseUrl: proxyUrl, timeoutMs: 20000 });

attachCheckoutForm(form, { client });
document.getElementById("loading").remove();

form.addEventListener("stk:pending", (event) => {
  const { transaction } = event.detail;
  const phone = checkPhone(transaction.phone);
  document.getElementById("pending-phone").textContent = phone.ok ? phone.national : transaction.phone;
  document.getElementById("pending-id").textContent = transaction.transactionId;
  paySection.hidden = true;
  pending.hidden = false;
  pending.focus();
});

form.addEventListener("stk:error", (event) => {
  // The form shows the message in place; the console keeps what support needs.
  const { error } = event.detail;
  console.info("checkout error", error.kind, error.code, error.requestId ?? "");
});

document.getElementById("again").addEventListener("click", () => {
  pending.hidden = true;
  paySection.hidden = false;
  form.elements.phone.focus();
});
