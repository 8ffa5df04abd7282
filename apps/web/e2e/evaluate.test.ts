// The merged model's evaluation, end to end: vectors of the demo model family
// (trained here on the tiny configuration) carry suites; a merge job run by
// the embedded worker scores the merge, the API returns the comparison, and
// the job page charts base vs each vector alone vs the merge per suite.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newPage, requireChromium } from "./browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "@graft/db";
import { TINY_CONFIG, trainDemo, versionEvalJson, type DemoModels } from "@graft/lab";
import { startServer, type TestServer } from "../src/test/server";
import { ApiClient, multipart, unique } from "../src/test/client";
import { equipRecipe } from "../src/test/equip-setup";

let server: TestServer;
let browser: Browser;
let page: Page;
let cacheRoot: string;
let models: DemoModels;
let owner: ApiClient;
let jobId = "";
const email = `${unique("eval-owner")}@example.com`;
const foundation = unique("eval-lm");
const team = unique("eval-team");
const ref = (task: string) => `${team}/${task}@1.0.0`;

beforeAll(async () => {
  requireChromium();
  cacheRoot = mkdtempSync(path.join(tmpdir(), "graft-eval-e2e-"));
  [server, models] = await Promise.all([startServer(), trainDemo(TINY_CONFIG, { cacheRoot })]);

  owner = new ApiClient(server.baseUrl);
  await owner.signUp(email, "correct-horse-battery", "Eval Owner");
  const token = owner.anonymous().withToken(await owner.createToken(["read", "publish"]));
  expect((await owner.post("/api/v1/teams", { slug: team, name: "Eval Team" })).status).toBe(201);
  cpSync(models.foundationDir, path.join(server.modelsDir, foundation), { recursive: true });
  expect((await owner.post("/api/v1/foundations", { teamSlug: team, slug: foundation, name: "Tiny LM", architecture: "char-mlp", licence: "mit", path: foundation })).status).toBe(201);
  const db = createDb(server.databaseUrl);
  try {
    for (const task of ["names", "spam"]) {
      const meta = { teamSlug: team, foundationSlug: foundation, vectorSlug: task, name: task, task: "domain", version: "1.0.0", listing: { kind: "free", licence: "commercial", redistribution: false } };
      const published = await token.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file: models.tasks[task]!.vectorPath }));
      expect(published.status, JSON.stringify(published.body)).toBe(201);
      // Suites and measured metrics, as the demo seed records them.
      await db.vectorVersion.updateMany({ where: { version: "1.0.0", vector: { slug: task, team: { slug: team } } }, data: { evalJson: versionEvalJson(models, task) } });
    }
  } finally {
    await db.$disconnect();
  }

  browser = await launchChromium();
  page = await newPage(browser, server.baseUrl);
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (cacheRoot) rmSync(cacheRoot, { recursive: true, force: true });
});

describe("evaluation of a merge job", () => {
  it("scores the merge on each vector's suite and the control suite (API)", async () => {
    const res = await owner.post("/api/v1/jobs", { yaml: equipRecipe(foundation, "task_arithmetic", [[ref("names"), 0.8], [ref("spam"), 0.8]]) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    jobId = res.body.job.id;
    let job: any;
    await expect
      .poll(async () => {
        job = (await owner.get(`/api/v1/jobs/${jobId}`)).body.job;
        return job.status;
      }, { timeout: 120_000, interval: 500 })
      .toMatch(/done|failed|cancelled/);
    expect(job.status, job.error ?? "").toBe("done");
    const evaluation = job.result.evaluation;
    expect(evaluation.status, evaluation.error ?? "").toBe("done");
    expect(evaluation.suites.map((s: any) => s.suite)).toEqual(["names", "spam", "control"]);
    for (const task of ["names", "spam"]) {
      const acc = evaluation.suites.find((s: any) => s.suite === task).metrics.find((m: any) => m.metric === "accuracy");
      expect(acc.base).toBeCloseTo(models.metrics.foundation![task]!.accuracy, 6);
      expect(acc.vectors.map((v: any) => v.ref)).toEqual([ref("names"), ref("spam")]);
      expect(acc.merged).toBeGreaterThan(acc.base);
    }
  }, 180_000);

  it("charts base vs each vector alone vs the merge on the job page", async () => {
    await page.goto("/signin");
    await page.getByTestId("signin-email").fill(email);
    await page.getByTestId("signin-password").fill("correct-horse-battery");
    await page.getByTestId("signin-submit").click();
    await expect.poll(() => page.getByTestId("current-user").textContent(), { timeout: 30_000 }).toBe("Eval Owner");
    await page.goto(`/jobs/${jobId}`);
    const names = page.getByTestId("eval-suite-names");
    await names.waitFor();
    expect(await names.locator("h3").textContent()).toContain(ref("names"));
    expect(await names.getByTestId("eval-row").allTextContents()).toEqual([
      expect.stringMatching(/^base\d+\.\d %/),
      expect.stringMatching(new RegExp(`^${ref("names")} alone\\d+\\.\\d %published`)),
      expect.stringMatching(new RegExp(`^${ref("spam")} alone\\d+\\.\\d %published`)),
      expect.stringMatching(/^merge\d+\.\d %/),
    ]);
    expect(await page.getByTestId("eval-delta-names").textContent()).toMatch(/^\+\d+\.\d %$/);
    // One bar per model in the recharts SVG.
    await expect.poll(() => names.locator(".recharts-bar-rectangle").count()).toBe(4);
    await page.getByTestId("eval-suite-control").waitFor();
    await page.getByTestId("eval-metric").selectOption("bits_per_char");
    await expect.poll(() => page.getByTestId("eval-delta-names").textContent()).toMatch(/^-\d\.\d{3} bits$/);
  }, 120_000);

  it("tries the merged model next to the foundation", async () => {
    await page.getByTestId("try-merged-prompt").fill("anna\n");
    await page.getByTestId("try-merged-run").click();
    const merged = page.getByTestId("try-merged-output");
    await expect.poll(async () => (await merged.textContent())?.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(100);
    const [b, m] = [await page.getByTestId("try-merged-base").textContent(), await merged.textContent()];
    expect(b!.startsWith("anna\n")).toBe(true);
    expect(m!.startsWith("anna\n")).toBe(true);
    expect(m).not.toBe(b);
    // The API: same prompt and seed, same text; strangers cannot see the job.
    const again = await owner.post(`/api/v1/jobs/${jobId}/generate`, { prompt: "anna\n", temperature: 0.7, seed: 1, maxChars: 200 });
    expect(again.status).toBe(200);
    expect("anna\n" + again.body.merged).toBe(m);
    const stranger = new ApiClient(server.baseUrl);
    await stranger.signUp(`${unique("eval-stranger")}@example.com`);
    expect((await stranger.post(`/api/v1/jobs/${jobId}/generate`, { prompt: "a" })).status).toBe(404);
  }, 120_000);
});
