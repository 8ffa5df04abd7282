// Debian's Chromium driven by playwright-core (no browser download): the one
// place the browser tests learn its path, its flags and their page defaults.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.GRAFT_CHROMIUM ?? "/usr/bin/chromium";

/** Fails fast, before any server is built or started, when the browser is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set GRAFT_CHROMIUM)`);
}

export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** A page in a fresh context (its own cookies) on the server, with the tests' 30 s action timeout. */
export async function newPage(browser: Browser, baseURL: string, opts: { acceptDownloads?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ baseURL, acceptDownloads: opts.acceptDownloads ?? false });
  context.setDefaultTimeout(30_000);
  return context.newPage();
}
