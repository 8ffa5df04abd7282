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

/**
 * A page in a fresh context (its own cookies) on the server, with the tests'
 * 30 s action timeout. Its `goto` returns once React has hydrated the page
 * (HydrationMark): on a busy machine a click that lands earlier is lost.
 */
export async function newPage(browser: Browser, baseURL: string, opts: { acceptDownloads?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ baseURL, acceptDownloads: opts.acceptDownloads ?? false });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const goto = page.goto.bind(page);
  page.goto = async (url, options) => {
    const response = await goto(url, options);
    await page.waitForSelector("html[data-hydrated]", { state: "attached" });
    return response;
  };
  return page;
}
