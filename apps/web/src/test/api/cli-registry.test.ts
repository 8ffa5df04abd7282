// The `graft` CLI's registry commands (login, publish, pull) against a real
// `next start` server over real HTTP: the CLI runs as a child process with its
// own GRAFT_CONFIG_DIR and working directory, exactly as a user runs it.
// Users, the team, the foundation and API tokens are set up through the API.
// Failures must follow the CLI contract: exit ≠ 0, nothing on stdout and one
// stderr line "graft: …" that says what went wrong.
//
// The cases run in file order: the pull cases download what the publish
// cases uploaded (that round trip is the point).
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, unique } from "../client";
import { failureLine, runCli, type CliRun } from "../cli";
import { sha256File, writeFixtures, type FixtureSet } from "../fixtures";

let server: TestServer;
let dir: string;
let fx: FixtureSet;

let owner: ApiClient;
let ownerEmail: string;
let ownerToken: string;
let ownerReadToken: string;
let buyer: ApiClient;
let buyerToken: string;
let team: string;
let foundation: string;

/** Working directory of the CLI processes (pull writes here). */
let cwd: string;
/** One GRAFT_CONFIG_DIR per identity. */
let ownerConfig: string;
let buyerConfig: string;
let readOnlyConfig: string;

const FREE = "cli-free";
const PAID = "cli-paid";

function graft(configDir: string, ...args: string[]): Promise<CliRun> {
  return runCli(args, { cwd, configDir });
}

function ok(run: CliRun): string {
  expect(run.stderr, `exit ${run.code}; stdout: ${run.stdout}`).toBe("");
  expect(run.code).toBe(0);
  return run.stdout;
}

const credentialsFile = (configDir: string) => path.join(configDir, "credentials.json");

async function login(configDir: string, token: string): Promise<CliRun> {
  return graft(configDir, "login", "--url", server.baseUrl, "--token", token);
}

function publishArgs(file: string, vector: string, version: string, ...extra: string[]): string[] {
  return ["publish", file, "--team", team, "--foundation", foundation, "--vector", vector, "--version", version, ...extra];
}

