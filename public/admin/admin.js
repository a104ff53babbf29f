// The operator's page over the admin API beside it (or ?api=https://.../admin elsewhere). The token
// lives in sessionStorage: this tab only.
// The page's own folder is the API's: /admin/ (or {BASE_PATH}/admin/).
const api = new URLSearchParams(location.search).get("api") ?? new URL(".", location.href).href.replace(/\/$/, "");
const $ = (selector) => document.querySelector(selector);
const KEY = "palpluss-stk-admin-token";
let cursor = null;
let current = null;

/** One admin API call; a 401 signs out. */
async function call(path, init = {}) {
  const response = await fetch(`${api}${path}`, { ...init, headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}`, ...init.headers } });
  if (response.status === 401) {
    signOut("The token was not accepted.");
    throw new Error("unauthorized");
  }
  return response;
}

const text = (value) => document.createTextNode(value ?? "");
function cell(row, value) {
  const td = document.createElement("td");
  td.append(text(value));
  row.append(td);
  return td;
}
const when = (iso) => (iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "");

function signOut(message = "") {
  sessionStorage.removeItem(KEY);
  $("#app").hidden = true;
  $("#sign-out").hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-error").textContent = message;
  $("#token").focus();
}

function query() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($("#filters"))) {
    if (!value) continue;
    // Dates from the pickers are whole UTC days.
    params.set(name, value);
  }
  return params;
}

async function loadPayments(more = false) {
  const params = query();
  if (more && cursor) params.set("cursor", cursor);
  $("#list-status").textContent = "Loading…";
  const response = await call(`/payments?${params}`);
  const body = await response.json();
  if (!body.success) {
    $("#list-status").textContent = body.error.message;
    return;
  }
  const tbody = $("#payments tbody");
  if (!more) tbody.replaceChildren();
  for (const payment of body.data.payments) {
    const row = document.createElement("tr");
    cell(row, when(payment.createdAt));
    cell(row, payment.status).className = `status status-${payment.status.toLowerCase()}`;
    cell(row, `KES ${payment.amount.toLocaleString("en-KE")}`);
    cell(row, payment.phone);
    cell(row, payment.accountReference);
    cell(row, payment.mpesaReceipt);
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Details";
    open.setAttribute("aria-label", `Details of ${payment.accountReference} (${payment.transactionId})`);
    open.addEventListener("click", () => showPayment(payment.transactionId));
    cell(row, "").append(open);
    tbody.append(row);
  }
  cursor = body.data.nextCursor;
  $("#more").hidden = !cursor;
  const count = tbody.children.length;
  $("#list-status").textContent = count ? `${count} payment${count === 1 ? "" : "s"}${cursor ? ", more below" : ""}` : "No payments match.";
}

async function showPayment(id) {
  const body = await (await call(`/payments/${encodeURIComponent(id)}`)).json();
  if (!body.success) return;
  current = body.data.payment;
  const fields = $("#detail-fields");
  fields.replaceChildren();
  for (const [label, value] of [["Transaction", current.transactionId], ["Status", current.status], ["Amount", `KES ${current.amount}`], ["Phone", current.phone], ["Reference", current.accountReference], ["M-Pesa receipt", current.mpesaReceipt], ["Created", when(current.createdAt)], ["Final", when(current.finalAt)]]) {
    const dt = document.createElement("dt");
    dt.append(text(label));
    const dd = document.createElement("dd");
    dd.append(text(value));
    fields.append(dt, dd);
  }
  const tbody = $("#deliveries tbody");
  tbody.replaceChildren();
  for (const delivery of current.deliveries) {
    const row = document.createElement("tr");
    cell(row, when(delivery.at));
    cell(row, `${delivery.type} (${delivery.eventId})`);
    cell(row, String(delivery.attempt));
    cell(row, delivery.delivered ? "yes" : "no");
    tbody.append(row);
  }
  if (!current.deliveries.length) {
    const row = document.createElement("tr");
    cell(row, "None yet").colSpan = 4;
    tbody.append(row);
  }
  $("#resend").disabled = !current.finalAt;
  $("#resend-status").textContent = "";
  $("#detail").hidden = false;
  $("#detail").scrollIntoView({ block: "nearest" });
}

async function resend() {
  const response = await call(`/payments/${encodeURIComponent(current.transactionId)}/events/resend`, { method: "POST" });
  const body = await response.json();
  $("#resend-status").textContent = body.success ? `Sent again: ${body.data.eventId}` : body.error.message;
}

async function downloadCsv() {
  const response = await call(`/payments.csv?${query()}`);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: "payments.csv" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The key's state and a bar chart of the outcomes per hour (plain SVG). */
async function loadHealth() {
  const body = await (await call("/health")).json();
  if (!body.success) return;
  const { key, hours } = body.data;
  const rate = key.successRate == null ? "no outcomes counted yet" : `${Math.round(key.successRate * 100)}% paid of the last ${key.outcomes}`;
  $("#key-state").textContent = `State: ${key.state}${key.until ? ` until ${when(key.until)}` : ""}; ${rate}.`;
  const svg = $("#chart");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const max = Math.max(1, ...hours.map((h) => h.outcomes));
  const width = 480 / hours.length;
  hours.forEach((hour, i) => {
    const total = (hour.outcomes / max) * 130;
    const paid = (hour.paid / max) * 130;
    for (const [height, y, kind] of [[total - paid, 140 - total, "other"], [paid, 140 - paid, "paid"]]) {
      if (height <= 0) continue;
      const bar = document.createElementNS(ns, "rect");
      Object.entries({ x: i * width + 1, y, width: width - 2, height, class: `bar-${kind}` }).forEach(([k, v]) => bar.setAttribute(k, v));
      const title = document.createElementNS(ns, "title");
      title.textContent = `${when(hour.hour)}: ${hour.outcomes} outcomes, ${hour.paid} paid${hour.successRate == null ? "" : ` (${Math.round(hour.successRate * 100)}%)`}`;
      bar.append(title);
      svg.append(bar);
    }
  });
  svg.setAttribute("aria-label", `Outcomes per hour: ${hours.reduce((n, h) => n + h.outcomes, 0)} in 48 hours, ${hours.reduce((n, h) => n + h.paid, 0)} paid`);
}

async function start() {
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#sign-out").hidden = false;
  try {
    await Promise.all([loadPayments(), loadHealth()]);
  } catch (e) {
    if (e.message !== "unauthorized") $("#list-status").textContent = "The admin API could not be reached.";
  }
}

$("#sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("#token").value.trim());
  $("#token").value = "";
  start();
});
$("#sign-out").addEventListener("click", () => signOut());
$("#filters").addEventListener("submit", (event) => { event.preventDefault(); loadPayments(); });
$("#more").addEventListener("click", () => loadPayments(true));
$("#csv").addEventListener("click", downloadCsv);
$("#resend").addEventListener("click", resend);
if (sessionStorage.getItem(KEY)) start(); else signOut();
