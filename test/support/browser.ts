/**
 * Headless Chromium (Debian's package) driven by playwright-core, which never
 * downloads a browser of its own. Without Chromium the browser tests skip with
 * the install command, unless MICROLIB_REQUIRE_BROWSER=1 (CI) makes that a failure.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);

/** The reason browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  if (CANDIDATES.some((p) => existsSync(p))) return undefined;
  const reason = 'Chromium is not installed (apt-get install -y chromium, or set CHROMIUM_PATH)';
  if (process.env.MICROLIB_REQUIRE_BROWSER === '1') throw new Error(reason);
  return reason;
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = CANDIDATES.find((p) => existsSync(p))!;
  return chromium.launch({
    executablePath,
    headless: true,
    // Without these, Chromium reaches for Google's hosts, which a closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
