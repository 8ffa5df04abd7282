// Equip over real HTTP against `next start` with the embedded worker: submit
// (entitlements checked), follow the SSE progress to 100 %, download the
// archive and unpack it with tar, compare with `graft merge` of the same
// recipe on local files, and `graft equip` giving the same bytes.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { openCheckpoint } from "@graft/merge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../server";
import { failureLine, runCli } from "../cli";
import { sha256File, writeFixtures, type FixtureSet } from "../fixtures";
import { equipRecipe, setUpEquipWorld, type EquipWorld } from "../equip-setup";

const exec = promisify(execFile);

let server: TestServer;
let dir: string;
let fx: FixtureSet;
let w: EquipWorld;
let recipe: string;

/** Reads the `job` events of a job's stream until it closes. */
async function events(id: string): Promise<any[]> {
  const res = await w.owner.raw(`/api/v1/jobs/${id}/events`);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((b) => b.startsWith("event: job"))
    .map((b) => JSON.parse(b.split("\n").find((l) => l.startsWith("data: "))!.slice(6)));
}

async function untar(archive: string, into: string): Promise<string[]> {
  await mkdir(into, { recursive: true });
  await exec("tar", ["-xf", archive, "-C", into]);
  const [root] = await readdir(into);
  return (await readdir(path.join(into, root!))).sort().map((f) => path.join(into, root!, f));
}

