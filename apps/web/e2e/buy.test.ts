// Buying in a real browser (Chromium via playwright-core) against the
// production build running without Stripe keys outside production: a seller
// publishes a paid vector (over the API), a second user signs up, sees the
// licence terms and the "test payment" label, buys, finds the vector in their
// library with its licence and source, and downloads the exact file; the
// seller then sees the sale on the dashboard (chart, totals) and refunds it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newPage, requireChromium } from "./browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, multipart } from "../src/test/client";
import { sha256File, writeFixtures, type FixtureSet } from "../src/test/fixtures";
import { startServer, type TestServer } from "../src/test/server";

let server: TestServer;
let browser: Browser;
let page: Page;
let sellerPage: Page;
let dir: string;
let fx: FixtureSet;

const suffix = Date.now().toString(36);
const teamSlug = `shop-${suffix}`;
const vectorSlug = "contract-review";

beforeAll(async () => {
  requireChromium();
  server = await startServer({ env: { GRAFT_DEPLOYMENT: "local", PLATFORM_FEE_PERCENT: "10" } });
  dir = await mkdtemp(path.join(tmpdir(), "graft-e2e-buy-"));
  fx = await writeFixtures(dir);

  const seller = new ApiClient(server.baseUrl);
  await seller.signUp(`seller-${suffix}@example.com`, "a-long-password", "Seller");
  expect((await seller.post("/api/v1/teams", { slug: teamSlug, name: "Shop" })).status).toBe(201);
  const foundation = `base-${suffix}`;
  const f = await seller.post("/api/v1/foundations", await multipart({ teamSlug, slug: foundation, name: "Base", architecture: "llama", licence: "mit" }, { file: fx.base }));
  expect(f.status).toBe(201);
  const meta = {
    teamSlug,
    foundationSlug: foundation,
    vectorSlug,
    name: "Contract review",
    task: "legal",
    version: "1.0.0",
    listing: { kind: "paid", priceCents: 2500, currency: "usd", licence: "commercial", redistribution: false },
  };
  const pub = await seller.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file: fx.taskVector }));
  expect(pub.status, JSON.stringify(pub.body)).toBe(201);

  browser = await launchChromium();
  page = await newPage(browser, server.baseUrl, { acceptDownloads: true });
  sellerPage = await newPage(browser, server.baseUrl);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const byTestId = (id: string) => page.getByTestId(id);

describe("buying in the browser (test payment mode)", () => {
  it("a second user signs up", async () => {
    await page.goto("/signup");
    await byTestId("signup-name").fill("Buyer");
    await byTestId("signup-email").fill(`buyer-${suffix}@example.com`);
    await byTestId("signup-password").fill("a-long-password");
    await byTestId("signup-submit").click();
    await expect.poll(() => byTestId("current-user").textContent(), { timeout: 30_000 }).toBe("Buyer");
  }, 120_000);

  it("sees the licence terms and the test-payment label, with no download yet", async () => {
    await page.goto(`/v/${teamSlug}/${vectorSlug}`);
    await expect.poll(() => byTestId("licence-terms").textContent()).toContain("Commercial use allowed");
    expect(await byTestId("licence-terms").textContent()).toContain("No redistribution");
    expect(await byTestId("test-payment-label").textContent()).toMatch(/Test payment/);
    expect(await byTestId("buy-button").textContent()).toBe("Test payment: buy for $25.00");
    expect(await byTestId("download-1.0.0").count()).toBe(0);
  }, 120_000);

  it("buys, then finds the vector in the library with its licence and source, and downloads the exact file", async () => {
    await byTestId("buy-button").click();
    // The button's "Purchased" note lasts only until the page refreshes from
    // the server, which then renders the panel of a vector the viewer owns.
    await expect.poll(() => byTestId("owned-notice").textContent()).toContain("You own this vector");
    await expect.poll(() => byTestId("download-1.0.0").count()).toBe(1);

    await page.goto("/library");
    const row = byTestId(`library-item-${vectorSlug}`);
    await expect.poll(() => row.getByTestId("library-source").textContent()).toBe("Purchased");
    expect(await row.textContent()).toContain("(test payment)");
    expect(await row.getByTestId("library-licence").textContent()).toBe("Commercial use allowed; No redistribution of the vector");

    const [download] = await Promise.all([page.waitForEvent("download"), byTestId(`library-download-${vectorSlug}`).click()]);
    const saved = path.join(dir, "bought.safetensors");
    await download.saveAs(saved);
    expect(await sha256File(saved)).toBe(await sha256File(fx.taskVector));
  }, 120_000);

  it("the seller sees the sale on the dashboard and refunds it; the buyer loses access", async () => {
    await sellerPage.goto(`/signin?callbackUrl=${encodeURIComponent(`/teams/${teamSlug}/sales`)}`);
    await sellerPage.getByTestId("signin-email").fill(`seller-${suffix}@example.com`);
    await sellerPage.getByTestId("signin-password").fill("a-long-password");
    await sellerPage.getByTestId("signin-submit").click();
    await sellerPage.waitForURL(`**/teams/${teamSlug}/sales`);
    expect(await sellerPage.getByTestId("onboarding-state").textContent()).toContain("Test payment mode");
    const usd = sellerPage.getByTestId("sales-usd");
    expect(await usd.textContent()).toMatch(/Sales 1.*Revenue \$25\.00.*Fees \$2\.50.*Net \$22\.50/);
    // recharts drew the chart (one bar per series for the one day of sales).
    await expect.poll(() => sellerPage.locator('[data-testid="sales-chart-usd"] .recharts-bar-rectangle').count()).toBeGreaterThanOrEqual(2);
    expect(await sellerPage.getByTestId("recent-sales").textContent()).toContain(vectorSlug);

    sellerPage.once("dialog", (d) => void d.accept());
    await sellerPage.getByTestId("recent-sales").getByRole("button", { name: "Refund" }).click();
    await expect.poll(() => sellerPage.getByTestId("refunds").textContent()).toContain("refunded");

    await page.goto("/library");
    await expect.poll(() => byTestId(`library-item-${vectorSlug}`).count()).toBe(0);
  }, 120_000);
});
