// The built Worker in Miniflare for the Worker's tests: its log lines collected into `logs`, and
// `call(path, init)` that answers `{ status, headers, text, json }` and keeps each body in `bodies`
// (so a test suite can check at the end that no secret ever left the Worker).
import { Miniflare } from "miniflare";

export async function startWorker(options, { logs, bodies, origin = "https://pay.shop.example" }) {
  const mf = new Miniflare({
    ...options,
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk) => logs.push(...chunk.split("\n").filter(Boolean)));
      }
    },
  });
  await mf.ready;
  const call = async (path, init = {}) => {
    const response = await mf.dispatchFetch(`${origin}${path}`, init);
    const text = await response.text();
    bodies.push(text);
    let json;
    try { json = JSON.parse(text); } catch {}
    return { status: response.status, headers: response.headers, text, json };
  };
  return { mf, call };
}
