// The Worker's entry (build/index.js; scripts/build-worker.sh puts worker-build's own entry beside
// it as rust.js). The requests served most (a checkout, a status read, an unknown path) are taken
// step by step through `Front` (src/worker/front.rs), which makes every decision with the same
// Rust code as worker-rs's entry; this file only does the I/O between the steps. Everything else
// goes to worker-rs's entry unchanged (`super.fetch`). Why: worker-rs's entry and an `await` in
// wasm cost about as much per request as a plain-JavaScript Worker's whole answer ("The Worker per
// request" in the README).
//
// This class extends worker-build's wrapped entry, so a request served here is wrapped like one
// served there: after a trap in the wasm, the next request gets a new instance.
import RustWorker, { Front } from "./rust.js";

export * from "./rust.js";

// Front's steps (`Step` in front.rs).
const ANSWER = 0;
const DELEGATE = 1;
const READ_BODY = 2;
const ASK_LIMITER = 3;
const PUSH = 4;
const READ_VIEW = 5;

// The headers Front reads, in the order of `Header` in front.rs.
const HEADERS = ["origin", "content-type", "content-length", "cf-connecting-ip", "accept-language", "idempotency-key", "authorization"];

export default class PaymentProxy extends RustWorker {
  async fetch(request) {
    // One line per header: `+value`, or `-` when absent (a header value never holds a line break).
    let lines = "";
    for (const name of HEADERS) {
      const value = request.headers.get(name);
      lines += value === null ? "-\n" : `+${value}\n`;
    }
    const front = Front.begin(this.env, this.ctx, request.method, request.url, lines);
    let step = front.step();
    if (step === DELEGATE) {
      front.free();
      return super.fetch(request);
    }
    if (step === READ_BODY) {
      let body;
      try {
        body = new Uint8Array(await request.arrayBuffer());
      } catch {
        body = undefined;
      }
      step = front.body(body);
    }
    if (step === ASK_LIMITER) {
      let refused = false;
      try {
        refused = (await front.limiter()) === true;
      } catch {
        // A limiter that fails does not block payments.
      }
      step = front.limited(refused);
    }
    if (step === PUSH) return Front.push(front);
    if (step === READ_VIEW) {
      let answer;
      try {
        answer = await front.payment();
      } catch {
        answer = undefined;
      }
      step = front.viewed(answer);
    }
    if (step !== ANSWER) throw new Error(`palpluss-stk: unexpected step ${step}`);
    return front.answer();
  }
}
