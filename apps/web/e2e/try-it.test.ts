// The "try it" panel in a real browser: a signed-in visitor opens the page of
// a foundation of the demo model family (trained here on the tiny
// configuration), equips a free task vector and sees the base and the
// equipped continuations side by side.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newPage, requireChromium } from "./browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_CONFIG, trainDemo, type DemoModels } from "@graft/lab";
import { startServer, type TestServer } from "../src/test/server";
import { ApiClient, multipart, unique } from "../src/test/client";

let server: TestServer;
let browser: Browser;
let page: Page;
let cacheRoot: string;
let models: DemoModels;
const foundation = unique("tiny-lm");
const team = unique("try-team");
let vectorLabel = "";

beforeAll(async () => {
  requireChromium();
  cacheRoot = mkdtempSync(path.join(tmpdir(), "graft-try-e2e-"));
  [server, models] = await Promise.all([startServer(), trainDemo(TINY_CONFIG, { cacheRoot })]);

  const owner = new ApiClient(server.baseUrl);
  await owner.signUp(`${unique("try-owner")}@example.com`);
  const token = owner.anonymous().withToken(await owner.createToken(["read", "publish"]));
  expect((await owner.post("/api/v1/teams", { slug: team, name: "Try Team" })).status).toBe(201);
  cpSync(models.foundationDir, path.join(server.modelsDir, foundation), { recursive: true });
  expect((await owner.post("/api/v1/foundations", { teamSlug: team, slug: foundation, name: "Tiny LM", architecture: "char-mlp", licence: "mit", path: foundation })).status).toBe(201);
  const meta = { teamSlug: team, foundationSlug: foundation, vectorSlug: "names", name: "Names", task: "skill", version: "1.0.0", listing: { kind: "free", licence: "commercial", redistribution: false } };
  const published = await token.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file: models.tasks.names!.vectorPath }));
  expect(published.status, JSON.stringify(published.body)).toBe(201);
  vectorLabel = `${team}/names@1.0.0`;

  browser = await launchChromium();
  page = await newPage(browser, server.baseUrl);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (cacheRoot) rmSync(cacheRoot, { recursive: true, force: true });
});

describe("try-it panel in the browser", () => {
  it("shows the base and the equipped continuation side by side", async () => {
    await page.goto("/signup");
    await page.getByTestId("signup-name").fill("Visitor");
    await page.getByTestId("signup-email").fill(`${unique("visitor")}@example.com`);
    await page.getByTestId("signup-password").fill("a-long-password");
    await page.getByTestId("signup-submit").click();
    await expect.poll(() => page.getByTestId("current-user").textContent(), { timeout: 30_000 }).toBe("Visitor");

    await page.goto(`/foundations/${foundation}`);
    await page.getByTestId("try-prompt").fill("anna\n");
    await page.getByTestId(`try-equip-${vectorLabel}`).check();
    await page.getByTestId("try-run").click();
    const base = page.getByTestId("try-base");
    const equipped = page.getByTestId("try-equipped");
    await expect.poll(async () => (await equipped.textContent())?.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(100);
    const [b, e] = [await base.textContent(), await equipped.textContent()];
    expect(b!.startsWith("anna")).toBe(true);
    expect(e!.startsWith("anna")).toBe(true);
    expect(e).not.toBe(b);
  }, 120_000);
});
