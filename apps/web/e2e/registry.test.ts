// The registry end to end in a real browser (Chromium via playwright-core)
// against the production build: sign up, create a team, register a
// foundation by upload, publish a task vector (after seeing a rejected
// upload's mismatch list), find it in the catalog, open it and download it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newPage, requireChromium } from "./browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../src/test/server";
import { sha256File, writeFixtures, type FixtureSet } from "../src/test/fixtures";

let server: TestServer;
let browser: Browser;
let page: Page;
let dir: string;
let fx: FixtureSet;

const suffix = Date.now().toString(36);
const email = `e2e-${suffix}@example.com`;
const teamSlug = `e2e-team-${suffix}`;
const foundationSlug = `e2e-base-${suffix}`;
const vectorSlug = "clinical-notes";

beforeAll(async () => {
  requireChromium();
  server = await startServer();
  dir = await mkdtemp(path.join(tmpdir(), "graft-e2e-"));
  fx = await writeFixtures(dir);
  browser = await launchChromium();
  page = await newPage(browser, server.baseUrl, { acceptDownloads: true });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const byTestId = (id: string) => page.getByTestId(id);

describe("registry in the browser", () => {
  it("signs up and lands signed in", async () => {
    await page.goto("/signup");
    await byTestId("signup-name").fill("E2E Tester");
    await byTestId("signup-email").fill(email);
    await byTestId("signup-password").fill("a-long-password");
    await byTestId("signup-submit").click();
    await expect.poll(() => byTestId("current-user").textContent(), { timeout: 30_000 }).toBe("E2E Tester");
  }, 120_000);

  it("creates a team", async () => {
    await page.goto("/teams/new");
    await byTestId("team-name").fill("E2E Team");
    await byTestId("team-slug").fill(teamSlug);
    await byTestId("team-submit").click();
    await page.waitForURL(`**/teams/${teamSlug}`);
    await expect.poll(() => byTestId("team-title").textContent()).toBe("E2E Team");
  }, 120_000);

  it("registers a foundation by uploading its weights", async () => {
    await page.goto("/foundations/new");
    await byTestId("foundation-team").selectOption(teamSlug);
    await byTestId("foundation-name").fill("E2E Base");
    await byTestId("foundation-slug").fill(foundationSlug);
    await byTestId("foundation-architecture").fill("llama");
    await byTestId("foundation-licence").fill("apache-2.0");
    await byTestId("foundation-file").setInputFiles(fx.base);
    await byTestId("foundation-submit").click();
    await page.waitForURL(`**/foundations/${foundationSlug}`);
    await expect.poll(() => byTestId("foundation-fingerprint").textContent()).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 120_000);

  it("shows the mismatch list for a foreign task vector, then publishes the right one", async () => {
    await page.goto("/publish");
    await byTestId("publish-team").selectOption(teamSlug);
    await byTestId("publish-foundation").selectOption(foundationSlug);
    await byTestId("publish-file").setInputFiles(fx.foreignTaskVector);
    await byTestId("publish-name").fill("Clinical Notes");
    await byTestId("publish-slug").fill(vectorSlug);
    await byTestId("publish-task").fill("summarization");
    await byTestId("publish-tags").fill("medical, english");
    await byTestId("publish-summary").fill("Summarises clinical notes into discharge letters");
    await byTestId("publish-card").fill("# Clinical Notes\n\nA **task vector** for summarising notes.\n\n<script>alert(1)</script>");
    await byTestId("publish-version").fill("1.0.0");
    await byTestId("publish-submit").click();

    await byTestId("publish-error").waitFor();
    expect(await byTestId("publish-error").textContent()).toMatch(/foundation/);
    expect(await byTestId("publish-mismatches").locator("li").count()).toBeGreaterThan(0);

    await byTestId("publish-file").setInputFiles(fx.taskVector);
    await byTestId("publish-submit").click();
    await page.waitForURL(`**/v/${teamSlug}/${vectorSlug}`);
    await expect.poll(() => byTestId("vector-title").textContent()).toBe("Clinical Notes");
  }, 120_000);

  it("finds the vector in the catalog, opens it and downloads the exact file", async () => {
    await page.goto("/catalog");
    await byTestId("catalog-search").fill("discharge");
    await byTestId("catalog-search-submit").click();
    await page.waitForURL(/\/catalog\?.*q=discharge/);
    const card = byTestId(`vector-card-${teamSlug}-${vectorSlug}`);
    await card.waitFor();
    expect(await byTestId("catalog-total").textContent()).toBe("1 vector");

    await card.getByTestId("vector-link").click();
    await page.waitForURL(`**/v/${teamSlug}/${vectorSlug}`);
    const cardHtml = await byTestId("model-card").innerHTML();
    expect(cardHtml).toContain("<strong>task vector</strong>");
    expect(cardHtml).not.toContain("<script");
    await byTestId("version-row-1.0.0").waitFor();

    const [download] = await Promise.all([page.waitForEvent("download"), byTestId("download-1.0.0").click()]);
    expect(download.suggestedFilename()).toBe(`${teamSlug}-${vectorSlug}-1.0.0.safetensors`);
    const saved = path.join(dir, "downloaded.safetensors");
    await download.saveAs(saved);
    expect(await sha256File(saved)).toBe(await sha256File(fx.taskVector));
  }, 120_000);
});
