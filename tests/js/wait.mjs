// Waiting without deadlines that a busy machine could miss: poll until a value appears, with a
// limit far above any normal wait (it only bounds a test that would otherwise hang).
export async function eventually(probe, what, { limitMs = 60000, everyMs = 25 } = {}) {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
