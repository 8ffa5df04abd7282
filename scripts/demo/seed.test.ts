// The demo seed on models trained with the tiny configuration: the trained
// foundation registered by path, the trained vectors published with their
// listings, cards carrying measured metrics, and evalJson with the suites.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "@graft/core/testing";
import { getFoundation } from "@graft/core";
import { TINY_CONFIG, trainDemo, type DemoModels } from "@graft/lab";
import { seedDemo } from "./seed";

let t: TestContext;
let cacheRoot: string;
let models: DemoModels;

beforeAll(async () => {
  t = await createTestContext();
  cacheRoot = mkdtempSync(join(tmpdir(), "graft-seed-"));
  models = await trainDemo(TINY_CONFIG, { cacheRoot });
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  rmSync(cacheRoot, { recursive: true, force: true });
});

describe("seedDemo", () => {
  it("registers the trained foundation and publishes the trained vectors with their metrics, once", async () => {
    const report = await seedDemo(t.ctx, t.modelsDir, async () => models);
    expect(report).toMatch(/2 trained vectors/);
    const foundation = await getFoundation(t.ctx, "graft-tiny");
    expect(foundation.parameterCount).toBe(5309);
    const listings = Object.fromEntries(foundation.vectors.map((v) => [v.slug, v.listing?.kind]));
    expect(listings).toEqual({ "spam-mail": "paid", "name-lists": "trade" });

    const versions = await t.ctx.db.vectorVersion.findMany({ include: { vector: true } });
    for (const v of versions) {
      const task = v.vector.slug === "spam-mail" ? "spam" : "names";
      const evalJson = JSON.parse(v.evalJson);
      expect(evalJson.task).toBe(task);
      expect(Object.keys(evalJson.suites).sort()).toEqual(["control", "names", "spam"]);
      const own = evalJson.results.find((r: { suite: string; metric: string }) => r.suite === task && r.metric === "accuracy");
      expect(own.value).toBe(models.metrics[task]![task]!.accuracy);
      expect(own.base).toBe(models.metrics.foundation![task]!.accuracy);
      expect(v.vector.cardMarkdown).toContain(`${models.metrics[task]![task]!.accuracy.toFixed(1)} %`);
    }

    let loaded = false;
    expect(await seedDemo(t.ctx, t.modelsDir, async () => ((loaded = true), models))).toMatch(/already seeded/);
    expect(loaded).toBe(false);
  });
});