beforeAll(async () => {
  server = await startServer();
  dir = await mkdtemp(path.join(tmpdir(), "graft-cli-web-"));
  fx = await writeFixtures(dir);
  cwd = path.join(dir, "work");
  await mkdir(cwd);
  ownerConfig = path.join(dir, "config-owner");
  buyerConfig = path.join(dir, "config-buyer");
  readOnlyConfig = path.join(dir, "config-read");

  owner = new ApiClient(server.baseUrl);
  ownerEmail = `${unique("cli-owner")}@example.com`;
  await owner.signUp(ownerEmail);
  ownerToken = await owner.createToken(["read", "publish"], "cli");
  ownerReadToken = await owner.createToken(["read"], "cli-read");

  team = unique("clilab");
  const t = await owner.post("/api/v1/teams", { slug: team, name: "CLI Lab" });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  foundation = unique("cli-base");
  const f = await owner.post(
    "/api/v1/foundations",
    await multipart({ teamSlug: team, slug: foundation, name: "CLI Base", architecture: "llama", licence: "apache-2.0" }, { file: fx.base }),
  );
  expect(f.status, JSON.stringify(f.body)).toBe(201);

  buyer = new ApiClient(server.baseUrl);
  await buyer.signUp(`${unique("cli-buyer")}@example.com`);
  buyerToken = await buyer.createToken(["read", "publish"], "cli");
}, 900_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("graft login", () => {
  it("checks the token against the registry and stores url + token with mode 0600", async () => {
    const out = ok(await login(ownerConfig, ownerToken));
    expect(out).toBe(`logged in to ${server.baseUrl} as ${ownerEmail} (scopes: read, publish); saved to ${credentialsFile(ownerConfig)}\n`);
    const st = await stat(credentialsFile(ownerConfig));
    expect(st.mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(credentialsFile(ownerConfig), "utf8"))).toEqual({ url: server.baseUrl, token: ownerToken });
  });

  it("reads the token from stdin when --token is omitted", async () => {
    const configDir = path.join(dir, "config-stdin");
    const run = await runCli(["login", "--url", server.baseUrl], { cwd, configDir, stdin: `${ownerReadToken}\n` });
    expect(ok(run)).toMatch(/\(scopes: read\); saved to /);
    expect(JSON.parse(await readFile(credentialsFile(configDir), "utf8")).token).toBe(ownerReadToken);
  });

  it("refuses an unknown token on one line and stores nothing", async () => {
    const configDir = path.join(dir, "config-bad");
    const line = failureLine(await login(configDir, "graft_not-a-real-token"));
    expect(line).toMatch(/^graft: registry: .*invalid or revoked API token/);
    expect(existsSync(credentialsFile(configDir))).toBe(false);
  });

  it("refuses an unreachable registry on one line", async () => {
    const configDir = path.join(dir, "config-unreachable");
    const run = await graft(configDir, "login", "--url", "http://127.0.0.1:9", "--token", ownerToken);
    expect(failureLine(run)).toMatch(/^graft: cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(existsSync(credentialsFile(configDir))).toBe(false);
  });

  it("keeps the credentials file at 0600 when it already existed with wider permissions", async () => {
    const configDir = path.join(dir, "config-wide");
    await mkdir(configDir, { recursive: true });
    await writeFile(credentialsFile(configDir), "{}\n");
    await chmod(credentialsFile(configDir), 0o644);
    ok(await login(configDir, ownerToken));
    expect((await stat(credentialsFile(configDir))).mode & 0o777).toBe(0o600);
  });
});

describe("graft publish", () => {
  it("publishes a task-vector file as a free listing", async () => {
    const out = ok(await graft(ownerConfig, ...publishArgs(fx.taskVector, FREE, "1.0.0", "--listing", "free", "--task", "qa", "--tags", "medical, english")));
    expect(out).toBe(`published ${team}/${FREE}@1.0.0\n`);

    const v = await owner.anonymous().get(`/api/v1/vectors/${team}/${FREE}`);
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    expect(v.body.vector).toMatchObject({ slug: FREE, name: FREE, task: "qa", tags: ["english", "medical"] });
    expect(v.body.vector.listing).toMatchObject({ kind: "free" });
    expect(v.body.vector.foundation.slug).toBe(foundation);
    expect(v.body.vector.versions).toHaveLength(1);
    expect(v.body.vector.versions[0]).toMatchObject({ version: "1.0.0", sourceKind: "task-vector", yanked: false, canDownload: true });
    expect(v.body.vector.versions[0].sha256).toBe(await sha256File(fx.taskVector));
  });

  it("refuses to publish the same version twice, on one line", async () => {
    const line = failureLine(await graft(ownerConfig, ...publishArgs(fx.taskVector2, FREE, "1.0.0", "--listing", "free")));
    expect(line).toMatch(/^graft: registry: .*1\.0\.0.*(already exists|greater)/);
    const v = await owner.anonymous().get(`/api/v1/vectors/${team}/${FREE}`);
    expect(v.body.vector.versions.map((x: { version: string }) => x.version)).toEqual(["1.0.0"]);
  });

  it("publishes a greater version and prints the result with --json", async () => {
    const run = await graft(ownerConfig, ...publishArgs(fx.taskVector2, FREE, "1.1.0", "--changelog", "more data", "--json"));
    const result = JSON.parse(ok(run));
    expect(result.vector).toMatchObject({ slug: FREE, teamSlug: team, created: false });
    expect(result.version).toMatchObject({ version: "1.1.0", sha256: await sha256File(fx.taskVector2) });
  });

  it("derives the task vector from a fine-tuned checkpoint with --kind finetuned", async () => {
    const slug = "cli-finetuned";
    ok(await graft(ownerConfig, ...publishArgs(fx.finetuned, slug, "0.1.0", "--kind", "finetuned", "--listing", "free")));
    const v = await owner.anonymous().get(`/api/v1/vectors/${team}/${slug}`);
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    expect(v.body.vector.versions[0]).toMatchObject({ version: "0.1.0", sourceKind: "finetuned" });
  });

  it("rejects a task vector made against another foundation with the mismatch on one line", async () => {
    const slug = "cli-foreign";
    const line = failureLine(await graft(ownerConfig, ...publishArgs(fx.foreignTaskVector, slug, "1.0.0", "--listing", "free")));
    expect(line).toMatch(new RegExp(`^graft: registry: made against foundation sha256:[0-9a-f]{64} but ${foundation} is sha256:[0-9a-f]{64}`));
    expect(line).toMatch(/structural differences: .*(embed\.weight|layers\.0)/);
    expect((await owner.get(`/api/v1/vectors/${team}/${slug}`)).status).toBe(404);
  });

  it("refuses a read-only token on one line naming the missing scope", async () => {
    expect(ok(await login(readOnlyConfig, ownerReadToken))).toMatch(/\(scopes: read\)/);
    const slug = "cli-readonly";
    const line = failureLine(await graft(readOnlyConfig, ...publishArgs(fx.taskVector, slug, "1.0.0", "--listing", "free")));
    expect(line).toMatch(/^graft: registry: .*"publish" scope/);
    expect((await owner.get(`/api/v1/vectors/${team}/${slug}`)).status).toBe(404);
  });

  it("refuses a user outside the team on one line", async () => {
    ok(await login(buyerConfig, buyerToken));
    const slug = "cli-outsider";
    const line = failureLine(await graft(buyerConfig, ...publishArgs(fx.taskVector, slug, "1.0.0", "--listing", "free")));
    expect(line).toMatch(/^graft: registry: .*not a member of this team/);
    expect((await owner.get(`/api/v1/vectors/${team}/${slug}`)).status).toBe(404);
  });

  it("publishes a paid listing", async () => {
    ok(await graft(ownerConfig, ...publishArgs(fx.taskVector, PAID, "1.0.0", "--listing", "paid", "--price", "500", "--licence", "commercial")));
    const v = await owner.anonymous().get(`/api/v1/vectors/${team}/${PAID}`);
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    expect(v.body.vector.listing).toMatchObject({ kind: "paid", priceCents: 500, licence: "commercial" });
    expect(v.body.vector.versions[0].canDownload).toBe(false);
  });
});

describe("graft pull", () => {
  it("downloads the latest version, verified against the uploaded file's sha256", async () => {
    const run = await graft(ownerConfig, "pull", `${team}/${FREE}`, "-o", "out.safetensors");
    expect(ok(run)).toMatch(new RegExp(`^pulled ${team}/${FREE}@1\\.1\\.0 → out\\.safetensors \\(.+, sha256 verified\\)\\n$`));
    expect(await sha256File(path.join(cwd, "out.safetensors"))).toBe(await sha256File(fx.taskVector2));
  });

  it("downloads a named version, for another user too (free listing)", async () => {
    const run = await graft(buyerConfig, "pull", `${team}/${FREE}@1.0.0`, "-o", "old.safetensors", "--json");
    const result = JSON.parse(ok(run));
    const expected = await sha256File(fx.taskVector);
    expect(result).toMatchObject({ out: "old.safetensors", version: "1.0.0", sha256: expected });
    expect(await sha256File(path.join(cwd, "old.safetensors"))).toBe(expected);
    expect((await readdir(cwd)).filter((f) => f.includes(".part-"))).toEqual([]);
  });

  it("refuses a paid vector without an entitlement on one line and writes nothing", async () => {
    const line = failureLine(await graft(buyerConfig, "pull", `${team}/${PAID}`, "-o", "paid.safetensors"));
    expect(line).toMatch(new RegExp(`^graft: you are not entitled to download ${team}/${PAID}@1\\.0\\.0`));
    expect(existsSync(path.join(cwd, "paid.safetensors"))).toBe(false);

    // The publishing team may.
    ok(await graft(ownerConfig, "pull", `${team}/${PAID}`, "-o", "paid-own.safetensors"));
    expect(await sha256File(path.join(cwd, "paid-own.safetensors"))).toBe(await sha256File(fx.taskVector));
  });

  it("uses GRAFT_URL and GRAFT_TOKEN without a stored login", async () => {
    const configDir = path.join(dir, "config-env");
    const run = await runCli(["pull", `${team}/${FREE}@1.0.0`, "-o", "env.safetensors"], {
      cwd,
      configDir,
      env: { GRAFT_URL: server.baseUrl, GRAFT_TOKEN: ownerReadToken },
    });
    ok(run);
    expect(await sha256File(path.join(cwd, "env.safetensors"))).toBe(await sha256File(fx.taskVector));
  });

  it("fails on one line when not logged in, for unknown vectors and versions", async () => {
    expect(failureLine(await graft(path.join(dir, "config-none"), "pull", `${team}/${FREE}`))).toMatch(/^graft: not logged in/);
    expect(failureLine(await graft(ownerConfig, "pull", `${team}/no-such-vector`))).toMatch(/^graft: registry: .*not found/);
    expect(failureLine(await graft(ownerConfig, "pull", `${team}/${FREE}@9.9.9`))).toBe(`graft: ${team}/${FREE} has no version 9.9.9`);
    expect(failureLine(await graft(ownerConfig, "pull", "Not A Ref"))).toMatch(/^graft: "Not A Ref" is not team\/vector/);
  });
});
