/**
 * Waits until `check` gives something (anything but undefined or false), asking
 * every 20 ms; resolves with it, or rejects naming `what` once `ms` have passed.
 */
export async function until<T>(check: () => T | Promise<T>, what: string, ms = 20_000): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
