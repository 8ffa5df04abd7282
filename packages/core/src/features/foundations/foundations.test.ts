import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fingerprintCheckpoint, openCheckpoint } from "@graft/merge";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createTestContext,
  makeTeam,
  makeUser,
  registerTinyFoundation,
  stageBytes,
  stageFile,
  tinyBaseTensors,
  writeF32Safetensors,
  type TestContext,
} from "../../testing";
import { foundationWeightsPath, getFoundation, getFoundationManifest, listFoundations, registerFoundation } from "./index";

let t: TestContext;
let owner: Awaited<ReturnType<typeof makeUser>>;
beforeEach(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, "owner");
  await makeTeam(t.ctx, owner.actor, "acme");
});
afterEach(async () => {
  await t.cleanup();
});

const base = { teamSlug: "acme", name: "Tiny", architecture: "llama", licence: "apache-2.0" };

async function blobFiles() {
  const walk = async (d: string): Promise<string[]> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    const out: string[] = [];
    for (const e of entries) out.push(...(e.isDirectory() ? await walk(join(d, e.name)) : [join(d, e.name)]));
    return out;
  };
  return walk(t.blobsDir);
}

describe("registerFoundation from a server path", () => {
  it("fingerprints the checkpoint and records its size facts", async () => {
    const { foundation, path } = await registerTinyFoundation(t, owner.actor, "acme");
    const reader = await openCheckpoint(path);
    const { fingerprint, manifest } = await fingerprintCheckpoint(reader);
    await reader.close();
    expect(foundation).toMatchObject({ slug: "tiny-base", fingerprint, parameterCount: 24 + 16 + 4, tensorCount: 3, totalBytes: 44 * 4, source: "path" });
    expect(await getFoundationManifest(t.ctx, "tiny-base")).toEqual(JSON.parse(JSON.stringify(manifest)));
    expect(await foundationWeightsPath(t.ctx, foundation)).toBe(path);
  });

  it("accepts a Hugging Face model folder", async () => {
    const dir = join(t.modelsDir, "hf-model");
    await mkdir(dir);
    await writeF32Safetensors(join(dir, "model.safetensors"), tinyBaseTensors(1));
    await writeFile(join(dir, "config.json"), "{}");
    const f = await registerFoundation(t.ctx, owner.actor, { ...base, slug: "hf", source: { kind: "path", path: "hf-model" } });
    expect(f.tensorCount).toBe(3);
  });

  it("refuses paths that escape the models directory, by traversal or symlink", async () => {
    const outside = await writeF32Safetensors(join(t.dir, "secret.safetensors"), tinyBaseTensors(2));
    await expect(registerFoundation(t.ctx, owner.actor, { ...base, slug: "xx", source: { kind: "path", path: "../work/secret.safetensors" } })).rejects.toMatchObject({
      code: "INVALID",
      message: expect.stringMatching(/inside the models directory/),
    });
    await expect(registerFoundation(t.ctx, owner.actor, { ...base, slug: "xx", source: { kind: "path", path: outside } })).rejects.toMatchObject({ code: "INVALID" });
    await symlink(outside, join(t.modelsDir, "link.safetensors"));
    await expect(registerFoundation(t.ctx, owner.actor, { ...base, slug: "xx", source: { kind: "path", path: "link.safetensors" } })).rejects.toMatchObject({
      code: "INVALID",
      message: expect.stringMatching(/links outside/),
    });
    const dir = join(t.modelsDir, "sneaky");
    await mkdir(dir);
    await symlink(outside, join(dir, "model.safetensors"));
    await expect(registerFoundation(t.ctx, owner.actor, { ...base, slug: "xx", source: { kind: "path", path: "sneaky" } })).rejects.toMatchObject({ code: "INVALID" });
    expect(await t.ctx.db.foundation.count()).toBe(0);
  });

  it("refuses an already registered checkpoint, naming its slug", async () => {
    await registerTinyFoundation(t, owner.actor, "acme", "first");
    const copy = await writeF32Safetensors(join(t.modelsDir, "copy.safetensors"), tinyBaseTensors(0));
    await expect(registerFoundation(t.ctx, owner.actor, { ...base, slug: "second", source: { kind: "path", path: copy } })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining('"first"'),
      details: { existingSlug: "first" },
    });
  });
});

describe("registerFoundation from an upload", () => {
  it("commits the uploaded file as a blob and serves it by path", async () => {
    const file = await writeF32Safetensors(join(t.dir, "up.safetensors"), tinyBaseTensors(3));
    const staged = await stageFile(t.ctx, file);
    const f = await registerFoundation(t.ctx, owner.actor, { ...base, slug: "uploaded", source: { kind: "upload", staged } });
    expect(f.source).toBe("upload");
    const p = await foundationWeightsPath(t.ctx, "uploaded");
    expect(p).toContain(staged.sha256.slice(2));
    expect(await t.ctx.db.blob.count({ where: { hash: staged.sha256 } })).toBe(1);
  });

  it("rejects corrupt bytes as INVALID without leaking the scratch path, and deletes the upload", async () => {
    const staged = await stageBytes(t.ctx, new TextEncoder().encode("definitely not safetensors"));
    const err = await registerFoundation(t.ctx, owner.actor, { ...base, slug: "bad", source: { kind: "upload", staged } }).catch((e) => e);
    expect(err).toMatchObject({ code: "INVALID" });
    expect(err.message).not.toContain(t.blobsDir);
    expect(await blobFiles()).toEqual([]);
    expect(await t.ctx.db.foundation.count()).toBe(0);
  });

  it("deletes the upload when the caller may not register", async () => {
    const member = await makeUser(t.ctx, "member");
    const file = await writeF32Safetensors(join(t.dir, "up.safetensors"), tinyBaseTensors(3));
    const staged = await stageFile(t.ctx, file);
    await expect(registerFoundation(t.ctx, member.actor, { ...base, slug: "nope", source: { kind: "upload", staged } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await blobFiles()).toEqual([]);
  });
});

describe("foundation authorization", () => {
  it("needs a team admin: anonymous, outsiders and plain members are refused", async () => {
    await writeF32Safetensors(join(t.modelsDir, "mm.safetensors"), tinyBaseTensors(5));
    const input = { ...base, slug: "mm", source: { kind: "path" as const, path: "mm.safetensors" } };
    const outsider = await makeUser(t.ctx, "outsider");
    const { addMember } = await import("../teams");
    const member = await makeUser(t.ctx, "member");
    await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
    await expect(registerFoundation(t.ctx, null, input)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(registerFoundation(t.ctx, outsider.actor, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(registerFoundation(t.ctx, member.actor, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(registerFoundation(t.ctx, { userId: owner.id, scopes: ["read"] }, input)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(registerFoundation(t.ctx, { userId: owner.id, scopes: ["publish"] }, input)).resolves.toMatchObject({ slug: "mm" });
  });
});

describe("listFoundations / getFoundation", () => {
  it("lists registered foundations and returns one with its (empty) model tree", async () => {
    await registerTinyFoundation(t, owner.actor, "acme", "aa", 0);
    await registerTinyFoundation(t, owner.actor, "acme", "bb", 1);
    expect((await listFoundations(t.ctx)).map((f) => f.slug).sort()).toEqual(["aa", "bb"]);
    expect(await getFoundation(t.ctx, "aa")).toMatchObject({ slug: "aa", vectors: [], team: { slug: "acme" } });
    await expect(getFoundation(t.ctx, "zzz")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
