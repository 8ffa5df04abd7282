// Equip in a real browser (Chromium via playwright-core) against the
// production build: sign in, pick a foundation and two vectors from the
// library, preview their interference, merge, watch the job reach 100 %,
// download the archive and check what is inside with tar.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newPage, requireChromium } from "./browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../src/test/server";
import { writeFixtures } from "../src/test/fixtures";
import { setUpEquipWorld, type EquipWorld } from "../src/test/equip-setup";

const exec = promisify(execFile);

let server: TestServer;
let browser: Browser;
let page: Page;
let dir: string;
let w: EquipWorld;

beforeAll(async () => {
  requireChromium();
  server = await startServer();
  dir = await mkdtemp(path.join(tmpdir(), "graft-e2e-equip-"));
  w = await setUpEquipWorld(server.baseUrl, await writeFixtures(dir));
  browser = await launchChromium();
  page = await newPage(browser, server.baseUrl, { acceptDownloads: true });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const byTestId = (id: string) => page.getByTestId(id);

describe("equip in the browser", () => {
  it("signs in and opens the builder", async () => {
    await page.goto("/signin");
    await byTestId("signin-email").fill(w.ownerEmail);
    await byTestId("signin-password").fill("correct-horse-battery");
    await byTestId("signin-submit").click();
    await expect.poll(() => byTestId("current-user").textContent(), { timeout: 30_000 }).toBe("Equip Owner");
    await byTestId("nav-equip").click();
    await page.waitForURL("**/equip");
    await byTestId("equip-foundation").selectOption(w.foundation);
  }, 120_000);

  it("picks two vectors, weights one negatively and previews their interference", async () => {
    await byTestId(`pick-${w.free}`).check();
    await byTestId(`pick-${w.paid}`).check();
    await byTestId(`weight-${w.paid}`).fill("-0.5");
    await byTestId("equip-method").selectOption("ties");
    await expect.poll(() => byTestId("method-explanation").textContent()).toMatch(/sign/);
    await expect.poll(() => byTestId("recipe-yaml").textContent()).toContain(`model: ${w.paid}`);
    expect(await byTestId("recipe-yaml").textContent()).toContain("weight: -0.5");
    await byTestId("preview-button").click();
    await expect.poll(() => byTestId("interference-verdict").textContent()).toMatch(/independent|partial|aligned|conflicting/);
    expect(await byTestId("cell-0-1").textContent()).toMatch(/cos -?\d\.\d\d/);
  }, 120_000);

  it("merges, watches the job reach 100 % and downloads the archive", async () => {
    await byTestId("merge-button").click();
    await page.waitForURL(/\/jobs\/[a-z0-9]+$/);
    await expect.poll(() => byTestId("job-status").textContent(), { timeout: 60_000 }).toBe("done");
    expect(await byTestId("job-progress").textContent()).toMatch(/^100%/);
    const [download] = await Promise.all([page.waitForEvent("download"), byTestId("job-download").click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${w.foundation}-merged-[0-9a-f]{8}\\.tar$`));
    const saved = path.join(dir, "merged.tar");
    await download.saveAs(saved);
    const out = path.join(dir, "unpacked");
    await exec("mkdir", ["-p", out]);
    await exec("tar", ["-xf", saved, "-C", out]);
    const [root] = await readdir(out);
    const files = await readdir(path.join(out, root!));
    expect(files).toContain("README.md");
    expect(files.some((f) => f.endsWith(".safetensors"))).toBe(true);
    const card = await readFile(path.join(out, root!, "README.md"), "utf8");
    expect(card).toContain(w.free);
    expect(card).toContain("merge_method: ties");
  }, 180_000);

  it("lists the job under My jobs", async () => {
    await byTestId("nav-jobs").click();
    await page.waitForURL("**/jobs");
    await expect.poll(() => byTestId("jobs-table").textContent()).toContain("done");
  }, 60_000);
});