beforeAll(async () => {
  server = await startServer();
  dir = await mkdtemp(path.join(tmpdir(), "graft-equip-web-"));
  fx = await writeFixtures(dir);
  w = await setUpEquipWorld(server.baseUrl, fx);
  recipe = equipRecipe(w.foundation, "ties", [
    [w.free, 0.8],
    [w.paid, -0.4],
  ], "parameters: { density: 0.6 }\n");
}, 900_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("equip over the API", () => {
  it("refuses at submit a version the caller may not download, naming it", async () => {
    const res = await w.buyer.post("/api/v1/jobs", { yaml: recipe });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(`${w.paid} is not in your library (buy, trade or get a grant for it first)`);
    expect((await w.buyer.get("/api/v1/jobs")).body.jobs).toEqual([]);
  });

  it("rejects a malformed recipe with the reason", async () => {
    const res = await w.owner.post("/api/v1/jobs", { yaml: "merge_method: ties\nbase_model: x\nmodels:\n  - model: ./file.safetensors\n" });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/models\[0\] "\.\/file\.safetensors" is not a vector version reference/);
  });

  it("previews interference from sketches", async () => {
    const res = await w.owner.post("/api/v1/equip/preview", { foundation: w.foundation, refs: [w.free, w.paid] });
    expect(res.status).toBe(200);
    expect(res.body.preview.pairs).toHaveLength(1);
    expect(res.body.preview.overall.message).toBeTruthy();
  });

  let jobId: string;
  let archive: string;

  it("runs a job to done, streaming progress to 100 %, and lists it", async () => {
    const res = await w.owner.post("/api/v1/jobs", { yaml: recipe });
    expect(res.status).toBe(201);
    expect(["queued", "running", "done"]).toContain(res.body.job.status);
    jobId = res.body.job.id;
    const seen = await events(jobId);
    const last = seen.at(-1);
    expect(last.status, last.error ?? "").toBe("done");
    expect(last.progress.percent).toBe(100);
    const percents = seen.filter((e) => e.progress).map((e) => e.progress.percent);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect((await w.owner.get("/api/v1/jobs")).body.jobs.map((j: { id: string }) => j.id)).toContain(jobId);
  });

  it("downloads one tar archive with the sharded weights, index and model card", async () => {
    const res = await w.owner.raw(`/api/v1/jobs/${jobId}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-tar");
    archive = path.join(dir, "web.tar");
    await writeFile(archive, Buffer.from(await res.arrayBuffer()));
    expect(await sha256File(archive)).toBe(res.headers.get("x-content-sha256"));
    const files = (await untar(archive, path.join(dir, "web"))).map((f) => path.basename(f));
    expect(files).toContain("README.md");
    expect(files.some((f) => f.endsWith(".safetensors"))).toBe(true);
    const card = await readFile(path.join(dir, "web", (await readdir(path.join(dir, "web")))[0]!, "README.md"), "utf8");
    expect(card).toContain(`base_model: "${w.foundation}"`);
    expect(card).toContain(`| \`${w.paid}\` | ${w.team} | -0.4 | personal |`);
  });

  it("equals `graft merge` of the same recipe on the downloaded files", async () => {
    const cwd = path.join(dir, "cli-merge");
    await mkdir(cwd);
    for (const [ref, file] of [[w.free, "free.safetensors"], [w.paid, "paid.safetensors"]] as const) {
      const { versions } = (await w.owner.get(`/api/v1/equip/library?foundation=${w.foundation}`)).body;
      const id = versions.find((v: { ref: string }) => v.ref === ref).versionId;
      const res = await w.owner.raw(`/api/v1/versions/${id}/download`);
      await writeFile(path.join(cwd, file), Buffer.from(await res.arrayBuffer()));
    }
    const local = equipRecipe(fx.base, "ties", [
      ["./free.safetensors", 0.8],
      ["./paid.safetensors", -0.4],
    ], "parameters: { density: 0.6 }\n");
    await writeFile(path.join(cwd, "recipe.yml"), local);
    const run = await runCli(["merge", "recipe.yml", "-o", "out"], { cwd, configDir: path.join(dir, "cfg-merge") });
    expect(run.code, run.stderr).toBe(0);
    const webDir = path.dirname((await untar(archive, path.join(dir, "web2")))[0]!);
    const [a, b] = [await openCheckpoint(webDir), await openCheckpoint(path.join(cwd, "out"))];
    try {
      expect(a.tensors.map((t) => t.name)).toEqual(b.tensors.map((t) => t.name));
      for (const t of b.tensors) expect(Buffer.from(await a.readBytes(t.name)).equals(Buffer.from(await b.readBytes(t.name))), t.name).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("`graft equip` submits, follows and downloads the same bytes", async () => {
    const token = await w.owner.createToken(["read"], "equip-cli");
    const cwd = path.join(dir, "cli-equip");
    const configDir = path.join(dir, "cfg-equip");
    await mkdir(cwd);
    expect((await runCli(["login", "--url", server.baseUrl, "--token", token], { cwd, configDir })).code).toBe(0);
    await writeFile(path.join(cwd, "recipe.yml"), recipe);
    const run = await runCli(["equip", "recipe.yml", "-o", "model.tar", "--json"], { cwd, configDir, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.job).not.toBe(jobId);
    expect(await sha256File(path.join(cwd, "model.tar"))).toBe(await sha256File(archive));

    const buyerToken = await w.buyer.createToken(["read"], "equip-cli");
    const buyerConfig = path.join(dir, "cfg-buyer");
    await runCli(["login", "--url", server.baseUrl, "--token", buyerToken], { cwd, configDir: buyerConfig });
    const refused = await runCli(["equip", "recipe.yml"], { cwd, configDir: buyerConfig });
    expect(failureLine(refused)).toBe(`graft: registry: ${w.paid} is not in your library (buy, trade or get a grant for it first)`);
  });

  it("cancels a queued job and then refuses to cancel it again", async () => {
    const res = await w.owner.post("/api/v1/jobs", { yaml: recipe });
    const cancel = await w.owner.post(`/api/v1/jobs/${res.body.job.id}/cancel`);
    // The embedded worker may already have finished this small merge.
    if (cancel.status === 200) {
      const last = (await events(res.body.job.id)).at(-1);
      expect(["cancelled", "done"]).toContain(last.status);
    } else {
      expect(cancel.status).toBe(409);
    }
    const again = await w.owner.post(`/api/v1/jobs/${res.body.job.id}/cancel`);
    expect(again.status).toBe(409);
  });
});
