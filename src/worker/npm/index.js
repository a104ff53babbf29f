// palpluss-stk/worker: the payment proxy for Cloudflare Workers, built from the crate's own Worker
// (`make build`; proxy.js is the Worker's entry, rust.js and its .wasm worker-build's output,
// copied as they are).
//   - `export { default, Payment, Budget, Guard } from "palpluss-stk/worker"` is a whole proxy
//     Worker (the Cloudflare template's src/index.js is that line);
//   - `handle(request, env, ctx)` answers one request, for a JavaScript Worker that serves the
//     proxy beside its own routes (set BASE_PATH when it is mounted under a path such as /pay).
import PaymentProxy from "./proxy.js";

// The Durable Object classes by their wrangler.toml names (proxy.js also exports worker-rs helper
// classes that no binding uses).
export { Payment, Budget, Guard } from "./proxy.js";
export { signCheckoutIntent } from "./intent.js";
export default PaymentProxy;

/** The proxy's answer to one request, exactly as the proxy Worker would give it. */
export function handle(request, env, ctx) {
  // The Worker entrypoint as workerd would construct it: through worker-build's wrapper, which
  // re-creates the wasm instance after a trap before serving the next request.
  return new PaymentProxy(ctx, env).fetch(request);
}
